/* SPDX-License-Identifier: Apache-2.0 */
/* Tests of mon_kdecode on byte fixtures written from Kafka's message
 * formats (broker-core/README.md section 6, OffsetCommitKey/Value,
 * GroupMetadataKey/ Value and ConsumerProtocolAssignment): a few literal byte
 * arrays, and a builder that writes the same big-endian encodings field by
 * field for the version tables and for truncation at every byte. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_offsets.h"
#include "monitor/sources/mon_kdecode.h"

/* ---- fixture builder ---- */

typedef struct fx_s {
    unsigned char b[2048];
    size_t n;
} fx_t;

static void put(fx_t *f, const void *p, size_t n) {
    cr_assert_leq(f->n + n, sizeof(f->b));
    memcpy(f->b + f->n, p, n);
    f->n += n;
}
static void i8(fx_t *f, unsigned v) {
    unsigned char c = (unsigned char)v;
    put(f, &c, 1);
}
static void i16(fx_t *f, int v) {
    i8(f, ((unsigned)v >> 8) & 0xff);
    i8(f, (unsigned)v & 0xff);
}
static void i32(fx_t *f, int64_t v) {
    for (int s = 24; s >= 0; s -= 8)
        i8(f, (unsigned)(((uint64_t)v >> s) & 0xff));
}
static void i64(fx_t *f, int64_t v) {
    for (int s = 56; s >= 0; s -= 8)
        i8(f, (unsigned)(((uint64_t)v >> s) & 0xff));
}
static void str(fx_t *f, const char *s) { /* NULL = null string */
    if (!s) {
        i16(f, -1);
        return;
    }
    i16(f, (int)strlen(s));
    put(f, s, strlen(s));
}
static void bytes(fx_t *f, const fx_t *inner) { /* NULL = null bytes */
    if (!inner) {
        i32(f, -1);
        return;
    }
    i32(f, (int64_t)inner->n);
    put(f, inner->b, inner->n);
}
static void uvarint(fx_t *f, uint32_t v) {
    while (v >= 0x80) {
        i8(f, (v & 0x7f) | 0x80);
        v >>= 7;
    }
    i8(f, v);
}

static void offset_key(fx_t *f, int version, const char *g, const char *t,
                       int32_t p) {
    i16(f, version);
    str(f, g);
    str(f, t);
    i32(f, p);
}

/* An offset commit value of `version` with the given fields. */
static void offset_value(fx_t *f, int version, int64_t off, int32_t epoch,
                         const char *meta, int64_t ts, int64_t expire) {
    i16(f, version);
    i64(f, off);
    if (version >= 3) i32(f, epoch);
    if (version == 4) {
        uvarint(f, meta ? (uint32_t)strlen(meta) + 1 : 0);
        if (meta) put(f, meta, strlen(meta));
    } else {
        str(f, meta);
    }
    i64(f, ts);
    if (version == 1) i64(f, expire);
    if (version == 4) uvarint(f, 0); /* no tagged fields */
}

/* Assignment: topic t with partitions parts[0..n). */
static void assignment(fx_t *f, int version, const char *t,
                       const int32_t *parts, int n) {
    i16(f, version);
    i32(f, 1);
    str(f, t);
    i32(f, n);
    for (int i = 0; i < n; i++)
        i32(f, parts[i]);
    i32(f, -1); /* user data: null */
}

/* Group metadata value `version` for group with two consumer members:
 * m1 (client c1 on /10.0.0.1) owns orders 0,2 and m2 (c2 on /10.0.0.2)
 * owns orders 1. */
