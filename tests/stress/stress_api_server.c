/* SPDX-License-Identifier: Apache-2.0 */
/* Stress program for the HTTP layer, built with ThreadSanitizer under
 * SANITIZE=thread (Criterion cannot run there). Starts an api_server with
 * the /v3/kafka routes and /metrics over a store on an ephemeral port and
 * runs, concurrently: client threads issuing mixed requests (admin routes,
 * loglevel writes with the token, unknown routes, static files, group
 * status/lag/detail/window, /metrics, DELETEs, short-lived SSE streams),
 * a thread committing to the store, long-lived SSE readers, a publisher,
 * and a thread flipping the ready flag; then stops the server gracefully
 * while streams are open. Exits 0 when every response had the
 * expected status and every long-lived reader saw events and a clean end;
 * prints one line per failure otherwise.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http/routes/api_admin.h"
#include "http/routes/api_metrics.h"
#include "http/routes/api_routes_kafka.h"
#include "http/server/api_json.h"
#include "http/server/api_server.h"
#include "monitor/base/mon_log.h"
#include "monitor/store/mon_store.h"

#define TOKEN "stress-token"
#define CLIENTS 6
#define ROUNDS 60
#define READERS 3

static api_server_t *srv;
static mon_store_t *store;
static int port;
static atomic_int failures;
static atomic_int stop_publishing;

static void fail(const char *what, long got, long want) {
    fprintf(stderr, "FAIL %s: got %ld want %ld\n", what, got, want);
    atomic_fetch_add(&failures, 1);
}

static size_t sink(char *p, size_t s, size_t n, void *u) {
    (void)p;
    (void)u;
    return s * n;
}

static long request(const char *method, const char *path, const char *auth,
                    const char *body) {
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[256];
    long status = -1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (auth) h = curl_slist_append(h, auth);
    h = curl_slist_append(h, "Expect:");
    if (body) h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

typedef struct stream_s {
    atomic_size_t bytes;
    atomic_int events;
    long max_ms;
    CURLcode rc;
} stream_t;

static size_t on_stream(char *p, size_t s, size_t n, void *u) {
    stream_t *st = u;
    size_t k = s * n;
    for (size_t i = 0; i + 7 <= k; i++)
        if (memcmp(p + i, "event: ", 7) == 0) atomic_fetch_add(&st->events, 1);
    atomic_fetch_add(&st->bytes, k);
    return k;
}

static void stream(stream_t *st) {
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3/events", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, st);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (st->max_ms)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, st->max_ms);
    else
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    st->rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
}

static void *client_main(void *arg) {
    long id = (long)(intptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        long st;
        switch ((i + id) % 11) {
        case 7:
            st = request("GET", "/v3/kafka/local/consumer/g1/status", NULL,
                         NULL);
            if (st != 200 && st != 404) fail("GET status", st, 200);
            break;
        case 8:
            if ((st = request("GET",
                              i % 2 ? "/v3/kafka/local/consumer/g0/lag"
                                    : "/v3/kafka/local/consumer/g0",
                              NULL, NULL)) != 200)
                fail("GET lag/detail", st, 200);
            break;
        case 9:
            if ((st = request("GET", "/metrics", NULL, NULL)) != 200)
                fail("GET /metrics", st, 200);
            break;
        case 10:
            st = request("DELETE", "/v3/kafka/local/consumer/g1",
                         "Authorization: Bearer " TOKEN, NULL);
            if (st != 200) fail("DELETE group", st, 200);
            break;
        case 0:
            if ((st = request("GET", "/burrow/admin", NULL, NULL)) != 200)
                fail("GET /burrow/admin", st, 200);
            break;
        case 1:
            st = request(
                "POST", "/v3/admin/loglevel", "Authorization: Bearer " TOKEN,
                i % 2 ? "{\"level\":\"info\"}" : "{\"level\":\"warn\"}");
            if (st != 200) fail("POST loglevel", st, 200);
            break;
        case 2:
            if ((st = request("POST", "/v3/admin/loglevel", NULL,
                              "{\"level\":\"debug\"}")) != 401)
                fail("POST loglevel without token", st, 401);
            break;
        case 3:
            if ((st = request("GET", "/v3/nope", NULL, NULL)) != 404)
                fail("GET unknown", st, 404);
            break;
        case 4:
            if ((st = request("GET", "/dashboard/app.js", NULL, NULL)) != 200)
                fail("GET static", st, 200);
            break;
        case 5:
            st = request("GET", "/burrow/admin/ready", NULL, NULL);
            if (st != 200 && st != 503) fail("GET ready", st, 200);
            break;
        default: {
            stream_t s;
            memset(&s, 0, sizeof(s));
            s.max_ms = 150;
            stream(&s);
            if (s.rc != CURLE_OPERATION_TIMEDOUT && s.rc != CURLE_OK)
                fail("short SSE stream curl code", s.rc, 0);
            break;
        }
        }
    }
    return NULL;
}

static void *reader_main(void *arg) {
    stream(arg);
    return NULL;
}

static void *publisher_main(void *arg) {
    (void)arg;
    while (!atomic_load(&stop_publishing)) {
        struct timespec ts = {0, 2 * 1000000L};
        api_sse_publish(api_server_events(srv), "lag",
                        "{\"group\":\"g\",\"totallag\":42}");
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Keeps committing to g0 and g1 (g1 is deleted now and then by clients
 * and comes back with the next commit). */
