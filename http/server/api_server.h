/* SPDX-License-Identifier: Apache-2.0 */
/* api_server: Warren's HTTP server on libmicrohttpd: listening, limits,
 * authentication, routing to handlers, graceful stop.
 *
 * One internal polling thread per pool slot (poll(2); api_server.c says
 * why not epoll) serves every connection; handlers run on those threads
 * and only read shared state. Each request passes, in order: URL length
 * (414), header bytes (431), declared body length (413), the Host header
 * (403 unless an IP literal, "localhost", the server's host name or one
 * of allowed_hosts: a DNS-rebinding page sends its own name), path
 * decoding (400), route lookup (404 with Burrow's exact body, or 405 JSON
 * with Allow), then every write (a method other than GET, HEAD and
 * OPTIONS) needs "Authorization: Bearer <token>" when an admin token is
 * configured (401 JSON with WWW-Authenticate otherwise; compared in
 * constant time) and is refused (403) when none is, unless open_writes;
 * POST, PUT and PATCH need Content-Type application/json (415: a form or
 * text/plain POST is what a web page can send without a CORS preflight).
 * Only then is a body read (bounded by max_body, 413 beyond) and the
 * handler called. Routing uses the raw request target, not
 * libmicrohttpd's unescaped copy, so an encoded '/' or '.' can never
 * change which route matches.
 *
 * Connections are bounded three ways: at most max_per_client from one
 * client address; at most max_connections in all, by default what the
 * fd limit (getrlimit) leaves after the fds open at start and reserve_fds
 * more (the data dir, snapshots, Kafka sockets need theirs); and each
 * request must be complete, answer included, within timeout_ms of the
 * connection's start or of the previous answer on it: a watchdog shuts
 * down the socket of one that is not, however slowly it keeps sending
 * (an idle timeout alone never ends a slowloris). Event streams
 * (/v3/events) are exempt once they start. With tls_cert and tls_key the
 * server speaks HTTPS only (libmicrohttpd's GnuTLS).
 *
 * Built-in routes (api_server_new): GET /v3/events (SSE) and, with a
 * dashboard folder, GET /, /dashboard and /dashboard/... Everything else
 * (the admin routes, the /v3/kafka tree, /metrics) is registered by its
 * module through api_server_route before api_server_start. Starting is
 * two steps so the port is known before anything depends on it:
 * api_server_listen binds (port 0 picks one), then the caller builds
 * what needs the port and registers routes, then api_server_start runs
 * the pool.
 *
 * Locks: the route table is frozen at start and read lock-free; the ready
 * flag and the in-flight counter are atomics; conns_lock guards the
 * connection list the watchdog scans; the SSE hub has its own lock
 * (api_sse.h). _new/_route/_start/_stop/_destroy are for one owning
 * thread.
 */
#ifndef API_SERVER_H
#define API_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "http/server/api_router.h"
#include "http/server/api_sse.h"

#define API_DEFAULT_LISTEN "127.0.0.1:8000"

typedef struct api_config_s {
    const char *listen;      /* "ADDR:PORT", "[v6]:PORT"; port 0 picks
                              * a free one; NULL: API_DEFAULT_LISTEN */
    const char *admin_token; /* NULL or "": no token (see open_writes) */
    int open_writes;         /* without a token: 0 refuses writes (403),
                              * 1 lets anyone write (Burrow's way) */
    const char *const *allowed_hosts; /* Host names accepted besides IP
                                       * literals, localhost and hostname; "*"
                                       * accepts any */
    size_t n_allowed_hosts;
    const char *tls_cert; /* PEM file paths: HTTPS; NULL: HTTP */
    const char *tls_key;
    size_t max_url;            /* request target bytes; 0: 2048 */
    size_t max_header;         /* header bytes in total; 0: 8192 */
    size_t max_body;           /* body bytes; 0: 65536 */
    const char *dashboard_dir; /* NULL: no static files */
    const char *allow_origin;  /* Access-Control-Allow-Origin; NULL/"" off */
    const char *hostname;      /* request.host; NULL: gethostname() */
    unsigned threads;          /* pool size; 0: 2 */
    unsigned max_connections;  /* 0: from the fd limit, at most 1024 */
    unsigned max_per_client;   /* connections per client address; 0: 32 */
    unsigned reserve_fds;      /* fds left for the rest; 0: 128 */
    int64_t timeout_ms;        /* whole-request deadline; 0: 30000 */
    size_t sse_queue;          /* events queued per SSE client; 0: 256 */
    size_t sse_max_clients;    /* 0: 64 */
    int64_t sse_heartbeat_ms;  /* 0: 15000 */
} api_config_t;

