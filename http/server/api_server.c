/* SPDX-License-Identifier: Apache-2.0 */
/* api_server: see api_server.h. One conn_req_t per request, created by the
 * URI log callback (which sees the raw request target) and freed by the
 * request-completed callback; every check that can refuse a request runs
 * on the first access-handler call, before any body byte is read. One
 * conn_t per connection (libmicrohttpd's socket context, created and
 * freed by the connection-notify callback) carries its deadline; the
 * watchdog thread shuts down sockets past theirs. libmicrohttpd reports
 * a connection closed before it closes the fd, so an fd in the list is
 * never one that was reused.
 */
#include "http/server/api_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/server/api_json.h"
#include "http/server/api_static.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"

/* Burrow's catch-all body, byte for byte (Go's http.Error adds '\n'). */
#define NOT_FOUND_BODY                                                         \
    "{\"error\":true,\"message\":\"invalid request type\",\"result\":{}}\n"

/* One connection, for the whole-request deadline. */
typedef struct conn_s {
    struct conn_s *prev, *next;
    int fd;
    int64_t deadline_ms; /* monotonic */
    int exempt;          /* a stream (SSE): no deadline */
    int cut;             /* shut down by the watchdog */
} conn_t;

/* One status code of one route and its count; code 0 = free slot. */
#define REQ_CODES 12
typedef struct req_slot_s {
    atomic_uint code;
    atomic_ullong n;
} req_slot_t;

struct api_server_s {
    api_config_t cfg; /* defaults filled in; strings below */
    char **allowed_hosts;
    char *tls_cert_pem, *tls_key_pem;
    char *listen;
    char *admin_token;
    char *dashboard_dir;
    char *allow_origin;
    char *hostname;
    api_router_t *router;  /* frozen once started */
    api_static_t *statics; /* NULL without a dashboard folder */
    api_sse_hub_t *hub;
    struct MHD_Daemon *daemon;
    int listen_fd; /* ours until the daemon takes it */
    int port;
    int started;
    int stopped;
    atomic_int ready;
    atomic_long inflight;       /* requests between URI log and completion */
    pthread_mutex_t conns_lock; /* guards conns, conns' deadlines, cuts */
    conn_t *conns;
    uint64_t cuts;
    mon_worker_t *watchdog; /* NULL when not running */
    /* requests answered, by route and status code: REQ_CODES slots per
     * route and one row more for requests no route matched; allocated
     * at start (the routes are frozen then), atomics only */
    req_slot_t *req_slots;
    size_t req_rows;
    atomic_ullong req_other; /* more distinct codes than a row holds */
};

typedef struct conn_req_s {
    api_server_t *srv;
    int route; /* the route matched (api_router_pattern), -1: none yet */
    char *raw; /* request target as sent, NUL-terminated */
    size_t raw_len;
    int64_t now_ms;
    int started; /* first access-handler call done */
    api_path_t path;
    api_route_hit_t hit;
    char *body;
    size_t body_len;
    size_t body_cap;
    int too_large;
} conn_req_t;

void api_config_default(api_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
}

static char *dup_or_null(const char *s) {
    return s && *s ? mon_strdup(s) : NULL;
}

/* A PEM file's text, NUL-terminated (libmicrohttpd's MEM_CERT/MEM_KEY),
 * at most 1 MiB. NULL with errstr naming the file on failure. */
