/* SPDX-License-Identifier: Apache-2.0 */
/* bench_kafka_wire: the embedded broker over Kafka's wire protocol, driven
 * by librdkafka, beside the in-process figures of the same run.
 *
 * Every figure is the median of BENCH_WIRE_ROUNDS rounds (5) of
 * BENCH_WIRE_MB MiB (128); BENCH_WIRE_ONLY=produce skips the others,
 * BENCH_WIRE_ONLY=rebalance runs only the rebalance. Each round's
 * figures also go to stderr.
 *
 *   produce   1 KiB records, linger.ms 5, acks=1, one and eight partitions:
 *             MB/s over the wire vs bc_producer in-process (same broker,
 *             same record size, acks=1, linger 5 ms, ~1 MB batches)
 *   fetch     a consumer reading a partition from the beginning: MB/s with the
 *             record bytes sent by sendfile(2) vs read and copied
 *   commit    synchronous OffsetCommit round trips per second
 *   rebalance 8 members subscribing at once to 64 partitions: time until
 *             every member holds partitions and all 64 are owned
 *
 * Beside MB/s, the produce rows give the CPU time of the whole process
 * (broker loop, client threads, the producing thread) per MB: unlike
 * MB/s it hardly depends on how many other programs share the cores.
 *
 * Everything runs on one machine (2 cores shared): figures, not targets.
 */
#include <ftw.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_kserver.h"
#include "broker-core/bc_offsets.h"
#include "broker-core/bc_producer.h"

#define REC 1024

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of every thread of the process (the broker's loop, the
 * client's threads, this one). */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU ms per MB of the last produce measured. */
static double last_cpu_ms_per_mb;

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int rm_cb(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void quiet(void *opaque, const char *line) {
    (void)opaque;
    (void)line;
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s=%s: %s\n", k, v, err);
        exit(1);
    }
}

static atomic_long delivered;
static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (!m->err) atomic_fetch_add(&delivered, 1);
}

/* MB/s of values produced by librdkafka to `topic`. */
static double wire_produce(const char *addr, const char *topic, long n) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", addr);
    set(c, "linger.ms", "5");
    set(c, "acks", "1");
    set(c, "queue.buffering.max.kbytes", "262144");
    rd_kafka_conf_set_dr_msg_cb(c, dr);
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    static char val[REC];
    memset(val, 'x', sizeof(val));
    /* Warm up: the topic's metadata and a connection, by one record to
     * every partition, delivered before the clock starts. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    int parts = 1;
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == 0 && md->topic_cnt == 1)
        parts = md->topics[0].partition_cnt;
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    for (int p = 0; p < parts; p++)
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                          RD_KAFKA_V_VALUE(val, sizeof(val)), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 10000);
    atomic_store(&delivered, 0);
    double t0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < n;) {
        char key[16];
        int kl = snprintf(key, sizeof(key), "%ld", i);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)kl),
            RD_KAFKA_V_VALUE(val, sizeof(val)), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 1);
            continue;
        }
        i++;
    }
    rd_kafka_flush(rk, 60000);
    double dt = now_s() - t0;
    long ok = atomic_load(&delivered);
    last_cpu_ms_per_mb = (cpu_s() - c0) * 1e3 / ((double)ok * REC / 1e6);
    rd_kafka_destroy(rk);
    if (ok != n) fprintf(stderr, "produce: %ld of %ld delivered\n", ok, n);
    return (double)ok * REC / dt / 1e6;
}

/* MB/s of values produced in-process by bc_producer (linger 5 ms). With
 * acks=1 a send returns once its record is appended, so one thread makes
 * one append per record; with acks=0 records fill batches (16 KiB, Kafka's
 * batch.size) like an asynchronous client's. */
static double local_produce(bc_broker_t *b, const char *topic, long n,
                            int acks) {
    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = acks;
    pc.linger_ms = 5;
    char err[256];
    bc_producer_t *p = bc_producer_new(b, &pc, err, sizeof(err));
    static char val[REC];
    memset(val, 'x', sizeof(val));
    double t0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < n; i++) {
        char key[16];
        int kl = snprintf(key, sizeof(key), "%ld", i);
        bc_record_in_t r = {key, kl, val, REC, -1, NULL, 0};
        bc_producer_send(p, topic, -1, &r, wall_ms(), NULL, NULL, err,
                         sizeof(err));
    }
    bc_producer_flush(p, wall_ms() + 1000, err, sizeof(err));
    bc_producer_destroy(p);
    last_cpu_ms_per_mb = (cpu_s() - c0) * 1e3 / ((double)n * REC / 1e6);
    return (double)n * REC / (now_s() - t0) / 1e6;
}

static rd_kafka_t *consumer(const char *addr, const char *group) {
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", addr);
    set(c, "group.id", group);
    set(c, "enable.auto.commit", "false");
    set(c, "auto.offset.reset", "earliest");
    set(c, "fetch.max.bytes", "52428800");
    set(c, "max.partition.fetch.bytes", "4194304");
    set(c, "queued.max.messages.kbytes", "262144");
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* MB/s of values fetched from the beginning of topic partition 0. */
static double wire_fetch(const char *addr, const char *topic, long n) {
    rd_kafka_t *rk = consumer(addr, "bench-fetch");
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    long got = 0;
    double bytes = 0, t0 = now_s();
    while (got < n && now_s() - t0 < 120) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        if (!m->err) {
            got++;
            bytes += (double)m->len;
        }
        rd_kafka_message_destroy(m);
    }
    double dt = now_s() - t0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return bytes / dt / 1e6;
}

