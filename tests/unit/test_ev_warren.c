/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for ev_warren: every warren rule and its boundary (warm-up,
 * single-entry windows, stop against the group's cadence, stall, rewind,
 * the rate rules on busy and low-rate topics, stale heads, bursts), the
 * numbers each verdict carries, the sentences, ring rotations, and the
 * rule-set vocabulary.
 *
 * Most cases are built by a small deterministic model: producers append
 * at a rate, the consumer's position follows its own function, heads are
 * sampled every `refresh` ms and commits every `cadence` ms, and the lag
 * stored with each commit is computed against the newest head sample at
 * that moment, exactly as the store does.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "evaluator/ev_rules.h"
#include "evaluator/ev_status.h"
#include "evaluator/ev_warren.h"
#include "evaluator/ev_window.h"

#define T0 1700000000000LL
#define CAP 64

typedef struct model_s {
    ev_entry_t es[CAP];
    ev_head_t hs[CAP];
    ev_window_t win;
    ev_headring_t ring;
    int64_t end; /* time of the last commit */
} model_t;

/* Offsets as functions of the seconds since T0. */
typedef double (*pos_fn)(double t);

/* Pushes heads every refresh ms and commits every cadence ms, from T0 to
 * T0 + dur_ms (both at T0), into rings of `cap` (window) and `hcap`
 * (heads). A commit at the same ms as a head sees it. */
static void build_ev(model_t *m, int cap, int hcap, pos_fn head, pos_fn cons,
                     int64_t cadence, int64_t refresh, int64_t dur_ms,
                     int evidence) {
    int64_t t, next_h = 0, next_c = 0, newest = -1;

    ev_window_init(&m->win, m->es, (uint16_t)cap);
    ev_headring_init(&m->ring, m->hs, (uint16_t)hcap);
    for (t = 0; t <= dur_ms; t++) {
        if (t == next_h) {
            ev_head_t h = {(int64_t)floor(head(t / 1000.0)), T0 + t};

            ev_headring_push(&m->ring, &h);
            newest = h.offset;
            next_h += refresh;
        }
        if (t == next_c) {
            int64_t off = (int64_t)floor(cons(t / 1000.0));
            ev_entry_t e = {off, T0 + t, newest - off > 0 ? newest - off : 0};

            if (evidence)
                ev_warren_push(&m->win, &m->ring, &e);
            else
                ev_window_push(&m->win, &e);
            m->end = T0 + t;
            next_c += cadence;
        }
        if (next_h > t && next_c > t) {
            int64_t nx = next_h < next_c ? next_h : next_c;

            t = nx - 1;
        }
    }
}

/* As the store does: every commit through ev_warren_push, so the window
 * carries its evidence beyond itself. */
static void build(model_t *m, int cap, int hcap, pos_fn head, pos_fn cons,
                  int64_t cadence, int64_t refresh, int64_t dur_ms) {
    build_ev(m, cap, hcap, head, cons, cadence, refresh, dur_ms, 1);
}

static void eval(const model_t *m, int intervals, int64_t now, ev_result_t *r) {
    ev_params_t p;

    ev_params_default(&p);
    p.intervals = intervals;
    memset(r, 0xa5, sizeof(*r));
    ev_evaluate(&p, &m->win, &m->ring, now, r);
}

static void eval_burrow(const model_t *m, int intervals, int64_t now,
                        ev_result_t *r) {
    ev_params_t p;

    ev_params_default(&p);
    p.intervals = intervals;
    p.rules = EV_RULES_BURROW;
    ev_evaluate(&p, &m->win, &m->ring, now, r);
}

#define ASSERT_VERDICT(r, st, rl)                                              \
    cr_assert((r).status == (st) && (r).rule == (rl),                          \
              "got %s (%s), want %s (%s); z %.2f", ev_status_name((r).status), \
              ev_rule_name((r).rule), ev_status_name(st), ev_rule_name(rl),    \
              (r).z)

/* ---- producers and consumers ---- */

static double prod_100(double t) {
    return 100000 + 100 * t;
}
/* healthy: 150 messages in flight behind the head */
static double cons_inflight(double t) {
    return 100000 + 100 * t - 150;
}
static double cons_quarter(double t) {
    return 100000 + 25 * t;
}
static double cons_70(double t) {
    return 100000 + 70 * t;
}
static double prod_1(double t) {
    return 5000 + 1.0 * t;
}
static double cons_half(double t) {
    return 5000 + 0.5 * t;
}
static double cons_1_lag2(double t) {
    return 5000 + 1.0 * t - 2;
}
static double flat_5000(double t) {
    (void)t;
    return 5000;
}
static double cons_same_as_prod(double t) {
    return prod_100(t);
}

/* ---- vocabulary ---- */

