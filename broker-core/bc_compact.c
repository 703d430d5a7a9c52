/* SPDX-License-Identifier: Apache-2.0 */
/* bc_compact: see bc_compact.h. The key map stores full keys (an arena
 * plus an open-addressing table of 64-bit hashes) so "latest value per
 * key" is exact, not probabilistic as with Kafka's MD5 map; its memory is
 * bounded by cleaner_buffer_bytes, and when that is reached only the
 * prefix of the dirty range that fitted is cleaned this round. */
#include "broker-core/bc_compact.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_batch.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_fs.h"
#include "broker-core/bc_log_int.h"
#include "broker-core/bc_mem.h"
#include "broker-core/bc_segment.h"

/* ---- key -> latest offset map ----------------------------------------- */

typedef struct kslot_s {
    uint64_t hash; /* 0 = empty */
    int64_t offset;
    size_t kpos;
    int32_t klen;
} kslot_t;

typedef struct kmap_s {
    kslot_t *slots;
    size_t cap; /* power of two */
    size_t n;
    uint8_t *arena;
    size_t alen;
    size_t acap;
    size_t budget;
} kmap_t;

static uint64_t khash(const uint8_t *k, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= k[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1;
}

static kslot_t *kmap_find(const kmap_t *m, const uint8_t *k, int32_t klen,
                          uint64_t h) {
    size_t i = (size_t)h & (m->cap - 1);
    for (;;) {
        kslot_t *s = &m->slots[i];
        if (s->hash == 0 || (s->hash == h && s->klen == klen &&
                             !memcmp(m->arena + s->kpos, k, (size_t)klen)))
            return s;
        i = (i + 1) & (m->cap - 1);
    }
}

static size_t kmap_bytes(size_t cap, size_t arena) {
    return cap * sizeof(kslot_t) + arena;
}

/* Records key -> offset. Returns 0, or -1 when the budget is exhausted
 * (nothing changed). */
static int kmap_put(kmap_t *m, const uint8_t *k, int32_t klen, int64_t offset) {
    uint64_t h = khash(k, (size_t)klen);
    kslot_t *s = kmap_find(m, k, klen, h);
    if (s->hash) {
        s->offset = offset;
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap) {
        size_t ncap = m->cap * 2;
        if (kmap_bytes(ncap, m->acap) > m->budget) return -1;
        kmap_t nm = *m;
        nm.slots = bc_calloc(ncap, sizeof(kslot_t));
        nm.cap = ncap;
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].hash) {
                kslot_t *d = kmap_find(&nm, m->arena + m->slots[i].kpos,
                                       m->slots[i].klen, m->slots[i].hash);
                *d = m->slots[i];
            }
        free(m->slots);
        *m = nm;
        s = kmap_find(m, k, klen, h);
    }
    if (m->alen + (size_t)klen > m->acap) {
        size_t ncap = m->acap ? m->acap : 4096;
        while (ncap < m->alen + (size_t)klen)
            ncap *= 2;
        if (kmap_bytes(m->cap, ncap) > m->budget) return -1;
        m->arena = bc_realloc(m->arena, ncap);
        m->acap = ncap;
    }
    memcpy(m->arena + m->alen, k, (size_t)klen);
    s->hash = h;
    s->offset = offset;
    s->kpos = m->alen;
    s->klen = klen;
    m->alen += (size_t)klen;
    m->n++;
    return 0;
}

/* Latest offset of key, or -1. */
static int64_t kmap_get(const kmap_t *m, const uint8_t *k, int32_t klen) {
    kslot_t *s = kmap_find(m, k, klen, khash(k, (size_t)klen));
    return s->hash ? s->offset : -1;
}

/* ---- reading sealed segments without the log mutex -------------------- */

typedef struct breader_s {
    bc_segment_t *seg;
    uint8_t *buf;
    size_t cap;
    int64_t at;  /* file position of buf[0] */
    size_t len;  /* valid bytes */
    int64_t pos; /* next batch */
} breader_t;

