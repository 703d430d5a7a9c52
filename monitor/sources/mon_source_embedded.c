/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_embedded: see mon_source_embedded.h. */
#include "monitor/sources/mon_source_embedded.h"
#include "monitor/base/mon_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_strmap.h"
#include "monitor/base/mon_worker.h"

typedef struct owner_s {
    char *owner;
    char *client_id;
} owner_t;

typedef struct embedded_s {
    mon_source_t base; /* first: the vtable the daemon sees */
    char *name;
    mon_store_t *st;
    mon_store_cluster_t *cl;
    bc_broker_t *broker;
    bc_offsets_t *off;
    bc_coord_t *coord;
    pthread_mutex_t wire_lock; /* guards kgroup */
    bc_kgroup_t *kgroup;       /* groups of Kafka clients, or NULL */
    int listener_id;
    atomic_int_fast64_t events;
    /* owners: "group\0topic\0partition" -> owner_t, from the coordinator */
    pthread_mutex_t owners_lock; /* guards owners */
    mon_strmap_t *owners;
    /* topics already announced to the store with their partition count */
    mon_strmap_t *known; /* housekeeping thread only */
    /* housekeeping thread */
    mon_worker_t *housekeeping; /* NULL when not running */
    /* the tailer: applies __consumer_offsets to the store from the
     * store's place in it (woken by every commit) */
    mon_worker_t *tailer; /* NULL when not running */
    int64_t *next;        /* tailer only: next offset per partition */
    int32_t n_next;
    mon_store_pos_t at;    /* tailer only: the record being applied */
    int tail_error_logged; /* tailer only */
    int64_t read_records;  /* tailer only: records read, commits among */
    int64_t read_commits;  /* them, and of those the ones the store */
    int64_t read_dropped;  /* dropped (no head, filtered, over its bound):
                            * the start's counts, see tailer_start */
    pthread_mutex_t lock;  /* guards last_error*, last_tick_ms, tick* */
    int stop;
    char last_error[256];
    int64_t last_error_ms;
    int64_t last_tick_ms;
    int64_t tick_ms;      /* duration of the last tick */
    uint64_t ticks;       /* ticks done */
    uint64_t tick_errors; /* ticks whose maintenance failed */
    int32_t offline_n;    /* set at open, read-only after */
    char offline[512];
} embedded_t;

static int internal_topic(const char *topic) {
    return topic[0] == '_' && topic[1] == '_';
}

/* A head sample is stamped on the daemon's clock, as commits are: the
 * append's own time is its producer's (a Kafka client's, or the wall
 * clock that a system-clock step moves), and the warren rules align heads
 * with commits by time. */
static void on_append(void *opaque, const char *topic, int32_t partition,
                      int64_t leo, int64_t now_ms) {
    embedded_t *e = opaque;
    (void)now_ms;
    if (internal_topic(topic)) return;
    mon_store_head(e->cl, topic, partition, 0, leo, mon_clock_wall_ms());
    atomic_fetch_add(&e->events, 1);
}

