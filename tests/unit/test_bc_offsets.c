/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for bc_offsets: committed offsets in __consumer_offsets.
 *
 * Each test works in its own temporary data dir with a real broker, so
 * "survives restart" means the table was rebuilt from the segment files.
 * The group -> partition vectors are Java's: OpenJDK 17 printed
 * s.hashCode() and Utils.abs-style (MIN_VALUE -> 0) % 50 for each string.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_offsets.h"

static char dir[256];

static int rm_cb(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void mkdir_tmp(void) {
    snprintf(dir, sizeof(dir), "/tmp/bc_offsets_test_XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void rm_tmp(void) {
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(bc_offsets, .init = mkdir_tmp, .fini = rm_tmp);

static bc_broker_t *open_broker(void) {
    bc_broker_conf_t conf = bc_broker_conf_default();
    char err[256];
    int code = 0;
    bc_broker_t *b;

    conf.create_if_missing = 1;
    b = bc_broker_open(dir, &conf, 1000, &code, err, sizeof(err));
    cr_assert(b, "broker open: %s", err);
    return b;
}

static bc_offsets_t *open_offsets(bc_broker_t *b, const bc_offsets_conf_t *c,
                                  bc_offsets_load_t *load) {
    char err[256];
    bc_offsets_t *off = bc_offsets_open(b, c, 1000, load, err, sizeof(err));

    cr_assert(off, "offsets open: %s", err);
    return off;
}

static int commit1(bc_offsets_t *off, const char *group, const char *topic,
                   int32_t p, int64_t offset, const char *md, int64_t now) {
    bc_offsets_commit_t c = {topic, p, offset, -1, md};
    char err[256];
    int rc = bc_offsets_commit(off, group, &c, 1, now, err, sizeof(err));

    cr_assert(rc == 0 || rc == BC_ERR_INVALID, "commit: %s", err);
    return rc;
}

/* ---- group -> partition ----------------------------------------------- */

typedef struct pvec_s {
    char group[32]; /* array: Criterion copies parameters */
    int32_t partition;
} pvec_t;

/* Java: Utils.abs(s.hashCode()) % 50, printed by OpenJDK 17. */
static pvec_t pvecs[] = {
    {"a", 47},
    {"group", 47},
    {"my-group", 12},
    {"test-group", 12},
    {"burrow", 3},
    {"warren", 21},
    {"console-consumer-12345", 6},
    {"polygenelubricants", 0}, /* hashCode is INT32_MIN: Utils.abs -> 0 */
    {"GydZG_", 0},             /* also INT32_MIN */
    {"DESIGNING WORKHORSES", 25},
    {"\xc3\xa9t\xc3\xa9", 42},                      /* été */
    {"gr\xc3\xbcppe-\xe4\xb8\xad\xe6\x96\x87", 19}, /* grüppe-中文 */
    {"emoji-\xf0\x9f\x98\x80", 6},
};

ParameterizedTestParameters(bc_offsets, group_partition_matches_java) {
    return cr_make_param_array(pvec_t, pvecs, sizeof(pvecs) / sizeof(pvecs[0]));
}

ParameterizedTest(pvec_t *v, bc_offsets, group_partition_matches_java) {
    cr_expect_eq(bc_offsets_partition_for(v->group, 50), v->partition,
                 "'%s' -> %d, Java/Kafka say %d", v->group,
                 (int)bc_offsets_partition_for(v->group, 50),
                 (int)v->partition);
}

/* ---- record format ---------------------------------------------------- */

Test(bc_offsets, key_v1_bytes) {
    uint8_t buf[64];
    const uint8_t want[] = {0x00, 0x01, 0x00, 0x01, 'g',  0x00, 0x02,
                            't',  'p',  0x00, 0x00, 0x00, 0x07};
    size_t n = bc_offsets_encode_key(buf, sizeof(buf), "g", "tp", 7);
    bc_offsets_key_t k;

    cr_assert_eq(n, sizeof(want));
    cr_expect_arr_eq(buf, want, sizeof(want));
    cr_assert_eq(bc_offsets_decode_key(buf, n, &k), 0);
    cr_expect_eq(k.version, 1);
    cr_expect_eq(k.group_len, 1);
    cr_expect_eq(k.topic_len, 2);
    cr_expect_eq(memcmp(k.topic, "tp", 2), 0);
    cr_expect_eq(k.partition, 7);
}

Test(bc_offsets, value_v3_bytes) {
    uint8_t buf[64];
    /* offset 5, leader epoch -1, metadata "m", 1700000000000 ms */
    const uint8_t want[] = {0x00, 0x03, 0,    0,    0,    0,    0,    0,   0,
                            5,    0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 'm', 0x00,
                            0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00};
    size_t n =
        bc_offsets_encode_value(buf, sizeof(buf), 5, -1, "m", 1700000000000LL);
    bc_offsets_value_t v;

    cr_assert_eq(n, sizeof(want));
    cr_expect_arr_eq(buf, want, sizeof(want));
    cr_assert_eq(bc_offsets_decode_value(buf, n, &v), 0);
    cr_expect_eq(v.version, 3);
    cr_expect_eq(v.offset, 5);
    cr_expect_eq(v.leader_epoch, -1);
    cr_expect_eq(v.metadata_len, 1);
    cr_expect_eq(v.commit_ts_ms, 1700000000000LL);
}

Test(bc_offsets, decodes_older_value_versions) {
    /* v1: offset 9, metadata "", commit ts 2, expire ts 3 */
    const uint8_t v1[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3};
    /* v0 (and v2): offset 4, metadata "x", commit ts 6 */
    const uint8_t v0[] = {0, 0,   0, 0, 0, 0, 0, 0, 0, 4, 0,
                          1, 'x', 0, 0, 0, 0, 0, 0, 0, 6};
    bc_offsets_value_t v;

    cr_assert_eq(bc_offsets_decode_value(v1, sizeof(v1), &v), 0);
    cr_expect_eq(v.offset, 9);
    cr_expect_eq(v.commit_ts_ms, 2);
    cr_expect_eq(v.expire_ts_ms, 3);
    cr_assert_eq(bc_offsets_decode_value(v0, sizeof(v0), &v), 0);
    cr_expect_eq(v.offset, 4);
    cr_expect_eq(v.commit_ts_ms, 6);
    cr_expect_eq(v.leader_epoch, -1);
    /* A truncated value is corrupt, never read past the end. */
    cr_expect_eq(bc_offsets_decode_value(v0, sizeof(v0) - 1, &v),
                 BC_ERR_CORRUPT);
}

Test(bc_offsets, group_metadata_key_is_not_an_offset_commit) {
    const uint8_t k2[] = {0, 2, 0, 1, 'g'};
    bc_offsets_key_t k;

    cr_expect_eq(bc_offsets_decode_key(k2, sizeof(k2), &k), BC_ERR_NOT_FOUND);
    cr_expect_eq(k.version, 2);
}

/* ---- the table over a real broker ------------------------------------- */

Test(bc_offsets, creates_compacted_topic_with_50_partitions) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    bc_log_config_t cfg;
    int32_t parts = 0;

    cr_assert_eq(bc_broker_topic_config(b, BC_OFFSETS_TOPIC, &cfg, &parts), 0);
    cr_expect_eq(parts, 50);
    cr_expect(cfg.cleanup_policy & BC_CLEANUP_COMPACT);
    cr_expect_eq(bc_offsets_partitions(off), 50);
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, commit_lands_in_the_groups_partition) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    int32_t p = bc_offsets_partition_for("my-group", 50);
    bc_log_t *log = bc_broker_log(b, BC_OFFSETS_TOPIC, p);

    cr_assert_eq(p, 12);
    cr_assert(log);
    cr_expect_eq(bc_log_end_offset(log), 0);
    commit1(off, "my-group", "orders", 3, 42, "", 5000);
    cr_expect_eq(bc_log_end_offset(log), 1);
    for (int32_t i = 0; i < 50; i++)
        if (i != p)
            cr_expect_eq(
                bc_log_end_offset(bc_broker_log(b, BC_OFFSETS_TOPIC, i)), 0);
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, commits_survive_restart) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    bc_offsets_load_t load;
    bc_offsets_entry_t *e;
    size_t n;
    int64_t o, ts;

    commit1(off, "g1", "orders", 0, 10, "first", 5000);
    commit1(off, "g1", "orders", 0, 20, "second", 6000);
    commit1(off, "g1", "orders", 1, 7, NULL, 6500);
    commit1(off, "g2", "audit", 0, 3, "", 7000);
    bc_offsets_close(off);
    cr_assert_eq(bc_broker_close(b), 0);

    b = open_broker();
    off = open_offsets(b, NULL, &load);
    cr_expect_eq(load.commits, 4);
    cr_expect_eq(load.entries, 3);
    cr_assert_eq(bc_offsets_fetch(off, "g1", "orders", 0, &o, &ts), 0);
    cr_expect_eq(o, 20);
    cr_expect_eq(ts, 6000);
    e = bc_offsets_entries(off, "g1", &n);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(e[0].metadata, "second");
    cr_expect_eq(e[1].partition, 1);
    cr_expect_eq(e[1].offset, 7);
    cr_expect_str_eq(e[1].metadata, "");
    bc_offsets_entries_free(e, n);
    cr_expect_eq(bc_offsets_fetch(off, "g2", "audit", 1, &o, NULL),
                 BC_ERR_NOT_FOUND);
    cr_expect_eq(o, -1);
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, group_removal_writes_tombstones) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    bc_log_t *log =
        bc_broker_log(b, BC_OFFSETS_TOPIC, bc_offsets_partition_for("g1", 50));
    bc_offsets_load_t load;
    char err[256];
    int64_t o;
    size_t n;
    char **names;

    commit1(off, "g1", "orders", 0, 10, "", 5000);
    commit1(off, "g1", "orders", 1, 11, "", 5000);
    commit1(off, "g2", "orders", 0, 12, "", 5000);
    cr_expect_eq(bc_log_end_offset(log), 2);
    cr_assert_eq(bc_offsets_delete_group(off, "g1", 6000, err, sizeof(err)), 0,
                 "%s", err);
    cr_expect_eq(bc_log_end_offset(log), 4); /* two tombstones */
    cr_expect_eq(bc_offsets_fetch(off, "g1", "orders", 0, &o, NULL),
                 BC_ERR_NOT_FOUND);
    bc_offsets_close(off);
    bc_broker_close(b);

    b = open_broker();
    off = open_offsets(b, NULL, &load);
    cr_expect_eq(load.tombstones, 2);
    names = bc_offsets_list_groups(off, &n);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(names[0], "g2");
    bc_offsets_names_free(names, n);
    bc_offsets_close(off);
    bc_broker_close(b);
}