static void group_value(fx_t *f, int version, const char *ptype) {
    static const int32_t p1[] = {0, 2}, p2[] = {1};
    fx_t sub = {.n = 0}, a1 = {.n = 0}, a2 = {.n = 0};
    i16(&sub, 0); /* subscription v0: topics [orders], user data null */
    i32(&sub, 1);
    str(&sub, "orders");
    i32(&sub, -1);
    assignment(&a1, 0, "orders", p1, 2);
    assignment(&a2, 1, "orders", p2, 1);
    i16(f, version);
    str(f, ptype);
    i32(f, 7); /* generation */
    str(f, "range");
    str(f, "m1");
    if (version >= 2) i64(f, 1700000000123);
    i32(f, 2);
    const char *mid[] = {"m1", "m2"}, *cid[] = {"c1", "c2"};
    const char *host[] = {"/10.0.0.1", "/10.0.0.2"};
    for (int m = 0; m < 2; m++) {
        str(f, mid[m]);
        if (version >= 3) str(f, m == 0 ? "static-1" : NULL);
        str(f, cid[m]);
        str(f, host[m]);
        if (version >= 1) i32(f, 300000);
        i32(f, 45000);
        bytes(f, &sub);
        bytes(f, m == 0 ? &a1 : &a2);
    }
}

static int decode(const fx_t *k, const fx_t *v, mon_kdecode_record_t *rec,
                  char *err, size_t errsz) {
    return mon_kdecode(k->b, k->n, v ? v->b : NULL, v ? v->n : 0, rec, err,
                       errsz);
}

/* ---- literal fixtures ---- */

Test(mon_kdecode, literal_key_v1_value_v3_gives_commit) {
    static const unsigned char key[] = {
        0x00, 0x01,             /* key version 1 */
        0x00, 0x01, 'g',        /* group "g" */
        0x00, 0x01, 't',        /* topic "t" */
        0x00, 0x00, 0x00, 0x03, /* partition 3 */
    };
    static const unsigned char value[] = {
        0x00, 0x03,                                     /* value v3 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, /* offset 42 */
        0x00, 0x00, 0x00, 0x05,                         /* leader epoch 5 */
        0x00, 0x00,                                     /* metadata "" */
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, /* 1700000000000 */
    };
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(mon_kdecode(key, sizeof(key), value, sizeof(value), &rec, err,
                             sizeof(err)),
                 MON_KDECODE_OK, "%s", err);
    cr_assert_eq(rec.type, MON_KDECODE_OFFSET_COMMIT);
    cr_assert_eq(rec.key_version, 1);
    cr_assert_eq(rec.value_version, 3);
    cr_assert_str_eq(rec.group, "g");
    cr_assert_str_eq(rec.topic, "t");
    cr_assert_eq(rec.partition, 3);
    cr_assert_eq(rec.offset, 42);
    cr_assert_eq(rec.leader_epoch, 5);
    cr_assert_str_eq(rec.metadata, "");
    cr_assert_eq(rec.commit_ts, 1700000000000LL);
    cr_assert_eq(rec.expire_ts, -1);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, literal_group_key_v2_null_value_is_group_delete) {
    static const unsigned char key[] = {0x00, 0x02, 0x00, 0x02, 'g', '1'};
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(mon_kdecode(key, sizeof(key), NULL, 0, &rec, err, sizeof(err)),
                 MON_KDECODE_OK, "%s", err);
    cr_assert_eq(rec.type, MON_KDECODE_GROUP_DELETE);
    cr_assert_str_eq(rec.group, "g1");
    cr_assert_eq(rec.value_version, -1);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, literal_group_value_v0_with_one_member_owning_p5) {
    static const unsigned char key[] = {0x00, 0x02, 0x00, 0x01, 'g'};
    /* clang-format off */
    static const unsigned char value[] = {
        0x00, 0x00,                               /* value v0 */
        0x00, 0x08, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', /* type */
        0x00, 0x00, 0x00, 0x01,                   /* generation 1 */
        0x00, 0x05, 'r', 'a', 'n', 'g', 'e',      /* protocol */
        0x00, 0x01, 'm',                          /* leader "m" */
        0x00, 0x00, 0x00, 0x01,                   /* 1 member */
        0x00, 0x01, 'm',                          /* member id */
        0x00, 0x02, 'c', 'x',                     /* client id */
        0x00, 0x02, '/', 'h',                     /* client host */
        0x00, 0x00, 0x27, 0x10,                   /* session 10000 */
        0xff, 0xff, 0xff, 0xff,                   /* subscription null */
        0x00, 0x00, 0x00, 0x15,                   /* assignment, 21 B */
        0x00, 0x00,                               /*  version 0 */
        0x00, 0x00, 0x00, 0x01,                   /*  1 topic */
        0x00, 0x01, 't',                          /*  "t" */
        0x00, 0x00, 0x00, 0x01,                   /*  1 partition */
        0x00, 0x00, 0x00, 0x05,                   /*  partition 5 */
        0xff, 0xff, 0xff, 0xff,                   /*  user data null */
    };
    /* clang-format on */
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(mon_kdecode(key, sizeof(key), value, sizeof(value), &rec, err,
                             sizeof(err)),
                 MON_KDECODE_OK, "%s", err);
    cr_assert_eq(rec.type, MON_KDECODE_GROUP_METADATA);
    cr_assert(rec.consumer_protocol);
    cr_assert_eq(rec.generation, 1);
    cr_assert_str_eq(rec.protocol, "range");
    cr_assert_str_eq(rec.leader, "m");
    cr_assert_eq(rec.state_ts, -1);
    cr_assert_eq(rec.n_members, 1);
    cr_assert_str_eq(rec.members[0].client_id, "cx");
    cr_assert_str_eq(rec.members[0].client_host, "/h");
    cr_assert_eq(rec.members[0].rebalance_timeout, -1);
    cr_assert_eq(rec.members[0].session_timeout, 10000);
    cr_assert_eq(rec.n_owners, 1);
    cr_assert_str_eq(rec.owners[0].topic, "t");
    cr_assert_eq(rec.owners[0].partition, 5);
    cr_assert_eq(rec.owners[0].member, 0);
    mon_kdecode_record_free(&rec);
}

