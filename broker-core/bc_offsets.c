/* SPDX-License-Identifier: Apache-2.0 */
/* bc_offsets: the committed-offset table over __consumer_offsets. See
 * bc_offsets.h for the format and the locking.
 *
 * The table is a chained hash map keyed by (group, topic, partition);
 * queries that list a group scan it whole, which is fine because they run
 * for the CLI and the monitor's periodic reads, not per record.
 */
#include "broker-core/bc_offsets.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_bytes.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_group.h"
#include "broker-core/bc_mem.h"

#define DEFAULT_SEGMENT_BYTES (100LL * 1024 * 1024)
#define LOAD_FETCH_BYTES (1024 * 1024)
#define STR16_MAX 32767

typedef struct gnode_s gnode_t;

typedef struct entry_s {
    struct entry_s *next;          /* in its bucket */
    struct entry_s *gnext, *gprev; /* in its group's list */
    gnode_t *gn;
    uint64_t hash;
    bc_offsets_entry_t e; /* e.group is gn->name, not a copy */
} entry_t;

/* A group with at least one entry: its entries linked, so one group's
 * lookups (OffsetFetch, DescribeGroups, deletes) walk its entries only,
 * not the whole table. */
struct gnode_s {
    gnode_t *next; /* in its bucket */
    uint64_t ghash;
    char *name;
    entry_t *first;
    size_t count;
};

struct bc_offsets_s {
    bc_broker_t *broker;
    bc_offsets_conf_t conf;
    int32_t partitions;
    pthread_mutex_t *part_lock; /* [partitions]: serializes commits */
    pthread_mutex_t lock;       /* guards the table below */
    entry_t **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
    gnode_t **gbuckets; /* groups by ghash */
    size_t ngbuckets;   /* power of two */
    size_t ngroups;
};

/* ---- hashing and the table (caller holds off->lock) ------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *s = p;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t key_hash(const char *group, size_t glen, const char *topic,
                         size_t tlen, int32_t partition) {
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t p[4];

    h = fnv(h, group, glen);
    h = fnv(h, "\0", 1);
    h = fnv(h, topic, tlen);
    bc_put_be32(p, (uint32_t)partition);
    return fnv(h, p, 4);
}

static uint64_t group_hash(const char *group, size_t glen) {
    return fnv(0xcbf29ce484222325ull, group, glen);
}

static int str_eq(const char *s, const char *p, size_t n) {
    return strlen(s) == n && !memcmp(s, p, n);
}

static entry_t **find_slot(bc_offsets_t *off, uint64_t h, const char *group,
                           size_t glen, const char *topic, size_t tlen,
                           int32_t partition) {
    entry_t **pp = &off->buckets[h & (off->nbuckets - 1)];

    for (; *pp; pp = &(*pp)->next) {
        entry_t *x = *pp;

        if (x->hash == h && x->e.partition == partition &&
            str_eq(x->e.group, group, glen) && str_eq(x->e.topic, topic, tlen))
            return pp;
    }
    return pp;
}

static void grow(bc_offsets_t *off) {
    size_t n = off->nbuckets * 2;
    entry_t **b = bc_calloc(n, sizeof(*b));

    for (size_t i = 0; i < off->nbuckets; i++) {
        entry_t *x = off->buckets[i], *next;

        for (; x; x = next) {
            next = x->next;
            x->next = b[x->hash & (n - 1)];
            b[x->hash & (n - 1)] = x;
        }
    }
    free(off->buckets);
    off->buckets = b;
    off->nbuckets = n;
}

static void ggrow(bc_offsets_t *off) {
    size_t n = off->ngbuckets * 2;
    gnode_t **b = bc_calloc(n, sizeof(*b));

    for (size_t i = 0; i < off->ngbuckets; i++) {
        gnode_t *x = off->gbuckets[i], *next;

        for (; x; x = next) {
            next = x->next;
            x->next = b[x->ghash & (n - 1)];
            b[x->ghash & (n - 1)] = x;
        }
    }
    free(off->gbuckets);
    off->gbuckets = b;
    off->ngbuckets = n;
}

/* The group's node (created when add and absent), or NULL. */
static gnode_t *group_node(bc_offsets_t *off, const char *group, size_t glen,
                           bool add) {
    uint64_t gh = group_hash(group, glen);
    gnode_t **pp = &off->gbuckets[gh & (off->ngbuckets - 1)];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->ghash == gh && str_eq((*pp)->name, group, glen)) return *pp;
    if (!add) return NULL;
    gnode_t *g = bc_calloc(1, sizeof(*g));
    g->ghash = gh;
    g->name = bc_strndup(group, glen);
    *pp = g;
    if (++off->ngroups > off->ngbuckets) ggrow(off);
    return g;
}

