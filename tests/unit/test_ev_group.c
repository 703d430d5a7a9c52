/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for ev_group: the group roll-up (worst status with STOP, STALL and
 * REWIND as ERR, total lag, max-lag partition with first-wins ties, the
 * share of full windows), from hand-made results and from real
 * evaluations of Burrow's fixtures.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "evaluator/ev_group.h"

/* These tests pin Burrow's rules, bit-exact: every evaluation selects
 * them explicitly (the default rule set is warren, test_ev_warren.c). */
static const ev_params_t BURROW = {.intervals = 10,
                                   .allowed_lag = 0,
                                   .minimum_complete = 0.0,
                                   .rules = EV_RULES_BURROW};

static ev_result_t res(ev_status_t st, int64_t lag, double complete) {
    ev_result_t r = {
        .status = st, .current_lag = lag, .complete = complete, .index = -1};

    return r;
}

Test(ev_group, empty_group_is_ok_complete_with_no_maxlag) {
    ev_group_t g;

    ev_group_init(&g);
    cr_assert_eq(g.status, EV_OK);
    cr_assert_eq(g.totallag, 0);
    cr_assert_eq(g.maxlag_index, -1);
    cr_assert_eq(g.maxlag, 0);
    cr_assert_eq(g.partition_count, 0);
    cr_assert_eq(g.full_count, 0);
    cr_assert_float_eq(g.complete, 1.0, 1e-12);
    cr_assert_float_eq(g.max_time_lag_s, 0.0, 1e-12);
    cr_assert_eq(g.time_lag_count, 0);
}

typedef struct map_case_s {
    ev_status_t partition;
    ev_status_t group;
} map_case_t;

static map_case_t map_cases[] = {
    {EV_OK, EV_OK},
    {EV_WARN, EV_WARN},
    {EV_STOP, EV_ERR},
    {EV_STALL, EV_ERR},
    {EV_REWIND, EV_ERR},
    {EV_ERR, EV_ERR},
    {EV_NOTFOUND, EV_NOTFOUND},
};

ParameterizedTestParameters(ev_group, maps_partition_status_to_group) {
    return cr_make_param_array(map_case_t, map_cases,
                               sizeof(map_cases) / sizeof(map_cases[0]));
}

ParameterizedTest(map_case_t *c, ev_group, maps_partition_status_to_group) {
    cr_assert_eq(ev_group_status_of(c->partition), c->group, "partition %d",
                 c->partition);
}

/* Worst status wins: a list of partition statuses and the group status. */
typedef struct worst_case_s {
    int n;
    ev_status_t st[5];
    ev_status_t want;
} worst_case_t;

static worst_case_t worst_cases[] = {
    {1, {EV_OK}, EV_OK},
    {3, {EV_OK, EV_OK, EV_OK}, EV_OK},
    {3, {EV_OK, EV_WARN, EV_OK}, EV_WARN},
    {3, {EV_WARN, EV_OK, EV_OK}, EV_WARN},
    {3, {EV_OK, EV_STOP, EV_WARN}, EV_ERR},
    {3, {EV_STALL, EV_WARN, EV_OK}, EV_ERR},
    {2, {EV_WARN, EV_REWIND}, EV_ERR},
    {5, {EV_OK, EV_OK, EV_OK, EV_OK, EV_STALL}, EV_ERR},
};

ParameterizedTestParameters(ev_group, status_is_the_worst_partition) {
    return cr_make_param_array(worst_case_t, worst_cases,
                               sizeof(worst_cases) / sizeof(worst_cases[0]));
}

ParameterizedTest(worst_case_t *c, ev_group, status_is_the_worst_partition) {
    ev_group_t g;
    int i;

    ev_group_init(&g);
    for (i = 0; i < c->n; i++) {
        ev_result_t r = res(c->st[i], 1, 1.0);

        ev_group_add(&g, &r, i);
    }
    cr_assert_eq(g.status, c->want, "got %d want %d", g.status, c->want);
    cr_assert_eq(g.partition_count, c->n);
}

Test(ev_group, totallag_sums_current_lags) {
    ev_group_t g;
    int64_t lags[4] = {5, 0, 1000000000000LL, 7};
    int i;

    ev_group_init(&g);
    for (i = 0; i < 4; i++) {
        ev_result_t r = res(EV_OK, lags[i], 1.0);

        ev_group_add(&g, &r, i);
    }
    cr_assert_eq(g.totallag, 1000000000012LL);
}

Test(ev_group, maxlag_first_wins_ties_and_keeps_the_given_index) {
    ev_group_t g;
    int64_t lags[4] = {5, 9, 9, 3};
    int i;

    ev_group_init(&g);
    for (i = 0; i < 4; i++) {
        ev_result_t r = res(EV_OK, lags[i], 1.0);

        ev_group_add(&g, &r, 10 + i);
    }
    cr_assert_eq(g.maxlag_index, 11);
    cr_assert_eq(g.maxlag, 9);
}

Test(ev_group, maxlag_is_the_first_partition_when_all_lags_are_zero) {
    ev_group_t g;
    int i;

    ev_group_init(&g);
    for (i = 0; i < 3; i++) {
        ev_result_t r = res(EV_OK, 0, 1.0);

        ev_group_add(&g, &r, 4 + i);
    }
    cr_assert_eq(g.maxlag_index, 4);
    cr_assert_eq(g.maxlag, 0);
}

