/* SPDX-License-Identifier: Apache-2.0 */
/* ev_deploy: the change of a rebalance, the canary shape and the
 * deployment a sequence of rebalances shows. */
#include <criterion/criterion.h>
#include <string.h>

#include "evaluator/ev_deploy.h"

static ev_member_ref_t M(const char *id, const char *client) {
    return (ev_member_ref_t){id, client, "/h"};
}

/* A rebalance at t with the given members joined and left. */
static ev_rebalance_t rb(int64_t t, int32_t before, int32_t after,
                         const ev_member_ref_t *j, size_t nj,
                         const ev_member_ref_t *l, size_t nl) {
    ev_rebalance_t r = {.t_ms = t,
                        .generation_before = -1,
                        .generation = -1,
                        .state_before = "Stable",
                        .state = after ? "Stable" : "Empty",
                        .members_before = before,
                        .members = after,
                        .joined_total = (int32_t)nj,
                        .left_total = (int32_t)nl,
                        .joined = j,
                        .n_joined = nj,
                        .left = l,
                        .n_left = nl};
    r.change = ev_deploy_change(before, after, (int32_t)nj, (int32_t)nl);
    return r;
}

Test(ev_deploy, change_from_counts) {
    cr_assert_eq(ev_deploy_change(0, 3, 3, 0), EV_CHANGE_FILLED);
    cr_assert_eq(ev_deploy_change(3, 0, 0, 3), EV_CHANGE_EMPTIED);
    cr_assert_eq(ev_deploy_change(3, 4, 1, 0), EV_CHANGE_JOINED);
    cr_assert_eq(ev_deploy_change(3, 2, 0, 1), EV_CHANGE_LEFT);
    cr_assert_eq(ev_deploy_change(3, 3, 1, 1), EV_CHANGE_REPLACED);
    cr_assert_eq(ev_deploy_change(3, 3, 0, 0), EV_CHANGE_REASSIGNED);
}

Test(ev_deploy, canary_shape) {
    const char *a[] = {"v1", "v1", "v1", "v2"};
    bool j_last[] = {false, false, false, true};
    bool j_first[] = {true, false, false, false};
    cr_assert(ev_deploy_canary_shape(a, j_last, 4));
    cr_assert_not(ev_deploy_canary_shape(a, j_first, 4),
                  "the odd member must be the one that joined");
    const char *b[] = {"v1", "v2", "v3"};
    bool j3[] = {false, false, true};
    cr_assert_not(ev_deploy_canary_shape(b, j3, 3), "no shared client id");
    const char *c[] = {"v1", "v1", "v2", "v2"};
    cr_assert_not(ev_deploy_canary_shape(c, j_last, 4), "two of each");
    const char *d[] = {"v1", "v2"};
    bool j2[] = {false, true};
    bool both[] = {true, true};
    cr_assert(ev_deploy_canary_shape(d, j2, 2));
    cr_assert_not(ev_deploy_canary_shape(d, both, 2));
    const char *e[] = {"v1", "v1", "v1"};
    cr_assert_not(ev_deploy_canary_shape(e, j3, 3), "one client id");
}

Test(ev_deploy, stop_the_world) {
    ev_member_ref_t old[] = {M("a", "app"), M("b", "app")};
    ev_member_ref_t fresh[] = {M("c", "app"), M("d", "app")};
    ev_rebalance_t s[] = {rb(1000, 2, 0, NULL, 0, old, 2),
                          rb(5000000, 0, 2, fresh, 2, NULL, 0)};
    cr_assert_eq(ev_deploy_classify(s, 1), EV_DEPLOY_NONE, "emptied only");
    cr_assert_eq(ev_deploy_classify(s, 2), EV_DEPLOY_STOP_THE_WORLD,
                 "refilled after it emptied, however long after");
    cr_assert_eq(ev_deploy_classify(s + 1, 1), EV_DEPLOY_NONE,
                 "a group filled without an emptying before it");
}

Test(ev_deploy, blue_green_direct_and_beside) {
    ev_member_ref_t blue[] = {M("b1", "blue"), M("b2", "blue"),
                              M("b3", "blue")};
    ev_member_ref_t green[] = {M("g1", "green"), M("g2", "green"),
                               M("g3", "green")};
    ev_rebalance_t direct = rb(1000, 3, 3, green, 3, blue, 3);
    cr_assert_eq(ev_deploy_classify(&direct, 1), EV_DEPLOY_BLUE_GREEN);
    ev_rebalance_t beside[] = {rb(1000, 3, 6, green, 3, NULL, 0),
                               rb(61000, 6, 3, NULL, 0, blue, 3)};
    cr_assert_eq(ev_deploy_classify(beside, 1), EV_DEPLOY_NONE);
    cr_assert_eq(ev_deploy_classify(beside, 2), EV_DEPLOY_BLUE_GREEN);
    /* the same leave long after green joined: another run, a scale-in */
    beside[1].t_ms = 1000 + EV_DEPLOY_RUN_GAP_MS + 1;
    cr_assert_eq(ev_deploy_classify(beside, 2), EV_DEPLOY_NONE);
    /* two idle members leaving a group nobody joined: a scale-in */
    ev_rebalance_t in = rb(1000, 5, 3, NULL, 0, blue, 2);
    cr_assert_eq(ev_deploy_classify(&in, 1), EV_DEPLOY_NONE);
}

