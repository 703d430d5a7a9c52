/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_kafka: a Kafka cluster as a source of heads and commits (see
 * the header for what it does and why).
 *
 * Built on the assumption that the cluster is large and sometimes away:
 * every request is bounded by a timeout, requests to different brokers
 * run in parallel and fail independently, per-refresh work is bounded
 * (probes have a budget, group fetches a concurrency limit), and nothing
 * the source learned is thrown away because a request failed.
 *
 * All state below `thread-only` is touched by the source thread alone
 * (and by head workers, on their own job, between create and join).
 */
#include "monitor/sources/mon_source_kafka.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"
#include "monitor/sources/mon_kdecode.h"
#include "monitor/sources/mon_kframe.h"

#define OFFSETS_TOPIC "__consumer_offsets"
#define HEAD_WORKERS 16

/* A topic from metadata. */
typedef struct ktopic_s {
    char *name;
    int32_t n_parts;
    int32_t *leaders; /* per partition; -1 = no leader */
    bool wanted;      /* passes internal/allow/deny */
} ktopic_t;

/* What a group committed (or was seen to own) on one topic. */
typedef struct kgtopic_s {
    char *topic;
    int32_t n;
    int64_t *offsets; /* last seen offset per partition, -1 = none */
    int64_t *latest;  /* the newest committed offset seen, -1 = none */
    int64_t *prev;    /* latest as the previous refresh saw it */
    int32_t *still;   /* refreshes latest has stayed the same */
    int64_t *stamped; /* offset whose record's time the store has, or -1 */
    char **owner;     /* offsets-topic: client host per partition */
    char **client;    /* offsets-topic: client id per partition */
} kgtopic_t;

typedef struct kgroup_s {
    char *name;
    kgtopic_t *topics;
    size_t n_topics;
    bool listed;     /* in the last listing (or configured) */
    bool configured; /* in groups = */
    int probe_phase; /* 0 partition 0 of each topic, 1 all, 2 done */
    size_t probe_cursor;
} kgroup_t;

/* Counters of one refresh. */
typedef struct refresh_s {
    uint64_t requests;
    int failures;
    bool metadata_failed;
    int32_t *down; /* brokers whose ListOffsets failed this refresh */
    size_t n_down;
    int64_t heads;
    uint64_t commits;
    char first_error[256];
} refresh_t;

struct mon_source_kafka_s {
    mon_source_t base; /* first: the table the daemon sees */
    const mon_config_cluster_t *cfg;
    mon_store_t *st;
    mon_store_cluster_t *cl;
    rd_kafka_t *rk;  /* metadata, admin, ListOffsets */
    rd_kafka_t *crk; /* offsets-topic reader, or NULL */
    rd_kafka_t *srk; /* reads the records groups wait on; made when needed */
    rd_kafka_queue_t *aq;
    rd_kafka_AdminOptions_t *opt_list;
    rd_kafka_AdminOptions_t *opt_offsets;
    rd_kafka_AdminOptions_t *opt_configs;
    rd_kafka_AdminOptions_t *opt_describe;
    int req_timeout_ms;
    mon_worker_t *worker; /* the source thread; NULL when not running */
    pthread_mutex_t lock; /* guards status */
    mon_source_kafka_status_t status;
    /* thread-only */
    ktopic_t *topics; /* sorted by name */
    size_t n_topics;
    int32_t n_brokers;
    kgroup_t **groups; /* sorted by name */
    size_t n_groups;
    size_t cap_groups;
    bool listing_unsupported;
    bool listing_told; /* "cannot list groups" logged (once, not at every
                        * topic refresh that asks again) */
    bool describe_unsupported; /* DescribeGroups refused: asked again with
                                * the topics */
    bool listed_now;           /* this refresh's ListGroups was answered */
    int64_t describe_ms;       /* the last refresh's DescribeGroups, from
                                * the call to its answer */
    int64_t describe_t0;
    int64_t described; /* groups it described */
    size_t probe_rr;
    bool need_metadata;
    bool have_metadata;
    bool configs_due;      /* metadata was read: DescribeConfigs next */
    bool configs_inflight; /* sent, its result not yet applied */
    bool configs_logged;   /* a failed DescribeConfigs was logged */
    int32_t reader_parts;  /* __consumer_offsets partitions assigned */
    uintptr_t gen;         /* refresh number, the opaque of admin requests */
    mon_kdecode_record_t rec;
    mon_kdecode_limits_t limits; /* from offsets-max-* */
    uint64_t warn_logged;
    /* folds librdkafka's repeated lines (its threads call log_cb) */
    mon_log_limit_t *loglim;
    /* every store write the store took, told (child process mode) */
    mon_source_kafka_forward_fn forward;
    void *forward_opaque;
    bool rec_placed; /* the record being read made a write at its place */
    mon_hmap_t stamp_cache; /* record timestamps by topic, partition and
                               offset (see stamps_wanted) */
};

/* librdkafka retries an unreachable broker every few seconds and logs
 * each failure: the same line is written once a minute, with a count. */
#define RDKAFKA_LOG_WINDOW_MS 60000

/* ---- clocks (sources may read them) ---- */

/* Asked to stop? (Only the source thread's own loops ask.) */
static bool stopping(const mon_source_kafka_t *src) {
    return mon_worker_stopping(src->worker);
}

/* ---- errors and status ---- */

static void rf_fail(mon_source_kafka_t *src, refresh_t *rf, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

/* A failure that makes this refresh incomplete (the cluster, a broker or
 * a coordinator could not be reached). */
static void rf_fail(mon_source_kafka_t *src, refresh_t *rf, const char *fmt,
                    ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (rf) {
        if (rf->failures++ == 0)
            snprintf(rf->first_error, sizeof(rf->first_error), "%s", msg);
    }
    pthread_mutex_lock(&src->lock);
    snprintf(src->status.last_error, sizeof(src->status.last_error), "%s", msg);
    src->status.last_error_ms = mon_clock_wall_ms();
    pthread_mutex_unlock(&src->lock);
}

/* Errors that mean "could not reach", as opposed to a refusal. */
static bool err_is_outage(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__DESTROY:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
        return true;
    default:
        return false;
    }
}

/* ---- librdkafka callbacks ---- */

/* A librdkafka log line, folded with its repeats. The key is the
 * facility and the text without the parenthesised tail librdkafka appends
 * to broker errors ("(after 0ms in state CONNECT, 3 identical error(s)
 * suppressed)"), which changes on every retry; the broker named before it
 * stays in the key, so each broker's failure is told once. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf) {
    mon_source_kafka_t *src = rd_kafka_opaque(rk);
    mon_log_level_t l = level <= 3   ? MON_LOG_WARN
                        : level <= 5 ? MON_LOG_INFO
                                     : MON_LOG_DEBUG;
    char key[512];
    char msg[1200];
    size_t kl;
    if (!mon_log_enabled(l)) return;
    snprintf(msg, sizeof(msg), "librdkafka: %s", buf);
    snprintf(key, sizeof(key), "%s %s", fac, buf);
    kl = strlen(key);
    if (kl > 0 && key[kl - 1] == ')') {
        char *open = strstr(key, " (after ");
        if (open) *open = '\0';
    }
    if (!src || !src->loglim) {
        mon_log_kv(l, MON_LOG_FIELDS(MON_LF_STR("facility", fac)), "%s", msg);
        return;
    }
    mon_log_limit_event(src->loglim, mon_clock_mono_ms(), l, key,
                        MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                       MON_LF_STR("facility", fac)),
                        msg);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason,
                     void *opaque) {
    (void)rk;
    mon_source_kafka_t *src = opaque;
    /* only the text and time: availability is decided per refresh */
    rf_fail(src, NULL, "%s", reason);
    mon_log_kv(MON_LOG_DEBUG,
               MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                              MON_LF_STR("code", rd_kafka_err2name(
                                                     (rd_kafka_resp_err_t)err)),
                              MON_LF_STR("error", reason)),
               "kafka error");
}

/* ---- construction ---- */

/* What a client is for: admin requests and ListOffsets, the
 * __consumer_offsets reader (a group member), or the stamp reader (a few
 * bytes at a time of the records groups wait on, no group). */
typedef enum client_kind_e {
    CLIENT_ADMIN,
    CLIENT_READER,
    CLIENT_STAMPS
} client_kind_t;

