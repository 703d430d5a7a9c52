/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_broker: topic creation and layout on disk, persistence,
 * listeners, locking, maintenance. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_err.h"
#include "tests/unit/bc_test_util.h"

static char dir[512];

static void setup(void) {
    bct_tmpdir(dir, sizeof(dir), "broker");
}
static void teardown(void) {
    bct_rmtree(dir);
}

TestSuite(bc_broker, .init = setup, .fini = teardown);

static bc_broker_t *open_broker(void) {
    char err[512];
    int e = 0;
    bc_broker_t *b = bc_broker_open(dir, NULL, 1000, &e, err, sizeof(err));
    cr_assert_not_null(b, "open: %s", err);
    return b;
}

Test(bc_broker, create_topic_lays_out_kafka_partition_dirs) {
    bc_broker_t *b = open_broker();
    char err[256];
    cr_assert_eq(
        bc_broker_create_topic(b, "orders", 3, NULL, 1000, err, sizeof(err)), 0,
        "%s", err);
    char path[700];
    for (int p = 0; p < 3; p++) {
        snprintf(path, sizeof(path), "%s/orders-%d/00000000000000000000.log",
                 dir, p);
        cr_assert_geq(bct_file_size(path), 0, "%s", path);
        snprintf(path, sizeof(path), "%s/orders-%d/partition.metadata", dir, p);
        cr_assert_gt(bct_file_size(path), 0, "%s", path);
        snprintf(path, sizeof(path), "%s/orders-%d/leader-epoch-checkpoint",
                 dir, p);
        cr_assert_gt(bct_file_size(path), 0, "%s", path);
    }
    snprintf(path, sizeof(path), "%s/topics/orders", dir);
    cr_assert_gt(bct_file_size(path), 0);
    cr_assert_eq(bc_broker_partitions(b, "orders"), 3);
    cr_assert_eq(
        bc_broker_create_topic(b, "orders", 3, NULL, 1000, err, sizeof(err)),
        BC_ERR_EXISTS);
    cr_assert_eq(
        bc_broker_create_topic(b, "bad name", 1, NULL, 1000, err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert_eq(
        bc_broker_create_topic(b, "zero", 0, NULL, 1000, err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert_eq(
        bc_broker_create_topic(b, "neg", -3, NULL, 1000, err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert_eq(bc_broker_partitions(b, "zero"), BC_ERR_NOT_FOUND);
    cr_assert_null(bc_broker_log(b, "orders", 3));
    cr_assert_not_null(bc_broker_log(b, "orders", 2));
    cr_assert_eq(bc_broker_close(b), 0);
}

Test(bc_broker, topics_and_data_survive_reopen) {
    bc_broker_t *b = open_broker();
    bc_log_config_t cfg = bc_log_config_default();
    cfg.cleanup_policy = BC_CLEANUP_COMPACT;
    cfg.segment_bytes = 100000;
    cr_assert_eq(bc_broker_create_topic(b, "zeta", 2, &cfg, 1, NULL, 0), 0);
    cr_assert_eq(bc_broker_create_topic(b, "alpha", 1, NULL, 1, NULL, 0), 0);
    bc_record_in_t r = {"k", 1, "v", 1, 5, NULL, 0};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(bc_broker_append(b, "zeta", 1, &r, 1, 0, 2, NULL, NULL, 0),
                     0);
    cr_assert_eq(bc_broker_append(b, "nope", 0, &r, 1, 0, 2, NULL, NULL, 0),
                 BC_ERR_NOT_FOUND);
    cr_assert_eq(bc_broker_close(b), 0);
    b = open_broker();
    char **names;
    size_t n;
    bc_broker_list_topics(b, &names, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(names[0], "alpha");
    cr_assert_str_eq(names[1], "zeta");
    bc_broker_free_topics(names, n);
    bc_log_config_t back;
    int32_t parts;
    cr_assert_eq(bc_broker_topic_config(b, "zeta", &back, &parts), 0);
    cr_assert_eq(parts, 2);
    cr_assert_eq(back.cleanup_policy, BC_CLEANUP_COMPACT);
    cr_assert_eq(back.segment_bytes, 100000);
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "zeta", 1)), 10);
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "zeta", 0)), 0);
    bc_broker_close(b);
}

Test(bc_broker, delete_topic_frees_the_name_and_the_disk) {
    bc_broker_t *b = open_broker();
    cr_assert_eq(bc_broker_create_topic(b, "gone", 2, NULL, 1, NULL, 0), 0);
    bc_record_in_t r = {"k", 1, "v", 1, 5, NULL, 0};
    cr_assert_eq(bc_broker_append(b, "gone", 1, &r, 1, 0, 2, NULL, NULL, 0), 0);
    bc_log_t *old = bc_broker_log(b, "gone", 1);
    char err[256];
    cr_assert_eq(bc_broker_delete_topic(b, "gone", err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(bc_broker_delete_topic(b, "gone", NULL, 0), BC_ERR_NOT_FOUND);
    cr_assert_eq(bc_broker_partitions(b, "gone"), BC_ERR_NOT_FOUND);
    cr_assert_null(bc_broker_log(b, "gone", 1));
    cr_assert_eq(bc_log_end_offset(old), 1, "a held log stays readable");
    /* The name can be used again at once, empty. */
    cr_assert_eq(bc_broker_create_topic(b, "gone", 1, NULL, 1, NULL, 0), 0);
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "gone", 0)), 0);
    cr_assert_eq(bc_broker_close(b), 0);
    char p[600];
    snprintf(p, sizeof(p), "%s/gone-1", dir);
    cr_assert_eq(bct_file_size(p), -1, "old partition dir removed");
    b = open_broker();
    cr_assert_eq(bc_broker_partitions(b, "gone"), 1);
    bc_broker_close(b);
}

