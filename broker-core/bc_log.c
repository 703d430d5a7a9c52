/* SPDX-License-Identifier: Apache-2.0 */
/* bc_log: see bc_log.h. Segment list and counters live in bc_log_int.h.
 * The hot path (bc_log_append) is: validate or trust the batch, stamp the
 * base offset, maybe roll, one pwrite, maybe an index entry, maybe an
 * fdatasync, then the hook, all under the log mutex. */
#include "broker-core/bc_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_fs.h"
#include "broker-core/bc_log_int.h"
#include "broker-core/bc_mem.h"

#define MARKER ".kafka_cleanshutdown"
#define RP_FILE "recovery-point-offset-checkpoint"
#define CLEANER_FILE "cleaner-offset-checkpoint"
#define EPOCH_FILE "leader-epoch-checkpoint"

bc_log_config_t bc_log_config_default(void) {
    bc_log_config_t c;
    memset(&c, 0, sizeof(c));
    c.segment_bytes = 1073741824;
    c.segment_ms = 604800000;
    c.segment_index_bytes = 10485760;
    c.index_interval_bytes = 4096;
    c.max_message_bytes = 1048588;
    c.cleanup_policy = BC_CLEANUP_DELETE;
    c.retention_bytes = -1;
    c.retention_ms = 604800000;
    c.min_cleanable_dirty_ratio = 0.5;
    c.delete_retention_ms = 86400000;
    c.min_compaction_lag_ms = 0;
    c.flush_messages = INT64_MAX;
    c.flush_ms = INT64_MAX;
    c.durable = 0;
    c.cleaner_buffer_bytes = 64 << 20;
    c.recovery_checkpoint_ms = 60000;
    return c;
}

const char *bc_log_dir(const bc_log_t *log) {
    return log->dir;
}

static bc_segment_t *active(const bc_log_t *log) {
    return log->segs[log->nseg - 1];
}

static void push_segment(bc_log_t *log, bc_segment_t *seg) {
    if (log->nseg == log->cap) {
        log->cap = log->cap ? log->cap * 2 : 8;
        log->segs = bc_realloc(log->segs, log->cap * sizeof(*log->segs));
    }
    log->segs[log->nseg++] = seg;
}

size_t bc_log_int_find_segment(const bc_log_t *log, int64_t offset) {
    size_t lo = 0, hi = log->nseg;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bc_segment_base(log->segs[mid]) <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? 0 : lo - 1;
}

/* "0\n1\n<fields>\n" checkpoint files (Kafka's CheckpointFile layout). */
static int write_checkpoint(const char *dir, const char *name,
                            const char *entry, char *errstr,
                            size_t errstr_size) {
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "0\n1\n%s\n", entry);
    return bc_fs_write_atomic(dir, name, buf, (size_t)n, errstr, errstr_size);
}

/* Reads up to two int64 fields of a one-entry checkpoint; returns the
 * number of fields read (0 when missing or malformed). */
static int read_checkpoint(const char *dir, const char *name, int64_t *a,
                           int64_t *b) {
    char path[4096], *data = NULL;
    long long x = 0, y = 0;
    int n = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (bc_fs_read_file(path, 4096, &data, NULL, NULL, 0) < 0) return 0;
    int c = sscanf(data, "0\n1\n%lld %lld", &x, &y);
    if (c >= 1) {
        *a = x;
        n = 1;
    }
    if (c >= 2) {
        *b = y;
        n = 2;
    }
    free(data);
    return n;
}

int bc_log_int_write_cleaner_checkpoint(bc_log_t *log, int64_t first_dirty,
                                        int64_t next_horizon_ms) {
    char e[64];
    snprintf(e, sizeof(e), "%" PRId64 " %" PRId64, first_dirty,
             next_horizon_ms);
    return write_checkpoint(log->dir, CLEANER_FILE, e, NULL, 0);
}

