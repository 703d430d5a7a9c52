/* SPDX-License-Identifier: Apache-2.0 */
/* bc_batch: see bc_batch.h. Encoding writes straight into one growable
 * buffer (the header is reserved up front and filled by finish); decoding
 * bounds-checks every length against the end of the batch before use. */
#include "broker-core/bc_batch.h"

#include <string.h>

#include "broker-core/bc_bytes.h"
#include "broker-core/bc_crc32c.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_mem.h"

struct bc_batch_builder_s {
    uint8_t *buf;
    size_t len; /* bytes used, header included */
    size_t cap;
    bc_batch_opts_t opts;
    int64_t base_ts; /* deltas are relative to this */
    int64_t max_ts;  /* largest record timestamp seen */
    int32_t count;
    int32_t last_delta; /* offset delta of the last record, -1 none */
};

int64_t bc_batch_last_offset(const bc_batch_t *b) {
    return b->base_offset + b->last_offset_delta;
}

void bc_batch_set_base_offset(uint8_t *batch, int64_t base_offset) {
    bc_put_be64(batch, (uint64_t)base_offset);
}

void bc_batch_set_leader_epoch(uint8_t *batch, int32_t epoch) {
    bc_put_be32(batch + 12, (uint32_t)epoch);
}

static int verify_records(const bc_batch_t *b, char *errstr,
                          size_t errstr_size) {
    bc_record_iter_t it;
    bc_record_t rec;
    int32_t n = 0;
    int64_t prev = -1;
    int rc;

    bc_record_iter_init(&it, b);
    while ((rc = bc_record_iter_next(&it, &rec)) == 1) {
        int64_t delta = rec.offset - b->base_offset;
        if (delta <= prev || delta > b->last_offset_delta)
            return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                              "record %d has offset delta %lld out of order",
                              (int)n, (long long)delta);
        prev = delta;
        size_t pos = 0;
        bc_header_t h;
        int32_t nh = 0;
        int hr;
        while ((hr = bc_record_header_next(&rec, &pos, &h)) == 1)
            nh++;
        if (hr < 0 || nh != rec.header_count || pos != rec.headers_len)
            return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                              "record %d has malformed headers", (int)n);
        n++;
    }
    if (rc < 0 || it.p != it.end)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "record %d is malformed or overruns the batch",
                          (int)n);
    if (n != b->record_count)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "batch says %d records, holds %d",
                          (int)b->record_count, (int)n);
    return 0;
}

static void parse_fields(const uint8_t *buf, bc_batch_t *b) {
    b->data = buf;
    b->base_offset = (int64_t)bc_get_be64(buf);
    b->batch_length = (int32_t)bc_get_be32(buf + 8);
    b->leader_epoch = (int32_t)bc_get_be32(buf + 12);
    b->magic = (int8_t)buf[16];
    b->crc = bc_get_be32(buf + 17);
    b->attributes = (int16_t)bc_get_be16(buf + 21);
    b->last_offset_delta = (int32_t)bc_get_be32(buf + 23);
    b->base_timestamp = (int64_t)bc_get_be64(buf + 27);
    b->max_timestamp = (int64_t)bc_get_be64(buf + 35);
    b->producer_id = (int64_t)bc_get_be64(buf + 43);
    b->producer_epoch = (int16_t)bc_get_be16(buf + 51);
    b->base_sequence = (int32_t)bc_get_be32(buf + 53);
    b->record_count = (int32_t)bc_get_be32(buf + 57);
}

int bc_batch_parse_header(const uint8_t *buf, size_t len, bc_batch_t *b,
                          char *errstr, size_t errstr_size) {
    memset(b, 0, sizeof(*b));
    if (len < BC_BATCH_HEADER_SIZE) return BC_BATCH_SHORT;
    int32_t blen = (int32_t)bc_get_be32(buf + 8);
    if (blen < BC_BATCH_HEADER_SIZE - BC_BATCH_LOG_OVERHEAD)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "batch length %d below the %d-byte minimum",
                          (int)blen,
                          BC_BATCH_HEADER_SIZE - BC_BATCH_LOG_OVERHEAD);
    if (buf[16] != BC_BATCH_MAGIC)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "magic %d at byte 16 (expected 2)", (int)buf[16]);
    parse_fields(buf, b);
    b->size = (size_t)blen + BC_BATCH_LOG_OVERHEAD;
    return 0;
}

