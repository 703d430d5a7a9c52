/* SPDX-License-Identifier: Apache-2.0 */
/* bench_bc_log: throughput and latency of the embedded broker's log.
 *
 * Figures (each the median of RUNS runs, fresh data dir per run):
 *  - produce throughput of 100-byte and 1 KiB records through the
 *    producer (sticky partitioner, acks=0, batch.size 16 KiB, flushed at
 *    the end; OS flushing), in records/s and MB/s of record payload;
 *  - the same log bytes against the raw sequential write speed of the
 *    same disk, measured in the same run, two ways:
 *    . to the disk: the log's produce + flush + fsync of the partition
 *      against write() of as many bytes in 1 MiB chunks + fsync, both
 *      timed until the data is on stable storage. This is the issue's
 *      "raw sequential write speed of the same disk";
 *    . into the page cache only (no fsync): the speed of memory, which a
 *      log that must encode and checksum every record cannot match; it
 *      is printed to show the CPU cost of the log per byte.
 *    Each log run is paired with a raw run (alternating which goes
 *    first); before each timed side the file system is synced and a
 *    file of the same size is written and deleted (untimed), so both
 *    sides get memory pages in the same state (on a virtual machine a
 *    page the host has not backed recently costs several times more to
 *    write the first time). The ratio is the median of per-pair ratios;
 *  - fetch throughput: the whole log read back with bc_log_read (1 MiB)
 *    and every record decoded;
 *  - durable-mode produce latency (acks=all, fsync before ack), p50/p99.
 * The data dir is under $TMPDIR (default /tmp). Timing is printed, never
 * asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_producer.h"

#define RUNS 7
#ifndef RAW_CHUNK
#define RAW_CHUNK (1 << 20)
#endif

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

static int rm_cb(const char *p, const struct stat *st, int f, struct FTW *w) {
    (void)st;
    (void)f;
    (void)w;
    return remove(p);
}

static void rmtree(const char *p) {
    nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes back dirty pages of the file system holding dir (untimed), so a
 * run does not pay for the previous one's writeback. */
