/* SPDX-License-Identifier: Apache-2.0 */
/* verdict_sim: writes a labelled corpus of lag traces from a seed.
 *
 * Each scenario is one consumer group on one topic (1-8 partitions),
 * simulated in 100 ms steps for DUR seconds: producers append Poisson
 * arrivals at 0.5-1000 msg/s per partition (plus bursts or idle periods),
 * the consumer finishes a message no sooner than its in-flight latency
 * after it arrived, at up to its capacity (with jitter), and commits its
 * position every 1-10 s (+/-10%); the monitor samples heads every 1-30 s.
 * The trace (TRACES.md) holds what a monitor would have seen, heads and
 * commits, and `truth` lines with the true state of every partition, so
 * the scorer (verdict_score) can replay it through the real store and
 * evaluator. The corpus is a function of the seed alone: a held-out
 * corpus is another seed.
 *
 * Truth (issue 13), with the grace windows explicit. W = (intervals + 1)
 * * commit interval + head refresh: the time a window of commits and a
 * head sample need to show a change.
 *   OK    everything else: keeping up, caught up, in-flight lag, bursts
 *         that drain, idle producers, draining backlogs, rolling-deploy
 *         pauses shorter than the window, rewinds being re-read.
 *   WARN  capacity below the production rate for good, from onset +
 *         max(W, 9 r / d^2) (deficit d at rate r told from the arrival
 *         noise at 3 sigma); GRACE from the onset until then.
 *   ERR   stalled (committing the same offset) or stopped (no commits)
 *         while data waits, from the event + W; GRACE until then.
 *   GRACE also for W after a WARN or ERR episode ends (the window still
 *         holds it).
 * Scenario kinds: healthy, marginal (capacity 1.1-1.4x), burst, idle,
 * backlog, rewind, rolling-deploy pauses, falling-behind, stall, stop.
 *
 * usage: verdict_sim SEED DIR [SCENARIOS [DURATION_S]]
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAXP 8
#define STEP_MS 100
#define T0 1700000000000LL
#define INTERVALS 10
#define HIST (1 << 16) /* head history ring, steps (> max latency) */

enum kind {
    K_HEALTHY,
    K_MARGINAL,
    K_BURST,
    K_IDLE,
    K_BACKLOG,
    K_REWIND,
    K_PAUSE,
    K_FALLING,
    K_STALL,
    K_STOP,
    K__COUNT
};

static const char *const kind_names[K__COUNT] = {
    "healthy", "marginal", "burst",          "idle",  "backlog",
    "rewind",  "pause",    "falling-behind", "stall", "stop"};

enum truth { TR_OK, TR_WARN, TR_ERR, TR_GRACE };
static const char *const truth_names[] = {"OK", "WARN", "ERR", "GRACE"};

/* xorshift64*: small, fast, and the same on every machine. */
static uint64_t rng_state;

static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static double unif(double a, double b) {
    return a + (b - a) * ((double)(rnd() >> 11) * (1.0 / 9007199254740992.0));
}

static int irand(int a, int b) { /* a..b inclusive */
    return a + (int)(rnd() % (uint64_t)(b - a + 1));
}

/* Poisson sample; normal approximation for large means. */
static int64_t poisson(double mean) {
    if (mean <= 0) return 0;
    if (mean > 50) {
        double u1 = unif(1e-12, 1), u2 = unif(0, 1);
        double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        double v = mean + sqrt(mean) * z + 0.5;

        return v < 0 ? 0 : (int64_t)v;
    }
    {
        double l = exp(-mean), p = 1.0;
        int64_t k = 0;

        do {
            k++;
            p *= unif(0, 1);
        } while (p > l);
        return k - 1;
    }
}

/* One partition's state and its scripted truth. */
typedef struct part_s {
    double rate;     /* base production rate, msg/s */
    double cap;      /* consumer capacity, msg/s */
    double cap_late; /* capacity after a falling-behind onset */
    double latency;  /* in-flight latency, s */
    int64_t head;    /* messages produced (log-end offset) */
    int64_t pos;     /* consumer position (next offset to read) */
    double credit;   /* processing credit */
    int64_t *hist;   /* head by step, ring of HIST */
    int affected;    /* the scenario's event applies here */
    /* truth transitions: times (ms from start) and states */
    int64_t tr_t[8];
    int tr_s[8];
    int ntr, next_tr;
} part_t;