Test(ev_warren, rule_set_names_round_trip) {
    ev_rules_t r = EV_RULES_BURROW;

    cr_assert_str_eq(ev_rules_name(EV_RULES_WARREN), "warren");
    cr_assert_str_eq(ev_rules_name(EV_RULES_BURROW), "burrow");
    cr_assert_str_eq(ev_rules_name((ev_rules_t)7), "unknown");
    cr_assert_eq(ev_rules_parse("warren", &r), 0);
    cr_assert_eq(r, EV_RULES_WARREN);
    cr_assert_eq(ev_rules_parse("burrow", &r), 0);
    cr_assert_eq(r, EV_RULES_BURROW);
    cr_assert_eq(ev_rules_parse("Burrow", &r), -1);
    cr_assert_eq(ev_rules_parse("", &r), -1);
    cr_assert_eq(ev_rules_parse(NULL, &r), -1);
    cr_assert_eq(r, EV_RULES_BURROW, "untouched on failure");
}

Test(ev_warren, warren_rule_ids_are_stable) {
    static const struct {
        ev_rule_t rule;
        const char *name;
    } ids[] = {
        {EV_RULE_WARMING_UP, "warming-up"},
        {EV_RULE_CAUGHT_UP, "caught-up"},
        {EV_RULE_KEEPING_UP, "keeping-up"},
        {EV_RULE_DRAINING, "draining"},
        {EV_RULE_FALLING_BEHIND, "falling-behind"},
        {EV_RULE_STOPPED, "stopped"},
        {EV_RULE_STALLED, "stalled"},
        {EV_RULE_REWOUND, "rewound"},
    };
    size_t i;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        cr_assert_str_eq(ev_rule_name(ids[i].rule), ids[i].name);
}

Test(ev_warren, warren_is_the_default_and_a_zeroed_params_selects_it) {
    model_t m;
    ev_params_t p;
    ev_result_t r;

    memset(&p, 0, sizeof(p));
    p.intervals = 10;
    build(&m, 10, 10, prod_100, cons_inflight, 5000, 5000, 45000);
    ev_evaluate(&p, &m.win, &m.ring, m.end, &r);
    cr_assert_eq(r.rules, EV_RULES_WARREN);
    ev_evaluate(NULL, &m.win, &m.ring, m.end, &r);
    cr_assert_eq(r.rules, EV_RULES_WARREN);
    eval_burrow(&m, 10, m.end, &r);
    cr_assert_eq(r.rules, EV_RULES_BURROW);
    cr_assert(!r.rates_known);
}

/* ---- no commits and warm-up ---- */

Test(ev_warren, no_commits_is_ok) {
    ev_result_t r;

    ev_evaluate(NULL, NULL, NULL, T0, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_NO_COMMITS);
    cr_assert_eq(r.rules, EV_RULES_WARREN);
}

Test(ev_warren, single_entry_window_is_warming_up_never_stop_or_stall) {
    ev_entry_t es[10], e = {1000, T0, 500};
    ev_head_t hs[10], h1 = {1500, T0}, h2 = {9000, T0 + 3600000};
    ev_window_t win;
    ev_headring_t ring;
    ev_result_t r;

    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    ev_window_push(&win, &e);
    ev_headring_push(&ring, &h1);
    ev_headring_push(&ring, &h2);
    /* an hour of silence with 8000 waiting: Burrow says STOP */
    ev_evaluate(NULL, &win, &ring, T0 + 3600000, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_WARMING_UP);
    cr_assert_eq(r.left, 1);
    cr_assert_eq(r.right, 10);
    cr_assert_eq(r.index, 0);
    cr_assert(r.complete < 1.0);
    cr_assert_eq(r.current_lag, 8000);
}

Test(ev_warren, two_commits_are_not_enough_for_stop) {
    ev_entry_t es[10], e1 = {1000, T0, 0}, e2 = {1100, T0 + 5000, 50};
    ev_head_t hs[10], h1 = {1150, T0 + 5000}, h2 = {9000, T0 + 600000};
    ev_window_t win;
    ev_headring_t ring;
    ev_result_t r;

    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    ev_window_push(&win, &e1);
    ev_window_push(&win, &e2);
    ev_headring_push(&ring, &h1);
    ev_headring_push(&ring, &h2);
    ev_evaluate(NULL, &win, &ring, T0 + 600000, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_WARMING_UP);
}

Test(ev_warren, partial_window_falling_behind_is_warming_up) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_quarter, 5000, 5000, 20000);
    cr_assert_eq(m.win.count, 5);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_WARMING_UP);
    cr_assert_float_eq(r.complete, 0.5, 1e-12);
    cr_assert_eq(r.left, 5);
    cr_assert_eq(r.right, 10);
}

Test(ev_warren, window_one_commit_short_of_full_is_warming_up_then_judged) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_quarter, 5000, 5000, 40000);
    cr_assert_eq(m.win.count, 9);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_WARMING_UP);
    build(&m, 10, 10, prod_100, cons_quarter, 5000, 5000, 45000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_WARN, EV_RULE_FALLING_BEHIND);
    cr_assert_float_eq(r.complete, 1.0, 1e-12);
}