/* ---- offset commit versions ---- */

typedef struct ocase_s {
    int key_version;
    int value_version;
} ocase_t;

ParameterizedTestParameters(mon_kdecode, offset_commit_every_version) {
    static ocase_t cases[] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2},
                              {1, 3}, {1, 4}, {0, 3}, {0, 4}};
    return cr_make_param_array(ocase_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(ocase_t *c, mon_kdecode, offset_commit_every_version) {
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, c->key_version, "billing", "orders", 11);
    offset_value(&v, c->value_version, 123456789012LL, 9, "meta-data",
                 1700000000999LL, 1700000999999LL);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_eq(rec.type, MON_KDECODE_OFFSET_COMMIT);
    cr_assert_eq(rec.key_version, c->key_version);
    cr_assert_eq(rec.value_version, c->value_version);
    cr_assert_str_eq(rec.group, "billing");
    cr_assert_str_eq(rec.topic, "orders");
    cr_assert_eq(rec.partition, 11);
    cr_assert_eq(rec.offset, 123456789012LL);
    cr_assert_str_eq(rec.metadata, "meta-data");
    cr_assert_eq(rec.commit_ts, 1700000000999LL);
    cr_assert_eq(rec.leader_epoch, c->value_version >= 3 ? 9 : -1);
    cr_assert_eq(rec.expire_ts, c->value_version == 1 ? 1700000999999LL : -1);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, value_v4_skips_tagged_fields_and_reads_null_metadata) {
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, 1, "g", "t", 0);
    i16(&v, 4);
    i64(&v, 77);
    i32(&v, -1);
    uvarint(&v, 0); /* null compact metadata */
    i64(&v, 5000);
    uvarint(&v, 2); /* two tagged fields */
    uvarint(&v, 0);
    uvarint(&v, 3);
    put(&v, "abc", 3);
    uvarint(&v, 300); /* a two-byte varint tag */
    uvarint(&v, 0);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_eq(rec.offset, 77);
    cr_assert_str_eq(rec.metadata, "");
    cr_assert_eq(rec.commit_ts, 5000);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, value_v4_long_metadata_uses_multibyte_varint) {
    char meta[200];
    memset(meta, 'x', sizeof(meta) - 1);
    meta[sizeof(meta) - 1] = '\0';
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, 1, "g", "t", 0);
    offset_value(&v, 4, 1, 2, meta, 3, 0);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_str_eq(rec.metadata, meta);
    cr_assert_eq(rec.commit_ts, 3);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, trailing_bytes_after_known_fields_are_ignored) {
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, 1, "g", "t", 2);
    offset_value(&v, 3, 10, 1, "", 20, 0);
    i64(&v, 999);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_eq(rec.offset, 10);
    mon_kdecode_record_free(&rec);
}