/* Unlinks x from its group; the group goes with its last entry. */
static void group_unlink(bc_offsets_t *off, entry_t *x) {
    gnode_t *g = x->gn;
    if (x->gprev)
        x->gprev->gnext = x->gnext;
    else
        g->first = x->gnext;
    if (x->gnext) x->gnext->gprev = x->gprev;
    if (--g->count > 0) return;
    gnode_t **pp = &off->gbuckets[g->ghash & (off->ngbuckets - 1)];
    while (*pp != g)
        pp = &(*pp)->next;
    *pp = g->next;
    free(g->name);
    free(g);
    off->ngroups--;
}

static void entry_free(entry_t *x) {
    free(x->e.topic);
    free(x->e.metadata);
    free(x);
}

/* Inserts or replaces the entry of (group, topic, partition). */
static void table_put(bc_offsets_t *off, const char *group, size_t glen,
                      const char *topic, size_t tlen, int32_t partition,
                      int64_t offset, int32_t epoch, const char *md,
                      size_t mdlen, int64_t ts) {
    uint64_t h = key_hash(group, glen, topic, tlen, partition);
    entry_t **pp = find_slot(off, h, group, glen, topic, tlen, partition);
    entry_t *x = *pp;

    if (!x) {
        x = bc_calloc(1, sizeof(*x));
        x->hash = h;
        x->gn = group_node(off, group, glen, true);
        x->gnext = x->gn->first;
        if (x->gnext) x->gnext->gprev = x;
        x->gn->first = x;
        x->gn->count++;
        x->e.group = x->gn->name;
        x->e.topic = bc_strndup(topic, tlen);
        x->e.partition = partition;
        *pp = x;
        off->count++;
        if (off->count > off->nbuckets) grow(off);
    } else {
        free(x->e.metadata);
    }
    x->e.offset = offset;
    x->e.leader_epoch = epoch;
    x->e.metadata = bc_strndup(md ? md : "", md ? mdlen : 0);
    x->e.commit_ts_ms = ts;
}

static void table_del(bc_offsets_t *off, const char *group, size_t glen,
                      const char *topic, size_t tlen, int32_t partition) {
    uint64_t h = key_hash(group, glen, topic, tlen, partition);
    entry_t **pp = find_slot(off, h, group, glen, topic, tlen, partition);
    entry_t *x = *pp;

    if (!x) return;
    *pp = x->next;
    group_unlink(off, x);
    entry_free(x);
    off->count--;
}

/* ---- record format ---------------------------------------------------- */

size_t bc_offsets_encode_key(uint8_t *buf, size_t size, const char *group,
                             const char *topic, int32_t partition) {
    size_t g = strlen(group), t = strlen(topic);
    size_t need = 2 + 2 + g + 2 + t + 4;

    if (g > STR16_MAX || t > STR16_MAX || size < need)
        return g > STR16_MAX || t > STR16_MAX ? 0 : need;
    bc_put_be16(buf, 1);
    bc_put_be16(buf + 2, (uint16_t)g);
    memcpy(buf + 4, group, g);
    bc_put_be16(buf + 4 + g, (uint16_t)t);
    memcpy(buf + 6 + g, topic, t);
    bc_put_be32(buf + 6 + g + t, (uint32_t)partition);
    return need;
}

