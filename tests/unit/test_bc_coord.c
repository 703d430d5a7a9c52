/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for bc_coord: the in-process group coordinator.
 *
 * Time is passed in as literals, so session and rebalance timeouts are
 * checked to the millisecond.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_coord.h"

/* Topic metadata for the tests: "orders" has `orders_parts` partitions. */
static _Atomic int32_t orders_parts = 4;

static int32_t parts_cb(void *opaque, const char *topic) {
    (void)opaque;
    if (!strcmp(topic, "orders")) return atomic_load(&orders_parts);
    if (!strcmp(topic, "audit")) return 2;
    return -1;
}

static const char *orders_only[] = {"orders"};

static bc_coord_t *mk(void) {
    bc_coord_conf_t conf = {.partitions_cb = parts_cb};
    char err[128];
    bc_coord_t *c;

    atomic_store(&orders_parts, 4);
    c = bc_coord_new(&conf, err, sizeof(err));
    cr_assert(c, "%s", err);
    return c;
}

static int join(bc_coord_t *c, const char *member_in, const char *client,
                int64_t now, char *member_out, int32_t *gen) {
    bc_coord_join_t req = {.group = "g",
                           .member_id = member_in,
                           .client_id = client,
                           .host = "/127.0.0.1",
                           .topics = orders_only,
                           .topic_cnt = 1,
                           .strategy = BC_ASSIGN_RANGE};

    return bc_coord_join(c, &req, now, member_out, gen);
}

/* Partitions of member as "0 1 2" (sorted). */
static void parts_of(bc_coord_t *c, const char *member, int64_t now, char *out,
                     size_t size, int32_t *gen) {
    bc_group_tp_t *tps;
    size_t cnt, n = 0;

    cr_assert_eq(bc_coord_sync(c, "g", member, now, gen, &tps, &cnt), 0);
    out[0] = '\0';
    for (size_t i = 0; i < cnt; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%d", i ? " " : "",
                              (int)tps[i].partition);
    free(tps);
}

/* Two members A and B, STABLE at generation 2 with A = 0 1, B = 2 3 (A's
 * id sorts first because both use client id "c" and ids are unique). */
static void two_members(bc_coord_t *c, char *a, char *b, int64_t now) {
    int32_t gen;

    cr_assert_eq(join(c, NULL, "c", now, a, &gen), 0);
    cr_assert_eq(gen, 1);
    cr_assert_eq(join(c, NULL, "c", now, b, &gen), BC_COORD_ERR_JOIN_PENDING);
    cr_assert_eq(bc_coord_heartbeat(c, "g", a, 1, now),
                 BC_COORD_ERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(join(c, a, "c", now, a, &gen), 0);
    cr_assert_eq(gen, 2);
}

Test(bc_coord, first_member_gets_every_partition_at_generation_one) {
    bc_coord_t *c = mk();
    char m[BC_COORD_MEMBER_ID_SIZE], got[64];
    int32_t gen = 0;

    cr_assert_eq(join(c, NULL, "consumer-1", 0, m, &gen), 0);
    cr_expect_eq(gen, 1);
    cr_expect_eq(strncmp(m, "consumer-1-", 11), 0, "member id %s", m);
    parts_of(c, m, 0, got, sizeof(got), &gen);
    cr_expect_str_eq(got, "0 1 2 3");
    cr_expect_eq(bc_coord_heartbeat(c, "g", m, 1, 100), 0);
    bc_coord_destroy(c);
}

Test(bc_coord, second_member_triggers_rebalance_and_partitions_split) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE];
    char pa[64], pb[64];
    int32_t gen;
    const char *first, *second;

    two_members(c, a, b, 0);
    parts_of(c, a, 0, pa, sizeof(pa), &gen);
    parts_of(c, b, 0, pb, sizeof(pb), &gen);
    cr_expect_eq(gen, 2);
    /* Range gives 0 1 to the member whose id sorts first. */
    first = strcmp(a, b) < 0 ? pa : pb;
    second = strcmp(a, b) < 0 ? pb : pa;
    cr_expect_str_eq(first, "0 1");
    cr_expect_str_eq(second, "2 3");
    bc_coord_destroy(c);
}

