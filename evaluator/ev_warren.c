/* SPDX-License-Identifier: Apache-2.0 */
/* ev_warren: the warren rule set (see ev_warren.h for the rules).
 *
 * One pass over the commit window learns what every rule needs (the last
 * backwards step, whether all offsets are equal, the smallest stored lag,
 * the longest gap); a second, short one finds the commit nearest the
 * middle of the span. The head ring is summarised once (oldest and newest
 * sample, its rate and mean spacing) and searched backwards from the
 * newest sample for the three points the rate rules align (start, middle,
 * end), which sit in its newest part. Times are seconds relative to the
 * last commit, as doubles, so the arithmetic is exact enough at any epoch
 * and offsets near INT64_MAX cannot overflow. Nothing is allocated.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "evaluator/ev_rules_int.h"
#include "evaluator/ev_warren.h"

/* The hot helpers are inlined into every rule that uses them. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* The head ring, summarised. Times in seconds relative to t_ref. */
typedef struct hsum_s {
    const ev_head_t *slots, *end; /* the ring's slot array, slots + cap */
    const ev_head_t *oldest, *newest;
    unsigned n;
    double s0, s1; /* oldest and newest sample time */
    double h0, h1; /* their offsets */
    double rate;   /* (h1 - h0) / (s1 - s0), >= 0 */
    double tspan;  /* s1 - s0, > 0 */
    double inv_tspan;
    double ref; /* t_ref as a double */
    int64_t t_ref;
} hsum_t;

/* One commit with the head estimated at its time. */
typedef struct pt_s {
    double t; /* seconds relative to t_ref */
    double c; /* committed offset */
    double h; /* head estimate at t, >= c */
    double v; /* variance of that estimate (messages^2) */
} pt_t;

static inline const ev_entry_t *entry_at(const ev_window_t *win, unsigned i) {
    return &win->slots[ev_ring_idx(win->start, win->cap, i)];
}

static inline const ev_head_t *head_at_idx(const ev_headring_t *h, unsigned i) {
    return &h->slots[ev_ring_idx(h->start, h->cap, i)];
}

/* Seconds from hs->t_ref to t. Both convert to doubles exactly below
 * 2^53 ms (about 285,000 years), so the difference is exact; beyond, it
 * is rounded but always defined. */
static inline double hs_rel(const hsum_t *hs, int64_t t) {
    return ((double)t - hs->ref) * 1e-3;
}

/* The sample after / before p in ring order (p is not the newest / the
 * oldest). */
static inline const ev_head_t *hs_next(const hsum_t *hs, const ev_head_t *p) {
    return ++p == hs->end ? hs->slots : p;
}

static inline const ev_head_t *hs_prev(const hsum_t *hs, const ev_head_t *p) {
    return (p == hs->slots ? hs->end : p) - 1;
}

/* Summarises the ring (nh >= 2 samples over a non-zero time; oldest and
 * newest are its samples 0 and nh - 1). */
static ALWAYS_INLINE void hsum_init(hsum_t *hs, const ev_headring_t *heads,
                                    const ev_head_t *oldest,
                                    const ev_head_t *newest, unsigned nh,
                                    int64_t t_ref) {
    hs->slots = heads->slots;
    hs->end = heads->slots + heads->cap;
    hs->oldest = oldest;
    hs->newest = newest;
    hs->n = nh;
    hs->t_ref = t_ref;
    hs->ref = (double)t_ref;
    hs->s0 = hs_rel(hs, oldest->timestamp_ms);
    hs->s1 = hs_rel(hs, newest->timestamp_ms);
    hs->h0 = (double)oldest->offset;
    hs->h1 = (double)newest->offset;
    hs->tspan = hs->s1 - hs->s0;
    hs->inv_tspan = 1.0 / hs->tspan;
    hs->rate = hs->h1 > hs->h0 ? (hs->h1 - hs->h0) * hs->inv_tspan : 0.0;
}

/* The window's passes, each run only by the rule that needs it. Rings
 * are walked as two linear spans (start..cap, then 0..rest). */

/* The longest of the gaps between e[-1] (*prev) and e[0], e[0] and e[1],
 * ... e[len-2] and e[len-1], at least maxg; *prev becomes e[len-1]'s time
 * (len > 0). Two gaps per step: the loop's own cost is halved. */