static int write_epoch_checkpoint(bc_log_t *log, int64_t start) {
    char e[64];
    snprintf(e, sizeof(e), "0 %" PRId64, start);
    return write_checkpoint(log->dir, EPOCH_FILE, e, NULL, 0);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void unlink_at(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

/* Completes a cleaner swap found at open (see bc_compact.h): the old
 * segments covered by <base>.log.swap are deleted, then it is renamed. */
static void finish_swap(const char *dir, int64_t base) {
    char swap[4096], dst[4096];
    bc_segment_path(swap, sizeof(swap), dir, base, ".log.swap");
    int64_t next = base + 1;
    char *data = NULL;
    size_t len = 0;
    if (bc_fs_read_file(swap, (size_t)1 << 31, &data, &len, NULL, 0) == 0) {
        size_t pos = 0;
        bc_batch_t b;
        while (bc_batch_parse((uint8_t *)data + pos, len - pos, 0, &b, NULL,
                              0) == 0) {
            if (bc_batch_last_offset(&b) + 1 > next)
                next = bc_batch_last_offset(&b) + 1;
            pos += b.size;
        }
        free(data);
    }
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int64_t seg;
        const char *sfx;
        if (bc_segment_parse_name(de->d_name, &seg, &sfx) < 0) continue;
        if (seg >= base && seg < next &&
            (!strcmp(sfx, ".log") || !strcmp(sfx, ".index") ||
             !strcmp(sfx, ".timeindex")))
            unlink_at(dir, de->d_name);
    }
    if (d) closedir(d);
    bc_segment_path(dst, sizeof(dst), dir, base, ".log");
    rename(swap, dst);
    bc_fs_fsync_dir(dir);
}

/* Lists segment bases after finishing swaps and dropping leftovers
 * (.cleaned, .deleted, stray .swap and .tmp files). */
static int list_segments(const char *dir, int64_t **bases, size_t *n,
                         char *errstr, size_t errstr_size) {
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 16, cnt = 0;
    int64_t *v;
    int swaps = 0;
    if (!d)
        return bc_err_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO,
                          errstr, errstr_size, "%s: %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        int64_t base;
        const char *sfx;
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".tmp")) {
            unlink_at(dir, de->d_name);
            continue;
        }
        if (bc_segment_parse_name(de->d_name, &base, &sfx) < 0) continue;
        if (!strcmp(sfx, ".log.swap")) {
            swaps++;
            continue;
        }
        if (strstr(sfx, ".cleaned") || strstr(sfx, ".deleted") ||
            strstr(sfx, ".swap"))
            unlink_at(dir, de->d_name);
    }
    if (swaps) {
        rewinddir(d);
        while ((de = readdir(d))) {
            int64_t base;
            const char *sfx;
            if (bc_segment_parse_name(de->d_name, &base, &sfx) == 0 &&
                !strcmp(sfx, ".log.swap"))
                finish_swap(dir, base);
        }
    }
    rewinddir(d);
    v = bc_malloc(cap * sizeof(*v));
    while ((de = readdir(d))) {
        int64_t base;
        const char *sfx;
        if (bc_segment_parse_name(de->d_name, &base, &sfx) < 0 ||
            strcmp(sfx, ".log"))
            continue;
        if (cnt == cap) {
            cap *= 2;
            v = bc_realloc(v, cap * sizeof(*v));
        }
        v[cnt++] = base;
    }
    closedir(d);
    qsort(v, cnt, sizeof(*v), cmp_i64);
    *bases = v;
    *n = cnt;
    return 0;
}

static void log_free(bc_log_t *log) {
    if (!log) return;
    for (size_t i = 0; i < log->nseg; i++)
        bc_segment_close(log->segs[i]);
    free(log->segs);
    bc_batch_builder_destroy(log->bb);
    if (log->dirfd >= 0) close(log->dirfd); /* releases the flock */
    pthread_mutex_destroy(&log->lock);
    pthread_mutex_destroy(&log->maint);
    free(log->dir);
    free(log);
}

/* Repair: removes the n segments at bases (their .log and indexes),
 * counting them and their .log bytes into rep. */
static void drop_segments(const char *dir, const int64_t *bases, size_t n,
                          bc_log_recovery_t *rep) {
    static const char *const sfx[] = {".log", ".index", ".timeindex"};
    char path[4096];
    for (size_t j = 0; j < n; j++) {
        struct stat st;
        bc_segment_path(path, sizeof(path), dir, bases[j], ".log");
        if (stat(path, &st) == 0) rep->bytes_deleted += st.st_size;
        for (size_t f = 0; f < 3; f++) {
            bc_segment_path(path, sizeof(path), dir, bases[j], sfx[f]);
            unlink(path);
        }
        rep->segments_deleted++;
    }
    if (n > 0) bc_fs_fsync_dir(dir);
}