static size_t owner_key(char *buf, size_t size, const char *group,
                        const char *topic, int32_t partition) {
    int n =
        snprintf(buf, size, "%s%c%s%c%d", group, 0, topic, 0, (int)partition);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

typedef struct find_tp_s {
    const char *topic;
    int32_t partition;
    int found;
} find_tp_t;

static void find_tp(void *opaque, const char *topic, size_t topic_len,
                    int32_t partition) {
    find_tp_t *f = opaque;
    if (partition == f->partition && strlen(f->topic) == topic_len &&
        !memcmp(f->topic, topic, topic_len))
        f->found = 1;
}

/* The member of wire group `group` assigned topic/partition: 1 with its
 * host and client id copied out, else 0. Takes wire_lock, then the wire
 * coordinator's mutex (never held while calling bc_offsets). */
static int wire_owner_of(embedded_t *e, const char *group, const char *topic,
                         int32_t partition, int64_t now_ms, char *owner,
                         size_t osz, char *client, size_t csz) {
    int found = 0;
    pthread_mutex_lock(&e->wire_lock);
    bc_kgroup_desc_t *d =
        e->kgroup ? bc_kgroup_describe(e->kgroup, group, now_ms) : NULL;
    for (size_t m = 0; d && m < d->member_cnt && !found; m++) {
        find_tp_t f = {topic, partition, 0};
        (void)bc_kgroup_decode_assignment(d->members[m].assignment,
                                          (size_t)d->members[m].assignment_len,
                                          find_tp, &f);
        if (f.found) {
            snprintf(owner, osz, "%s", d->members[m].host);
            snprintf(client, csz, "%s", d->members[m].client_id);
            found = 1;
        }
    }
    bc_kgroup_desc_free(d);
    pthread_mutex_unlock(&e->wire_lock);
    return found;
}

/* A commit is in the log: the tailer applies it from there. Runs on the
 * committing thread with the group's partition mutex held: only wakes. */
static void on_commit(void *opaque, const char *group, const char *topic,
                      int32_t partition, int64_t offset, int64_t t_ms) {
    embedded_t *e = opaque;
    (void)group;
    (void)topic;
    (void)partition;
    (void)offset;
    (void)t_ms;
    mon_worker_wake(e->tailer);
}

/* Applies one commit record at e->at, with its owner from the
 * coordinators (tailer thread). */
static void apply_commit(embedded_t *e, const char *group, const char *topic,
                         int32_t partition, int64_t offset, int64_t t_ms) {
    char key[1024];
    const char *owner = NULL, *client = NULL;
    char obuf[256], cbuf[256];
    size_t klen = owner_key(key, sizeof(key), group, topic, partition);
    pthread_mutex_lock(&e->owners_lock);
    owner_t *o = klen ? mon_strmap_get(e->owners, key, klen) : NULL;
    if (o) {
        snprintf(obuf, sizeof(obuf), "%s", o->owner);
        snprintf(cbuf, sizeof(cbuf), "%s", o->client_id);
        owner = obuf;
        client = cbuf;
    }
    pthread_mutex_unlock(&e->owners_lock);
    /* A Kafka client commits right after its group settles, often before
     * the next owners refresh: ask the wire coordinator directly. */
    if (!owner && wire_owner_of(e, group, topic, partition, t_ms, obuf,
                                sizeof(obuf), cbuf, sizeof(cbuf))) {
        owner = obuf;
        client = cbuf;
    }
    int rc = mon_store_commit_at(e->cl, group, topic, partition, offset, t_ms,
                                 owner, client, &e->at, false);
    if (rc != MON_STORE_DROP_REPLAYED) atomic_fetch_add(&e->events, 1);
    if (rc != MON_STORE_STORED && rc != MON_STORE_MERGED &&
        rc != MON_STORE_DROP_REPLAYED && rc != MON_STORE_DROP_UNCHANGED)
        e->read_dropped++;
}

/* One record of __consumer_offsets at e->at: a commit is applied (once:
 * the store keeps its place), anything else (deletions, which let the
 * group expire by itself, other key versions) only moves the place. */
static int tail_record(void *opaque, const bc_record_t *rec) {
    embedded_t *e = opaque;
    bc_offsets_key_t k;
    bc_offsets_value_t v;
    e->at.offset = rec->offset;
    e->read_records++;
    if (rec->key && rec->value &&
        bc_offsets_decode_key(rec->key, (size_t)rec->key_len, &k) == 0 &&
        bc_offsets_decode_value(rec->value, (size_t)rec->value_len, &v) == 0 &&
        v.offset >= 0) {
        char *group = mon_strndup(k.group, k.group_len);
        char *topic = mon_strndup(k.topic, k.topic_len);
        e->read_commits++;
        if (!internal_topic(topic))
            apply_commit(e, group, topic, k.partition, v.offset,
                         v.commit_ts_ms);
        else
            mon_store_advance(e->cl, &e->at);
        free(group);
        free(topic);
    } else {
        mon_store_advance(e->cl, &e->at);
    }
    return 0;
}

/* Where the tailer starts in partition p: the store's place (from the
 * snapshot), else the log's start (the whole topic is read: Burrow's
 * backfill), except for a cluster restored from a snapshot that kept no
 * places (written before they existed), whose commits the snapshot holds
 * already: that one starts at the log's end. */
static int64_t tail_start(embedded_t *e, int32_t p, bc_log_t *log,
                          bool restored_without_places) {
    int64_t next = mon_store_position(e->cl, p);
    if (next >= 0) return next;
    if (restored_without_places) {
        int64_t leo = bc_log_end_offset(log);
        if (leo > 0) {
            mon_store_pos_t pos = {p, leo - 1};
            mon_store_advance(e->cl, &pos);
        }
        return leo;
    }
    return bc_log_start_offset(log);
}

/* Reads every partition of __consumer_offsets up to its end. Returns
 * whether anything was read. */
static bool tail_once(embedded_t *e) {
    bool any = false;
    char err[MON_ERRSTR_SIZE];
    for (int32_t p = 0; p < e->n_next; p++) {
        bc_log_t *log = bc_broker_log(e->broker, BC_OFFSETS_TOPIC, p);
        if (!log) continue; /* offline (bc_broker on-corruption) */
        for (;;) {
            int64_t from = e->next[p], next = from;
            int64_t start = bc_log_start_offset(log);
            if (from < start) from = next = start; /* retention moved on */
            if (from >= bc_log_end_offset(log)) break;
            e->at.part = p;
            int rc = bc_log_read(log, from, 1 << 20, tail_record, e, &next, err,
                                 sizeof(err));
            if (rc != 0 || next <= from) {
                if (rc != 0 && !e->tail_error_logged++)
                    mon_log_kv(
                        MON_LOG_WARN,
                        MON_LOG_FIELDS(MON_LF_STR("cluster", e->name),
                                       MON_LF_STR("topic", BC_OFFSETS_TOPIC),
                                       MON_LF_INT("partition", p),
                                       MON_LF_STR("error", err)),
                        "committed offsets not read");
                break;
            }
            e->next[p] = next;
            any = true;
        }
    }
    return any;
}

static void tailer(mon_worker_t *w, void *arg) {
    embedded_t *e = arg;
    do {
        while (!mon_worker_stopping(w) && tail_once(e))
            ;
    } while (!mon_worker_sleep(w, 1000));
}

/* Starts the tailer at the store's places (see tail_start), after
 * reading what the log holds beyond them: from the log's start on a first
 * start (every group that ever committed, with its window: Burrow's
 * backfill-earliest), since the snapshot on a restart. Memory stays
 * bounded whatever the log's size: it is read 1 MiB at a time and each
 * group partition keeps only its window. One line tells what was read and
 * how long it took; the read counts as the source's first refresh. */
static int tailer_start(embedded_t *e, char *errstr, size_t errstr_size) {
    char name[64];
    e->n_next = bc_offsets_partitions(e->off);
    e->next =
        mon_calloc((size_t)(e->n_next > 0 ? e->n_next : 1), sizeof(*e->next));
    mon_store_names_t groups = {0};
    bool resumed = mon_store_position_count(e->cl) > 0;
    bool restored_without_places =
        !resumed && mon_store_groups(e->st, e->name, INT64_MIN, &groups) == 0 &&
        groups.count > 0;
    mon_store_names_free(&groups);
    int64_t bytes = 0;
    for (int32_t p = 0; p < e->n_next; p++) {
        bc_log_t *log = bc_broker_log(e->broker, BC_OFFSETS_TOPIC, p);
        e->next[p] = log ? tail_start(e, p, log, restored_without_places) : 0;
        bc_log_stats_t ls;
        if (log && e->next[p] < bc_log_end_offset(log)) {
            bc_log_stats(log, &ls);
            bytes += ls.bytes;
        }
    }
    int64_t t0 = mon_clock_mono_ms();
    e->read_records = e->read_commits = e->read_dropped = 0;
    tail_once(e); /* before the first evaluation */
    int64_t ms = mon_clock_mono_ms() - t0;
    size_t n_groups = 0;
    if (mon_store_groups(e->st, e->name, INT64_MIN, &groups) == 0)
        n_groups = groups.count;
    mon_store_names_free(&groups);
    mon_log_kv(MON_LOG_INFO,
               MON_LOG_FIELDS(
                   MON_LF_STR("cluster", e->name),
                   MON_LF_STR("from", resumed                   ? "snapshot"
                                      : restored_without_places ? "log end"
                                                                : "log start"),
                   MON_LF_INT("records", e->read_records),
                   MON_LF_INT("commits", e->read_commits),
                   MON_LF_INT("dropped", e->read_dropped),
                   MON_LF_INT("groups", (int64_t)n_groups),
                   MON_LF_INT("log_bytes", bytes), MON_LF_INT("ms", ms)),
               "committed offsets read");
    pthread_mutex_lock(&e->lock);
    e->last_tick_ms = mon_clock_wall_ms();
    pthread_mutex_unlock(&e->lock);
    snprintf(name, sizeof(name), "offsets %s", e->name);
    return mon_worker_start(&e->tailer, name, tailer, e, errstr, errstr_size);
}

static int32_t partitions_cb(void *opaque, const char *topic) {
    embedded_t *e = opaque;
    int32_t n = bc_broker_partitions(e->broker, topic);
    return n < 0 ? -1 : n;
}

/* Samples every partition's log-end offset and log start, and each
 * topic's retention.ms / retention.bytes, into the store: at start, so
 * commits to partitions nobody produced to yet count, and every tick, as
 * a Kafka source samples heads every refresh. Appends add their own
 * samples; without these an idle topic's head ring would hold only the
 * samples of its last burst of appends, all within a millisecond or so,
 * a span no producer rate can be measured over (its groups stayed
 * warming up for good). */
static void sync_topics(embedded_t *e, int64_t now_ms) {
    char **names = NULL;
    size_t n = 0;
    if (bc_broker_list_topics(e->broker, &names, &n) != 0) return;
    for (size_t i = 0; i < n; i++) {
        const char *t = names[i];
        if (internal_topic(t)) continue;
        int32_t parts = bc_broker_partitions(e->broker, t);
        intptr_t known = (intptr_t)mon_strmap_get(e->known, t, strlen(t));
        if (parts <= 0) continue;
        for (int32_t p = 0; p < parts; p++) {
            bc_log_t *log = bc_broker_log(e->broker, t, p);
            if (!log) continue;
            mon_store_head(e->cl, t, p, parts, bc_log_end_offset(log), now_ms);
            mon_store_log_start(e->cl, t, p, bc_log_start_offset(log), now_ms);
        }
        bc_log_config_t lc;
        int32_t np;
        if (bc_broker_topic_config(e->broker, t, &lc, &np) == 0) {
            bool del = (lc.cleanup_policy & BC_CLEANUP_DELETE) != 0;
            mon_store_topic_config(e->cl, t, del ? lc.retention_ms : -1,
                                   del ? lc.retention_bytes : -1);
        }
        if (known != parts)
            mon_strmap_put(e->known, t, strlen(t), (void *)(intptr_t)parts);
    }
    bc_broker_free_topics(names, n);
}

static int free_owner_cb(const char *key, size_t len, void *value, void *arg) {
    (void)key;
    (void)len;
    (void)arg;
    owner_t *o = value;
    free(o->owner);
    free(o->client_id);
    free(o);
    return 0;
}

static void put_owner(mon_strmap_t *m, const char *group, const char *topic,
                      int32_t partition, const char *host,
                      const char *client_id) {
    char key[1024];
    size_t klen = owner_key(key, sizeof(key), group, topic, partition);
    if (!klen) return;
    owner_t *o = mon_malloc(sizeof(*o));
    o->owner = mon_strdup(host ? host : "");
    o->client_id = mon_strdup(client_id ? client_id : "");
    owner_t *old = mon_strmap_put(m, key, klen, o);
    if (old) free_owner_cb(NULL, 0, old, NULL);
}

typedef struct wire_owner_s {
    mon_strmap_t *m;
    const char *group;
    const bc_kgroup_desc_member_t *mb;
    /* the member's assignment, for the group's membership */
    mon_member_tp_t *tps;
    size_t n, cap;
} wire_owner_t;

static void wire_tp(void *opaque, const char *topic, size_t topic_len,
                    int32_t partition) {
    wire_owner_t *w = opaque;
    char *t = mon_strndup(topic, topic_len);
    put_owner(w->m, w->group, t, partition, w->mb->host, w->mb->client_id);
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->tps = mon_realloc(w->tps, w->cap * sizeof(*w->tps));
    }
    w->tps[w->n++] = (mon_member_tp_t){t, partition}; /* t freed below */
}

