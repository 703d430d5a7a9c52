/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_notify: `warren notify test --config F --notifier NAME`, which
 * sends one sample notification through a configured notifier and prints
 * what happened, so a user can check a webhook before relying on it.
 *
 * It renders and signs exactly as the daemon does (mon_notifier), but in
 * a temporary data directory that is removed afterwards: a test send must
 * never land in, or be resent from, the daemon's own journal. It makes
 * one attempt unless --retries asks for more.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evaluator/ev_group.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"
#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_notifier.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: warren notify test --config FILE --notifier NAME "
            "[options]\n"
            "\n"
            "Sends one sample notification (group warren-test, status ERR "
            "with a\n"
            "stalled and a lagging partition) through [notifier NAME] of "
            "FILE, with\n"
            "its URL, template, headers and signature, and prints the "
            "outcome.\n"
            "\n"
            "options:\n"
            "  --config FILE    the configuration file (required)\n"
            "  --notifier NAME  which [notifier NAME] to use (required)\n"
            "  --close          send the close notification instead (status "
            "OK)\n"
            "  --group NAME     group name in the sample (warren-test)\n"
            "  --retries N      retries on 5xx, 429 or a connection error "
            "(0)\n"
            "  -h, --help       show this help\n"
            "\n"
            "exit status: 0 delivered (2xx), 1 not delivered, 2 bad usage "
            "or\n"
            "configuration (one line naming the file and line).\n");
}

static void sample(mon_group_eval_t *ev, mon_part_eval_t parts[2],
                   const char *cluster, const char *group, bool ok,
                   int64_t now) {
    memset(ev, 0, sizeof(*ev));
    memset(parts, 0, 2 * sizeof(*parts));
    for (int i = 0; i < 2; i++) {
        mon_part_eval_t *p = &parts[i];
        p->topic = "orders";
        p->partition = i ? 7 : 3;
        p->owner = "consumer-1/10.0.0.7";
        p->client_id = "consumer-1";
        p->entry_count = 10;
        p->result.complete = 1;
        p->result.count = 10;
        p->result.index = -1;
        p->result.time_lag_known = !ok;
        if (ok) {
            p->result.status = EV_OK;
            p->result.rule = EV_RULE_CURRENT_LAG_ALLOWED;
        } else if (i == 0) {
            p->result.status = EV_STALL;
            p->result.rule = EV_RULE_STALL;
            p->result.current_lag = 48210;
            p->result.left = 1200000;
            p->result.right = 48000;
            p->result.time_lag_s = 310.5;
        } else {
            p->result.status = EV_WARN;
            p->result.rule = EV_RULE_LAG_NOT_DECREASING;
            p->result.current_lag = 2010;
            p->result.left = 900;
            p->result.right = 2010;
            p->result.time_lag_s = 12;
        }
    }
    ev->cluster = cluster;
    ev->group = group;
    ev->parts = parts;
    ev->count = 2;
    ev->now_ms = now;
    ev->last_commit_ms = now - 5000;
    ev_group_init(&ev->rollup);
    for (int i = 0; i < 2; i++)
        ev_group_add(&ev->rollup, &parts[i].result, i);
    ev->status = ev->rollup.status;
}

