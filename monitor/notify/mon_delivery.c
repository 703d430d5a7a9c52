/* SPDX-License-Identifier: Apache-2.0 */
/* mon_delivery: durable webhook queue and libcurl multi sender (see
 * mon_delivery.h for the guarantee, the locks and the journal format).
 *
 * Built on the assumption that the queue is short (deliveries finish in
 * seconds) while the journal only grows until compacted: unfinished
 * deliveries live in one seq-ordered list that the sender scans whole on
 * each pass, and finished ones move to a fixed ring of summaries. Journal
 * positions are counted in records appended ("w"), never reset, so "is
 * this record on disk" is one comparison with the last synced count even
 * across compactions.
 */
#include "monitor/notify/mon_delivery.h"
#include "monitor/base/mon_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "broker-core/bc_crc32c.h"
#include "broker-core/bc_fs.h"
#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_version.h"
#include "monitor/base/mon_worker.h"
#include "monitor/notify/mon_sign.h"

#define JOURNAL_VERSION 2u /* the first in the shared layout */
#define HDR_LEN MON_STATE_HEADER_SIZE
#define HDR_V1_LEN 16u /* version 1: magic, u32 version 1, 4 reserved */
#define REC_HDR 8u
#define MAX_REC (64u << 20)
#define MAX_BODY (16u << 20)

enum { REC_QUEUED = 1, REC_NOTE, REC_ATTEMPT, REC_DELIVERED, REC_FAILED };

/* Item states; DONE_* wait for their record to be synced, then leave. */
enum { ST_WAIT = 0, ST_INFLIGHT, ST_DONE_OK, ST_DONE_FAIL };
/* Why a DONE_FAIL item was never sent (item_t.retired). */
enum { RET_NONE = 0, RET_MERGED, RET_DROPPED };

typedef struct item_s {
    struct item_s *prev, *next;
    uint64_t seq;
    int target; /* index into q->targets */
    char *key, *notifier, *cluster, *group, *incident_id;
    char *method, *url, *content_type, *body, *status;
    size_t body_len;
    mon_delivery_kind_t kind;
    uint32_t iseq;
    int64_t start_ms, created_ms;
    uint64_t ghash;    /* of (target, cluster, group), never 0 */
    size_t rec_bytes;  /* size of its QUEUED record */
    uint64_t queued_w; /* journal position of the QUEUED record */
    uint64_t done_w;   /* ... of its DELIVERED / FAILED record */
    /* guarded by q->lock, written by the sender */
    int state;
    uint32_t attempts;
    int http_status;
    char error[256];
    int64_t time_ms;
    int64_t next_mono; /* earliest next attempt, monotonic ms */
    int retired;       /* RET_*: finished without being sent */
    /* sender thread only */
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
    char status_line[160];
    int64_t retry_after_ms;
} item_t;

typedef struct target_s {
    char *name;
    char *secret;
    char **headers; /* "Name: value" lines */
    size_t n_headers;
    bool has_content_type;
    int64_t timeout_ms;
    int max_retries;
    int in_flight;           /* q->lock */
    mon_delivery_stats_t st; /* q->lock (pending, in_flight derived) */
} target_t;

struct mon_delivery_s {
    char *path;
    char *dir;
    mon_delivery_opts_t opts;
    target_t *targets;
    size_t n_targets;

    pthread_mutex_t sync_lock; /* fdatasync vs fd swap (compaction) */
    pthread_mutex_t lock;      /* everything below */
    pthread_cond_t cond;       /* an item finished */
    int fd;
    uint64_t file_bytes;
    uint64_t live_bytes; /* QUEUED bytes of unfinished items */
    uint64_t next_seq;
    uint64_t wcount;   /* records appended, ever */
    uint64_t synced_w; /* records known to be on disk */
    item_t *head, *tail;
    size_t n_items;
    mon_delivery_info_t ring[MON_DELIVERY_RING];
    size_t ring_next, ring_count;

    /* sender */
    CURLM *multi;
    mon_worker_t *sender; /* NULL when not started */
    uint64_t rnd;         /* xorshift state, sender only */
};

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

static const char *kind_name(mon_delivery_kind_t k) {
    return k == MON_DELIVERY_CLOSE ? "close" : "open";
}

static char *key_of(const char *id, mon_delivery_kind_t kind, uint32_t iseq) {
    size_t n = strlen(id) + 32;
    char *k = mon_malloc(n);
    snprintf(k, n, "%s:%s:%" PRIu32, id, kind_name(kind), iseq);
    return k;
}

/* ---- encoding ---- */

/* Strings are u32 length + bytes; NULL is written as "". */
static void put_cstr(mon_wbuf_t *b, const char *s) {
    mon_wbuf_str32(b, s ? s : "", s ? strlen(s) : 0);
}

/* Starts a record: 8 header bytes filled in by rec_finish. */
static void rec_start(mon_wbuf_t *b, int type) {
    b->len = 0;
    mon_wbuf_u32(b, 0);
    mon_wbuf_u32(b, 0);
    mon_wbuf_u8(b, (uint8_t)type);
}

static void rec_finish(mon_wbuf_t *b) {
    uint32_t len = (uint32_t)(b->len - REC_HDR);
    mon_wbuf_patch_u32(b, 0, len);
    mon_wbuf_patch_u32(b, 4, bc_crc32c(0, b->p + REC_HDR, len));
}

static void encode_entry(mon_wbuf_t *b, const mon_delivery_entry_t *e,
                         uint64_t seq) {
    rec_start(b, e->note_only ? REC_NOTE : REC_QUEUED);
    mon_wbuf_u64(b, seq);
    mon_wbuf_u64(b, (uint64_t)e->created_ms);
    mon_wbuf_u64(b, (uint64_t)e->start_ms);
    mon_wbuf_u32(b, e->iseq);
    mon_wbuf_u8(b, (uint8_t)e->kind);
    put_cstr(b, e->notifier);
    put_cstr(b, e->cluster);
    put_cstr(b, e->group);
    put_cstr(b, e->incident_id);
    put_cstr(b, e->note_only ? NULL : e->method);
    put_cstr(b, e->note_only ? NULL : e->url);
    put_cstr(b, e->note_only ? NULL : e->content_type);
    if (e->note_only)
        mon_wbuf_str32(b, "", 0);
    else
        mon_wbuf_str32(b, e->body ? e->body : "", e->body ? e->body_len : 0);
    put_cstr(b, e->status);
    rec_finish(b);
}

static void encode_state(mon_wbuf_t *b, int type, uint64_t seq,
                         uint32_t attempts, int status, int64_t t_ms,
                         const char *err) {
    rec_start(b, type);
    mon_wbuf_u64(b, seq);
    mon_wbuf_u32(b, attempts);
    mon_wbuf_u32(b, (uint32_t)status);
    mon_wbuf_u64(b, (uint64_t)t_ms);
    put_cstr(b, err);
    rec_finish(b);
}

