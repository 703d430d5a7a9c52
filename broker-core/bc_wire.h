/* SPDX-License-Identifier: Apache-2.0 */
/* bc_wire: bounds-checked reader and growable writer of Kafka's protocol
 * primitives.
 *
 * Every Kafka request and response body is a sequence of these fields,
 * all integers big-endian:
 *
 *   TYPE              ENCODING
 *   int8/16/32/64     1/2/4/8 bytes, two's complement
 *   bool              int8, 0 or 1
 *   string            int16 length N (>= 0), N UTF-8 bytes
 *   nullable string   int16 length, -1 = null
 *   bytes             int32 length N, N bytes (-1 = null when nullable)
 *   array             int32 count N (-1 = null), N elements
 *   compact string    unsigned varint N+1 (0 = null), N bytes
 *   compact bytes     unsigned varint N+1 (0 = null), N bytes
 *   compact array     unsigned varint N+1 (0 = null), N elements
 *   tagged fields     unsigned varint count, then per field: varint tag,
 *                     varint size, size bytes
 *
 * "Flexible" versions (KIP-482) use the compact forms and end every
 * structure with tagged fields; a reader or writer carries a `flex` flag
 * and the same call reads or writes the right form, so one decoder walks
 * every version of a message. Tagged fields read are skipped (none that
 * Warren serves changes the meaning of a request).
 *
 * The reader never reads past its end: the first short or invalid field
 * sets `err` and remembers its byte offset, and every later call returns
 * zero/NULL, so a decoder checks once at the end. Lengths are checked
 * against the bytes left before anything is allocated. Pure; one owner.
 */
#ifndef BC_WIRE_H
#define BC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_bytes.h"

typedef struct bc_wire_rd_s {
    const uint8_t *base; /* start of the frame, for error offsets */
    const uint8_t *p;
    const uint8_t *end;
    int flex;             /* compact forms + tagged fields */
    int err;              /* 0, or set at the first bad field */
    size_t err_off;       /* byte offset of that field from base */
    const char *err_what; /* static description of the failure */
} bc_wire_rd_t;

/* A writer: a malloc'd buffer that grows as needed (aborts on OOM). */
typedef struct bc_wire_wr_s {
    uint8_t *buf;
    size_t len;
    size_t cap;
    int flex;
} bc_wire_wr_t;

/* Starts reading buf[0..len). */
void bc_wire_rd_init(bc_wire_rd_t *rd, const uint8_t *buf, size_t len);

/* Marks the reader failed at the current position (first failure wins). */
void bc_wire_rd_fail(bc_wire_rd_t *rd, const char *what);

/* Bytes left. */
static inline size_t bc_wire_rd_left(const bc_wire_rd_t *rd) {
    return rd->err ? 0 : (size_t)(rd->end - rd->p);
}

int8_t bc_wire_rd_i8(bc_wire_rd_t *rd);
int16_t bc_wire_rd_i16(bc_wire_rd_t *rd);
int32_t bc_wire_rd_i32(bc_wire_rd_t *rd);
int64_t bc_wire_rd_i64(bc_wire_rd_t *rd);
/* Unsigned LEB128 varint (compact lengths, tags); at most 5 bytes. */
uint32_t bc_wire_rd_uvarint(bc_wire_rd_t *rd);

/* A (nullable) string: pointer into the buffer and *len, NULL with *len
 * -1 for null. A null where `nullable` is 0 fails the reader. */
const char *bc_wire_rd_str(bc_wire_rd_t *rd, int nullable, int32_t *len);

/* Bytes field (int32 length, or compact): pointer into the buffer, *len
 * -1 and NULL for null (fails unless nullable). */
const uint8_t *bc_wire_rd_bytes(bc_wire_rd_t *rd, int nullable, int32_t *len);

/* Array count: -1 for null (fails unless nullable). Fails when the count
 * exceeds the bytes left divided by min_elem_size (each element needs at
 * least that many bytes), so callers can allocate count elements. */
int32_t bc_wire_rd_array(bc_wire_rd_t *rd, int nullable, size_t min_elem_size);

/* Skips the tagged-field section (no-op unless flex). */
void bc_wire_rd_tags(bc_wire_rd_t *rd);

/* Writer. init starts empty; reset keeps the buffer; free releases it. */
void bc_wire_wr_init(bc_wire_wr_t *w, size_t initial_capacity);
void bc_wire_wr_reset(bc_wire_wr_t *w);
void bc_wire_wr_free(bc_wire_wr_t *w);
/* Makes room for n more bytes; returns the write position. */
uint8_t *bc_wire_wr_room(bc_wire_wr_t *w, size_t n);

void bc_wire_wr_i8(bc_wire_wr_t *w, int8_t v);
void bc_wire_wr_i16(bc_wire_wr_t *w, int16_t v);
void bc_wire_wr_i32(bc_wire_wr_t *w, int32_t v);
void bc_wire_wr_i64(bc_wire_wr_t *w, int64_t v);
void bc_wire_wr_uvarint(bc_wire_wr_t *w, uint32_t v);
void bc_wire_wr_raw(bc_wire_wr_t *w, const void *p, size_t n);
/* A string of len bytes (len < 0: strlen); s NULL writes null. */
void bc_wire_wr_strn(bc_wire_wr_t *w, const char *s, int32_t len);
void bc_wire_wr_str(bc_wire_wr_t *w, const char *s);
/* Bytes field; p NULL with len -1 writes null. */
void bc_wire_wr_bytes(bc_wire_wr_t *w, const void *p, int32_t len);
/* Array count (-1 = null). */
void bc_wire_wr_array(bc_wire_wr_t *w, int32_t n);
/* An empty tagged-field section (no-op unless flex). */
void bc_wire_wr_tags(bc_wire_wr_t *w);
/* Overwrites 4 bytes at position pos with v (for lengths and counts
 * known only later). */
void bc_wire_wr_patch_i32(bc_wire_wr_t *w, size_t pos, int32_t v);

#endif
