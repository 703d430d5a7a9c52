/* SPDX-License-Identifier: Apache-2.0 */
/* bc_segment: see bc_segment.h. Recovery maps the .log read-only and
 * walks it in memory; every other read is a pread. Header scans read
 * 8 KiB windows so that walking the small batches between two index
 * entries costs one or two system calls. */
#include "broker-core/bc_segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_crc32c.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_index.h"
#include "broker-core/bc_mem.h"

struct bc_segment_s {
    char *dir;
    char *log_path;
    int64_t base;
    int fd;
    int64_t size;
    int64_t next_offset;
    int64_t max_ts;
    int64_t max_ts_offset;
    int64_t first_ts;
    int64_t bytes_since_index;
    int64_t created_ms;
    _Atomic int64_t flushed_size; /* the tick fsyncs sealed segments
                                     without the log mutex */
    int64_t index_max_bytes;
    bc_index_t *oidx;
    bc_index_t *tidx;
    int active;
};

void bc_segment_path(char *buf, size_t size, const char *dir, int64_t base,
                     const char *suffix) {
    snprintf(buf, size, "%s/%020" PRId64 "%s", dir, base, suffix);
}

int bc_segment_parse_name(const char *name, int64_t *base,
                          const char **suffix) {
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (name[i] - '0');
    }
    if (name[20] != '.') return -1;
    *base = v;
    *suffix = name + 20;
    return 0;
}

static bc_segment_t *seg_alloc(const char *dir, int64_t base) {
    char path[4096];
    bc_segment_t *seg = bc_calloc(1, sizeof(*seg));
    seg->dir = bc_strdup(dir);
    bc_segment_path(path, sizeof(path), dir, base, ".log");
    seg->log_path = bc_strdup(path);
    seg->base = base;
    seg->fd = -1;
    seg->next_offset = base;
    seg->max_ts = -1;
    seg->max_ts_offset = -1;
    seg->first_ts = -1;
    return seg;
}

void bc_segment_close(bc_segment_t *seg) {
    if (!seg) return;
    bc_index_close(seg->oidx);
    bc_index_close(seg->tidx);
    if (seg->fd >= 0) close(seg->fd);
    free(seg->log_path);
    free(seg->dir);
    free(seg);
}

static int open_indexes(bc_segment_t *seg, int64_t max_bytes, char *errstr,
                        size_t errstr_size) {
    char path[4096];
    bc_segment_path(path, sizeof(path), seg->dir, seg->base, ".index");
    seg->oidx = bc_index_open(path, BC_INDEX_OFFSET, seg->base, max_bytes,
                              errstr, errstr_size);
    if (!seg->oidx) return BC_ERR_IO;
    bc_segment_path(path, sizeof(path), seg->dir, seg->base, ".timeindex");
    seg->tidx = bc_index_open(path, BC_INDEX_TIME, seg->base, max_bytes, errstr,
                              errstr_size);
    return seg->tidx ? 0 : BC_ERR_IO;
}

bc_segment_t *bc_segment_create(const char *dir, int64_t base,
                                int64_t index_max_bytes, int64_t now_ms,
                                char *errstr, size_t errstr_size) {
    bc_segment_t *seg = seg_alloc(dir, base);
    char path[4096];
    seg->fd = open(seg->log_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (seg->fd < 0) {
        bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", seg->log_path,
                   strerror(errno));
        goto err;
    }
    /* Leftover index files of this name would otherwise count as
     * entries. */
    bc_segment_path(path, sizeof(path), dir, base, ".index");
    unlink(path);
    bc_segment_path(path, sizeof(path), dir, base, ".timeindex");
    unlink(path);
    seg->index_max_bytes = index_max_bytes;
    if (open_indexes(seg, index_max_bytes, errstr, errstr_size) < 0) goto err;
    seg->created_ms = now_ms;
    seg->active = 1;
    return seg;
err:
    bc_segment_close(seg);
    return NULL;
}

/* Reads the whole batch at pos into *buf (grown as needed), verifying the
 * CRC when asked. 0, BC_ERR_NOT_FOUND at the end, BC_ERR_CORRUPT/IO. */