static char *read_pem(const char *path, char *errstr, size_t errstr_size) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 1 << 20;
    if (!f) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = mon_malloc(cap + 1);
    n = fread(buf, 1, cap + 1, f);
    fclose(f);
    if (n == 0 || n > cap || !strstr(buf, "-----BEGIN ")) {
        snprintf(errstr, errstr_size, "%s: %s", path,
                 n > cap ? "over 1 MiB" : "not a PEM file");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- built-in route handlers that need the server ---- */

static void h_events(api_req_t *req, void *opaque) {
    api_server_t *srv = opaque;
    api_server_stream_started(req);
    api_sse_serve(srv->hub, req);
}

static void h_index(api_req_t *req, void *opaque) {
    api_server_t *srv = opaque;
    api_static_serve(srv->statics, req, "");
}

static void h_dashboard(api_req_t *req, void *opaque) {
    api_server_t *srv = opaque;
    const char *rel = api_req_param(req, "path");
    api_static_serve(srv->statics, req, rel ? rel : "");
}

static void h_dashboard_redirect(api_req_t *req, void *opaque) {
    struct MHD_Response *resp;
    (void)opaque;
    resp =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/dashboard/");
    api_resp_set(req, MHD_HTTP_MOVED_PERMANENTLY, resp);
}

/* ---- lifecycle ---- */

api_server_t *api_server_new(const api_config_t *cfg, char *errstr,
                             size_t errstr_size) {
    api_server_t *srv = mon_calloc(1, sizeof(*srv));
    char host[256];

    srv->cfg = *cfg;
    srv->listen = mon_strdup(cfg->listen && *cfg->listen ? cfg->listen
                                                         : API_DEFAULT_LISTEN);
    srv->admin_token = dup_or_null(cfg->admin_token);
    srv->dashboard_dir = dup_or_null(cfg->dashboard_dir);
    srv->allow_origin = dup_or_null(cfg->allow_origin);
    if (cfg->hostname && *cfg->hostname) {
        srv->hostname = mon_strdup(cfg->hostname);
    } else {
        if (gethostname(host, sizeof(host)) != 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        srv->hostname = mon_strdup(host);
    }
    srv->cfg.listen = srv->listen;
    srv->cfg.admin_token = srv->admin_token;
    srv->cfg.dashboard_dir = srv->dashboard_dir;
    srv->cfg.allow_origin = srv->allow_origin;
    srv->cfg.hostname = srv->hostname;
    if (!srv->cfg.max_url) srv->cfg.max_url = 2048;
    if (!srv->cfg.max_header) srv->cfg.max_header = 8192;
    if (!srv->cfg.max_body) srv->cfg.max_body = 65536;
    if (!srv->cfg.threads) srv->cfg.threads = 2;
    if (!srv->cfg.max_per_client) srv->cfg.max_per_client = 32;
    if (!srv->cfg.reserve_fds) srv->cfg.reserve_fds = 128;
    if (srv->cfg.timeout_ms <= 0) srv->cfg.timeout_ms = 30000;
    srv->allowed_hosts = mon_calloc(cfg->n_allowed_hosts + 1, sizeof(char *));
    for (size_t i = 0; i < cfg->n_allowed_hosts; i++)
        srv->allowed_hosts[i] = mon_strdup(cfg->allowed_hosts[i]);
    srv->cfg.allowed_hosts = (const char *const *)srv->allowed_hosts;
    srv->cfg.tls_cert = NULL; /* the PEM text is kept instead */
    srv->cfg.tls_key = NULL;
    pthread_mutex_init(&srv->conns_lock, NULL);
    srv->listen_fd = -1;
    atomic_init(&srv->ready, 0);
    atomic_init(&srv->inflight, 0);
    srv->router = api_router_new();
    if ((cfg->tls_cert && *cfg->tls_cert) || (cfg->tls_key && *cfg->tls_key)) {
        if (!cfg->tls_cert || !*cfg->tls_cert || !cfg->tls_key ||
            !*cfg->tls_key) {
            snprintf(errstr, errstr_size,
                     "TLS needs both a certificate "
                     "and a key");
            goto err;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(errstr, errstr_size,
                     "%s: this libmicrohttpd has no "
                     "TLS support",
                     cfg->tls_cert);
            goto err;
        }
        srv->tls_cert_pem = read_pem(cfg->tls_cert, errstr, errstr_size);
        if (!srv->tls_cert_pem) goto err;
        srv->tls_key_pem = read_pem(cfg->tls_key, errstr, errstr_size);
        if (!srv->tls_key_pem) goto err;
    }

    if (srv->dashboard_dir) {
        srv->statics = api_static_new(srv->dashboard_dir, errstr, errstr_size);
        if (!srv->statics) goto err;
    }
    srv->hub = api_sse_hub_new(cfg->sse_queue, cfg->sse_max_clients,
                               cfg->sse_heartbeat_ms, errstr, errstr_size);
    if (!srv->hub) goto err;
    if (api_server_route(srv, "GET", "/v3/events", h_events, srv, errstr,
                         errstr_size) != 0)
        goto err;
    if (srv->statics &&
        (api_server_route(srv, "GET", "/", h_index, srv, errstr, errstr_size) !=
             0 ||
         api_server_route(srv, "GET", "/dashboard", h_dashboard_redirect, srv,
                          errstr, errstr_size) != 0 ||
         api_server_route(srv, "GET", "/dashboard/*path", h_dashboard, srv,
                          errstr, errstr_size) != 0))
        goto err;
    return srv;

err:
    api_server_destroy(srv);
    return NULL;
}

int api_server_route(api_server_t *srv, const char *method, const char *pattern,
                     api_handler_fn fn, void *opaque, char *errstr,
                     size_t errstr_size) {
    if (srv->started) {
        snprintf(errstr, errstr_size, "route %s: server already started",
                 pattern ? pattern : "(null)");
        return -1;
    }
    return api_router_add(srv->router, method, pattern, fn, opaque, errstr,
                          errstr_size);
}

void api_server_set_ready(api_server_t *srv, int ready) {
    atomic_store(&srv->ready, ready ? 1 : 0);
}

int api_server_is_ready(const api_server_t *srv) {
    return atomic_load(&((api_server_t *)srv)->ready);
}

api_sse_hub_t *api_server_events(api_server_t *srv) {
    return srv->hub;
}

int api_server_port(const api_server_t *srv) {
    return srv->listen_fd >= 0 || srv->started ? srv->port : 0;
}

/* ---- responses ---- */

/* Counts one answer of `status` on route (-1: none matched). Lock-free:
 * a row's slots are claimed for codes once, by compare-and-swap. */
static void count_request(api_server_t *srv, int route, unsigned status) {
    size_t row;
    req_slot_t *s;
    if (!srv->req_slots) return;
    row = route >= 0 && (size_t)route < srv->req_rows - 1 ? (size_t)route
                                                          : srv->req_rows - 1;
    s = &srv->req_slots[row * REQ_CODES];
    for (int i = 0; i < REQ_CODES; i++) {
        unsigned c = atomic_load(&s[i].code);
        if (c == 0) {
            unsigned zero = 0;
            c = atomic_compare_exchange_strong(&s[i].code, &zero, status)
                    ? status
                    : zero;
        }
        if (c == status) {
            atomic_fetch_add_explicit(&s[i].n, 1, memory_order_relaxed);
            return;
        }
    }
    atomic_fetch_add_explicit(&srv->req_other, 1, memory_order_relaxed);
}

size_t api_server_requests(api_server_t *srv, api_server_count_t **out) {
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t r = 0; r < srv->req_rows; r++) {
        const char *method = "", *route = "unmatched";
        if (r + 1 < srv->req_rows)
            route = api_router_pattern(srv->router, r, &method);
        for (int i = 0; i < REQ_CODES; i++) {
            const req_slot_t *s = &srv->req_slots[r * REQ_CODES + i];
            unsigned c = atomic_load(&s->code);
            uint64_t v = atomic_load(&s->n);
            if (c == 0 || v == 0) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                *out = mon_realloc(*out, cap * sizeof(**out));
            }
            (*out)[n++] = (api_server_count_t){method, route, c, v};
        }
    }
    if (atomic_load(&srv->req_other)) {
        *out = mon_realloc(*out, (n + 1) * sizeof(**out));
        (*out)[n++] = (api_server_count_t){"", "unmatched", 0,
                                           atomic_load(&srv->req_other)};
    }
    return n;
}