/* ---- group metadata versions ---- */

ParameterizedTestParameters(mon_kdecode, group_metadata_every_version) {
    static int versions[] = {0, 1, 2, 3};
    return cr_make_param_array(int, versions, 4);
}

ParameterizedTest(int *version, mon_kdecode, group_metadata_every_version) {
    fx_t k = {.n = 0}, v = {.n = 0};
    i16(&k, 2);
    str(&k, "billing");
    group_value(&v, *version, "consumer");
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_eq(rec.type, MON_KDECODE_GROUP_METADATA);
    cr_assert_eq(rec.value_version, *version);
    cr_assert_str_eq(rec.group, "billing");
    cr_assert_str_eq(rec.protocol_type, "consumer");
    cr_assert(rec.consumer_protocol);
    cr_assert_eq(rec.generation, 7);
    cr_assert_str_eq(rec.protocol, "range");
    cr_assert_str_eq(rec.leader, "m1");
    cr_assert_eq(rec.state_ts, *version >= 2 ? 1700000000123LL : -1);
    cr_assert_eq(rec.n_members, 2);
    cr_assert_str_eq(rec.members[0].member_id, "m1");
    cr_assert_str_eq(rec.members[0].group_instance_id,
                     *version >= 3 ? "static-1" : "");
    cr_assert_str_eq(rec.members[1].group_instance_id, "");
    cr_assert_str_eq(rec.members[0].client_id, "c1");
    cr_assert_str_eq(rec.members[1].client_host, "/10.0.0.2");
    cr_assert_eq(rec.members[1].rebalance_timeout, *version >= 1 ? 300000 : -1);
    cr_assert_eq(rec.members[1].session_timeout, 45000);
    cr_assert_eq(rec.members[0].assignment_version, 0);
    cr_assert_eq(rec.members[1].assignment_version, 1);
    cr_assert_eq(rec.n_owners, 3);
    /* owners in assignment order: m1 -> 0, 2; m2 -> 1 */
    int32_t want_part[] = {0, 2, 1};
    size_t want_member[] = {0, 0, 1};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_str_eq(rec.owners[i].topic, "orders");
        cr_assert_eq(rec.owners[i].partition, want_part[i]);
        cr_assert_eq(rec.owners[i].member, want_member[i]);
    }
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, non_consumer_protocol_has_members_but_no_owners) {
    fx_t k = {.n = 0}, v = {.n = 0};
    i16(&k, 2);
    str(&k, "connect-cluster");
    group_value(&v, 3, "connect");
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_not(rec.consumer_protocol);
    cr_assert_eq(rec.n_members, 2);
    cr_assert_eq(rec.n_owners, 0);
    cr_assert_eq(rec.members[0].assignment_version, -1);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, empty_group_and_empty_assignment_give_no_owners) {
    fx_t k = {.n = 0}, v = {.n = 0}, empty = {.n = 0};
    i16(&k, 2);
    str(&k, "g");
    i16(&v, 3);
    str(&v, "consumer");
    i32(&v, 0);
    str(&v, NULL);
    str(&v, NULL);
    i64(&v, 1);
    i32(&v, 1);
    str(&v, "m");
    str(&v, NULL);
    str(&v, "c");
    str(&v, "h");
    i32(&v, 1);
    i32(&v, 2);
    bytes(&v, NULL);
    bytes(&v, &empty); /* assignment of length 0: not yet assigned */
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_KDECODE_OK, "%s",
                 err);
    cr_assert_eq(rec.n_members, 1);
    cr_assert_eq(rec.n_owners, 0);
    cr_assert_str_eq(rec.protocol, "");
    cr_assert_str_eq(rec.leader, "");
    mon_kdecode_record_free(&rec);
}

