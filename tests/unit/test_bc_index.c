/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_index: Kafka's offset/time index semantics, entry rules,
 * preallocation, trimming and the sanity check. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_index.h"
#include "tests/unit/bc_test_util.h"

static char dir[512];
static char path[600];

static void setup(void) {
    bct_tmpdir(dir, sizeof(dir), "index");
    snprintf(path, sizeof(path), "%s/00000000000000001000.index", dir);
}
static void teardown(void) {
    bct_rmtree(dir);
}

TestSuite(bc_index, .init = setup, .fini = teardown);

Test(bc_index, offset_lookup_finds_largest_entry_at_or_below_target) {
    bc_index_t *idx = bc_index_open(path, BC_INDEX_OFFSET, 1000, 4096, NULL, 0);
    cr_assert_not_null(idx);
    cr_assert_eq(bct_file_size(path), 4096, "preallocated");
    cr_assert_eq(bc_index_append_offset(idx, 1010, 500), 0);
    cr_assert_eq(bc_index_append_offset(idx, 1020, 1000), 0);
    cr_assert_eq(bc_index_append_offset(idx, 1035, 1700), 0);
    int64_t o, p;
    bc_index_lookup_offset(idx, 1005, &o, &p);
    cr_assert(o == 1000 && p == 0, "none below: base offset, position 0");
    bc_index_lookup_offset(idx, 1010, &o, &p);
    cr_assert(o == 1010 && p == 500);
    bc_index_lookup_offset(idx, 1034, &o, &p);
    cr_assert(o == 1020 && p == 1000);
    bc_index_lookup_offset(idx, 99999, &o, &p);
    cr_assert(o == 1035 && p == 1700);
    /* Offsets must increase and fit 32 bits relative to the base. */
    cr_assert_eq(bc_index_append_offset(idx, 1035, 1800), BC_ERR_INVALID);
    cr_assert_eq(bc_index_append_offset(idx, 999, 1800), BC_ERR_INVALID);
    cr_assert_eq(bc_index_append_offset(idx, 1000 + (1LL << 31), 1800),
                 BC_ERR_INVALID);
    cr_assert_eq(bc_index_entries(idx), 3);
    cr_assert_eq(bc_index_check(idx, 2000, NULL, 0), 0);
    cr_assert_eq(bc_index_check(idx, 1700, NULL, 0), BC_ERR_CORRUPT,
                 "entry past the end of the log");
    cr_assert_eq(bc_index_trim(idx, NULL, 0), 0);
    cr_assert_eq(bct_file_size(path), 24, "trimmed to its entries");
    bc_index_close(idx);
    /* Reopened: the file's length gives the entries. */
    idx = bc_index_open(path, BC_INDEX_OFFSET, 1000, 0, NULL, 0);
    cr_assert_eq(bc_index_entries(idx), 3);
    bc_index_lookup_offset(idx, 1021, &o, &p);
    cr_assert(o == 1020 && p == 1000);
    bc_index_close(idx);
}

Test(bc_index, time_lookup_is_strictly_below_target_and_ignores_repeats) {
    snprintf(path, sizeof(path), "%s/00000000000000001000.timeindex", dir);
    bc_index_t *idx = bc_index_open(path, BC_INDEX_TIME, 1000, 120, NULL, 0);
    cr_assert_not_null(idx);
    cr_assert_eq(bc_index_append_time(idx, 100, 1005, 0), 0);
    cr_assert_eq(bc_index_append_time(idx, 100, 1006, 0), 0); /* ignored */
    cr_assert_eq(bc_index_append_time(idx, 90, 1007, 0), 0);  /* ignored */
    cr_assert_eq(bc_index_append_time(idx, 150, 1010, 0), 0);
    cr_assert_eq(bc_index_entries(idx), 2);
    int64_t t, o;
    bc_index_lookup_time(idx, 100, &t, &o);
    cr_assert(t == -1 && o == 1000, "no entry strictly below 100");
    bc_index_lookup_time(idx, 101, &t, &o);
    cr_assert(t == 100 && o == 1005);
    bc_index_lookup_time(idx, 1000, &t, &o);
    cr_assert(t == 150 && o == 1010);
    cr_assert_eq(bc_index_append_time(idx, 200, 1009, 0), BC_ERR_INVALID,
                 "offset going backwards");
    bc_index_close(idx);
}