static void settle(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        syncfs(fd);
        close(fd);
    }
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bc_broker_t *fresh_broker(char *dir, size_t size) {
    const char *base = getenv("TMPDIR");
    snprintf(dir, size, "%s/warren-bench-XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    char err[512];
    int e;
    bc_broker_t *b = bc_broker_open(dir, NULL, wall_ms(), &e, err, sizeof(err));
    if (!b) {
        fprintf(stderr, "open: %s\n", err);
        exit(1);
    }
    return b;
}

/* write()s `bytes` to dir/name in RAW_CHUNK chunks, then fsyncs if
 * `sync`. Returns the seconds taken; the file is kept. */
static double write_file(const char *dir, const char *name, int64_t bytes,
                         int sync) {
    char path[600];
    static char chunk[RAW_CHUNK];
    memset(chunk, 'r', sizeof(chunk));
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    double t0 = now_s();
    int64_t done = 0;
    while (done < bytes) {
        size_t n = bytes - done < (int64_t)sizeof(chunk)
                       ? (size_t)(bytes - done)
                       : sizeof(chunk);
        ssize_t w = write(fd, chunk, n);
        if (w <= 0) {
            perror("write");
            exit(1);
        }
        done += w;
    }
    if (sync && fsync(fd) != 0) {
        perror("fsync");
        exit(1);
    }
    double t = now_s() - t0;
    close(fd);
    return t;
}

/* Untimed: syncs dir's file system, then writes and deletes a file of
 * `bytes`, so the pages the timed side gets were just in use. */
static void prepare(const char *dir, int64_t bytes) {
    char path[600];
    settle(dir);
    write_file(dir, "warm.bin", bytes, 0);
    snprintf(path, sizeof(path), "%s/warm.bin", dir);
    unlink(path);
}

/* Raw sequential write of `bytes` (fsynced if sync); MB/s. */
static double raw_write(const char *dir, int64_t bytes, int sync) {
    char path[600];
    prepare(dir, bytes);
    double t = write_file(dir, "raw.bin", bytes, sync);
    snprintf(path, sizeof(path), "%s/raw.bin", dir);
    unlink(path);
    return (double)bytes / t / 1e6;
}

typedef struct tput_s {
    double recs_per_s;
    double mb_per_s;     /* payload */
    double log_mb_per_s; /* bytes written to the log */
    double raw_mb_per_s;
    double fetch_mb_per_s;
    double fetch_recs_per_s;
    int64_t log_bytes;
} tput_t;

static int count_cb(void *opaque, const bc_record_t *rec) {
    (void)rec;
    (*(int64_t *)opaque)++;
    return 0;
}

/* Produces `records` of value_size bytes into a fresh broker (fsyncing
 * the partition at the end when sync), paired with a raw write of the
 * same bytes: before the log when raw_first (sized from the previous
 * run's log, est_bytes), else after it. */
static tput_t produce_run(int value_size, int64_t records, int sync,
                          int raw_first, int64_t est_bytes) {
    char dir[512];
    tput_t r;
    bc_broker_t *b = fresh_broker(dir, sizeof(dir));
    if (raw_first) r.raw_mb_per_s = raw_write(dir, est_bytes, sync);
    bc_broker_create_topic(b, "bench", 1, NULL, wall_ms(), NULL, 0);
    bc_log_t *log = bc_broker_log(b, "bench", 0);
    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = BC_ACKS_NONE;
    pc.linger_ms = 1000000;
    bc_producer_t *p = bc_producer_new(b, &pc, NULL, 0);
    char *value = malloc((size_t)value_size);
    memset(value, 'v', (size_t)value_size);
    bc_record_in_t rec = {NULL, -1, value, value_size, 0, NULL, 0};
    int64_t ts = wall_ms();
    prepare(dir, est_bytes);
    double t0 = now_s();
    for (int64_t i = 0; i < records; i++) {
        rec.timestamp = ts + (i >> 16);
        bc_producer_send(p, "bench", -1, &rec, ts, NULL, NULL, NULL, 0);
    }
    bc_producer_flush(p, ts, NULL, 0);
    if (sync) bc_log_flush(log, NULL, 0);
    double t = now_s() - t0;
    bc_producer_destroy(p);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    r.recs_per_s = (double)records / t;
    r.mb_per_s = (double)records * value_size / t / 1e6;
    r.log_mb_per_s = (double)st.bytes / t / 1e6;
    r.log_bytes = st.bytes;
    if (!raw_first) r.raw_mb_per_s = raw_write(dir, st.bytes, sync);

    /* Fetch it all back, decoding every record. */
    int64_t n = 0, off = 0, next;
    t0 = now_s();
    while (off < st.log_end_offset) {
        bc_log_read(log, off, 1 << 20, count_cb, &n, &next, NULL, 0);
        off = next;
    }
    t = now_s() - t0;
    r.fetch_mb_per_s = (double)st.bytes / t / 1e6;
    r.fetch_recs_per_s = (double)n / t;
    if (n != records)
        fprintf(stderr, "bench: read %lld of %lld records\n", (long long)n,
                (long long)records);
    free(value);
    bc_broker_close(b);
    rmtree(dir);
    return r;
}

static void durable_latency(int sends, double *p50, double *p99) {
    char dir[512];
    bc_broker_t *b = fresh_broker(dir, sizeof(dir));
    bc_broker_create_topic(b, "durable", 1, NULL, wall_ms(), NULL, 0);
    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = BC_ACKS_ALL;
    pc.durable = 1;
    bc_producer_t *p = bc_producer_new(b, &pc, NULL, 0);
    double *lat = malloc(sizeof(double) * (size_t)sends);
    char value[100];
    memset(value, 'd', sizeof(value));
    for (int i = 0; i < sends; i++) {
        bc_record_in_t rec = {NULL, -1, value, 100, -1, NULL, 0};
        double t0 = now_s();
        bc_producer_send(p, "durable", -1, &rec, wall_ms(), NULL, NULL, NULL,
                         0);
        lat[i] = (now_s() - t0) * 1e3;
    }
    qsort(lat, (size_t)sends, sizeof(*lat), cmp_d);
    *p50 = lat[sends / 2];
    *p99 = lat[(sends * 99) / 100];
    free(lat);
    bc_producer_destroy(p);
    bc_broker_close(b);
    rmtree(dir);
}

int main(void) {
    enum { N100 = 2000000, N1K = 250000 };
    double rps100[RUNS], mb100[RUNS], raw100[RUNS], ratio100[RUNS], rps1k[RUNS],
        mb1k[RUNS], log1k[RUNS], raw1k[RUNS], ratio1k[RUNS], dlog1k[RUNS],
        draw1k[RUNS], dratio1k[RUNS], dlog100[RUNS], draw100[RUNS],
        dratio100[RUNS], fmb[RUNS], frps[RUNS], p50[RUNS], p99[RUNS];
    /* First-run sizes of the raw side; later runs use the log's bytes. */
    int64_t bytes100 = N100 * 170, bytes1k = N1K * 1100;
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = 0;
        fclose(lf);
    }
    for (int i = 0; i < RUNS; i++) {
        int raw_first = i % 2;
        tput_t a = produce_run(100, N100, 0, raw_first, bytes100);
        bytes100 = a.log_bytes;
        rps100[i] = a.recs_per_s;
        mb100[i] = a.mb_per_s;
        raw100[i] = a.raw_mb_per_s;
        ratio100[i] = 100.0 * a.log_mb_per_s / a.raw_mb_per_s;
        frps[i] = a.fetch_recs_per_s;
        tput_t k = produce_run(1024, N1K, 0, raw_first, bytes1k);
        bytes1k = k.log_bytes;
        rps1k[i] = k.recs_per_s;
        mb1k[i] = k.mb_per_s;
        log1k[i] = k.log_mb_per_s;
        raw1k[i] = k.raw_mb_per_s;
        ratio1k[i] = 100.0 * k.log_mb_per_s / k.raw_mb_per_s;
        fmb[i] = k.fetch_mb_per_s;
        tput_t e = produce_run(100, N100, 1, raw_first, bytes100);
        dlog100[i] = e.log_mb_per_s;
        draw100[i] = e.raw_mb_per_s;
        dratio100[i] = 100.0 * e.log_mb_per_s / e.raw_mb_per_s;
        tput_t d = produce_run(1024, N1K, 1, raw_first, bytes1k);
        dlog1k[i] = d.log_mb_per_s;
        draw1k[i] = d.raw_mb_per_s;
        dratio1k[i] = 100.0 * d.log_mb_per_s / d.raw_mb_per_s;
        durable_latency(200, &p50[i], &p99[i]);
    }
    printf("bench_bc_log (median of %d runs; load average at start "
           "%.1f)\n",
           RUNS, load);
    printf("%-50s %16s %16s\n", "figure", "measured", "target");
    printf("%-50s %13.2f M/s %16s\n", "produce 100 B records",
           median(rps100, RUNS) / 1e6, ">= 2 M/s");
    printf("%-50s %12.1f MB/s %16s\n", "produce 100 B records (payload)",
           median(mb100, RUNS), "");
    printf("%-50s %13.3f M/s %16s\n", "produce 1 KiB records",
           median(rps1k, RUNS) / 1e6, "");
    printf("%-50s %12.1f MB/s %16s\n", "produce 1 KiB records (payload)",
           median(mb1k, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n",
           "1 KiB log to disk: produce + fsync (log bytes)",
           median(dlog1k, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n", "raw disk write: write() + fsync",
           median(draw1k, RUNS), "");
    printf("%-50s %14.1f %% %16s\n", "1 KiB log / raw disk write (OS flush)",
           median(dratio1k, RUNS), ">= 70 %");
    printf("%-50s %12.1f MB/s %16s\n",
           "100 B log to disk: produce + fsync (log bytes)",
           median(dlog100, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n", "raw disk write (100 B run)",
           median(draw100, RUNS), "");
    printf("%-50s %14.1f %% %16s\n", "100 B log / raw disk write (OS flush)",
           median(dratio100, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n", "1 KiB log into page cache (log bytes)",
           median(log1k, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n", "raw write() into page cache",
           median(raw1k, RUNS), "");
    printf("%-50s %14.1f %% %16s\n", "1 KiB log / raw, page cache only",
           median(ratio1k, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n", "raw write() into page cache (100 B)",
           median(raw100, RUNS), "");
    printf("%-50s %14.1f %% %16s\n", "100 B log / raw, page cache only",
           median(ratio100, RUNS), "");
    printf("%-50s %12.1f MB/s %16s\n", "fetch + decode (1 KiB log)",
           median(fmb, RUNS), "");
    printf("%-50s %13.2f M/s %16s\n", "fetch + decode (100 B log, records)",
           median(frps, RUNS) / 1e6, "");
    printf("%-50s %13.3f ms %16s\n", "durable produce latency p50",
           median(p50, RUNS), "");
    printf("%-50s %13.3f ms %16s\n", "durable produce latency p99",
           median(p99, RUNS), "");
    return 0;
}
