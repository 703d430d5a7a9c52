/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for ev_rules and ev_status: every partition rule and its boundary,
 * Burrow's fixtures, the time-lag estimate, the drain rate and ETA, the
 * explanations, and the status/rule vocabulary. Every rule-table case is
 * evaluated at every rotation of the ring, so each one also checks that a
 * wrapped ring gives the same answer as a linear one.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <string.h>

#include "evaluator/ev_rules.h"
#include "evaluator/ev_status.h"
#include "evaluator/ev_window.h"

/* These tests pin Burrow's rules, bit-exact: every evaluation selects
 * them explicitly (the default rule set is warren, test_ev_warren.c). */
static const ev_params_t BURROW = {.intervals = 10,
                                   .allowed_lag = 0,
                                   .minimum_complete = 0.0,
                                   .rules = EV_RULES_BURROW};

static void burrow_params(ev_params_t *p) {
    ev_params_default(p);
    p->rules = EV_RULES_BURROW;
}

#define MAXE 12
#define T0 1700000000000LL /* Burrow fixture base time, ms */

/* Parameters are copied into worker processes that may map the binary at
 * another address, so they hold no pointers: names are inline arrays. */
typedef struct rcase_s {
    char name[72];
    int n;
    ev_entry_t e[MAXE];
    int nh;
    ev_head_t h[MAXE];
    int64_t now;
    int intervals; /* 0 means 10 */
    int64_t allowed;
    double min_complete;
    ev_status_t status;
    ev_rule_t rule;
    int64_t left;
    int64_t right;
    int index;
} rcase_t;

/* Lays entries/heads into rings of capacity cap whose oldest slot is rot. */
static void build_window(ev_window_t *win, ev_entry_t *slots, int cap, int rot,
                         const ev_entry_t *e, int n) {
    int i;

    ev_window_init(win, slots, (uint16_t)cap);
    for (i = 0; i < cap; i++)
        slots[i] = (ev_entry_t){-777, -777, -777}; /* poison */
    for (i = 0; i < n; i++)
        slots[(rot + i) % cap] = e[i];
    win->start = (uint16_t)rot;
    win->count = (uint16_t)n;
    ev_window_recount(win);
}

static void build_heads(ev_headring_t *ring, ev_head_t *slots, int cap, int rot,
                        const ev_head_t *h, int n) {
    int i;

    ev_headring_init(ring, slots, (uint16_t)cap);
    for (i = 0; i < cap; i++)
        slots[i] = (ev_head_t){-777, -777};
    for (i = 0; i < n; i++)
        slots[(rot + i) % cap] = h[i];
    ring->start = (uint16_t)rot;
    ring->count = (uint16_t)n;
}

/* Evaluates linear arrays (no rotation) with the given parameters. */
static void eval_simple(const ev_entry_t *e, int n, const ev_head_t *h, int nh,
                        int64_t now, const ev_params_t *p, ev_result_t *r) {
    ev_entry_t es[MAXE];
    ev_head_t hs[MAXE];
    ev_window_t win;
    ev_headring_t ring;

    build_window(&win, es, MAXE, 0, e, n);
    build_heads(&ring, hs, MAXE, 0, h, nh);
    ev_evaluate(p, &win, &ring, now, r);
}

/* Shorthand for entries at T0 + i*10 s. */
#define E(i, off, lag)                                                         \
    { (off), T0 + (i)*10000LL, (lag) }
#define H(off, ts)                                                             \
    { (off), (ts) }

