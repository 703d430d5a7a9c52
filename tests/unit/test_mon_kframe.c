/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_kframe: store writes survive encoding and a socket whole,
 * frames cut anywhere are never delivered half, and a frame that breaks
 * the format ends the channel instead of being applied. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/sources/mon_kframe.h"

static int pair[2];

static void setup(void) {
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
}

static void teardown(void) {
    close(pair[0]);
    close(pair[1]);
}

TestSuite(mon_kframe, .init = setup, .fini = teardown);

static void send_op(const mon_kframe_op_t *op) {
    mon_wbuf_t b = {0};
    char err[128];
    mon_kframe_op_encode(&b, op);
    cr_assert_eq(
        mon_kframe_send(pair[0], op->type, b.p, b.len, err, sizeof(err)), 0,
        "%s", err);
    mon_wbuf_free(&b);
}

Test(mon_kframe, every_store_write_round_trips) {
    const mon_kframe_op_t ops[] = {
        {.type = MON_KFRAME_HEAD,
         .topic = "orders",
         .partition = 2,
         .partitions = 3,
         .offset = 1000,
         .t_ms = 1700000000000},
        {.type = MON_KFRAME_COMMIT,
         .group = "g",
         .topic = "orders",
         .partition = 1,
         .offset = 990,
         .t_ms = 1700000000001,
         .owner = "/10.0.0.1",
         .client_id = NULL,
         .placed = true,
         .place = {3, 77},
         .if_changed = true},
        {.type = MON_KFRAME_SEEN, .group = "g", .t_ms = 5},
        {.type = MON_KFRAME_DEL_TOPIC, .topic = "gone"},
        {.type = MON_KFRAME_DEL_GROUP,
         .group = "g",
         .placed = true,
         .place = {0, 0}},
        {.type = MON_KFRAME_DEL_GTOPIC, .group = "g", .topic = "t"},
        {.type = MON_KFRAME_ADVANCE, .placed = true, .place = {65535, 9}},
        {.type = MON_KFRAME_STAMP,
         .group = "g",
         .topic = "orders",
         .partition = 4,
         .offset = 123456,
         .t_ms = 1699999999999},
        {.type = MON_KFRAME_LOG_START,
         .topic = "orders",
         .partition = 2,
         .offset = 4096,
         .t_ms = 1700000000002},
        {.type = MON_KFRAME_TOPIC_CONF,
         .topic = "orders",
         .retention_ms = 604800000,
         .retention_bytes = -1},
    };
    size_t n = sizeof(ops) / sizeof(ops[0]);
    mon_kframe_reader_t rd = {0};
    char err[128];

    for (size_t i = 0; i < n; i++)
        send_op(&ops[i]);
    for (size_t i = 0; i < n; i++) {
        int type;
        const unsigned char *p;
        size_t len;
        mon_kframe_op_t op;
        cr_assert_eq(mon_kframe_recv(&rd, pair[1], 1000, &type, &p, &len, err,
                                     sizeof(err)),
                     1, "%s", err);
        cr_assert_eq(type, (int)ops[i].type);
        cr_assert_eq(mon_kframe_op_decode(type, p, len, &op, err, sizeof(err)),
                     0, "%s", err);
        cr_assert_eq(op.partition, ops[i].partition);
        cr_assert_eq(op.offset, ops[i].offset);
        cr_assert_eq(op.t_ms, ops[i].t_ms);
        cr_assert_eq(op.placed, ops[i].placed);
        if (op.placed) {
            cr_assert_eq(op.place.part, ops[i].place.part);
            cr_assert_eq(op.place.offset, ops[i].place.offset);
        }
        cr_assert_eq(op.if_changed, ops[i].if_changed);
        cr_assert_eq(op.retention_ms, ops[i].retention_ms);
        cr_assert_eq(op.retention_bytes, ops[i].retention_bytes);
        if (ops[i].topic) cr_assert_str_eq(op.topic, ops[i].topic);
        if (ops[i].group) cr_assert_str_eq(op.group, ops[i].group);
        if (ops[i].type == MON_KFRAME_COMMIT) {
            cr_assert_str_eq(op.owner, "/10.0.0.1");
            cr_assert_null(op.client_id, "NULL stays NULL (keep)");
        }
    }
    mon_kframe_reader_free(&rd);
}