bc_log_t *bc_log_open(const char *dir, const bc_log_config_t *cfg, int flags,
                      int64_t now_ms, bc_log_recovery_t *rep, int *err,
                      char *errstr, size_t errstr_size) {
    bc_log_t *log = bc_calloc(1, sizeof(*log));
    bc_log_recovery_t dummy;
    int64_t *bases = NULL;
    size_t nb = 0;
    int rc = 0;
    char path[4096];

    if (!rep) rep = &dummy;
    memset(rep, 0, sizeof(*rep));
    rep->truncated_at = -1;
    rep->cut_segment = -1;
    rep->cut_byte = -1;
    log->dir = bc_strdup(dir);
    log->dirfd = -1;
    log->cfg = cfg ? *cfg : bc_log_config_default();
    pthread_mutex_init(&log->lock, NULL);
    pthread_mutex_init(&log->maint, NULL);
    log->bb = bc_batch_builder_new(16384);
    log->next_horizon_ms = INT64_MAX;
    log->last_flush_ms = now_ms;
    log->last_checkpoint_ms = now_ms;

    if ((flags & BC_LOG_OPEN_CREATE) && mkdir(dir, 0755) < 0 &&
        errno != EEXIST) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", dir,
                        strerror(errno));
        goto err;
    }
    log->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (log->dirfd < 0) {
        rc = bc_err_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, errstr,
                        errstr_size, "%s: %s", dir, strerror(errno));
        goto err;
    }
    if (!(flags & BC_LOG_OPEN_UNLOCKED) &&
        flock(log->dirfd, LOCK_EX | LOCK_NB) < 0) {
        rc = bc_err_set(BC_ERR_LOCKED, errstr, errstr_size,
                        "%s: in use by another process or handle", dir);
        goto err;
    }
    if ((rc = list_segments(dir, &bases, &nb, errstr, errstr_size)) < 0)
        goto err;
    snprintf(path, sizeof(path), "%s/" MARKER, dir);
    rep->clean_shutdown = access(path, F_OK) == 0;
    int64_t rp = 0, unused = 0;
    if (!rep->clean_shutdown) read_checkpoint(dir, RP_FILE, &rp, &unused);

    int64_t expect = nb ? bases[0] : 0;
    int repair = (flags & BC_LOG_OPEN_REPAIR) != 0, reactivate = 0;
    for (size_t i = 0; i < nb; i++) {
        bc_segment_open_t o;
        bc_segment_report_t srep;
        memset(&o, 0, sizeof(o));
        o.last = i == nb - 1;
        o.recover = (flags & BC_LOG_OPEN_VERIFY) ||
                    (!rep->clean_shutdown && (o.last || bases[i + 1] > rp));
        o.repair = repair;
        o.flushed_offset = rep->clean_shutdown ? INT64_MAX : rp;
        o.expect_offset = expect;
        o.index_max_bytes = log->cfg.segment_index_bytes;
        o.index_interval = log->cfg.index_interval_bytes;
        o.now_ms = now_ms;
        if (bases[i] < expect && !repair) {
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                            "%s: segment %020" PRId64
                            " overlaps the one before it (ends at %" PRId64 ")",
                            dir, bases[i], expect);
            goto err;
        }
        if (bases[i] < expect) {
            /* Repair: an overlapping segment and all after it go. */
            rep->cut_segment = bases[i];
            rep->cut_byte = 0;
            rep->truncated_at = expect;
            snprintf(rep->reason, sizeof(rep->reason),
                     "segment overlaps the one before it (ends at %" PRId64 ")",
                     expect);
            snprintf(rep->message, sizeof(rep->message),
                     "%s/%020" PRId64 ".log: %s", dir, bases[i], rep->reason);
            drop_segments(dir, bases + i, nb - i, rep);
            nb = i;
            reactivate = 1;
            break;
        }
        bc_segment_t *seg =
            bc_segment_open(dir, bases[i], &o, &srep, &rc, errstr, errstr_size);
        if (!seg) goto err;
        push_segment(log, seg);
        rep->segments++;
        rep->segments_recovered += srep.recovered;
        rep->indexes_rebuilt += srep.index_rebuilt;
        if (srep.truncated_at >= 0) {
            rep->bytes_truncated += srep.bytes_truncated;
            rep->truncated_at = bc_segment_next_offset(seg);
            rep->cut_segment = bases[i];
            rep->cut_byte = srep.truncated_at;
            snprintf(rep->reason, sizeof(rep->reason), "%s", srep.reason);
            snprintf(rep->message, sizeof(rep->message),
                     "%s/%020" PRId64 ".log: truncated %lld bytes at byte "
                     "%lld (offset %lld): %s",
                     dir, bases[i], (long long)srep.bytes_truncated,
                     (long long)srep.truncated_at, (long long)rep->truncated_at,
                     srep.reason);
        }
        expect = bc_segment_next_offset(seg);
        if (srep.corrupt_mid_log && !o.last) {
            /* Repair: everything after a mid-log cut goes (Kafka). */
            drop_segments(dir, bases + i + 1, nb - i - 1, rep);
            nb = i + 1;
            reactivate = 1;
            break;
        }
    }
    if (reactivate && log->nseg > 0) {
        /* After a repair cut the last segment kept becomes the active
         * one again (its indexes grow back). */
        bc_segment_open_t o;
        int64_t base = bc_segment_base(active(log));
        memset(&o, 0, sizeof(o));
        o.last = 1;
        o.recover = 1;
        o.repair = 1;
        o.flushed_offset = rep->clean_shutdown ? INT64_MAX : rp;
        o.expect_offset = log->nseg > 1
                              ? bc_segment_next_offset(log->segs[log->nseg - 2])
                              : base;
        o.index_max_bytes = log->cfg.segment_index_bytes;
        o.index_interval = log->cfg.index_interval_bytes;
        o.now_ms = now_ms;
        bc_segment_close(log->segs[--log->nseg]);
        bc_segment_t *seg =
            bc_segment_open(dir, base, &o, NULL, &rc, errstr, errstr_size);
        if (!seg) goto err;
        push_segment(log, seg);
    }
    if (log->nseg == 0) {
        bc_segment_t *seg = bc_segment_create(
            dir, 0, log->cfg.segment_index_bytes, now_ms, errstr, errstr_size);
        if (!seg) {
            rc = BC_ERR_IO;
            goto err;
        }
        push_segment(log, seg);
        bc_fs_fsync_dir(dir);
    }
    log->start = bc_segment_base(log->segs[0]);
    log->recovery_point =
        rep->clean_shutdown ? bc_segment_next_offset(active(log)) : rp;
    if (log->recovery_point > bc_segment_next_offset(active(log)))
        log->recovery_point = bc_segment_next_offset(active(log));
    if (log->recovery_point < log->start) log->recovery_point = log->start;
    log->checkpointed_rp = log->recovery_point;
    log->first_dirty = log->start;
    read_checkpoint(dir, CLEANER_FILE, &log->first_dirty,
                    &log->next_horizon_ms);
    if (log->first_dirty < log->start ||
        log->first_dirty > bc_segment_next_offset(active(log)))
        log->first_dirty = log->start;
    snprintf(path, sizeof(path), "%s/" EPOCH_FILE, dir);
    if (access(path, F_OK) < 0) write_epoch_checkpoint(log, log->start);
    if (rep->clean_shutdown) {
        snprintf(path, sizeof(path), "%s/" MARKER, dir);
        unlink(path);
        fsync(log->dirfd);
    }
    if (flags & BC_LOG_OPEN_UNLOCKED) { /* nothing to hold it for */
        close(log->dirfd);
        log->dirfd = -1;
    }
    free(bases);
    return log;