static int read_batch(bc_segment_t *seg, int64_t pos, uint8_t **buf,
                      size_t *cap, bc_batch_t *b, int verify, char *why,
                      size_t why_size) {
    uint8_t h[BC_BATCH_HEADER_SIZE];
    if (pos >= seg->size) return BC_ERR_NOT_FOUND;
    if (seg->size - pos < BC_BATCH_HEADER_SIZE)
        return bc_err_set(BC_ERR_CORRUPT, why, why_size,
                          "%lld trailing bytes, less than a header",
                          (long long)(seg->size - pos));
    if (bc_segment_read(seg, pos, h, sizeof(h)) != (int64_t)sizeof(h))
        return bc_err_set(BC_ERR_IO, why, why_size, "read: %s",
                          strerror(errno));
    int rc = bc_batch_parse_header(h, sizeof(h), b, why, why_size);
    if (rc < 0) return rc;
    if ((int64_t)b->size > seg->size - pos)
        return bc_err_set(BC_ERR_CORRUPT, why, why_size,
                          "batch of %zu bytes runs past the end", b->size);
    if (*cap < b->size) {
        *cap = b->size;
        *buf = bc_realloc(*buf, *cap);
    }
    if (bc_segment_read(seg, pos, *buf, b->size) != (int64_t)b->size)
        return bc_err_set(BC_ERR_IO, why, why_size, "read: %s",
                          strerror(errno));
    rc = bc_batch_parse(*buf, b->size, verify ? BC_BATCH_VERIFY_CRC : 0, b, why,
                        why_size);
    return rc == BC_BATCH_SHORT ? BC_ERR_CORRUPT : rc;
}

/* Is there a valid batch (CRC and offsets) anywhere in map[from..size)?
 * Used to tell a torn tail from corruption with good data after it. */
static int valid_batch_after(const uint8_t *map, int64_t from, int64_t size,
                             int64_t next) {
    for (int64_t q = from; q + BC_BATCH_HEADER_SIZE <= size; q++) {
        if (map[q + 16] != BC_BATCH_MAGIC) continue;
        bc_batch_t b;
        if (bc_batch_parse(map + q, (size_t)(size - q), BC_BATCH_VERIFY_CRC, &b,
                           NULL, 0) == 0 &&
            b.base_offset >= next)
            return 1;
    }
    return 0;
}

/* Full recovery: re-validates every batch, rebuilds both indexes,
 * truncates a torn tail (see bc_segment.h for the policy). */
static int recover(bc_segment_t *seg, const bc_segment_open_t *o,
                   bc_segment_report_t *rep, char *errstr, size_t errstr_size) {
    struct stat st;
    uint8_t *map = NULL;
    int64_t size, pos = 0, last_index_pos = 0;
    int64_t next = o->expect_offset > seg->base ? o->expect_offset : seg->base;
    char why[160] = "";
    int rc = 0;

    if (fstat(seg->fd, &st) < 0)
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s",
                          seg->log_path, strerror(errno));
    size = st.st_size;
    if (size > 0) {
        map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, seg->fd, 0);
        if (map == MAP_FAILED)
            return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: mmap: %s",
                              seg->log_path, strerror(errno));
    }
    bc_index_reset(seg->oidx);
    bc_index_reset(seg->tidx);
    if (bc_index_resize(seg->oidx, o->index_max_bytes, errstr, errstr_size) <
            0 ||
        bc_index_resize(seg->tidx, o->index_max_bytes, errstr, errstr_size) <
            0) {
        rc = BC_ERR_IO;
        goto out;
    }
    seg->size = 0;
    seg->next_offset = seg->base;
    seg->max_ts = seg->max_ts_offset = seg->first_ts = -1;
    while (pos < size) {
        bc_batch_t b;
        int prc = bc_batch_parse(map + pos, (size_t)(size - pos),
                                 BC_BATCH_VERIFY_CRC, &b, why, sizeof(why));
        if (prc == BC_BATCH_SHORT) {
            snprintf(why, sizeof(why), "batch cut short (%lld of %zu bytes)",
                     (long long)(size - pos), b.size);
            break;
        }
        if (prc < 0) break;
        int64_t last = bc_batch_last_offset(&b);
        if (b.base_offset < next || last - seg->base > INT32_MAX) {
            snprintf(why, sizeof(why),
                     "batch offsets %lld..%lld out of order (expected >= "
                     "%lld)",
                     (long long)b.base_offset, (long long)last,
                     (long long)next);
            break;
        }
        if (b.max_timestamp > seg->max_ts) {
            seg->max_ts = b.max_timestamp;
            seg->max_ts_offset = last;
        }
        if (pos - last_index_pos > o->index_interval) {
            if (bc_index_append_offset(seg->oidx, last, pos) < 0 ||
                bc_index_append_time(seg->tidx, seg->max_ts, seg->max_ts_offset,
                                     0) < 0) {
                snprintf(why, sizeof(why), "index full");
                break;
            }
            last_index_pos = pos;
        }
        if (pos == 0) seg->first_ts = b.max_timestamp;
        next = last + 1;
        seg->next_offset = next;
        pos += (int64_t)b.size;
    }
    rep->recovered = 1;
    rep->index_rebuilt = 1;
    if (pos < size) {
        int follows = valid_batch_after(map, pos + 1, size, next);
        int torn = o->last && !follows && next >= o->flushed_offset;
        if (!torn && !o->repair) {
            char ctx[96];
            if (follows)
                snprintf(ctx, sizeof(ctx), "valid data follows");
            else if (!o->last)
                snprintf(ctx, sizeof(ctx), "later segments follow");
            else if (o->flushed_offset == INT64_MAX)
                snprintf(ctx, sizeof(ctx), "the log was closed cleanly");
            else
                snprintf(ctx, sizeof(ctx),
                         "offset %lld was flushed (recovery point %lld)",
                         (long long)next, (long long)o->flushed_offset);
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                            "%s: byte %lld: %s; %s, not a torn write "
                            "(refusing to truncate)",
                            seg->log_path, (long long)pos, why, ctx);
            goto out;
        }
        if (ftruncate(seg->fd, (off_t)pos) < 0) {
            rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: truncate: %s",
                            seg->log_path, strerror(errno));
            goto out;
        }
        rep->bytes_truncated = size - pos;
        rep->truncated_at = pos;
        rep->corrupt_mid_log = !torn;
        snprintf(rep->reason, sizeof(rep->reason), "%s", why);
    }
    seg->size = pos;
    seg->bytes_since_index = pos - last_index_pos;
