/* SPDX-License-Identifier: Apache-2.0 */
/* bc_producer: see bc_producer.h. Each partition has an open batch being
 * filled and a FIFO of complete batches; one thread at a time (the
 * "drainer", marked by `busy`) appends them in order, releasing the
 * partition mutex during the append so others keep filling the next
 * batch. A blocking (acks 1/all) sender marks its batch urgent and either
 * drains it itself or waits for the current drainer to take it.
 *
 * Batch buffers of the standard size (batch.size plus room for one
 * record's overhead) are recycled through a producer-wide free list
 * holding at most buffer.memory bytes, as Kafka's BufferPool does: a
 * steady stream of batches then reuses the same warm memory instead of
 * the allocator handing pages back to the kernel and faulting them in
 * again for every max.request.size group. */
#include "broker-core/bc_producer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_mem.h"

typedef struct abatch_s {
    bc_batch_builder_t *bb;
    int32_t count;
    int64_t created_ms;
    int urgent; /* a blocking sender waits for it */
    int refs;   /* blocking senders still to read the result */
    int done;
    int err;
    int64_t base;
    struct abatch_s *next;
} abatch_t;

typedef struct ptopic_s ptopic_t;

typedef struct ppart_s {
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* batch done / drainer gone */
    abatch_t *open;
    abatch_t *qhead;
    abatch_t *qtail;
    size_t qbytes; /* encoded bytes of the queued batches */
    int busy;
    bc_log_t *log;
    int32_t id;
    ptopic_t *t;
} ppart_t;

struct ptopic_s {
    struct ptopic_s *next; /* older topic; set before publication */
    char *name;
    int32_t n;
    int32_t max_bytes;  /* max.message.bytes */
    int32_t batch_size; /* min(batch.size, max.message.bytes) */
    pthread_mutex_t mu; /* guards pt */
    bc_partitioner_t *pt;
    ppart_t *parts;
};

struct bc_producer_s {
    bc_broker_t *b;
    bc_producer_conf_t conf;
    /* Topics, newest first. Only ever prepended (under add_mu) and freed
     * by destroy, so readers walk it without a lock. */
    _Atomic(ptopic_t *) topics;
    pthread_mutex_t add_mu;
    pthread_mutex_t err_mu; /* guards first_err/first_errstr */
    int first_err;
    char first_errstr[256];
    _Atomic int64_t last_now;
    pthread_mutex_t pool_mu; /* guards pool/npool */
    bc_batch_builder_t **pool;
    size_t npool;
    size_t pool_max; /* buffer.memory / pool_cap */
    size_t pool_cap; /* capacity of a standard batch buffer */
};

bc_producer_conf_t bc_producer_conf_default(void) {
    bc_producer_conf_t c;
    memset(&c, 0, sizeof(c));
    c.batch_size = 16384;
    c.max_request_size = 1048576;
    c.linger_ms = 5;
    c.buffer_memory = 33554432;
    c.acks = BC_ACKS_ALL;
    c.partitioner = BC_PARTITIONER_STICKY;
    return c;
}

bc_producer_t *bc_producer_new(bc_broker_t *b, const bc_producer_conf_t *conf,
                               char *errstr, size_t errstr_size) {
    bc_producer_conf_t c = conf ? *conf : bc_producer_conf_default();
    if (c.batch_size < 1 || c.linger_ms < 0 || c.max_request_size < 1 ||
        c.buffer_memory < 0 || (c.acks != 0 && c.acks != 1 && c.acks != -1) ||
        (c.partitioner != BC_PARTITIONER_STICKY &&
         c.partitioner != BC_PARTITIONER_ROUNDROBIN)) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "bad producer config (batch.size %d, linger.ms %lld, "
                   "max.request.size %d, buffer.memory %lld, acks %d)",
                   (int)c.batch_size, (long long)c.linger_ms,
                   (int)c.max_request_size, (long long)c.buffer_memory, c.acks);
        return NULL;
    }
    bc_producer_t *p = bc_calloc(1, sizeof(*p));
    p->b = b;
    p->conf = c;
    pthread_mutex_init(&p->add_mu, NULL);
    pthread_mutex_init(&p->err_mu, NULL);
    pthread_mutex_init(&p->pool_mu, NULL);
    p->pool_cap = (size_t)c.batch_size + 256;
    p->pool_max = (size_t)c.buffer_memory / p->pool_cap;
    p->pool = bc_calloc(p->pool_max + 1, sizeof(*p->pool));
    return p;
}

