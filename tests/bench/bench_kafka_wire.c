/* SPDX-License-Identifier: Apache-2.0 */
/* bench_kafka_wire: the embedded broker over Kafka's wire protocol, driven
 * by librdkafka, beside the in-process figures of the same run.
 *
 *   produce   1 KiB records, linger.ms 5, acks=1, one and eight partitions:
 *             MB/s over the wire vs bc_producer in-process (same broker,
 *             same record size, acks=1, linger 5 ms, ~1 MB batches)
 *   fetch     a consumer reading 256 MiB from the beginning: MB/s with the
 *             record bytes sent by sendfile(2) vs read and copied
 *   commit    synchronous OffsetCommit round trips per second
 *   rebalance 8 members subscribing at once to 64 partitions: time until
 *             every member holds partitions and all 64 are owned
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
#define PRODUCE_MB 256

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
    atomic_store(&delivered, 0);
    /* Warm up metadata. */
    const struct rd_kafka_metadata *md;
    rd_kafka_metadata(rk, 1, NULL, &md, 5000);
    rd_kafka_metadata_destroy(md);
    double t0 = now_s();
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
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        char key[16];
        int kl = snprintf(key, sizeof(key), "%ld", i);
        bc_record_in_t r = {key, kl, val, REC, -1, NULL, 0};
        bc_producer_send(p, topic, -1, &r, wall_ms(), NULL, NULL, err,
                         sizeof(err));
    }
    bc_producer_flush(p, wall_ms() + 1000, err, sizeof(err));
    bc_producer_destroy(p);
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
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", m->addr);
    set(c, "group.id", "bench-rebalance");
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

static double rebalance(const char *addr) {
    enum { M = 8 };
    member_t ms[M];
    pthread_t th[M];
    atomic_int stop = 0;
    double t0 = now_s(), done = -1;
    for (int i = 0; i < M; i++) {
        ms[i].addr = addr;
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

int main(void) {
    char dir[] = "/tmp/warren-bench-wire-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char err[512];
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
    bc_broker_create_topic(b, "w1", 1, NULL, wall_ms(), err, sizeof(err));
    bc_broker_create_topic(b, "w8", 8, NULL, wall_ms(), err, sizeof(err));
    bc_broker_create_topic(b, "l1", 1, NULL, wall_ms(), err, sizeof(err));
    bc_broker_create_topic(b, "l8", 8, NULL, wall_ms(), err, sizeof(err));
    bc_broker_create_topic(b, "rb64", 64, NULL, wall_ms(), err, sizeof(err));
    long n = (long)PRODUCE_MB * 1024 * 1024 / REC;

    double a1 = local_produce(b, "l1", n, 1);
    double l1 = local_produce(b, "l1", n, 0);
    double w1 = wire_produce(zaddr, "w1", n);
    double a8 = local_produce(b, "l8", n, 1);
    double l8 = local_produce(b, "l8", n, 0);
    double w8 = wire_produce(zaddr, "w8", n);
    printf("%-50s %8s %8s %7s %8s\n", "figure", "wire", "in-proc", "ratio",
           "acks=1");
    printf("%-50s %8.0f %8.0f %6.0f%% %8.0f\n",
           "produce 1 KiB, linger 5 ms, acks=1, 1 part MB/s", w1, l1,
           100 * w1 / l1, a1);
    printf("%-50s %8.0f %8.0f %6.0f%% %8.0f\n",
           "produce 1 KiB, linger 5 ms, acks=1, 8 parts MB/s", w8, l8,
           100 * w8 / l8, a8);
    printf("  (in-proc: bc_producer batching with acks=0; last column: its "
           "acks=1, one append per send)\n");
    double fz = wire_fetch(zaddr, "w1", n);
    double fc = wire_fetch(caddr, "w1", n);
    printf("%-50s %8.0f\n", "fetch 256 MiB, sendfile MB/s", fz);
    printf("%-50s %8.0f %8s %6.0f%%\n", "fetch 256 MiB, pread+copy MB/s", fc,
           "", 100 * fc / fz);
    printf("%-50s %8.0f\n", "sync commit round trips/s",
           commits(zaddr, "w1", 2000));
    printf("%-50s %8.2f\n", "rebalance 8 members x 64 partitions (s)",
           rebalance(zaddr));
    bc_kserver_stop(cp);
    bc_kserver_stop(zc);
    bc_offsets_close(off);
    bc_broker_close(b);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
