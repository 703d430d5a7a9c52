/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of bc_kpid, the idempotent-producer sequence table: a
 * retried batch is a duplicate answered with its first offset, a gap is
 * out of order, epochs fence, sequences wrap at INT32_MAX, and the table
 * stays within its bound. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "broker-core/bc_kerr.h"
#include "broker-core/bc_kpid.h"

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
