/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_log: appends, fetches, rolling, recovery (torn tail,
 * corruption, lost indexes), lookups against a linear scan, retention,
 * flush policy and locking. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_log.h"
#include "tests/unit/bc_test_util.h"

static char dir[512];

static void setup(void) {
    bct_tmpdir(dir, sizeof(dir), "log");
}
static void teardown(void) {
    bct_rmtree(dir);
}

TestSuite(bc_log, .init = setup, .fini = teardown);

static bc_log_t *open_log(const bc_log_config_t *cfg, bc_log_recovery_t *rep,
                          int flags) {
    char err[512];
    int e = 0;
    bc_log_t *log = bc_log_open(dir, cfg, flags | BC_LOG_OPEN_CREATE, 1000, rep,
                                &e, err, sizeof(err));
    cr_assert_not_null(log, "open: %s", err);
    return log;
}

/* Appends n batches of `per` records "v<offset>" with timestamp ts0+i. */
static void fill(bc_log_t *log, int n, int per, int64_t ts0) {
    for (int i = 0; i < n; i++) {
        bc_record_in_t recs[64];
        char vals[64][32];
        int64_t leo = bc_log_end_offset(log);
        for (int j = 0; j < per; j++) {
            int len = snprintf(vals[j], sizeof(vals[j]), "v%lld",
                               (long long)(leo + j));
            bc_record_in_t r = {vals[j], len, vals[j], len, ts0 + i, NULL, 0};
            recs[j] = r;
        }
        bc_append_info_t info;
        char err[256];
        cr_assert_eq(bc_log_append_records(log, recs, (size_t)per, 0, 1000,
                                           &info, err, sizeof(err)),
                     0, "%s", err);
        cr_assert_eq(info.base_offset, leo);
        cr_assert_eq(info.log_end_offset, leo + per);
    }
}

typedef struct collect_s {
    int64_t offsets[20000];
    int64_t ts[20000];
    int n;
    int bad;
} collect_t;

static int collect_cb(void *opaque, const bc_record_t *rec) {
    collect_t *c = opaque;
    char want[32];
    int len = snprintf(want, sizeof(want), "v%lld", (long long)rec->offset);
    if (rec->value_len != len || memcmp(rec->value, want, (size_t)len))
        c->bad++;
    if (c->n < 20000) {
        c->offsets[c->n] = rec->offset;
        c->ts[c->n] = rec->timestamp;
    }
    c->n++;
    return 0;
}

/* Reads the whole log through bc_log_read. */
static void read_all(bc_log_t *log, collect_t *c) {
    int64_t off = bc_log_start_offset(log), next;
    memset(c, 0, sizeof(*c));
    while (off < bc_log_end_offset(log)) {
        char err[256];
        cr_assert_eq(
            bc_log_read(log, off, 3000, collect_cb, c, &next, err, sizeof(err)),
            0, "%s", err);
        cr_assert(next > off, "no progress at %lld", (long long)off);
        off = next;
    }
}

Test(bc_log, append_assigns_offsets_and_fetch_returns_them_in_order) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    cr_assert_eq(bc_log_end_offset(log), 0);
    fill(log, 50, 7, 5000);
    cr_assert_eq(bc_log_end_offset(log), 350);
    cr_assert_eq(bc_log_start_offset(log), 0);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, 350);
    cr_assert_eq(c->bad, 0);
    for (int i = 0; i < 350; i++)
        cr_assert_eq(c->offsets[i], i);
    free(c);
    cr_assert_eq(bc_log_close(log), 0);
}

Test(bc_log, segment_files_use_twenty_digit_base_offsets) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 2048;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 100, 5, 1);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_gt(st.segments, 3);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    cr_assert_geq(bct_file_size(path), 1);
    bct_seg_path(path, sizeof(path), dir, 0, ".timeindex");
    cr_assert_geq(bct_file_size(path), 0);
    /* The sealed segment's indexes are trimmed to their entries. */
    bct_seg_path(path, sizeof(path), dir, 0, ".index");
    cr_assert_lt(bct_file_size(path), 1024);
    cr_assert_eq(bct_file_size(path) % 8, 0);
    cr_assert_eq(bc_log_close(log), 0);
}

Test(bc_log, rolls_by_segment_bytes_and_keeps_all_records_readable) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 4096;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 200, 3, 1);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_gt(st.segments, 5);
    cr_assert_eq(bc_log_close(log), 0);
    log = open_log(&cfg, NULL, 0);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, 600);
    cr_assert_eq(c->bad, 0);
    free(c);
    bc_log_close(log);
}