static void item_entry(const item_t *it, mon_delivery_entry_t *e) {
    memset(e, 0, sizeof(*e));
    e->kind = it->kind;
    e->notifier = it->notifier;
    e->cluster = it->cluster;
    e->group = it->group;
    e->incident_id = it->incident_id;
    e->iseq = it->iseq;
    e->start_ms = it->start_ms;
    e->created_ms = it->created_ms;
    e->method = it->method;
    e->url = it->url;
    e->content_type = it->content_type;
    e->body = it->body;
    e->body_len = it->body_len;
    e->status = it->status;
}

/* ---- decoding ---- */

/* A u32-length string, copied (NULL when the record is short). */
static char *rd_str(mon_rbuf_t *r, size_t *lenp) {
    char *v = NULL;
    mon_rbuf_str32_dup(r, &v, lenp, "string");
    return v;
}

static void item_free(item_t *it) {
    if (!it) return;
    free(it->key);
    free(it->notifier);
    free(it->cluster);
    free(it->group);
    free(it->incident_id);
    free(it->method);
    free(it->url);
    free(it->content_type);
    free(it->body);
    free(it->status);
    if (it->hdrs) curl_slist_free_all(it->hdrs);
    free(it);
}

/* Decodes a QUEUED / NOTE payload into a new item (strings owned). */
static item_t *decode_entry(mon_rbuf_t *r) {
    item_t *it = mon_calloc(1, sizeof(*it));
    int64_t seq = 0;
    uint8_t kind = 0;
    mon_rbuf_i64(r, &seq, "seq");
    mon_rbuf_i64(r, &it->created_ms, "created");
    mon_rbuf_i64(r, &it->start_ms, "start");
    mon_rbuf_u32(r, &it->iseq, "incident sequence");
    mon_rbuf_u8(r, &kind, "kind");
    it->seq = (uint64_t)seq;
    it->kind = (mon_delivery_kind_t)kind;
    it->notifier = rd_str(r, NULL);
    it->cluster = rd_str(r, NULL);
    it->group = rd_str(r, NULL);
    it->incident_id = rd_str(r, NULL);
    it->method = rd_str(r, NULL);
    it->url = rd_str(r, NULL);
    it->content_type = rd_str(r, NULL);
    it->body = rd_str(r, &it->body_len);
    it->status = rd_str(r, NULL);
    if (r->failed || r->pos != r->len ||
        (it->kind != MON_DELIVERY_OPEN && it->kind != MON_DELIVERY_CLOSE)) {
        item_free(it);
        return NULL;
    }
    it->key = key_of(it->incident_id, it->kind, it->iseq);
    return it;
}

/* ---------------------------------------------------------------------- */
/* Items, ring, journal                                                   */

static int find_target(const mon_delivery_t *q, const char *name) {
    for (size_t i = 0; i < q->n_targets; i++)
        if (!strcmp(q->targets[i].name, name)) return (int)i;
    return -1;
}

/* Deliveries of one group to one target go out in order (a close never
 * overtakes its open); this hash keys that order. */
static uint64_t group_hash(int target, const char *cluster, const char *group) {
    uint64_t h = mon_hash_bytes(cluster, strlen(cluster)) ^
                 mon_hash_bytes(group, strlen(group)) * 0x9e3779b97f4a7c15ULL ^
                 (uint64_t)(unsigned)(target + 1) * 0xc2b2ae3d27d4eb4fULL;
    return h | 1; /* 0 means none */
}

/* Adds h to an open-addressing set; returns true when it was there. */
static bool hset_add(uint64_t *set, size_t cap, uint64_t h) {
    size_t i = (size_t)(h ^ (h >> 31)) & (cap - 1);
    while (set[i]) {
        if (set[i] == h) return true;
        i = (i + 1) & (cap - 1);
    }
    set[i] = h;
    return false;
}

static void list_append(mon_delivery_t *q, item_t *it) {
    it->ghash = group_hash(it->target, it->cluster, it->group);
    it->prev = q->tail;
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n_items++;
}

static void list_unlink(mon_delivery_t *q, item_t *it) {
    if (it->prev)
        it->prev->next = it->next;
    else
        q->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        q->tail = it->prev;
    it->prev = it->next = NULL;
    q->n_items--;
}

void mon_delivery_info_clear(mon_delivery_info_t *in) {
    if (!in) return;
    free(in->key);
    free(in->incident_id);
    free(in->notifier);
    free(in->cluster);
    free(in->group);
    free(in->error);
    memset(in, 0, sizeof(*in));
}

static void info_from_item(const item_t *it, mon_delivery_info_t *in) {
    memset(in, 0, sizeof(*in));
    in->seq = it->seq;
    in->key = mon_strdup(it->key);
    in->incident_id = mon_strdup(it->incident_id);
    in->notifier = mon_strdup(it->notifier);
    in->cluster = mon_strdup(it->cluster);
    in->group = mon_strdup(it->group);
    in->kind = it->kind;
    in->state = it->retired == RET_MERGED    ? MON_DELIVERY_MERGED
                : it->retired == RET_DROPPED ? MON_DELIVERY_DROPPED
                : it->state == ST_DONE_OK    ? MON_DELIVERY_DELIVERED
                : it->state == ST_DONE_FAIL  ? MON_DELIVERY_FAILED
                                             : MON_DELIVERY_PENDING;
    in->attempts = it->attempts;
    in->http_status = it->http_status;
    in->error = mon_strdup(it->error);
    in->created_ms = it->created_ms;
    in->time_ms = it->time_ms;
}

static void info_copy(const mon_delivery_info_t *src,
                      mon_delivery_info_t *dst) {
    *dst = *src;
    dst->key = mon_strdup(src->key);
    dst->incident_id = mon_strdup(src->incident_id);
    dst->notifier = mon_strdup(src->notifier);
    dst->cluster = mon_strdup(src->cluster);
    dst->group = mon_strdup(src->group);
    dst->error = mon_strdup(src->error);
}

static void ring_push(mon_delivery_t *q, const item_t *it) {
    mon_delivery_info_t *slot = &q->ring[q->ring_next];
    mon_delivery_info_clear(slot);
    info_from_item(it, slot);
    q->ring_next = (q->ring_next + 1) % MON_DELIVERY_RING;
    if (q->ring_count < MON_DELIVERY_RING) q->ring_count++;
}

/* Appends one encoded record. Caller holds q->lock. On failure the file
 * is cut back to its previous length and -1 returned with errno kept. */
