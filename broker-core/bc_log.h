/* SPDX-License-Identifier: Apache-2.0 */
/* bc_log: one partition's log, the way Kafka keeps it on disk.
 *
 * A log is a directory of segments named by their 20-digit base offset
 * (00000000000000000000.log, .index, .timeindex; see bc_batch.h,
 * bc_index.h). Only the newest ("active") segment is written; it rolls by
 * segment.bytes, segment.ms or a full index. Offsets are assigned by the
 * log (LEO at append time) and are never renumbered: compaction leaves
 * gaps, retention moves the log start offset forward by whole segments.
 * It is built on one assumption: the OS page cache is the read cache
 * (reads are pread/mmap, nothing is cached by the application), and
 * durability comes from fsync only where the flush policy asks for it.
 *
 * Files of a partition directory (besides the segments):
 *
 *   FILE                              CONTENT
 *   .kafka_cleanshutdown              empty; present only while the log is
 *                                     closed cleanly (removed on open)
 *   recovery-point-offset-checkpoint  text "0\n1\n<offset>\n": segments at
 *                                     or after the one holding <offset>
 *                                     are re-validated after a crash
 *   cleaner-offset-checkpoint         text "0\n1\n<first dirty offset>
 *                                     <next tombstone horizon ms>\n"
 *   leader-epoch-checkpoint           Kafka's format, "0\n1\n0 <start>\n"
 *   partition.metadata                written by bc_broker (bc_topic.h)
 *
 * Checkpoints are written to <file>.tmp, fsynced and renamed, then the
 * directory is fsynced.
 *
 * Recovery on open. With the clean-shutdown marker the segments are
 * trusted (only missing or inconsistent indexes are rebuilt, and the tail
 * of the last segment is re-read to find the log end). Without it, every
 * segment from the recovery point on is re-validated batch by batch
 * (length, magic, CRC-32C, offsets increasing) and its indexes rebuilt.
 * A torn or corrupt tail of the last segment (nothing valid after the bad
 * batch) is truncated and reported. Corruption with valid data after it,
 * or in a segment that was already flushed, is not a torn write: open
 * fails with BC_ERR_CORRUPT naming the file and byte offset and nothing is
 * changed, unless BC_LOG_OPEN_REPAIR is given (then, like Kafka, the log
 * is truncated at the first bad batch and later segments are deleted).
 *
 * Locking. Each log has one mutex guarding its segment list, offsets and
 * flush counters; every public function takes it, so all of them may be
 * called from any thread. Appends, fetches and lookups hold it for their
 * duration (fsync included, in durable mode); retention and compaction
 * also take a second, maintenance mutex and hold the main one only to
 * swap segments. The append hook runs with the log mutex held.
 */
#ifndef BC_LOG_H
#define BC_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_batch.h"

typedef struct bc_log_s bc_log_t;

/* bc_log_config_t.cleanup_policy bits. */
#define BC_CLEANUP_DELETE 1
#define BC_CLEANUP_COMPACT 2

/* Per-log configuration, Kafka's topic-level names in comments. Get the
 * defaults from bc_log_config_default() and change what you need. */
typedef struct bc_log_config_s {
    int64_t segment_bytes;            /* segment.bytes, 1 GiB */
    int64_t segment_ms;               /* segment.ms, 7 days */
    int32_t segment_index_bytes;      /* segment.index.bytes, 10 MiB */
    int32_t index_interval_bytes;     /* index.interval.bytes, 4096 */
    int32_t max_message_bytes;        /* max.message.bytes (largest batch),
                                         1048588 */
    int cleanup_policy;               /* cleanup.policy, BC_CLEANUP_DELETE */
    int64_t retention_bytes;          /* retention.bytes, -1 = unlimited */
    int64_t retention_ms;             /* retention.ms, 7 days, -1 = unlimited */
    double min_cleanable_dirty_ratio; /* min.cleanable.dirty.ratio, 0.5 */
    int64_t delete_retention_ms;      /* delete.retention.ms, 1 day */
    int64_t min_compaction_lag_ms;    /* min.compaction.lag.ms, 0 */
    int64_t flush_messages;           /* flush.messages, INT64_MAX = OS */
    int64_t flush_ms;                 /* flush.ms, INT64_MAX = OS */
    int durable;                      /* fsync every append before it returns */
    int64_t cleaner_buffer_bytes;     /* memory for the cleaner's key map,
                                         64 MiB */
    int64_t recovery_checkpoint_ms;   /* how often bc_log_tick writes the
                                         recovery point, 60000 */
} bc_log_config_t;

