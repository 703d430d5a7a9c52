/* SPDX-License-Identifier: Apache-2.0 */
/* bc_group: Java string semantics (hashCode, compareTo) over UTF-8 names
 * and the topic-partition order. See bc_group.h.
 *
 * The decoder walks UTF-8 and yields UTF-16 code units one at a time, so
 * neither the hash nor the comparison allocates. A code point above
 * U+FFFF yields its high then its low surrogate.
 */
#include "broker-core/bc_group.h"

#include <string.h>

/* Iterator over the UTF-16 code units of a UTF-8 byte string. */
typedef struct u16it_s {
    const unsigned char *p;
    const unsigned char *end;
    uint16_t pending; /* low surrogate still to yield, 0 if none */
} u16it_t;

static void u16it_init(u16it_t *it, const char *s, size_t len) {
    it->p = (const unsigned char *)s;
    it->end = it->p + len;
    it->pending = 0;
}

/* Decodes one code point at it->p; malformed input yields U+FFFD and
 * consumes one byte. */
static uint32_t decode_cp(u16it_t *it) {
    const unsigned char *p = it->p;
    size_t left = (size_t)(it->end - p);
    uint32_t c = p[0];
    size_t need;
    uint32_t min;

    if (c < 0x80) {
        it->p++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, min = 0x10000, c &= 0x07;
    } else {
        it->p++;
        return 0xFFFD;
    }
    if (left < need + 1) {
        it->p++;
        return 0xFFFD;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            it->p++;
            return 0xFFFD;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
        it->p++;
        return 0xFFFD;
    }
    it->p += need + 1;
    return c;
}

/* Next UTF-16 code unit into *u; returns 0 at the end of the string. */
static int u16it_next(u16it_t *it, uint16_t *u) {
    uint32_t cp;

    if (it->pending) {
        *u = it->pending;
        it->pending = 0;
        return 1;
    }
    if (it->p >= it->end) return 0;
    cp = decode_cp(it);
    if (cp < 0x10000) {
        *u = (uint16_t)cp;
        return 1;
    }
    cp -= 0x10000;
    *u = (uint16_t)(0xD800 + (cp >> 10));
    it->pending = (uint16_t)(0xDC00 + (cp & 0x3FF));
    return 1;
}

int32_t bc_group_java_hash(const char *s, size_t len) {
    u16it_t it;
    uint16_t u;
    uint32_t h = 0;

    u16it_init(&it, s, len);
    while (u16it_next(&it, &u))
        h = 31u * h + u;
    return (int32_t)h;
}

int32_t bc_group_java_abs(int32_t n) {
    if (n == INT32_MIN) return 0;
    return n < 0 ? -n : n;
}

int bc_group_java_cmp(const char *a, const char *b) {
    u16it_t ia, ib;
    uint16_t ua, ub;
    int ha, hb;

    u16it_init(&ia, a, strlen(a));
    u16it_init(&ib, b, strlen(b));
    for (;;) {
        ha = u16it_next(&ia, &ua);
        hb = u16it_next(&ib, &ub);
        if (!ha || !hb) return ha - hb;
        if (ua != ub) return (int)ua - (int)ub;
    }
}

int bc_group_tp_cmp(const void *a, const void *b) {
    const bc_group_tp_t *x = a, *y = b;
    int c = bc_group_java_cmp(x->topic, y->topic);

    if (c) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}