err:
    if (err) *err = rc ? rc : BC_ERR_IO;
    free(bases);
    log_free(log);
    return NULL;
}

/* fsyncs every segment with unflushed bytes; caller holds lock. */
static int flush_locked(bc_log_t *log, int indexes) {
    int rc = 0;
    for (size_t i = bc_log_int_find_segment(log, log->recovery_point);
         i < log->nseg; i++)
        if ((indexes || bc_segment_unflushed(log->segs[i]) > 0) &&
            bc_segment_flush(log->segs[i], indexes) < 0)
            rc = BC_ERR_IO;
    if (rc == 0) {
        log->recovery_point = bc_segment_next_offset(active(log));
        log->unflushed_msgs = 0;
    }
    return rc;
}

int bc_log_close(bc_log_t *log) {
    int rc = 0;
    if (!log) return 0;
    pthread_mutex_lock(&log->lock);
    if (flush_locked(log, 1) < 0 || bc_segment_seal(active(log), NULL, 0) < 0)
        rc = BC_ERR_IO;
    if (rc == 0) {
        char e[32];
        snprintf(e, sizeof(e), "%" PRId64, log->recovery_point);
        rc = write_checkpoint(log->dir, RP_FILE, e, NULL, 0);
    }
    if (rc == 0) rc = bc_fs_touch(log->dir, MARKER);
    pthread_mutex_unlock(&log->lock);
    log_free(log);
    return rc;
}

void bc_log_abandon(bc_log_t *log) {
    log_free(log);
}

void bc_log_set_config(bc_log_t *log, const bc_log_config_t *cfg) {
    pthread_mutex_lock(&log->lock);
    log->cfg = *cfg;
    pthread_mutex_unlock(&log->lock);
}

void bc_log_get_config(bc_log_t *log, bc_log_config_t *cfg) {
    pthread_mutex_lock(&log->lock);
    *cfg = log->cfg;
    pthread_mutex_unlock(&log->lock);
}

void bc_log_set_hook(bc_log_t *log, bc_log_hook_fn fn, void *opaque) {
    pthread_mutex_lock(&log->lock);
    log->hook = fn;
    log->hook_opaque = opaque;
    pthread_mutex_unlock(&log->lock);
}

/* fsyncs the log's directory (its held descriptor, else by its path). */
static int sync_dir(const bc_log_t *log) {
    if (log->dirfd < 0) return bc_fs_fsync_dir(log->dir);
    return fsync(log->dirfd) < 0 ? BC_ERR_IO : 0;
}

static int roll_locked(bc_log_t *log, int64_t now_ms, char *errstr,
                       size_t errstr_size) {
    bc_segment_t *old = active(log);
    int64_t base = bc_segment_next_offset(old);
    int rc = bc_segment_seal(old, errstr, errstr_size);
    if (rc < 0) return rc;
    bc_segment_t *seg =
        bc_segment_create(log->dir, base, log->cfg.segment_index_bytes, now_ms,
                          errstr, errstr_size);
    if (!seg) return BC_ERR_IO;
    push_segment(log, seg);
    if (sync_dir(log) < 0)
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: fsync: %s",
                          log->dir, strerror(errno));
    return 0;
}

static int should_roll(bc_log_t *log, size_t len, const bc_batch_t *hdr,
                       int64_t now_ms) {
    bc_segment_t *seg = active(log);
    int64_t size = bc_segment_size(seg);
    if (size == 0) return 0;
    if (size > log->cfg.segment_bytes - (int64_t)len) return 1;
    int64_t first = bc_segment_first_timestamp(seg);
    int64_t waited = first >= 0 && hdr->max_timestamp >= 0
                         ? hdr->max_timestamp - first
                         : now_ms - bc_segment_created_ms(seg);
    if (waited > log->cfg.segment_ms) return 1;
    if (bc_segment_index_full(seg)) return 1;
    if (bc_batch_last_offset(hdr) - bc_segment_base(seg) > INT32_MAX) return 1;
    if (size + (int64_t)len > UINT32_MAX) return 1;
    return 0;
}

/* Validates batch i; 0 or an error with errstr filled. */
static int check_batch(bc_log_t *log, uint8_t *batch, size_t len, int flags,
                       bc_batch_t *hdr, char *errstr, size_t errstr_size) {
    char why[160];
    int rc;
    if (len > (size_t)log->cfg.max_message_bytes)
        return bc_err_set(BC_ERR_TOO_LARGE, errstr, errstr_size,
                          "batch of %zu bytes exceeds max.message.bytes %d",
                          len, (int)log->cfg.max_message_bytes);
    int vflags = (flags & BC_APPEND_TRUSTED)
                     ? 0
                     : BC_BATCH_VERIFY_CRC | BC_BATCH_VERIFY_RECORDS;
    rc = bc_batch_parse(batch, len, vflags, hdr, why, sizeof(why));
    if (rc == 0 && hdr->size != len)
        rc = bc_err_set(BC_ERR_INVALID, why, sizeof(why),
                        "%zu trailing bytes after the batch", len - hdr->size);
    if (rc == 0 && hdr->record_count == 0)
        rc = bc_err_set(BC_ERR_INVALID, why, sizeof(why), "empty batch");
    if (rc != 0)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "invalid batch: %s",
                          rc == BC_BATCH_SHORT ? "truncated" : why);
    return 0;
}