/* Next whole batch of the segment: 1, 0 at the end, BC_ERR_IO/CORRUPT. */
static int breader_next(breader_t *r, bc_batch_t *b) {
    if (r->pos >= bc_segment_size(r->seg)) return 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t off = (size_t)(r->pos - r->at);
        if (r->pos >= r->at && r->pos <= r->at + (int64_t)r->len) {
            int rc = bc_batch_parse(r->buf + off, r->len - off, 0, b, NULL, 0);
            if (rc == 0) {
                r->pos += (int64_t)b->size;
                return 1;
            }
            if (rc < 0) return BC_ERR_CORRUPT;
            if (b->size > r->cap) {
                r->cap = b->size;
                r->buf = bc_realloc(r->buf, r->cap);
            }
        }
        int64_t got = bc_segment_read(r->seg, r->pos, r->buf, r->cap);
        if (got < 0) return BC_ERR_IO;
        r->at = r->pos;
        r->len = (size_t)got;
    }
    return BC_ERR_CORRUPT;
}

static void breader_init(breader_t *r, bc_segment_t *seg, uint8_t **buf,
                         size_t *cap) {
    if (*cap < (1 << 20)) {
        *cap = 1 << 20;
        *buf = bc_realloc(*buf, *cap);
    }
    r->seg = seg;
    r->buf = *buf;
    r->cap = *cap;
    r->at = 0;
    r->len = 0;
    r->pos = 0;
}

/* ---- planning ----------------------------------------------------------- */

typedef struct plan_s {
    size_t dirty_seg; /* first segment not entirely clean */
    size_t end_seg;   /* first uncleanable segment (<= active) */
    int64_t first_dirty;
    int64_t clean_bytes;
    int64_t dirty_bytes;
    double ratio;
    int due;
} plan_t;

/* Caller holds log->lock. */
static void make_plan(bc_log_t *log, int64_t now_ms, plan_t *pl) {
    memset(pl, 0, sizeof(*pl));
    int64_t leo = bc_segment_next_offset(log->segs[log->nseg - 1]);
    int64_t fd = log->first_dirty;
    if (fd < log->start || fd > leo) fd = log->start;
    pl->first_dirty = fd;
    size_t end = log->nseg - 1; /* the active segment is never cleaned */
    size_t i = 0;
    while (i < end && bc_segment_base(log->segs[i + 1]) <= fd) {
        pl->clean_bytes += bc_segment_size(log->segs[i]);
        i++;
    }
    pl->dirty_seg = i;
    if (log->cfg.min_compaction_lag_ms > 0)
        for (size_t j = i; j < end; j++)
            if (bc_segment_max_timestamp(log->segs[j]) >
                now_ms - log->cfg.min_compaction_lag_ms) {
                end = j;
                break;
            }
    pl->end_seg = end < i ? i : end;
    for (size_t j = i; j < pl->end_seg; j++)
        pl->dirty_bytes += bc_segment_size(log->segs[j]);
    int64_t total = pl->clean_bytes + pl->dirty_bytes;
    pl->ratio = total > 0 ? (double)pl->dirty_bytes / (double)total : 0.0;
    pl->due = (pl->dirty_bytes > 0 &&
               pl->ratio >= log->cfg.min_cleanable_dirty_ratio) ||
              (log->next_horizon_ms <= now_ms && pl->clean_bytes > 0);
}

double bc_compact_dirty_ratio(bc_log_t *log, int64_t now_ms) {
    plan_t pl;
    pthread_mutex_lock(&log->lock);
    make_plan(log, now_ms, &pl);
    pthread_mutex_unlock(&log->lock);
    return pl.ratio;
}

/* ---- rewriting ------------------------------------------------------------
 */

typedef struct pass_s {
    bc_log_t *log;
    int64_t now_ms;
    kmap_t map;
    int64_t map_end;      /* records at or after this offset are kept */
    int64_t next_horizon; /* earliest horizon among kept tombstones */
    bc_batch_builder_t *bb;
    bc_compact_stats_t *st;
    uint8_t *rbuf;
    size_t rcap;
} pass_t;

/* Filters one batch into fd. `last` keeps an empty batch when everything
 * goes, so the group's last offset survives. */