static int journal_append(mon_delivery_t *q, const mon_wbuf_t *b) {
    if (bc_fs_pwrite_all(q->fd, b->p, b->len, q->file_bytes) != 0) {
        int e = errno;
        if (ftruncate(q->fd, (off_t)q->file_bytes) != 0)
            mon_log(MON_LOG_ERROR,
                    "delivery journal %s: cannot cut back "
                    "a failed append: %s",
                    q->path, strerror(errno));
        errno = e ? e : EIO;
        return -1;
    }
    q->file_bytes += b->len;
    q->wcount++;
    return 0;
}

/* Appends a state record for `it` (caller holds q->lock); logs failures:
 * a lost state record only means a resend after a restart. */
static void append_state(mon_delivery_t *q, item_t *it, int type) {
    mon_wbuf_t b = {0};
    encode_state(&b, type, it->seq, it->attempts, it->http_status, it->time_ms,
                 it->error);
    if (journal_append(q, &b) != 0)
        mon_log(MON_LOG_ERROR, "delivery journal %s: append: %s", q->path,
                strerror(errno));
    mon_wbuf_free(&b);
}

/* ---------------------------------------------------------------------- */
/* Bounds: merging and dropping waiting opens                             */

/* Finishes a waiting item without sending it (merged into a newer open
 * or dropped over the cap): a FAILED record, counted apart. Caller holds
 * q->lock (or is the only thread, during recovery). */
static void retire(mon_delivery_t *q, item_t *it, int why, const char *by) {
    target_t *t = &q->targets[it->target];
    if (why == RET_MERGED)
        snprintf(it->error, sizeof(it->error), "merged into %s", by);
    else
        snprintf(it->error, sizeof(it->error),
                 "dropped: %s has %zu "
                 "deliveries pending (max-pending)",
                 t->name, q->opts.max_pending);
    it->state = ST_DONE_FAIL;
    it->retired = why;
    it->time_ms = mon_clock_wall_ms();
    q->live_bytes -= it->rec_bytes;
    append_state(q, it, REC_FAILED);
    it->done_w = q->wcount;
    if (why == RET_MERGED)
        t->st.merged++;
    else
        t->st.dropped++;
}

static bool waiting_open(const item_t *it) {
    return it->state == ST_WAIT && it->kind == MON_DELIVERY_OPEN;
}

static bool unfinished_item(const item_t *it) {
    return it->state == ST_WAIT || it->state == ST_INFLIGHT;
}

/* After `fresh` was appended: retires the waiting opens of its incident
 * and target it replaces, then the oldest waiting opens of its target
 * while the target holds more than max_pending. Caller holds q->lock. */
static void bound_after_enqueue(mon_delivery_t *q, item_t *fresh) {
    size_t pending = 0;
    for (item_t *it = q->head; it; it = it->next) {
        if (it == fresh || it->target != fresh->target) continue;
        if (fresh->kind == MON_DELIVERY_OPEN && waiting_open(it) &&
            !strcmp(it->incident_id, fresh->incident_id))
            retire(q, it, RET_MERGED, fresh->key);
        else if (unfinished_item(it))
            pending++;
    }
    pending++; /* fresh */
    for (item_t *it = q->head; it && pending > q->opts.max_pending;
         it = it->next)
        if (it != fresh && it->target == fresh->target && waiting_open(it)) {
            retire(q, it, RET_DROPPED, NULL);
            pending--;
        }
}

/* The same bounds over a recovered queue, newest first: per target and
 * incident only the newest waiting open stays, and at most max_pending
 * per target. Runs before the sender starts. */
static void bound_recovered(mon_delivery_t *q) {
    size_t cap = 16;
    while (cap < 2 * q->n_items)
        cap *= 2;
    uint64_t *seen = mon_calloc(cap, sizeof(*seen));
    size_t *kept = mon_calloc(q->n_targets ? q->n_targets : 1, sizeof(*kept));
    for (item_t *it = q->tail; it; it = it->prev) {
        if (!unfinished_item(it) || it->target < 0) continue;
        if (waiting_open(it)) {
            /* (target, incident) hashed like a group key */
            uint64_t h = group_hash(it->target, it->incident_id, "");
            item_t *by = NULL;
            if (hset_add(seen, cap, h)) {
                /* a newer open of this incident, unless h collided */
                by = it->next;
                while (by && !(by->target == it->target && waiting_open(by) &&
                               !strcmp(by->incident_id, it->incident_id)))
                    by = by->next;
            }
            if (by) {
                retire(q, it, RET_MERGED, by->key);
                continue;
            }
            if (kept[it->target] >= q->opts.max_pending) {
                retire(q, it, RET_DROPPED, NULL);
                continue;
            }
        }
        kept[it->target]++;
    }
    free(kept);
    free(seen);
}

/* ---------------------------------------------------------------------- */
/* Recovery                                                               */

typedef struct recov_s {
    item_t **v; /* QUEUED items in seq order (finished ones too) */
    size_t n, cap;
} recov_t;