/* A builder for a new batch: a pooled one if there is one. */
static bc_batch_builder_t *builder_get(bc_producer_t *p) {
    bc_batch_builder_t *bb = NULL;
    pthread_mutex_lock(&p->pool_mu);
    if (p->npool > 0) bb = p->pool[--p->npool];
    pthread_mutex_unlock(&p->pool_mu);
    return bb ? bb : bc_batch_builder_new(p->pool_cap);
}

/* Returns a builder to the pool, or frees it when the pool is full or the
 * builder grew past the standard size (a record larger than batch.size). */
static void builder_put(bc_producer_t *p, bc_batch_builder_t *bb) {
    if (bc_batch_builder_capacity(bb) == p->pool_cap) {
        pthread_mutex_lock(&p->pool_mu);
        if (p->npool < p->pool_max) {
            p->pool[p->npool++] = bb;
            bb = NULL;
        }
        pthread_mutex_unlock(&p->pool_mu);
    }
    bc_batch_builder_destroy(bb);
}

static void batch_free(bc_producer_t *p, abatch_t *bt) {
    builder_put(p, bt->bb);
    free(bt);
}

static void note_error(bc_producer_t *p, int err, const char *msg) {
    pthread_mutex_lock(&p->err_mu);
    if (p->first_err == 0) {
        p->first_err = err;
        snprintf(p->first_errstr, sizeof(p->first_errstr), "%s", msg);
    }
    pthread_mutex_unlock(&p->err_mu);
}

static void enqueue(ppart_t *pp, abatch_t *bt) {
    bt->next = NULL;
    pp->qbytes += bc_batch_builder_size(bt->bb);
    if (pp->qtail)
        pp->qtail->next = bt;
    else
        pp->qhead = bt;
    pp->qtail = bt;
}

static int due(const bc_producer_t *p, const abatch_t *bt, int64_t now_ms) {
    return bt->urgent || now_ms - bt->created_ms >= p->conf.linger_ms;
}

/* Is there something to append now? (see bc_producer.h) */
static int ready(const bc_producer_t *p, const ppart_t *pp, int64_t now_ms) {
    if (pp->qhead && (pp->qbytes >= (size_t)p->conf.max_request_size ||
                      pp->qhead->urgent || due(p, pp->qhead, now_ms)))
        return 1;
    return pp->open && due(p, pp->open, now_ms);
}

/* Takes the next group of batches to append, oldest first, up to
 * max.request.size bytes (at least one). */
static size_t take_group(bc_producer_t *p, ppart_t *pp, int64_t now_ms,
                         int force, abatch_t **grp, size_t max) {
    size_t n = 0, bytes = 0;
    while (n < max && pp->qhead) {
        size_t sz = bc_batch_builder_size(pp->qhead->bb);
        if (n > 0 && bytes + sz > (size_t)p->conf.max_request_size) return n;
        abatch_t *bt = pp->qhead;
        pp->qhead = bt->next;
        if (!pp->qhead) pp->qtail = NULL;
        pp->qbytes -= sz;
        grp[n++] = bt;
        bytes += sz;
    }
    if (n < max && pp->open && (force || due(p, pp->open, now_ms))) {
        size_t sz = bc_batch_builder_size(pp->open->bb);
        if (n == 0 || bytes + sz <= (size_t)p->conf.max_request_size) {
            grp[n++] = pp->open;
            pp->open = NULL;
        }
    }
    return n;
}

/* Appends ready batches in order, a group per vectored write. Called with
 * pp->mu held and busy == 0; drops the mutex around each append. With
 * `force` everything pending goes. Returns batches appended; *first_err
 * gets the first error. */
static int drain(bc_producer_t *p, ppart_t *pp, int64_t now_ms, int force,
                 int *first_err) {
    enum { GROUP = 128 };
    abatch_t *grp[GROUP];
    uint8_t *data[GROUP];
    size_t lens[GROUP];
    bc_append_info_t infos[GROUP];
    int total = 0;
    pp->busy = 1;
    while (force ? (pp->qhead || pp->open) : ready(p, pp, now_ms)) {
        size_t n = take_group(p, pp, now_ms, force, grp, GROUP);
        if (n == 0) break;
        pthread_mutex_unlock(&pp->mu);
        for (size_t i = 0; i < n; i++)
            data[i] = bc_batch_builder_finish(grp[i]->bb, &lens[i]);
        char err[256];
        int rc =
            pp->log
                ? bc_log_append_v(pp->log, data, lens, n,
                                  BC_APPEND_TRUSTED |
                                      (p->conf.durable ? BC_APPEND_SYNC : 0),
                                  now_ms, infos, err, sizeof(err))
                : bc_err_set(BC_ERR_OFFLINE, err, sizeof(err),
                             "%s-%d is offline", pp->t->name, (int)pp->id);
        if (rc < 0) {
            note_error(p, rc, err);
            if (first_err && *first_err == 0) *first_err = rc;
        }
        if (p->conf.dr_fn)
            for (size_t i = 0; i < n; i++)
                p->conf.dr_fn(p->conf.dr_opaque, pp->t->name, pp->id,
                              rc < 0 ? -1 : infos[i].base_offset, grp[i]->count,
                              rc);
        pthread_mutex_lock(&pp->mu);
        for (size_t i = 0; i < n; i++) {
            abatch_t *bt = grp[i];
            bt->done = 1;
            bt->err = rc;
            bt->base = rc < 0 ? -1 : infos[i].base_offset;
            if (bt->refs == 0) batch_free(p, bt);
        }
        total += (int)n;
        pthread_cond_broadcast(&pp->cv);
    }
    pp->busy = 0;
    pthread_cond_broadcast(&pp->cv);
    return total;
}

