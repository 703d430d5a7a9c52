/* SPDX-License-Identifier: Apache-2.0 */
/* api_router: the route table of the HTTP API, and the request every
 * handler receives.
 *
 * A route is a method plus a path pattern of '/'-separated segments: a
 * literal ("consumer"), a parameter (":group", one non-empty segment) or a
 * tail ("*path", the rest of the path, possibly empty; last only). Paths
 * are split on the raw '/' first and each segment is percent-decoded on its
 * own, so "%2F" inside a group name stays part of that one segment; a bad
 * escape or an encoded NUL makes the whole path invalid (400). When several
 * routes match, the most specific wins (literal before parameter before
 * tail, segment by segment from the left). A path that matches only with
 * other methods is a 405 and the router reports which methods it allows.
 *
 * The table is built before the server starts and is read-only afterwards,
 * so matching takes no lock. Built on the assumption of a few dozen
 * routes: matching is a linear scan.
 */
#ifndef API_ROUTER_H
#define API_ROUTER_H

#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
struct MHD_Response;

#define API_MAX_PARAMS 8

typedef struct api_req_s api_req_t;

/* A route handler. It answers through the api_resp_* helpers of api_json.h
 * (exactly one of them); a handler that sets no response gets a 500. Runs
 * on a libmicrohttpd pool thread; must not block on I/O. */
typedef void (*api_handler_fn)(api_req_t *req, void *opaque);

/* The request as a handler sees it. Everything is owned by the server and
 * valid until the handler returns. */
struct api_req_s {
    const char *method; /* "GET", "POST", ... (HEAD is routed as GET) */
    const char *path;   /* percent-decoded path: Burrow's request.url */
    const char *query;  /* raw query string after '?', "" when none */
    const char *body;   /* request body (NUL-terminated), "" when none */
    size_t body_len;
    int64_t now_ms;   /* wall clock when the request arrived */
    const char *host; /* this server's host name: request.host */
    int nparams;
    const char *param_name[API_MAX_PARAMS];
    const char *param_value[API_MAX_PARAMS]; /* decoded */
    struct MHD_Connection *conn;
    void *server; /* the api_server_t serving it */
    /* The response, set by the api_resp_* helpers. */
    struct MHD_Response *resp;
    unsigned status;
};

/* A path split into decoded segments. */
typedef struct api_path_s {
    char **segs; /* nsegs decoded, NUL-terminated segments */
    size_t nsegs;
    char *joined;    /* "/" + segments joined by "/" */
    size_t *seg_off; /* offset of each segment inside joined */
    char *buf_;
} api_path_t;

typedef enum api_match_e {
    API_MATCH_OK = 0,
    API_MATCH_NOT_FOUND = -1,
    API_MATCH_BAD_METHOD = -2
} api_match_t;

/* What a successful match found. */
typedef struct api_route_hit_s {
    api_handler_fn fn;
    void *opaque;
    int route; /* index of the route (api_router_pattern) */
    int nparams;
    const char *param_name[API_MAX_PARAMS];  /* owned by the router */
    const char *param_value[API_MAX_PARAMS]; /* point into the api_path_t */
    char allow[96]; /* on API_MATCH_BAD_METHOD: "GET, POST" */
} api_route_hit_t;

typedef struct api_router_s api_router_t;

/* New empty route table. Never NULL. */
api_router_t *api_router_new(void);

/* Frees the table; NULL is fine. */
void api_router_destroy(api_router_t *rt);

/* Adds method + pattern -> fn(req, opaque). Returns 0, or -1 with errstr
 * set for a bad pattern (not starting with '/', empty or duplicate
 * parameter names, more than API_MAX_PARAMS, a tail not last) or a route
 * already present. Strings are copied; opaque stays the caller's. Not
 * thread-safe: call before the server starts. */
int api_router_add(api_router_t *rt, const char *method, const char *pattern,
                   api_handler_fn fn, void *opaque, char *errstr,
                   size_t errstr_size);

/* Matches a parsed path. Returns API_MATCH_OK and fills *hit, or
 * API_MATCH_NOT_FOUND, or API_MATCH_BAD_METHOD with hit->allow listing
 * the methods that would match. HEAD matches GET routes. Lock-free. */
api_match_t api_router_match(const api_router_t *rt, const char *method,
                             const api_path_t *path, api_route_hit_t *hit);

/* The number of routes; route i's pattern (and *method, when not NULL),
 * or NULL past the end. Strings owned by the router. */
size_t api_router_count(const api_router_t *rt);
const char *api_router_pattern(const api_router_t *rt, size_t i,
                               const char **method);

/* Splits the raw path raw[0..len) (starting with '/', without the query)
 * and percent-decodes each segment into *p. Returns 0, or -1 when the path
 * does not start with '/', has a malformed escape or decodes to a NUL
 * (*p is then empty). Free with api_path_free. */
int api_path_parse(api_path_t *p, const char *raw, size_t len);

/* Frees what api_path_parse allocated and zeroes *p; NULL is fine. */
void api_path_free(api_path_t *p);

/* Percent-decodes src[0..len) into dst (room for len + 1 bytes); with
 * plus_space, '+' becomes ' ' (query strings). Returns the decoded length,
 * or -1 for a malformed escape or a decoded NUL. */
long api_url_decode(char *dst, const char *src, size_t len, int plus_space);

/* The decoded value of query parameter `name` (first occurrence) copied
 * into buf. Returns its length, -1 when absent, -2 when malformed or
 * longer than size - 1. A key without '=' has the value "". */
long api_req_query(const api_req_t *req, const char *name, char *buf,
                   size_t size);

/* The decoded value of route parameter `name`, or NULL. */
const char *api_req_param(const api_req_t *req, const char *name);

#endif