static item_t *recov_find(recov_t *rv, uint64_t seq) {
    size_t lo = 0, hi = rv->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rv->v[mid]->seq == seq) return rv->v[mid];
        if (rv->v[mid]->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Applies one record body (type + payload) during recovery. Returns -1
 * when the payload does not decode (treated like a torn record). */
static int recover_record(mon_delivery_t *q, recov_t *rv,
                          const unsigned char *body, size_t len,
                          uint64_t *max_seq, uint64_t replay_after,
                          mon_delivery_replay_cb replay, void *arg) {
    char why[160]; /* a record that does not decode is a torn tail */
    mon_rbuf_t r;
    mon_rbuf_init(&r, body + 1, len - 1, q->path, why, sizeof(why));
    int type = body[0];
    if (type == REC_QUEUED || type == REC_NOTE) {
        item_t *it = decode_entry(&r);
        if (!it || it->seq <= *max_seq) goto bad_item;
        *max_seq = it->seq;
        if (replay && it->seq > replay_after) {
            mon_delivery_entry_t e;
            item_entry(it, &e);
            e.seq = it->seq;
            e.note_only = type == REC_NOTE;
            replay(&e, arg);
        }
        if (type == REC_NOTE) {
            item_free(it);
            return 0;
        }
        it->rec_bytes = len + REC_HDR;
        it->target = find_target(q, it->notifier);
        if (rv->n == rv->cap) {
            rv->cap = rv->cap ? rv->cap * 2 : 64;
            rv->v = mon_realloc(rv->v, rv->cap * sizeof(*rv->v));
        }
        rv->v[rv->n++] = it;
        return 0;
    bad_item:
        item_free(it);
        return -1;
    }
    if (type == REC_ATTEMPT || type == REC_DELIVERED || type == REC_FAILED) {
        int64_t seq = 0, t = 0;
        uint32_t attempts = 0, status = 0;
        mon_rbuf_i64(&r, &seq, "seq");
        mon_rbuf_u32(&r, &attempts, "attempts");
        mon_rbuf_u32(&r, &status, "status");
        mon_rbuf_i64(&r, &t, "time");
        char *err = rd_str(&r, NULL);
        if (r.failed || r.pos != r.len) {
            free(err);
            return -1;
        }
        item_t *it = recov_find(rv, (uint64_t)seq);
        if (it && it->state == ST_WAIT) {
            it->attempts = attempts;
            it->http_status = (int)(int32_t)status;
            it->time_ms = t;
            snprintf(it->error, sizeof(it->error), "%s", err);
            if (type != REC_ATTEMPT) {
                it->state = type == REC_DELIVERED ? ST_DONE_OK : ST_DONE_FAIL;
                ring_push(q, it);
            }
        }
        free(err);
        return 0;
    }
    return -1;
}

static int read_file(int fd, unsigned char **out, size_t *lenp) {
    struct stat sb;
    if (fstat(fd, &sb) != 0) return -1;
    size_t n = (size_t)sb.st_size, got = 0;
    unsigned char *p = mon_malloc(n ? n : 1);
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(p);
            return -1;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    *out = p;
    *lenp = got;
    return 0;
}

static int write_header(int fd) {
    unsigned char h[HDR_LEN];
    mon_state_header(h, MON_STATE_MAGIC_JOURNAL, JOURNAL_VERSION, NULL, 0);
    return bc_fs_pwrite_all(fd, h, sizeof(h), 0);
}

static int recover(mon_delivery_t *q, uint64_t min_seq, uint64_t replay_after,
                   mon_delivery_replay_cb replay, void *arg, char *errstr,
                   size_t errstr_size) {
    unsigned char *buf = NULL;
    size_t len = 0, off = HDR_LEN;
    uint64_t max_seq = 0;
    recov_t rv = {0};
    int rc = -1;

    if (read_file(q->fd, &buf, &len) != 0) {
        snprintf(errstr, errstr_size, "%s: read: %s", q->path, strerror(errno));
        goto out;
    }
    if (len < HDR_LEN && (len < HDR_V1_LEN || mon_le32(buf + 8) != 1 ||
                          memcmp(buf, MON_STATE_MAGIC_JOURNAL, 8) != 0)) {
        /* Empty, or a header torn while the file was being created. */
        if (len &&
            memcmp(buf, MON_STATE_MAGIC_JOURNAL, len < 8 ? len : 8) != 0) {
            snprintf(errstr, errstr_size,
                     "%s: byte 0: not a Warren "
                     "delivery journal (bad magic)",
                     q->path);
            goto out;
        }
        if (ftruncate(q->fd, 0) != 0 || write_header(q->fd) != 0 ||
            fdatasync(q->fd) != 0 || bc_fs_fsync_dir(q->dir) != 0) {
            snprintf(errstr, errstr_size, "%s: create: %s", q->path,
                     strerror(errno));
            goto out;
        }
        len = HDR_LEN;
        q->file_bytes = HDR_LEN;
    } else {
        uint32_t version = 0;
        mon_state_kind_t kind =
            mon_state_check(buf, len, MON_STATE_MAGIC_JOURNAL, JOURNAL_VERSION,
                            1, q->path, &version, errstr, errstr_size);
        if (kind == MON_STATE_BAD) goto out;
        /* version 1: its records follow a 16-byte header; they are read
         * and appended to as they are, and the next compaction writes
         * version 2 */
        off = kind == MON_STATE_OLD ? HDR_V1_LEN : HDR_LEN;
        while (off < len) {
            if (len - off < REC_HDR) break;
            uint32_t rl = mon_le32(buf + off);
            uint32_t crc = mon_le32(buf + off + 4);
            if (rl == 0 || rl > MAX_REC || rl > len - off - REC_HDR) break;
            if (bc_crc32c(0, buf + off + REC_HDR, rl) != crc) break;
            if (recover_record(q, &rv, buf + off + REC_HDR, rl, &max_seq,
                               replay_after, replay, arg) != 0)
                break;
            off += REC_HDR + rl;
        }
        if (off < len) {
            mon_log(MON_LOG_WARN,
                    "delivery journal %s: torn or corrupt "
                    "record at byte %zu; dropping the last %zu bytes",
                    q->path, off, len - off);
            if (ftruncate(q->fd, (off_t)off) != 0 || fdatasync(q->fd) != 0) {
                snprintf(errstr, errstr_size, "%s: truncate at byte %zu: %s",
                         q->path, off, strerror(errno));
                goto out;
            }
        }
        q->file_bytes = off;
    }
    q->next_seq = (max_seq > min_seq ? max_seq : min_seq) + 1;
    for (size_t i = 0; i < rv.n; i++) {
        item_t *it = rv.v[i];
        if (it->state != ST_WAIT) continue;
        rv.v[i] = NULL;
        list_append(q, it);
        q->live_bytes += it->rec_bytes;
        if (it->target < 0) {
            snprintf(it->error, sizeof(it->error),
                     "notifier %s is no longer configured", it->notifier);
            it->state = ST_DONE_FAIL;
            it->time_ms = mon_clock_wall_ms();
            q->live_bytes -= it->rec_bytes;
            append_state(q, it, REC_FAILED);
            it->done_w = q->wcount;
            mon_log_kv(MON_LOG_WARN,
                       MON_LOG_FIELDS(MON_LF_STR("delivery", it->key),
                                      MON_LF_STR("error", it->error)),
                       "delivery dropped");
        } else {
            q->targets[it->target].st.queued++;
        }
    }
    bound_recovered(q);
    rc = 0;
out:
    for (size_t i = 0; i < rv.n; i++)
        item_free(rv.v[i]);
    free(rv.v);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Sender thread                                                          */

mon_delivery_verdict_t mon_delivery_classify(int curl_code, long http_status) {
    switch ((CURLcode)curl_code) {
    case CURLE_OK:
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
        return MON_DELIVERY_VERDICT_FAIL;
    default:
        return MON_DELIVERY_VERDICT_RETRY;
    }
    if (http_status >= 200 && http_status < 300) return MON_DELIVERY_VERDICT_OK;
    if (http_status == 429 || (http_status >= 500 && http_status < 600))
        return MON_DELIVERY_VERDICT_RETRY;
    return MON_DELIVERY_VERDICT_FAIL;
}

int64_t mon_delivery_backoff_ms(const mon_delivery_opts_t *opts,
                                uint32_t attempt, int64_t retry_after_ms,
                                uint32_t rnd) {
    int64_t d = opts->base_delay_ms > 0 ? opts->base_delay_ms : 0;
    for (uint32_t i = 1; i < attempt && d < opts->max_delay_ms; i++)
        d *= 2;
    if (d > opts->max_delay_ms) d = opts->max_delay_ms;
    if (d > 0) /* jitter: uniform in [d/2, d] */
        d = d / 2 + (int64_t)(rnd % (uint64_t)(d - d / 2 + 1));
    if (retry_after_ms > 0) {
        if (retry_after_ms > opts->max_retry_after_ms)
            retry_after_ms = opts->max_retry_after_ms;
        if (d < retry_after_ms) d = retry_after_ms;
    }
    return d;
}

static uint32_t next_rand(mon_delivery_t *q) {
    uint64_t x = q->rnd;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    q->rnd = x;
    return (uint32_t)(x >> 16);
}

static size_t discard_cb(char *p, size_t size, size_t n, void *arg) {
    (void)p;
    (void)arg;
    return size * n;
}

/* Keeps the last status line (redirects give several) and Retry-After. */
static size_t header_cb(char *p, size_t size, size_t n, void *arg) {
    item_t *it = arg;
    size_t len = size * n;
    size_t l = len;
    while (l && (p[l - 1] == '\r' || p[l - 1] == '\n'))
        l--;
    if (l >= 5 && !strncmp(p, "HTTP/", 5)) {
        snprintf(it->status_line, sizeof(it->status_line), "%.*s", (int)l, p);
        it->retry_after_ms = 0;
    } else if (l > 12 && !strncasecmp(p, "Retry-After:", 12)) {
        char tmp[64]; /* longer values are huge anyway: they saturate */
        int64_t ms;
        snprintf(tmp, sizeof(tmp), "%.*s", (int)(l - 12), p + 12);
        if (mon_delivery_parse_retry_after(tmp, &ms) == 0)
            it->retry_after_ms = ms;
    }
    return len;
}

int mon_delivery_parse_retry_after(const char *value, int64_t *ms) {
    const char *p = value;
    int64_t v = 0;
    bool any = false;
    while (*p == ' ' || *p == '\t')
        p++;
    for (; *p >= '0' && *p <= '9'; p++) {
        any = true;
        if (v <= (INT64_MAX - 9) / 10)
            v = v * 10 + (*p - '0');
        else
            v = INT64_MAX; /* saturate: the cap applies anyway */
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (!any || *p) return -1;
    *ms = v > INT64_MAX / 1000 ? INT64_MAX : v * 1000;
    return 0;
}

static int start_transfer(mon_delivery_t *q, item_t *it) {
    const target_t *t = &q->targets[it->target];
    char line[512];
    CURL *e = curl_easy_init();
    if (!e) return -1;
    it->easy = e;
    it->errbuf[0] = '\0';
    it->status_line[0] = '\0';
    it->retry_after_ms = 0;
    if (it->hdrs) {
        curl_slist_free_all(it->hdrs);
        it->hdrs = NULL;
    }
    if (!t->has_content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s",
                 it->content_type[0] ? it->content_type : "application/json");
        it->hdrs = curl_slist_append(it->hdrs, line);
    }
    snprintf(line, sizeof(line), "X-Warren-Delivery: %s", it->key);
    it->hdrs = curl_slist_append(it->hdrs, line);
    if (t->secret) {
        char sig[MON_SIGN_HEADER_MAX];
        if (mon_sign_header(t->secret, mon_clock_wall_ms() / 1000, it->body,
                            it->body_len, sig, sizeof(sig)) == 0) {
            snprintf(line, sizeof(line), "X-Warren-Signature: %s", sig);
            it->hdrs = curl_slist_append(it->hdrs, line);
        } else {
            mon_log(MON_LOG_ERROR, "delivery %s: cannot sign (OpenSSL)",
                    it->key);
        }
    }
    it->hdrs = curl_slist_append(it->hdrs, "Expect:");
    for (size_t i = 0; i < t->n_headers; i++)
        it->hdrs = curl_slist_append(it->hdrs, t->headers[i]);

    curl_easy_setopt(e, CURLOPT_URL, it->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, it);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)t->timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS,
                     (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
                     (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(e, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, it->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, it);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, it->errbuf);
    curl_easy_setopt(e, CURLOPT_USERAGENT, mon_version_user_agent());
    if (!strcmp(it->method, "GET")) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(it->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, it->method);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)it->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, it->body);
    }
    if (curl_multi_add_handle(q->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        it->easy = NULL;
        return -1;
    }
    return 0;
}

