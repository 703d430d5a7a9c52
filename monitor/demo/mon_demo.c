/* SPDX-License-Identifier: Apache-2.0 */
/* mon_demo: see mon_demo.h. Pacing uses the monotonic clock; record and
 * commit times are the wall clock, as a real client's would be. */
#include "monitor/demo/mon_demo.h"
#include "monitor/base/mon_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_consumer.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_producer.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"
#include "monitor/sources/mon_source_embedded.h"

#define DEMO_TOPIC "orders"
#define DEMO_IDLE_TOPIC "config-changes"
#define DEMO_RATE 100 /* records per second into DEMO_TOPIC */

typedef enum behaviour_e {
    KEEP_UP,  /* consume everything, commit each second */
    SLOW,     /* consume a share of production, commit each second */
    STALLED,  /* commit the same offset each second */
    STOPPING, /* consume and commit, then close after a while */
} behaviour_t;

typedef struct group_spec_s {
    const char *group;
    const char *topic;
    behaviour_t how;
} group_spec_t;

static const group_spec_t specs[] = {
    {"billing", DEMO_TOPIC, KEEP_UP},       {"analytics", DEMO_TOPIC, SLOW},
    {"audit", DEMO_TOPIC, STALLED},         {"reports", DEMO_TOPIC, STOPPING},
    {"archiver", DEMO_IDLE_TOPIC, KEEP_UP},
};
#define N_GROUPS (sizeof(specs) / sizeof(specs[0]))

struct mon_demo_s;

typedef struct worker_s {
    struct mon_demo_s *demo;
    const group_spec_t *spec;
    mon_worker_t *thread; /* NULL when not running */
    bc_consumer_t *consumer;
} worker_t;

struct mon_demo_s {
    double speed; /* the timeline runs this many times faster */
    bc_broker_t *broker;
    bc_offsets_t *off;
    bc_coord_t *coord;
    bc_producer_t *producer;
    mon_worker_t *producer_thread; /* NULL when not running */
    worker_t workers[N_GROUPS];
};

static int64_t wall_ms(void) {
    return mon_clock_wall_ms();
}

/* The consumers' clock: they run inside the daemon, on its step-safe
 * wall clock (mon_clock.h), as the broker stamps what they send. */
static int64_t consumer_clock(void *opaque) {
    (void)opaque;
    return mon_clock_wall_ms();
}

/* ms of the demo's timeline in real ms at its speed (at least 1). */
static int64_t scaled(const mon_demo_t *d, int64_t ms) {
    int64_t r = (int64_t)((double)ms / d->speed);
    return r > 0 ? r : 1;
}

static void produce(mon_worker_t *self, void *arg) {
    mon_demo_t *d = arg;
    static const char *customers[] = {"acme",  "globex", "initech", "umbrella",
                                      "hooli", "stark",  "wayne",   "tyrell"};
    uint64_t n = 0;
    int64_t start = mon_clock_mono_ms();
    while (!mon_worker_stopping(self)) {
        char key[32], value[96];
        const char *cust = customers[n % 8];
        int kl = snprintf(key, sizeof(key), "%s", cust);
        int vl = snprintf(value, sizeof(value),
                          "{\"order\":%llu,\"customer\":\"%s\",\"cents\":%llu}",
                          (unsigned long long)n, cust,
                          (unsigned long long)(n * 7919 % 100000));
        bc_record_in_t rec = {.key = key,
                              .key_len = kl,
                              .value = value,
                              .value_len = vl,
                              .timestamp = -1};
        char err[MON_ERRSTR_SIZE];
        if (bc_producer_send(d->producer, DEMO_TOPIC, -1, &rec, wall_ms(), NULL,
                             NULL, err, sizeof(err)) != 0)
            mon_log_kv(MON_LOG_WARN, MON_LOG_FIELDS(MON_LF_STR("error", err)),
                       "demo producer failed");
        n++;
        /* Pace to DEMO_RATE records per (scaled) second. */
        int64_t due =
            start + (int64_t)((double)n * 1000.0 / (DEMO_RATE * d->speed));
        int64_t wait = due - mon_clock_mono_ms();
        mon_worker_sleep(self, wait);
    }
}

static void consume(mon_worker_t *self, void *arg) {
    worker_t *w = arg;
    const mon_demo_t *d = w->demo;
    const group_spec_t *s = w->spec;
    char err[MON_ERRSTR_SIZE];
    const char *topics[] = {s->topic};
    if (bc_consumer_subscribe(w->consumer, topics, 1, err, sizeof(err)) != 0) {
        mon_log_kv(MON_LOG_WARN,
                   MON_LOG_FIELDS(MON_LF_STR("group", s->group),
                                  MON_LF_STR("error", err)),
                   "demo consumer cannot subscribe");
        return;
    }
    int64_t started = mon_clock_mono_ms(), last_commit = started;
    /* One commit a (scaled) second; the stopping group stops after 15. */
    int64_t period = scaled(d, 1000), stop_after = scaled(d, 15000);
    int poll_ms = period < 100 ? (int)period : 100;
    bc_consumer_offset_t fixed[8];
    size_t n_fixed = 0;
    while (!mon_worker_stopping(self)) {
        /* max.poll.records 6 every 100 ms: 60/s */
        if (s->how == SLOW && mon_worker_sleep(self, scaled(d, 100))) break;
        bc_consumer_records_t *recs = NULL;
        int rc =
            bc_consumer_poll(w->consumer, poll_ms, &recs, err, sizeof(err));
        if (rc == BC_CONSUMER_ERR_WAKEUP) break;
        if (rc != 0) {
            mon_log_kv(MON_LOG_DEBUG,
                       MON_LOG_FIELDS(MON_LF_STR("group", s->group),
                                      MON_LF_STR("error", err)),
                       "demo poll failed");
            mon_worker_sleep(self, 100);
            continue;
        }
        bc_consumer_records_free(recs);
        int64_t now = mon_clock_mono_ms();
        if (now - last_commit < period) continue;
        last_commit = now;
        if (s->how == STOPPING && now - started > stop_after) {
            mon_log_kv(MON_LOG_INFO,
                       MON_LOG_FIELDS(MON_LF_STR("group", s->group)),
                       "demo group stops consuming (as planned)");
            bc_consumer_close(w->consumer, err, sizeof(err));
            return;
        }
        if (s->how == STALLED) {
            /* Commit the positions seen first, forever. */
            if (!n_fixed) {
                size_t na = 0;
                bc_group_tp_t *tps = bc_consumer_assignment(w->consumer, &na);
                for (size_t i = 0; i < na && n_fixed < 8; i++) {
                    int64_t pos = -1;
                    if (bc_consumer_position(w->consumer, tps[i].topic,
                                             tps[i].partition, &pos) == 0 &&
                        pos >= 0) {
                        fixed[n_fixed].topic = DEMO_TOPIC;
                        fixed[n_fixed].partition = tps[i].partition;
                        fixed[n_fixed].offset = pos;
                        n_fixed++;
                    }
                }
                free(tps);
            }
            if (n_fixed)
                bc_consumer_commit_sync(w->consumer, fixed, n_fixed, err,
                                        sizeof(err));
            continue;
        }
        if (bc_consumer_commit_sync(w->consumer, NULL, 0, err, sizeof(err)) !=
            0)
            mon_log_kv(MON_LOG_DEBUG,
                       MON_LOG_FIELDS(MON_LF_STR("group", s->group),
                                      MON_LF_STR("error", err)),
                       "demo commit failed");
    }
}

static int ensure_topic(bc_broker_t *b, const char *topic, int32_t parts,
                        char *errstr, size_t errstr_size) {
    if (bc_broker_partitions(b, topic) > 0) return 0;
    int rc = bc_broker_create_topic(b, topic, parts, NULL, wall_ms(), errstr,
                                    errstr_size);
    return rc == BC_ERR_EXISTS ? 0 : rc;
}