/* Queues resp with the common headers and drops our reference; counts
 * the answer on route (-1: none). */
static enum MHD_Result queue(api_server_t *srv, struct MHD_Connection *conn,
                             int route, unsigned status,
                             struct MHD_Response *resp) {
    enum MHD_Result ret;
    if (!resp) {
        static const char body[] =
            "{\"error\":true,\"message\":\"internal error\"}";
        resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
                                               MHD_RESPMEM_PERSISTENT);
        if (!resp) return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (srv->allow_origin)
        MHD_add_response_header(resp,
                                MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                                srv->allow_origin);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    count_request(srv, route, status);
    return ret;
}

/* A request view for error bodies built before routing. */
static void req_init(api_req_t *req, conn_req_t *cr,
                     struct MHD_Connection *conn, const char *method) {
    memset(req, 0, sizeof(*req));
    req->method = method;
    req->path = cr->path.joined ? cr->path.joined : "";
    req->query = "";
    req->body = "";
    req->now_ms = cr->now_ms;
    req->host = cr->srv->hostname;
    req->conn = conn;
    req->server = cr->srv;
}

static enum MHD_Result send_error(conn_req_t *cr, struct MHD_Connection *conn,
                                  const char *method, unsigned status,
                                  const char *message, const char *hname,
                                  const char *hvalue) {
    api_req_t req;
    req_init(&req, cr, conn, method);
    if (!cr->path.joined) {
        /* path not decoded: report the raw path, without the query */
        size_t l = strcspn(cr->raw, "?");
        char *p = mon_strndup(cr->raw, l);
        req.path = p;
        api_resp_error(&req, status, message);
        free(p);
    } else {
        api_resp_error(&req, status, message);
    }
    if (req.resp && hname) MHD_add_response_header(req.resp, hname, hvalue);
    return queue(cr->srv, conn, cr->route, req.status, req.resp);
}

