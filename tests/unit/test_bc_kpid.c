/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of bc_kpid, the idempotent-producer sequence table: a
 * retried batch is a duplicate answered with its first offset, a gap is
 * out of order, epochs fence, sequences wrap at INT32_MAX, and the table
 * stays within its bound; after a restart (clean close or crash) the state
 * is rebuilt from the log's batch headers and producer ids do not repeat. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_batch.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_kerr.h"
#include "broker-core/bc_kpid.h"
#include "broker-core/bc_log.h"
#include "tests/unit/bc_test_util.h"

Test(bc_kpid, unknown_producer_starts_anywhere) {
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t dup = -1;
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 0, 9, &dup), 0);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 500, 9, &dup), 0);
    bc_kpid_destroy(kp);
}

Test(bc_kpid, retry_is_duplicate_with_first_offset) {
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t dup = -1;
    bc_kpid_appended(kp, "t", 0, 7, 0, 0, 9, 100);  /* seq 0-9 at 100 */
    bc_kpid_appended(kp, "t", 0, 7, 0, 10, 9, 110); /* seq 10-19 at 110 */
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 0, 9, &dup),
                 BC_KPID_DUPLICATE);
    cr_expect_eq(dup, 100);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 10, 9, &dup),
                 BC_KPID_DUPLICATE);
    cr_expect_eq(dup, 110);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 20, 4, &dup), 0);
    /* Another partition or producer has its own sequences. */
    cr_expect_eq(bc_kpid_check(kp, "t", 1, 7, 0, 0, 9, &dup), 0);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 8, 0, 0, 9, &dup), 0);
    bc_kpid_destroy(kp);
}

Test(bc_kpid, gap_or_overlap_is_out_of_order) {
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t dup = -1;
    bc_kpid_appended(kp, "t", 0, 7, 0, 0, 9, 100);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 11, 0, &dup),
                 BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 5, 9, &dup),
                 BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    bc_kpid_destroy(kp);
}

Test(bc_kpid, only_the_last_five_batches_are_remembered) {
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t dup = -1;
    for (int i = 0; i < 7; i++)
        bc_kpid_appended(kp, "t", 0, 7, 0, i, 0, 100 + i);
    /* 2..6 retained: 6 is a duplicate, 0 and 1 are out of order. */
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 2, 0, &dup),
                 BC_KPID_DUPLICATE);
    cr_expect_eq(dup, 102);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 1, 0, &dup),
                 BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 7, 0, &dup), 0);
    bc_kpid_destroy(kp);
}

Test(bc_kpid, epochs_fence_and_restart_at_zero) {
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t dup = -1;
    bc_kpid_appended(kp, "t", 0, 7, 3, 0, 9, 100);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 2, 10, 0, &dup),
                 BC_KERR_INVALID_PRODUCER_EPOCH);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 4, 10, 0, &dup),
                 BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 4, 0, 0, &dup), 0);
    bc_kpid_appended(kp, "t", 0, 7, 4, 0, 0, 110);
    /* The old epoch's batches are gone with it. */
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 4, 1, 0, &dup), 0);
    bc_kpid_destroy(kp);
}

Test(bc_kpid, sequence_wraps_at_int32_max) {
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t dup = -1;
    /* INT32_MAX - 1 .. 0 (three records) */
    bc_kpid_appended(kp, "t", 0, 7, 0, INT32_MAX - 1, 2, 100);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 1, 0, &dup), 0);
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, INT32_MAX - 1, 2, &dup),
                 BC_KPID_DUPLICATE);
    bc_kpid_destroy(kp);
}

Test(bc_kpid, bounded_and_forgets_deleted_topics) {
    bc_kpid_t *kp = bc_kpid_new(100);
    for (int i = 0; i < 250; i++)
        bc_kpid_appended(kp, i % 2 ? "a" : "b", i, 7, 0, 0, 0, i);
    cr_expect_eq(bc_kpid_count(kp), 100);
    int64_t dup = -1;
    /* The newest is kept, the oldest forgotten. */
    cr_expect_eq(bc_kpid_check(kp, "a", 249, 7, 0, 0, 0, &dup),
                 BC_KPID_DUPLICATE);
    cr_expect_eq(bc_kpid_check(kp, "b", 0, 7, 0, 5, 0, &dup), 0);
    bc_kpid_forget_topic(kp, "a");
    cr_expect_eq(bc_kpid_count(kp), 50);
    cr_expect_eq(bc_kpid_check(kp, "a", 249, 7, 0, 5, 0, &dup), 0);
    bc_kpid_destroy(kp);
}

/* One idempotent batch as a client sends it: `n` records of producer
 * `pid` from sequence `seq`; malloc'd copy in *len bytes. */