static inline int64_t span_max_gap(const ev_entry_t *e, unsigned len,
                                   int64_t *prev, int64_t maxg) {
    const ev_entry_t *end = e + len;
    int64_t p = *prev;

    if (len & 1u) {
        int64_t g = ev_sat_sub(e->timestamp_ms, p);

        maxg = g > maxg ? g : maxg;
        p = e->timestamp_ms;
        e++;
    }
    for (; e < end; e += 2) {
        int64_t g1 = ev_sat_sub(e[0].timestamp_ms, p);
        int64_t g2 = ev_sat_sub(e[1].timestamp_ms, e[0].timestamp_ms);

        maxg = g1 > maxg ? g1 : maxg;
        maxg = g2 > maxg ? g2 : maxg;
        p = e[1].timestamp_ms;
    }
    *prev = p;
    return maxg;
}

/* Rule 2: the longest time between two commits, ms (n >= 2). */
static int64_t max_gap(const ev_window_t *win, unsigned n) {
    const ev_entry_t *e = win->slots + win->start;
    unsigned len_a = (unsigned)win->cap - win->start;
    int64_t prev = e->timestamp_ms, maxg = 0;

    if (len_a > n) len_a = n;
    if (len_a > 1) maxg = span_max_gap(e + 1, len_a - 1, &prev, maxg);
    if (n > len_a) maxg = span_max_gap(win->slots, n - len_a, &prev, maxg);
    return maxg;
}

/* Rule 5: the smallest stored lag (run only for a flat window). */
static int64_t min_lag(const ev_window_t *win, unsigned n) {
    int64_t m = INT64_MAX;
    unsigned i;

    for (i = 0; i < n; i++) {
        int64_t l = win->slots[ev_ring_idx(win->start, win->cap, i)].lag;

        m = l < m ? l : m;
    }
    return m;
}

/* Rule 2's allowance: the silence a group with this window's cadence
 * shows before it is overdue, in ms. */
static int64_t cadence_allowance(const ev_params_t *p, unsigned n, int64_t span,
                                 int64_t max_gap) {
    int intervals = p->intervals >= 1 ? p->intervals : 1;
    int64_t ref = span;

    if (n < (unsigned)intervals) { /* a full window would span more */
        double full = (double)span / (double)(n - 1) * (double)(intervals - 1);

        ref = full >= 9.2e18 ? INT64_MAX : (int64_t)full;
    }
    if (max_gap <= INT64_MAX / 2 && 2 * max_gap > ref) ref = 2 * max_gap;
    return ref;
}

/* When the first message past the last committed offset arrived, as the
 * head ring tells it: after the newest head sample at or below that
 * offset (or `from`, if later) and by the next sample; with producers
 * writing r msg/s before it (the ring up to that sample), 1/r after it;
 * with no rate seen (an idle topic) only the sample that showed it
 * counts. When every sample is above the offset, by the oldest one
 * (or 1/r after `from`, if sooner). INT64_MAX when the newest head is at or
 * below the offset. */
static int64_t arrival(const ev_headring_t *heads, int below, int64_t from) {
    const ev_head_t *h0, *hb, *ha;
    int64_t t;
    double r = 0.0;

    if (heads == NULL || heads->slots == NULL || heads->count == 0 ||
        below >= (int)heads->count - 1)
        return INT64_MAX; /* the newest head is at or below: nothing waits */
    h0 = head_at_idx(heads, 0);
    ha = head_at_idx(heads, (unsigned)(below + 1));
    if (below >= 1) {
        hb = head_at_idx(heads, (unsigned)below);
        if (hb->timestamp_ms > h0->timestamp_ms && hb->offset > h0->offset)
            r = ((double)hb->offset - (double)h0->offset) * 1000.0 /
                (double)ev_sat_sub(hb->timestamp_ms, h0->timestamp_ms);
        if (hb->timestamp_ms > from) from = hb->timestamp_ms;
    } else if (below < 0) {
        const ev_head_t *hn = head_at_idx(heads, heads->count - 1);

        if (hn->timestamp_ms > h0->timestamp_ms && hn->offset > h0->offset)
            r = ((double)hn->offset - (double)h0->offset) * 1000.0 /
                (double)ev_sat_sub(hn->timestamp_ms, h0->timestamp_ms);
    }
    t = ha->timestamp_ms;
    if (from != INT64_MIN && r > 0 && (double)from + 1000.0 / r < (double)t)
        t = from + (int64_t)(1000.0 / r);
    return t;
}

