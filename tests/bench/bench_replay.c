/* SPDX-License-Identifier: Apache-2.0 */
/* bench_replay: `warren replay` throughput on a generated 5 M-event trace.
 *
 * The trace is what a monitor polling every 5 s records: one cluster, 8
 * topics x 16 partitions, 40 groups each on two topics (1280 group
 * partitions); every round the heads of all partitions, then the commits
 * of every group. Groups behave differently (keeping up, falling behind,
 * stalled, stopping half way) and the trace ends with an expect line per
 * group, so the same file is also replayed with --check, which must pass.
 * The file goes to $TMPDIR (default /tmp) and is removed afterwards. The
 * replay runs the real binary ($WARREN_BIN, default build/default/warren)
 * with output to /dev/null; figures are medians of several runs (the
 * replay parses on worker threads, so its CPU time is more than its wall
 * time: the events per CPU second are shown for information). Two more
 * figures time the trace parser alone, in process, to show the split:
 * with its lines' trees in an arena (mon_json_arena, as warren replay
 * reads) and with cJSON's malloc per node.
 * `bench_replay --generate FILE` only writes the trace (for profiling).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/sources/mon_trace.h"

#define TOPICS 8
#define PARTS 16
#define GROUPS 40
#define ROUND_MS 5000
#define TARGET_EVENTS 5000000L
#define RUNS 3

static double now_s(void) {
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Behaviour of group g: 0 keeps up, 1 falls behind (WARN), 2 stalls
 * (ERR), 3 stops committing half way (ERR). */
static int kind_of(int g) {
    switch (g % 10) {
    case 0:
        return 1;
    case 1:
        return 2;
    case 2:
        return 3;
    default:
        return 0;
    }
}

static long generate(const char *path, long *expects) {
    FILE *f = fopen(path, "w");
    const int64_t t0 = 1700000000000LL;
    long events = 0, rounds, r;
    int g, k, p, t;
    static char buf[1 << 20];

    if (!f) return -1;
    setvbuf(f, buf, _IOFBF, sizeof(buf));
    fprintf(f, "{\"type\":\"config\",\"intervals\":10}\n");
    /* Enough rounds for TARGET_EVENTS, counting the groups that stop. */
    rounds = TARGET_EVENTS / (TOPICS * PARTS + GROUPS * 2 * PARTS) * 21 / 20;
    for (r = 0; r < rounds; r++) {
        int64_t ts = t0 + r * ROUND_MS;

        for (t = 0; t < TOPICS; t++)
            for (p = 0; p < PARTS; p++, events++)
                fprintf(f,
                        "{\"type\":\"head\",\"t\":%lld,\"topic\":\"topic-%d\","
                        "\"partition\":%d,\"offset\":%ld,\"partitions\":%d}\n",
                        (long long)ts, t, p, 1000 + r * 100 + p, PARTS);
        for (g = 0; g < GROUPS; g++) {
            int kind = kind_of(g);

            if (kind == 3 && r > rounds / 2) continue;
            for (k = 0; k < 2; k++) {
                t = (g + k) % TOPICS;
                for (p = 0; p < PARTS; p++, events++) {
                    long head = 1000 + r * 100 + p, off;

                    if (kind == 1)
                        off = head - r * 5 - 1;
                    else if (kind == 2)
                        off = 900;
                    else
                        off = head - (r * 7 % 50);
                    fprintf(f,
                            "{\"type\":\"commit\",\"t\":%lld,\"group\":"
                            "\"group-%02d\",\"topic\":\"topic-%d\","
                            "\"partition\":%d,\"offset\":%ld,\"owner\":"
                            "\"host-%d\",\"client_id\":\"c-%d\"}\n",
                            (long long)ts, g, t, p, off, p % 4, p % 4);
                }
            }
        }
    }
    *expects = 0;
    for (g = 0; g < GROUPS; g++, (*expects)++, events++) {
        static const char *want[] = {"OK", "WARN", "ERR", "ERR"};

        fprintf(f,
                "{\"type\":\"expect\",\"t\":%lld,\"group\":\"group-%02d\","
                "\"status\":\"%s\"}\n",
                (long long)(t0 + (rounds - 1) * ROUND_MS), g, want[kind_of(g)]);
    }
    if (fclose(f) != 0) return -1;
    return events;
}

/* Runs warren replay [--check] path, output to /dev/null; exit code.
 * *secs is the wall time, *cpu the child's user + system time (which a
 * busy shared machine disturbs far less). */