static void stamp(uint8_t *batch, bc_batch_t *hdr, int64_t base) {
    bc_batch_set_base_offset(batch, base);
    bc_batch_set_leader_epoch(batch, 0);
    hdr->base_offset = base;
}

static int append_v_locked(bc_log_t *log, uint8_t *const *batches,
                           const size_t *lens, size_t n, int flags,
                           int64_t now_ms, bc_append_info_t *infos,
                           char *errstr, size_t errstr_size) {
    bc_batch_t hlocal[8],
        *hdrs = n <= 8 ? hlocal : bc_malloc(n * sizeof(*hdrs));
    struct iovec vlocal[8],
        *iov = n <= 8 ? vlocal : bc_malloc(n * sizeof(*iov));
    int rc = 0, flushed = 0;
    int64_t records = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = check_batch(log, batches[i], lens[i], flags, &hdrs[i], errstr,
                         errstr_size);
        iov[i].iov_base = batches[i];
        iov[i].iov_len = lens[i];
        records += rc == 0 ? hdrs[i].record_count : 0;
    }
    for (size_t i = 0; i < n && rc == 0;) {
        int64_t leo = bc_segment_next_offset(active(log));
        int rolled = 0;
        stamp(batches[i], &hdrs[i], leo);
        if (should_roll(log, lens[i], &hdrs[i], now_ms)) {
            if ((rc = roll_locked(log, now_ms, errstr, errstr_size)) < 0) break;
            rolled = 1;
        }
        bc_segment_t *seg = active(log);
        size_t room = bc_segment_index_room(seg);
        int64_t size = bc_segment_size(seg) + (int64_t)lens[i];
        int64_t first = bc_segment_size(seg) > 0
                            ? bc_segment_first_timestamp(seg)
                            : hdrs[i].max_timestamp;
        leo = bc_batch_last_offset(&hdrs[i]) + 1;
        size_t j = i + 1;
        /* Later batches join this write while this segment would not
         * roll for them. */
        while (j < n && j - i < room && j - i < 1024) {
            stamp(batches[j], &hdrs[j], leo);
            int64_t last = bc_batch_last_offset(&hdrs[j]);
            if (size > log->cfg.segment_bytes - (int64_t)lens[j] ||
                (first >= 0 && hdrs[j].max_timestamp >= 0 &&
                 hdrs[j].max_timestamp - first > log->cfg.segment_ms) ||
                last - bc_segment_base(seg) > INT32_MAX ||
                size + (int64_t)lens[j] > UINT32_MAX)
                break;
            size += (int64_t)lens[j];
            leo = last + 1;
            j++;
        }
        rc = bc_segment_append_v(seg, iov + i, hdrs + i, j - i,
                                 log->cfg.index_interval_bytes, errstr,
                                 errstr_size);
        if (rc < 0) break;
        for (size_t k = i; infos && k < j; k++) {
            infos[k].base_offset = hdrs[k].base_offset;
            infos[k].last_offset = bc_batch_last_offset(&hdrs[k]);
            infos[k].log_end_offset = infos[k].last_offset + 1;
            infos[k].records = hdrs[k].record_count;
            infos[k].rolled = k == i ? rolled : 0;
            infos[k].flushed = 0;
        }
        i = j;
    }
    if (rc == 0) {
        log->unflushed_msgs += records;
        if ((flags & BC_APPEND_SYNC) || log->cfg.durable ||
            log->unflushed_msgs >= log->cfg.flush_messages ||
            (log->cfg.flush_ms != INT64_MAX &&
             now_ms - log->last_flush_ms >= log->cfg.flush_ms)) {
            if (flush_locked(log, 0) < 0)
                rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: fsync: %s",
                                log->dir, strerror(errno));
            log->last_flush_ms = now_ms;
            flushed = rc == 0;
        }
        for (size_t k = 0; infos && k < n; k++)
            infos[k].flushed = flushed;
        if (rc == 0 && log->hook)
            log->hook(log->hook_opaque, log,
                      bc_segment_next_offset(active(log)), now_ms);
    }
    if (hdrs != hlocal) free(hdrs);
    if (iov != vlocal) free(iov);
    return rc;
}

static int append_locked(bc_log_t *log, uint8_t *batch, size_t len, int flags,
                         int64_t now_ms, bc_append_info_t *info, char *errstr,
                         size_t errstr_size) {
    return append_v_locked(log, &batch, &len, 1, flags, now_ms, info, errstr,
                           errstr_size);
}

