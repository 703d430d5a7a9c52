/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of bc_wire and bc_kreq: Kafka request frames built field by
 * field decode into the right structs for each version; truncated or
 * hostile frames fail with the byte offset, never reading past the end;
 * unsupported versions are reported, not decoded. */
#include <criterion/criterion.h>
#include <string.h>

#include "broker-core/bc_kreq.h"
#include "broker-core/bc_wire.h"

static void header(bc_wire_wr_t *w, int16_t key, int16_t v, const char *cid) {
    bc_wire_wr_init(w, 64);
    bc_wire_wr_i16(w, key);
    bc_wire_wr_i16(w, v);
    bc_wire_wr_i32(w, 42);
    bc_wire_wr_str(w, cid);
}

Test(bc_kreq, metadata_v1_null_array_means_all_topics) {
    bc_wire_wr_t w;
    header(&w, BC_API_METADATA, 1, "cli");
    bc_wire_wr_array(&w, -1);
    bc_kreq_t req;
    char err[128];
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0);
    cr_assert_eq(req.status, BC_KREQ_OK);
    cr_assert_eq(req.correlation_id, 42);
    cr_assert_str_eq(req.client_id, "cli");
    cr_assert_eq(req.u.metadata.topic_cnt, -1);
    cr_assert_eq(req.u.metadata.allow_auto_create, 1);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

/* A null array is followed by the next field, not read again: with two
 * resources whose config names are null (all of them, as librdkafka asks)
 * the second one used to be read from the first one's -1 and the request
 * failed ("null string"), and the connection was closed. */
Test(bc_kreq, describe_configs_v1_two_resources_after_null_key_arrays) {
    bc_wire_wr_t w;
    header(&w, BC_API_DESCRIBE_CONFIGS, 1, "rdkafka");
    bc_wire_wr_array(&w, 2);
    bc_wire_wr_i8(&w, 2);
    bc_wire_wr_str(&w, "aa");
    bc_wire_wr_array(&w, -1);
    bc_wire_wr_i8(&w, 2);
    bc_wire_wr_str(&w, "bbbbb");
    bc_wire_wr_array(&w, -1);
    bc_wire_wr_i8(&w, 0); /* include_synonyms */
    bc_kreq_t req;
    char err[128] = "";
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0,
                 "%s", err);
    const bc_kreq_describe_configs_t *dc = &req.u.describe_configs;
    cr_assert_eq(dc->resource_cnt, 2);
    cr_assert_str_eq(dc->resources[0].name, "aa");
    cr_assert_eq(dc->resources[0].key_cnt, -1);
    cr_assert_eq(dc->resources[1].type, 2);
    cr_assert_str_eq(dc->resources[1].name, "bbbbb");
    cr_assert_eq(dc->resources[1].key_cnt, -1);
    cr_assert_eq(dc->include_synonyms, 0, "read after the -1, not from it");
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

Test(bc_kreq, fetch_v11_fields) {
    bc_wire_wr_t w;
    header(&w, BC_API_FETCH, 11, NULL);
    bc_wire_wr_i32(&w, -1);  /* replica */
    bc_wire_wr_i32(&w, 500); /* max wait */
    bc_wire_wr_i32(&w, 1);   /* min bytes */
    bc_wire_wr_i32(&w, 52428800);
    bc_wire_wr_i8(&w, 0);
    bc_wire_wr_i32(&w, 0);
    bc_wire_wr_i32(&w, -1);
    bc_wire_wr_array(&w, 1);
    bc_wire_wr_str(&w, "orders");
    bc_wire_wr_array(&w, 1);
    bc_wire_wr_i32(&w, 3);    /* partition */
    bc_wire_wr_i32(&w, 0);    /* leader epoch */
    bc_wire_wr_i64(&w, 1234); /* offset */
    bc_wire_wr_i64(&w, -1);   /* log start */
    bc_wire_wr_i32(&w, 1048576);
    bc_wire_wr_array(&w, 0); /* forgotten */
    bc_wire_wr_str(&w, "");  /* rack */
    bc_kreq_t req;
    char err[128];
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(req.client_id, "");
    cr_assert_eq(req.u.fetch.max_wait_ms, 500);
    cr_assert_eq(req.u.fetch.topic_cnt, 1);
    cr_assert_str_eq(req.u.fetch.topics[0].name, "orders");
    cr_assert_eq(req.u.fetch.topics[0].parts[0].partition, 3);
    cr_assert_eq(req.u.fetch.topics[0].parts[0].fetch_offset, 1234);
    cr_assert_eq(req.u.fetch.topics[0].parts[0].max_bytes, 1048576);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

Test(bc_kreq, every_truncation_fails_cleanly_with_an_offset) {
    bc_wire_wr_t w;
    header(&w, BC_API_JOIN_GROUP, 5, "c");
    bc_wire_wr_str(&w, "g");
    bc_wire_wr_i32(&w, 10000);
    bc_wire_wr_i32(&w, 300000);
    bc_wire_wr_str(&w, "");
    bc_wire_wr_str(&w, NULL);
    bc_wire_wr_str(&w, "consumer");
    bc_wire_wr_array(&w, 1);
    bc_wire_wr_str(&w, "range");
    bc_wire_wr_bytes(&w, "\x00\x01", 2);
    bc_kreq_t req;
    char err[128];
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0);
    cr_assert_str_eq(req.u.join_group.protocols[0].name, "range");
    cr_assert_eq(req.u.join_group.protocols[0].metadata_len, 2);
    cr_assert_null(req.u.join_group.group_instance_id);
    bc_kreq_free(&req);
    for (size_t n = 0; n < w.len; n++) {
        size_t off = 999;
        /* A copy of exactly n bytes, so ASan sees any read past it. */
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, w.buf, n);
        int rc = bc_kreq_decode(cut, n, &req, &off, err, sizeof(err));
        cr_assert_neq(rc, 0, "prefix of %zu bytes decoded", n);
        cr_assert_leq(off, n);
        cr_assert(strstr(err, "at byte"), "%s", err);
        bc_kreq_free(&req);
        free(cut);
    }
    bc_wire_wr_free(&w);
}