static rd_kafka_conf_t *conf_build(mon_source_kafka_t *src, client_kind_t kind,
                                   char *errstr, size_t errstr_size) {
    bool reader = kind == CLIENT_READER, stamps = kind == CLIENT_STAMPS;
    const mon_config_cluster_t *cfg = src->cfg;
    char err[MON_ERRSTR_SIZE];
    char gid[160];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* assign() needs a group id; neither client joins or commits */
    snprintf(gid, sizeof(gid), "warren-%s-%s", cfg->name,
             stamps ? "record-times" : "offsets-reader");
    const char *defaults[][2] = {
        {"bootstrap.servers", cfg->servers},
        {"client.id", "warren"},
        {"isolation.level", "read_uncommitted"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        {"auto.offset.reset", "earliest"},
        {"log.connection.close", "false"},
        {reader || stamps ? "group.id" : NULL, gid},
        /* one batch at the offset is all a stamp needs: no prefetch */
        {stamps ? "queued.min.messages" : NULL, "1"},
        {stamps ? "max.partition.fetch.bytes" : NULL, "65536"},
        {stamps ? "fetch.wait.max.ms" : NULL, "100"},
        {stamps ? "fetch.error.backoff.ms" : NULL, "10"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (!defaults[i][0]) continue;
        if (rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], err,
                              sizeof(err)) != RD_KAFKA_CONF_OK) {
            mon_errstr_set(errstr, errstr_size, "%s: %s", defaults[i][0], err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    for (size_t i = 0; i < cfg->n_kafka_props; i++) {
        const mon_config_kv_t *kv = &cfg->kafka_props[i];
        if (rd_kafka_conf_set(conf, kv->key, kv->value, err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            mon_errstr_set(errstr, errstr_size, "kafka.%s: %s", kv->key, err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    rd_kafka_conf_set_opaque(conf, src);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    return conf;
}

/* The kafka.* properties an error of rd_kafka_new is about: those whose
 * name, or first word ("sasl" of sasl.mechanism), the message mentions;
 * librdkafka checks combinations only there, after each conf_set passed. */
static const char *blame(const mon_config_cluster_t *cfg, const char *msg) {
    static _Thread_local char out[256];
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cfg->n_kafka_props; i++) {
        const char *key = cfg->kafka_props[i].key;
        char word[64];
        size_t w = strcspn(key, ".");
        snprintf(word, sizeof(word), "%.*s", (int)(w < 63 ? w : 63), key);
        if (!strcasestr(msg, key) && !(w >= 3 && strcasestr(msg, word)))
            continue;
        int r = snprintf(out + n, sizeof(out) - n, "%skafka.%s", n ? ", " : "",
                         key);
        if (r < 0 || (size_t)r >= sizeof(out) - n) break;
        n += (size_t)r;
    }
    return n ? out : "kafka.* properties";
}

static rd_kafka_t *client_new(mon_source_kafka_t *src, client_kind_t kind,
                              char *errstr, size_t errstr_size) {
    char err[MON_ERRSTR_SIZE];
    rd_kafka_conf_t *conf = conf_build(src, kind, errstr, errstr_size);
    if (!conf) return NULL;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        mon_errstr_set(errstr, errstr_size, "cluster %s: %s: %s",
                       src->cfg->name, blame(src->cfg, err), err);
        return NULL;
    }
    return rk;
}

int mon_source_kafka_check(const mon_config_cluster_t *cfg, char *errstr,
                           size_t errstr_size) {
    char err[MON_ERRSTR_SIZE];
    if (!cfg || cfg->source != MON_CONFIG_SOURCE_KAFKA || !cfg->servers ||
        !cfg->servers[0]) {
        mon_errstr_set(errstr, errstr_size,
                       "cluster %s: not a kafka cluster with servers",
                       cfg && cfg->name ? cfg->name : "?");
        return -1;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = 0;
    for (size_t i = 0; i < cfg->n_kafka_props && rc == 0; i++) {
        const mon_config_kv_t *kv = &cfg->kafka_props[i];
        if (rd_kafka_conf_set(conf, kv->key, kv->value, err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            mon_errstr_set(errstr, errstr_size, "kafka.%s: %s", kv->key, err);
            rc = -1;
        }
    }
    rd_kafka_conf_destroy(conf);
    return rc;
}

mon_source_kafka_t *mon_source_kafka_new(const mon_config_cluster_t *cfg,
                                         mon_store_t *st, char *errstr,
                                         size_t errstr_size) {
    char err[MON_ERRSTR_SIZE];
    if (!st) {
        mon_errstr_set(errstr, errstr_size, "cluster %s: no store",
                       cfg && cfg->name ? cfg->name : "?");
        return NULL;
    }
    if (mon_source_kafka_check(cfg, errstr, errstr_size) < 0) return NULL;
    mon_source_kafka_t *src = mon_calloc(1, sizeof(*src));
    src->cfg = cfg;
    src->st = st;
    pthread_mutex_init(&src->lock, NULL);
    src->need_metadata = true;
    src->loglim = mon_log_limit_new(RDKAFKA_LOG_WINDOW_MS);
    src->limits.max_name = cfg->offsets_max_name;
    src->limits.max_members = cfg->offsets_max_members;
    src->limits.max_assigned = cfg->offsets_max_assigned;
    src->req_timeout_ms = mon_source_kafka_timeout_ms(cfg);

    src->rk = client_new(src, CLIENT_ADMIN, errstr, errstr_size);
    if (!src->rk) goto err;
    if (cfg->offsets == MON_CONFIG_OFFSETS_TOPIC) {
        src->crk = client_new(src, CLIENT_READER, errstr, errstr_size);
        if (!src->crk) goto err;
        rd_kafka_poll_set_consumer(src->crk);
    }
    src->aq = rd_kafka_queue_new(src->rk);
    src->opt_list = rd_kafka_AdminOptions_new(
        src->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    src->opt_offsets = rd_kafka_AdminOptions_new(
        src->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    src->opt_configs =
        rd_kafka_AdminOptions_new(src->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    src->opt_describe = rd_kafka_AdminOptions_new(
        src->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    if (rd_kafka_AdminOptions_set_request_timeout(
            src->opt_list, src->req_timeout_ms, err, sizeof(err)) ||
        rd_kafka_AdminOptions_set_request_timeout(
            src->opt_offsets, src->req_timeout_ms, err, sizeof(err)) ||
        rd_kafka_AdminOptions_set_request_timeout(
            src->opt_configs, src->req_timeout_ms, err, sizeof(err)) ||
        rd_kafka_AdminOptions_set_request_timeout(
            src->opt_describe, src->req_timeout_ms, err, sizeof(err))) {
        mon_errstr_set(errstr, errstr_size, "cluster %s: %s", cfg->name, err);
        goto err;
    }
    src->cl = mon_store_cluster(st, cfg->name);
    if (!src->cl) {
        mon_errstr_set(errstr, errstr_size, "cluster %s: bad name", cfg->name);
        goto err;
    }
    src->status.stale = true;
    return src;
err:
    mon_source_kafka_destroy(src);
    return NULL;
}

/* ---- topics ---- */

static void topic_free(ktopic_t *t) {
    free(t->name);
    free(t->leaders);
}

static int cmp_topic(const void *a, const void *b) {
    return strcmp(((const ktopic_t *)a)->name, ((const ktopic_t *)b)->name);
}

static ktopic_t *topic_find(ktopic_t *topics, size_t n, const char *name) {
    ktopic_t key = {.name = (char *)name};
    if (!n) return NULL; /* bsearch(NULL, 0) is undefined */
    return bsearch(&key, topics, n, sizeof(*topics), cmp_topic);
}

static bool topic_wanted(const mon_config_cluster_t *cfg, const char *name) {
    if (!cfg->internal_topics && name[0] == '_' && name[1] == '_') return false;
    return mon_config_name_allowed(cfg->topic_allowlist, cfg->topic_denylist,
                                   name);
}

/* ---- groups ---- */

static void gtopic_free(kgtopic_t *gt) {
    for (int32_t i = 0; gt->owner && i < gt->n; i++) {
        free(gt->owner[i]);
        free(gt->client[i]);
    }
    free(gt->owner);
    free(gt->client);
    free(gt->offsets);
    free(gt->latest);
    free(gt->prev);
    free(gt->still);
    free(gt->stamped);
    free(gt->topic);
}

static void group_free(kgroup_t *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n_topics; i++)
        gtopic_free(&g->topics[i]);
    free(g->topics);
    free(g->name);
    free(g);
}

static int cmp_group_name(const void *key, const void *elem) {
    return strcmp(key, (*(kgroup_t *const *)elem)->name);
}

static size_t group_pos(mon_source_kafka_t *src, const char *name,
                        bool *found) {
    size_t lo = 0, hi = src->n_groups;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, src->groups[mid]->name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = false;
    return lo;
}

static kgroup_t *group_find(mon_source_kafka_t *src, const char *name) {
    if (!src->n_groups) return NULL; /* bsearch(NULL, 0) is undefined */
    kgroup_t **g = bsearch(name, src->groups, src->n_groups,
                           sizeof(*src->groups), cmp_group_name);
    return g ? *g : NULL;
}

static kgroup_t *group_get(mon_source_kafka_t *src, const char *name) {
    bool found;
    size_t pos = group_pos(src, name, &found);
    if (found) return src->groups[pos];
    if (src->n_groups == src->cap_groups) {
        src->cap_groups = src->cap_groups ? 2 * src->cap_groups : 64;
        src->groups =
            mon_realloc(src->groups, src->cap_groups * sizeof(*src->groups));
    }
    memmove(&src->groups[pos + 1], &src->groups[pos],
            (src->n_groups - pos) * sizeof(*src->groups));
    kgroup_t *g = mon_calloc(1, sizeof(*g));
    g->name = mon_strdup(name);
    src->groups[pos] = g;
    src->n_groups++;
    return g;
}

static void group_remove(mon_source_kafka_t *src, const char *name) {
    bool found;
    size_t pos = group_pos(src, name, &found);
    if (!found) return;
    group_free(src->groups[pos]);
    memmove(&src->groups[pos], &src->groups[pos + 1],
            (src->n_groups - pos - 1) * sizeof(*src->groups));
    src->n_groups--;
}

static kgtopic_t *gtopic_find(kgroup_t *g, const char *topic) {
    for (size_t i = 0; i < g->n_topics; i++)
        if (!strcmp(g->topics[i].topic, topic)) return &g->topics[i];
    return NULL;
}

/* The group's record of topic, grown to hold partition p. */
static kgtopic_t *gtopic_get(kgroup_t *g, const char *topic, int32_t p) {
    kgtopic_t *gt = gtopic_find(g, topic);
    if (!gt) {
        g->topics =
            mon_realloc(g->topics, (g->n_topics + 1) * sizeof(*g->topics));
        gt = &g->topics[g->n_topics++];
        memset(gt, 0, sizeof(*gt));
        gt->topic = mon_strdup(topic);
    }
    if (p >= gt->n) {
        int32_t n = p + 1;
        gt->offsets = mon_realloc(gt->offsets, (size_t)n * sizeof(int64_t));
        gt->latest = mon_realloc(gt->latest, (size_t)n * sizeof(int64_t));
        gt->prev = mon_realloc(gt->prev, (size_t)n * sizeof(int64_t));
        gt->still = mon_realloc(gt->still, (size_t)n * sizeof(int32_t));
        gt->stamped = mon_realloc(gt->stamped, (size_t)n * sizeof(int64_t));
        for (int32_t i = gt->n; i < n; i++) {
            gt->offsets[i] = gt->latest[i] = gt->prev[i] = gt->stamped[i] = -1;
            gt->still[i] = 0;
        }
        if (gt->owner) {
            gt->owner = mon_realloc(gt->owner, (size_t)n * sizeof(char *));
            gt->client = mon_realloc(gt->client, (size_t)n * sizeof(char *));
            for (int32_t i = gt->n; i < n; i++)
                gt->owner[i] = gt->client[i] = NULL;
        }
        gt->n = n;
    }
    return gt;
}

static void gtopic_remove(kgroup_t *g, kgtopic_t *gt) {
    size_t i = (size_t)(gt - g->topics);
    gtopic_free(gt);
    memmove(&g->topics[i], &g->topics[i + 1],
            (g->n_topics - i - 1) * sizeof(*g->topics));
    g->n_topics--;
}

/* One store write: applied to the store, then, when the store took it,
 * told to the forward hook. Returns the store's result. Source thread. */
static int store_op(mon_source_kafka_t *src, const mon_kframe_op_t *op) {
    int rc = mon_kframe_op_apply(src->st, src->cl, op);
    if (op->placed) src->rec_placed = true;
    bool took = op->type == MON_KFRAME_HEAD || op->type == MON_KFRAME_COMMIT
                    ? rc == MON_STORE_STORED || rc == MON_STORE_MERGED
                : op->type == MON_KFRAME_STAMP ||
                        op->type == MON_KFRAME_LOG_START ||
                        op->type == MON_KFRAME_TOPIC_CONF
                    ? rc == 0
                    : true; /* seen and deletes: the parent applies its own */
    if (src->forward && took) src->forward(src->forward_opaque, op);
    return rc;
}

/* A partition of a wanted topic as metadata knows it: 1; a topic that is
 * not known (or not wanted): 0, nothing to keep; a partition beyond the
 * topic's count: -1, the record breaks a bound. */
static int known_partition(mon_source_kafka_t *src, const char *topic,
                           int32_t p) {
    ktopic_t *t = topic_find(src->topics, src->n_topics, topic);
    if (!t || !t->wanted) return 0;
    return p >= 0 && p < t->n_parts ? 1 : -1;
}

/* Records offset for group/topic/partition (always, with force; else
 * until the store's window is full of it, and then when it changes: see
 * mon_store_commit_at). Returns 1 when the store took it.
 * Only partitions metadata knows are kept: nothing grows past a real
 * partition count, whatever a response or record names. */
static int commit_seen(mon_source_kafka_t *src, kgroup_t *g, const char *topic,
                       int32_t p, int64_t offset, int64_t t_ms,
                       const char *owner, const char *client, bool force,
                       const mon_store_pos_t *at) {
    if (offset < 0 || known_partition(src, topic, p) != 1) return 0;
    kgtopic_t *gt = gtopic_get(g, topic, p);
    gt->latest[p] = offset;
    if (!force && gt->offsets[p] == offset) return 0;
    /* admin mode sees offsets, not commits: what it sees fills the window
     * (an offset that never moves must be judged too), and then one the
     * store holds as its newest (seen last time, or learnt before a
     * restart) is not a new commit */
    mon_kframe_op_t op = {.type = MON_KFRAME_COMMIT,
                          .group = g->name,
                          .topic = topic,
                          .partition = p,
                          .offset = offset,
                          .t_ms = t_ms,
                          .owner = owner,
                          .client_id = client,
                          .placed = at != NULL,
                          .place = at ? *at : (mon_store_pos_t){0, 0},
                          .if_changed = !force};
    int rc = store_op(src, &op);
    if (rc == MON_STORE_STORED || rc == MON_STORE_MERGED) {
        /* admin mode asks again until the store drops it as unchanged */
        if (force) gt->offsets[p] = offset;
        return 1;
    }
    if (rc == MON_STORE_DROP_REPLAYED || rc == MON_STORE_DROP_UNCHANGED) {
        gt->offsets[p] = offset; /* in the store already */
        return 0;
    }
    if (rc == MON_STORE_DROP_FILTERED)
        gt->offsets[p] = offset; /* never stored: don't retry */
    /* dropped for want of a head: retried when seen next time */
    return 0;
}

/* ---- metadata ---- */

/* Reads topics and brokers. On failure the previous table stays. */
static void refresh_metadata(mon_source_kafka_t *src, refresh_t *rf) {
    const struct rd_kafka_metadata *md = NULL;
    rf->requests++;
    rd_kafka_resp_err_t err =
        rd_kafka_metadata(src->rk, 1, NULL, &md, src->req_timeout_ms);
    if (err) {
        rf->metadata_failed = true;
        rf_fail(src, rf, "metadata: %s", rd_kafka_err2str(err));
        return;
    }
    ktopic_t *nt = mon_calloc((size_t)md->topic_cnt + 1, sizeof(*nt));
    size_t n = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *mt = &md->topics[i];
        if (mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            continue; /* deleted */
        ktopic_t *t = &nt[n];
        if (mt->err) {
            /* keep what we knew of a topic that answers with an error */
            ktopic_t *old = topic_find(src->topics, src->n_topics, mt->topic);
            if (!old) continue;
            t->name = mon_strdup(old->name);
            t->n_parts = old->n_parts;
            t->leaders = mon_calloc((size_t)old->n_parts + 1, sizeof(int32_t));
            memcpy(t->leaders, old->leaders,
                   (size_t)old->n_parts * sizeof(int32_t));
        } else {
            t->name = mon_strdup(mt->topic);
            int32_t np = 0;
            for (int j = 0; j < mt->partition_cnt; j++)
                if (mt->partitions[j].id >= np) np = mt->partitions[j].id + 1;
            if (np > MON_STORE_MAX_PARTITIONS) np = MON_STORE_MAX_PARTITIONS;
            t->n_parts = np;
            t->leaders = mon_malloc(((size_t)np + 1) * sizeof(int32_t));
            for (int32_t j = 0; j < np; j++)
                t->leaders[j] = -1;
            for (int j = 0; j < mt->partition_cnt; j++) {
                const rd_kafka_metadata_partition_t *mp = &mt->partitions[j];
                if (mp->id >= 0 && mp->id < np)
                    t->leaders[mp->id] = mp->err ? -1 : mp->leader;
            }
        }
        t->wanted = topic_wanted(src->cfg, t->name);
        n++;
    }
    if (n) qsort(nt, n, sizeof(*nt), cmp_topic);
    /* topics that vanished: out of the store and of every group */
    for (size_t i = 0; i < src->n_topics; i++) {
        ktopic_t *old = &src->topics[i];
        if (topic_find(nt, n, old->name)) continue;
        if (old->wanted) {
            mon_log_kv(MON_LOG_INFO,
                       MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                      MON_LF_STR("topic", old->name)),
                       "topic is gone");
            mon_kframe_op_t op = {.type = MON_KFRAME_DEL_TOPIC,
                                  .topic = old->name};
            store_op(src, &op);
        }
        for (size_t g = 0; g < src->n_groups; g++) {
            kgtopic_t *gt = gtopic_find(src->groups[g], old->name);
            if (gt) gtopic_remove(src->groups[g], gt);
        }
    }
    for (size_t i = 0; i < src->n_topics; i++)
        topic_free(&src->topics[i]);
    free(src->topics);
    src->topics = nt;
    src->n_topics = n;
    src->n_brokers = md->broker_cnt;
    rd_kafka_metadata_destroy(md);
    src->need_metadata = false;
    src->have_metadata = true;
    src->configs_due = true;
    /* groups that swept every topic probe again: new topics may have
     * appeared, and a group may have started on an old one */
    for (size_t g = 0; g < src->n_groups; g++) {
        if (src->groups[g]->probe_phase == 2) {
            src->groups[g]->probe_phase = 0;
            src->groups[g]->probe_cursor = 0;
        }
    }
}

/* ---- head offsets and log starts: ListOffsets to each leader broker,
 * latest and earliest apart (one request cannot name a partition twice),
 * MON_SOURCE_KAFKA_CHUNK partitions each (librdkafka matches every
 * partition of an answer against its request's list by a linear search:
 * one request of 10,000 partitions costs 50 M string compares), all sent
 * at once ---- */

typedef struct hjob_s {
    int32_t broker;
    bool earliest; /* OFFSET_BEGINNING: the log start */
    rd_kafka_topic_partition_list_t *parts;
    rd_kafka_resp_err_t err;
    int64_t t_ms;
} hjob_t;

typedef struct hpool_s {
    rd_kafka_t *rk;
    hjob_t *jobs;
    size_t n;
    atomic_size_t next;
    int timeout_ms;
} hpool_t;

static void *head_worker(void *arg) {
    hpool_t *pool = arg;
    size_t i;
    while ((i = atomic_fetch_add(&pool->next, 1)) < pool->n) {
        hjob_t *job = &pool->jobs[i];
        job->err =
            rd_kafka_offsets_for_times(pool->rk, job->parts, pool->timeout_ms);
        job->t_ms = mon_clock_wall_ms();
    }
    return NULL;
}

static int cmp_job(const void *a, const void *b) {
    const hjob_t *ja = a, *jb = b;
    if (ja->broker != jb->broker) return (ja->broker > jb->broker) ? 1 : -1;
    return (int)ja->earliest - (int)jb->earliest; /* heads first */
}

static bool broker_down(const refresh_t *rf, int32_t b);

static void refresh_heads(mon_source_kafka_t *src, refresh_t *rf) {
    hjob_t *jobs = NULL;
    size_t n_jobs = 0;
    for (size_t i = 0; i < src->n_topics; i++) {
        ktopic_t *t = &src->topics[i];
        /* __consumer_offsets is asked even when not wanted: its leaders
         * are the group coordinators, whose health gates the fetches of
         * committed offsets (see refresh_commits_admin) */
        if (!t->wanted && strcmp(t->name, OFFSETS_TOPIC) != 0) continue;
        for (int32_t p = 0; p < t->n_parts; p++) {
            int32_t b = t->leaders[p];
            if (b < 0) continue; /* no leader: skipped this round, as Burrow */
            /* log starts of the watched topics only */
            for (int k = 0; k < (t->wanted ? 2 : 1); k++) {
                /* the last job of (b, k) is the one still filling */
                size_t j = n_jobs;
                while (j > 0 && (jobs[j - 1].broker != b ||
                                 jobs[j - 1].earliest != (k == 1)))
                    j--;
                if (j == 0 || jobs[j - 1].parts->cnt >= MON_SOURCE_KAFKA_CHUNK)
                    j = n_jobs;
                else
                    j--;
                if (j == n_jobs) {
                    jobs = mon_realloc(jobs, (n_jobs + 1) * sizeof(*jobs));
                    memset(&jobs[j], 0, sizeof(*jobs));
                    jobs[j].broker = b;
                    jobs[j].earliest = k == 1;
                    jobs[j].parts = rd_kafka_topic_partition_list_new(64);
                    n_jobs++;
                }
                rd_kafka_topic_partition_t *e =
                    rd_kafka_topic_partition_list_add(jobs[j].parts, t->name,
                                                      p);
                e->offset = k ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
                e->opaque = t;
            }
        }
    }
    if (n_jobs == 0) {
        free(jobs);
        return;
    }
    qsort(jobs, n_jobs, sizeof(*jobs), cmp_job);
    hpool_t pool = {.rk = src->rk,
                    .jobs = jobs,
                    .n = n_jobs,
                    .timeout_ms = src->req_timeout_ms};
    atomic_init(&pool.next, 0);
    size_t n_workers = n_jobs < HEAD_WORKERS ? n_jobs : HEAD_WORKERS;
    pthread_t tids[HEAD_WORKERS];
    size_t started = 0;
    for (size_t w = 1; w < n_workers; w++) {
        if (pthread_create(&tids[started], NULL, head_worker, &pool) != 0)
            break;
        started++;
    }
    head_worker(&pool);
    for (size_t w = 0; w < started; w++)
        pthread_join(tids[w], NULL);
    rf->requests += n_jobs;
    for (size_t j = 0; j < n_jobs; j++) {
        hjob_t *job = &jobs[j];
        if (job->err) {
            rf_fail(src, rf, "broker %d: ListOffsets%s for %d partitions: %s",
                    (int)job->broker, job->earliest ? " earliest" : "",
                    job->parts->cnt, rd_kafka_err2str(job->err));
            if (!broker_down(rf, job->broker)) {
                rf->down =
                    mon_realloc(rf->down, (rf->n_down + 1) * sizeof(*rf->down));
                rf->down[rf->n_down++] = job->broker;
            }
            /* a leader moved (NOT_LEADER_OR_FOLLOWER, a leader election or
             * a broker restarting) or its broker is gone: the next
             * refresh reads the metadata again, or it would ask the same
             * broker until the next topic refresh */
            src->need_metadata = true;
        } else if (job->earliest) {
            for (int i = 0; i < job->parts->cnt; i++) {
                rd_kafka_topic_partition_t *e = &job->parts->elems[i];
                if (e->err || e->offset < 0) continue;
                mon_kframe_op_t op = {.type = MON_KFRAME_LOG_START,
                                      .topic = e->topic,
                                      .partition = e->partition,
                                      .offset = e->offset,
                                      .t_ms = job->t_ms};
                store_op(src, &op);
            }
        } else {
            for (int i = 0; i < job->parts->cnt; i++) {
                rd_kafka_topic_partition_t *e = &job->parts->elems[i];
                ktopic_t *t = e->opaque;
                if (e->err || e->offset < 0) {
                    src->need_metadata = true; /* leader moved? */
                    continue;
                }
                if (!t->wanted) continue;
                mon_kframe_op_t op = {.type = MON_KFRAME_HEAD,
                                      .topic = e->topic,
                                      .partition = e->partition,
                                      .partitions = t->n_parts,
                                      .offset = e->offset,
                                      .t_ms = job->t_ms};
                if (store_op(src, &op) == MON_STORE_STORED) rf->heads++;
            }
        }
        rd_kafka_topic_partition_list_destroy(job->parts);
    }
    free(jobs);
}

/* ---- topic retention configs: DescribeConfigs, after each metadata
 * refresh ---- */

/* retention.ms or retention.bytes as a number; -1 (unlimited) for any
 * negative value, EV_RETENTION_UNKNOWN when absent or not a number. */
static int64_t config_i64(const char *v) {
    char *end;
    long long n;
    if (!v || !*v) return EV_RETENTION_UNKNOWN;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || *end) return EV_RETENTION_UNKNOWN;
    return n < 0 ? -1 : (int64_t)n;
}

static void configs_result(mon_source_kafka_t *src, rd_kafka_event_t *ev) {
    const rd_kafka_DescribeConfigs_result_t *res =
        rd_kafka_event_DescribeConfigs_result(ev);
    size_t n = 0;
    const rd_kafka_ConfigResource_t **rs =
        res ? rd_kafka_DescribeConfigs_result_resources(res, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        const char *topic = rd_kafka_ConfigResource_name(rs[i]);
        if (rd_kafka_ConfigResource_error(rs[i]) || !topic) continue;
        size_t ne = 0;
        const rd_kafka_ConfigEntry_t **es =
            rd_kafka_ConfigResource_configs(rs[i], &ne);
        int64_t ms = EV_RETENTION_UNKNOWN, bytes = EV_RETENTION_UNKNOWN;
        bool del = true;
        for (size_t k = 0; k < ne; k++) {
            const char *name = rd_kafka_ConfigEntry_name(es[k]);
            const char *v = rd_kafka_ConfigEntry_value(es[k]);
            if (!name) continue;
            if (!strcmp(name, "retention.ms"))
                ms = config_i64(v);
            else if (!strcmp(name, "retention.bytes"))
                bytes = config_i64(v);
            else if (!strcmp(name, "cleanup.policy"))
                del = v && strstr(v, "delete") != NULL;
        }
        if (!del) ms = bytes = -1; /* compacted only: retention deletes none */
        mon_kframe_op_t op = {.type = MON_KFRAME_TOPIC_CONF,
                              .topic = topic,
                              .retention_ms = ms,
                              .retention_bytes = bytes};
        store_op(src, &op);
    }
}

/* Applies a DescribeConfigs result (whichever refresh sent it) and logs
 * a failure once (a broker may deny DescribeConfigs, or know no
 * controller: librdkafka then waits for one until the request times
 * out). Consumes nothing of ev. */
static void configs_event(mon_source_kafka_t *src, rd_kafka_event_t *ev) {
    src->configs_inflight = false;
    if (!rd_kafka_event_error(ev)) {
        configs_result(src, ev);
        src->configs_logged = false;
        return;
    }
    if (src->configs_logged) return;
    src->configs_logged = true;
    mon_log_kv(
        MON_LOG_INFO,
        MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                       MON_LF_STR("error", rd_kafka_event_error_string(ev))),
        "topic retention configs not read (DescribeConfigs); "
        "retention eta from the log start's advance only");
}

/* Asks for retention.ms, retention.bytes and cleanup.policy of every
 * wanted topic in one DescribeConfigs, without waiting: its result is
 * applied by whichever wait or drain of the admin queue meets it
 * (admin_wait_own, admin_drain), so a slow or refused request never
 * holds a refresh up. One at a time; asked again after each metadata
 * refresh. The configs only refine an estimate: failing to read them
 * fails nothing. */
static void refresh_configs(mon_source_kafka_t *src, refresh_t *rf) {
    size_t n = 0;
    if (src->configs_inflight) return;
    rd_kafka_ConfigResource_t **res =
        mon_calloc(src->n_topics + 1, sizeof(*res));
    for (size_t i = 0; i < src->n_topics; i++)
        if (src->topics[i].wanted)
            res[n++] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC,
                                                   src->topics[i].name);
    src->configs_due = false;
    if (n) {
        rf->requests++;
        src->configs_inflight = true;
        rd_kafka_DescribeConfigs(src->rk, res, n, src->opt_configs, src->aq);
    }
    for (size_t i = 0; i < n; i++)
        rd_kafka_ConfigResource_destroy(res[i]);
    free(res);
}

/* ---- committed offsets, admin mode ---- */

/* The broker coordinating group: Kafka's partitionFor (abs of Java's
 * String.hashCode modulo the partitions of __consumer_offsets) and that
 * partition's leader; -1 when unknown. */
static int32_t group_coordinator(mon_source_kafka_t *src, const char *group) {
    ktopic_t *t = topic_find(src->topics, src->n_topics, OFFSETS_TOPIC);
    if (!t || t->n_parts <= 0) return -1;
    return t->leaders[mon_kdecode_partition_for(group, t->n_parts)];
}

static bool broker_down(const refresh_t *rf, int32_t b) {
    for (size_t i = 0; i < rf->n_down; i++)
        if (rf->down[i] == b) return true;
    return false;
}

/* Whether group's offsets may be asked for in this refresh. librdkafka
 * 2.0 aborts the process (rd_kafka_enq_once_del_source_return assertion,
 * librdkafka issues 3663/4605) when a coordinator request cannot be sent
 * to a coordinator whose connection failed, so nothing is sent to a
 * coordinator that just failed to answer ListOffsets, or to any when the
 * coordinators are unknown and some broker failed. */
static bool coordinator_usable(mon_source_kafka_t *src, const refresh_t *rf,
                               const kgroup_t *g) {
    if (rf->metadata_failed) return false;
    if (rf->n_down == 0) return true;
    int32_t c = group_coordinator(src, g->name);
    return c >= 0 && !broker_down(rf, c);
}

/* Waits for one admin result on src->aq, checking the stop flag. */
static rd_kafka_event_t *admin_wait(mon_source_kafka_t *src, int max_ms) {
    int64_t end = mon_clock_mono_ms() + max_ms;
    while (!stopping(src)) {
        int64_t left = end - mon_clock_mono_ms();
        rd_kafka_event_t *ev =
            rd_kafka_queue_poll(src->aq, left < 0     ? 0
                                         : left > 100 ? 100
                                                      : (int)left);
        if (ev) return ev;
        if (left <= 0) break;
    }
    return NULL;
}

static void offsets_result(mon_source_kafka_t *src, refresh_t *rf,
                           rd_kafka_event_t *ev);

/* Whether ev answers a request of this refresh (see src->gen). */
static bool admin_own(const mon_source_kafka_t *src, rd_kafka_event_t *ev) {
    return (uintptr_t)rd_kafka_event_opaque(ev) == src->gen;
}

/* Waits for a result of this refresh; late results of an earlier refresh
 * (after a timeout) are applied if they carry offsets, then dropped. */
static rd_kafka_event_t *admin_wait_own(mon_source_kafka_t *src, refresh_t *rf,
                                        int max_ms) {
    int64_t end = mon_clock_mono_ms() + max_ms;
    for (;;) {
        int64_t left = end - mon_clock_mono_ms();
        rd_kafka_event_t *ev = admin_wait(src, (int)(left > 0 ? left : 0));
        if (!ev) return NULL;
        if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT) {
            configs_event(src, ev);
            rd_kafka_event_destroy(ev);
            continue;
        }
        if (admin_own(src, ev)) return ev;
        if (rd_kafka_event_type(ev) ==
            RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT)
            offsets_result(src, rf, ev);
        rd_kafka_event_destroy(ev);
    }
}

/* Applies what the admin queue holds now (late results), waiting for
 * nothing. */
static void admin_drain(mon_source_kafka_t *src, refresh_t *rf) {
    rd_kafka_event_t *ev;
    while ((ev = rd_kafka_queue_poll(src->aq, 0))) {
        if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT)
            configs_event(src, ev);
        else if (rd_kafka_event_type(ev) ==
                 RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT)
            offsets_result(src, rf, ev);
        rd_kafka_event_destroy(ev);
    }
}

static void list_groups(mon_source_kafka_t *src, refresh_t *rf) {
    const mon_config_cluster_t *cfg = src->cfg;
    for (size_t i = 0; i < src->n_groups; i++)
        src->groups[i]->listed = false;
    for (size_t i = 0; i < cfg->n_groups; i++) {
        if (!mon_config_name_allowed(cfg->group_allowlist, cfg->group_denylist,
                                     cfg->groups[i]))
            continue;
        kgroup_t *g = group_get(src, cfg->groups[i]);
        g->listed = g->configured = true;
    }
    bool complete = false;
    src->listed_now = false;
    /* ListGroups goes to every broker: not while some are failing */
    if (!src->listing_unsupported && rf->n_down == 0 && !rf->metadata_failed) {
        rf->requests += (uint64_t)(src->n_brokers > 0 ? src->n_brokers : 1);
        rd_kafka_ListConsumerGroups(src->rk, src->opt_list, src->aq);
        rd_kafka_event_t *ev =
            admin_wait_own(src, rf, src->req_timeout_ms + 2000);
        if (!ev) {
            if (!stopping(src))
                rf_fail(src, rf, "ListConsumerGroups: no answer");
        } else if (rd_kafka_event_error(ev)) {
            rf_fail(src, rf, "ListConsumerGroups: %s",
                    rd_kafka_event_error_string(ev));
        } else {
            const rd_kafka_ListConsumerGroups_result_t *res =
                rd_kafka_event_ListConsumerGroups_result(ev);
            size_t n_valid = 0, n_err = 0, n_unsup = 0;
            const rd_kafka_ConsumerGroupListing_t **valid =
                rd_kafka_ListConsumerGroups_result_valid(res, &n_valid);
            const rd_kafka_error_t **errs =
                rd_kafka_ListConsumerGroups_result_errors(res, &n_err);
            for (size_t i = 0; i < n_err; i++) {
                rd_kafka_resp_err_t code = rd_kafka_error_code(errs[i]);
                if (code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
                    code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
                    code == RD_KAFKA_RESP_ERR_INVALID_REQUEST)
                    n_unsup++;
                else
                    rf_fail(src, rf, "ListConsumerGroups: %s",
                            rd_kafka_error_string(errs[i]));
            }
            if (n_valid == 0 && n_err > 0 && n_unsup == n_err) {
                src->listing_unsupported = true;
                if (!src->listing_told)
                    mon_log_kv(
                        MON_LOG_INFO,
                        MON_LOG_FIELDS(MON_LF_STR("cluster", cfg->name),
                                       MON_LF_INT("groups", cfg->n_groups)),
                        "brokers cannot list groups; using groups = "
                        "and naming partitions");
                src->listing_told = true;
            } else if (n_valid > 0 || n_err == 0) {
                src->listing_told = false; /* told again if it stops */
            }
            for (size_t i = 0; i < n_valid; i++) {
                const char *name =
                    rd_kafka_ConsumerGroupListing_group_id(valid[i]);
                if (!name || !name[0] ||
                    !mon_config_name_allowed(cfg->group_allowlist,
                                             cfg->group_denylist, name))
                    continue;
                group_get(src, name)->listed = true;
            }
            complete = n_err == 0;
            src->listed_now = n_valid > 0 || n_err == 0;
        }
        if (ev) rd_kafka_event_destroy(ev);
    }
    /* a complete listing forgets groups Kafka no longer has (the store
     * keeps them until expire-group); otherwise nobody is forgotten */
    for (size_t i = src->n_groups; i-- > 0;) {
        kgroup_t *g = src->groups[i];
        if (g->listed || g->configured) continue;
        if (complete)
            group_remove(src, g->name);
        else
            g->listed = true;
    }
}

/* Adds topic/p to the request being filled (at most
 * MON_SOURCE_KAFKA_CHUNK partitions each), starting the next one when it
 * is full. Returns false when reqs already holds cap requests. */
static bool req_add(rd_kafka_topic_partition_list_t **reqs, size_t cap,
                    size_t *n, rd_kafka_topic_partition_list_t **cur,
                    const char *topic, int32_t p) {
    if (!*cur || (*cur)->cnt >= MON_SOURCE_KAFKA_CHUNK) {
        if (*n == cap) return false;
        *cur = reqs[(*n)++] =
            rd_kafka_topic_partition_list_new(MON_SOURCE_KAFKA_CHUNK);
    }
    rd_kafka_topic_partition_list_add(*cur, topic, p);
    return true;
}

/* Builds the fetch requests of one group into reqs (named mode: chunks of
 * at most MON_SOURCE_KAFKA_CHUNK partitions), spending *budget on probes. */
static size_t group_requests(mon_source_kafka_t *src, kgroup_t *g,
                             int64_t *budget, bool full_probes,
                             rd_kafka_topic_partition_list_t **reqs,
                             size_t cap) {
    if (!src->listing_unsupported) {
        reqs[0] = NULL; /* all of the group's partitions */
        return 1;
    }
    size_t n = 0;
    rd_kafka_topic_partition_list_t *cur = NULL;
    /* topics the group is known to commit to: every partition */
    for (size_t i = 0; i < g->n_topics; i++) {
        ktopic_t *t =
            topic_find(src->topics, src->n_topics, g->topics[i].topic);
        if (!t || !t->wanted) continue;
        for (int32_t p = 0; p < t->n_parts; p++)
            if (!req_add(reqs, cap, &n, &cur, t->name, p)) return n;
    }
    /* probes of the other topics, within the budget; every group gets
     * its cheap partition-0 sweep before any group sweeps all partitions */
    while (g->probe_phase < 2 && *budget > 0 &&
           (g->probe_phase == 0 || full_probes)) {
        if (g->probe_cursor >= src->n_topics) {
            g->probe_phase++;
            g->probe_cursor = 0;
            continue;
        }
        ktopic_t *t = &src->topics[g->probe_cursor];
        if (t->wanted && t->n_parts > (g->probe_phase == 0 ? 0 : 1) &&
            !gtopic_find(g, t->name)) {
            if (g->probe_phase == 0) {
                if (!req_add(reqs, cap, &n, &cur, t->name, 0)) return n;
                (*budget)--;
            } else {
                /* partition 0 was probed in phase 0: the others now */
                if (t->n_parts - 1 > *budget &&
                    *budget < MON_SOURCE_KAFKA_CHUNK)
                    break; /* next refresh */
                for (int32_t p = 1; p < t->n_parts; p++)
                    if (!req_add(reqs, cap, &n, &cur, t->name, p)) return n;
                *budget -= t->n_parts - 1;
            }
        }
        g->probe_cursor++;
    }
    return n;
}

static int64_t probes_pending(const mon_source_kafka_t *src) {
    if (!src->listing_unsupported) return 0;
    int64_t n = 0;
    for (size_t i = 0; i < src->n_groups; i++) {
        const kgroup_t *g = src->groups[i];
        if (g->probe_phase < 2)
            n += (int64_t)(src->n_topics - g->probe_cursor) +
                 (g->probe_phase == 0 ? (int64_t)src->n_topics : 0);
    }
    return n;
}

static void offsets_result(mon_source_kafka_t *src, refresh_t *rf,
                           rd_kafka_event_t *ev) {
    int64_t now = mon_clock_wall_ms();
    if (rd_kafka_event_error(ev)) {
        rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
        if (err_is_outage(err))
            rf_fail(src, rf, "ListConsumerGroupOffsets: %s",
                    rd_kafka_event_error_string(ev));
        else
            mon_log_kv(
                MON_LOG_WARN,
                MON_LOG_FIELDS(
                    MON_LF_STR("cluster", src->cfg->name),
                    MON_LF_STR("error", rd_kafka_event_error_string(ev))),
                "ListConsumerGroupOffsets failed");
        return;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **res =
        rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        const char *name = rd_kafka_group_result_name(res[i]);
        const rd_kafka_error_t *gerr = rd_kafka_group_result_error(res[i]);
        kgroup_t *g = name ? group_find(src, name) : NULL;
        if (gerr) {
            if (err_is_outage(rd_kafka_error_code(gerr)))
                rf_fail(src, rf, "group %s: %s", name ? name : "?",
                        rd_kafka_error_string(gerr));
            else
                mon_log_kv(
                    MON_LOG_WARN,
                    MON_LOG_FIELDS(
                        MON_LF_STR("cluster", src->cfg->name),
                        MON_LF_STR("group", name ? name : "?"),
                        MON_LF_STR("error", rd_kafka_error_string(gerr))),
                    "group offsets failed");
            continue;
        }
        const rd_kafka_topic_partition_list_t *parts =
            rd_kafka_group_result_partitions(res[i]);
        if (!g || !parts) continue;
        bool holds = false;
        for (int j = 0; j < parts->cnt; j++) {
            const rd_kafka_topic_partition_t *e = &parts->elems[j];
            if (e->err || e->offset < 0) continue;
            ktopic_t *t = topic_find(src->topics, src->n_topics, e->topic);
            if (!t || !t->wanted) continue;
            holds = true;
            rf->commits +=
                (uint64_t)commit_seen(src, g, e->topic, e->partition, e->offset,
                                      now, NULL, NULL, false, NULL);
        }
        /* Listed (or configured) and the cluster holds its offsets: alive,
         * even when no offset changed (caught up on an idle topic, or
         * stalled), so it must not expire. */
        if (holds) {
            mon_kframe_op_t op = {
                .type = MON_KFRAME_SEEN, .group = g->name, .t_ms = now};
            store_op(src, &op);
        }
    }
}

/* ---- group state and members, admin mode ---- */

/* Whether a DescribeGroups error says the brokers cannot describe. */
static bool describe_refused(rd_kafka_resp_err_t code) {
    return code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
           code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
           code == RD_KAFKA_RESP_ERR_INVALID_REQUEST;
}

/* Tells the store one group's description (state, assignor, members with
 * their assignments; DescribeGroups carries no generation). A group over
 * the offsets-max-members / -assigned bounds is passed over, as its
 * group metadata records would be. Returns 1 when told, else 0. */
static int describe_apply(mon_source_kafka_t *src,
                          const rd_kafka_ConsumerGroupDescription_t *d,
                          int64_t now) {
    const char *name = rd_kafka_ConsumerGroupDescription_group_id(d);
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d), ntp = 0;
    if (!name || !name[0] ||
        (src->limits.max_members && n > src->limits.max_members))
        return 0;
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberAssignment_t *a =
            rd_kafka_MemberDescription_assignment(
                rd_kafka_ConsumerGroupDescription_member(d, i));
        const rd_kafka_topic_partition_list_t *l =
            a ? rd_kafka_MemberAssignment_partitions(a) : NULL;
        ntp += l ? (size_t)l->cnt : 0;
    }
    if (src->limits.max_assigned && ntp > src->limits.max_assigned) return 0;
    mon_member_t *mv = mon_calloc(n + 1, sizeof(*mv));
    mon_member_tp_t *tv = mon_calloc(ntp + 1, sizeof(*tv));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *md =
            rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_MemberAssignment_t *a =
            rd_kafka_MemberDescription_assignment(md);
        const rd_kafka_topic_partition_list_t *l =
            a ? rd_kafka_MemberAssignment_partitions(a) : NULL;
        mv[i].member_id = rd_kafka_MemberDescription_consumer_id(md);
        mv[i].instance_id = rd_kafka_MemberDescription_group_instance_id(md);
        mv[i].client_id = rd_kafka_MemberDescription_client_id(md);
        mv[i].host = rd_kafka_MemberDescription_host(md);
        mv[i].assigned = &tv[k];
        for (int j = 0; l && j < l->cnt; j++, k++) {
            tv[k].topic = l->elems[j].topic;
            tv[k].partition = l->elems[j].partition;
        }
        mv[i].n_assigned = l ? (size_t)l->cnt : 0;
    }
    const char *assignor =
        rd_kafka_ConsumerGroupDescription_partition_assignor(d);
    mon_group_members_t m = {
        .state = rd_kafka_consumer_group_state_name(
            rd_kafka_ConsumerGroupDescription_state(d)),
        .protocol_type =
            rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d)
                ? ""
                : "consumer",
        .protocol = assignor ? assignor : "",
        .generation = -1,
        .t_ms = now,
        .members = mv,
        .count = n};
    mon_kframe_op_t op = {
        .type = MON_KFRAME_MEMBERS, .group = name, .t_ms = now, .members = &m};
    store_op(src, &op);
    free(mv);
    free(tv);
    return 1;
}