static rcase_t rule_cases[] = {
    /* rule 1 */
    {.name = "no commits is OK with complete 0",
     .n = 0,
     .nh = 1,
     .h = {H(5000, T0)},
     .now = T0 + 999999,
     .status = EV_OK,
     .rule = EV_RULE_NO_COMMITS,
     .left = 0,
     .right = 0,
     .index = -1},
    {.name = "incomplete window below minimum_complete is OK",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 100, 20), E(2, 100, 30)},
     .nh = 1,
     .h = {H(500, T0)},
     .now = T0 + 999999,
     .min_complete = 0.5,
     .status = EV_OK,
     .rule = EV_RULE_INCOMPLETE,
     .left = 300000,
     .right = 500000,
     .index = -1},
    {.name = "complete equal to minimum_complete is judged",
     .n = 5,
     .e = {E(0, 1000, 3321), E(1, 1100, 3221), E(2, 1200, 3121),
           E(3, 1300, 3021), E(4, 1400, 2921)},
     .nh = 1,
     .h = {H(4321, T0)},
     .now = T0 + 100000,
     .min_complete = 0.5,
     .status = EV_STOP,
     .rule = EV_RULE_STOP,
     .left = 60000,
     .right = 40000,
     .index = -1},
    {.name = "incomplete check runs before current-lag-allowed",
     .n = 1,
     .e = {E(0, 100, 0)},
     .nh = 1,
     .h = {H(100, T0)},
     .now = T0,
     .min_complete = 1.0,
     .status = EV_OK,
     .rule = EV_RULE_INCOMPLETE,
     .left = 100000,
     .right = 1000000,
     .index = -1},
    /* rule 2 */
    {.name = "current lag zero is OK even when commits stopped",
     .n = 2,
     .e = {E(0, 100, 5), E(1, 200, 5)},
     .nh = 1,
     .h = {H(200, T0)},
     .now = T0 + 999999,
     .status = EV_OK,
     .rule = EV_RULE_CURRENT_LAG_ALLOWED,
     .left = 0,
     .right = 0,
     .index = -1},
    {.name = "head behind the commit counts as zero lag",
     .n = 2,
     .e = {E(0, 100, 5), E(1, 200, 5)},
     .nh = 1,
     .h = {H(150, T0)},
     .now = T0 + 999999,
     .status = EV_OK,
     .rule = EV_RULE_CURRENT_LAG_ALLOWED,
     .left = 0,
     .right = 0,
     .index = -1},
    {.name = "current lag equal to allowed_lag is OK",
     .n = 2,
     .e = {E(0, 100, 50), E(1, 200, 150)},
     .nh = 1,
     .h = {H(300, T0)},
     .now = T0 + 999999,
     .allowed = 100,
     .status = EV_OK,
     .rule = EV_RULE_CURRENT_LAG_ALLOWED,
     .left = 100,
     .right = 100,
     .index = -1},
    {.name = "current lag one above allowed_lag is judged",
     .n = 2,
     .e = {E(0, 100, 150), E(1, 200, 160)},
     .nh = 1,
     .h = {H(301, T0)},
     .now = T0 + 10000,
     .allowed = 100,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 150,
     .right = 160,
     .index = -1},
    /* rule 3 */
    {.name = "stop when silence is strictly longer than the span",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 20000 + 20001,
     .status = EV_STOP,
     .rule = EV_RULE_STOP,
     .left = 20001,
     .right = 20000,
     .index = -1},
    {.name = "no stop when silence equals the span",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 20000 + 20000,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 30,
     .index = -1},
    {.name = "recent head at the committed offset suppresses stop",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30)},
     .nh = 3,
     .h = {H(300, T0), H(350, T0 + 1000), H(400, T0 + 2000)},
     .now = T0 + 999999,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 30,
     .index = -1},
    {.name = "recent head below the committed offset suppresses stop",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30)},
     .nh = 2,
     .h = {H(250, T0), H(400, T0 + 2000)},
     .now = T0 + 999999,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 30,
     .index = -1},
    {.name = "a head equal to the commit anywhere in the ring stops stop",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30)},
     .nh = 3,
     .h = {H(450, T0), H(300, T0 + 1000), H(400, T0 + 2000)},
     .now = T0 + 999999,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 30,
     .index = -1},
    {.name = "heads all above the committed offset do not suppress stop",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30)},
     .nh = 2,
     .h = {H(301, T0), H(400, T0 + 2000)},
     .now = T0 + 999999,
     .status = EV_STOP,
     .rule = EV_RULE_STOP,
     .left = 999999 - 20000,
     .right = 20000,
     .index = -1},
    {.name = "single entry window stops once any time has passed",
     .n = 1,
     .e = {E(0, 100, 10)},
     .nh = 1,
     .h = {H(110, T0)},
     .now = T0 + 1,
     .status = EV_STOP,
     .rule = EV_RULE_STOP,
     .left = 1,
     .right = 0,
     .index = -1},
    {.name = "single entry window at its own time stalls",
     .n = 1,
     .e = {E(0, 100, 10)},
     .nh = 1,
     .h = {H(110, T0)},
     .now = T0,
     .status = EV_STALL,
     .rule = EV_RULE_STALL,
     .left = 100,
     .right = 10,
     .index = -1},
    {.name = "stop is checked before rewind",
     .n = 3,
     .e = {E(0, 300, 10), E(1, 200, 20), E(2, 100, 30)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 999999,
     .status = EV_STOP,
     .rule = EV_RULE_STOP,
     .left = 999999 - 20000,
     .right = 20000,
     .index = -1},
    /* rule 4 */
    {.name = "rewind that never got back",
     .n = 5,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30), E(3, 250, 40),
           E(4, 299, 50)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 40000,
     .status = EV_REWIND,
     .rule = EV_RULE_REWIND,
     .left = 250,
     .right = 300,
     .index = 3},
    {.name = "rewind recovered to the same offset is not rewind",
     .n = 5,
     .e = {E(0, 100, 10), E(1, 200, 20), E(2, 300, 30), E(3, 250, 40),
           E(4, 300, 50)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 40000,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 50,
     .index = -1},
    {.name = "rewind recovered past the old offset is not rewind",
     .n = 4,
     .e = {E(0, 300, 40), E(1, 100, 30), E(2, 200, 20), E(3, 350, 10)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 30000,
     .status = EV_OK,
     .rule = EV_RULE_LAG_DECREASING,
     .left = 40,
     .right = 10,
     .index = -1},
    {.name = "only the first drop counts for rewind",
     .n = 5,
     .e = {E(0, 500, 10), E(1, 400, 20), E(2, 600, 30), E(3, 100, 40),
           E(4, 150, 50)},
     .nh = 1,
     .h = {H(700, T0)},
     .now = T0 + 40000,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 50,
     .index = -1},
    {.name = "rewind after a repeated offset points at the drop",
     .n = 4,
     .e = {E(0, 100, 10), E(1, 100, 20), E(2, 50, 30), E(3, 60, 40)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 30000,
     .status = EV_REWIND,
     .rule = EV_RULE_REWIND,
     .left = 50,
     .right = 100,
     .index = 2},
    {.name = "recovered rewind back to the first offset is not a stall",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 50, 20), E(2, 100, 30)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 20000,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 10,
     .right = 30,
     .index = -1},
    {.name = "rewind at the last entry",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 200, 5), E(2, 150, 1)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 20000,
     .status = EV_REWIND,
     .rule = EV_RULE_REWIND,
     .left = 150,
     .right = 200,
     .index = 2},
    {.name = "rewind is checked before stall and warn",
     .n = 3,
     .e = {E(0, 100, 10), E(1, 300, 20), E(2, 200, 30)},
     .nh = 1,
     .h = {H(400, T0)},
     .now = T0 + 20000,
     .status = EV_REWIND,
     .rule = EV_RULE_REWIND,
     .left = 200,
     .right = 300,
     .index = 2},
    /* rule 5 */
    {.name = "stall when offsets flat and lag nonzero",
     .n = 4,
     .e = {E(0, 1000, 40), E(1, 1000, 30), E(2, 1000, 50), E(3, 1000, 60)},
     .nh = 1,
     .h = {H(1100, T0)},
     .now = T0 + 30000,
     .status = EV_STALL,
     .rule = EV_RULE_STALL,
     .left = 1000,
     .right = 30,
     .index = -1},
    {.name = "flat offsets with one lag at allowed_lag are OK",
     .n = 3,
     .e = {E(0, 1000, 0), E(1, 1000, 30), E(2, 1000, 50)},
     .nh = 1,
     .h = {H(1100, T0)},
     .now = T0 + 20000,
     .status = EV_OK,
     .rule = EV_RULE_LAG_DECREASING,
     .left = 0,
     .right = 50,
     .index = -1},
    {.name = "flat offsets with a middle lag at allowed_lag are OK",
     .n = 3,
     .e = {E(0, 1000, 60), E(1, 1000, 50), E(2, 1000, 70)},
     .nh = 1,
     .h = {H(1100, T0)},
     .now = T0 + 20000,
     .allowed = 50,
     .status = EV_OK,
     .rule = EV_RULE_LAG_DECREASING,
     .left = 60,
     .right = 70,
     .index = -1},
    {.name = "warn when lag grows in every commit",
     .n = 10,
     .e = {E(0, 100, 120), E(1, 200, 200), E(2, 300, 280), E(3, 400, 360),
           E(4, 500, 440), E(5, 600, 520), E(6, 700, 600), E(7, 800, 700),
           E(8, 900, 800), E(9, 1000, 900)},
     .nh = 1,
     .h = {H(1900, T0)},
     .now = T0 + 100000,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 120,
     .right = 900,
     .index = -1},
    {.name = "warn when lag holds level while offsets move",
     .n = 3,
     .e = {E(0, 100, 70), E(1, 200, 70), E(2, 300, 70)},
     .nh = 1,
     .h = {H(370, T0)},
     .now = T0 + 20000,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 70,
     .right = 70,
     .index = -1},
    {.name = "lag decreasing once is OK",
     .n = 4,
     .e = {E(0, 100, 100), E(1, 200, 200), E(2, 300, 150), E(3, 400, 300)},
     .nh = 1,
     .h = {H(700, T0)},
     .now = T0 + 30000,
     .status = EV_OK,
     .rule = EV_RULE_LAG_DECREASING,
     .left = 100,
     .right = 300,
     .index = -1},
    {.name = "a window lag equal to allowed_lag is OK",
     .n = 3,
     .e = {E(0, 100, 50), E(1, 200, 60), E(2, 300, 70)},
     .nh = 1,
     .h = {H(380, T0)},
     .now = T0 + 20000,
     .allowed = 50,
     .status = EV_OK,
     .rule = EV_RULE_LAG_DECREASING,
     .left = 50,
     .right = 70,
     .index = -1},
    {.name = "window lags all above allowed_lag warn",
     .n = 3,
     .e = {E(0, 100, 50), E(1, 200, 60), E(2, 300, 70)},
     .nh = 1,
     .h = {H(380, T0)},
     .now = T0 + 20000,
     .allowed = 49,
     .status = EV_WARN,
     .rule = EV_RULE_LAG_NOT_DECREASING,
     .left = 50,
     .right = 70,
     .index = -1},
    /* Burrow's fixtures (http/routes/README.md) */
    {.name = "burrow testgroup2: five commits then 60 s of silence",
     .n = 5,
     .e = {E(0, 1000, 3321), E(1, 1100, 3221), E(2, 1200, 3121),
           E(3, 1300, 3021), E(4, 1400, 2921)},
     .nh = 1,
     .h = {H(4321, T0 + 99995)},
     .now = T0 + 100000,
     .status = EV_STOP,
     .rule = EV_RULE_STOP,
     .left = 60000,
     .right = 40000,
     .index = -1},
    {.name = "burrow testgroup: full window draining is OK",
     .n = 10,
     .e = {E(0, 1000, 3321), E(1, 1100, 3221), E(2, 1200, 3121),
           E(3, 1300, 3021), E(4, 1400, 2921), E(5, 1500, 2821),
           E(6, 1600, 2721), E(7, 1700, 2621), E(8, 1800, 2521),
           E(9, 1900, 2421)},
     .nh = 1,
     .h = {H(4321, T0 + 99990)},
     .now = T0 + 100000,
     .status = EV_OK,
     .rule = EV_RULE_LAG_DECREASING,
     .left = 3321,
     .right = 2421,
     .index = -1},
};

