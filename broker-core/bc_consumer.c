/* SPDX-License-Identifier: Apache-2.0 */
/* bc_consumer: Kafka-like consumer over the embedded broker. See
 * bc_consumer.h for the semantics and the threads.
 *
 * State lives under one mutex (c->lock). The background thread fetches
 * into a FIFO of "chunks" (one bc_log_fetch result of one partition,
 * parsed into records that point into the fetched buffer); poll() copies
 * records out of the chunks into one block for the application. Every
 * chunk carries the assignment epoch and the partition's seek sequence it
 * was fetched under; a chunk whose epoch or sequence no longer matches
 * (rebalance, seek, offset reset) is dropped instead of delivered.
 *
 * Commits go through c->commit_lock, taken before c->lock and never while
 * holding it, so async commits (background thread) and sync commits
 * (any thread) reach __consumer_offsets in the order they were asked for:
 * an older async commit can never overwrite a newer sync one.
 */
#include "broker-core/bc_consumer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker-core/bc_clock.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_mem.h"

#define MODE_NONE 0
#define MODE_SUBSCRIBE 1
#define MODE_ASSIGN 2

/* Longest real-time sleep of either thread between re-checks of the
 * (possibly injected) clock. */
#define SLICE_MS 20

typedef struct crec_s {
    int64_t offset;
    int64_t timestamp;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
} crec_t;

typedef struct chunk_s {
    struct chunk_s *next;
    uint64_t epoch;
    size_t pi;     /* index into c->parts */
    uint64_t pseq; /* parts[pi].seq when fetched */
    uint8_t *data;
    size_t len;
    crec_t *recs; /* room for rcap records */
    size_t cnt, pos, rcap;
    size_t bytes;        /* everything this chunk holds (chunk_bytes) */
    int64_t next_offset; /* fetch position after this chunk */
} chunk_t;

typedef struct part_s {
    char *topic;
    int32_t partition;
    bc_log_t *log;
    int64_t position;  /* next offset to return; -1 = not known yet */
    int64_t fetch_pos; /* next offset to fetch; -1 = not fetching */
    uint64_t seq;      /* bumped by seek and offset reset */
    int err;           /* sticky: reset=none and out of range */
    char errmsg[200];
} part_t;

typedef struct pending_s {
    struct pending_s *next;
    bc_consumer_offset_t *offsets; /* topics in the same block */
    size_t n;
    bc_consumer_commit_fn cb;
    void *opaque;
    char member[BC_COORD_MEMBER_ID_SIZE];
    int32_t generation;
    int err;
} pending_t;

struct bc_consumer_s {
    bc_consumer_conf_t conf; /* strings below are owned copies */
    char *group_id;
    char *client_id;
    char *client_host;
    bc_broker_t *broker;
    bc_coord_t *coord;
    bc_offsets_t *off;
    int listener_id;
    pthread_t thread;
    int thread_started;

    pthread_mutex_t commit_lock; /* serializes commit executions */
    pthread_mutex_t lock;        /* guards everything below */
    pthread_cond_t cond;         /* poll(): records, wakeup, rejoin */
    pthread_cond_t fcond;        /* background: data, space, work, stop */

    int mode;
    char **topics;
    size_t topic_cnt;

    char member_id[BC_COORD_MEMBER_ID_SIZE];
    int32_t generation;
    int need_rejoin;
    int joining; /* joined; waiting for the assignment */
    int lost;    /* removed by the coordinator: partitions are gone */
    uint64_t join_count;
    int64_t next_heartbeat_ms;
    int64_t last_poll_ms;

    part_t *parts;
    size_t part_cnt;
    uint64_t epoch;
    int need_positions;
    size_t rr; /* fetch round-robin start */

    chunk_t *qhead, *qtail;
    size_t qbytes;
    int data_signal;

    pending_t *pend_head, *pend_tail; /* async commits to run */
    pending_t *done_head, *done_tail; /* ran; callbacks due */
    int64_t next_auto_commit_ms;

    int wakeup;
    int stopping;
    int closed;
};

static int client_seq; /* for default client ids; guarded by seq_lock */
static pthread_mutex_t seq_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- small helpers ------------------------------------------------- */

static int64_t wall_clock(void *opaque) {
    (void)opaque;
    return bc_clock_wall_ms();
}

static int64_t now_ms(bc_consumer_t *c) {
    return c->conf.clock(c->conf.clock_opaque);
}

static int64_t mono_ms(void) {
    return bc_clock_mono_ms();
}

/* Waits on cond for at most ms of real time (caller holds c->lock). */
static void wait_ms(bc_consumer_t *c, pthread_cond_t *cond, int64_t ms) {
    bc_clock_cond_wait_ms(cond, &c->lock, ms);
}

/* What the allocator's bookkeeping adds to each block (glibc: one size
 * word, rounded to 16 bytes), counted so that many small chunks cannot
 * hide behind the bound. */
#define ALLOC_OVERHEAD 16

/* Every byte a chunk holds: the struct, the fetched batches and the
 * record array, each with the allocator's overhead. This is what
 * queued_max_bytes bounds. */
static size_t chunk_bytes(const chunk_t *ch) {
    return sizeof(*ch) + ch->len + ch->rcap * sizeof(crec_t) +
           3 * ALLOC_OVERHEAD;
}

static void chunk_free(chunk_t *ch) {
    if (!ch) return;
    free(ch->data);
    free(ch->recs);
    free(ch);
}

static void queue_clear(bc_consumer_t *c) {
    chunk_t *ch = c->qhead, *next;

    for (; ch; ch = next) {
        next = ch->next;
        chunk_free(ch);
    }
    c->qhead = c->qtail = NULL;
    c->qbytes = 0;
}

/* Drops the assignment (caller holds c->lock). */
static void parts_clear(bc_consumer_t *c) {
    for (size_t i = 0; i < c->part_cnt; i++)
        free(c->parts[i].topic);
    free(c->parts);
    c->parts = NULL;
    c->part_cnt = 0;
    c->epoch++;
    c->need_positions = 0;
    queue_clear(c);
}

static part_t *part_find(bc_consumer_t *c, const char *topic, int32_t p) {
    for (size_t i = 0; i < c->part_cnt; i++)
        if (c->parts[i].partition == p && !strcmp(c->parts[i].topic, topic))
            return &c->parts[i];
    return NULL;
}

