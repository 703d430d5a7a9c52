/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_kafka: Burrow's /v3/kafka tree over the offset store, plus
 * Warren's evidence routes.
 *
 * Burrow v3 paths, messages, field names, field order and status codes
 * (see http/routes/README.md): cluster list and detail, topic list, topic
 * offsets, topic consumers, consumer list, consumer detail, /status (non-OK
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
 * (ms the group entered this status, from the history, or null). GET
 * .../consumer/:group/window returns every window entry and head sample per
 * partition; GET .../consumer/:group/history ?since=MS returns the bounded
 * status/lag history.
 *
 * Evaluations (the /status and /lag bodies) are cached per path for
 * expire_cache_ms of wall time (Burrow's expire-cache); a DELETE of the
 * group drops its cached bodies. Everything is read through mon_query,
 * which copies out. Locks: the cache mutex (guarding only the cache) is
 * never held during a query. Handlers run on any pool thread.
 */
#ifndef API_ROUTES_KAFKA_H
#define API_ROUTES_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http/server/api_server.h"
#include "monitor/service/mon_query.h"

/* Burrow's cluster "module" object of GET /v3/kafka/:cluster (class-name,
 * servers, client-profile, topic-refresh, offset-refresh, then Warren's
 * "status" when a source feeds the cluster): from the cluster's
 * configuration, or defaults for a cluster only the store knows. Returns
 * a new tree the caller owns, or NULL when the query does not know the
 * cluster. Any thread. */
cJSON *api_kafka_cluster_module(const mon_query_t *q, const char *cluster);

typedef struct api_routes_kafka_s api_routes_kafka_t;

/* New route set reading through q (borrowed; must outlive the handle),
 * caching /status and /lag bodies for expire_cache_ms (0: no caching).
 * Never NULL. */
api_routes_kafka_t *api_routes_kafka_new(mon_query_t *q,
                                         int64_t expire_cache_ms);

/* Frees the handle and its cache; NULL is fine. Only after the server
 * using it has stopped. */
void api_routes_kafka_destroy(api_routes_kafka_t *rk);

/* Registers every route on srv (before api_server_start). Returns 0, or
 * -1 with errstr set. */
int api_routes_kafka_register(api_routes_kafka_t *rk, api_server_t *srv,
                              char *errstr, size_t errstr_size);

#endif