out:
    if (map) munmap(map, (size_t)size);
    return rc;
}

/* Trusted load: checks indexes and re-reads the tail after the last
 * offset-index entry. Returns 0, or 1 when a full recovery is needed. */
static int load_trusted(bc_segment_t *seg, int had_indexes) {
    char why[160];
    if (!had_indexes || bc_index_check(seg->oidx, seg->size, NULL, 0) < 0 ||
        bc_index_check(seg->tidx, seg->size, NULL, 0) < 0)
        return 1;
    int64_t pos = 0, ioff = -1;
    size_t n = bc_index_entries(seg->oidx);
    if (n > 0) bc_index_entry(seg->oidx, n - 1, &ioff, &pos);
    n = bc_index_entries(seg->tidx);
    if (n > 0)
        bc_index_entry(seg->tidx, n - 1, &seg->max_ts, &seg->max_ts_offset);
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    int64_t start = pos;
    bc_batch_t b;
    if (seg->size > 0) {
        /* The first batch (the segment's "header") is always checked:
         * CRC, and a base offset that fits this segment. */
        if (read_batch(seg, 0, &buf, &cap, &b, 1, why, sizeof(why)) < 0 ||
            b.base_offset < seg->base ||
            (ioff >= 0 && bc_batch_last_offset(&b) > ioff)) {
            free(buf);
            return 1;
        }
        seg->first_ts = b.max_timestamp;
    }
    for (;;) {
        int r = read_batch(seg, pos, &buf, &cap, &b, 1, why, sizeof(why));
        if (r == BC_ERR_NOT_FOUND) break;
        /* baseOffset is outside the CRC: offsets must still go forward,
         * or a flipped bit there would pass as a valid batch. */
        if (r < 0 ||
            (pos == start && ioff >= 0 && bc_batch_last_offset(&b) != ioff) ||
            b.base_offset < seg->base ||
            bc_batch_last_offset(&b) < b.base_offset ||
            (pos != start && b.base_offset < seg->next_offset) ||
            bc_batch_last_offset(&b) - seg->base > INT32_MAX) {
            rc = 1;
            break;
        }
        if (b.max_timestamp > seg->max_ts) {
            seg->max_ts = b.max_timestamp;
            seg->max_ts_offset = bc_batch_last_offset(&b);
        }
        seg->next_offset = bc_batch_last_offset(&b) + 1;
        pos += (int64_t)b.size;
    }
    free(buf);
    seg->bytes_since_index = seg->size - start;
    return rc;
}

