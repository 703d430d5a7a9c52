/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_producer and bc_partitioner: Kafka's key partitioner,
 * sticky batches, round-robin, acks semantics, group commit, limits. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_murmur2.h"
#include "broker-core/bc_partitioner.h"
#include "broker-core/bc_producer.h"
#include "tests/unit/bc_test_util.h"

static char dir[512];
static bc_broker_t *broker;

static void setup(void) {
    char err[512];
    int e;
    bct_tmpdir(dir, sizeof(dir), "producer");
    broker = bc_broker_open(dir, NULL, 1, &e, err, sizeof(err));
    cr_assert_not_null(broker, "%s", err);
}
static void teardown(void) {
    bc_broker_close(broker);
    bct_rmtree(dir);
}

TestSuite(bc_producer, .init = setup, .fini = teardown);

static bc_producer_t *producer(int acks, int strategy, int64_t linger) {
    bc_producer_conf_t c = bc_producer_conf_default();
    c.acks = acks;
    c.partitioner = strategy;
    c.linger_ms = linger;
    c.seed = 42;
    bc_producer_t *p = bc_producer_new(broker, &c, NULL, 0);
    cr_assert_not_null(p);
    return p;
}

Test(bc_producer, keyed_records_go_to_murmur2_partition) {
    bc_broker_create_topic(broker, "t", 7, NULL, 1, NULL, 0);
    bc_producer_t *p = producer(BC_ACKS_LEADER, BC_PARTITIONER_STICKY, 0);
    const char *keys[] = {"21", "foobar", "abc", "user-17", ""};
    for (size_t i = 0; i < 5; i++) {
        bc_record_in_t r = {keys[i], (int32_t)strlen(keys[i]), "v", 1, 1, NULL,
                            0};
        int32_t part;
        int64_t off;
        cr_assert_eq(bc_producer_send(p, "t", -1, &r, 1, &part, &off, NULL, 0),
                     0);
        cr_assert_eq(
            part,
            bc_murmur2_to_positive(bc_murmur2(keys[i], strlen(keys[i]))) % 7,
            "key %s", keys[i]);
        cr_assert_geq(off, 0);
    }
    bc_producer_destroy(p);
}

typedef struct dr_log_s {
    pthread_mutex_t mu;
    int n;
    int32_t part[4096];
    int32_t records[4096];
} dr_log_t;

static void on_dr(void *opaque, const char *topic, int32_t partition,
                  int64_t base, int32_t records, int err) {
    (void)topic;
    (void)base;
    dr_log_t *d = opaque;
    pthread_mutex_lock(&d->mu);
    if (err == 0 && d->n < 4096) {
        d->part[d->n] = partition;
        d->records[d->n] = records;
        d->n++;
    }
    pthread_mutex_unlock(&d->mu);
}

