/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kpid: idempotent-producer sequences (see bc_kpid.h). A chained hash
 * over (topic, partition, producer id); idempotent producers are few and
 * every Produce looks one entry up, so eviction (beyond max_entries) may
 * scan the whole table: it runs once per entry added past the bound. */
#include "broker-core/bc_kpid.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_fs.h"
#include "broker-core/bc_kerr.h"
#include "broker-core/bc_log.h"
#include "broker-core/bc_mem.h"
#include "broker-core/bc_murmur2.h"

enum { NBUCKETS = 4096 };

typedef struct kbatch_s {
    int32_t first_seq, last_seq;
    int64_t base_offset;
} kbatch_t;

typedef struct kentry_s {
    struct kentry_s *next;
    char *topic;
    int32_t partition;
    int64_t pid;
    int16_t epoch;
    kbatch_t b[BC_KPID_RETAIN]; /* ring, newest at (head + n - 1) */
    int head, n;
    uint64_t used; /* LRU stamp */
} kentry_t;

struct bc_kpid_s {
    kentry_t *buckets[NBUCKETS];
    size_t count, max;
    uint64_t clock;
    int64_t next_id;   /* next producer id to hand out */
    int64_t block_end; /* persisted: ids below it may have been used */
    char *dir;         /* data dir of producer-id-block, NULL: none */
};

bc_kpid_t *bc_kpid_new(size_t max_entries) {
    bc_kpid_t *kp = bc_calloc(1, sizeof(*kp));
    kp->max = max_entries ? max_entries : 100000;
    return kp;
}

static void entry_free(kentry_t *e) {
    free(e->topic);
    free(e);
}

void bc_kpid_destroy(bc_kpid_t *kp) {
    if (!kp) return;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (kentry_t *e = kp->buckets[i], *n; e; e = n) {
            n = e->next;
            entry_free(e);
        }
    free(kp->dir);
    free(kp);
}

/* Kafka's murmur2 (bc_murmur2.h) over the topic, mixed with the
 * partition and producer id. */
static size_t bucket_of(const char *topic, int32_t partition, int64_t pid) {
    uint32_t h = (uint32_t)bc_murmur2(topic, strlen(topic));
    h ^= (uint32_t)partition * 0x9e3779b1u;
    h ^= (uint32_t)((uint64_t)pid ^ ((uint64_t)pid >> 32)) * 0x85ebca6bu;
    return (size_t)(h % NBUCKETS);
}

static kentry_t *find(bc_kpid_t *kp, const char *topic, int32_t partition,
                      int64_t pid) {
    for (kentry_t *e = kp->buckets[bucket_of(topic, partition, pid)]; e;
         e = e->next)
        if (e->pid == pid && e->partition == partition &&
            strcmp(e->topic, topic) == 0)
            return e;
    return NULL;
}

/* Kafka's DefaultRecordBatch.incrementSequence. */
static int32_t seq_add(int32_t seq, int32_t inc) {
    if (seq > INT32_MAX - inc) return inc - (INT32_MAX - seq) - 1;
    return seq + inc;
}

int bc_kpid_check(bc_kpid_t *kp, const char *topic, int32_t partition,
                  int64_t pid, int16_t epoch, int32_t first_seq,
                  int32_t last_offset_delta, int64_t *dup_base) {
    kentry_t *e = find(kp, topic, partition, pid);
    if (!e || e->n == 0) return 0;
    if (epoch < e->epoch) return BC_KERR_INVALID_PRODUCER_EPOCH;
    if (epoch > e->epoch)
        return first_seq == 0 ? 0 : BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    int32_t last_seq = seq_add(first_seq, last_offset_delta);
    for (int i = 0; i < e->n; i++) {
        const kbatch_t *b = &e->b[(e->head + i) % BC_KPID_RETAIN];
        if (b->first_seq == first_seq && b->last_seq == last_seq) {
            *dup_base = b->base_offset;
            e->used = ++kp->clock;
            return BC_KPID_DUPLICATE;
        }
    }
    const kbatch_t *newest = &e->b[(e->head + e->n - 1) % BC_KPID_RETAIN];
    if (first_seq != seq_add(newest->last_seq, 1))
        return BC_KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    return 0;
}

/* Drops the least recently used entry. */
static void evict(bc_kpid_t *kp) {
    kentry_t **victim = NULL;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (kentry_t **pp = &kp->buckets[i]; *pp; pp = &(*pp)->next)
            if (!victim || (*pp)->used < (*victim)->used) victim = pp;
    if (!victim) return;
    kentry_t *e = *victim;
    *victim = e->next;
    entry_free(e);
    kp->count--;
}

