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

#include "evaluator/ev_rules_int.h"
#include "evaluator/ev_warren.h"

/* What rule 2..7 read off the commit window in one pass. */
typedef struct wscan_s {
    int last_drop;   /* last index i with offset[i] < offset[i-1], or -1 */
    int flat;        /* every offset equal */
    int64_t min_lag; /* smallest stored lag */
    int64_t max_gap; /* longest time between two commits, ms */
} wscan_t;

/* The head ring, summarised. Times in seconds relative to t_ref. */
typedef struct hsum_s {
    const ev_headring_t *ring;
    unsigned n;
    double s0, s1; /* oldest and newest sample time */
    double h0, h1; /* their offsets */
    double rate;   /* (h1 - h0) / (s1 - s0), >= 0 */
    double tspan;  /* s1 - s0, > 0 */
    double inv_tspan;
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

static inline double rel_s(int64_t t, int64_t ref) {
    return (double)ev_sat_sub(t, ref) * 1e-3;
}

/* Folds entries e[0..len) into *ws; *prev carries the previous entry
 * across the two linear spans of the ring. */
static inline void scan_span(const ev_entry_t *e, unsigned len, unsigned base,
                             const ev_entry_t **prev, wscan_t *ws) {
    const ev_entry_t *pv = *prev;
    int64_t min = ws->min_lag, maxg = ws->max_gap;
    int drop = ws->last_drop, flat = ws->flat;
    unsigned k;

    for (k = 0; k < len; k++) {
        int64_t gap = ev_sat_sub(e[k].timestamp_ms, pv->timestamp_ms);

        drop = e[k].offset < pv->offset ? (int)(base + k) : drop;
        flat &= e[k].offset == pv->offset;
        min = e[k].lag < min ? e[k].lag : min;
        maxg = gap > maxg ? gap : maxg;
        pv = &e[k];
    }
    *prev = pv;
    ws->min_lag = min;
    ws->max_gap = maxg;
    ws->last_drop = drop;
    ws->flat = flat;
}

static void scan_window(const ev_window_t *win, unsigned n, wscan_t *ws) {
    const ev_entry_t *first = win->slots + win->start, *prev = first;
    unsigned len_a = (unsigned)win->cap - win->start;

    if (len_a > n) len_a = n;
    ws->last_drop = -1;
    ws->flat = 1;
    ws->min_lag = first->lag;
    ws->max_gap = 0;
    scan_span(first + 1, len_a - 1, 1, &prev, ws);
    scan_span(win->slots, n - len_a, len_a, &prev, ws);
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

/* The time since which the data past the last commit has been waiting:
 * since the last commit when its stored lag says data was there already.
 * Else the data arrived after the newest head sample at or below the
 * last committed offset (or the last commit, if later) and by the next
 * sample: with producers writing r msg/s before it (the ring up to that
 * sample), the first message is expected 1/r after that; with no rate
 * seen (an idle topic) only the sample that showed it counts. When every
 * sample is above the offset, the data was there by the oldest one.
 * Never before the last commit. INT64_MAX when nothing waits. */
static int64_t waiting_since(const ev_headring_t *heads, int below,
                             const ev_entry_t *last) {
    const ev_head_t *h0, *hb, *ha;
    int64_t from, t;
    double r = 0.0;

    if (heads == NULL || heads->slots == NULL || heads->count == 0 ||
        below >= (int)heads->count - 1)
        return INT64_MAX; /* the newest head is at or below: nothing waits */
    if (last->lag > 0) return last->timestamp_ms;
    h0 = head_at_idx(heads, 0);
    ha = head_at_idx(heads, (unsigned)(below + 1));
    from = last->timestamp_ms;
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
    if (r > 0 && (double)from + 1000.0 / r < (double)t)
        t = from + (int64_t)(1000.0 / r);
    return t > last->timestamp_ms ? t : last->timestamp_ms;
}

/* Estimates the head at commit e's time (see ev_warren.h). */
static void head_estimate(const hsum_t *hs, const ev_entry_t *e, pt_t *pt) {
    double c = (double)e->offset, t = rel_s(e->timestamp_ms, hs->t_ref);
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
        unsigned j;
        double ta, tb, f, cnt;

        /* s[0] <= t < s[n-1]: find s[j] <= t < s[j+1], walking from the
         * nearer end of the ring */
        if (t - hs->s0 < hs->s1 - t) {
            j = 0;
            while (j + 2 < hs->n &&
                   head_at_idx(hs->ring, j + 1)->timestamp_ms <=
                       e->timestamp_ms)
                j++;
        } else {
            j = hs->n - 1;
            do
                j--;
            while (j > 0 &&
                   head_at_idx(hs->ring, j)->timestamp_ms > e->timestamp_ms);
        }
        a = head_at_idx(hs->ring, j);
        b = head_at_idx(hs->ring, j + 1);
        ta = rel_s(a->timestamp_ms, hs->t_ref);
        tb = rel_s(b->timestamp_ms, hs->t_ref);
        cnt = (double)b->offset - (double)a->offset;
        if (cnt < 0) cnt = 0;
        f = tb > ta ? (t - ta) / (tb - ta) : 1.0;
        h = (double)a->offset + cnt * f;
        v = cnt * f * (1.0 - f); /* Poisson bridge between the samples */
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
static double growth_var(const hsum_t *hs, const pt_t *x, const pt_t *y) {
    double T = y->t - x->t, dh = y->h - x->h, n = hs->rate * T, e;

    if (dh > n) /* the span's own count when it exceeds the ring's rate */
        n = dh;
    e = y->t - (x->t > hs->s1 ? x->t : hs->s1);
    /* rate uncertainty past the newest sample: (n / T) * e^2 / tspan */
    if (e > 0 && T > 0) n += n / T * e * e * hs->inv_tspan;
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

/* The commit of seg+1..n-2 nearest the middle of the span (n - seg >= 3). */
static const ev_entry_t *middle_commit(const ev_window_t *win, unsigned seg,
                                       unsigned n) {
    const ev_entry_t *ea = entry_at(win, seg), *eb = entry_at(win, n - 1);
    const ev_entry_t *best = entry_at(win, seg + 1);
    int64_t mid = ea->timestamp_ms / 2 + eb->timestamp_ms / 2, bd = INT64_MAX;
    unsigned i;

    for (i = seg + 1; i + 1 < n; i++) {
        const ev_entry_t *e = entry_at(win, i);
        int64_t d = ev_sat_sub(e->timestamp_ms, mid);

        d = d < 0 ? (d == INT64_MIN ? INT64_MAX : -d) : d;
        if (d < bd) {
            bd = d;
            best = e;
        }
    }
    return best;
}

/* Rule 7 on commits seg..n-1 (at least 3). The halves are only measured
 * when the whole span already crosses the WARN level. */
static void rate_rules(const ev_window_t *win, unsigned seg, unsigned n,
                       const hsum_t *hs, ev_result_t *out) {
    double T, sd, z, dl, inv_t;
    pt_t a, m, b;
    ev_rule_t rule = EV_RULE_KEEPING_UP;
    ev_status_t st = EV_OK;

    head_estimate(hs, entry_at(win, seg), &a);
    head_estimate(hs, entry_at(win, n - 1), &b);
    T = b.t - a.t;
    if (!(T > 0)) {
        ev_decide(out, EV_OK, EV_RULE_KEEPING_UP, to_i64(lag_of(&a)),
                  to_i64(lag_of(&b)));
        return;
    }
    dl = lag_of(&b) - lag_of(&a);
    sd = sqrt(growth_var(hs, &a, &b));
    z = dl / sd;
    inv_t = 1.0 / T;
    out->rates_known = true;
    out->span_s = T;
    out->rate_producer = (b.h - a.h) * inv_t;
    out->rate_consumer = (b.c - a.c) * inv_t;
    out->rate_sigma = sd * inv_t;
    out->z = z;
    if (z >= EV_WARREN_Z_WARN) {
        head_estimate(hs, middle_commit(win, seg, n), &m);
        if (m.t > a.t && b.t > m.t && grew_by(hs, &a, &m, EV_WARREN_Z_HALF) &&
            grew_by(hs, &m, &b, EV_WARREN_Z_HALF)) {
            st = EV_WARN;
            rule = EV_RULE_FALLING_BEHIND;
        }
    } else if (z <= -EV_WARREN_Z_HALF) {
        rule = EV_RULE_DRAINING;
    }
    ev_decide(out, st, rule, to_i64(lag_of(&a)), to_i64(lag_of(&b)));
}

void ev_warren_decide(const ev_params_t *p, const ev_window_t *win,
                      const ev_headring_t *heads, int below, int64_t now_ms,
                      ev_result_t *out) {
    unsigned n = win->count, nh, need, seg;
    const ev_entry_t *first = entry_at(win, 0), *last = entry_at(win, n - 1);
    int64_t span = ev_sat_sub(last->timestamp_ms, first->timestamp_ms);
    int intervals = p->intervals >= 1 ? p->intervals : 1;
    wscan_t ws;
    hsum_t hs;

    scan_window(win, n, &ws);
    nh = heads != NULL && heads->slots != NULL ? heads->count : 0;

    /* 2: stopped, against the group's own cadence */
    if (n >= EV_WARREN_MIN_COMMITS && out->current_lag > 0) {
        int64_t silence = ev_sat_sub(now_ms, last->timestamp_ms);
        int64_t allow =
            silence > span ? cadence_allowance(p, n, span, ws.max_gap) : span;
        int64_t since =
            silence > allow ? waiting_since(heads, below, last) : INT64_MAX;

        if (since != INT64_MAX && ev_sat_sub(now_ms, since) > allow) {
            ev_decide(out, EV_STOP, EV_RULE_STOPPED, silence, allow);
            out->span_s = (double)span / 1000.0;
            return;
        }
    }
    /* 3: warming up */
    need = (unsigned)intervals > EV_WARREN_MIN_COMMITS ? (unsigned)intervals
                                                       : EV_WARREN_MIN_COMMITS;
    if (n < need) {
        ev_decide(out, EV_OK, EV_RULE_WARMING_UP, (int64_t)n, (int64_t)need);
        out->index = 0;
        return;
    }
    if (nh < 2 || head_at_idx(heads, nh - 1)->timestamp_ms <=
                      head_at_idx(heads, 0)->timestamp_ms) {
        ev_decide(out, EV_OK, EV_RULE_WARMING_UP, (int64_t)nh, 2);
        out->index = 1;
        return;
    }
    /* 4: caught up */
    if (out->current_lag == 0) {
        ev_decide(out, EV_OK, EV_RULE_CAUGHT_UP, last->offset,
                  head_at_idx(heads, nh - 1)->offset);
        return;
    }
    /* 5: stalled */
    if (ws.flat && ws.min_lag > 0) {
        ev_decide(out, EV_STALL, EV_RULE_STALLED, last->offset, ws.min_lag);
        out->span_s = (double)span / 1000.0;
        return;
    }
    /* 6: rewound */
    seg = ws.last_drop > 0 ? (unsigned)ws.last_drop : 0;
    if (n - seg < EV_WARREN_MIN_COMMITS) {
        ev_decide(out, EV_OK, EV_RULE_REWOUND, entry_at(win, seg)->offset,
                  entry_at(win, seg - 1)->offset);
        out->index = (int)seg;
        return;
    }
    /* 7: rates */
    hs.ring = heads;
    hs.n = nh;
    hs.t_ref = last->timestamp_ms;
    hs.s0 = rel_s(head_at_idx(heads, 0)->timestamp_ms, hs.t_ref);
    hs.s1 = rel_s(head_at_idx(heads, nh - 1)->timestamp_ms, hs.t_ref);
    hs.h0 = (double)head_at_idx(heads, 0)->offset;
    hs.h1 = (double)head_at_idx(heads, nh - 1)->offset;
    hs.tspan = hs.s1 - hs.s0;
    hs.inv_tspan = 1.0 / hs.tspan;
    hs.rate = hs.h1 > hs.h0 ? (hs.h1 - hs.h0) / hs.tspan : 0.0;
    rate_rules(win, seg, n, &hs, out);
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