typedef struct heard_s {
    int calls;
    char topic[64];
    int32_t partition;
    int64_t leo;
    int64_t t;
} heard_t;

static void listener(void *opaque, const char *topic, int32_t partition,
                     int64_t leo, int64_t now_ms) {
    heard_t *h = opaque;
    h->calls++;
    snprintf(h->topic, sizeof(h->topic), "%s", topic);
    h->partition = partition;
    h->leo = leo;
    h->t = now_ms;
}

Test(bc_broker, listeners_hear_every_append_with_log_end_offset) {
    bc_broker_t *b = open_broker();
    bc_broker_create_topic(b, "t", 2, NULL, 1, NULL, 0);
    heard_t h;
    memset(&h, 0, sizeof(h));
    int id = bc_broker_add_listener(b, listener, &h);
    cr_assert_geq(id, 0);
    bc_record_in_t r[2] = {{NULL, -1, "a", 1, -1, NULL, 0},
                           {NULL, -1, "b", 1, -1, NULL, 0}};
    bc_broker_append(b, "t", 1, r, 2, 0, 4242, NULL, NULL, 0);
    cr_assert_eq(h.calls, 1);
    cr_assert_str_eq(h.topic, "t");
    cr_assert_eq(h.partition, 1);
    cr_assert_eq(h.leo, 2);
    cr_assert_eq(h.t, 4242);
    /* Appends straight to the log are heard too. */
    bc_log_append_records(bc_broker_log(b, "t", 0), r, 1, 0, 4243, NULL, NULL,
                          0);
    cr_assert_eq(h.calls, 2);
    cr_assert_eq(h.partition, 0);
    cr_assert_eq(h.leo, 1);
    cr_assert_eq(bc_broker_remove_listener(b, id), 0);
    cr_assert_eq(bc_broker_remove_listener(b, id), BC_ERR_NOT_FOUND);
    bc_broker_append(b, "t", 1, r, 2, 0, 4244, NULL, NULL, 0);
    cr_assert_eq(h.calls, 2);
    bc_broker_close(b);
}

/* Descriptors this process holds (its /proc/self/fd entries). */
static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the listing's own */
}

/* A partition costs one descriptor (its segment's .log): the indexes are
 * mapped without an fd held and the data-dir lock covers every partition
 * directory, so 10,000 partitions fit a 20,000 fd limit. */