ParameterizedTestParameters(ev_rules, decides_status_rule_and_numbers) {
    return cr_make_param_array(rcase_t, rule_cases,
                               sizeof(rule_cases) / sizeof(rule_cases[0]));
}

ParameterizedTest(rcase_t *c, ev_rules, decides_status_rule_and_numbers) {
    ev_params_t p;
    int cap, rot;

    burrow_params(&p);
    if (c->intervals > 0) p.intervals = c->intervals;
    p.allowed_lag = c->allowed;
    p.minimum_complete = c->min_complete;
    cap = c->n > p.intervals ? c->n : p.intervals;
    for (rot = 0; rot < cap; rot++) {
        ev_entry_t es[MAXE];
        ev_head_t hs[MAXE];
        ev_window_t win;
        ev_headring_t ring;
        ev_result_t r;
        int hcap = c->nh > 0 ? c->nh + 2 : 1;

        build_window(&win, es, cap, rot, c->e, c->n);
        build_heads(&ring, hs, hcap, rot % hcap, c->h, c->nh);
        memset(&r, 0xa5, sizeof(r));
        ev_evaluate(&p, &win, &ring, c->now, &r);
        cr_assert_eq(r.status, c->status, "%s (rot %d): status %s, want %s",
                     c->name, rot, ev_status_name(r.status),
                     ev_status_name(c->status));
        cr_assert_eq(r.rule, c->rule, "%s (rot %d): rule %s, want %s", c->name,
                     rot, ev_rule_name(r.rule), ev_rule_name(c->rule));
        cr_assert_eq(r.left, c->left, "%s (rot %d): left %lld, want %lld",
                     c->name, rot, (long long)r.left, (long long)c->left);
        cr_assert_eq(r.right, c->right, "%s (rot %d): right %lld, want %lld",
                     c->name, rot, (long long)r.right, (long long)c->right);
        cr_assert_eq(r.index, c->index, "%s (rot %d): index %d, want %d",
                     c->name, rot, r.index, c->index);
        cr_assert_eq(r.count, c->n, "%s: count", c->name);
        cr_assert(!isnan(r.time_lag_s) && !isnan(r.eta_s), "%s", c->name);
    }
}