/* Syncs the journal when records were appended since the last sync. */
static int sync_journal(mon_delivery_t *q, char *errstr, size_t errstr_size) {
    int rc = 0;
    pthread_mutex_lock(&q->sync_lock);
    pthread_mutex_lock(&q->lock);
    uint64_t w = q->wcount;
    bool need = w > q->synced_w;
    int fd = q->fd;
    pthread_mutex_unlock(&q->lock);
    if (need) {
        if (fdatasync(fd) != 0) {
            snprintf(errstr, errstr_size, "%s: fdatasync: %s", q->path,
                     strerror(errno));
            rc = -1;
        } else {
            pthread_mutex_lock(&q->lock);
            if (w > q->synced_w) q->synced_w = w;
            pthread_mutex_unlock(&q->lock);
        }
    }
    pthread_mutex_unlock(&q->sync_lock);
    return rc;
}

/* Moves finished items whose final record is on disk to the ring. */
static void reap(mon_delivery_t *q) {
    bool any = false;
    pthread_mutex_lock(&q->lock);
    for (item_t *it = q->head, *nx; it; it = nx) {
        nx = it->next;
        if ((it->state == ST_DONE_OK || it->state == ST_DONE_FAIL) &&
            it->done_w <= q->synced_w) {
            list_unlink(q, it);
            ring_push(q, it);
            item_free(it);
            any = true;
        }
    }
    if (any) pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->lock);
}

/* Starts every item that may go now: synced, due, under its target's
 * in-flight cap and with no unfinished earlier delivery of the same group
 * and target. Returns ms until the next one is due (1000 when none). */
