/* SPDX-License-Identifier: Apache-2.0 */
/* bc_segment: one segment of a partition log: <base>.log plus its
 * .index and .timeindex (formats in bc_batch.h and bc_index.h).
 *
 * Base offsets are written as 20-digit zero-padded decimals so `ls` order
 * is offset order. A segment is either active (the log appends to it; its
 * indexes are preallocated) or sealed (read-only, indexes trimmed, a
 * final time-index entry holding its largest timestamp). Reads use pread
 * and the mmapped indexes, so the page cache is the only cache.
 *
 * Open modes. Trusted: indexes are loaded and sanity-checked and the
 * bytes after the last offset-index entry are re-read (to find the next
 * offset); a missing or inconsistent index, or a bad tail, falls back to
 * a full recovery of the segment. Recover: every batch is checked
 * (length, magic, CRC-32C, offsets increasing and fitting the segment)
 * and both indexes are rebuilt. A bad batch with nothing valid after it
 * in the last segment, at or above flushed_offset, is a torn tail: the
 * file is truncated there. Any other bad batch is corruption: the open
 * fails with BC_ERR_CORRUPT naming the file and byte offset, and the .log
 * is left untouched, unless `repair` is set (then it is truncated and the
 * caller must drop the segments after it).
 *
 * Thread safety: the owning log serialises appends, seal and truncation;
 * reads and lookups of a sealed segment may run concurrently.
 */
#ifndef BC_SEGMENT_H
#define BC_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "broker-core/bc_batch.h"

typedef struct bc_segment_s bc_segment_t;

/* How to open an existing segment. */
typedef struct bc_segment_open_s {
    int recover;             /* re-validate every batch */
    int last;                /* newest segment: becomes active */
    int repair;              /* truncate even mid-log corruption */
    int64_t flushed_offset;  /* batches from below this offset were
                                fsynced (INT64_MAX after a clean shutdown):
                                a bad one there is corruption, never a
                                torn write; 0 = nothing known */
    int64_t expect_offset;   /* first batch must start at or above */
    int64_t index_max_bytes; /* segment.index.bytes */
    int32_t index_interval;  /* index.interval.bytes */
    int64_t now_ms;
} bc_segment_open_t;

/* What opening did. */
typedef struct bc_segment_report_s {
    int recovered; /* every batch was re-validated */
    int index_rebuilt;
    int64_t bytes_truncated;
    int64_t truncated_at; /* byte position, -1 none */
    int corrupt_mid_log;  /* repair truncated valid data after a bad batch */
    char reason[160];     /* why the tail was cut */
} bc_segment_report_t;

/* "<dir>/<20-digit base><suffix>" into buf. */
void bc_segment_path(char *buf, size_t size, const char *dir, int64_t base,
                     const char *suffix);

/* Parses a segment file name "<20 digits>.log" (also .index, ...);
 * returns 0 and *base, or -1. `suffix` receives a pointer to the text
 * after the digits. */
int bc_segment_parse_name(const char *name, int64_t *base, const char **suffix);

/* Creates an empty active segment at `base` (any leftover files of that
 * name are truncated). NULL with errstr on failure. */
bc_segment_t *bc_segment_create(const char *dir, int64_t base,
                                int64_t index_max_bytes, int64_t now_ms,
                                char *errstr, size_t errstr_size);

/* Opens an existing segment (see the modes above). NULL with *err and
 * errstr on failure. */
bc_segment_t *bc_segment_open(const char *dir, int64_t base,
                              const bc_segment_open_t *o,
                              bc_segment_report_t *rep, int *err, char *errstr,
                              size_t errstr_size);

/* Frees without touching the files (indexes are not trimmed). */
void bc_segment_close(bc_segment_t *seg);

/* Closes and unlinks all three files. Returns 0 or BC_ERR_IO. */
int bc_segment_delete(bc_segment_t *seg);