/* Frees the topic names a wire_owner_t collected. */
static void wire_tps_free(wire_owner_t *w) {
    for (size_t i = 0; i < w->n; i++)
        free((char *)w->tps[i].topic);
    free(w->tps);
}

/* Owners of the groups Kafka clients run through the wire coordinator:
 * their assignments are the consumer protocol's bytes. */
static void sync_wire_owners(embedded_t *e, mon_strmap_t *fresh,
                             int64_t now_ms) {
    pthread_mutex_lock(&e->wire_lock);
    if (!e->kgroup) {
        pthread_mutex_unlock(&e->wire_lock);
        return;
    }
    size_t ng = 0;
    char **groups = bc_kgroup_list(e->kgroup, &ng);
    for (size_t g = 0; g < ng; g++) {
        bc_kgroup_desc_t *d = bc_kgroup_describe(e->kgroup, groups[g], now_ms);
        size_t nm = d ? d->member_cnt : 0;
        wire_owner_t *ws = mon_calloc(nm + 1, sizeof(*ws));
        mon_member_t *mv = mon_calloc(nm + 1, sizeof(*mv));
        for (size_t m = 0; m < nm; m++) {
            const bc_kgroup_desc_member_t *mb = &d->members[m];
            ws[m] = (wire_owner_t){.m = fresh, .group = groups[g], .mb = mb};
            (void)bc_kgroup_decode_assignment(
                mb->assignment, (size_t)mb->assignment_len, wire_tp, &ws[m]);
            mv[m] = (mon_member_t){.member_id = mb->member_id,
                                   .instance_id = mb->group_instance_id,
                                   .client_id = mb->client_id,
                                   .host = mb->host,
                                   .assigned = ws[m].tps,
                                   .n_assigned = ws[m].n};
        }
        if (d) {
            mon_group_members_t gm = {.state = d->state,
                                      .protocol_type = d->protocol_type,
                                      .protocol = d->protocol,
                                      .generation = d->generation,
                                      .t_ms = now_ms,
                                      .members = mv,
                                      .count = nm};
            mon_store_members(e->cl, groups[g], &gm);
        }
        for (size_t m = 0; m < nm; m++)
            wire_tps_free(&ws[m]);
        free(ws);
        free(mv);
        bc_kgroup_desc_free(d);
        free(groups[g]);
    }
    free(groups);
    pthread_mutex_unlock(&e->wire_lock);
}

