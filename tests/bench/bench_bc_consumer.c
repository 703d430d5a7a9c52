/* SPDX-License-Identifier: Apache-2.0 */
/* bench_bc_consumer: consumer throughput, commit rates and rebalance time
 * of the embedded broker core's group layer.
 *
 * - consume: a topic of 4 partitions is filled first (100-byte and
 *   1 KiB values, batches of 1000 records, OS page cache), then one
 *   group-managed consumer (auto-commit off) polls it to the end; the
 *   figure is records and value bytes per second of wall time, join
 *   included. Median of 3 runs, each with a fresh group.
 * - commits: commit_sync of one partition in a loop for 1 s; commit_async
 *   the same, callbacks delivered by poll(); commits per second (each is
 *   one record appended to __consumer_offsets, OS flushing).
 * - rebalance: 10 consumers, each polling on its own thread, over a
 *   topic of 100 partitions. "formation" is from the subscribes until all
 *   10 hold 10 partitions; "member leaves" is from one close() until the 9
 *   others hold all 100. With Kafka's heartbeat.interval.ms (3000) the
 *   others learn of a rebalance at their next heartbeat, which dominates;
 *   the 10 ms-heartbeat line shows the protocol's own cost.
 * Prints a table: figure, measured value, target.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_consumer.h"
#include "broker-core/bc_coord.h"
#include "broker-core/bc_offsets.h"

#define NOW 1700000000000LL

static double now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int32_t parts_cb(void *opaque, const char *topic) {
    int32_t n = bc_broker_partitions(opaque, topic);

    return n < 0 ? -1 : n;
}

typedef struct env_s {
    char dir[128];
    bc_broker_t *b;
    bc_coord_t *coord;
    bc_offsets_t *off;
} env_t;

static void die(const char *what, const char *err) {
    fprintf(stderr, "bench_bc_consumer: %s: %s\n", what, err);
    exit(1);
}

static void env_open(env_t *e) {
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bc_coord_conf_t cconf = {0};
    char err[256];
    int code;
    const char *tmp = getenv("TMPDIR");

    snprintf(e->dir, sizeof(e->dir), "%s/bench_bc_consumer_XXXXXX",
             tmp ? tmp : "/tmp");
    if (!mkdtemp(e->dir)) die("mkdtemp", e->dir);
    bconf.create_if_missing = 1;
    e->b = bc_broker_open(e->dir, &bconf, NOW, &code, err, sizeof(err));
    if (!e->b) die("broker", err);
    cconf.partitions_cb = parts_cb;
    cconf.opaque = e->b;
    e->coord = bc_coord_new(&cconf, err, sizeof(err));
    e->off = bc_offsets_open(e->b, NULL, NOW, NULL, err, sizeof(err));
    if (!e->coord || !e->off) die("coordinator/offsets", err);
}

static void env_close(env_t *e) {
    bc_offsets_close(e->off);
    bc_coord_destroy(e->coord);
    bc_broker_close(e->b);
    nftw(e->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void fill(env_t *e, const char *topic, int parts, long per_part,
                 size_t vsize) {
    enum { BATCH = 1000 };
    bc_record_in_t *recs = calloc(BATCH, sizeof(*recs));
    char *val = malloc(vsize);
    char err[256];

    memset(val, 'x', vsize);
    if (bc_broker_create_topic(e->b, topic, parts, NULL, NOW, err, sizeof(err)))
        die("create topic", err);
    for (int i = 0; i < BATCH; i++)
        recs[i] = (bc_record_in_t){NULL, -1, val, (int32_t)vsize, NOW, NULL, 0};
    for (int p = 0; p < parts; p++)
        for (long done = 0; done < per_part; done += BATCH)
            if (bc_broker_append(
                    e->b, topic, p, recs,
                    (size_t)(per_part - done < BATCH ? per_part - done : BATCH),
                    0, NOW, NULL, err, sizeof(err)))
                die("append", err);
    free(recs);
    free(val);
}

static bc_consumer_t *mk_consumer(env_t *e, const char *group, int hb_ms) {
    bc_consumer_conf_t conf = bc_consumer_conf_default();
    char err[256];
    bc_consumer_t *c;

    conf.group_id = group;
    conf.enable_auto_commit = 0;
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    if (hb_ms) conf.heartbeat_interval_ms = hb_ms;
    c = bc_consumer_new(&conf, e->b, e->coord, e->off, err, sizeof(err));
    if (!c) die("consumer", err);
    return c;
}

static void subscribe(bc_consumer_t *c, const char *topic) {
    const char *t[] = {topic};
    char err[256];

    if (bc_consumer_subscribe(c, t, 1, err, sizeof(err))) die("subscribe", err);
}

/* Consumes `total` records of topic; returns seconds. */
static double consume_all(env_t *e, const char *topic, const char *group,
                          long total, size_t *bytes) {
    bc_consumer_t *c = mk_consumer(e, group, 0);
    long got = 0;
    char err[256];
    double t0 = now_s(), dt;

    *bytes = 0;
    subscribe(c, topic);
    while (got < total) {
        bc_consumer_records_t *r = NULL;

        if (bc_consumer_poll(c, 100, &r, err, sizeof(err))) die("poll", err);
        if (!r) continue;
        got += (long)r->cnt;
        for (size_t i = 0; i < r->cnt; i++)
            *bytes += (size_t)r->recs[i].value_len;
        bc_consumer_records_free(r);
    }
    dt = now_s() - t0;
    bc_consumer_destroy(c);
    return dt;
}