/* One group's entries, has_group and the group list agree with the
 * commits across 300 groups (past the group index's first growths),
 * removals and a restart that rebuilds the table from the log. */
static void check_groups(bc_offsets_t *off, int from, int to) {
    char g[32];
    size_t n;
    char **names = bc_offsets_list_groups(off, &n);
    cr_assert_eq(n, (size_t)(to - from), "%zu groups listed", n);
    bc_offsets_names_free(names, n);
    for (int i = 0; i < 300; i++) {
        snprintf(g, sizeof(g), "g%03d", i);
        bool live = i >= from && i < to;
        cr_assert_eq(bc_offsets_has_group(off, g), live, "%s", g);
        bc_offsets_entry_t *e = bc_offsets_entries(off, g, &n);
        cr_assert_eq(n, live ? (size_t)(i % 3 + 1) : 0, "%s: %zu", g, n);
        for (size_t k = 0; k < n; k++) {
            cr_assert_str_eq(e[k].group, g);
            cr_assert_eq(e[k].partition, (int32_t)k);
            cr_assert_eq(e[k].offset, i * 10 + (int64_t)k);
        }
        bc_offsets_entries_free(e, n);
    }
}

Test(bc_offsets, group_index_follows_commits_removals_and_restart) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    char g[32], err[256];
    for (int i = 0; i < 300; i++) {
        snprintf(g, sizeof(g), "g%03d", i);
        for (int p = 0; p <= i % 3; p++) {
            commit1(off, g, "orders", p, 1, "", 5000); /* then replaced */
            commit1(off, g, "orders", p, i * 10 + p, "", 5001);
        }
    }
    check_groups(off, 0, 300);
    for (int i = 0; i < 100; i++) {
        snprintf(g, sizeof(g), "g%03d", i);
        cr_assert_eq(bc_offsets_delete_group(off, g, 6000, err, sizeof(err)), 0,
                     "%s", err);
    }
    check_groups(off, 100, 300);
    bc_offsets_close(off);
    bc_broker_close(b);
    b = open_broker();
    off = open_offsets(b, NULL, NULL);
    check_groups(off, 100, 300);
    bc_offsets_close(off);
    bc_broker_close(b);
}