void mon_source_embedded_set_wire_groups(mon_source_t *src, bc_kgroup_t *kg) {
    embedded_t *e = (embedded_t *)src;
    pthread_mutex_lock(&e->wire_lock);
    e->kgroup = kg;
    pthread_mutex_unlock(&e->wire_lock);
}

/* Rebuilds the owners table from the coordinators' group descriptions. */
static void sync_owners(embedded_t *e, int64_t now_ms) {
    mon_strmap_t *fresh = mon_strmap_new();
    sync_wire_owners(e, fresh, now_ms);
    size_t ng = 0;
    char **groups = bc_coord_list_groups(e->coord, &ng);
    for (size_t g = 0; g < ng; g++) {
        bc_coord_desc_t *d = bc_coord_describe(e->coord, groups[g], now_ms);
        if (!d) continue;
        mon_member_t *mv = mon_calloc(d->member_cnt + 1, sizeof(*mv));
        size_t ntp = 0, k = 0;
        for (size_t m = 0; m < d->member_cnt; m++)
            ntp += d->members[m].assignment_cnt;
        mon_member_tp_t *tv = mon_calloc(ntp + 1, sizeof(*tv));
        for (size_t m = 0; m < d->member_cnt; m++) {
            const bc_coord_member_t *mb = &d->members[m];
            mv[m] = (mon_member_t){.member_id = mb->member_id,
                                   .client_id = mb->client_id,
                                   .host = mb->host,
                                   .assigned = &tv[k],
                                   .n_assigned = mb->assignment_cnt};
            for (size_t a = 0; a < mb->assignment_cnt; a++, k++) {
                put_owner(fresh, groups[g], mb->assignment[a].topic,
                          mb->assignment[a].partition, mb->host, mb->client_id);
                tv[k] = (mon_member_tp_t){mb->assignment[a].topic,
                                          mb->assignment[a].partition};
            }
        }
        mon_group_members_t gm = {.state = bc_coord_state_name(d->state),
                                  .protocol_type = "consumer",
                                  .protocol = d->protocol,
                                  .generation = d->generation,
                                  .t_ms = now_ms,
                                  .members = mv,
                                  .count = d->member_cnt};
        mon_store_members(e->cl, groups[g], &gm);
        free(mv);
        free(tv);
        bc_coord_desc_free(d);
    }
    bc_coord_names_free(groups, ng);
    pthread_mutex_lock(&e->owners_lock);
    mon_strmap_t *old = e->owners;
    e->owners = fresh;
    pthread_mutex_unlock(&e->owners_lock);
    mon_strmap_each(old, free_owner_cb, NULL);
    mon_strmap_destroy(old);
}

