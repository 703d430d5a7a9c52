/* SPDX-License-Identifier: Apache-2.0 */
/* bc_wire: Kafka protocol primitives (see bc_wire.h). The reader's sticky
 * error keeps decoders linear: they read everything and check once. */
#include "broker-core/bc_wire.h"

#include <string.h>

#include "broker-core/bc_mem.h"

void bc_wire_rd_init(bc_wire_rd_t *rd, const uint8_t *buf, size_t len) {
    memset(rd, 0, sizeof(*rd));
    rd->base = buf;
    rd->p = buf;
    rd->end = buf + len;
}

void bc_wire_rd_fail(bc_wire_rd_t *rd, const char *what) {
    if (rd->err) return;
    rd->err = 1;
    rd->err_off = (size_t)(rd->p - rd->base);
    rd->err_what = what;
    rd->p = rd->end;
}

static const uint8_t *take(bc_wire_rd_t *rd, size_t n, const char *what) {
    if (rd->err) return NULL;
    if ((size_t)(rd->end - rd->p) < n) {
        bc_wire_rd_fail(rd, what);
        return NULL;
    }
    const uint8_t *p = rd->p;
    rd->p += n;
    return p;
}

int8_t bc_wire_rd_i8(bc_wire_rd_t *rd) {
    const uint8_t *p = take(rd, 1, "short int8");
    return p ? (int8_t)p[0] : 0;
}
int16_t bc_wire_rd_i16(bc_wire_rd_t *rd) {
    const uint8_t *p = take(rd, 2, "short int16");
    return p ? (int16_t)bc_get_be16(p) : 0;
}
int32_t bc_wire_rd_i32(bc_wire_rd_t *rd) {
    const uint8_t *p = take(rd, 4, "short int32");
    return p ? (int32_t)bc_get_be32(p) : 0;
}
int64_t bc_wire_rd_i64(bc_wire_rd_t *rd) {
    const uint8_t *p = take(rd, 8, "short int64");
    return p ? (int64_t)bc_get_be64(p) : 0;
}

uint32_t bc_wire_rd_uvarint(bc_wire_rd_t *rd) {
    uint32_t v = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        const uint8_t *p = take(rd, 1, "short varint");
        if (!p) return 0;
        v |= (uint32_t)(*p & 0x7f) << shift;
        if (!(*p & 0x80)) return v;
    }
    bc_wire_rd_fail(rd, "varint longer than 5 bytes");
    return 0;
}

/* Length of a string/bytes/array: -1 null, else >= 0; fails on < -1. */
static int64_t rd_len(bc_wire_rd_t *rd, int width) {
    if (rd->flex) return (int64_t)bc_wire_rd_uvarint(rd) - 1;
    int64_t n = width == 2 ? bc_wire_rd_i16(rd) : bc_wire_rd_i32(rd);
    if (n < -1) {
        bc_wire_rd_fail(rd, "negative length");
        return 0;
    }
    return n;
}

const char *bc_wire_rd_str(bc_wire_rd_t *rd, int nullable, int32_t *len) {
    int64_t n = rd_len(rd, 2);
    *len = -1;
    if (rd->err) return NULL;
    if (n < 0) {
        if (!nullable) bc_wire_rd_fail(rd, "null string");
        return NULL;
    }
    const uint8_t *p = take(rd, (size_t)n, "string past end of frame");
    if (!p) return NULL;
    *len = (int32_t)n;
    return (const char *)p;
}

const uint8_t *bc_wire_rd_bytes(bc_wire_rd_t *rd, int nullable, int32_t *len) {
    int64_t n = rd_len(rd, 4);
    *len = -1;
    if (rd->err) return NULL;
    if (n < 0) {
        if (!nullable) bc_wire_rd_fail(rd, "null bytes");
        return NULL;
    }
    const uint8_t *p = take(rd, (size_t)n, "bytes past end of frame");
    if (!p) return NULL;
    *len = (int32_t)n;
    return p;
}

int32_t bc_wire_rd_array(bc_wire_rd_t *rd, int nullable, size_t min_elem_size) {
    const uint8_t *at = rd->p;
    int64_t n = rd_len(rd, 4);
    if (rd->err) return 0;
    if (n < 0) {
        /* the count is read: what follows starts after it */
        if (!nullable) {
            rd->p = at;
            bc_wire_rd_fail(rd, "null array");
        }
        return nullable ? -1 : 0;
    }
    if (min_elem_size == 0) min_elem_size = 1;
    if ((uint64_t)n > (uint64_t)(rd->end - rd->p) / min_elem_size) {
        rd->p = at;
        bc_wire_rd_fail(rd, "array count larger than the frame");
        return 0;
    }
    return (int32_t)n;
}