typedef struct api_server_s api_server_t;

/* Zeroes *cfg: every field then means its default. */
void api_config_default(api_config_t *cfg);

/* New server (not listening yet) with the built-in routes registered.
 * Strings in cfg are copied. Returns NULL with errstr set for a bad listen
 * address, a dashboard folder that is not a directory, or a thread that
 * cannot start. */
api_server_t *api_server_new(const api_config_t *cfg, char *errstr,
                             size_t errstr_size);

/* Registers method + pattern (see api_router.h) -> fn(req, opaque).
 * Returns 0, or -1 with errstr set (bad or duplicate pattern, or the
 * server already started). opaque stays the caller's and must outlive the
 * server. */
int api_server_route(api_server_t *srv, const char *method, const char *pattern,
                     api_handler_fn fn, void *opaque, char *errstr,
                     size_t errstr_size);

/* Binds and listens, without serving yet: connections wait in the
 * kernel's backlog until api_server_start. Lets the caller learn the port
 * (api_server_port, useful with port 0) and build what depends on it
 * before registering routes. Returns 0, or -1 with errstr naming the
 * address and why (e.g. "127.0.0.1:8000: Address already in use"). */
int api_server_listen(api_server_t *srv, char *errstr, size_t errstr_size);

/* Starts the pool on the socket of api_server_listen (binding first when
 * it was not called); the route table is frozen from here on. Returns 0,
 * or -1 with errstr naming the address and why, an fd limit too low for
 * any connection, or TLS files that cannot be read or used. */
int api_server_start(api_server_t *srv, char *errstr, size_t errstr_size);

/* The connection limit in effect once started (see the header), else 0. */
unsigned api_server_max_connections(const api_server_t *srv);

/* Connections whose socket the watchdog shut down past their deadline. */
uint64_t api_server_deadline_cuts(const api_server_t *srv);

/* Marks the connection of req as a long-lived stream (SSE): exempt from
 * the whole-request deadline from now on. Handler thread. */
void api_server_stream_started(api_req_t *req);

/* The bound TCP port once listening (useful with port 0), else 0. */
int api_server_port(const api_server_t *srv);

/* Sets what GET /burrow/admin/ready answers: READY (200) when non-zero,
 * STARTING (503) otherwise (the initial state). Any thread. */
void api_server_set_ready(api_server_t *srv, int ready);

/* The ready flag. Any thread. */
int api_server_is_ready(const api_server_t *srv);

/* Requests answered since start for one route and status code. */
typedef struct api_server_count_s {
    const char *method; /* the route's ("GET"; HEAD counts as GET), "" */
    const char *route;  /* its pattern, "unmatched" for no route */
    unsigned code;      /* HTTP status; 0: one of more codes than a
                         * route's 12 slots hold */
    uint64_t count;
} api_server_count_t;

/* Every non-zero count, routes in registration order, into a malloc'd
 * array (*out; the caller frees it; the strings are the server's, valid
 * until api_server_destroy). Returns how many. Any thread, lock-free;
 * none before api_server_start. */
size_t api_server_requests(api_server_t *srv, api_server_count_t **out);

/* The SSE hub behind GET /v3/events: publish with api_sse_publish. Owned
 * by the server; valid until api_server_destroy. */
api_sse_hub_t *api_server_events(api_server_t *srv);

/* Graceful stop: stops accepting, ends SSE streams, waits up to grace_ms
 * for requests in flight to finish, then stops the pool (closing what is
 * left). Idempotent; no-op when not started. */
void api_server_stop(api_server_t *srv, int64_t grace_ms);

/* Stops (grace 0 if still running) and frees everything; NULL is fine. */
void api_server_destroy(api_server_t *srv);

#endif
