/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_crc32c: Kafka's check values, hardware/table agreement. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_crc32c.h"

Test(bc_crc32c, matches_standard_check_value) {
    cr_assert_eq(bc_crc32c(0, "123456789", 9), 0xE3069283u);
    cr_assert_eq(bc_crc32c_sw(0, "123456789", 9), 0xE3069283u);
}

Test(bc_crc32c, matches_kafka_crc32c_test_vector) {
    /* Kafka's Crc32CTest: "Some String" -> 608512271 */
    cr_assert_eq(bc_crc32c(0, "Some String", 11), 608512271u);
}

Test(bc_crc32c, empty_input_is_zero) {
    cr_assert_eq(bc_crc32c(0, "", 0), 0u);
}

Test(bc_crc32c, incremental_equals_one_shot_and_hw_equals_table) {
    unsigned char buf[1031];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    for (size_t off = 0; off < 9; off++) {
        for (size_t cut = 0; cut + off < sizeof(buf); cut += 97) {
            size_t n = sizeof(buf) - off;
            uint32_t one = bc_crc32c(0, buf + off, n);
            uint32_t two = bc_crc32c(bc_crc32c(0, buf + off, cut),
                                     buf + off + cut, n - cut);
            cr_assert_eq(one, two, "off %zu cut %zu", off, cut);
            cr_assert_eq(one, bc_crc32c_sw(0, buf + off, n));
        }
    }
}

Test(bc_crc32c, long_buffers_match_table_at_every_length_class) {
    size_t n = 64 * 1024 + 13;
    unsigned char *buf = malloc(n);
    unsigned seed = 99;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)rand_r(&seed);
    size_t lens[] = {767, 768, 769, 12287, 12288, 12289, 16384, 40000, n};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        for (size_t off = 0; off < 3; off++)
            cr_assert_eq(bc_crc32c(0x1234, buf + off, lens[i] - off),
                         bc_crc32c_sw(0x1234, buf + off, lens[i] - off),
                         "len %zu off %zu", lens[i], off);
    free(buf);
}

/* Random lengths (across the short, three-stream and folding paths),
 * alignments and starting values agree with the table. */
Test(bc_crc32c, random_lengths_offsets_and_seeds_match_table) {
    size_t n = 70000;
    unsigned char *buf = malloc(n);
    unsigned seed = 7;
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)rand_r(&seed);
    for (int t = 0; t < 3000; t++) {
        size_t off = (size_t)rand_r(&seed) % 64;
        size_t len = (size_t)rand_r(&seed) % (t < 2000 ? 4096 : n - 64);
        uint32_t init = (uint32_t)rand_r(&seed);
        cr_assert_eq(bc_crc32c(init, buf + off, len),
                     bc_crc32c_sw(init, buf + off, len),
                     "len %zu off %zu init %08x", len, off, init);
    }
    free(buf);
}
