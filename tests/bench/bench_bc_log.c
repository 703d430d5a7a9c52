/* bench_bc_log: throughput and latency of the embedded broker's log.
 *
 * Figures (each the median of RUNS runs, fresh data dir per run):
 *  - produce throughput of 100-byte and 1 KiB records through the
 *    producer (sticky partitioner, acks=0, batch.size 16 KiB, flushed at
 *    the end; OS flushing), in records/s and MB/s of record payload;
 *  - the raw sequential write speed of the same file system, measured in
 *    the same run: write() of the same number of bytes the log wrote, to
 *    a file in the same directory, in 1 MiB chunks. Log and raw runs are
 *    paired back to back (alternating which goes first, dirty pages
 *    synced out, untimed, before each) and the ratio is the median of the
 *    per-pair ratios, so load from other processes affects both sides;
 *  - fetch throughput: the whole log read back with bc_log_fetch (1 MiB)
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
#include <sys/resource.h>
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

/* CPU seconds (user + system) this process has used. */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
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

static double raw_cpu_mbps; /* of the last raw_write */

/* write() `bytes` to a new file in dir in 1 MiB chunks; returns MB/s
 * (wall clock); raw_cpu_mbps gets MB per CPU second. */
static double raw_write(const char *dir, int64_t bytes) {
    char path[600];
    static char chunk[RAW_CHUNK];
    memset(chunk, 'r', sizeof(chunk));
    snprintf(path, sizeof(path), "%s/raw.bin", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    double t0 = now_s(), c0 = cpu_s();
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
    close(fd);
    double t = now_s() - t0;
    raw_cpu_mbps = (double)bytes / (cpu_s() - c0) / 1e6;
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
    double log_cpu_mbps;
    double raw_cpu_mbps;
    int64_t log_bytes;
} tput_t;

static int count_cb(void *opaque, const bc_record_t *rec) {
    (void)rec;
    (*(int64_t *)opaque)++;
    return 0;
}

static tput_t produce_run(int value_size, int64_t records, int64_t raw_first) {
    char dir[512];
    tput_t r;
    bc_broker_t *b = fresh_broker(dir, sizeof(dir));
    if (raw_first > 0) {
        settle(dir);
        r.raw_mb_per_s = raw_write(dir, raw_first);
        r.raw_cpu_mbps = raw_cpu_mbps;
    }
    settle(dir);
    bc_broker_create_topic(b, "bench", 1, NULL, wall_ms(), NULL, 0);
    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = BC_ACKS_NONE;
    pc.linger_ms = 1000000;
    bc_producer_t *p = bc_producer_new(b, &pc, NULL, 0);
    char *value = malloc((size_t)value_size);
    memset(value, 'v', (size_t)value_size);
    bc_record_in_t rec = {NULL, -1, value, value_size, 0, NULL, 0};
    int64_t ts = wall_ms();
    double t0 = now_s(), c0 = cpu_s();
    for (int64_t i = 0; i < records; i++) {
        rec.timestamp = ts + (i >> 16);
        bc_producer_send(p, "bench", -1, &rec, ts, NULL, NULL, NULL, 0);
    }
    bc_producer_flush(p, ts, NULL, 0);
    double t = now_s() - t0, c = cpu_s() - c0;
    bc_producer_destroy(p);
    bc_log_t *log = bc_broker_log(b, "bench", 0);
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    r.recs_per_s = (double)records / t;
    r.mb_per_s = (double)records * value_size / t / 1e6;
    r.log_mb_per_s = (double)st.bytes / t / 1e6;
    r.log_bytes = st.bytes;
    r.log_cpu_mbps = (double)st.bytes / c / 1e6;
    if (raw_first <= 0) {
        settle(dir);
        r.raw_mb_per_s = raw_write(dir, st.bytes);
        r.raw_cpu_mbps = raw_cpu_mbps;
    }

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
    double rps100[RUNS], mb100[RUNS], rps1k[RUNS], mb1k[RUNS], raw1k[RUNS],
        ratio1k[RUNS], log1k[RUNS], fmb[RUNS], frps[RUNS], raw100[RUNS],
        ratio100[RUNS], p50[RUNS], p99[RUNS], cpu1k[RUNS], cpu100[RUNS];
    int64_t bytes100 = 0, bytes1k = 0;
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1) load = 0;
        fclose(lf);
    }
    for (int i = 0; i < RUNS; i++) {
        /* Odd runs measure raw first (with the bytes the log wrote last
         * time), even runs the log first. */
        tput_t a = produce_run(100, 2000000, i % 2 ? bytes100 : 0);
        bytes100 = a.log_bytes;
        rps100[i] = a.recs_per_s;
        mb100[i] = a.mb_per_s;
        raw100[i] = a.raw_mb_per_s;
        ratio100[i] = 100.0 * a.log_mb_per_s / a.raw_mb_per_s;
        cpu100[i] = 100.0 * a.log_cpu_mbps / a.raw_cpu_mbps;
        tput_t k = produce_run(1024, 250000, i % 2 ? bytes1k : 0);
        bytes1k = k.log_bytes;
        rps1k[i] = k.recs_per_s;
        mb1k[i] = k.mb_per_s;
        log1k[i] = k.log_mb_per_s;
        raw1k[i] = k.raw_mb_per_s;
        ratio1k[i] = 100.0 * k.log_mb_per_s / k.raw_mb_per_s;
        cpu1k[i] = 100.0 * k.log_cpu_mbps / k.raw_cpu_mbps;
        fmb[i] = k.fetch_mb_per_s;
        frps[i] = a.fetch_recs_per_s;
        durable_latency(200, &p50[i], &p99[i]);
    }
    printf("bench_bc_log (median of %d runs; load average at start "
           "%.1f)\n",
           RUNS, load);
    printf("%-46s %16s %16s\n", "figure", "measured", "target");
    printf("%-46s %13.2f M/s %16s\n", "produce 100 B records",
           median(rps100, RUNS) / 1e6, ">= 2 M/s");
    printf("%-46s %12.1f MB/s %16s\n", "produce 100 B records (payload)",
           median(mb100, RUNS), "");
    printf("%-46s %12.1f MB/s %16s\n", "raw write() of same bytes (100 B run)",
           median(raw100, RUNS), "");
    printf("%-46s %14.1f %% %16s\n", "log write speed / raw (100 B)",
           median(ratio100, RUNS), "");
    printf("%-46s %14.1f %% %16s\n", "same, per CPU second (100 B)",
           median(cpu100, RUNS), "");
    printf("%-46s %13.3f M/s %16s\n", "produce 1 KiB records",
           median(rps1k, RUNS) / 1e6, "");
    printf("%-46s %12.1f MB/s %16s\n", "produce 1 KiB records (payload)",
           median(mb1k, RUNS), "");
    printf("%-46s %12.1f MB/s %16s\n", "log write speed (1 KiB, bytes on disk)",
           median(log1k, RUNS), "");
    printf("%-46s %12.1f MB/s %16s\n", "raw write() of same bytes (1 KiB run)",
           median(raw1k, RUNS), "");
    printf("%-46s %14.1f %% %16s\n", "log write speed / raw (1 KiB, OS flush)",
           median(ratio1k, RUNS), ">= 70 %");
    printf("%-46s %14.1f %% %16s\n", "same, per CPU second (1 KiB)",
           median(cpu1k, RUNS), ">= 70 %");
    printf("%-46s %12.1f MB/s %16s\n", "fetch + decode (1 KiB log)",
           median(fmb, RUNS), "");
    printf("%-46s %13.2f M/s %16s\n", "fetch + decode (100 B log, records)",
           median(frps, RUNS) / 1e6, "");
    printf("%-46s %13.3f ms %16s\n", "durable produce latency p50",
           median(p50, RUNS), "");
    printf("%-46s %13.3f ms %16s\n", "durable produce latency p99",
           median(p99, RUNS), "");
    return 0;
}