Test(bc_producer, sticky_fills_one_partition_per_batch) {
    bc_broker_create_topic(broker, "t", 5, NULL, 1, NULL, 0);
    static dr_log_t d;
    memset(&d, 0, sizeof(d));
    pthread_mutex_init(&d.mu, NULL);
    bc_producer_conf_t c = bc_producer_conf_default();
    c.acks = BC_ACKS_NONE;
    c.linger_ms = 1000000; /* only size completes batches */
    c.seed = 7;
    c.dr_fn = on_dr;
    c.dr_opaque = &d;
    bc_producer_t *p = bc_producer_new(broker, &c, NULL, 0);
    char v[100];
    memset(v, 'x', sizeof(v));
    int32_t parts[2000];
    for (int i = 0; i < 2000; i++) {
        bc_record_in_t r = {NULL, -1, v, (int32_t)sizeof(v), 1000, NULL, 0};
        cr_assert_eq(
            bc_producer_send(p, "t", -1, &r, 1000, &parts[i], NULL, NULL, 0),
            0);
    }
    cr_assert_eq(bc_producer_flush(p, 1000, NULL, 0), 0);
    /* Runs of equal partitions in send order == the batches appended:
     * per partition, the same run lengths in the same order. */
    int runs = 0, run_len[200], run_part[200];
    for (int i = 0; i < 2000; i++) {
        if (i == 0 || parts[i] != parts[i - 1]) {
            run_part[runs] = parts[i];
            run_len[runs++] = 0;
            if (i > 0) cr_assert_neq(parts[i], parts[i - 1]);
        }
        run_len[runs - 1]++;
    }
    cr_assert_eq(d.n, runs, "one batch per sticky run");
    for (int q = 0; q < 5; q++) {
        int a = 0, b = 0;
        for (;;) {
            while (a < runs && run_part[a] != q)
                a++;
            while (b < d.n && d.part[b] != q)
                b++;
            if (a == runs || b == d.n) break;
            cr_assert_eq(d.records[b], run_len[a], "partition %d", q);
            a++;
            b++;
        }
        cr_assert(a == runs && b == d.n, "partition %d: run count", q);
    }
    for (int i = 0; i < runs - 1; i++) /* full batches, ~110 B records */
        cr_assert(run_len[i] >= 140 && run_len[i] <= 150, "run %d: %d", i,
                  run_len[i]);
    /* More than one partition was used. */
    int used[5] = {0};
    for (int i = 0; i < 2000; i++)
        used[parts[i]] = 1;
    cr_assert_geq(used[0] + used[1] + used[2] + used[3] + used[4], 3);
    /* Every batch on disk is within batch.size. */
    for (int32_t q = 0; q < 5; q++) {
        bc_fetch_t f;
        bc_log_t *log = bc_broker_log(broker, "t", q);
        int64_t off = 0;
        while (off < bc_log_end_offset(log)) {
            cr_assert_eq(bc_log_fetch(log, off, 1, &f, NULL, 0), 0);
            bc_batch_t b;
            cr_assert_eq(bc_batch_parse(f.data, f.len, 0, &b, NULL, 0), 0);
            cr_assert_leq(b.size, 16384);
            off = bc_batch_last_offset(&b) + 1;
            free(f.data);
        }
    }
    bc_producer_destroy(p);
}

Test(bc_producer, round_robin_cycles_partitions_from_zero) {
    bc_broker_create_topic(broker, "t", 3, NULL, 1, NULL, 0);
    bc_producer_t *p = producer(BC_ACKS_LEADER, BC_PARTITIONER_ROUNDROBIN, 0);
    for (int i = 0; i < 9; i++) {
        bc_record_in_t r = {NULL, -1, "v", 1, 1, NULL, 0};
        int32_t part;
        int64_t off;
        cr_assert_eq(bc_producer_send(p, "t", -1, &r, 1, &part, &off, NULL, 0),
                     0);
        cr_assert_eq(part, i % 3);
        cr_assert_eq(off, i / 3);
    }
    bc_producer_destroy(p);
}

Test(bc_producer, partitioner_round_robin_ignores_keys_only_when_keyless) {
    bc_partitioner_t *pt =
        bc_partitioner_new(BC_PARTITIONER_ROUNDROBIN, 4, 16384, 1);
    bc_record_in_t keyed = {"foobar", 6, "v", 1, 1, NULL, 0};
    cr_assert_eq(bc_partitioner_choose(pt, &keyed, NULL),
                 bc_murmur2_partition("foobar", 6, 4));
    bc_partitioner_destroy(pt);
}

Test(bc_producer, acks_zero_returns_at_once_and_flush_appends) {
    bc_broker_create_topic(broker, "t", 1, NULL, 1, NULL, 0);
    bc_producer_t *p = producer(BC_ACKS_NONE, BC_PARTITIONER_STICKY, 50);
    for (int i = 0; i < 10; i++) {
        bc_record_in_t r = {NULL, -1, "v", 1, 1, NULL, 0};
        int64_t off = 99;
        cr_assert_eq(bc_producer_send(p, "t", -1, &r, 100, NULL, &off, NULL, 0),
                     0);
        cr_assert_eq(off, -1);
    }
    bc_log_t *log = bc_broker_log(broker, "t", 0);
    cr_assert_eq(bc_log_end_offset(log), 0, "lingering");
    cr_assert_eq(bc_producer_poll(p, 120), 0, "not yet 50 ms");
    cr_assert_eq(bc_producer_poll(p, 150), 1);
    cr_assert_eq(bc_log_end_offset(log), 10);
    bc_record_in_t r = {NULL, -1, "v", 1, 1, NULL, 0};
    bc_producer_send(p, "t", -1, &r, 200, NULL, NULL, NULL, 0);
    cr_assert_eq(bc_producer_flush(p, 200, NULL, 0), 0);
    cr_assert_eq(bc_log_end_offset(log), 11);
    bc_producer_destroy(p);
}

Test(bc_producer, acks_one_returns_offsets_after_append) {
    bc_broker_create_topic(broker, "t", 1, NULL, 1, NULL, 0);
    bc_producer_t *p = producer(BC_ACKS_LEADER, BC_PARTITIONER_STICKY, 5);
    bc_log_t *log = bc_broker_log(broker, "t", 0);
    for (int i = 0; i < 20; i++) {
        bc_header_t h = {"trace", 5, "abc", 3};
        bc_record_in_t r = {"k", 1, "v", 1, -1, &h, 1};
        int64_t off;
        cr_assert_eq(
            bc_producer_send(p, "t", 0, &r, 1000 + i, NULL, &off, NULL, 0), 0);
        cr_assert_eq(off, i);
        cr_assert_eq(bc_log_end_offset(log), i + 1, "appended on return");
    }
    int64_t ts;
    cr_assert_eq(bc_log_timestamp_of(log, 7, &ts, NULL), 0);
    cr_assert_eq(ts, 1007);
    bc_producer_destroy(p);
}

Test(bc_producer, durable_mode_fsyncs_before_ack) {
    bc_broker_create_topic(broker, "t", 1, NULL, 1, NULL, 0);
    bc_producer_conf_t c = bc_producer_conf_default();
    c.durable = 1;
    c.acks = BC_ACKS_ALL;
    bc_producer_t *p = bc_producer_new(broker, &c, NULL, 0);
    bc_record_in_t r = {NULL, -1, "v", 1, 1, NULL, 0};
    int64_t off;
    cr_assert_eq(bc_producer_send(p, "t", -1, &r, 1, NULL, &off, NULL, 0), 0);
    cr_assert_eq(off, 0);
    bc_producer_destroy(p);
}

Test(bc_producer, rejects_unknown_topic_bad_partition_and_oversized) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.max_message_bytes = 500;
    bc_broker_create_topic(broker, "small", 2, &cfg, 1, NULL, 0);
    bc_producer_t *p = producer(BC_ACKS_LEADER, BC_PARTITIONER_STICKY, 0);
    bc_record_in_t r = {NULL, -1, "v", 1, 1, NULL, 0};
    char err[256];
    cr_assert_eq(
        bc_producer_send(p, "nope", -1, &r, 1, NULL, NULL, err, sizeof(err)),
        BC_ERR_NOT_FOUND);
    cr_assert_eq(
        bc_producer_send(p, "small", 2, &r, 1, NULL, NULL, err, sizeof(err)),
        BC_ERR_NOT_FOUND);
    char big[600];
    memset(big, 'b', sizeof(big));
    bc_record_in_t rb = {NULL, -1, big, (int32_t)sizeof(big), 1, NULL, 0};
    cr_assert_eq(
        bc_producer_send(p, "small", -1, &rb, 1, NULL, NULL, err, sizeof(err)),
        BC_ERR_TOO_LARGE);
    cr_assert(strstr(err, "max.message.bytes") != NULL, "%s", err);
    bc_producer_destroy(p);
}

typedef struct sender_s {
    bc_producer_t *p;
    int id;
    int64_t offsets[500];
} sender_t;

static void *sender(void *arg) {
    sender_t *s = arg;
    for (int i = 0; i < 500; i++) {
        char v[32];
        int len = snprintf(v, sizeof(v), "%d-%d", s->id, i);
        bc_record_in_t r = {NULL, -1, v, len, 1, NULL, 0};
        int rc = bc_producer_send(s->p, "t", 0, &r, 1, NULL, &s->offsets[i],
                                  NULL, 0);
        if (rc != 0) s->offsets[i] = -2;
    }
    return NULL;
}

static int count_batch(void *opaque, const bc_record_t *rec) {
    (void)rec;
    (*(int *)opaque)++;
    return 0;
}

