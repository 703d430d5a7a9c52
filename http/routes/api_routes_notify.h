/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_notify: the webhook notifier's state over HTTP.
 *
 * GET /v3/notifiers: "notifier list returned" with "notifiers": [{name,
 * threshold, interval_s, repeat_every_s, send_close, send_once,
 * open_after, close_after, max_retries, signed, open_incidents, queued,
 * delivered, failed, retries, merged, dropped, pending, in_flight}] and
 * "deliveries" (unfinished, then recent: {seq, key, id, notifier, cluster,
 * group, kind, state, attempts, http_status, error, created, time});
 * GET /v3/kafka/:cluster/consumer/:group/incidents: "consumer incidents
 * returned" with cluster, group, "incidents": [{notifier, open, id, start,
 * last_sent, notifications, status}] (id, start, last_sent and
 * notifications only while open; last_sent once one was queued) and
 * "timeline": [{time, notifier, event (opened|repeated|closed), id,
 * status, key, delivery}] oldest first (key and delivery while the
 * delivery is still known, else delivery null). Times are RFC 3339 UTC.
 * URLs, headers and secrets are never shown (webhook URLs are often
 * credentials): the copies the notifier hands out (mon_notify_types.h,
 * through mon_query) do not hold them. Handlers run on any pool thread.
 *
 * Silences (monitor/notify/mon_silence.h, through mon_query): GET
 * /v3/silences: "silence list returned" with "silences": [{id, group,
 * cluster (null when unset), until, created (RFC 3339), comment,
 * created_by, state ("active" or "expired")}], newest first;
 * ?cluster=C&group=G: only those in effect that match that group (both
 * or neither). POST /v3/silences with a JSON body (mon_silence.h): 201
 * "silence created" with "silence"; 400 naming the field and why; 409
 * when too many are kept. DELETE /v3/silences/ID: 200, 404 when
 * unknown. Both writes need the admin token like every write
 * (api_server.h) and answer once the change is on disk (500 when it
 * could not be written, 503 when the disk did not answer in time).
 */
#ifndef API_ROUTES_NOTIFY_H
#define API_ROUTES_NOTIFY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "http/server/api_server.h"
#include "monitor/service/mon_query.h"

/* Adds the members of GET /v3/notifiers's body for v ("notifiers",
 * "deliveries") to object into; returns into. */
cJSON *api_routes_notify_view_json(const mon_notifier_view_t *v, cJSON *into);

/* Adds the members of a group's /incidents body for g (cluster, group,
 * "incidents", "timeline") to object into; returns into. */
cJSON *api_routes_notify_group_json(const mon_notifier_group_t *g,
                                    const char *cluster, const char *group,
                                    cJSON *into);

/* Registers the routes over q's notifier (q borrowed; must outlive the
 * server), before api_server_start. Returns 0, or -1 with errstr set
 * (q has no notifier, or a route is taken). */
int api_routes_notify_register(api_server_t *srv, mon_query_t *q, char *errstr,
                               size_t errstr_size);

/* Registers the silence routes over q's silences (q borrowed; must
 * outlive the server). Returns 0, or -1 with errstr set (q has no
 * silences, or a route is taken). */
int api_routes_silences_register(api_server_t *srv, mon_query_t *q,
                                 char *errstr, size_t errstr_size);

#endif
