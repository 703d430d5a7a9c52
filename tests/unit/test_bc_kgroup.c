/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of bc_kgroup, the wire group coordinator: the join phase
 * waits for every member and hands the leader everyone's metadata, the
 * leader's SyncGroup releases the followers' parked syncs, a third member
 * sends the others back through a rebalance (heartbeat says so), a
 * silent member is expired after its session timeout, and commits are
 * checked against the generation; an Empty group's first join phase
 * is held for the initial rebalance delay. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_kerr.h"
#include "broker-core/bc_kgroup.h"
#include "broker-core/bc_wire.h"
#include "tests/unit/bc_test_util.h"

typedef struct slot_s {
    int done;
    bc_kgroup_join_result_t res;
    char member_id[300];
    char leader[300];
    int32_t members;
    int16_t sync_err;
    char assignment[64];
} slot_t;

static void on_join(void *opaque, void *waiter,
                    const bc_kgroup_join_result_t *res) {
    (void)opaque;
    slot_t *s = waiter;
    s->done = 1;
    s->res = *res;
    snprintf(s->member_id, sizeof(s->member_id), "%s", res->member_id);
    snprintf(s->leader, sizeof(s->leader), "%s", res->leader);
    s->members = res->member_cnt;
    s->res.member_id = s->member_id;
    s->res.leader = s->leader;
}

static void on_sync(void *opaque, void *waiter, int16_t error, const uint8_t *a,
                    int32_t len) {
    (void)opaque;
    slot_t *s = waiter;
    s->done = 1;
    s->sync_err = error;
    snprintf(s->assignment, sizeof(s->assignment), "%.*s", (int)len,
             (const char *)a);
}

static bc_kgroup_t *new_kg(void) {
    bc_kgroup_conf_t c = {.join_done = on_join, .sync_done = on_sync};
    return bc_kgroup_new(&c);
}

static void join(bc_kgroup_t *kg, slot_t *s, const char *member, int64_t now) {
    bc_kreq_protocol_t p = {.name = "range",
                            .metadata = (const uint8_t *)"meta",
                            .metadata_len = 4};
    bc_kreq_join_group_t r = {.group = "g",
                              .session_timeout_ms = 10000,
                              .rebalance_timeout_ms = 30000,
                              .member_id = (char *)member,
                              .protocol_type = "consumer",
                              .protocols = &p,
                              .protocol_cnt = 1};
    memset(s, 0, sizeof(*s));
    bc_kgroup_join(kg, &r, "client", "/127.0.0.1", s, now);
}

static void sync_(bc_kgroup_t *kg, slot_t *s, const char *member, int32_t gen,
                  bc_kreq_assignment_t *as, int32_t n, int64_t now) {
    bc_kreq_sync_group_t r = {.group = "g",
                              .generation = gen,
                              .member_id = (char *)member,
                              .assignments = as,
                              .assignment_cnt = n};
    memset(s, 0, sizeof(*s));
    bc_kgroup_sync(kg, &r, s, now);
}

