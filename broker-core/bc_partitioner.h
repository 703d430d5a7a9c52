/* SPDX-License-Identifier: Apache-2.0 */
/* bc_partitioner: which partition a record goes to, as Kafka's producer
 * decides it.
 *
 * A record with a key goes to toPositive(murmur2(key)) % partitions
 * (bc_murmur2.h), bit-exact with Kafka clients. A record without a key
 * goes, depending on the strategy, to:
 *  - sticky (Kafka's default since 2.4, KIP-480/794): the same partition
 *    until the batch being filled there is complete, i.e. until the next
 *    record would not fit in batch.size bytes; then a random different
 *    partition. The state tracks that batch's exact encoded size, so with
 *    the producer's accumulator every batch of keyless records fills one
 *    partition.
 *  - round-robin (RoundRobinPartitioner): a counter from 0, +1 per record,
 *    toPositive(counter) % partitions.
 * The random choice uses a seeded xorshift generator so tests can replay
 * it. One bc_partitioner_t per topic; not locked: the caller serialises.
 */
#ifndef BC_PARTITIONER_H
#define BC_PARTITIONER_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_batch.h"

#define BC_PARTITIONER_STICKY 0
#define BC_PARTITIONER_ROUNDROBIN 1

typedef struct bc_partitioner_s bc_partitioner_t;

/* A partitioner for a topic of `partitions` (>= 1) partitions; `seed` 0
 * takes one from /dev/urandom. Never NULL. */
bc_partitioner_t *bc_partitioner_new(int strategy, int32_t partitions,
                                     int32_t batch_size, uint64_t seed);
void bc_partitioner_destroy(bc_partitioner_t *pt);

/* Partition for `rec` (key_len >= 0 means it has a key). For keyless
 * sticky records it also advances the sticky batch; *switched_from (may
 * be NULL) is set to the partition that was left (its batch is complete)
 * or -1. */
int32_t bc_partitioner_choose(bc_partitioner_t *pt, const bc_record_in_t *rec,
                              int32_t *switched_from);

/* The current sticky partition (for tests). */
int32_t bc_partitioner_sticky(const bc_partitioner_t *pt);

#endif
