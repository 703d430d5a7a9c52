/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_compact: latest value per key, tombstones and their delete
 * horizon, keyless records, the active segment, the dirty-ratio trigger
 * and crash-safe swapping. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_compact.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_log.h"
#include "tests/unit/bc_test_util.h"

static char dir[512];

static void setup(void) {
    bct_tmpdir(dir, sizeof(dir), "compact");
}
static void teardown(void) {
    bct_rmtree(dir);
}

TestSuite(bc_compact, .init = setup, .fini = teardown);

static bc_log_config_t compact_cfg(void) {
    bc_log_config_t c = bc_log_config_default();
    c.cleanup_policy = BC_CLEANUP_COMPACT;
    c.segment_bytes = 1024;
    c.delete_retention_ms = 500;
    return c;
}

static bc_log_t *open_at(const char *path, const bc_log_config_t *cfg) {
    char err[512];
    int e;
    bc_log_t *log = bc_log_open(path, cfg, BC_LOG_OPEN_CREATE, 1, NULL, &e, err,
                                sizeof(err));
    cr_assert_not_null(log, "open %s: %s", path, err);
    return log;
}

static void put(bc_log_t *log, const char *key, const char *value, int64_t ts) {
    bc_record_in_t r = {key,   key ? (int32_t)strlen(key) : -1,
                        value, value ? (int32_t)strlen(value) : -1,
                        ts,    NULL,
                        0};
    cr_assert_eq(bc_log_append_records(log, &r, 1, 0, ts, NULL, NULL, 0), 0);
}

#define MAXREC 20000
typedef struct dump_s {
    int n;
    int64_t off[MAXREC];
    char key[MAXREC][16];
    int keyless[MAXREC];
    char val[MAXREC][32];
    int tomb[MAXREC];
} dump_t;

static int dump_cb(void *opaque, const bc_record_t *rec) {
    dump_t *d = opaque;
    int i = d->n++;
    cr_assert_lt(i, MAXREC);
    d->off[i] = rec->offset;
    d->keyless[i] = rec->key_len < 0;
    snprintf(d->key[i], 16, "%.*s", rec->key_len > 0 ? rec->key_len : 0,
             (const char *)rec->key);
    d->tomb[i] = rec->value_len < 0;
    snprintf(d->val[i], 32, "%.*s", rec->value_len > 0 ? rec->value_len : 0,
             (const char *)rec->value);
    return 0;
}

static dump_t *dump(bc_log_t *log) {
    dump_t *d = calloc(1, sizeof(*d));
    int64_t off = bc_log_start_offset(log), next;
    while (off < bc_log_end_offset(log)) {
        cr_assert_eq(bc_log_read(log, off, 1 << 16, dump_cb, d, &next, NULL, 0),
                     0);
        cr_assert_gt(next, off);
        off = next;
    }
    for (int i = 1; i < d->n; i++)
        cr_assert_gt(d->off[i], d->off[i - 1], "offsets increase");
    return d;
}