static void set_error(embedded_t *e, const char *msg) {
    pthread_mutex_lock(&e->lock);
    /* cut to the status's size */
    snprintf(e->last_error, sizeof(e->last_error), "%.*s",
             (int)sizeof(e->last_error) - 1, msg);
    e->last_error_ms = mon_clock_wall_ms();
    pthread_mutex_unlock(&e->lock);
}

static void housekeeping(mon_worker_t *w, void *arg) {
    embedded_t *e = arg;
    do {
        int64_t now = mon_clock_wall_ms();
        int64_t t0 = mon_clock_mono_ms();
        char err[MON_ERRSTR_SIZE];
        bool failed = false;
        if (bc_broker_tick(e->broker, now, err, sizeof(err)) != 0) {
            failed = true;
            mon_log_kv(MON_LOG_WARN,
                       MON_LOG_FIELDS(MON_LF_STR("cluster", e->name),
                                      MON_LF_STR("error", err)),
                       "broker maintenance failed");
            set_error(e, err);
        }
        bc_coord_tick(e->coord, now);
        sync_topics(e, now);
        sync_owners(e, now);
        pthread_mutex_lock(&e->lock);
        e->last_tick_ms = now;
        e->tick_ms = mon_clock_mono_ms() - t0;
        e->ticks++;
        if (failed) e->tick_errors++;
        pthread_mutex_unlock(&e->lock);
    } while (!mon_worker_sleep(w, 1000));
}