int bc_log_append_v(bc_log_t *log, uint8_t *const *batches, const size_t *lens,
                    size_t n, int flags, int64_t now_ms,
                    bc_append_info_t *infos, char *errstr, size_t errstr_size) {
    if (n == 0)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "no batches to append");
    pthread_mutex_lock(&log->lock);
    int rc = append_v_locked(log, batches, lens, n, flags, now_ms, infos,
                             errstr, errstr_size);
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int bc_log_append(bc_log_t *log, uint8_t *batch, size_t len, int flags,
                  int64_t now_ms, bc_append_info_t *info, char *errstr,
                  size_t errstr_size) {
    pthread_mutex_lock(&log->lock);
    int rc = append_locked(log, batch, len, flags, now_ms, info, errstr,
                           errstr_size);
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int bc_log_append_records(bc_log_t *log, const bc_record_in_t *recs, size_t n,
                          int flags, int64_t now_ms, bc_append_info_t *info,
                          char *errstr, size_t errstr_size) {
    int rc = 0;
    if (n == 0)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "no records to append");
    pthread_mutex_lock(&log->lock);
    bc_batch_builder_begin(log->bb, NULL);
    for (size_t i = 0; i < n && rc == 0; i++) {
        bc_record_in_t r = recs[i];
        if (r.timestamp < 0) r.timestamp = now_ms;
        if (bc_batch_builder_add(log->bb, &r) < 0)
            rc = bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                            "record %zu: bad key, value or header length", i);
        else if (bc_batch_builder_size(log->bb) >
                 (size_t)log->cfg.max_message_bytes)
            rc = bc_err_set(BC_ERR_TOO_LARGE, errstr, errstr_size,
                            "records up to #%zu take %zu bytes, over "
                            "max.message.bytes %d",
                            i, bc_batch_builder_size(log->bb),
                            (int)log->cfg.max_message_bytes);
    }
    if (rc == 0) {
        size_t len;
        uint8_t *b = bc_batch_builder_finish(log->bb, &len);
        rc = append_locked(log, b, len, flags | BC_APPEND_TRUSTED, now_ms, info,
                           errstr, errstr_size);
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int64_t bc_log_start_offset(bc_log_t *log) {
    pthread_mutex_lock(&log->lock);
    int64_t v = log->start;
    pthread_mutex_unlock(&log->lock);
    return v;
}

int64_t bc_log_end_offset(bc_log_t *log) {
    pthread_mutex_lock(&log->lock);
    int64_t v = bc_segment_next_offset(active(log));
    pthread_mutex_unlock(&log->lock);
    return v;
}

int bc_log_scan_tail(bc_log_t *log, size_t nsegs, bc_batch_header_fn fn,
                     void *opaque) {
    int rc = 0;
    pthread_mutex_lock(&log->lock);
    size_t from = log->nseg > nsegs ? log->nseg - nsegs : 0;
    for (size_t i = from; i < log->nseg && rc == 0; i++)
        rc = bc_segment_scan_headers(log->segs[i], fn, opaque);
    pthread_mutex_unlock(&log->lock);
    return rc;
}

/* Finds (segment index, position, header) of the first batch with last
 * offset >= offset, across segments. Caller holds lock. */
static int locate(bc_log_t *log, int64_t offset, size_t *si, int64_t *pos,
                  bc_batch_t *hdr) {
    for (size_t i = bc_log_int_find_segment(log, offset); i < log->nseg; i++) {
        int rc = bc_segment_find_offset(log->segs[i], offset, pos, hdr);
        if (rc == 0) {
            *si = i;
            return 0;
        }
        if (rc != BC_ERR_NOT_FOUND) return rc;
    }
    return BC_ERR_NOT_FOUND;
}

/* The byte range a fetch at `offset` reads (log mutex held): *seg, *pos
 * and *want (0 when nothing is there: offset == LEO or past the last
 * batch), the first batch whole even above max_bytes (KIP-74); fills the
 * log start/end. Returns 0, BC_ERR_OUT_OF_RANGE or a read error. */
static int fetch_range(bc_log_t *log, int64_t offset, size_t max_bytes,
                       bc_segment_t **seg, int64_t *pos, size_t *want,
                       size_t *first, int64_t *lso, int64_t *leo, char *errstr,
                       size_t errstr_size) {
    size_t si = 0;
    bc_batch_t hdr;
    *want = 0;
    *lso = log->start;
    *leo = bc_segment_next_offset(active(log));
    if (offset < log->start || offset > *leo)
        return bc_err_set(BC_ERR_OUT_OF_RANGE, errstr, errstr_size,
                          "offset %lld outside [%lld, %lld]", (long long)offset,
                          (long long)log->start, (long long)*leo);
    if (offset == *leo) return 0;
    int rc = locate(log, offset, &si, pos, &hdr);
    if (rc == BC_ERR_NOT_FOUND) return 0;
    if (rc < 0)
        return bc_err_set(rc, errstr, errstr_size,
                          "%s: cannot read at offset %lld", log->dir,
                          (long long)offset);
    *seg = log->segs[si];
    *first = hdr.size;
    size_t w = max_bytes < hdr.size ? hdr.size : max_bytes;
    int64_t avail = bc_segment_size(*seg) - *pos;
    if ((int64_t)w > avail) w = (size_t)avail;
    *want = w;
    return 0;
}

int bc_log_fetch(bc_log_t *log, int64_t offset, size_t max_bytes,
                 bc_fetch_t *out, char *errstr, size_t errstr_size) {
    bc_segment_t *seg = NULL;
    int64_t pos = 0;
    size_t want = 0, first = 0;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&log->lock);
    int rc = fetch_range(log, offset, max_bytes, &seg, &pos, &want, &first,
                         &out->log_start_offset, &out->log_end_offset, errstr,
                         errstr_size);
    if (rc < 0 || want == 0) goto out;
    out->data = bc_malloc(want);
    int64_t got = bc_segment_read(seg, pos, out->data, want);
    if (got < (int64_t)first) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size,
                        "%s: short read at offset %lld", log->dir,
                        (long long)offset);
        free(out->data);
        out->data = NULL;
        goto out;
    }
    /* Cut to whole batches. */
    size_t p = 0;
    while (p + BC_BATCH_LOG_OVERHEAD <= (size_t)got) {
        bc_batch_t b;
        int prc =
            bc_batch_parse_header(out->data + p, (size_t)got - p, &b, NULL, 0);
        if (prc == BC_BATCH_SHORT) {
            if (p + BC_BATCH_HEADER_SIZE > (size_t)got) break;
        }
        if (prc != 0 || p + b.size > (size_t)got) break;
        p += b.size;
    }
    out->len = p;
    if (p == 0) {
        free(out->data);
        out->data = NULL;
    } else if (p < want) {
        /* Whole batches only: give back the partial tail, so the caller
         * holds exactly len bytes (the consumer's prefetch counts them). */
        out->data = bc_realloc(out->data, p);
    }