size_t bc_offsets_encode_value(uint8_t *buf, size_t size, int64_t offset,
                               int32_t leader_epoch, const char *metadata,
                               int64_t commit_ts_ms) {
    size_t m = metadata ? strlen(metadata) : 0;
    size_t need = 2 + 8 + 4 + 2 + m + 8;

    if (m > STR16_MAX) return 0;
    if (size < need) return need;
    bc_put_be16(buf, 3);
    bc_put_be64(buf + 2, (uint64_t)offset);
    bc_put_be32(buf + 10, (uint32_t)leader_epoch);
    bc_put_be16(buf + 14, (uint16_t)m);
    if (m) memcpy(buf + 16, metadata, m);
    bc_put_be64(buf + 16 + m, (uint64_t)commit_ts_ms);
    return need;
}

/* Reads a non-null int16-length string at *pos. */
static int get_str(const uint8_t *buf, size_t len, size_t *pos, const char **s,
                   size_t *n) {
    int16_t l;

    if (len - *pos < 2) return -1;
    l = (int16_t)bc_get_be16(buf + *pos);
    *pos += 2;
    if (l < 0 || (size_t)l > len - *pos) return -1;
    *s = (const char *)buf + *pos;
    *n = (size_t)l;
    *pos += (size_t)l;
    return 0;
}

int bc_offsets_decode_key(const uint8_t *buf, size_t len,
                          bc_offsets_key_t *key) {
    size_t pos = 2;

    memset(key, 0, sizeof(*key));
    if (!buf || len < 2) return BC_ERR_CORRUPT;
    key->version = (int16_t)bc_get_be16(buf);
    if (key->version != 0 && key->version != 1) return BC_ERR_NOT_FOUND;
    if (get_str(buf, len, &pos, &key->group, &key->group_len) ||
        get_str(buf, len, &pos, &key->topic, &key->topic_len) || len - pos != 4)
        return BC_ERR_CORRUPT;
    key->partition = (int32_t)bc_get_be32(buf + pos);
    return 0;
}

int bc_offsets_decode_value(const uint8_t *buf, size_t len,
                            bc_offsets_value_t *val) {
    size_t pos = 2;

    memset(val, 0, sizeof(*val));
    val->leader_epoch = -1;
    val->expire_ts_ms = -1;
    if (!buf || len < 2) return BC_ERR_CORRUPT;
    val->version = (int16_t)bc_get_be16(buf);
    if (val->version < 0 || val->version > 3) return BC_ERR_CORRUPT;
    if (len - pos < 8) return BC_ERR_CORRUPT;
    val->offset = (int64_t)bc_get_be64(buf + pos);
    pos += 8;
    if (val->version == 3) {
        if (len - pos < 4) return BC_ERR_CORRUPT;
        val->leader_epoch = (int32_t)bc_get_be32(buf + pos);
        pos += 4;
    }
    if (get_str(buf, len, &pos, &val->metadata, &val->metadata_len) ||
        len - pos < 8)
        return BC_ERR_CORRUPT;
    val->commit_ts_ms = (int64_t)bc_get_be64(buf + pos);
    pos += 8;
    if (val->version == 1) {
        if (len - pos < 8) return BC_ERR_CORRUPT;
        val->expire_ts_ms = (int64_t)bc_get_be64(buf + pos);
        pos += 8;
    }
    return pos == len ? 0 : BC_ERR_CORRUPT;
}

int32_t bc_offsets_partition_for(const char *group, int32_t partitions) {
    int32_t h = bc_group_java_hash(group, strlen(group));

    if (partitions < 1) return 0;
    return bc_group_java_abs(h) % partitions;
}

/* ---- load ------------------------------------------------------------- */