typedef struct scen_s {
    int kind;
    int np;
    int64_t dur_ms;
    int64_t commit_ms;  /* nominal commit interval */
    int64_t refresh_ms; /* head refresh */
    int64_t w_ms;       /* W of the truth definition */
    int64_t ev_ms;      /* event start (stall, stop, falling, ...) */
    int64_t ev_end_ms;  /* event end (recovery, idle end), or dur */
    /* bursts, pauses */
    int64_t burst_ms, burst_len_ms;
    double burst_msgs;
    int npause;
    int64_t pause_at[3], pause_len[3];
    double rewind_s;
    part_t p[MAXP];
} scen_t;

static void add_truth(part_t *pt, int64_t t, int st) {
    if (pt->ntr < 8 && (pt->ntr == 0 || pt->tr_s[pt->ntr - 1] != st)) {
        pt->tr_t[pt->ntr] = t;
        pt->tr_s[pt->ntr] = st;
        pt->ntr++;
    }
}

/* Scripts one scenario of kind k. */
static void script(scen_t *sc, int k, int64_t dur_ms) {
    double base = exp(unif(log(0.5), log(1000.0)));
    int i, naff = 0;

    memset(sc, 0, sizeof(*sc));
    sc->kind = k;
    sc->np = irand(1, MAXP);
    sc->dur_ms = dur_ms;
    sc->commit_ms = 1000LL * irand(1, 10);
    sc->refresh_ms = 1000LL * irand(1, 30);
    sc->w_ms = (INTERVALS + 1) * sc->commit_ms + sc->refresh_ms;
    sc->ev_ms = (int64_t)(unif(0.25, 0.5) * (double)dur_ms) / STEP_MS * STEP_MS;
    sc->ev_end_ms = dur_ms;
    for (i = 0; i < sc->np; i++) {
        part_t *pt = &sc->p[i];

        pt->rate = base * unif(0.5, 1.5);
        pt->cap =
            pt->rate * (k == K_MARGINAL ? unif(1.1, 1.4) : unif(1.5, 5.0));
        pt->cap_late = pt->cap;
        pt->latency = unif(0.05, 2.0);
        pt->head = 1000000 + (int64_t)irand(0, 100000);
        pt->pos = pt->head;
        pt->affected = 0;
        add_truth(pt, 0, TR_OK);
    }
    /* which partitions an event touches: all for group-wide events */
    for (i = 0; i < sc->np; i++) {
        sc->p[i].affected = k == K_STOP || k == K_PAUSE || k == K_IDLE ||
                            k == K_BACKLOG || irand(0, 1);
        naff += sc->p[i].affected;
    }
    if (naff == 0) sc->p[irand(0, sc->np - 1)].affected = 1;
    switch (k) {
    case K_BURST:
        sc->burst_ms = sc->ev_ms;
        sc->burst_len_ms = 1000LL * irand(1, 10);
        sc->burst_msgs = unif(20, 120); /* seconds of production */
        break;
    case K_IDLE:
        sc->ev_end_ms = sc->ev_ms + 1000LL * irand(60, 400);
        break;
    case K_BACKLOG:
        for (i = 0; i < sc->np; i++) {
            part_t *pt = &sc->p[i];

            pt->cap = pt->rate * unif(1.3, 3.0);
            pt->pos = pt->head - (int64_t)(pt->rate * unif(60, 600));
        }
        break;
    case K_REWIND:
        sc->rewind_s = unif(30, 300);
        for (i = 0; i < sc->np; i++)
            sc->p[i].cap = sc->p[i].rate * unif(2.0, 5.0);
        break;
    case K_PAUSE:
        sc->npause = irand(1, 3);
        for (i = 0; i < sc->npause; i++) {
            sc->pause_at[i] = (int64_t)(unif(0.15 + 0.28 * i, 0.4 + 0.28 * i) *
                                        (double)dur_ms) /
                              STEP_MS * STEP_MS;
            /* shorter than the 9 commit intervals a window spans */
            sc->pause_len[i] =
                (int64_t)(unif(2.0, 6.0) * (double)sc->commit_ms) / STEP_MS *
                STEP_MS;
        }
        break;
    case K_FALLING:
        for (i = 0; i < sc->np; i++) {
            part_t *pt = &sc->p[i];
            double f, d, need;

            if (!pt->affected) continue;
            f = unif(0.2, 0.8);
            pt->cap_late = pt->rate * f;
            d = pt->rate - pt->cap_late;
            need = 9.0 * pt->rate / (d * d) * 1000.0;
            add_truth(pt, sc->ev_ms, TR_GRACE);
            if (need < (double)sc->w_ms) need = (double)sc->w_ms;
            if (sc->ev_ms + (int64_t)need < dur_ms)
                add_truth(pt, sc->ev_ms + (int64_t)need, TR_WARN);
        }
        break;
    case K_STALL:
    case K_STOP:
        if (irand(0, 1)) sc->ev_end_ms = sc->ev_ms + 1000LL * irand(120, 400);
        if (sc->ev_end_ms > dur_ms) sc->ev_end_ms = dur_ms;
        for (i = 0; i < sc->np; i++) {
            part_t *pt = &sc->p[i];

            if (!pt->affected) continue;
            add_truth(pt, sc->ev_ms, TR_GRACE);
            if (sc->ev_ms + sc->w_ms < sc->ev_end_ms)
                add_truth(pt, sc->ev_ms + sc->w_ms, TR_ERR);
            if (sc->ev_end_ms < dur_ms) {
                add_truth(pt, sc->ev_end_ms, TR_GRACE);
                if (sc->ev_end_ms + sc->w_ms < dur_ms)
                    add_truth(pt, sc->ev_end_ms + sc->w_ms, TR_OK);
            }
        }
        break;
    default:
        break;
    }
}