out:
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int bc_log_fetch_file(bc_log_t *log, int64_t offset, size_t max_bytes,
                      bc_fetch_file_t *out, char *errstr, size_t errstr_size) {
    bc_segment_t *seg = NULL;
    int64_t pos = 0;
    size_t want = 0, first = 0;
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    pthread_mutex_lock(&log->lock);
    int rc = fetch_range(log, offset, max_bytes, &seg, &pos, &want, &first,
                         &out->log_start_offset, &out->log_end_offset, errstr,
                         errstr_size);
    if (rc == 0 && want > 0) {
        out->fd = fcntl(bc_segment_fd(seg), F_DUPFD_CLOEXEC, 0);
        if (out->fd < 0)
            rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: dup: %s",
                            log->dir, strerror(errno));
        else {
            out->pos = pos;
            out->len = want;
        }
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int bc_log_read(bc_log_t *log, int64_t offset, size_t max_bytes,
                bc_log_record_fn fn, void *opaque, int64_t *next_offset,
                char *errstr, size_t errstr_size) {
    bc_fetch_t f;
    int rc = bc_log_fetch(log, offset, max_bytes, &f, errstr, errstr_size);
    int64_t next = offset;
    if (rc < 0) return rc;
    size_t p = 0;
    int stop = 0;
    while (p < f.len && !stop) {
        bc_batch_t b;
        if (bc_batch_parse(f.data + p, f.len - p, 0, &b, NULL, 0) != 0) {
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                            "%s: bad batch in fetch at offset %lld", log->dir,
                            (long long)next);
            break;
        }
        bc_record_iter_t it;
        bc_record_t rec;
        int r;
        bc_record_iter_init(&it, &b);
        while ((r = bc_record_iter_next(&it, &rec)) == 1) {
            if (rec.offset < offset) continue;
            next = rec.offset + 1;
            if (fn(opaque, &rec)) {
                stop = 1;
                break;
            }
        }
        if (r < 0) {
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                            "%s: bad record in batch at offset %lld", log->dir,
                            (long long)b.base_offset);
            break;
        }
        if (!stop && bc_batch_last_offset(&b) + 1 > next)
            next = bc_batch_last_offset(&b) + 1;
        p += b.size;
    }
    if (f.len == 0 && rc == 0)
        next = f.log_end_offset; /* caught up (or only a compacted gap) */
    free(f.data);
    if (next_offset) *next_offset = next;
    return rc;
}