int64_t bc_segment_base(const bc_segment_t *seg);
int64_t bc_segment_size(const bc_segment_t *seg);
/* The .log file descriptor (owned by the segment; dup it to keep it). */
int bc_segment_fd(const bc_segment_t *seg);
/* Offset after the last batch (base offset when empty). */
int64_t bc_segment_next_offset(const bc_segment_t *seg);
/* Largest record timestamp and its offset; -1 when none. */
int64_t bc_segment_max_timestamp(const bc_segment_t *seg);
int64_t bc_segment_max_timestamp_offset(const bc_segment_t *seg);
/* Max timestamp of the first batch (Kafka's rolling timestamp), -1 none. */
int64_t bc_segment_first_timestamp(const bc_segment_t *seg);
int64_t bc_segment_created_ms(const bc_segment_t *seg);
/* mtime of the .log in ms (retention of segments without timestamps). */
int64_t bc_segment_mtime_ms(const bc_segment_t *seg);
/* Either index is full. */
int bc_segment_index_full(const bc_segment_t *seg);
/* Bytes written but not yet fsynced. */
int64_t bc_segment_unflushed(const bc_segment_t *seg);

/* Writes a validated batch (offsets already assigned) at the end, adding
 * index entries every index_interval bytes. On a write error the file is
 * cut back and BC_ERR_IO returned. */
int bc_segment_append(bc_segment_t *seg, const uint8_t *batch, size_t len,
                      const bc_batch_t *hdr, int32_t index_interval,
                      char *errstr, size_t errstr_size);

/* Writes n consecutive validated batches (iov[i] holds batch i, hdrs[i]
 * its parsed header) with as few pwritev calls as possible, then adds
 * their index entries as bc_segment_append would, one by one. The caller
 * checks bc_segment_index_room first. On a write error the file is cut
 * back to where it was and BC_ERR_IO returned. */
int bc_segment_append_v(bc_segment_t *seg, const struct iovec *iov,
                        const bc_batch_t *hdrs, size_t n,
                        int32_t index_interval, char *errstr,
                        size_t errstr_size);

/* Index entries still free in both indexes (bounds how many batches one
 * append may add). */
size_t bc_segment_index_room(const bc_segment_t *seg);

/* Seals an active segment: final time-index entry, indexes trimmed. */
int bc_segment_seal(bc_segment_t *seg, char *errstr, size_t errstr_size);

/* fdatasync of the .log (and, with indexes set, msync+fsync of both
 * indexes). Returns 0 or BC_ERR_IO. */
int bc_segment_flush(bc_segment_t *seg, int indexes);

/* pread of up to len bytes at pos; returns bytes read (< len only at the
 * end of the segment) or BC_ERR_IO. */
int64_t bc_segment_read(bc_segment_t *seg, int64_t pos, void *buf, size_t len);

/* Position and header of the first batch whose last offset >= target
 * (index lookup, then a forward scan of headers). Returns 0,
 * BC_ERR_NOT_FOUND when no batch here qualifies, BC_ERR_IO/CORRUPT. */
int bc_segment_find_offset(bc_segment_t *seg, int64_t target, int64_t *pos,
                           bc_batch_t *hdr);

/* Calls fn for the header of every batch of the segment, first to last,
 * reading only headers. Returns 0, fn's nonzero return, BC_ERR_IO or
 * BC_ERR_CORRUPT. Caller keeps the segment from changing. */
int bc_segment_scan_headers(bc_segment_t *seg, bc_batch_header_fn fn,
                            void *opaque);

/* First record with offset >= target: its offset and timestamp. Returns
 * 0, BC_ERR_NOT_FOUND (none in this segment), BC_ERR_IO/CORRUPT. */
int bc_segment_timestamp_of(bc_segment_t *seg, int64_t target, int64_t *offset,
                            int64_t *timestamp);

/* First record (in offset order) with timestamp >= target, through the
 * time index. Returns 0, BC_ERR_NOT_FOUND, BC_ERR_IO/CORRUPT. */
int bc_segment_offset_for_time(bc_segment_t *seg, int64_t target,
                               int64_t *offset, int64_t *timestamp);

#endif