/* What bc_log_open found and did. */
typedef struct bc_log_recovery_s {
    int clean_shutdown;      /* the marker was present */
    int segments;            /* segments loaded */
    int segments_recovered;  /* segments re-validated */
    int indexes_rebuilt;     /* segments whose indexes were rebuilt */
    int64_t bytes_truncated; /* torn/corrupt tail bytes cut off */
    int64_t truncated_at;    /* offset where the cut happened (the new log
                                end), -1 none */
    int64_t cut_segment;     /* base offset of the segment cut, -1 none */
    int64_t cut_byte;        /* byte position of the cut in its .log */
    int segments_deleted;    /* only with BC_LOG_OPEN_REPAIR: segments
                                after the cut, removed */
    int64_t bytes_deleted;   /* their .log bytes */
    char reason[160];        /* what was wrong at the cut, or "" */
    char message[512];       /* human summary of a truncation, or "" */
} bc_log_recovery_t;

/* Result of one append. */
typedef struct bc_append_info_s {
    int64_t base_offset;    /* offset of the first record appended */
    int64_t last_offset;    /* offset of the last record appended */
    int64_t log_end_offset; /* LEO after the append (= last_offset + 1) */
    int32_t records;
    int rolled;  /* a new segment was started for it */
    int flushed; /* the segment was fsynced before return */
} bc_append_info_t;

/* Result of a fetch: whole batches, the first one containing `offset`
 * (so it may start below it: skip records with offset < the one asked
 * for). data is a malloc'd block of exactly len bytes, owned by the
 * caller (free()); NULL when len is 0. */
typedef struct bc_fetch_s {
    uint8_t *data;
    size_t len;
    int64_t log_start_offset;
    int64_t log_end_offset; /* = high watermark on a single node */
} bc_fetch_t;

/* Counters of a log, for `warren broker topics` and metrics. */
typedef struct bc_log_stats_s {
    int64_t log_start_offset;
    int64_t log_end_offset;
    int64_t segments;
    int64_t bytes;              /* sum of .log sizes */
    int64_t first_dirty_offset; /* compaction cleaner point */
} bc_log_stats_t;

/* Hook run after every append with the log mutex held (so calls for one
 * log arrive in offset order): `log_end_offset` is the new LEO and now_ms
 * the append's time. It must be quick and must not call into this log. */
typedef void (*bc_log_hook_fn)(void *opaque, bc_log_t *log,
                               int64_t log_end_offset, int64_t now_ms);

/* bc_log_open flags. */
#define BC_LOG_OPEN_CREATE 1 /* create the directory if it is missing */
#define BC_LOG_OPEN_REPAIR 2 /* truncate at mid-log corruption (data loss) */
#define BC_LOG_OPEN_VERIFY                                                     \
    4 /* re-validate every segment, even after a                               \
         clean shutdown */
#define BC_LOG_OPEN_UNLOCKED                                                   \
    8 /* no flock on the directory and no descriptor of it held: the           \
         caller holds a lock that covers it (the broker's data-dir lock) */

/* bc_log_append flags. */
#define BC_APPEND_SYNC 1 /* fsync before returning (durable produce) */
#define BC_APPEND_TRUSTED                                                      \
    2 /* batch came from bc_batch_builder: skip the                            \
         CRC/record re-validation */

/* Kafka's defaults (see bc_log_config_t). Pure. */
bc_log_config_t bc_log_config_default(void);

/* Opens (or with BC_LOG_OPEN_CREATE creates) the log in directory `dir`
 * and recovers it (see above); `rep` (may be NULL) says what was done.
 * Takes an exclusive flock on the directory (unless BC_LOG_OPEN_UNLOCKED):
 * a second open of the same log fails with BC_ERR_LOCKED. Returns NULL with
 * errstr filled on failure (and *err, if err is not NULL, set to the code). Any
 * thread. */
bc_log_t *bc_log_open(const char *dir, const bc_log_config_t *cfg, int flags,
                      int64_t now_ms, bc_log_recovery_t *rep, int *err,
                      char *errstr, size_t errstr_size);

/* Flushes everything, trims the active segment's indexes, writes the
 * recovery point and the clean-shutdown marker, and frees the log. NULL is
 * a no-op. No other call may be in progress on this log. Returns 0 or an
 * I/O error (the log is freed either way; no marker on error). */
