/* SPDX-License-Identifier: Apache-2.0 */
/* bench_ev: cost of one partition evaluation with a full 10-entry window,
 * with each rule set.
 *
 * For each window shape (OK, WARN, STALL, STOP, REWIND, and a mix of all
 * of them over 1024 partitions so branches cannot be learnt) it calls
 * ev_evaluate many millions of times on wrapped rings of 10 commits and 10
 * head samples, five runs per shape and rule set (burrow and warren runs
 * interleaved, so both see the same machine), and prints the median ns
 * per evaluation and evaluations per second of the burrow rules beside
 * their targets (<= 50 ns, >= 20 M/s), then the warren rules' ns and their
 * cost relative to burrow's (target <= 2x). Times are the thread's CPU
 * time, so other load on the machine does not inflate them. Results feed
 * a volatile sink
 * so no call can be elided. Prints figures only; exits 1 only if a shape
 * does not evaluate to the status it is meant to exercise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evaluator/ev_rules.h"

#define WIN 10
#define RUNS 5
#define ITERS 10000000L
#define MIX 1024
#define T0 1700000000000LL
#define TARGET_NS 50.0
#define TARGET_MPS 20.0
#define TARGET_RATIO 2.0

typedef struct part_s {
    ev_entry_t es[WIN];
    ev_head_t hs[WIN];
    ev_window_t win;
    ev_headring_t ring;
    int64_t now;
} part_t;

enum { SH_OK, SH_WARN, SH_STALL, SH_STOP, SH_REWIND, SH__COUNT };

static const char *const shape_names[SH__COUNT] = {
    "OK (lag draining)", "WARN (lag growing)", "STALL (offsets flat)",
    "STOP (commits stopped)", "REWIND (offset went back)"};
static const ev_status_t shape_status[SH__COUNT] = {EV_OK, EV_WARN, EV_STALL,
                                                    EV_STOP, EV_REWIND};
/* The warren rules see a rewind that re-reads as OK (rule rewound). */
static const ev_status_t shape_status_warren[SH__COUNT] = {
    EV_OK, EV_WARN, EV_STALL, EV_STOP, EV_OK};

/* Fills a full, wrapped window of the given shape: 13 pushes into rings of
 * 10 so both rings start mid-array and the scans walk two spans. */
static void make_part(part_t *pt, int shape) {
    int i;

    ev_window_init(&pt->win, pt->es, WIN);
    ev_headring_init(&pt->ring, pt->hs, WIN);
    for (i = 0; i < WIN + 3; i++) {
        int64_t ts = T0 + 10000LL * i, off, lag;
        ev_head_t h;
        ev_entry_t e;

        switch (shape) {
        case SH_OK:
            off = 1000 + 100 * i;
            lag = 3321 - 100 * i;
            break;
        case SH_WARN:
            off = 1000 + 100 * i;
            lag = 100 + 80 * i;
            break;
        case SH_STALL:
            off = 1000;
            lag = 100 + 50 * i;
            break;
        case SH_STOP:
            off = 1000 + 100 * i;
            lag = 500 + 10 * i;
            break;
        default: /* REWIND: jumps back at the last commit */
            off = i == WIN + 2 ? 500 : 1000 + 100 * i;
            lag = 100 + 10 * i;
            break;
        }
        e = (ev_entry_t){off, ts, lag};
        /* STOP: producers far ahead, so no head is <= the last commit */
        h = (ev_head_t){off + lag + (shape == SH_STOP ? 10000 : 0), ts};
        ev_window_push(&pt->win, &e);
        ev_headring_push(&pt->ring, &h);
    }
    /* STOP: long silence; others: evaluated 10 s after the last commit */
    pt->now = T0 + 10000LL * (WIN + 2) + (shape == SH_STOP ? 1000000 : 10000);
}

/* CPU time of this thread: on a shared machine, time slices given to
 * other processes do not count against the evaluator. */
