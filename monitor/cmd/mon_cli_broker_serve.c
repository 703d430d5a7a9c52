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
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_kserver.h"
#include "broker-core/bc_offsets.h"
#include "monitor/base/mon_clock.h"
#include "monitor/cmd/mon_cli_broker_groups.h"

static atomic_int g_stop;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&g_stop, 1);
}

static void log_line(void *opaque, const char *line) {
    (void)opaque;
    fprintf(stderr, "warren broker serve: %s\n", line);
}

static int bad(const char *what, const char *arg) {
    fprintf(stderr, "warren broker serve: %s%s", what, arg);
    fprintf(stderr, "\nusage: warren broker serve %s\n",
            MON_CLI_BROKER_SERVE_USAGE);
    return 2;
}

int mon_cli_broker_serve(int argc, char **argv) {
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"advertised", required_argument, NULL, 'a'},
        {"num-partitions", required_argument, NULL, 'n'},
        {"no-auto-create", no_argument, NULL, 'N'},
        {"fetch-copy", no_argument, NULL, 'c'},
        {"max-connections", required_argument, NULL, 'm'},
        {"idle-timeout-ms", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    bc_kserver_conf_t kc = bc_kserver_conf_default();
    const char *dir = NULL;
    int opt;
    char *end;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'l':
            kc.listen = optarg;
            break;
        case 'a':
            kc.advertised = optarg;
            break;
        case 'n':
            kc.num_partitions = (int32_t)strtol(optarg, &end, 10);
            if (*end || kc.num_partitions < 1 || kc.num_partitions > 10000)
                return bad("--num-partitions: expected 1..10000, not ", optarg);
            break;
        case 'm':
            kc.max_connections = (int)strtol(optarg, &end, 10);
            if (*end || kc.max_connections < 1)
                return bad("--max-connections: expected >= 1, not ", optarg);
            break;
        case 'i':
            kc.idle_timeout_ms = strtoll(optarg, &end, 10);
            if (*end || kc.idle_timeout_ms < 1)
                return bad("--idle-timeout-ms: expected >= 1, not ", optarg);
            break;
        case 'N':
            kc.auto_create_topics = 0;
            break;
        case 'c':
            kc.fetch_copy = 1;
            break;
        case 'h':
            printf("usage: warren broker serve %s\n",
                   MON_CLI_BROKER_SERVE_USAGE);
            return 0;
        default:
            return bad("unknown option or missing argument: ",
                       argv[optind - 1]);
        }
    }
    if (optind < argc) return bad("unexpected argument: ", argv[optind]);
    if (!dir) return bad("--data-dir is required", "");

    char err[1024];
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
