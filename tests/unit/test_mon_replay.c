/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_replay's bounds: a trace cannot make the replay allocate
 * beyond MON_REPLAY_MAX_CELLS ring slots (it is bad input: one line, exit
 * 2), and a gap costs partition evaluations bounded by the groups whose
 * status changes, not ticks x partitions; the sparse ticking of a costly
 * gap prints the same timeline as ticking through it would.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/replay/mon_replay.h"

typedef struct out_s {
    int rc;
    char *out;
    char *err;
    mon_replay_stats_t stats;
} out_t;

/* Writes `text` to a temp trace and replays it with tick_ms. */
static out_t replay(const char *text, int64_t tick_ms) {
    char path[] = "/tmp/test_mon_replay_XXXXXX";
    int fd = mkstemp(path);
    size_t olen = 0, elen = 0;
    mon_replay_opts_t o;
    out_t r;

    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    memset(&r, 0, sizeof(r));
    mon_replay_opts_default(&o);
    o.tick_ms = tick_ms;
    o.out = open_memstream(&r.out, &olen);
    o.err = open_memstream(&r.err, &elen);
    r.rc = mon_replay_file(path, &o, &r.stats);
    fclose(o.out);
    fclose(o.err);
    unlink(path);
    return r;
}

static void out_free(out_t *r) {
    free(r->out);
    free(r->err);
}

/* The timeline lines (before the summary, which names the file). */
static char *timeline(const char *out) {
    const char *end = strstr(out, "final status at");
    size_t n = end ? (size_t)(end - out) : strlen(out);
    char *s = malloc(n + 1);

    memcpy(s, out, n);
    s[n] = '\0';
    return s;
}

static size_t lines(const char *s) {
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(mon_replay, partitions_times_intervals_beyond_the_bound_is_bad_input) {
    /* 1048576 partitions x 65535 intervals: 1 TiB of head rings */
    out_t r = replay("{\"type\":\"config\",\"intervals\":65535}\n"
                     "{\"type\":\"head\",\"t\":1700000000000,\"topic\":\"t\","
                     "\"partition\":1048575,\"offset\":1}\n",
                     10000);

    cr_assert_eq(r.rc, 2, "rc %d, err %s", r.rc, r.err);
    cr_assert_eq(lines(r.err), 1, "one line: %s", r.err);
    cr_assert(strstr(r.err, ":2: field 'partition'"), "%s", r.err);
    cr_assert(strstr(r.err, "ring slots"), "%s", r.err);
    out_free(&r);
}

Test(mon_replay, declared_partition_count_beyond_the_bound_is_bad_input) {
    out_t r = replay("{\"type\":\"config\",\"intervals\":1000}\n"
                     "{\"type\":\"head\",\"t\":1,\"topic\":\"t\","
                     "\"partition\":0,\"offset\":1,\"partitions\":100000}\n",
                     10000);

    cr_assert_eq(r.rc, 2);
    cr_assert(strstr(r.err, ":2: field 'partitions'"), "%s", r.err);
    out_free(&r);
}

Test(mon_replay, group_windows_beyond_the_bound_are_bad_input) {
    /* the head fits (10 M slots); the group's windows would double it */
    out_t r = replay("{\"type\":\"head\",\"t\":1,\"topic\":\"t\","
                     "\"partition\":0,\"offset\":9,\"partitions\":1000000}\n"
                     "{\"type\":\"commit\",\"t\":1,\"group\":\"g\","
                     "\"topic\":\"t\",\"partition\":0,\"offset\":1}\n",
                     10000);

    cr_assert_eq(r.rc, 2);
    cr_assert(strstr(r.err, ":2: field 'partition'") &&
                  strstr(r.err, "group's windows"),
              "%s", r.err);
    out_free(&r);
}

/* Three lines: a group on 500000 partitions and an 11-day gap, 95000
 * ticks: ticking through costs 4.7e10 partition evaluations (hours). */
Test(mon_replay, a_long_gap_costs_the_groups_that_change_not_the_ticks,
     .timeout = 120) {
    out_t r = replay("{\"type\":\"head\",\"t\":1700000000000,\"topic\":\"t\","
                     "\"partition\":0,\"offset\":100,\"partitions\":500000}\n"
                     "{\"type\":\"commit\",\"t\":1700000000000,\"group\":"
                     "\"g\",\"topic\":\"t\",\"partition\":0,\"offset\":50}\n"
                     "{\"type\":\"head\",\"t\":1701000000000,\"topic\":\"t\","
                     "\"partition\":0,\"offset\":200}\n",
                     10000);

    cr_assert_eq(r.rc, 0, "%s", r.err);
    /* found where exact ticking finds it: the first tick past 7 days */
    cr_assert(strstr(r.out, "2023-11-21T22:13:30.000Z local g: OK -> "
                            "NOTFOUND"),
              "%s", r.out);
    cr_assert_leq(r.stats.evals, 64ULL * 500000, "%llu evaluations",
                  r.stats.evals);
    out_free(&r);
}

/* A trace whose group of 500 partitions stops committing, then either
 * one long gap (sparse ticking: 20000 ticks x 500 partitions) or the
 * same gap cut into short ones by heads of another topic (ticked
 * through): the timelines must be the same. */
static char *stop_trace(bool cut) {
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
    int64_t t0 = 1700000000000LL;

#define ADD(...) n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__)
    ADD("{\"type\":\"config\",\"expire_group_ms\":15000000}\n");
    ADD("{\"type\":\"head\",\"t\":%lld,\"topic\":\"side\",\"partition\":0,"
        "\"offset\":1}\n",
        (long long)t0);
    for (int k = 0; k < 12; k++) {
        int64_t t = t0 + k * 1000;

        ADD("{\"type\":\"head\",\"t\":%lld,\"topic\":\"t\",\"partition\":0,"
            "\"offset\":%d,\"partitions\":500}\n",
            (long long)t, 1000 + k * 100);
        ADD("{\"type\":\"commit\",\"t\":%lld,\"group\":\"g\",\"topic\":\"t\","
            "\"partition\":0,\"offset\":%d}\n",
            (long long)t, 990 + k * 100);
    }
    for (int k = 1; cut && k < 200; k++)
        ADD("{\"type\":\"head\",\"t\":%lld,\"topic\":\"side\","
            "\"partition\":0,\"offset\":1}\n",
            (long long)(t0 + 11000 + (int64_t)k * 100000));
    ADD("{\"type\":\"head\",\"t\":%lld,\"topic\":\"t\",\"partition\":0,"
        "\"offset\":99999}\n",
        (long long)(t0 + 11000 + 20000000));
#undef ADD
    cr_assert_lt(n, cap);
    return s;
}

Test(mon_replay, sparse_ticking_prints_what_ticking_through_prints,
     .timeout = 120) {
    char *a = stop_trace(false), *b = stop_trace(true);
    out_t ra = replay(a, 1000), rb = replay(b, 1000);
    char *ta = timeline(ra.out), *tb = timeline(rb.out);

    cr_assert_eq(ra.rc, 0, "%s", ra.err);
    cr_assert_eq(rb.rc, 0, "%s", rb.err);
    cr_assert_str_eq(ta, tb);
    /* the stop and the expiry both show */
    cr_assert(strstr(ta, "-> ERR") && strstr(ta, "-> NOTFOUND"), "%s", ta);
    cr_assert_lt(ra.stats.evals, rb.stats.evals / 10, "%llu vs %llu",
                 ra.stats.evals, rb.stats.evals);
    free(ta);
    free(tb);
    free(a);
    free(b);
    out_free(&ra);
    out_free(&rb);
}