Test(ev_rules, complete_is_entries_over_intervals_capped_at_one) {
    ev_entry_t e[MAXE] = {E(0, 1, 0), E(1, 2, 0), E(2, 3, 0), E(3, 4, 0),
                          E(4, 5, 0)};
    ev_head_t h[1] = {H(5, T0)};
    ev_params_t p;
    ev_result_t r;

    burrow_params(&p);
    p.intervals = 4;
    eval_simple(e, 1, h, 1, T0, &p, &r);
    cr_assert_float_eq(r.complete, 0.25, 1e-12);
    eval_simple(e, 4, h, 1, T0, &p, &r);
    cr_assert_float_eq(r.complete, 1.0, 1e-12);
    eval_simple(e, 5, h, 1, T0, &p, &r);
    cr_assert_float_eq(r.complete, 1.0, 1e-12);
    eval_simple(e, 0, h, 1, T0, &p, &r);
    cr_assert_float_eq(r.complete, 0.0, 1e-12);
}

Test(ev_rules, defaults_are_burrows_numbers_with_the_warren_rules) {
    ev_params_t p;

    ev_params_default(&p);
    cr_assert_eq(p.intervals, 10);
    cr_assert_eq(p.allowed_lag, 0);
    cr_assert_float_eq(p.minimum_complete, 0.0, 1e-12);
    cr_assert_eq(p.rules, EV_RULES_WARREN);
}

