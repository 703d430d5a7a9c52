/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests for the HTTP layer: a real api_server on an ephemeral
 * loopback port with a temporary dashboards folder, driven over real
 * sockets with libcurl (and a raw socket where curl would clean up the
 * request). Covers routing errors, size limits, the admin token, static
 * files and traversal attempts, the admin routes and SSE.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/routes/api_admin.h"
#include "http/server/api_json.h"
#include "http/server/api_server.h"
#include "monitor/base/mon_log.h"

#define TOKEN "s3cret-token"
#define SECRET "TOP-SECRET-CONTENT"

static api_server_t *srv;
static int port;
static char tmp[256];
static char dash[300];

/* ---- fixture ---- */

static void write_file(const char *dir, const char *name, const char *text) {
    char path[512];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f, "cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

static void h_echo(api_req_t *req, void *opaque) {
    cJSON *body = api_json_envelope(0, "echo");
    char since[64] = "";
    (void)opaque;
    cJSON_AddStringToObject(body, "cluster", api_req_param(req, "cluster"));
    cJSON_AddStringToObject(body, "group", api_req_param(req, "group"));
    if (api_req_query(req, "since", since, sizeof(since)) < 0)
        snprintf(since, sizeof(since), "(none)");
    cJSON_AddStringToObject(body, "since", since);
    api_json_add_float(body, "complete", 1.0);
    api_json_add_float(body, "half", 0.5);
    api_json_add_int64(body, "big", 1234567890123456789LL);
    api_resp_json(req, 200, body);
}

static void h_delete(api_req_t *req, void *opaque) {
    (void)opaque;
    api_resp_json(req, 200, api_json_envelope(0, "consumer group removed"));
}

static void h_noresp(api_req_t *req, void *opaque) {
    (void)req;
    (void)opaque;
}

/* h_slow's entries, so a test can wait until a request is inside it. */
static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_cond = PTHREAD_COND_INITIALIZER;
static int slow_entered;

static void h_slow(api_req_t *req, void *opaque) {
    struct timespec ts = {0, 300 * 1000000L};
    (void)opaque;
    pthread_mutex_lock(&slow_lock);
    slow_entered++;
    pthread_cond_broadcast(&slow_cond);
    pthread_mutex_unlock(&slow_lock);
    nanosleep(&ts, NULL);
    api_resp_text(req, 200, "text/plain", "slow done");
}

static void start_server(const char *allow_origin) {
    api_config_t cfg;
    char err[256] = "";
    api_config_default(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.admin_token = TOKEN;
    cfg.dashboard_dir = dash;
    cfg.hostname = "test-host";
    cfg.allow_origin = allow_origin;
    cfg.sse_queue = 8;
    cfg.sse_heartbeat_ms = 200;
    srv = api_server_new(&cfg, err, sizeof(err));
    cr_assert_not_null(srv, "api_server_new: %s", err);
    cr_assert_eq(api_admin_register(srv, NULL, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(api_server_route(srv, "GET",
                                  "/v3/kafka/:cluster/consumer/:group/status",
                                  h_echo, NULL, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(api_server_route(srv, "DELETE",
                                  "/v3/kafka/:cluster/consumer/:group",
                                  h_delete, NULL, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(api_server_route(srv, "GET", "/t/noresp", h_noresp, NULL, err,
                                  sizeof(err)),
                 0);
    cr_assert_eq(
        api_server_route(srv, "GET", "/t/slow", h_slow, NULL, err, sizeof(err)),
        0);
    cr_assert_eq(api_server_start(srv, err, sizeof(err)), 0, "start: %s", err);
    port = api_server_port(srv);
    cr_assert_gt(port, 0);
}

static void setup_files(void) {
    char path[512];
    snprintf(tmp, sizeof(tmp), "/tmp/warren-api-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    snprintf(dash, sizeof(dash), "%s/dash", tmp);
    cr_assert_eq(mkdir(dash, 0755), 0);
    write_file(tmp, "secret.txt", SECRET);
    write_file(dash, "index.html", "<html>index</html>");
    write_file(dash, "app.js", "console.log(1);");
    write_file(dash, "style.css", "body{}");
    write_file(dash, "data.json", "{}");
    write_file(dash, "icon.svg", "<svg/>");
    write_file(dash, "img.png", "PNG");
    write_file(dash, "favicon.ico", "ICO");
    write_file(dash, "font.woff2", "WOFF2");
    write_file(dash, "notes.xyz", "notes");
    write_file(dash, ".hidden", SECRET);
    snprintf(path, sizeof(path), "%s/sub", dash);
    cr_assert_eq(mkdir(path, 0755), 0);
    write_file(path, "index.html", "<html>sub</html>");
    snprintf(path, sizeof(path), "%s/link", dash);
    cr_assert_eq(symlink("../secret.txt", path), 0);
    snprintf(path, sizeof(path), "%s/linkdir", dash);
    cr_assert_eq(symlink("..", path), 0);
    snprintf(path, sizeof(path), "%s/fifo", dash);
    cr_assert_eq(mkfifo(path, 0644), 0);
}

static void setup(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    mon_log_set_level(MON_LOG_INFO);
    setup_files();
    start_server(NULL);
}

static void teardown(void) {
    char cmd[400];
    api_server_destroy(srv);
    srv = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    curl_global_cleanup();
}

TestSuite(api_server, .init = setup, .fini = teardown, .timeout = 30);

/* ---- client helpers ---- */

typedef struct resp_s {
    long status;
    char *body;
    size_t len;
    char headers[8192];
    size_t hlen;
} resp_t;

static size_t on_body(char *p, size_t s, size_t n, void *u) {
    resp_t *r = u;
    r->body = realloc(r->body, r->len + s * n + 1);
    memcpy(r->body + r->len, p, s * n);
    r->len += s * n;
    r->body[r->len] = '\0';
    return s * n;
}

static size_t on_header(char *p, size_t s, size_t n, void *u) {
    resp_t *r = u;
    size_t k = s * n;
    if (r->hlen + k < sizeof(r->headers)) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    return s * n;
}

/* Value of response header `name` (copied into a static buffer). */
static const char *header(const resp_t *r, const char *name) {
    static char val[512];
    size_t nl = strlen(name);
    const char *p = r->headers;
    while ((p = strchr(p, '\n')) != NULL) {
        p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            size_t l;
            while (*v == ' ')
                v++;
            l = strcspn(v, "\r\n");
            if (l >= sizeof(val)) l = sizeof(val) - 1;
            memcpy(val, v, l);
            val[l] = '\0';
            return val;
        }
    }
    return NULL;
}

static void resp_free(resp_t *r) {
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static void http(const char *method, const char *path, const char *hdr1,
                 const char *body, resp_t *r) {
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[4096 + 64];
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    h = curl_slist_append(h, "Expect:");
    if (hdr1) h = curl_slist_append(h, hdr1);
    /* bodies are JSON unless the test says otherwise (415 else) */
    if (body && !(hdr1 && !strncasecmp(hdr1, "Content-Type:", 13)))
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path,
                 curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!r->body) {
        r->body = calloc(1, 1);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

/* Sends `req` verbatim on a new connection and reads the whole answer
 * (until the server closes or 5 s pass). Returns the status code. */
static int raw(const char *req, char *out, size_t out_size) {
    struct sockaddr_in sa;
    struct timeval tv = {5, 0};
    size_t n = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int status = -1;

    cr_assert_geq(fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    cr_assert_eq(send(fd, req, strlen(req), MSG_NOSIGNAL),
                 (ssize_t)strlen(req));
    for (;;) {
        ssize_t k = recv(fd, out + n, out_size - 1 - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
        if (n + 1 >= out_size) break;
    }
    out[n] = '\0';
    close(fd);
    sscanf(out, "HTTP/1.%*d %d", &status);
    return status;
}

static cJSON *parse(const resp_t *r) {
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(r->body, r->len + 1, &end, 1);
    cr_assert_not_null(doc, "not JSON: %s", r->body);
    return doc;
}

/* Checks Burrow's error envelope exactly: keys in order, values. */
static void assert_error_body(const resp_t *r, const char *message,
                              const char *url) {
    char want[1024];
    snprintf(want, sizeof(want),
             "{\"error\":true,\"message\":\"%s\",\"request\":"
             "{\"url\":\"%s\",\"host\":\"test-host\"}}",
             message, url);
    cr_assert_str_eq(r->body, want);
    cr_assert_str_eq(header(r, "Content-Type"), "application/json");
}

/* Parameter structs hold their strings inline: Criterion runs each
 * parameterized test in a new process where pointers would dangle. */

/* ---- routing ---- */

Test(api_server, unknown_route_is_404_with_burrows_body) {
    resp_t r;
    http("GET", "/v3/nothing/here", NULL, NULL, &r);
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(r.body, "{\"error\":true,\"message\":\"invalid request "
                             "type\",\"result\":{}}\n");
    cr_assert_str_eq(header(&r, "Content-Type"), "text/plain; charset=utf-8");
    resp_free(&r);
}

Test(api_server, wrong_method_is_405_json_with_allow_header) {
    resp_t r;
    http("PUT", "/burrow/admin", NULL, "x", &r);
    cr_assert_eq(r.status, 405);
    assert_error_body(&r, "method not allowed", "/burrow/admin");
    cr_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
    resp_free(&r);

    http("DELETE", "/v3/admin/loglevel", NULL, NULL, &r);
    cr_assert_eq(r.status, 405);
    cr_assert_str_eq(header(&r, "Allow"), "GET, HEAD, POST");
    resp_free(&r);
}

Test(api_server, params_are_decoded_per_segment_and_url_is_decoded) {
    resp_t r;
    cJSON *doc;
    http("GET", "/v3/kafka/a%2Fb/consumer/g%20x/status?since=12%2B3", NULL,
         NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    doc = parse(&r);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "cluster")->valuestring, "a/b");
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "group")->valuestring, "g x");
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "since")->valuestring, "12+3");
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "request"), "url")
            ->valuestring,
        "/v3/kafka/a/b/consumer/g x/status");
    cJSON_Delete(doc);
    resp_free(&r);
}

Test(api_server, envelope_orders_fields_and_renders_numbers_like_go) {
    resp_t r;
    http("GET", "/v3/kafka/local/consumer/g/status", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(
        r.body,
        "{\"error\":false,\"message\":\"echo\",\"cluster\":\"local\","
        "\"group\":\"g\",\"since\":\"(none)\",\"complete\":1,\"half\":0.5,"
        "\"big\":1234567890123456789,\"request\":{\"url\":"
        "\"/v3/kafka/local/consumer/g/status\",\"host\":\"test-host\"}}");
    resp_free(&r);
}

Test(api_server, empty_param_segment_does_not_match) {
    resp_t r;
    http("GET", "/v3/kafka//consumer/g/status", NULL, NULL, &r);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
}

struct bad_path {
    char path[96];
};

ParameterizedTestParameters(api_server, malformed_escape_is_400) {
    static struct bad_path params[] = {
        {"/v3/kafka/a%zz/consumer/g/status"},
        {"/v3/kafka/a%2/consumer/g/status"},
        {"/v3/kafka/a%00b/consumer/g/status"},
        {"/v3/kafka/x/consumer/g/status%"},
    };
    return cr_make_param_array(struct bad_path, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct bad_path *p, api_server, malformed_escape_is_400) {
    char req[512], out[4096];
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             p->path);
    cr_assert_eq(raw(req, out, sizeof(out)), 400, "%s -> %s", p->path, out);
    cr_assert(strstr(out, "\"message\":\"invalid request path\""), "%s", out);
}

Test(api_server, handler_without_response_is_500) {
    resp_t r;
    http("GET", "/t/noresp", NULL, NULL, &r);
    cr_assert_eq(r.status, 500);
    resp_free(&r);
}

Test(api_server, head_is_served_like_get_without_body) {
    resp_t r;
    http("HEAD", "/burrow/admin", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.len, 0);
    resp_free(&r);
}

/* ---- limits ---- */

Test(api_server, url_over_limit_is_414) {
    char path[3200];
    resp_t r;
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    http("GET", path, NULL, NULL, &r);
    cr_assert_eq(r.status, 414);
    cr_assert(strstr(r.body, "\"message\":\"request URL too long\""));
    resp_free(&r);
}

Test(api_server, url_at_limit_is_routed) {
    char path[2049];
    resp_t r;
    memset(path, 'a', sizeof(path) - 1);
    path[0] = '/';
    path[sizeof(path) - 1] = '\0';
    http("GET", path, NULL, NULL, &r);
    cr_assert_eq(r.status, 404); /* routed, unknown */
    resp_free(&r);
}

Test(api_server, headers_over_limit_are_431) {
    char hdr[9100];
    resp_t r;
    memcpy(hdr, "X-Big: ", 7);
    memset(hdr + 7, 'b', sizeof(hdr) - 8);
    hdr[sizeof(hdr) - 1] = '\0';
    http("GET", "/burrow/admin", hdr, NULL, &r);
    cr_assert_eq(r.status, 431);
    cr_assert(strstr(r.body, "\"message\":\"request headers too large\""));
    resp_free(&r);
}

Test(api_server, declared_body_over_limit_is_413) {
    char *body = malloc(70001);
    resp_t r;
    memset(body, ' ', 70000);
    body[70000] = '\0';
    http("POST", "/v3/admin/loglevel", "Authorization: Bearer " TOKEN, body,
         &r);
    cr_assert_eq(r.status, 413);
    cr_assert(strstr(r.body, "\"message\":\"request body too large\""));
    resp_free(&r);
    free(body);
}

Test(api_server, chunked_body_over_limit_is_413) {
    static char req[80000];
    char out[4096];
    size_t n;
    n = (size_t)snprintf(
        req, sizeof(req),
        "POST /v3/admin/loglevel HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer " TOKEN "\r\n"
        "Content-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n");
    for (int i = 0; i < 9; i++) {
        n += (size_t)snprintf(req + n, sizeof(req) - n, "2000\r\n");
        memset(req + n, ' ', 0x2000);
        n += 0x2000;
        n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
    }
    snprintf(req + n, sizeof(req) - n, "0\r\n\r\n");
    cr_assert_eq(raw(req, out, sizeof(out)), 413, "%s", out);
}

/* ---- authentication ---- */

Test(api_server, admin_post_without_token_is_401) {
    resp_t r;
    http("POST", "/v3/admin/loglevel", NULL, "{\"level\":\"debug\"}", &r);
    cr_assert_eq(r.status, 401);
    assert_error_body(&r, "authorization required", "/v3/admin/loglevel");
    cr_assert_str_eq(header(&r, "WWW-Authenticate"), "Bearer realm=\"warren\"");
    cr_assert_eq(mon_log_get_level(), MON_LOG_INFO);
    resp_free(&r);
}

Test(api_server, wrong_or_malformed_token_is_401) {
    const char *bad[] = {
        "Authorization: Bearer nope", "Authorization: Bearer " TOKEN "x",
        "Authorization: Bearer s3cret", "Authorization: Basic " TOKEN,
        "Authorization: " TOKEN};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        resp_t r;
        http("DELETE", "/v3/kafka/local/consumer/g", bad[i], NULL, &r);
        cr_assert_eq(r.status, 401, "%s", bad[i]);
        resp_free(&r);
    }
}

Test(api_server, right_token_is_accepted) {
    resp_t r;
    http("DELETE", "/v3/kafka/local/consumer/g", "Authorization: Bearer " TOKEN,
         NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "consumer group removed"));
    resp_free(&r);
    http("POST", "/v3/admin/loglevel", "authorization: bearer " TOKEN,
         "{\"level\":\"error\"}", &r);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
}

Test(api_server, reads_need_no_token) {
    resp_t r;
    http("GET", "/v3/admin/loglevel", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    resp_free(&r);
}

/* ---- static files ---- */

struct ctype_case {
    char path[64];
    char type[48];
};

ParameterizedTestParameters(api_server, static_content_types) {
    static struct ctype_case params[] = {
        {"/", "text/html; charset=utf-8"},
        {"/dashboard/", "text/html; charset=utf-8"},
        {"/dashboard/index.html", "text/html; charset=utf-8"},
        {"/dashboard/app.js", "text/javascript; charset=utf-8"},
        {"/dashboard/style.css", "text/css; charset=utf-8"},
        {"/dashboard/data.json", "application/json"},
        {"/dashboard/icon.svg", "image/svg+xml"},
        {"/dashboard/img.png", "image/png"},
        {"/dashboard/favicon.ico", "image/x-icon"},
        {"/dashboard/font.woff2", "font/woff2"},
        {"/dashboard/notes.xyz", "text/plain; charset=utf-8"},
        {"/dashboard/sub/", "text/html; charset=utf-8"},
    };
    return cr_make_param_array(struct ctype_case, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct ctype_case *p, api_server, static_content_types) {
    resp_t r;
    http("GET", p->path, NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s: %ld", p->path, r.status);
    cr_assert_str_eq(header(&r, "Content-Type"), p->type, "%s", p->path);
    cr_assert_not_null(header(&r, "Cache-Control"));
    resp_free(&r);
}

Test(api_server, static_file_body_is_the_file) {
    resp_t r;
    http("GET", "/dashboard/sub/index.html", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "<html>sub</html>");
    cr_assert_str_eq(header(&r, "Cache-Control"), "no-cache");
    resp_free(&r);
    http("GET", "/dashboard/app.js", NULL, NULL, &r);
    cr_assert_str_eq(header(&r, "Cache-Control"), "public, max-age=300");
    resp_free(&r);
}

Test(api_server, dashboard_without_slash_redirects) {
    resp_t r;
    http("GET", "/dashboard", NULL, NULL, &r);
    cr_assert_eq(r.status, 301);
    cr_assert_str_eq(header(&r, "Location"), "/dashboard/");
    resp_free(&r);
}

ParameterizedTestParameters(api_server, traversal_is_refused) {
    static struct bad_path params[] = {
        {"/dashboard/../secret.txt"},
        {"/dashboard/sub/../../secret.txt"},
        {"/dashboard/%2e%2e/secret.txt"},
        {"/dashboard/%2E%2E%2Fsecret.txt"},
        {"/dashboard/sub%2F..%2F..%2Fsecret.txt"},
        {"/dashboard/..%5Csecret.txt"},
        {"/dashboard/..\\secret.txt"},
        {"/dashboard//etc/passwd"},
        {"/dashboard/%2Fetc%2Fpasswd"},
        {"/dashboard/link"},
        {"/dashboard/linkdir/secret.txt"},
        {"/dashboard/.hidden"},
        {"/dashboard/./index.html"},
        {"/dashboard/fifo"},
        {"/dashboard/missing.html"},
        {"/dashboard/%00"},
        {"/dashboard/index.html%00.js"},
        {"/../secret.txt"},
        {"/%2e%2e/secret.txt"},
    };
    return cr_make_param_array(struct bad_path, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct bad_path *p, api_server, traversal_is_refused) {
    char req[512], out[8192];
    int st;
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             p->path);
    st = raw(req, out, sizeof(out));
    cr_assert(st == 404 || st == 400, "%s -> %d", p->path, st);
    cr_assert_null(strstr(out, SECRET), "%s leaked the secret", p->path);
    cr_assert_null(strstr(out, "root:"), "%s leaked /etc/passwd", p->path);
}

/* ---- admin routes ---- */

Test(api_server, burrow_admin_is_good) {
    resp_t r;
    http("GET", "/burrow/admin", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "GOOD");
    resp_free(&r);
}

Test(api_server, ready_is_starting_until_the_app_says_ready) {
    resp_t r;
    http("GET", "/burrow/admin/ready", NULL, NULL, &r);
    cr_assert_eq(r.status, 503);
    cr_assert_str_eq(r.body, "STARTING");
    resp_free(&r);
    api_server_set_ready(srv, 1);
    http("GET", "/burrow/admin/ready", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "READY");
    resp_free(&r);
}

Test(api_server, healthz_is_ok_json) {
    resp_t r;
    http("GET", "/healthz", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strncmp(r.body, "{\"status\":\"ok\"", 14) == 0, "%s", r.body);
    resp_free(&r);
}

Test(api_server, loglevel_get_has_burrows_shape) {
    resp_t r;
    http("GET", "/v3/admin/loglevel", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body,
                     "{\"error\":false,\"message\":\"log level returned\","
                     "\"level\":\"info\",\"request\":{\"url\":"
                     "\"/v3/admin/loglevel\",\"host\":\"test-host\"}}");
    resp_free(&r);
}

struct level_case {
    char body[64];
    char level[16]; /* level reported afterwards */
};

ParameterizedTestParameters(api_server, loglevel_post_sets_level) {
    static struct level_case params[] = {
        {"{\"level\":\"debug\"}", "debug"},
        {"{\"level\":\"TRACE\"}", "debug"},
        {"{\"level\":\"Warning\"}", "warn"},
        {"{\"level\":\"warn\"}", "warn"},
        {"{\"level\":\"error\"}", "error"},
        {"{\"level\":\"fatal\"}", "fatal"},
        {"{\"other\":1,\"level\":\"info\"} trailing", "info"},
    };
    return cr_make_param_array(struct level_case, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct level_case *p, api_server, loglevel_post_sets_level) {
    resp_t r;
    cJSON *doc;
    http("POST", "/v3/admin/loglevel", "Authorization: Bearer " TOKEN, p->body,
         &r);
    cr_assert_eq(r.status, 200, "%s -> %s", p->body, r.body);
    cr_assert_str_eq(r.body, "{\"error\":false,\"message\":\"set log level\","
                             "\"request\":{\"url\":\"/v3/admin/loglevel\","
                             "\"host\":\"test-host\"}}");
    resp_free(&r);
    http("GET", "/v3/admin/loglevel", NULL, NULL, &r);
    doc = parse(&r);
    cr_assert_str_eq(cJSON_GetObjectItem(doc, "level")->valuestring, p->level);
    cJSON_Delete(doc);
    resp_free(&r);
}

Test(api_server, loglevel_change_is_logged_even_when_raised) {
    resp_t r;
    char buf[2048];
    size_t n;
    FILE *out = tmpfile();
    cr_assert_not_null(out);
    mon_log_set_output(out);
    mon_log_set_format(MON_LOG_JSON);
    http("POST", "/v3/admin/loglevel", "Authorization: Bearer " TOKEN,
         "{\"level\":\"error\"}", &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    resp_free(&r);
    mon_log_set_output(NULL);
    rewind(out);
    n = fread(buf, 1, sizeof(buf) - 1, out);
    buf[n] = '\0';
    fclose(out);
    cr_assert(strstr(buf, "\"level\":\"info\",\"msg\":\"log level changed\","
                          "\"from\":\"info\",\"to\":\"error\""),
              "%s", buf);
}

struct bad_level {
    char body[64];
    int status;
    char message[48];
};

ParameterizedTestParameters(api_server, loglevel_post_rejects_bad_bodies) {
    static struct bad_level params[] = {
        {"", 400, "could not decode message body"},
        {"not json", 400, "could not decode message body"},
        {"[]", 400, "could not decode message body"},
        {"\"debug\"", 400, "could not decode message body"},
        {"{\"level\":5}", 400, "could not decode message body"},
        {"{\"level\":", 400, "could not decode message body"},
        {"{\"level\":\"loud\"}", 404, "unknown log level"},
        {"{}", 404, "unknown log level"},
        {"null", 404, "unknown log level"},
        {"{\"level\":null}", 404, "unknown log level"},
    };
    return cr_make_param_array(struct bad_level, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct bad_level *p, api_server,
                  loglevel_post_rejects_bad_bodies) {
    resp_t r;
    http("POST", "/v3/admin/loglevel", "Authorization: Bearer " TOKEN, p->body,
         &r);
    cr_assert_eq(r.status, p->status, "%s -> %ld", p->body, r.status);
    assert_error_body(&r, p->message, "/v3/admin/loglevel");
    cr_assert_eq(mon_log_get_level(), MON_LOG_INFO);
    resp_free(&r);
}

/* ---- SSE ---- */

typedef struct sse_reader_s {
    pthread_mutex_t lock;
    char buf[65536];
    size_t len;
    CURLcode rc;
    int done;
} sse_reader_t;

static size_t sse_on_data(char *p, size_t s, size_t n, void *u) {
    sse_reader_t *rd = u;
    size_t k = s * n;
    pthread_mutex_lock(&rd->lock);
    if (rd->len + k < sizeof(rd->buf)) {
        memcpy(rd->buf + rd->len, p, k);
        rd->len += k;
        rd->buf[rd->len] = '\0';
    }
    pthread_mutex_unlock(&rd->lock);
    return k;
}

static void *sse_main(void *arg) {
    sse_reader_t *rd = arg;
    char url[128];
    CURL *c = curl_easy_init();
    CURLcode rc;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3/events", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, rd);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    pthread_mutex_lock(&rd->lock);
    rd->rc = rc;
    rd->done = 1;
    pthread_mutex_unlock(&rd->lock);
    return NULL;
}

/* Waits up to ms for `needle` in the stream (or for the end when NULL). */
static int sse_wait(sse_reader_t *rd, const char *needle, int ms) {
    for (int waited = 0; waited < ms; waited += 10) {
        int ok;
        struct timespec ts = {0, 10 * 1000000L};
        pthread_mutex_lock(&rd->lock);
        ok = needle ? strstr(rd->buf, needle) != NULL : rd->done;
        pthread_mutex_unlock(&rd->lock);
        if (ok) return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

Test(api_server, sse_client_receives_published_event) {
    static sse_reader_t rd = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, sse_main, &rd), 0);
    cr_assert(sse_wait(&rd, ": connected", 5000), "no stream start");
    cr_assert_eq(api_sse_publish(api_server_events(srv), "status",
                                 "{\"group\":\"g\",\"status\":\"WARN\"}"),
                 1);
    cr_assert(sse_wait(&rd,
                       "event: status\ndata: {\"group\":\"g\","
                       "\"status\":\"WARN\"}\n\n",
                       5000),
              "event not received: %s", rd.buf);
    /* a stopping server ends the stream cleanly */
    api_server_stop(srv, 2000);
    cr_assert(sse_wait(&rd, NULL, 5000), "stream did not end");
    pthread_join(th, NULL);
    cr_assert_eq(rd.rc, CURLE_OK, "%s", curl_easy_strerror(rd.rc));
}

Test(api_server, sse_sends_heartbeats) {
    static sse_reader_t rd = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, sse_main, &rd), 0);
    cr_assert(sse_wait(&rd, ": heartbeat\n\n", 5000), "no heartbeat");
    api_server_stop(srv, 2000);
    pthread_join(th, NULL);
}

Test(api_server, sse_multiline_data_is_split_into_data_lines) {
    static sse_reader_t rd = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, sse_main, &rd), 0);
    cr_assert(sse_wait(&rd, ": connected", 5000));
    cr_assert_eq(api_sse_publish(api_server_events(srv), "x", "a\nb"), 1);
    cr_assert_eq(api_sse_publish(api_server_events(srv), "bad\nname", "{}"),
                 -1);
    cr_assert(sse_wait(&rd, "event: x\ndata: a\ndata: b\n\n", 5000), "%s",
              rd.buf);
    api_server_stop(srv, 2000);
    pthread_join(th, NULL);
}

Test(api_server, sse_slow_client_gets_dropped_notice) {
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    static char out[1 << 20];
    char big[2048];
    const char *req = "GET /v3/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    size_t n = 0;
    struct timeval tv = {0, 300000};
    int found = 0;

    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    /* wait for the stream to be registered */
    for (int i = 0; i < 500 && api_sse_hub_clients(api_server_events(srv)) == 0;
         i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* publish far more than the socket buffers and the queue of 8 hold,
     * without reading */
    for (int i = 0; i < 4000; i++)
        api_sse_publish(api_server_events(srv), "tick", big);
    cr_assert_gt(api_sse_dropped_total(api_server_events(srv)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* Read everything the socket buffers held (their size depends on the
     * kernel's autotuning and on timing), keeping a short tail so the
     * notice is found even when it straddles two reads. */
    const char *notice = "event: dropped\ndata: {\"dropped\":";
    size_t keep = 0, total = 0;
    for (;;) {
        ssize_t k = recv(fd, out + keep, sizeof(out) - 1 - keep, 0);
        if (k <= 0) break;
        total += (size_t)k;
        n = keep + (size_t)k;
        out[n] = '\0';
        if (strstr(out, notice)) {
            found = 1;
            break;
        }
        keep = n < 64 ? n : 64;
        memmove(out, out + n - keep, keep);
    }
    n = total;
    close(fd);
    cr_assert(found, "no dropped notice in %zu bytes", n);
}

/* ---- lifecycle ---- */

typedef struct slow_call_s {
    resp_t r;
} slow_call_t;

static void *slow_main(void *arg) {
    slow_call_t *sc = arg;
    http("GET", "/t/slow", NULL, NULL, &sc->r);
    return NULL;
}

Test(api_server, stop_finishes_requests_in_flight) {
    static slow_call_t sc;
    pthread_t th;
    pthread_mutex_lock(&slow_lock);
    int before = slow_entered;
    cr_assert_eq(pthread_create(&th, NULL, slow_main, &sc), 0);
    while (slow_entered == before) /* until the request is in the handler */
        pthread_cond_wait(&slow_cond, &slow_lock);
    pthread_mutex_unlock(&slow_lock);
    api_server_stop(srv, 5000);
    pthread_join(th, NULL);
    cr_assert_eq(sc.r.status, 200);
    cr_assert_str_eq(sc.r.body, "slow done");
    resp_free(&sc.r);
}

Test(api_server, stopped_server_refuses_connections) {
    struct sockaddr_in sa;
    int fd;
    api_server_stop(srv, 1000);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_neq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
}

Test(api_server, busy_port_fails_with_reason) {
    api_config_t cfg;
    char listen_on[64], err[256] = "";
    api_server_t *other;
    api_config_default(&cfg);
    snprintf(listen_on, sizeof(listen_on), "127.0.0.1:%d", port);
    cfg.listen = listen_on;
    other = api_server_new(&cfg, err, sizeof(err));
    cr_assert_not_null(other, "%s", err);
    cr_assert_eq(api_server_start(other, err, sizeof(err)), -1);
    cr_assert(strstr(err, listen_on), "%s", err);
    cr_assert(strstr(err, "in use"), "%s", err);
    api_server_destroy(other);
}

/* listen binds and tells the port before anything is served; routes can
 * still be added until start, and the pool then serves that same port. */
Test(api_server, listen_tells_the_port_before_routes_and_start) {
    api_config_t cfg;
    char err[256] = "";
    resp_t r;
    api_server_destroy(srv);
    api_config_default(&cfg);
    cfg.listen = "127.0.0.1:0";
    srv = api_server_new(&cfg, err, sizeof(err));
    cr_assert_not_null(srv, "%s", err);
    cr_assert_eq(api_server_port(srv), 0, "no port before listen");
    cr_assert_eq(api_server_listen(srv, err, sizeof(err)), 0, "%s", err);
    port = api_server_port(srv);
    cr_assert_gt(port, 0);
    cr_assert_eq(api_server_listen(srv, err, sizeof(err)), -1,
                 "listening twice is refused");
    cr_assert_eq(
        api_server_route(srv, "GET", "/t/slow", h_slow, NULL, err, sizeof(err)),
        0, "routes are still accepted after listen: %s", err);
    cr_assert_eq(api_server_start(srv, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(api_server_port(srv), port, "start serves the bound port");
    cr_assert_eq(
        api_server_route(srv, "GET", "/t/late", h_slow, NULL, err, sizeof(err)),
        -1, "routes are frozen at start");
    http("GET", "/t/slow", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "slow done");
    resp_free(&r);
}

Test(api_server, bad_listen_address_is_refused) {
    const char *bad[] = {"nohostport", "127.0.0.1:99999", "127.0.0.1:x", "[::1",
                         "256.1.1.1:80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        api_config_t cfg;
        char err[256] = "";
        api_server_t *other;
        api_config_default(&cfg);
        cfg.listen = bad[i];
        other = api_server_new(&cfg, err, sizeof(err));
        cr_assert_not_null(other);
        cr_assert_eq(api_server_start(other, err, sizeof(err)), -1, "%s",
                     bad[i]);
        cr_assert(strstr(err, bad[i]), "%s: %s", bad[i], err);
        api_server_destroy(other);
    }
}

Test(api_server, cors_header_when_configured) {
    resp_t r;
    api_server_destroy(srv);
    start_server("https://dash.example");
    http("GET", "/v3/admin/loglevel", NULL, NULL, &r);
    cr_assert_str_eq(header(&r, "Access-Control-Allow-Origin"),
                     "https://dash.example");
    resp_free(&r);
    http("GET", "/burrow/admin", NULL, NULL, &r);
    cr_assert_str_eq(header(&r, "Access-Control-Allow-Origin"),
                     "https://dash.example");
    resp_free(&r);
}

Test(api_server, missing_dashboard_folder_is_an_error) {
    api_config_t cfg;
    char err[256] = "";
    api_config_default(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.dashboard_dir = "/nonexistent/warren/dash";
    cr_assert_null(api_server_new(&cfg, err, sizeof(err)));
    cr_assert(strstr(err, "/nonexistent/warren/dash"), "%s", err);
}
