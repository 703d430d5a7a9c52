/* SPDX-License-Identifier: Apache-2.0 */
/* bc_log_int: the body of bc_log_t, for broker-core modules that work on
 * a log's segments directly (the compaction cleaner) and for tests.
 * Everyone else uses bc_log.h.
 *
 * `lock` guards everything below it; `maint` serialises retention,
 * compaction and the tick's flushing of closed segments, which may read
 * sealed segments without `lock` because only holders of `maint` remove
 * or replace segments. Lock order: maint, then lock.
 */
#ifndef BC_LOG_INT_H
#define BC_LOG_INT_H

#include <pthread.h>

#include "broker-core/bc_log.h"
#include "broker-core/bc_segment.h"

struct bc_log_s {
    char *dir;
    int dirfd; /* flock'ed for the log's lifetime; -1 if UNLOCKED */
    pthread_mutex_t maint;
    pthread_mutex_t lock;
    bc_log_config_t cfg;
    bc_segment_t **segs; /* oldest first; the last is active */
    size_t nseg;
    size_t cap;
    int64_t start; /* log start offset */
    int64_t unflushed_msgs;
    int64_t last_flush_ms;
    int64_t recovery_point;  /* everything below is known fsynced */
    int64_t checkpointed_rp; /* the value on disk */
    int64_t last_checkpoint_ms;
    int64_t first_dirty;     /* cleaner point (cleaner checkpoint) */
    int64_t next_horizon_ms; /* earliest tombstone delete horizon in
                                the cleaned part, INT64_MAX none */
    bc_log_hook_fn hook;
    void *hook_opaque;
    bc_batch_builder_t *bb; /* encoder for bc_log_append_records */
};

/* Writes the cleaner checkpoint (first dirty offset, next tombstone
 * horizon). Caller holds maint. Returns 0 or BC_ERR_IO. */
int bc_log_int_write_cleaner_checkpoint(bc_log_t *log, int64_t first_dirty,
                                        int64_t next_horizon_ms);

/* Index of the segment holding `offset` (the last one with base <=
 * offset; 0 if offset is below all). Caller holds lock or maint. */
size_t bc_log_int_find_segment(const bc_log_t *log, int64_t offset);

#endif