Test(bc_log, rolls_by_segment_ms_using_record_timestamps) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_ms = 1000;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 1, 1, 10000);
    fill(log, 1, 1, 10500);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_eq(st.segments, 1);
    fill(log, 1, 1, 11001);
    bc_log_stats(log, &st);
    cr_assert_eq(st.segments, 2);
    bc_log_close(log);
}

Test(bc_log, clean_close_writes_marker_and_reopen_skips_scan) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 10, 10, 1);
    cr_assert_eq(bc_log_close(log), 0);
    char path[600];
    snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", dir);
    cr_assert_geq(bct_file_size(path), 0);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, 0);
    cr_assert_eq(rep.clean_shutdown, 1);
    cr_assert_eq(rep.segments_recovered, 0);
    cr_assert_eq(bct_file_size(path), -1, "marker removed while open");
    cr_assert_eq(bc_log_end_offset(log), 100);
    fill(log, 1, 1, 2);
    cr_assert_eq(bc_log_end_offset(log), 101);
    bc_log_close(log);
}

Test(bc_log, unclean_reopen_revalidates_and_keeps_everything) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 10, 10, 1);
    bc_log_abandon(log);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, 0);
    cr_assert_eq(rep.clean_shutdown, 0);
    cr_assert_geq(rep.segments_recovered, 1);
    cr_assert_eq(rep.bytes_truncated, 0);
    cr_assert_eq(bc_log_end_offset(log), 100);
    bc_log_close(log);
}

Test(bc_log, byte_flipped_in_tail_is_truncated_on_open_rest_readable) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 20, 5, 1);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    long long before = bct_file_size(path);
    bc_log_abandon(log); /* a crash: no clean-shutdown marker */
    bct_flip_byte(path, before - 3, 0x40); /* inside the last batch */
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, 0);
    cr_assert_gt(rep.bytes_truncated, 0);
    cr_assert_eq(rep.truncated_at, 95);
    cr_assert(strstr(rep.message, "CRC") != NULL, "%s", rep.message);
    cr_assert_eq(bc_log_end_offset(log), 95);
    cr_assert_eq(bct_file_size(path), before - rep.bytes_truncated);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, 95);
    cr_assert_eq(c->bad, 0);
    free(c);
    /* Appends continue at the cut. */
    fill(log, 1, 1, 2);
    cr_assert_eq(bc_log_end_offset(log), 96);
    bc_log_close(log);
}

/* A torn write can only hit bytes that were never fsynced: after a clean
 * close (or below the recovery point) a bad last batch is corruption,
 * and its committed records are not silently cut. */
Test(bc_log, bad_tail_after_a_clean_close_is_corruption_not_a_torn_write) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 20, 5, 1);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    long long before = bct_file_size(path);
    cr_assert_eq(bc_log_close(log), 0);
    bct_flip_byte(path, before - 3, 0x40); /* inside the last batch */
    char err[512];
    int e = 0;
    cr_assert_null(bc_log_open(dir, NULL, 0, 1000, NULL, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "closed cleanly") != NULL, "%s", err);
    cr_assert_eq(bct_file_size(path), before);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, BC_LOG_OPEN_REPAIR);
    cr_assert_eq(bc_log_end_offset(log), 95);
    cr_assert_gt(rep.bytes_truncated, 0);
    bc_log_close(log);
}

Test(bc_log, bad_tail_below_the_recovery_point_is_corruption) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 20, 5, 1);
    cr_assert_eq(bc_log_flush(log, NULL, 0), 0);
    cr_assert_eq(bc_log_tick(log, 1000000, NULL, 0), 0); /* checkpoint 100 */
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    long long before = bct_file_size(path);
    bc_log_abandon(log);
    bct_flip_byte(path, before - 3, 0x40);
    char err[512];
    int e = 0;
    cr_assert_null(bc_log_open(dir, NULL, 0, 1000, NULL, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "recovery point 100") != NULL, "%s", err);
}

/* baseOffset is not covered by the CRC: after a clean close, a batch
 * whose base offset was bumped passes its CRC, and only the order of
 * offsets tells. (Found by tests/fuzz/fuzz_bc_repair: reads went
 * backwards.) */