Test(ev_warren, small_intervals_still_need_three_commits) {
    model_t m;
    ev_result_t r;

    build(&m, 2, 10, prod_100, cons_quarter, 5000, 5000, 45000);
    cr_assert_eq(m.win.count, 2);
    eval(&m, 2, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_WARMING_UP);
    cr_assert_eq(r.right, EV_WARREN_MIN_COMMITS);
    /* a full window of 2 is still short of the evidence: complete < 1 */
    cr_assert(r.complete < 1.0, "complete %f", r.complete);
}

Test(ev_warren, one_head_sample_is_warming_up) {
    model_t m;
    ev_result_t r;

    /* heads refreshed every 100 s: one sample in 45 s */
    build(&m, 10, 10, prod_100, cons_quarter, 5000, 100000, 45000);
    cr_assert_eq(m.ring.count, 1);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_WARMING_UP);
    cr_assert_eq(r.index, 1);
    cr_assert_eq(r.left, 1);
    cr_assert_eq(r.right, 2);
    /* the window is full, the head evidence is not: complete < 1 */
    cr_assert(r.complete < 1.0, "complete %f", r.complete);
}

/* ---- caught up, keeping up, draining ---- */

Test(ev_warren, caught_up_consumer_is_ok) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_same_as_prod, 5000, 5000, 45000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_CAUGHT_UP);
    cr_assert_eq(r.left, r.right);
}

Test(ev_warren, consumer_trailing_by_what_it_has_in_flight_is_keeping_up) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_inflight, 5000, 5000, 45000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_KEEPING_UP);
    cr_assert(r.rates_known);
    cr_assert_float_eq(r.rate_producer, 100.0, 1e-6);
    cr_assert_float_eq(r.rate_consumer, 100.0, 1e-6);
    cr_assert_eq(r.left, 150);
    cr_assert_eq(r.right, 150);
    cr_assert_float_eq(r.span_s, 45.0, 1e-9);
}

Test(ev_warren, idle_topic_with_caught_up_consumer_is_ok) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, flat_5000, flat_5000, 5000, 5000, 45000);
    eval(&m, 10, m.end + 7200000, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_CAUGHT_UP);
}

static double prod_burst_early(double t) {
    /* 10 000 messages at t = 2 s on top of 100/s */
    return 100000 + 100 * t + (t >= 2 ? 10000 : 0);
}
static double cons_draining(double t) {
    /* 250/s while a backlog exists: not caught up within 50 s */
    return 100000 + 250 * t;
}

Test(ev_warren, draining_burst_is_ok) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_burst_early, cons_draining, 5000, 5000, 50000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_DRAINING);
    cr_assert(r.rate_consumer > r.rate_producer);
    cr_assert(r.left > r.right);
    /* the ETA is the lag over the rates' difference */
    cr_assert(r.eta_known);
    cr_assert_float_eq(r.drain_rate, r.rate_consumer - r.rate_producer, 1e-9);
    cr_assert_float_eq(r.eta_s, (double)r.current_lag / r.drain_rate, 1e-9);
}

static double prod_burst_late(double t) {
    /* 5 000 messages at t = 40 s, the last tenth of the window */
    return 100000 + 100 * t + (t >= 40 ? 5000 : 0);
}
static double cons_burst_late(double t) {
    /* keeps up until the burst, then works through it at 300/s */
    return t < 40 ? 100000 + 100 * t - 50
                  : 100000 + 100 * 40 - 50 + 300 * (t - 40);
}

Test(ev_warren, burst_arriving_at_the_end_of_the_window_is_not_warn) {
    model_t m;
    ev_result_t r, b;

    build(&m, 10, 10, prod_burst_late, cons_burst_late, 5000, 5000, 45000);
    eval(&m, 10, m.end, &r);
    cr_assert_eq(r.status, EV_OK, "got %s (%s)", ev_status_name(r.status),
                 ev_rule_name(r.rule));
    cr_assert(r.z >= EV_WARREN_Z_WARN, "the whole span alone would say %.1f",
              r.z);
    eval_burrow(&m, 10, m.end, &b);
    cr_assert_eq(b.status, EV_OK);
}

/* ---- falling behind ---- */

Test(ev_warren, consumer_at_a_quarter_of_the_rate_is_warn_with_numbers) {
    model_t m;
    ev_result_t r;
    char buf[512];

    build(&m, 10, 10, prod_100, cons_quarter, 5000, 5000, 100000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_WARN, EV_RULE_FALLING_BEHIND);
    cr_assert(!r.eta_known, "no ETA for a consumer falling behind");
    cr_assert_float_eq(r.rate_producer, 100.0, 1e-6);
    cr_assert_float_eq(r.rate_consumer, 25.0, 1e-6);
    cr_assert(r.rate_sigma > 0 && r.rate_sigma < 5, "sigma %g", r.rate_sigma);
    cr_assert(r.z > 10);
    cr_assert(r.right > r.left);
    ev_explain(&r, buf, sizeof(buf));
    cr_assert(strstr(buf, "25 msg/s") && strstr(buf, "100 msg/s") &&
                  strstr(buf, "falling behind"),
              "%s", buf);
}