/* ---- tombstones ---- */

Test(mon_kdecode, offset_tombstone_null_and_empty_value_are_deletions) {
    fx_t k = {.n = 0}, empty = {.n = 0};
    offset_key(&k, 1, "g", "t", 4);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, NULL, &rec, err, sizeof(err)), MON_KDECODE_OK);
    cr_assert_eq(rec.type, MON_KDECODE_OFFSET_DELETE);
    cr_assert_str_eq(rec.topic, "t");
    cr_assert_eq(rec.partition, 4);
    cr_assert_eq(decode(&k, &empty, &rec, err, sizeof(err)), MON_KDECODE_OK);
    cr_assert_eq(rec.type, MON_KDECODE_OFFSET_DELETE);
    cr_assert_str_eq(mon_kdecode_type_name(rec.type), "offset-delete");
    mon_kdecode_record_free(&rec);
}

/* ---- unknown versions: the warning result ---- */

typedef struct vcase_s {
    int key_version; /* 2 = group metadata key */
    int value_version;
    char msg[80]; /* an array: pointers do not survive into the
                   * test's process */
} vcase_t;

ParameterizedTestParameters(mon_kdecode, unknown_versions_are_warnings) {
    static vcase_t cases[] = {
        {3, 0, "key byte 0: unknown key version 3"},
        {8, 0, "key byte 0: unknown key version 8"},
        {-1, 0, "key byte 0: unknown key version -1"},
        {1, 5, "value byte 0: unknown offset commit value version 5"},
        {1, -2, "value byte 0: unknown offset commit value version -2"},
        {2, 4, "value byte 0: unknown group metadata value version 4"},
    };
    return cr_make_param_array(vcase_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(vcase_t *c, mon_kdecode, unknown_versions_are_warnings) {
    fx_t k = {.n = 0}, v = {.n = 0};
    if (c->key_version == 2) {
        i16(&k, 2);
        str(&k, "g");
    } else {
        offset_key(&k, c->key_version, "g", "t", 0);
    }
    i16(&v, c->value_version);
    i64(&v, 1);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_ERR_VERSION);
    cr_assert_str_eq(err, c->msg);
    cr_assert_eq(rec.type, MON_KDECODE_NONE);
    mon_kdecode_record_free(&rec);
}

/* ---- truncation at every byte ---- */

/* Every strict prefix of key and value must fail as malformed, name a
 * byte offset inside the prefix, and leave the record empty. */
static void check_truncations(const fx_t *k, const fx_t *v) {
    mon_kdecode_record_t rec = {0};
    char err[160];
    for (size_t n = 1; n < k->n; n++) {
        err[0] = '\0';
        int rc = mon_kdecode(k->b, n, v->b, v->n, &rec, err, sizeof(err));
        cr_assert_eq(rc, MON_ERR_MALFORMED, "key prefix %zu: rc %d", n, rc);
        size_t at = 9999;
        cr_assert_eq(sscanf(err, "key byte %zu:", &at), 1, "%s", err);
        cr_assert_leq(at, n, "%s", err);
        cr_assert_eq(rec.type, MON_KDECODE_NONE);
    }
    for (size_t n = 1; n < v->n; n++) {
        err[0] = '\0';
        int rc = mon_kdecode(k->b, k->n, v->b, n, &rec, err, sizeof(err));
        cr_assert_eq(rc, MON_ERR_MALFORMED,
                     "value prefix %zu of %zu: rc %d (%s)", n, v->n, rc, err);
        size_t at = 9999;
        cr_assert_eq(sscanf(err, "value byte %zu:", &at), 1, "%s", err);
        cr_assert_leq(at, n, "%s", err);
        cr_assert_eq(rec.type, MON_KDECODE_NONE);
    }
    /* and the whole record still decodes with the same rec */
    cr_assert_eq(mon_kdecode(k->b, k->n, v->b, v->n, &rec, err, sizeof(err)),
                 MON_KDECODE_OK, "%s", err);
    mon_kdecode_record_free(&rec);
}

ParameterizedTestParameters(mon_kdecode, truncated_offset_commit) {
    static int versions[] = {0, 1, 2, 3, 4};
    return cr_make_param_array(int, versions, 5);
}

ParameterizedTest(int *version, mon_kdecode, truncated_offset_commit) {
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, 1, "group-a", "topic-b", 3);
    offset_value(&v, *version, 5, 6, "md", 7, 8);
    check_truncations(&k, &v);
}

