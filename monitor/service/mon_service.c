/* SPDX-License-Identifier: Apache-2.0 */
/* mon_service: see mon_service.h.
 *
 * The loop keeps, per group, the status it last saw (a mon_strmap of
 * "cluster\0group" -> status), which is how it recognises transitions and
 * groups that disappeared. Evaluations reuse one mon_group_eval_t, so a
 * pass allocates almost nothing.
 */
#include "monitor/service/mon_service.h"
#include "monitor/base/mon_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_fs.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_strmap.h"
#include "monitor/base/mon_worker.h"
#include "monitor/sources/mon_source_embedded.h"
#include "monitor/sources/mon_source_kafka.h"
#include "monitor/sources/mon_source_kafka_proc.h"
#include "monitor/sources/mon_source_replay.h"
#include "monitor/store/mon_rebalance.h"

/* A cluster name and the source whose clock it runs on. */
typedef struct route_s {
    char *cluster;
    mon_source_t *src;
} route_t;

struct mon_service_s {
    const mon_config_t *cfg;
    mon_store_t *store;
    mon_history_t *history;
    ev_params_t params;
    char *store_path;
    char *history_path;
    mon_source_t **sources;
    char **source_names; /* configured cluster name per source */
    size_t n_sources;
    route_t *routes; /* cluster -> source, for clocks */
    size_t n_routes;
    mon_query_events_t events;
    mon_observe_fn observe;
    void *observe_arg;
    int64_t eval_interval_ms;
    int lock_fd;         /* <data-dir>/warren.lock, flock'ed for our lifetime */
    int started;         /* _start succeeded: only then is a snapshot written */
    mon_worker_t *loop;  /* the evaluation loop; NULL when not running */
    mon_strmap_t *last;  /* loop thread only: "cluster\0group" -> status+1 */
    mon_group_eval_t ev; /* loop thread only */
    mon_query_tick_group_t *tick; /* loop thread only: this pass's groups */
    size_t tick_count, tick_cap;
    int64_t last_snapshot_ms;
    int64_t last_prune_ms;        /* wall ms of the last history prune */
    _Atomic uint64_t evaluations; /* groups evaluated by passes */
    _Atomic uint64_t passes;      /* passes done */
    _Atomic int64_t last_pass_us; /* duration of the last pass */
};

/* How often (wall time) the history drops what its tiers no longer keep;
 * groups still evaluated are pruned as they add samples. */
#define PRUNE_EVERY_MS 60000

/* Takes the data dir's lock: <dir>/warren.lock, flock'ed exclusively
 * for the service's lifetime, with our pid written into it. Called before
 * anything in the dir is read or written. When another process holds it,
 * nothing is written (not even the pid) and errstr names the holder. */
static int lock_data_dir(mon_service_t *svc, const char *dir, char *errstr,
                         size_t errstr_size) {
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/warren.lock", dir) >=
        (int)sizeof(path)) {
        snprintf(errstr, errstr_size, "%s: path too long", dir);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "data dir %s: cannot open %s: %s", dir,
                 path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = e == EWOULDBLOCK ? pread(fd, pid, sizeof(pid) - 1, 0) : 0;
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            snprintf(errstr, errstr_size,
                     "data dir %s is in use by another warren%s%s%s "
                     "(lock %s)",
                     dir, pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "", path);
        else
            snprintf(errstr, errstr_size, "data dir %s: cannot lock %s: %s",
                     dir, path, strerror(e));
        return -1;
    }
    char line[32];
    int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
        mon_log(MON_LOG_WARN, "data dir %s: cannot write pid into %s", dir,
                path);
    svc->lock_fd = fd;
    return 0;
}

static void add_route(mon_service_t *svc, const char *cluster,
                      mon_source_t *src) {
    svc->routes =
        mon_realloc(svc->routes, (svc->n_routes + 1) * sizeof(*svc->routes));
    svc->routes[svc->n_routes].cluster = mon_strdup(cluster);
    svc->routes[svc->n_routes].src = src;
    svc->n_routes++;
}

/* The source for a [cluster] with source = kafka: its librdkafka client
 * in a supervised child process (kafka-client = process, the default:
 * mon_source_kafka_proc.h, whose child mirrors the storage rules sto) or
 * in the daemon's threads (mon_source_kafka.h). Returns NULL with errstr
 * set (a bad kafka.* property names it). */
