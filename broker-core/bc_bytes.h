/* SPDX-License-Identifier: Apache-2.0 */
/* bc_bytes: big-endian loads/stores and Kafka's zigzag varints.
 *
 * Every multi-byte integer in Kafka's files is big-endian; lengths inside
 * records are zigzag LEB128 varints (protobuf sint32/sint64). These are
 * static inline because they sit in the innermost loops of encoding,
 * decoding and index search. Decoders take an end pointer and never read
 * past it.
 */
#ifndef BC_BYTES_H
#define BC_BYTES_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t bc_get_be16(const uint8_t *p) {
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t bc_get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}
static inline uint64_t bc_get_be64(const uint8_t *p) {
    return (uint64_t)bc_get_be32(p) << 32 | bc_get_be32(p + 4);
}
static inline void bc_put_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void bc_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void bc_put_be64(uint8_t *p, uint64_t v) {
    bc_put_be32(p, (uint32_t)(v >> 32));
    bc_put_be32(p + 4, (uint32_t)v);
}

/* Bytes the zigzag varint of v takes (1..5). */
static inline size_t bc_varint_size(int32_t v) {
    uint32_t u = ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        n++;
    }
    return n;
}
/* Bytes the zigzag varlong of v takes (1..10). */
static inline size_t bc_varlong_size(int64_t v) {
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        n++;
    }
    return n;
}
/* Writes the zigzag varint of v at p; returns bytes written. */
static inline size_t bc_put_varint(uint8_t *p, int32_t v) {
    uint32_t u = ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}
static inline size_t bc_put_varlong(uint8_t *p, int64_t v) {
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}
/* Reads a zigzag varint from [*pp, end); advances *pp. Returns 0, or -1
 * when it runs past end or is longer than 5 bytes. */
static inline int bc_get_varint(const uint8_t **pp, const uint8_t *end,
                                int32_t *out) {
    const uint8_t *p = *pp;
    uint32_t u = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        u |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int32_t)((u >> 1) ^ (~(u & 1) + 1));
            *pp = p;
            return 0;
        }
    }
    return -1;
}
static inline int bc_get_varlong(const uint8_t **pp, const uint8_t *end,
                                 int64_t *out) {
    const uint8_t *p = *pp;
    uint64_t u = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        u |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
            *pp = p;
            return 0;
        }
    }
    return -1;
}

#endif