typedef struct load_ctx_s {
    bc_offsets_t *off;
    int32_t partition;
    bc_offsets_load_t *st;
    int err;
    char *errstr;
    size_t errstr_size;
} load_ctx_t;

static int load_record(void *opaque, const bc_record_t *rec) {
    load_ctx_t *c = opaque;
    bc_offsets_key_t k;
    bc_offsets_value_t v;
    int rc;

    c->st->records++;
    if (!rec->key || rec->key_len < 0) {
        c->st->skipped++;
        return 0;
    }
    rc = bc_offsets_decode_key(rec->key, (size_t)rec->key_len, &k);
    if (rc == BC_ERR_NOT_FOUND) {
        c->st->skipped++;
        return 0;
    }
    if (rc) {
        c->err = bc_err_set(BC_ERR_CORRUPT, c->errstr, c->errstr_size,
                            "%s-%d offset %lld: malformed commit key",
                            BC_OFFSETS_TOPIC, (int)c->partition,
                            (long long)rec->offset);
        return 1;
    }
    if (!rec->value || rec->value_len < 0) {
        table_del(c->off, k.group, k.group_len, k.topic, k.topic_len,
                  k.partition);
        c->st->tombstones++;
        return 0;
    }
    if (bc_offsets_decode_value(rec->value, (size_t)rec->value_len, &v)) {
        c->err = bc_err_set(BC_ERR_CORRUPT, c->errstr, c->errstr_size,
                            "%s-%d offset %lld: malformed commit value",
                            BC_OFFSETS_TOPIC, (int)c->partition,
                            (long long)rec->offset);
        return 1;
    }
    table_put(c->off, k.group, k.group_len, k.topic, k.topic_len, k.partition,
              v.offset, v.leader_epoch, v.metadata, v.metadata_len,
              v.commit_ts_ms);
    c->st->commits++;
    return 0;
}

static int load_partition(bc_offsets_t *off, int32_t p, bc_offsets_load_t *st,
                          char *errstr, size_t errstr_size) {
    bc_log_t *log = bc_broker_log(off->broker, BC_OFFSETS_TOPIC, p);
    load_ctx_t c = {off, p, st, 0, errstr, errstr_size};
    int64_t pos, end, next;
    int rc;

    if (!log) {
        bc_partition_state_t ps;
        if (bc_broker_partition_state(off->broker, BC_OFFSETS_TOPIC, p, &ps) ==
                0 &&
            ps.offline) {
            /* Its groups' commits are lost until it is repaired; their
             * new commits fail with BC_ERR_OFFLINE. */
            st->offline_partitions++;
            return 0;
        }
        return bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                          "%s-%d: partition missing", BC_OFFSETS_TOPIC, (int)p);
    }
    pos = bc_log_start_offset(log);
    end = bc_log_end_offset(log);
    while (pos < end) {
        next = pos;
        rc = bc_log_read(log, pos, LOAD_FETCH_BYTES, load_record, &c, &next,
                         errstr, errstr_size);
        if (c.err) return c.err;
        if (rc) return rc;
        if (next <= pos) break;
        pos = next;
    }
    return 0;
}

/* ---- public API ------------------------------------------------------- */

