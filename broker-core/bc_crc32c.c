/* bc_crc32c: see bc_crc32c.h. The table is built once, on first use, under
 * pthread_once; the hardware path is chosen by a CPU feature test. */
#include "broker-core/bc_crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int have_hw;

static uint32_t sw_update(uint32_t c, const uint8_t *p, size_t len) {
    while (len && ((uintptr_t)p & 7)) {
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        len--;
    }
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= c;
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
            table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
            table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
            table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Multiplies a and b modulo the CRC polynomial (reflected bit order). */
static uint32_t multmodp(uint32_t a, uint32_t b) {
    uint32_t m = (uint32_t)1 << 31, p = 0;
    for (;;) {
        if (a & m) {
            p ^= b;
            if ((a & (m - 1)) == 0) break;
        }
        m >>= 1;
        b = (b & 1) ? (b >> 1) ^ POLY : b >> 1;
    }
    return p;
}

/* x^(8 * n) modulo the polynomial: the operator that appends n zero bytes
 * to a CRC register. Square-and-multiply over x^(2^k). */
static uint32_t xpow8n(size_t n) {
    uint32_t p = (uint32_t)1 << 31;  /* x^0 */
    uint32_t sq = (uint32_t)1 << 30; /* x^1 */
    uint64_t e = (uint64_t)n * 8;
    while (e) {
        if (e & 1) p = multmodp(sq, p);
        sq = multmodp(sq, sq);
        e >>= 1;
    }
    return p;
}

/* Three streams of LONG (then SHORT) bytes run interleaved so the crc32
 * instruction's 3-cycle latency is hidden; the partial CRCs are joined by
 * "append n zero bytes" operators kept as byte tables. */
#define LONG_BLK 4096
#define SHORT_BLK 256
static uint32_t shift_long[4][256], shift_short[4][256];

static void shift_tables(uint32_t t[4][256], size_t n) {
    uint32_t op = xpow8n(n);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++)
            t[k][b] = multmodp(op, b << (8 * k));
}

static uint32_t shift(uint32_t t[4][256], uint32_t c) {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^
           t[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t
hw_update(uint32_t c, const uint8_t *p, size_t len) {
    uint64_t c0 = c;
    while (len && ((uintptr_t)p & 7)) {
        c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
        len--;
    }
    size_t blks[2] = {LONG_BLK, SHORT_BLK};
    for (int s = 0; s < 2; s++) {
        size_t blk = blks[s];
        while (len >= 3 * blk) {
            uint64_t c1 = 0, c2 = 0;
            for (size_t i = 0; i < blk; i += 8) {
                uint64_t v0, v1, v2;
                memcpy(&v0, p + i, 8);
                memcpy(&v1, p + blk + i, 8);
                memcpy(&v2, p + 2 * blk + i, 8);
                c0 = __builtin_ia32_crc32di(c0, v0);
                c1 = __builtin_ia32_crc32di(c1, v1);
                c2 = __builtin_ia32_crc32di(c2, v2);
            }
            uint32_t(*t)[256] = s == 0 ? shift_long : shift_short;
            c0 = shift(t, (uint32_t)c0) ^ (uint32_t)c1;
            c0 = shift(t, (uint32_t)c0) ^ (uint32_t)c2;
            p += 3 * blk;
            len -= 3 * blk;
        }
    }
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c0 = __builtin_ia32_crc32di(c0, v);
        p += 8;
        len -= 8;
    }
    while (len--)
        c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
    return (uint32_t)c0;
}
#endif

static void table_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = table[0][n];
        for (int k = 1; k < 8; k++) {
            c = table[0][c & 0xff] ^ (c >> 8);
            table[k][n] = c;
        }
    }
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    have_hw = __builtin_cpu_supports("sse4.2");
    if (have_hw) {
        shift_tables(shift_long, LONG_BLK);
        shift_tables(shift_short, SHORT_BLK);
    }
#endif
}

uint32_t bc_crc32c(uint32_t crc, const void *buf, size_t len) {
    pthread_once(&table_once, table_init);
    uint32_t c = ~crc;
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_hw) return ~hw_update(c, buf, len);
#endif
    return ~sw_update(c, buf, len);
}

uint32_t bc_crc32c_sw(uint32_t crc, const void *buf, size_t len) {
    pthread_once(&table_once, table_init);
    return ~sw_update(~crc, buf, len);
}
