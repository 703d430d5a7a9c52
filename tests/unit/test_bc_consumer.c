/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for bc_consumer: Kafka's consumer semantics over a real
 * broker in a temporary data dir.
 *
 * Time: consumers get an injected clock (a counter the test moves), so
 * auto-commit intervals and session timeouts are exact. Real time is only
 * used to let threads run; loops that wait for another thread give up
 * after a generous bound and fail the test rather than hang, and nothing
 * asserts on durations.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <malloc.h>
#ifdef __SANITIZE_ADDRESS__
/* the ASan runtime's (sanitizer/allocator_interface.h, not shipped with
 * gcc) */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_consumer.h"
#include "broker-core/bc_coord.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_offsets.h"

#define T0 1000000000LL

static char dir[256];

static int rm_cb(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void mkdir_tmp(void) {
    snprintf(dir, sizeof(dir), "/tmp/bc_consumer_test_XXXXXX");
    cr_assert(mkdtemp(dir));
}

static void rm_tmp(void) {
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(bc_consumer, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 120);

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- the little cluster every test uses ----------------------------- */

typedef struct env_s {
    bc_broker_t *b;
    bc_coord_t *coord;
    bc_offsets_t *off;
} env_t;

static int32_t parts_cb(void *opaque, const char *topic) {
    int32_t n = bc_broker_partitions(opaque, topic);

    return n < 0 ? -1 : n;
}

static void env_open(env_t *e) {
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bc_coord_conf_t cconf = {0};
    char err[256];
    int code;

    bconf.create_if_missing = 1;
    e->b = bc_broker_open(dir, &bconf, T0, &code, err, sizeof(err));
    cr_assert(e->b, "broker: %s", err);
    cconf.partitions_cb = parts_cb;
    cconf.opaque = e->b;
    e->coord = bc_coord_new(&cconf, err, sizeof(err));
    cr_assert(e->coord, "coord: %s", err);
    e->off = bc_offsets_open(e->b, NULL, T0, NULL, err, sizeof(err));
    cr_assert(e->off, "offsets: %s", err);
}

static void env_close(env_t *e) {
    bc_offsets_close(e->off);
    bc_coord_destroy(e->coord);
    bc_broker_close(e->b);
}

static void topic(env_t *e, const char *name, int32_t parts) {
    char err[256];

    cr_assert_eq(
        bc_broker_create_topic(e->b, name, parts, NULL, T0, err, sizeof(err)),
        0, "%s", err);
}

/* Appends n records "v<i>" (keys "k<i>") to one partition. */
static void produce(env_t *e, const char *t, int32_t p, int n, size_t vsize) {
    char err[256];

    for (int i = 0; i < n; i++) {
        char key[32], *val = calloc(1, vsize + 32);
        bc_record_in_t r;
        int kl = snprintf(key, sizeof(key), "k%d", i);

        snprintf(val, vsize + 32, "v%d", i);
        r = (bc_record_in_t){
            key, kl, val, (int32_t)(vsize ? vsize : strlen(val)), T0, NULL, 0};
        cr_assert_eq(
            bc_broker_append(e->b, t, p, &r, 1, 0, T0, NULL, err, sizeof(err)),
            0, "%s", err);
        free(val);
    }
}

/* A clock the test moves; one consumer may have its own frozen copy. */
typedef struct clk_s {
    _Atomic int64_t *base;
    atomic_int frozen;
    _Atomic int64_t frozen_at;
} clk_t;

static _Atomic int64_t fake_now;

static int64_t clk_fn(void *opaque) {
    clk_t *k = opaque;

    if (atomic_load(&k->frozen)) return atomic_load(&k->frozen_at);
    return atomic_load(k->base);
}

static void clk_freeze(clk_t *k) {
    atomic_store(&k->frozen_at, atomic_load(k->base));
    atomic_store(&k->frozen, 1);
}

static bc_consumer_conf_t conf_for(const char *group, clk_t *k) {
    bc_consumer_conf_t conf = bc_consumer_conf_default();

    conf.group_id = group;
    if (k) {
        conf.clock = clk_fn;
        conf.clock_opaque = k;
    }
    return conf;
}

static bc_consumer_t *consumer(env_t *e, const bc_consumer_conf_t *conf) {
    char err[256];
    bc_consumer_t *c =
        bc_consumer_new(conf, e->b, e->coord, e->off, err, sizeof(err));

    cr_assert(c, "consumer: %s", err);
    return c;
}

static void subscribe1(bc_consumer_t *c, const char *t) {
    const char *topics[] = {t};
    char err[256];

    cr_assert_eq(bc_consumer_subscribe(c, topics, 1, err, sizeof(err)), 0, "%s",
                 err);
}

/* Polls until `want` records arrived (or ~10 s of tries); appends their
 * offsets to out (partition*1000000 + offset). Returns the count. */
static int poll_n(bc_consumer_t *c, int want, int64_t *out) {
    int got = 0;
    char err[256];

    for (int tries = 0; got < want && tries < 500; tries++) {
        bc_consumer_records_t *r = NULL;
        int rc = bc_consumer_poll(c, 20, &r, err, sizeof(err));

        cr_assert_eq(rc, 0, "poll: %s", err);
        for (size_t i = 0; r && i < r->cnt; i++) {
            if (out && got < want)
                out[got] = r->recs[i].partition * 1000000LL + r->recs[i].offset;
            got++;
        }
        bc_consumer_records_free(r);
    }
    return got;
}

/* One short poll; records are dropped. */
static void poll_once(bc_consumer_t *c) {
    bc_consumer_records_t *r = NULL;
    char err[256];

    (void)bc_consumer_poll(c, 5, &r, err, sizeof(err));
    bc_consumer_records_free(r);
}

static size_t assigned(bc_consumer_t *c) {
    size_t n;

    free(bc_consumer_assignment(c, &n));
    return n;
}

/* ---- auto.offset.reset ------------------------------------------------ */

Test(bc_consumer, reset_earliest_starts_at_log_start) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    int64_t got[10];

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    conf = conf_for("g", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    cr_assert_eq(poll_n(c, 10, got), 10);
    for (int i = 0; i < 10; i++)
        cr_expect_eq(got[i], i);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, reset_latest_skips_what_is_already_there) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    int64_t got[5], pos;

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    conf = conf_for("g", NULL); /* latest is the default */
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    for (int i = 0;
         i < 2000 && (bc_consumer_position(c, "t", 0, &pos) || pos < 0); i++)
        poll_once(c);
    cr_assert_eq(bc_consumer_position(c, "t", 0, &pos), 0);
    cr_expect_eq(pos, 10);
    produce(&e, "t", 0, 5, 0);
    cr_assert_eq(poll_n(c, 5, got), 5);
    cr_expect_eq(got[0], 10);
    cr_expect_eq(got[4], 14);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, reset_none_without_commit_is_an_error_not_a_guess) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    bc_consumer_records_t *r = NULL;
    bc_offsets_commit_t oc = {"t", 0, 4, -1, ""};
    char err[256] = "";
    int64_t got[6];
    int rc = 0;

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    conf = conf_for("g", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_NONE;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    for (int i = 0; i < 200 && rc == 0; i++)
        rc = bc_consumer_poll(c, 20, &r, err, sizeof(err));
    cr_expect_eq(rc, BC_CONSUMER_ERR_NO_OFFSET);
    cr_expect_null(r);
    cr_expect(strstr(err, "t-0"), "%s", err);
    /* Once the group has a committed offset, it starts there. */
    cr_assert_eq(bc_offsets_commit(e.off, "g", &oc, 1, T0, err, sizeof(err)), 0,
                 "%s", err);
    cr_assert_eq(poll_n(c, 6, got), 6);
    cr_expect_eq(got[0], 4);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, committed_offset_wins_over_reset) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    bc_offsets_commit_t oc = {"t", 0, 7, -1, ""};
    char err[256];
    int64_t got[3];

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    cr_assert_eq(bc_offsets_commit(e.off, "g", &oc, 1, T0, err, sizeof(err)),
                 0);
    conf = conf_for("g", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    cr_assert_eq(poll_n(c, 3, got), 3);
    cr_expect_eq(got[0], 7);
    cr_expect_eq(got[2], 9);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, out_of_range_with_reset_none_is_an_error) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    bc_offsets_commit_t oc = {"t", 0, 50, -1, ""}; /* beyond the end */
    bc_consumer_records_t *r = NULL;
    char err[256] = "";
    int rc = 0;

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    cr_assert_eq(bc_offsets_commit(e.off, "g", &oc, 1, T0, err, sizeof(err)),
                 0);
    conf = conf_for("g", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_NONE;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    for (int i = 0; i < 200 && rc == 0; i++)
        rc = bc_consumer_poll(c, 20, &r, err, sizeof(err));
    cr_expect_eq(rc, BC_CONSUMER_ERR_OUT_OF_RANGE);
    cr_expect(strstr(err, "t-0: offset 50"), "%s", err);
    bc_consumer_destroy(c);
    env_close(&e);
}

/* ---- commits -------------------------------------------------------- */

Test(bc_consumer, auto_commit_at_its_interval_and_not_before) {
    env_t e;
    clk_t k = {&fake_now, 0, 0};
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    int64_t off;

    atomic_store(&fake_now, T0);
    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    conf = conf_for("g", &k);
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    c = consumer(&e, &conf); /* first auto-commit due at T0 + 5000 */
    subscribe1(c, "t");
    atomic_store(&fake_now, T0 + 100);
    cr_assert_eq(poll_n(c, 10, NULL), 10);
    cr_expect_eq(bc_consumer_committed(c, "t", 0, &off), BC_ERR_NOT_FOUND);
    atomic_store(&fake_now, T0 + 4999);
    poll_once(c);
    cr_expect_eq(bc_consumer_committed(c, "t", 0, &off), BC_ERR_NOT_FOUND,
                 "committed %lld before the interval", (long long)off);
    atomic_store(&fake_now, T0 + 5000);
    poll_once(c);
    cr_assert_eq(bc_consumer_committed(c, "t", 0, &off), 0);
    cr_expect_eq(off, 10);
    /* Next interval: from T0 + 5000 to T0 + 10000. */
    produce(&e, "t", 0, 5, 0);
    atomic_store(&fake_now, T0 + 5001);
    cr_assert_eq(poll_n(c, 5, NULL), 5);
    atomic_store(&fake_now, T0 + 9999);
    poll_once(c);
    cr_assert_eq(bc_consumer_committed(c, "t", 0, &off), 0);
    cr_expect_eq(off, 10);
    atomic_store(&fake_now, T0 + 10000);
    poll_once(c);
    cr_assert_eq(bc_consumer_committed(c, "t", 0, &off), 0);
    cr_expect_eq(off, 15);
    bc_consumer_destroy(c);
    env_close(&e);
}

typedef struct cbrec_s {
    int calls;
    int err;
    int64_t offset;
} cbrec_t;

static void on_commit(bc_consumer_t *c, int err, const bc_consumer_offset_t *o,
                      size_t n, void *opaque) {
    cbrec_t *r = opaque;

    (void)c;
    r->calls++;
    r->err = err;
    r->offset = n ? o[n - 1].offset : -1;
}

Test(bc_consumer, commit_async_callbacks_fire) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    cbrec_t r1 = {0}, r2 = {0};
    bc_consumer_offset_t five = {"t", 0, 5};
    char err[256];
    int64_t off;

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 10, 0);
    conf = conf_for("g", NULL);
    conf.enable_auto_commit = 0;
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    cr_assert_eq(poll_n(c, 10, NULL), 10);
    cr_assert_eq(bc_consumer_commit_async(c, NULL, 0, on_commit, &r1), 0);
    for (int i = 0; i < 2000 && !r1.calls; i++)
        poll_once(c);
    cr_expect_eq(r1.calls, 1);
    cr_expect_eq(r1.err, 0);
    cr_expect_eq(r1.offset, 10);
    cr_assert_eq(bc_consumer_committed(c, "t", 0, &off), 0);
    cr_expect_eq(off, 10);
    /* An older async commit queued before a sync one never wins. */
    cr_assert_eq(bc_consumer_commit_async(c, &five, 1, on_commit, &r2), 0);
    cr_assert_eq(bc_consumer_commit_sync(c, NULL, 0, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(bc_consumer_committed(c, "t", 0, &off), 0);
    cr_expect_eq(off, 10);
    for (int i = 0; i < 2000 && !r2.calls; i++)
        poll_once(c);
    cr_expect_eq(r2.calls, 1);
    cr_expect_eq(r2.offset, 5);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, manual_assign_reads_and_commits_without_group_members) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    bc_group_tp_t tp = {"t", 1};
    char err[256];
    int64_t got[4], off;

    env_open(&e);
    topic(&e, "t", 2);
    produce(&e, "t", 0, 3, 0);
    produce(&e, "t", 1, 4, 0);
    conf = conf_for("g", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    conf.enable_auto_commit = 0;
    c = consumer(&e, &conf);
    cr_assert_eq(bc_consumer_assign(c, &tp, 1, err, sizeof(err)), 0);
    cr_assert_eq(poll_n(c, 4, got), 4);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(got[i], 1000000 + i);
    cr_assert_eq(bc_consumer_commit_sync(c, NULL, 0, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(bc_consumer_committed(c, "t", 1, &off), 0);
    cr_expect_eq(off, 4);
    tp.partition = 9;
    cr_expect_eq(bc_consumer_assign(c, &tp, 1, err, sizeof(err)),
                 BC_ERR_NOT_FOUND);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, poll_respects_max_poll_records_and_keeps_order) {
    env_t e;
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    int64_t next = 0;
    char err[256];

    env_open(&e);
    topic(&e, "t", 1);
    produce(&e, "t", 0, 1000, 0);
    conf = conf_for("g", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    conf.max_poll_records = 7;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    for (int tries = 0; next < 1000 && tries < 2000; tries++) {
        bc_consumer_records_t *r = NULL;

        cr_assert_eq(bc_consumer_poll(c, 20, &r, err, sizeof(err)), 0);
        if (!r) continue;
        cr_assert_leq(r->cnt, 7);
        for (size_t i = 0; i < r->cnt; i++) {
            char want[32];

            cr_assert_eq(r->recs[i].offset, next, "gap or duplicate");
            snprintf(want, sizeof(want), "v%lld", (long long)next);
            cr_assert_eq(r->recs[i].value_len, (int32_t)strlen(want));
            cr_assert_eq(memcmp(r->recs[i].value, want, strlen(want)), 0);
            next++;
        }
        bc_consumer_records_free(r);
    }
    cr_expect_eq(next, 1000);
    cr_expect_eq(bc_consumer_seek(c, "t", 0, 500), 0);
    {
        int64_t got[1];

        cr_assert_geq(poll_n(c, 1, got), 1);
        cr_expect_eq(got[0], 500);
    }
    bc_consumer_destroy(c);
    env_close(&e);
}

/* ---- wakeup and close ------------------------------------------------- */

typedef struct poller_s {
    bc_consumer_t *c;
    atomic_int started;
    int rc;
} poller_t;

static void *poll_long(void *arg) {
    poller_t *p = arg;
    bc_consumer_records_t *r = NULL;
    char err[256];

    atomic_store(&p->started, 1);
    /* Nothing to read: without wakeup() this returns 0 after 60 s. */
    p->rc = bc_consumer_poll(p->c, 60000, &r, err, sizeof(err));
    bc_consumer_records_free(r);
    return NULL;
}

Test(bc_consumer, wakeup_unblocks_a_poll_from_another_thread) {
    env_t e;
    bc_consumer_conf_t conf;
    poller_t p = {0};
    pthread_t th;

    env_open(&e);
    topic(&e, "t", 1);
    conf = conf_for("g", NULL);
    p.c = consumer(&e, &conf);
    subscribe1(p.c, "t");
    for (int i = 0; i < 2000 && assigned(p.c) != 1; i++)
        poll_once(p.c); /* join first */
    pthread_create(&th, NULL, poll_long, &p);
    while (!atomic_load(&p.started))
        sleep_ms(1);
    sleep_ms(50);
    bc_consumer_wakeup(p.c);
    pthread_join(th, NULL);
    cr_expect_eq(p.rc, BC_CONSUMER_ERR_WAKEUP);
    bc_consumer_destroy(p.c);
    env_close(&e);
}

Test(bc_consumer, close_leaves_the_group_at_once) {
    env_t e;
    clk_t k = {&fake_now, 0, 0};
    bc_consumer_conf_t conf;
    bc_consumer_t *a, *b;
    bc_coord_desc_t *d;
    char err[256];
    int i;

    atomic_store(&fake_now, T0);
    env_open(&e);
    topic(&e, "t", 4);
    conf = conf_for("g", &k);
    /* Long sessions: leaving must not depend on any timeout. */
    conf.session_timeout_ms = 600000;
    a = consumer(&e, &conf);
    b = consumer(&e, &conf);
    subscribe1(a, "t");
    subscribe1(b, "t");
    for (i = 0; i < 2000 && (assigned(a) != 2 || assigned(b) != 2); i++) {
        atomic_fetch_add(&fake_now, 200);
        poll_once(a);
        poll_once(b);
    }
    cr_assert_eq(assigned(a), 2);
    cr_assert_eq(assigned(b), 2);
    cr_assert_eq(bc_consumer_close(a, err, sizeof(err)), 0, "%s", err);
    /* Gone now, not after session.timeout.ms. */
    d = bc_coord_describe(e.coord, "g", atomic_load(&fake_now));
    cr_assert(d);
    cr_expect_eq(d->member_cnt, 1);
    bc_coord_desc_free(d);
    for (i = 0; i < 2000 && assigned(b) != 4; i++) {
        atomic_fetch_add(&fake_now, 200);
        poll_once(b);
    }
    cr_expect_eq(assigned(b), 4);
    bc_consumer_destroy(a);
    bc_consumer_destroy(b);
    env_close(&e);
}

/* ---- rebalance: a consumer stops heartbeating -------------------------- */

#define NP 4
#define MAXREC 8000

typedef struct member_s {
    const char *name;
    bc_consumer_t *c;
    clk_t clk;
    pthread_t th;
    atomic_int stop;
    atomic_int freeze_after_batch; /* hang after processing, before commit */
    atomic_int frozen;
    pthread_mutex_t mu; /* guards the logs below */
    int64_t processed[MAXREC];
    int nprocessed;
    /* last committed position per partition, as this app committed it */
    int64_t committed[NP];
    char events[64][128];
    int nevents;
} member_t;

static void event(member_t *m, const char *what, int n, int rc) {
    pthread_mutex_lock(&m->mu);
    if (m->nevents < 64) {
        if (rc == INT32_MIN)
            snprintf(m->events[m->nevents++], 128, "%s %d", what, n);
        else
            snprintf(m->events[m->nevents++], 128, "%s %d commit=%d", what, n,
                     rc);
    }
    pthread_mutex_unlock(&m->mu);
}

static void on_rebalance(bc_consumer_t *c, bc_consumer_rebalance_t kind,
                         const bc_group_tp_t *tps, size_t n, void *opaque) {
    member_t *m = opaque;
    char err[256];

    if (kind == BC_CONSUMER_REVOKED) {
        /* The seed's advice: commit in onPartitionsRevoked. */
        int rc = bc_consumer_commit_sync(c, NULL, 0, err, sizeof(err));

        event(m, "revoked", (int)n, rc);
    } else {
        event(m, kind == BC_CONSUMER_ASSIGNED ? "assigned" : "lost", (int)n,
              INT32_MIN);
    }
    (void)tps;
}

static void *member_loop(void *arg) {
    member_t *m = arg;
    char err[256];

    while (!atomic_load(&m->stop)) {
        bc_consumer_records_t *r = NULL;

        if (atomic_load(&m->frozen)) {
            sleep_ms(1);
            continue;
        }
        if (bc_consumer_poll(m->c, 10, &r, err, sizeof(err)) != 0 || !r)
            continue;
        pthread_mutex_lock(&m->mu);
        for (size_t i = 0; i < r->cnt && m->nprocessed < MAXREC; i++)
            m->processed[m->nprocessed++] =
                r->recs[i].partition * 1000000LL + r->recs[i].offset;
        pthread_mutex_unlock(&m->mu);
        bc_consumer_records_free(r);
        if (atomic_load(&m->freeze_after_batch)) {
            /* Hung process: no commit, no poll, no heartbeat. */
            clk_freeze(&m->clk);
            atomic_store(&m->frozen, 1);
            continue;
        }
        if (bc_consumer_commit_sync(m->c, NULL, 0, err, sizeof(err)) == 0) {
            pthread_mutex_lock(&m->mu);
            for (int p = 0; p < NP; p++) {
                int64_t pos;

                if (bc_consumer_position(m->c, "t", p, &pos) == 0 && pos >= 0)
                    m->committed[p] = pos;
            }
            pthread_mutex_unlock(&m->mu);
        }
    }
    return NULL;
}

static void member_start(env_t *e, member_t *m, const char *name,
                         int32_t session_timeout_ms) {
    bc_consumer_conf_t conf;

    memset(m, 0, sizeof(*m));
    m->name = name;
    m->clk.base = &fake_now;
    pthread_mutex_init(&m->mu, NULL);
    for (int p = 0; p < NP; p++)
        m->committed[p] = -1;
    conf = conf_for("g", &m->clk);
    conf.client_id = name;
    conf.enable_auto_commit = 0;
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    conf.max_poll_records = 20;
    conf.session_timeout_ms = session_timeout_ms;
    conf.rebalance_cb = on_rebalance;
    conf.rebalance_opaque = m;
    m->c = consumer(e, &conf);
    subscribe1(m->c, "t");
    pthread_create(&m->th, NULL, member_loop, m);
}

static void member_stop(member_t *m) {
    atomic_store(&m->stop, 1);
    pthread_join(m->th, NULL);
}

static int count_of(member_t *m, int64_t key) {
    int n = 0;

    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->nprocessed; i++)
        n += m->processed[i] == key;
    pthread_mutex_unlock(&m->mu);
    return n;
}

static int all_seen(member_t *a, member_t *b, int upto) {
    for (int p = 0; p < NP; p++)
        for (int o = 0; o < upto; o++)
            if (!count_of(a, p * 1000000LL + o) &&
                !count_of(b, p * 1000000LL + o))
                return 0;
    return 1;
}

/* Advances the shared clock in 100 ms steps until cond holds (bounded). */
#define ADVANCE_UNTIL(cond)                                                    \
    do {                                                                       \
        int guard_ = 0;                                                        \
        while (!(cond) && guard_++ < 20000) {                                  \
            atomic_fetch_add(&fake_now, 100);                                  \
            sleep_ms(1);                                                       \
        }                                                                      \
        cr_assert(cond, "gave up waiting for: %s", #cond);                     \
    } while (0)

Test(bc_consumer, silent_member_partitions_move_after_session_timeout) {
    env_t e;
    member_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    bc_group_tp_t *tps;
    size_t n;
    int b_orig[NP] = {0}, revoked_at = -1, assigned4_at = -1, dups = 0;
    char err[256];
    int64_t a_committed[NP];

    atomic_store(&fake_now, T0);
    env_open(&e);
    topic(&e, "t", NP);
    for (int p = 0; p < NP; p++)
        produce(&e, "t", p, 100, 0);

    /* A has Kafka's 45 s session. B's is long, so that however late a
     * loaded machine runs B's heartbeats against the fast test clock, B
     * is never the one that times out. */
    member_start(&e, a, "A", 45000);
    ADVANCE_UNTIL(assigned(a->c) == NP);
    member_start(&e, b, "B", 600000);
    ADVANCE_UNTIL(assigned(a->c) == 2 && assigned(b->c) == 2);
    ADVANCE_UNTIL(all_seen(a, b, 100));
    tps = bc_consumer_assignment(b->c, &n);
    for (size_t i = 0; i < n; i++)
        b_orig[tps[i].partition] = 1;
    free(tps);

    /* A processes one more batch, then hangs before committing it. */
    atomic_store(&a->freeze_after_batch, 1);
    for (int p = 0; p < NP; p++)
        produce(&e, "t", p, 100, 0);
    ADVANCE_UNTIL(atomic_load(&a->frozen));
    pthread_mutex_lock(&a->mu);
    memcpy(a_committed, a->committed, sizeof(a_committed));
    pthread_mutex_unlock(&a->mu);

    /* 45 s of silence later, B owns everything. */
    ADVANCE_UNTIL(assigned(b->c) == NP);
    ADVANCE_UNTIL(all_seen(a, b, 200));
    member_stop(a);
    member_stop(b);

    /* B committed in "revoked" before it was given A's partitions. */
    for (int i = 0; i < b->nevents; i++) {
        if (revoked_at < 0 && i > 0 &&
            !strcmp(b->events[i], "revoked 2 commit=0"))
            revoked_at = i;
        if (!strcmp(b->events[i], "assigned 4")) assigned4_at = i;
    }
    cr_expect_geq(revoked_at, 0, "B never committed on revoke");
    cr_expect_gt(assigned4_at, revoked_at);

    /* At-least-once: nothing lost; B's own partitions never twice; A's
     * partitions twice only inside A's uncommitted window, and the batch A
     * processed but never committed is delivered again, to B. */
    for (int p = 0; p < NP; p++) {
        for (int o = 0; o < 200; o++) {
            int64_t key = p * 1000000LL + o;
            int total = count_of(a, key) + count_of(b, key);

            cr_expect_geq(total, 1, "t-%d offset %d lost", p, o);
            if (b_orig[p] || o < a_committed[p])
                cr_expect_eq(total, 1, "t-%d offset %d delivered %d times", p,
                             o, total);
            else if (total > 1)
                dups++;
        }
    }
    cr_expect_gt(dups, 0, "A's uncommitted batch was not redelivered");
    /* A, the zombie, can no longer commit. */
    cr_expect_eq(bc_consumer_commit_sync(a->c, NULL, 0, err, sizeof(err)),
                 BC_COORD_ERR_UNKNOWN_MEMBER);
    bc_consumer_destroy(a->c);
    bc_consumer_destroy(b->c);
    env_close(&e);
    free(a);
    free(b);
}

/* ---- crash: SIGKILL mid-stream, restart resumes at the commit -------- */

#define CRASH_N 3000

/* Consumes "t" as group "crash", telling fd each record read (R), each
 * commit (C) and the end of each poll (E), after which it waits for a
 * byte on go: the parent decides where it is killed. */
static void child_consume(int fd, int go) {
    env_t e;
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bc_coord_conf_t cconf = {0};
    bc_consumer_conf_t conf = bc_consumer_conf_default();
    bc_consumer_t *c;
    char err[256], line[64];
    int code;

    e.b = bc_broker_open(dir, &bconf, T0, &code, err, sizeof(err));
    if (!e.b) _exit(3);
    cconf.partitions_cb = parts_cb;
    cconf.opaque = e.b;
    e.coord = bc_coord_new(&cconf, err, sizeof(err));
    e.off = bc_offsets_open(e.b, NULL, T0, NULL, err, sizeof(err));
    if (!e.coord || !e.off) _exit(4);
    conf.group_id = "crash";
    conf.enable_auto_commit = 0;
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    conf.max_poll_records = 25;
    c = bc_consumer_new(&conf, e.b, e.coord, e.off, err, sizeof(err));
    if (!c) _exit(5);
    {
        const char *topics[] = {"t"};

        bc_consumer_subscribe(c, topics, 1, err, sizeof(err));
    }
    for (;;) {
        bc_consumer_records_t *r = NULL;
        int64_t last[2] = {-1, -1};

        if (bc_consumer_poll(c, 50, &r, err, sizeof(err)) != 0 || !r) continue;
        for (size_t i = 0; i < r->cnt; i++) {
            int n = snprintf(line, sizeof(line), "R %d %lld\n",
                             (int)r->recs[i].partition,
                             (long long)r->recs[i].offset);

            if (write(fd, line, (size_t)n) != n) _exit(6);
            last[r->recs[i].partition] = r->recs[i].offset;
        }
        bc_consumer_records_free(r);
        if (bc_consumer_commit_sync(c, NULL, 0, err, sizeof(err)) != 0)
            _exit(7);
        for (int p = 0; p < 2; p++) {
            int n;

            if (last[p] < 0) continue;
            n = snprintf(line, sizeof(line), "C %d %lld\n", p,
                         (long long)last[p] + 1);
            if (write(fd, line, (size_t)n) != n) _exit(6);
        }
        char b;
        if (write(fd, "E\n", 2) != 2 || read(go, &b, 1) != 1) _exit(6);
    }
}

Test(bc_consumer, sigkill_mid_stream_then_restart_resumes_at_last_commit) {
    env_t e;
    int fds[2], gofds[2];
    pid_t pid;
    FILE *in;
    char line[64];
    int commits = 0;
    int64_t last_c[2] = {0, 0}, max_r[2] = {-1, -1}, committed[2];
    static unsigned char seen[2][CRASH_N];
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    char err[256];

    env_open(&e);
    topic(&e, "t", 2);
    produce(&e, "t", 0, CRASH_N, 0);
    produce(&e, "t", 1, CRASH_N, 0);
    env_close(&e); /* the child must own the data dir's lock */

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(pipe(gofds), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        close(gofds[1]);
        child_consume(fds[1], gofds[0]);
        _exit(0);
    }
    close(fds[1]);
    close(gofds[0]);
    in = fdopen(fds[0], "r");
    /* Kill it in the middle: once 20 commits were reported, while it
     * waits at the end of a poll (however loaded the machine is). */
    while (fgets(line, sizeof(line), in)) {
        int p;
        long long o;

        if (sscanf(line, "R %d %lld", &p, &o) == 2) {
            seen[p][o] = 1;
            if (o > max_r[p]) max_r[p] = o;
        } else if (sscanf(line, "C %d %lld", &p, &o) == 2) {
            last_c[p] = o;
            commits++;
        } else if (line[0] == 'E') {
            if (commits >= 20)
                kill(pid, SIGKILL);
            else
                cr_assert_eq(write(gofds[1], "g", 1), 1);
        }
    }
    fclose(in);
    close(gofds[1]);
    {
        int status;

        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "child ended without the kill (status %d)", status);
    }
    cr_assert_lt(max_r[0] + max_r[1], 2 * CRASH_N - 2, "not mid-stream");

    /* Restart: the broker recovers, the table is rebuilt. */
    env_open(&e);
    for (int p = 0; p < 2; p++) {
        cr_assert_eq(
            bc_offsets_fetch(e.off, "crash", "t", p, &committed[p], NULL), 0);
        /* Reported commits are durable; an unreported last one may exist. */
        cr_expect_geq(committed[p], last_c[p]);
        cr_expect_leq(committed[p], max_r[p] + 1);
    }
    conf = conf_for("crash", NULL);
    conf.auto_offset_reset = BC_CONSUMER_RESET_NONE; /* must use commits */
    conf.enable_auto_commit = 0;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    {
        int64_t first[2] = {-1, -1};
        int got = 0, want = 2 * CRASH_N - (int)committed[0] - (int)committed[1];

        for (int tries = 0; got < want && tries < 2000; tries++) {
            bc_consumer_records_t *r = NULL;

            cr_assert_eq(bc_consumer_poll(c, 20, &r, err, sizeof(err)), 0, "%s",
                         err);
            for (size_t i = 0; r && i < r->cnt; i++) {
                int p = r->recs[i].partition;

                if (first[p] < 0) first[p] = r->recs[i].offset;
                seen[p][r->recs[i].offset] = 1;
                got++;
            }
            bc_consumer_records_free(r);
        }
        cr_expect_eq(got, want);
        /* a partition read to its end before the kill has nothing left */
        for (int p = 0; p < 2; p++)
            cr_expect_eq(first[p], committed[p] < CRASH_N ? committed[p] : -1,
                         "t-%d resumed at %lld (committed %lld)", p,
                         (long long)first[p], (long long)committed[p]);
    }
    for (int p = 0; p < 2; p++)
        for (int o = 0; o < CRASH_N; o++)
            cr_expect(seen[p][o], "t-%d offset %d never consumed", p, o);
    bc_consumer_destroy(c);
    env_close(&e);
}

/* ---- max.poll.interval.ms ---------------------------------------------- */

typedef struct kinds_s {
    int revoked, assigned, lost;
} kinds_t;

static void count_kinds(bc_consumer_t *c, bc_consumer_rebalance_t kind,
                        const bc_group_tp_t *tps, size_t n, void *opaque) {
    kinds_t *k = opaque;

    (void)c;
    (void)tps;
    (void)n;
    if (kind == BC_CONSUMER_REVOKED)
        k->revoked++;
    else if (kind == BC_CONSUMER_ASSIGNED)
        k->assigned++;
    else
        k->lost++;
}

Test(bc_consumer, no_poll_for_max_poll_interval_leaves_the_group) {
    env_t e;
    clk_t k = {&fake_now, 0, 0};
    kinds_t kinds = {0, 0, 0};
    bc_consumer_conf_t conf;
    bc_consumer_t *c;
    bc_coord_desc_t *d = NULL;
    int i;

    atomic_store(&fake_now, T0);
    env_open(&e);
    topic(&e, "t", 2);
    conf = conf_for("g", &k);
    /* A long session, so that only max.poll.interval.ms can remove it,
     * however late a loaded machine runs its heartbeats. */
    conf.session_timeout_ms = 600000;
    conf.rebalance_cb = count_kinds;
    conf.rebalance_opaque = &kinds;
    c = consumer(&e, &conf);
    subscribe1(c, "t");
    for (i = 0; i < 2000 && assigned(c) != 2; i++)
        poll_once(c);
    cr_assert_eq(assigned(c), 2);
    /* The application stops polling; heartbeats alone do not keep it in
     * the group past max.poll.interval.ms (300 s). */
    for (i = 0; i < 2000; i++) {
        atomic_fetch_add(&fake_now, 1000);
        sleep_ms(1);
        bc_coord_desc_free(d);
        d = bc_coord_describe(e.coord, "g", T0);
        if (d && d->member_cnt == 0) break;
    }
    cr_assert(d && d->member_cnt == 0, "still a member after %d s", i);
    cr_expect_geq(atomic_load(&fake_now) - T0, 300000);
    bc_coord_desc_free(d);
    /* The next poll reports the partitions lost and joins again. */
    for (i = 0; i < 2000 && kinds.assigned < 2; i++)
        poll_once(c);
    cr_expect_eq(kinds.lost, 1);
    cr_expect_eq(kinds.revoked, 0);
    cr_expect_eq(kinds.assigned, 2);
    bc_consumer_destroy(c);
    env_close(&e);
}

/* ---- prefetch memory ---------------------------------------------------- */

/* Bytes the heap has handed out (every arena, and mmapped blocks). */
/* Bytes the allocator has handed out and not had back: glibc's figure,
 * or ASan's when ASan replaces malloc (mallinfo2 then reports 0). */
static int64_t heap_in_use(void) {
#ifdef __SANITIZE_ADDRESS__
    return (int64_t)__sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();

    return (int64_t)mi.uordblks + (int64_t)mi.hblkhd;
#endif
}

/* Appends n small records (10-byte values) to t-0, 1000 per batch. */
static void produce_small(env_t *e, const char *t, int n) {
    static bc_record_in_t recs[1000];
    static char vals[1000][16];
    char err[256];

    for (int done = 0; done < n;) {
        int k = n - done < 1000 ? n - done : 1000;
        for (int i = 0; i < k; i++) {
            snprintf(vals[i], sizeof(vals[i]), "v%09d", done + i);
            recs[i] = (bc_record_in_t){NULL, -1, vals[i], 10, T0, NULL, 0};
        }
        cr_assert_eq(bc_broker_append(e->b, t, 0, recs, (size_t)k, 0, T0, NULL,
                                      err, sizeof(err)),
                     0, "%s", err);
        done += k;
    }
}

/* Starts an assign-only consumer of t-0 from the log start, polls one
 * record (which sets the position and starts the fetcher) and then waits
 * until the prefetch queue stops growing. */
static bc_consumer_t *prefetch_all(env_t *e, const char *t, int64_t bound) {
    bc_consumer_conf_t conf = conf_for(NULL, NULL);
    bc_group_tp_t tp = {t, 0};
    char err[256];

    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    conf.enable_auto_commit = 0;
    conf.max_poll_records = 1;
    conf.queued_max_bytes = bound;
    bc_consumer_t *c =
        bc_consumer_new(&conf, e->b, NULL, NULL, err, sizeof(err));
    cr_assert(c, "consumer: %s", err);
    cr_assert_eq(bc_consumer_assign(c, &tp, 1, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(poll_n(c, 1, NULL), 1);
    int64_t last = -1;
    int still = 0;
    for (int tries = 0; tries < 1000 && still < 10; tries++) {
        sleep_ms(20);
        int64_t q = bc_consumer_queued_bytes(c);
        still = q == last && q > 0 ? still + 1 : 0;
        last = q;
    }
    cr_assert_geq(still, 10, "the prefetch queue never settled");
    return c;
}

/* The bound is only a bound if it counts what the queue really holds:
 * with small records the per-record arrays outweigh the batches (they
 * were not counted, and a 64 MiB bound held ~0.9 GB). */
Test(bc_consumer, prefetch_counts_every_byte_it_holds) {
    env_t e;

    env_open(&e);
    topic(&e, "small", 1);
    produce_small(&e, "small", 200000); /* ~4 MB on disk */
    int64_t before = heap_in_use();
    bc_consumer_t *c = prefetch_all(&e, "small", 256LL << 20);
    int64_t held = heap_in_use() - before;
    int64_t counted = bc_consumer_queued_bytes(c);
    cr_log_info("prefetched: heap +%lld bytes, counted %lld", (long long)held,
                (long long)counted);
    cr_assert_gt(held, 4 << 20);
    cr_expect_geq(counted, held * 9 / 10,
                  "counted %lld of the %lld bytes the queue holds",
                  (long long)counted, (long long)held);
    cr_expect_leq(counted, held * 11 / 10 + (64 << 10),
                  "counted %lld, more than the %lld bytes held",
                  (long long)counted, (long long)held);
    bc_consumer_destroy(c);
    env_close(&e);
}

Test(bc_consumer, prefetch_stops_at_its_bound_in_real_bytes) {
    env_t e;
    const int64_t bound = 2 << 20;

    env_open(&e);
    topic(&e, "small", 1);
    produce_small(&e, "small", 400000); /* ~8 MB on disk, ~24 MB parsed */
    int64_t before = heap_in_use();
    bc_consumer_t *c = prefetch_all(&e, "small", bound);
    int64_t held = heap_in_use() - before;
    cr_log_info("bound %lld: heap +%lld bytes", (long long)bound,
                (long long)held);
    /* Passed by at most one fetch: 1 MiB of batches and their records. */
    cr_expect_leq(held, bound + (4 << 20), "bound %lld, heap +%lld",
                  (long long)bound, (long long)held);
    cr_expect_leq(bc_consumer_queued_bytes(c), bound + (4 << 20));
    bc_consumer_destroy(c);
    env_close(&e);
}