static int paused(const scen_t *sc, int64_t t) {
    int i;

    if (sc->kind == K_STOP && t >= sc->ev_ms && t < sc->ev_end_ms) return 1;
    for (i = 0; i < sc->npause; i++)
        if (t >= sc->pause_at[i] && t < sc->pause_at[i] + sc->pause_len[i])
            return 1;
    return 0;
}

static void run(const scen_t *sc0, int idx, FILE *f) {
    static int64_t hist[MAXP][HIST];
    scen_t s = *sc0, *sc = &s;
    int64_t t, next_commit = 0, next_head = 0, step = 0;
    int i;

    fprintf(f,
            "{\"type\":\"config\",\"intervals\":%d,\"scenario\":\"%s\","
            "\"index\":%d,\"partitions\":%d,\"commit_ms\":%lld,"
            "\"refresh_ms\":%lld,\"window_ms\":%lld,\"rate\":%.3f}\n",
            INTERVALS, kind_names[sc->kind], idx, sc->np,
            (long long)sc->commit_ms, (long long)sc->refresh_ms,
            (long long)sc->w_ms, sc->p[0].rate);
    for (i = 0; i < sc->np; i++) {
        sc->p[i].hist = hist[i];
        for (int64_t k = 0; k < HIST; k++)
            hist[i][k] = sc->p[i].head;
    }
    for (t = 0; t <= sc->dur_ms; t += STEP_MS, step++) {
        int pz = paused(sc, t);

        /* producers */
        for (i = 0; i < sc->np; i++) {
            part_t *pt = &sc->p[i];
            double mean = pt->rate * STEP_MS / 1000.0;

            if (sc->kind == K_IDLE && t >= sc->ev_ms && t < sc->ev_end_ms)
                mean = 0;
            if (sc->kind == K_BURST && pt->affected && t >= sc->burst_ms &&
                t < sc->burst_ms + sc->burst_len_ms)
                mean += pt->rate * sc->burst_msgs * STEP_MS /
                        (double)sc->burst_len_ms;
            pt->head += poisson(mean);
            pt->hist[step & (HIST - 1)] = pt->head;
        }
        /* consumer */
        for (i = 0; i < sc->np; i++) {
            part_t *pt = &sc->p[i];
            int64_t lat_steps = (int64_t)(pt->latency * 1000 / STEP_MS);
            int64_t avail, done;
            double cap = pt->cap;

            if (sc->kind == K_REWIND && t == sc->ev_ms && pt->affected) {
                pt->pos -= (int64_t)(pt->rate * sc->rewind_s);
                if (pt->pos < 0) pt->pos = 0;
            }
            if (sc->kind == K_FALLING && pt->affected && t >= sc->ev_ms)
                cap = pt->cap_late;
            if (pz || (sc->kind == K_STALL && pt->affected && t >= sc->ev_ms &&
                       t < sc->ev_end_ms))
                continue;
            avail =
                (step >= lat_steps ? pt->hist[(step - lat_steps) & (HIST - 1)]
                                   : pt->hist[0]) -
                pt->pos;
            pt->credit += cap * STEP_MS / 1000.0 * unif(0.7, 1.3);
            done = (int64_t)pt->credit;
            if (done > avail) done = avail > 0 ? avail : 0;
            pt->credit -= (double)done;
            if (pt->credit > 1.0) pt->credit = 1.0; /* no banking while idle */
            pt->pos += done;
        }
        /* truth lines */
        for (i = 0; i < sc->np; i++) {
            part_t *pt = &sc->p[i];

            while (pt->next_tr < pt->ntr && pt->tr_t[pt->next_tr] <= t) {
                fprintf(f,
                        "{\"type\":\"truth\",\"t\":%lld,\"group\":\"g\","
                        "\"topic\":\"t\",\"partition\":%d,\"status\":\"%s\"}"
                        "\n",
                        (long long)(T0 + t), i,
                        truth_names[pt->tr_s[pt->next_tr]]);
                pt->next_tr++;
            }
        }
        /* the monitor: heads, then commits of the same instant */
        if (t >= next_head) {
            for (i = 0; i < sc->np; i++)
                fprintf(f,
                        "{\"type\":\"head\",\"t\":%lld,\"topic\":\"t\","
                        "\"partition\":%d,\"offset\":%lld,"
                        "\"partitions\":%d}\n",
                        (long long)(T0 + t), i, (long long)sc->p[i].head,
                        sc->np);
            next_head += sc->refresh_ms;
        }
        if (t >= next_commit) {
            if (!pz)
                for (i = 0; i < sc->np; i++)
                    fprintf(f,
                            "{\"type\":\"commit\",\"t\":%lld,\"group\":\"g\","
                            "\"topic\":\"t\",\"partition\":%d,\"offset\":"
                            "%lld}\n",
                            (long long)(T0 + t), i, (long long)sc->p[i].pos);
            next_commit += (int64_t)(unif(0.9, 1.1) * (double)sc->commit_ms) /
                           STEP_MS * STEP_MS;
        }
    }
}