void bc_kpid_appended(bc_kpid_t *kp, const char *topic, int32_t partition,
                      int64_t pid, int16_t epoch, int32_t first_seq,
                      int32_t last_offset_delta, int64_t base_offset) {
    kentry_t *e = find(kp, topic, partition, pid);
    if (!e) {
        if (kp->count >= kp->max) evict(kp);
        e = bc_calloc(1, sizeof(*e));
        e->topic = bc_strdup(topic);
        e->partition = partition;
        e->pid = pid;
        size_t bi = bucket_of(topic, partition, pid);
        e->next = kp->buckets[bi];
        kp->buckets[bi] = e;
        kp->count++;
    }
    if (epoch != e->epoch) {
        e->epoch = epoch;
        e->n = e->head = 0;
    }
    kbatch_t nb = {first_seq, seq_add(first_seq, last_offset_delta),
                   base_offset};
    if (e->n < BC_KPID_RETAIN) {
        e->b[(e->head + e->n) % BC_KPID_RETAIN] = nb;
        e->n++;
    } else {
        e->b[e->head] = nb;
        e->head = (e->head + 1) % BC_KPID_RETAIN;
    }
    e->used = ++kp->clock;
}

void bc_kpid_forget_topic(bc_kpid_t *kp, const char *topic) {
    for (size_t i = 0; i < NBUCKETS; i++)
        for (kentry_t **pp = &kp->buckets[i]; *pp;) {
            kentry_t *e = *pp;
            if (strcmp(e->topic, topic) == 0) {
                *pp = e->next;
                entry_free(e);
                kp->count--;
            } else {
                pp = &e->next;
            }
        }
}

size_t bc_kpid_count(const bc_kpid_t *kp) {
    return kp->count;
}

typedef struct load_s {
    bc_kpid_t *kp;
    const char *topic;
    int32_t partition;
    size_t batches;
} load_t;

static int load_one(void *opaque, const bc_batch_t *h) {
    load_t *ld = opaque;
    if (h->producer_id < 0 || h->base_sequence < 0 ||
        (h->attributes & BC_BATCH_ATTR_CONTROL))
        return 0;
    bc_kpid_appended(ld->kp, ld->topic, ld->partition, h->producer_id,
                     h->producer_epoch, h->base_sequence, h->last_offset_delta,
                     h->base_offset);
    if (h->producer_id >= ld->kp->next_id) ld->kp->next_id = h->producer_id + 1;
    ld->batches++;
    return 0;
}

int bc_kpid_load(bc_kpid_t *kp, const char *topic, int32_t partition,
                 bc_log_t *log, size_t *batches) {
    load_t ld = {kp, topic, partition, 0};
    int rc = bc_log_scan_tail(log, BC_KPID_LOAD_SEGMENTS, load_one, &ld);
    if (batches) *batches += ld.batches;
    return rc;
}

static const char ID_FILE[] = "producer-id-block";

int bc_kpid_ids_open(bc_kpid_t *kp, const char *data_dir, int64_t floor,
                     char *errstr, size_t errstr_size) {
    char path[4096];
    char *data = NULL;
    snprintf(path, sizeof(path), "%s/%s", data_dir, ID_FILE);
    int rc = bc_fs_read_file(path, 4096, &data, NULL, errstr, errstr_size);
    if (rc == BC_ERR_NOT_FOUND) {
        rc = 0;
    } else if (rc == 0) {
        long long end = -1;
        char tail = 0;
        if (sscanf(data, "0\n%lld\n%c", &end, &tail) != 1 || end < 0) {
            bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                       "%s: expected \"0\" then a block end", path);
            rc = BC_ERR_CORRUPT;
        } else {
            if (end > kp->next_id) kp->next_id = end;
            kp->block_end = end;
        }
    }
    free(data);
    if (rc != 0) return rc;
    if (floor > kp->next_id) kp->next_id = floor;
    free(kp->dir);
    kp->dir = bc_strdup(data_dir);
    return 0;
}

int bc_kpid_new_id(bc_kpid_t *kp, int64_t *pid, char *errstr,
                   size_t errstr_size) {
    if (kp->dir && kp->next_id >= kp->block_end) {
        int64_t end = kp->next_id + BC_KPID_ID_BLOCK;
        char buf[64];
        int n = snprintf(buf, sizeof(buf), "0\n%" PRId64 "\n", end);
        int rc = bc_fs_write_atomic(kp->dir, ID_FILE, buf, (size_t)n, errstr,
                                    errstr_size);
        if (rc != 0) return rc;
        kp->block_end = end;
    }
    *pid = kp->next_id++;
    return 0;
}