static ptopic_t *find_topic(bc_producer_t *p, const char *name) {
    for (ptopic_t *t = atomic_load_explicit(&p->topics, memory_order_acquire);
         t; t = t->next)
        if (!strcmp(t->name, name)) return t;
    return NULL;
}

static ptopic_t *get_topic(bc_producer_t *p, const char *name) {
    ptopic_t *t = find_topic(p, name);
    if (t) return t;
    bc_log_config_t cfg;
    int32_t n;
    if (bc_broker_topic_config(p->b, name, &cfg, &n) < 0) return NULL;
    pthread_mutex_lock(&p->add_mu);
    t = find_topic(p, name);
    if (!t) {
        t = bc_calloc(1, sizeof(*t));
        t->name = bc_strdup(name);
        t->n = n;
        t->max_bytes = cfg.max_message_bytes;
        t->batch_size = p->conf.batch_size < cfg.max_message_bytes
                            ? p->conf.batch_size
                            : cfg.max_message_bytes;
        pthread_mutex_init(&t->mu, NULL);
        t->pt = bc_partitioner_new(p->conf.partitioner, n, t->batch_size,
                                   p->conf.seed);
        t->parts = bc_calloc((size_t)n, sizeof(*t->parts));
        for (int32_t i = 0; i < n; i++) {
            ppart_t *pp = &t->parts[i];
            pthread_mutex_init(&pp->mu, NULL);
            pthread_cond_init(&pp->cv, NULL);
            pp->log = bc_broker_log(p->b, name, i);
            pp->id = i;
            pp->t = t;
        }
        t->next = atomic_load_explicit(&p->topics, memory_order_relaxed);
        atomic_store_explicit(&p->topics, t, memory_order_release);
    }
    pthread_mutex_unlock(&p->add_mu);
    return t;
}

/* Queues the open batch of pp (it is complete) and drains if idle. */
static void complete_open(bc_producer_t *p, ppart_t *pp, int64_t now_ms) {
    pthread_mutex_lock(&pp->mu);
    if (pp->open) {
        enqueue(pp, pp->open);
        pp->open = NULL;
    }
    if (!pp->busy && ready(p, pp, now_ms)) drain(p, pp, now_ms, 0, NULL);
    pthread_mutex_unlock(&pp->mu);
}

