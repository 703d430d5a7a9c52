/* SPDX-License-Identifier: Apache-2.0 */
/* mon_codec: little-endian binary encoding for Warren's state files, their
 * one header layout, and crash-safe whole-file writes.
 *
 * Writers append to a growable mon_wbuf_t; readers walk a mon_rbuf_t that
 * bounds-checks every length against the bytes left and, on the first
 * failure, records "PATH: byte N: why" (later reads then fail at once, so
 * a parser can check once at the end). Files are replaced atomically:
 * temp file, fsync, rename, fsync of the directory.
 *
 * State file header. Every file Warren keeps in its data dir (the store
 * snapshot, the history, the notifier's incidents and its delivery
 * journal) starts with the same 32 bytes, little-endian:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      8    magic naming the file: "WRNSTORE" (store.snapshot),
 *               "WRNHIST\0" (history.snapshot), "WRNINCDT"
 *               (notifier.incidents), "WRNDLVRY" (notifier.journal)
 *   8      4    format version of that file: 2 for the snapshots and
 *               the journal, 3 for the incidents (the first in this
 *               layout; lower versions are the older layouts)
 *   12     4    reserved, 0
 *   16     8    body length B: the bytes after the header the CRC covers
 *   24     4    CRC-32C (Castagnoli, broker-core's bc_crc32c) of the body
 *   28     4    CRC-32C of header bytes 0..27 (a damaged header is told
 *               apart from a damaged body)
 *   32     B    body, as the owning header (mon_store.h, mon_history.h,
 *               mon_notifier.h) describes it
 *
 * A whole-file state is exactly header + body. The journal, which only
 * grows, has B = 0 and its records follow the header, each with its own
 * length and CRC-32C (mon_delivery.h).
 *
 * Files of an older version (before this header, each with its own
 * layout, two of them with CRC-32 instead of CRC-32C) are still read:
 * mon_state_check reports the version it found below the file's first
 * version in this layout, the loader of each file reads the old layout,
 * and the next save writes the current one. A file that is neither (unknown
 * magic or version, a bad checksum) is refused with "PATH: byte N: why".
 * For the store and history snapshots the daemon logs that line and
 * starts that state fresh (the next snapshot replaces the file); the
 * incidents file and the journal hold notifications not yet delivered,
 * so `warren serve` stops with the line instead, and the operator
 * decides (move the file away to start fresh).
 */
#ifndef MON_CODEC_H
#define MON_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Little-endian load and store of a 32-bit integer at p. */
uint32_t mon_le32(const void *p);
void mon_put_le32(void *p, uint32_t v);

#define MON_STATE_HEADER_SIZE 32
#define MON_STATE_MAGIC_STORE "WRNSTORE"
#define MON_STATE_MAGIC_HISTORY "WRNHIST" /* and its NUL: 8 bytes */
#define MON_STATE_MAGIC_INCIDENTS "WRNINCDT"
#define MON_STATE_MAGIC_JOURNAL "WRNDLVRY"

/* Writes the header of version `version` for body[0..blen) (blen 0 and
 * body NULL for the journal) into hdr. */
void mon_state_header(unsigned char hdr[MON_STATE_HEADER_SIZE],
                      const char *magic, uint32_t version, const void *body,
                      size_t blen);

/* What mon_state_check found. */
typedef enum mon_state_kind_e {
    MON_STATE_BAD = -1, /* refused; errstr says where and why */
    MON_STATE_CURRENT = 0,
    MON_STATE_OLD = 1 /* the magic with an older version: its own layout */
} mon_state_kind_t;

/* Checks data[0..len) as a state file of kind magic whose layout above
 * starts at `version`: magic, version, header CRC, then (whole file,
 * append_only 0) body length = the rest of the file and its CRC, or
 * (append_only 1) body length 0. Returns MON_STATE_CURRENT,
 * MON_STATE_OLD (a lower version, in *found; nothing else checked), or
 * MON_STATE_BAD with errstr "path: byte N: why" (a higher version too). */
mon_state_kind_t mon_state_check(const void *data, size_t len,
                                 const char *magic, uint32_t version,
                                 int append_only, const char *path,
                                 uint32_t *found, char *errstr,
                                 size_t errstr_size);

typedef struct mon_wbuf_s {
    unsigned char *p;
    size_t len, cap;
} mon_wbuf_t;

/* Appends (little-endian for integers; strings as u16 length + bytes,
 * the caller keeping len <= 65535). Never fail (abort on OOM). */