/* The case: heads refreshed every 30 s, commits every 5 s. Between
 * two refreshes the committed offset moves and the stored head does not,
 * so the stored lag drops and Burrow's WARN never fires. */
Test(ev_warren, stale_heads_hide_warn_from_burrow_but_not_from_warren) {
    model_t m;
    ev_result_t w, b;
    int64_t dur;

    for (dur = 150000; dur <= 400000; dur += 5000) {
        build(&m, 10, 10, prod_100, cons_quarter, 5000, 30000, dur);
        eval(&m, 10, m.end, &w);
        eval_burrow(&m, 10, m.end, &b);
        cr_assert_eq(w.status, EV_WARN, "at %lld ms: %s (%s) z %.2f",
                     (long long)dur, ev_status_name(w.status),
                     ev_rule_name(w.rule), w.z);
        cr_assert_eq(b.status, EV_OK, "Burrow at %lld ms", (long long)dur);
    }
}

Test(ev_warren, seventy_percent_consumer_is_warn_with_slow_heads) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_70, 5000, 30000, 300000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_WARN, EV_RULE_FALLING_BEHIND);
}

Test(ev_warren, low_rate_topic_deficit_is_judged_by_its_own_noise) {
    model_t m;
    ev_result_t r;

    /* 1 msg/s against 0.5 msg/s, commits and heads every 10 s: 45
     * messages of growth against sqrt(90) of arrival noise */
    build(&m, 10, 10, prod_1, cons_half, 10000, 10000, 300000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_WARN, EV_RULE_FALLING_BEHIND);
    cr_assert(r.z > EV_WARREN_Z_WARN && r.z < 10, "z %.2f", r.z);
    /* the same topic with a consumer that keeps up two messages behind */
    build(&m, 10, 10, prod_1, cons_1_lag2, 10000, 10000, 300000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_KEEPING_UP);
}

Test(ev_warren, low_rate_deficit_too_small_for_the_window_is_not_warn) {
    model_t m;
    ev_result_t r;

    /* 1 msg/s against 0.5 msg/s over a 9 s window: 4.5 messages of growth
     * is within the arrival noise of 9, and the window alone (no
     * evidence beyond it) cannot say more */
    build_ev(&m, 10, 10, prod_1, cons_half, 1000, 1000, 300000, 0);
    eval(&m, 10, m.end, &r);
    cr_assert_eq(r.status, EV_OK, "z %.2f", r.z);
    cr_assert(r.span_s < 10, "span %.1f", r.span_s);
}

Test(ev_warren, low_rate_deficit_is_warn_over_the_evidence_beyond_the_window) {
    model_t m;
    ev_result_t r;
    char buf[512];

    /* the same consumer with the evidence the store keeps: 150 messages
     * of growth over 300 s against a noise of sqrt(300) */
    build(&m, 10, 10, prod_1, cons_half, 1000, 1000, 300000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_WARN, EV_RULE_FALLING_BEHIND);
    cr_assert(r.span_s > 100, "span %.1f: from the anchor", r.span_s);
    cr_assert(r.z >= EV_WARREN_Z_WARN, "z %.2f", r.z);
    cr_assert_float_eq(r.rate_producer, 1.0, 0.05);
    cr_assert_float_eq(r.rate_consumer, 0.5, 0.05);
    cr_assert(ev_explain(&r, buf, sizeof(buf)) > 0);
    cr_assert(strstr(buf, "falling behind"), "%s", buf);
}

/* 1 msg/s, the consumer at 0.6 msg/s from t = 200 s on */
static double cons_slows_at_200(double t) {
    return t < 200 ? 5000 + 1.0 * t - 1 : 5000 + 200 - 1 + 0.6 * (t - 200);
}

Test(ev_warren, low_rate_deficit_is_told_soon_after_9r_over_d2) {
    model_t m;
    ev_result_t r;
    int64_t t;

    /* d = 0.4 at r = 1: 9 r / d^2 = 56 s; heads every 30 s, commits
     * every 3 s (a 27 s window). Before the onset and within it: OK;
     * two such spans after it: WARN. */
    for (t = 30000; t <= 200000; t += 10000) {
        build(&m, 10, 10, prod_1, cons_slows_at_200, 3000, 30000, t);
        eval(&m, 10, m.end, &r);
        cr_assert_eq(r.status, EV_OK, "at %lld s: %s z %.2f", (long long)t,
                     ev_rule_name(r.rule), r.z);
    }
    build(&m, 10, 10, prod_1, cons_slows_at_200, 3000, 30000, 320000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_WARN, EV_RULE_FALLING_BEHIND);
}

