/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_batch: byte-exact v2 encoding (broker-core/README.md's worked
 * example), varints, decoding, and rejection of malformed batches. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_batch.h"
#include "broker-core/bc_bytes.h"
#include "broker-core/bc_err.h"

static size_t unhex(const char *s, uint8_t *out) {
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == '\n') {
            s++;
            continue;
        }
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static const char *kafka_example =
    "0000000000000000 00000040 00000000 02 db5e9cdd 0000 00000000"
    "0000018bcfe56800 0000018bcfe56800 ffffffffffffffff ffff ffffffff "
    "00000001"
    "1c 00 00 00 06 6b6579 0a 76616c7565 00";

Test(bc_batch, encodes_kafka_worked_example_byte_for_byte) {
    uint8_t want[128];
    size_t wn = unhex(kafka_example, want);
    cr_assert_eq(wn, 76);
    bc_batch_builder_t *bb = bc_batch_builder_new(64);
    bc_record_in_t r = {"key", 3, "value", 5, 1700000000000LL, NULL, 0};
    bc_batch_builder_begin(bb, NULL);
    cr_assert_eq(bc_batch_builder_add(bb, &r), 0);
    size_t len;
    uint8_t *b = bc_batch_builder_finish(bb, &len);
    bc_batch_set_leader_epoch(b, 0);
    cr_assert_eq(len, 76);
    cr_assert_eq(memcmp(b, want, 76), 0);
    bc_batch_builder_destroy(bb);
}

Test(bc_batch, null_key_example_has_kafka_crc) {
    bc_batch_builder_t *bb = bc_batch_builder_new(64);
    bc_record_in_t r = {NULL, -1, "hello", 5, 1700000000000LL, NULL, 0};
    bc_batch_builder_begin(bb, NULL);
    bc_batch_builder_add(bb, &r);
    size_t len;
    uint8_t *b = bc_batch_builder_finish(bb, &len);
    cr_assert_eq(len, 73);
    cr_assert_eq(bc_get_be32(b + 17), 0xe641a44bu);
    bc_batch_builder_destroy(bb);
}