/* ---- checks ---- */

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value) {
    size_t *sum = cls;
    (void)kind;
    *sum += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": " CRLF */
    return MHD_YES;
}

/* Constant-time comparison of a presented token with the expected one:
 * the time depends only on the expected length. */
static int token_equal(const char *expected, const char *given, size_t glen) {
    size_t elen = strlen(expected);
    unsigned char diff = (unsigned char)(elen != glen);
    for (size_t i = 0; i < elen; i++) {
        unsigned char g = i < glen ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)expected[i]);
    }
    return diff == 0;
}

static int authorized(api_server_t *srv, struct MHD_Connection *conn) {
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return 0;
    h += 7;
    while (*h == ' ')
        h++;
    return token_equal(srv->admin_token, h, strlen(h));
}

static int method_is_safe(const char *method) {
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "OPTIONS") == 0;
}

static int method_has_body(const char *method) {
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0;
}

/* application/json, any case, parameters (charset) allowed. */
static int content_type_json(const char *ct) {
    size_t n = strlen("application/json");
    if (!ct) return 0;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, "application/json", n) != 0) return 0;
    ct += n;
    while (*ct == ' ')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* The host of a Host header value, without port or brackets, into buf.
 * Returns 0, or -1 when it does not parse. */
static int host_part(const char *h, char *buf, size_t size) {
    size_t n;
    if (h[0] == '[') {
        const char *rb = strchr(h, ']');
        if (!rb || (rb[1] && rb[1] != ':')) return -1;
        n = (size_t)(rb - h - 1);
        h++;
    } else {
        const char *colon = strchr(h, ':');
        n = colon ? (size_t)(colon - h) : strlen(h);
    }
    if (n == 0 || n >= size) return -1;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return 0;
}

/* A Host a DNS-rebinding page cannot send: an IP literal (the page's
 * origin would be that address, not the attacker's name), localhost, our
 * host name, or a configured name ("*" accepts any). Missing (HTTP/1.0):
 * allowed. */
static int host_allowed(const api_server_t *srv, const char *h) {
    char host[256];
    unsigned char addr[sizeof(struct in6_addr)];
    if (!h) return 1;
    if (host_part(h, host, sizeof(host)) != 0) return 0;
    if (inet_pton(AF_INET, host, addr) == 1 ||
        inet_pton(AF_INET6, host, addr) == 1)
        return 1;
    if (!strcasecmp(host, "localhost") || !strcasecmp(host, srv->hostname))
        return 1;
    for (size_t i = 0; i < srv->cfg.n_allowed_hosts; i++)
        if (!strcmp(srv->allowed_hosts[i], "*") ||
            !strcasecmp(srv->allowed_hosts[i], host))
            return 1;
    return 0;
}

/* Runs every check that needs no body. Returns 0 to go on, or the result
 * of queueing the refusal (+1 so that MHD_NO is distinguishable). */
