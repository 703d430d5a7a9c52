/* mon_codec: little-endian binary encoding for Warren's state files, with
 * a CRC-32 and crash-safe whole-file writes.
 *
 * Writers append to a growable mon_wbuf_t; readers walk a mon_rbuf_t that
 * bounds-checks every length against the bytes left and, on the first
 * failure, records "PATH: byte N: why" (later reads then fail at once, so
 * a parser can check once at the end). Files are replaced atomically:
 * temp file, fsync, rename, fsync of the directory.
 */
#ifndef MON_CODEC_H
#define MON_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32 (IEEE 802.3, as zlib) of p[0..n). Thread-safe. */
uint32_t mon_crc32(const void *p, size_t n);

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

typedef struct mon_rbuf_s {
    const unsigned char *p;
    size_t len, pos;
    const char *path; /* for messages */
    char *errstr;
    size_t errstr_size;
    int failed;
} mon_rbuf_t;

/* A reader over p[0..len) reporting errors as "path: byte N: why". */
void mon_rbuf_init(mon_rbuf_t *r, const void *p, size_t len,
                   const char *path, char *errstr, size_t errstr_size);

/* Records a failure at byte `at` (the first one wins); returns -1. */
int mon_rbuf_fail(mon_rbuf_t *r, size_t at, const char *why);

/* Each returns 0, or -1 (with the error recorded) when fewer bytes are
 * left than needed; `what` names the field in the message. */
int mon_rbuf_need(mon_rbuf_t *r, size_t n, const char *what);
int mon_rbuf_u16(mon_rbuf_t *r, uint16_t *v, const char *what);
int mon_rbuf_u32(mon_rbuf_t *r, uint32_t *v, const char *what);
int mon_rbuf_i64(mon_rbuf_t *r, int64_t *v, const char *what);
int mon_rbuf_f64(mon_rbuf_t *r, double *v, const char *what);

/* A u16-length-prefixed string; *s points into the buffer (not NUL-
 * terminated). Refuses NUL bytes, and empty strings when nonempty. */
int mon_rbuf_str(mon_rbuf_t *r, const char **s, size_t *len, int nonempty,
                 const char *what);

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
char *mon_file_read_max(const char *path, size_t max, size_t *len,
                        char *errstr, size_t errstr_size);

#endif