Test(bc_broker, holds_one_descriptor_per_partition) {
    enum { PARTS = 100 };
    int before = open_fds();
    bc_broker_t *b = open_broker();
    char err[256];
    cr_assert_eq(
        bc_broker_create_topic(b, "wide", PARTS, NULL, 1000, err, sizeof(err)),
        0, "%s", err);
    bc_record_in_t r = {"k", 1, "v", 1, 5, NULL, 0};
    for (int p = 0; p < PARTS; p++)
        cr_assert_eq(bc_broker_append(b, "wide", p, &r, 1, 0, 2, NULL, NULL, 0),
                     0);
    int held = open_fds() - before;
    cr_assert_leq(held, PARTS + 8, "%d descriptors for %d partitions", held,
                  PARTS);
    cr_assert_eq(bc_broker_close(b), 0);
    cr_assert_eq(open_fds(), before);
    b = open_broker(); /* recovery of every partition, then the same */
    held = open_fds() - before;
    cr_assert_leq(held, PARTS + 8, "after reopen: %d descriptors", held);
    for (int p = 0; p < PARTS; p++) {
        cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "wide", p)), 1);
        cr_assert_eq(bc_broker_append(b, "wide", p, &r, 1, 0, 3, NULL, NULL, 0),
                     0);
    }
    cr_assert_eq(bc_broker_close(b), 0);
}

Test(bc_broker, data_dir_is_locked_while_open) {
    bc_broker_t *b = open_broker();
    int e = 0;
    char err[512];
    cr_assert_null(bc_broker_open(dir, NULL, 1, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_LOCKED);
    cr_assert(strstr(err, "in use") != NULL, "%s", err);
    bc_broker_close(b);
}

Test(bc_broker, missing_data_dir_is_reported_unless_created) {
    char missing[600], err[512];
    int e = 0;
    snprintf(missing, sizeof(missing), "%s/a/b", dir);
    cr_assert_null(bc_broker_open(missing, NULL, 1, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_NOT_FOUND);
    cr_assert(strstr(err, missing) != NULL, "%s", err);
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.create_if_missing = 1;
    bc_broker_t *b = bc_broker_open(missing, &conf, 1, &e, err, sizeof(err));
    cr_assert_not_null(b, "%s", err);
    bc_broker_close(b);
}

Test(bc_broker, corrupt_topic_config_fails_open_with_file_and_line) {
    bc_broker_t *b = open_broker();
    bc_broker_create_topic(b, "t", 1, NULL, 1, NULL, 0);
    bc_broker_close(b);
    char path[600];
    snprintf(path, sizeof(path), "%s/topics/t", dir);
    FILE *f = fopen(path, "a");
    fprintf(f, "partitions=zero\n");
    fclose(f);
    int e = 0;
    char err[512];
    cr_assert_null(bc_broker_open(dir, NULL, 1, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "topics/t:") != NULL, "%s", err);
}

Test(bc_broker, maintain_applies_retention_per_topic_config) {
    bc_broker_t *b = open_broker();
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 1024;
    cfg.retention_ms = 100;
    bc_broker_create_topic(b, "short", 1, &cfg, 1, NULL, 0);
    bc_broker_create_topic(b, "long", 1, NULL, 1, NULL, 0);
    char v[200];
    memset(v, 'v', sizeof(v));
    bc_record_in_t r = {NULL, -1, v, (int32_t)sizeof(v), 1000, NULL, 0};
    for (int i = 0; i < 30; i++) {
        bc_broker_append(b, "short", 0, &r, 1, 0, 1000, NULL, NULL, 0);
        bc_broker_append(b, "long", 0, &r, 1, 0, 1000, NULL, NULL, 0);
    }
    bc_maint_stats_t st;
    char err[256];
    cr_assert_eq(bc_broker_maintain(b, 5000, &st, err, sizeof(err)), 0);
    cr_assert_eq(st.partitions, 2);
    cr_assert_gt(st.segments_deleted, 0);
    cr_assert_gt(bc_log_start_offset(bc_broker_log(b, "short", 0)), 0);
    cr_assert_eq(bc_log_start_offset(bc_broker_log(b, "long", 0)), 0);
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "short", 0)), 30);
    bc_broker_close(b);
}

Test(bc_broker, alter_topic_persists_and_applies) {
    bc_broker_t *b = open_broker();
    bc_broker_create_topic(b, "t", 1, NULL, 1, NULL, 0);
    bc_log_config_t cfg = bc_log_config_default();
    cfg.retention_ms = 1234;
    cr_assert_eq(bc_broker_alter_topic(b, "t", &cfg, NULL, 0), 0);
    cr_assert_eq(bc_broker_alter_topic(b, "u", &cfg, NULL, 0),
                 BC_ERR_NOT_FOUND);
    bc_log_config_t back;
    bc_log_get_config(bc_broker_log(b, "t", 0), &back);
    cr_assert_eq(back.retention_ms, 1234);
    bc_broker_close(b);
    b = open_broker();
    bc_broker_topic_config(b, "t", &back, NULL);
    cr_assert_eq(back.retention_ms, 1234);
    bc_broker_close(b);
}

