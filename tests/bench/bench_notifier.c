/* SPDX-License-Identifier: Apache-2.0 */
/* bench_notifier: webhook throughput and latency with 1k groups changing
 * status at once.
 *
 * A libmicrohttpd receiver on loopback answers 200 and records when each
 * group's request arrives. A notifier with the sample generic templates,
 * signing on, and its journal in a temporary directory on the same disk
 * as /tmp (so fsyncs are real) observes 1000 groups turning WARN in one
 * pass (1000 opens), then all of them recovering (1000 closes). Figures:
 * deliveries per second from the first observe() to the last arrival, the
 * time from a group's observe() to its request reaching the receiver
 * (p50, p99), and the cost of one observe() call. Median of several runs.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "evaluator/ev_group.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_notifier.h"

#define GROUPS 1000
#define RUNS 5

static double mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- receiver ---- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static double arrived[GROUPS];
static int n_arrived;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls) {
    static int marker;
    static const char ok[] = "ok";
    (void)cls;
    (void)method;
    (void)version;
    (void)upload;
    if (!*con_cls) {
        *con_cls = &marker;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    const char *g = strstr(url, "/g");
    int idx = g ? atoi(g + 2) : -1;
    pthread_mutex_lock(&lock);
    if (idx >= 0 && idx < GROUPS && arrived[idx] == 0) {
        arrived[idx] = mono_ms();
        n_arrived++;
    }
    pthread_mutex_unlock(&lock);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double pct(double *v, int n, double p) {
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

/* ---- evaluations ---- */

static char names[GROUPS][16];
static mon_part_eval_t parts[GROUPS];
static mon_group_eval_t evs[GROUPS];

static void set_status(int i, ev_status_t st) {
    mon_part_eval_t *p = &parts[i];
    memset(p, 0, sizeof(*p));
    p->topic = "orders";
    p->partition = i % 12;
    p->owner = "consumer-1/10.0.0.7";
    p->client_id = "consumer-1";
    p->result.status = st;
    p->result.rule =
        st == EV_WARN ? EV_RULE_LAG_NOT_DECREASING : EV_RULE_LAG_DECREASING;
    p->result.current_lag = st == EV_WARN ? 1000 + i : 0;
    p->result.left = 100;
    p->result.right = p->result.current_lag;
    p->result.index = -1;
    p->result.complete = 1;
    p->result.count = 10;
    mon_group_eval_t *ev = &evs[i];
    memset(ev, 0, sizeof(*ev));
    ev->cluster = "local";
    ev->group = names[i];
    ev->parts = p;
    ev->count = 1;
    ev_group_init(&ev->rollup);
    ev_group_add(&ev->rollup, &p->result, 0);
    ev->status = ev->rollup.status;
}

typedef struct figures_s {
    double rate, p50, p99, observe_us;
} figures_t;

/* Median over the runs of the double at offset `off` of a figures_t. */
static double med(const figures_t *f, size_t off) {
    double v[RUNS];
    for (int i = 0; i < RUNS; i++)
        memcpy(&v[i], (const char *)&f[i] + off, sizeof(double));
    return median(v, RUNS);
}

/* One pass: every group to `st`; waits for all deliveries. */
static int pass(mon_notifier_t *nt, ev_status_t st, int64_t now, figures_t *f) {
    static double observed[GROUPS];
    double lat[GROUPS];
    pthread_mutex_lock(&lock);
    memset(arrived, 0, sizeof(arrived));
    n_arrived = 0;
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < GROUPS; i++)
        set_status(i, st);
    double t0 = mono_ms();
    for (int i = 0; i < GROUPS; i++) {
        observed[i] = mono_ms();
        if (mon_notifier_observe(nt, &evs[i], now) != 1) {
            fprintf(stderr, "bench_notifier: group %d queued nothing\n", i);
            return -1;
        }
    }
    double t1 = mono_ms();
    if (mon_notifier_wait_idle(nt, 60000) != 0) {
        fprintf(stderr, "bench_notifier: deliveries did not finish\n");
        return -1;
    }
    double last = 0;
    pthread_mutex_lock(&lock);
    int got = n_arrived;
    for (int i = 0; i < GROUPS; i++) {
        lat[i] = arrived[i] - observed[i];
        if (arrived[i] > last) last = arrived[i];
    }
    pthread_mutex_unlock(&lock);
    if (got != GROUPS) {
        fprintf(stderr, "bench_notifier: %d of %d arrived\n", got, GROUPS);
        return -1;
    }
    f->rate = GROUPS / ((last - t0) / 1e3);
    f->p50 = pct(lat, GROUPS, 0.50);
    f->p99 = pct(lat, GROUPS, 0.99);
    f->observe_us = (t1 - t0) * 1e3 / GROUPS;
    return 0;
}

