/* SPDX-License-Identifier: Apache-2.0 */
/* bc_batch: Kafka's v2 record batch (magic 2), the unit of every .log file.
 *
 * A .log file is a plain concatenation of batches with no file header and
 * no padding; the bytes are those of Apache Kafka's DefaultRecordBatch, so
 * kafka-dump-log.sh can read Warren's segments. The broker assigns offsets
 * by overwriting baseOffset (and partitionLeaderEpoch) in place: both lie
 * outside the CRC. Compression is not supported (attributes bits 0-2 must
 * be 0). All integers big-endian.
 *
 * Batch header (61 bytes) followed by the records:
 *
 *   OFFSET SIZE DESCRIPTION
 *    0     8    baseOffset: offset of the first record (set by the log)
 *    8     4    batchLength: bytes that follow this field (= size - 12)
 *   12     4    partitionLeaderEpoch (-1 none; Warren writes 0). Not CRC'd
 *   16     1    magic = 2
 *   17     4    crc: CRC-32C of bytes 21 .. end of batch
 *   21     2    attributes: bits 0-2 compression (must be 0), bit 3
 *               LogAppendTime, bit 4 transactional, bit 5 control, bit 6
 *               baseTimestamp is the delete horizon (set by compaction)
 *   23     4    lastOffsetDelta: last offset - baseOffset
 *   27     8    baseTimestamp: first record's timestamp (or the delete
 *               horizon when attribute bit 6 is set)
 *   35     8    maxTimestamp: largest record timestamp
 *   43     8    producerId (-1 none)
 *   51     2    producerEpoch (-1 none)
 *   53     4    baseSequence (-1 none)
 *   57     4    recordsCount (0 is legal: compaction may leave an empty
 *               batch that keeps the last offset of a cleaned range)
 *   61     ...  records
 *
 * Record (varint = zigzag LEB128 of an int32, varlong of an int64):
 *
 *   FIELD            ENCODING  DESCRIPTION
 *   length           varint    bytes after this field
 *   attributes       int8      0
 *   timestampDelta   varlong   timestamp - baseTimestamp
 *   offsetDelta      varint    offset - baseOffset
 *   keyLength        varint    -1 = null key
 *   key              bytes
 *   valueLength      varint    -1 = null value (a tombstone)
 *   value            bytes
 *   headersCount     varint
 *   headers          headersCount x (keyLength varint, key bytes,
 *                    valueLength varint (-1 null), value bytes)
 *
 * Thread safety: parsing and iteration are pure; a builder is owned by one
 * thread at a time.
 */
#ifndef BC_BATCH_H
#define BC_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define BC_BATCH_HEADER_SIZE 61
#define BC_BATCH_LOG_OVERHEAD 12
#define BC_BATCH_MAGIC 2
#define BC_BATCH_ATTR_COMPRESSION 0x07
#define BC_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define BC_BATCH_ATTR_TRANSACTIONAL 0x10
#define BC_BATCH_ATTR_CONTROL 0x20
#define BC_BATCH_ATTR_DELETE_HORIZON 0x40

/* One record header. key is not NUL-terminated; value_len -1 = null. */
typedef struct bc_header_s {
    const char *key;
    size_t key_len;
    const void *value;
    int32_t value_len;
} bc_header_t;

/* A record to encode. key_len -1 = null key; value_len -1 = tombstone.
 * The caller keeps ownership of every pointer. */
typedef struct bc_record_in_s {
    const void *key;
    int32_t key_len;
    const void *value;
    int32_t value_len;
    int64_t timestamp;
    const bc_header_t *headers;
    size_t header_count;
} bc_record_in_t;

/* A parsed batch header; `data` points into the caller's buffer. */
typedef struct bc_batch_s {
    int64_t base_offset;
    int32_t batch_length;
    int32_t leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
    const uint8_t *data; /* first byte of the batch */
    size_t size;         /* 12 + batch_length */
} bc_batch_t;

/* Called with each batch header of a scan (hdr->data is NULL); a
 * nonzero return stops the scan and is returned by it. */
typedef int (*bc_batch_header_fn)(void *opaque, const bc_batch_t *hdr);

/* A decoded record; pointers into the batch. headers/headers_len is the
 * raw header array, walked with bc_record_header_next. */
typedef struct bc_record_s {
    int64_t offset;
    int64_t timestamp;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
    int32_t header_count;
    const uint8_t *headers;
    size_t headers_len;
} bc_record_t;

/* Record iterator over one batch: a value type, no allocation. */
typedef struct bc_record_iter_s {
    const bc_batch_t *batch;
    const uint8_t *p;
    const uint8_t *end;
    int32_t index;
} bc_record_iter_t;

typedef struct bc_batch_builder_s bc_batch_builder_t;

/* Header fields for a builder; bc_batch_opts_default() gives "new
 * producer batch": timestamps from the records, no producer id. */
