/* SPDX-License-Identifier: Apache-2.0 */
/* bc_index: see bc_index.h. The file is always mapped shared and
 * read-write over exactly its length, which changes only by trim/resize;
 * `entries` is kept in memory (the file length of an active index is the
 * preallocated size, not the entry count). No descriptor is held between
 * calls: the mapping stays valid once its fd is closed, and the few
 * operations that need one (populate, resize, fsync of an empty index)
 * open the path again, so a broker of 10,000 partitions does not hold
 * 20,000 index descriptors. */
#include "broker-core/bc_index.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_bytes.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_mem.h"

struct bc_index_s {
    char *path;
    int kind; /* entry size */
    int64_t base;
    uint8_t *map;
    size_t map_len;
    size_t entries;
    size_t max_entries; /* map_len / kind */
    size_t populated;   /* map bytes written through the file (populate) */
};

/* The next POPULATE_CHUNK bytes past the last entry are written with
 * zeros through the file before entries are stored into them through
 * the map. A first store into a page of a shared file mapping that was
 * never written (a hole of the preallocated file) makes the kernel read
 * the hole and run the file system's page_mkwrite under its journal,
 * which cost more than the log's own write of the 16 KiB batch the entry
 * indexes; a page already in the page cache costs only a minor fault. */
#define POPULATE_CHUNK (64 * 1024)

/* The index file opened again (never created: a file renamed or deleted
 * under an open index is not made anew); -1 with errno. */
static int reopen(const bc_index_t *idx) {
    return open(idx->path, O_RDWR | O_CLOEXEC);
}

/* Makes sure the map's bytes up to `end` are backed by written pages. */
static void populate(bc_index_t *idx, size_t end) {
    static const uint8_t zeros[POPULATE_CHUNK];
    if (end <= idx->populated) return;
    size_t from = idx->populated;
    size_t used = idx->entries * (size_t)idx->kind; /* never overwritten */
    if (from < used) from = used;
    size_t to = (end + POPULATE_CHUNK - 1) / POPULATE_CHUNK * POPULATE_CHUNK;
    if (to > idx->map_len) to = idx->map_len;
    if (to > from) {
        int fd = reopen(idx);
        if (fd >= 0) {
            if (pwrite(fd, zeros, to - from, (off_t)from) < 0) {
                /* then the pages fault in on first store, as without this */
            }
            close(fd);
        }
    }
    idx->populated = to;
}

/* Resizes the file open as fd to len bytes and maps it again. */
static int remap_fd(bc_index_t *idx, int fd, size_t len, char *errstr,
                    size_t errstr_size) {
    if (idx->map) {
        munmap(idx->map, idx->map_len);
        idx->map = NULL;
        idx->map_len = 0;
        idx->max_entries = 0;
        idx->populated = 0;
    }
    if (ftruncate(fd, (off_t)len) < 0)
        return bc_err_set(BC_ERR_IO, errstr, errstr_size,
                          "%s: resize to %zu bytes: %s", idx->path, len,
                          strerror(errno));
    if (len == 0) return 0;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: mmap: %s",
                          idx->path, strerror(errno));
    idx->map = m;
    idx->map_len = len;
    idx->max_entries = len / (size_t)idx->kind;
    return 0;
}

static int remap(bc_index_t *idx, size_t len, char *errstr,
                 size_t errstr_size) {
    int fd = reopen(idx);
    if (fd < 0)
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", idx->path,
                          strerror(errno));
    int rc = remap_fd(idx, fd, len, errstr, errstr_size);
    close(fd);
    return rc;
}

bc_index_t *bc_index_open(const char *path, int kind, int64_t base_offset,
                          int64_t max_bytes, char *errstr, size_t errstr_size) {
    bc_index_t *idx = bc_calloc(1, sizeof(*idx));
    struct stat st;
    idx->path = bc_strdup(path);
    idx->kind = kind;
    idx->base = base_offset;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || fstat(fd, &st) < 0) {
        bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", path,
                   strerror(errno));
        goto err;
    }
    idx->entries = (size_t)st.st_size / (size_t)kind;
    size_t len = (size_t)st.st_size;
    if (max_bytes > 0) {
        len = (size_t)max_bytes / (size_t)kind * (size_t)kind;
        if (len < idx->entries * (size_t)kind)
            len = idx->entries * (size_t)kind;
    } else {
        len = idx->entries * (size_t)kind;
    }
    if (remap_fd(idx, fd, len, errstr, errstr_size) < 0) goto err;
    close(fd);
    return idx;
err:
    if (fd >= 0) close(fd);
    bc_index_close(idx);
    return NULL;
}

void bc_index_close(bc_index_t *idx) {
    if (!idx) return;
    if (idx->map) munmap(idx->map, idx->map_len);
    free(idx->path);
    free(idx);
}

size_t bc_index_entries(const bc_index_t *idx) {
    return idx->entries;
}

size_t bc_index_room(const bc_index_t *idx) {
    size_t reserve = idx->kind == BC_INDEX_TIME ? 1 : 0;
    size_t used = idx->entries + reserve;
    return used >= idx->max_entries ? 0 : idx->max_entries - used;
}

int bc_index_is_full(const bc_index_t *idx) {
    size_t reserve = idx->kind == BC_INDEX_TIME ? 1 : 0;
    return idx->entries + reserve >= idx->max_entries;
}