int main(int argc, char **argv) {
    unsigned long long seed;
    int n = argc > 3 ? atoi(argv[3]) : 200, i;
    int64_t dur = argc > 4 ? 1000LL * atoll(argv[4]) : 900000;
    char path[4096];

    if (argc < 3 || n <= 0 || dur <= 0) {
        fprintf(stderr,
                "usage: verdict_sim SEED DIR [SCENARIOS [DURATION_S]]\n");
        return 2;
    }
    seed = strtoull(argv[1], NULL, 10);
    if (mkdir(argv[2], 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "verdict_sim: %s: %s\n", argv[2], strerror(errno));
        return 2;
    }
    for (i = 0; i < n; i++) {
        scen_t sc;
        FILE *f;

        /* each scenario has its own stream: adding scenarios keeps the
         * earlier ones */
        rng_state = (seed * 0x9E3779B97F4A7C15ULL) ^
                    (uint64_t)(i + 1) * 0xD1B54A32D192ED03ULL;
        if (rng_state == 0) rng_state = 1;
        script(&sc, i % K__COUNT, dur);
        snprintf(path, sizeof(path), "%s/%03d-%s.jsonl", argv[2], i,
                 kind_names[sc.kind]);
        f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "verdict_sim: %s: %s\n", path, strerror(errno));
            return 2;
        }
        run(&sc, i, f);
        if (fclose(f) != 0) {
            fprintf(stderr, "verdict_sim: %s: write failed\n", path);
            return 2;
        }
    }
    return 0;
}