bc_offsets_t *bc_offsets_open(bc_broker_t *broker,
                              const bc_offsets_conf_t *conf, int64_t now_ms,
                              bc_offsets_load_t *load, char *errstr,
                              size_t errstr_size) {
    bc_offsets_t *off;
    bc_offsets_load_t st = {0};
    int32_t n;

    if (!broker) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size, "no broker");
        return NULL;
    }
    off = bc_calloc(1, sizeof(*off));
    off->broker = broker;
    if (conf) off->conf = *conf;
    if (off->conf.partitions <= 0) off->conf.partitions = BC_OFFSETS_PARTITIONS;
    if (off->conf.segment_bytes <= 0)
        off->conf.segment_bytes = DEFAULT_SEGMENT_BYTES;
    n = bc_broker_partitions(broker, BC_OFFSETS_TOPIC);
    if (n < 0) {
        bc_log_config_t cfg = bc_log_config_default();
        int rc;

        cfg.cleanup_policy = BC_CLEANUP_COMPACT;
        cfg.segment_bytes = off->conf.segment_bytes;
        rc = bc_broker_create_topic(broker, BC_OFFSETS_TOPIC,
                                    off->conf.partitions, &cfg, now_ms, errstr,
                                    errstr_size);
        if (rc && rc != BC_ERR_EXISTS) {
            free(off);
            return NULL;
        }
        n = bc_broker_partitions(broker, BC_OFFSETS_TOPIC);
        if (n < 1) {
            bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                       "%s: created but not found", BC_OFFSETS_TOPIC);
            free(off);
            return NULL;
        }
    }
    off->partitions = n;
    off->part_lock = bc_calloc((size_t)n, sizeof(*off->part_lock));
    for (int32_t i = 0; i < n; i++)
        pthread_mutex_init(&off->part_lock[i], NULL);
    pthread_mutex_init(&off->lock, NULL);
    off->nbuckets = 64;
    off->buckets = bc_calloc(off->nbuckets, sizeof(*off->buckets));
    off->ngbuckets = 16;
    off->gbuckets = bc_calloc(off->ngbuckets, sizeof(*off->gbuckets));
    for (int32_t p = 0; p < n; p++) {
        if (load_partition(off, p, &st, errstr, errstr_size)) {
            bc_offsets_close(off);
            return NULL;
        }
    }
    st.entries = (int64_t)off->count;
    if (load) *load = st;
    return off;
}

void bc_offsets_close(bc_offsets_t *off) {
    if (!off) return;
    for (size_t i = 0; i < off->nbuckets; i++) {
        entry_t *x = off->buckets[i], *next;

        for (; x; x = next) {
            next = x->next;
            entry_free(x);
        }
    }
    free(off->buckets);
    for (size_t i = 0; i < off->ngbuckets; i++)
        for (gnode_t *g = off->gbuckets[i], *next; g; g = next) {
            next = g->next;
            free(g->name);
            free(g);
        }
    free(off->gbuckets);
    for (int32_t i = 0; i < off->partitions; i++)
        pthread_mutex_destroy(&off->part_lock[i]);
    free(off->part_lock);
    pthread_mutex_destroy(&off->lock);
    free(off);
}

int32_t bc_offsets_partitions(const bc_offsets_t *off) {
    return off->partitions;
}