Test(bc_index, time_index_keeps_its_last_slot_for_the_seal_entry) {
    snprintf(path, sizeof(path), "%s/00000000000000000000.timeindex", dir);
    bc_index_t *idx = bc_index_open(path, BC_INDEX_TIME, 0, 36, NULL, 0);
    cr_assert_not_null(idx); /* room for 3 entries */
    cr_assert_eq(bc_index_append_time(idx, 1, 1, 0), 0);
    cr_assert_eq(bc_index_append_time(idx, 2, 2, 0), 0);
    cr_assert(bc_index_is_full(idx));
    cr_assert_eq(bc_index_append_time(idx, 3, 3, 0), BC_ERR_INVALID);
    cr_assert_eq(bc_index_append_time(idx, 3, 3, 1), 0, "forced at seal");
    bc_index_close(idx);
}

Test(bc_index, binary_search_agrees_with_linear_scan) {
    bc_index_t *idx =
        bc_index_open(path, BC_INDEX_OFFSET, 1000, 1 << 16, NULL, 0);
    int64_t offs[2000];
    int n = 0;
    unsigned seed = 5;
    int64_t off = 1000, pos = 0;
    for (int i = 0; i < 2000; i++) {
        off += 1 + rand_r(&seed) % 20;
        pos += 50 + rand_r(&seed) % 500;
        cr_assert_eq(bc_index_append_offset(idx, off, pos), 0);
        offs[n++] = off;
    }
    for (int64_t target = 990; target < off + 10; target += 3) {
        int64_t want = 1000;
        for (int i = 0; i < n; i++)
            if (offs[i] <= target) want = offs[i];
        int64_t o, p;
        bc_index_lookup_offset(idx, target, &o, &p);
        cr_assert_eq(o, want, "target %lld", (long long)target);
    }
    bc_index_close(idx);
}

/* Entries span several of the chunks the index writes ahead through the
 * file; a trimmed index made active again (resize) keeps its entries when
 * the next chunk is written, and everything reads back after reopening. */
Test(bc_index, entries_survive_write_ahead_chunks_trim_and_resize) {
    bc_index_t *idx =
        bc_index_open(path, BC_INDEX_OFFSET, 1000, 1 << 20, NULL, 0);
    cr_assert_not_null(idx);
    for (int64_t i = 0; i < 20000; i++)
        cr_assert_eq(bc_index_append_offset(idx, 1001 + i, 16 * i), 0);
    cr_assert_eq(bc_index_trim(idx, NULL, 0), 0);
    cr_assert_eq(bct_file_size(path), 20000 * 8);
    cr_assert_eq(bc_index_resize(idx, 1 << 20, NULL, 0), 0);
    for (int64_t i = 20000; i < 25000; i++)
        cr_assert_eq(bc_index_append_offset(idx, 1001 + i, 16 * i), 0);
    cr_assert_eq(bc_index_trim(idx, NULL, 0), 0);
    bc_index_close(idx);
    idx = bc_index_open(path, BC_INDEX_OFFSET, 1000, 0, NULL, 0);
    cr_assert_eq(bc_index_entries(idx), 25000);
    for (int64_t i = 0; i < 25000; i += 7) {
        int64_t o, p;
        bc_index_entry(idx, (size_t)i, &o, &p);
        cr_assert(o == 1001 + i && p == 16 * i, "entry %lld: %lld @ %lld",
                  (long long)i, (long long)o, (long long)p);
    }
    cr_assert_eq(bc_index_check(idx, 16 * 25000, NULL, 0), 0);
    bc_index_close(idx);
}