/* Copy of tps[0..n) in one block (topics after the array). */
static bc_group_tp_t *tps_dup(const bc_group_tp_t *tps, size_t n) {
    size_t bytes = n * sizeof(*tps), off;
    char *block;
    bc_group_tp_t *out;

    for (size_t i = 0; i < n; i++)
        bytes += strlen(tps[i].topic) + 1;
    block = bc_malloc(bytes ? bytes : 1);
    out = (bc_group_tp_t *)(void *)block;
    off = n * sizeof(*tps);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(tps[i].topic) + 1;

        memcpy(block + off, tps[i].topic, len);
        out[i].topic = block + off;
        out[i].partition = tps[i].partition;
        off += len;
    }
    return out;
}

/* The assignment as tps (caller holds c->lock); one free(). */
static bc_group_tp_t *parts_tps(bc_consumer_t *c, size_t *n) {
    bc_group_tp_t *tmp = bc_calloc(c->part_cnt ? c->part_cnt : 1, sizeof(*tmp)),
                  *out;

    for (size_t i = 0; i < c->part_cnt; i++) {
        tmp[i].topic = c->parts[i].topic;
        tmp[i].partition = c->parts[i].partition;
    }
    out = tps_dup(tmp, c->part_cnt);
    *n = c->part_cnt;
    free(tmp);
    return out;
}

/* Copy of offsets[0..n) in one block. */
static bc_consumer_offset_t *offsets_dup(const bc_consumer_offset_t *o,
                                         size_t n) {
    size_t bytes = n * sizeof(*o), off;
    char *block;
    bc_consumer_offset_t *out;

    for (size_t i = 0; i < n; i++)
        bytes += strlen(o[i].topic) + 1;
    block = bc_malloc(bytes ? bytes : 1);
    out = (bc_consumer_offset_t *)(void *)block;
    off = n * sizeof(*o);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(o[i].topic) + 1;

        memcpy(block + off, o[i].topic, len);
        out[i] = o[i];
        out[i].topic = block + off;
        off += len;
    }
    return out;
}

/* Current positions of the assignment (caller holds c->lock). */
static bc_consumer_offset_t *positions(bc_consumer_t *c, size_t *n) {
    bc_consumer_offset_t *tmp = bc_calloc(c->part_cnt ? c->part_cnt : 1,
                                          sizeof(*tmp)),
                         *out;
    size_t k = 0;

    for (size_t i = 0; i < c->part_cnt; i++) {
        if (c->parts[i].position < 0) continue;
        tmp[k].topic = c->parts[i].topic;
        tmp[k].partition = c->parts[i].partition;
        tmp[k].offset = c->parts[i].position;
        k++;
    }
    out = offsets_dup(tmp, k);
    free(tmp);
    *n = k;
    return out;
}

/* ---- commits ------------------------------------------------------- */

/* Runs one commit: coordinator check, then __consumer_offsets. No
 * consumer lock held; caller holds commit_lock. */
static int run_commit(bc_consumer_t *c, const bc_consumer_offset_t *o, size_t n,
                      const char *member, int32_t generation, char *errstr,
                      size_t errstr_size) {
    bc_offsets_commit_t *oc;
    int64_t now = now_ms(c);
    int rc;

    if (!c->off || !c->group_id)
        return bc_err_set(BC_CONSUMER_ERR_STATE, errstr, errstr_size,
                          "commit: consumer has no group.id");
    if (!n) return 0;
    if (c->coord) {
        rc = bc_coord_check_commit(c->coord, c->group_id, member, generation,
                                   now);
        if (rc)
            return bc_err_set(rc, errstr, errstr_size,
                              "commit of group '%s' refused: %s", c->group_id,
                              bc_coord_err2str(rc));
    }
    oc = bc_calloc(n, sizeof(*oc));
    for (size_t i = 0; i < n; i++) {
        oc[i].topic = o[i].topic;
        oc[i].partition = o[i].partition;
        oc[i].offset = o[i].offset;
        oc[i].leader_epoch = -1;
        oc[i].metadata = "";
    }
    rc =
        bc_offsets_commit(c->off, c->group_id, oc, n, now, errstr, errstr_size);
    free(oc);
    return rc;
}

/* Member id and generation to commit with (caller holds c->lock). */
static void commit_identity(bc_consumer_t *c, char *member,
                            int32_t *generation) {
    if (c->mode == MODE_SUBSCRIBE) {
        snprintf(member, BC_COORD_MEMBER_ID_SIZE, "%s", c->member_id);
        *generation = c->generation;
    } else {
        member[0] = '\0';
        *generation = -1;
    }
}

/* Runs queued async commits in order (caller holds commit_lock, not
 * c->lock). */