int bc_batch_parse(const uint8_t *buf, size_t len, int flags, bc_batch_t *b,
                   char *errstr, size_t errstr_size) {
    memset(b, 0, sizeof(*b));
    if (len < BC_BATCH_LOG_OVERHEAD) return BC_BATCH_SHORT;
    int32_t blen = (int32_t)bc_get_be32(buf + 8);
    if (blen < BC_BATCH_HEADER_SIZE - BC_BATCH_LOG_OVERHEAD)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "batch length %d below the %d-byte minimum",
                          (int)blen,
                          BC_BATCH_HEADER_SIZE - BC_BATCH_LOG_OVERHEAD);
    b->size = (size_t)blen + BC_BATCH_LOG_OVERHEAD;
    if (len >= 17 && buf[16] != BC_BATCH_MAGIC)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "magic %d at byte 16 (expected 2)", (int)buf[16]);
    if (len < b->size) return BC_BATCH_SHORT;
    parse_fields(buf, b);
    if (flags & BC_BATCH_VERIFY_CRC) {
        uint32_t c = bc_crc32c(0, buf + 21, b->size - 21);
        if (c != b->crc)
            return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                              "CRC mismatch (stored %08x, computed %08x)",
                              (unsigned)b->crc, (unsigned)c);
    }
    if (b->base_offset < 0 || b->last_offset_delta < 0 || b->record_count < 0 ||
        (b->record_count > 0 && b->last_offset_delta < b->record_count - 1))
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "inconsistent header (base offset %lld, last "
                          "delta %d, %d records)",
                          (long long)b->base_offset, (int)b->last_offset_delta,
                          (int)b->record_count);
    if (b->attributes & BC_BATCH_ATTR_COMPRESSION)
        return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                          "compressed batch (codec %d) not supported",
                          b->attributes & BC_BATCH_ATTR_COMPRESSION);
    if (flags & BC_BATCH_VERIFY_RECORDS)
        return verify_records(b, errstr, errstr_size);
    return 0;
}

void bc_record_iter_init(bc_record_iter_t *it, const bc_batch_t *b) {
    it->batch = b;
    it->p = b->data + BC_BATCH_HEADER_SIZE;
    it->end = b->data + b->size;
    it->index = 0;
}

/* Reads a length-prefixed byte field (-1 = null) from [*pp, end). */
static int get_bytes(const uint8_t **pp, const uint8_t *end,
                     const uint8_t **data, int32_t *len) {
    if (bc_get_varint(pp, end, len) < 0 || *len < -1) return -1;
    if (*len < 0) {
        *data = NULL;
        return 0;
    }
    if ((size_t)(end - *pp) < (size_t)*len) return -1;
    *data = *pp;
    *pp += *len;
    return 0;
}

int bc_record_iter_next(bc_record_iter_t *it, bc_record_t *rec) {
    const bc_batch_t *b = it->batch;
    if (it->index >= b->record_count) return 0;
    const uint8_t *p = it->p;
    int32_t len;
    if (bc_get_varint(&p, it->end, &len) < 0 || len < 1 ||
        (size_t)(it->end - p) < (size_t)len)
        return BC_ERR_CORRUPT;
    const uint8_t *rend = p + len;
    p++; /* attributes */
    int64_t tsd;
    int32_t od;
    if (bc_get_varlong(&p, rend, &tsd) < 0 || bc_get_varint(&p, rend, &od) < 0)
        return BC_ERR_CORRUPT;
    if (get_bytes(&p, rend, &rec->key, &rec->key_len) < 0 ||
        get_bytes(&p, rend, &rec->value, &rec->value_len) < 0)
        return BC_ERR_CORRUPT;
    if (bc_get_varint(&p, rend, &rec->header_count) < 0 ||
        rec->header_count < 0)
        return BC_ERR_CORRUPT;
    rec->headers = p;
    rec->headers_len = (size_t)(rend - p);
    rec->offset = b->base_offset + od;
    if (b->attributes & BC_BATCH_ATTR_LOG_APPEND_TIME)
        rec->timestamp = b->max_timestamp;
    else
        rec->timestamp = (int64_t)((uint64_t)b->base_timestamp + (uint64_t)tsd);
    it->p = rend;
    it->index++;
    return 1;
}