int bc_log_close(bc_log_t *log);

/* Frees the log without flushing or writing the marker, as a crash would
 * leave it (for tests). NULL is a no-op. */
void bc_log_abandon(bc_log_t *log);

/* The directory path given to bc_log_open (owned by the log). No lock. */
const char *bc_log_dir(const bc_log_t *log);

/* Replaces the configuration (e.g. after a topic config change). Sizes
 * apply to the next roll. Takes the log mutex. */
void bc_log_set_config(bc_log_t *log, const bc_log_config_t *cfg);
void bc_log_get_config(bc_log_t *log, bc_log_config_t *cfg);

/* Installs the append hook (NULL to remove). Takes the log mutex. */
void bc_log_set_hook(bc_log_t *log, bc_log_hook_fn fn, void *opaque);

/* Appends one v2 batch of `len` bytes. The log assigns offsets by writing
 * baseOffset (= LEO) and the leader epoch into `batch` in place. Without
 * BC_APPEND_TRUSTED it is fully validated first (CRC, records). Rolls a
 * segment first if needed; fsyncs if flags has BC_APPEND_SYNC, the log is
 * durable, or the flush policy says so. Returns 0 and fills `info` (may be
 * NULL); BC_ERR_TOO_LARGE above max.message.bytes, BC_ERR_INVALID for a
 * malformed, empty or compressed batch (nothing written), BC_ERR_IO.
 * After an I/O error mid-write the tail is truncated back. Holds the log
 * mutex throughout (fsync and hook included). */
int bc_log_append(bc_log_t *log, uint8_t *batch, size_t len, int flags,
                  int64_t now_ms, bc_append_info_t *info, char *errstr,
                  size_t errstr_size);

/* Appends n batches (n >= 1) in order, each as bc_log_append would, with
 * as few writes as possible (one pwritev per segment touched; large
 * writes are several times cheaper for the kernel than 16 KiB ones). All
 * are validated before any is written. infos (may be NULL) has one entry
 * per batch; the hook runs once with the final LEO. Returns as
 * bc_log_append. Holds the log mutex throughout. */
int bc_log_append_v(bc_log_t *log, uint8_t *const *batches, const size_t *lens,
                    size_t n, int flags, int64_t now_ms,
                    bc_append_info_t *infos, char *errstr, size_t errstr_size);

/* Encodes `n` records (n >= 1) as one batch and appends it as above.
 * Records with timestamp < 0 get now_ms. Returns as bc_log_append. Holds
 * the log mutex. */
int bc_log_append_records(bc_log_t *log, const bc_record_in_t *recs, size_t n,
                          int flags, int64_t now_ms, bc_append_info_t *info,
                          char *errstr, size_t errstr_size);

/* Reads whole batches starting with the one that contains `offset` (or
 * the first batch after it, in a compacted gap), up to max_bytes; the
 * first batch is returned whole even when larger than max_bytes (Kafka's
 * KIP-74), so a fetch always makes progress. Reads one segment at a time.
 * offset == LEO returns len 0. Returns 0, BC_ERR_OUT_OF_RANGE when offset
 * < log start or > LEO (out->log_*_offset still filled), BC_ERR_IO. Holds
 * the log mutex while reading. */
int bc_log_fetch(bc_log_t *log, int64_t offset, size_t max_bytes,
                 bc_fetch_t *out, char *errstr, size_t errstr_size);

/* A fetch served from the file itself (zero copy): bytes [pos, pos+len)
 * of one segment's .log, whole batches except perhaps the last (cut at
 * max_bytes, as Kafka's FileRecords.slice does; clients drop a partial
 * trailing batch). fd is a dup of the segment's descriptor, owned by the
 * caller (close it), so the bytes stay readable after retention or
 * compaction replace the file; -1 when len is 0. */
typedef struct bc_fetch_file_s {
    int fd;
    int64_t pos;
    size_t len;
    int64_t log_start_offset;
    int64_t log_end_offset;
} bc_fetch_file_t;

/* Like bc_log_fetch (same offsets, errors and KIP-74 rule: the first
 * batch is whole even above max_bytes) without reading the bytes: fills
 * out with the file range to send. Holds the log mutex briefly. */
int bc_log_fetch_file(bc_log_t *log, int64_t offset, size_t max_bytes,
                      bc_fetch_file_t *out, char *errstr, size_t errstr_size);