Test(ev_rules, current_lag_is_newest_head_minus_newest_commit) {
    ev_entry_t e[2] = {E(0, 100, 0), E(1, 250, 0)};
    ev_head_t h[3] = {H(900, T0), H(300, T0 + 1), H(400, T0 + 2)};
    ev_result_t r;

    eval_simple(e, 2, h, 3, T0 + 10000, &BURROW, &r);
    cr_assert_eq(r.current_lag, 150);
}

Test(ev_rules, missing_heads_mean_zero_lag_and_ok) {
    ev_entry_t es[4];
    ev_window_t win;
    ev_headring_t empty;
    ev_head_t hs[2];
    ev_result_t r;
    ev_entry_t e = E(0, 100, 50);

    ev_window_init(&win, es, 4);
    ev_window_push(&win, &e);
    ev_evaluate(&BURROW, &win, NULL, T0 + 999999, &r);
    cr_assert_eq(r.current_lag, 0);
    cr_assert_eq(r.status, EV_OK);
    cr_assert_eq(r.rule, EV_RULE_CURRENT_LAG_ALLOWED);
    cr_assert(!r.time_lag_known);
    ev_headring_init(&empty, hs, 2);
    ev_evaluate(&BURROW, &win, &empty, T0 + 999999, &r);
    cr_assert_eq(r.current_lag, 0);
    cr_assert_eq(r.rule, EV_RULE_CURRENT_LAG_ALLOWED);
}

Test(ev_rules, null_window_is_no_commits) {
    ev_result_t r;

    ev_evaluate(&BURROW, NULL, NULL, 0, &r);
    cr_assert_eq(r.status, EV_OK);
    cr_assert_eq(r.rule, EV_RULE_NO_COMMITS);
    cr_assert_eq(r.count, 0);
    cr_assert_float_eq(r.complete, 0.0, 1e-12);
    cr_assert(!r.time_lag_known && !r.eta_known);
}

Test(ev_rules, evaluates_a_window_filled_by_pushes_past_capacity) {
    ev_entry_t es[10];
    ev_head_t hs[10];
    ev_window_t win;
    ev_headring_t ring;
    ev_result_t r;
    int i;

    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    /* 17 commits: lag grows until commit 9, then only grows again, so
     * the window (commits 7..16) never sees a decrease. */
    for (i = 0; i < 17; i++) {
        ev_entry_t e = {100LL * i, T0 + 10000LL * i, 10LL * i};
        ev_head_t h = {100LL * i + 10LL * i, T0 + 10000LL * i};

        ev_window_push(&win, &e);
        ev_headring_push(&ring, &h);
    }
    cr_assert_eq(win.start, 7);
    ev_evaluate(&BURROW, &win, &ring, T0 + 170000, &r);
    cr_assert_eq(r.status, EV_WARN);
    cr_assert_eq(r.rule, EV_RULE_LAG_NOT_DECREASING);
    cr_assert_eq(r.left, 70);
    cr_assert_eq(r.right, 160);
    cr_assert_eq(r.current_lag, 160);
}

/* Time lag */

static void eval_time_lag(int64_t committed, const ev_head_t *h, int nh,
                          int64_t now, ev_result_t *r) {
    ev_entry_t e[1] = {{committed, now, 0}};

    eval_simple(e, 1, h, nh, now, &BURROW, r);
}

Test(ev_rules, time_lag_interpolates_between_bracketing_heads) {
    ev_head_t h[3] = {H(1000, 0), H(2000, 10000), H(3000, 20000)};
    ev_result_t r;

    eval_time_lag(1500, h, 3, 65000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 60.0, 1e-9);
    eval_time_lag(2250, h, 3, 65000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 52.5, 1e-9);
}

Test(ev_rules, time_lag_at_a_sample_uses_that_sample_time) {
    ev_head_t h[3] = {H(1000, 0), H(2000, 10000), H(3000, 20000)};
    ev_result_t r;

    eval_time_lag(2000, h, 3, 30000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 20.0, 1e-9);
    eval_time_lag(1000, h, 3, 30000, &r);
    cr_assert_float_eq(r.time_lag_s, 30.0, 1e-9);
}

Test(ev_rules, time_lag_is_zero_and_known_when_caught_up) {
    ev_head_t h[2] = {H(1000, 0), H(2000, 10000)};
    ev_result_t r;

    eval_time_lag(2000, h, 2, 99000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 0.0, 1e-12);
    eval_time_lag(2500, h, 2, 99000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 0.0, 1e-12);
}

