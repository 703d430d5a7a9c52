/* SPDX-License-Identifier: Apache-2.0 */
/* stress_notifier: the notifier under concurrent use, for ThreadSanitizer
 * (Criterion programs cannot run under it).
 *
 * Two threads feed flapping groups to mon_notifier_observe, a third reads
 * every JSON view in a loop, while the sender thread delivers to a
 * loopback libmicrohttpd receiver that answers every third request 500
 * (so retries, backoff and state records run too) and the journal is
 * compacted under load. Exits 0 when every queued notification was
 * delivered exactly as queued and nothing failed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
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

#define GROUPS_PER_THREAD 40
#define ROUNDS 12

static atomic_int n_requests;
static atomic_bool stop_reader;
static mon_notifier_t *nt;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c,
                               const char *url, const char *method,
                               const char *version, const char *upload,
                               size_t *upload_size, void **con_cls) {
    static int marker;
    static const char ok[] = "ok";
    (void)cls;
    (void)url;
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
    int k = atomic_fetch_add(&n_requests, 1);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(2, (void *)ok, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, k % 3 == 2 ? 500 : 200, r);
    MHD_destroy_response(r);
    return rc;
}

typedef struct feeder_s {
    int id;
    int queued;
} feeder_t;

static void *feed(void *arg) {
    feeder_t *f = arg;
    char names[GROUPS_PER_THREAD][32];
    mon_part_eval_t p;
    mon_group_eval_t ev;
    for (int g = 0; g < GROUPS_PER_THREAD; g++)
        snprintf(names[g], sizeof(names[g]), "t%d-group-%02d", f->id, g);
    for (int r = 0; r < ROUNDS; r++) {
        ev_status_t st = r % 2 ? EV_OK : EV_WARN;
        for (int g = 0; g < GROUPS_PER_THREAD; g++) {
            memset(&p, 0, sizeof(p));
            memset(&ev, 0, sizeof(ev));
            p.topic = "orders";
            p.owner = "";
            p.client_id = "";
            p.result.status = st;
            p.result.rule = st == EV_OK ? EV_RULE_LAG_DECREASING
                                        : EV_RULE_LAG_NOT_DECREASING;
            p.result.current_lag = st == EV_OK ? 0 : 100 + g;
            p.result.index = -1;
            ev.cluster = "local";
            ev.group = names[g];
            ev.parts = &p;
            ev.count = 1;
            ev_group_init(&ev.rollup);
            ev_group_add(&ev.rollup, &p.result, 0);
            ev.status = ev.rollup.status;
            f->queued +=
                mon_notifier_observe(nt, &ev, 1000000 + (int64_t)r * 1000);
        }
    }
    return NULL;
}

static void *read_views(void *arg) {
    (void)arg;
    while (!atomic_load(&stop_reader)) {
        mon_notifier_view_t view;
        mon_notifier_view(nt, &view);
        mon_notifier_view_free(&view);
        mon_notifier_group_t g;
        mon_notifier_group_view(nt, "local", "t0-group-01", &g);
        mon_notifier_group_free(&g);
        mon_delivery_info_t *v;
        size_t n;
        mon_notifier_deliveries(nt, &v, &n);
        mon_delivery_list_free(v, n);
        usleep(1000);
    }
    return NULL;
}

int main(void) {
    char ini[1024], err[1024], dir[64], cmd[128];
    struct sockaddr_in sa;
    int rc = 1;

    mon_log_set_level(MON_LOG_FATAL);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0,
                         NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                         MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "stress_notifier: receiver did not start\n");
        return 1;
    }
    int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(ini, sizeof(ini),
             "[notifier a]\nurl-open = http://127.0.0.1:%d/a/{{group}}\n"
             "url-close = http://127.0.0.1:%d/a/{{id}}\nsend-close = true\n"
             "interval = 1s\nmax-retries = 20\nsecret = x\nclose-after = 1\n"
             "[notifier b]\nurl-open = http://127.0.0.1:%d/b\n"
             "interval = 1s\nrepeat-every = 2s\nmax-retries = 20\n"
             "close-after = 1\n",
             port, port, port);
    mon_config_t *cfg =
        mon_config_load_string(ini, "<stress>", err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "stress_notifier: %s\n", err);
        return 1;
    }
    snprintf(dir, sizeof(dir), "/tmp/warren-stress-ntf-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const mon_config_notifier_t *v[2] = {mon_config_notifier_at(cfg, 0),
                                         mon_config_notifier_at(cfg, 1)};
    mon_notifier_opts_t o;
    mon_notifier_opts_default(&o);
    o.delivery.base_delay_ms = 5;
    o.delivery.max_delay_ms = 50;
    o.delivery.compact_min_bytes = 32 << 10;
    o.checkpoint_interval_ms = 3000;
    nt = mon_notifier_new(v, 2, dir, "http://dash/", &o, err, sizeof(err));
    if (!nt) {
        fprintf(stderr, "stress_notifier: %s\n", err);
        return 1;
    }
    pthread_t th[3];
    feeder_t f[2] = {{0, 0}, {1, 0}};
    pthread_create(&th[2], NULL, read_views, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, feed, &f[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    int queued = f[0].queued + f[1].queued;
    if (mon_notifier_wait_idle(nt, 60000) != 0) {
        fprintf(stderr, "stress_notifier: deliveries did not finish\n");
        goto out;
    }
    atomic_store(&stop_reader, true);
    pthread_join(th[2], NULL);
    mon_notifier_view_t view;
    mon_notifier_view(nt, &view);
    int delivered = 0, failed = 0, retries = 0;
    for (size_t i = 0; i < view.n_notifiers; i++) {
        delivered += (int)view.notifiers[i].stats.delivered;
        failed += (int)view.notifiers[i].stats.failed;
        retries += (int)view.notifiers[i].stats.retries;
    }
    mon_notifier_view_free(&view);
    int requests = atomic_load(&n_requests);
    printf("stress_notifier: queued %d, delivered %d, failed %d, retries "
           "%d, requests %d\n",
           queued, delivered, failed, retries, requests);
    if (queued > 0 && delivered == queued && failed == 0 &&
        requests == delivered + retries)
        rc = 0;
    else
        fprintf(stderr, "stress_notifier: counts do not add up\n");
out:
    atomic_store(&stop_reader, true);
    mon_notifier_destroy(nt);
    MHD_stop_daemon(d);
    mon_config_destroy(cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "stress_notifier: cannot remove %s\n", dir);
    return rc;
}
