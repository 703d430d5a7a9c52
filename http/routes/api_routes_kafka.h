/* api_routes_kafka: Burrow's /v3/kafka tree over the offset store, plus
 * Warren's evidence routes.
 *
 * Burrow v3 paths, messages, field names, field order and status codes
 * (see http/routes/README.md): cluster list and detail, topic list, topic offsets,
 * topic consumers, consumer list, consumer detail, /status (non-OK
 * partitions only), /lag (all partitions), and the two DELETEs. An unknown
 * group's status is NOTFOUND with HTTP 404 and error false, exactly as
 * Burrow. Window entries carry observedAt = the commit's timestamp (the
 * store keeps one time per commit).
 *
 * Warren's additions: every partition object also has "label" (the status
 * in words), "rule", "explanation" (one sentence), "time_lag_s" and
 * "eta_s" (null when unknown); a found status object also has "label",
 * "explanation" (of the partition that decided the group status),
 * "max_time_lag_s" (null when no partition's time lag is known) and "since"
 * (ms the group entered this status, from the history, or null). GET .../consumer/:group/window returns every window
 * entry and head sample per partition; GET .../consumer/:group/history
 * ?since=MS returns the bounded status/lag history.
 *
 * Evaluations (the /status and /lag bodies) are cached per path for
 * expire_cache_ms of wall time (Burrow's expire-cache); a DELETE of the
 * group drops its cached bodies. Locks: the cache mutex (guarding only the
 * cache) is never held while the store is read; the store and history
 * take their own locks. Handlers run on any pool thread.
 */
#ifndef API_ROUTES_KAFKA_H
#define API_ROUTES_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "evaluator/ev_rules.h"
#include "http/server/api_server.h"
#include "monitor/config/mon_config.h"
#include "monitor/store/mon_history.h"
#include "monitor/sources/mon_source.h"
#include "monitor/store/mon_store.h"

/* The evaluation time of `cluster` given the wall clock: a replay cluster
 * answers with its virtual clock. Called on pool threads. */
typedef int64_t (*api_clock_fn)(void *arg, const char *cluster,
                                int64_t wall_ms);

/* Evaluates a group as the daemon does (the store's evaluation plus the
 * source's exact time lag, see mon_service_group_eval). Returns 0 or
 * MON_STORE_ENOTFOUND. Called on pool threads. */
typedef int (*api_eval_fn)(void *arg, const char *cluster, const char *group,
                           int64_t now_ms, mon_group_eval_t *out);

/* Fills *out with the status of the source feeding `cluster`; returns 0,
 * or -1 when no source feeds it. Called on pool threads. */
typedef int (*api_source_status_fn)(void *arg, const char *cluster,
                                    mon_source_status_t *out);

typedef struct api_kafka_ctx_s {
    mon_store_t *store;         /* required */
    const mon_config_t *config; /* cluster list/detail; NULL: from store */
    mon_history_t *history;     /* NULL: /history and "since" unavailable */
    ev_params_t params;         /* intervals 0: the store's */
    int64_t expire_cache_ms;    /* 0: no caching */
    api_clock_fn clock;         /* NULL: wall clock */
    void *clock_arg;
    api_eval_fn eval;            /* NULL: mon_store_group_eval */
    void *eval_arg;
    api_source_status_fn source_status; /* NULL: no "status" in detail */
    void *status_arg;
} api_kafka_ctx_t;

/* Evaluates cluster/group at now_ms through ctx->eval, or the store with
 * ctx->params when no eval function is set. Returns 0 or
 * MON_STORE_ENOTFOUND. Any thread. */
int api_kafka_eval(const api_kafka_ctx_t *ctx, const char *cluster,
                   const char *group, int64_t now_ms, mon_group_eval_t *out);

/* Burrow's cluster "module" object of GET /v3/kafka/:cluster (class-name,
 * servers, client-profile, topic-refresh, offset-refresh, then Warren's
 * "status" when ctx->source_status answers): from the cluster's
 * configuration, or defaults for a cluster only the store knows. Returns
 * a new tree the caller owns, or NULL when neither knows the cluster. Any
 * thread. */
cJSON *api_kafka_cluster_module(const api_kafka_ctx_t *ctx,
                                const char *cluster);

typedef struct api_routes_kafka_s api_routes_kafka_t;

/* New route set over ctx (copied; the pointers in it must outlive the
 * handle). Never NULL. */
api_routes_kafka_t *api_routes_kafka_new(const api_kafka_ctx_t *ctx);

/* Frees the handle and its cache; NULL is fine. Only after the server
 * using it has stopped. */
void api_routes_kafka_destroy(api_routes_kafka_t *rk);

/* Registers every route on srv (before api_server_start). Returns 0, or
 * -1 with errstr set. */
int api_routes_kafka_register(api_routes_kafka_t *rk, api_server_t *srv,
                              char *errstr, size_t errstr_size);

/* Drops every cached evaluation (e.g. after a snapshot load). Any
 * thread. */
void api_routes_kafka_flush(api_routes_kafka_t *rk);

#endif