Test(bc_coord, old_owner_may_commit_while_rebalance_is_prepared) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_assert_eq(join(c, NULL, "c", 10, b, &gen), BC_COORD_ERR_JOIN_PENDING);
    /* A still holds generation 1: its revoke-time commit is accepted. */
    cr_expect_eq(bc_coord_check_commit(c, "g", a, 1, 20), 0);
    /* B, pending, syncs and is told to wait. */
    cr_expect_eq(
        bc_coord_sync(c, "g", b, 20, &gen, &(bc_group_tp_t *){0}, &(size_t){0}),
        BC_COORD_ERR_JOIN_PENDING);
    cr_assert_eq(join(c, a, "c", 30, a, &gen), 0);
    /* After the generation moved, the old generation is fenced. */
    cr_expect_eq(bc_coord_check_commit(c, "g", a, 1, 40),
                 BC_COORD_ERR_ILLEGAL_GENERATION);
    cr_expect_eq(bc_coord_check_commit(c, "g", a, 2, 40), 0);
    bc_coord_destroy(c);
}

Test(bc_coord, silent_member_removed_at_session_timeout_not_before) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE], pb[64];
    int32_t gen;

    two_members(c, a, b, 1000);
    /* B heartbeats; A stays silent after t=1000. */
    cr_expect_eq(bc_coord_heartbeat(c, "g", b, 2, 30000), 0);
    cr_expect_eq(bc_coord_heartbeat(c, "g", b, 2, 45999), 0);
    /* 45 s after A was last heard: A is removed, B must rejoin. */
    cr_expect_eq(bc_coord_heartbeat(c, "g", b, 2, 46000),
                 BC_COORD_ERR_REBALANCE_IN_PROGRESS);
    cr_expect_eq(bc_coord_heartbeat(c, "g", a, 2, 46000),
                 BC_COORD_ERR_UNKNOWN_MEMBER);
    cr_expect_eq(bc_coord_check_commit(c, "g", a, 2, 46000),
                 BC_COORD_ERR_UNKNOWN_MEMBER);
    cr_assert_eq(join(c, b, "c", 46001, b, &gen), 0);
    cr_expect_eq(gen, 3);
    parts_of(c, b, 46001, pb, sizeof(pb), &gen);
    cr_expect_str_eq(pb, "0 1 2 3");
    bc_coord_destroy(c);
}

Test(bc_coord, leave_rebalances_the_rest_at_once) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE], pb[64];
    bc_coord_desc_t *d;
    int32_t gen;

    two_members(c, a, b, 0);
    cr_assert_eq(bc_coord_leave(c, "g", a, 5), 0);
    d = bc_coord_describe(c, "g", 5);
    cr_assert(d);
    cr_expect_eq(d->member_cnt, 1);
    cr_expect_str_eq(d->members[0].member_id, b);
    cr_expect_eq(d->state, BC_COORD_PREPARING_REBALANCE);
    bc_coord_desc_free(d);
    cr_expect_eq(bc_coord_heartbeat(c, "g", b, 2, 6),
                 BC_COORD_ERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(join(c, b, "c", 7, b, &gen), 0);
    parts_of(c, b, 7, pb, sizeof(pb), &gen);
    cr_expect_str_eq(pb, "0 1 2 3");
    cr_expect_eq(bc_coord_leave(c, "g", a, 8), BC_COORD_ERR_UNKNOWN_MEMBER);
    cr_assert_eq(bc_coord_leave(c, "g", b, 9), 0);
    d = bc_coord_describe(c, "g", 9);
    cr_expect_eq(d->state, BC_COORD_EMPTY);
    cr_expect_eq(d->generation, 4);
    bc_coord_desc_free(d);
    bc_coord_destroy(c);
}

Test(bc_coord, member_not_rejoining_within_rebalance_timeout_is_removed) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_assert_eq(join(c, NULL, "c", 0, b, &gen), BC_COORD_ERR_JOIN_PENDING);
    /* A keeps heartbeating (alive) but never rejoins: 300 s later it is
     * dropped and B's join completes alone. */
    for (int64_t t = 3000; t < 300000; t += 3000) {
        cr_assert_eq(bc_coord_heartbeat(c, "g", a, 1, t),
                     BC_COORD_ERR_REBALANCE_IN_PROGRESS);
        cr_assert_eq(bc_coord_sync(c, "g", b, t, &gen, &(bc_group_tp_t *){0},
                                   &(size_t){0}),
                     BC_COORD_ERR_JOIN_PENDING);
    }
    cr_expect_eq(bc_coord_heartbeat(c, "g", a, 1, 300000),
                 BC_COORD_ERR_UNKNOWN_MEMBER);
    {
        bc_group_tp_t *tps;
        size_t cnt;

        cr_assert_eq(bc_coord_sync(c, "g", b, 300000, &gen, &tps, &cnt), 0);
        cr_expect_eq(cnt, 4);
        cr_expect_eq(gen, 2);
        free(tps);
    }
    bc_coord_destroy(c);
}

