/* SPDX-License-Identifier: Apache-2.0 */
/* Crash test of durable produce: a child process produces with
 * acks=all in durable mode from two threads and reports every
 * acknowledged (sequence, partition, offset) through a pipe; the parent
 * SIGKILLs it at a random moment, reopens the data dir, and checks that
 * no acknowledged record is lost, no record appears twice and every
 * batch passes its CRC. Repeated 50 times on the same data dir, so each
 * child also starts from a log recovered after the previous kill. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_producer.h"
#include "tests/unit/bc_test_util.h"

#define ROUNDS 50
#define PARTS 3
#define MAX_ACKS 400000

typedef struct ack_s {
    int64_t seq;
    int32_t partition;
    int32_t pad;
    int64_t offset;
} ack_t;

typedef struct child_thread_s {
    bc_producer_t *p;
    int fd;
    int64_t seq0;
} child_thread_t;

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *child_sender(void *arg) {
    child_thread_t *ct = arg;
    for (int64_t i = 0;; i++) {
        char key[32], val[48];
        int64_t seq = ct->seq0 + i;
        int kl = snprintf(key, sizeof(key), "k%lld", (long long)(seq % 97));
        int vl = snprintf(val, sizeof(val), "seq-%lld", (long long)seq);
        bc_record_in_t r = {key, kl, val, vl, -1, NULL, 0};
        ack_t a;
        memset(&a, 0, sizeof(a));
        a.seq = seq;
        if (bc_producer_send(ct->p, "crash", -1, &r, wall_ms(), &a.partition,
                             &a.offset, NULL, 0) != 0)
            _exit(3);
        if (write(ct->fd, &a, sizeof(a)) != (ssize_t)sizeof(a)) _exit(4);
    }
    return NULL;
}

static void run_child(const char *dir, int fd, int round) {
    char err[512];
    int e;
    bc_broker_t *b = bc_broker_open(dir, NULL, wall_ms(), &e, err, sizeof(err));
    if (!b) _exit(2);
    bc_producer_conf_t c = bc_producer_conf_default();
    c.acks = BC_ACKS_ALL;
    c.durable = 1;
    c.linger_ms = 0;
    bc_producer_t *p = bc_producer_new(b, &c, NULL, 0);
    child_thread_t ct[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        ct[i].p = p;
        ct[i].fd = fd;
        ct[i].seq0 = ((int64_t)round * 2 + i) * 100000000LL;
        pthread_create(&th[i], NULL, child_sender, &ct[i]);
    }
    pthread_join(th[0], NULL); /* never returns: killed */
    _exit(0);
}

typedef struct scan_s {
    int64_t *seqs;
    size_t n, cap;
    int bad;
} scan_t;

static int scan_cb(void *opaque, const bc_record_t *rec) {
    scan_t *s = opaque;
    long long seq;
    char buf[64];
    if (rec->value_len <= 0 || rec->value_len >= (int32_t)sizeof(buf)) {
        s->bad++;
        return 0;
    }
    memcpy(buf, rec->value, (size_t)rec->value_len);
    buf[rec->value_len] = '\0';
    if (sscanf(buf, "seq-%lld", &seq) != 1) {
        s->bad++;
        return 0;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->seqs = realloc(s->seqs, s->cap * sizeof(*s->seqs));
    }
    s->seqs[s->n++] = seq;
    return 0;
}

typedef struct find_s {
    int64_t offset;
    char value[64];
    int found;
} find_t;

static int find_cb(void *opaque, const bc_record_t *rec) {
    find_t *f = opaque;
    if (rec->offset != f->offset) return 1;
    if (rec->value_len > 0 && rec->value_len < 64) {
        memcpy(f->value, rec->value, (size_t)rec->value_len);
        f->value[rec->value_len] = '\0';
    }
    f->found = 1;
    return 1;
}

static int cmp64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every batch of every partition must pass CRC and record checks. */
static void verify_all_batches(bc_log_t *log) {
    int64_t off = bc_log_start_offset(log), end = bc_log_end_offset(log);
    while (off < end) {
        bc_fetch_t f;
        cr_assert_eq(bc_log_fetch(log, off, 1 << 20, &f, NULL, 0), 0);
        size_t p = 0;
        while (p < f.len) {
            bc_batch_t b;
            char why[160];
            cr_assert_eq(
                bc_batch_parse(f.data + p, f.len - p,
                               BC_BATCH_VERIFY_CRC | BC_BATCH_VERIFY_RECORDS,
                               &b, why, sizeof(why)),
                0, "corrupt batch at offset %lld: %s", (long long)off, why);
            p += b.size;
            off = bc_batch_last_offset(&b) + 1;
        }
        free(f.data);
    }
}