int bc_record_header_next(const bc_record_t *rec, size_t *pos, bc_header_t *h) {
    const uint8_t *p = rec->headers + *pos;
    const uint8_t *end = rec->headers + rec->headers_len;
    if (p == end) return 0;
    const uint8_t *k, *v;
    int32_t klen, vlen;
    if (get_bytes(&p, end, &k, &klen) < 0 || klen < 0 ||
        get_bytes(&p, end, &v, &vlen) < 0)
        return BC_ERR_CORRUPT;
    h->key = (const char *)k;
    h->key_len = (size_t)klen;
    h->value = v;
    h->value_len = vlen;
    *pos = (size_t)(p - rec->headers);
    return 1;
}

static int record_body_size(const bc_record_in_t *rec, int64_t ts_delta,
                            int32_t offset_delta, size_t *out) {
    if (rec->key_len < -1 || rec->value_len < -1 ||
        rec->header_count > INT32_MAX)
        return -1;
    size_t n = 1 + bc_varlong_size(ts_delta) + bc_varint_size(offset_delta);
    n += bc_varint_size(rec->key_len) + (rec->key_len > 0 ? rec->key_len : 0);
    n += bc_varint_size(rec->value_len) +
         (rec->value_len > 0 ? rec->value_len : 0);
    n += bc_varint_size((int32_t)rec->header_count);
    for (size_t i = 0; i < rec->header_count; i++) {
        const bc_header_t *h = &rec->headers[i];
        if (h->key_len > INT32_MAX || h->value_len < -1) return -1;
        n += bc_varint_size((int32_t)h->key_len) + h->key_len;
        n += bc_varint_size(h->value_len) +
             (h->value_len > 0 ? h->value_len : 0);
    }
    if (n > INT32_MAX - 16) return -1;
    *out = n;
    return 0;
}

size_t bc_batch_record_size(const bc_record_in_t *rec, int64_t ts_delta,
                            int32_t offset_delta) {
    size_t n;
    if (record_body_size(rec, ts_delta, offset_delta, &n) < 0) return SIZE_MAX;
    return n + bc_varint_size((int32_t)n);
}

bc_batch_opts_t bc_batch_opts_default(void) {
    bc_batch_opts_t o;
    o.attributes = 0;
    o.base_timestamp = INT64_MIN;
    o.max_timestamp = INT64_MIN;
    o.last_offset_delta = -1;
    o.producer_id = -1;
    o.producer_epoch = -1;
    o.base_sequence = -1;
    return o;
}

bc_batch_builder_t *bc_batch_builder_new(size_t initial_capacity) {
    bc_batch_builder_t *bb = bc_calloc(1, sizeof(*bb));
    bb->cap = initial_capacity < 256 ? 256 : initial_capacity;
    bb->buf = bc_malloc(bb->cap);
    bc_batch_builder_begin(bb, NULL);
    return bb;
}

void bc_batch_builder_destroy(bc_batch_builder_t *bb) {
    if (!bb) return;
    free(bb->buf);
    free(bb);
}

void bc_batch_builder_begin(bc_batch_builder_t *bb,
                            const bc_batch_opts_t *opts) {
    bb->opts = opts ? *opts : bc_batch_opts_default();
    bb->len = BC_BATCH_HEADER_SIZE;
    bb->base_ts = bb->opts.base_timestamp;
    bb->max_ts = INT64_MIN;
    bb->count = 0;
    bb->last_delta = -1;
}

static void reserve(bc_batch_builder_t *bb, size_t extra) {
    if (bb->len + extra <= bb->cap) return;
    size_t cap = bb->cap;
    while (cap < bb->len + extra)
        cap *= 2;
    bb->buf = bc_realloc(bb->buf, cap);
    bb->cap = cap;
}

static uint8_t *put_bytes(uint8_t *p, const void *data, int32_t len) {
    p += bc_put_varint(p, len);
    if (len > 0) {
        memcpy(p, data, (size_t)len);
        p += len;
    }
    return p;
}

/* Appends rec at offset_delta unless the batch is non-empty and would
 * pass max_size (returns 1). */