Test(mon_kframe, members_round_trip_with_their_assignments) {
    const mon_member_tp_t tps[] = {{"orders", 0}, {"orders", 2}, {"x", 7}};
    const mon_member_t mv[] = {
        {"app-1", "", "app", "/10.0.0.1", tps, 3},
        {"app-2", "inst-2", "app-v2", "/10.0.0.2", NULL, 0},
    };
    const mon_group_members_t m = {.state = "Stable",
                                   .protocol_type = "consumer",
                                   .protocol = "range",
                                   .generation = 7,
                                   .t_ms = 1700000000000,
                                   .members = mv,
                                   .count = 2};
    mon_kframe_op_t op = {.type = MON_KFRAME_MEMBERS,
                          .group = "g",
                          .members = &m,
                          .placed = true,
                          .place = {2, 40}};
    mon_kframe_op_t got = {0};
    mon_kframe_reader_t rd = {0};
    const unsigned char *p;
    size_t len;
    int type;
    char err[128];

    send_op(&op);
    cr_assert_eq(
        mon_kframe_recv(&rd, pair[1], 1000, &type, &p, &len, err, sizeof(err)),
        1, "%s", err);
    cr_assert_eq(type, MON_KFRAME_MEMBERS);
    cr_assert_eq(mon_kframe_op_decode(type, p, len, &got, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(got.group, "g");
    cr_assert(got.placed);
    cr_assert_eq(got.place.offset, 40);
    cr_assert_eq(got.t_ms, m.t_ms);
    const mon_group_members_t *g = got.members;
    cr_assert_str_eq(g->state, "Stable");
    cr_assert_str_eq(g->protocol, "range");
    cr_assert_eq(g->generation, 7);
    cr_assert_eq(g->count, 2);
    cr_assert_str_eq(g->members[1].instance_id, "inst-2");
    cr_assert_str_eq(g->members[1].client_id, "app-v2");
    cr_assert_eq(g->members[0].n_assigned, 3);
    cr_assert_str_eq(g->members[0].assigned[2].topic, "x");
    cr_assert_eq(g->members[0].assigned[2].partition, 7);
    cr_assert_eq(g->members[1].n_assigned, 0);
    mon_kframe_op_clear(&got);
    /* a count beyond the payload is refused before anything is sized */
    mon_wbuf_t b = {0};
    mon_kframe_op_encode(&b, &op);
    cr_assert_eq(mon_kframe_op_decode(MON_KFRAME_MEMBERS, b.p, b.len - 5, &got,
                                      err, sizeof(err)),
                 -1, "a cut payload");
    mon_kframe_op_clear(&got);
    mon_wbuf_free(&b);
    mon_kframe_reader_free(&rd);
}

Test(mon_kframe, a_frame_cut_short_by_a_death_is_never_delivered) {
    mon_kframe_op_t op = {.type = MON_KFRAME_HEAD,
                          .topic = "t",
                          .partitions = 1,
                          .offset = 1,
                          .t_ms = 1};
    mon_wbuf_t b = {0};
    unsigned char hdr[5];
    mon_kframe_reader_t rd = {0};
    int type;
    const unsigned char *p;
    size_t len;
    char err[128];

    mon_kframe_op_encode(&b, &op);
    mon_put_le32(hdr, (uint32_t)b.len + 1);
    hdr[4] = MON_KFRAME_HEAD;
    cr_assert_eq(write(pair[0], hdr, 5), 5);
    cr_assert_eq(write(pair[0], b.p, b.len - 3), (ssize_t)b.len - 3);
    cr_assert_eq(
        mon_kframe_recv(&rd, pair[1], 50, &type, &p, &len, err, sizeof(err)), 0,
        "only a timeout while the frame is incomplete");
    close(pair[0]);
    pair[0] = -1;
    cr_assert_eq(
        mon_kframe_recv(&rd, pair[1], 1000, &type, &p, &len, err, sizeof(err)),
        -1);
    cr_assert_str_eq(err, "closed");
    mon_wbuf_free(&b);
    mon_kframe_reader_free(&rd);
}

Test(mon_kframe, lengths_out_of_range_and_bad_payloads_are_refused) {
    unsigned char big[5] = {0xff, 0xff, 0xff, 0x7f, MON_KFRAME_HEAD};
    mon_kframe_reader_t rd = {0};
    mon_kframe_op_t op;
    int type;
    const unsigned char *p;
    size_t len;
    char err[128];

    cr_assert_eq(write(pair[0], big, 5), 5);
    cr_assert_eq(
        mon_kframe_recv(&rd, pair[1], 1000, &type, &p, &len, err, sizeof(err)),
        -1);
    cr_assert(strstr(err, "out of range"), "%s", err);
    mon_kframe_reader_free(&rd);

    /* a string without its NUL, a place out of range, trailing bytes */
    const unsigned char nonul[] = {1, 0, 'x', 'y'};
    cr_assert_eq(mon_kframe_op_decode(MON_KFRAME_DEL_TOPIC, nonul,
                                      sizeof(nonul), &op, err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "DEL_TOPIC"), "%s", err);
    mon_wbuf_t b = {0};
    mon_kframe_put_str(&b, "g");
    mon_wbuf_u32(&b, 70000);
    mon_kframe_put_i64(&b, 1);
    cr_assert_eq(mon_kframe_op_decode(MON_KFRAME_DEL_GROUP, b.p, b.len, &op,
                                      err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "log place out of range"), "%s", err);
    b.len = 0;
    mon_kframe_put_str(&b, "t");
    mon_wbuf_u8(&b, 9);
    cr_assert_eq(mon_kframe_op_decode(MON_KFRAME_DEL_TOPIC, b.p, b.len, &op,
                                      err, sizeof(err)),
                 -1);
    cr_assert(strstr(err, "trailing"), "%s", err);
    cr_assert_eq(mon_kframe_op_decode(MON_KFRAME_STATUS, b.p, b.len, &op, err,
                                      sizeof(err)),
                 -1, "not a store write");
    mon_wbuf_free(&b);
}

Test(mon_kframe, apply_writes_the_store_as_the_calls_it_names) {
    mon_store_config_t sc;
    char err[128];
    mon_store_config_default(&sc);
    mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
    mon_store_cluster_t *cl = mon_store_cluster(st, "c");
    mon_kframe_op_t head = {.type = MON_KFRAME_HEAD,
                            .topic = "t",
                            .partitions = 1,
                            .offset = 10,
                            .t_ms = 1};
    mon_kframe_op_t commit = {.type = MON_KFRAME_COMMIT,
                              .group = "g",
                              .topic = "t",
                              .offset = 5,
                              .t_ms = 2,
                              .placed = true,
                              .place = {0, 4}};
    cr_assert_eq(mon_kframe_op_apply(st, cl, &head), MON_STORE_STORED);
    cr_assert_eq(mon_kframe_op_apply(st, cl, &commit), MON_STORE_STORED);
    cr_assert_eq(mon_kframe_op_apply(st, cl, &commit), MON_STORE_DROP_REPLAYED);
    mon_kframe_op_t del = {.type = MON_KFRAME_DEL_GROUP, .group = "g"};
    cr_assert_eq(mon_kframe_op_apply(st, cl, &del), 0);
    mon_store_destroy(st);
}

Test(mon_kframe, a_stamp_gives_the_exact_time_lag_while_committed_there) {
    mon_store_config_t sc;
    mon_group_eval_t ev = {0};
    char err[128];
    mon_store_config_default(&sc);
    mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
    mon_store_cluster_t *cl = mon_store_cluster(st, "c");
    /* one head sample far above the commit: the ring cannot interpolate */
    mon_kframe_op_t head = {.type = MON_KFRAME_HEAD,
                            .topic = "t",
                            .partitions = 1,
                            .offset = 1000000,
                            .t_ms = 5000};
    mon_kframe_op_t commit = {.type = MON_KFRAME_COMMIT,
                              .group = "g",
                              .topic = "t",
                              .offset = 10,
                              .t_ms = 5000};
    mon_kframe_op_t stamp = {.type = MON_KFRAME_STAMP,
                             .group = "g",
                             .topic = "t",
                             .offset = 10,
                             .t_ms = 1000};
    mon_kframe_op_t other = stamp;
    other.group = "nobody";
    cr_assert_eq(mon_kframe_op_apply(st, cl, &head), MON_STORE_STORED);
    cr_assert_eq(mon_kframe_op_apply(st, cl, &commit), MON_STORE_STORED);
    cr_assert_eq(mon_store_group_eval(st, "c", "g", 9000, NULL, &ev), 0);
    cr_assert(!ev.parts[0].result.time_lag_known, "unknown before the stamp");
    cr_assert_eq(mon_kframe_op_apply(st, cl, &stamp), 0);
    cr_assert_eq(mon_kframe_op_apply(st, cl, &other), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_eval(st, "c", "g", 9000, NULL, &ev), 0);
    cr_assert(ev.parts[0].result.time_lag_known);
    cr_assert_float_eq(ev.parts[0].result.time_lag_s, 8.0, 1e-9);
    /* a newer commit elsewhere: the stamp no longer applies */
    commit.offset = 20;
    commit.t_ms = 6000;
    cr_assert_eq(mon_kframe_op_apply(st, cl, &commit), MON_STORE_STORED);
    cr_assert_eq(mon_store_group_eval(st, "c", "g", 9000, NULL, &ev), 0);
    cr_assert(!ev.parts[0].result.time_lag_known);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}