Test(bc_log, base_offset_out_of_order_after_a_clean_close_is_corruption) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 20, 5, 1);
    cr_assert_eq(bc_log_close(log), 0);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    long pos = 0;
    for (int i = 0; i < 2; i++) { /* to the third batch */
        unsigned char h[12];
        cr_assert_eq(fseek(f, pos, SEEK_SET), 0);
        cr_assert_eq(fread(h, 1, 12, f), 12);
        pos += 12 + ((long)h[8] << 24 | (long)h[9] << 16 | (long)h[10] << 8 |
                     (long)h[11]);
    }
    unsigned char big[8] = {0, 0, 0, 0, 0, 0x0f, 0x42, 0x40}; /* 1000000 */
    cr_assert_eq(fseek(f, pos, SEEK_SET), 0);
    cr_assert_eq(fwrite(big, 1, 8, f), 8);
    fclose(f);
    char err[512];
    int e = 0;
    cr_assert_null(bc_log_open(dir, NULL, 0, 1000, NULL, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "out of order") != NULL, "%s", err);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, BC_LOG_OPEN_REPAIR);
    cr_assert_eq(bc_log_end_offset(log), 1000005, "cut after the bumped one");
    collect_t *c = calloc(1, sizeof(*c));
    int64_t off = 0, next;
    while (off < bc_log_end_offset(log)) {
        cr_assert_eq(bc_log_read(log, off, 3000, collect_cb, c, &next, NULL, 0),
                     0);
        off = next;
    }
    for (int i = 1; i < c->n && i < 20000; i++)
        cr_assert_gt(c->offsets[i], c->offsets[i - 1]);
    free(c);
    bc_log_close(log);
}

Test(bc_log, torn_partial_batch_is_truncated) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 5, 5, 1);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    long long full = bct_file_size(path);
    bc_log_abandon(log);
    cr_assert_eq(truncate(path, full - 10), 0);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, 0);
    cr_assert_eq(bc_log_end_offset(log), 20);
    cr_assert_gt(rep.bytes_truncated, 0);
    bc_log_close(log);
}

Test(bc_log, zero_filled_tail_is_truncated) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 5, 5, 1);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    long long full = bct_file_size(path);
    bc_log_abandon(log);
    cr_assert_eq(truncate(path, full + 4096), 0);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, 0);
    cr_assert_eq(bc_log_end_offset(log), 25);
    cr_assert_eq(rep.bytes_truncated, 4096);
    bc_log_close(log);
}

Test(bc_log, corruption_with_valid_data_after_it_refuses_to_open) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 20, 5, 1);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    long long size = bct_file_size(path);
    bc_log_abandon(log);
    bct_flip_byte(path, 70, 0x01); /* inside the first batch */
    char err[512];
    int e = 0;
    log = bc_log_open(dir, NULL, 0, 1000, NULL, &e, err, sizeof(err));
    cr_assert_null(log);
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "byte 0") != NULL, "%s", err);
    cr_assert(strstr(err, "00000000000000000000.log") != NULL, "%s", err);
    cr_assert_eq(bct_file_size(path), size, "nothing truncated");
    /* Repair mode truncates, as Kafka would. */
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, BC_LOG_OPEN_REPAIR);
    cr_assert_eq(bc_log_end_offset(log), 0);
    cr_assert_eq(rep.bytes_truncated, size);
    bc_log_close(log);
}

Test(bc_log, repair_of_a_middle_segment_cuts_there_and_deletes_the_rest) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 2048;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 80, 4, 1);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_gt(st.segments, 3);
    cr_assert_eq(bc_log_close(log), 0);
    /* The second segment's base, and the bytes of the ones after it. */
    int64_t bases[64];
    int nb = 0;
    long long after = 0;
    for (int64_t o = 0; o < 400 && nb < 64; o++) {
        char p[600];
        bct_seg_path(p, sizeof(p), dir, o, ".log");
        long long sz = bct_file_size(p);
        if (sz < 0) continue;
        if (nb >= 2) after += sz;
        bases[nb++] = o;
    }
    cr_assert_eq(nb, st.segments);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, bases[1], ".log");
    long long size1 = bct_file_size(path);
    bct_flip_byte(path, 40, 0x04); /* its first batch */
    char err[512];
    int e = 0;
    cr_assert_null(bc_log_open(dir, &cfg, 0, 1000, NULL, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "byte 0") != NULL, "%s", err);
    bc_log_recovery_t rep;
    log = open_log(&cfg, &rep, BC_LOG_OPEN_REPAIR);
    cr_assert_eq(bc_log_end_offset(log), bases[1]);
    cr_assert_eq(rep.truncated_at, bases[1]);
    cr_assert_eq(rep.cut_segment, bases[1]);
    cr_assert_eq(rep.cut_byte, 0);
    cr_assert_eq(rep.bytes_truncated, size1);
    cr_assert_eq(rep.segments_deleted, nb - 2);
    cr_assert_eq(rep.bytes_deleted, after);
    bct_seg_path(path, sizeof(path), dir, bases[2], ".log");
    cr_assert_eq(bct_file_size(path), -1);
    /* The cut segment is the active one: appends continue from its base. */
    fill(log, 1, 3, 1);
    cr_assert_eq(bc_log_end_offset(log), bases[1] + 3);
    cr_assert_eq(bc_log_close(log), 0);
    log = open_log(&cfg, NULL, 0);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, bases[1] + 3);
    cr_assert_eq(c->bad, 0);
    free(c);
    bc_log_close(log);
}

