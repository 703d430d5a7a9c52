/* SPDX-License-Identifier: Apache-2.0 */
/* bc_murmur2: Kafka's murmur2 hash and its key-to-partition rule.
 *
 * Bit-exact with org.apache.kafka.common.utils.Utils.murmur2 (seed
 * 0x9747b28c, little-endian 4-byte blocks, logical shifts), so a key lands
 * on the same partition as with any Kafka client:
 * partition = toPositive(murmur2(key)) % partitions, where toPositive
 * clears the sign bit (it is not abs). Pure functions, thread-safe.
 */
#ifndef BC_MURMUR2_H
#define BC_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

/* murmur2 of buf[0..len) as Kafka returns it (a signed 32-bit int). */
int32_t bc_murmur2(const void *buf, size_t len);

/* x & 0x7fffffff: Kafka's Utils.toPositive. */
int32_t bc_murmur2_to_positive(int32_t x);

/* The partition Kafka's default partitioner gives a non-null key among
 * `partitions` (> 0) partitions; -1 if partitions <= 0. */
int32_t bc_murmur2_partition(const void *key, size_t len, int32_t partitions);

#endif