static int precheck(conn_req_t *cr, struct MHD_Connection *conn,
                    const char *method) {
    api_server_t *srv = cr->srv;
    size_t hdr = 0;
    const char *cl;
    size_t plen;
    api_match_t m;

    if (cr->raw_len > srv->cfg.max_url)
        return 1 + send_error(cr, conn, method, MHD_HTTP_URI_TOO_LONG,
                              "request URL too long", NULL, NULL);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, sum_header, &hdr);
    if (hdr > srv->cfg.max_header)
        return 1 + send_error(cr, conn, method,
                              MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE,
                              "request headers too large", NULL, NULL);
    cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        unsigned long long v;
        errno = 0;
        v = strtoull(cl, &end, 10);
        if (errno || end == cl || v > srv->cfg.max_body)
            return 1 + send_error(cr, conn, method, MHD_HTTP_CONTENT_TOO_LARGE,
                                  "request body too large", NULL, NULL);
    }
    if (!host_allowed(srv, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_HOST))) {
        char msg[400];
        const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_HOST);
        snprintf(msg, sizeof(msg),
                 "host '%.200s' is not allowed: add it "
                 "to [http] allowed-hosts",
                 h);
        return 1 + send_error(cr, conn, method, MHD_HTTP_FORBIDDEN, msg, NULL,
                              NULL);
    }
    plen = strcspn(cr->raw, "?");
    if (api_path_parse(&cr->path, cr->raw, plen) != 0)
        return 1 + send_error(cr, conn, method, MHD_HTTP_BAD_REQUEST,
                              "invalid request path", NULL, NULL);
    m = api_router_match(srv->router, method, &cr->path, &cr->hit);
    if (m == API_MATCH_NOT_FOUND) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            sizeof(NOT_FOUND_BODY) - 1, (void *)NOT_FOUND_BODY,
            MHD_RESPMEM_PERSISTENT);
        if (resp) {
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    "text/plain; charset=utf-8");
            MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        }
        return 1 + queue(srv, conn, -1, MHD_HTTP_NOT_FOUND, resp);
    }
    if (m == API_MATCH_OK) cr->route = cr->hit.route;
    if (m == API_MATCH_BAD_METHOD)
        return 1 + send_error(cr, conn, method, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed", MHD_HTTP_HEADER_ALLOW,
                              cr->hit.allow);
    if (srv->admin_token && !method_is_safe(method) && !authorized(srv, conn))
        return 1 + send_error(cr, conn, method, MHD_HTTP_UNAUTHORIZED,
                              "authorization required",
                              MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                              "Bearer realm=\"warren\"");
    if (!srv->admin_token && !srv->cfg.open_writes && !method_is_safe(method))
        return 1 + send_error(cr, conn, method, MHD_HTTP_FORBIDDEN,
                              "writes are disabled: set [http] admin-token "
                              "(or open-writes = true to allow them "
                              "without one)",
                              NULL, NULL);
    if (method_has_body(method) &&
        !content_type_json(MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return 1 + send_error(cr, conn, method, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              "Content-Type must be application/json", NULL,
                              NULL);
    return 0;
}

/* ---- libmicrohttpd callbacks ---- */

static conn_req_t *conn_req_new(api_server_t *srv, const char *uri) {
    conn_req_t *cr = mon_calloc(1, sizeof(*cr));
    cr->srv = srv;
    cr->route = -1;
    cr->raw = mon_strdup(uri ? uri : "/");
    cr->raw_len = strlen(cr->raw);
    cr->now_ms = mon_clock_wall_ms();
    atomic_fetch_add(&srv->inflight, 1);
    return cr;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn) {
    (void)conn;
    return conn_req_new(cls, uri);
}

/* The conn_t of a connection (its socket context), or NULL. */
static conn_t *conn_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci =
        conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)
             : NULL;
    return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    api_server_t *srv = cls;
    conn_t *c = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = mon_calloc(1, sizeof(*c));
        c->fd = ci ? ci->connect_fd : -1;
        pthread_mutex_lock(&srv->conns_lock);
        c->deadline_ms = mon_clock_mono_ms() + srv->cfg.timeout_ms;
        c->next = srv->conns;
        if (srv->conns) srv->conns->prev = c;
        srv->conns = c;
        pthread_mutex_unlock(&srv->conns_lock);
        *socket_context = c;
    } else if (c) {
        /* before libmicrohttpd closes the fd: the watchdog never sees it
         * again */
        pthread_mutex_lock(&srv->conns_lock);
        if (c->prev)
            c->prev->next = c->next;
        else
            srv->conns = c->next;
        if (c->next) c->next->prev = c->prev;
        pthread_mutex_unlock(&srv->conns_lock);
        free(c);
        *socket_context = NULL;
    }
}

void api_server_stream_started(api_req_t *req) {
    api_server_t *srv = req->server;
    conn_t *c = conn_of(req->conn);
    if (!srv || !c) return;
    pthread_mutex_lock(&srv->conns_lock);
    c->exempt = 1;
    pthread_mutex_unlock(&srv->conns_lock);
}