Test(bc_coord, owners_visible_per_partition) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE];
    bc_coord_desc_t *d;
    const bc_coord_member_t *o;

    two_members(c, a, b, 0);
    d = bc_coord_describe(c, "g", 0);
    cr_assert(d);
    cr_expect_eq(d->state, BC_COORD_STABLE);
    cr_expect_str_eq(d->protocol, "range");
    for (int32_t p = 0; p < 4; p++) {
        o = bc_coord_desc_owner(d, "orders", p);
        cr_assert(o, "partition %d has no owner", p);
        cr_expect_str_eq(o->client_id, "c");
        cr_expect_str_eq(o->host, "/127.0.0.1");
        cr_expect(!strcmp(o->member_id, a) || !strcmp(o->member_id, b));
    }
    cr_expect_null(bc_coord_desc_owner(d, "orders", 4));
    cr_expect_null(bc_coord_describe(c, "nope", 0));
    bc_coord_desc_free(d);
    bc_coord_destroy(c);
}

Test(bc_coord, manual_commit_allowed_only_while_group_is_empty) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;

    cr_expect_eq(bc_coord_check_commit(c, "g", NULL, -1, 0), 0);
    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_expect_eq(bc_coord_check_commit(c, "g", "", -1, 0),
                 BC_COORD_ERR_UNKNOWN_MEMBER);
    cr_assert_eq(bc_coord_leave(c, "g", a, 1), 0);
    cr_expect_eq(bc_coord_check_commit(c, "g", NULL, -1, 2), 0);
    bc_coord_destroy(c);
}

Test(bc_coord, different_assignor_is_inconsistent_protocol) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], b[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    bc_coord_join_t req = {.group = "g",
                           .client_id = "c",
                           .host = "h",
                           .topics = orders_only,
                           .topic_cnt = 1,
                           .strategy = BC_ASSIGN_ROUNDROBIN};

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_expect_eq(bc_coord_join(c, &req, 0, b, &gen),
                 BC_COORD_ERR_INCONSISTENT_PROTOCOL);
    bc_coord_destroy(c);
}

Test(bc_coord, session_timeout_outside_broker_limits_is_refused) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    bc_coord_join_t req = {.group = "g",
                           .client_id = "c",
                           .host = "h",
                           .topics = orders_only,
                           .topic_cnt = 1,
                           .session_timeout_ms = 5999};

    cr_expect_eq(bc_coord_join(c, &req, 0, a, &gen),
                 BC_COORD_ERR_INVALID_SESSION_TIMEOUT);
    req.session_timeout_ms = 1800001;
    cr_expect_eq(bc_coord_join(c, &req, 0, a, &gen),
                 BC_COORD_ERR_INVALID_SESSION_TIMEOUT);
    req.session_timeout_ms = 6000;
    cr_expect_eq(bc_coord_join(c, &req, 0, a, &gen), 0);
    req.group = "";
    cr_expect_eq(bc_coord_join(c, &req, 0, a, &gen), BC_ERR_INVALID);
    bc_coord_destroy(c);
}

Test(bc_coord, more_partitions_trigger_rebalance) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE], pa[64];
    int32_t gen;

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_expect_eq(bc_coord_heartbeat(c, "g", a, 1, 1), 0);
    atomic_store(&orders_parts, 6);
    cr_expect_eq(bc_coord_heartbeat(c, "g", a, 1, 2),
                 BC_COORD_ERR_REBALANCE_IN_PROGRESS);
    cr_assert_eq(join(c, a, "c", 3, a, &gen), 0);
    parts_of(c, a, 3, pa, sizeof(pa), &gen);
    cr_expect_str_eq(pa, "0 1 2 3 4 5");
    bc_coord_destroy(c);
}