/* healthy at a low rate for a long time: in flight 0 to 2 messages */
static double cons_1_jitter(double t) {
    return 5000 + 1.0 * t - (double)((int)t % 3);
}

Test(ev_warren, low_rate_consumer_keeping_up_for_long_is_ok) {
    model_t m;
    ev_result_t r;
    int64_t t;

    for (t = 60000; t <= 1200000; t += 30000) {
        build(&m, 10, 10, prod_1, cons_1_jitter, 2000, 15000, t);
        eval(&m, 10, m.end, &r);
        cr_assert_eq(r.status, EV_OK, "at %lld s: %s z %.2f", (long long)t,
                     ev_rule_name(r.rule), r.z);
    }
    cr_assert(m.win.ev.anchor.var & EV_MARK_SET);
    cr_assert(m.end - m.win.ev.anchor.t_ms < 120000,
              "the anchor follows a consumer that keeps catching up");
}

/* the lag steps up once (a consumer joining at the head builds its
 * in-flight backlog) and then holds */
static double cons_inflight_after_start(double t) {
    return t < 20 ? 100000 + 100 * t : 100000 + 100 * t - 800;
}

Test(ev_warren, a_step_that_then_holds_is_ok_over_the_evidence) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_inflight_after_start, 5000, 5000, 600000);
    eval(&m, 10, m.end, &r);
    cr_assert_eq(r.status, EV_OK, "%s z %.2f over %.1f s", ev_rule_name(r.rule),
                 r.z, r.span_s);
}

/* A consumer that joined at the head and paused 8 s at 20 s: it keeps a
 * backlog of 780 to 800 from then on (never back to the 0 it started
 * at); a burst of 5000 lands at 300 s and it drains it at 200 msg/s. */
static double prod_burst_300(double t) {
    return 100000 + 100 * t + (t >= 300 ? 5000 : 0);
}

static double cons_two_steps(double t) {
    double c, d;

    if (t < 20) return 100000 + 100 * t;
    if (t < 28) return 102000;
    c = 100000 + 100 * t - 800 + 10 * (double)((int)t % 3);
    d = t > 302 ? 200 * (t - 302) : 0;
    return c + (d < 5000 ? d : 5000);
}

Test(ev_warren, two_steps_of_different_sizes_are_not_one_deficit) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_burst_300, cons_two_steps, 5000, 5000, 312000);
    cr_assert(m.win.ev.anchor.t_ms <= T0 + 20000,
              "anchored before the first step, not at %lld",
              (long long)(m.win.ev.anchor.t_ms - T0));
    eval(&m, 10, m.end, &r);
    cr_assert_eq(r.status, EV_OK, "%s z %.2f over %.1f s", ev_rule_name(r.rule),
                 r.z, r.span_s);
}

Test(ev_warren, evidence_moves_to_a_commit_at_or_below_the_anchor_lag) {
    ev_entry_t es[3];
    ev_head_t hs[8];
    ev_window_t win;
    ev_headring_t ring;
    int i;

    ev_window_init(&win, es, 3);
    ev_headring_init(&ring, hs, 8);
    for (i = 0; i < 8; i++) {
        ev_head_t h = {1000 + 100 * i, T0 + 10000LL * i};

        ev_headring_push(&ring, &h);
    }
    /* lags 50, 80, 120 (growing), then 40: the anchor holds the first
     * while the lag grows (checkpoints at 80, then 120), then moves to
     * the commit at 40 and starts its checkpoints afresh */
    for (i = 0; i < 8; i++) {
        static const int64_t lag[8] = {50, 80, 120, 40, 60, 90, 100, 110};
        ev_entry_t e = {1000 + 100 * i - lag[i], T0 + 10000LL * i, lag[i]};

        ev_warren_push(&win, &ring, &e);
        if (i == 5) { /* commits 0..2 folded */
            cr_assert_eq(win.ev.anchor.t_ms, T0);
            cr_assert_eq(win.ev.anchor.lag, 50);
            cr_assert_eq(win.ev.mid[0].lag, 80);
            cr_assert_eq(win.ev.mid[1].lag, 120);
        }
    }
    cr_assert_eq(win.ev.anchor.t_ms, T0 + 30000);
    cr_assert_eq(win.ev.anchor.lag, 40);
    cr_assert_eq(win.ev.mid[0].var, 0, "cleared with the move");
    cr_assert_eq(win.ev.mid[1].lag, 60);
}

/* ---- stall ---- */

static double cons_stuck_after_100(double t) {
    return t < 100 ? 100000 + 100 * t - 50 : 100000 + 100 * 100 - 50;
}

Test(ev_warren, offsets_flat_across_a_full_window_while_data_waits_is_stall) {
    model_t m;
    ev_result_t r;
    char buf[512];

    build(&m, 10, 10, prod_100, cons_stuck_after_100, 5000, 5000, 150000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_STALL, EV_RULE_STALLED);
    cr_assert(!r.eta_known, "no ETA for a stalled consumer");
    cr_assert_eq(r.left, 100000 + 100 * 100 - 50);
    cr_assert_float_eq(r.span_s, 45.0, 1e-9);
    ev_explain(&r, buf, sizeof(buf));
    cr_assert(strstr(buf, "stalled") && strstr(buf, "10 commits"), "%s", buf);
}