/* The answer to this refresh's DescribeConsumerGroups. */
static void describe_result(mon_source_kafka_t *src, refresh_t *rf,
                            rd_kafka_event_t *ev) {
    int64_t now = mon_clock_wall_ms();
    if (rd_kafka_event_error(ev)) {
        if (describe_refused(rd_kafka_event_error(ev)))
            src->describe_unsupported = true;
        else if (err_is_outage(rd_kafka_event_error(ev)))
            rf_fail(src, rf, "DescribeConsumerGroups: %s",
                    rd_kafka_event_error_string(ev));
        return;
    }
    size_t n = 0, refused = 0, errors = 0;
    const rd_kafka_ConsumerGroupDescription_t **res =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_error_t *gerr =
            rd_kafka_ConsumerGroupDescription_error(res[i]);
        if (gerr) {
            errors++;
            if (describe_refused(rd_kafka_error_code(gerr))) refused++;
            continue;
        }
        src->described += describe_apply(src, res[i], now);
    }
    if (n > 0 && refused == n) {
        src->describe_unsupported = true;
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name)),
                   "brokers cannot describe groups; no group state or "
                   "members");
    } else if (errors > refused) {
        mon_log_kv(MON_LOG_DEBUG,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                  MON_LF_INT("groups", errors - refused)),
                   "groups not described");
    }
}