static mon_source_t *mon_service_kafka_source(const mon_config_cluster_t *cc,
                                              const mon_config_storage_t *sto,
                                              mon_store_t *st, char *errstr,
                                              size_t errstr_size) {
    if (cc->kafka_client == MON_CONFIG_KAFKA_CLIENT_PROCESS)
        return mon_source_kafka_proc_new(cc, sto, st, errstr, errstr_size);
    mon_source_kafka_t *src = mon_source_kafka_new(cc, st, errstr, errstr_size);
    return src ? mon_source_kafka_base(src) : NULL;
}

static mon_source_t *make_source(mon_service_t *svc,
                                 const mon_config_cluster_t *cc, char *errstr,
                                 size_t errstr_size) {
    switch (cc->source) {
    case MON_CONFIG_SOURCE_EMBEDDED:
        return mon_source_embedded_new(cc, mon_config_broker(svc->cfg),
                                       svc->store, errstr, errstr_size);
    case MON_CONFIG_SOURCE_REPLAY:
        return mon_source_replay_new(cc, svc->store, errstr, errstr_size);
    case MON_CONFIG_SOURCE_KAFKA:
        return mon_service_kafka_source(cc, mon_config_storage(svc->cfg),
                                        svc->store, errstr, errstr_size);
    }
    snprintf(errstr, errstr_size, "cluster %s: unknown source", cc->name);
    return NULL;
}

mon_service_t *mon_service_new(const mon_config_t *cfg, char *errstr,
                               size_t errstr_size) {
    mon_service_t *svc = mon_calloc(1, sizeof(*svc));
    svc->cfg = cfg;
    svc->lock_fd = -1;
    svc->last = mon_strmap_new();
    const mon_config_general_t *gen = mon_config_general(cfg);
    const mon_config_storage_t *sto = mon_config_storage(cfg);
    const mon_config_evaluator_t *evc = mon_config_evaluator(cfg);

    if (bc_fs_mkdirs(gen->data_dir, errstr, errstr_size) != 0 ||
        lock_data_dir(svc, gen->data_dir, errstr, errstr_size) != 0)
        goto fail;
    mon_store_config_t scfg;
    mon_store_config_default(&scfg);
    scfg.intervals = sto->intervals;
    scfg.min_distance_ms = sto->min_distance_ms;
    scfg.expire_group_ms = sto->expire_group_ms;
    scfg.group_allowlist =
        sto->group_allowlist ? sto->group_allowlist->pattern : NULL;
    scfg.group_denylist =
        sto->group_denylist ? sto->group_denylist->pattern : NULL;
    svc->store = mon_store_new(&scfg, errstr, errstr_size);
    if (!svc->store) goto fail;
    ev_params_default(&svc->params);
    svc->params.rules = evc->rules;
    svc->params.intervals = sto->intervals;
    svc->params.allowed_lag = evc->allowed_lag;
    svc->params.minimum_complete = evc->minimum_complete;
    svc->eval_interval_ms =
        evc->expire_cache_ms >= 1000 ? evc->expire_cache_ms : 1000;
    svc->history =
        mon_history_new(gen->history_retention_ms, (int64_t)600 * 1000,
                        (int64_t)7 * 86400 * 1000);

    /* State from the previous run. */
    size_t plen = strlen(gen->data_dir) + sizeof("/store.snapshot");
    svc->store_path = mon_malloc(plen);
    snprintf(svc->store_path, plen, "%s/store.snapshot", gen->data_dir);
    plen = strlen(gen->data_dir) + sizeof("/history.snapshot");
    svc->history_path = mon_malloc(plen);
    snprintf(svc->history_path, plen, "%s/history.snapshot", gen->data_dir);
    struct stat sb;
    if (stat(svc->history_path, &sb) == 0) {
        char why[MON_ERRSTR_SIZE];
        if (mon_history_load(svc->history, svc->history_path, why,
                             sizeof(why)) != 0)
            mon_log_kv(MON_LOG_WARN,
                       MON_LOG_FIELDS(MON_LF_STR("file", svc->history_path),
                                      MON_LF_STR("error", why)),
                       "history not restored");
    }
    if (stat(svc->store_path, &sb) == 0) {
        char why[MON_ERRSTR_SIZE];
        if (mon_store_load(svc->store, svc->store_path, why, sizeof(why)) != 0)
            mon_log_kv(MON_LOG_WARN,
                       MON_LOG_FIELDS(MON_LF_STR("file", svc->store_path),
                                      MON_LF_STR("error", why)),
                       "snapshot not restored");
        else
            mon_log_kv(MON_LOG_INFO,
                       MON_LOG_FIELDS(MON_LF_STR("file", svc->store_path)),
                       "restored state");
    }

    for (size_t i = 0; i < mon_config_cluster_count(cfg); i++) {
        const mon_config_cluster_t *cc = mon_config_cluster_at(cfg, i);
        mon_source_t *src = make_source(svc, cc, errstr, errstr_size);
        if (!src) goto fail;
        svc->sources = mon_realloc(svc->sources, (svc->n_sources + 1) *
                                                     sizeof(*svc->sources));
        svc->source_names = mon_realloc(svc->source_names,
                                        (svc->n_sources + 1) * sizeof(char *));
        svc->sources[svc->n_sources] = src;
        svc->source_names[svc->n_sources] = mon_strdup(cc->name);
        svc->n_sources++;
        add_route(svc, cc->name, src);
        mon_store_cluster(svc->store, cc->name);
        if (cc->source == MON_CONFIG_SOURCE_REPLAY) {
            size_t n = 0;
            const char *const *names = mon_source_replay_clusters(src, &n);
            for (size_t k = 0; k < n; k++)
                if (strcmp(names[k], cc->name)) add_route(svc, names[k], src);
        }
    }
    return svc;
fail:
    mon_service_destroy(svc);
    return NULL;
}