Test(bc_kgroup, two_members_join_sync_and_rebalance_on_a_third) {
    bc_kgroup_t *kg = new_kg();
    slot_t a, b, c, sa, sb;
    join(kg, &a, "", 1000);
    cr_assert(a.done, "a lone member's join completes at once");
    cr_assert_eq(a.res.generation, 1);
    cr_assert_str_eq(a.leader, a.member_id);
    char ida[300];
    snprintf(ida, sizeof(ida), "%s", a.member_id);
    bc_kreq_assignment_t as1 = {.member_id = ida,
                                .assignment = (const uint8_t *)"A1",
                                .assignment_len = 2};
    sync_(kg, &sa, ida, 1, &as1, 1, 1000);
    cr_assert(sa.done);
    cr_assert_str_eq(sa.assignment, "A1");
    cr_assert_eq(bc_kgroup_heartbeat(kg, "g", ida, 1, 1100), 0);

    join(kg, &b, "", 2000);
    cr_assert_not(b.done, "b waits for a to rejoin");
    cr_assert_eq(bc_kgroup_heartbeat(kg, "g", ida, 1, 2100),
                 BC_KERR_REBALANCE_IN_PROGRESS);
    join(kg, &a, ida, 2200);
    cr_assert(a.done && b.done, "both answered when the last rejoined");
    cr_assert_eq(a.res.generation, 2);
    cr_assert_eq(b.res.generation, 2);
    cr_assert_eq(a.members, 2, "the leader gets everyone's metadata");
    cr_assert_eq(b.members, 0);
    char idb[300];
    snprintf(idb, sizeof(idb), "%s", b.member_id);
    sync_(kg, &sb, idb, 2, NULL, 0, 2300);
    cr_assert_not(sb.done, "a follower's sync waits for the leader");
    cr_assert_eq(bc_kgroup_check_commit(kg, "g", idb, 2, 2300),
                 BC_KERR_REBALANCE_IN_PROGRESS);
    bc_kreq_assignment_t as2[2] = {{.member_id = ida,
                                    .assignment = (const uint8_t *)"A2",
                                    .assignment_len = 2},
                                   {.member_id = idb,
                                    .assignment = (const uint8_t *)"B2",
                                    .assignment_len = 2}};
    sync_(kg, &sa, ida, 2, as2, 2, 2400);
    cr_assert(sa.done && sb.done);
    cr_assert_str_eq(sa.assignment, "A2");
    cr_assert_str_eq(sb.assignment, "B2");
    cr_assert_eq(bc_kgroup_check_commit(kg, "g", idb, 2, 2500), 0);
    cr_assert_eq(bc_kgroup_check_commit(kg, "g", idb, 1, 2500),
                 BC_KERR_ILLEGAL_GENERATION);
    cr_assert_eq(bc_kgroup_check_commit(kg, "g", "", -1, 2500),
                 BC_KERR_UNKNOWN_MEMBER_ID);
    bc_kgroup_desc_t *d = bc_kgroup_describe(kg, "g", 2500);
    cr_assert_str_eq(d->state, "Stable");
    cr_assert_str_eq(d->protocol, "range");
    cr_assert_eq(d->member_cnt, 2);
    bc_kgroup_desc_free(d);

    /* A third member joins; then b goes silent and is expired. */
    join(kg, &c, "", 3000);
    join(kg, &a, ida, 3100);
    cr_assert_not(a.done);
    cr_assert_eq(bc_kgroup_tick(kg, 3100 + 30001), 1,
                 "b, who never rejoined, is removed at the rebalance timeout");
    cr_assert(a.done && c.done);
    cr_assert_eq(a.res.generation, 3);
    cr_assert_eq(a.members + c.members, 2);
    cr_assert_eq(bc_kgroup_heartbeat(kg, "g", idb, 2, 40000),
                 BC_KERR_UNKNOWN_MEMBER_ID);
    bc_kgroup_destroy(kg);
}

Test(bc_kgroup, session_timeout_expels_and_leave_empties) {
    bc_kgroup_t *kg = new_kg();
    slot_t a, b, s;
    join(kg, &a, "", 0);
    char ida[300];
    snprintf(ida, sizeof(ida), "%s", a.member_id);
    sync_(kg, &s, ida, 1, NULL, 0, 0);
    join(kg, &b, "", 100);
    join(kg, &a, ida, 200);
    char idb[300];
    snprintf(idb, sizeof(idb), "%s", b.member_id);
    sync_(kg, &s, ida, 2, NULL, 0, 300);
    sync_(kg, &s, idb, 2, NULL, 0, 300);
    /* a keeps heartbeating, b falls silent past its 10 s session. */
    for (int64_t t = 1000; t <= 10000; t += 1000)
        cr_assert_eq(bc_kgroup_heartbeat(kg, "g", ida, 2, t), 0);
    cr_assert_eq(bc_kgroup_tick(kg, 10300), 0, "b heard 10 s ago: kept");
    cr_assert_eq(bc_kgroup_tick(kg, 10301), 1, "b silent over 10 s: out");
    cr_assert_eq(bc_kgroup_heartbeat(kg, "g", ida, 2, 12100),
                 BC_KERR_REBALANCE_IN_PROGRESS);
    join(kg, &a, ida, 12200);
    cr_assert(a.done);
    cr_assert_eq(a.res.generation, 3);
    cr_assert_eq(bc_kgroup_leave(kg, "g", ida, 12300), 0);
    bc_kgroup_desc_t *d = bc_kgroup_describe(kg, "g", 12300);
    cr_assert_str_eq(d->state, "Empty");
    cr_assert_eq(d->member_cnt, 0);
    bc_kgroup_desc_free(d);
    cr_assert_eq(bc_kgroup_check_commit(kg, "g", "", -1, 12400), 0,
                 "an empty group takes manual commits");
    bc_kgroup_destroy(kg);
}

