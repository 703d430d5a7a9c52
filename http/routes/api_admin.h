/* SPDX-License-Identifier: Apache-2.0 */
/* api_admin: the routes that need no offset store: GET /healthz, Burrow's
 * GET /burrow/admin ("GOOD") and /burrow/admin/ready ("READY" or
 * "STARTING"), GET/POST /v3/admin/loglevel with Burrow's messages and
 * codes, backed by mon_log's level, and GET /v3/info (Warren's own: name,
 * version, API, User-Agent, in Burrow's envelope). Stateless; any pool
 * thread.
 */
#ifndef API_ADMIN_H
#define API_ADMIN_H

#include <stddef.h>

#include "http/server/api_server.h"

/* Registers the admin routes on srv. Returns 0, or -1 with errstr set when
 * a route is already taken. */
int api_admin_register(api_server_t *srv, char *errstr, size_t errstr_size);

#endif