typedef struct bc_batch_opts_s {
    int16_t attributes;        /* compression bits must be 0 */
    int64_t base_timestamp;    /* INT64_MIN: first record's timestamp */
    int64_t max_timestamp;     /* INT64_MIN: largest record timestamp */
    int32_t last_offset_delta; /* -1: (records - 1) */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
} bc_batch_opts_t;

/* bc_batch_parse flags. */
#define BC_BATCH_VERIFY_CRC 1     /* check the CRC-32C */
#define BC_BATCH_VERIFY_RECORDS 2 /* decode every record: count, deltas */
/* bc_batch_parse result when buf holds less than one whole batch. */
#define BC_BATCH_SHORT 1

/* Parses the batch at buf[0..len). Returns 0 (b filled), BC_BATCH_SHORT
 * when buf is shorter than the batch (b->size is the full size when at
 * least 12 bytes were given, else 0), or BC_ERR_CORRUPT with the reason in
 * errstr (byte offsets relative to buf). Never reads past buf+len. */
int bc_batch_parse(const uint8_t *buf, size_t len, int flags, bc_batch_t *b,
                   char *errstr, size_t errstr_size);

/* Parses only the 61-byte header at buf[0..len) (len >= 61): length and
 * magic are checked, nothing else; b->size is the whole batch's size and
 * b->data = buf. Returns 0, BC_BATCH_SHORT (len < 61) or BC_ERR_CORRUPT. */
int bc_batch_parse_header(const uint8_t *buf, size_t len, bc_batch_t *b,
                          char *errstr, size_t errstr_size);

/* baseOffset + lastOffsetDelta. */
int64_t bc_batch_last_offset(const bc_batch_t *b);

/* Overwrite baseOffset / partitionLeaderEpoch of a whole batch in place
 * (outside the CRC, so it stays valid). */
void bc_batch_set_base_offset(uint8_t *batch, int64_t base_offset);
void bc_batch_set_leader_epoch(uint8_t *batch, int32_t epoch);

/* Starts iterating the records of a parsed batch. */
void bc_record_iter_init(bc_record_iter_t *it, const bc_batch_t *b);

/* Next record: 1 and *rec filled, 0 at the end, BC_ERR_CORRUPT if a
 * record overruns the batch (bounds-checked). */
int bc_record_iter_next(bc_record_iter_t *it, bc_record_t *rec);

/* Next header of rec starting at *pos (0 first): 1 and *h filled, 0 at
 * the end, BC_ERR_CORRUPT if malformed. h points into the batch. */
int bc_record_header_next(const bc_record_t *rec, size_t *pos, bc_header_t *h);

/* Encoded size of rec (length varint included) when written with the
 * given timestamp and offset deltas. */
size_t bc_batch_record_size(const bc_record_in_t *rec, int64_t ts_delta,
                            int32_t offset_delta);

/* Default builder options (see bc_batch_opts_t). */
bc_batch_opts_t bc_batch_opts_default(void);

/* A growable buffer that encodes one batch at a time. Never NULL. */
bc_batch_builder_t *bc_batch_builder_new(size_t initial_capacity);
void bc_batch_builder_destroy(bc_batch_builder_t *bb);

/* Starts a new batch with `opts` (NULL = defaults), dropping any previous
 * one. */
void bc_batch_builder_begin(bc_batch_builder_t *bb,
                            const bc_batch_opts_t *opts);

/* Appends rec with offset delta = number of records so far. Returns 0 or
 * BC_ERR_INVALID (negative length other than -1, header count too large). */
int bc_batch_builder_add(bc_batch_builder_t *bb, const bc_record_in_t *rec);

/* Appends rec (as bc_batch_builder_add) only if the batch then stays
 * within max_size bytes or is empty now. Returns 0 when added, 1 when it
 * would not fit (nothing changed), or BC_ERR_INVALID. */
int bc_batch_builder_add_within(bc_batch_builder_t *bb,
                                const bc_record_in_t *rec, size_t max_size);

/* Appends rec with an explicit offset delta (strictly increasing; used by
 * compaction, which keeps original offsets). Returns 0 or BC_ERR_INVALID. */
int bc_batch_builder_add_at(bc_batch_builder_t *bb, const bc_record_in_t *rec,
                            int32_t offset_delta);

/* Bytes the batch would take if finished now; records added so far. */
size_t bc_batch_builder_size(const bc_batch_builder_t *bb);
/* Bytes the builder's buffer holds before it must grow. */
size_t bc_batch_builder_capacity(const bc_batch_builder_t *bb);
int32_t bc_batch_builder_count(const bc_batch_builder_t *bb);
/* Timestamp the batch deltas are relative to (INT64_MIN before the first
 * record when the options left it automatic). */
int64_t bc_batch_builder_base_timestamp(const bc_batch_builder_t *bb);

/* Fills the header (baseOffset 0, epoch -1) and CRC; returns the batch,
 * owned by the builder and valid until the next begin/destroy. The bytes
 * may be modified in place by bc_batch_set_base_offset. */
uint8_t *bc_batch_builder_finish(bc_batch_builder_t *bb, size_t *len);

#endif