static int add_at(bc_batch_builder_t *bb, const bc_record_in_t *rec,
                  int32_t offset_delta, size_t max_size) {
    if (offset_delta <= bb->last_delta || bb->count == INT32_MAX)
        return BC_ERR_INVALID;
    int64_t base_ts = bb->base_ts == INT64_MIN ? rec->timestamp : bb->base_ts;
    int64_t tsd = (int64_t)((uint64_t)rec->timestamp - (uint64_t)base_ts);
    size_t body;
    if (record_body_size(rec, tsd, offset_delta, &body) < 0)
        return BC_ERR_INVALID;
    size_t total = body + bc_varint_size((int32_t)body);
    if (bb->len + total > INT32_MAX) return BC_ERR_INVALID;
    if (bb->count > 0 && bb->len + total > max_size) return 1;
    bb->base_ts = base_ts;
    reserve(bb, total);
    uint8_t *p = bb->buf + bb->len;
    p += bc_put_varint(p, (int32_t)body);
    *p++ = 0;
    p += bc_put_varlong(p, tsd);
    p += bc_put_varint(p, offset_delta);
    p = put_bytes(p, rec->key, rec->key_len);
    p = put_bytes(p, rec->value, rec->value_len);
    p += bc_put_varint(p, (int32_t)rec->header_count);
    for (size_t i = 0; i < rec->header_count; i++) {
        const bc_header_t *h = &rec->headers[i];
        p = put_bytes(p, h->key, (int32_t)h->key_len);
        p = put_bytes(p, h->value, h->value_len);
    }
    BC_ASSERT((size_t)(p - (bb->buf + bb->len)) == total);
    bb->len += total;
    if (rec->timestamp > bb->max_ts) bb->max_ts = rec->timestamp;
    bb->count++;
    bb->last_delta = offset_delta;
    return 0;
}

int bc_batch_builder_add_at(bc_batch_builder_t *bb, const bc_record_in_t *rec,
                            int32_t offset_delta) {
    return add_at(bb, rec, offset_delta, SIZE_MAX);
}

int bc_batch_builder_add_within(bc_batch_builder_t *bb,
                                const bc_record_in_t *rec, size_t max_size) {
    return add_at(bb, rec, bb->last_delta + 1, max_size);
}

int bc_batch_builder_add(bc_batch_builder_t *bb, const bc_record_in_t *rec) {
    return bc_batch_builder_add_at(bb, rec, bb->last_delta + 1);
}

size_t bc_batch_builder_capacity(const bc_batch_builder_t *bb) {
    return bb->cap;
}

size_t bc_batch_builder_size(const bc_batch_builder_t *bb) {
    return bb->len;
}

int32_t bc_batch_builder_count(const bc_batch_builder_t *bb) {
    return bb->count;
}

int64_t bc_batch_builder_base_timestamp(const bc_batch_builder_t *bb) {
    return bb->base_ts;
}

uint8_t *bc_batch_builder_finish(bc_batch_builder_t *bb, size_t *len) {
    uint8_t *h = bb->buf;
    const bc_batch_opts_t *o = &bb->opts;
    int32_t lod = o->last_offset_delta >= 0
                      ? o->last_offset_delta
                      : (bb->last_delta > 0 ? bb->last_delta : 0);
    int64_t base_ts = bb->base_ts == INT64_MIN ? -1 : bb->base_ts;
    int64_t max_ts = o->max_timestamp != INT64_MIN
                         ? o->max_timestamp
                         : (bb->max_ts == INT64_MIN ? -1 : bb->max_ts);
    bc_put_be64(h, 0);
    bc_put_be32(h + 8, (uint32_t)(bb->len - BC_BATCH_LOG_OVERHEAD));
    bc_put_be32(h + 12, (uint32_t)-1);
    h[16] = BC_BATCH_MAGIC;
    bc_put_be16(h + 21, (uint16_t)o->attributes);
    bc_put_be32(h + 23, (uint32_t)lod);
    bc_put_be64(h + 27, (uint64_t)base_ts);
    bc_put_be64(h + 35, (uint64_t)max_ts);
    bc_put_be64(h + 43, (uint64_t)o->producer_id);
    bc_put_be16(h + 51, (uint16_t)o->producer_epoch);
    bc_put_be32(h + 53, (uint32_t)o->base_sequence);
    bc_put_be32(h + 57, (uint32_t)bb->count);
    bc_put_be32(h + 17, bc_crc32c(0, h + 21, bb->len - 21));
    *len = bb->len;
    return bb->buf;
}