Test(bc_kreq, huge_array_count_is_refused_before_allocating) {
    bc_wire_wr_t w;
    header(&w, BC_API_METADATA, 4, "c");
    bc_wire_wr_array(&w, 0x7fffffff);
    bc_kreq_t req;
    char err[128];
    size_t off = 0;
    cr_assert_neq(bc_kreq_decode(w.buf, w.len, &req, &off, err, sizeof(err)),
                  0);
    cr_assert_eq(off, 11); /* the count field itself */
    cr_assert(strstr(err, "array count larger than the frame at byte 11"), "%s",
              err);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

Test(bc_kreq, unsupported_version_and_unknown_api_are_reported) {
    bc_wire_wr_t w;
    header(&w, BC_API_API_VERSIONS, 9, "c");
    bc_kreq_t req;
    char err[128];
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0);
    cr_assert_eq(req.status, BC_KREQ_UNSUPPORTED);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
    header(&w, 57, 0, "c");
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0);
    cr_assert_eq(req.status, BC_KREQ_UNKNOWN_API);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

Test(bc_kreq, api_versions_v3_is_flexible) {
    bc_wire_wr_t w;
    header(&w, BC_API_API_VERSIONS, 3, "c");
    bc_wire_wr_uvarint(&w, 0); /* header tags */
    w.flex = 1;
    bc_wire_wr_str(&w, "librdkafka");
    bc_wire_wr_str(&w, "2.0.2");
    bc_wire_wr_tags(&w);
    bc_kreq_t req;
    char err[128];
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(req.status, BC_KREQ_OK);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

Test(bc_kreq, string_with_nul_byte_is_malformed) {
    bc_wire_wr_t w;
    header(&w, BC_API_FIND_COORDINATOR, 1, "c");
    bc_wire_wr_strn(&w, "a\0b", 3);
    bc_wire_wr_i8(&w, 0);
    bc_kreq_t req;
    char err[128];
    cr_assert_neq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)),
                  0);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}

Test(bc_wire, compact_forms_round_trip) {
    bc_wire_wr_t w;
    bc_wire_wr_init(&w, 8);
    w.flex = 1;
    bc_wire_wr_str(&w, "abc");
    bc_wire_wr_str(&w, NULL);
    bc_wire_wr_array(&w, 300);
    bc_wire_wr_bytes(&w, "xy", 2);
    bc_wire_rd_t rd;
    bc_wire_rd_init(&rd, w.buf, w.len);
    rd.flex = 1;
    int32_t len;
    const char *s = bc_wire_rd_str(&rd, 0, &len);
    cr_assert_eq(len, 3);
    cr_assert(memcmp(s, "abc", 3) == 0);
    cr_assert_null(bc_wire_rd_str(&rd, 1, &len));
    cr_assert_eq(len, -1);
    /* 300 elements cannot fit in the 3 bytes left: refused. */
    cr_assert_eq(bc_wire_rd_array(&rd, 0, 1), 0);
    cr_assert(rd.err);
    bc_wire_wr_free(&w);
}

Test(bc_kreq, offset_fetch_v7_is_flexible_and_zero_means_all_topics) {
    /* librdkafka's "all partitions": compact array length 0 = null. */
    bc_wire_wr_t w;
    header(&w, BC_API_OFFSET_FETCH, 7, "rdkafka");
    bc_wire_wr_uvarint(&w, 0); /* request header v2 tags */
    w.flex = 1;
    bc_wire_wr_str(&w, "gq");
    bc_wire_wr_uvarint(&w, 0); /* topics: null */
    bc_wire_wr_i8(&w, 0);      /* require stable */
    bc_wire_wr_tags(&w);
    bc_kreq_t req;
    char err[128];
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_str_eq(req.u.offset_fetch.group, "gq");
    cr_assert_eq(req.u.offset_fetch.topic_cnt, -1);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
    /* v5 (classic): a zero-length array names no topics, as in Kafka. */
    header(&w, BC_API_OFFSET_FETCH, 5, "rdkafka");
    bc_wire_wr_str(&w, "gq");
    bc_wire_wr_array(&w, 0);
    cr_assert_eq(bc_kreq_decode(w.buf, w.len, &req, NULL, err, sizeof(err)), 0);
    cr_assert_eq(req.u.offset_fetch.topic_cnt, 0);
    bc_kreq_free(&req);
    bc_wire_wr_free(&w);
}