ParameterizedTestParameters(mon_kdecode, truncated_group_metadata) {
    static int versions[] = {0, 1, 2, 3};
    return cr_make_param_array(int, versions, 4);
}

ParameterizedTest(int *version, mon_kdecode, truncated_group_metadata) {
    fx_t k = {.n = 0}, v = {.n = 0};
    i16(&k, 2);
    str(&k, "group-a");
    group_value(&v, *version, "consumer");
    check_truncations(&k, &v);
}

Test(mon_kdecode, empty_key_is_malformed) {
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(mon_kdecode("", 0, NULL, 0, &rec, err, sizeof(err)),
                 MON_ERR_MALFORMED);
    cr_assert_str_eq(err, "key byte 0: empty key");
    cr_assert_eq(mon_kdecode(NULL, 5, NULL, 0, &rec, err, sizeof(err)),
                 MON_ERR_MALFORMED);
    mon_kdecode_record_free(&rec);
}

/* ---- bad lengths name the field and the byte ---- */

Test(mon_kdecode, string_longer_than_input_names_field_and_offset) {
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, 1, "g", "t", 0);
    i16(&v, 0);
    i64(&v, 1);
    i16(&v, 300); /* metadata length 300, 8 bytes follow */
    i64(&v, 2);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_ERR_MALFORMED);
    cr_assert_str_eq(err, "value byte 10: string metadata length 300 "
                          "exceeds the 8 bytes left");
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, negative_length_of_non_nullable_string_is_malformed) {
    fx_t k = {.n = 0};
    i16(&k, 1);
    i16(&k, -1); /* group may not be null */
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(mon_kdecode(k.b, k.n, NULL, 0, &rec, err, sizeof(err)),
                 MON_ERR_MALFORMED);
    cr_assert_str_eq(err, "key byte 2: bad length -1 for string group");
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, huge_member_count_is_refused_before_allocation) {
    fx_t k = {.n = 0}, v = {.n = 0};
    i16(&k, 2);
    str(&k, "g");
    i16(&v, 0);
    str(&v, "consumer");
    i32(&v, 1);
    str(&v, NULL);
    str(&v, NULL);
    i32(&v, 0x7fffffff);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_ERR_MALFORMED);
    cr_assert_str_eq(err, "value byte 20: member count 2147483647 cannot "
                          "fit in the 0 bytes left");
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, bad_length_inside_assignment_points_into_the_value) {
    fx_t k = {.n = 0}, v = {.n = 0}, a = {.n = 0};
    i16(&a, 0);
    i32(&a, 1);
    i16(&a, 50); /* topic name length 50, 4 bytes follow */
    i32(&a, 0);
    i16(&k, 2);
    str(&k, "g");
    i16(&v, 0);
    str(&v, "consumer");
    i32(&v, 1);
    str(&v, NULL);
    str(&v, NULL);
    i32(&v, 1);
    str(&v, "m");
    str(&v, "c");
    str(&v, "h");
    i32(&v, 1);
    bytes(&v, NULL);
    size_t asg_at = v.n + 4;
    bytes(&v, &a);
    mon_kdecode_record_t rec = {0};
    char err[160] = "", want[160];
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_ERR_MALFORMED);
    snprintf(want, sizeof(want),
             "value byte %zu: string assignment topic length 50 exceeds "
             "the 4 bytes left",
             asg_at + 6);
    cr_assert_str_eq(err, want);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, overlong_varint_is_malformed) {
    fx_t k = {.n = 0}, v = {.n = 0};
    offset_key(&k, 1, "g", "t", 0);
    i16(&v, 4);
    i64(&v, 1);
    i32(&v, 0);
    for (int i = 0; i < 5; i++)
        i8(&v, 0xff);
    i64(&v, 0);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k, &v, &rec, err, sizeof(err)), MON_ERR_MALFORMED);
    cr_assert_str_eq(err, "value byte 14: varint metadata longer than 32 "
                          "bits");
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, record_reused_across_types_keeps_no_stale_fields) {
    fx_t k1 = {.n = 0}, v1 = {.n = 0}, k2 = {.n = 0}, v2 = {.n = 0};
    i16(&k1, 2);
    str(&k1, "g");
    group_value(&v1, 3, "consumer");
    offset_key(&k2, 1, "h", "t", 1);
    offset_value(&v2, 0, 3, 0, "", 4, 0);
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    cr_assert_eq(decode(&k1, &v1, &rec, err, sizeof(err)), MON_KDECODE_OK);
    cr_assert_eq(rec.n_owners, 3);
    cr_assert_eq(decode(&k2, &v2, &rec, err, sizeof(err)), MON_KDECODE_OK);
    cr_assert_eq(rec.type, MON_KDECODE_OFFSET_COMMIT);
    cr_assert_eq(rec.n_members, 0);
    cr_assert_eq(rec.n_owners, 0);
    cr_assert_str_eq(rec.protocol_type, "");
    cr_assert_eq(rec.generation, -1);
    cr_assert_str_eq(rec.group, "h");
    mon_kdecode_record_free(&rec);
    mon_kdecode_record_free(NULL);
}