Test(ev_group, later_larger_lag_replaces_maxlag) {
    ev_group_t g;
    ev_result_t a = res(EV_OK, 5, 1.0), b = res(EV_WARN, 6, 1.0);

    ev_group_init(&g);
    ev_group_add(&g, &a, 0);
    ev_group_add(&g, &b, 1);
    cr_assert_eq(g.maxlag_index, 1);
    cr_assert_eq(g.maxlag, 6);
}

Test(ev_group, complete_is_share_of_full_windows) {
    ev_group_t g;
    ev_result_t a = res(EV_OK, 0, 1.0), b = res(EV_OK, 0, 0.5),
                c = res(EV_OK, 0, 1.0), d = res(EV_OK, 0, 0.9);

    ev_group_init(&g);
    ev_group_add(&g, &a, 0);
    ev_group_add(&g, &b, 1);
    ev_group_add(&g, &c, 2);
    cr_assert_eq(g.full_count, 2);
    cr_assert_float_eq(g.complete, 2.0 / 3.0, 1e-12);
    ev_group_add(&g, &d, 3);
    cr_assert_eq(g.full_count, 2);
    cr_assert_float_eq(g.complete, 0.5, 1e-12);
}

Test(ev_group, counts_partitions_per_status) {
    ev_group_t g;
    ev_status_t st[6] = {EV_OK, EV_WARN, EV_OK, EV_STOP, EV_STALL, EV_OK};
    int i;

    ev_group_init(&g);
    for (i = 0; i < 6; i++) {
        ev_result_t r = res(st[i], 0, 1.0);

        ev_group_add(&g, &r, i);
    }
    cr_assert_eq(g.counts[EV_OK], 3);
    cr_assert_eq(g.counts[EV_WARN], 1);
    cr_assert_eq(g.counts[EV_STOP], 1);
    cr_assert_eq(g.counts[EV_STALL], 1);
    cr_assert_eq(g.counts[EV_REWIND], 0);
    cr_assert_eq(g.counts[EV_ERR], 0);
}

Test(ev_group, max_time_lag_ignores_unknown_estimates) {
    ev_group_t g;
    ev_result_t a = res(EV_OK, 0, 1.0), b = res(EV_OK, 0, 1.0),
                c = res(EV_OK, 0, 1.0);

    a.time_lag_s = 12.5;
    a.time_lag_known = true;
    b.time_lag_s = 99.0; /* not known: must not count */
    b.time_lag_known = false;
    c.time_lag_s = 3.0;
    c.time_lag_known = true;
    ev_group_init(&g);
    ev_group_add(&g, &a, 0);
    ev_group_add(&g, &b, 1);
    ev_group_add(&g, &c, 2);
    cr_assert_float_eq(g.max_time_lag_s, 12.5, 1e-12);
    cr_assert_eq(g.time_lag_count, 2);
    ev_group_init(&g);
    ev_group_add(&g, &b, 0);
    cr_assert_eq(g.time_lag_count, 0, "only unknown time lags");
}

#define T0 1700000000000LL

/* Burrow's testgroup2 (http/routes/README.md): one partition, five commits
 * 1000..1400 every 10 s, head 4321, evaluated 60 s after the last commit. */
Test(ev_group, burrow_testgroup2_is_err_with_complete_zero) {
    ev_entry_t es[10];
    ev_head_t hs[10];
    ev_window_t win;
    ev_headring_t ring;
    ev_head_t h = {4321, T0 + 99995};
    ev_result_t r;
    ev_group_t g;
    int i;

    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    for (i = 0; i < 5; i++) {
        ev_entry_t e = {1000 + 100 * i, T0 + 10000LL * i, 3321 - 100 * i};

        ev_window_push(&win, &e);
    }
    ev_headring_push(&ring, &h);
    ev_evaluate(&BURROW, &win, &ring, T0 + 100000, &r);
    cr_assert_eq(r.status, EV_STOP);
    cr_assert_float_eq(r.complete, 0.5, 1e-12);
    ev_group_init(&g);
    ev_group_add(&g, &r, 0);
    cr_assert_eq(g.status, EV_ERR);
    cr_assert_float_eq(g.complete, 0.0, 1e-12);
    cr_assert_eq(g.totallag, 2921);
    cr_assert_eq(g.maxlag, 2921);
    cr_assert_eq(g.maxlag_index, 0);
    cr_assert_eq(g.partition_count, 1);
}

/* Burrow's testgroup: a full window of ten commits 1000..1900. */
Test(ev_group, burrow_testgroup_is_ok_and_complete) {
    ev_entry_t es[10];
    ev_head_t hs[10];
    ev_window_t win;
    ev_headring_t ring;
    ev_head_t h = {4321, T0 + 99990};
    ev_result_t r;
    ev_group_t g;
    int i;

    ev_window_init(&win, es, 10);
    ev_headring_init(&ring, hs, 10);
    for (i = 0; i < 10; i++) {
        ev_entry_t e = {1000 + 100 * i, T0 + 10000LL * i, 3321 - 100 * i};

        ev_window_push(&win, &e);
    }
    ev_headring_push(&ring, &h);
    ev_evaluate(&BURROW, &win, &ring, T0 + 100000, &r);
    cr_assert_eq(r.status, EV_OK);
    ev_group_init(&g);
    ev_group_add(&g, &r, 0);
    cr_assert_eq(g.status, EV_OK);
    cr_assert_float_eq(g.complete, 1.0, 1e-12);
    cr_assert_eq(g.totallag, 2421);
}