static int run_replay(const char *bin, const char *path, int check,
                      double *secs, double *cpu) {
    double t0 = now_s();
    pid_t pid = fork();
    struct rusage ru;
    int st, fd;

    if (pid < 0) return -1;
    if (pid == 0) {
        fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, 1);
        if (check)
            execl(bin, bin, "replay", "--check", path, (char *)NULL);
        else
            execl(bin, bin, "replay", path, (char *)NULL);
        _exit(127);
    }
    if (wait4(pid, &st, 0, &ru) < 0) return -1;
    *secs = now_s() - t0;
    *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Parses every line in process (into an arena or not); returns seconds. */
static double parse_only(const char *path, bool arena, long *lines) {
    int fd = open(path, O_RDONLY);
    struct stat sb;
    const char *p, *end, *nl;
    mon_trace_reader_t *rd;
    mon_trace_event_t ev;
    char err[256];
    double t0;

    if (fd < 0 || fstat(fd, &sb) < 0) return -1;
    p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return -1;
    end = p + sb.st_size;
    rd = mon_trace_reader_new(path);
    if (arena) mon_trace_reader_use_arena(rd);
    *lines = 0;
    t0 = now_s();
    for (const char *q = p; q < end; q = nl + 1) {
        nl = memchr(q, '\n', (size_t)(end - q));
        if (!nl) nl = end;
        if (mon_trace_parse_line(rd, q, (size_t)(nl - q), &ev, err,
                                 sizeof(err)) < 0) {
            fprintf(stderr, "bench_replay: %s\n", err);
            break;
        }
        (*lines)++;
    }
    t0 = now_s() - t0;
    mon_trace_reader_destroy(rd);
    munmap((void *)p, (size_t)sb.st_size);
    return t0;
}

int main(int argc, char **argv) {
    const char *bin = getenv("WARREN_BIN");
    const char *tmp = getenv("TMPDIR");
    char path[512];
    double gen, secs[RUNS], cpus[RUNS], s, c, parse_s, malloc_s;
    long events, expects, lines = 0;
    struct stat sb;
    int fd, rc, i;

    if (argc == 3 && !strcmp(argv[1], "--generate")) {
        events = generate(argv[2], &expects);
        printf("%ld events written to %s\n", events, argv[2]);
        return events < 0;
    }
    if (!bin || !*bin) bin = "build/default/warren";
    snprintf(path, sizeof(path), "%s/warren-bench-XXXXXX.jsonl",
             tmp && *tmp ? tmp : "/tmp");
    fd = mkstemps(path, 6);
    if (fd < 0) {
        fprintf(stderr, "bench_replay: %s: %s\n", path, strerror(errno));
        return 1;
    }
    close(fd);
    gen = now_s();
    events = generate(path, &expects);
    gen = now_s() - gen;
    if (events < 0 || stat(path, &sb) < 0) {
        fprintf(stderr, "bench_replay: cannot write %s\n", path);
        unlink(path);
        return 1;
    }
    rc = run_replay(bin, path, 1, &s, &c);
    if (rc != 0) {
        fprintf(stderr,
                "bench_replay: %s replay --check on the generated trace "
                "exited %d\n",
                bin, rc);
        unlink(path);
        return 1;
    }
    for (i = 0; i < RUNS; i++) {
        rc = run_replay(bin, path, 0, &secs[i], &cpus[i]);
        if (rc != 0) {
            fprintf(stderr, "bench_replay: replay exited %d\n", rc);
            unlink(path);
            return 1;
        }
    }
    qsort(secs, RUNS, sizeof(double), cmp_d);
    qsort(cpus, RUNS, sizeof(double), cmp_d);
    parse_s = parse_only(path, true, &lines);
    malloc_s = parse_only(path, false, &lines);
    unlink(path);

    printf("%-44s %16s %16s\n", "figure", "measured", "target");
    printf("%-44s %16ld %16s\n", "trace events (lines)", events + 1,
           ">= 5000000");
    printf("%-44s %16.1f %16s\n", "trace size (MB)", (double)sb.st_size / 1e6,
           "");
    printf("%-44s %16.2f %16s\n", "replay time, median (s)", secs[RUNS / 2],
           "");
    printf("%-44s %16.2f %16s\n", "warren replay (M events/s)",
           (double)(events + 1) / secs[RUNS / 2] / 1e6, ">= 1");
    printf("%-44s %16.2f %16s\n", "warren replay per CPU second (M events/s)",
           (double)(events + 1) / cpus[RUNS / 2] / 1e6, "(info)");
    printf("%-44s %16.2f %16s\n", "trace parser alone (M lines/s)",
           parse_s > 0 ? (double)lines / parse_s / 1e6 : 0.0, "(info)");
    printf("%-44s %16.2f %16s\n", "  same, malloc per node (M lines/s)",
           malloc_s > 0 ? (double)lines / malloc_s / 1e6 : 0.0, "(info)");
    printf("(median of %d runs; --check of %ld expectations passed; "
           "generated in %.1f s)\n",
           RUNS, expects, gen);
    return 0;
}