void bc_wire_rd_tags(bc_wire_rd_t *rd) {
    if (!rd->flex) return;
    uint32_t n = bc_wire_rd_uvarint(rd);
    for (uint32_t i = 0; i < n && !rd->err; i++) {
        (void)bc_wire_rd_uvarint(rd);
        uint32_t size = bc_wire_rd_uvarint(rd);
        (void)take(rd, size, "tagged field past end of frame");
    }
}

void bc_wire_wr_init(bc_wire_wr_t *w, size_t initial_capacity) {
    memset(w, 0, sizeof(*w));
    w->cap = initial_capacity ? initial_capacity : 256;
    w->buf = bc_malloc(w->cap);
}

void bc_wire_wr_reset(bc_wire_wr_t *w) {
    w->len = 0;
    w->flex = 0;
}

void bc_wire_wr_free(bc_wire_wr_t *w) {
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

uint8_t *bc_wire_wr_room(bc_wire_wr_t *w, size_t n) {
    if (w->cap - w->len < n) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap - w->len < n)
            cap *= 2;
        w->buf = bc_realloc(w->buf, cap);
        w->cap = cap;
    }
    return w->buf + w->len;
}

void bc_wire_wr_i8(bc_wire_wr_t *w, int8_t v) {
    *bc_wire_wr_room(w, 1) = (uint8_t)v;
    w->len += 1;
}
void bc_wire_wr_i16(bc_wire_wr_t *w, int16_t v) {
    bc_put_be16(bc_wire_wr_room(w, 2), (uint16_t)v);
    w->len += 2;
}
void bc_wire_wr_i32(bc_wire_wr_t *w, int32_t v) {
    bc_put_be32(bc_wire_wr_room(w, 4), (uint32_t)v);
    w->len += 4;
}
void bc_wire_wr_i64(bc_wire_wr_t *w, int64_t v) {
    bc_put_be64(bc_wire_wr_room(w, 8), (uint64_t)v);
    w->len += 8;
}
void bc_wire_wr_uvarint(bc_wire_wr_t *w, uint32_t v) {
    uint8_t *p = bc_wire_wr_room(w, 5);
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    w->len += n;
}
void bc_wire_wr_raw(bc_wire_wr_t *w, const void *p, size_t n) {
    if (n == 0) return;
    memcpy(bc_wire_wr_room(w, n), p, n);
    w->len += n;
}

static void wr_len(bc_wire_wr_t *w, int64_t n, int width) {
    if (w->flex)
        bc_wire_wr_uvarint(w, (uint32_t)(n + 1));
    else if (width == 2)
        bc_wire_wr_i16(w, (int16_t)n);
    else
        bc_wire_wr_i32(w, (int32_t)n);
}

void bc_wire_wr_strn(bc_wire_wr_t *w, const char *s, int32_t len) {
    if (!s) {
        wr_len(w, -1, 2);
        return;
    }
    size_t n = len < 0 ? strlen(s) : (size_t)len;
    if (n > INT16_MAX) n = INT16_MAX;
    wr_len(w, (int64_t)n, 2);
    bc_wire_wr_raw(w, s, n);
}
void bc_wire_wr_str(bc_wire_wr_t *w, const char *s) {
    bc_wire_wr_strn(w, s, -1);
}
void bc_wire_wr_bytes(bc_wire_wr_t *w, const void *p, int32_t len) {
    if (!p && len < 0) {
        wr_len(w, -1, 4);
        return;
    }
    wr_len(w, len < 0 ? 0 : len, 4);
    if (len > 0) bc_wire_wr_raw(w, p, (size_t)len);
}
void bc_wire_wr_array(bc_wire_wr_t *w, int32_t n) {
    wr_len(w, n, 4);
}
void bc_wire_wr_tags(bc_wire_wr_t *w) {
    if (w->flex) bc_wire_wr_uvarint(w, 0);
}
void bc_wire_wr_patch_i32(bc_wire_wr_t *w, size_t pos, int32_t v) {
    BC_ASSERT(pos + 4 <= w->len);
    bc_put_be32(w->buf + pos, (uint32_t)v);
}