Test(ev_warren, offsets_flat_for_nine_of_ten_commits_are_not_yet_stall) {
    model_t m;
    ev_result_t r;

    /* flat from t=100 s (a commit at 100 s carries the stuck offset):
     * at 140 s nine commits are flat, the tenth still moved */
    build(&m, 10, 10, prod_100, cons_stuck_after_100, 5000, 5000, 140000);
    eval(&m, 10, m.end, &r);
    cr_assert_neq(r.status, EV_STALL);
    build(&m, 10, 10, prod_100, cons_stuck_after_100, 5000, 5000, 145000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_STALL, EV_RULE_STALLED);
}

Test(ev_warren, flat_offsets_with_nothing_waiting_are_not_stall) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, flat_5000, flat_5000, 5000, 5000, 45000);
    /* one message arrives after the window: a stored lag of 0 remains */
    m.hs[m.ring.count - 1].offset = 5001;
    eval(&m, 10, m.end, &r);
    cr_assert_eq(r.status, EV_OK, "%s", ev_rule_name(r.rule));
}

/* ---- stop ---- */

static double cons_until_45(double t) {
    return (t < 45 ? 100000 + 100 * t : 100000 + 100 * 45) - 50;
}

Test(ev_warren, silence_longer_than_the_cadence_allows_is_stop) {
    model_t m;
    ev_result_t r;
    char buf[512];

    build(&m, 10, 10, prod_100, cons_until_45, 5000, 5000, 45000);
    /* 10 commits span 45 s; heads keep coming */
    for (int k = 1; k <= 12; k++) {
        ev_head_t h = {(int64_t)prod_100(45 + 5 * k), m.end + 5000LL * k};

        ev_headring_push(&m.ring, &h);
    }
    eval(&m, 10, m.end + 45000, &r);
    cr_assert_neq(r.status, EV_STOP, "45 s of silence is the span itself");
    eval(&m, 10, m.end + 45001, &r);
    ASSERT_VERDICT(r, EV_STOP, EV_RULE_STOPPED);
    cr_assert(!r.eta_known, "no ETA for a stopped consumer");
    cr_assert_eq(r.left, 45001);
    cr_assert_eq(r.right, 45000);
    ev_explain(&r, buf, sizeof(buf));
    cr_assert(strstr(buf, "45 s") && strstr(buf, "stopped"), "%s", buf);
}

Test(ev_warren, a_stop_seen_through_stale_heads_has_no_eta) {
    model_t m;
    ev_result_t r;

    /* heads every 30 s, commits every 5 s: the stored lags fall from 150
     * to 0 across the window (the last commits passed the old head), then
     * the consumer stops while the producers go on */
    build(&m, 10, 10, prod_100, cons_inflight, 5000, 30000, 45000);
    for (int k = 1; k <= 6; k++) {
        ev_head_t h = {(int64_t)prod_100(60 + 30 * k),
                       T0 + 60000 + 30000LL * k};

        ev_headring_push(&m.ring, &h);
    }
    eval(&m, 10, T0 + 60000 + 180000, &r);
    ASSERT_VERDICT(r, EV_STOP, EV_RULE_STOPPED);
    cr_assert(r.current_lag > 0);
    cr_assert(!r.eta_known, "eta %g s for a stopped consumer", r.eta_s);
}

Test(ev_warren, stop_in_a_partial_window_is_measured_against_the_cadence) {
    ev_entry_t es[10];
    ev_head_t hs[10];
    ev_window_t win;
    ev_headring_t ring;
    ev_result_t r, b;
    ev_params_t bp;
    int i;

    /* three commits 10 s apart: a full window would span 90 s */
    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    for (i = 0; i < 3; i++) {
        ev_entry_t e = {1000 + 100 * i, T0 + 10000LL * i, 20};

        ev_window_push(&win, &e);
    }
    for (i = 0; i < 10; i++) {
        ev_head_t h = {1300 + 100 * i, T0 + 20000 + 10000LL * i};

        ev_headring_push(&ring, &h);
    }
    ev_evaluate(NULL, &win, &ring, T0 + 20000 + 60000, &r);
    cr_assert_eq(r.status, EV_OK, "%s", ev_rule_name(r.rule));
    ev_params_default(&bp);
    bp.rules = EV_RULES_BURROW;
    ev_evaluate(&bp, &win, &ring, T0 + 20000 + 60000, &b);
    cr_assert_eq(b.status, EV_STOP, "Burrow compares with the 20 s span");
    ev_evaluate(NULL, &win, &ring, T0 + 20000 + 90000, &r);
    cr_assert_neq(r.status, EV_STOP);
    ev_evaluate(NULL, &win, &ring, T0 + 20000 + 90001, &r);
    ASSERT_VERDICT(r, EV_STOP, EV_RULE_STOPPED);
    cr_assert_eq(r.right, 90000);
}