Test(bc_compact, keeps_exactly_the_latest_value_per_key) {
    bc_log_config_t cfg = compact_cfg();
    bc_log_t *log = open_at(dir, &cfg);
    char k[16], v[32];
    int latest[50];
    for (int i = 0; i < 1500; i++) {
        int key = (i * 7919) % 50;
        snprintf(k, sizeof(k), "k%d", key);
        snprintf(v, sizeof(v), "v%d", i);
        put(log, k, v, 1000 + i);
        latest[key] = i;
    }
    int64_t leo = bc_log_end_offset(log);
    bc_compact_stats_t st;
    char err[512];
    cr_assert_eq(bc_compact_log(log, 5000, 0, &st, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(st.cleaned, 1);
    cr_assert_float_eq(st.dirty_ratio, 1.0, 1e-9);
    cr_assert_gt(st.records_removed, 1000);
    cr_assert_lt(st.bytes_after, st.bytes_before);
    cr_assert_eq(bc_log_end_offset(log), leo, "LEO unchanged");
    dump_t *d = dump(log);
    /* Cleaned part: each key once, holding its latest value there. */
    int seen[50] = {0};
    for (int i = 0; i < d->n; i++) {
        if (d->off[i] >= st.first_dirty_offset) continue;
        int key = atoi(d->key[i] + 1);
        cr_assert_eq(seen[key], 0, "key %s twice in the cleaned part",
                     d->key[i]);
        seen[key] = 1;
    }
    /* Whole log: the last value of every key is the last one written. */
    char last[50][32];
    for (int i = 0; i < d->n; i++)
        snprintf(last[atoi(d->key[i] + 1)], 32, "%s", d->val[i]);
    for (int key = 0; key < 50; key++) {
        snprintf(v, sizeof(v), "v%d", latest[key]);
        cr_assert_str_eq(last[key], v, "key k%d", key);
    }
    /* Record offsets kept their original values (gaps, no renumbering). */
    for (int i = 0; i < d->n; i++)
        cr_assert_eq(atoi(d->val[i] + 1), (int)d->off[i]);
    free(d);
    /* Everything survives a reopen. */
    cr_assert_eq(bc_log_close(log), 0);
    log = open_at(dir, &cfg);
    d = dump(log);
    cr_assert_eq(bc_log_end_offset(log), leo);
    free(d);
    bc_log_close(log);
}

Test(bc_compact, tombstones_survive_delete_retention_then_go) {
    bc_log_config_t cfg = compact_cfg();
    bc_log_t *log = open_at(dir, &cfg);
    char pad[300];
    memset(pad, 'p', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    put(log, "gone", "v1", 100);
    put(log, "kept", "v2", 100);
    put(log, "gone", NULL, 101); /* tombstone */
    for (int i = 0; i < 12; i++)
        put(log, "filler", pad, 102); /* rolls several segments */
    bc_compact_stats_t st;
    cr_assert_eq(bc_compact_log(log, 1000, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 1);
    dump_t *d = dump(log);
    int tombs = 0, gone_v1 = 0;
    for (int i = 0; i < d->n; i++) {
        if (!strcmp(d->key[i], "gone") && d->tomb[i]) tombs++;
        if (!strcmp(d->key[i], "gone") && !d->tomb[i]) gone_v1++;
    }
    cr_assert_eq(tombs, 1, "tombstone kept within delete.retention.ms");
    cr_assert_eq(gone_v1, 0, "value it deletes is gone");
    free(d);
    /* Before the horizon (1000 + 500) nothing is due... */
    cr_assert_eq(bc_compact_log(log, 1400, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 0);
    /* ...after it the pass runs by itself and drops the tombstone. */
    cr_assert_eq(bc_compact_log(log, 1500, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 1);
    cr_assert_eq(st.tombstones_removed, 1);
    d = dump(log);
    int kept = 0;
    for (int i = 0; i < d->n; i++) {
        cr_assert(strcmp(d->key[i], "gone") != 0, "tombstone still there");
        kept += !strcmp(d->key[i], "kept");
    }
    cr_assert_eq(kept, 1);
    free(d);
    bc_log_close(log);
}

Test(bc_compact, drops_keyless_records_and_never_touches_active_segment) {
    bc_log_config_t cfg = compact_cfg();
    bc_log_t *log = open_at(dir, &cfg);
    for (int i = 0; i < 60; i++)
        put(log, i % 2 ? NULL : "k", "some-value-padding-padding", 10);
    bc_log_stats_t before;
    bc_log_stats(log, &before);
    cr_assert_gt(before.segments, 1);
    /* What the active segment holds now. */
    dump_t *d0 = dump(log);
    bc_compact_stats_t st;
    cr_assert_eq(bc_compact_log(log, 100, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 1);
    dump_t *d = dump(log);
    int keyless_clean = 0, active_records = 0, active_before = 0;
    for (int i = 0; i < d->n; i++) {
        if (d->off[i] < st.first_dirty_offset)
            keyless_clean += d->keyless[i];
        else
            active_records++;
    }
    for (int i = 0; i < d0->n; i++)
        active_before += d0->off[i] >= st.first_dirty_offset;
    cr_assert_eq(keyless_clean, 0);
    cr_assert_eq(active_records, active_before, "active segment untouched");
    cr_assert_gt(active_records, 1);
    free(d);
    free(d0);
    bc_log_close(log);
}

Test(bc_compact, runs_only_when_dirty_ratio_reaches_threshold) {
    bc_log_config_t cfg = compact_cfg();
    bc_log_t *log = open_at(dir, &cfg);
    char k[16];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "k%d", i); /* unique keys: nothing to drop */
        put(log, k, "value-value-value-value", 10);
    }
    bc_compact_stats_t st;
    cr_assert_eq(bc_compact_log(log, 100, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 1);
    /* A little new data: ratio below 0.5, no pass. */
    for (int i = 0; i < 40; i++)
        put(log, "hot", "value-value-value-value", 11);
    double r = bc_compact_dirty_ratio(log, 100);
    cr_assert_lt(r, 0.5);
    cr_assert_eq(bc_compact_log(log, 100, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 0);
    /* Much more: ratio >= 0.5, the pass runs. */
    for (int i = 0; i < 400; i++)
        put(log, "hot", "value-value-value-value", 12);
    cr_assert_geq(bc_compact_dirty_ratio(log, 100), 0.5);
    cr_assert_eq(bc_compact_log(log, 100, 0, &st, NULL, 0), 0);
    cr_assert_eq(st.cleaned, 1);
    cr_assert_gt(st.records_removed, 300);
    bc_log_close(log);
}

static void copy_dir(const char *from, const char *to) {
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s' '%s'", to, from, to);
    cr_assert_eq(system(cmd), 0);
}

Test(bc_compact, interrupted_swap_is_completed_or_discarded_on_open) {
    bc_log_config_t cfg = compact_cfg();
    cfg.segment_bytes = 100000; /* one group holds every old segment */
    char a[600], b[600], c[600];
    snprintf(a, sizeof(a), "%s/a", dir);
    snprintf(b, sizeof(b), "%s/b", dir);
    snprintf(c, sizeof(c), "%s/c", dir);
    bc_log_config_t small = cfg;
    small.segment_bytes = 600;
    bc_log_t *log = open_at(a, &small);
    char k[16], v[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k%d", i % 7);
        snprintf(v, sizeof(v), "v%d", i);
        put(log, k, v, 10);
    }
    bc_log_close(log);
    copy_dir(a, b); /* b, c: the state before cleaning */
    copy_dir(a, c);
    log = open_at(a, &cfg);
    bc_compact_stats_t st;
    cr_assert_eq(bc_compact_log(log, 100, 1, &st, NULL, 0), 0);
    cr_assert_eq(st.segments_after, 1);
    dump_t *want = dump(log);
    bc_log_close(log);
    /* b: crash right after the commit point (.swap written, old
     * segments still there). */
    char src[700], dst[700];
    bct_seg_path(src, sizeof(src), a, 0, ".log");
    bct_seg_path(dst, sizeof(dst), b, 0, ".log.swap");
    char cmd[1600];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
    cr_assert_eq(system(cmd), 0);
    char marker[700];
    snprintf(marker, sizeof(marker), "%s/.kafka_cleanshutdown", b);
    unlink(marker);
    log = open_at(b, &cfg);
    dump_t *got = dump(log);
    cr_assert_eq(got->n, want->n);
    for (int i = 0; i < got->n; i++) {
        cr_assert_eq(got->off[i], want->off[i]);
        cr_assert_str_eq(got->val[i], want->val[i]);
    }
    bc_log_close(log);
    free(got);
    /* c: crash before the commit point (.cleaned only): old data kept. */
    bct_seg_path(dst, sizeof(dst), c, 0, ".log.cleaned");
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
    cr_assert_eq(system(cmd), 0);
    log = open_at(c, &cfg);
    got = dump(log);
    cr_assert_eq(got->n, 100, "nothing lost, nothing cleaned");
    cr_assert_eq(bct_file_size(dst), -1, "leftover removed");
    bc_log_close(log);
    free(got);
    free(want);
}