static int emb_start(mon_source_t *src, char *errstr, size_t errstr_size) {
    embedded_t *e = (embedded_t *)src;
    char name[64];
    /* heads first: a commit to a topic the store has no head for is
     * dropped, and its place passed */
    sync_topics(e, mon_clock_wall_ms());
    if (tailer_start(e, errstr, errstr_size) != 0) return -1;
    snprintf(name, sizeof(name), "cluster %s", e->name);
    return mon_worker_start(&e->housekeeping, name, housekeeping, e, errstr,
                            errstr_size);
}

static void emb_stop(mon_source_t *src) {
    embedded_t *e = (embedded_t *)src;
    mon_worker_stop(&e->housekeeping);
    mon_worker_stop(&e->tailer);
}

static void emb_destroy(mon_source_t *src) {
    embedded_t *e = (embedded_t *)src;
    emb_stop(src);
    if (e->broker && e->listener_id >= 0)
        bc_broker_remove_listener(e->broker, e->listener_id);
    bc_offsets_close(e->off);
    bc_coord_destroy(e->coord);
    if (e->broker && bc_broker_close(e->broker) != 0)
        mon_log_kv(MON_LOG_WARN, MON_LOG_FIELDS(MON_LF_STR("cluster", e->name)),
                   "broker closed with an error");
    if (e->owners) {
        mon_strmap_each(e->owners, free_owner_cb, NULL);
        mon_strmap_destroy(e->owners);
    }
    mon_strmap_destroy(e->known);
    pthread_mutex_destroy(&e->owners_lock);
    pthread_mutex_destroy(&e->wire_lock);
    pthread_mutex_destroy(&e->lock);
    free(e->next);
    free(e->name);
    free(e);
}

