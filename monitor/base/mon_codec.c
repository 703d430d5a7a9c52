/* SPDX-License-Identifier: Apache-2.0 */
/* mon_codec: see mon_codec.h. */
#include "monitor/base/mon_codec.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_crc32c.h"
#include "broker-core/bc_fs.h"
#include "monitor/base/mon_mem.h"

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int j = 0; j < 8; j++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_ieee(const void *data, size_t n) {
    const unsigned char *p = data;
    uint32_t c = 0xffffffffu;
    pthread_once(&crc_once, crc_init);
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static uint16_t le16(const void *p) {
    const unsigned char *c = p;
    return (uint16_t)(c[0] | c[1] << 8);
}

uint32_t mon_le32(const void *p) {
    const unsigned char *c = p;
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 |
           (uint32_t)c[3] << 24;
}

static uint64_t le64(const void *p) {
    const unsigned char *c = p;
    return (uint64_t)mon_le32(c) | (uint64_t)mon_le32(c + 4) << 32;
}

void mon_put_le32(void *p, uint32_t v) {
    unsigned char *c = p;
    for (int i = 0; i < 4; i++)
        c[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(void *p, uint64_t v) {
    mon_put_le32(p, (uint32_t)v);
    mon_put_le32((unsigned char *)p + 4, (uint32_t)(v >> 32));
}

void mon_wbuf_put(mon_wbuf_t *b, const void *src, size_t n) {
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n)
            nc *= 2;
        b->p = mon_realloc(b->p, nc);
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
}

void mon_wbuf_u16(mon_wbuf_t *b, uint16_t v) {
    unsigned char x[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    mon_wbuf_put(b, x, 2);
}

void mon_wbuf_u32(mon_wbuf_t *b, uint32_t v) {
    unsigned char x[4];
    mon_put_le32(x, v);
    mon_wbuf_put(b, x, 4);
}

void mon_wbuf_u64(mon_wbuf_t *b, uint64_t v) {
    unsigned char x[8];
    put_le64(x, v);
    mon_wbuf_put(b, x, 8);
}

void mon_wbuf_patch_u32(mon_wbuf_t *b, size_t at, uint32_t v) {
    WARREN_ASSERT(at + 4 <= b->len);
    mon_put_le32(b->p + at, v);
}

void mon_wbuf_str(mon_wbuf_t *b, const char *s, size_t len) {
    mon_wbuf_u16(b, (uint16_t)len);
    mon_wbuf_put(b, s, len);
}

void mon_wbuf_u8(mon_wbuf_t *b, uint8_t v) {
    mon_wbuf_put(b, &v, 1);
}

void mon_wbuf_str32(mon_wbuf_t *b, const char *s, size_t len) {
    mon_wbuf_u32(b, (uint32_t)len);
    mon_wbuf_put(b, s, len);
}

void mon_wbuf_free(mon_wbuf_t *b) {
    free(b->p);
    memset(b, 0, sizeof(*b));
}

void mon_rbuf_init(mon_rbuf_t *r, const void *p, size_t len, const char *path,
                   char *errstr, size_t errstr_size) {
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->len = len;
    r->path = path;
    r->errstr = errstr;
    r->errstr_size = errstr_size;
}

int mon_rbuf_fail(mon_rbuf_t *r, size_t at, const char *why) {
    if (!r->failed && r->errstr_size)
        snprintf(r->errstr, r->errstr_size, "%s: byte %zu: %s", r->path, at,
                 why);
    r->failed = 1;
    return -1;
}

int mon_rbuf_need(mon_rbuf_t *r, size_t n, const char *what) {
    if (r->failed) return -1;
    /* pos may have been set past the end (a header field's offset in a
     * file shorter than the header) */
    if (r->pos > r->len || n > r->len - r->pos) {
        char msg[160];
        snprintf(msg, sizeof(msg), "truncated %s (%zu bytes needed, %zu left)",
                 what, n, r->pos > r->len ? (size_t)0 : r->len - r->pos);
        return mon_rbuf_fail(r, r->pos, msg);
    }
    return 0;
}

int mon_rbuf_u8(mon_rbuf_t *r, uint8_t *v, const char *what) {
    if (mon_rbuf_need(r, 1, what) < 0) return -1;
    *v = r->p[r->pos++];
    return 0;
}

int mon_rbuf_u16(mon_rbuf_t *r, uint16_t *v, const char *what) {
    if (mon_rbuf_need(r, 2, what) < 0) return -1;
    *v = le16(r->p + r->pos);
    r->pos += 2;
    return 0;
}

int mon_rbuf_u32(mon_rbuf_t *r, uint32_t *v, const char *what) {
    if (mon_rbuf_need(r, 4, what) < 0) return -1;
    *v = mon_le32(r->p + r->pos);
    r->pos += 4;
    return 0;
}

int mon_rbuf_i64(mon_rbuf_t *r, int64_t *v, const char *what) {
    if (mon_rbuf_need(r, 8, what) < 0) return -1;
    *v = (int64_t)le64(r->p + r->pos);
    r->pos += 8;
    return 0;
}

int mon_rbuf_f64(mon_rbuf_t *r, double *v, const char *what) {
    int64_t bits;
    if (mon_rbuf_i64(r, &bits, what) < 0) return -1;
    memcpy(v, &bits, sizeof(*v));
    return 0;
}

int mon_rbuf_str(mon_rbuf_t *r, const char **s, size_t *len, int nonempty,
                 const char *what) {
    uint16_t n;
    size_t at = r->pos;
    if (mon_rbuf_u16(r, &n, what) < 0 || mon_rbuf_need(r, n, what) < 0)
        return -1;
    if (nonempty && n == 0) return mon_rbuf_fail(r, at, "empty name");
    if (memchr(r->p + r->pos, '\0', n))
        return mon_rbuf_fail(r, at, "NUL byte in a string");
    *s = (const char *)r->p + r->pos;
    *len = n;
    r->pos += n;
    return 0;
}

int mon_rbuf_str32_dup(mon_rbuf_t *r, char **s, size_t *len, const char *what) {
    uint32_t n;
    *s = NULL;
    if (mon_rbuf_u32(r, &n, what) < 0 || mon_rbuf_need(r, n, what) < 0)
        return -1;
    char *v = mon_malloc((size_t)n + 1);
    memcpy(v, r->p + r->pos, n);
    v[n] = '\0';
    r->pos += n;
    *s = v;
    if (len) *len = n;
    return 0;
}

int mon_rbuf_count(mon_rbuf_t *r, uint32_t *n, size_t min_item, uint32_t max,
                   const char *what) {
    size_t at = r->pos;
    if (mon_rbuf_u32(r, n, what) < 0) return -1;
    if (*n > max || (size_t)*n * min_item > r->len - r->pos) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%s %u exceeds what the file can hold", what,
                 *n);
        return mon_rbuf_fail(r, at, msg);
    }
    return 0;
}

static int fsync_dir_of(const char *path) {
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) >= sizeof(dir))
        return -1;
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    return bc_fs_fsync_dir(dir);
}