/* Asks for the description of every listed group whose coordinator may
 * be asked, in one DescribeConsumerGroups call (librdkafka sends each to
 * its coordinator), answered while the offsets are fetched (the two
 * overlap: describe_finish). Returns true when a call was made. */
static bool describe_start(mon_source_kafka_t *src, refresh_t *rf) {
    src->described = 0;
    src->describe_t0 = mon_clock_mono_ms();
    src->describe_ms = 0;
    /* librdkafka 2.0.2 aborts the process (the same assertion as in
     * coordinator_usable) when brokers refuse a coordinator request they
     * do not support, as its mock cluster does DescribeGroups: groups are
     * described only where they were just listed (a broker with
     * ListGroups, API 16, has DescribeGroups, API 15: both came in Kafka
     * 0.9; and every broker answered it, so none just failed) */
    if (src->describe_unsupported || src->listing_unsupported ||
        !src->listed_now || src->n_groups == 0 || stopping(src))
        return false;
    const char **names = mon_malloc(src->n_groups * sizeof(*names));
    size_t n = 0;
    for (size_t i = 0; i < src->n_groups; i++)
        if (src->groups[i]->listed &&
            coordinator_usable(src, rf, src->groups[i]))
            names[n++] = src->groups[i]->name;
    if (n > 0) {
        rd_kafka_AdminOptions_set_opaque(src->opt_describe, (void *)src->gen);
        rd_kafka_DescribeConsumerGroups(src->rk, names, n, src->opt_describe,
                                        src->aq);
        rf->requests += n;
    }
    free(names);
    return n > 0;
}