typedef struct heard_s {
    int n;
    char group[16], topic[16];
    int32_t partition;
    int64_t offset, t;
} heard_t;

static void listen(void *opaque, const char *group, const char *topic,
                   int32_t partition, int64_t offset, int64_t t) {
    heard_t *h = opaque;

    h->n++;
    snprintf(h->group, sizeof(h->group), "%s", group);
    snprintf(h->topic, sizeof(h->topic), "%s", topic);
    h->partition = partition;
    h->offset = offset;
    h->t = t;
}

Test(bc_offsets, listener_hears_every_commit_and_deletion) {
    bc_broker_t *b = open_broker();
    heard_t h = {0};
    bc_offsets_conf_t conf = {.listener = listen, .opaque = &h};
    bc_offsets_t *off = open_offsets(b, &conf, NULL);
    char err[256];

    commit1(off, "g", "orders", 2, 99, "", 4242);
    cr_expect_eq(h.n, 1);
    cr_expect_str_eq(h.group, "g");
    cr_expect_str_eq(h.topic, "orders");
    cr_expect_eq(h.partition, 2);
    cr_expect_eq(h.offset, 99);
    cr_expect_eq(h.t, 4242);
    commit1(off, "g", "orders", 2, 100, "", 4243);
    cr_expect_eq(h.n, 2);
    cr_assert_eq(bc_offsets_delete_group(off, "g", 5000, err, sizeof(err)), 0);
    cr_expect_eq(h.n, 3);
    cr_expect_eq(h.offset, -1);
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, invalid_commits_write_nothing) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    bc_log_t *log =
        bc_broker_log(b, BC_OFFSETS_TOPIC, bc_offsets_partition_for("g", 50));
    char big[BC_OFFSETS_METADATA_MAX + 2];

    memset(big, 'm', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_expect_eq(commit1(off, "g", "orders", 0, -1, "", 1), BC_ERR_INVALID);
    cr_expect_eq(commit1(off, "g", "orders", 0, 1, big, 1), BC_ERR_INVALID);
    cr_expect_eq(commit1(off, "", "orders", 0, 1, "", 1), BC_ERR_INVALID);
    cr_expect_eq(commit1(off, "g", "", 0, 1, "", 1), BC_ERR_INVALID);
    cr_expect_eq(bc_log_end_offset(log), 0);
    big[BC_OFFSETS_METADATA_MAX] = '\0'; /* exactly the limit is fine */
    cr_expect_eq(commit1(off, "g", "orders", 0, 1, big, 1), 0);
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, malformed_commit_record_fails_open_naming_it) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    const uint8_t badkey[] = {0, 1, 0, 9, 'x'}; /* group length overruns */
    bc_record_in_t rec = {badkey, sizeof(badkey), "v", 1, 1000, NULL, 0};
    char err[256] = "";

    bc_offsets_close(off);
    cr_assert_eq(bc_broker_append(b, BC_OFFSETS_TOPIC, 7, &rec, 1, 0, 1000,
                                  NULL, err, sizeof(err)),
                 0, "%s", err);
    off = bc_offsets_open(b, NULL, 1000, NULL, err, sizeof(err));
    cr_expect_null(off);
    cr_expect(strstr(err, "__consumer_offsets-7 offset 0"), "%s", err);
    bc_broker_close(b);
}