Test(bc_kgroup, inconsistent_protocols_and_bad_timeouts_are_refused) {
    bc_kgroup_t *kg = new_kg();
    slot_t a, b;
    join(kg, &a, "", 0);
    bc_kreq_protocol_t p = {.name = "roundrobin",
                            .metadata = (const uint8_t *)"",
                            .metadata_len = 0};
    bc_kreq_join_group_t r = {.group = "g",
                              .session_timeout_ms = 10000,
                              .rebalance_timeout_ms = 10000,
                              .member_id = "",
                              .protocol_type = "consumer",
                              .protocols = &p,
                              .protocol_cnt = 1};
    memset(&b, 0, sizeof(b));
    bc_kgroup_join(kg, &r, "c", "/h", &b, 10);
    cr_assert(b.done);
    cr_assert_eq(b.res.error, BC_KERR_INCONSISTENT_GROUP_PROTOCOL);
    r.session_timeout_ms = 10;
    memset(&b, 0, sizeof(b));
    bc_kgroup_join(kg, &r, "c", "/h", &b, 10);
    cr_assert_eq(b.res.error, BC_KERR_INVALID_SESSION_TIMEOUT);
    bc_kgroup_destroy(kg);
}

/* Appends a GroupMetadata record (key version 2) for `group` with the
 * given value bytes (NULL: a tombstone). */
static void put_group_record(bc_broker_t *b, bc_offsets_t *off,
                             const char *group, const uint8_t *val,
                             int32_t vlen) {
    bc_wire_wr_t k;
    bc_wire_wr_init(&k, 64);
    bc_wire_wr_i16(&k, 2);
    bc_wire_wr_str(&k, group);
    bc_record_in_t rec = {.key = k.buf,
                          .key_len = (int32_t)k.len,
                          .value = val,
                          .value_len = val ? vlen : -1,
                          .timestamp = 5000};
    char err[256];
    cr_assert_eq(bc_broker_append(b, BC_OFFSETS_TOPIC,
                                  bc_offsets_partition_for(
                                      group, bc_offsets_partitions(off)),
                                  &rec, 1, 0, 5000, NULL, err, sizeof(err)),
                 0, "%s", err);
    bc_wire_wr_free(&k);
}

Test(bc_kgroup, reloads_groups_from_consumer_offsets) {
    char dir[256];
    bct_tmpdir(dir, sizeof(dir), "kgroup");
    bc_broker_conf_t bc = bc_broker_conf_default();
    bc.create_if_missing = 1;
    char err[256];
    bc_broker_t *b = bc_broker_open(dir, &bc, 1000, NULL, err, sizeof(err));
    cr_assert(b, "%s", err);
    bc_offsets_t *off = bc_offsets_open(b, NULL, 1000, NULL, err, sizeof(err));
    cr_assert(off, "%s", err);
    bc_kgroup_conf_t c = {.broker = b,
                          .offsets = off,
                          .join_done = on_join,
                          .sync_done = on_sync};
    bc_kgroup_t *kg = bc_kgroup_new(&c);
    slot_t a, sa;
    join(kg, &a, "", 1000);
    char ida[300];
    snprintf(ida, sizeof(ida), "%s", a.member_id);
    bc_kreq_assignment_t as = {.member_id = ida,
                               .assignment = (const uint8_t *)"A1",
                               .assignment_len = 2};
    sync_(kg, &sa, ida, 1, &as, 1, 1000);
    cr_assert_eq(sa.sync_err, 0);
    bc_kgroup_destroy(kg);
    /* Another group written, then deleted; a malformed one. */
    const uint8_t junk[] = {0, 3, 0xff, 0xff, 0xff};
    put_group_record(b, off, "gone", junk, sizeof(junk));
    put_group_record(b, off, "gone", NULL, 0);
    put_group_record(b, off, "bad", junk, sizeof(junk));
    put_group_record(b, off, "g", junk, sizeof(junk)); /* g as it was */

    kg = bc_kgroup_new(&c);
    size_t ng = 0, bad = 0;
    cr_assert_eq(bc_kgroup_load(kg, 9000, &ng, &bad, err, sizeof(err)), 0, "%s",
                 err);
    cr_expect_eq(ng, 1, "only g is back");
    cr_expect_eq(bad, 3, "the malformed values are left out");
    bc_kgroup_desc_t *d = bc_kgroup_describe(kg, "g", 9000);
    cr_assert(d);
    cr_expect_str_eq(d->state, "Stable");
    cr_expect_str_eq(d->protocol, "range");
    cr_expect_eq(d->generation, 1);
    cr_assert_eq(d->member_cnt, 1);
    cr_expect_str_eq(d->members[0].member_id, ida);
    cr_expect_eq(d->members[0].assignment_len, 2);
    cr_expect_eq(memcmp(d->members[0].assignment, "A1", 2), 0);
    bc_kgroup_desc_free(d);
    cr_expect_null(bc_kgroup_describe(kg, "gone", 9000));
    /* The member carries on in its generation, and is expired if silent. */
    cr_expect_eq(bc_kgroup_heartbeat(kg, "g", ida, 1, 9100), 0);
    cr_expect_eq(bc_kgroup_check_commit(kg, "g", ida, 1, 9100), 0);
    cr_expect_eq(bc_kgroup_tick(kg, 9100 + 10001), 1);
    bc_kgroup_destroy(kg);
    bc_offsets_close(off);
    bc_broker_close(b);
    bct_rmtree(dir);
}