void mon_service_set_events(mon_service_t *svc,
                            const mon_query_events_t *events) {
    if (events)
        svc->events = *events;
    else
        memset(&svc->events, 0, sizeof(svc->events));
}

void mon_service_set_observer(mon_service_t *svc, mon_observe_fn fn,
                              void *arg) {
    svc->observe = fn;
    svc->observe_arg = arg;
}

mon_source_t *mon_service_source(mon_service_t *svc, const char *cluster) {
    for (size_t i = 0; i < svc->n_routes; i++)
        if (!strcmp(svc->routes[i].cluster, cluster)) return svc->routes[i].src;
    return NULL;
}

int64_t mon_service_now(mon_service_t *svc, const char *cluster,
                        int64_t wall_ms) {
    return mon_source_now(mon_service_source(svc, cluster), wall_ms);
}

mon_store_t *mon_service_store(mon_service_t *svc) {
    return svc->store;
}

mon_history_t *mon_service_history(mon_service_t *svc) {
    return svc->history;
}

const ev_params_t *mon_service_params(mon_service_t *svc) {
    return &svc->params;
}

int mon_service_group_eval(mon_service_t *svc, const char *cluster,
                           const char *group, int64_t now_ms,
                           mon_group_eval_t *out) {
    int rc = mon_store_group_eval(svc->store, cluster, group, now_ms,
                                  &svc->params, out);
    if (rc != 0) return rc;
    mon_source_t *src = mon_service_source(svc, cluster);
    if (!src || !src->time_lag) return 0;
    /* Exact time lag from the source, outside every store lock. */
    out->rollup.max_time_lag_s = 0;
    out->rollup.time_lag_count = 0;
    for (size_t i = 0; i < out->count; i++) {
        mon_part_eval_t *p = &out->parts[i];
        double secs;
        if (p->entry_count > 0 &&
            src->time_lag(src, p->topic, p->partition, p->last.offset, now_ms,
                          &secs) == 0) {
            p->result.time_lag_s = secs;
            p->result.time_lag_known = true;
            p->time_lag_exact = true;
            ev_retention_retime(&p->retention, p->result.current_lag,
                                p->retention_ms, true, secs);
        }
        if (p->result.time_lag_known) {
            if (out->rollup.time_lag_count == 0 ||
                p->result.time_lag_s > out->rollup.max_time_lag_s)
                out->rollup.max_time_lag_s = p->result.time_lag_s;
            out->rollup.time_lag_count++;
        }
    }
    return 0;
}

/* ---- the evaluation loop ---- */

static void change(mon_service_t *svc, const mon_query_change_t *c) {
    if (svc->events.change) svc->events.change(svc->events.arg, c);
}