/* Waits for the answer describe_start asked for (asked), unless it came
 * already (pending false); offsets answers of this refresh that arrive
 * meanwhile are applied. */
static void describe_finish(mon_source_kafka_t *src, refresh_t *rf, bool asked,
                            bool pending) {
    if (!asked) return; /* describe_ms stays 0 */
    int64_t end = mon_clock_mono_ms() + src->req_timeout_ms + 2000;
    while (pending) {
        int64_t left = end - mon_clock_mono_ms();
        rd_kafka_event_t *ev =
            admin_wait_own(src, rf, (int)(left > 0 ? left : 0));
        if (!ev) {
            if (!stopping(src))
                rf_fail(src, rf, "DescribeConsumerGroups: no answer");
            break;
        }
        rd_kafka_event_type_t type = rd_kafka_event_type(ev);
        if (type == RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT)
            offsets_result(src, rf, ev);
        else if (type == RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT) {
            describe_result(src, rf, ev);
            pending = false;
        }
        rd_kafka_event_destroy(ev);
    }
    src->describe_ms = mon_clock_mono_ms() - src->describe_t0;
}

static void refresh_commits_admin(mon_source_kafka_t *src, refresh_t *rf) {
    src->gen++;
    rd_kafka_AdminOptions_set_opaque(src->opt_list, (void *)src->gen);
    rd_kafka_AdminOptions_set_opaque(src->opt_offsets, (void *)src->gen);
    list_groups(src, rf);
    size_t n_groups = src->n_groups;
    if (n_groups == 0) {
        src->described = src->describe_ms = 0;
        return;
    }
    int64_t budget = MON_SOURCE_KAFKA_PROBE_BUDGET;
    bool full_probes = true;
    for (size_t i = 0; i < n_groups && full_probes; i++)
        full_probes = src->groups[i]->probe_phase != 0;
    size_t start = src->probe_rr % n_groups, next_group = 0;
    size_t inflight = 0, skipped = 0;
    bool budget_out = false;
    /* requests of the group being issued */
    rd_kafka_topic_partition_list_t *pend[256];
    size_t n_pend = 0, i_pend = 0;
    bool asked = describe_start(src, rf), describing = asked;
    for (;;) {
        while (inflight < MON_SOURCE_KAFKA_INFLIGHT && !stopping(src)) {
            if (i_pend == n_pend) {
                if (next_group == n_groups) break;
                kgroup_t *g = src->groups[(start + next_group) % n_groups];
                int64_t before = budget;
                if (!coordinator_usable(src, rf, g)) {
                    skipped++;
                    next_group++;
                    n_pend = i_pend = 0;
                    continue;
                }
                n_pend =
                    group_requests(src, g, &budget, full_probes, pend, 256);
                i_pend = 0;
                if (!budget_out && budget <= 0 && before > 0) {
                    /* this group starts the probes of the next refresh */
                    budget_out = true;
                    src->probe_rr = (start + next_group) % n_groups;
                }
                next_group++;
                continue;
            }
            kgroup_t *g = src->groups[(start + next_group - 1) % n_groups];
            rd_kafka_ListConsumerGroupOffsets_t *req =
                rd_kafka_ListConsumerGroupOffsets_new(g->name, pend[i_pend]);
            rd_kafka_ListConsumerGroupOffsets(src->rk, &req, 1,
                                              src->opt_offsets, src->aq);
            rd_kafka_ListConsumerGroupOffsets_destroy(req);
            if (pend[i_pend])
                rd_kafka_topic_partition_list_destroy(pend[i_pend]);
            i_pend++;
            inflight++;
            rf->requests++;
        }
        if (inflight == 0) break;
        rd_kafka_event_t *ev =
            admin_wait_own(src, rf, src->req_timeout_ms + 2000);
        if (!ev) {
            if (!stopping(src))
                rf_fail(src, rf,
                        "ListConsumerGroupOffsets: %zu requests "
                        "got no answer",
                        inflight);
            break;
        }
        if (rd_kafka_event_type(ev) ==
            RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT) {
            describe_result(src, rf, ev);
            rd_kafka_event_destroy(ev);
            describing = false;
            continue;
        }
        offsets_result(src, rf, ev);
        rd_kafka_event_destroy(ev);
        inflight--;
    }
    for (; i_pend < n_pend; i_pend++)
        if (pend[i_pend]) rd_kafka_topic_partition_list_destroy(pend[i_pend]);
    if (skipped > 0)
        rf_fail(src, rf,
                "%zu of %zu groups not fetched: coordinator "
                "unreachable",
                skipped, n_groups);
    describe_finish(src, rf, asked, describing);
    /* results still due arrive late and are told apart by src->gen */
}

