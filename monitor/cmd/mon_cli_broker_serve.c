/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_broker_serve: `warren broker serve`, the embedded broker alone
 * on Kafka's wire protocol.
 *
 * Opens (creating if missing) a data dir with its __consumer_offsets
 * table, starts bc_kserver on --listen and runs the broker's periodic
 * work (flush policy, retention, compaction) once a second until SIGINT
 * or SIGTERM, then closes everything cleanly. The first line on stdout
 * is "listening on HOST:PORT" (the bound port when 0 was asked), so
 * scripts can start it on a free port.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_kserver.h"
#include "broker-core/bc_offsets.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/cmd/mon_cli_broker_groups.h"
#include "monitor/cmd/mon_cli_opt.h"

static atomic_int g_stop;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&g_stop, 1);
}

static void log_line(void *opaque, const char *line) {
    (void)opaque;
    fprintf(stderr, "warren broker serve: %s\n", line);
}

static const mon_cli_cmd_t serve_cmd = {"broker serve", NULL,
                                        MON_CLI_BROKER_SERVE_USAGE, 1};

int mon_cli_broker_serve(int argc, char **argv) {
    bc_kserver_conf_t kc = bc_kserver_conf_default();
    const char *dir = NULL;
    int64_t parts = kc.num_partitions, max_conns = kc.max_connections;
    int64_t idle_ms = kc.idle_timeout_ms;
    int no_auto_create = 0, fetch_copy = 0;
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &dir, 0, 0, NULL, NULL},
        {"listen", MON_CLI_STR, &kc.listen, 0, 0, NULL, NULL},
        {"advertised", MON_CLI_STR, &kc.advertised, 0, 0, NULL, NULL},
        {"num-partitions", MON_CLI_INT, &parts, 1, 10000, NULL, NULL},
        {"no-auto-create", MON_CLI_FLAG, &no_auto_create, 0, 0, NULL, NULL},
        {"fetch-copy", MON_CLI_FLAG, &fetch_copy, 0, 0, NULL, NULL},
        {"max-connections", MON_CLI_INT, &max_conns, 1, INT32_MAX, NULL, NULL},
        {"idle-timeout-ms", MON_CLI_INT, &idle_ms, 1, INT64_MAX, NULL, NULL},
    };
    int parsed = mon_cli_parse(&serve_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                               argc, argv, NULL, 0);
    if (parsed < 0) return mon_cli_exit(parsed);
    kc.num_partitions = (int32_t)parts;
    kc.max_connections = (int)max_conns;
    kc.idle_timeout_ms = idle_ms;
    if (no_auto_create) kc.auto_create_topics = 0;
    if (fetch_copy) kc.fetch_copy = 1;
    if (!dir) return mon_cli_bad(&serve_cmd, "--data-dir is required");

    char err[MON_ERRSTR_SIZE];
    int e = 0, rc = 0;
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bconf.create_if_missing = 1;
    bconf.msg_fn = log_line;
    bc_broker_t *b =
        bc_broker_open(dir, &bconf, mon_clock_wall_ms(), &e, err, sizeof(err));
    if (!b) {
        fprintf(stderr, "warren broker serve: %s\n", err);
        return 2;
    }
    bc_offsets_t *off =
        bc_offsets_open(b, NULL, mon_clock_wall_ms(), NULL, err, sizeof(err));
    bc_kserver_t *srv = NULL;
    if (!off) {
        fprintf(stderr, "warren broker serve: %s\n", err);
        rc = 2;
        goto out;
    }
    kc.broker = b;
    kc.offsets = off;
    kc.log_fn = log_line;
    srv = bc_kserver_start(&kc, err, sizeof(err));
    if (!srv) {
        fprintf(stderr, "warren broker serve: %s\n", err);
        rc = 2;
        goto out;
    }
    printf("listening on %s\n", bc_kserver_address(srv));
    fflush(stdout);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int64_t last = 0;
    while (!atomic_load(&g_stop)) {
        mon_clock_sleep_ms(100);
        int64_t now = mon_clock_wall_ms();
        if (now - last >= 1000) {
            if (bc_broker_tick(b, now, err, sizeof(err)) < 0)
                fprintf(stderr, "warren broker serve: %s\n", err);
            last = now;
        }
    }
out:
    bc_kserver_stop(srv);
    bc_offsets_close(off);
    if (bc_broker_close(b) < 0 && rc == 0) rc = 1;
    return rc;
}
