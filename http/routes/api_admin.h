/* SPDX-License-Identifier: Apache-2.0 */
/* api_admin: the routes that need no offset store: GET /healthz
 * (liveness: 200 while the process serves), GET /readyz (readiness, from
 * the sources' states only), Burrow's GET /burrow/admin ("GOOD") and
 * /burrow/admin/ready ("READY" or "STARTING"), GET/POST
 * /v3/admin/loglevel with Burrow's messages and codes, backed by mon_log's
 * level, and GET /v3/info (Warren's own: name, version, API, User-Agent,
 * in Burrow's envelope). Stateless; any pool thread.
 *
 * GET /readyz answers 200 {"ready":true,...} once the service has started
 * and at least one source has completed a refresh (a Kafka cluster read
 * whole once, the embedded broker's offsets read, a replay started), and
 * 503 {"ready":false,"reason":"..."} before: the reason names each
 * cluster and why it is not read yet (its last error). "clusters" lists
 * every source's cluster with ready, source, state, stale, last_refresh
 * and last_error, so a probe's log says which cluster holds it back.
 */
#ifndef API_ADMIN_H
#define API_ADMIN_H

#include <stddef.h>

#include "http/server/api_server.h"
#include "monitor/service/mon_query.h"

/* Registers the admin routes on srv; q (borrowed, outliving srv) gives
 * /readyz the sources' states, NULL: /readyz follows api_server_is_ready
 * alone. Returns 0, or -1 with errstr set when a route is already taken. */
int api_admin_register(api_server_t *srv, const mon_query_t *q, char *errstr,
                       size_t errstr_size);

#endif