Test(bc_batch, varints_match_kafka_examples) {
    uint8_t buf[16];
    struct {
        int32_t v;
        const char *hex;
    } cases[] = {{-1, "01"}, {0, "00"},    {1, "02"},
                 {63, "7e"}, {64, "8001"}, {300, "d804"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t want[8];
        size_t wn = unhex(cases[i].hex, want);
        size_t n = bc_put_varint(buf, cases[i].v);
        cr_assert_eq(n, wn);
        cr_assert_eq(memcmp(buf, want, n), 0, "varint %d", cases[i].v);
        cr_assert_eq(bc_varint_size(cases[i].v), n);
        const uint8_t *p = buf;
        int32_t back;
        cr_assert_eq(bc_get_varint(&p, buf + n, &back), 0);
        cr_assert_eq(back, cases[i].v);
    }
    int64_t big[] = {INT64_MIN, INT64_MAX, -1700000000000LL, 0};
    for (size_t i = 0; i < 4; i++) {
        size_t n = bc_put_varlong(buf, big[i]);
        const uint8_t *p = buf;
        int64_t back;
        cr_assert_eq(bc_get_varlong(&p, buf + n, &back), 0);
        cr_assert_eq(back, big[i]);
    }
    const uint8_t bad[] = {0x80, 0x80};
    const uint8_t *p = bad;
    int32_t v;
    cr_assert_eq(bc_get_varint(&p, bad + 2, &v), -1);
}

Test(bc_batch, round_trips_records_with_headers_and_tombstones) {
    bc_batch_builder_t *bb = bc_batch_builder_new(16);
    bc_header_t hs[2] = {{"h1", 2, "v1", 2}, {"h2", 2, NULL, -1}};
    bc_record_in_t recs[3] = {
        {"k0", 2, "v0", 2, 1000, hs, 2},
        {NULL, -1, "", 0, 990, NULL, 0},
        {"k2", 2, NULL, -1, 1005, NULL, 0},
    };
    bc_batch_builder_begin(bb, NULL);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(bc_batch_builder_add(bb, &recs[i]), 0);
    size_t len;
    uint8_t *b = bc_batch_builder_finish(bb, &len);
    bc_batch_set_base_offset(b, 42);
    bc_batch_t hdr;
    cr_assert_eq(bc_batch_parse(b, len,
                                BC_BATCH_VERIFY_CRC | BC_BATCH_VERIFY_RECORDS,
                                &hdr, NULL, 0),
                 0);
    cr_assert_eq(hdr.base_offset, 42);
    cr_assert_eq(hdr.record_count, 3);
    cr_assert_eq(bc_batch_last_offset(&hdr), 44);
    cr_assert_eq(hdr.base_timestamp, 1000);
    cr_assert_eq(hdr.max_timestamp, 1005);
    bc_record_iter_t it;
    bc_record_t rec;
    bc_record_iter_init(&it, &hdr);
    cr_assert_eq(bc_record_iter_next(&it, &rec), 1);
    cr_assert_eq(rec.offset, 42);
    cr_assert_eq(rec.timestamp, 1000);
    cr_assert_eq(rec.key_len, 2);
    cr_assert_eq(memcmp(rec.key, "k0", 2), 0);
    cr_assert_eq(rec.header_count, 2);
    size_t pos = 0;
    bc_header_t h;
    cr_assert_eq(bc_record_header_next(&rec, &pos, &h), 1);
    cr_assert_eq(h.key_len, 2);
    cr_assert_eq(memcmp(h.value, "v1", 2), 0);
    cr_assert_eq(bc_record_header_next(&rec, &pos, &h), 1);
    cr_assert_eq(h.value_len, -1);
    cr_assert_eq(bc_record_header_next(&rec, &pos, &h), 0);
    cr_assert_eq(bc_record_iter_next(&it, &rec), 1);
    cr_assert_eq(rec.key_len, -1);
    cr_assert_null(rec.key);
    cr_assert_eq(rec.value_len, 0);
    cr_assert_eq(rec.timestamp, 990);
    cr_assert_eq(bc_record_iter_next(&it, &rec), 1);
    cr_assert_eq(rec.value_len, -1);
    cr_assert_eq(rec.offset, 44);
    cr_assert_eq(bc_record_iter_next(&it, &rec), 0);
    bc_batch_builder_destroy(bb);
}

Test(bc_batch, record_size_predicts_encoded_size) {
    bc_batch_builder_t *bb = bc_batch_builder_new(16);
    bc_record_in_t r = {"key", 3, "some value", 10, 5000, NULL, 0};
    bc_batch_builder_begin(bb, NULL);
    bc_batch_builder_add(bb, &r);
    size_t before = bc_batch_builder_size(bb);
    r.timestamp = 5100;
    size_t predicted = bc_batch_record_size(&r, 100, 1);
    bc_batch_builder_add(bb, &r);
    cr_assert_eq(bc_batch_builder_size(bb) - before, predicted);
    bc_batch_builder_destroy(bb);
}

Test(bc_batch, rejects_flipped_byte_short_buffer_and_bad_length) {
    bc_batch_builder_t *bb = bc_batch_builder_new(16);
    bc_record_in_t r = {"k", 1, "v", 1, 1, NULL, 0};
    bc_batch_builder_begin(bb, NULL);
    bc_batch_builder_add(bb, &r);
    size_t len;
    uint8_t *b = bc_batch_builder_finish(bb, &len);
    uint8_t copy[256];
    memcpy(copy, b, len);
    bc_batch_t hdr;
    char err[160];
    cr_assert_eq(bc_batch_parse(copy, len - 1, 0, &hdr, err, sizeof(err)),
                 BC_BATCH_SHORT);
    cr_assert_eq(hdr.size, len);
    copy[len - 2] ^= 0x10;
    cr_assert_eq(
        bc_batch_parse(copy, len, BC_BATCH_VERIFY_CRC, &hdr, err, sizeof(err)),
        BC_ERR_CORRUPT);
    cr_assert(strstr(err, "CRC") != NULL, "%s", err);
    memcpy(copy, b, len);
    bc_put_be32(copy + 8, 10);
    cr_assert_eq(bc_batch_parse(copy, len, 0, &hdr, err, sizeof(err)),
                 BC_ERR_CORRUPT);
    memcpy(copy, b, len);
    copy[16] = 1;
    cr_assert_eq(bc_batch_parse(copy, len, 0, &hdr, err, sizeof(err)),
                 BC_ERR_CORRUPT);
    bc_batch_builder_destroy(bb);
}

Test(bc_batch, verify_records_catches_count_mismatch) {
    bc_batch_builder_t *bb = bc_batch_builder_new(16);
    bc_record_in_t r = {"k", 1, "v", 1, 1, NULL, 0};
    bc_batch_builder_begin(bb, NULL);
    bc_batch_builder_add(bb, &r);
    bc_batch_builder_add(bb, &r);
    size_t len;
    uint8_t *b = bc_batch_builder_finish(bb, &len);
    bc_put_be32(b + 57, 3); /* recordsCount outside... inside the CRC */
    bc_batch_t hdr;
    cr_assert_eq(bc_batch_parse(b, len, BC_BATCH_VERIFY_RECORDS, &hdr, NULL, 0),
                 BC_ERR_CORRUPT);
    bc_batch_builder_destroy(bb);
}
