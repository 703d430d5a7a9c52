/* SPDX-License-Identifier: Apache-2.0 */
/* bc_compact: the log cleaner for topics with cleanup.policy=compact.
 *
 * Kafka's design (LogCleaner): the log is split at the first dirty offset
 * (the cleaner point, kept in cleaner-offset-checkpoint) into a clean part,
 * already compacted, and a dirty part. A pass runs when the dirty ratio,
 * dirty bytes / bytes outside the active segment, reaches
 * min.cleanable.dirty.ratio, or when a tombstone's delete horizon has
 * passed. It maps every key of the dirty range [first dirty, first
 * uncleanable) to its last offset, then rewrites the segments from the
 * log start up to that point keeping a record only if it is the latest
 * for its key; records without a key are dropped. The active segment
 * (and, with min.compaction.lag.ms, recent segments) are never touched.
 * Offsets are kept, so a compacted log has gaps.
 *
 * Tombstones (null values) follow KIP-534: the first pass that rewrites a
 * batch holding a tombstone stamps it with a delete horizon (now +
 * delete.retention.ms, stored in baseTimestamp with attribute bit 6); a
 * later pass drops the tombstone once now >= the horizon. A consumer thus
 * has at least delete.retention.ms to see a deletion.
 *
 * Crash safety: consecutive segments are rewritten as one new segment,
 * written to <base>.log.cleaned and fsynced, then renamed to
 * <base>.log.swap (the commit point) and the directory fsynced; the old
 * segments are unlinked and the swap renamed to <base>.log. bc_log_open
 * deletes leftover .cleaned files and completes any .swap (removing the
 * segments it covers), so a crash at any step leaves either the old or
 * the new segments, never both or neither.
 *
 * Thread safety: takes the log's maintenance mutex for the whole pass and
 * its main mutex only to swap segments, so appends and fetches continue
 * while it reads and writes.
 */
#ifndef BC_COMPACT_H
#define BC_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_log.h"

typedef struct bc_compact_stats_s {
    int cleaned;                /* a pass ran */
    double dirty_ratio;         /* before the pass */
    int64_t first_dirty_offset; /* after the pass */
    int64_t records_read;
    int64_t records_removed; /* superseded, keyless, expired tombstones */
    int64_t tombstones_removed;
    int64_t bytes_before; /* of the rewritten segments */
    int64_t bytes_after;
    int segments_before;
    int segments_after;
} bc_compact_stats_t;

/* The dirty ratio of `log` at now_ms (0 when nothing is cleanable). Takes
 * the log mutex. */
double bc_compact_dirty_ratio(bc_log_t *log, int64_t now_ms);

/* Cleans `log` once if it is due (see above) or if `force`. `st` may be
 * NULL. Returns 0 (also when nothing was due: st->cleaned = 0),
 * BC_ERR_IO or BC_ERR_CORRUPT (a segment failed to parse; the log is
 * unchanged). */
int bc_compact_log(bc_log_t *log, int64_t now_ms, int force,
                   bc_compact_stats_t *st, char *errstr, size_t errstr_size);

#endif