/* The time since which the data past the last commit has been waiting:
 * since the last commit when its stored lag says data was there already,
 * else since its arrival (above), never before the last commit. INT64_MAX
 * when nothing waits. */
static int64_t waiting_since(const ev_headring_t *heads, int below,
                             const ev_entry_t *last) {
    int64_t t;

    if (heads == NULL || heads->slots == NULL || heads->count == 0 ||
        below >= (int)heads->count - 1)
        return INT64_MAX;
    if (last->lag > 0) return last->timestamp_ms;
    t = arrival(heads, below, last->timestamp_ms);
    return t > last->timestamp_ms ? t : last->timestamp_ms;
}

/* Estimates the head at commit e's time (see ev_warren.h). */
static ALWAYS_INLINE void head_estimate(const hsum_t *hs, const ev_entry_t *e,
                                        pt_t *pt) {
    double c = (double)e->offset, t = hs_rel(hs, e->timestamp_ms);
    double lower = c + (e->lag > 0 ? (double)e->lag : 0.0);
    double h, v = 0.0;

    if (t >= hs->s1) {
        h = hs->h1 + hs->rate * (t - hs->s1); /* variance: per interval */
    } else if (t < hs->s0) {
        /* before the ring: the stored head was at most one refresh old */
        double spacing = hs->tspan / (double)(hs->n - 1);

        h = lower + hs->rate * spacing * 0.5;
        if (h > hs->h0) h = hs->h0;
        v = hs->rate * spacing;
    } else {
        const ev_head_t *a, *b;
        int64_t ts = e->timestamp_ms;
        double ta, tb, f, cnt, ex;

        /* s[0] <= t < s[n-1]: find s[j] <= t < s[j+1] (a = s[j], b =
         * s[j+1], 0 <= j <= n-2), walking from the nearer end of the ring:
         * forwards to the first b after t, or backwards to the first a at
         * or before it */
        if (t - hs->s0 < hs->s1 - t) {
            a = hs->oldest;
            b = hs_next(hs, a);
            while (b != hs->newest && b->timestamp_ms <= ts) {
                a = b;
                b = hs_next(hs, b);
            }
        } else {
            b = hs->newest;
            a = hs_prev(hs, b);
            while (a != hs->oldest && a->timestamp_ms > ts) {
                b = a;
                a = hs_prev(hs, a);
            }
        }
        ta = a == hs->oldest ? hs->s0 : hs_rel(hs, a->timestamp_ms);
        tb = b == hs->newest ? hs->s1 : hs_rel(hs, b->timestamp_ms);
        if (t == ta && tb > ta) {
            /* at a sample (the admin source samples heads and commits
             * together): what the bridge below gives with f = 0 */
            h = (double)a->offset;
        } else {
            cnt = (double)b->offset - (double)a->offset;
            if (cnt < 0) cnt = 0;
            f = tb > ta ? (t - ta) / (tb - ta) : 1.0;
            h = (double)a->offset + cnt * f;
            /* Poisson bridge between the samples; when the interval's
             * count departs from the ring's rate by more than 3 sigma (a
             * burst, or producers that went idle), where in it the
             * messages came is unknown: the variance of one jump of the
             * excess */
            ex = cnt - hs->rate * (tb - ta);
            v = cnt + (ex * ex > 9.0 * cnt ? ex * ex : 0.0);
            v *= f * (1.0 - f);
        }
    }
    if (h < lower) h = lower;
    pt->t = t;
    pt->c = c;
    pt->h = h;
    pt->v = v;
}

/* Variance of the lag growth between points x and y: the arrivals in the
 * span (Poisson), the rate's uncertainty over the part of the span past
 * the newest head sample, and both points' own estimates. */