static uint8_t *client_batch(int64_t pid, int16_t epoch, int32_t seq, int n,
                             size_t *len) {
    bc_batch_builder_t *bb = bc_batch_builder_new(256);
    bc_batch_opts_t o = bc_batch_opts_default();
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = seq;
    bc_batch_builder_begin(bb, &o);
    for (int i = 0; i < n; i++) {
        char v[32];
        int vl = snprintf(v, sizeof(v), "s%d", seq + i);
        bc_record_in_t r = {NULL, -1, v, vl, 1000 + seq + i, NULL, 0};
        cr_assert_eq(bc_batch_builder_add(bb, &r), 0);
    }
    uint8_t *b = bc_batch_builder_finish(bb, len);
    uint8_t *copy = malloc(*len);
    memcpy(copy, b, *len);
    bc_batch_builder_destroy(bb);
    return copy;
}

/* What the listener's Produce does with one idempotent batch (a copy of
 * it, so the caller can send it again): check, append, record. Returns
 * 0 or BC_KPID_DUPLICATE with *base the offset acknowledged, or the
 * Kafka error. */
static int produce(bc_kpid_t *kp, bc_log_t *log, const uint8_t *batch,
                   size_t len, int64_t *base) {
    bc_batch_t h;
    cr_assert_eq(bc_batch_parse_header(batch, len, &h, NULL, 0), 0);
    int ck = bc_kpid_check(kp, "t", 0, h.producer_id, h.producer_epoch,
                           h.base_sequence, h.last_offset_delta, base);
    if (ck != 0) return ck;
    uint8_t *copy = malloc(len);
    memcpy(copy, batch, len);
    bc_append_info_t info;
    char err[256];
    cr_assert_eq(
        bc_log_append(log, copy, len, 0, 2000, &info, err, sizeof(err)), 0,
        "%s", err);
    free(copy);
    *base = info.base_offset;
    bc_kpid_appended(kp, "t", 0, h.producer_id, h.producer_epoch,
                     h.base_sequence, h.last_offset_delta, *base);
    return 0;
}

static bc_log_t *open_log(const char *dir, int64_t segment_bytes) {
    bc_log_config_t cfg = bc_log_config_default();
    if (segment_bytes) cfg.segment_bytes = segment_bytes;
    char err[256];
    bc_log_t *log = bc_log_open(dir, &cfg, BC_LOG_OPEN_CREATE, 1000, NULL, NULL,
                                err, sizeof(err));
    cr_assert_not_null(log, "open: %s", err);
    return log;
}

/* Appends batches of 3 and 2 records from producers 42 and 43 in turn,
 * stops the log (crash: abandon), reopens it, rebuilds
 * a fresh table from it and resends. */