static void emb_status(mon_source_t *src, mon_source_status_t *out) {
    embedded_t *e = (embedded_t *)src;
    memset(out, 0, sizeof(*out));
    out->kind = "embedded";
    out->available = 1;
    out->events = atomic_load(&e->events);
    out->offline_partitions = e->offline_n;
    snprintf(out->offline, sizeof(out->offline), "%s", e->offline);
    pthread_mutex_lock(&e->lock);
    snprintf(out->last_error, sizeof(out->last_error), "%s", e->last_error);
    out->last_error_ms = e->last_error_ms;
    out->last_refresh_ms = e->last_tick_ms;
    out->refresh_duration_ms = e->tick_ms;
    out->refreshes = e->ticks;
    out->refresh_errors = e->tick_errors;
    pthread_mutex_unlock(&e->lock);
}

static int emb_time_lag(mon_source_t *src, const char *topic, int32_t partition,
                        int64_t offset, int64_t now_ms, double *secs) {
    embedded_t *e = (embedded_t *)src;
    bc_log_t *log = bc_broker_log(e->broker, topic, partition);
    if (!log) return -1;
    if (offset >= bc_log_end_offset(log)) {
        *secs = 0;
        return 0;
    }
    int64_t ts = 0, found = -1;
    if (bc_log_timestamp_of(log, offset, &ts, &found) != 0 || found < 0)
        return -1;
    *secs = now_ms > ts ? (double)(now_ms - ts) / 1000.0 : 0;
    return 0;
}

/* Recovery reports of the broker (truncated torn tails, repairs). */
static void broker_msg(void *opaque, const char *msg) {
    embedded_t *e = opaque;
    mon_log_kv(MON_LOG_WARN,
               MON_LOG_FIELDS(MON_LF_STR("cluster", e->name),
                              MON_LF_STR("detail", msg)),
               "embedded broker recovery");
}

/* Logs each partition the broker left offline, one error line naming the
 * file and byte, and keeps a summary for the status. */
static void note_offline(embedded_t *e, const char *data_dir) {
    bc_offline_t *v = NULL;
    size_t n = bc_broker_offline(e->broker, &v);
    size_t len = 0;
    char fix[4200];
    snprintf(fix, sizeof(fix), "warren broker repair --data-dir %s", data_dir);
    e->offline_n = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        char tp[300];
        snprintf(tp, sizeof(tp), "%s-%d", v[i].topic, (int)v[i].partition);
        mon_log_kv(MON_LOG_ERROR,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", e->name),
                                  MON_LF_STR("partition", tp),
                                  MON_LF_STR("error", v[i].error),
                                  MON_LF_STR("repair", fix)),
                   "partition offline: its log is corrupt; the other "
                   "partitions serve (repair, with warren stopped, cuts it "
                   "at its last valid batch)");
        int w = i == 0 ? snprintf(e->offline, sizeof(e->offline), "%s: %s", tp,
                                  v[i].error)
                       : snprintf(e->offline + len, sizeof(e->offline) - len,
                                  "%s%s", i == 1 ? "; also " : ", ", tp);
        if (w > 0) len += (size_t)w;
        if (len >= sizeof(e->offline)) len = sizeof(e->offline) - 1;
    }
    if (n) {
        char msg[sizeof(e->last_error)];
        int w = snprintf(msg, sizeof(msg), "%zu partition(s) offline in %s: %s",
                         n, data_dir, e->offline);
        if (w >= (int)sizeof(msg)) /* cut: the status has it whole */
            memcpy(msg + sizeof(msg) - 4, "...", 4);
        set_error(e, msg);
    }
    bc_broker_free_offline(v, n);
}