static int64_t start_ready(mon_delivery_t *q) {
    int64_t now = mon_clock_mono_ms(), wait = 1000;
    item_t **go = NULL;
    size_t n = 0, cap = 0, scap = 16;
    pthread_mutex_lock(&q->lock);
    while (scap < 2 * q->n_items)
        scap *= 2;
    uint64_t *seen = mon_calloc(scap, sizeof(*seen));
    for (item_t *it = q->head; it; it = it->next) {
        if (it->state == ST_DONE_OK || it->state == ST_DONE_FAIL) continue;
        if (hset_add(seen, scap, it->ghash))
            continue; /* an earlier delivery of this group is unfinished */
        if (it->state != ST_WAIT || it->queued_w > q->synced_w) continue;
        target_t *t = &q->targets[it->target];
        if (it->next_mono > now) {
            if (it->next_mono - now < wait) wait = it->next_mono - now;
            continue;
        }
        if (t->in_flight >= q->opts.max_inflight) continue;
        it->state = ST_INFLIGHT;
        t->in_flight++;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            go = mon_realloc(go, cap * sizeof(*go));
        }
        go[n++] = it;
    }
    pthread_mutex_unlock(&q->lock);
    free(seen);
    for (size_t i = 0; i < n; i++) {
        if (start_transfer(q, go[i]) != 0) {
            pthread_mutex_lock(&q->lock);
            go[i]->state = ST_WAIT;
            go[i]->next_mono = now + 1000;
            q->targets[go[i]->target].in_flight--;
            pthread_mutex_unlock(&q->lock);
            mon_log(MON_LOG_ERROR, "delivery %s: cannot start a transfer",
                    go[i]->key);
        }
    }
    free(go);
    return wait;
}

static void finish_transfer(mon_delivery_t *q, item_t *it, CURLcode code) {
    long status = 0;
    curl_easy_getinfo(it->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(q->multi, it->easy);
    curl_easy_cleanup(it->easy);
    it->easy = NULL;
    curl_slist_free_all(it->hdrs);
    it->hdrs = NULL;

    mon_delivery_verdict_t v = mon_delivery_classify((int)code, status);
    target_t *t = &q->targets[it->target];
    char err[MON_ERRSTR_SIZE];
    if (code != CURLE_OK)
        snprintf(err, sizeof(err), "%s",
                 it->errbuf[0] ? it->errbuf : curl_easy_strerror(code));
    else if (v != MON_DELIVERY_VERDICT_OK)
        snprintf(err, sizeof(err), "%s",
                 it->status_line[0] ? it->status_line : "HTTP error");
    else
        err[0] = '\0';
    int64_t now = mon_clock_wall_ms();

    pthread_mutex_lock(&q->lock);
    t->in_flight--;
    it->attempts++;
    it->http_status = code == CURLE_OK ? (int)status : 0;
    it->time_ms = now;
    snprintf(it->error, sizeof(it->error), "%s", err);
    if (v == MON_DELIVERY_VERDICT_RETRY &&
        it->attempts <= (uint32_t)t->max_retries) {
        int64_t d = mon_delivery_backoff_ms(&q->opts, it->attempts,
                                            it->retry_after_ms, next_rand(q));
        it->state = ST_WAIT;
        it->next_mono = mon_clock_mono_ms() + d;
        t->st.retries++;
        append_state(q, it, REC_ATTEMPT);
        pthread_mutex_unlock(&q->lock);
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("notifier", t->name),
                                  MON_LF_STR("delivery", it->key),
                                  MON_LF_INT("attempt", it->attempts),
                                  MON_LF_STR("error", err),
                                  MON_LF_INT("retry_in_ms", d)),
                   "delivery attempt failed, retrying");
        return;
    }
    q->live_bytes -= it->rec_bytes;
    if (v == MON_DELIVERY_VERDICT_OK) {
        it->state = ST_DONE_OK;
        t->st.delivered++;
        append_state(q, it, REC_DELIVERED);
    } else {
        it->state = ST_DONE_FAIL;
        t->st.failed++;
        append_state(q, it, REC_FAILED);
    }
    it->done_w = q->wcount;
    pthread_mutex_unlock(&q->lock);
    if (v == MON_DELIVERY_VERDICT_OK)
        mon_log_kv(MON_LOG_DEBUG,
                   MON_LOG_FIELDS(MON_LF_STR("notifier", t->name),
                                  MON_LF_STR("delivery", it->key),
                                  MON_LF_INT("http_status", status),
                                  MON_LF_INT("attempts", it->attempts)),
                   "delivered");
    else
        mon_log_kv(MON_LOG_WARN,
                   MON_LOG_FIELDS(MON_LF_STR("notifier", t->name),
                                  MON_LF_STR("delivery", it->key),
                                  MON_LF_INT("attempts", it->attempts),
                                  MON_LF_STR("error", err)),
                   "delivery failed");
}

static void sender_main(mon_worker_t *w, void *arg) {
    mon_delivery_t *q = arg;
    char err[MON_ERRSTR_SIZE];
    int64_t last_sync_err = 0;
    while (!mon_worker_stopping(w)) {
        if (sync_journal(q, err, sizeof(err)) != 0) {
            int64_t now = mon_clock_mono_ms();
            if (now - last_sync_err > 10000) {
                mon_log(MON_LOG_ERROR, "delivery journal: %s", err);
                last_sync_err = now;
            }
        }
        reap(q);
        int64_t wait = start_ready(q);
        int running = 0;
        curl_multi_perform(q->multi, &running);
        CURLMsg *msg;
        int left = 0;
        while ((msg = curl_multi_info_read(q->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            item_t *it = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &it);
            finish_transfer(q, it, msg->data.result);
        }
        pthread_mutex_lock(&q->lock);
        bool dirty = q->wcount > q->synced_w;
        pthread_mutex_unlock(&q->lock);
        if (dirty) wait = 0;
        if (wait > 0) curl_multi_poll(q->multi, NULL, 0, (int)wait, NULL);
    }
}

/* ---------------------------------------------------------------------- */
/* Public API                                                             */

void mon_delivery_opts_default(mon_delivery_opts_t *opts) {
    opts->base_delay_ms = 1000;
    opts->max_delay_ms = 60000;
    opts->max_retry_after_ms = 3600 * 1000;
    opts->max_inflight = 64;
    opts->max_pending = 10000;
    opts->compact_min_bytes = 4 << 20;
    opts->start_sender = true;
}

static void targets_free(target_t *t, size_t n) {
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].name);
        free(t[i].secret);
        for (size_t j = 0; j < t[i].n_headers; j++)
            free(t[i].headers[j]);
        free(t[i].headers);
    }
    free(t);
}