/* group.initial.rebalance.delay.ms: an Empty group's first join phase is
 * held while members keep arriving, so members started together form one
 * generation instead of the first one forming a group alone (whose
 * SyncGroup then fails when the second arrives). */
Test(bc_kgroup, initial_delay_gathers_members_started_together) {
    bc_kgroup_conf_t conf = {.join_done = on_join,
                             .sync_done = on_sync,
                             .initial_rebalance_delay_ms = 100};
    bc_kgroup_t *kg = bc_kgroup_new(&conf);
    slot_t a, b;
    join(kg, &a, "", 1000);
    cr_assert_not(a.done, "the first join is held");
    cr_assert_eq(bc_kgroup_next_due_ms(kg), 1100);
    bc_kgroup_tick(kg, 1050);
    cr_assert_not(a.done);
    join(kg, &b, "", 1080);
    cr_assert_not(b.done, "a member arriving in the hold extends it");
    bc_kgroup_tick(kg, 1100);
    cr_assert_not(a.done || b.done, "100 ms after the last arrival, not 1100");
    cr_assert_eq(bc_kgroup_next_due_ms(kg), 1180);
    bc_kgroup_tick(kg, 1180);
    cr_assert(a.done && b.done, "both answered in one generation");
    cr_assert_eq(a.res.generation, 1);
    cr_assert_eq(b.res.generation, 1);
    cr_assert_eq(a.members + b.members, 2, "the leader sees both");
    cr_assert_eq(bc_kgroup_next_due_ms(kg), INT64_MAX);
    /* A member joining the now non-empty group is not held. */
    char ida[300], idb[300];
    snprintf(ida, sizeof(ida), "%s", a.member_id);
    snprintf(idb, sizeof(idb), "%s", b.member_id);
    slot_t c;
    join(kg, &c, "", 2000);
    join(kg, &a, ida, 2010);
    cr_assert_not(c.done);
    join(kg, &b, idb, 2020);
    cr_assert(a.done && b.done && c.done, "no hold outside an Empty group");
    cr_assert_eq(c.res.generation, 2);
    bc_kgroup_destroy(kg);
}

/* Members that keep arriving cannot hold the phase past the rebalance
 * timeout (30 s here). */
Test(bc_kgroup, initial_delay_is_capped_by_the_rebalance_timeout) {
    bc_kgroup_conf_t conf = {.join_done = on_join,
                             .sync_done = on_sync,
                             .initial_rebalance_delay_ms = 10000};
    bc_kgroup_t *kg = bc_kgroup_new(&conf);
    slot_t s[5];
    for (int i = 0; i < 5; i++) /* 1000 ... 29000 */
        join(kg, &s[i], "", 1000 + i * 7000);
    bc_kgroup_tick(kg, 30999);
    cr_assert_not(s[0].done);
    bc_kgroup_tick(kg, 31000);
    for (int i = 0; i < 5; i++)
        cr_assert(s[i].done, "member %d answered at the cap", i);
    cr_assert_eq(s[4].res.generation, 1);
    bc_kgroup_destroy(kg);
}