static ALWAYS_INLINE double growth_var(const hsum_t *hs, const pt_t *x,
                                       const pt_t *y) {
    double T = y->t - x->t, dh = y->h - x->h, n = hs->rate * T, e;

    if (dh > n) /* the span's own count when it exceeds the ring's rate */
        n = dh;
    e = y->t - (x->t > hs->s1 ? x->t : hs->s1);
    /* the ring's rate, which extrapolates past the newest sample, is
     * itself a count over tspan: variance rate / tspan, times e^2 */
    if (e > 0) n += hs->rate * e * e * hs->inv_tspan;
    return n + x->v + y->v + 1.0;
}

/* Whether the lag grew from x to y by at least z standard deviations
 * (z > 0), without a square root. */
static inline int grew_by(const hsum_t *hs, const pt_t *x, const pt_t *y,
                          double z) {
    double g = (y->h - y->c) - (x->h - x->c);

    return g > 0 && g * g >= z * z * growth_var(hs, x, y);
}

static inline double lag_of(const pt_t *x) {
    return x->h - x->c;
}

/* A lag (>= 0 by construction) rounded to an integer, clamped. */
static int64_t to_i64(double x) {
    if (!(x > 0)) return 0; /* also NaN */
    if (x > 9.2e18) return INT64_MAX;
    return (int64_t)(x + 0.5);
}

/* The commit of seg+1..n-2 nearest time `target` (n - seg >= 3). */
static const ev_entry_t *commit_near(const ev_window_t *win, unsigned seg,
                                     unsigned n, int64_t target) {
    const ev_entry_t *best = entry_at(win, seg + 1);
    int64_t bd = INT64_MAX;
    unsigned i;

    for (i = seg + 1; i + 1 < n; i++) {
        const ev_entry_t *e = entry_at(win, i);
        int64_t d = ev_sat_sub(e->timestamp_ms, target);

        d = d < 0 ? (d == INT64_MIN ? INT64_MAX : -d) : d;
        if (d < bd) {
            bd = d;
            best = e;
        }
    }
    return best;
}

/* The commit of seg+1..n-2 nearest the middle of the span (n - seg >= 3):
 * commits come at a steady cadence, so the middle index is a good first
 * guess, and a short walk towards the middle time settles it. */
static const ev_entry_t *middle_commit(const ev_window_t *win, unsigned seg,
                                       unsigned n) {
    const ev_entry_t *ea = entry_at(win, seg), *eb = entry_at(win, n - 1);
    int64_t mid = ea->timestamp_ms / 2 + eb->timestamp_ms / 2;
    unsigned k = seg + (n - 1 - seg) / 2;
    const ev_entry_t *e = entry_at(win, k);

    if (e->timestamp_ms < mid) {
        while (k + 2 < n) {
            const ev_entry_t *x = entry_at(win, k + 1);

            if (ev_sat_sub(x->timestamp_ms, mid) >=
                ev_sat_sub(mid, e->timestamp_ms))
                break;
            e = x;
            k++;
        }
    } else {
        while (k > seg + 1) {
            const ev_entry_t *x = entry_at(win, k - 1);

            if (ev_sat_sub(mid, x->timestamp_ms) >=
                ev_sat_sub(e->timestamp_ms, mid))
                break;
            e = x;
            k--;
        }
    }
    return e;
}

/* Fills the rates a verdict reports over a span of T > 0 seconds in which
 * the head advanced dh, the consumer dc and the lag dl, with variance var
 * (> 0): one square root and one division, q = 1 / (T sigma). */
static ALWAYS_INLINE void report_rates(ev_result_t *out, double T, double dh,
                                       double dc, double dl, double var) {
    double sd = sqrt(var), q = 1.0 / (T * sd), inv_t = sd * q;

    out->rates_known = true;
    out->span_s = T;
    out->rate_producer = dh * inv_t;
    out->rate_consumer = dc * inv_t;
    out->rate_sigma = var * q;
    out->z = dl * T * q;
}

/* A mark as a point relative to hs->t_ref. */
static void mark_point(const ev_mark_t *mk, const hsum_t *hs, pt_t *x) {
    x->t = hs_rel(hs, mk->t_ms);
    x->c = (double)mk->offset;
    x->h = (double)mk->offset + (double)mk->lag;
    x->v = (double)(mk->var & EV_MARK_VAR_MAX);
}