Test(bc_log, repair_drops_a_segment_that_overlaps_the_one_before) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 10, 4, 1);
    cr_assert_eq(bc_log_close(log), 0);
    char from[600], to[600], cmd[1400];
    bct_seg_path(from, sizeof(from), dir, 0, ".log");
    bct_seg_path(to, sizeof(to), dir, 20, ".log");
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
    cr_assert_eq(system(cmd), 0);
    char err[512];
    int e = 0;
    cr_assert_null(bc_log_open(dir, NULL, 0, 1000, NULL, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_CORRUPT);
    cr_assert(strstr(err, "overlaps") != NULL, "%s", err);
    bc_log_recovery_t rep;
    log = open_log(NULL, &rep, BC_LOG_OPEN_REPAIR);
    cr_assert_eq(bc_log_end_offset(log), 40);
    cr_assert_eq(rep.segments_deleted, 1);
    cr_assert_eq(rep.bytes_deleted, bct_file_size(from));
    cr_assert_eq(rep.cut_segment, 20);
    cr_assert_eq(bct_file_size(to), -1);
    fill(log, 1, 1, 1);
    cr_assert_eq(bc_log_end_offset(log), 41);
    cr_assert_eq(bc_log_close(log), 0);
    log = open_log(NULL, NULL, 0);
    cr_assert_eq(bc_log_end_offset(log), 41);
    bc_log_close(log);
}

Test(bc_log, deleted_index_is_rebuilt) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 8192;
    cfg.index_interval_bytes = 256;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 100, 4, 1);
    cr_assert_eq(bc_log_close(log), 0);
    char path[600], tpath[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".index");
    bct_seg_path(tpath, sizeof(tpath), dir, 0, ".timeindex");
    long long isize = bct_file_size(path), tsize = bct_file_size(tpath);
    cr_assert_gt(isize, 0);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(unlink(tpath), 0);
    bc_log_recovery_t rep;
    log = open_log(&cfg, &rep, 0);
    cr_assert_eq(rep.clean_shutdown, 1);
    cr_assert_eq(rep.indexes_rebuilt, 1);
    cr_assert_eq(bct_file_size(path), isize, "rebuilt identically");
    cr_assert_eq(bct_file_size(tpath), tsize);
    int64_t ts, off;
    cr_assert_eq(bc_log_timestamp_of(log, 37, &ts, &off), 0);
    cr_assert_eq(off, 37);
    cr_assert_eq(ts, 1 + 37 / 4);
    bc_log_close(log);
}

Test(bc_log, garbage_index_is_detected_and_rebuilt) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.index_interval_bytes = 128;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 50, 2, 1);
    cr_assert_eq(bc_log_close(log), 0);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".index");
    long long sz = bct_file_size(path);
    cr_assert_gt(sz, 16);
    bct_flip_byte(path, sz - 2, 0x7f); /* last entry's position */
    bc_log_recovery_t rep;
    log = open_log(&cfg, &rep, 0);
    cr_assert_eq(rep.indexes_rebuilt, 1);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, 100);
    cr_assert_eq(c->bad, 0);
    free(c);
    bc_log_close(log);
}