mon_delivery_t *mon_delivery_new(const char *path,
                                 const mon_delivery_target_t *targets,
                                 size_t n_targets,
                                 const mon_delivery_opts_t *opts,
                                 uint64_t min_seq, uint64_t replay_after,
                                 mon_delivery_replay_cb replay, void *arg,
                                 char *errstr, size_t errstr_size) {
    mon_delivery_t *q = mon_calloc(1, sizeof(*q));
    char *tmp;
    q->fd = -1;
    q->path = mon_strdup(path);
    tmp = mon_strdup(path);
    q->dir = mon_strdup(dirname(tmp));
    free(tmp);
    if (opts)
        q->opts = *opts;
    else
        mon_delivery_opts_default(&q->opts);
    if (q->opts.max_inflight < 1) q->opts.max_inflight = 1;
    if (q->opts.max_pending < 1) q->opts.max_pending = 1;
    q->targets = mon_calloc(n_targets ? n_targets : 1, sizeof(*q->targets));
    q->n_targets = n_targets;
    for (size_t i = 0; i < n_targets; i++) {
        target_t *t = &q->targets[i];
        t->name = mon_strdup(targets[i].name);
        t->secret = targets[i].secret && targets[i].secret[0]
                        ? mon_strdup(targets[i].secret)
                        : NULL;
        t->timeout_ms =
            targets[i].timeout_ms > 0 ? targets[i].timeout_ms : 5000;
        t->max_retries = targets[i].max_retries;
        t->headers = mon_calloc(targets[i].n_headers + 1, sizeof(char *));
        for (size_t j = 0; j < targets[i].n_headers; j++) {
            const mon_config_kv_t *kv = &targets[i].headers[j];
            size_t n = strlen(kv->key) + strlen(kv->value) + 3;
            t->headers[j] = mon_malloc(n);
            snprintf(t->headers[j], n, "%s: %s", kv->key, kv->value);
            if (!strcasecmp(kv->key, "Content-Type"))
                t->has_content_type = true;
        }
        t->n_headers = targets[i].n_headers;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_mutex_init(&q->sync_lock, NULL);
    mon_clock_cond_init(&q->cond);
    if (mon_sign_random(&q->rnd, sizeof(q->rnd)) != 0 || q->rnd == 0)
        q->rnd = 0x9e3779b97f4a7c15ULL ^ (uint64_t)mon_clock_wall_ms();

    q->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (q->fd < 0) {
        snprintf(errstr, errstr_size, "%s: open: %s", path, strerror(errno));
        goto err;
    }
    /* Two processes sending from one journal would duplicate every
     * delivery; the lock goes away with the process, even on kill -9. */
    if (flock(q->fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(errstr, errstr_size, "%s: %s", path,
                 errno == EWOULDBLOCK ? "in use by another process"
                                      : strerror(errno));
        goto err;
    }
    if (recover(q, min_seq, replay_after, replay, arg, errstr, errstr_size) !=
        0)
        goto err;
    if (q->wcount && fdatasync(q->fd) != 0) {
        snprintf(errstr, errstr_size, "%s: fdatasync: %s", path,
                 strerror(errno));
        goto err;
    }
    q->synced_w = q->wcount;
    if (q->opts.start_sender) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        q->multi = curl_multi_init();
        if (!q->multi) {
            snprintf(errstr, errstr_size, "%s: curl_multi_init failed", path);
            curl_global_cleanup();
            goto err;
        }
        if (mon_worker_start(&q->sender, "delivery", sender_main, q, errstr,
                             errstr_size) != 0) {
            curl_multi_cleanup(q->multi);
            q->multi = NULL;
            curl_global_cleanup();
            goto err;
        }
    }
    return q;
err:
    mon_delivery_destroy(q);
    return NULL;
}

void mon_delivery_destroy(mon_delivery_t *q) {
    if (!q) return;
    if (q->sender) {
        mon_worker_request_stop(q->sender);
        curl_multi_wakeup(q->multi); /* out of curl_multi_poll */
        mon_worker_stop(&q->sender);
    }
    /* Abandon transfers still in flight; their items stay queued. */
    for (item_t *it = q->head; it; it = it->next) {
        if (it->easy) {
            curl_multi_remove_handle(q->multi, it->easy);
            curl_easy_cleanup(it->easy);
            it->easy = NULL;
        }
    }
    if (q->multi) {
        curl_multi_cleanup(q->multi);
        q->multi = NULL;
        curl_global_cleanup();
    }
    if (q->fd >= 0) {
        if (q->wcount > q->synced_w && fdatasync(q->fd) != 0)
            mon_log(MON_LOG_ERROR, "delivery journal %s: fdatasync: %s",
                    q->path, strerror(errno));
        close(q->fd);
    }
    for (item_t *it = q->head, *nx; it; it = nx) {
        nx = it->next;
        item_free(it);
    }
    for (size_t i = 0; i < MON_DELIVERY_RING; i++)
        mon_delivery_info_clear(&q->ring[i]);
    targets_free(q->targets, q->n_targets);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->lock);
    pthread_mutex_destroy(&q->sync_lock);
    free(q->path);
    free(q->dir);
    free(q);
}

int mon_delivery_enqueue(mon_delivery_t *q, const mon_delivery_entry_t *e,
                         uint64_t *seq, char *errstr, size_t errstr_size) {
    int target = find_target(q, e->notifier);
    mon_wbuf_t b = {0};
    item_t *it = NULL;
    if (target < 0) {
        snprintf(errstr, errstr_size, "unknown notifier '%s'", e->notifier);
        return -1;
    }
    if (!e->note_only && e->body_len > MAX_BODY) {
        snprintf(errstr, errstr_size,
                 "notifier %s: body of %zu bytes is "
                 "over the %u byte limit",
                 e->notifier, e->body_len, MAX_BODY);
        return -1;
    }
    if (!e->note_only) {
        it = mon_calloc(1, sizeof(*it));
        it->target = target;
        it->kind = e->kind;
        it->notifier = mon_strdup(e->notifier);
        it->cluster = mon_strdup(e->cluster);
        it->group = mon_strdup(e->group);
        it->incident_id = mon_strdup(e->incident_id);
        it->iseq = e->iseq;
        it->start_ms = e->start_ms;
        it->created_ms = e->created_ms;
        it->method = mon_strdup(e->method ? e->method : "POST");
        it->url = mon_strdup(e->url);
        it->content_type = mon_strdup(e->content_type ? e->content_type : "");
        it->body = mon_strndup(e->body ? e->body : "", e->body_len);
        it->body_len = e->body ? e->body_len : 0;
        it->status = mon_strdup(e->status ? e->status : "");
        it->key = key_of(it->incident_id, it->kind, it->iseq);
    }
    pthread_mutex_lock(&q->lock);
    uint64_t s = q->next_seq;
    encode_entry(&b, e, s);
    if (journal_append(q, &b) != 0) {
        int er = errno;
        pthread_mutex_unlock(&q->lock);
        snprintf(errstr, errstr_size, "%s: append: %s", q->path, strerror(er));
        mon_wbuf_free(&b);
        item_free(it);
        return -1;
    }
    q->next_seq++;
    if (it) {
        it->seq = s;
        it->rec_bytes = b.len;
        it->queued_w = q->wcount;
        q->live_bytes += b.len;
        q->targets[target].st.queued++;
        list_append(q, it);
        bound_after_enqueue(q, it);
    }
    pthread_mutex_unlock(&q->lock);
    mon_wbuf_free(&b);
    if (it && q->multi) curl_multi_wakeup(q->multi);
    if (seq) *seq = s;
    return 0;
}