/* Synchronous OffsetCommit round trips per second (manual assignment). */
static double commits(const char *addr, const char *topic, int n) {
    rd_kafka_t *rk = consumer(addr, "bench-commit");
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, 0)->offset = i + 1;
        rd_kafka_commit(rk, l, 0);
        rd_kafka_topic_partition_list_destroy(l);
    }
    double r = n / (now_s() - t0);
    rd_kafka_destroy(rk);
    return r;
}

typedef struct member_s {
    const char *addr;
    int round;
    atomic_int owned;
    atomic_int *stop;
} member_t;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    member_t *m = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        atomic_store(&m->owned, parts->cnt);
    } else {
        rd_kafka_assign(rk, NULL);
        atomic_store(&m->owned, 0);
    }
}

static void *member_run(void *arg) {
    member_t *m = arg;
    char group[32];
    snprintf(group, sizeof(group), "bench-rebalance-%d", m->round);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", m->addr);
    set(c, "group.id", group);
    set(c, "heartbeat.interval.ms", "100");
    rd_kafka_conf_set_rebalance_cb(c, rebalance_cb);
    rd_kafka_conf_set_opaque(c, m);
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, "rb64", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    while (!atomic_load(m->stop)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 20);
        if (msg) rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return NULL;
}

static double rebalance(const char *addr, int round) {
    enum { M = 8 };
    member_t ms[M];
    pthread_t th[M];
    atomic_int stop = 0;
    double t0 = now_s(), done = -1;
    for (int i = 0; i < M; i++) {
        ms[i].addr = addr;
        ms[i].round = round;
        atomic_store(&ms[i].owned, 0);
        ms[i].stop = &stop;
        pthread_create(&th[i], NULL, member_run, &ms[i]);
    }
    while (now_s() - t0 < 120) {
        int total = 0, all = 1;
        for (int i = 0; i < M; i++) {
            int o = atomic_load(&ms[i].owned);
            total += o;
            all &= o > 0;
        }
        if (all && total == 64) {
            done = now_s() - t0;
            break;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < M; i++)
        pthread_join(th[i], NULL);
    return done;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long env_long(const char *name, long def) {
    const char *s = getenv(name);
    return s && *s ? strtol(s, NULL, 10) : def;
}

/* Creates `name` anew (deleted first), so a round starts empty. */
static void fresh_topic(bc_broker_t *b, const char *name, int32_t parts) {
    char err[256];
    bc_broker_delete_topic(b, name, err, sizeof(err));
    if (bc_broker_create_topic(b, name, parts, NULL, wall_ms(), err,
                               sizeof(err)) != 0) {
        fprintf(stderr, "bench_kafka_wire: %s\n", err);
        exit(1);
    }
}

#define MAX_ROUNDS 15

int main(void) {
    char dir[] = "/tmp/warren-bench-wire-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char err[512];
    int rounds = (int)env_long("BENCH_WIRE_ROUNDS", 5);
    long mb = env_long("BENCH_WIRE_MB", 128);
    /* "produce": no other figures; "wire": the wire produce alone */
    const char *only = getenv("BENCH_WIRE_ONLY");
    int wire_only = only && strcmp(only, "wire") == 0;
    int rebalance_only = only && strcmp(only, "rebalance") == 0;
    if (rounds < 1) rounds = 1;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bc_broker_t *b =
        bc_broker_open(dir, &bconf, wall_ms(), NULL, err, sizeof(err));
    bc_offsets_t *off =
        b ? bc_offsets_open(b, NULL, wall_ms(), NULL, err, sizeof(err)) : NULL;
    if (!off) {
        fprintf(stderr, "bench_kafka_wire: %s\n", err);
        return 1;
    }
    bc_kserver_conf_t kc = bc_kserver_conf_default();
    kc.listen = "127.0.0.1:0";
    kc.broker = b;
    kc.offsets = off;
    kc.log_fn = quiet;
    bc_kserver_t *zc = bc_kserver_start(&kc, err, sizeof(err));
    kc.fetch_copy = 1;
    bc_kserver_t *cp = zc ? bc_kserver_start(&kc, err, sizeof(err)) : NULL;
    if (!cp) {
        fprintf(stderr, "bench_kafka_wire: %s\n", err);
        return 1;
    }
    char zaddr[300], caddr[300];
    snprintf(zaddr, sizeof(zaddr), "%s", bc_kserver_address(zc));
    snprintf(caddr, sizeof(caddr), "%s", bc_kserver_address(cp));
    long n = mb * 1024 * 1024 / REC;

    /* Each round measures the in-process figures and the wire right
     * after them, so a ratio compares runs under the same load; the
     * table gives medians over the rounds (the ratio column: median of
     * the per-round ratios). */
    double w1[MAX_ROUNDS], l1[MAX_ROUNDS], a1[MAX_ROUNDS], r1[MAX_ROUNDS];
    double w8[MAX_ROUNDS], l8[MAX_ROUNDS], a8[MAX_ROUNDS], r8[MAX_ROUNDS];
    double cw1[MAX_ROUNDS], cl1[MAX_ROUNDS], cw8[MAX_ROUNDS], cl8[MAX_ROUNDS];
    for (int i = 0; i < rounds && !rebalance_only; i++) {
        fresh_topic(b, "l1", 1);
        fresh_topic(b, "w1", 1);
        fresh_topic(b, "l8", 8);
        fresh_topic(b, "w8", 8);
        l1[i] = wire_only ? 1 : local_produce(b, "l1", n, 0);
        cl1[i] = wire_only ? 0 : last_cpu_ms_per_mb;
        w1[i] = wire_produce(zaddr, "w1", n);
        cw1[i] = last_cpu_ms_per_mb;
        fresh_topic(b, "l1", 1);
        a1[i] = wire_only ? 1 : local_produce(b, "l1", n / 4, 1);
        l8[i] = wire_only ? 1 : local_produce(b, "l8", n, 0);
        cl8[i] = wire_only ? 0 : last_cpu_ms_per_mb;
        w8[i] = wire_produce(zaddr, "w8", n);
        cw8[i] = last_cpu_ms_per_mb;
        fresh_topic(b, "l8", 8);
        a8[i] = wire_only ? 1 : local_produce(b, "l8", n / 4, 1);
        r1[i] = w1[i] / l1[i];
        r8[i] = w8[i] / l8[i];
        fprintf(stderr,
                "round %d: 1 part wire %.0f in-proc %.0f MB/s, 8 parts wire "
                "%.0f in-proc %.0f MB/s\n",
                i, w1[i], l1[i], w8[i], l8[i]);
    }
    if (rebalance_only) {
        double rb[MAX_ROUNDS];
        bc_broker_create_topic(b, "rb64", 64, NULL, wall_ms(), err,
                               sizeof(err));
        for (int i = 0; i < rounds; i++) {
            rb[i] = rebalance(zaddr, i);
            fprintf(stderr, "round %d: rebalance %.3f s\n", i, rb[i]);
        }
        printf("%-50s %8.2f\n", "rebalance 8 members x 64 partitions (s)",
               median(rb, rounds));
        only = "rebalance";
        goto out;
    }
    printf("%d rounds of %ld MiB, medians\n", rounds, mb);
    printf("%-50s %8s %8s %7s %8s\n", "figure", "wire", "in-proc", "ratio",
           "acks=1");
    printf("%-50s %8.0f %8.0f %6.0f%% %8.0f\n",
           "produce 1 KiB, linger 5 ms, acks=1, 1 part MB/s",
           median(w1, rounds), median(l1, rounds), 100 * median(r1, rounds),
           median(a1, rounds));
    printf("%-50s %8.0f %8.0f %6.0f%% %8.0f\n",
           "produce 1 KiB, linger 5 ms, acks=1, 8 parts MB/s",
           median(w8, rounds), median(l8, rounds), 100 * median(r8, rounds),
           median(a8, rounds));
    printf("%-50s %8.2f %8.2f\n", "  CPU ms per MB, 1 part (all threads)",
           median(cw1, rounds), median(cl1, rounds));
    printf("%-50s %8.2f %8.2f\n", "  CPU ms per MB, 8 parts (all threads)",
           median(cw8, rounds), median(cl8, rounds));
    printf("  (in-proc: bc_producer batching with acks=0; last column: its "
           "acks=1, one append per send)\n");
    if (!only) {
        double fz[MAX_ROUNDS], fc[MAX_ROUNDS], fr[MAX_ROUNDS], cm[MAX_ROUNDS],
            rb[MAX_ROUNDS];
        for (int i = 0; i < rounds; i++) {
            fz[i] = wire_fetch(zaddr, "w1", n);
            fc[i] = wire_fetch(caddr, "w1", n);
            fr[i] = fc[i] / fz[i];
            cm[i] = commits(zaddr, "w1", 2000);
        }
        printf("%-50s %8.0f\n", "fetch 1 part from the start, sendfile MB/s",
               median(fz, rounds));
        printf("%-50s %8.0f %8s %6.0f%%\n",
               "fetch 1 part from the start, pread+copy MB/s",
               median(fc, rounds), "", 100 * median(fr, rounds));
        printf("%-50s %8.0f\n", "sync commit round trips/s",
               median(cm, rounds));
        bc_broker_create_topic(b, "rb64", 64, NULL, wall_ms(), err,
                               sizeof(err));
        for (int i = 0; i < rounds; i++)
            rb[i] = rebalance(zaddr, i);
        printf("%-50s %8.2f\n", "rebalance 8 members x 64 partitions (s)",
               median(rb, rounds));
    }
out:
    bc_kserver_stop(cp);
    bc_kserver_stop(zc);
    bc_offsets_close(off);
    bc_broker_close(b);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
