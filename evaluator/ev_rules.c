/* SPDX-License-Identifier: Apache-2.0 */
/* ev_rules: the common part of every evaluation and Burrow's rules.
 *
 * One call walks the head ring backwards to the newest sample at or below
 * the last commit (STOP suppression and the time-lag bracket in one go),
 * fills what both rule sets report (complete, current lag, time lag,
 * drain), then hands over to the rule set chosen in the parameters:
 * ev_warren_decide (ev_warren.c) or Burrow's rules below. Burrow's rules
 * fold the commit window, only when rules 1-3 did not decide, into
 * two flags and the minimum lag in one branch-free pass. Rewinds are
 * rare, so their position gets its own pass only when a drop was seen. Rings
 * are walked as two linear spans (start..cap, then 0..rest) so the hot
 * loops carry no modulo. Windows hold a few dozen entries at most, so a
 * straight scan beats any incremental bookkeeping in the store. Integer
 * differences saturate instead of overflowing, so hostile offsets or
 * timestamps cannot trigger undefined behaviour.
 */
#include <stddef.h>
#include <stdio.h>

#include "evaluator/ev_rules.h"
#include "evaluator/ev_rules_int.h"
#include "evaluator/ev_warren.h"

#define sat_sub ev_sat_sub
#define ring_idx ev_ring_idx
#define decide ev_decide

