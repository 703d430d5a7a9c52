/* SPDX-License-Identifier: Apache-2.0 */
/* bench_api: throughput and latency of the HTTP API, and /metrics render
 * time.
 *
 * An in-process api_server (2 pool threads, as the daemon's default) over
 * a store holding one 100-partition group with full windows; wrk (2
 * threads, 64 connections, 5 s) hammers GET .../consumer/{group}/status,
 * once with Burrow's default expire-cache of 10 s (the cached path) and
 * once with caching off (every request evaluates 100 partitions and
 * renders JSON). wrk runs on the same 2-core machine, so the figures are
 * conservative. /metrics is rendered in-process for 1 k groups x 100
 * partitions (100 k partitions: about 300 k series with the defaults)
 * with the default [metrics] settings, with Burrow's and KMinion's
 * families on, with partitions = non-ok and none, and with allow/deny
 * lists; each figure is the median of 5 renders (the first one also
 * pays for fresh memory, later ones reuse the buffers as the daemon
 * does), and the first render is shown apart. Prints a
 * table: figure, measured value, target. An optional argument "status" or
 * "metrics" runs only that part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/routes/api_metrics.h"
#include "http/routes/api_routes_kafka.h"
#include "http/server/api_server.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/store/mon_store.h"

#define NOW 1700000100000LL
#define PARTS 100
#define GROUPS 1000
#define RUNS 5

static int64_t fixed_clock(void *arg, const char *cluster, int64_t wall_ms) {
    (void)arg;
    (void)cluster;
    (void)wall_ms;
    return NOW;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fills topic t100 (PARTS partitions) and `groups` groups g0.. with full
 * 10-entry windows on every partition. */
static void fill(mon_store_t *st, int groups) {
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    char g[32];
    for (int p = 0; p < PARTS; p++)
        mon_store_head(cl, "t100", p, PARTS, 100000 + p, NOW - 200000);
    for (int i = 0; i < 10; i++) {
        for (int p = 0; p < PARTS; p++)
            mon_store_head(cl, "t100", p, PARTS, 100000 + p + i * 50,
                           NOW - 100000 + i * 10000);
    }
    for (int k = 0; k < groups; k++) {
        snprintf(g, sizeof(g), "g%d", k);
        for (int i = 0; i < 10; i++)
            for (int p = 0; p < PARTS; p++)
                mon_store_commit(cl, g, "t100", p, 90000 + i * 1000 + k,
                                 NOW - 100000 + i * 10000, "host-1",
                                 "client-1");
    }
}

typedef struct wrk_result_s {
    double rps;
    double p99_ms;
    int ok;
} wrk_result_t;

static double to_ms(double v, const char *unit) {
    if (strcmp(unit, "us") == 0) return v / 1000.0;
    if (strcmp(unit, "s") == 0) return v * 1000.0;
    return v;
}

static wrk_result_t run_wrk(int port, const char *path) {
    wrk_result_t r = {0, 0, 0};
    char cmd[512], line[512];
    FILE *p;
    snprintf(cmd, sizeof(cmd),
             "wrk -t2 -c64 -d5s --latency http://127.0.0.1:%d%s 2>&1", port,
             path);
    p = popen(cmd, "r");
    if (!p) return r;
    while (fgets(line, sizeof(line), p)) {
        double v;
        char unit[8];
        if (sscanf(line, "Requests/sec: %lf", &v) == 1) {
            r.rps = v;
            r.ok = 1;
        } else if (sscanf(line, " 99%% %lf%7s", &v, unit) == 2) {
            r.p99_ms = to_ms(v, unit);
        } else if (strstr(line, "Non-2xx")) {
            fprintf(stderr, "bench_api: %s", line);
            r.ok = 0;
        }
    }
    pclose(p);
    return r;
}

static void bench_status(int have_wrk) {
    mon_store_config_t sc;
    char err[256];
    const int64_t caches[2] = {10000, 0};
    const char *names[2] = {"cached (expire-cache 10 s)",
                            "uncached (evaluate each)"};

    for (int c = 0; c < 2; c++) {
        api_config_t cfg;
        mon_query_src_t qs;
        mon_query_t *q;
        api_server_t *srv;
        api_routes_kafka_t *rk;
        mon_store_t *st;
        wrk_result_t w;

        mon_store_config_default(&sc);
        st = mon_store_new(&sc, err, sizeof(err));
        fill(st, 1);
        memset(&qs, 0, sizeof(qs));
        qs.store = st;
        ev_params_default(&qs.params);
        qs.clock = fixed_clock;
        q = mon_query_new(&qs);
        rk = api_routes_kafka_new(q, caches[c]);
        api_config_default(&cfg);
        cfg.listen = "127.0.0.1:0";
        srv = api_server_new(&cfg, err, sizeof(err));
        if (!srv || api_routes_kafka_register(rk, srv, err, sizeof(err)) ||
            api_server_start(srv, err, sizeof(err))) {
            fprintf(stderr, "bench_api: %s\n", err);
            exit(1);
        }
        if (have_wrk) {
            w = run_wrk(api_server_port(srv),
                        "/v3/kafka/local/consumer/g0/status");
            if (w.ok) {
                printf("%-44s %10.0f req/s  (>= 30000)\n", names[c], w.rps);
                printf("%-44s %10.2f ms     (<= 5)\n", "  p99 latency",
                       w.p99_ms);
            } else {
                printf("%-44s %10s\n", names[c], "wrk failed");
            }
        }
        api_server_destroy(srv);
        api_routes_kafka_destroy(rk);
        mon_query_destroy(q);
        mon_store_destroy(st);
    }
}