int main(void) {
    char ini[1024], err[1024], dir[64], cmd[128];
    struct sockaddr_in sa;
    figures_t fo[RUNS], fc[RUNS];

    mon_log_set_level(MON_LOG_ERROR);
    for (int i = 0; i < GROUPS; i++)
        snprintf(names[i], sizeof(names[i]), "g%04d", i);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, handler,
        NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_THREAD_POOL_SIZE, 2u,
        MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bench_notifier: receiver did not start\n");
        return 1;
    }
    int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    const char *topen = "samples/templates/generic-open.json";
    const char *tclose = "samples/templates/generic-close.json";
    bool tpl = access(topen, R_OK) == 0 && access(tclose, R_OK) == 0;
    snprintf(ini, sizeof(ini),
             "[notifier bench]\n"
             "url-open = http://127.0.0.1:%d/open/{{group}}\n"
             "url-close = http://127.0.0.1:%d/close/{{group}}/{{id}}\n"
             "send-close = true\ninterval = 1s\nrepeat-every = 1h\n"
             "close-after = 1\nsecret = bench-secret\n%s%s%s%s%s",
             port, port, tpl ? "template-open = " : "", tpl ? topen : "",
             tpl ? "\ntemplate-close = " : "", tpl ? tclose : "",
             tpl ? "\n" : "");
    mon_config_t *cfg =
        mon_config_load_string(ini, "<bench>", err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "bench_notifier: %s\n", err);
        return 1;
    }
    const mon_config_notifier_t *c = mon_config_notifier_at(cfg, 0);

    for (int r = 0; r < RUNS; r++) {
        snprintf(dir, sizeof(dir), "/tmp/warren-bench-ntf-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
        mon_notifier_t *nt = mon_notifier_new(&c, 1, dir, "http://dash/", NULL,
                                              err, sizeof(err));
        if (!nt) {
            fprintf(stderr, "bench_notifier: %s\n", err);
            return 1;
        }
        int64_t now = wall_ms();
        if (pass(nt, EV_WARN, now, &fo[r]) != 0 ||
            pass(nt, EV_OK, now + 1000, &fc[r]) != 0)
            return 1;
        mon_notifier_destroy(nt);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_notifier: cannot remove %s\n", dir);
    }
    MHD_stop_daemon(d);
    mon_config_destroy(cfg);

    printf("%-52s %14s %12s\n", "figure", "measured", "target");
    printf("%-52s %14.0f %12s\n", "opens delivered/s (1k groups WARN at once)",
           med(fo, offsetof(figures_t, rate)), ">= 1000");
    printf("%-52s %14.1f %12s\n", "open: observe() -> receiver, p50 (ms)",
           med(fo, offsetof(figures_t, p50)), "");
    printf("%-52s %14.1f %12s\n", "open: observe() -> receiver, p99 (ms)",
           med(fo, offsetof(figures_t, p99)), "<= 1000");
    printf("%-52s %14.0f %12s\n", "closes delivered/s (1k groups OK at once)",
           med(fc, offsetof(figures_t, rate)), ">= 1000");
    printf("%-52s %14.1f %12s\n", "close: observe() -> receiver, p99 (ms)",
           med(fc, offsetof(figures_t, p99)), "<= 1000");
    printf("%-52s %14.1f %12s\n", "observe() per call, render+queue (us)",
           med(fo, offsetof(figures_t, observe_us)), "");
    printf("(%d groups, signed, %s templates, journal on disk, "
           "median of %d runs)\n",
           GROUPS, tpl ? "sample" : "built-in", RUNS);
    return 0;
}
