/* SPDX-License-Identifier: Apache-2.0 */
/* bc_crc32c: see bc_crc32c.h. The table is built once, on first use, under
 * pthread_once; the hardware path is chosen by a CPU feature test. */
#include "broker-core/bc_crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

/* x^e modulo the polynomial. Square-and-multiply over x^(2^k). */
static uint32_t xpow(uint64_t e) {
    uint32_t p = (uint32_t)1 << 31;  /* x^0 */
    uint32_t sq = (uint32_t)1 << 30; /* x^1 */
    while (e) {
        if (e & 1) p = multmodp(sq, p);
        sq = multmodp(sq, sq);
        e >>= 1;
    }
    return p;
}

/* x^(8 * n): the operator that appends n zero bytes to a CRC register. */
static uint32_t xpow8n(size_t n) {
    return xpow((uint64_t)n * 8);
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

/* Folding with carry-less multiplication (AVX-512 VPCLMULQDQ), for long
 * buffers on CPUs that have it: 16 lanes of 16 bytes run 256 bytes
 * ahead per step, each lane's 128 bits carried forward by D bits as
 * hi64 * (x^(D+31) mod P) + lo64 * (x^(D-33) mod P) (reflected order; the
 * extra x^33 is where a 32-bit constant and a carry-less product of
 * reflected operands put the result). What remains is one 128-bit value
 * congruent to everything folded, whose CRC the crc32 instruction takes,
 * then the tail continues on the 3-stream path. */
#define FOLD_MIN 1024
static int have_fold;
static uint64_t fold_k[4][2]; /* D = 2048, 1536, 1024, 512 bits */
static uint64_t lane_k[3][2]; /* D = 384, 256, 128 bits */

static void fold_pair(uint64_t k[2], uint64_t d) {
    k[0] = xpow(d + 31);
    k[1] = xpow(d - 33);
}

static void fold_tables(void) {
    for (int i = 0; i < 4; i++)
        fold_pair(fold_k[i], 2048 - 512 * (uint64_t)i);
    for (int i = 0; i < 3; i++)
        fold_pair(lane_k[i], 384 - 128 * (uint64_t)i);
}

__attribute__((target("avx512f,vpclmulqdq"))) static __m512i
fold512(__m512i x, __m512i k, __m512i next) {
    __m512i lo = _mm512_clmulepi64_epi128(x, k, 0x00);
    __m512i hi = _mm512_clmulepi64_epi128(x, k, 0x11);
    return _mm512_ternarylogic_epi64(lo, hi, next, 0x96);
}

__attribute__((target("pclmul,sse4.1"))) static __m128i
fold128(__m128i x, const uint64_t k[2], __m128i next) {
    __m128i kk = _mm_set_epi64x((long long)k[1], (long long)k[0]);
    __m128i lo = _mm_clmulepi64_si128(x, kk, 0x00);
    __m128i hi = _mm_clmulepi64_si128(x, kk, 0x11);
    return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/* Folds len (>= FOLD_MIN) bytes from p; returns the CRC register after
 * the first (len / 256) * 256 bytes and sets *used to that count. */
__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2"))) static uint32_t
fold_update(uint32_t c, const uint8_t *p, size_t len, size_t *used) {
    __m512i x0 = _mm512_loadu_si512((const void *)p);
    __m512i x1 = _mm512_loadu_si512((const void *)(p + 64));
    __m512i x2 = _mm512_loadu_si512((const void *)(p + 128));
    __m512i x3 = _mm512_loadu_si512((const void *)(p + 192));
    x0 =
        _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)c)));
    __m512i k = _mm512_broadcast_i32x4(
        _mm_set_epi64x((long long)fold_k[0][1], (long long)fold_k[0][0]));
    size_t n = 256;
    for (; n + 256 <= len; n += 256) {
        const uint8_t *q = p + n;
        x0 = fold512(x0, k, _mm512_loadu_si512((const void *)q));
        x1 = fold512(x1, k, _mm512_loadu_si512((const void *)(q + 64)));
        x2 = fold512(x2, k, _mm512_loadu_si512((const void *)(q + 128)));
        x3 = fold512(x3, k, _mm512_loadu_si512((const void *)(q + 192)));
    }
    /* x0..x2 forward onto x3 (192, 128, 64 bytes). */
    __m512i k1 = _mm512_broadcast_i32x4(
        _mm_set_epi64x((long long)fold_k[1][1], (long long)fold_k[1][0]));
    __m512i k2 = _mm512_broadcast_i32x4(
        _mm_set_epi64x((long long)fold_k[2][1], (long long)fold_k[2][0]));
    __m512i k3 = _mm512_broadcast_i32x4(
        _mm_set_epi64x((long long)fold_k[3][1], (long long)fold_k[3][0]));
    __m512i z = _mm512_setzero_si512();
    __m512i acc = x3;
    acc = _mm512_xor_si512(acc, fold512(x0, k1, z));
    acc = _mm512_xor_si512(acc, fold512(x1, k2, z));
    acc = _mm512_xor_si512(acc, fold512(x2, k3, z));
    /* Lanes 0..2 forward onto lane 3 (48, 32, 16 bytes). */
    __m128i a = _mm512_extracti32x4_epi32(acc, 3);
    a = fold128(_mm512_extracti32x4_epi32(acc, 0), lane_k[0], a);
    a = fold128(_mm512_extracti32x4_epi32(acc, 1), lane_k[1], a);
    a = fold128(_mm512_extracti32x4_epi32(acc, 2), lane_k[2], a);
    uint64_t r = __builtin_ia32_crc32di(0, (uint64_t)_mm_cvtsi128_si64(a));
    r = __builtin_ia32_crc32di(r, (uint64_t)_mm_extract_epi64(a, 1));
    *used = n;
    return (uint32_t)r;
}

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
        have_fold = __builtin_cpu_supports("avx512f") &&
                    __builtin_cpu_supports("vpclmulqdq") &&
                    __builtin_cpu_supports("pclmul");
        if (have_fold) fold_tables();
    }
#endif
}

uint32_t bc_crc32c(uint32_t crc, const void *buf, size_t len) {
    pthread_once(&table_once, table_init);
    uint32_t c = ~crc;
#if defined(__x86_64__) && defined(__GNUC__)
    if (have_hw) {
        if (have_fold && len >= FOLD_MIN) {
            size_t used;
            c = fold_update(c, buf, len, &used);
            buf = (const uint8_t *)buf + used;
            len -= used;
        }
        return ~hw_update(c, buf, len);
    }
#endif
    return ~sw_update(c, buf, len);
}

uint32_t bc_crc32c_sw(uint32_t crc, const void *buf, size_t len) {
    pthread_once(&table_once, table_init);
    return ~sw_update(~crc, buf, len);
}