/* ---- committed offsets, offsets-topic mode ---- */

static void reader_assign(mon_source_kafka_t *src, refresh_t *rf) {
    ktopic_t *t = topic_find(src->topics, src->n_topics, OFFSETS_TOPIC);
    if (!t) {
        rf_fail(src, rf, "topic %s not found (offsets = offsets-topic)",
                OFFSETS_TOPIC);
        return;
    }
    if (t->n_parts <= src->reader_parts) return;
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(t->n_parts - src->reader_parts);
    for (int32_t p = src->reader_parts; p < t->n_parts; p++)
        rd_kafka_topic_partition_list_add(parts, OFFSETS_TOPIC, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_error_t *error = rd_kafka_incremental_assign(src->crk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (error) {
        rf_fail(src, rf, "assign %s: %s", OFFSETS_TOPIC,
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return;
    }
    src->reader_parts = t->n_parts;
}

static void set_str(char **slot, const char *s) {
    free(*slot);
    *slot = s && s[0] ? mon_strdup(s) : NULL;
}

/* Whether every partition a group metadata record assigns is within its
 * topic's count from metadata (topics not known do not count): 0, or -1
 * with why naming the first that is not. */
static int owners_check(mon_source_kafka_t *src,
                        const mon_kdecode_record_t *rec, char *why,
                        size_t why_size) {
    for (size_t i = 0; i < rec->n_owners; i++) {
        const mon_kdecode_owner_t *o = &rec->owners[i];
        if (known_partition(src, o->topic, o->partition) < 0) {
            ktopic_t *t = topic_find(src->topics, src->n_topics, o->topic);
            snprintf(why, why_size,
                     "assignment names partition %d of topic %s, which has "
                     "%d",
                     (int)o->partition, o->topic, (int)t->n_parts);
            return -1;
        }
    }
    return 0;
}

/* Replaces the group's owners with those of a group metadata record that
 * passed owners_check; topics metadata does not know are passed over. */
static void apply_owners(mon_source_kafka_t *src, kgroup_t *g,
                         const mon_kdecode_record_t *rec) {
    for (size_t i = 0; i < g->n_topics; i++) {
        kgtopic_t *gt = &g->topics[i];
        for (int32_t p = 0; gt->owner && p < gt->n; p++) {
            set_str(&gt->owner[p], NULL);
            set_str(&gt->client[p], NULL);
        }
    }
    for (size_t i = 0; i < rec->n_owners; i++) {
        const mon_kdecode_owner_t *o = &rec->owners[i];
        if (known_partition(src, o->topic, o->partition) != 1) continue;
        kgtopic_t *gt = gtopic_get(g, o->topic, o->partition);
        if (!gt->owner) {
            gt->owner = mon_calloc((size_t)gt->n, sizeof(char *));
            gt->client = mon_calloc((size_t)gt->n, sizeof(char *));
        }
        const mon_kdecode_member_t *m = &rec->members[o->member];
        set_str(&gt->owner[o->partition], m->client_host);
        set_str(&gt->client[o->partition], m->client_id);
    }
}

/* Tells the store the membership a group metadata record holds (its
 * generation, protocol and members with their assignments; Kafka writes
 * one when a generation completes, with no members when the group
 * empties: Stable or Empty), at the record's place. */
static void members_of_record(mon_source_kafka_t *src,
                              const mon_kdecode_record_t *rec,
                              const mon_store_pos_t *at) {
    size_t n = rec->n_members;
    mon_member_t *mv = mon_calloc(n + 1, sizeof(*mv));
    mon_member_tp_t *tv = mon_calloc(rec->n_owners + 1, sizeof(*tv));
    size_t *count = mon_calloc(n + 1, sizeof(*count));
    for (size_t i = 0; i < rec->n_owners; i++)
        if (rec->owners[i].member < n) count[rec->owners[i].member]++;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const mon_kdecode_member_t *m = &rec->members[i];
        mv[i].member_id = m->member_id;
        mv[i].instance_id = m->group_instance_id;
        mv[i].client_id = m->client_id;
        mv[i].host = m->client_host;
        mv[i].assigned = &tv[k];
        k += count[i];
    }
    for (size_t i = 0; i < rec->n_owners; i++) {
        const mon_kdecode_owner_t *o = &rec->owners[i];
        if (o->member >= n) continue;
        mon_member_t *m = &mv[o->member];
        mon_member_tp_t *tp = (mon_member_tp_t *)&m->assigned[m->n_assigned++];
        tp->topic = o->topic;
        tp->partition = o->partition;
    }
    mon_group_members_t gm = {.state = n ? "Stable" : "Empty",
                              .protocol_type = rec->protocol_type,
                              .protocol = rec->protocol,
                              .generation = rec->generation,
                              .t_ms = rec->state_ts > 0 ? rec->state_ts
                                                        : mon_clock_wall_ms(),
                              .members = mv,
                              .count = n};
    mon_kframe_op_t op = {.type = MON_KFRAME_MEMBERS,
                          .group = rec->group,
                          .t_ms = gm.t_ms,
                          .members = &gm,
                          .placed = at != NULL,
                          .place = at ? *at : (mon_store_pos_t){0, 0}};
    store_op(src, &op);
    free(count);
    free(mv);
    free(tv);
}

/* A record skipped because it breaks a bound: counted, and told once a
 * minute (the first one with its place; then how many more). */
static void bound_skip(mon_source_kafka_t *src, const rd_kafka_message_t *msg,
                       const char *why) {
    pthread_mutex_lock(&src->lock);
    src->status.records_skipped++;
    pthread_mutex_unlock(&src->lock);
    mon_log_limit_event(src->loglim, mon_clock_mono_ms(), MON_LOG_WARN,
                        "offsets record over a bound",
                        MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                       MON_LF_STR("topic", OFFSETS_TOPIC),
                                       MON_LF_INT("partition", msg->partition),
                                       MON_LF_INT("offset", msg->offset),
                                       MON_LF_STR("error", why)),
                        "offsets record skipped: over a bound");
}

/* Applies one record of __consumer_offsets; every write it makes carries
 * the record's place (reader_record). */
static void reader_apply(mon_source_kafka_t *src, refresh_t *rf,
                         const rd_kafka_message_t *msg,
                         const mon_store_pos_t *at) {
    char err[MON_ERRSTR_SIZE];
    mon_kdecode_record_t *rec = &src->rec;
    const mon_config_cluster_t *cfg = src->cfg;
    int rc = mon_kdecode_limited(msg->key, msg->key_len, msg->payload, msg->len,
                                 &src->limits, rec, err, sizeof(err));
    pthread_mutex_lock(&src->lock);
    src->status.records_read++;
    if (rc == MON_ERR_VERSION)
        src->status.decode_warnings++;
    else if (rc && rc != MON_ERR_LIMIT)
        src->status.decode_errors++;
    pthread_mutex_unlock(&src->lock);
    if (rc == MON_ERR_LIMIT) {
        bound_skip(src, msg, err);
        return;
    }
    if (rc) {
        mon_log_level_t lvl = rc == MON_ERR_VERSION && src->warn_logged
                                  ? MON_LOG_DEBUG
                                  : MON_LOG_WARN;
        if (rc == MON_ERR_VERSION) src->warn_logged++;
        mon_log_kv(lvl,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", cfg->name),
                                  MON_LF_STR("topic", OFFSETS_TOPIC),
                                  MON_LF_INT("partition", msg->partition),
                                  MON_LF_INT("offset", msg->offset),
                                  MON_LF_STR("error", err)),
                   "%s",
                   rc == MON_ERR_VERSION ? "offsets record skipped"
                                         : "offsets record not decoded");
        return;
    }
    if (!mon_config_name_allowed(cfg->group_allowlist, cfg->group_denylist,
                                 rec->group))
        return;
    kgroup_t *g;
    kgtopic_t *gt;
    switch (rec->type) {
    case MON_KDECODE_OFFSET_COMMIT: {
        int known = known_partition(src, rec->topic, rec->partition);
        if (known < 0) {
            snprintf(err, sizeof(err),
                     "commit of group %s for partition %d of topic %s, "
                     "beyond its partition count",
                     rec->group, (int)rec->partition, rec->topic);
            bound_skip(src, msg, err);
            src->need_metadata = true; /* or did the topic grow? */
            break;
        }
        if (!known) break; /* no head for it: the store would drop it */
        g = group_get(src, rec->group);
        /* owners the group metadata told (NULL: the store keeps those of
         * the group's membership, mon_store_members) */
        const char *owner = NULL, *client = NULL;
        gt = gtopic_find(g, rec->topic);
        if (gt && gt->owner && rec->partition >= 0 && rec->partition < gt->n) {
            owner = gt->owner[rec->partition];
            client = gt->client[rec->partition];
        }
        rf->commits += (uint64_t)commit_seen(src, g, rec->topic, rec->partition,
                                             rec->offset, rec->commit_ts, owner,
                                             client, true, at);
        break;
    }
    case MON_KDECODE_OFFSET_DELETE:
        g = group_find(src, rec->group);
        gt = g ? gtopic_find(g, rec->topic) : NULL;
        if (!gt || rec->partition < 0 || rec->partition >= gt->n) break;
        gt->offsets[rec->partition] = -1;
        bool live = false;
        for (int32_t p = 0; p < gt->n && !live; p++)
            live = gt->offsets[p] >= 0;
        if (!live) {
            mon_kframe_op_t op = {.type = MON_KFRAME_DEL_GTOPIC,
                                  .group = g->name,
                                  .topic = rec->topic,
                                  .placed = true,
                                  .place = *at};
            store_op(src, &op);
            gtopic_remove(g, gt);
        }
        break;
    case MON_KDECODE_GROUP_METADATA:
        if (!rec->consumer_protocol) break;
        if (owners_check(src, rec, err, sizeof(err)) < 0) {
            bound_skip(src, msg, err);
            src->need_metadata = true; /* or did a topic grow? */
            break;
        }
        members_of_record(src, rec, at);
        g = group_find(src, rec->group);
        if (!g && rec->n_owners == 0) break; /* nothing to keep */
        apply_owners(src, g ? g : group_get(src, rec->group), rec);
        break;
    case MON_KDECODE_GROUP_DELETE: {
        mon_kframe_op_t op = {.type = MON_KFRAME_DEL_GROUP,
                              .group = rec->group,
                              .placed = true,
                              .place = *at};
        store_op(src, &op);
        group_remove(src, rec->group);
        break;
    }
    case MON_KDECODE_NONE:
        break;
    }
}

/* One record of __consumer_offsets. A record that made no write at its
 * place still moves the store's place past it, so a source reading the
 * topic again (a restart) applies exactly what it applied live. */
static void reader_record(mon_source_kafka_t *src, refresh_t *rf,
                          const rd_kafka_message_t *msg) {
    mon_store_pos_t at = {msg->partition, msg->offset};
    src->rec_placed = false;
    reader_apply(src, rf, msg, &at);
    if (!src->rec_placed) {
        mon_kframe_op_t op = {
            .type = MON_KFRAME_ADVANCE, .placed = true, .place = at};
        store_op(src, &op);
    }
}

/* Reads __consumer_offsets until the deadline (monotonic ms) or stop. */
static void reader_run(mon_source_kafka_t *src, int64_t deadline) {
    refresh_t rf = {0};
    uint64_t commits = 0;
    while (!stopping(src)) {
        int64_t left = deadline - mon_clock_mono_ms();
        if (left <= 0) break;
        rd_kafka_message_t *msg =
            rd_kafka_consumer_poll(src->crk, (int)(left < 100 ? left : 100));
        if (!msg) continue;
        if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                rf_fail(src, NULL, "%s: %s", OFFSETS_TOPIC,
                        rd_kafka_message_errstr(msg));
        } else {
            reader_record(src, &rf, msg);
        }
        rd_kafka_message_destroy(msg);
        if (rf.commits != commits) {
            pthread_mutex_lock(&src->lock);
            src->status.commits_recorded += rf.commits - commits;
            src->status.groups = (int32_t)src->n_groups;
            pthread_mutex_unlock(&src->lock);
            commits = rf.commits;
        }
    }
}