int mon_delivery_sync(mon_delivery_t *q, char *errstr, size_t errstr_size) {
    int rc = sync_journal(q, errstr, errstr_size);
    if (q->multi) curl_multi_wakeup(q->multi);
    return rc;
}

uint64_t mon_delivery_last_seq(mon_delivery_t *q) {
    pthread_mutex_lock(&q->lock);
    uint64_t s = q->next_seq - 1;
    pthread_mutex_unlock(&q->lock);
    return s;
}

bool mon_delivery_should_compact(mon_delivery_t *q) {
    pthread_mutex_lock(&q->lock);
    bool yes = q->file_bytes > (uint64_t)q->opts.compact_min_bytes &&
               q->file_bytes > 2 * q->live_bytes + HDR_LEN;
    pthread_mutex_unlock(&q->lock);
    return yes;
}

int mon_delivery_compact(mon_delivery_t *q, char *errstr, size_t errstr_size) {
    size_t n = strlen(q->path) + 8;
    char *tmp = mon_malloc(n);
    mon_wbuf_t b = {0}, all = {0};
    int fd = -1, rc = -1;
    uint64_t live = 0;
    snprintf(tmp, n, "%s.tmp", q->path);

    pthread_mutex_lock(&q->sync_lock);
    pthread_mutex_lock(&q->lock);
    unsigned char h[HDR_LEN];
    mon_state_header(h, MON_STATE_MAGIC_JOURNAL, JOURNAL_VERSION, NULL, 0);
    mon_wbuf_put(&all, h, sizeof(h));
    for (item_t *it = q->head; it; it = it->next) {
        if (it->state == ST_DONE_OK || it->state == ST_DONE_FAIL) continue;
        mon_delivery_entry_t e;
        item_entry(it, &e);
        encode_entry(&b, &e, it->seq);
        mon_wbuf_put(&all, b.p, b.len);
        live += b.len;
        if (it->attempts) {
            encode_state(&b, REC_ATTEMPT, it->seq, it->attempts,
                         it->http_status, it->time_ms, it->error);
            mon_wbuf_put(&all, b.p, b.len);
        }
    }
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 ||
        bc_fs_pwrite_all(fd, all.p, all.len, 0) != 0 || fdatasync(fd) != 0 ||
        rename(tmp, q->path) != 0 || bc_fs_fsync_dir(q->dir) != 0) {
        snprintf(errstr, errstr_size, "%s: compact: %s", q->path,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        goto out;
    }
    close(q->fd);
    q->fd = fd;
    mon_log(MON_LOG_DEBUG,
            "delivery journal %s compacted from %" PRIu64 " to %zu bytes",
            q->path, q->file_bytes, all.len);
    q->file_bytes = all.len;
    for (item_t *it = q->head; it; it = it->next)
        if (it->state != ST_DONE_OK && it->state != ST_DONE_FAIL)
            it->queued_w = 0;
    q->live_bytes = live;
    q->synced_w = q->wcount; /* the new file is entirely on disk */
    rc = 0;
out:
    pthread_mutex_unlock(&q->lock);
    pthread_mutex_unlock(&q->sync_lock);
    mon_wbuf_free(&b);
    mon_wbuf_free(&all);
    free(tmp);
    return rc;
}

static bool unfinished(const mon_delivery_t *q, uint64_t seq, uint64_t upto) {
    for (const item_t *it = q->head; it; it = it->next) {
        if (seq ? it->seq == seq : it->seq <= upto) return true;
        if (it->seq > (seq ? seq : upto)) break;
    }
    return false;
}

int mon_delivery_wait(mon_delivery_t *q, uint64_t seq, int64_t timeout_ms) {
    int64_t end = mon_clock_mono_ms() + timeout_ms;
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    uint64_t upto = q->next_seq - 1;
    while (unfinished(q, seq, upto)) {
        if (mon_clock_cond_wait_ms(&q->cond, &q->lock,
                                   end - mon_clock_mono_ms()) == ETIMEDOUT) {
            rc = unfinished(q, seq, upto) ? -1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mon_delivery_list(mon_delivery_t *q, mon_delivery_info_t **out,
                      size_t *count) {
    pthread_mutex_lock(&q->lock);
    size_t n = q->n_items + q->ring_count, k = 0;
    mon_delivery_info_t *v = mon_calloc(n ? n : 1, sizeof(*v));
    for (item_t *it = q->head; it; it = it->next)
        info_from_item(it, &v[k++]);
    for (size_t i = 0; i < q->ring_count; i++) {
        size_t idx =
            (q->ring_next + MON_DELIVERY_RING - 1 - i) % MON_DELIVERY_RING;
        info_copy(&q->ring[idx], &v[k++]);
    }
    pthread_mutex_unlock(&q->lock);
    *out = v;
    *count = k;
    return 0;
}

void mon_delivery_list_free(mon_delivery_info_t *infos, size_t count) {
    for (size_t i = 0; infos && i < count; i++)
        mon_delivery_info_clear(&infos[i]);
    free(infos);
}

int mon_delivery_get(mon_delivery_t *q, uint64_t seq,
                     mon_delivery_info_t *info) {
    int rc = -1;
    pthread_mutex_lock(&q->lock);
    for (item_t *it = q->head; it; it = it->next)
        if (it->seq == seq) {
            info_from_item(it, info);
            rc = 0;
            goto out;
        }
    for (size_t i = 0; i < q->ring_count; i++) {
        size_t idx =
            (q->ring_next + MON_DELIVERY_RING - 1 - i) % MON_DELIVERY_RING;
        if (q->ring[idx].seq == seq) {
            info_copy(&q->ring[idx], info);
            rc = 0;
            goto out;
        }
    }
out:
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int mon_delivery_stats(mon_delivery_t *q, size_t i, mon_delivery_stats_t *out) {
    if (i >= q->n_targets) return -1;
    pthread_mutex_lock(&q->lock);
    *out = q->targets[i].st;
    out->pending = 0;
    out->in_flight = (size_t)q->targets[i].in_flight;
    for (item_t *it = q->head; it; it = it->next)
        if (it->target == (int)i && it->state != ST_DONE_OK &&
            it->state != ST_DONE_FAIL)
            out->pending++;
    pthread_mutex_unlock(&q->lock);
    return 0;
}
