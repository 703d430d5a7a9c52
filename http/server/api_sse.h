/* SPDX-License-Identifier: Apache-2.0 */
/* api_sse: Server-Sent Events for GET /v3/events: a broadcast hub with
 * one bounded queue per client.
 *
 * Any thread publishes an event (name + JSON text); the hub formats it
 * once ("id: N\nevent: NAME\ndata: JSON\n\n"), and every connected client
 * queues a reference to it. A client's stream is a libmicrohttpd callback
 * response: when its queue is empty the connection is suspended (no busy
 * polling, no pool thread held) and the next publish resumes it. A slow
 * client whose queue is full loses its oldest events and then receives
 * "event: dropped" with {"dropped":N} before the newer ones, so one slow
 * reader never grows memory or delays others. A hub thread sends a
 * ": heartbeat" comment to every client every heartbeat_ms (15 s by
 * default), which also reveals disconnected clients.
 *
 * Locks: hub->lock (a mutex) guards the client list, every client queue
 * and the closed flag; it is taken by publishers, the heartbeat thread and
 * the stream callbacks, and is held while calling MHD_suspend_connection /
 * MHD_resume_connection (order: hub->lock, then libmicrohttpd's). The
 * response-free callback takes no lock (it marks the client gone; the hub
 * reaps it), so libmicrohttpd never calls into the hub lock while holding
 * its own.
 */
#ifndef API_SSE_H
#define API_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "http/server/api_router.h"

typedef struct api_sse_hub_s api_sse_hub_t;

/* New hub: at most queue_max events queued per client (0: 256), at most
 * max_clients streams (0: 64), a heartbeat every heartbeat_ms (0: 15000).
 * Starts the heartbeat thread. Returns NULL with errstr set when the
 * thread cannot start. The connections must come from a daemon started
 * with MHD_ALLOW_SUSPEND_RESUME. */
api_sse_hub_t *api_sse_hub_new(size_t queue_max, size_t max_clients,
                               int64_t heartbeat_ms, char *errstr,
                               size_t errstr_size);

/* Ends every stream (each callback returns end-of-stream at its next call,
 * suspended ones are resumed first) and refuses new clients. Idempotent;
 * any thread. */
void api_sse_hub_close(api_sse_hub_t *hub);

/* Streams not yet released by libmicrohttpd. Any thread, lock-free. */
size_t api_sse_hub_clients(api_sse_hub_t *hub);

/* Stops the heartbeat thread and frees the hub; NULL is fine. Call only
 * after the daemon that served the streams has stopped (every stream has
 * been released). */
void api_sse_hub_destroy(api_sse_hub_t *hub);

/* Queues event `event` (a name without CR/LF, e.g. "status") with data
 * `json` (newlines are split into several data: lines) for every client.
 * Returns the number of clients it was queued for, or -1 when the hub is
 * closed or the name is invalid. Copies what it needs; any thread. */
int api_sse_publish(api_sse_hub_t *hub, const char *event, const char *json);

/* Events a client lost because its queue was full, summed over clients. */
uint64_t api_sse_dropped_total(api_sse_hub_t *hub);

/* Handler body for GET /v3/events: starts a stream on req (200,
 * text/event-stream), or 503 JSON when the hub is closed or full. */
void api_sse_serve(api_sse_hub_t *hub, api_req_t *req);

#endif
