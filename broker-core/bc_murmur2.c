/* SPDX-License-Identifier: Apache-2.0 */
/* bc_murmur2: see bc_murmur2.h. All arithmetic is uint32_t so overflow
 * wraps as Java's int does; bytes are assembled explicitly, so the result
 * does not depend on the host's endianness. */
#include "broker-core/bc_murmur2.h"

int32_t bc_murmur2(const void *buf, size_t len) {
    const uint8_t *d = buf;
    const uint32_t seed = 0x9747b28cu, m = 0x5bd1e995u;
    const int r = 24;
    uint32_t h = seed ^ (uint32_t)len;
    size_t n4 = len / 4;

    for (size_t i = 0; i < n4; i++) {
        const uint8_t *b = d + 4 * i;
        uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *t = d + (len & ~(size_t)3);
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)t[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)t[1] << 8;
        /* fall through */
    case 1:
        h ^= t[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t bc_murmur2_to_positive(int32_t x) {
    return (int32_t)((uint32_t)x & 0x7fffffffu);
}

int32_t bc_murmur2_partition(const void *key, size_t len, int32_t partitions) {
    if (partitions <= 0) return -1;
    return bc_murmur2_to_positive(bc_murmur2(key, len)) % partitions;
}