static void row(const char *figure, const char *value, const char *target) {
    printf("%-50s %20s   %s\n", figure, value, target);
}

static void bench_consume(size_t vsize, long per_part, const char *label) {
    env_t e;
    double t[3], rps[3], mbs[3];
    char fig[96], val[64];
    long total = per_part * 4;

    env_open(&e);
    fill(&e, "t", 4, per_part, vsize);
    for (int i = 0; i < 3; i++) {
        char group[16];
        size_t bytes;

        snprintf(group, sizeof(group), "g%d", i);
        t[i] = consume_all(&e, "t", group, total, &bytes);
        rps[i] = (double)total / t[i];
        mbs[i] = (double)bytes / t[i] / 1e6;
    }
    qsort(rps, 3, sizeof(double), cmp_d);
    qsort(mbs, 3, sizeof(double), cmp_d);
    snprintf(fig, sizeof(fig), "consume %s records (records/s)", label);
    snprintf(val, sizeof(val), "%.0f", rps[1]);
    row(fig, val, vsize <= 100 ? ">= 1000000" : ">= 200000");
    snprintf(fig, sizeof(fig), "consume %s records (MB/s of values)", label);
    snprintf(val, sizeof(val), "%.1f", mbs[1]);
    row(fig, val, vsize <= 100 ? ">= 100" : ">= 200");
    env_close(&e);
}

typedef struct acount_s {
    long done, failed;
} acount_t;

static void on_async(bc_consumer_t *c, int err, const bc_consumer_offset_t *o,
                     size_t n, void *opaque) {
    acount_t *a = opaque;

    (void)c;
    (void)o;
    (void)n;
    a->done++;
    if (err) a->failed++;
}

static void bench_commits(void) {
    env_t e;
    bc_consumer_t *c;
    bc_consumer_offset_t o = {"t", 0, 0};
    acount_t a = {0, 0};
    char err[256], val[64];
    long n = 0;
    double t0, dt;

    env_open(&e);
    fill(&e, "t", 1, 10, 100);
    c = mk_consumer(&e, "committer", 0);
    subscribe(c, "t");
    while (1) { /* join */
        size_t k;

        free(bc_consumer_assignment(c, &k));
        if (k) break;
        bc_consumer_records_t *r = NULL;
        bc_consumer_poll(c, 50, &r, err, sizeof(err));
        bc_consumer_records_free(r);
    }
    t0 = now_s();
    while ((dt = now_s() - t0) < 1.0) {
        o.offset = ++n;
        if (bc_consumer_commit_sync(c, &o, 1, err, sizeof(err)))
            die("commit_sync", err);
    }
    snprintf(val, sizeof(val), "%.0f", (double)n / dt);
    row("commit_sync, 1 partition (commits/s)", val, ">= 10000");

    n = 0;
    t0 = now_s();
    while ((dt = now_s() - t0) < 1.0) {
        for (int i = 0; i < 100; i++) {
            o.offset = ++n + 1000000;
            bc_consumer_commit_async(c, &o, 1, on_async, &a);
        }
        if (n % 10000 == 0) {
            bc_consumer_records_t *r = NULL;

            bc_consumer_poll(c, 0, &r, err, sizeof(err));
            bc_consumer_records_free(r);
        }
    }
    while (a.done < n) {
        bc_consumer_records_t *r = NULL;

        bc_consumer_poll(c, 10, &r, err, sizeof(err));
        bc_consumer_records_free(r);
    }
    dt = now_s() - t0;
    snprintf(val, sizeof(val), "%.0f (%ld failed)", (double)n / dt, a.failed);
    row("commit_async, 1 partition (commits/s)", val, ">= 10000");
    bc_consumer_destroy(c);
    env_close(&e);
}