Test(bc_log, durable_produce_survives_sigkill_at_random_moments) {
    char dir[512], err[512];
    int e;
    bct_tmpdir(dir, sizeof(dir), "crash");
    bc_broker_t *b = bc_broker_open(dir, NULL, wall_ms(), &e, err, sizeof(err));
    cr_assert_not_null(b, "%s", err);
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_bytes = 2048; /* kills also land around rolls */
    cr_assert_eq(bc_broker_create_topic(b, "crash", PARTS, &cfg, wall_ms(), err,
                                        sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(bc_broker_close(b), 0);

    ack_t *acks = calloc(MAX_ACKS, sizeof(*acks));
    size_t nacks = 0;
    unsigned seed = (unsigned)time(NULL);
    int produced_rounds = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int fds[2];
        cr_assert_eq(pipe(fds), 0);
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
            close(fds[0]);
            run_child(dir, fds[1], round);
        }
        close(fds[1]);
        size_t before = nacks;
        ack_t a;
        ssize_t r;
        if (round % 5 != 4) {
            /* Mostly mid-production: wait for the first ack, then kill
             * after a random delay. Every fifth round kills blind, which
             * may land in startup or recovery. */
            r = read(fds[0], &a, sizeof(a));
            if (r == (ssize_t)sizeof(a) && nacks < MAX_ACKS) acks[nacks++] = a;
            usleep((useconds_t)(rand_r(&seed) % 40000));
        } else {
            usleep((useconds_t)(rand_r(&seed) % 30000));
        }
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "round %d: child exited early (status %d)", round, status);
        while ((r = read(fds[0], &a, sizeof(a))) == (ssize_t)sizeof(a))
            if (nacks < MAX_ACKS) acks[nacks++] = a;
        close(fds[0]);
        produced_rounds += nacks > before;

        b = bc_broker_open(dir, NULL, wall_ms(), &e, err, sizeof(err));
        cr_assert_not_null(b, "round %d: reopen: %s", round, err);
        scan_t s;
        memset(&s, 0, sizeof(s));
        for (int32_t q = 0; q < PARTS; q++) {
            bc_log_t *log = bc_broker_log(b, "crash", q);
            verify_all_batches(log);
            int64_t off = 0, next;
            while (off < bc_log_end_offset(log)) {
                cr_assert_eq(
                    bc_log_read(log, off, 1 << 20, scan_cb, &s, &next, NULL, 0),
                    0);
                off = next;
            }
        }
        cr_assert_eq(s.bad, 0, "round %d: unreadable values", round);
        if (s.n > 1) qsort(s.seqs, s.n, sizeof(*s.seqs), cmp64);
        for (size_t i = 1; i < s.n; i++)
            cr_assert_neq(s.seqs[i], s.seqs[i - 1],
                          "round %d: seq %lld stored twice", round,
                          (long long)s.seqs[i]);
        for (size_t i = 0; i < nacks; i++) {
            bc_log_t *log = bc_broker_log(b, "crash", acks[i].partition);
            find_t f;
            memset(&f, 0, sizeof(f));
            f.offset = acks[i].offset;
            cr_assert_eq(
                bc_log_read(log, acks[i].offset, 1, find_cb, &f, NULL, NULL, 0),
                0);
            char want[48];
            snprintf(want, sizeof(want), "seq-%lld", (long long)acks[i].seq);
            cr_assert(f.found, "round %d: acked %s at %d/%lld lost", round,
                      want, (int)acks[i].partition, (long long)acks[i].offset);
            cr_assert_str_eq(f.value, want);
        }
        free(s.seqs);
        cr_assert_eq(bc_broker_close(b), 0);
    }
    cr_assert_gt(nacks, 0);
    cr_assert_geq(produced_rounds, ROUNDS * 4 / 5);
    cr_log_info("%zu acknowledged records over %d rounds", nacks, ROUNDS);
    free(acks);
    bct_rmtree(dir);
}
