/* SPDX-License-Identifier: Apache-2.0 */
/* kafka_mock: a Kafka cluster for tests, built on librdkafka's mock
 * cluster, with producers and real consumer groups running against it.
 *
 * Usage: kafka_mock [--brokers N] [--stop-after SECONDS]
 *                   [--lifetime SECONDS] [--quiet]
 *
 * --quiet: no producers and no consumer groups, only the topics (and
 * what the commands write), ready at once.
 *
 * stdout, one line each (tests read them in this order):
 *   1  the bootstrap servers, "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"
 *   .. "topic NAME PARTITIONS leaders B,B,.." for every topic created
 *   .. "group NAME COORDINATOR behaviour" for every consumer group
 *      "ready" once every group has its assignment and has committed
 *   and then "ok <command>" (or "error <command>: why") per command.
 *
 * Topics: orders (3 partitions, leaders 1,2,1; 100 messages/s per
 * partition), audit (2 partitions, both led by broker 3; 10/s each),
 * ephemeral (1 partition, broker 2; 10/s), still (2 partitions, leaders
 * 1,2; 100 messages each at the start, none after) and __consumer_offsets
 * (4 partitions, leaders 1,2,1,2), to which the helper writes what a
 * Kafka group coordinator writes (offset commit key v1 / value v3 for each
 * commit, group metadata key v2 / value v3 on each assignment), because
 * the mock cluster keeps commits in memory only.
 *
 * Groups (all consume orders; each group's coordinator is the leader of
 * its __consumer_offsets partition, as in Kafka, so brokers 1 and 2):
 *   ok-group     keeps up, auto-commit every 100 ms          -> OK
 *   slow-group   consumes a quarter of production, auto-commit
 *                every 1 s                                   -> WARN
 *   fixed-group  commits offset 5 on every partition, 200 ms  -> ERR
 *   stop-group   keeps up, then closes after --stop-after s   -> ERR/STOP
 *
 * Commands on stdin: "down B" / "up B" (rd_kafka_mock_broker_set_down/up;
 * B = -1 for all), "leader TOPIC P B" (partition P's leadership moves to
 * broker B, as in a leader election: the old leader answers
 * NOT_LEADER_OR_FOLLOWER from then on), "delete TOPIC" (the topic answers
 * UNKNOWN_TOPIC_OR_PART from then on, as a deleted topic does),
 * "commit GROUP TOPIC PARTITION OFFSET" (one offset commit record, as a
 * coordinator writes it, stamped now; "ok" once it is in the log),
 * "fill TOPIC PARTITION MIB" (MIB MiB of 256 KiB records into that
 * partition; the mock cluster keeps 5 MiB of a partition's log and
 * drops its oldest message sets past that, moving the log start as
 * retention.bytes would; "ok" once all are acknowledged),
 * "tombstone GROUP" (writes offset tombstones for its orders partitions
 * and a group tombstone to __consumer_offsets), "crafted N" (hostile
 * records, as any client that can join a group or commit can have a
 * coordinator write: one group metadata record of group "crafted" whose
 * member's assignment lists 1000 topics, orders and audit among them,
 * each with partition 1048575, about 13 KB; and offset commits of N
 * groups "crafted-I" for orders partition 1048575; then a valid commit
 * of orders/0 on every __consumer_offsets partition by groups
 * "sentinel-I", which tell that a reader is past them all), "quit". End
 * of input
 * quits too, and so does the death of the parent process.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "broker-core/bc_clock.h"

#define OFFSETS_TOPIC "__consumer_offsets"
#define OFFSETS_PARTITIONS 4
#define ORDERS_PARTITIONS 3

enum behaviour { B_OK, B_SLOW, B_FIXED, B_STOP };

typedef struct mock_s mock_t;

typedef struct group_s {
    const char *name;
    const char *what;
    enum behaviour behaviour;
    int coordinator;
    mock_t *mock;
    rd_kafka_t *rk;
    pthread_t thread;
    atomic_bool assigned;
    atomic_bool committed;
    int64_t first_assign_ms;
} group_t;

struct mock_s {
    rd_kafka_t *mrk;
    rd_kafka_mock_cluster_t *mc;
    char bootstraps[512];
    rd_kafka_t *producer;
    atomic_bool stop;
    int stop_after_s;
    group_t groups[4];
    pthread_mutex_t out_lock;
};

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static void say(mock_t *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(mock_t *m, const char *fmt, ...) {
    va_list ap;
    pthread_mutex_lock(&m->out_lock);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&m->out_lock);
}

/* ---- __consumer_offsets records, as a group coordinator writes them ---- */

typedef struct wbuf_s {
    unsigned char b[16384];
    size_t n;
} wbuf_t;

static void w_put(wbuf_t *w, const void *p, size_t n) {
    if (w->n + n > sizeof(w->b)) abort();
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void w_i16(wbuf_t *w, int v) {
    unsigned char b[2] = {(unsigned char)((unsigned)v >> 8), (unsigned char)v};
    w_put(w, b, 2);
}
static void w_i32(wbuf_t *w, int32_t v) {
    uint32_t u = (uint32_t)v;
    unsigned char b[4] = {(unsigned char)(u >> 24), (unsigned char)(u >> 16),
                          (unsigned char)(u >> 8), (unsigned char)u};
    w_put(w, b, 4);
}
static void w_i64(wbuf_t *w, int64_t v) {
    w_i32(w, (int32_t)(uint32_t)((uint64_t)v >> 32));
    w_i32(w, (int32_t)(uint32_t)(uint64_t)v);
}
static void w_str(wbuf_t *w, const char *s) {
    if (!s) {
        w_i16(w, -1);
        return;
    }
    w_i16(w, (int)strlen(s));
    w_put(w, s, strlen(s));
}

/* Kafka's partitionFor: abs(String.hashCode) % partitions (ASCII ids). */
static int32_t partition_for(const char *group) {
    int32_t h = 0;
    for (const char *c = group; *c; c++)
        h = (int32_t)((uint32_t)h * 31u + (unsigned char)*c);
    if (h == INT32_MIN) h = 0;
    return (h < 0 ? -h : h) % OFFSETS_PARTITIONS;
}

static void write_record(mock_t *m, const char *group, const wbuf_t *key,
                         const wbuf_t *value) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        m->producer, RD_KAFKA_V_TOPIC(OFFSETS_TOPIC),
        RD_KAFKA_V_PARTITION(partition_for(group)),
        RD_KAFKA_V_KEY((void *)key->b, key->n),
        RD_KAFKA_V_VALUE(value ? (void *)value->b : NULL, value ? value->n : 0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (err)
        fprintf(stderr, "kafka_mock: produce to %s: %s\n", OFFSETS_TOPIC,
                rd_kafka_err2str(err));
}

static void write_commit(mock_t *m, const char *group, const char *topic,
                         int32_t partition, int64_t offset) {
    wbuf_t k = {.n = 0}, v = {.n = 0};
    w_i16(&k, 1);
    w_str(&k, group);
    w_str(&k, topic);
    w_i32(&k, partition);
    w_i16(&v, 3);
    w_i64(&v, offset);
    w_i32(&v, -1);
    w_str(&v, "");
    w_i64(&v, bc_clock_wall_ms());
    write_record(m, group, &k, offset >= 0 ? &v : NULL);
}

/* Group metadata v3 with one member owning `parts` (NULL: no members). */
static void write_group(mock_t *m, group_t *g,
                        const rd_kafka_topic_partition_list_t *parts,
                        bool tombstone) {
    wbuf_t k = {.n = 0}, v = {.n = 0}, a = {.n = 0};
    w_i16(&k, 2);
    w_str(&k, g->name);
    if (tombstone) {
        write_record(m, g->name, &k, NULL);
        return;
    }
    char *member = g->rk ? rd_kafka_memberid(g->rk) : NULL;
    w_i16(&v, 3);
    w_str(&v, "consumer");
    w_i32(&v, 1);
    w_str(&v, "range");
    w_str(&v, parts ? (member ? member : "member-1") : NULL);
    w_i64(&v, bc_clock_wall_ms());
    w_i32(&v, parts ? 1 : 0);
    if (parts) {
        char client[64];
        snprintf(client, sizeof(client), "%s-client", g->name);
        w_i16(&a, 0); /* assignment v0: one topic */
        w_i32(&a, 1);
        w_str(&a, "orders");
        w_i32(&a, parts->cnt);
        for (int i = 0; i < parts->cnt; i++)
            w_i32(&a, parts->elems[i].partition);
        w_i32(&a, -1);
        w_str(&v, member ? member : "member-1");
        w_str(&v, NULL);
        w_str(&v, client);
        w_str(&v, "/127.0.0.1");
        w_i32(&v, 300000);
        w_i32(&v, 45000);
        w_i32(&v, -1); /* subscription: not needed by readers */
        w_i32(&v, (int32_t)a.n);
        w_put(&v, a.b, a.n);
    }
    rd_kafka_mem_free(NULL, member);
    write_record(m, g->name, &k, &v);
}

/* The hostile records of the "crafted" command (see the top). */
static void write_crafted(mock_t *m, int n_groups) {
    wbuf_t *k = calloc(1, sizeof(*k)), *v = calloc(1, sizeof(*v)),
           *a = calloc(1, sizeof(*a));
    if (!k || !v || !a) abort();
    w_i16(k, 2);
    w_str(k, "crafted");
    w_i16(a, 0);
    w_i32(a, 1000);
    for (int t = 0; t < 1000; t++) {
        char name[16];
        snprintf(name, sizeof(name), "t%03d", t);
        w_str(a, t == 0 ? "orders" : t == 1 ? "audit" : name);
        w_i32(a, 1);
        w_i32(a, 1048575);
    }
    w_i32(a, -1);
    w_i16(v, 3);
    w_str(v, "consumer");
    w_i32(v, 1);
    w_str(v, "range");
    w_str(v, "m-1");
    w_i64(v, bc_clock_wall_ms());
    w_i32(v, 1);
    w_str(v, "m-1");
    w_str(v, NULL);
    w_str(v, "crafted-client");
    w_str(v, "/127.0.0.1");
    w_i32(v, 300000);
    w_i32(v, 45000);
    w_i32(v, -1);
    w_i32(v, (int32_t)a->n);
    w_put(v, a->b, a->n);
    write_record(m, "crafted", k, v);
    for (int g = 0; g < n_groups; g++) {
        char name[32];
        snprintf(name, sizeof(name), "crafted-%d", g);
        write_commit(m, name, "orders", 1048575, 42);
    }
    /* then one valid commit on every __consumer_offsets partition, by
     * groups sentinel-I: once a reader has all four, it has read past
     * every crafted record */
    for (int p = 0, i = 0; p < OFFSETS_PARTITIONS; i++) {
        char name[32];
        snprintf(name, sizeof(name), "sentinel-%d", i);
        if (partition_for(name) != p) continue;
        write_commit(m, name, "orders", 0, 1);
        p++;
        i = -1;
    }
    rd_kafka_flush(m->producer, 5000);
    free(k);
    free(v);
    free(a);
}

/* ---- consumer groups ---- */

static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque) {
    (void)rk;
    group_t *g = opaque;
    if (err || !offsets) return;
    for (int i = 0; i < offsets->cnt; i++) {
        rd_kafka_topic_partition_t *p = &offsets->elems[i];
        if (p->err || p->offset < 0) continue;
        write_commit(g->mock, g->name, p->topic, p->partition, p->offset);
        atomic_store(&g->committed, true);
    }
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    group_t *g = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        write_group(g->mock, g, parts, false);
        if (!atomic_load(&g->assigned)) g->first_assign_ms = bc_clock_mono_ms();
        atomic_store(&g->assigned, parts->cnt > 0);
    } else {
        rd_kafka_assign(rk, NULL);
        atomic_store(&g->assigned, false);
    }
}

static rd_kafka_t *consumer_new(mock_t *m, group_t *g) {
    char err[512];
    char client[64];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    snprintf(client, sizeof(client), "%s-client", g->name);
    const char *props[][2] = {
        {"bootstrap.servers", m->bootstraps},
        {"group.id", g->name},
        {"client.id", client},
        {"auto.offset.reset", "earliest"},
        {"enable.auto.commit", g->behaviour == B_FIXED ? "false" : "true"},
        /* the slow group commits less often than a 500 ms head refresh,
         * so each of its commits meets a newer head: its lag then grows
         * from commit to commit, the shape Burrow calls WARN */
        {"auto.commit.interval.ms", g->behaviour == B_SLOW ? "1000" : "100"},
        {"reconnect.backoff.max.ms", "500"},
        {"session.timeout.ms", "6000"},
        {"heartbeat.interval.ms", "500"},
        /* one batch per partition per fetch: the slow consumer's progress
         * stays even across partitions */
        {"max.partition.fetch.bytes", g->behaviour == B_SLOW ? "1" : "1048576"},
        {"log_level", "2"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err,
                              sizeof(err)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "kafka_mock: %s: %s\n", props[i][0], err);
            exit(1);
        }
    }
    rd_kafka_conf_set_opaque(conf, g);
    rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "kafka_mock: consumer %s: %s\n", g->name, err);
        exit(1);
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static void fixed_commit(group_t *g) {
    rd_kafka_topic_partition_list_t *asg = NULL;
    if (rd_kafka_assignment(g->rk, &asg) || !asg) return;
    if (asg->cnt > 0) {
        for (int i = 0; i < asg->cnt; i++)
            asg->elems[i].offset = 5;
        rd_kafka_commit(g->rk, asg, 1);
    }
    rd_kafka_topic_partition_list_destroy(asg);
}

static void *consumer_main(void *arg) {
    group_t *g = arg;
    mock_t *m = g->mock;
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, "orders", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(g->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    int64_t next_fixed = 0;
    bool closed = false;
    while (!atomic_load(&m->stop)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(g->rk, 20);
        if (msg) {
            if (g->behaviour == B_SLOW && !msg->err)
                sleep_ms(13); /* ~75 of the 300 messages/s produced */
            rd_kafka_message_destroy(msg);
        }
        int64_t now = bc_clock_mono_ms();
        if (g->behaviour == B_FIXED && now >= next_fixed &&
            atomic_load(&g->assigned)) {
            fixed_commit(g);
            next_fixed = now + 200;
        }
        if (g->behaviour == B_STOP && !closed && atomic_load(&g->committed) &&
            g->first_assign_ms > 0 &&
            now - g->first_assign_ms >= (int64_t)m->stop_after_s * 1000) {
            /* stop committing for good: leave the group without a last
             * commit, as a crashed consumer would */
            rd_kafka_unsubscribe(g->rk);
            write_group(m, g, NULL, false);
            closed = true;
            say(m, "stopped %s", g->name);
        }
    }
    return NULL;
}

/* ---- producer ---- */

static void *producer_main(void *arg) {
    mock_t *m = arg;
    int tick = 0;
    while (!atomic_load(&m->stop)) {
        for (int p = 0; p < ORDERS_PARTITIONS; p++)
            rd_kafka_producev(
                m->producer, RD_KAFKA_V_TOPIC("orders"),
                RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_VALUE("order", 5),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (tick % 10 == 0) {
            for (int p = 0; p < 2; p++)
                rd_kafka_producev(
                    m->producer, RD_KAFKA_V_TOPIC("audit"),
                    RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_VALUE("audit", 5),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            rd_kafka_producev(m->producer, RD_KAFKA_V_TOPIC("ephemeral"),
                              RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("e", 1),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
        }
        rd_kafka_poll(m->producer, 0);
        tick++;
        sleep_ms(10);
    }
    return NULL;
}

/* ---- setup ---- */

/* One mock-cluster call of the setup. Each may wait up to a second for
 * the mock thread to wake up, so the setup runs them from threads. */
typedef struct setup_op_s {
    mock_t *m;
    const char *topic; /* create topic / set leader / NULL: coordinator */
    int parts;         /* > 0: create with this many partitions */
    int partition;
    int broker;
    const char *group;
    pthread_t thread;
} setup_op_t;

static void *setup_main(void *arg) {
    setup_op_t *op = arg;
    if (op->group)
        rd_kafka_mock_coordinator_set(op->m->mc, "group", op->group,
                                      op->broker);
    else if (op->parts > 0 &&
             rd_kafka_mock_topic_create(op->m->mc, op->topic, op->parts, 1)) {
        fprintf(stderr, "kafka_mock: cannot create %s\n", op->topic);
        exit(1);
    } else if (op->parts == 0)
        rd_kafka_mock_partition_set_leader(op->m->mc, op->topic, op->partition,
                                           op->broker);
    return NULL;
}

static void setup_run(setup_op_t *ops, int n) {
    for (int i = 0; i < n; i++)
        pthread_create(&ops[i].thread, NULL, setup_main, &ops[i]);
    for (int i = 0; i < n; i++)
        pthread_join(ops[i].thread, NULL);
}

typedef struct topic_def_s {
    const char *name;
    int parts;
    const int *lead;
} topic_def_t;

static void topics(mock_t *m, const topic_def_t *defs, int n) {
    setup_op_t ops[32];
    int k = 0;
    memset(ops, 0, sizeof(ops));
    for (int i = 0; i < n; i++)
        ops[k++] =
            (setup_op_t){.m = m, .topic = defs[i].name, .parts = defs[i].parts};
    setup_run(ops, k);
    k = 0;
    memset(ops, 0, sizeof(ops));
    for (int i = 0; i < n; i++)
        for (int p = 0; p < defs[i].parts; p++)
            ops[k++] = (setup_op_t){.m = m,
                                    .topic = defs[i].name,
                                    .partition = p,
                                    .broker = defs[i].lead[p]};
    setup_run(ops, k);
    for (int i = 0; i < n; i++) {
        char leaders[64] = "";
        size_t len = 0;
        for (int p = 0; p < defs[i].parts; p++)
            len += (size_t)snprintf(leaders + len, sizeof(leaders) - len,
                                    "%s%d", p ? "," : "", defs[i].lead[p]);
        say(m, "topic %s %d leaders %s", defs[i].name, defs[i].parts, leaders);
    }
}

static void command(mock_t *m, char *line) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char arg[256] = "", topic[256] = "";
    int id;
    long long off;
    if (sscanf(line, "down %d", &id) == 1) {
        rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_down(m->mc, id);
        if (err)
            say(m, "error %s: %s", line, rd_kafka_err2str(err));
        else
            say(m, "ok %s", line);
    } else if (sscanf(line, "up %d", &id) == 1) {
        rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_up(m->mc, id);
        if (err)
            say(m, "error %s: %s", line, rd_kafka_err2str(err));
        else
            say(m, "ok %s", line);
    } else if (sscanf(line, "leader %255s %d %lld", topic, &id, &off) == 3) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_partition_set_leader(m->mc, topic, id, (int32_t)off);
        if (err)
            say(m, "error %s: %s", line, rd_kafka_err2str(err));
        else
            say(m, "ok %s", line);
    } else if (sscanf(line, "delete %255s", arg) == 1) {
        rd_kafka_mock_topic_set_error(m->mc, arg,
                                      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
        say(m, "ok %s", line);
    } else if (sscanf(line, "commit %255s %255s %d %lld", arg, topic, &id,
                      &off) == 4) {
        write_commit(m, arg, topic, id, (int64_t)off);
        rd_kafka_flush(m->producer, 5000);
        say(m, "ok %s", line);
    } else if (sscanf(line, "fill %255s %d %lld", topic, &id, &off) == 3) {
        static char rec[256 * 1024];
        memset(rec, 'f', sizeof(rec));
        for (long long i = 0; i < off * 4; i++) {
            while (rd_kafka_producev(m->producer, RD_KAFKA_V_TOPIC(topic),
                                     RD_KAFKA_V_PARTITION(id),
                                     RD_KAFKA_V_VALUE(rec, sizeof(rec)),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_END) ==
                   RD_KAFKA_RESP_ERR__QUEUE_FULL)
                rd_kafka_poll(m->producer, 10);
        }
        if (rd_kafka_flush(m->producer, 30000))
            say(m, "error %s: not all acknowledged", line);
        else
            say(m, "ok %s", line);
    } else if (sscanf(line, "crafted %d", &id) == 1) {
        write_crafted(m, id);
        say(m, "ok %s", line);
    } else if (sscanf(line, "tombstone %255s", arg) == 1) {
        for (int p = 0; p < ORDERS_PARTITIONS; p++)
            write_commit(m, arg, "orders", p, -1);
        group_t g = {.name = arg, .mock = m};
        write_group(m, &g, NULL, true);
        say(m, "ok %s", line);
    } else if (line[0]) {
        say(m, "error %s: unknown command", line);
    }
}

int main(int argc, char **argv) {
    mock_t m;
    memset(&m, 0, sizeof(m));
    pthread_mutex_init(&m.out_lock, NULL);
    int brokers = 3, lifetime = 600, n_groups = 4;
    bool quiet = false;
    m.stop_after_s = 6;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
            brokers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--stop-after") && i + 1 < argc)
            m.stop_after_s = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--lifetime") && i + 1 < argc)
            lifetime = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quiet"))
            quiet = true;
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: kafka_mock [--brokers N] [--stop-after S] "
                   "[--lifetime S] [--quiet]\n");
            return 0;
        } else {
            fprintf(stderr, "usage: kafka_mock [--brokers N] "
                            "[--stop-after S] [--lifetime S] [--quiet]\n");
            return 2;
        }
    }
    if (brokers < 3) {
        fprintf(stderr, "kafka_mock: --brokers must be >= 3\n");
        return 2;
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
    m.mrk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!m.mrk) {
        fprintf(stderr, "kafka_mock: %s\n", err);
        return 1;
    }
    m.mc = rd_kafka_mock_cluster_new(m.mrk, brokers);
    if (!m.mc) {
        fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
        return 1;
    }
    snprintf(m.bootstraps, sizeof(m.bootstraps), "%s",
             rd_kafka_mock_cluster_bootstraps(m.mc));
    say(&m, "%s", m.bootstraps);

    static const int l_orders[] = {1, 2, 1}, l_audit[] = {3, 3}, l_eph[] = {2},
                     l_off[] = {1, 2, 1, 2}, l_still[] = {1, 2};
    const topic_def_t tdefs[] = {
        {"still", 2, l_still},
        {"orders", ORDERS_PARTITIONS, l_orders},
        {"audit", 2, l_audit},
        {"ephemeral", 1, l_eph},
        {OFFSETS_TOPIC, OFFSETS_PARTITIONS, l_off},
    };
    topics(&m, tdefs, 5);

    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", m.bootstraps, err,
                      sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof(err));
    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "500", err,
                      sizeof(err));
    rd_kafka_conf_set(conf, "message.timeout.ms", "0", err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err));
    m.producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!m.producer) {
        fprintf(stderr, "kafka_mock: producer: %s\n", err);
        return 1;
    }

    static const struct {
        const char *name, *what;
        enum behaviour b;
    } defs[4] = {
        {"ok-group", "keeps-up", B_OK},
        {"slow-group", "slower-than-production", B_SLOW},
        {"fixed-group", "commits-offset-5", B_FIXED},
        {"stop-group", "stops-committing", B_STOP},
    };
    for (int i = 0; i < 4; i++) {
        group_t *g = &m.groups[i];
        g->name = defs[i].name;
        g->what = defs[i].what;
        g->behaviour = defs[i].b;
        /* as Kafka: the leader of the group's __consumer_offsets
         * partition */
        g->coordinator = l_off[partition_for(g->name)];
        g->mock = &m;
    }
    setup_op_t cops[4];
    memset(cops, 0, sizeof(cops));
    for (int i = 0; i < 4; i++)
        cops[i] = (setup_op_t){.m = &m,
                               .group = m.groups[i].name,
                               .broker = m.groups[i].coordinator};
    setup_run(cops, 4);
    for (int i = 0; i < 4; i++)
        say(&m, "group %s %d %s", m.groups[i].name, m.groups[i].coordinator,
            m.groups[i].what);

    pthread_t prod;
    if (quiet)
        n_groups = 0;
    else
        pthread_create(&prod, NULL, producer_main, &m);
    for (int i = 0; i < n_groups; i++) {
        m.groups[i].rk = consumer_new(&m, &m.groups[i]);
        pthread_create(&m.groups[i].thread, NULL, consumer_main, &m.groups[i]);
    }

    /* ready once every group is assigned and has committed */
    int64_t deadline = bc_clock_mono_ms() + 60000;
    for (;;) {
        bool all = true;
        for (int i = 0; i < n_groups; i++)
            all = all && atomic_load(&m.groups[i].committed);
        if (all) break;
        if (bc_clock_mono_ms() > deadline) {
            fprintf(stderr, "kafka_mock: groups did not start in 60 s\n");
            break;
        }
        sleep_ms(50);
    }
    /* still: 100 messages per partition, then never more (its heads
     * stand still, so the lag of a commit to it is known) */
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < 100; i++)
            rd_kafka_producev(m.producer, RD_KAFKA_V_TOPIC("still"),
                              RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_VALUE("s", 1),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
    rd_kafka_flush(m.producer, 10000);
    say(&m, "ready");

    /* commands: read(2) into our own buffer, so that select(2) sees every
     * line (stdio buffering would hide lines that arrived together) */
    int64_t end = bc_clock_mono_ms() + (int64_t)lifetime * 1000;
    char line[512];
    size_t used = 0;
    bool quit = false;
    while (!quit && bc_clock_mono_ms() < end) {
        fd_set rf;
        FD_ZERO(&rf);
        FD_SET(0, &rf);
        struct timeval tv = {0, 200000};
        int r = select(1, &rf, NULL, NULL, &tv);
        if (r <= 0) continue;
        ssize_t n = read(0, line + used, sizeof(line) - 1 - used);
        if (n <= 0) break; /* end of input: the test is gone */
        used += (size_t)n;
        line[used] = '\0';
        char *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            if (!strncmp(line, "quit", 4)) {
                quit = true;
                break;
            }
            command(&m, line);
            size_t rest = used - (size_t)(nl + 1 - line);
            memmove(line, nl + 1, rest + 1);
            used = rest;
        }
        if (used == sizeof(line) - 1) used = 0; /* an overlong line: drop it */
    }

    atomic_store(&m.stop, true);
    if (!quiet) pthread_join(prod, NULL);
    for (int i = 0; i < n_groups; i++) {
        pthread_join(m.groups[i].thread, NULL);
        rd_kafka_consumer_close(m.groups[i].rk);
        rd_kafka_destroy(m.groups[i].rk);
    }
    rd_kafka_flush(m.producer, 1000);
    rd_kafka_destroy(m.producer);
    rd_kafka_mock_cluster_destroy(m.mc);
    rd_kafka_destroy(m.mrk);
    pthread_mutex_destroy(&m.out_lock);
    return 0;
}
