/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for ev_retention: log start steps and their advance rate, the
 * retention margin and eta (advance rate against retention.ms, null
 * when neither tells), and the data-loss overlay in both rule sets.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "evaluator/ev_retention.h"
#include "evaluator/ev_rules.h"

#define T0 1700000000000LL

Test(ev_retention, first_sample_is_not_a_step) {
    ev_logstart_t ls;
    double rate = -1;

    ev_logstart_init(&ls);
    cr_assert_eq(ls.offset, -1);
    ev_logstart_sample(&ls, 500, T0);
    ev_logstart_sample(&ls, 500, T0 + 1000); /* unchanged: no step */
    cr_assert_eq(ls.offset, 500);
    cr_assert_eq(ls.count, 0);
    cr_assert_not(ev_logstart_rate(&ls, T0 + 2000, &rate));
    ev_logstart_sample(&ls, 600, T0 + 3000); /* one step: no rate yet */
    cr_assert_eq(ls.count, 1);
    cr_assert_not(ev_logstart_rate(&ls, T0 + 3000, &rate));
}

Test(ev_retention, rate_runs_from_the_oldest_step_to_now) {
    ev_logstart_t ls;
    double rate = 0;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 0, T0);
    ev_logstart_sample(&ls, 100, T0 + 10000);
    ev_logstart_sample(&ls, 300, T0 + 20000);
    /* 200 records over the 10 s between the steps */
    cr_assert(ev_logstart_rate(&ls, T0 + 20000, &rate));
    cr_assert_float_eq(rate, 20.0, 1e-9);
    /* no step since: the rate falls as time passes */
    cr_assert(ev_logstart_rate(&ls, T0 + 30000, &rate));
    cr_assert_float_eq(rate, 10.0, 1e-9);
}

Test(ev_retention, ring_keeps_the_newest_steps) {
    ev_logstart_t ls;
    double rate = 0;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 0, T0);
    for (int i = 1; i <= 3 * EV_LOGSTART_STEPS; i++)
        ev_logstart_sample(&ls, i * 10, T0 + i * 1000);
    cr_assert_eq(ls.count, EV_LOGSTART_STEPS);
    /* the oldest step held is number 2*STEPS+1 */
    int first = 2 * EV_LOGSTART_STEPS + 1, last = 3 * EV_LOGSTART_STEPS;
    cr_assert(ev_logstart_rate(&ls, T0 + last * 1000, &rate));
    cr_assert_float_eq(rate, 10.0 * (last - first) / (last - first), 1e-9);
}

Test(ev_retention, log_start_going_back_forgets_the_steps) {
    ev_logstart_t ls;
    double rate;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 0, T0);
    ev_logstart_sample(&ls, 100, T0 + 1000);
    ev_logstart_sample(&ls, 200, T0 + 2000);
    ev_logstart_sample(&ls, 0, T0 + 3000); /* topic recreated */
    cr_assert_eq(ls.offset, 0);
    cr_assert_eq(ls.count, 0);
    cr_assert_not(ev_logstart_rate(&ls, T0 + 4000, &rate));
    ev_logstart_sample(&ls, -1, T0 + 5000); /* ignored */
    cr_assert_eq(ls.offset, 0);
}

Test(ev_retention, unknown_log_start_or_commit_is_unknown_not_zero) {
    ev_retention_t rt;

    ev_retention_eval(NULL, 100, 10, 60000, true, 5.0, T0, &rt);
    cr_assert_not(rt.known);
    cr_assert_not(rt.eta_known);
    cr_assert_not(rt.data_loss);
    cr_assert_eq(rt.log_start, -1);

    ev_logstart_t ls;
    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 50, T0);
    ev_retention_eval(&ls, -1, 10, 60000, true, 5.0, T0, &rt);
    cr_assert_not(rt.known);
    cr_assert_eq(rt.log_start, 50);
    /* known margin, but no retention.ms, no time lag, no steps */
    ev_retention_eval(&ls, 80, 10, EV_RETENTION_UNKNOWN, false, 0, T0, &rt);
    cr_assert(rt.known);
    cr_assert_eq(rt.margin, 30);
    cr_assert_not(rt.eta_known);
    cr_assert_eq(rt.eta_from, EV_ETA_NONE);
    cr_assert_null(ev_eta_from_name(rt.eta_from));
    /* unlimited retention.ms gives no time bound either */
    ev_retention_eval(&ls, 80, 10, -1, true, 5.0, T0, &rt);
    cr_assert_not(rt.eta_known);
}

Test(ev_retention, eta_from_retention_ms_against_the_time_lag) {
    ev_logstart_t ls;
    ev_retention_t rt;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 0, T0);
    /* retention.ms 1 h, the committed record is 15 min old: 45 min */
    ev_retention_eval(&ls, 1000, 500, 3600000, true, 900.0, T0, &rt);
    cr_assert(rt.eta_known);
    cr_assert_float_eq(rt.eta_s, 2700.0, 1e-9);
    cr_assert_eq(rt.eta_from, EV_ETA_RETENTION_MS);
    cr_assert_str_eq(ev_eta_from_name(rt.eta_from), "retention-ms");
    /* older than retention.ms but still there (its segment is newer):
     * due now, 0, not negative */
    ev_retention_eval(&ls, 1000, 500, 3600000, true, 4000.0, T0, &rt);
    cr_assert(rt.eta_known);
    cr_assert_float_eq(rt.eta_s, 0.0, 1e-12);
}