static void transition(mon_service_t *svc, const mon_group_eval_t *ev,
                       ev_status_t prev) {
    char why[256] = "";
    const mon_part_eval_t *decider = mon_group_eval_decider(ev);
    if (decider && ev->status != EV_OK)
        ev_explain(&decider->result, why, sizeof(why));
    mon_log_kv(MON_LOG_INFO,
               MON_LOG_FIELDS(MON_LF_STR("cluster", ev->cluster),
                              MON_LF_STR("group", ev->group),
                              MON_LF_STR("from", ev_status_name(prev)),
                              MON_LF_STR("to", ev_status_name(ev->status)),
                              MON_LF_INT("totallag", ev->rollup.totallag),
                              MON_LF_STR("reason", why[0] ? why : NULL)),
               "status %s -> %s", ev_status_name(prev),
               ev_status_name(ev->status));
    mon_query_change_t c = {.t_ms = ev->now_ms,
                            .cluster = ev->cluster,
                            .group = ev->group,
                            .status = ev->status,
                            .previous = prev,
                            .explanation = why,
                            .ev = ev};
    change(svc, &c);
}

/* A new rebalance: logged, then sent to the outputs. */
static void rebalanced(void *arg, const char *cluster, const char *group,
                       const ev_rebalance_t *r) {
    mon_service_t *svc = arg;
    char why[512];
    ev_deploy_explain(r, why, sizeof(why));
    const char *d = ev_deploy_name(r->deployment);
    mon_log_kv(MON_LOG_INFO,
               MON_LOG_FIELDS(
                   MON_LF_STR("cluster", cluster), MON_LF_STR("group", group),
                   MON_LF_STR("change", ev_change_name(r->change)),
                   MON_LF_STR("deployment", d),
                   MON_LF_INT("members", r->members),
                   MON_LF_INT("partitions_moved", r->partitions_moved)),
               "%s", why);
    if (svc->events.rebalance)
        svc->events.rebalance(svc->events.arg, cluster, group, r);
}

/* Evaluates one group; cluster and group must stay valid until the
 * pass's tick is sent (they are the tick's strings). */
static void eval_group(mon_service_t *svc, const char *cluster,
                       const char *group, int64_t now) {
    mon_group_eval_t *ev = &svc->ev;
    mon_rebalance_collect(svc->store, svc->history, cluster, group, rebalanced,
                          svc);
    if (mon_service_group_eval(svc, cluster, group, now, ev) != 0) return;
    atomic_fetch_add_explicit(&svc->evaluations, 1, memory_order_relaxed);
    mon_hsample_t s = {.t = now,
                       .status = ev->status,
                       .totallag = ev->rollup.totallag,
                       .maxlag = ev->rollup.maxlag,
                       .max_time_lag_s = ev->rollup.max_time_lag_s};
    mon_history_add(svc->history, cluster, group, &s);
    char key[1024];
    size_t klen = mon_strmap_key2(key, sizeof(key), cluster, group);
    if (klen) {
        intptr_t prev = (intptr_t)mon_strmap_put(
            svc->last, key, klen, (void *)(intptr_t)(ev->status + 1));
        ev_status_t before = prev ? (ev_status_t)(prev - 1) : EV_NOTFOUND;
        if (before != ev->status) transition(svc, ev, before);
    }
    if (svc->observe) svc->observe(svc->observe_arg, ev);
    if (svc->tick_count == svc->tick_cap) {
        svc->tick_cap = svc->tick_cap ? svc->tick_cap * 2 : 64;
        svc->tick = mon_realloc(svc->tick, svc->tick_cap * sizeof(*svc->tick));
    }
    svc->tick[svc->tick_count++] = (mon_query_tick_group_t){
        .cluster = cluster,
        .group = group,
        .status = ev->status,
        .totallag = ev->rollup.totallag,
        .maxlag = ev->rollup.maxlag,
        .time_lag_known = ev->rollup.time_lag_count > 0,
        .max_time_lag_s = ev->rollup.max_time_lag_s};
}

/* Groups seen before but no longer listed: report NOTFOUND once. */
typedef struct gone_s {
    mon_service_t *svc;
    mon_strmap_t *seen;
    char **keys;
    size_t *lens;
    size_t n;
} gone_t;