Test(ev_deploy, rolling_one_at_a_time) {
    ev_member_ref_t a = M("a", "app"), b = M("b", "app"), a2 = M("a2", "app"),
                    b2 = M("b2", "app");
    ev_rebalance_t s[] = {
        rb(1000, 3, 2, NULL, 0, &a, 1), rb(11000, 2, 3, &a2, 1, NULL, 0),
        rb(21000, 3, 2, NULL, 0, &b, 1), rb(31000, 2, 3, &b2, 1, NULL, 0)};
    cr_assert_eq(ev_deploy_classify(s, 1), EV_DEPLOY_NONE);
    cr_assert_eq(ev_deploy_classify(s, 2), EV_DEPLOY_NONE, "one replaced");
    cr_assert_eq(ev_deploy_classify(s, 3), EV_DEPLOY_ROLLING, "two gone");
    cr_assert_eq(ev_deploy_classify(s, 4), EV_DEPLOY_ROLLING);
    /* a scale-out and back, then a scale-in: nobody joined since the
     * first departure */
    ev_rebalance_t t[] = {rb(1000, 3, 4, &a2, 1, NULL, 0),
                          rb(2000, 4, 3, NULL, 0, &a2, 1),
                          rb(3000, 3, 2, NULL, 0, &a, 1)};
    cr_assert_eq(ev_deploy_classify(t, 3), EV_DEPLOY_NONE);
    /* two members leaving without anyone joining: scale-in */
    ev_rebalance_t u[] = {rb(1000, 4, 3, NULL, 0, &a, 1),
                          rb(2000, 3, 2, NULL, 0, &b, 1)};
    cr_assert_eq(ev_deploy_classify(u, 2), EV_DEPLOY_NONE);
    /* the group forms one member at a time minutes before the deployment,
     * in the same run: its members count as present before it */
    ev_member_ref_t c = M("c", "app"), c2 = M("c2", "app");
    ev_rebalance_t v[] = {
        rb(1000, 1, 2, &b, 1, NULL, 0),  rb(2000, 2, 3, &c, 1, NULL, 0),
        rb(60000, 3, 2, NULL, 0, &b, 1), rb(61000, 2, 3, &b2, 1, NULL, 0),
        rb(62000, 3, 2, NULL, 0, &c, 1), rb(63000, 2, 3, &c2, 1, NULL, 0)};
    cr_assert_eq(ev_deploy_classify(v, 4), EV_DEPLOY_NONE, "one replaced");
    cr_assert_eq(ev_deploy_classify(v, 5), EV_DEPLOY_ROLLING,
                 "two members that joined while the group formed are gone");
    cr_assert_eq(ev_deploy_classify(v, 6), EV_DEPLOY_ROLLING);
    /* the same after a formation that joined two at once */
    ev_member_ref_t bc[] = {b, c};
    v[1] = rb(2000, 1, 3, bc, 2, NULL, 0);
    cr_assert_eq(ev_deploy_classify(v + 1, 5), EV_DEPLOY_ROLLING);
}

Test(ev_deploy, canary_then_rolling) {
    ev_member_ref_t a = M("a", "v1"), b = M("b", "v1"), a2 = M("a2", "v2");
    ev_rebalance_t s[] = {rb(1000, 3, 3, &a2, 1, &a, 1),
                          rb(11000, 3, 2, NULL, 0, &b, 1)};
    s[0].canary_shape = true;
    cr_assert_eq(ev_deploy_classify(s, 1), EV_DEPLOY_CANARY);
    cr_assert_eq(ev_deploy_classify(s, 2), EV_DEPLOY_ROLLING,
                 "a canary that goes on is a rolling deployment");
}

Test(ev_deploy, names_parse_and_explain) {
    ev_deploy_t d;
    for (int k = EV_DEPLOY_STOP_THE_WORLD; k <= EV_DEPLOY_CANARY; k++) {
        cr_assert_eq(ev_deploy_parse(ev_deploy_name((ev_deploy_t)k), &d), 0);
        cr_assert_eq(d, k);
    }
    cr_assert_eq(ev_deploy_parse("none", &d), 0);
    cr_assert_eq(d, EV_DEPLOY_NONE);
    cr_assert_eq(ev_deploy_parse("Rolling", &d), -1);
    cr_assert_null(ev_deploy_name(EV_DEPLOY_NONE));
    ev_member_ref_t j = M("x", "app-v2");
    ev_rebalance_t r = rb(0, 3, 4, &j, 1, NULL, 0);
    r.generation_before = 4;
    r.generation = 5;
    r.partitions_moved = 1;
    r.deployment = EV_DEPLOY_CANARY;
    char buf[256];
    ev_deploy_explain(&r, buf, sizeof(buf));
    cr_assert_str_eq(buf, "canary deployment: 1 member joined (app-v2), 3 -> "
                          "4 members, generation 4 -> 5, 1 partition moved");
    char small[16];
    int n = ev_deploy_explain(&r, small, sizeof(small));
    cr_assert_eq((size_t)n, strlen(buf), "snprintf's length");
    cr_assert_eq(strlen(small), sizeof(small) - 1, "truncated, terminated");
}