int bc_log_timestamp_of(bc_log_t *log, int64_t offset, int64_t *timestamp,
                        int64_t *found_offset) {
    int rc = BC_ERR_NOT_FOUND;
    pthread_mutex_lock(&log->lock);
    if (offset < log->start || offset >= bc_segment_next_offset(active(log))) {
        rc = BC_ERR_OUT_OF_RANGE;
        goto out;
    }
    for (size_t i = bc_log_int_find_segment(log, offset); i < log->nseg; i++) {
        int64_t o, ts;
        rc = bc_segment_timestamp_of(log->segs[i], offset, &o, &ts);
        if (rc == 0) {
            if (timestamp) *timestamp = ts;
            if (found_offset) *found_offset = o;
            break;
        }
        if (rc != BC_ERR_NOT_FOUND) break;
    }
out:
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int bc_log_offset_for_time(bc_log_t *log, int64_t timestamp, int64_t *offset,
                           int64_t *found_ts) {
    int rc = 0;
    *offset = -1;
    pthread_mutex_lock(&log->lock);
    for (size_t i = 0; i < log->nseg; i++) {
        bc_segment_t *seg = log->segs[i];
        if (bc_segment_max_timestamp(seg) < timestamp) continue;
        int64_t o, ts;
        int r = bc_segment_offset_for_time(seg, timestamp, &o, &ts);
        if (r == 0) {
            if (o < log->start) continue;
            *offset = o;
            if (found_ts) *found_ts = ts;
            break;
        }
        if (r != BC_ERR_NOT_FOUND) {
            rc = r;
            break;
        }
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int bc_log_flush(bc_log_t *log, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&log->lock);
    int rc = flush_locked(log, 0);
    pthread_mutex_unlock(&log->lock);
    if (rc < 0)
        return bc_err_set(rc, errstr, errstr_size, "%s: fsync: %s", log->dir,
                          strerror(errno));
    return 0;
}

int bc_log_tick(bc_log_t *log, int64_t now_ms, char *errstr,
                size_t errstr_size) {
    int rc = 0;
    bc_segment_t **closed = NULL;
    size_t nclosed = 0;
    pthread_mutex_lock(&log->maint);
    pthread_mutex_lock(&log->lock);
    if (log->cfg.flush_ms != INT64_MAX &&
        now_ms - log->last_flush_ms >= log->cfg.flush_ms &&
        bc_segment_unflushed(active(log)) > 0) {
        rc = flush_locked(log, 0);
        log->last_flush_ms = now_ms;
    }
    /* Segments sealed by a roll are fsynced here, outside the log mutex
     * (only maint holders delete segments). */
    size_t first = bc_log_int_find_segment(log, log->recovery_point);
    if (first + 1 < log->nseg) {
        closed = bc_malloc((log->nseg - 1 - first) * sizeof(*closed));
        for (size_t i = first; i + 1 < log->nseg; i++)
            closed[nclosed++] = log->segs[i];
    }
    int64_t active_base = bc_segment_base(active(log));
    pthread_mutex_unlock(&log->lock);
    for (size_t i = 0; i < nclosed; i++)
        if (bc_segment_flush(closed[i], 0) < 0) rc = BC_ERR_IO;
    free(closed);
    pthread_mutex_lock(&log->lock);
    if (rc == 0 && nclosed > 0 && log->recovery_point < active_base)
        log->recovery_point = active_base;
    int64_t rp = log->recovery_point;
    pthread_mutex_unlock(&log->lock);
    if (rc == 0 && rp != log->checkpointed_rp &&
        (nclosed > 0 ||
         now_ms - log->last_checkpoint_ms >= log->cfg.recovery_checkpoint_ms)) {
        char e[32];
        snprintf(e, sizeof(e), "%" PRId64, rp);
        rc = write_checkpoint(log->dir, RP_FILE, e, errstr, errstr_size);
        if (rc == 0) {
            log->checkpointed_rp = rp;
            log->last_checkpoint_ms = now_ms;
        }
    } else if (rc < 0) {
        bc_err_set(rc, errstr, errstr_size, "%s: fsync: %s", log->dir,
                   strerror(errno));
    }
    pthread_mutex_unlock(&log->maint);
    return rc;
}

static int64_t seg_time(bc_segment_t *seg) {
    int64_t ts = bc_segment_max_timestamp(seg);
    return ts >= 0 ? ts : bc_segment_mtime_ms(seg);
}

int bc_log_retention(bc_log_t *log, int64_t now_ms, bc_retention_t *res,
                     char *errstr, size_t errstr_size) {
    bc_retention_t dummy;
    bc_segment_t **gone = NULL;
    size_t k = 0;
    int rc = 0;
    if (!res) res = &dummy;
    memset(res, 0, sizeof(*res));
    pthread_mutex_lock(&log->maint);
    pthread_mutex_lock(&log->lock);
    if (log->cfg.cleanup_policy & BC_CLEANUP_DELETE) {
        /* Kafka's deletableSegments: every segment, the active one too
         * unless it is empty (on one node the high watermark is the log
         * end, so it never holds anything back). */
        size_t limit =
            bc_segment_size(active(log)) > 0 ? log->nseg : log->nseg - 1;
        if (log->cfg.retention_bytes >= 0) {
            int64_t total = 0;
            for (size_t i = 0; i < log->nseg; i++)
                total += bc_segment_size(log->segs[i]);
            int64_t diff = total - log->cfg.retention_bytes;
            while (k < limit && diff - bc_segment_size(log->segs[k]) >= 0) {
                diff -= bc_segment_size(log->segs[k]);
                k++;
            }
        }
        if (log->cfg.retention_ms >= 0)
            while (k < limit &&
                   now_ms - seg_time(log->segs[k]) > log->cfg.retention_ms)
                k++;
    }
    /* Everything goes: roll an empty active segment at the log end first
     * (Kafka's deleteSegments), so the log keeps one and its offsets. */
    if (k > 0 && k == log->nseg &&
        (rc = roll_locked(log, now_ms, errstr, errstr_size)) < 0)
        k = 0;
    if (k > 0) {
        gone = bc_malloc(k * sizeof(*gone));
        memcpy(gone, log->segs, k * sizeof(*gone));
        memmove(log->segs, log->segs + k, (log->nseg - k) * sizeof(*log->segs));
        log->nseg -= k;
        int64_t nstart = bc_segment_base(log->segs[0]);
        if (nstart > log->start) log->start = nstart;
        if (log->recovery_point < log->start) log->recovery_point = log->start;
        if (log->first_dirty < log->start) log->first_dirty = log->start;
    }
    res->log_start_offset = log->start;
    pthread_mutex_unlock(&log->lock);
    for (size_t i = 0; i < k; i++) {
        res->segments_deleted++;
        res->bytes_deleted += bc_segment_size(gone[i]);
        if (bc_segment_delete(gone[i]) < 0 && rc == 0)
            rc = bc_err_set(BC_ERR_IO, errstr, errstr_size,
                            "%s: cannot delete a segment: %s", log->dir,
                            strerror(errno));
    }
    free(gone);
    if (k > 0) {
        bc_fs_fsync_dir(log->dir);
        write_epoch_checkpoint(log, res->log_start_offset);
    }
    pthread_mutex_unlock(&log->maint);
    return rc;
}

void bc_log_stats(bc_log_t *log, bc_log_stats_t *st) {
    pthread_mutex_lock(&log->lock);
    st->log_start_offset = log->start;
    st->log_end_offset = bc_segment_next_offset(active(log));
    st->segments = (int64_t)log->nseg;
    st->bytes = 0;
    for (size_t i = 0; i < log->nseg; i++)
        st->bytes += bc_segment_size(log->segs[i]);
    st->first_dirty_offset = log->first_dirty;
    pthread_mutex_unlock(&log->lock);
}