#define NCONS 10

typedef struct member_s {
    bc_consumer_t *c;
    pthread_t th;
    atomic_int stop;
} member_t;

static void *member_loop(void *arg) {
    member_t *m = arg;
    char err[256];

    while (!atomic_load(&m->stop)) {
        bc_consumer_records_t *r = NULL;

        bc_consumer_poll(m->c, 20, &r, err, sizeof(err));
        bc_consumer_records_free(r);
    }
    return NULL;
}

static size_t held(bc_consumer_t *c) {
    size_t n;

    free(bc_consumer_assignment(c, &n));
    return n;
}

/* Waits until the live members hold 100 partitions between them, each
 * the same share +-1; returns seconds since t0. */
static double until_balanced(member_t *m, int from, double t0) {
    for (;;) {
        size_t total = 0, lo = 1000, hi = 0;

        for (int i = from; i < NCONS; i++) {
            size_t n = held(m[i].c);

            total += n;
            lo = n < lo ? n : lo;
            hi = n > hi ? n : hi;
        }
        if (total == 100 && hi - lo <= 1) return now_s() - t0;
        if (now_s() - t0 > 60) die("rebalance", "did not settle within 60 s");
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
}

static void bench_rebalance(int hb_ms) {
    env_t e;
    member_t m[NCONS];
    char group[16], fig[96], val[64], target[64];
    double t0, form, leave;

    env_open(&e);
    fill(&e, "t100", 100, 0, 100);
    snprintf(group, sizeof(group), "rb%d", hb_ms);
    t0 = now_s();
    for (int i = 0; i < NCONS; i++) {
        m[i].c = mk_consumer(&e, group, hb_ms);
        atomic_store(&m[i].stop, 0);
        subscribe(m[i].c, "t100");
        pthread_create(&m[i].th, NULL, member_loop, &m[i]);
    }
    form = until_balanced(m, 0, t0);
    atomic_store(&m[0].stop, 1);
    pthread_join(m[0].th, NULL);
    t0 = now_s();
    bc_consumer_close(m[0].c, NULL, 0);
    leave = until_balanced(m, 1, t0);
    snprintf(fig, sizeof(fig),
             "rebalance formation, 100 parts/10 cons, hb %d ms", hb_ms);
    snprintf(val, sizeof(val), "%.0f ms", form * 1000);
    snprintf(target, sizeof(target), "<= %d ms", hb_ms + 500);
    row(fig, val, target);
    snprintf(fig, sizeof(fig), "rebalance member leaves, hb %d ms", hb_ms);
    snprintf(val, sizeof(val), "%.0f ms", leave * 1000);
    snprintf(target, sizeof(target), "<= %d ms", hb_ms + 200);
    row(fig, val, target);
    for (int i = 0; i < NCONS; i++) {
        atomic_store(&m[i].stop, 1);
        if (i) pthread_join(m[i].th, NULL);
        bc_consumer_destroy(m[i].c);
    }
    env_close(&e);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;

    printf("%-50s %20s   %s\n", "figure", "measured", "target");
    if (!only || !strcmp(only, "consume")) {
        bench_consume(100, 500000, "100 B");
        bench_consume(1024, 100000, "1 KiB");
    }
    if (!only || !strcmp(only, "commit")) bench_commits();
    if (!only || !strcmp(only, "rebalance")) {
        bench_rebalance(10);
        bench_rebalance(3000);
    }
    return 0;
}