Test(bc_broker, tick_runs_retention_on_its_interval) {
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.retention_check_interval_ms = 1000;
    char err[512];
    int e;
    bc_broker_t *b = bc_broker_open(dir, &conf, 0, &e, err, sizeof(err));
    cr_assert_not_null(b);
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 1024;
    cfg.retention_ms = 10;
    bc_broker_create_topic(b, "t", 1, &cfg, 0, NULL, 0);
    char v[300];
    memset(v, 'v', sizeof(v));
    bc_record_in_t r = {NULL, -1, v, (int32_t)sizeof(v), 0, NULL, 0};
    for (int i = 0; i < 20; i++)
        bc_broker_append(b, "t", 0, &r, 1, 0, 0, NULL, NULL, 0);
    cr_assert_eq(bc_broker_tick(b, 500, err, sizeof(err)), 0);
    cr_assert_eq(bc_log_start_offset(bc_broker_log(b, "t", 0)), 0);
    cr_assert_eq(bc_broker_tick(b, 1000, err, sizeof(err)), 0);
    cr_assert_gt(bc_log_start_offset(bc_broker_log(b, "t", 0)), 0);
    bc_broker_close(b);
}

/* ---- corruption: refuse, offline, truncate -------------------------- */

static bc_broker_t *open_mode(bc_on_corruption_t mode, int *e, char *err,
                              size_t errsz) {
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.on_corruption = mode;
    return bc_broker_open(dir, &conf, 1000, e, err, errsz);
}

/* Three partitions of 20 single-record batches each, closed cleanly; then
 * one byte inside the first batch of partition 1 is flipped (the CRC no
 * longer holds, valid batches follow: corruption, not a torn write).
 * Returns that segment's size. */
static long long corrupt_one_partition(char *seg, size_t segsz) {
    bc_broker_t *b = open_broker();
    cr_assert_eq(bc_broker_create_topic(b, "orders", 3, NULL, 1, NULL, 0), 0);
    for (int i = 0; i < 20; i++)
        for (int p = 0; p < 3; p++) {
            char v[32];
            int n = snprintf(v, sizeof(v), "p%d-%d", p, i);
            bc_record_in_t r = {NULL, -1, v, n, 1000 + i, NULL, 0};
            cr_assert_eq(
                bc_broker_append(b, "orders", p, &r, 1, 0, 2, NULL, NULL, 0),
                0);
        }
    cr_assert_eq(bc_broker_close(b), 0);
    snprintf(seg, segsz, "%s/orders-1/00000000000000000000.log", dir);
    bct_flip_byte(seg, 40, 0x10); /* in the first batch, under its CRC */
    return bct_file_size(seg);
}

Test(bc_broker, corrupt_segment_refuses_open_by_default_changing_nothing) {
    char seg[700], err[1024];
    long long size = corrupt_one_partition(seg, sizeof(seg));
    int e = 0;
    cr_assert_null(bc_broker_open(dir, NULL, 1000, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "orders-1/00000000000000000000.log") != NULL, "%s",
              err);
    cr_assert(strstr(err, "byte 0") != NULL, "%s", err);
    cr_assert_eq(bct_file_size(seg), size, "nothing truncated");
}

typedef struct msgs_s {
    char text[8][1024];
    int n;
} msgs_t;

static void keep_msg(void *opaque, const char *msg) {
    msgs_t *m = opaque;
    if (m->n < 8) snprintf(m->text[m->n++], sizeof(m->text[0]), "%s", msg);
}

