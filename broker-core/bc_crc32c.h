/* SPDX-License-Identifier: Apache-2.0 */
/* bc_crc32c: CRC-32C (Castagnoli), the checksum of Kafka's v2 batches.
 *
 * Reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR
 * 0xFFFFFFFF; crc32c("123456789") = 0xE3069283. Every appended batch is
 * checksummed once and every recovered batch once more, so this is on the
 * hot path: it folds long buffers with AVX-512 carry-less multiplication
 * (VPCLMULQDQ) when the CPU has it, uses the SSE4.2 crc32 instruction in
 * three interleaved streams for the rest, and a slicing-by-8 table on CPUs
 * without either (all give identical results).
 */
#ifndef BC_CRC32C_H
#define BC_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends `crc` (0 to start) over buf[0..len); returns the finished CRC,
 * so bc_crc32c(bc_crc32c(0, a, n), b, m) == crc of a||b. Thread-safe. */
uint32_t bc_crc32c(uint32_t crc, const void *buf, size_t len);

/* Same result, always through the portable table (for tests). */
uint32_t bc_crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif
