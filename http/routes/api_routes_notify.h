/* api_routes_notify: the webhook notifier's state over HTTP.
 *
 * GET /v3/notifiers: every notifier with its counters and the recent
 * deliveries (id, group, kind, attempts, last HTTP status or error, time);
 * GET /v3/kafka/:cluster/consumer/:group/incidents: that group's incidents
 * and their timeline, for the dashboard. URLs, headers and secrets are
 * never shown (webhook URLs are often credentials). The notifier takes its
 * own locks; handlers run on any pool thread.
 */
#ifndef API_ROUTES_NOTIFY_H
#define API_ROUTES_NOTIFY_H

#include <stddef.h>

#include "http/server/api_server.h"
#include "monitor/notify/mon_notifier.h"

/* Registers the routes over notifier n (borrowed; must outlive the
 * server), before api_server_start. Returns 0, or -1 with errstr set. */
int api_routes_notify_register(api_server_t *srv, mon_notifier_t *n,
                               char *errstr, size_t errstr_size);

#endif