int bc_offsets_commit(bc_offsets_t *off, const char *group,
                      const bc_offsets_commit_t *commits, size_t n,
                      int64_t now_ms, char *errstr, size_t errstr_size) {
    bc_record_in_t *recs = NULL;
    uint8_t *buf = NULL;
    size_t total = 0, pos = 0;
    int32_t p;
    int rc;

    if (!group || !group[0] || strlen(group) > STR16_MAX)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "commit: group id must be 1..%d bytes", STR16_MAX);
    if (!n || !commits)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "commit: no offsets given");
    for (size_t i = 0; i < n; i++) {
        const bc_offsets_commit_t *c = &commits[i];
        size_t md = c->metadata ? strlen(c->metadata) : 0;

        if (!c->topic || !c->topic[0] || strlen(c->topic) > STR16_MAX ||
            c->partition < 0)
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "commit: entry %zu: bad topic or partition", i);
        if (c->offset < 0)
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "commit: %s-%d: offset %lld is negative",
                              c->topic, (int)c->partition,
                              (long long)c->offset);
        if (md > BC_OFFSETS_METADATA_MAX)
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "commit: %s-%d: metadata is %zu bytes, over "
                              "offset.metadata.max.bytes %d",
                              c->topic, (int)c->partition, md,
                              BC_OFFSETS_METADATA_MAX);
        total += bc_offsets_encode_key(NULL, 0, group, c->topic, c->partition);
        total += bc_offsets_encode_value(NULL, 0, c->offset, c->leader_epoch,
                                         c->metadata, now_ms);
    }
    recs = bc_calloc(n, sizeof(*recs));
    buf = bc_malloc(total);
    for (size_t i = 0; i < n; i++) {
        const bc_offsets_commit_t *c = &commits[i];
        size_t k = bc_offsets_encode_key(buf + pos, total - pos, group,
                                         c->topic, c->partition);
        size_t v;

        recs[i].key = buf + pos;
        recs[i].key_len = (int32_t)k;
        pos += k;
        v = bc_offsets_encode_value(buf + pos, total - pos, c->offset,
                                    c->leader_epoch, c->metadata, now_ms);
        recs[i].value = buf + pos;
        recs[i].value_len = (int32_t)v;
        recs[i].timestamp = now_ms;
        pos += v;
    }
    p = bc_offsets_partition_for(group, off->partitions);
    pthread_mutex_lock(&off->part_lock[p]);
    rc = bc_broker_append(off->broker, BC_OFFSETS_TOPIC, p, recs, n,
                          off->conf.durable ? BC_APPEND_SYNC : 0, now_ms, NULL,
                          errstr, errstr_size);
    if (rc == 0) {
        pthread_mutex_lock(&off->lock);
        for (size_t i = 0; i < n; i++) {
            const bc_offsets_commit_t *c = &commits[i];
            const char *md = c->metadata ? c->metadata : "";

            table_put(off, group, strlen(group), c->topic, strlen(c->topic),
                      c->partition, c->offset, c->leader_epoch, md, strlen(md),
                      now_ms);
        }
        pthread_mutex_unlock(&off->lock);
        if (off->conf.listener)
            for (size_t i = 0; i < n; i++)
                off->conf.listener(off->conf.opaque, group, commits[i].topic,
                                   commits[i].partition, commits[i].offset,
                                   now_ms);
    }
    pthread_mutex_unlock(&off->part_lock[p]);
    free(recs);
    free(buf);
    return rc;
}

int bc_offsets_fetch(bc_offsets_t *off, const char *group, const char *topic,
                     int32_t partition, int64_t *offset,
                     int64_t *commit_ts_ms) {
    entry_t **pp;
    int rc = BC_ERR_NOT_FOUND;
    size_t gl, tl;

    *offset = -1;
    if (!group || !topic) return BC_ERR_INVALID;
    gl = strlen(group);
    tl = strlen(topic);
    pthread_mutex_lock(&off->lock);
    pp = find_slot(off, key_hash(group, gl, topic, tl, partition), group, gl,
                   topic, tl, partition);
    if (*pp) {
        *offset = (*pp)->e.offset;
        if (commit_ts_ms) *commit_ts_ms = (*pp)->e.commit_ts_ms;
        rc = 0;
    }
    pthread_mutex_unlock(&off->lock);
    return rc;
}