/* x * 1e6 rounded, clamped so the conversion is always defined. */
static int64_t to_ppm(double x) {
    double v = x * 1e6;

    if (!(v > -1e15))
        return v < 0 ? -1000000000000000LL : 0; /* -huge, or NaN -> 0 */
    if (v > 1e15) return 1000000000000000LL;
    return (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
}

void ev_params_default(ev_params_t *p) {
    p->intervals = 10;
    p->allowed_lag = 0;
    p->minimum_complete = 0.0;
    p->rules = EV_RULES_WARREN;
}

/* Logical index of the newest head <= committed, or -1. Walks backwards
 * (wrapped span, then the span from start) and stops at the first hit:
 * with a growing head this is the bracket the time lag needs, found after
 * a few samples, and its existence answers rule 3's "some head <= the
 * last committed offset" without a second pass. */
static int newest_head_at_or_below(const ev_headring_t *heads,
                                   int64_t committed) {
    const ev_head_t *s = heads->slots;
    unsigned n = heads->count, len_a = (unsigned)heads->cap - heads->start;
    int j;

    if (len_a > n) len_a = n;
    for (j = (int)(n - len_a) - 1; j >= 0; j--)
        if (s[j].offset <= committed) return (int)len_a + j;
    s += heads->start;
    for (j = (int)len_a - 1; j >= 0; j--)
        if (s[j].offset <= committed) return j;
    return -1;
}

/* What one pass over the commit window learns (rules 4 and 5). Whether
 * every offset is equal follows from the others: a window with no drop
 * whose first and last offsets match is flat. "Every lag > allowed_lag"
 * is "the smallest lag > allowed_lag". */
typedef struct win_flags_s {
    int drop;         /* some offset < the one before it */
    int any_decrease; /* some lag < the one before it */
    int64_t min_lag;  /* smallest lag in the window */
} win_flags_t;

/* Folds entries e[0..len) into the flags; *po and *pl carry the previous
 * entry's offset and lag across the two spans. Branch-free. */
static inline void flag_span(const ev_entry_t *e, unsigned len, int64_t *po,
                             int64_t *pl, win_flags_t *f) {
    int64_t prev_off = *po, prev_lag = *pl, min = f->min_lag;
    int drop = f->drop, dec = f->any_decrease;
    unsigned k;

    for (k = 0; k < len; k++) {
        int64_t off = e[k].offset, lag = e[k].lag;

        drop |= off < prev_off;
        dec |= lag < prev_lag;
        min = lag < min ? lag : min;
        prev_off = off;
        prev_lag = lag;
    }
    *po = prev_off;
    *pl = prev_lag;
    f->drop = drop;
    f->any_decrease = dec;
    f->min_lag = min;
}

static void flag_window(const ev_window_t *win, win_flags_t *f) {
    const ev_entry_t *s = win->slots, *first = s + win->start;
    unsigned n = win->count, len_a = (unsigned)win->cap - win->start;
    int64_t po = first->offset, pl = first->lag;

    if (len_a > n) len_a = n;
    f->drop = 0;
    f->any_decrease = 0;
    f->min_lag = first->lag;
    /* entry 0 seeded the flags; walk 1..len_a-1, then the wrapped part */
    flag_span(first + 1, len_a - 1, &po, &pl, f);
    flag_span(s, n - len_a, &po, &pl, f);
}

/* Rule 4 in detail, run only when flag_window saw a drop: the first i >= 1
 * with offset[i] < offset[i-1], and whether a later offset got back to
 * offset[i-1]. Returns i when it never got back, else -1. */
static int find_rewind(const ev_window_t *win, int64_t *off_i,
                       int64_t *off_prev) {
    const ev_entry_t *s = win->slots, *end = s + win->cap;
    const ev_entry_t *e = s + win->start;
    unsigned n = win->count, i, j;
    int64_t mark = e->offset;

    for (i = 1; i < n; i++) {
        if (++e == end) e = s;
        if (e->offset < mark) break;
        mark = e->offset;
    }
    if (i >= n) return -1;
    *off_i = e->offset;
    *off_prev = mark;
    for (j = i + 1; j < n; j++) {
        if (++e == end) e = s;
        if (e->offset >= mark) return -1;
    }
    return (int)i;
}

/* Fills the time-lag estimate; `below` is newest_head_at_or_below(). */
static void time_lag(const ev_headring_t *heads, int below, int64_t newest,
                     int64_t committed, int64_t now_ms, ev_result_t *out) {
    const ev_head_t *a, *b;
    double t, dt;

    if (committed >= newest) {
        out->time_lag_known = true; /* caught up: 0 */
        return;
    }
    if (below < 0) return; /* produced before the oldest sample: unknown */
    /* a is the newest sample <= committed and not the newest sample (that
     * would mean caught up), so b exists and b.offset > committed. */
    a = &heads->slots[ring_idx(heads->start, heads->cap, (unsigned)below)];
    b = &heads->slots[ring_idx(heads->start, heads->cap, (unsigned)below + 1u)];
    if (b->offset <= a->offset) return;
    t = (double)a->timestamp_ms +
        ((double)committed - (double)a->offset) *
            ((double)b->timestamp_ms - (double)a->timestamp_ms) /
            ((double)b->offset - (double)a->offset);
    dt = (double)now_ms - t;
    out->time_lag_s = dt > 0 ? dt / 1000.0 : 0.0;
    out->time_lag_known = true;
}

static void drain(const ev_entry_t *first, const ev_entry_t *last,
                  ev_result_t *out) {
    double rate;

    if (!(first->lag > last->lag && last->timestamp_ms > first->timestamp_ms))
        return;
    rate =
        ((double)first->lag - (double)last->lag) /
        (((double)last->timestamp_ms - (double)first->timestamp_ms) / 1000.0);
    out->drain_rate = rate;
    out->eta_s = (double)out->current_lag / rate;
    out->eta_known = true;
}

/* The verdict itself; ev_evaluate settles the ETA after it. */
static void judge(const ev_params_t *p, const ev_window_t *win,
                  const ev_headring_t *heads, int64_t now_ms,
                  ev_result_t *out) {
    ev_params_t defaults;
    const ev_entry_t *first, *last;
    win_flags_t f;
    unsigned n = win != NULL && win->slots != NULL ? win->count : 0;
    int intervals, below = -1;

    if (p == NULL) {
        ev_params_default(&defaults);
        p = &defaults;
    }
    out->status = EV_OK;
    out->rule = EV_RULE_NO_COMMITS;
    out->complete = 0.0;
    out->current_lag = 0;
    out->left = 0;
    out->right = 0;
    out->index = -1;
    out->time_lag_s = 0.0;
    out->time_lag_known = false;
    out->drain_rate = 0.0;
    out->eta_s = 0.0;
    out->eta_known = false;
    out->count = (int)n;
    out->rules =
        p->rules == EV_RULES_BURROW ? EV_RULES_BURROW : EV_RULES_WARREN;
    out->rates_known = false;
    out->rate_consumer = 0.0;
    out->rate_producer = 0.0;
    out->rate_sigma = 0.0;
    out->z = 0.0;
    out->span_s = 0.0;

    /* 1: no commits */
    if (n == 0) return;
    intervals = p->intervals >= 1 ? p->intervals : 1;
    out->complete = n >= (unsigned)intervals ? 1.0 : (double)n / intervals;
    first = &win->slots[win->start];
    last = &win->slots[ring_idx(win->start, win->cap, n - 1u)];

    if (heads != NULL && heads->slots != NULL && heads->count > 0) {
        int64_t newest, lag;

        newest =
            heads->slots[ring_idx(heads->start, heads->cap, heads->count - 1u)]
                .offset;
        below = newest_head_at_or_below(heads, last->offset);
        lag = sat_sub(newest, last->offset);
        out->current_lag = lag > 0 ? lag : 0;
        time_lag(heads, below, newest, last->offset, now_ms, out);
    }
    drain(first, last, out);
    if (out->rules == EV_RULES_WARREN) {
        ev_warren_decide(p, win, heads, below, now_ms, out);
        return;
    }

    /* 1: too few commits to judge */
    if (out->complete < p->minimum_complete) {
        decide(out, EV_OK, EV_RULE_INCOMPLETE, to_ppm(out->complete),
               to_ppm(p->minimum_complete));
        return;
    }
    /* 2: lag within what is allowed */
    if (out->current_lag <= p->allowed_lag) {
        decide(out, EV_OK, EV_RULE_CURRENT_LAG_ALLOWED, out->current_lag,
               p->allowed_lag);
        return;
    }
    /* 3: no commit for longer than the window spans, and no head sample
     * at or below the last commit (below >= 0 means there is one) */
    {
        int64_t since = sat_sub(now_ms, last->timestamp_ms);
        int64_t span = sat_sub(last->timestamp_ms, first->timestamp_ms);

        if (since > span && below < 0) {
            decide(out, EV_STOP, EV_RULE_STOP, since, span);
            return;
        }
    }
    flag_window(win, &f);
    /* 4: went backwards and never got back */
    if (f.drop) {
        int64_t off_i = 0, off_prev = 0;
        int i = find_rewind(win, &off_i, &off_prev);

        if (i >= 1) {
            decide(out, EV_REWIND, EV_RULE_REWIND, off_i, off_prev);
            out->index = i;
            return;
        }
    }
    /* 5: lagging in every commit */
    if (f.min_lag > p->allowed_lag) {
        if (!f.drop && first->offset == last->offset) {
            decide(out, EV_STALL, EV_RULE_STALL, first->offset, f.min_lag);
            return;
        }
        if (!f.any_decrease) {
            decide(out, EV_WARN, EV_RULE_LAG_NOT_DECREASING, first->lag,
                   last->lag);
            return;
        }
    }
    /* 6 */
    decide(out, EV_OK, EV_RULE_LAG_DECREASING, first->lag, last->lag);
}

/* An ETA only while the lag really shrinks: never for WARN or ERR (a
 * stopped or stalled consumer's stored lags can fall only because the
 * heads they were measured against are old). The warren rules give it
 * when they found the group draining, from their time-aligned rates; the
 * burrow rules keep the drain of the stored lags. */
static void settle_eta(ev_result_t *out) {
    double d = out->rate_consumer - out->rate_producer;

    if (out->status != EV_OK || out->current_lag <= 0) {
        out->eta_known = false;
    } else if (out->rules == EV_RULES_WARREN) {
        out->eta_known =
            out->rule == EV_RULE_DRAINING && out->rates_known && d > 0;
        if (out->eta_known) {
            out->drain_rate = d;
            out->eta_s = (double)out->current_lag / d;
        }
    }
    if (!out->eta_known) {
        out->drain_rate = 0.0;
        out->eta_s = 0.0;
    }
}

void ev_evaluate(const ev_params_t *p, const ev_window_t *win,
                 const ev_headring_t *heads, int64_t now_ms, ev_result_t *out) {
    judge(p, win, heads, now_ms, out);
    settle_eta(out);
}

/* Writes ms as seconds: "60" for 60000, "1.5" for 1500. */
static void fmt_secs(char *b, size_t size, int64_t ms) {
    if (ms % 1000 == 0)
        snprintf(b, size, "%lld", (long long)(ms / 1000));
    else
        snprintf(b, size, "%.1f", (double)ms / 1000.0);
}

/* "the last 10 commits", or "the only commit" for one. */
static void fmt_commits(char *b, size_t size, int count) {
    if (count == 1)
        snprintf(b, size, "the only commit");
    else
        snprintf(b, size, "the last %d commits", count);
}

int ev_explain(const ev_result_t *r, char *buf, size_t size) {
    char s1[40], s2[40], cm[40];
    long long l = (long long)r->left, rt = (long long)r->right;

    fmt_commits(cm, sizeof(cm), r->count);
    switch (r->rule) {
    case EV_RULE_NO_COMMITS:
        return snprintf(buf, size,
                        "no commits in the window yet: nothing to judge, "
                        "so OK");
    case EV_RULE_INCOMPLETE:
        return snprintf(buf, size,
                        "the window is only %.4g%% full (%d commit%s), "
                        "below the %.4g%% minimum: too early to judge, "
                        "so OK",
                        (double)r->left / 1e4, r->count,
                        r->count == 1 ? "" : "s", (double)r->right / 1e4);
    case EV_RULE_CURRENT_LAG_ALLOWED:
        return snprintf(buf, size,
                        "current lag %lld is within the allowed lag of "
                        "%lld: the consumer is keeping up",
                        l, rt);
    case EV_RULE_STOP:
        fmt_secs(s1, sizeof(s1), r->left);
        fmt_secs(s2, sizeof(s2), r->right);
        return snprintf(buf, size,
                        "no commit for %s s, longer than the %s s the "
                        "window spans: the consumer has stopped",
                        s1, s2);
    case EV_RULE_REWIND:
        return snprintf(buf, size,
                        "the committed offset went back from %lld to %lld "
                        "at commit %d of %d and never got back: the "
                        "consumer rewound",
                        rt, l, r->index + 1, r->count);
    case EV_RULE_STALL:
        if (r->count == 1)
            return snprintf(buf, size,
                            "the only commit is at offset %lld with lag "
                            "%lld and nothing moved since: the consumer "
                            "is stalled",
                            l, rt);
        return snprintf(buf, size,
                        "the committed offset stayed at %lld across %s "
                        "while lag was at least %lld: the consumer is "
                        "stalled",
                        l, cm, rt);
    case EV_RULE_LAG_NOT_DECREASING:
        return snprintf(buf, size,
                        "lag grew or held in each of %s (from %lld to "
                        "%lld): the consumer is slower than the producers",
                        cm, l, rt);
    case EV_RULE_LAG_DECREASING:
        /* The rule saw a drop between two commits or a commit within the
         * allowed lag; only a lower last lag means lag fell overall. */
        if (rt < l)
            return snprintf(buf, size,
                            "lag fell during %s (from %lld to %lld): the "
                            "consumer is keeping up",
                            cm, l, rt);
        return snprintf(buf, size,
                        "lag went from %lld to %lld during %s but did not "
                        "grow or hold at every one (it dropped at least "
                        "once or was within the allowed lag): the consumer "
                        "is keeping up",
                        l, rt, cm);
    case EV_RULE_WARMING_UP:
    case EV_RULE_CAUGHT_UP:
    case EV_RULE_KEEPING_UP:
    case EV_RULE_DRAINING:
    case EV_RULE_FALLING_BEHIND:
    case EV_RULE_STOPPED:
    case EV_RULE_STALLED:
    case EV_RULE_REWOUND:
        return ev_warren_explain(r, buf, size);
    case EV_RULE_DATA_LOSS:
        return snprintf(buf, size,
                        "the committed offset %lld is below the log start "
                        "%lld: retention deleted %lld records the group had "
                        "not read (data loss)",
                        rt, l, l - rt);
    case EV_RULE__COUNT:
        break;
    }
    return snprintf(buf, size, "status %s decided by an unknown rule",
                    ev_status_name(r->status));
}