Test(bc_producer, concurrent_blocking_senders_share_appends) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.durable = 1; /* slow appends make senders pile up */
    bc_broker_create_topic(broker, "t", 1, &cfg, 1, NULL, 0);
    bc_producer_t *p = producer(BC_ACKS_ALL, BC_PARTITIONER_STICKY, 0);
    static sender_t s[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        s[i].p = p;
        s[i].id = i;
        pthread_create(&th[i], NULL, sender, &s[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    static char seen[2000];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 500; j++) {
            int64_t o = s[i].offsets[j];
            cr_assert(o >= 0 && o < 2000, "offset %lld", (long long)o);
            cr_assert_eq(seen[o], 0, "offset %lld twice", (long long)o);
            seen[o] = 1;
            if (j > 0) cr_assert_gt(o, s[i].offsets[j - 1], "per-sender order");
        }
    bc_log_t *log = bc_broker_log(broker, "t", 0);
    cr_assert_eq(bc_log_end_offset(log), 2000);
    int n = 0;
    int64_t next = 0;
    while (next < 2000)
        bc_log_read(log, next, 1 << 20, count_batch, &n, &next, NULL, 0);
    cr_assert_eq(n, 2000);
    int batches = 0;
    for (int64_t off = 0; off < 2000;) {
        bc_fetch_t f;
        bc_batch_t b;
        cr_assert_eq(bc_log_fetch(log, off, 1, &f, NULL, 0), 0);
        cr_assert_eq(bc_batch_parse(f.data, f.len, 0, &b, NULL, 0), 0);
        off = bc_batch_last_offset(&b) + 1;
        batches++;
        free(f.data);
    }
    cr_assert_lt(batches, 2000, "group commit merged some sends");
    bc_producer_destroy(p);
}

typedef struct readback_s {
    int64_t n;
    int bad;
} readback_t;

/* Record i holds i in its first 8 bytes and (i % 251) in the rest. */
static int check_record(void *opaque, const bc_record_t *rec) {
    readback_t *rb = opaque;
    int64_t i;
    if (rec->value_len < 8) {
        rb->bad++;
        return 0;
    }
    memcpy(&i, rec->value, 8);
    if (i != rb->n) rb->bad++;
    for (int32_t k = 8; k < rec->value_len; k++)
        if ((uint8_t)rec->value[k] != (uint8_t)(i % 251)) {
            rb->bad++;
            break;
        }
    rb->n++;
    return 0;
}

/* Batch buffers are recycled through the producer's pool: records of
 * mixed sizes, some larger than batch.size (their buffer grows and must
 * not be pooled as a standard one), read back intact and in order, with
 * the pool on, capped small, and off. */
Test(bc_producer, recycled_batch_buffers_keep_every_record_intact) {
    int64_t caps[] = {33554432, 40000, 0};
    for (int c = 0; c < 3; c++) {
        char topic[16];
        snprintf(topic, sizeof(topic), "pool%d", c);
        bc_broker_create_topic(broker, topic, 1, NULL, 1, NULL, 0);
        bc_producer_conf_t pc = bc_producer_conf_default();
        pc.acks = BC_ACKS_NONE;
        pc.linger_ms = 1000000;
        pc.buffer_memory = caps[c];
        bc_producer_t *p = bc_producer_new(broker, &pc, NULL, 0);
        cr_assert_not_null(p);
        static char v[40000];
        for (int64_t i = 0; i < 3000; i++) {
            int32_t len = i % 97 == 0 ? 30000 : 8 + (int32_t)(i * 37 % 1500);
            memcpy(v, &i, 8);
            memset(v + 8, (int)(i % 251), (size_t)len - 8);
            bc_record_in_t r = {NULL, -1, v, len, 1, NULL, 0};
            cr_assert_eq(
                bc_producer_send(p, topic, 0, &r, 1, NULL, NULL, NULL, 0), 0);
        }
        cr_assert_eq(bc_producer_flush(p, 1, NULL, 0), 0);
        bc_producer_destroy(p);
        bc_log_t *log = bc_broker_log(broker, topic, 0);
        readback_t rb = {0, 0};
        int64_t off = 0, next;
        while (off < bc_log_end_offset(log)) {
            cr_assert_eq(bc_log_read(log, off, 1 << 20, check_record, &rb,
                                     &next, NULL, 0),
                         0);
            off = next;
        }
        cr_assert_eq(rb.n, 3000, "buffer.memory %lld", (long long)caps[c]);
        cr_assert_eq(rb.bad, 0, "buffer.memory %lld", (long long)caps[c]);
    }
    bc_producer_conf_t bad = bc_producer_conf_default();
    bad.buffer_memory = -1;
    char err[256] = "";
    cr_assert_null(bc_producer_new(broker, &bad, err, sizeof(err)));
    cr_assert(strstr(err, "buffer.memory"), "%s", err);
}