Test(bc_log, offset_and_timestamp_lookups_agree_with_linear_scan) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 6000;
    cfg.index_interval_bytes = 200;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    unsigned seed = 12345;
    /* Timestamps wander up and down, as CreateTime may. */
    int64_t ts = 100000;
    for (int i = 0; i < 300; i++) {
        bc_record_in_t recs[8];
        char vals[8][32];
        int per = 1 + (int)(rand_r(&seed) % 8);
        int64_t leo = bc_log_end_offset(log);
        for (int j = 0; j < per; j++) {
            ts += (int64_t)(rand_r(&seed) % 200) - 60;
            int len = snprintf(vals[j], sizeof(vals[j]), "v%lld",
                               (long long)(leo + j));
            bc_record_in_t r = {NULL, -1, vals[j], len, ts, NULL, 0};
            recs[j] = r;
        }
        cr_assert_eq(
            bc_log_append_records(log, recs, (size_t)per, 0, 1, NULL, NULL, 0),
            0);
    }
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    int n = c->n;
    cr_assert_eq(n, bc_log_end_offset(log));
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_gt(st.segments, 3);
    for (int i = 0; i < n; i++) {
        int64_t t, o;
        cr_assert_eq(bc_log_timestamp_of(log, i, &t, &o), 0);
        cr_assert_eq(o, i);
        cr_assert_eq(t, c->ts[i], "offset %d", i);
    }
    int64_t lo = c->ts[0], hi = c->ts[0];
    for (int i = 0; i < n; i++) {
        lo = c->ts[i] < lo ? c->ts[i] : lo;
        hi = c->ts[i] > hi ? c->ts[i] : hi;
    }
    for (int64_t target = lo - 5; target <= hi + 5; target += 7) {
        int64_t want = -1;
        for (int i = 0; i < n; i++)
            if (c->ts[i] >= target) {
                want = i;
                break;
            }
        int64_t got, gts;
        cr_assert_eq(bc_log_offset_for_time(log, target, &got, &gts), 0);
        cr_assert_eq(got, want, "target %lld", (long long)target);
        if (want >= 0) cr_assert_eq(gts, c->ts[want]);
    }
    cr_assert_eq(bc_log_timestamp_of(log, n, NULL, NULL), BC_ERR_OUT_OF_RANGE);
    free(c);
    bc_log_close(log);
}

Test(bc_log, retention_deletes_the_oldest_expired_segments_first) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 2048;
    cfg.retention_ms = 1000;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 60, 4, 5000); /* timestamps 5000..5059 */
    bc_log_stats_t before, after;
    bc_log_stats(log, &before);
    cr_assert_gt(before.segments, 3);
    bc_retention_t res;
    /* Nothing is old enough yet. */
    cr_assert_eq(bc_log_retention(log, 5500, &res, NULL, 0), 0);
    cr_assert_eq(res.segments_deleted, 0);
    /* The closed segments are past retention, the active one (newest
     * record 5059) not yet: only closed segments go. */
    cr_assert_eq(bc_log_retention(log, 6059, &res, NULL, 0), 0);
    bc_log_stats(log, &after);
    cr_assert_eq(after.segments, 1);
    cr_assert_eq(res.segments_deleted, before.segments - 1);
    cr_assert_eq(after.log_end_offset, before.log_end_offset);
    cr_assert_gt(after.log_start_offset, 0);
    cr_assert_eq(after.log_start_offset, res.log_start_offset);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    cr_assert_eq(bct_file_size(path), -1);
    bc_fetch_t f;
    cr_assert_eq(bc_log_fetch(log, 0, 1000, &f, NULL, 0), BC_ERR_OUT_OF_RANGE);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, after.log_end_offset - after.log_start_offset);
    cr_assert_eq(c->bad, 0);
    free(c);
    bc_log_close(log);
    log = open_log(&cfg, NULL, 0);
    cr_assert_eq(bc_log_start_offset(log), after.log_start_offset);
    bc_log_close(log);
}

/* Kafka (UnifiedLog.deleteOldSegments): a non-empty active segment whose
 * newest record is past retention.ms is deletable too; the log rolls a
 * new empty segment at the log end first, so the partition keeps one
 * segment and its offsets. */
Test(bc_log, expired_active_segment_is_rolled_and_deleted) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.retention_ms = 1000;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 10, 4, 5000); /* one segment, newest record 5009 */
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_eq(st.segments, 1);
    bc_retention_t res;
    cr_assert_eq(bc_log_retention(log, 6009, &res, NULL, 0), 0);
    cr_assert_eq(res.segments_deleted, 0, "not yet past retention.ms");
    cr_assert_eq(bc_log_retention(log, 6010, &res, NULL, 0), 0);
    cr_assert_eq(res.segments_deleted, 1);
    cr_assert_gt(res.bytes_deleted, 0);
    cr_assert_eq(res.log_start_offset, 40);
    bc_log_stats(log, &st);
    cr_assert_eq(st.segments, 1, "an empty active segment at the log end");
    cr_assert_eq(st.bytes, 0);
    cr_assert_eq(st.log_start_offset, 40);
    cr_assert_eq(st.log_end_offset, 40);
    char path[600];
    bct_seg_path(path, sizeof(path), dir, 0, ".log");
    cr_assert_eq(bct_file_size(path), -1, "the expired segment is gone");
    bct_seg_path(path, sizeof(path), dir, 40, ".log");
    cr_assert_eq(bct_file_size(path), 0);
    bc_fetch_t f;
    cr_assert_eq(bc_log_fetch(log, 0, 1000, &f, NULL, 0), BC_ERR_OUT_OF_RANGE);
    /* The empty active segment is never deleted; appends go on. */
    cr_assert_eq(bc_log_retention(log, 100000, &res, NULL, 0), 0);
    cr_assert_eq(res.segments_deleted, 0);
    fill(log, 1, 2, 200000);
    cr_assert_eq(bc_log_end_offset(log), 42);
    cr_assert_eq(bc_log_close(log), 0);
    /* The new start survives a reopen, and so do the records after it. */
    log = open_log(&cfg, NULL, 0);
    cr_assert_eq(bc_log_start_offset(log), 40);
    cr_assert_eq(bc_log_end_offset(log), 42);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, 2);
    cr_assert_eq(c->bad, 0);
    free(c);
    bc_log_close(log);
}