/* Median render time of RUNS renders with the [metrics] settings of
 * `ini` (NULL: the defaults); *first gets the first one's, *len the size
 * and *series the sample lines. */
static double render_median(mon_store_t *st, const char *ini, double *first,
                            size_t *len, size_t *series) {
    char err[256];
    mon_config_t *cfg = NULL;
    mon_query_src_t qs;
    double t[RUNS];
    if (ini &&
        !(cfg = mon_config_load_string(ini, "<bench>", err, sizeof(err)))) {
        fprintf(stderr, "bench_api: %s\n", err);
        exit(1);
    }
    memset(&qs, 0, sizeof(qs));
    qs.store = st;
    qs.config = cfg;
    ev_params_default(&qs.params);
    qs.clock = fixed_clock;
    mon_query_t *q = mon_query_new(&qs);
    api_metrics_t *m = api_metrics_new(q);
    for (int i = 0; i < RUNS; i++) {
        double t0 = now_s();
        api_metrics_text_t *text = api_metrics_render(m, NULL, NOW);
        t[i] = (now_s() - t0) * 1000.0;
        *len = api_metrics_text_len(text);
        api_metrics_text_release(m, text);
    }
    if (series) { /* count the sample lines of one more render */
        api_metrics_text_t *text = api_metrics_render(m, NULL, NOW);
        char *buf = malloc(*len + 1);
        size_t n = 0;
        api_metrics_text_read(text, 0, buf, *len);
        buf[*len] = '\0';
        for (char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
            if (*p != '#' && *p != '\n') n++;
        *series = n;
        free(buf);
        api_metrics_text_release(m, text);
    }
    *first = t[0];
    qsort(t, RUNS, sizeof(double), cmp_d);
    api_metrics_destroy(m);
    mon_query_destroy(q);
    mon_config_destroy(cfg);
    return t[RUNS / 2];
}

static void bench_metrics(void) {
    static const struct {
        const char *what;
        const char *ini;
    } cases[] = {
        {"defaults (kafka-lag-exporter + warren)", NULL},
        {"+ burrow + kminion", "[metrics]\nburrow = true\nkminion = true\n"},
        {"partitions = non-ok (every group OK)",
         "[metrics]\npartitions = non-ok\n"},
        {"partitions = none", "[metrics]\npartitions = none\n"},
        {"topic-denylist + group-denylist set",
         "[metrics]\ntopic-denylist = ^nosuch\ngroup-denylist = ^nosuch\n"},
    };
    mon_store_config_t sc;
    char err[256];
    mon_store_t *st;

    mon_store_config_default(&sc);
    st = mon_store_new(&sc, err, sizeof(err));
    fill(st, GROUPS);
    printf("/metrics render, 1 k groups x 100 partitions (median of %d):\n",
           RUNS);
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        double first;
        size_t len = 0, series = 0;
        double med = render_median(st, cases[c].ini, &first, &len, &series);
        char name[64];
        snprintf(name, sizeof(name), "  %s", cases[c].what);
        printf("%-44s %10.1f ms     (<= 200)  %zu series, %.1f MB, first "
               "%.1f ms\n",
               name, med, series, (double)len / 1e6, first);
    }
    mon_store_destroy(st);
}

int main(int argc, char **argv) {
    /* optional argument: "status" or "metrics" runs only that part */
    const char *only = argc > 1 ? argv[1] : "";
    int have_wrk = system("command -v wrk >/dev/null 2>&1") == 0;
    mon_log_set_level(MON_LOG_ERROR);
    if (strcmp(only, "metrics") == 0) {
        bench_metrics();
        return 0;
    }
    printf("%-44s %10s         %s\n", "figure", "measured", "target");
    if (!have_wrk)
        printf("%-44s %10s\n", "GET .../status (wrk)", "skipped: no wrk");
    else
        printf("GET /v3/kafka/local/consumer/g0/status, 100 partitions, "
               "wrk -t2 -c64 -d5s:\n");
    bench_status(have_wrk);
    if (strcmp(only, "status") != 0) bench_metrics();
    return 0;
}