Test(bc_coord, stable_rejoin_without_change_keeps_generation) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_assert_eq(join(c, a, "c", 1, a, &gen), 0);
    cr_expect_eq(gen, 1);
    cr_expect_eq(join(c, "no-such-member", "c", 1, a, &gen),
                 BC_COORD_ERR_UNKNOWN_MEMBER);
    bc_coord_destroy(c);
}

Test(bc_coord, delete_refuses_group_with_members) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    size_t n;
    char **names;

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_expect_eq(bc_coord_delete_group(c, "g"), BC_COORD_ERR_NON_EMPTY_GROUP);
    names = bc_coord_list_groups(c, &n);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(names[0], "g");
    bc_coord_names_free(names, n);
    cr_assert_eq(bc_coord_leave(c, "g", a, 1), 0);
    cr_expect_eq(bc_coord_delete_group(c, "g"), 0);
    cr_expect_eq(bc_coord_delete_group(c, "g"), BC_ERR_NOT_FOUND);
    bc_coord_destroy(c);
}

Test(bc_coord, tick_expires_members_of_every_group) {
    bc_coord_t *c = mk();
    char a[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    bc_coord_desc_t *d;

    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    cr_expect_eq(bc_coord_tick(c, 44999), 0);
    cr_expect_eq(bc_coord_tick(c, 45000), 1);
    d = bc_coord_describe(c, "g", 45000);
    cr_expect_eq(d->member_cnt, 0);
    cr_expect_eq(d->state, BC_COORD_EMPTY);
    bc_coord_desc_free(d);
    bc_coord_destroy(c);
}

/* ---- concurrency --------------------------------------------------- */

typedef struct worker_s {
    bc_coord_t *c;
    int id;
    int ok;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    char m[BC_COORD_MEMBER_ID_SIZE], client[16];
    int32_t gen = -1;

    snprintf(client, sizeof(client), "w%d", w->id);
    for (int round = 0; round < 50; round++) {
        int rc = join(w->c, NULL, client, round, m, &gen);

        for (int i = 0; i < 200 && rc == BC_COORD_ERR_JOIN_PENDING; i++) {
            bc_group_tp_t *tps;
            size_t cnt;

            rc = bc_coord_sync(w->c, "g", m, round, &gen, &tps, &cnt);
            free(tps);
            if (rc == BC_COORD_ERR_REBALANCE_IN_PROGRESS)
                rc = join(w->c, m, client, round, m, &gen);
        }
        (void)bc_coord_heartbeat(w->c, "g", m, gen, round);
        (void)bc_coord_check_commit(w->c, "g", m, gen, round);
        if (bc_coord_leave(w->c, "g", m, round) == 0) w->ok++;
    }
    return NULL;
}

Test(bc_coord, concurrent_members_keep_the_group_consistent) {
    bc_coord_t *c = mk();
    pthread_t th[4];
    worker_t w[4];
    bc_coord_desc_t *d;

    for (int i = 0; i < 4; i++) {
        w[i] = (worker_t){c, i, 0};
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(w[i].ok, 50, "worker %d left %d times", i, w[i].ok);
    d = bc_coord_describe(c, "g", 100);
    cr_assert(d);
    cr_expect_eq(d->member_cnt, 0);
    cr_expect_eq(d->state, BC_COORD_EMPTY);
    bc_coord_desc_free(d);
    bc_coord_destroy(c);
}

typedef struct waiter_s {
    bc_coord_t *c;
    uint64_t seq;
    int woke;
} waiter_t;

static void *waiter(void *arg) {
    waiter_t *w = arg;

    w->woke = bc_coord_wait(w->c, &w->seq, 10000);
    return NULL;
}

Test(bc_coord, wait_wakes_on_group_change) {
    bc_coord_t *c = mk();
    waiter_t w = {c, 0, 0};
    pthread_t th;
    char a[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    uint64_t s;

    w.seq = bc_coord_seq(c);
    pthread_create(&th, NULL, waiter, &w);
    cr_assert_eq(join(c, NULL, "c", 0, a, &gen), 0);
    pthread_join(th, NULL);
    cr_expect_eq(w.woke, 1);
    s = bc_coord_seq(c);
    cr_expect_eq(bc_coord_wait(c, &s, 10), 0);
    bc_coord_destroy(c);
}