/* The point nearest the middle of A..b for the long rule's halves: the
 * window's commit nearest it when the middle falls in the window, else
 * the checkpoint or the window's first commit nearest it. Returns 0 when
 * none lies strictly inside A..b. */
static int middle_point(const ev_window_t *win, unsigned seg, unsigned n,
                        const hsum_t *hs, const pt_t *A, const pt_t *a,
                        const pt_t *b, pt_t *M) {
    double mid = 0.5 * (A->t + b->t), best = INFINITY;
    int i, have = 0;
    pt_t x;

    if (mid >= a->t) {
        head_estimate(
            hs, commit_near(win, seg, n, hs->t_ref + (int64_t)(mid * 1000.0)),
            M);
        return M->t > A->t && M->t < b->t;
    }
    for (i = 0; i < 3; i++) {
        if (i == 2)
            x = *a;
        else if (win->ev.mid[i].var & EV_MARK_SET)
            mark_point(&win->ev.mid[i], hs, &x);
        else
            continue;
        if (x.t > A->t && x.t < b->t && fabs(x.t - mid) < best) {
            best = fabs(x.t - mid);
            *M = x;
            have = 1;
        }
    }
    return have;
}

/* Whether the lag grew at rates that agree within EV_WARREN_Z_WARN sigma
 * from x to m and from m to y (one deficit, not two steps of different
 * sizes). */
static int steady(const hsum_t *hs, const pt_t *x, const pt_t *m,
                  const pt_t *y) {
    double t1 = m->t - x->t, t2 = y->t - m->t;
    double r1 = (lag_of(m) - lag_of(x)) / t1, r2 = (lag_of(y) - lag_of(m)) / t2;
    double v =
        growth_var(hs, x, m) / (t1 * t1) + growth_var(hs, m, y) / (t2 * t2);

    return (r1 - r2) * (r1 - r2) <= EV_WARREN_Z_WARN * EV_WARREN_Z_WARN * v;
}

/* Rule 7 from start point S (a mark before the window) to the window's
 * end b: the lag grew by >= 3 sigma, and already to the commit before b;
 * by >= 1.5 sigma both from S to the point M nearest the middle of that
 * span and from M to b (a deficit that persists, not a step that arrived
 * once), at rates that agree (steady). Decides WARN and returns 1, else
 * returns 0 and leaves *out alone. */
static int long_from(const ev_window_t *win, unsigned seg, unsigned n,
                     const hsum_t *hs, const ev_mark_t *mk, const pt_t *a,
                     const pt_t *b, ev_result_t *out) {
    pt_t S, M, bp;

    if (!(mk->var & EV_MARK_SET)) return 0;
    mark_point(mk, hs, &S);
    if (!(S.t < a->t) || S.c > a->c || !grew_by(hs, &S, b, EV_WARREN_Z_WARN) ||
        !middle_point(win, seg, n, hs, &S, a, b, &M) ||
        !grew_by(hs, &S, &M, EV_WARREN_Z_HALF) ||
        !grew_by(hs, &M, b, EV_WARREN_Z_HALF))
        return 0;
    head_estimate(hs, entry_at(win, n - 2), &bp);
    if (!grew_by(hs, &S, &bp, EV_WARREN_Z_WARN) || !steady(hs, &S, &M, b))
        return 0;
    report_rates(out, b->t - S.t, b->h - S.h, b->c - S.c,
                 lag_of(b) - lag_of(&S), growth_var(hs, &S, b));
    ev_decide(out, EV_WARN, EV_RULE_FALLING_BEHIND, to_i64(lag_of(&S)),
              to_i64(lag_of(b)));
    return 1;
}

/* Rule 7 over the evidence beyond the window, from the anchor, else from
 * a checkpoint (when the deficit began well after the anchor, most of
 * anchor..now is flat and its first half shows nothing; starting at a
 * checkpoint nearer the onset finds it). */
