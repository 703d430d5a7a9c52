/* SPDX-License-Identifier: Apache-2.0 */
/* bench_store: commit ingest rate and memory per group partition of the
 * offset store holding 1k groups x 1k partitions (10 topics x 100
 * partitions, every group on every topic), intervals = 10.
 *
 * Ingest is measured in two orders: group-batched (a group's commits for
 * all its partitions in a row, as an OffsetCommit request and the
 * __consumer_offsets log deliver them) and random (every commit a random
 * group and partition: no locality at all). Memory is the mallinfo2 heap
 * growth while the windows are created, divided by the group partitions:
 * 344 bytes by construction (mon_store.h), of which 72 are the warren
 * rules' evidence beyond the window (ev_window.h), hence the target of
 * 352 (320 before the evidence). Each figure is the median of several
 * runs.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor/store/mon_store.h"

#define GROUPS 1000
#define TOPICS 10
#define PARTS 100 /* per topic: 1000 partitions per group */
#define RUNS 5
#define COMMITS_PER_RUN 10000000L

static char gnames[GROUPS][16];
static char tnames[TOPICS][16];

static double now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: a busy shared machine disturbs it far less. */
static double cpu_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void) {
    mon_store_config_t cfg;
    mon_store_t *st;
    mon_store_cluster_t *cl;
    char err[256];
    struct mallinfo2 m0, m1;
    double t0, c0, rates_b[RUNS], cpu_b[RUNS], rates_r[RUNS], evals[RUNS];
    double bytes;
    int64_t t_ms = 1700000000000LL, off = 1000;
    mon_group_eval_t ev = {0};
    long i, n, dropped = 0;
    int g, t, p, r;

    for (g = 0; g < GROUPS; g++)
        snprintf(gnames[g], sizeof(gnames[g]), "group-%04d", g);
    for (t = 0; t < TOPICS; t++)
        snprintf(tnames[t], sizeof(tnames[t]), "topic-%02d", t);
    mon_store_config_default(&cfg);
    st = mon_store_new(&cfg, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    cl = mon_store_cluster(st, "local");
    for (t = 0; t < TOPICS; t++)
        for (p = 0; p < PARTS; p++)
            mon_store_head(cl, tnames[t], p, PARTS, 1000000000LL, t_ms);

    /* Memory: create every window (first commit of each group topic). */
    m0 = mallinfo2();
    for (g = 0; g < GROUPS; g++)
        for (t = 0; t < TOPICS; t++)
            mon_store_commit(cl, gnames[g], tnames[t], 0, off, t_ms, "host",
                             "client");
    m1 = mallinfo2();
    bytes =
        (double)(m1.uordblks - m0.uordblks) / ((double)GROUPS * TOPICS * PARTS);

    for (r = 0; r < RUNS; r++) {
        /* group-batched order */
        n = 0;
        t0 = now_s();
        c0 = cpu_s();
        while (n < COMMITS_PER_RUN) {
            t_ms += 1000;
            off += 10;
            for (g = 0; g < GROUPS && n < COMMITS_PER_RUN; g++)
                for (t = 0; t < TOPICS; t++)
                    for (p = 0; p < PARTS; p++, n++)
                        dropped += mon_store_commit(cl, gnames[g], tnames[t], p,
                                                    off, t_ms, NULL, NULL) >=
                                   MON_STORE_DROP_NO_TOPIC;
        }
        rates_b[r] = (double)n / (now_s() - t0);
        cpu_b[r] = (double)n / (cpu_s() - c0);

        /* random order */
        t0 = now_s();
        for (i = 0; i < COMMITS_PER_RUN / 4; i++) {
            uint64_t x = xorshift();

            g = (int)(x % GROUPS);
            t = (int)((x >> 20) % TOPICS);
            p = (int)((x >> 32) % PARTS);
            dropped += mon_store_commit(cl, gnames[g], tnames[t], p, off,
                                        t_ms + 1 + i / 1000, NULL,
                                        NULL) >= MON_STORE_DROP_NO_TOPIC;
        }
        t_ms += 1 + i / 1000;
        rates_r[r] = (double)(COMMITS_PER_RUN / 4) / (now_s() - t0);

        /* whole-group evaluation, 1000 partitions */
        t0 = now_s();
        for (i = 0; i < 200; i++)
            mon_store_group_eval(st, "local", gnames[i % GROUPS], t_ms, NULL,
                                 &ev);
        evals[r] = (now_s() - t0) / 200.0 / (TOPICS * PARTS) * 1e9;
    }
    mon_group_eval_free(&ev);

    printf("%-48s %16s %16s\n", "figure", "measured", "target");
    printf("%-48s %16.2f %16s\n", "commit ingest, group-batched (M commits/s)",
           median(rates_b, RUNS) / 1e6, ">= 5");
    printf("%-48s %16.2f %16s\n", "  same, per CPU second (M commits/s)",
           median(cpu_b, RUNS) / 1e6, ">= 5");
    printf("%-48s %16.2f %16s\n", "commit ingest, random order (M commits/s)",
           median(rates_r, RUNS) / 1e6, "(info)");
    printf("%-48s %16.1f %16s\n", "memory per group partition (bytes)", bytes,
           "<= 352");
    printf("%-48s %16.1f %16s\n",
           "group eval, per partition incl. copy-out (ns)", median(evals, RUNS),
           "(info)");
    printf("(%d groups x %d partitions, intervals %d, median of %d runs;"
           " %ld commits dropped)\n",
           GROUPS, TOPICS * PARTS, cfg.intervals, RUNS, dropped);
    mon_store_destroy(st);
    return dropped ? 1 : 0;
}