bc_segment_t *bc_segment_open(const char *dir, int64_t base,
                              const bc_segment_open_t *o,
                              bc_segment_report_t *rep, int *err, char *errstr,
                              size_t errstr_size) {
    bc_segment_t *seg = seg_alloc(dir, base);
    bc_segment_report_t dummy;
    char path[4096];
    struct stat st;
    int rc = 0;

    if (!rep) rep = &dummy;
    memset(rep, 0, sizeof(*rep));
    rep->truncated_at = -1;
    seg->created_ms = o->now_ms;
    seg->index_max_bytes = o->index_max_bytes;
    seg->fd = open(seg->log_path, O_RDWR | O_CLOEXEC);
    if (seg->fd < 0 || fstat(seg->fd, &st) < 0) {
        rc = bc_err_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, errstr,
                        errstr_size, "%s: %s", seg->log_path, strerror(errno));
        goto err;
    }
    seg->size = st.st_size;
    int had = 1;
    bc_segment_path(path, sizeof(path), dir, base, ".index");
    had &= access(path, F_OK) == 0;
    bc_segment_path(path, sizeof(path), dir, base, ".timeindex");
    had &= access(path, F_OK) == 0;
    if (open_indexes(seg, o->last ? o->index_max_bytes : 0, errstr,
                     errstr_size) < 0) {
        rc = BC_ERR_IO;
        goto err;
    }
    if (o->recover || load_trusted(seg, had)) {
        rc = recover(seg, o, rep, errstr, errstr_size);
        if (rc < 0) goto err;
    }
    seg->flushed_size = seg->size;
    if (o->last) {
        seg->active = 1;
        if (bc_index_resize(seg->oidx, o->index_max_bytes, errstr,
                            errstr_size) < 0 ||
            bc_index_resize(seg->tidx, o->index_max_bytes, errstr,
                            errstr_size) < 0) {
            rc = BC_ERR_IO;
            goto err;
        }
    } else {
        seg->active = 1; /* so seal writes the final entry and trims */
        if ((rc = bc_segment_seal(seg, errstr, errstr_size)) < 0) goto err;
    }
    return seg;
err:
    if (err) *err = rc;
    bc_segment_close(seg);
    return NULL;
}

int bc_segment_delete(bc_segment_t *seg) {
    char path[4096];
    int rc = 0;
    const char *sfx[] = {".log", ".index", ".timeindex"};
    for (size_t i = 0; i < 3; i++) {
        bc_segment_path(path, sizeof(path), seg->dir, seg->base, sfx[i]);
        if (unlink(path) < 0 && errno != ENOENT) rc = BC_ERR_IO;
    }
    bc_segment_close(seg);
    return rc;
}

int64_t bc_segment_base(const bc_segment_t *seg) {
    return seg->base;
}
int bc_segment_fd(const bc_segment_t *seg) {
    return seg->fd;
}

int64_t bc_segment_size(const bc_segment_t *seg) {
    return seg->size;
}
int64_t bc_segment_next_offset(const bc_segment_t *seg) {
    return seg->next_offset;
}
int64_t bc_segment_max_timestamp(const bc_segment_t *seg) {
    return seg->max_ts;
}
int64_t bc_segment_max_timestamp_offset(const bc_segment_t *seg) {
    return seg->max_ts_offset;
}
int64_t bc_segment_first_timestamp(const bc_segment_t *seg) {
    return seg->first_ts;
}
int64_t bc_segment_created_ms(const bc_segment_t *seg) {
    return seg->created_ms;
}
int64_t bc_segment_unflushed(const bc_segment_t *seg) {
    return seg->size - seg->flushed_size;
}