/* retention.bytes = 0 asks for an empty log: the active segment goes too
 * (Kafka applies the size rule to the same deletable segments). */
Test(bc_log, zero_retention_bytes_empties_the_active_segment_too) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.retention_ms = -1;
    cfg.retention_bytes = 0;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 5, 3, 1);
    bc_retention_t res;
    cr_assert_eq(bc_log_retention(log, 1000, &res, NULL, 0), 0);
    cr_assert_eq(res.segments_deleted, 1);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_eq(st.segments, 1);
    cr_assert_eq(st.bytes, 0);
    cr_assert_eq(st.log_start_offset, 15);
    cr_assert_eq(st.log_end_offset, 15);
    bc_log_close(log);
}

Test(bc_log, retention_by_bytes_keeps_newest_segments_within_limit) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 2048;
    cfg.retention_bytes = 5000;
    cfg.retention_ms = -1;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 80, 4, 1);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    bc_retention_t res;
    cr_assert_eq(bc_log_retention(log, 1000, &res, NULL, 0), 0);
    bc_log_stats(log, &st);
    cr_assert_gt(res.segments_deleted, 0);
    /* Kafka's rule: a segment goes only if the log stays >= the limit. */
    cr_assert_geq(st.bytes, 5000);
    cr_assert_lt(st.bytes - 2048, 5000, "deleted all it could");
    bc_log_close(log);
}

Test(bc_log, compact_only_topic_is_not_touched_by_retention) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 2048;
    cfg.retention_ms = 1;
    cfg.cleanup_policy = BC_CLEANUP_COMPACT;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    fill(log, 40, 4, 1);
    bc_retention_t res;
    cr_assert_eq(bc_log_retention(log, 1000000, &res, NULL, 0), 0);
    cr_assert_eq(res.segments_deleted, 0);
    bc_log_close(log);
}

Test(bc_log, fetch_returns_whole_batches_within_max_bytes) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 30, 10, 1);
    bc_fetch_t f;
    cr_assert_eq(bc_log_fetch(log, 15, 500, &f, NULL, 0), 0);
    cr_assert_gt(f.len, 0);
    cr_assert_leq(f.len, 500);
    bc_batch_t b;
    cr_assert_eq(
        bc_batch_parse(f.data, f.len, BC_BATCH_VERIFY_CRC, &b, NULL, 0), 0);
    cr_assert_eq(b.base_offset, 10, "batch holding offset 15");
    size_t p = 0;
    while (p < f.len) {
        cr_assert_eq(bc_batch_parse(f.data + p, f.len - p, BC_BATCH_VERIFY_CRC,
                                    &b, NULL, 0),
                     0);
        p += b.size;
    }
    cr_assert_eq(p, f.len);
    cr_assert_eq(f.log_end_offset, 300);
    free(f.data);
    /* A max smaller than one batch still returns that batch. */
    cr_assert_eq(bc_log_fetch(log, 0, 1, &f, NULL, 0), 0);
    cr_assert_gt(f.len, 1);
    free(f.data);
    cr_assert_eq(bc_log_fetch(log, 300, 1000, &f, NULL, 0), 0);
    cr_assert_eq(f.len, 0);
    cr_assert_eq(bc_log_fetch(log, 301, 1000, &f, NULL, 0),
                 BC_ERR_OUT_OF_RANGE);
    bc_log_close(log);
}