Test(ev_warren, one_long_gap_in_the_window_widens_the_allowance) {
    ev_entry_t es[10];
    ev_head_t hs[10];
    ev_window_t win;
    ev_headring_t ring;
    ev_result_t r;
    int i;

    /* commits 1 s apart except one 41 s gap (a rolling restart): the next
     * silence may last up to twice that */
    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    for (i = 0; i < 10; i++) {
        int64_t t = T0 + 1000LL * i + (i >= 5 ? 40000 : 0);
        ev_entry_t e = {1000 + 10 * i, t, 5};

        ev_window_push(&win, &e);
    }
    for (i = 0; i < 10; i++) {
        ev_head_t h = {1100 + 10 * i, T0 + 49000 + 5000LL * i};

        ev_headring_push(&ring, &h);
    }
    ev_evaluate(NULL, &win, &ring, T0 + 49000 + 82000, &r);
    cr_assert_neq(r.status, EV_STOP);
    ev_evaluate(NULL, &win, &ring, T0 + 49000 + 82001, &r);
    ASSERT_VERDICT(r, EV_STOP, EV_RULE_STOPPED);
    cr_assert_eq(r.right, 82000);
}

Test(ev_warren, rolling_deploy_pause_shorter_than_the_window_is_ok) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_inflight, 10000, 5000, 90000);
    /* no commit for 60 s while lag builds; the window spans 90 s */
    for (int k = 1; k <= 12; k++) {
        ev_head_t h = {(int64_t)prod_100(90 + 5 * k), m.end + 5000LL * k};

        ev_headring_push(&m.ring, &h);
    }
    eval(&m, 10, m.end + 60000, &r);
    cr_assert_eq(r.status, EV_OK, "%s", ev_rule_name(r.rule));
}

Test(ev_warren, data_that_arrived_after_a_long_idle_is_not_stop) {
    model_t m;
    ev_result_t r;
    ev_head_t h = {5020, T0 + 45000 + 7200000};

    /* caught up, then two hours without data (heads every 5 min repeat
     * 5000), then 20 messages: the data waits 2 s, not two hours */
    build(&m, 10, 10, flat_5000, flat_5000, 5000, 5000, 45000);
    for (int k = 1; k <= 8; k++) {
        ev_head_t idle = {5000, T0 + 45000 + 300000LL * k};

        ev_headring_push(&m.ring, &idle);
    }
    ev_headring_push(&m.ring, &h);
    eval(&m, 10, h.timestamp_ms + 2000, &r);
    cr_assert_eq(r.current_lag, 20);
    cr_assert_eq(r.status, EV_OK, "%s", ev_rule_name(r.rule));
    /* left waiting for longer than the allowance, it is a stop */
    eval(&m, 10, h.timestamp_ms + 45001, &r);
    ASSERT_VERDICT(r, EV_STOP, EV_RULE_STOPPED);
}

Test(ev_warren, silence_with_nothing_waiting_is_not_stop) {
    model_t m;
    ev_result_t r;

    build(&m, 10, 10, prod_100, cons_same_as_prod, 5000, 5000, 45000);
    eval(&m, 10, m.end + 3600000, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_CAUGHT_UP);
}

/* ---- rewind ---- */

Test(ev_warren, rewind_just_seen_is_ok_rewound) {
    model_t m;
    ev_result_t r, b;
    ev_entry_t e;

    build(&m, 10, 10, prod_100, cons_inflight, 5000, 5000, 45000);
    e = (ev_entry_t){50000, m.end + 5000, 54650};
    ev_window_push(&m.win, &e);
    eval(&m, 10, m.end + 5000, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_REWOUND);
    cr_assert_eq(r.left, 50000);
    cr_assert_eq(r.index, 9);
    eval_burrow(&m, 10, m.end + 5000, &b);
    cr_assert_eq(b.status, EV_REWIND);
}

static double cons_rewound(double t) {
    /* reset to 80 000 at t = 20 s, then re-reads at 500/s */
    return t < 20 ? 100000 + 100 * t - 50 : 80000 + 500 * (t - 20);
}

Test(ev_warren, rewind_being_reread_faster_than_production_is_ok) {
    model_t m;
    ev_result_t r, b;

    build(&m, 10, 10, prod_100, cons_rewound, 5000, 5000, 60000);
    eval(&m, 10, m.end, &r);
    ASSERT_VERDICT(r, EV_OK, EV_RULE_DRAINING);
    eval_burrow(&m, 10, m.end, &b);
    cr_assert_eq(b.status, EV_REWIND);
}

/* ---- rings and hostile values ---- */