/* ---- group -> __consumer_offsets partition (broker-core/README.md 6.1) ----
 */

typedef struct pcase_s {
    char group[32];
    int32_t partitions;
    int32_t want;
} pcase_t;

ParameterizedTestParameters(mon_kdecode, partition_for_matches_kafka) {
    static pcase_t cases[] = {
        {"a", 50, 47},
        {"my-group", 50, 12},
        {"test-group", 50, 12},
        {"burrow", 50, 3},
        {"", 50, 0},
        {"a", 1, 0},
        /* U+00E9 (2 bytes) is one code unit: "\xc3\xa9" hashes as 233 */
        {"\xc3\xa9", 50, 33}, /* 233 % 50 */
        /* U+1F600 is the surrogate pair d83d de00:
         * 0xd83d * 31 + 0xde00 = 1716067 + 56832 = 1772899 */
        {"\xf0\x9f\x98\x80", 1000000, 772899},
    };
    return cr_make_param_array(pcase_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(pcase_t *c, mon_kdecode, partition_for_matches_kafka) {
    cr_assert_eq(mon_kdecode_partition_for(c->group, c->partitions), c->want,
                 "'%s' of %d", c->group, (int)c->partitions);
}

Test(mon_kdecode, partition_for_refuses_no_partitions) {
    cr_assert_eq(mon_kdecode_partition_for("g", 0), -1);
}

/* The Kafka source finds a group's coordinator with mon_kdecode; the
 * embedded broker stores the group's offsets with broker-core's
 * bc_offsets_partition_for. Malformed UTF-8 (which Java decodes to
 * U+FFFD) must map to the same partition in both, or the source asks the
 * wrong coordinator. */
typedef struct bad_utf8_s {
    char group[16];
} bad_utf8_t;

ParameterizedTestParameters(mon_kdecode,
                            partition_for_agrees_with_broker_core) {
    static bad_utf8_t cases[] = {
        {"g\xff"},             /* a byte that never starts UTF-8 */
        {"g\x80x"},            /* a lone continuation byte */
        {"g\xc3"},             /* a sequence cut short at the end */
        {"g\xe2\x82x"},        /* cut short in the middle */
        {"g\xc0\xaf"},         /* overlong '/' */
        {"g\xed\xa0\x80"},     /* an encoded surrogate */
        {"g\xf4\x90\x80\x80"}, /* above U+10FFFF */
        {"ok-\xc3\xa9"},       /* well-formed, for contrast */
    };
    return cr_make_param_array(bad_utf8_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(bad_utf8_t *c, mon_kdecode,
                  partition_for_agrees_with_broker_core) {
    for (int32_t n = 1; n <= 1000; n++)
        cr_assert_eq(mon_kdecode_partition_for(c->group, n),
                     bc_offsets_partition_for(c->group, n),
                     "group of %zu bytes, %d partitions", strlen(c->group),
                     (int)n);
}

static int decode_lim(const fx_t *k, const fx_t *v,
                      const mon_kdecode_limits_t *lim,
                      mon_kdecode_record_t *rec, char *err, size_t errsz) {
    return mon_kdecode_limited(k->b, k->n, v ? v->b : NULL, v ? v->n : 0, lim,
                               rec, err, errsz);
}

Test(mon_kdecode, bounds_refuse_a_record_with_too_many_members) {
    fx_t k = {.n = 0}, v = {.n = 0};
    mon_kdecode_limits_t lim = {.max_members = 1};
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    i16(&k, 2);
    str(&k, "g");
    group_value(&v, 3, "consumer");
    cr_assert_eq(decode_lim(&k, &v, &lim, &rec, err, sizeof(err)),
                 MON_ERR_LIMIT);
    cr_assert_eq(rec.type, MON_KDECODE_NONE);
    cr_assert(strstr(err, "2 members, over the bound of 1"), "%s", err);
    lim.max_members = 2;
    cr_assert_eq(decode_lim(&k, &v, &lim, &rec, err, sizeof(err)),
                 MON_KDECODE_OK);
    cr_assert_eq(rec.n_owners, 3);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, bounds_refuse_an_assignment_naming_too_many_partitions) {
    fx_t k = {.n = 0}, v = {.n = 0};
    mon_kdecode_limits_t lim = {.max_assigned = 2};
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    i16(&k, 2);
    str(&k, "g");
    group_value(&v, 3, "consumer"); /* m1: 2 partitions, m2: 1 */
    cr_assert_eq(decode_lim(&k, &v, &lim, &rec, err, sizeof(err)),
                 MON_ERR_LIMIT);
    cr_assert(strstr(err, "3 assigned partitions, over the bound of 2"), "%s",
              err);
    mon_kdecode_record_free(&rec);
}

Test(mon_kdecode, bounds_refuse_a_long_name_but_not_long_metadata) {
    fx_t k = {.n = 0}, v = {.n = 0};
    mon_kdecode_limits_t lim = {.max_name = 5};
    mon_kdecode_record_t rec = {0};
    char err[128] = "";
    offset_key(&k, 1, "group-name", "t", 0);
    offset_value(&v, 3, 10, -1, "metadata longer than five", 1, -1);
    cr_assert_eq(decode_lim(&k, &v, &lim, &rec, err, sizeof(err)),
                 MON_ERR_LIMIT);
    cr_assert_str_eq(err, "key byte 2: group of 10 bytes, over the bound of 5");
    k.n = 0;
    offset_key(&k, 1, "g", "t", 0);
    cr_assert_eq(decode_lim(&k, &v, &lim, &rec, err, sizeof(err)),
                 MON_KDECODE_OK);
    cr_assert_str_eq(rec.metadata, "metadata longer than five");
    mon_kdecode_record_free(&rec);
}