/* ---- exact time lag: the timestamps of the records groups wait on ----
 *
 * Time lag is now minus the timestamp of the record at the committed
 * offset (the next one the group reads). The source reads that record for
 * every group partition whose committed offset changed since its record
 * was last read, while data waits behind it: one partition assignment per
 * such partition, at most STAMP_BUDGET a refresh, a few KB each (the
 * stamp client does not prefetch), within STAMP_WAIT_MS, inside the
 * refresh like every other request. Where the budget does not reach, the
 * partitions whose time lag grows come first (committed offset below the
 * head ring's oldest sample, which interpolation cannot date, or unmoved
 * for STAMP_STILL refreshes: paused, stalled, stopped); the ones moving
 * within the ring keep the interpolated estimate until their turn. Groups
 * on one partition take turns (one assignment per partition a refresh).
 * A record's timestamp never changes, so answers are cached by topic,
 * partition and offset (STAMP_CACHE entries): another group committed at
 * the same place costs no fetch, and the store keeps each group's answer
 * (mon_store_stamp) while the group stays committed there. */

#define STAMP_BUDGET 1000
#define STAMP_WAIT_MS 300
#define STAMP_KICK_MS 30
#define STAMP_STILL 2 /* refreshes an offset stays before it comes first */
#define STAMP_CACHE 65536

typedef struct stamp_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t ts;    /* -1 until read */
    int32_t rank;  /* higher first: 1 growing time lag, 0 moving */
    uint32_t turn; /* rotates the groups of one partition */
} stamp_t;

/* One cached record timestamp; the key is topic, NUL, partition and
 * offset in host order (STAMP_KEY_MAX bytes at most). */
#define STAMP_KEY_MAX (256 + 1 + 4 + 8)
typedef struct stamp_cached_s {
    mon_hkey_t k;
    int64_t ts;
    char key[STAMP_KEY_MAX];
} stamp_cached_t;

static size_t stamp_key(char *buf, const char *topic, int32_t p, int64_t off) {
    size_t n = strnlen(topic, 256);
    memcpy(buf, topic, n);
    buf[n++] = '\0';
    memcpy(buf + n, &p, sizeof(p));
    memcpy(buf + n + sizeof(p), &off, sizeof(off));
    return n + sizeof(p) + sizeof(off);
}

/* The cached timestamp of the record at topic/p/off, or -1. */
static int64_t stamp_cache_get(const mon_source_kafka_t *src, const char *topic,
                               int32_t p, int64_t off) {
    char key[STAMP_KEY_MAX];
    size_t n = stamp_key(key, topic, p, off);
    const stamp_cached_t *c =
        mon_hmap_get(&src->stamp_cache, key, n, mon_hash_bytes(key, n));
    return c ? c->ts : -1;
}

static void stamp_cache_clear(mon_source_kafka_t *src) {
    mon_hkey_t *k;
    for (size_t i = 0; (k = mon_hmap_next(&src->stamp_cache, &i));)
        free(k);
    mon_hmap_free(&src->stamp_cache);
}

/* Remembers a read timestamp; a full cache starts over (the entries that
 * matter are read again within a refresh or two). */
static void stamp_cache_put(mon_source_kafka_t *src, const char *topic,
                            int32_t p, int64_t off, int64_t ts) {
    if (stamp_cache_get(src, topic, p, off) >= 0) return;
    if (src->stamp_cache.count >= STAMP_CACHE) stamp_cache_clear(src);
    stamp_cached_t *c = mon_calloc(1, sizeof(*c));
    size_t n = stamp_key(c->key, topic, p, off);
    mon_hkey_set(&c->k, c->key, n);
    c->ts = ts;
    mon_hmap_put(&src->stamp_cache, &c->k);
}

static int cmp_stamp_part(const void *a, const void *b) {
    const stamp_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

/* By partition, then the one to read first: rank, turn, offset. */
static int cmp_stamp_pick(const void *a, const void *b) {
    const stamp_t *x = a, *y = b;
    int c = cmp_stamp_part(a, b);
    if (c) return c;
    if (x->rank != y->rank) return x->rank > y->rank ? -1 : 1;
    if (x->turn != y->turn) return x->turn < y->turn ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Higher rank first, for the budget. */
static int cmp_stamp_rank(const void *a, const void *b) {
    const stamp_t *x = a, *y = b;
    if (x->rank != y->rank) return x->rank > y->rank ? -1 : 1;
    return x->turn < y->turn ? -1 : x->turn > y->turn;
}

/* Tells the store the time of g's record at gt/p (the committed offset);
 * remembers that the store has it. */
static void stamp_store(mon_source_kafka_t *src, kgroup_t *g, kgtopic_t *gt,
                        int32_t p, int64_t ts, int64_t *told) {
    mon_kframe_op_t op = {.type = MON_KFRAME_STAMP,
                          .group = g->name,
                          .topic = gt->topic,
                          .partition = p,
                          .offset = gt->latest[p],
                          .t_ms = ts};
    if (store_op(src, &op) == 0) {
        gt->stamped[p] = gt->latest[p];
        (*told)++;
    }
}

/* The rank of group topic gt's partition p given its topic's newest and
 * oldest head (-1: no read wanted: no commit, already read, or caught
 * up); moves prev along. */
static int32_t stamp_rank(kgtopic_t *gt, int32_t p, int64_t newest,
                          int64_t oldest) {
    int64_t off = gt->latest[p];
    gt->still[p] = off == gt->prev[p] ? gt->still[p] + (gt->still[p] < 9) : 0;
    gt->prev[p] = off;
    if (off < 0 || gt->stamped[p] == off || newest <= off) return -1;
    return gt->still[p] >= STAMP_STILL || off < oldest ? 1 : 0;
}

/* The group partitions whose record is wanted and not cached (the cached
 * ones go to the store right away, counted in *told): one entry per topic
 * partition, sorted by partition, at most the budget, the growing time
 * lags first. */
static stamp_t *stamps_wanted(mon_source_kafka_t *src, size_t *n_out,
                              int64_t *told) {
    stamp_t *want = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < src->n_groups; i++) {
        kgroup_t *g = src->groups[i];
        uint32_t turn = (uint32_t)((i + src->gen) % (src->n_groups + 1));
        for (size_t j = 0; j < g->n_topics; j++) {
            kgtopic_t *gt = &g->topics[j];
            int64_t *newest = NULL, *oldest = NULL;
            size_t nn = 0, no = 0;
            if (mon_store_topic_offsets(src->st, src->cfg->name, gt->topic,
                                        &newest, &nn) == 0 &&
                mon_store_topic_oldest_heads(src->st, src->cfg->name, gt->topic,
                                             &oldest, &no) == 0) {
                for (int32_t p = 0;
                     p < gt->n && (size_t)p < nn && (size_t)p < no; p++) {
                    int32_t rank = stamp_rank(gt, p, newest[p], oldest[p]);
                    if (rank < 0) continue;
                    int64_t ts =
                        stamp_cache_get(src, gt->topic, p, gt->latest[p]);
                    if (ts >= 0) {
                        stamp_store(src, g, gt, p, ts, told);
                        continue;
                    }
                    if (n == cap) {
                        cap = cap ? 2 * cap : 64;
                        want = mon_realloc(want, cap * sizeof(*want));
                    }
                    want[n++] =
                        (stamp_t){gt->topic, p, gt->latest[p], -1, rank, turn};
                }
            }
            free(newest);
            free(oldest);
        }
    }
    if (n) qsort(want, n, sizeof(*want), cmp_stamp_pick);
    size_t u = 0; /* one per topic partition: the first pick */
    for (size_t i = 0; i < n; i++)
        if (u == 0 || cmp_stamp_part(&want[u - 1], &want[i]) != 0)
            want[u++] = want[i];
    if (u > STAMP_BUDGET) {
        qsort(want, u, sizeof(*want), cmp_stamp_rank);
        u = STAMP_BUDGET;
        qsort(want, u, sizeof(*want), cmp_stamp_part);
    }
    *n_out = u;
    return want;
}

/* Reads the record at each wanted offset; fills ts. Returns how many.
 * The partitions are read with the simple consumer: consume_start at the
 * offset into a queue of this call's own, consume_stop after. librdkafka
 * 2.0 decides whether a partition may fetch when it is started, and then
 * only again when its broker thread wakes up (about a second later): a
 * partition started while the records a previous read left behind were
 * still counted against queued.min.messages fetched nothing for that
 * second (about half the reads of a partition read every refresh failed
 * so). A partition with no record after STAMP_KICK_MS is sought to its
 * offset again, which has its broker thread decide again. */
static size_t stamps_read(mon_source_kafka_t *src, stamp_t *want, size_t n) {
    char err[MON_ERRSTR_SIZE];
    if (!src->srk) {
        src->srk = client_new(src, CLIENT_STAMPS, err, sizeof(err));
        if (!src->srk) {
            mon_log_kv(MON_LOG_WARN,
                       MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                      MON_LF_STR("error", err)),
                       "time lag: no client to read records");
            return 0;
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(src->srk);
    /* want is sorted by topic: one topic handle per run of a topic */
    rd_kafka_topic_t **rkt = mon_calloc(n, sizeof(*rkt));
    bool *started = mon_calloc(n, sizeof(*started));
    for (size_t i = 0; i < n; i++) {
        rkt[i] = i > 0 && strcmp(want[i - 1].topic, want[i].topic) == 0
                     ? rkt[i - 1]
                     : rd_kafka_topic_new(src->srk, want[i].topic, NULL);
        started[i] =
            rkt[i] && rd_kafka_consume_start_queue(rkt[i], want[i].partition,
                                                   want[i].offset, q) == 0;
    }
    size_t got = 0;
    int64_t t0 = mon_clock_mono_ms(), kicked = t0;
    int64_t deadline = t0 + STAMP_WAIT_MS;
    while (got < n && !stopping(src)) {
        int64_t now = mon_clock_mono_ms(), left = deadline - now;
        if (left <= 0) break;
        if (now - kicked >= STAMP_KICK_MS) {
            for (size_t i = 0; i < n; i++)
                if (started[i] && want[i].ts < 0)
                    rd_kafka_seek(rkt[i], want[i].partition, want[i].offset, 0);
            kicked = now;
        }
        rd_kafka_message_t *msg = rd_kafka_consume_queue(
            q, (int)(left < STAMP_KICK_MS ? left : STAMP_KICK_MS));
        if (!msg) continue;
        if (!msg->err && msg->rkt) {
            stamp_t key = {.topic = rd_kafka_topic_name(msg->rkt),
                           .partition = msg->partition};
            stamp_t *x = bsearch(&key, want, n, sizeof(*want), cmp_stamp_part);
            rd_kafka_timestamp_type_t tt;
            int64_t ts = rd_kafka_message_timestamp(msg, &tt);
            /* the first record at or after the offset (compaction may
             * have removed the one at it): the next one the group reads */
            if (x && x->ts < 0 && msg->offset >= x->offset && ts >= 0) {
                x->ts = ts;
                got++;
            }
        }
        rd_kafka_message_destroy(msg);
    }
    for (size_t i = 0; i < n; i++)
        if (started[i]) rd_kafka_consume_stop(rkt[i], want[i].partition);
    for (size_t i = 0; i < n; i++)
        if (rkt[i] && (i + 1 == n || rkt[i + 1] != rkt[i]))
            rd_kafka_topic_destroy(rkt[i]);
    free(started);
    free(rkt);
    rd_kafka_queue_destroy(q);
    rd_kafka_poll(src->srk, 0); /* serve its error callbacks */
    mon_log_kv(MON_LOG_DEBUG,
               MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                              MON_LF_INT("records", (int64_t)got),
                              MON_LF_INT("asked", (int64_t)n),
                              MON_LF_INT("ms", mon_clock_mono_ms() - t0)),
               "time lag: records read");
    return got;
}

/* Tells the store the record times due this refresh; returns how many. */
static int64_t refresh_stamps(mon_source_kafka_t *src) {
    size_t n = 0;
    int64_t told = 0;
    stamp_t *want = stamps_wanted(src, &n, &told);
    if (n > 0 && stamps_read(src, want, n) > 0) {
        for (size_t i = 0; i < n; i++)
            if (want[i].ts >= 0)
                stamp_cache_put(src, want[i].topic, want[i].partition,
                                want[i].offset, want[i].ts);
        /* every group committed where a record was read: the one it was
         * read for, and any other at the same place */
        for (size_t i = 0; i < src->n_groups; i++) {
            kgroup_t *g = src->groups[i];
            for (size_t j = 0; j < g->n_topics; j++) {
                kgtopic_t *gt = &g->topics[j];
                for (int32_t p = 0; p < gt->n; p++) {
                    if (gt->latest[p] < 0 || gt->stamped[p] == gt->latest[p])
                        continue;
                    int64_t ts =
                        stamp_cache_get(src, gt->topic, p, gt->latest[p]);
                    if (ts >= 0) stamp_store(src, g, gt, p, ts, &told);
                }
            }
        }
    }
    free(want);
    return told;
}

/* ---- the thread ---- */

static void refresh(mon_source_kafka_t *src, bool topics_due) {
    refresh_t rf = {0};
    int64_t t0 = mon_clock_mono_ms();
    int64_t md_ms = 0, heads_ms = 0, commits_ms = 0, stamps_ms = 0, stamps = 0;
    rd_kafka_poll(src->rk, 0); /* serve error callbacks */
    if (topics_due || src->need_metadata || !src->have_metadata) {
        refresh_metadata(src, &rf);
        md_ms = mon_clock_mono_ms() - t0;
    }
    if (src->have_metadata) {
        int64_t t1 = mon_clock_mono_ms();
        refresh_heads(src, &rf);
        heads_ms = mon_clock_mono_ms() - t1;
        /* after the heads: a topic's config needs its head in the store */
        admin_drain(src, &rf);
        if (src->configs_due && rf.failures == 0) refresh_configs(src, &rf);
        int64_t t2 = mon_clock_mono_ms();
        if (src->cfg->offsets == MON_CONFIG_OFFSETS_ADMIN) {
            if (topics_due) /* ask again */
                src->listing_unsupported = src->describe_unsupported = false;
            refresh_commits_admin(src, &rf);
        } else {
            reader_assign(src, &rf);
        }
        commits_ms = mon_clock_mono_ms() - t2;
        if (rf.failures == 0) {
            int64_t t3 = mon_clock_mono_ms();
            stamps = refresh_stamps(src);
            stamps_ms = mon_clock_mono_ms() - t3;
        }
    }
    free(rf.down);
    rf.down = NULL;
    if (stopping(src)) return;
    int64_t now = mon_clock_wall_ms();
    int32_t wanted = 0;
    int64_t parts = 0;
    for (size_t i = 0; i < src->n_topics; i++) {
        if (src->topics[i].wanted) {
            wanted++;
            parts += src->topics[i].n_parts;
        }
    }
    int64_t pending = probes_pending(src);
    pthread_mutex_lock(&src->lock);
    mon_source_kafka_status_t *s = &src->status;
    bool was = s->available;
    bool ok = rf.failures == 0 && src->have_metadata;
    /* the first refresh failing is told too: unreachable from the start */
    bool first = s->refreshes == 0;
    s->available = ok;
    s->last_refresh_ms = now;
    s->last_refresh_duration_ms = mon_clock_mono_ms() - t0;
    s->last_metadata_duration_ms = md_ms;
    s->last_heads_duration_ms = heads_ms;
    s->last_commits_duration_ms = commits_ms;
    s->last_stamps_duration_ms = stamps_ms;
    s->stamps_last_refresh = stamps;
    s->refreshes++;
    s->requests_sent += rf.requests;
    s->last_refresh_requests = rf.requests;
    s->brokers = src->n_brokers;
    s->topics = wanted;
    s->partitions = parts;
    s->heads_last_refresh = rf.heads;
    s->heads_recorded += (uint64_t)rf.heads;
    s->commits_recorded += rf.commits;
    s->groups = (int32_t)src->n_groups;
    s->groups_listed = src->cfg->offsets == MON_CONFIG_OFFSETS_ADMIN &&
                       !src->listing_unsupported;
    s->last_describe_duration_ms = src->describe_ms;
    s->groups_described = src->described;
    s->probes_pending = pending;
    if (ok) {
        s->last_success_ms = now;
        s->unavailable_since_ms = 0;
    } else {
        s->failed_refreshes++;
        if (s->unavailable_since_ms == 0) s->unavailable_since_ms = now;
    }
    pthread_mutex_unlock(&src->lock);
    if ((was || first) && !ok)
        mon_log_kv(MON_LOG_WARN,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                  MON_LF_STR("error", rf.first_error)),
                   "cluster unavailable");
    else if (!was && ok)
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", src->cfg->name),
                                  MON_LF_INT("heads", rf.heads),
                                  MON_LF_INT("groups", src->n_groups)),
                   "cluster available");
}