Test(bc_log, fetch_file_gives_the_same_bytes_as_fetch_from_the_file) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    fill(log, 30, 10, 1);
    bc_fetch_t f;
    bc_fetch_file_t ff;
    cr_assert_eq(bc_log_fetch(log, 15, 100000, &f, NULL, 0), 0);
    cr_assert_eq(bc_log_fetch_file(log, 15, 100000, &ff, NULL, 0), 0);
    cr_assert_geq(ff.fd, 0);
    cr_assert_eq(ff.len, f.len, "whole batches to the end of the segment");
    uint8_t *buf = malloc(ff.len);
    cr_assert_eq(pread(ff.fd, buf, ff.len, ff.pos), (ssize_t)ff.len);
    cr_assert(memcmp(buf, f.data, f.len) == 0);
    cr_assert_eq(ff.log_end_offset, 300);
    free(buf);
    free(f.data);
    close(ff.fd);
    /* Below one batch: that batch whole (KIP-74); at the end: nothing. */
    cr_assert_eq(bc_log_fetch_file(log, 0, 1, &ff, NULL, 0), 0);
    cr_assert_gt(ff.len, 1);
    close(ff.fd);
    cr_assert_eq(bc_log_fetch_file(log, 300, 1000, &ff, NULL, 0), 0);
    cr_assert_eq(ff.len, 0);
    cr_assert_eq(ff.fd, -1);
    cr_assert_eq(bc_log_fetch_file(log, 301, 1000, &ff, NULL, 0),
                 BC_ERR_OUT_OF_RANGE);
    bc_log_close(log);
}

Test(bc_log, append_rejects_bad_batches_without_writing) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.max_message_bytes = 1000;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    char big[2000];
    memset(big, 'x', sizeof(big));
    bc_record_in_t r = {NULL, -1, big, (int32_t)sizeof(big), 1, NULL, 0};
    char err[256];
    cr_assert_eq(
        bc_log_append_records(log, &r, 1, 0, 1, NULL, err, sizeof(err)),
        BC_ERR_TOO_LARGE);
    cr_assert(strstr(err, "max.message.bytes") != NULL, "%s", err);
    uint8_t junk[100];
    memset(junk, 0, sizeof(junk));
    cr_assert_eq(
        bc_log_append(log, junk, sizeof(junk), 0, 1, NULL, err, sizeof(err)),
        BC_ERR_INVALID);
    /* A valid batch with a flipped byte fails its CRC. */
    bc_batch_builder_t *bb = bc_batch_builder_new(64);
    bc_record_in_t ok = {"k", 1, "v", 1, 1, NULL, 0};
    bc_batch_builder_begin(bb, NULL);
    bc_batch_builder_add(bb, &ok);
    size_t len;
    uint8_t *b = bc_batch_builder_finish(bb, &len);
    b[len - 1] ^= 1;
    cr_assert_eq(bc_log_append(log, b, len, 0, 1, NULL, err, sizeof(err)),
                 BC_ERR_INVALID);
    b[len - 1] ^= 1;
    bc_append_info_t info;
    cr_assert_eq(bc_log_append(log, b, len, 0, 1, &info, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(info.base_offset, 0);
    cr_assert_eq(bc_log_end_offset(log), 1);
    bc_batch_builder_destroy(bb);
    bc_log_close(log);
}

Test(bc_log, durable_and_flush_messages_policies_fsync) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.flush_messages = 3;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    bc_record_in_t r = {NULL, -1, "x", 1, 1, NULL, 0};
    bc_append_info_t info;
    bc_log_append_records(log, &r, 1, 0, 1, &info, NULL, 0);
    cr_assert_eq(info.flushed, 0);
    bc_log_append_records(log, &r, 1, 0, 1, &info, NULL, 0);
    cr_assert_eq(info.flushed, 0);
    bc_log_append_records(log, &r, 1, 0, 1, &info, NULL, 0);
    cr_assert_eq(info.flushed, 1);
    bc_log_append_records(log, &r, 1, BC_APPEND_SYNC, 1, &info, NULL, 0);
    cr_assert_eq(info.flushed, 1);
    cfg.flush_messages = INT64_MAX;
    cfg.flush_ms = 100;
    bc_log_set_config(log, &cfg);
    bc_log_append_records(log, &r, 1, 0, 50, &info, NULL, 0);
    cr_assert_eq(info.flushed, 0);
    bc_log_append_records(log, &r, 1, 0, 200, &info, NULL, 0);
    cr_assert_eq(info.flushed, 1);
    bc_log_close(log);
}

Test(bc_log, second_open_of_same_directory_is_refused) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    int e = 0;
    char err[256];
    cr_assert_null(bc_log_open(dir, NULL, 0, 1, NULL, &e, err, sizeof(err)));
    cr_assert_eq(e, BC_ERR_LOCKED);
    bc_log_close(log);
}

typedef struct hook_seen_s {
    int calls;
    int64_t last_leo;
    int64_t last_now;
} hook_seen_t;