static int long_rule(const ev_window_t *win, unsigned seg, unsigned n,
                     const hsum_t *hs, const pt_t *a, const pt_t *b,
                     ev_result_t *out) {
    return long_from(win, seg, n, hs, &win->ev.anchor, a, b, out) ||
           long_from(win, seg, n, hs, &win->ev.mid[0], a, b, out) ||
           long_from(win, seg, n, hs, &win->ev.mid[1], a, b, out);
}

/* Rule 7 on commits seg..n-1 (at least 3; first and last are commits 0
 * and n-1). The halves are only measured
 * when the whole span already crosses the WARN level. */
static void rate_rules(const ev_window_t *win, const ev_entry_t *first,
                       const ev_entry_t *last, unsigned seg, unsigned n,
                       const hsum_t *hs, ev_result_t *out) {
    double T, dl, var;
    pt_t a, m, b;
    ev_rule_t rule = EV_RULE_KEEPING_UP;
    ev_status_t st = EV_OK;

    head_estimate(hs, seg == 0 ? first : entry_at(win, seg), &a);
    head_estimate(hs, last, &b);
    T = b.t - a.t;
    if (!(T > 0)) {
        ev_decide(out, EV_OK, EV_RULE_KEEPING_UP, to_i64(lag_of(&a)),
                  to_i64(lag_of(&b)));
        return;
    }
    dl = lag_of(&b) - lag_of(&a);
    var = growth_var(hs, &a, &b);
    /* the verdict compares squares; z and sigma are only reported */
    if (dl > 0 && dl * dl >= EV_WARREN_Z_WARN * EV_WARREN_Z_WARN * var) {
        head_estimate(hs, middle_commit(win, seg, n), &m);
        if (m.t > a.t && b.t > m.t && grew_by(hs, &a, &m, EV_WARREN_Z_HALF) &&
            grew_by(hs, &m, &b, EV_WARREN_Z_HALF)) {
            st = EV_WARN;
            rule = EV_RULE_FALLING_BEHIND;
        }
    } else if (dl < 0 && dl * dl >= EV_WARREN_Z_HALF * EV_WARREN_Z_HALF * var) {
        rule = EV_RULE_DRAINING;
    }
    report_rates(out, T, b.h - a.h, b.c - a.c, dl, var);
    if (st == EV_OK && rule == EV_RULE_KEEPING_UP && seg == 0 &&
        long_rule(win, seg, n, hs, &a, &b, out))
        return;
    ev_decide(out, st, rule, to_i64(lag_of(&a)), to_i64(lag_of(&b)));
}