static void source_main(mon_worker_t *w, void *arg) {
    mon_source_kafka_t *src = arg;
    const mon_config_cluster_t *cfg = src->cfg;
    int64_t next = mon_clock_mono_ms(), next_topics = next;
    mon_log_kv(
        MON_LOG_INFO,
        MON_LOG_FIELDS(
            MON_LF_STR("cluster", cfg->name),
            MON_LF_STR("servers", cfg->servers),
            MON_LF_STR("offsets", cfg->offsets == MON_CONFIG_OFFSETS_ADMIN
                                      ? "admin"
                                      : "offsets-topic")),
        "watching cluster");
    while (!mon_worker_stopping(w)) {
        int64_t now = mon_clock_mono_ms();
        if (now < next) {
            if (src->crk && src->reader_parts > 0)
                reader_run(src, next);
            else
                mon_worker_sleep(w, next - now);
            continue;
        }
        bool topics_due = now >= next_topics;
        if (topics_due) next_topics = now + cfg->topic_refresh_ms;
        refresh(src, topics_due);
        mon_log_limit_flush(src->loglim, mon_clock_mono_ms());
        next += cfg->offset_refresh_ms;
        now = mon_clock_mono_ms();
        if (next < now)
            next = now; /* overran: go again at once, never pile up */
    }
}

int mon_source_kafka_start(mon_source_kafka_t *src, char *errstr,
                           size_t errstr_size) {
    char name[64];
    if (src->worker) {
        mon_errstr_set(errstr, errstr_size, "cluster %s: already started",
                       src->cfg->name);
        return -1;
    }
    snprintf(name, sizeof(name), "cluster %s", src->cfg->name);
    if (mon_worker_start(&src->worker, name, source_main, src, errstr,
                         errstr_size) != 0)
        return -1;
    pthread_mutex_lock(&src->lock);
    src->status.running = true;
    pthread_mutex_unlock(&src->lock);
    return 0;
}

void mon_source_kafka_stop(mon_source_kafka_t *src) {
    if (!src || !src->worker) return;
    mon_worker_stop(&src->worker);
    pthread_mutex_lock(&src->lock);
    src->status.running = false;
    pthread_mutex_unlock(&src->lock);
}

void mon_source_kafka_destroy(mon_source_kafka_t *src) {
    if (!src) return;
    mon_source_kafka_stop(src);
    if (src->opt_list) rd_kafka_AdminOptions_destroy(src->opt_list);
    if (src->opt_offsets) rd_kafka_AdminOptions_destroy(src->opt_offsets);
    if (src->opt_configs) rd_kafka_AdminOptions_destroy(src->opt_configs);
    if (src->opt_describe) rd_kafka_AdminOptions_destroy(src->opt_describe);
    if (src->aq) rd_kafka_queue_destroy(src->aq);
    if (src->crk) {
        rd_kafka_consumer_close(src->crk);
        rd_kafka_destroy(src->crk);
    }
    if (src->srk) {
        rd_kafka_consumer_close(src->srk);
        rd_kafka_destroy(src->srk);
    }
    if (src->rk)
        rd_kafka_destroy_flags(src->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    for (size_t i = 0; i < src->n_topics; i++)
        topic_free(&src->topics[i]);
    free(src->topics);
    for (size_t i = 0; i < src->n_groups; i++)
        group_free(src->groups[i]);
    free(src->groups);
    mon_kdecode_record_free(&src->rec);
    stamp_cache_clear(src);
    mon_log_limit_destroy(src->loglim); /* after the clients: no callback */
    pthread_mutex_destroy(&src->lock);
    free(src);
}

void mon_source_kafka_status(mon_source_kafka_t *src, int64_t now_ms,
                             mon_source_kafka_status_t *out) {
    pthread_mutex_lock(&src->lock);
    *out = src->status;
    pthread_mutex_unlock(&src->lock);
    out->stale = mon_source_kafka_stale(src->cfg, out, now_ms);
}

int mon_source_kafka_timeout_ms(const mon_config_cluster_t *cfg) {
    int64_t t = cfg->offset_refresh_ms;
    return (int)(t < 2000 ? 2000 : t > 10000 ? 10000 : t);
}

bool mon_source_kafka_stale(const mon_config_cluster_t *cfg,
                            const mon_source_kafka_status_t *s,
                            int64_t now_ms) {
    int64_t limit =
        2 * cfg->offset_refresh_ms + mon_source_kafka_timeout_ms(cfg);
    return !s->available || s->last_success_ms == 0 ||
           now_ms - s->last_success_ms > limit;
}

void mon_source_kafka_set_forward(mon_source_kafka_t *src,
                                  mon_source_kafka_forward_fn fn,
                                  void *opaque) {
    src->forward = fn;
    src->forward_opaque = opaque;
}

/* ---- the daemon's table ---- */

static int base_start(mon_source_t *base, char *errstr, size_t errstr_size) {
    return mon_source_kafka_start((mon_source_kafka_t *)base, errstr,
                                  errstr_size);
}

static void base_stop(mon_source_t *base) {
    mon_source_kafka_stop((mon_source_kafka_t *)base);
}

static void base_destroy(mon_source_t *base) {
    mon_source_kafka_destroy((mon_source_kafka_t *)base);
}

void mon_source_kafka_status_view(const mon_source_kafka_status_t *s,
                                  mon_source_status_t *out) {
    memset(out, 0, sizeof(*out));
    out->kind = "kafka";
    out->available = s->available;
    out->stale = s->stale;
    snprintf(out->last_error, sizeof(out->last_error), "%s", s->last_error);
    out->last_error_ms = s->last_error_ms;
    out->last_refresh_ms = s->last_success_ms;
    out->refresh_duration_ms = s->last_refresh_duration_ms;
    out->refreshes = s->refreshes;
    out->refresh_errors = s->failed_refreshes;
    out->events = (int64_t)(s->heads_recorded + s->commits_recorded);
}

bool mon_source_kafka_cannot_list(const mon_config_cluster_t *cfg,
                                  const mon_source_kafka_status_t *s) {
    return cfg->offsets == MON_CONFIG_OFFSETS_ADMIN && s->refreshes > 0 &&
           !s->groups_listed;
}

int64_t mon_source_kafka_clock(const mon_source_kafka_status_t *s,
                               int64_t wall) {
    return s->stale && s->last_success_ms > 0 && s->last_success_ms < wall
               ? s->last_success_ms
               : wall;
}

static void base_status(mon_source_t *base, mon_source_status_t *out) {
    mon_source_kafka_status_t s;
    mon_source_kafka_status((mon_source_kafka_t *)base, mon_clock_wall_ms(),
                            &s);
    mon_source_kafka_status_view(&s, out);
    out->cannot_list_groups =
        mon_source_kafka_cannot_list(((mon_source_kafka_t *)base)->cfg, &s);
}

static int64_t base_now(mon_source_t *base, int64_t wall) {
    mon_source_kafka_status_t s;
    mon_source_kafka_status((mon_source_kafka_t *)base, wall, &s);
    return mon_source_kafka_clock(&s, wall);
}

mon_source_t *mon_source_kafka_base(mon_source_kafka_t *src) {
    src->base.start = base_start;
    src->base.stop = base_stop;
    src->base.destroy = base_destroy;
    src->base.now = base_now;
    src->base.status = base_status;
    src->base.time_lag = NULL;
    return &src->base;
}