static void hook(void *opaque, bc_log_t *log, int64_t leo, int64_t now) {
    (void)log;
    hook_seen_t *h = opaque;
    h->calls++;
    h->last_leo = leo;
    h->last_now = now;
}

Test(bc_log, hook_reports_log_end_offset_after_each_append) {
    bc_log_t *log = open_log(NULL, NULL, 0);
    hook_seen_t seen = {0, 0, 0};
    bc_log_set_hook(log, hook, &seen);
    bc_record_in_t r[3] = {{NULL, -1, "a", 1, -1, NULL, 0},
                           {NULL, -1, "b", 1, -1, NULL, 0},
                           {NULL, -1, "c", 1, -1, NULL, 0}};
    bc_log_append_records(log, r, 3, 0, 777, NULL, NULL, 0);
    cr_assert_eq(seen.calls, 1);
    cr_assert_eq(seen.last_leo, 3);
    cr_assert_eq(seen.last_now, 777);
    int64_t ts;
    bc_log_timestamp_of(log, 1, &ts, NULL);
    cr_assert_eq(ts, 777, "negative timestamp means now");
    bc_log_close(log);
}

typedef struct worker_s {
    bc_log_t *log;
    int id;
} worker_t;

static void *worker(void *arg) {
    worker_t *w = arg;
    for (int i = 0; i < 300; i++) {
        char v[32];
        int len = snprintf(v, sizeof(v), "w%d-%d", w->id, i);
        bc_record_in_t r = {NULL, -1, v, len, i, NULL, 0};
        bc_log_append_records(w->log, &r, 1, 0, i, NULL, NULL, 0);
        if (i % 50 == 0) {
            bc_fetch_t f;
            bc_log_fetch(w->log, 0, 4096, &f, NULL, 0);
            free(f.data);
            bc_log_tick(w->log, i, NULL, 0);
        }
    }
    return NULL;
}

Test(bc_log, concurrent_appends_get_distinct_offsets) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 4096;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    pthread_t th[4];
    worker_t w[4];
    for (int i = 0; i < 4; i++) {
        w[i].log = log;
        w[i].id = i;
        pthread_create(&th[i], NULL, worker, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(bc_log_end_offset(log), 1200);
    bc_log_close(log);
}

Test(bc_log, vectored_append_writes_many_batches_across_a_roll) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 1000;
    cfg.index_interval_bytes = 100;
    bc_log_t *log = open_log(&cfg, NULL, 0);
    bc_batch_builder_t *bb[12];
    uint8_t *data[12];
    size_t lens[12];
    for (int i = 0; i < 12; i++) {
        bb[i] = bc_batch_builder_new(256);
        bc_batch_builder_begin(bb[i], NULL);
        for (int j = 0; j < 3; j++) {
            char v[64];
            int len = snprintf(v, sizeof(v), "v%d", i * 3 + j);
            bc_record_in_t r = {NULL, -1, v, len, 100 + i, NULL, 0};
            bc_batch_builder_add(bb[i], &r);
        }
        data[i] = bc_batch_builder_finish(bb[i], &lens[i]);
    }
    bc_append_info_t infos[12];
    char err[256];
    cr_assert_eq(
        bc_log_append_v(log, data, lens, 12, 0, 1, infos, err, sizeof(err)), 0,
        "%s", err);
    for (int i = 0; i < 12; i++) {
        cr_assert_eq(infos[i].base_offset, i * 3);
        cr_assert_eq(infos[i].last_offset, i * 3 + 2);
    }
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_gt(st.segments, 1, "rolled inside the vector");
    cr_assert_eq(st.log_end_offset, 36);
    collect_t *c = calloc(1, sizeof(*c));
    read_all(log, c);
    cr_assert_eq(c->n, 36);
    cr_assert_eq(c->bad, 0);
    free(c);
    /* One bad batch: nothing of the vector is written. */
    data[5][lens[5] - 1] ^= 0x20; /* breaks its CRC */
    cr_assert_eq(
        bc_log_append_v(log, data, lens, 12, 0, 1, NULL, err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert_eq(bc_log_end_offset(log), 36);
    for (int i = 0; i < 12; i++)
        bc_batch_builder_destroy(bb[i]);
    /* Indexes were kept per batch: lookups still agree after reopen. */
    bc_log_abandon(log);
    log = open_log(&cfg, NULL, 0);
    for (int o = 0; o < 36; o++) {
        int64_t ts, fo;
        cr_assert_eq(bc_log_timestamp_of(log, o, &ts, &fo), 0);
        cr_assert_eq(ts, 100 + o / 3);
    }
    bc_log_close(log);
}