/* Shuts down the sockets of connections past their deadline, four times
 * a second; libmicrohttpd then sees them end and cleans them up on its
 * own thread. */
static void watchdog_main(mon_worker_t *w, void *arg) {
    api_server_t *srv = arg;
    do {
        pthread_mutex_lock(&srv->conns_lock);
        int64_t now = mon_clock_mono_ms();
        for (conn_t *c = srv->conns; c; c = c->next) {
            if (c->exempt || c->cut || c->fd < 0 || now < c->deadline_ms)
                continue;
            shutdown(c->fd, SHUT_RDWR);
            c->cut = 1;
            srv->cuts++;
        }
        pthread_mutex_unlock(&srv->conns_lock);
    } while (!mon_worker_sleep(w, 250));
}

unsigned api_server_max_connections(const api_server_t *srv) {
    return srv->started ? srv->cfg.max_connections : 0;
}

uint64_t api_server_deadline_cuts(const api_server_t *srv) {
    api_server_t *s = (api_server_t *)srv;
    pthread_mutex_lock(&s->conns_lock);
    uint64_t n = s->cuts;
    pthread_mutex_unlock(&s->conns_lock);
    return n;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    conn_req_t *cr = *con_cls;
    api_server_t *srv = cls;
    conn_t *c = conn_of(conn);
    (void)toe;
    if (c) {
        /* the next request on a kept-alive connection gets a full one */
        pthread_mutex_lock(&srv->conns_lock);
        c->deadline_ms = mon_clock_mono_ms() + srv->cfg.timeout_ms;
        pthread_mutex_unlock(&srv->conns_lock);
    }
    if (!cr) return;
    atomic_fetch_sub(&cr->srv->inflight, 1);
    api_path_free(&cr->path);
    free(cr->body);
    free(cr->raw);
    free(cr);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    /* a client going away mid-response or sending a malformed request is
     * the client's problem, not a server warning */
    mon_log(strcasestr(msg, "for the request") ||
                    strcasestr(msg, "closed by remote") ||
                    strcasestr(msg, "connection reset") ||
                    strcasestr(msg, "error processing request")
                ? MON_LOG_DEBUG
                : MON_LOG_WARN,
            "libmicrohttpd: %s", msg);
}