void ev_warren_decide(const ev_params_t *p, const ev_window_t *win,
                      const ev_headring_t *heads, int below, int64_t now_ms,
                      ev_result_t *out) {
    unsigned n = win->count, nh, need, seg;
    const ev_entry_t *first = entry_at(win, 0), *last = entry_at(win, n - 1);
    int64_t span = ev_sat_sub(last->timestamp_ms, first->timestamp_ms);
    int intervals = p->intervals >= 1 ? p->intervals : 1, drop;
    const ev_head_t *h_old, *h_new;
    hsum_t hs;

    nh = heads != NULL && heads->slots != NULL ? heads->count : 0;

    /* 2: stopped, against the group's own cadence */
    if (n >= EV_WARREN_MIN_COMMITS && out->current_lag > 0) {
        int64_t silence = ev_sat_sub(now_ms, last->timestamp_ms);

        if (silence > span) {
            int64_t allow = cadence_allowance(p, n, span, max_gap(win, n));
            int64_t since =
                silence > allow ? waiting_since(heads, below, last) : INT64_MAX;

            if (since != INT64_MAX && ev_sat_sub(now_ms, since) > allow) {
                ev_decide(out, EV_STOP, EV_RULE_STOPPED, silence, allow);
                out->span_s = (double)span / 1000.0;
                return;
            }
        }
    }
    /* 3: warming up */
    need = (unsigned)intervals > EV_WARREN_MIN_COMMITS ? (unsigned)intervals
                                                       : EV_WARREN_MIN_COMMITS;
    /* warming up reports complete < 1: the share of the evidence held */
    if (n < need) {
        ev_decide(out, EV_OK, EV_RULE_WARMING_UP, (int64_t)n, (int64_t)need);
        out->index = 0;
        out->complete = (double)n / need;
        return;
    }
    if (nh < 2) {
        ev_decide(out, EV_OK, EV_RULE_WARMING_UP, (int64_t)nh, 2);
        out->index = 1;
        out->complete = nh >= 1 ? 0.5 : 0.0;
        return;
    }
    h_old = head_at_idx(heads, 0);
    h_new = head_at_idx(heads, nh - 1);
    if (h_new->timestamp_ms <= h_old->timestamp_ms) {
        ev_decide(out, EV_OK, EV_RULE_WARMING_UP, (int64_t)nh, 2);
        out->index = 1;
        out->complete = 0.5;
        return;
    }
    /* 4: caught up */
    if (out->current_lag == 0) {
        ev_decide(out, EV_OK, EV_RULE_CAUGHT_UP, last->offset, h_new->offset);
        return;
    }
    drop = ev_window_last_drop(win);
    /* 5: stalled: the same offset across the full window (no step back,
     * first and last equal) while data waited from its first commit on
     * (stored with it, or the head ring says it had arrived by then) */
    if (drop < 0 && first->offset == last->offset) {
        int64_t ml = min_lag(win, n);

        if (ml > 0 || arrival(heads, below, INT64_MIN) <= first->timestamp_ms) {
            ev_decide(out, EV_STALL, EV_RULE_STALLED, last->offset, ml);
            out->span_s = (double)span / 1000.0;
            return;
        }
    }
    /* 6: rewound */
    seg = drop > 0 ? (unsigned)drop : 0;
    if (n - seg < EV_WARREN_MIN_COMMITS) {
        ev_decide(out, EV_OK, EV_RULE_REWOUND, entry_at(win, seg)->offset,
                  entry_at(win, seg - 1)->offset);
        out->index = (int)seg;
        return;
    }
    /* 7: rates */
    hsum_init(&hs, heads, h_old, h_new, nh, last->timestamp_ms);
    rate_rules(win, first, last, seg, n, &hs, out);
}

/* ---- evidence beyond the window ---- */

/* Folds commit o, falling off the window, into the evidence: o becomes
 * the anchor when there is none, after a rewind, or when its lag is at or
 * below the anchor's (the consumer caught up to where it was: a low-water
 * mark, so a lag that keeps growing keeps its anchor); else it becomes
 * the newest checkpoint once the time since the anchor has doubled since
 * the last one. */
static void fold(ev_evidence_t *ev, const ev_headring_t *heads,
                 const ev_entry_t *o) {
    unsigned nh = heads != NULL && heads->slots != NULL ? heads->count : 0;
    double lag = o->lag > 0 ? (double)o->lag : 0.0, v = 0.0;
    ev_mark_t mk, *an = &ev->anchor, *m1 = &ev->mid[1];

    if (nh >= 2 && head_at_idx(heads, nh - 1)->timestamp_ms >
                       head_at_idx(heads, 0)->timestamp_ms) {
        hsum_t hs;
        pt_t p;

        hsum_init(&hs, heads, head_at_idx(heads, 0), head_at_idx(heads, nh - 1),
                  nh, o->timestamp_ms);
        head_estimate(&hs, o, &p);
        lag = lag_of(&p);
        v = p.v;
    }
    mk.t_ms = o->timestamp_ms;
    mk.offset = o->offset;
    mk.lag = lag < 4294967295.0 ? (uint32_t)(lag > 0 ? lag + 0.5 : 0.0)
                                : 0xFFFFFFFFu;
    mk.var = EV_MARK_SET |
             (v < (double)EV_MARK_VAR_MAX ? (uint32_t)v : EV_MARK_VAR_MAX);
    if (!(an->var & EV_MARK_SET) || o->offset < an->offset ||
        o->timestamp_ms <= an->t_ms || mk.lag <= an->lag) {
        *an = mk;
        memset(ev->mid, 0, sizeof(ev->mid));
    } else if (!(m1->var & EV_MARK_SET)) {
        *m1 = mk;
    } else if (ev_sat_sub(mk.t_ms, an->t_ms) / 2 >=
               ev_sat_sub(m1->t_ms, an->t_ms)) {
        ev->mid[0] = *m1;
        *m1 = mk;
    }
}