static int clean_batch(pass_t *ps, const bc_batch_t *b, int last, int fd,
                       int64_t *written) {
    bc_record_iter_t it;
    bc_record_t rec;
    int r, drop = 0, tomb_drop = 0, tomb_kept = 0;
    int has_horizon = (b->attributes & BC_BATCH_ATTR_DELETE_HORIZON) != 0;
    int64_t horizon = has_horizon ? b->base_timestamp : INT64_MAX;

    bc_record_iter_init(&it, b);
    while ((r = bc_record_iter_next(&it, &rec)) == 1) {
        ps->st->records_read++;
        if (rec.offset >= ps->map_end)
            continue; /* beyond the mapped range: untouched */
        if (rec.key_len < 0 ||
            kmap_get(&ps->map, rec.key, rec.key_len) > rec.offset ||
            (rec.value_len < 0 && ps->now_ms >= horizon)) {
            drop++;
            tomb_drop += rec.value_len < 0;
        } else
            tomb_kept += rec.value_len < 0;
    }
    if (r < 0) return BC_ERR_CORRUPT;
    int stamp = tomb_kept > 0 && !has_horizon;
    if (drop == 0 && !stamp) {
        if (tomb_kept && horizon < ps->next_horizon) ps->next_horizon = horizon;
        *written += (int64_t)b->size;
        return bc_fs_write_all(fd, b->data, b->size) < 0 ? BC_ERR_IO : 0;
    }
    if (drop == b->record_count && !last) {
        ps->st->records_removed += drop;
        ps->st->tombstones_removed += tomb_drop;
        return 0;
    }
    bc_batch_opts_t o = bc_batch_opts_default();
    o.attributes = b->attributes;
    o.base_timestamp = b->base_timestamp;
    o.max_timestamp = b->max_timestamp;
    o.last_offset_delta = b->last_offset_delta;
    o.producer_id = b->producer_id;
    o.producer_epoch = b->producer_epoch;
    o.base_sequence = b->base_sequence;
    if (stamp) {
        o.attributes |= BC_BATCH_ATTR_DELETE_HORIZON;
        o.base_timestamp = ps->now_ms + ps->log->cfg.delete_retention_ms;
        horizon = o.base_timestamp;
    }
    bc_batch_builder_begin(ps->bb, &o);
    bc_record_iter_init(&it, b);
    while (bc_record_iter_next(&it, &rec) == 1) {
        int keep;
        if (rec.offset >= ps->map_end)
            keep = 1;
        else
            keep = rec.key_len >= 0 &&
                   kmap_get(&ps->map, rec.key, rec.key_len) <= rec.offset &&
                   !(rec.value_len < 0 && ps->now_ms >= horizon && has_horizon);
        if (!keep) {
            ps->st->records_removed++;
            if (rec.value_len < 0) ps->st->tombstones_removed++;
            continue;
        }
        /* Re-encode with the original offset delta and headers. */
        bc_header_t hs[64], *hp = hs;
        size_t nh = (size_t)rec.header_count, pos = 0;
        if (nh > 64) hp = bc_malloc(nh * sizeof(*hp));
        for (size_t i = 0; i < nh; i++)
            bc_record_header_next(&rec, &pos, &hp[i]);
        bc_record_in_t in = {
            rec.key,       rec.key_len, rec.value, rec.value_len,
            rec.timestamp, hp,          nh};
        int arc = bc_batch_builder_add_at(
            ps->bb, &in, (int32_t)(rec.offset - b->base_offset));
        if (hp != hs) free(hp);
        if (arc < 0) return BC_ERR_CORRUPT;
    }
    if (tomb_kept && horizon < ps->next_horizon) ps->next_horizon = horizon;
    size_t len;
    uint8_t *out = bc_batch_builder_finish(ps->bb, &len);
    bc_batch_set_base_offset(out, b->base_offset);
    bc_batch_set_leader_epoch(out, b->leader_epoch);
    *written += (int64_t)len;
    return bc_fs_write_all(fd, out, len) < 0 ? BC_ERR_IO : 0;
}