int64_t bc_segment_mtime_ms(const bc_segment_t *seg) {
    struct stat st;
    if (fstat(seg->fd, &st) < 0) return 0;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

int bc_segment_index_full(const bc_segment_t *seg) {
    return bc_index_is_full(seg->oidx) || bc_index_is_full(seg->tidx);
}

size_t bc_segment_index_room(const bc_segment_t *seg) {
    size_t a = bc_index_room(seg->oidx), b = bc_index_room(seg->tidx);
    return a < b ? a : b;
}

int bc_segment_append_v(bc_segment_t *seg, const struct iovec *iov,
                        const bc_batch_t *hdrs, size_t n,
                        int32_t index_interval, char *errstr,
                        size_t errstr_size) {
    int64_t pos = seg->size, done = 0, total = 0;
    struct iovec local[64], *v = local;
    size_t vi = 0;
    BC_ASSERT(seg->active);
    for (size_t i = 0; i < n; i++)
        total += (int64_t)iov[i].iov_len;
    if (n > 64) v = bc_malloc(n * sizeof(*v));
    memcpy(v, iov, n * sizeof(*v));
    while (done < total) {
        int cnt = (int)(n - vi > 1024 ? 1024 : n - vi);
        ssize_t w = pwritev(seg->fd, v + vi, cnt, (off_t)(pos + done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : ENOSPC;
            if (ftruncate(seg->fd, (off_t)pos) < 0) {
                /* The tail is garbage on disk now; recovery cuts it. */
            }
            if (v != local) free(v);
            return bc_err_set(BC_ERR_IO, errstr, errstr_size,
                              "%s: write at byte %lld: %s", seg->log_path,
                              (long long)(pos + done), strerror(e));
        }
        done += w;
        /* Skip the fully written vectors, trim a partly written one. */
        while (vi < n && (size_t)w >= v[vi].iov_len) {
            w -= (ssize_t)v[vi].iov_len;
            vi++;
        }
        if (vi < n && w > 0) {
            v[vi].iov_base = (uint8_t *)v[vi].iov_base + w;
            v[vi].iov_len -= (size_t)w;
        }
    }
    if (v != local) free(v);
    for (size_t i = 0; i < n; i++) {
        const bc_batch_t *hdr = &hdrs[i];
        int64_t last = bc_batch_last_offset(hdr);
        if (seg->size == 0) seg->first_ts = hdr->max_timestamp;
        if (hdr->max_timestamp > seg->max_ts) {
            seg->max_ts = hdr->max_timestamp;
            seg->max_ts_offset = last;
        }
        if (seg->bytes_since_index > index_interval) {
            /* Room was checked by the caller (roll). */
            bc_index_append_offset(seg->oidx, last, seg->size);
            bc_index_append_time(seg->tidx, seg->max_ts, seg->max_ts_offset, 0);
            seg->bytes_since_index = 0;
        }
        seg->bytes_since_index += (int64_t)iov[i].iov_len;
        seg->size += (int64_t)iov[i].iov_len;
        seg->next_offset = last + 1;
    }
    return 0;
}

int bc_segment_append(bc_segment_t *seg, const uint8_t *batch, size_t len,
                      const bc_batch_t *hdr, int32_t index_interval,
                      char *errstr, size_t errstr_size) {
    struct iovec v = {(void *)batch, len};
    return bc_segment_append_v(seg, &v, hdr, 1, index_interval, errstr,
                               errstr_size);
}

int bc_segment_seal(bc_segment_t *seg, char *errstr, size_t errstr_size) {
    if (!seg->active) return 0;
    if (seg->max_ts >= 0)
        bc_index_append_time(seg->tidx, seg->max_ts, seg->max_ts_offset, 1);
    if (bc_index_trim(seg->oidx, errstr, errstr_size) < 0 ||
        bc_index_trim(seg->tidx, errstr, errstr_size) < 0)
        return BC_ERR_IO;
    seg->active = 0;
    return 0;
}

int bc_segment_flush(bc_segment_t *seg, int indexes) {
    if (seg->flushed_size != seg->size || indexes) {
        if (fdatasync(seg->fd) < 0) return BC_ERR_IO;
        seg->flushed_size = seg->size;
    }
    if (indexes &&
        (bc_index_flush(seg->oidx) < 0 || bc_index_flush(seg->tidx) < 0))
        return BC_ERR_IO;
    return 0;
}

int64_t bc_segment_read(bc_segment_t *seg, int64_t pos, void *buf, size_t len) {
    size_t done = 0;
    if (pos >= seg->size) return 0;
    if ((int64_t)len > seg->size - pos) len = (size_t)(seg->size - pos);
    while (done < len) {
        ssize_t r = pread(seg->fd, (uint8_t *)buf + done, len - done,
                          (off_t)(pos + (int64_t)done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return BC_ERR_IO;
        if (r == 0) break;
        done += (size_t)r;
    }
    return (int64_t)done;
}

/* A window of the .log for walking batch headers. */
typedef struct hscan_s {
    bc_segment_t *seg;
    uint8_t buf[8192];
    int64_t at; /* file position of buf[0] */
    size_t len; /* valid bytes in buf */
} hscan_t;

/* Header of the batch at pos: 0, BC_ERR_NOT_FOUND at the end,
 * BC_ERR_CORRUPT/IO. */
static int hscan_at(hscan_t *h, int64_t pos, bc_batch_t *b) {
    if (pos >= h->seg->size) return BC_ERR_NOT_FOUND;
    if (pos < h->at || pos + BC_BATCH_HEADER_SIZE > h->at + (int64_t)h->len) {
        int64_t r = bc_segment_read(h->seg, pos, h->buf, sizeof(h->buf));
        if (r < 0) return BC_ERR_IO;
        h->at = pos;
        h->len = (size_t)r;
    }
    int rc = bc_batch_parse_header(h->buf + (pos - h->at),
                                   h->len - (size_t)(pos - h->at), b, NULL, 0);
    if (rc != 0 || (int64_t)b->size > h->seg->size - pos) return BC_ERR_CORRUPT;
    return 0;
}

int bc_segment_find_offset(bc_segment_t *seg, int64_t target, int64_t *pos,
                           bc_batch_t *hdr) {
    hscan_t *h = bc_malloc(sizeof(*h));
    int64_t ioff, p;
    int rc;
    h->seg = seg;
    h->at = 0;
    h->len = 0;
    bc_index_lookup_offset(seg->oidx, target, &ioff, &p);
    for (;;) {
        rc = hscan_at(h, p, hdr);
        if (rc < 0) break;
        if (bc_batch_last_offset(hdr) >= target) {
            *pos = p;
            hdr->data = NULL; /* points into the scan window */
            break;
        }
        p += (int64_t)hdr->size;
    }
    free(h);
    return rc;
}

int bc_segment_scan_headers(bc_segment_t *seg, bc_batch_header_fn fn,
                            void *opaque) {
    hscan_t *h = bc_malloc(sizeof(*h));
    bc_batch_t b;
    int64_t p = 0;
    int rc;
    h->seg = seg;
    h->at = 0;
    h->len = 0;
    while ((rc = hscan_at(h, p, &b)) == 0) {
        b.data = NULL; /* points into the scan window */
        rc = fn(opaque, &b);
        if (rc != 0) break;
        p += (int64_t)b.size;
    }
    free(h);
    return rc == BC_ERR_NOT_FOUND ? 0 : rc;
}

int bc_segment_timestamp_of(bc_segment_t *seg, int64_t target, int64_t *offset,
                            int64_t *timestamp) {
    int64_t pos;
    bc_batch_t b;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc = bc_segment_find_offset(seg, target, &pos, &b);
    while (rc == 0) {
        rc = read_batch(seg, pos, &buf, &cap, &b, 0, NULL, 0);
        if (rc < 0) break;
        bc_record_iter_t it;
        bc_record_t rec;
        int r;
        bc_record_iter_init(&it, &b);
        while ((r = bc_record_iter_next(&it, &rec)) == 1) {
            if (rec.offset >= target) {
                *offset = rec.offset;
                *timestamp = rec.timestamp;
                free(buf);
                return 0;
            }
        }
        if (r < 0) {
            rc = BC_ERR_CORRUPT;
            break;
        }
        pos += (int64_t)b.size;
    }
    free(buf);
    return rc;
}

int bc_segment_offset_for_time(bc_segment_t *seg, int64_t target,
                               int64_t *offset, int64_t *timestamp) {
    int64_t its, ioff, ipos, pos;
    bc_batch_t b;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int rc;
    if (seg->max_ts < target) return BC_ERR_NOT_FOUND;
    bc_index_lookup_time(seg->tidx, target, &its, &ioff);
    bc_index_lookup_offset(seg->oidx, ioff, &ipos, &pos);
    for (;;) {
        rc = read_batch(seg, pos, &buf, &cap, &b, 0, NULL, 0);
        if (rc < 0) break;
        if (b.max_timestamp >= target) {
            bc_record_iter_t it;
            bc_record_t rec;
            int r;
            bc_record_iter_init(&it, &b);
            while ((r = bc_record_iter_next(&it, &rec)) == 1) {
                if (rec.timestamp >= target) {
                    *offset = rec.offset;
                    *timestamp = rec.timestamp;
                    free(buf);
                    return 0;
                }
            }
            if (r < 0) {
                rc = BC_ERR_CORRUPT;
                break;
            }
        }
        pos += (int64_t)b.size;
    }
    free(buf);
    return rc;
}