Test(ev_warren, verdict_is_the_same_at_every_ring_rotation) {
    model_t m;
    ev_result_t want, r;
    int rot, hrot;

    build(&m, 10, 10, prod_100, cons_70, 5000, 30000, 300000);
    eval(&m, 10, m.end, &want);
    cr_assert_eq(want.status, EV_WARN);
    for (rot = 0; rot < 10; rot++) {
        for (hrot = 0; hrot < 10; hrot++) {
            ev_entry_t es[10];
            ev_head_t hs[10];
            ev_window_t win;
            ev_headring_t ring;
            ev_params_t p;
            unsigned i;

            for (i = 0; i < 10; i++) {
                es[(rot + i) % 10] = *ev_window_at(&m.win, i);
                hs[(hrot + i) % 10] = *ev_headring_at(&m.ring, i);
            }
            ev_window_init(&win, es, 10);
            ev_headring_init(&ring, hs, 10);
            win.count = 10;
            win.start = (uint16_t)rot;
            ring.count = 10;
            ring.start = (uint16_t)hrot;
            ev_window_recount(&win);
            ev_params_default(&p);
            ev_evaluate(&p, &win, &ring, m.end, &r);
            cr_assert_eq(r.status, want.status);
            cr_assert_eq(r.rule, want.rule);
            cr_assert_eq(r.left, want.left);
            cr_assert_eq(r.right, want.right);
            cr_assert_float_eq(r.z, want.z, 1e-9);
        }
    }
}

Test(ev_warren, hostile_offsets_and_times_give_finite_numbers) {
    ev_entry_t es[10];
    ev_head_t hs[10];
    ev_window_t win;
    ev_headring_t ring;
    ev_result_t r;
    int i;

    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    for (i = 0; i < 10; i++) {
        ev_entry_t e = {i % 2 ? INT64_MAX - i : i, i % 3 ? INT64_MIN + i : i,
                        i % 2 ? 0 : INT64_MAX};
        ev_head_t h = {i % 2 ? INT64_MAX : 0, i % 2 ? INT64_MAX - i : i};

        ev_window_push(&win, &e);
        ev_headring_push(&ring, &h);
    }
    ev_evaluate(NULL, &win, &ring, INT64_MAX, &r);
    cr_assert(!isnan(r.z) && !isnan(r.rate_sigma) && !isnan(r.span_s));
    ev_evaluate(NULL, &win, &ring, INT64_MIN, &r);
    cr_assert(!isnan(r.z) && !isnan(r.rate_producer));
}

/* ---- sentences ---- */

Test(ev_warren, every_warren_rule_explains_itself_in_one_line) {
    static const ev_rule_t rules[] = {EV_RULE_WARMING_UP,     EV_RULE_CAUGHT_UP,
                                      EV_RULE_KEEPING_UP,     EV_RULE_DRAINING,
                                      EV_RULE_FALLING_BEHIND, EV_RULE_STOPPED,
                                      EV_RULE_STALLED,        EV_RULE_REWOUND};
    size_t i;

    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        ev_result_t r;
        char buf[512];
        int n;

        memset(&r, 0, sizeof(r));
        r.rule = rules[i];
        r.rules = EV_RULES_WARREN;
        r.rates_known = true;
        r.rate_consumer = 25;
        r.rate_producer = 100;
        r.rate_sigma = 1.5;
        r.z = 50;
        r.span_s = 45;
        r.left = 7;
        r.right = 9;
        r.count = 10;
        n = ev_explain(&r, buf, sizeof(buf));
        cr_assert(n > 20 && (size_t)n < sizeof(buf), "%s", buf);
        cr_assert(strchr(buf, '\n') == NULL);
        cr_assert(strchr(buf, ':') != NULL, "%s", buf);
        cr_assert(strstr(buf, "unknown") == NULL, "%s", buf);
    }
}

Test(ev_warren, warming_up_says_what_is_missing) {
    ev_result_t r;
    char buf[256];

    memset(&r, 0, sizeof(r));
    r.rule = EV_RULE_WARMING_UP;
    r.left = 3;
    r.right = 10;
    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "3 of the 10 commits a judgement needs are in the "
                          "window: warming up, so OK");
    r.index = 1;
    r.left = 1;
    r.right = 2;
    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "1 head sample of the topic so far, 2 needed to "
                          "measure the producers' rate: warming up, so OK");
}

Test(ev_warren, keeping_up_sentence_gives_rates_difference_and_sigma) {
    model_t m;
    ev_result_t r;
    char buf[512];

    build(&m, 10, 10, prod_100, cons_inflight, 5000, 5000, 45000);
    eval(&m, 10, m.end, &r);
    ev_explain(&r, buf, sizeof(buf));
    cr_assert(strstr(buf, "over the last 45 s the consumer committed 100 "
                          "msg/s and the producers wrote 100 msg/s") != NULL,
              "%s", buf);
    cr_assert(strstr(buf, "sigma") && strstr(buf, "keeping up"), "%s", buf);
}