static double now_ns(void) {
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static volatile int64_t sink;

/* Times ITERS evaluations cycling over parts[0..n-1]; ns per evaluation. */
static double run_once(const ev_params_t *p, const part_t *parts, int n) {
    ev_result_t r;
    int64_t acc = 0;
    double t0, t1;
    long i;
    int k = 0;

    t0 = now_ns();
    for (i = 0; i < ITERS; i++) {
        const part_t *pt = &parts[k];

        ev_evaluate(p, &pt->win, &pt->ring, pt->now + (i & 7), &r);
        acc += (int64_t)r.status + r.left + r.current_lag;
        if (++k == n) k = 0;
    }
    t1 = now_ns();
    sink += acc;
    return (t1 - t0) / (double)ITERS;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median ns per evaluation of each rule set over RUNS runs, the two rule
 * sets' runs interleaved so that both see the same machine. */
static void medians(const ev_params_t *bp, const ev_params_t *wp,
                    const part_t *parts, int n, double *bmed, double *wmed) {
    double b[RUNS], w[RUNS];
    int i;

    for (i = 0; i < RUNS; i++) {
        b[i] = run_once(bp, parts, n);
        w[i] = run_once(wp, parts, n);
    }
    qsort(b, RUNS, sizeof(b[0]), cmp_double);
    qsort(w, RUNS, sizeof(w[0]), cmp_double);
    *bmed = b[RUNS / 2];
    *wmed = w[RUNS / 2];
}

static void report(const char *name, const ev_params_t *bp,
                   const ev_params_t *wp, const part_t *parts, int n) {
    double med, wmed, mps, ratio;

    medians(bp, wp, parts, n, &med, &wmed);
    mps = 1e3 / med;
    ratio = wmed / med;
    printf("%-26s %6.1f ns (<= %2.0f) %s %6.1f M/s (>= %2.0f) %s   "
           "%6.1f ns %6.1f M/s  %4.2fx (<= %.0fx) %s\n",
           name, med, TARGET_NS, med <= TARGET_NS ? "ok  " : "MISS", mps,
           TARGET_MPS, mps >= TARGET_MPS ? "ok  " : "MISS", wmed, 1e3 / wmed,
           ratio, TARGET_RATIO, ratio <= TARGET_RATIO ? "ok" : "MISS");
}

int main(void) {
    static part_t parts[SH__COUNT];
    static part_t mix[MIX];
    ev_params_t p, w;
    ev_result_t r;
    int s, i;

    ev_params_default(&p);
    p.rules = EV_RULES_BURROW;
    ev_params_default(&w);
    w.rules = EV_RULES_WARREN;
    for (s = 0; s < SH__COUNT; s++) {
        make_part(&parts[s], s);
        ev_evaluate(&p, &parts[s].win, &parts[s].ring, parts[s].now, &r);
        if (r.status != shape_status[s]) {
            fprintf(stderr, "bench_ev: shape %s evaluates to %s (burrow)\n",
                    shape_names[s], ev_status_name(r.status));
            return 1;
        }
        ev_evaluate(&w, &parts[s].win, &parts[s].ring, parts[s].now, &r);
        if (r.status != shape_status_warren[s]) {
            fprintf(stderr,
                    "bench_ev: shape %s evaluates to %s (%s, "
                    "warren)\n",
                    shape_names[s], ev_status_name(r.status),
                    ev_rule_name(r.rule));
            return 1;
        }
    }
    srand(42);
    for (i = 0; i < MIX; i++)
        make_part(&mix[i], rand() % SH__COUNT);

    printf("partition evaluation, full %d-entry window, median of %d runs "
           "of %ld M evaluations\n",
           WIN, RUNS, ITERS / 1000000);
    printf("%-26s %-44s   %s\n", "window shape",
           "burrow rules: ns/evaluation, evaluations/s",
           "warren rules: ns, evaluations/s, cost vs burrow");
    for (s = 0; s < SH__COUNT; s++)
        report(shape_names[s], &p, &w, &parts[s], 1);
    report("mixed, 1024 partitions", &p, &w, mix, MIX);
    return 0;
}