void mon_wbuf_put(mon_wbuf_t *b, const void *src, size_t n);
void mon_wbuf_u16(mon_wbuf_t *b, uint16_t v);
void mon_wbuf_u32(mon_wbuf_t *b, uint32_t v);
void mon_wbuf_u64(mon_wbuf_t *b, uint64_t v);
void mon_wbuf_str(mon_wbuf_t *b, const char *s, size_t len);
void mon_wbuf_free(mon_wbuf_t *b);

/* A single byte, and a string as u32 length + bytes (for formats that
 * allow strings over 65535 bytes). Never fail (abort on OOM). */
void mon_wbuf_u8(mon_wbuf_t *b, uint8_t v);
void mon_wbuf_str32(mon_wbuf_t *b, const char *s, size_t len);

/* Overwrites 4 bytes at offset at (< b->len - 3) with v, little-endian,
 * for a length or checksum known only once the rest is written. */
void mon_wbuf_patch_u32(mon_wbuf_t *b, size_t at, uint32_t v);

typedef struct mon_rbuf_s {
    const unsigned char *p;
    size_t len, pos;
    const char *path; /* for messages */
    char *errstr;
    size_t errstr_size;
    int failed;
} mon_rbuf_t;

/* A reader over p[0..len) reporting errors as "path: byte N: why". */
void mon_rbuf_init(mon_rbuf_t *r, const void *p, size_t len, const char *path,
                   char *errstr, size_t errstr_size);

/* Records a failure at byte `at` (the first one wins); returns -1. */
int mon_rbuf_fail(mon_rbuf_t *r, size_t at, const char *why);

/* Each returns 0, or -1 (with the error recorded) when fewer bytes are
 * left than needed; `what` names the field in the message. */
int mon_rbuf_need(mon_rbuf_t *r, size_t n, const char *what);
int mon_rbuf_u8(mon_rbuf_t *r, uint8_t *v, const char *what);
int mon_rbuf_u16(mon_rbuf_t *r, uint16_t *v, const char *what);
int mon_rbuf_u32(mon_rbuf_t *r, uint32_t *v, const char *what);
int mon_rbuf_i64(mon_rbuf_t *r, int64_t *v, const char *what);
int mon_rbuf_f64(mon_rbuf_t *r, double *v, const char *what);

/* A u16-length-prefixed string; *s points into the buffer (not NUL-
 * terminated). Refuses NUL bytes, and empty strings when nonempty. */
int mon_rbuf_str(mon_rbuf_t *r, const char **s, size_t *len, int nonempty,
                 const char *what);

/* A u32-length-prefixed string (any bytes) copied into a new buffer with
 * a NUL after it (caller frees); *len, when not NULL, gets the length.
 * *s is NULL on failure. */
int mon_rbuf_str32_dup(mon_rbuf_t *r, char **s, size_t *len, const char *what);

/* For the version 1 store and history files: checks that the u64 body
 * length at byte len_at matches the file (the body runs from body_at to
 * the end) and that the u32 at crc_at is the body's CRC-32 (IEEE 802.3,
 * as zlib). Returns 0, or -1 with the error recorded in r. */
int mon_state_v1_check(mon_rbuf_t *r, size_t len_at, size_t crc_at,
                       size_t body_at);

/* A u32 count that must be <= max and whose items (each >= min_item
 * bytes) must fit in the bytes left. */
int mon_rbuf_count(mon_rbuf_t *r, uint32_t *n, size_t min_item, uint32_t max,
                   const char *what);

/* Writes head then body to `path` through "path.tmp", fsync, rename and
 * an fsync of the directory. Returns 0, or -1 with errstr naming the file
 * and why (the temp file is removed). */
int mon_file_write_atomic(const char *path, const void *head, size_t hlen,
                          const void *body, size_t blen, char *errstr,
                          size_t errstr_size);

/* Reads a whole regular file into a malloc'd buffer (NUL-terminated, the
 * NUL not counted in *len). Returns 0 or -1 with errstr set. */
int mon_file_read(const char *path, unsigned char **data, size_t *len,
                  char *errstr, size_t errstr_size);

/* Reads a file of any kind (regular, pipe, /dev/stdin) to its end into
 * a malloc'd buffer (NUL-terminated, the NUL not counted in *len).
 * Returns the buffer, or NULL with errstr "PATH: why" (including "larger
 * than MAX bytes" once max bytes have been read). */
char *mon_file_read_max(const char *path, size_t max, size_t *len, char *errstr,
                        size_t errstr_size);

#endif