Test(bc_offsets, other_key_versions_are_skipped) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    const uint8_t gmkey[] = {0, 2, 0, 1, 'g'};
    bc_record_in_t rec = {gmkey, sizeof(gmkey), "whatever", 8, 1000, NULL, 0};
    bc_offsets_load_t load;
    char err[256] = "";

    commit1(off, "g", "orders", 0, 5, "", 1000);
    bc_offsets_close(off);
    cr_assert_eq(bc_broker_append(b, BC_OFFSETS_TOPIC,
                                  bc_offsets_partition_for("g", 50), &rec, 1, 0,
                                  1000, NULL, err, sizeof(err)),
                 0, "%s", err);
    off = open_offsets(b, NULL, &load);
    cr_expect_eq(load.skipped, 1);
    cr_expect_eq(load.entries, 1);
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, compaction_keeps_latest_commit_and_table_intact) {
    bc_broker_t *b = open_broker();
    bc_offsets_conf_t conf = {.segment_bytes = 4096};
    bc_offsets_t *off = open_offsets(b, &conf, NULL);
    int32_t p = bc_offsets_partition_for("busy", 50);
    bc_log_t *log = bc_broker_log(b, BC_OFFSETS_TOPIC, p);
    bc_log_stats_t before, after;
    bc_maint_stats_t ms;
    bc_offsets_load_t load;
    char err[256];
    int64_t o;

    /* 2000 commits of 4 partitions: 8000 records, 4 live keys. */
    for (int i = 1; i <= 2000; i++) {
        bc_offsets_commit_t c[4];

        for (int k = 0; k < 4; k++)
            c[k] = (bc_offsets_commit_t){"orders", k, i * 10 + k, -1, ""};
        cr_assert_eq(
            bc_offsets_commit(off, "busy", c, 4, 10000 + i, err, sizeof(err)),
            0, "%s", err);
    }
    bc_log_stats(log, &before);
    cr_assert_gt(before.segments, 2);
    cr_assert_eq(bc_broker_maintain(b, 20000, &ms, err, sizeof(err)), 0, "%s",
                 err);
    bc_log_stats(log, &after);
    cr_expect_geq(ms.partitions_compacted, 1);
    cr_expect_lt(after.bytes, before.bytes / 4, "compacted %lld -> %lld",
                 (long long)before.bytes, (long long)after.bytes);
    cr_expect_eq(after.log_end_offset, before.log_end_offset);
    bc_offsets_close(off);
    bc_broker_close(b);

    b = open_broker();
    off = open_offsets(b, &conf, &load);
    cr_expect_lt(load.records, 8000);
    cr_expect_eq(load.entries, 4);
    for (int k = 0; k < 4; k++) {
        cr_assert_eq(bc_offsets_fetch(off, "busy", "orders", k, &o, NULL), 0);
        cr_expect_eq(o, 20000 + k);
    }
    bc_offsets_close(off);
    bc_broker_close(b);
}