/* Rewrites segs[from..to) as one segment and swaps it in. */
static int clean_group(pass_t *ps, bc_segment_t **segs, size_t from, size_t to,
                       char *errstr, size_t errstr_size) {
    bc_log_t *log = ps->log;
    int64_t base = bc_segment_base(segs[from]);
    char cleaned[4096], swap[4096], final[4096];
    int rc = 0, fd;
    int64_t written = 0;

    bc_segment_path(cleaned, sizeof(cleaned), log->dir, base, ".log.cleaned");
    bc_segment_path(swap, sizeof(swap), log->dir, base, ".log.swap");
    bc_segment_path(final, sizeof(final), log->dir, base, ".log");
    fd = open(cleaned, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", cleaned,
                          strerror(errno));
    /* Find the group's last batch so it is never dropped entirely. */
    int64_t last_base = -1;
    for (size_t i = from; i < to; i++) {
        breader_t r;
        bc_batch_t b;
        int n;
        breader_init(&r, segs[i], &ps->rbuf, &ps->rcap);
        while ((n = breader_next(&r, &b)) == 1)
            last_base = b.base_offset;
        ps->rbuf = r.buf;
        ps->rcap = r.cap;
        if (n < 0) {
            rc = bc_err_set(n, errstr, errstr_size,
                            "%s: unreadable segment %020lld", log->dir,
                            (long long)bc_segment_base(segs[i]));
            goto out;
        }
    }
    for (size_t i = from; i < to && rc == 0; i++) {
        breader_t r;
        bc_batch_t b;
        int n;
        ps->st->bytes_before += bc_segment_size(segs[i]);
        breader_init(&r, segs[i], &ps->rbuf, &ps->rcap);
        while (rc == 0 && (n = breader_next(&r, &b)) == 1)
            rc = clean_batch(ps, &b, b.base_offset == last_base, fd, &written);
        ps->rbuf = r.buf;
        ps->rcap = r.cap;
        if (rc == 0 && n < 0) rc = n;
    }
    if (rc < 0) {
        bc_err_set(rc, errstr, errstr_size, "%s: cleaning %020lld: %s",
                   log->dir, (long long)base, bc_err_str(rc));
        goto out;
    }
    if (fsync(fd) < 0) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: fsync: %s",
                        cleaned, strerror(errno));
        goto out;
    }
    close(fd);
    fd = -1;
    /* Commit point: the .swap name. */
    if (rename(cleaned, swap) < 0 || bc_fs_fsync_dir(log->dir) < 0) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", swap,
                        strerror(errno));
        goto out;
    }
    pthread_mutex_lock(&log->lock);
    size_t at = 0;
    while (at < log->nseg && log->segs[at] != segs[from])
        at++;
    BC_ASSERT(at + (to - from) < log->nseg);
    for (size_t i = from; i < to; i++)
        bc_segment_delete(segs[i]); /* closes and unlinks */
    if (rename(swap, final) < 0 || bc_fs_fsync_dir(log->dir) < 0) {
        /* The swap stays; the next open completes it. */
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", final,
                        strerror(errno));
    }
    bc_segment_open_t o;
    memset(&o, 0, sizeof(o));
    o.recover = 1;
    o.expect_offset = base;
    o.index_max_bytes = log->cfg.segment_index_bytes;
    o.index_interval = log->cfg.index_interval_bytes;
    o.now_ms = ps->now_ms;
    int err = 0;
    bc_segment_t *nseg = rc == 0 ? bc_segment_open(log->dir, base, &o, NULL,
                                                   &err, errstr, errstr_size)
                                 : NULL;
    BC_ASSERT(nseg || rc < 0); /* just written and fsynced: must parse */
    size_t removed = to - from;
    if (nseg) {
        log->segs[at] = nseg;
        memmove(&log->segs[at + 1], &log->segs[at + removed],
                (log->nseg - at - removed) * sizeof(*log->segs));
        log->nseg -= removed - 1;
        ps->st->bytes_after += bc_segment_size(nseg);
    } else {
        memmove(&log->segs[at], &log->segs[at + removed],
                (log->nseg - at - removed) * sizeof(*log->segs));
        log->nseg -= removed;
    }
    pthread_mutex_unlock(&log->lock);
    ps->st->segments_before += (int)removed;
    ps->st->segments_after += nseg ? 1 : 0;
out:
    if (fd >= 0) {
        close(fd);
        unlink(cleaned);
    }
    return rc;
}