void mon_state_header(unsigned char hdr[MON_STATE_HEADER_SIZE],
                      const char *magic, uint32_t version, const void *body,
                      size_t blen) {
    memset(hdr, 0, MON_STATE_HEADER_SIZE);
    memcpy(hdr, magic, strnlen(magic, 8));
    mon_put_le32(hdr + 8, version);
    put_le64(hdr + 16, blen);
    mon_put_le32(hdr + 24, bc_crc32c(0, body, blen));
    mon_put_le32(hdr + 28, bc_crc32c(0, hdr, 28));
}

int mon_state_v1_check(mon_rbuf_t *r, size_t len_at, size_t crc_at,
                       size_t body_at) {
    int64_t blen = 0;
    uint32_t crc = 0;
    r->pos = len_at;
    mon_rbuf_i64(r, &blen, "body length");
    r->pos = crc_at;
    if (mon_rbuf_u32(r, &crc, "crc") < 0) return -1;
    if (body_at > r->len || blen < 0 || (uint64_t)blen != r->len - body_at)
        return mon_rbuf_fail(r, len_at,
                             "body length does not match the "
                             "file size");
    if (crc != crc32_ieee(r->p + body_at, (size_t)blen))
        return mon_rbuf_fail(r, crc_at, "checksum mismatch (corrupt file)");
    return 0;
}