Test(bc_broker, offline_mode_opens_the_rest_and_keeps_the_bad_partition_out) {
    char seg[700], err[1024];
    long long size = corrupt_one_partition(seg, sizeof(seg));
    msgs_t msgs;
    memset(&msgs, 0, sizeof(msgs));
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.on_corruption = BC_CORRUPTION_OFFLINE;
    conf.msg_fn = keep_msg;
    conf.msg_opaque = &msgs;
    int e = 0;
    bc_broker_t *b = bc_broker_open(dir, &conf, 1000, &e, err, sizeof(err));
    cr_assert_not_null(b, "open: %s", err);
    /* The other partitions serve: reads and writes. */
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "orders", 0)), 20);
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "orders", 2)), 20);
    bc_record_in_t r = {NULL, -1, "x", 1, 5000, NULL, 0};
    cr_assert_eq(
        bc_broker_append(b, "orders", 2, &r, 1, 0, 5000, NULL, NULL, 0), 0);
    /* The bad one is offline, with the file and byte offset. */
    cr_assert_null(bc_broker_log(b, "orders", 1));
    cr_assert_eq(bc_broker_append(b, "orders", 1, &r, 1, 0, 5000, NULL, err,
                                  sizeof(err)),
                 BC_ERR_OFFLINE);
    cr_assert(strstr(err, "orders-1 is offline") != NULL, "%s", err);
    bc_partition_state_t st;
    cr_assert_eq(bc_broker_partition_state(b, "orders", 1, &st), 0);
    cr_assert(st.offline);
    cr_assert(strstr(st.error, "orders-1/00000000000000000000.log: byte 0") !=
                  NULL,
              "%s", st.error);
    cr_assert_eq(bc_broker_partition_state(b, "orders", 0, &st), 0);
    cr_assert_not(st.offline);
    cr_assert_str_eq(st.error, "");
    cr_assert_eq(bc_broker_partition_state(b, "orders", 3, &st),
                 BC_ERR_NOT_FOUND);
    bc_offline_t *off;
    size_t n = bc_broker_offline(b, &off);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(off[0].topic, "orders");
    cr_assert_eq(off[0].partition, 1);
    cr_assert(strstr(off[0].error, "byte 0") != NULL, "%s", off[0].error);
    bc_broker_free_offline(off, n);
    /* Nothing was truncated or repaired. */
    for (int i = 0; i < msgs.n; i++)
        cr_assert(strstr(msgs.text[i], "truncated") == NULL &&
                      strstr(msgs.text[i], "repair") == NULL,
                  "%s", msgs.text[i]);
    /* Maintenance and the tick pass it by; a config change too. */
    bc_maint_stats_t ms;
    cr_assert_eq(bc_broker_maintain(b, 1000000, &ms, NULL, 0), 0);
    cr_assert_eq(bc_broker_tick(b, 2000000, NULL, 0), 0);
    bc_log_config_t cfg = bc_log_config_default();
    cr_assert_eq(bc_broker_alter_topic(b, "orders", &cfg, NULL, 0), 0);
    cr_assert_eq(bc_broker_close(b), 0);
    /* Its files were never touched: refuse still refuses. */
    cr_assert_eq(bct_file_size(seg), size);
    cr_assert_null(open_mode(BC_CORRUPTION_REFUSE, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
}

Test(bc_broker, truncate_mode_cuts_at_the_bad_batch_and_reports_it) {
    char seg[700], err[1024];
    long long size = corrupt_one_partition(seg, sizeof(seg));
    int e = 0;
    bc_broker_t *b = open_mode(BC_CORRUPTION_TRUNCATE, &e, err, sizeof(err));
    cr_assert_not_null(b, "open: %s", err);
    bc_log_t *log = bc_broker_log(b, "orders", 1);
    cr_assert_not_null(log);
    cr_assert_eq(bc_log_end_offset(log), 0, "the first batch was bad");
    bc_partition_state_t st;
    cr_assert_eq(bc_broker_partition_state(b, "orders", 1, &st), 0);
    cr_assert_not(st.offline);
    cr_assert_eq(st.recovery.bytes_truncated, size);
    cr_assert_eq(st.recovery.cut_segment, 0);
    cr_assert_eq(st.recovery.cut_byte, 0);
    cr_assert_eq(st.recovery.truncated_at, 0);
    cr_assert_neq(st.recovery.reason[0], 0);
    cr_assert_eq(bc_broker_partition_state(b, "orders", 0, &st), 0);
    cr_assert_eq(st.recovery.bytes_truncated, 0);
    cr_assert_eq(st.recovery.cut_segment, -1);
    cr_assert_eq(bc_log_end_offset(bc_broker_log(b, "orders", 0)), 20);
    cr_assert_eq(bc_broker_close(b), 0);
    /* After the repair the data dir opens in the default mode again. */
    b = open_mode(BC_CORRUPTION_REFUSE, &e, err, sizeof(err));
    cr_assert_not_null(b, "reopen: %s", err);
    bc_broker_close(b);
}
