/* SPDX-License-Identifier: Apache-2.0 */
/* bc_index: Kafka's sparse offset index (.index) and time index
 * (.timeindex) of one segment, memory-mapped.
 *
 * Both files are flat arrays of fixed-size big-endian entries, no header,
 * no checksum (they are rebuilt from the .log after a crash):
 *
 *   .index entry (8 bytes)            .timeindex entry (12 bytes)
 *   OFFSET SIZE DESCRIPTION           OFFSET SIZE DESCRIPTION
 *    0     4    offset - baseOffset    0     8    timestamp (ms): largest
 *               (int32, increasing)               record timestamp up to...
 *    4     4    byte position of a     8     4    ...this offset - base
 *               batch in the .log                 offset (int32)
 *
 * An offset entry (O, P) means the batch starting at byte P of the .log
 * holds offset O; a time entry (T, O) means every record with a timestamp
 * > T has an offset > O. Offsets and timestamps strictly increase from
 * entry to entry. The active segment's index files are preallocated to
 * segment.index.bytes (rounded down to whole entries; sparse on disk) and
 * trimmed to their entries when the segment is sealed. The mapping is the
 * only copy: reads go through the page cache.
 *
 * Thread safety: an index is written by one thread at a time (the log
 * mutex); lookups may run concurrently with each other.
 */
#ifndef BC_INDEX_H
#define BC_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define BC_INDEX_OFFSET 8 /* kind = entry size */
#define BC_INDEX_TIME 12

typedef struct bc_index_s bc_index_t;

/* Opens or creates the index file at `path` of the segment with
 * `base_offset`. Existing entries are the file's length / entry size.
 * With max_bytes > 0 the file is grown to max_bytes (active segment);
 * with 0 it is mapped at its current length. Returns NULL with errstr on
 * failure. */
bc_index_t *bc_index_open(const char *path, int kind, int64_t base_offset,
                          int64_t max_bytes, char *errstr, size_t errstr_size);

/* Unmaps and closes (no trim, no fsync). NULL is a no-op. */
void bc_index_close(bc_index_t *idx);

/* Number of entries; true when no further entry fits (the time index
 * keeps its last slot for the entry written at seal time). */
size_t bc_index_entries(const bc_index_t *idx);
int bc_index_is_full(const bc_index_t *idx);

/* Entries that can still be appended without forcing (the time index
 * keeps its last slot). */
size_t bc_index_room(const bc_index_t *idx);

/* Appends (offset, position). Returns 0, BC_ERR_INVALID if offset is not
 * above the last entry's or does not fit in 32 bits relative to the base,
 * or if the index is full. */
int bc_index_append_offset(bc_index_t *idx, int64_t offset, int64_t position);

/* Appends (timestamp, offset) when timestamp is above the last entry's;
 * an equal or lower timestamp is ignored. Returns 0 or BC_ERR_INVALID
 * (offset going backwards, no room). `force` may use the reserved slot. */
int bc_index_append_time(bc_index_t *idx, int64_t timestamp, int64_t offset,
                         int force);

/* The i-th entry: offset index gives (absolute offset, position); time
 * index gives (timestamp, absolute offset). */
void bc_index_entry(const bc_index_t *idx, size_t i, int64_t *a, int64_t *b);

/* Largest entry whose offset <= target, as (offset, position); when none,
 * (base offset, 0). Binary search. */
void bc_index_lookup_offset(const bc_index_t *idx, int64_t target,
                            int64_t *offset, int64_t *position);

/* Largest entry whose timestamp < target (strictly: every record before
 * its offset is then known to be older than target), as (timestamp,
 * offset); when none, (-1, base offset). Binary search. */
void bc_index_lookup_time(const bc_index_t *idx, int64_t target,
                          int64_t *timestamp, int64_t *offset);

/* Drops every entry (before a rebuild). */
void bc_index_reset(bc_index_t *idx);

/* Shrinks the file to its entries (seal) or grows it back to max_bytes
 * (becoming active again). Returns 0 or BC_ERR_IO. */
int bc_index_trim(bc_index_t *idx, char *errstr, size_t errstr_size);
int bc_index_resize(bc_index_t *idx, int64_t max_bytes, char *errstr,
                    size_t errstr_size);

/* msync + fsync. Returns 0 or BC_ERR_IO. */
int bc_index_flush(bc_index_t *idx);

/* Sanity check against the segment's .log size (Kafka's sanityCheck plus
 * ordering of the last two entries): 0 or BC_ERR_CORRUPT with a reason. */
int bc_index_check(const bc_index_t *idx, int64_t log_size, char *errstr,
                   size_t errstr_size);

#endif