mon_state_kind_t mon_state_check(const void *data, size_t len,
                                 const char *magic, uint32_t version,
                                 int append_only, const char *path,
                                 uint32_t *found, char *errstr,
                                 size_t errstr_size) {
    const unsigned char *p = data;
    char m[8] = {0};
    mon_rbuf_t r;
    mon_rbuf_init(&r, data, len, path, errstr, errstr_size);
    memcpy(m, magic, strnlen(magic, 8));
    if (len < 12 || memcmp(p, m, 8) != 0) {
        mon_rbuf_fail(&r, 0,
                      len < 8 || memcmp(p, m, 8) != 0
                          ? "bad magic (not this kind of Warren file)"
                          : "truncated header");
        return MON_STATE_BAD;
    }
    *found = mon_le32(p + 8);
    if (*found >= 1 && *found < version) return MON_STATE_OLD;
    if (*found != version) {
        char why[96];
        snprintf(why, sizeof(why),
                 "unsupported format version %u (this "
                 "build reads 1 to %u)",
                 *found, version);
        mon_rbuf_fail(&r, 8, why);
        return MON_STATE_BAD;
    }
    if (len < MON_STATE_HEADER_SIZE) {
        mon_rbuf_fail(&r, len, "truncated header (32 bytes needed)");
        return MON_STATE_BAD;
    }
    if (mon_le32(p + 28) != bc_crc32c(0, p, 28)) {
        mon_rbuf_fail(&r, 28, "header checksum mismatch (corrupt header)");
        return MON_STATE_BAD;
    }
    uint64_t blen = le64(p + 16);
    if (append_only ? blen != 0 : blen != len - MON_STATE_HEADER_SIZE) {
        mon_rbuf_fail(&r, 16, "body length does not match the file size");
        return MON_STATE_BAD;
    }
    if (mon_le32(p + 24) !=
        bc_crc32c(0, p + MON_STATE_HEADER_SIZE, (size_t)blen)) {
        mon_rbuf_fail(&r, 24, "body checksum mismatch (corrupt file)");
        return MON_STATE_BAD;
    }
    return MON_STATE_CURRENT;
}

int mon_file_write_atomic(const char *path, const void *head, size_t hlen,
                          const void *body, size_t blen, char *errstr,
                          size_t errstr_size) {
    char tmp[4096];
    int fd = -1, rc = -1;
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        snprintf(errstr, errstr_size, "%s: path too long", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (bc_fs_write_all(fd, head, hlen) < 0 ||
        bc_fs_write_all(fd, body, blen) < 0 || fsync(fd) < 0) {
        snprintf(errstr, errstr_size, "%s: write: %s", tmp, strerror(errno));
        goto out;
    }
    int crc = close(fd);
    fd = -1;
    if (crc < 0) {
        snprintf(errstr, errstr_size, "%s: close: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        snprintf(errstr, errstr_size, "%s: rename: %s", path, strerror(errno));
        goto out;
    }
    if (fsync_dir_of(path) < 0) {
        snprintf(errstr, errstr_size, "%s: fsync directory: %s", path,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) close(fd);
    if (rc != 0) unlink(tmp);
    return rc;
}

int mon_file_read(const char *path, unsigned char **data, size_t *len,
                  char *errstr, size_t errstr_size) {
    struct stat sb;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(errstr, errstr_size, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    unsigned char *buf = mon_malloc((size_t)sb.st_size + 1);
    while (got < (size_t)sb.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            snprintf(errstr, errstr_size, "%s: read: %s", path,
                     n < 0 ? strerror(errno) : "file shrank");
            free(buf);
            close(fd);
            return -1;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
}

char *mon_file_read_max(const char *path, size_t max, size_t *lenp,
                        char *errstr, size_t errstr_size) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= max) {
                snprintf(errstr, errstr_size, "%s: larger than %zu bytes", path,
                         max);
                goto err;
            }
            cap = cap ? cap * 2 : 4096;
            buf = mon_realloc(buf, cap + 1);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        snprintf(errstr, errstr_size, "%s: %s", path,
                 errno ? strerror(errno) : "read error");
        goto err;
    }
    fclose(f);
    buf[len] = '\0';
    *lenp = len;
    return buf;
err:
    fclose(f);
    free(buf);
    return NULL;
}