static void restart_and_resend(int crash) {
    char dir[512];
    bct_tmpdir(dir, sizeof(dir), "kpid");
    bc_log_t *log = open_log(dir, 0);
    bc_kpid_t *kp = bc_kpid_new(0);
    uint8_t *last = NULL;
    size_t last_len = 0;
    int64_t last_base = -1, base = -1;
    for (int i = 0; i < 8; i++) {
        size_t len;
        free(last);
        last = client_batch(42, 0, 3 * i, 3, &last_len);
        cr_assert_eq(produce(kp, log, last, last_len, &last_base), 0);
        uint8_t *o = client_batch(43, 0, 2 * i, 2, &len);
        cr_assert_eq(produce(kp, log, o, len, &base), 0);
        free(o);
    }
    /* Before the restart the resend is a duplicate too. */
    cr_assert_eq(produce(kp, log, last, last_len, &base), BC_KPID_DUPLICATE);
    cr_assert_eq(base, last_base);
    int64_t leo = bc_log_end_offset(log);
    cr_assert_eq(leo, 8 * 5);
    if (crash)
        bc_log_abandon(log);
    else
        cr_assert_eq(bc_log_close(log), 0);
    bc_kpid_destroy(kp);

    log = open_log(dir, 0);
    kp = bc_kpid_new(0);
    size_t n = 0;
    cr_assert_eq(bc_kpid_load(kp, "t", 0, log, &n), 0);
    cr_expect_eq(n, 16);
    cr_expect_eq(bc_kpid_count(kp), 2);
    /* The resent last batch is acknowledged at its first offset, once. */
    cr_expect_eq(produce(kp, log, last, last_len, &base), BC_KPID_DUPLICATE);
    cr_expect_eq(base, last_base);
    cr_expect_eq(bc_log_end_offset(log), leo);
    /* A gap in 42's sequence is refused with Kafka's error 45. */
    size_t len;
    uint8_t *gap = client_batch(42, 0, 8 * 3 + 1, 1, &len);
    cr_expect_eq(produce(kp, log, gap, len, &base),
                 BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    cr_expect_eq(BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, 45);
    free(gap);
    /* The next one in order is appended. */
    uint8_t *next = client_batch(42, 0, 8 * 3, 1, &len);
    cr_expect_eq(produce(kp, log, next, len, &base), 0);
    cr_expect_eq(base, leo);
    free(next);
    free(last);
    bc_kpid_destroy(kp);
    cr_assert_eq(bc_log_close(log), 0);
    bct_rmtree(dir);
}

Test(bc_kpid, resend_after_clean_restart_is_acknowledged_once) {
    restart_and_resend(0);
}

Test(bc_kpid, resend_after_crash_is_acknowledged_once) {
    restart_and_resend(1);
}

/* Only the last two segments are read: a producer whose batches are all
 * older is without state (accepted at any sequence), a newer one keeps
 * its dedup state across segment rolls. */
Test(bc_kpid, load_reads_the_last_two_segments) {
    char dir[512];
    bct_tmpdir(dir, sizeof(dir), "kpid");
    bc_log_t *log = open_log(dir, 1024);
    bc_kpid_t *kp = bc_kpid_new(0);
    int64_t base;
    size_t len;
    uint8_t *old = client_batch(7, 0, 0, 1, &len);
    cr_assert_eq(produce(kp, log, old, len, &base), 0);
    uint8_t *b = NULL;
    for (int i = 0; i < 60; i++) {
        free(b);
        b = client_batch(8, 0, 10 * i, 10, &len);
        cr_assert_eq(produce(kp, log, b, len, &base), 0);
    }
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    cr_assert_gt(st.segments, 3);
    cr_assert_eq(bc_log_close(log), 0);
    bc_kpid_destroy(kp);
    log = open_log(dir, 1024);
    kp = bc_kpid_new(0);
    cr_assert_eq(bc_kpid_load(kp, "t", 0, log, NULL), 0);
    int64_t dup = -1;
    cr_expect_eq(bc_kpid_check(kp, "t", 0, 7, 0, 99, 0, &dup), 0);
    cr_expect_eq(produce(kp, log, b, len, &dup), BC_KPID_DUPLICATE);
    cr_expect_eq(dup, base);
    free(old);
    free(b);
    bc_kpid_destroy(kp);
    cr_assert_eq(bc_log_close(log), 0);
    bct_rmtree(dir);
}

Test(bc_kpid, producer_ids_never_repeat_across_restarts) {
    char dir[512], err[256];
    bct_tmpdir(dir, sizeof(dir), "kpid");
    bc_kpid_t *kp = bc_kpid_new(0);
    cr_assert_eq(bc_kpid_ids_open(kp, dir, 0, err, sizeof(err)), 0, "%s", err);
    int64_t a, b, c;
    cr_assert_eq(bc_kpid_new_id(kp, &a, err, sizeof(err)), 0);
    cr_assert_eq(bc_kpid_new_id(kp, &b, err, sizeof(err)), 0);
    cr_expect_eq(a, 0);
    cr_expect_eq(b, 1);
    bc_kpid_destroy(kp); /* a crash: nothing written at exit */
    kp = bc_kpid_new(0);
    cr_assert_eq(bc_kpid_ids_open(kp, dir, 0, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(bc_kpid_new_id(kp, &c, err, sizeof(err)), 0);
    cr_expect_gt(c, b);
    bc_kpid_destroy(kp);
    /* A clock floor above the block wins; so does an id found in a log. */
    kp = bc_kpid_new(0);
    cr_assert_eq(bc_kpid_ids_open(kp, dir, 5000, err, sizeof(err)), 0);
    cr_assert_eq(bc_kpid_new_id(kp, &c, err, sizeof(err)), 0);
    cr_expect_eq(c, 5000);
    bc_kpid_destroy(kp);
    char ldir[600];
    snprintf(ldir, sizeof(ldir), "%s/t-0", dir);
    bc_log_t *log = open_log(ldir, 0);
    kp = bc_kpid_new(0);
    size_t len;
    uint8_t *bt = client_batch(90000, 0, 0, 1, &len);
    int64_t base;
    cr_assert_eq(produce(kp, log, bt, len, &base), 0);
    free(bt);
    bc_kpid_destroy(kp);
    kp = bc_kpid_new(0);
    cr_assert_eq(bc_kpid_ids_open(kp, dir, 0, err, sizeof(err)), 0);
    cr_assert_eq(bc_kpid_load(kp, "t", 0, log, NULL), 0);
    cr_assert_eq(bc_kpid_new_id(kp, &c, err, sizeof(err)), 0);
    cr_expect_gt(c, 90000);
    bc_kpid_destroy(kp);
    cr_assert_eq(bc_log_close(log), 0);
    bct_rmtree(dir);
}

Test(bc_kpid, corrupt_id_block_file_is_refused) {
    char dir[512], err[256], path[600];
    bct_tmpdir(dir, sizeof(dir), "kpid");
    snprintf(path, sizeof(path), "%s/producer-id-block", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("0\nnot a number\n", f);
    fclose(f);
    bc_kpid_t *kp = bc_kpid_new(0);
    cr_expect_eq(bc_kpid_ids_open(kp, dir, 0, err, sizeof(err)),
                 BC_ERR_CORRUPT);
    cr_expect(strstr(err, "producer-id-block") != NULL, "%s", err);
    bc_kpid_destroy(kp);
    bct_rmtree(dir);
}
