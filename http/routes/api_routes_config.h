/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_config: Burrow's /v3/config tree, Warren's configuration
 * shown in Burrow's shapes (see http/routes/README.md).
 *
 * GET /v3/config: "main config returned" with general, logging, zookeeper
 * and httpserver; GET /v3/config/{storage,evaluator,cluster,consumer,
 * notifier}: "module list returned" with coordinator and modules; GET
 * /v3/config/<kind>/:name: "<kind> module detail returned" with module, or
 * 404 "<kind> module not found". Warren maps its model onto Burrow's: one
 * storage and one evaluator module, both "default"; the configured
 * clusters; one consumer module per cluster, with the cluster's name; the
 * configured notifiers (class "http"); one httpserver "default". Burrow
 * keys Warren has no value for show as Burrow shows an unset key ("", 0,
 * [], false); "request" sits where Burrow serialises it (after "message"
 * in the main config and module lists, last in module details). A
 * cluster's detail is GET /v3/kafka/:cluster's body, built by the same
 * code (api_kafka_cluster_module).
 *
 * Redaction (stricter than Burrow, whose API has no authentication):
 * webhook URLs are often credentials, so url-open and url-close show only
 * "scheme://host[:port]/", followed by "…" when the URL had anything
 * more (path, query, fragment); user info is dropped, and a URL that does
 * not parse shows just "…". A notifier's secret and headers, the
 * kafka.* properties other than those Burrow's client-profile shows, and
 * http.admin-token are never shown.
 *
 * The configuration is immutable once the server starts, so handlers
 * read it without a lock, on any pool thread.
 */
#ifndef API_ROUTES_CONFIG_H
#define API_ROUTES_CONFIG_H

#include <stddef.h>

#include "http/routes/api_routes_kafka.h"
#include "http/server/api_server.h"

/* Registers the /v3/config routes on srv (before api_server_start). q
 * is borrowed and must outlive the server; it needs a configuration, and
 * the cluster details read its clusters and sources as
 * GET /v3/kafka/:cluster does. Returns 0, or -1 with errstr set. */
int api_routes_config_register(api_server_t *srv, const mon_query_t *q,
                               char *errstr, size_t errstr_size);

#endif