static void drain_pending(bc_consumer_t *c) {
    char err[256];

    for (;;) {
        pending_t *p;

        pthread_mutex_lock(&c->lock);
        p = c->pend_head;
        if (p) {
            c->pend_head = p->next;
            if (!c->pend_head) c->pend_tail = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        if (!p) return;
        p->err = run_commit(c, p->offsets, p->n, p->member, p->generation, err,
                            sizeof(err));
        pthread_mutex_lock(&c->lock);
        p->next = NULL;
        if (c->done_tail)
            c->done_tail->next = p;
        else
            c->done_head = p;
        c->done_tail = p;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
    }
}

/* Delivers completed async commits' callbacks (no lock held). */
static void run_callbacks(bc_consumer_t *c) {
    pending_t *p, *next;

    pthread_mutex_lock(&c->lock);
    p = c->done_head;
    c->done_head = c->done_tail = NULL;
    pthread_mutex_unlock(&c->lock);
    for (; p; p = next) {
        next = p->next;
        if (p->cb) p->cb(c, p->err, p->offsets, p->n, p->opaque);
        free(p->offsets);
        free(p);
    }
}

/* Commits the current positions on the calling thread (auto-commit and
 * close); reports to conf.commit_cb. No lock held. */
static int commit_positions(bc_consumer_t *c, char *errstr,
                            size_t errstr_size) {
    bc_consumer_offset_t *o;
    char member[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    size_t n;
    int rc;

    pthread_mutex_lock(&c->commit_lock);
    drain_pending(c);
    pthread_mutex_lock(&c->lock);
    o = positions(c, &n);
    commit_identity(c, member, &gen);
    pthread_mutex_unlock(&c->lock);
    rc = n ? run_commit(c, o, n, member, gen, errstr, errstr_size) : 0;
    pthread_mutex_unlock(&c->commit_lock);
    if (n && c->conf.commit_cb)
        c->conf.commit_cb(c, rc, o, n, c->conf.commit_opaque);
    free(o);
    return rc;
}

/* ---- fetching (background thread) ---------------------------------- */

/* Parses a fetch result into a chunk of records >= from. Returns NULL on
 * a parse error (the log validated every batch, so this means a bug or
 * a concurrent truncation; the fetch is simply retried). */
static chunk_t *chunk_from_fetch(bc_fetch_t *f, int64_t from) {
    chunk_t *ch = bc_calloc(1, sizeof(*ch));
    size_t pos = 0;
    char err[128];

    ch->data = f->data;
    ch->len = f->len;
    ch->next_offset = from;
    f->data = NULL;
    /* The record array is sized once from the batch headers, so it holds
     * no slack (a doubling array would hold up to twice its records). */
    while (pos + BC_BATCH_HEADER_SIZE <= ch->len) {
        bc_batch_t b;

        if (bc_batch_parse_header(ch->data + pos, ch->len - pos, &b, NULL, 0) !=
                0 ||
            b.size > ch->len - pos)
            break;
        if (!(b.attributes & BC_BATCH_ATTR_CONTROL) && b.record_count > 0)
            ch->rcap += (size_t)b.record_count;
        pos += b.size;
    }
    if (ch->rcap) ch->recs = bc_malloc(ch->rcap * sizeof(*ch->recs));
    pos = 0;
    while (pos < ch->len) {
        bc_batch_t b;
        bc_record_iter_t it;
        bc_record_t r;
        int rc = bc_batch_parse(ch->data + pos, ch->len - pos, 0, &b, err,
                                sizeof(err));

        if (rc == BC_BATCH_SHORT) break;
        if (rc) {
            chunk_free(ch);
            return NULL;
        }
        if (!(b.attributes & BC_BATCH_ATTR_CONTROL)) {
            bc_record_iter_init(&it, &b);
            while ((rc = bc_record_iter_next(&it, &r)) == 1) {
                if (r.offset < from) continue;
                if (ch->cnt == ch->rcap) { /* more than the header said */
                    chunk_free(ch);
                    return NULL;
                }
                ch->recs[ch->cnt].offset = r.offset;
                ch->recs[ch->cnt].timestamp =
                    (b.attributes & BC_BATCH_ATTR_LOG_APPEND_TIME)
                        ? b.max_timestamp
                        : r.timestamp;
                ch->recs[ch->cnt].key = r.key;
                ch->recs[ch->cnt].key_len = r.key_len;
                ch->recs[ch->cnt].value = r.value;
                ch->recs[ch->cnt].value_len = r.value_len;
                ch->cnt++;
            }
            if (rc < 0) {
                chunk_free(ch);
                return NULL;
            }
        }
        if (bc_batch_last_offset(&b) + 1 > ch->next_offset)
            ch->next_offset = bc_batch_last_offset(&b) + 1;
        pos += b.size;
    }
    ch->bytes = chunk_bytes(ch);
    return ch;
}

/* Offset-out-of-range: apply auto.offset.reset (caller holds c->lock). */
static void reset_out_of_range(bc_consumer_t *c, part_t *p,
                               const bc_fetch_t *f) {
    int64_t to;

    switch (c->conf.auto_offset_reset) {
    case BC_CONSUMER_RESET_EARLIEST:
        to = f->log_start_offset;
        break;
    case BC_CONSUMER_RESET_LATEST:
        to = f->log_end_offset;
        break;
    default:
        p->err = BC_CONSUMER_ERR_OUT_OF_RANGE;
        snprintf(p->errmsg, sizeof(p->errmsg),
                 "%s-%d: offset %lld is outside the log [%lld, %lld] and "
                 "auto.offset.reset is none",
                 p->topic, (int)p->partition, (long long)p->fetch_pos,
                 (long long)f->log_start_offset, (long long)f->log_end_offset);
        p->fetch_pos = -1;
        pthread_cond_broadcast(&c->cond);
        return;
    }
    p->seq++;
    p->position = to;
    p->fetch_pos = to;
}

/* One fetch round over the assignment; returns 1 if anything was queued.
 * Caller holds c->lock (released around the reads). */
static int fetch_round(bc_consumer_t *c) {
    int progressed = 0;
    size_t cnt = c->part_cnt;
    uint64_t epoch = c->epoch;

    for (size_t k = 0; k < cnt && !c->stopping; k++) {
        size_t pi = (c->rr + k) % cnt;
        part_t *p;
        bc_log_t *log;
        int64_t from;
        uint64_t seq;
        bc_fetch_t f = {0};
        chunk_t *ch = NULL;
        char err[256];
        int rc;

        if (c->epoch != epoch || c->need_rejoin) break;
        if ((int64_t)c->qbytes >= c->conf.queued_max_bytes) break;
        p = &c->parts[pi];
        if (p->fetch_pos < 0 || p->err || !p->log) continue;
        log = p->log;
        from = p->fetch_pos;
        seq = p->seq;
        pthread_mutex_unlock(&c->lock);
        rc = bc_log_fetch(log, from, (size_t)c->conf.max_partition_fetch_bytes,
                          &f, err, sizeof(err));
        if (rc == 0 && f.len) ch = chunk_from_fetch(&f, from);
        pthread_mutex_lock(&c->lock);
        free(f.data);
        if (c->epoch != epoch || pi >= c->part_cnt || c->parts[pi].seq != seq ||
            c->parts[pi].fetch_pos != from) {
            chunk_free(ch);
            break;
        }
        p = &c->parts[pi];
        if (rc == BC_ERR_OUT_OF_RANGE) {
            reset_out_of_range(c, p, &f);
            progressed = 1;
            continue;
        }
        if (!ch) continue;
        ch->epoch = epoch;
        ch->pi = pi;
        ch->pseq = seq;
        p->fetch_pos = ch->next_offset;
        if (c->qtail)
            c->qtail->next = ch;
        else
            c->qhead = ch;
        c->qtail = ch;
        c->qbytes += ch->bytes;
        progressed = 1;
        pthread_cond_broadcast(&c->cond);
    }
    if (cnt) c->rr = (c->rr + 1) % cnt;
    return progressed;
}

static void heartbeat(bc_consumer_t *c, int64_t now) {
    char member[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen = c->generation;
    uint64_t jc = c->join_count;
    int joining = c->joining;
    int rc;

    snprintf(member, sizeof(member), "%s", c->member_id);
    c->next_heartbeat_ms = now + c->conf.heartbeat_interval_ms;
    pthread_mutex_unlock(&c->lock);
    rc = bc_coord_heartbeat(c->coord, c->group_id, member, gen, now);
    pthread_mutex_lock(&c->lock);
    if (jc != c->join_count || strcmp(member, c->member_id))
        return; /* a (re)join happened meanwhile: stale answer */
    if (rc == BC_COORD_ERR_UNKNOWN_MEMBER) {
        c->lost = 1;
        c->need_rejoin = 1;
        c->joining = 0;
        c->member_id[0] = '\0';
        c->generation = -1;
        pthread_cond_broadcast(&c->cond);
    } else if (!joining && (rc == BC_COORD_ERR_REBALANCE_IN_PROGRESS ||
                            rc == BC_COORD_ERR_ILLEGAL_GENERATION)) {
        c->need_rejoin = 1;
        pthread_cond_broadcast(&c->cond);
    }
}

static void *background(void *arg) {
    bc_consumer_t *c = arg;

    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        int64_t now = now_ms(c);
        int progressed = 0;

        if (c->pend_head) {
            pthread_mutex_unlock(&c->lock);
            pthread_mutex_lock(&c->commit_lock);
            drain_pending(c);
            pthread_mutex_unlock(&c->commit_lock);
            pthread_mutex_lock(&c->lock);
            continue;
        }
        if (c->mode == MODE_SUBSCRIBE && c->member_id[0] && c->coord &&
            now >= c->next_heartbeat_ms)
            heartbeat(c, now);
        if (c->mode == MODE_SUBSCRIBE && c->member_id[0] && c->coord &&
            now - c->last_poll_ms > c->conf.max_poll_interval_ms) {
            /* max.poll.interval.ms: the application stopped polling;
             * leave so the group does not wait for us. */
            char member[BC_COORD_MEMBER_ID_SIZE];

            snprintf(member, sizeof(member), "%s", c->member_id);
            c->member_id[0] = '\0';
            c->generation = -1;
            c->lost = 1;
            c->need_rejoin = 1;
            c->joining = 0;
            c->join_count++;
            pthread_mutex_unlock(&c->lock);
            bc_coord_leave(c->coord, c->group_id, member, now);
            pthread_mutex_lock(&c->lock);
        }
        if (c->part_cnt && !c->need_rejoin) progressed = fetch_round(c);
        if (!progressed && !c->data_signal && !c->pend_head && !c->stopping) {
            int64_t wait = SLICE_MS;

            /* Wake for the next heartbeat if it is due sooner. */
            if (c->mode == MODE_SUBSCRIBE && c->member_id[0] &&
                c->next_heartbeat_ms - now < wait)
                wait = c->next_heartbeat_ms - now > 0
                           ? c->next_heartbeat_ms - now
                           : 1;
            wait_ms(c, &c->fcond, wait);
        }
        c->data_signal = 0;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* Broker append listener: wake the fetcher. Runs under the broker's log
 * mutex; takes c->lock briefly (lock order: log, then consumer). */
static void on_append(void *opaque, const char *topic, int32_t partition,
                      int64_t leo, int64_t now) {
    bc_consumer_t *c = opaque;

    (void)topic;
    (void)partition;
    (void)leo;
    (void)now;
    pthread_mutex_lock(&c->lock);
    c->data_signal = 1;
    pthread_cond_signal(&c->fcond);
    pthread_mutex_unlock(&c->lock);
}

/* ---- public API ---------------------------------------------------- */

bc_consumer_conf_t bc_consumer_conf_default(void) {
    bc_consumer_conf_t conf;

    memset(&conf, 0, sizeof(conf));
    conf.enable_auto_commit = 1;
    conf.auto_commit_interval_ms = 5000;
    conf.auto_offset_reset = BC_CONSUMER_RESET_LATEST;
    conf.session_timeout_ms = 45000;
    conf.heartbeat_interval_ms = 3000;
    conf.max_poll_interval_ms = 300000;
    conf.max_poll_records = 500;
    conf.max_partition_fetch_bytes = 1048576;
    conf.queued_max_bytes = 64LL * 1024 * 1024;
    conf.strategy = BC_ASSIGN_RANGE;
    return conf;
}

bc_consumer_t *bc_consumer_new(const bc_consumer_conf_t *conf,
                               bc_broker_t *broker, bc_coord_t *coord,
                               bc_offsets_t *off, char *errstr,
                               size_t errstr_size) {
    bc_consumer_t *c;
    char cid[BC_COORD_NAME_MAX + 1];

    if (!conf || !broker) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "consumer needs a conf and a broker");
        return NULL;
    }
    if (conf->auto_commit_interval_ms <= 0 ||
        conf->heartbeat_interval_ms <= 0 || conf->session_timeout_ms <= 0 ||
        conf->max_poll_interval_ms <= 0 || conf->max_poll_records <= 0 ||
        conf->max_partition_fetch_bytes <= 0 || conf->queued_max_bytes <= 0) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "consumer conf: intervals, timeouts and sizes must be > 0 "
                   "(start from bc_consumer_conf_default())");
        return NULL;
    }
    if (conf->heartbeat_interval_ms >= conf->session_timeout_ms) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "heartbeat.interval.ms %d must be below session.timeout.ms "
                   "%d",
                   (int)conf->heartbeat_interval_ms,
                   (int)conf->session_timeout_ms);
        return NULL;
    }
    if (conf->group_id &&
        (!conf->group_id[0] || strlen(conf->group_id) > BC_COORD_NAME_MAX)) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "group.id must be 1..%d bytes", BC_COORD_NAME_MAX);
        return NULL;
    }
    if ((conf->client_id && strlen(conf->client_id) > BC_COORD_NAME_MAX) ||
        (conf->client_host && strlen(conf->client_host) > BC_COORD_NAME_MAX)) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "client.id and host must be at most %d bytes",
                   BC_COORD_NAME_MAX);
        return NULL;
    }
    c = bc_calloc(1, sizeof(*c));
    c->conf = *conf;
    if (!c->conf.clock) c->conf.clock = wall_clock;
    c->broker = broker;
    c->coord = coord;
    c->off = off;
    c->group_id = conf->group_id ? bc_strdup(conf->group_id) : NULL;
    if (conf->client_id) {
        c->client_id = bc_strdup(conf->client_id);
    } else {
        int n;

        pthread_mutex_lock(&seq_lock);
        n = ++client_seq;
        pthread_mutex_unlock(&seq_lock);
        snprintf(cid, sizeof(cid), "consumer-%.150s-%d",
                 c->group_id ? c->group_id : "", n);
        c->client_id = bc_strdup(cid);
    }
    c->client_host =
        bc_strdup(conf->client_host ? conf->client_host : "/127.0.0.1");
    c->conf.group_id = c->group_id;
    c->conf.client_id = c->client_id;
    c->conf.client_host = c->client_host;
    c->generation = -1;
    c->last_poll_ms = now_ms(c);
    c->next_auto_commit_ms = c->last_poll_ms + c->conf.auto_commit_interval_ms;
    pthread_mutex_init(&c->commit_lock, NULL);
    pthread_mutex_init(&c->lock, NULL);
    bc_clock_cond_init(&c->cond);
    bc_clock_cond_init(&c->fcond);
    c->listener_id = bc_broker_add_listener(broker, on_append, c);
    if (pthread_create(&c->thread, NULL, background, c) != 0) {
        bc_err_set(BC_ERR_IO, errstr, errstr_size,
                   "consumer: cannot start its thread: %s", strerror(errno));
        bc_consumer_destroy(c);
        return NULL;
    }
    c->thread_started = 1;
    return c;
}