static int entry_cmp(const void *a, const void *b) {
    const bc_offsets_entry_t *x = a, *y = b;
    int c = strcmp(x->group, y->group);

    if (c) return c;
    c = strcmp(x->topic, y->topic);
    if (c) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

bc_offsets_entry_t *bc_offsets_entries(bc_offsets_t *off, const char *group,
                                       size_t *n) {
    bc_offsets_entry_t *out;
    size_t k = 0;

    pthread_mutex_lock(&off->lock);
    /* one group's: its own list; else the whole table */
    gnode_t *g = group ? group_node(off, group, strlen(group), false) : NULL;
    size_t want = group ? (g ? g->count : 0) : off->count;
    out = bc_calloc(want ? want : 1, sizeof(*out));
    for (size_t i = 0; !group && i < off->nbuckets; i++)
        for (entry_t *x = off->buckets[i]; x; x = x->next)
            out[k++] = x->e;
    for (entry_t *x = g ? g->first : NULL; x; x = x->gnext)
        out[k++] = x->e;
    for (size_t i = 0; i < k; i++) {
        out[i].group = bc_strdup(out[i].group);
        out[i].topic = bc_strdup(out[i].topic);
        out[i].metadata = bc_strdup(out[i].metadata);
    }
    pthread_mutex_unlock(&off->lock);
    qsort(out, k, sizeof(*out), entry_cmp);
    *n = k;
    return out;
}

bool bc_offsets_has_group(bc_offsets_t *off, const char *group) {
    pthread_mutex_lock(&off->lock);
    bool found = group_node(off, group, strlen(group), false) != NULL;
    pthread_mutex_unlock(&off->lock);
    return found;
}

void bc_offsets_entries_free(bc_offsets_entry_t *e, size_t n) {
    if (!e) return;
    for (size_t i = 0; i < n; i++) {
        free(e[i].group);
        free(e[i].topic);
        free(e[i].metadata);
    }
    free(e);
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **bc_offsets_list_groups(bc_offsets_t *off, size_t *n) {
    size_t k = 0;
    pthread_mutex_lock(&off->lock);
    char **names = bc_calloc(off->ngroups ? off->ngroups : 1, sizeof(*names));
    for (size_t i = 0; i < off->ngbuckets; i++)
        for (gnode_t *g = off->gbuckets[i]; g; g = g->next)
            names[k++] = bc_strdup(g->name);
    pthread_mutex_unlock(&off->lock);
    qsort(names, k, sizeof(*names), name_cmp);
    *n = k;
    return names;
}

void bc_offsets_names_free(char **names, size_t n) {
    if (!names) return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int bc_offsets_delete_group(bc_offsets_t *off, const char *group,
                            int64_t now_ms, char *errstr, size_t errstr_size) {
    bc_offsets_entry_t *e;
    bc_record_in_t *recs;
    uint8_t *buf;
    size_t n, total = 0, pos = 0;
    int32_t p;
    int rc = 0;

    if (!group || !group[0])
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "delete: empty group id");
    p = bc_offsets_partition_for(group, off->partitions);
    pthread_mutex_lock(&off->part_lock[p]);
    /* Listing under the partition mutex: no commit of this group can
     * slip in between the listing and the tombstones. */
    e = bc_offsets_entries(off, group, &n);
    if (!n) goto out;
    for (size_t i = 0; i < n; i++)
        total +=
            bc_offsets_encode_key(NULL, 0, group, e[i].topic, e[i].partition);
    recs = bc_calloc(n, sizeof(*recs));
    buf = bc_malloc(total);
    for (size_t i = 0; i < n; i++) {
        size_t k = bc_offsets_encode_key(buf + pos, total - pos, group,
                                         e[i].topic, e[i].partition);

        recs[i].key = buf + pos;
        recs[i].key_len = (int32_t)k;
        recs[i].value = NULL;
        recs[i].value_len = -1;
        recs[i].timestamp = now_ms;
        pos += k;
    }
    rc = bc_broker_append(off->broker, BC_OFFSETS_TOPIC, p, recs, n,
                          off->conf.durable ? BC_APPEND_SYNC : 0, now_ms, NULL,
                          errstr, errstr_size);
    if (rc == 0) {
        pthread_mutex_lock(&off->lock);
        for (size_t i = 0; i < n; i++)
            table_del(off, group, strlen(group), e[i].topic, strlen(e[i].topic),
                      e[i].partition);
        pthread_mutex_unlock(&off->lock);
        if (off->conf.listener)
            for (size_t i = 0; i < n; i++)
                off->conf.listener(off->conf.opaque, group, e[i].topic,
                                   e[i].partition, -1, now_ms);
    }
    free(recs);
    free(buf);
out:
    bc_offsets_entries_free(e, n);
    pthread_mutex_unlock(&off->part_lock[p]);
    return rc;
}