Test(ev_rules, time_lag_unknown_when_commit_older_than_every_head) {
    ev_head_t h[2] = {H(1000, 0), H(2000, 10000)};
    ev_result_t r;

    eval_time_lag(999, h, 2, 99000, &r);
    cr_assert(!r.time_lag_known);
    cr_assert(r.time_lag_s == 0.0);
    cr_assert(!isnan(r.time_lag_s));
}

Test(ev_rules, time_lag_unknown_without_heads) {
    ev_result_t r;

    eval_time_lag(1000, NULL, 0, 99000, &r);
    cr_assert(!r.time_lag_known);
    cr_assert(r.time_lag_s == 0.0);
}

Test(ev_rules, time_lag_never_negative_when_now_precedes_production) {
    ev_head_t h[2] = {H(1000, 50000), H(2000, 60000)};
    ev_result_t r;

    eval_time_lag(1500, h, 2, 40000, &r);
    cr_assert(r.time_lag_known);
    cr_assert(r.time_lag_s == 0.0);
}

Test(ev_rules, time_lag_uses_newest_of_repeated_head_offsets) {
    /* the head sat at 1000 until t=5000; offset 1000 was produced after */
    ev_head_t h[3] = {H(1000, 0), H(1000, 5000), H(2000, 15000)};
    ev_result_t r;

    eval_time_lag(1000, h, 3, 25000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 20.0, 1e-9);
    cr_assert(!isnan(r.time_lag_s) && !isinf(r.time_lag_s));
}

Test(ev_rules, time_lag_is_the_same_at_every_ring_rotation) {
    /* offset 2000 was seen twice; the newest sighting (t=10 s) counts */
    ev_head_t h[4] = {H(1000, 0), H(2000, 5000), H(2000, 10000),
                      H(3000, 20000)};
    ev_entry_t e[1] = {{2000, 30000, 0}};
    int cap, rot;

    for (cap = 4; cap <= 6; cap++) {
        for (rot = 0; rot < cap; rot++) {
            ev_head_t hs[6];
            ev_entry_t es[1];
            ev_headring_t ring;
            ev_window_t win;
            ev_result_t r;

            build_heads(&ring, hs, cap, rot, h, 4);
            build_window(&win, es, 1, 0, e, 1);
            ev_evaluate(&BURROW, &win, &ring, 40000, &r);
            cr_assert(r.time_lag_known, "cap %d rot %d", cap, rot);
            cr_assert_float_eq(r.time_lag_s, 30.0, 1e-9, "cap %d rot %d", cap,
                               rot);
        }
    }
}

Test(ev_rules, time_lag_reads_a_wrapped_head_ring) {
    ev_head_t hs[3];
    ev_headring_t ring;
    ev_entry_t es[1];
    ev_window_t win;
    ev_result_t r;
    ev_entry_t e = {1500, 0, 0};
    int i;

    ev_headring_init(&ring, hs, 3);
    for (i = 0; i < 5; i++) { /* 0,1000,2000,3000,4000 at i*10 s */
        ev_head_t h = {1000LL * i, 10000LL * i};

        ev_headring_push(&ring, &h);
    }
    cr_assert_eq(ring.start, 2);
    ev_window_init(&win, es, 1);
    e.offset = 3500;
    ev_window_push(&win, &e);
    ev_evaluate(&BURROW, &win, &ring, 100000, &r);
    cr_assert(r.time_lag_known);
    cr_assert_float_eq(r.time_lag_s, 65.0, 1e-9);
    cr_assert_eq(r.current_lag, 500);
}

/* Drain rate and ETA */

Test(ev_rules, eta_from_drain_rate_across_the_window) {
    ev_entry_t e[3] = {{100, 0, 1000}, {700, 30000, 700}, {1300, 60000, 400}};
    ev_head_t h[1] = {H(1700, 60000)};
    ev_result_t r;

    eval_simple(e, 3, h, 1, 61000, &BURROW, &r);
    cr_assert_eq(r.current_lag, 400);
    cr_assert(r.eta_known);
    cr_assert_float_eq(r.drain_rate, 10.0, 1e-9);
    cr_assert_float_eq(r.eta_s, 40.0, 1e-9);
    cr_assert_eq(r.status, EV_OK);
}

Test(ev_rules, no_eta_when_lag_did_not_shrink) {
    ev_entry_t e[2] = {{100, 0, 400}, {200, 30000, 400}};
    ev_head_t h[1] = {H(600, 30000)};
    ev_result_t r;

    eval_simple(e, 2, h, 1, 31000, &BURROW, &r);
    cr_assert(!r.eta_known);
    cr_assert(r.eta_s == 0.0 && r.drain_rate == 0.0);
}