int bc_producer_send(bc_producer_t *p, const char *topic, int32_t partition,
                     const bc_record_in_t *rec, int64_t now_ms,
                     int32_t *partition_out, int64_t *offset, char *errstr,
                     size_t errstr_size) {
    if (offset) *offset = -1;
    if (!rec || !topic)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "no record or topic");
    ptopic_t *t = get_topic(p, topic);
    if (!t)
        return bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                          "unknown topic '%s'", topic);
    bc_record_in_t r = *rec;
    if (r.timestamp < 0) r.timestamp = now_ms;
    size_t rsize = bc_batch_record_size(&r, 0, 0);
    if (rsize == SIZE_MAX)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "bad key, value or header length");
    if (rsize + BC_BATCH_HEADER_SIZE > (size_t)t->max_bytes)
        return bc_err_set(BC_ERR_TOO_LARGE, errstr, errstr_size,
                          "record of %zu bytes exceeds max.message.bytes %d "
                          "of topic '%s'",
                          rsize + BC_BATCH_HEADER_SIZE, (int)t->max_bytes,
                          topic);
    atomic_store(&p->last_now, now_ms);
    int32_t part = partition, left = -1;
    if (part >= t->n)
        return bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                          "topic '%s' has no partition %d", topic, (int)part);
    if (part < 0 && t->n == 1) part = 0; /* nothing to choose */
    if (part < 0) {
        pthread_mutex_lock(&t->mu);
        part = bc_partitioner_choose(t->pt, &r, &left);
        pthread_mutex_unlock(&t->mu);
    }
    if (partition_out) *partition_out = part;
    if (left >= 0 && left != part) complete_open(p, &t->parts[left], now_ms);

    ppart_t *pp = &t->parts[part];
    int rc = 0;
    pthread_mutex_lock(&pp->mu);
    abatch_t *bt = pp->open;
    int added = 1;
    for (;;) {
        if (!bt) {
            bt = bc_calloc(1, sizeof(*bt));
            bt->bb = builder_get(p);
            bc_batch_builder_begin(bt->bb, NULL);
            bt->created_ms = now_ms;
            pp->open = bt;
        }
        added = bc_batch_builder_add_within(bt->bb, &r, (size_t)t->batch_size);
        if (added != 1) break;
        enqueue(pp, bt); /* full: the record starts the next batch */
        pp->open = bt = NULL;
    }
    if (added < 0) {
        pthread_mutex_unlock(&pp->mu);
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "record cannot be encoded");
    }
    int32_t idx = bt->count++;
    if (p->conf.acks == BC_ACKS_NONE) {
        /* errors are reported by the delivery callback and flush */
        if (!pp->busy && ready(p, pp, now_ms)) drain(p, pp, now_ms, 0, NULL);
        pthread_mutex_unlock(&pp->mu);
        return 0;
    }
    bt->urgent = 1;
    bt->refs++;
    while (!bt->done) {
        if (!pp->busy)
            drain(p, pp, now_ms, 0, NULL);
        else
            pthread_cond_wait(&pp->cv, &pp->mu);
    }
    rc = bt->err;
    if (rc == 0 && offset) *offset = bt->base + idx;
    if (--bt->refs == 0) batch_free(p, bt);
    pthread_mutex_unlock(&pp->mu);
    if (rc < 0)
        return bc_err_set(rc, errstr, errstr_size, "append to %s-%d failed: %s",
                          topic, (int)part, bc_err_str(rc));
    return 0;
}

static ptopic_t *first_topic(bc_producer_t *p) {
    return atomic_load_explicit(&p->topics, memory_order_acquire);
}

int bc_producer_poll(bc_producer_t *p, int64_t now_ms) {
    int done = 0, err = 0;
    atomic_store(&p->last_now, now_ms);
    for (ptopic_t *t = first_topic(p); t; t = t->next)
        for (int32_t j = 0; j < t->n; j++) {
            ppart_t *pp = &t->parts[j];
            pthread_mutex_lock(&pp->mu);
            if (!pp->busy && ready(p, pp, now_ms))
                done += drain(p, pp, now_ms, 0, &err);
            pthread_mutex_unlock(&pp->mu);
        }
    return err < 0 ? err : done;
}

int bc_producer_flush(bc_producer_t *p, int64_t now_ms, char *errstr,
                      size_t errstr_size) {
    atomic_store(&p->last_now, now_ms);
    for (ptopic_t *t = first_topic(p); t; t = t->next)
        for (int32_t j = 0; j < t->n; j++) {
            ppart_t *pp = &t->parts[j];
            pthread_mutex_lock(&pp->mu);
            if (pp->open) {
                enqueue(pp, pp->open);
                pp->open = NULL;
            }
            while (pp->qhead || pp->open || pp->busy) {
                if (!pp->busy)
                    drain(p, pp, now_ms, 1, NULL);
                else
                    pthread_cond_wait(&pp->cv, &pp->mu);
            }
            pthread_mutex_unlock(&pp->mu);
        }
    pthread_mutex_lock(&p->err_mu);
    int rc = p->first_err;
    if (rc < 0) bc_err_set(rc, errstr, errstr_size, "%s", p->first_errstr);
    p->first_err = 0;
    pthread_mutex_unlock(&p->err_mu);
    return rc;
}

void bc_producer_destroy(bc_producer_t *p) {
    if (!p) return;
    bc_producer_flush(p, atomic_load(&p->last_now), NULL, 0);
    ptopic_t *next;
    for (ptopic_t *t = first_topic(p); t; t = next) {
        next = t->next;
        for (int32_t j = 0; j < t->n; j++) {
            pthread_mutex_destroy(&t->parts[j].mu);
            pthread_cond_destroy(&t->parts[j].cv);
        }
        free(t->parts);
        bc_partitioner_destroy(t->pt);
        pthread_mutex_destroy(&t->mu);
        free(t->name);
        free(t);
    }
    for (size_t i = 0; i < p->npool; i++)
        bc_batch_builder_destroy(p->pool[i]);
    free(p->pool);
    pthread_mutex_destroy(&p->pool_mu);
    pthread_mutex_destroy(&p->add_mu);
    pthread_mutex_destroy(&p->err_mu);
    free(p);
}