static int gone_cb(const char *key, size_t len, void *value, void *arg) {
    (void)value;
    gone_t *g = arg;
    if (mon_strmap_get(g->seen, key, len)) return 0;
    g->keys = mon_realloc(g->keys, (g->n + 1) * sizeof(char *));
    g->lens = mon_realloc(g->lens, (g->n + 1) * sizeof(size_t));
    g->keys[g->n] = mon_malloc(len + 1);
    memcpy(g->keys[g->n], key, len + 1);
    g->lens[g->n] = len;
    g->n++;
    return 0;
}

void mon_service_eval_pass(mon_service_t *svc, int64_t wall_ms) {
    int64_t t0 = mon_clock_mono_us();
    mon_strmap_t *seen = mon_strmap_new();
    mon_store_names_t clusters = {0};
    mon_store_clusters(svc->store, &clusters);
    /* Each cluster's group names live until the tick is sent. */
    mon_store_names_t *names = mon_calloc(clusters.count + 1, sizeof(*names));
    svc->tick_count = 0;
    bool prune = svc->last_prune_ms == 0 ||
                 wall_ms - svc->last_prune_ms >= PRUNE_EVERY_MS ||
                 wall_ms < svc->last_prune_ms;
    if (prune) svc->last_prune_ms = wall_ms;
    for (size_t c = 0; c < clusters.count; c++) {
        const char *cluster = clusters.names[c];
        int64_t now = mon_service_now(svc, cluster, wall_ms);
        /* Expired groups are freed here; the walk below reports each
         * NOTFOUND once and forgets its history. */
        mon_store_expire(svc->store, cluster, now);
        if (prune) mon_history_prune(svc->history, cluster, now);
        if (mon_store_groups(svc->store, cluster, now, &names[c]) != 0)
            continue;
        for (size_t g = 0; g < names[c].count; g++) {
            eval_group(svc, cluster, names[c].names[g], now);
            char key[1024];
            size_t klen =
                mon_strmap_key2(key, sizeof(key), cluster, names[c].names[g]);
            if (klen) mon_strmap_put(seen, key, klen, (void *)1);
        }
    }

    gone_t gone = {.svc = svc, .seen = seen};
    mon_strmap_each(svc->last, gone_cb, &gone);
    for (size_t i = 0; i < gone.n; i++) {
        intptr_t prev =
            (intptr_t)mon_strmap_del(svc->last, gone.keys[i], gone.lens[i]);
        const char *cluster = gone.keys[i];
        const char *group = gone.keys[i] + strlen(cluster) + 1;
        mon_log_kv(
            MON_LOG_INFO,
            MON_LOG_FIELDS(
                MON_LF_STR("cluster", cluster), MON_LF_STR("group", group),
                MON_LF_STR("from", ev_status_name((ev_status_t)(prev - 1))),
                MON_LF_STR("to", "NOTFOUND"),
                MON_LF_STR("reason", "expired or deleted")),
            "status %s -> NOTFOUND", ev_status_name((ev_status_t)(prev - 1)));
        mon_query_change_t c = {.t_ms = wall_ms,
                                .cluster = cluster,
                                .group = group,
                                .status = EV_NOTFOUND,
                                .previous = (ev_status_t)(prev - 1),
                                .explanation = ""};
        change(svc, &c);
        mon_history_forget(svc->history, cluster, group);
        free(gone.keys[i]);
    }
    free(gone.keys);
    free(gone.lens);
    mon_strmap_destroy(seen);
    if (svc->events.tick) {
        mon_query_tick_t t = {
            .t_ms = wall_ms, .groups = svc->tick, .count = svc->tick_count};
        svc->events.tick(svc->events.arg, &t);
    }
    for (size_t c = 0; c < clusters.count; c++)
        mon_store_names_free(&names[c]);
    free(names);
    mon_store_names_free(&clusters);
    atomic_store(&svc->last_pass_us, mon_clock_mono_us() - t0);
    atomic_fetch_add(&svc->passes, 1);
}

void mon_service_counters(mon_service_t *svc, mon_query_counters_t *out) {
    out->evaluations = atomic_load(&svc->evaluations);
    out->passes = atomic_load(&svc->passes);
    out->last_pass_us = atomic_load(&svc->last_pass_us);
}

/* Writes the store and the history; expired groups are freed first so
 * that no snapshot carries them. */