Test(ev_rules, no_eta_when_window_spans_no_time) {
    ev_entry_t e[2] = {{100, 5000, 900}, {200, 5000, 400}};
    ev_head_t h[1] = {H(600, 5000)};
    ev_result_t r;

    eval_simple(e, 2, h, 1, 5000, &BURROW, &r);
    cr_assert(!r.eta_known);
    cr_assert(r.eta_s == 0.0 && r.drain_rate == 0.0);
}

Test(ev_rules, a_stop_has_no_eta_though_its_stored_lags_fell) {
    /* the stored lags fell from 900 to 400 (measured against an old
     * head), but the group has stopped: no lag is draining */
    ev_entry_t e[2] = {{100, 0, 900}, {200, 10000, 400}};
    ev_head_t h[1] = {H(600, 10000)};
    ev_result_t r;

    eval_simple(e, 2, h, 1, 999999, &BURROW, &r);
    cr_assert_eq(r.status, EV_STOP);
    cr_assert(!r.eta_known);
    cr_assert(r.eta_s == 0.0 && r.drain_rate == 0.0);
}

/* Explanations */

Test(ev_rules, explains_stop_with_seconds) {
    ev_result_t r = {.status = EV_STOP,
                     .rule = EV_RULE_STOP,
                     .left = 60000,
                     .right = 40000,
                     .count = 5};
    char buf[200];

    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "no commit for 60 s, longer than the 40 s the "
                          "window spans: the consumer has stopped");
}

Test(ev_rules, explains_lag_not_decreasing_with_numbers) {
    ev_result_t r = {.status = EV_WARN,
                     .rule = EV_RULE_LAG_NOT_DECREASING,
                     .left = 120,
                     .right = 900,
                     .count = 10};
    char buf[200];

    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "lag grew or held in each of the last 10 commits "
                          "(from 120 to 900): the consumer is slower than "
                          "the producers");
}

/* OK because one step dropped, while lag rose overall: the sentence must
 * say what the rule saw, not that lag fell. */
Test(ev_rules, explains_ok_when_lag_rose_overall_but_dropped_once) {
    ev_entry_t e[6] = {{100, 0, 29250},     {200, 10000, 29800},
                       {300, 20000, 30500}, {400, 30000, 30000},
                       {500, 40000, 30900}, {600, 50000, 31200}};
    ev_head_t h[1] = {H(31800, 50000)};
    ev_result_t r;
    char buf[300];

    eval_simple(e, 6, h, 1, 55000, &BURROW, &r);
    cr_assert_eq(r.status, EV_OK);
    cr_assert_eq(r.rule, EV_RULE_LAG_DECREASING);
    ev_explain(&r, buf, sizeof(buf));
    cr_assert_null(strstr(buf, "fell"), "%s", buf);
    cr_assert_str_eq(buf, "lag went from 29250 to 31200 during the last 6 "
                          "commits but did not grow or hold at every one "
                          "(it dropped at least once or was within the "
                          "allowed lag): the consumer is keeping up");
    /* lag that did fall overall says so */
    r.left = 31200;
    r.right = 29250;
    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "lag fell during the last 6 commits (from 31200 "
                          "to 29250): the consumer is keeping up");
}

Test(ev_rules, explains_rewind_and_stall_with_numbers) {
    ev_result_t r = {.status = EV_REWIND,
                     .rule = EV_RULE_REWIND,
                     .left = 250,
                     .right = 300,
                     .index = 3,
                     .count = 5};
    char buf[200];

    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "the committed offset went back from 300 to 250 "
                          "at commit 4 of 5 and never got back: the "
                          "consumer rewound");
    r = (ev_result_t){.status = EV_STALL,
                      .rule = EV_RULE_STALL,
                      .left = 1000,
                      .right = 30,
                      .count = 4};
    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "the committed offset stayed at 1000 across the "
                          "last 4 commits while lag was at least 30: the "
                          "consumer is stalled");
}

Test(ev_rules, explains_fractional_seconds_and_incomplete_percent) {
    ev_result_t r = {.status = EV_STOP,
                     .rule = EV_RULE_STOP,
                     .left = 1500,
                     .right = 0,
                     .count = 1};
    char buf[200];

    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "no commit for 1.5 s, longer than the 0 s the "
                          "window spans: the consumer has stopped");
    r = (ev_result_t){.status = EV_OK,
                      .rule = EV_RULE_INCOMPLETE,
                      .left = 300000,
                      .right = 500000,
                      .count = 3};
    ev_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "the window is only 30% full (3 commits), below "
                          "the 50% minimum: too early to judge, so OK");
}