static void remove_dir(const char *dir) {
    static const char *const files[] = {
        "notifier.journal", "notifier.journal.tmp", "notifier.incidents",
        "notifier.incidents.tmp"};
    char p[4200];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

static const mon_cli_cmd_t notify_cmd = {"notify", usage, NULL, 1};

int mon_cli_notify(int argc, char **argv) {
    const char *config = NULL, *name = NULL, *group = "warren-test";
    bool close_kind = false;
    long retries = 0;
    char err[MON_ERRSTR_SIZE], dir[4096] = "";
    mon_config_t *cfg = NULL;
    mon_notifier_t *nt = NULL;
    int rc = 2;

    const char *action = NULL;
    int64_t retries64 = 0;
    int close_flag = 0;
    const mon_cli_opt_t opts[] = {
        {"config", MON_CLI_STR, &config, 0, 0, NULL, NULL},
        {"notifier", MON_CLI_STR, &name, 0, 0, NULL, NULL},
        {"group", MON_CLI_STR, &group, 0, 0, NULL, NULL},
        {"retries", MON_CLI_INT, &retries64, 0, 20, NULL, NULL},
        {"close", MON_CLI_FLAG, &close_flag, 0, 0, NULL, NULL},
    };
    int n = mon_cli_parse(&notify_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                          argc, argv, &action, 1);
    if (n < 0) return mon_cli_exit(n);
    if (n == 0) return mon_cli_bad(&notify_cmd, "no action given");
    if (strcmp(action, "test") != 0)
        return mon_cli_bad(&notify_cmd, "unknown action '%s'", action);
    retries = (long)retries64;
    close_kind = close_flag;
    if (!config || !name)
        return mon_cli_bad(&notify_cmd, "test needs --config and --notifier");
    if (!*group) {
        fprintf(stderr, "warren notify: --group: empty name\n");
        return 2;
    }
    cfg = mon_config_load_file(config, err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    mon_log_set_level(MON_LOG_ERROR);
    const mon_config_notifier_t *orig = mon_config_notifier_find(cfg, name);
    if (!orig) {
        fprintf(stderr, "%s: no [notifier %s] section\n", config, name);
        goto out;
    }
    mon_config_notifier_t c = *orig; /* strings still owned by cfg */
    c.max_retries = (int)retries;
    const mon_config_notifier_t *cp = &c;

    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/warren-notify-XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr,
                "warren notify: cannot create a temporary "
                "directory in %s: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        dir[0] = '\0';
        goto out;
    }
    nt = mon_notifier_new(&cp, 1, dir, mon_config_general(cfg)->dashboard_url,
                          NULL, err, sizeof(err));
    if (!nt) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    const mon_config_cluster_t *cl = mon_config_cluster_at(cfg, 0);
    int64_t now = mon_clock_wall_ms();
    mon_group_eval_t ev;
    mon_part_eval_t parts[2];
    sample(&ev, parts, cl ? cl->name : "local", group, close_kind, now);
    uint64_t seq = 0;
    if (mon_notifier_send_test(
            nt, name, close_kind ? MON_DELIVERY_CLOSE : MON_DELIVERY_OPEN, &ev,
            now, &seq, err, sizeof(err)) != 0) {
        fprintf(stderr, "warren notify: %s\n", err);
        goto out;
    }
    int64_t wait = c.timeout_ms * (retries + 1) + 60000 * retries + 5000;
    rc = 1;
    if (mon_notifier_wait_idle(nt, wait) != 0) {
        printf("not delivered: no outcome after %" PRId64 " ms\n", wait);
        goto out;
    }
    mon_delivery_info_t in;
    if (mon_notifier_delivery(nt, seq, &in) != 0) {
        printf("not delivered: the outcome was lost\n");
        goto out;
    }
    if (in.state == MON_DELIVERY_DELIVERED) {
        printf("delivered: HTTP %d after %" PRIu32 " attempt%s (notifier "
               "%s, X-Warren-Delivery: %s)\n",
               in.http_status, in.attempts, in.attempts == 1 ? "" : "s", name,
               in.key);
        rc = 0;
    } else {
        printf("failed after %" PRIu32 " attempt%s: %s (notifier %s, "
               "X-Warren-Delivery: %s)\n",
               in.attempts, in.attempts == 1 ? "" : "s",
               in.error && in.error[0] ? in.error : "no response", name,
               in.key);
    }
    mon_delivery_info_clear(&in);
out:
    mon_notifier_destroy(nt);
    if (dir[0]) remove_dir(dir);
    mon_config_destroy(cfg);
    return rc;
}