mon_demo_t *mon_demo_start(mon_source_t *src, double speed, char *errstr,
                           size_t errstr_size) {
    if (!(speed >= MON_DEMO_SPEED_MIN && speed <= MON_DEMO_SPEED_MAX)) {
        snprintf(errstr, errstr_size, "demo speed must be in [%g, %g]",
                 MON_DEMO_SPEED_MIN, MON_DEMO_SPEED_MAX);
        return NULL;
    }
    mon_demo_t *d = mon_calloc(1, sizeof(*d));
    d->speed = speed;
    d->broker = mon_source_embedded_broker(src);
    d->off = mon_source_embedded_offsets(src);
    d->coord = mon_source_embedded_coord(src);
    if (ensure_topic(d->broker, DEMO_TOPIC, 4, errstr, errstr_size) != 0 ||
        ensure_topic(d->broker, DEMO_IDLE_TOPIC, 1, errstr, errstr_size) != 0)
        goto fail;
    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = BC_ACKS_LEADER;
    d->producer = bc_producer_new(d->broker, &pc, errstr, errstr_size);
    if (!d->producer) goto fail;
    /* The idle topic gets a little data once, then nothing. */
    if (bc_broker_partitions(d->broker, DEMO_IDLE_TOPIC) > 0) {
        bc_log_t *log = bc_broker_log(d->broker, DEMO_IDLE_TOPIC, 0);
        for (int i = 0; log && bc_log_end_offset(log) < 20 && i < 20; i++) {
            char v[64];
            int vl = snprintf(v, sizeof(v), "{\"setting\":%d}", i);
            bc_record_in_t rec = {
                .value = v, .value_len = vl, .key_len = -1, .timestamp = -1};
            bc_producer_send(d->producer, DEMO_IDLE_TOPIC, 0, &rec, wall_ms(),
                             NULL, NULL, errstr, errstr_size);
        }
    }
    for (size_t i = 0; i < N_GROUPS; i++) {
        worker_t *w = &d->workers[i];
        w->demo = d;
        w->spec = &specs[i];
        bc_consumer_conf_t cc = bc_consumer_conf_default();
        char client[64];
        snprintf(client, sizeof(client), "%s-1", specs[i].group);
        cc.group_id = specs[i].group;
        cc.client_id = client;
        cc.client_host = "/127.0.0.1";
        cc.enable_auto_commit = 0;
        cc.clock = consumer_clock;
        cc.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
        cc.max_poll_records = specs[i].how == SLOW ? 6 : 200;
        /* The demo's traffic is ~8 KB/s: 1 MiB of prefetch is minutes of
         * it, and a group that falls behind holds no more than that. */
        cc.queued_max_bytes = 1 << 20;
        w->consumer = bc_consumer_new(&cc, d->broker, d->coord, d->off, errstr,
                                      errstr_size);
        if (!w->consumer) goto fail;
    }
    if (mon_worker_start(&d->producer_thread, "demo producer", produce, d,
                         errstr, errstr_size) != 0)
        goto fail;
    for (size_t i = 0; i < N_GROUPS; i++)
        if (mon_worker_start(&d->workers[i].thread, specs[i].group, consume,
                             &d->workers[i], errstr, errstr_size) != 0)
            goto fail;
    mon_log_kv(MON_LOG_INFO,
               MON_LOG_FIELDS(MON_LF_STR("topic", DEMO_TOPIC),
                              MON_LF_INT("rate", DEMO_RATE),
                              MON_LF_STR("groups", "billing,analytics,audit,"
                                                   "reports,archiver")),
               "demo producing");
    return d;
fail:
    mon_demo_stop(d);
    return NULL;
}

void mon_demo_stop(mon_demo_t *d) {
    if (!d) return;
    /* Ask every thread first, so they all wind down at once. */
    mon_worker_request_stop(d->producer_thread);
    for (size_t i = 0; i < N_GROUPS; i++) {
        mon_worker_request_stop(d->workers[i].thread);
        if (d->workers[i].consumer) bc_consumer_wakeup(d->workers[i].consumer);
    }
    for (size_t i = 0; i < N_GROUPS; i++) {
        worker_t *w = &d->workers[i];
        mon_worker_stop(&w->thread);
        if (w->consumer) {
            char err[MON_ERRSTR_SIZE];
            bc_consumer_close(w->consumer, err, sizeof(err));
            bc_consumer_destroy(w->consumer);
        }
    }
    mon_worker_stop(&d->producer_thread);
    bc_producer_destroy(d->producer);
    free(d);
}