Test(ev_retention, eta_is_the_smaller_of_advance_and_retention_ms) {
    ev_logstart_t ls;
    ev_retention_t rt;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 0, T0);
    ev_logstart_sample(&ls, 1000, T0 + 10000);
    ev_logstart_sample(&ls, 2000, T0 + 20000); /* 100 records/s */
    /* margin 3000 at 100/s: 30 s, sooner than retention.ms's 3300 s */
    ev_retention_eval(&ls, 5000, 700, 3600000, true, 300.0, T0 + 20000, &rt);
    cr_assert(rt.advance_known);
    cr_assert_float_eq(rt.advance_rate, 100.0, 1e-9);
    cr_assert_eq(rt.margin, 3000);
    cr_assert(rt.eta_known);
    cr_assert_float_eq(rt.eta_s, 30.0, 1e-9);
    cr_assert_eq(rt.eta_from, EV_ETA_ADVANCE);
    cr_assert_str_eq(ev_eta_from_name(rt.eta_from), "log-start-advance");
    /* a record 3590 s old under 1 h: 10 s, sooner than the advance */
    ev_retention_eval(&ls, 5000, 700, 3600000, true, 3590.0, T0 + 20000, &rt);
    cr_assert_float_eq(rt.eta_s, 10.0, 1e-9);
    cr_assert_eq(rt.eta_from, EV_ETA_RETENTION_MS);
}

Test(ev_retention, no_eta_while_nothing_waits) {
    ev_logstart_t ls;
    ev_retention_t rt;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 0, T0);
    ev_logstart_sample(&ls, 100, T0 + 1000);
    ev_logstart_sample(&ls, 200, T0 + 2000);
    ev_retention_eval(&ls, 900, 0, 3600000, true, 0.0, T0 + 2000, &rt);
    cr_assert(rt.known);
    cr_assert_eq(rt.margin, 700);
    cr_assert_not(rt.eta_known, "caught up: no unread record is at risk");
}

Test(ev_retention, committed_below_log_start_is_data_loss) {
    ev_logstart_t ls;
    ev_retention_t rt;

    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 500, T0);
    ev_retention_eval(&ls, 120, 900, 3600000, true, 10.0, T0, &rt);
    cr_assert(rt.known);
    cr_assert(rt.data_loss);
    cr_assert_eq(rt.margin, -380);
    cr_assert_not(rt.eta_known, "lost already: no eta");
    /* at the log start exactly: nothing lost yet */
    ev_retention_eval(&ls, 500, 900, 3600000, true, 10.0, T0, &rt);
    cr_assert_not(rt.data_loss);
    cr_assert_eq(rt.margin, 0);
}

/* The overlay turns the verdict of either rule set into ERR data-loss,
 * and leaves it alone when no data is lost or the log start is unknown
 * (so Burrow's verdicts stay Burrow's without a log start). */
Test(ev_retention, overlay_in_both_rule_sets) {
    ev_entry_t slots[4];
    ev_head_t hslots[4];
    ev_window_t win;
    ev_headring_t heads;
    ev_params_t p;
    ev_logstart_t ls;
    ev_retention_t rt;
    char buf[300];

    ev_window_init(&win, slots, 4);
    ev_headring_init(&heads, hslots, 4);
    for (int i = 0; i < 4; i++) {
        ev_head_t h = {.offset = 1000 + i * 100, .timestamp_ms = T0 + i * 1000};
        ev_entry_t e = {
            .offset = 120, .timestamp_ms = T0 + i * 1000, .lag = 880 + i * 100};
        ev_headring_push(&heads, &h);
        ev_window_push(&win, &e);
    }
    for (int rules = 0; rules < EV_RULES__COUNT; rules++) {
        ev_result_t r, before;

        ev_params_default(&p);
        p.intervals = 4;
        p.rules = (ev_rules_t)rules;
        ev_evaluate(&p, &win, &heads, T0 + 3500, &r);
        before = r;
        /* log start unknown: untouched */
        ev_retention_eval(NULL, 120, r.current_lag, 3600000, false, 0,
                          T0 + 3500, &rt);
        ev_retention_overlay(&r, &rt);
        cr_assert(!memcmp(&r, &before, sizeof(r)), "rules %d", rules);
        /* log start at the commit: untouched */
        ev_logstart_init(&ls);
        ev_logstart_sample(&ls, 120, T0);
        ev_retention_eval(&ls, 120, r.current_lag, 3600000, false, 0, T0 + 3500,
                          &rt);
        ev_retention_overlay(&r, &rt);
        cr_assert_eq(r.status, before.status);
        cr_assert_eq(r.rule, before.rule);
        /* past it: ERR data-loss */
        ev_logstart_sample(&ls, 500, T0 + 3000);
        ev_retention_eval(&ls, 120, r.current_lag, 3600000, false, 0, T0 + 3500,
                          &rt);
        ev_retention_overlay(&r, &rt);
        cr_assert_eq(r.status, EV_ERR, "rules %d", rules);
        cr_assert_eq(r.rule, EV_RULE_DATA_LOSS);
        cr_assert_str_eq(ev_rule_name(r.rule), "data-loss");
        cr_assert_eq(r.left, 500);
        cr_assert_eq(r.right, 120);
        cr_assert_not(r.eta_known);
        cr_assert_eq(r.current_lag, before.current_lag);
        ev_explain(&r, buf, sizeof(buf));
        cr_assert_str_eq(buf, "the committed offset 120 is below the log "
                              "start 500: retention deleted 380 records the "
                              "group had not read (data loss)");
    }
}