static void *writer_main(void *arg) {
    mon_store_cluster_t *cl = mon_store_cluster(store, "local");
    int64_t t = 1700000000000LL;
    (void)arg;
    for (int64_t off = 1000; !atomic_load(&stop_publishing); off += 10) {
        t += 1000;
        for (int p = 0; p < 8; p++) {
            mon_store_head(cl, "t", p, 8, off + 100, t);
            mon_store_commit(cl, "g0", "t", p, off, t, "h", "c");
            mon_store_commit(cl, "g1", "t", p, off - 50, t, "h", "c");
        }
    }
    return NULL;
}

static int64_t store_clock(void *arg, const char *cluster, int64_t wall) {
    (void)arg;
    (void)cluster;
    (void)wall;
    return 1700000000000LL + 3600000LL;
}

static void *ready_main(void *arg) {
    (void)arg;
    for (int i = 0; !atomic_load(&stop_publishing); i++) {
        struct timespec ts = {0, 1000000L};
        api_server_set_ready(srv, i & 1);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(void) {
    char tmp[] = "/tmp/warren-stress-XXXXXX";
    char dash[64], file[96], err[256] = "", cmd[128];
    api_config_t cfg;
    pthread_t clients[CLIENTS], readers[READERS], pub, rdy, wr;
    stream_t rs[READERS];
    mon_store_config_t sc;
    mon_query_t *query;
    api_routes_kafka_t *rk;
    api_metrics_t *met;
    FILE *f;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    mon_log_set_level(MON_LOG_ERROR);
    if (!mkdtemp(tmp)) return 2;
    snprintf(dash, sizeof(dash), "%s/dash", tmp);
    mkdir(dash, 0755);
    snprintf(file, sizeof(file), "%s/app.js", dash);
    f = fopen(file, "w");
    if (!f) return 2;
    fputs("console.log('stress');\n", f);
    fclose(f);

    api_config_default(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.admin_token = TOKEN;
    cfg.max_per_client = 1024; /* every client thread is on 127.0.0.1 */
    cfg.dashboard_dir = dash;
    cfg.sse_queue = 16;
    cfg.sse_heartbeat_ms = 50;
    cfg.threads = 4;
    mon_store_config_default(&sc);
    store = mon_store_new(&sc, err, sizeof(err));
    if (!store) return 2;
    {
        mon_store_cluster_t *cl = mon_store_cluster(store, "local");
        for (int p = 0; p < 8; p++) {
            mon_store_head(cl, "t", p, 8, 100, 1700000000000LL);
            mon_store_commit(cl, "g0", "t", p, 50, 1700000000000LL, "h", "c");
        }
    }
    {
        mon_query_src_t qs = {.store = store, .clock = store_clock};
        ev_params_default(&qs.params);
        query = mon_query_new(&qs);
    }
    rk = api_routes_kafka_new(query, 5);
    met = api_metrics_new(query);
    srv = api_server_new(&cfg, err, sizeof(err));
    if (!srv || api_admin_register(srv, NULL, err, sizeof(err)) != 0 ||
        api_routes_kafka_register(rk, srv, err, sizeof(err)) != 0 ||
        api_metrics_register(met, srv, err, sizeof(err)) != 0 ||
        api_server_start(srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "FAIL start: %s\n", err);
        return 1;
    }
    port = api_server_port(srv);

    memset(rs, 0, sizeof(rs));
    for (int i = 0; i < READERS; i++)
        pthread_create(&readers[i], NULL, reader_main, &rs[i]);
    pthread_create(&pub, NULL, publisher_main, NULL);
    pthread_create(&rdy, NULL, ready_main, NULL);
    pthread_create(&wr, NULL, writer_main, NULL);
    for (long i = 0; i < CLIENTS; i++)
        pthread_create(&clients[i], NULL, client_main, (void *)(intptr_t)i);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(clients[i], NULL);
    atomic_store(&stop_publishing, 1);
    pthread_join(pub, NULL);
    pthread_join(rdy, NULL);
    pthread_join(wr, NULL);

    /* graceful stop with the long-lived streams still open */
    api_server_stop(srv, 5000);
    for (int i = 0; i < READERS; i++) {
        pthread_join(readers[i], NULL);
        if (rs[i].rc != CURLE_OK)
            fail("long SSE stream end (curl code)", rs[i].rc, CURLE_OK);
        if (atomic_load(&rs[i].events) == 0)
            fail("long SSE stream events", 0, 1);
    }
    api_server_destroy(srv);
    api_routes_kafka_destroy(rk);
    api_metrics_destroy(met);
    mon_query_destroy(query);
    mon_store_destroy(store);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    curl_global_cleanup();
    if (atomic_load(&failures)) {
        fprintf(stderr, "stress_api_server: %d failures\n",
                atomic_load(&failures));
        return 1;
    }
    printf("stress_api_server: %d clients x %d requests, %d streams: ok\n",
           CLIENTS, ROUNDS, READERS);
    return 0;
}