static void topics_free(bc_consumer_t *c) {
    for (size_t i = 0; i < c->topic_cnt; i++)
        free(c->topics[i]);
    free(c->topics);
    c->topics = NULL;
    c->topic_cnt = 0;
}

static void stop_thread(bc_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_broadcast(&c->fcond);
    pthread_mutex_unlock(&c->lock);
    if (c->thread_started) {
        pthread_join(c->thread, NULL);
        c->thread_started = 0;
    }
}

void bc_consumer_destroy(bc_consumer_t *c) {
    pending_t *p, *next;

    if (!c) return;
    if (!c->closed) bc_consumer_close(c, NULL, 0);
    stop_thread(c);
    if (c->listener_id >= 0)
        bc_broker_remove_listener(c->broker, c->listener_id);
    c->listener_id = -1;
    parts_clear(c);
    topics_free(c);
    for (p = c->pend_head; p; p = next) {
        next = p->next;
        free(p->offsets);
        free(p);
    }
    for (p = c->done_head; p; p = next) {
        next = p->next;
        free(p->offsets);
        free(p);
    }
    pthread_cond_destroy(&c->cond);
    pthread_cond_destroy(&c->fcond);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->commit_lock);
    free(c->group_id);
    free(c->client_id);
    free(c->client_host);
    free(c);
}

