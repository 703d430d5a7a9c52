/* SPDX-License-Identifier: Apache-2.0 */
/* Slowloris against `warren serve`: more sockets than its connection
 * limit, from one client address, each sending its headers a byte at a
 * time and never finishing them, while probes from another address keep
 * asking GET /healthz. Every probe must be answered (the per-client cap
 * keeps the attacker to a few slots) and every attacking socket must be
 * ended by the server within the whole-request deadline, however steadily
 * it keeps sending (an idle timeout never ends it). The daemon runs with
 * a small fd limit, so its connection limit (derived from it) is small
 * too. Latency figures: tests/bench/bench_slowloris.c.
 */
#include <criterion/criterion.h>
#include <sys/resource.h>

#pragma GCC diagnostic ignored "-Wunused-function" /* header-only helpers */
#include "tests/integration/slowloris.h"
#include "tests/integration/warren_proc.h"

/* The connection limit the daemon logged ("at most N connections"). */
static int logged_limit(const wp_t *w) {
    char *log = wp_read_file(w->log, NULL);
    const char *p = log ? strstr(log, "at most ") : NULL;
    int n = p ? atoi(p + 8) : 0;
    free(log);
    return n;
}

Test(slowloris, probes_answer_and_every_slow_socket_is_ended, .timeout = 120) {
    char dir[256], ini[300];
    wp_tmpdir(dir, sizeof(dir));
    snprintf(ini, sizeof(ini), "%s.ini", dir);
    FILE *f = fopen(ini, "w");
    cr_assert_not_null(f);
    fputs("[http]\ntimeout = 2s\nmax-connections-per-client = 8\n", f);
    fclose(f);
    /* the daemon's fd limit, and so its connection limit, is small */
    struct rlimit old, low;
    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
    low = old; /* the soft limit only: it can be raised back */
    low.rlim_cur = old.rlim_max < 256 ? old.rlim_max : 256;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    wp_t w;
    char *args[] = {"--replay", "samples/stalled.jsonl", "--config", ini, NULL};
    int started = wp_start(&w, dir, args);
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
    cr_assert_eq(started, 0, "warren did not start");
    int limit = logged_limit(&w);
    cr_assert_gt(limit, 0, "no connection limit logged");
    cr_assert_lt(limit, 256, "limit %d not derived from the fd limit", limit);

    sl_result_t r;
    int n = limit + 40;
    cr_assert_eq(sl_run(w.port, n, 6000, 10000, 200, 100, &r), 0,
                 "cannot open %d sockets", n);
    cr_assert_eq(wp_stop(&w, NULL), 0, "warren survived");
    cr_assert_gt(r.connected, 0);
    cr_assert_gt(r.bytes_held, 0, "the attack held its sockets open");
    cr_assert_geq(r.probes, 20, "only %d probes ran", r.probes);
    cr_assert_eq(r.probes_ok, r.probes, "%d of %d probes unanswered",
                 r.probes - r.probes_ok, r.probes);
    cr_assert_eq(r.ended, r.attackers,
                 "%d of %d slow sockets still open 10 s after the attack",
                 r.attackers - r.ended, r.attackers);
    free(r.lat_ms);
    unlink(ini);
}
