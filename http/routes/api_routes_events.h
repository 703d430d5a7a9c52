/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_events: the evaluation loop's events as the Server-Sent
 * Events of GET /v3/events.
 *
 * The service reports plain structs (mon_query_events_t); this module
 * renders them and publishes them on the server's SSE hub:
 *  - "status" for each change: {t, cluster, group, status, previous,
 *    label, explanation, totallag, partitions: [{topic, partition,
 *    status, rule, current_lag} for each non-OK partition]}; for a group
 *    that is gone (expired or deleted) {t, cluster, group, status
 *    "NOTFOUND", previous, label, totallag 0, partitions []}, with no
 *    explanation;
 *  - "tick" once per pass: {t, groups: [{cluster, group, status,
 *    totallag, maxlag, max_time_lag_s (null when unknown)}]};
 *  - "rebalance" for each rebalance of a group, before its status:
 *    {cluster, group, then the fields of api_routes_rebalance_json}.
 * The dashboard refreshes on "tick" and shows "status" as it comes.
 * Runs on the evaluation loop's thread; the hub takes its own lock.
 */
#ifndef API_ROUTES_EVENTS_H
#define API_ROUTES_EVENTS_H

#include "http/server/api_sse.h"
#include "monitor/service/mon_query.h"

/* The "status" event's JSON for c, or NULL when out of memory. The
 * caller frees it with cJSON_free. */
char *api_routes_events_change_json(const mon_query_change_t *c);

/* The "tick" event's JSON for t, or NULL when out of memory. The caller
 * frees it with cJSON_free. */
char *api_routes_events_tick_json(const mon_query_tick_t *t);

#include <cjson/cJSON.h>

/* A rebalance as JSON (the shape of .../history's rebalances): {t,
 * generation_before, generation (null when unknown), state_before,
 * state, members_before, members, joined: [{member_id, client_id,
 * host}], left: [...], joined_total, left_total, partitions_moved,
 * change, deployment (null when none), sentence}. */
cJSON *api_routes_rebalance_json(const ev_rebalance_t *r);

/* The "rebalance" event's JSON, or NULL when out of memory (free with
 * cJSON_free). */
char *api_routes_events_rebalance_json(const char *cluster, const char *group,
                                       const ev_rebalance_t *r);

/* The events sink that renders every change and tick and publishes it on
 * hub (borrowed; must outlive every call), for mon_service_set_events. */
mon_query_events_t api_routes_events(api_sse_hub_t *hub);

#endif
