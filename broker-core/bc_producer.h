/* SPDX-License-Identifier: Apache-2.0 */
/* bc_producer: Kafka's producer API over the embedded broker.
 *
 * send(topic, key, value, headers) picks a partition (bc_partitioner.h:
 * murmur2 of the key, else sticky or round-robin), adds the record to
 * that partition's open batch in the accumulator, and appends batches to
 * the partition log (bc_log_append) when they are complete:
 *  - a batch is complete when the next record would not fit in
 *    batch.size (16 KiB) bytes, when the sticky partitioner moves on,
 *    when it has lingered linger.ms (checked on send and bc_producer_poll,
 *    against the now_ms they are given), or on bc_producer_flush;
 *  - complete batches of a partition are appended together, in one
 *    vectored write (bc_log_append_v), once max.request.size (1 MiB)
 *    bytes of them are waiting or the oldest has lingered linger.ms, or
 *    on poll/flush, or at once when a blocking sender waits: one large
 *    write costs the kernel far less than many 16 KiB ones;
 *  - acks=0: send returns at once with offset -1; the batch is appended
 *    later by whichever call completes it (a delivery callback, if set,
 *    reports base offset or error per batch);
 *  - acks=1 / all (one replica: the same): send returns after its record
 *    is appended, and in durable mode fsynced, with its offset. It does
 *    not wait for linger.ms (nothing measures time while it blocks):
 *    records sent by other threads while an append is in flight join the
 *    next batch, so concurrent senders share appends and fsyncs (group
 *    commit).
 * Batches of one partition are appended in the order they were filled.
 *
 * Thread safety: all functions may be called from any number of threads.
 * Locks: none to find a topic (the producer's topic list is append-only),
 * one mutex per topic for its partitioner (skipped for one partition),
 * one mutex + condition variable per partition for its accumulator, one
 * mutex for the pool of batch buffers; none is held across a log append.
 */
#ifndef BC_PRODUCER_H
#define BC_PRODUCER_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_batch.h"
#include "broker-core/bc_broker.h"
#include "broker-core/bc_partitioner.h"

#define BC_ACKS_NONE 0
#define BC_ACKS_LEADER 1
#define BC_ACKS_ALL (-1)

typedef struct bc_producer_s bc_producer_t;

/* Reports one appended (or failed, err < 0) batch. Runs on the thread that
 * appended it, with no producer lock held. */
typedef void (*bc_producer_dr_fn)(void *opaque, const char *topic,
                                  int32_t partition, int64_t base_offset,
                                  int32_t records, int err);

typedef struct bc_producer_conf_s {
    int32_t batch_size;       /* batch.size, 16384 */
    int32_t max_request_size; /* max.request.size, 1048576: bytes of
                                 complete batches appended together */
    int64_t linger_ms;        /* linger.ms, 5 (Kafka 4.0) */
    int64_t buffer_memory;    /* buffer.memory, 33554432: most bytes of
                                 idle batch buffers kept for reuse */
    int acks;                 /* BC_ACKS_ALL (Kafka 3.0+) */
    int partitioner;          /* BC_PARTITIONER_STICKY */
    int durable;              /* fsync before an append counts as done */
    uint64_t seed;            /* sticky choice; 0 = random */
    bc_producer_dr_fn dr_fn;  /* may be NULL */
    void *dr_opaque;
} bc_producer_conf_t;

/* Kafka's producer defaults. */
bc_producer_conf_t bc_producer_conf_default(void);

/* A producer writing into broker `b` (borrowed; must outlive it). conf
 * may be NULL. Returns NULL and errstr for a bad conf (batch.size < 1,
 * negative buffer.memory or linger.ms, acks not 0/1/-1). */
bc_producer_t *bc_producer_new(bc_broker_t *b, const bc_producer_conf_t *conf,
                               char *errstr, size_t errstr_size);

/* Flushes what is pending (with the latest now_ms seen) and frees. NULL
 * is a no-op. No send may be in progress. */
void bc_producer_destroy(bc_producer_t *p);

/* Sends one record to `topic` (partition -1 = let the partitioner choose).
 * rec->timestamp < 0 means now_ms. The record is copied. On success
 * *partition and *offset (either may be NULL) are set; *offset is -1 with
 * acks=0. Returns 0, BC_ERR_NOT_FOUND (unknown topic or partition),
 * BC_ERR_TOO_LARGE (over the topic's max.message.bytes), BC_ERR_INVALID,
 * or the append's error (acks 1/all). */
int bc_producer_send(bc_producer_t *p, const char *topic, int32_t partition,
                     const bc_record_in_t *rec, int64_t now_ms,
                     int32_t *partition_out, int64_t *offset, char *errstr,
                     size_t errstr_size);

/* Appends batches that have lingered linger.ms by now_ms. Returns the
 * number of batches appended, or the first append error. */
int bc_producer_poll(bc_producer_t *p, int64_t now_ms);

/* Appends every pending batch and waits until those being appended by
 * other threads are done. Returns 0 or the first error any batch met
 * since the last flush. */
int bc_producer_flush(bc_producer_t *p, int64_t now_ms, char *errstr,
                      size_t errstr_size);

#endif