static enum MHD_Result dispatch(conn_req_t *cr, struct MHD_Connection *conn,
                                const char *method) {
    api_req_t req;
    const char *q;

    if (cr->too_large)
        return send_error(cr, conn, method, MHD_HTTP_CONTENT_TOO_LARGE,
                          "request body too large", NULL, NULL);
    req_init(&req, cr, conn, method);
    q = strchr(cr->raw, '?');
    req.query = q ? q + 1 : "";
    req.body = cr->body ? cr->body : "";
    req.body_len = cr->body_len;
    req.nparams = cr->hit.nparams;
    for (int i = 0; i < cr->hit.nparams; i++) {
        req.param_name[i] = cr->hit.param_name[i];
        req.param_value[i] = cr->hit.param_value[i];
    }
    cr->hit.fn(&req, cr->hit.opaque);
    if (!req.resp)
        mon_log_kv(MON_LOG_ERROR,
                   MON_LOG_FIELDS(MON_LF_STR("method", method),
                                  MON_LF_STR("path", req.path)),
                   "http handler set no response");
    return queue(cr->srv, conn, cr->route, req.status, req.resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    api_server_t *srv = cls;
    conn_req_t *cr = *con_cls;
    (void)version;

    if (!cr) {
        /* no URI log call happened (should not): fall back to url */
        cr = conn_req_new(srv, url);
        *con_cls = cr;
    }
    if (!cr->started) {
        int r;
        cr->started = 1;
        r = precheck(cr, conn, method);
        if (r) return (enum MHD_Result)(r - 1);
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        if (!cr->too_large) {
            if (cr->body_len + n > srv->cfg.max_body) {
                cr->too_large = 1;
                free(cr->body);
                cr->body = NULL;
                cr->body_len = 0;
            } else {
                if (cr->body_len + n + 1 > cr->body_cap) {
                    size_t cap = cr->body_cap ? cr->body_cap * 2 : 1024;
                    while (cap < cr->body_len + n + 1)
                        cap *= 2;
                    if (cap > srv->cfg.max_body + 1)
                        cap = srv->cfg.max_body + 1;
                    cr->body = mon_realloc(cr->body, cap);
                    cr->body_cap = cap;
                }
                memcpy(cr->body + cr->body_len, upload_data, n);
                cr->body_len += n;
                cr->body[cr->body_len] = '\0';
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(cr, conn, method);
}

/* ---- start / stop ---- */

/* Splits "host:port" / "[v6]:port" and binds a listening socket. */
static int open_listener(const char *listen_addr, char *errstr,
                         size_t errstr_size) {
    char host[256];
    const char *colon, *port;
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc, err = 0;

    if (listen_addr[0] == '[') {
        const char *rb = strchr(listen_addr, ']');
        if (!rb || rb[1] != ':' ||
            (size_t)(rb - listen_addr - 1) >= sizeof(host)) {
            snprintf(errstr, errstr_size, "listen %s: expected [ADDR]:PORT",
                     listen_addr);
            return -1;
        }
        memcpy(host, listen_addr + 1, (size_t)(rb - listen_addr - 1));
        host[rb - listen_addr - 1] = '\0';
        port = rb + 2;
    } else {
        colon = strrchr(listen_addr, ':');
        if (!colon || (size_t)(colon - listen_addr) >= sizeof(host)) {
            snprintf(errstr, errstr_size, "listen %s: expected ADDR:PORT",
                     listen_addr);
            return -1;
        }
        memcpy(host, listen_addr, (size_t)(colon - listen_addr));
        host[colon - listen_addr] = '\0';
        port = colon + 1;
    }
    {
        char *end = NULL;
        long p = strtol(port, &end, 10);
        if (!*port || *end || p < 0 || p > 65535) {
            snprintf(errstr, errstr_size, "listen %s: bad port '%s'",
                     listen_addr, port);
            return -1;
        }
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "listen %s: %s", listen_addr,
                 gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1;
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
            break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "listen %s: %s", listen_addr,
                 strerror(err ? err : EADDRNOTAVAIL));
        return -1;
    }
    return fd;
}

/* The port listen_fd is bound to, or 0. */
static int bound_port(int fd) {
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) return 0;
    return ntohs(ss.ss_family == AF_INET6
                     ? ((struct sockaddr_in6 *)&ss)->sin6_port
                     : ((struct sockaddr_in *)&ss)->sin_port);
}

int api_server_listen(api_server_t *srv, char *errstr, size_t errstr_size) {
    if (srv->started || srv->listen_fd >= 0) {
        snprintf(errstr, errstr_size, "listen %s: already listening",
                 srv->listen);
        return -1;
    }
    srv->listen_fd = open_listener(srv->listen, errstr, errstr_size);
    if (srv->listen_fd < 0) return -1;
    srv->port = bound_port(srv->listen_fd);
    return 0;
}

/* Open fds of this process now (/proc/self/fd), or -1. */
static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        n += isdigit((unsigned char)e->d_name[0]) != 0;
    closedir(d);
    return n - 1; /* the directory's own fd */
}

/* The connection limit: what the fd limit leaves after the fds open now
 * and reserve_fds more, at most the configured limit (1024 unset). */
static int connection_limit(api_server_t *srv, char *errstr,
                            size_t errstr_size) {
    struct rlimit rl;
    int open_now = open_fds();
    unsigned want = srv->cfg.max_connections ? srv->cfg.max_connections : 1024;
    long long room;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
        open_now < 0) {
        srv->cfg.max_connections = want;
        return 0;
    }
    /* each pool thread holds a wake-up pipe (2 fds) */
    room = (long long)rl.rlim_cur - open_now - (long long)srv->cfg.reserve_fds -
           2LL * srv->cfg.threads;
    if (room < 4) {
        snprintf(errstr, errstr_size,
                 "listen %s: the fd limit (%llu, %d "
                 "open) leaves no room for connections after %u reserved: "
                 "raise it (ulimit -n)",
                 srv->listen, (unsigned long long)rl.rlim_cur, open_now,
                 srv->cfg.reserve_fds);
        return -1;
    }
    if ((long long)want > room) {
        if (srv->cfg.max_connections)
            mon_log(MON_LOG_WARN,
                    "http: max-connections %u lowered to %lld "
                    "(fd limit %llu, %d open, %u reserved)",
                    srv->cfg.max_connections, room,
                    (unsigned long long)rl.rlim_cur, open_now,
                    srv->cfg.reserve_fds);
        want = (unsigned)room;
    }
    srv->cfg.max_connections = want;
    mon_log(MON_LOG_INFO,
            "http: at most %u connections, %u per client, "
            "%lld ms per request (fd limit %llu, %d open, %u reserved)",
            want, srv->cfg.max_per_client, (long long)srv->cfg.timeout_ms,
            (unsigned long long)rl.rlim_cur, open_now, srv->cfg.reserve_fds);
    return 0;
}