Test(ev_rules, explains_every_rule_in_one_nonempty_sentence) {
    int rule;

    for (rule = 0; rule < EV_RULE__COUNT; rule++) {
        ev_result_t r = {.status = EV_OK,
                         .rule = (ev_rule_t)rule,
                         .left = 7,
                         .right = 3,
                         .index = 1,
                         .count = 2};
        char buf[300];
        int n = ev_explain(&r, buf, sizeof(buf));

        cr_assert(n > 20 && (size_t)n < sizeof(buf), "rule %d", rule);
        cr_assert_eq((size_t)n, strlen(buf));
        cr_assert(strchr(buf, '\n') == NULL);
        cr_assert(strchr(buf, ':') != NULL, "%s", buf);
    }
}

Test(ev_rules, explain_reports_full_length_when_truncated) {
    ev_result_t r = {.status = EV_STOP,
                     .rule = EV_RULE_STOP,
                     .left = 60000,
                     .right = 40000,
                     .count = 5};
    char small[10];
    int full = ev_explain(&r, NULL, 0);

    cr_assert_eq(ev_explain(&r, small, sizeof(small)), full);
    cr_assert_eq(strlen(small), sizeof(small) - 1);
    cr_assert(full > (int)sizeof(small));
}

/* ev_status */

Test(ev_status, names_round_trip_through_parse) {
    int s;

    for (s = EV_NOTFOUND; s <= EV_REWIND; s++) {
        ev_status_t back = (ev_status_t)-1;

        cr_assert_eq(ev_status_parse(ev_status_name((ev_status_t)s), &back), 0,
                     "%s", ev_status_name((ev_status_t)s));
        cr_assert_eq((int)back, s);
    }
}

Test(ev_status, names_are_burrows) {
    cr_assert_str_eq(ev_status_name(EV_NOTFOUND), "NOTFOUND");
    cr_assert_str_eq(ev_status_name(EV_OK), "OK");
    cr_assert_str_eq(ev_status_name(EV_WARN), "WARN");
    cr_assert_str_eq(ev_status_name(EV_ERR), "ERR");
    cr_assert_str_eq(ev_status_name(EV_STOP), "STOP");
    cr_assert_str_eq(ev_status_name(EV_STALL), "STALL");
    cr_assert_str_eq(ev_status_name(EV_REWIND), "REWIND");
    cr_assert_eq((int)EV_REWIND, 6);
}

Test(ev_status, parse_rejects_unknown_and_wrong_case) {
    ev_status_t st = EV_WARN;

    cr_assert_eq(ev_status_parse("ok", &st), -1);
    cr_assert_eq(ev_status_parse("", &st), -1);
    cr_assert_eq(ev_status_parse("OKAY", &st), -1);
    cr_assert_eq(ev_status_parse("UNKNOWN", &st), -1);
    cr_assert_eq(ev_status_parse(NULL, &st), -1);
    cr_assert_eq(st, EV_WARN);
}

Test(ev_status, labels_are_human) {
    cr_assert_str_eq(ev_status_label(EV_OK), "OK");
    cr_assert_str_eq(ev_status_label(EV_WARN), "falling behind");
    cr_assert_str_eq(ev_status_label(EV_ERR), "error");
    cr_assert_str_eq(ev_status_label(EV_STOP), "stopped");
    cr_assert_str_eq(ev_status_label(EV_STALL), "stalled");
    cr_assert_str_eq(ev_status_label(EV_REWIND), "rewound");
    cr_assert_str_eq(ev_status_label(EV_NOTFOUND), "not found");
}

Test(ev_status, out_of_range_values_never_give_null) {
    cr_assert_not_null(ev_status_name((ev_status_t)42));
    cr_assert_not_null(ev_status_label((ev_status_t)-3));
    cr_assert_not_null(ev_rule_name((ev_rule_t)99));
    cr_assert_not_null(ev_rule_name(EV_RULE__COUNT));
}

typedef struct rname_s {
    ev_rule_t rule;
    char name[32];
} rname_t;

static rname_t rule_names[] = {
    {EV_RULE_NO_COMMITS, "no-commits"},
    {EV_RULE_INCOMPLETE, "incomplete"},
    {EV_RULE_CURRENT_LAG_ALLOWED, "current-lag-allowed"},
    {EV_RULE_STOP, "stop"},
    {EV_RULE_REWIND, "rewind"},
    {EV_RULE_STALL, "stall"},
    {EV_RULE_LAG_NOT_DECREASING, "lag-not-decreasing"},
    {EV_RULE_LAG_DECREASING, "lag-decreasing-or-zero"},
};

ParameterizedTestParameters(ev_status, rule_ids_are_stable) {
    return cr_make_param_array(rname_t, rule_names,
                               sizeof(rule_names) / sizeof(rule_names[0]));
}

ParameterizedTest(rname_t *c, ev_status, rule_ids_are_stable) {
    cr_assert_str_eq(ev_rule_name(c->rule), c->name);
}
