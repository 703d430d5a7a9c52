/* SPDX-License-Identifier: Apache-2.0 */
/* bench_backfill: how long the embedded source takes to read a large
 * __consumer_offsets on its first start (Burrow's backfill-earliest: every
 * group that ever committed, with its window), and the heap it keeps.
 *
 * A scratch data dir gets GROUPS groups committing to every partition of
 * one topic of PARTS partitions, ROUNDS times each (one batch per group
 * and round, as an OffsetCommit request writes it). Then a store and the
 * embedded source are made over it, and the source's start (which reads
 * the whole topic before it returns) is timed; the heap is mallinfo2's
 * growth across the start, and also counts the broker's own offset table
 * and the store's windows (intervals = 10, so the window of a group
 * partition holds its last 10 commits whatever ROUNDS is).
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_offsets.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_log.h"
#include "monitor/sources/mon_source_embedded.h"
#include "monitor/store/mon_store.h"

#define PARTS 10

static double now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes groups x PARTS x rounds commits into dir. Returns 0 or -1. */
static int fill(const char *dir, int groups, int rounds) {
    char err[512];
    int e = 0;
    int64_t now = mon_clock_wall_ms() - (int64_t)rounds * 1000;
    bc_broker_conf_t bc = bc_broker_conf_default();
    bc.create_if_missing = 1;
    bc_broker_t *b = bc_broker_open(dir, &bc, now, &e, err, sizeof(err));
    if (!b) goto fail;
    if (bc_broker_create_topic(b, "orders", PARTS, NULL, now, err,
                               sizeof(err)) != 0)
        goto fail;
    bc_offsets_t *off = bc_offsets_open(b, NULL, now, NULL, err, sizeof(err));
    if (!off) goto fail;
    for (int r = 0; r < rounds; r++) {
        for (int g = 0; g < groups; g++) {
            char name[32];
            bc_offsets_commit_t c[PARTS];
            snprintf(name, sizeof(name), "group-%05d", g);
            for (int p = 0; p < PARTS; p++)
                c[p] = (bc_offsets_commit_t){"orders", p, (int64_t)r * 10, -1,
                                             NULL};
            if (bc_offsets_commit(off, name, c, PARTS, now + r * 1000, err,
                                  sizeof(err)) != 0)
                goto fail;
        }
    }
    bc_offsets_close(off);
    return bc_broker_close(b) == 0 ? 0 : -1;
fail:
    fprintf(stderr, "bench_backfill: %s\n", err);
    return -1;
}

static int run(const char *root, int groups, int rounds) {
    char dir[512], err[512];
    snprintf(dir, sizeof(dir), "%s/g%d-r%d", root, groups, rounds);
    if (fill(dir, groups, rounds) != 0) return -1;

    mon_store_config_t scfg;
    mon_store_config_default(&scfg);
    mon_config_cluster_t cc;
    memset(&cc, 0, sizeof(cc));
    cc.name = "local";
    cc.source = MON_CONFIG_SOURCE_EMBEDDED;
    cc.data_dir = dir;

    struct mallinfo2 m0 = mallinfo2();
    mon_store_t *st = mon_store_new(&scfg, err, sizeof(err));
    mon_source_t *src =
        st ? mon_source_embedded_new(&cc, NULL, st, err, sizeof(err)) : NULL;
    if (!src) {
        fprintf(stderr, "bench_backfill: %s\n", err);
        mon_store_destroy(st);
        return -1;
    }
    double t0 = now_s();
    if (src->start(src, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_backfill: %s\n", err);
        return -1;
    }
    double secs = now_s() - t0;
    struct mallinfo2 m1 = mallinfo2();
    mon_store_names_t names = {0};
    size_t n = 0;
    if (mon_store_groups(st, "local", INT64_MIN, &names) == 0) n = names.count;
    mon_store_names_free(&names);
    long records = (long)groups * PARTS * rounds;
    printf("| %d | %d | %ld | %zu | %.2f | %.0f | %.1f |\n", groups, rounds,
           records, n, secs, (double)records / secs,
           (double)(m1.uordblks - m0.uordblks) / (1 << 20));
    mon_source_destroy(src);
    mon_store_destroy(st);
    return n == (size_t)groups ? 0 : -1;
}

int main(void) {
    char root[] = "/tmp/bench_backfill.XXXXXX";
    static const int cases[][2] = {{1000, 10}, {10000, 10}, {10000, 50}};
    int rc = 0;
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    mon_log_set_level(MON_LOG_WARN);
    printf("embedded backfill: groups x %d partitions x rounds commits, "
           "read on the first start\n\n",
           PARTS);
    printf("| groups | rounds | commit records | groups seen | seconds | "
           "records/s | heap MiB |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && rc == 0; i++)
        rc = run(root, cases[i][0], cases[i][1]);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    if (system(cmd) != 0) rc = 1;
    return rc != 0;
}