Test(bc_offsets, entries_and_groups_are_sorted) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    bc_offsets_entry_t *e;
    char **names;
    size_t n;

    commit1(off, "zeta", "t", 1, 1, "", 1);
    commit1(off, "alpha", "t", 2, 1, "", 1);
    commit1(off, "alpha", "s", 9, 1, "", 1);
    commit1(off, "alpha", "t", 0, 1, "", 1);
    names = bc_offsets_list_groups(off, &n);
    cr_assert_eq(n, 2);
    cr_expect_str_eq(names[0], "alpha");
    cr_expect_str_eq(names[1], "zeta");
    bc_offsets_names_free(names, n);
    e = bc_offsets_entries(off, NULL, &n);
    cr_assert_eq(n, 4);
    cr_expect_str_eq(e[0].topic, "s");
    cr_expect_eq(e[1].partition, 0);
    cr_expect_eq(e[2].partition, 2);
    cr_expect_str_eq(e[3].group, "zeta");
    bc_offsets_entries_free(e, n);
    bc_offsets_close(off);
    bc_broker_close(b);
}

/* A corrupt __consumer_offsets partition, with the broker leaving it
 * offline: the other groups' commits load and go on; the groups mapped
 * to the bad partition fail to commit, saying why. */
Test(bc_offsets, offline_partition_is_passed_over_and_its_commits_fail) {
    bc_broker_t *b = open_broker();
    bc_offsets_t *off = open_offsets(b, NULL, NULL);
    commit1(off, "a", "orders", 0, 10, "", 5000);      /* partition 47 */
    commit1(off, "burrow", "orders", 0, 20, "", 5000); /* partition 3 */
    bc_offsets_close(off);
    cr_assert_eq(bc_broker_close(b), 0);
    char path[512];
    snprintf(path, sizeof(path),
             "%s/__consumer_offsets-47/00000000000000000000.log", dir);
    FILE *f = fopen(path, "r+");
    cr_assert(f);
    fseek(f, 40, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(c ^ 0x20, f);
    fclose(f);

    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.on_corruption = BC_CORRUPTION_OFFLINE;
    char err[512];
    int e = 0;
    b = bc_broker_open(dir, &conf, 1000, &e, err, sizeof(err));
    cr_assert(b, "%s", err);
    bc_offsets_load_t load;
    off = open_offsets(b, NULL, &load);
    cr_expect_eq(load.offline_partitions, 1);
    int64_t o = 0;
    cr_assert_eq(bc_offsets_fetch(off, "burrow", "orders", 0, &o, NULL), 0);
    cr_expect_eq(o, 20);
    cr_expect_eq(bc_offsets_fetch(off, "a", "orders", 0, &o, NULL),
                 BC_ERR_NOT_FOUND);
    bc_offsets_commit_t cm = {"orders", 0, 30, -1, NULL};
    cr_expect_eq(bc_offsets_commit(off, "a", &cm, 1, 6000, err, sizeof(err)),
                 BC_ERR_OFFLINE);
    cr_expect(strstr(err, "__consumer_offsets-47 is offline") != NULL, "%s",
              err);
    cr_expect_eq(
        bc_offsets_commit(off, "burrow", &cm, 1, 6000, err, sizeof(err)), 0,
        "%s", err);
    bc_offsets_close(off);
    bc_broker_close(b);
}
