/* SPDX-License-Identifier: Apache-2.0 */
/* stress_bc_producer: the embedded broker's producer under concurrent use,
 * for ThreadSanitizer (Criterion programs cannot run under it).
 *
 * Six threads share one producer: each sends to topics that other threads
 * first use at the same moment (so topics join the producer's lock-free
 * list concurrently), with keys and without, acks 0 and acks 1 mixed on
 * separate producers over the same broker, and record sizes from a few
 * bytes to more than batch.size (buffers that grow and must not return to
 * the pool). A seventh thread polls and flushes. At the end every record
 * must be in the logs exactly once: per topic, the sum of log-end offsets
 * equals the records sent, and every value read back names its sender and
 * sequence number once. Exits 0 when so.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_producer.h"

#define THREADS 6
#define TOPICS 5
#define PARTS 4
#define SENDS 4000

static bc_broker_t *broker;
static bc_producer_t *fast;  /* acks 0 */
static bc_producer_t *acked; /* acks 1 */
static atomic_bool done_sending;
static atomic_int failures;
static unsigned char seen[THREADS][SENDS];

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sender(void *arg) {
    int id = (int)(intptr_t)arg;
    static char big[40000];
    char value[64 + sizeof(big)];
    unsigned seed = (unsigned)id * 7919u;
    for (int i = 0; i < SENDS; i++) {
        char topic[16], key[16];
        snprintf(topic, sizeof(topic), "t%d", (i + id) % TOPICS);
        int len = snprintf(value, 64, "%d:%d:", id, i);
        int extra = i % 211 == 0 ? 30000 : (int)(rand_r(&seed) % 1500);
        memset(value + len, 'a' + id, (size_t)extra);
        len += extra;
        int keyed = i % 3 == 0;
        if (keyed) snprintf(key, sizeof(key), "k%d", i % 17);
        bc_record_in_t r = {keyed ? key : NULL,
                            keyed ? (int32_t)strlen(key) : -1,
                            value,
                            len,
                            -1,
                            NULL,
                            0};
        bc_producer_t *p = i % 5 == 0 ? acked : fast;
        char err[256];
        if (bc_producer_send(p, topic, -1, &r, wall_ms(), NULL, NULL, err,
                             sizeof(err)) != 0) {
            fprintf(stderr, "send %d/%d: %s\n", id, i, err);
            atomic_fetch_add(&failures, 1);
        }
    }
    return NULL;
}

static void *poller(void *arg) {
    (void)arg;
    while (!atomic_load(&done_sending)) {
        bc_producer_poll(fast, wall_ms() + 1000);
        bc_producer_flush(acked, wall_ms(), NULL, 0);
        usleep(500);
    }
    return NULL;
}

static int check_record(void *opaque, const bc_record_t *rec) {
    (void)opaque;
    int id = -1, i = -1;
    char head[32];
    size_t n = rec->value_len < 31 ? (size_t)rec->value_len : 31;
    memcpy(head, rec->value, n);
    head[n] = 0;
    if (sscanf(head, "%d:%d:", &id, &i) != 2 || id < 0 || id >= THREADS ||
        i < 0 || i >= SENDS || seen[id][i]++) {
        fprintf(stderr, "bad or repeated record '%s'\n", head);
        atomic_fetch_add(&failures, 1);
    }
    return 0;
}

static int rm_cb(const char *p, const struct stat *st, int f, struct FTW *w) {
    (void)st;
    (void)f;
    (void)w;
    return remove(p);
}

int main(void) {
    char dir[] = "/tmp/warren-stress-producer-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char err[512];
    int e;
    broker = bc_broker_open(dir, NULL, wall_ms(), &e, err, sizeof(err));
    if (!broker) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (int t = 0; t < TOPICS; t++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", t);
        bc_broker_create_topic(broker, name, t == 0 ? 1 : PARTS, NULL,
                               wall_ms(), NULL, 0);
    }
    bc_producer_conf_t c = bc_producer_conf_default();
    c.acks = BC_ACKS_NONE;
    c.linger_ms = 2;
    c.buffer_memory = 1 << 20; /* a small pool: full and empty often */
    fast = bc_producer_new(broker, &c, NULL, 0);
    c.acks = BC_ACKS_LEADER;
    acked = bc_producer_new(broker, &c, NULL, 0);
    pthread_t th[THREADS], pt;
    pthread_create(&pt, NULL, poller, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, sender, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    atomic_store(&done_sending, 1);
    pthread_join(pt, NULL);
    if (bc_producer_flush(fast, wall_ms(), err, sizeof(err)) != 0 ||
        bc_producer_flush(acked, wall_ms(), err, sizeof(err)) != 0) {
        fprintf(stderr, "flush: %s\n", err);
        atomic_fetch_add(&failures, 1);
    }
    bc_producer_destroy(fast);
    bc_producer_destroy(acked);

    int64_t total = 0;
    for (int t = 0; t < TOPICS; t++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", t);
        for (int q = 0; q < (t == 0 ? 1 : PARTS); q++) {
            bc_log_t *log = bc_broker_log(broker, name, q);
            int64_t off = 0, next;
            while (off < bc_log_end_offset(log)) {
                if (bc_log_read(log, off, 1 << 20, check_record, NULL, &next,
                                err, sizeof(err)) != 0) {
                    fprintf(stderr, "read %s-%d: %s\n", name, q, err);
                    atomic_fetch_add(&failures, 1);
                    break;
                }
                off = next;
            }
            total += bc_log_end_offset(log);
        }
    }
    int missing = 0;
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < SENDS; j++)
            missing += seen[i][j] == 0;
    bc_broker_close(broker);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    printf("stress_bc_producer: %d threads, %lld records in the logs, "
           "%d missing, %d failures\n",
           THREADS, (long long)total, missing, atomic_load(&failures));
    return total == (int64_t)THREADS * SENDS && missing == 0 &&
                   atomic_load(&failures) == 0
               ? 0
               : 1;
}