int mon_service_snapshot(mon_service_t *svc) {
    char why[MON_ERRSTR_SIZE];
    int rc = 0;
    mon_store_names_t clusters = {0};
    mon_store_clusters(svc->store, &clusters);
    int64_t wall = mon_clock_wall_ms();
    for (size_t c = 0; c < clusters.count; c++)
        mon_store_expire(svc->store, clusters.names[c],
                         mon_service_now(svc, clusters.names[c], wall));
    mon_store_names_free(&clusters);
    if (mon_store_save(svc->store, svc->store_path, why, sizeof(why)) != 0) {
        mon_log_kv(MON_LOG_WARN,
                   MON_LOG_FIELDS(MON_LF_STR("file", svc->store_path),
                                  MON_LF_STR("error", why)),
                   "snapshot failed");
        rc = -1;
    }
    if (mon_history_save(svc->history, svc->history_path, why, sizeof(why)) !=
        0) {
        mon_log_kv(MON_LOG_WARN,
                   MON_LOG_FIELDS(MON_LF_STR("file", svc->history_path),
                                  MON_LF_STR("error", why)),
                   "history snapshot failed");
        rc = -1;
    }
    return rc;
}

/* Evaluations and snapshots each run on their own timer (monotonic): a
 * snapshot-interval shorter than the evaluation interval is kept, not
 * stretched to the next pass. */
static void loop(mon_worker_t *w, void *arg) {
    mon_service_t *svc = arg;
    int64_t snap_every = mon_config_general(svc->cfg)->snapshot_interval_ms;
    int64_t next_eval = mon_clock_mono_ms();
    int64_t next_snap = next_eval + snap_every;
    svc->last_snapshot_ms = next_eval;
    do {
        if (mon_clock_mono_ms() >= next_eval) {
            mon_service_eval_pass(svc, mon_clock_wall_ms());
            next_eval = mon_clock_mono_ms() + svc->eval_interval_ms;
        }
        if (snap_every > 0 && mon_clock_mono_ms() >= next_snap) {
            mon_service_snapshot(svc);
            svc->last_snapshot_ms = mon_clock_mono_ms();
            next_snap = svc->last_snapshot_ms + snap_every;
        }
    } while (!mon_worker_sleep(
        w, (snap_every > 0 && next_snap < next_eval ? next_snap : next_eval) -
               mon_clock_mono_ms()));
}

int mon_service_start(mon_service_t *svc, char *errstr, size_t errstr_size) {
    for (size_t i = 0; i < svc->n_sources; i++) {
        mon_source_t *src = svc->sources[i];
        if (src->start(src, errstr, errstr_size) != 0) return -1;
        mon_source_status_t st;
        src->status(src, &st);
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", svc->source_names[i]),
                                  MON_LF_STR("source", st.kind)),
                   "source up");
    }
    if (mon_worker_start(&svc->loop, "evaluation loop", loop, svc, errstr,
                         errstr_size) != 0)
        return -1;
    svc->started = 1;
    return 0;
}

void mon_service_stop(mon_service_t *svc) {
    mon_worker_stop(&svc->loop);
    for (size_t i = 0; i < svc->n_sources; i++) {
        mon_source_t *src = svc->sources[i];
        if (src) {
            src->stop(src);
            mon_log_kv(
                MON_LOG_INFO,
                MON_LOG_FIELDS(MON_LF_STR("cluster", svc->source_names[i])),
                "source down");
        }
    }
    /* A service that never started has only what it loaded: writing it
     * back could only lose state. */
    if (svc->store && svc->started) mon_service_snapshot(svc);
}

void mon_service_destroy(mon_service_t *svc) {
    if (!svc) return;
    if (svc->loop) mon_service_stop(svc);
    for (size_t i = 0; i < svc->n_sources; i++) {
        mon_source_destroy(svc->sources[i]);
        free(svc->source_names[i]);
    }
    free(svc->sources);
    free(svc->source_names);
    for (size_t i = 0; i < svc->n_routes; i++)
        free(svc->routes[i].cluster);
    free(svc->routes);
    mon_group_eval_free(&svc->ev);
    free(svc->tick);
    mon_strmap_destroy(svc->last);
    mon_history_destroy(svc->history);
    mon_store_destroy(svc->store);
    free(svc->store_path);
    free(svc->history_path);
    if (svc->lock_fd >= 0) close(svc->lock_fd); /* releases the lock, last */
    free(svc);
}