/* Leaves the group if a member (no lock held). */
static void leave_group(bc_consumer_t *c) {
    char member[BC_COORD_MEMBER_ID_SIZE];

    pthread_mutex_lock(&c->lock);
    snprintf(member, sizeof(member), "%s", c->member_id);
    c->member_id[0] = '\0';
    c->generation = -1;
    c->joining = 0;
    c->join_count++;
    pthread_mutex_unlock(&c->lock);
    if (member[0] && c->coord)
        bc_coord_leave(c->coord, c->group_id, member, now_ms(c));
}

int bc_consumer_subscribe(bc_consumer_t *c, const char *const *topics, size_t n,
                          char *errstr, size_t errstr_size) {
    if (c->closed)
        return bc_err_set(BC_CONSUMER_ERR_CLOSED, errstr, errstr_size,
                          "consumer is closed");
    if (!c->group_id || !c->coord || !c->off)
        return bc_err_set(BC_CONSUMER_ERR_STATE, errstr, errstr_size,
                          "subscribe needs group.id, a coordinator and an "
                          "offset table");
    if (!n || !topics)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "subscribe: no topics");
    for (size_t i = 0; i < n; i++)
        if (!topics[i] || !topics[i][0])
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "subscribe: empty topic name");
    if (c->mode == MODE_ASSIGN) {
        pthread_mutex_lock(&c->lock);
        parts_clear(c);
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    topics_free(c);
    c->topics = bc_calloc(n, sizeof(*c->topics));
    for (size_t i = 0; i < n; i++)
        c->topics[i] = bc_strdup(topics[i]);
    c->topic_cnt = n;
    c->mode = MODE_SUBSCRIBE;
    c->need_rejoin = 1; /* join, or rejoin with the new subscription */
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Resolves the logs of tps into a fresh part array (no lock held). */
static part_t *parts_build(bc_consumer_t *c, const bc_group_tp_t *tps, size_t n,
                           int strict, char *errstr, size_t errstr_size,
                           int *err) {
    part_t *parts = bc_calloc(n ? n : 1, sizeof(*parts));

    *err = 0;
    for (size_t i = 0; i < n; i++) {
        parts[i].topic = bc_strdup(tps[i].topic);
        parts[i].partition = tps[i].partition;
        parts[i].log = bc_broker_log(c->broker, tps[i].topic, tps[i].partition);
        parts[i].position = -1;
        parts[i].fetch_pos = -1;
        if (!parts[i].log && strict) {
            *err = bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                              "%s-%d: no such topic partition", tps[i].topic,
                              (int)tps[i].partition);
            for (size_t k = 0; k <= i; k++)
                free(parts[k].topic);
            free(parts);
            return NULL;
        }
    }
    return parts;
}

static void parts_install(bc_consumer_t *c, part_t *parts, size_t n) {
    parts_clear(c);
    c->parts = parts;
    c->part_cnt = n;
    c->need_positions = n > 0;
    c->rr = 0;
    pthread_cond_broadcast(&c->fcond);
}