int bc_compact_log(bc_log_t *log, int64_t now_ms, int force,
                   bc_compact_stats_t *st, char *errstr, size_t errstr_size) {
    bc_compact_stats_t dummy;
    plan_t pl;
    pass_t ps;
    bc_segment_t **segs = NULL;
    size_t nsegs = 0;
    int rc = 0;

    if (!st) st = &dummy;
    memset(st, 0, sizeof(*st));
    memset(&ps, 0, sizeof(ps));
    pthread_mutex_lock(&log->maint);
    pthread_mutex_lock(&log->lock);
    make_plan(log, now_ms, &pl);
    st->dirty_ratio = pl.ratio;
    st->first_dirty_offset = pl.first_dirty;
    ps.log = log;
    ps.now_ms = now_ms;
    ps.st = st;
    ps.next_horizon = INT64_MAX;
    ps.map.budget = (size_t)log->cfg.cleaner_buffer_bytes;
    int64_t seg_bytes = log->cfg.segment_bytes;
    if ((pl.due || force) && pl.end_seg > 0) {
        nsegs = pl.end_seg;
        segs = bc_malloc(nsegs * sizeof(*segs));
        memcpy(segs, log->segs, nsegs * sizeof(*segs));
        ps.map_end = bc_segment_base(log->segs[pl.end_seg]);
    }
    pthread_mutex_unlock(&log->lock);
    if (!segs) goto out;

    /* 1. Map every key of the dirty range to its latest offset. */
    ps.map.cap = 1024;
    ps.map.slots = bc_calloc(ps.map.cap, sizeof(kslot_t));
    for (size_t i = pl.dirty_seg; i < nsegs; i++) {
        breader_t r;
        bc_batch_t b;
        int n, full = 0;
        breader_init(&r, segs[i], &ps.rbuf, &ps.rcap);
        while (!full && (n = breader_next(&r, &b)) == 1) {
            bc_record_iter_t it;
            bc_record_t rec;
            int rr;
            bc_record_iter_init(&it, &b);
            while ((rr = bc_record_iter_next(&it, &rec)) == 1)
                if (rec.key_len >= 0 &&
                    kmap_put(&ps.map, rec.key, rec.key_len, rec.offset) < 0) {
                    full = 1;
                    ps.map_end = rec.offset; /* keep from here on */
                    break;
                }
            if (rr < 0) n = BC_ERR_CORRUPT;
            if (n < 0) break;
        }
        ps.rbuf = r.buf;
        ps.rcap = r.cap;
        if (!full && n < 0) {
            rc = bc_err_set(n, errstr, errstr_size,
                            "%s: unreadable segment %020lld", log->dir,
                            (long long)bc_segment_base(segs[i]));
            goto out;
        }
        if (full) {
            nsegs = i + 1;
            break;
        }
    }

    /* 2. Rewrite [0, nsegs) in groups that fit one segment each. */
    ps.bb = bc_batch_builder_new(1 << 16);
    for (size_t g = 0; g < nsegs && rc == 0;) {
        size_t h = g + 1;
        int64_t size = bc_segment_size(segs[g]);
        while (h < nsegs && size + bc_segment_size(segs[h]) <= seg_bytes &&
               bc_segment_next_offset(segs[h]) - bc_segment_base(segs[g]) <=
                   INT32_MAX) {
            size += bc_segment_size(segs[h]);
            h++;
        }
        rc = clean_group(&ps, segs, g, h, errstr, errstr_size);
        g = h;
    }
    if (rc == 0) {
        pthread_mutex_lock(&log->lock);
        log->first_dirty = ps.map_end;
        log->next_horizon_ms = ps.next_horizon;
        pthread_mutex_unlock(&log->lock);
        bc_log_int_write_cleaner_checkpoint(log, ps.map_end, ps.next_horizon);
        st->cleaned = 1;
        st->first_dirty_offset = ps.map_end;
    }
out:
    pthread_mutex_unlock(&log->maint);
    bc_batch_builder_destroy(ps.bb);
    free(ps.map.slots);
    free(ps.map.arena);
    free(ps.rbuf);
    free(segs);
    return rc;
}