int api_server_start(api_server_t *srv, char *errstr, size_t errstr_size) {
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    size_t mem;
    unsigned idle_s;

    if (srv->started) {
        snprintf(errstr, errstr_size, "http server already started");
        return -1;
    }
    /* poll, not epoll: with a thread pool, libmicrohttpd 0.9.75's
     * MHD_quiesce_daemon races a worker removing the listen socket from
     * its own epoll set and aborts ("Failed to remove listen FD from
     * epoll set"), which graceful shutdown must never risk. With the
     * connection counts a monitor sees, poll costs nothing measurable. */
    flags |= MHD_USE_POLL;
    if (srv->listen_fd < 0 && api_server_listen(srv, errstr, errstr_size) != 0)
        return -1;
    if (connection_limit(srv, errstr, errstr_size) != 0) return -1;
    /* room for the request line and headers we accept, plus read buffer */
    mem = 2 * (srv->cfg.max_url + srv->cfg.max_header) + 16384;
    if (mem < 32768) mem = 32768;
    /* libmicrohttpd's own timeout is an idle one, in whole seconds: round
     * up; the watchdog enforces the deadline to the millisecond */
    idle_s = (unsigned)((srv->cfg.timeout_ms + 999) / 1000);
    if (srv->tls_cert_pem) flags |= MHD_USE_TLS;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, srv, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv->cfg.threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)srv->cfg.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned int)srv->cfg.max_per_client, MHD_OPTION_CONNECTION_TIMEOUT,
        idle_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        srv->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
        srv->tls_cert_pem, MHD_OPTION_HTTPS_MEM_KEY, srv->tls_key_pem,
        MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(errstr, errstr_size, "listen %s: cannot start HTTP%s daemon%s",
                 srv->listen, srv->tls_cert_pem ? "S" : "",
                 srv->tls_cert_pem ? " (is the key the certificate's?)" : "");
        return -1;
    }
    if (mon_worker_start(&srv->watchdog, "http watchdog", watchdog_main, srv,
                         errstr, errstr_size) != 0) {
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
        return -1;
    }
    srv->req_rows = api_router_count(srv->router) + 1;
    srv->req_slots = mon_calloc(srv->req_rows * REQ_CODES, sizeof(req_slot_t));
    srv->started = 1;
    return 0;
}

void api_server_stop(api_server_t *srv, int64_t grace_ms) {
    MHD_socket fd;
    int64_t waited = 0;

    if (!srv || !srv->started || srv->stopped) return;
    srv->stopped = 1;
    fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET) close(fd);
    srv->listen_fd = -1;
    api_sse_hub_close(srv->hub);
    while (atomic_load(&srv->inflight) > 0 && waited < grace_ms) {
        mon_clock_sleep_ms(5);
        waited += 5;
    }
    MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
    mon_worker_stop(&srv->watchdog);
}

void api_server_destroy(api_server_t *srv) {
    if (!srv) return;
    api_server_stop(srv, 0);
    if (srv->listen_fd >= 0) close(srv->listen_fd);
    api_sse_hub_destroy(srv->hub);
    api_static_destroy(srv->statics);
    api_router_destroy(srv->router);
    free(srv->listen);
    free(srv->admin_token);
    free(srv->dashboard_dir);
    free(srv->allow_origin);
    free(srv->hostname);
    for (size_t i = 0; srv->allowed_hosts && srv->allowed_hosts[i]; i++)
        free(srv->allowed_hosts[i]);
    free(srv->allowed_hosts);
    free(srv->tls_cert_pem);
    free(srv->tls_key_pem);
    free(srv->req_slots);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
}