/* Called for each record by bc_log_read; return non-zero to stop. */
typedef int (*bc_log_record_fn)(void *opaque, const bc_record_t *rec);

/* Convenience over bc_log_fetch: calls fn for every record with offset >=
 * `offset` in the fetched batches (at most max_bytes, at least one
 * batch), in offset order. *next_offset (may be NULL) is the offset to
 * read from next (LEO when caught up). fn runs without the log mutex.
 * Returns 0, or the errors of bc_log_fetch, or BC_ERR_CORRUPT. */
int bc_log_read(bc_log_t *log, int64_t offset, size_t max_bytes,
                bc_log_record_fn fn, void *opaque, int64_t *next_offset,
                char *errstr, size_t errstr_size);

/* Log start offset: the first offset a consumer may fetch. Log mutex. */
int64_t bc_log_start_offset(bc_log_t *log);

/* Calls fn (bc_batch.h) for the header of every batch in the last
 * `nsegs` segments, oldest first, reading only headers (idempotent
 * producer state is rebuilt this way, as Kafka does from its last two
 * segments when it has no snapshot). Returns 0, fn's nonzero return,
 * BC_ERR_IO or BC_ERR_CORRUPT. Holds the log mutex throughout. */
int bc_log_scan_tail(bc_log_t *log, size_t nsegs, bc_batch_header_fn fn,
                     void *opaque);

/* Log end offset (LEO): the offset the next record will get. On a single
 * node it is also the high watermark and last stable offset. Log mutex. */
int64_t bc_log_end_offset(bc_log_t *log);

/* Timestamp of the first record at or after `offset` (the record itself
 * unless compaction removed it), through the offset index. Fills
 * *timestamp and *found_offset (may be NULL). Returns 0,
 * BC_ERR_OUT_OF_RANGE when offset < log start or >= LEO (no such record
 * yet), BC_ERR_NOT_FOUND if no record exists at or after it, BC_ERR_IO.
 * Holds the log mutex. */
int bc_log_timestamp_of(bc_log_t *log, int64_t offset, int64_t *timestamp,
                        int64_t *found_offset);

/* Kafka's ListOffsets for a timestamp >= 0: the first offset (in offset
 * order) whose record timestamp is >= `timestamp`, through the time and
 * offset indexes. *offset = -1 (and return 0) when no record qualifies;
 * *found_ts (may be NULL) is that record's timestamp. Returns 0 or
 * BC_ERR_IO / BC_ERR_CORRUPT. Holds the log mutex. */
int bc_log_offset_for_time(bc_log_t *log, int64_t timestamp, int64_t *offset,
                           int64_t *found_ts);

/* fsyncs the log up to its LEO now. Returns 0 or BC_ERR_IO. Holds the log
 * mutex. */
int bc_log_flush(bc_log_t *log, char *errstr, size_t errstr_size);

/* Periodic work the owner drives: applies flush.ms, fsyncs segments that
 * were closed by a roll, and writes the recovery-point checkpoint every
 * recovery_checkpoint_ms. Cheap when there is nothing to do. Returns 0 or
 * BC_ERR_IO. Takes the maintenance mutex, the log mutex only briefly. */
int bc_log_tick(bc_log_t *log, int64_t now_ms, char *errstr,
                size_t errstr_size);

/* Retention result. */
typedef struct bc_retention_s {
    int segments_deleted;
    int64_t bytes_deleted;
    int64_t log_start_offset; /* after the pass */
} bc_retention_t;

/* Applies retention.ms and retention.bytes (if cleanup.policy has
 * delete) as Kafka does: deletes the oldest segments, oldest first,
 * stopping at the first that may stay. A segment breaches retention.ms
 * when now_ms - its largest record timestamp > retention.ms. A non-empty
 * active segment may go too: when every segment goes, an empty active
 * segment is rolled at the log end first, so an idle partition's expired
 * data is deleted and its offsets kept. Moves the log start offset to the
 * first remaining segment. Takes the maintenance mutex (and the log mutex
 * while the segment list changes). Returns 0 or BC_ERR_IO. */
int bc_log_retention(bc_log_t *log, int64_t now_ms, bc_retention_t *res,
                     char *errstr, size_t errstr_size);

/* Fills counters. Takes the log mutex. */
void bc_log_stats(bc_log_t *log, bc_log_stats_t *st);

#endif
