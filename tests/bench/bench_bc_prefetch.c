/* SPDX-License-Identifier: Apache-2.0 */
/* bench_bc_prefetch: what a consumer's prefetch queue costs in memory
 * against its bound (queued_max_bytes), for a consumer that stops polling
 * while the topic grows: the demo's stalled and slow groups.
 *
 * For each bound, a fresh data dir and topic; one assign-only consumer
 * polls a single record (which starts its fetcher) and then never again,
 * while records are appended in batches of 1000, then one per batch, and
 * then one per batch paced (100 us apart, so that, as in the demo, each
 * fetch holds one record). Appends stop at 10 times what the bound
 * should allow (or 3 million records; 60000 paced). Printed per run:
 * records appended, bytes the queue says it holds
 * (bc_consumer_queued_bytes), heap growth (mallinfo2), RSS growth
 * (/proc/self/statm) and RSS over the bound. A figure, never an
 * assertion: the bound holds when RSS/bound stays at or below about 1
 * whatever the run, instead of growing with the topic (before the record
 * arrays were counted, the paced runs reached 14 and more).
 */
#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_consumer.h"

#define NOW 1700000000000LL

static int rm_cb(const char *path, const struct stat *sb, int flag,
                 struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void die(const char *what, const char *err) {
    fprintf(stderr, "bench_bc_prefetch: %s: %s\n", what, err);
    exit(1);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int64_t rss_bytes(void) {
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return (int64_t)res * sysconf(_SC_PAGESIZE);
}

static int64_t heap_bytes(void) {
    struct mallinfo2 mi = mallinfo2();
    return (int64_t)mi.uordblks + (int64_t)mi.hblkhd;
}

/* Waits until the queue has not grown for 200 ms (at most ~20 s). */
static void settle(bc_consumer_t *c) {
    int64_t last = -1;
    for (int still = 0, i = 0; still < 10 && i < 1000; i++) {
        sleep_ms(20);
        int64_t q = bc_consumer_queued_bytes(c);
        still = q == last ? still + 1 : 0;
        last = q;
    }
}

static void run(int64_t bound, int per_batch, int paced) {
    char dir[128], err[256];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/bench_bc_prefetch_XXXXXX",
             tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) die("mkdtemp", dir);
    bc_broker_conf_t bconf = bc_broker_conf_default();
    int code = 0;
    bc_broker_t *b = bc_broker_open(dir, &bconf, NOW, &code, err, sizeof(err));
    if (!b) die("broker", err);
    if (bc_broker_create_topic(b, "t", 1, NULL, NOW, err, sizeof(err)))
        die("topic", err);
    bc_record_in_t *recs = calloc(1000, sizeof(*recs));
    char val[64];
    memset(val, 'x', sizeof(val));
    for (int i = 0; i < 1000; i++)
        recs[i] = (bc_record_in_t){"key", 3, val, 40, NOW, NULL, 0};
    /* One record first, so the consumer has a position. */
    if (bc_broker_append(b, "t", 0, recs, 1, 0, NOW, NULL, err, sizeof(err)))
        die("append", err);

    malloc_trim(0);
    int64_t rss0 = rss_bytes(), heap0 = heap_bytes();
    bc_consumer_conf_t conf = bc_consumer_conf_default();
    conf.enable_auto_commit = 0;
    conf.auto_offset_reset = BC_CONSUMER_RESET_EARLIEST;
    conf.max_poll_records = 1;
    conf.queued_max_bytes = bound;
    bc_consumer_t *c = bc_consumer_new(&conf, b, NULL, NULL, err, sizeof(err));
    if (!c) die("consumer", err);
    bc_group_tp_t tp = {"t", 0};
    if (bc_consumer_assign(c, &tp, 1, err, sizeof(err))) die("assign", err);
    bc_consumer_records_t *r = NULL;
    for (int i = 0; i < 500 && !r; i++)
        if (bc_consumer_poll(c, 20, &r, err, sizeof(err))) die("poll", err);
    bc_consumer_records_free(r);

    /* ~100 bytes a record on disk: 10 x the bound in bytes appended. */
    long want = (long)(bound / 100 * 10);
    if (want > 3000000) want = 3000000;
    if (paced && want > 60000) want = 60000;
    long done = 0;
    while (done < want) {
        size_t n = (size_t)per_batch;
        if (bc_broker_append(b, "t", 0, recs, n, 0, NOW, NULL, err,
                             sizeof(err)))
            die("append", err);
        done += per_batch;
        /* Let the fetcher keep up, so one-record batches make small
         * fetches (the demo's case). */
        if (paced) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        } else if (per_batch == 1 && done % 200 == 0) {
            sleep_ms(1);
        }
    }
    settle(c);
    int64_t counted = bc_consumer_queued_bytes(c);
    int64_t heap = heap_bytes() - heap0, rss = rss_bytes() - rss0;
    printf("%7lld MiB %9d%s %10ld %10.1f %10.1f %10.1f %9.2f\n",
           (long long)(bound >> 20), per_batch, paced ? "p" : " ", done,
           counted / 1048576.0, heap / 1048576.0, rss / 1048576.0,
           (double)rss / (double)bound);
    fflush(stdout);
    bc_consumer_destroy(c);
    free(recs);
    bc_broker_close(b);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    malloc_trim(0);
}

int main(void) {
    static const int64_t bounds[] = {4LL << 20, 16LL << 20, 64LL << 20};
    printf("prefetch of a consumer that stopped polling, per "
           "queued_max_bytes\n");
    printf("%11s %10s %10s %10s %10s %10s %9s\n", "bound", "rec/batch",
           "appended", "counted", "heap MiB", "RSS MiB", "RSS/bound");
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        run(bounds[i], 1000, 0);
        run(bounds[i], 1, 0);
        run(bounds[i], 1, 1);
    }
    printf("(p: paced, one record per fetch; counted: what the consumer "
           "says it holds)\n");
    return 0;
}