void ev_warren_push(ev_window_t *win, const ev_headring_t *heads,
                    const ev_entry_t *e) {
    if (win->cap != 0 && win->count == win->cap)
        fold(&win->ev, heads, entry_at(win, 0));
    ev_window_push(win, e);
}

/* ---- explanations ---- */

/* A number of seconds or messages per second with sensible precision. */
static const char *fmt_num(char *b, size_t size, double x) {
    double a = fabs(x);

    if (a >= 100 || a == floor(a))
        snprintf(b, size, "%.0f", x);
    else if (a >= 10)
        snprintf(b, size, "%.1f", x);
    else
        snprintf(b, size, "%.2f", x);
    return b;
}

int ev_warren_explain(const ev_result_t *r, char *buf, size_t size) {
    char sp[32], rc[32], rp[32], d[32], sg[32], s1[32], s2[32];
    long long l = (long long)r->left, rt = (long long)r->right;

    fmt_num(sp, sizeof(sp), r->span_s);
    fmt_num(rc, sizeof(rc), r->rate_consumer);
    fmt_num(rp, sizeof(rp), r->rate_producer);
    fmt_num(d, sizeof(d), fabs(r->rate_producer - r->rate_consumer));
    fmt_num(sg, sizeof(sg), r->rate_sigma);
    switch (r->rule) {
    case EV_RULE_WARMING_UP:
        if (r->index == 1)
            return snprintf(buf, size,
                            "%lld head sample%s of the topic so far, %lld "
                            "needed to measure the producers' rate: "
                            "warming up, so OK",
                            l, l == 1 ? "" : "s", rt);
        return snprintf(buf, size,
                        "%lld of the %lld commits a judgement needs are in "
                        "the window: warming up, so OK",
                        l, rt);
    case EV_RULE_CAUGHT_UP:
        return snprintf(buf, size,
                        "the consumer committed offset %lld, at or past the "
                        "newest head offset %lld: caught up, so OK",
                        l, rt);
    case EV_RULE_KEEPING_UP:
        if (!r->rates_known)
            return snprintf(buf, size,
                            "the commits span no time to measure rates "
                            "over: keeping up, so OK");
        return snprintf(buf, size,
                        "over the last %s s the consumer committed %s msg/s "
                        "and the producers wrote %s msg/s, a difference of "
                        "%s +/- %s msg/s (%.1f sigma), within the arrival "
                        "noise: the consumer is keeping up",
                        sp, rc, rp, d, sg, r->z);
    case EV_RULE_DRAINING:
        return snprintf(buf, size,
                        "over the last %s s the consumer committed %s msg/s, "
                        "faster than the producers' %s msg/s (%s +/- %s "
                        "msg/s), and lag went from %lld to %lld: the "
                        "backlog is draining",
                        sp, rc, rp, d, sg, l, rt);
    case EV_RULE_FALLING_BEHIND:
        return snprintf(buf, size,
                        "over the last %s s the consumer committed %s msg/s "
                        "while the producers wrote %s msg/s: %s +/- %s msg/s "
                        "behind (%.1f sigma, and in both halves of the "
                        "window), lag from %lld to %lld: the consumer is "
                        "falling behind",
                        sp, rc, rp, d, sg, r->z, l, rt);
    case EV_RULE_STOPPED:
        fmt_num(s1, sizeof(s1), (double)r->left / 1000.0);
        fmt_num(s2, sizeof(s2), (double)r->right / 1000.0);
        return snprintf(buf, size,
                        "no commit for %s s while %lld messages wait, longer "
                        "than the %s s this group's commit cadence allows: "
                        "the consumer has stopped",
                        s1, (long long)r->current_lag, s2);
    case EV_RULE_STALLED:
        return snprintf(buf, size,
                        "the committed offset stayed at %lld across the "
                        "last %d commits (%s s) while data was waiting (lag "
                        "at least %lld): the consumer is stalled",
                        l, r->count, sp, rt);
    case EV_RULE_REWOUND:
        return snprintf(buf, size,
                        "the committed offset went back from %lld to %lld at "
                        "commit %d of %d and the consumer is re-reading: too "
                        "few commits since to judge, so OK",
                        rt, l, r->index + 1, r->count);
    default:
        break;
    }
    return -1;
}
