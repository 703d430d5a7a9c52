/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kpid: idempotent-producer state of the Kafka listener, per
 * (topic, partition, producer id), as Kafka's ProducerStateManager keeps
 * it for its log.
 *
 * A client with enable.idempotence gets a producer id and epoch from
 * InitProducerId and numbers its batches per partition: baseSequence in
 * the batch header, the last one baseSequence + lastOffsetDelta (wrapping
 * at INT32_MAX to 0). When a connection drops before the answer, the
 * client sends the same batch again; this table tells such a retry from
 * new data so it is not appended twice:
 *
 *   - the batch's (first, last) sequence equals one of the last five
 *     appended for that producer and partition (Kafka's
 *     NUM_BATCHES_TO_RETAIN) with the same epoch: a duplicate, answered
 *     with the base offset it was given the first time;
 *   - a newer epoch must start at sequence 0 (a re-initialised producer);
 *     an older epoch is INVALID_PRODUCER_EPOCH;
 *   - otherwise the first sequence must follow the last appended one,
 *     else OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - a producer without state (never seen, or evicted, or last appended
 *     before the segments bc_kpid_load reads) may start at any sequence,
 *     as Kafka accepts a producer whose state was removed.
 *
 * The table lives in memory and is rebuilt when the listener starts:
 * bc_kpid_load replays the batch headers of each partition's last
 * BC_KPID_LOAD_SEGMENTS segments (Kafka rebuilds from its last two
 * segments when it has no .snapshot), which hold every batch a producer
 * can still be resending, so a retry that reaches a restarted broker is
 * still a duplicate and a gap still out of order.
 *
 * Producer ids never repeat across restarts: they are handed out from
 * blocks of BC_KPID_ID_BLOCK ids whose end is written (temp file, fsync,
 * rename) to `<data dir>/producer-id-block` before the first id of the
 * block is used, as Kafka persists its latest producer id block, and are
 * also above every id found by bc_kpid_load. The file is text:
 *
 *   LINE  CONTENT
 *   1     format version, "0"
 *   2     block end: every id handed out so far is below it (decimal)
 *
 * The table holds at most `max_entries` (topic, partition, producer)
 * entries and forgets the least recently used beyond that.
 *
 * Threads: none; the listener's loop thread owns it.
 */
#ifndef BC_KPID_H
#define BC_KPID_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_log.h"

typedef struct bc_kpid_s bc_kpid_t;

/* Kafka's NUM_BATCHES_TO_RETAIN. */
#define BC_KPID_RETAIN 5

/* bc_kpid_check's answer for a batch that was appended before. */
#define BC_KPID_DUPLICATE 1

/* New empty table (max_entries 0 = 100000). Never NULL. */
bc_kpid_t *bc_kpid_new(size_t max_entries);

/* Frees the table; NULL is fine. */
void bc_kpid_destroy(bc_kpid_t *kp);

/* Checks one batch of producer `pid` (>= 0) before it is appended.
 * Returns 0 (append it), BC_KPID_DUPLICATE (do not; *dup_base is the base
 * offset it got the first time) or a positive Kafka error code
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH). */
int bc_kpid_check(bc_kpid_t *kp, const char *topic, int32_t partition,
                  int64_t pid, int16_t epoch, int32_t first_seq,
                  int32_t last_offset_delta, int64_t *dup_base);

/* Records a batch appended at base_offset (after bc_kpid_check said 0). */
void bc_kpid_appended(bc_kpid_t *kp, const char *topic, int32_t partition,
                      int64_t pid, int16_t epoch, int32_t first_seq,
                      int32_t last_offset_delta, int64_t base_offset);

/* Forgets every producer of `topic` (deleted topic). */
void bc_kpid_forget_topic(bc_kpid_t *kp, const char *topic);

/* Segments per partition that bc_kpid_load reads (Kafka's two). */
#define BC_KPID_LOAD_SEGMENTS 2
/* Producer ids per persisted block. */
#define BC_KPID_ID_BLOCK 1000

/* Replays the idempotent batch headers (producer id >= 0, not control)
 * of the last BC_KPID_LOAD_SEGMENTS segments of `log` into the table as
 * bc_kpid_appended would, and raises the next producer id above every id
 * seen. Adds the count of batches replayed to *batches (may be NULL).
 * Returns 0 or BC_ERR_IO / BC_ERR_CORRUPT (what was read stays). */
int bc_kpid_load(bc_kpid_t *kp, const char *topic, int32_t partition,
                 bc_log_t *log, size_t *batches);

/* Reads `<data_dir>/producer-id-block` (missing: none handed out yet) and
 * makes the next id at least max(floor, its block end). The table keeps
 * a copy of data_dir. Returns 0 or BC_ERR_IO / BC_ERR_CORRUPT with
 * errstr. */
int bc_kpid_ids_open(bc_kpid_t *kp, const char *data_dir, int64_t floor,
                     char *errstr, size_t errstr_size);

/* Hands out the next producer id into *pid, first persisting a new block
 * end when the current block is used up (fsync on the caller's thread,
 * once per BC_KPID_ID_BLOCK ids). Without bc_kpid_ids_open ids are only
 * unique within this table. Returns 0 or BC_ERR_IO with errstr (no id). */
int bc_kpid_new_id(bc_kpid_t *kp, int64_t *pid, char *errstr,
                   size_t errstr_size);

/* Number of entries held. */
size_t bc_kpid_count(const bc_kpid_t *kp);

#endif