int bc_consumer_assign(bc_consumer_t *c, const bc_group_tp_t *tps, size_t n,
                       char *errstr, size_t errstr_size) {
    part_t *parts;
    int err;

    if (c->closed)
        return bc_err_set(BC_CONSUMER_ERR_CLOSED, errstr, errstr_size,
                          "consumer is closed");
    parts = parts_build(c, tps, n, 1, errstr, errstr_size, &err);
    if (!parts) return err;
    if (c->mode == MODE_SUBSCRIBE) leave_group(c);
    pthread_mutex_lock(&c->lock);
    topics_free(c);
    c->mode = MODE_ASSIGN;
    c->need_rejoin = 0;
    c->lost = 0;
    parts_install(c, parts, n);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Gives up the assignment before a rejoin: auto-commit and REVOKED, or
 * LOST when the coordinator removed us. No lock held. */
static void give_up_assignment(bc_consumer_t *c) {
    bc_group_tp_t *tps;
    size_t n;
    int lost;

    pthread_mutex_lock(&c->lock);
    lost = c->lost;
    tps = parts_tps(c, &n);
    pthread_mutex_unlock(&c->lock);
    if (n) {
        if (!lost && c->conf.enable_auto_commit)
            (void)commit_positions(c, NULL, 0);
        if (c->conf.rebalance_cb)
            c->conf.rebalance_cb(c,
                                 lost ? BC_CONSUMER_LOST : BC_CONSUMER_REVOKED,
                                 tps, n, c->conf.rebalance_opaque);
    }
    free(tps);
    pthread_mutex_lock(&c->lock);
    parts_clear(c);
    c->lost = 0;
    pthread_mutex_unlock(&c->lock);
}

/* Sends JoinGroup (no lock held). Returns 0 / JOIN_PENDING or an error. */
static int join(bc_consumer_t *c, char *errstr, size_t errstr_size) {
    bc_coord_join_t req;
    char member[BC_COORD_MEMBER_ID_SIZE], out[BC_COORD_MEMBER_ID_SIZE];
    char **topics;
    size_t n;
    int32_t gen = -1;
    int rc;

    pthread_mutex_lock(&c->lock);
    snprintf(member, sizeof(member), "%s", c->member_id);
    n = c->topic_cnt;
    topics = bc_calloc(n ? n : 1, sizeof(*topics));
    for (size_t i = 0; i < n; i++)
        topics[i] = bc_strdup(c->topics[i]);
    pthread_mutex_unlock(&c->lock);

    memset(&req, 0, sizeof(req));
    req.group = c->group_id;
    req.client_id = c->client_id;
    req.host = c->client_host;
    req.topics = (const char *const *)topics;
    req.topic_cnt = n;
    req.strategy = c->conf.strategy;
    req.session_timeout_ms = c->conf.session_timeout_ms;
    req.rebalance_timeout_ms = c->conf.max_poll_interval_ms;
    req.member_id = member[0] ? member : NULL;
    rc = bc_coord_join(c->coord, &req, now_ms(c), out, &gen);
    if (rc == BC_COORD_ERR_UNKNOWN_MEMBER) {
        req.member_id = NULL;
        rc = bc_coord_join(c->coord, &req, now_ms(c), out, &gen);
    }
    for (size_t i = 0; i < n; i++)
        free(topics[i]);
    free(topics);
    pthread_mutex_lock(&c->lock);
    c->join_count++;
    if (rc == 0 || rc == BC_COORD_ERR_JOIN_PENDING) {
        snprintf(c->member_id, sizeof(c->member_id), "%s", out);
        c->joining = 1;
        c->need_rejoin = 0;
        c->next_heartbeat_ms = now_ms(c) + c->conf.heartbeat_interval_ms;
        rc = 0;
    } else {
        bc_err_set(rc, errstr, errstr_size, "join of group '%s' failed: %s",
                   c->group_id, bc_coord_err2str(rc));
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

/* Runs the rebalance protocol until this member has its assignment (0),
 * the poll deadline passes (1), or an error. No lock held. */
static int rebalance(bc_consumer_t *c, int64_t deadline, char *errstr,
                     size_t errstr_size) {
    char member[BC_COORD_MEMBER_ID_SIZE];
    bc_group_tp_t *tps = NULL;
    size_t cnt = 0;
    int32_t gen = -1;
    part_t *parts;
    uint64_t seq = bc_coord_seq(c->coord);
    int rc, err;

    pthread_mutex_lock(&c->lock);
    if (c->joining && !c->need_rejoin) {
        pthread_mutex_unlock(&c->lock);
    } else {
        pthread_mutex_unlock(&c->lock);
        give_up_assignment(c);
        if ((rc = join(c, errstr, errstr_size)) != 0) return rc;
    }
    for (;;) {
        pthread_mutex_lock(&c->lock);
        snprintf(member, sizeof(member), "%s", c->member_id);
        if (c->wakeup || c->stopping) {
            pthread_mutex_unlock(&c->lock);
            return 1;
        }
        pthread_mutex_unlock(&c->lock);
        rc = bc_coord_sync(c->coord, c->group_id, member, now_ms(c), &gen, &tps,
                           &cnt);
        if (rc == 0) break;
        if (rc == BC_COORD_ERR_JOIN_PENDING) {
            int64_t left = deadline - mono_ms();

            if (left <= 0) return 1;
            bc_coord_wait(c->coord, &seq,
                          (int)(left < SLICE_MS ? left : SLICE_MS));
            continue;
        }
        /* REBALANCE_IN_PROGRESS (a new round began before we synced) or
         * UNKNOWN_MEMBER (we were removed): join again. */
        pthread_mutex_lock(&c->lock);
        if (rc == BC_COORD_ERR_UNKNOWN_MEMBER) c->member_id[0] = '\0';
        c->joining = 0;
        pthread_mutex_unlock(&c->lock);
        if ((rc = join(c, errstr, errstr_size)) != 0) return rc;
    }
    parts = parts_build(c, tps, cnt, 0, NULL, 0, &err);
    pthread_mutex_lock(&c->lock);
    if (strcmp(member, c->member_id) || c->need_rejoin) {
        /* Removed or told to rejoin while we synced: start over. */
        pthread_mutex_unlock(&c->lock);
        for (size_t i = 0; i < cnt; i++)
            free(parts[i].topic);
        free(parts);
        free(tps);
        return 1;
    }
    c->joining = 0;
    c->generation = gen;
    parts_install(c, parts, cnt);
    pthread_mutex_unlock(&c->lock);
    if (c->conf.rebalance_cb)
        c->conf.rebalance_cb(c, BC_CONSUMER_ASSIGNED, tps, cnt,
                             c->conf.rebalance_opaque);
    free(tps);
    return 0;
}

/* Sets unknown positions from committed offsets or auto.offset.reset.
 * No lock held. Returns 0 or BC_CONSUMER_ERR_NO_OFFSET. */
static int init_positions(bc_consumer_t *c, char *errstr, size_t errstr_size) {
    typedef struct want_s {
        size_t pi;
        char *topic;
        int32_t partition;
        bc_log_t *log;
        int64_t pos;
    } want_t;
    want_t *w;
    size_t n = 0;
    uint64_t epoch;
    int rc = 0;

    pthread_mutex_lock(&c->lock);
    epoch = c->epoch;
    w = bc_calloc(c->part_cnt ? c->part_cnt : 1, sizeof(*w));
    for (size_t i = 0; i < c->part_cnt; i++) {
        if (c->parts[i].position >= 0 || c->parts[i].err) continue;
        w[n].pi = i;
        w[n].topic = bc_strdup(c->parts[i].topic);
        w[n].partition = c->parts[i].partition;
        w[n].log = c->parts[i].log;
        n++;
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        int64_t off = -1;

        w[i].pos = -1;
        if (c->off && c->group_id &&
            bc_offsets_fetch(c->off, c->group_id, w[i].topic, w[i].partition,
                             &off, NULL) == 0) {
            w[i].pos = off;
        } else if (!w[i].log) {
            continue; /* topic not there (yet) */
        } else if (c->conf.auto_offset_reset == BC_CONSUMER_RESET_EARLIEST) {
            w[i].pos = bc_log_start_offset(w[i].log);
        } else if (c->conf.auto_offset_reset == BC_CONSUMER_RESET_LATEST) {
            w[i].pos = bc_log_end_offset(w[i].log);
        } else if (!rc) {
            rc = bc_err_set(BC_CONSUMER_ERR_NO_OFFSET, errstr, errstr_size,
                            "no committed offset for group '%s' on %s-%d and "
                            "auto.offset.reset is none",
                            c->group_id ? c->group_id : "", w[i].topic,
                            (int)w[i].partition);
        }
    }
    pthread_mutex_lock(&c->lock);
    if (c->epoch == epoch) {
        int missing = 0;

        for (size_t i = 0; i < n; i++) {
            part_t *p = &c->parts[w[i].pi];

            if (w[i].pos < 0) {
                missing = 1;
                continue;
            }
            if (p->position >= 0) continue;
            p->seq++;
            p->position = w[i].pos;
            p->fetch_pos = w[i].pos;
        }
        c->need_positions = missing;
        pthread_cond_broadcast(&c->fcond);
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        free(w[i].topic);
    free(w);
    return rc;
}

/* Moves up to max_poll_records queued records into a result (caller
 * holds c->lock). */
static bc_consumer_records_t *take_records(bc_consumer_t *c) {
    size_t max = (size_t)c->conf.max_poll_records, cnt = 0, bytes = 0;
    bc_consumer_records_t *out;
    uint8_t *data;
    chunk_t *ch;

    /* Pass 1: drop stale chunks at the head, size the result. */
    for (ch = c->qhead; ch && cnt < max; ch = ch->next) {
        part_t *p;

        if (ch->epoch != c->epoch || ch->pi >= c->part_cnt ||
            c->parts[ch->pi].seq != ch->pseq)
            continue;
        p = &c->parts[ch->pi];
        for (size_t i = ch->pos; i < ch->cnt && cnt < max; i++) {
            if (ch->recs[i].offset < p->position) continue;
            cnt++;
            bytes +=
                (size_t)(ch->recs[i].key_len > 0 ? ch->recs[i].key_len : 0) +
                (size_t)(ch->recs[i].value_len > 0 ? ch->recs[i].value_len : 0);
        }
    }
    out = NULL;
    if (cnt) {
        out = bc_malloc(sizeof(*out) + cnt * sizeof(out->recs[0]) + bytes);
        out->cnt = 0;
    }
    data = out ? (uint8_t *)&out->recs[cnt] : NULL;
    /* Pass 2: copy out and advance positions; free consumed chunks. */
    while ((ch = c->qhead) != NULL) {
        int stale = ch->epoch != c->epoch || ch->pi >= c->part_cnt ||
                    c->parts[ch->pi].seq != ch->pseq;

        if (!stale) {
            part_t *p = &c->parts[ch->pi];

            for (; ch->pos < ch->cnt; ch->pos++) {
                crec_t *r = &ch->recs[ch->pos];
                bc_consumer_record_t *o;

                if (r->offset < p->position) continue;
                if (!out || out->cnt == cnt) break;
                o = &out->recs[out->cnt++];
                o->topic = p->topic;
                o->partition = p->partition;
                o->offset = r->offset;
                o->timestamp = r->timestamp;
                o->key_len = r->key_len;
                o->value_len = r->value_len;
                o->key = NULL;
                o->value = NULL;
                if (r->key_len >= 0) {
                    memcpy(data, r->key, (size_t)r->key_len);
                    o->key = data;
                    data += r->key_len;
                }
                if (r->value_len >= 0) {
                    memcpy(data, r->value, (size_t)r->value_len);
                    o->value = data;
                    data += r->value_len;
                }
                p->position = r->offset + 1;
            }
            if (ch->pos < ch->cnt) break; /* result full */
            if (ch->next_offset > p->position) p->position = ch->next_offset;
        }
        c->qhead = ch->next;
        if (!c->qhead) c->qtail = NULL;
        c->qbytes -= ch->bytes;
        chunk_free(ch);
    }
    if (out) pthread_cond_broadcast(&c->fcond); /* room in the queue */
    return out;
}

int bc_consumer_poll(bc_consumer_t *c, int timeout_ms,
                     bc_consumer_records_t **out, char *errstr,
                     size_t errstr_size) {
    int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    int rc = 0;

    *out = NULL;
    if (c->closed)
        return bc_err_set(BC_CONSUMER_ERR_CLOSED, errstr, errstr_size,
                          "consumer is closed");
    run_callbacks(c);
    pthread_mutex_lock(&c->lock);
    for (;;) {
        int64_t now = now_ms(c);
        int64_t left;

        c->last_poll_ms = now;
        if (c->wakeup) {
            c->wakeup = 0;
            rc = bc_err_set(BC_CONSUMER_ERR_WAKEUP, errstr, errstr_size,
                            "poll interrupted by wakeup()");
            break;
        }
        if (c->mode == MODE_NONE) {
            rc = bc_err_set(BC_CONSUMER_ERR_STATE, errstr, errstr_size,
                            "poll: neither subscribed nor assigned");
            break;
        }
        if (c->mode == MODE_SUBSCRIBE &&
            (c->need_rejoin || c->joining || !c->member_id[0])) {
            pthread_mutex_unlock(&c->lock);
            rc = rebalance(c, deadline, errstr, errstr_size);
            pthread_mutex_lock(&c->lock);
            if (rc < 0) break;
            rc = 0;
            if (c->need_rejoin || c->joining || !c->member_id[0]) {
                if (!c->wakeup && mono_ms() >= deadline)
                    break; /* still rebalancing: no records this time */
                continue;
            }
        }
        if (c->need_positions) {
            pthread_mutex_unlock(&c->lock);
            rc = init_positions(c, errstr, errstr_size);
            pthread_mutex_lock(&c->lock);
            if (rc) break;
        }
        if (c->conf.enable_auto_commit && c->group_id && c->off &&
            now >= c->next_auto_commit_ms) {
            c->next_auto_commit_ms = now + c->conf.auto_commit_interval_ms;
            pthread_mutex_unlock(&c->lock);
            (void)commit_positions(c, NULL, 0);
            pthread_mutex_lock(&c->lock);
        }
        *out = take_records(c);
        if (*out) break;
        for (size_t i = 0; i < c->part_cnt; i++) {
            if (c->parts[i].err) {
                rc = bc_err_set(c->parts[i].err, errstr, errstr_size, "%s",
                                c->parts[i].errmsg);
                break;
            }
        }
        if (rc) break;
        left = deadline - mono_ms();
        if (left <= 0) break;
        wait_ms(c, &c->cond, left < SLICE_MS ? left : SLICE_MS);
    }
    pthread_mutex_unlock(&c->lock);
    run_callbacks(c);
    return rc;
}

void bc_consumer_records_free(bc_consumer_records_t *recs) {
    free(recs);
}

int bc_consumer_commit_sync(bc_consumer_t *c,
                            const bc_consumer_offset_t *offsets, size_t n,
                            char *errstr, size_t errstr_size) {
    bc_consumer_offset_t *o;
    char member[BC_COORD_MEMBER_ID_SIZE];
    int32_t gen;
    int rc;

    if (c->closed)
        return bc_err_set(BC_CONSUMER_ERR_CLOSED, errstr, errstr_size,
                          "consumer is closed");
    pthread_mutex_lock(&c->commit_lock);
    drain_pending(c);
    pthread_mutex_lock(&c->lock);
    if (offsets)
        o = offsets_dup(offsets, n);
    else
        o = positions(c, &n);
    commit_identity(c, member, &gen);
    pthread_mutex_unlock(&c->lock);
    rc = run_commit(c, o, n, member, gen, errstr, errstr_size);
    pthread_mutex_unlock(&c->commit_lock);
    free(o);
    return rc;
}

int bc_consumer_commit_async(bc_consumer_t *c,
                             const bc_consumer_offset_t *offsets, size_t n,
                             bc_consumer_commit_fn cb, void *opaque) {
    pending_t *p;

    if (c->closed) return BC_CONSUMER_ERR_CLOSED;
    if (!c->group_id || !c->off) return BC_CONSUMER_ERR_STATE;
    p = bc_calloc(1, sizeof(*p));
    p->cb = cb ? cb : c->conf.commit_cb;
    p->opaque = cb ? opaque : c->conf.commit_opaque;
    pthread_mutex_lock(&c->lock);
    if (offsets) {
        p->offsets = offsets_dup(offsets, n);
        p->n = n;
    } else {
        p->offsets = positions(c, &p->n);
    }
    commit_identity(c, p->member, &p->generation);
    if (c->pend_tail)
        c->pend_tail->next = p;
    else
        c->pend_head = p;
    c->pend_tail = p;
    pthread_cond_broadcast(&c->fcond);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

void bc_consumer_wakeup(bc_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    c->wakeup = 1;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

int bc_consumer_seek(bc_consumer_t *c, const char *topic, int32_t partition,
                     int64_t offset) {
    part_t *p;
    int rc = BC_ERR_NOT_FOUND;

    if (offset < 0) return BC_ERR_INVALID;
    pthread_mutex_lock(&c->lock);
    p = part_find(c, topic, partition);
    if (p) {
        p->seq++;
        p->position = offset;
        p->fetch_pos = offset;
        p->err = 0;
        pthread_cond_broadcast(&c->fcond);
        rc = 0;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int bc_consumer_position(bc_consumer_t *c, const char *topic, int32_t partition,
                         int64_t *offset) {
    part_t *p;
    int rc = BC_ERR_NOT_FOUND;

    *offset = -1;
    pthread_mutex_lock(&c->lock);
    p = part_find(c, topic, partition);
    if (p) {
        *offset = p->position;
        rc = 0;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int bc_consumer_committed(bc_consumer_t *c, const char *topic,
                          int32_t partition, int64_t *offset) {
    *offset = -1;
    if (!c->off || !c->group_id) return BC_ERR_NOT_FOUND;
    return bc_offsets_fetch(c->off, c->group_id, topic, partition, offset,
                            NULL);
}

bc_group_tp_t *bc_consumer_assignment(bc_consumer_t *c, size_t *n) {
    bc_group_tp_t *tps;

    pthread_mutex_lock(&c->lock);
    tps = parts_tps(c, n);
    pthread_mutex_unlock(&c->lock);
    return tps;
}

int32_t bc_consumer_member_id(bc_consumer_t *c, char *buf, size_t size) {
    int32_t gen;

    pthread_mutex_lock(&c->lock);
    snprintf(buf, size, "%s", c->member_id);
    gen = c->member_id[0] ? c->generation : -1;
    pthread_mutex_unlock(&c->lock);
    return gen;
}

int bc_consumer_close(bc_consumer_t *c, char *errstr, size_t errstr_size) {
    bc_group_tp_t *tps;
    size_t n;
    int rc = 0, lost, member;

    if (c->closed)
        return bc_err_set(BC_CONSUMER_ERR_CLOSED, errstr, errstr_size,
                          "consumer is closed");
    pthread_mutex_lock(&c->lock);
    lost = c->lost || (c->mode == MODE_SUBSCRIBE && !c->member_id[0]);
    member = c->mode == MODE_SUBSCRIBE && c->member_id[0] && !c->joining;
    pthread_mutex_unlock(&c->lock);
    if (c->conf.enable_auto_commit && c->group_id && c->off && !lost &&
        (member || c->mode == MODE_ASSIGN))
        rc = commit_positions(c, errstr, errstr_size);
    pthread_mutex_lock(&c->commit_lock);
    drain_pending(c);
    pthread_mutex_unlock(&c->commit_lock);
    run_callbacks(c);
    if (c->mode == MODE_SUBSCRIBE) {
        pthread_mutex_lock(&c->lock);
        tps = parts_tps(c, &n);
        pthread_mutex_unlock(&c->lock);
        if (n && c->conf.rebalance_cb)
            c->conf.rebalance_cb(c,
                                 lost ? BC_CONSUMER_LOST : BC_CONSUMER_REVOKED,
                                 tps, n, c->conf.rebalance_opaque);
        free(tps);
        leave_group(c);
    }
    stop_thread(c);
    if (c->listener_id >= 0)
        bc_broker_remove_listener(c->broker, c->listener_id);
    c->listener_id = -1;
    pthread_mutex_lock(&c->lock);
    parts_clear(c);
    c->closed = 1;
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int64_t bc_consumer_queued_bytes(bc_consumer_t *c) {
    pthread_mutex_lock(&c->lock);
    int64_t n = (int64_t)c->qbytes;
    pthread_mutex_unlock(&c->lock);
    return n;
}

const char *bc_consumer_err2str(int err) {
    switch (err) {
    case BC_CONSUMER_ERR_WAKEUP:
        return "wakeup";
    case BC_CONSUMER_ERR_NO_OFFSET:
        return "no committed offset (auto.offset.reset=none)";
    case BC_CONSUMER_ERR_OUT_OF_RANGE:
        return "offset out of range (auto.offset.reset=none)";
    case BC_CONSUMER_ERR_CLOSED:
        return "consumer closed";
    case BC_CONSUMER_ERR_STATE:
        return "consumer not subscribed, assigned or in a group";
    default:
        break;
    }
    if (err <= -20 && err >= -29) return bc_coord_err2str(err);
    return bc_err_str(err);
}
