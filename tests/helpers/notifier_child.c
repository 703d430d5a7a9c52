/* SPDX-License-Identifier: Apache-2.0 */
/* notifier_child: the process the kill -9 test kills.
 *
 * `notifier_child DATA_DIR URL` opens a notifier "hook" on DATA_DIR with
 * the same settings as the test's reopened one, observes group g-kill in
 * ERR (which queues one open notification to URL), flushes, prints
 * "queued" and then waits to be killed while the delivery is pending.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evaluator/ev_group.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_notifier.h"

int main(int argc, char **argv) {
    char ini[512], err[1024];
    struct timespec ts;
    if (argc != 3) {
        fprintf(stderr, "usage: notifier_child DATA_DIR URL\n");
        return 2;
    }
    mon_log_set_level(MON_LOG_FATAL);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = %s\nmax-retries = 20\n"
             "interval = 1s\nrepeat-every = 1h\n",
             argv[2]);
    mon_config_t *cfg =
        mon_config_load_string(ini, "<child>", err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    mon_notifier_opts_t o;
    mon_notifier_opts_default(&o);
    o.delivery.base_delay_ms = 20;
    o.delivery.max_delay_ms = 200;
    const mon_config_notifier_t *c = mon_config_notifier_at(cfg, 0);
    mon_notifier_t *nt =
        mon_notifier_new(&c, 1, argv[1], "http://dash/", &o, err, sizeof(err));
    if (!nt) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    mon_group_eval_t ev;
    mon_part_eval_t p;
    memset(&ev, 0, sizeof(ev));
    memset(&p, 0, sizeof(p));
    p.topic = "orders";
    p.owner = "";
    p.client_id = "";
    p.result.status = EV_STALL;
    p.result.rule = EV_RULE_STALL;
    p.result.current_lag = 1234;
    p.result.index = -1;
    p.result.complete = 1;
    ev.cluster = "local";
    ev.group = "g-kill";
    ev.parts = &p;
    ev.count = 1;
    ev_group_init(&ev.rollup);
    ev_group_add(&ev.rollup, &p.result, 0);
    ev.status = ev.rollup.status;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (mon_notifier_observe(nt, &ev, (int64_t)ts.tv_sec * 1000) != 1 ||
        mon_notifier_flush(nt, err, sizeof(err)) != 0) {
        fprintf(stderr, "queueing failed: %s\n", err);
        return 1;
    }
    printf("queued\n");
    fflush(stdout);
    for (;;)
        pause();
}