void bc_index_entry(const bc_index_t *idx, size_t i, int64_t *a, int64_t *b) {
    const uint8_t *e = idx->map + i * (size_t)idx->kind;
    if (idx->kind == BC_INDEX_OFFSET) {
        *a = idx->base + (int32_t)bc_get_be32(e);
        *b = bc_get_be32(e + 4);
    } else {
        *a = (int64_t)bc_get_be64(e);
        *b = idx->base + (int32_t)bc_get_be32(e + 8);
    }
}

int bc_index_append_offset(bc_index_t *idx, int64_t offset, int64_t position) {
    int64_t rel = offset - idx->base;
    if (idx->entries >= idx->max_entries || rel < 0 || rel > INT32_MAX ||
        position < 0 || position > UINT32_MAX)
        return BC_ERR_INVALID;
    if (idx->entries > 0) {
        int64_t lo, lp;
        bc_index_entry(idx, idx->entries - 1, &lo, &lp);
        if (offset <= lo || position < lp) return BC_ERR_INVALID;
    }
    populate(idx, (idx->entries + 1) * BC_INDEX_OFFSET);
    uint8_t *e = idx->map + idx->entries * BC_INDEX_OFFSET;
    bc_put_be32(e, (uint32_t)rel);
    bc_put_be32(e + 4, (uint32_t)position);
    idx->entries++;
    return 0;
}

int bc_index_append_time(bc_index_t *idx, int64_t timestamp, int64_t offset,
                         int force) {
    int64_t rel = offset - idx->base;
    if (rel < 0 || rel > INT32_MAX) return BC_ERR_INVALID;
    if (idx->entries > 0) {
        int64_t lt, lo;
        bc_index_entry(idx, idx->entries - 1, &lt, &lo);
        if (timestamp <= lt) return 0;
        if (offset < lo) return BC_ERR_INVALID;
    }
    size_t limit = force ? idx->max_entries : idx->max_entries - 1;
    if (idx->max_entries == 0 || idx->entries >= limit) return BC_ERR_INVALID;
    populate(idx, (idx->entries + 1) * BC_INDEX_TIME);
    uint8_t *e = idx->map + idx->entries * BC_INDEX_TIME;
    bc_put_be64(e, (uint64_t)timestamp);
    bc_put_be32(e + 8, (uint32_t)rel);
    idx->entries++;
    return 0;
}

void bc_index_lookup_offset(const bc_index_t *idx, int64_t target,
                            int64_t *offset, int64_t *position) {
    size_t lo = 0, hi = idx->entries; /* find last entry with off <= t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t o, p;
        bc_index_entry(idx, mid, &o, &p);
        if (o <= target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *offset = idx->base;
        *position = 0;
        return;
    }
    bc_index_entry(idx, lo - 1, offset, position);
}

void bc_index_lookup_time(const bc_index_t *idx, int64_t target,
                          int64_t *timestamp, int64_t *offset) {
    size_t lo = 0, hi = idx->entries; /* find last entry with ts < t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t t, o;
        bc_index_entry(idx, mid, &t, &o);
        if (t < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0) {
        *timestamp = -1;
        *offset = idx->base;
        return;
    }
    bc_index_entry(idx, lo - 1, timestamp, offset);
}

void bc_index_reset(bc_index_t *idx) {
    idx->entries = 0;
}

int bc_index_trim(bc_index_t *idx, char *errstr, size_t errstr_size) {
    size_t len = idx->entries * (size_t)idx->kind;
    if (len == idx->map_len) return 0;
    return remap(idx, len, errstr, errstr_size);
}

int bc_index_resize(bc_index_t *idx, int64_t max_bytes, char *errstr,
                    size_t errstr_size) {
    size_t len = (size_t)max_bytes / (size_t)idx->kind * (size_t)idx->kind;
    if (len < idx->entries * (size_t)idx->kind)
        len = idx->entries * (size_t)idx->kind;
    if (len == idx->map_len) return 0;
    return remap(idx, len, errstr, errstr_size);
}

int bc_index_flush(bc_index_t *idx) {
    /* msync(MS_SYNC) of a shared mapping is fdatasync of its range,
     * which also persists the file's length */
    if (idx->map)
        return msync(idx->map, idx->map_len, MS_SYNC) < 0 ? BC_ERR_IO : 0;
    int fd = reopen(idx); /* empty: only the length (0) to persist */
    if (fd < 0) return BC_ERR_IO;
    int rc = fsync(fd) < 0 ? BC_ERR_IO : 0;
    close(fd);
    return rc;
}

int bc_index_check(const bc_index_t *idx, int64_t log_size, char *errstr,
                   size_t errstr_size) {
    if (idx->entries == 0) return 0;
    int64_t a, b, pa = 0, pb = 0;
    bc_index_entry(idx, idx->entries - 1, &a, &b);
    if (idx->entries > 1) bc_index_entry(idx, idx->entries - 2, &pa, &pb);
    if (idx->kind == BC_INDEX_OFFSET) {
        if (a < idx->base || b >= log_size ||
            (idx->entries > 1 && (pa >= a || pb > b)))
            return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                              "%s: last entry (%lld, %lld) inconsistent "
                              "with a %lld-byte log",
                              idx->path, (long long)a, (long long)b,
                              (long long)log_size);
    } else {
        if (b < idx->base || (idx->entries > 1 && (pa >= a || pb > b)))
            return bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                              "%s: last entry (%lld, %lld) out of order",
                              idx->path, (long long)a, (long long)b);
    }
    return 0;
}