mon_source_t *mon_source_embedded_new(const mon_config_cluster_t *cc,
                                      const mon_config_broker_t *bk,
                                      mon_store_t *st, char *errstr,
                                      size_t errstr_size) {
    embedded_t *e = mon_calloc(1, sizeof(*e));
    e->base.start = emb_start;
    e->base.stop = emb_stop;
    e->base.destroy = emb_destroy;
    e->base.status = emb_status;
    e->base.time_lag = emb_time_lag;
    e->name = mon_strdup(cc->name);
    e->st = st;
    e->cl = mon_store_cluster(st, cc->name);
    e->listener_id = -1;
    atomic_init(&e->events, 0);
    e->owners = mon_strmap_new();
    e->known = mon_strmap_new();
    pthread_mutex_init(&e->owners_lock, NULL);
    pthread_mutex_init(&e->wire_lock, NULL);
    pthread_mutex_init(&e->lock, NULL);

    int64_t now = mon_clock_wall_ms();
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bconf.create_if_missing = 1;
    switch (bk ? bk->on_corruption : MON_CONFIG_CORRUPTION_OFFLINE) {
    case MON_CONFIG_CORRUPTION_REFUSE:
        bconf.on_corruption = BC_CORRUPTION_REFUSE;
        break;
    case MON_CONFIG_CORRUPTION_TRUNCATE:
        bconf.on_corruption = BC_CORRUPTION_TRUNCATE;
        break;
    default:
        bconf.on_corruption = BC_CORRUPTION_OFFLINE;
        break;
    }
    if (bk && bk->retention_check_ms > 0)
        bconf.retention_check_interval_ms = bk->retention_check_ms;
    bconf.msg_fn = broker_msg;
    bconf.msg_opaque = e;
    int err = 0;
    char why[MON_ERRSTR_SIZE];
    e->broker =
        bc_broker_open(cc->data_dir, &bconf, now, &err, why, sizeof(why));
    if (!e->broker) {
        /* A corrupt segment (named by its .log) refused: say how out. */
        int seg = err == BC_ERR_CORRUPT &&
                  bconf.on_corruption == BC_CORRUPTION_REFUSE &&
                  strstr(why, ".log: ") != NULL;
        snprintf(errstr, errstr_size, "cluster %s: %s%s%s%s", cc->name, why,
                 seg ? " ([broker] on-corruption = refuse; 'warren broker "
                       "repair --data-dir "
                     : "",
                 seg ? cc->data_dir : "",
                 seg ? "' cuts it at its last valid batch)" : "");
        goto fail;
    }
    note_offline(e, cc->data_dir);
    bc_coord_conf_t cconf = {.partitions_cb = partitions_cb, .opaque = e};
    e->coord = bc_coord_new(&cconf, why, sizeof(why));
    if (!e->coord) {
        snprintf(errstr, errstr_size, "cluster %s: %s", cc->name, why);
        goto fail;
    }
    bc_offsets_conf_t oconf = {.listener = on_commit, .opaque = e};
    e->off = bc_offsets_open(e->broker, &oconf, now, NULL, why, sizeof(why));
    if (!e->off) {
        snprintf(errstr, errstr_size, "cluster %s: %s", cc->name, why);
        goto fail;
    }
    e->listener_id = bc_broker_add_listener(e->broker, on_append, e);
    return &e->base;
fail:
    emb_destroy(&e->base);
    return NULL;
}

bc_broker_t *mon_source_embedded_broker(mon_source_t *src) {
    return ((embedded_t *)src)->broker;
}

bc_offsets_t *mon_source_embedded_offsets(mon_source_t *src) {
    return ((embedded_t *)src)->off;
}

bc_coord_t *mon_source_embedded_coord(mon_source_t *src) {
    return ((embedded_t *)src)->coord;
}
