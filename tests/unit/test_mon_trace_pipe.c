/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_trace_batch and mon_trace_pipe: a trace parsed ahead on
 * worker threads gives, line for line, the events, the first error (its
 * line and message) and the reader state that mon_trace_parse_line gives
 * on each line in turn, whatever the chunk size (down to one byte, so
 * every line boundary is a chunk boundary somewhere) and the number of
 * threads. The text is handed over in an exact-size heap buffer, so a
 * read past its end shows up under ASan.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/sources/mon_trace.h"
#include "monitor/sources/mon_trace_pipe.h"

#define NAME "p.jsonl"

typedef struct text_s {
    char *p;
    size_t n, cap;
} text_t;

__attribute__((format(printf, 2, 3))) static void add(text_t *tx,
                                                      const char *fmt, ...) {
    va_list ap;
    int k;

    for (;;) {
        va_start(ap, fmt);
        k = vsnprintf(tx->p + tx->n, tx->cap - tx->n, fmt, ap);
        va_end(ap);
        cr_assert_geq(k, 0);
        if (tx->n + (size_t)k < tx->cap) break;
        tx->cap = tx->cap ? tx->cap * 2 : 4096;
        tx->p = realloc(tx->p, tx->cap);
        cr_assert_not_null(tx->p);
    }
    tx->n += (size_t)k;
}

/* An exact-size copy of the text (no NUL after it). */
static char *exact(const text_t *tx) {
    char *c = malloc(tx->n ? tx->n : 1);

    cr_assert_not_null(c);
    memcpy(c, tx->p, tx->n);
    return c;
}

/* A trace of every kind of line: config, heads and commits with and
 * without cluster, owner and client id, truth, expect, members, blank
 * lines and spaces; n rounds. */
static void mixed_trace(text_t *tx, int rounds) {
    add(tx, "{\"type\":\"config\",\"intervals\":4}\n");
    for (int r = 0; r < rounds; r++) {
        long t = 1000L + 500L * r;

        add(tx,
            "{\"type\":\"head\",\"t\":%ld,\"topic\":\"o\","
            "\"partition\":%d,\"offset\":%d,\"partitions\":2}\n",
            t, r % 2, 100 + r * 7);
        add(tx,
            "{\"type\":\"head\",\"t\":%ld,\"cluster\":\"c%d\","
            "\"topic\":\"t\",\"partition\":0,\"offset\":%d}\n",
            t, r % 3, 50 + r);
        if (r % 4 == 0) add(tx, "\n   \n");
        add(tx,
            "{\"type\":\"commit\",\"t\":%ld,\"group\":\"g%d\","
            "\"topic\":\"o\",\"partition\":%d,\"offset\":%d%s}\n",
            t, r % 5, r % 2, 90 + r * 6,
            r % 3 ? ",\"owner\":\"/10.0.0.1\",\"client_id\":\"cli\"" : "");
        if (r % 7 == 3)
            add(tx,
                "{\"type\":\"truth\",\"t\":%ld,\"group\":\"g1\","
                "\"topic\":\"o\",\"partition\":1,\"status\":\"WARN\"}\n",
                t);
        if (r % 11 == 5)
            add(tx,
                "{\"type\":\"members\",\"t\":%ld,\"group\":\"g0\","
                "\"generation\":%d,\"members\":[{\"member_id\":\"m%d\","
                "\"client_id\":\"c\",\"assigned\":{\"o\":[0,1]}}]}\n",
                t, r, r);
        if (r % 13 == 6)
            add(tx,
                "{\"type\":\"expect\",\"t\":%ld,\"group\":\"g1\","
                "\"status\":\"OK\",\"partitions\":[{\"topic\":\"o\","
                "\"partition\":1,\"status\":\"OK\"}]}\n",
                t);
    }
}

static void same_str(const char *a, const char *b, const char *what,
                     unsigned long line) {
    cr_assert_eq(!a, !b, "line %lu: %s %s vs %s", line, what, a ? a : "NULL",
                 b ? b : "NULL");
    if (a) cr_assert_str_eq(a, b, "line %lu: %s", line, what);
}

static void same_event(const mon_trace_event_t *a, const mon_trace_event_t *b,
                       unsigned long line) {
    cr_assert_eq(a->type, b->type, "line %lu: type %d vs %d", line, a->type,
                 b->type);
    cr_assert_eq(a->t, b->t, "line %lu", line);
    same_str(a->cluster, b->cluster, "cluster", line);
    same_str(a->topic, b->topic, "topic", line);
    same_str(a->group, b->group, "group", line);
    same_str(a->owner, b->owner, "owner", line);
    same_str(a->client_id, b->client_id, "client_id", line);
    cr_assert_eq(a->partition, b->partition, "line %lu", line);
    cr_assert_eq(a->offset, b->offset, "line %lu", line);
    cr_assert_eq(a->partitions, b->partitions, "line %lu", line);
    cr_assert_eq(a->truth, b->truth, "line %lu", line);
    cr_assert_eq(a->status, b->status, "line %lu", line);
    cr_assert_eq(a->pexpect_count, b->pexpect_count, "line %lu", line);
    cr_assert_eq(a->members.count, b->members.count, "line %lu", line);
    cr_assert_eq(a->config.intervals, b->config.intervals, "line %lu", line);
}

/* Reads text through a pipe and, line by line, through parse_line;
 * checks every event, the result and the error (if any) are the same.
 * Returns the number of lines read before the end or the error. */
static unsigned long compare(const text_t *tx, int threads, size_t chunk) {
    char *buf = exact(tx);
    mon_trace_reader_t *serial = mon_trace_reader_new(NAME);
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_pipe_t *pp = NULL;
    const char *p = buf, *end = buf + tx->n;
    char err[256] = "", serr[256] = "";
    unsigned long lines = 0;
    int r;

    cr_assert_eq(
        mon_trace_pipe_start(&pp, buf, tx->n, threads, chunk, err, sizeof(err)),
        0, "%s", err);
    for (;;) {
        mon_trace_event_t a, b;
        const char *nl;
        int sr;

        r = mon_trace_pipe_next(pp, rd, &a, err, sizeof(err));
        if (p >= end) {
            cr_assert_eq(r, 0, "chunk %zu: an event after the last line",
                         chunk);
            break;
        }
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        sr = mon_trace_parse_line(serial, p, (size_t)(nl - p), &b, serr,
                                  sizeof(serr));
        p = nl + 1;
        lines++;
        cr_assert_eq(r, sr < 0 ? -1 : 1, "chunk %zu, line %lu: %d vs %d (%s)",
                     chunk, lines, r, sr, sr < 0 ? serr : err);
        if (r < 0) {
            cr_assert_str_eq(err, serr, "chunk %zu", chunk);
            break;
        }
        same_event(&a, &b, lines);
        cr_assert_eq(mon_trace_line_number(rd), mon_trace_line_number(serial));
        cr_assert_eq(mon_trace_event_count(rd), mon_trace_event_count(serial));
    }
    mon_trace_pipe_stop(&pp);
    cr_assert_null(pp);
    mon_trace_reader_destroy(rd);
    mon_trace_reader_destroy(serial);
    free(buf);
    return lines;
}

static const size_t chunks[] = {1, 2, 7, 64, 333, 4096, 0};
#define NCHUNKS (sizeof(chunks) / sizeof(chunks[0]))

Test(mon_trace_pipe, gives_the_events_of_parse_line_in_order, .timeout = 60) {
    text_t tx = {0};

    mixed_trace(&tx, 120);
    for (int th = 1; th <= 3; th++)
        for (size_t c = 0; c < NCHUNKS; c++)
            cr_assert_gt(compare(&tx, th, chunks[c]), 300);
    free(tx.p);
}

Test(mon_trace_pipe, a_last_line_without_newline_and_blank_lines_count) {
    text_t tx = {0};

    add(&tx, "\n\n{\"type\":\"head\",\"t\":5,\"topic\":\"o\",\"partition\":0,"
             "\"offset\":1}\n\n{\"type\":\"head\",\"t\":6,\"topic\":\"o\","
             "\"partition\":0,\"offset\":2}");
    for (size_t c = 0; c < NCHUNKS; c++)
        cr_assert_eq(compare(&tx, 2, chunks[c]), 5);
    free(tx.p);
}

/* Each bad text: a good start, then the first bad line. */
static void bad_case(const char *bad, unsigned long want_line,
                     const char *want) {
    text_t tx = {0};
    char err[256];

    mixed_trace(&tx, 30);
    add(&tx, "%s\n", bad);
    /* more lines after the bad one, parsed ahead and never taken */
    mixed_trace(&tx, 30);
    for (size_t c = 0; c < NCHUNKS; c++) {
        unsigned long n = compare(&tx, 2, chunks[c]);

        if (want_line) cr_assert_eq(n, want_line, "chunk %zu", chunks[c]);
    }
    /* and the message itself, once */
    {
        char *buf = exact(&tx);
        mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
        mon_trace_pipe_t *pp = NULL;
        mon_trace_event_t ev;
        int r;

        cr_assert_eq(
            mon_trace_pipe_start(&pp, buf, tx.n, 2, 5, err, sizeof(err)), 0);
        while ((r = mon_trace_pipe_next(pp, rd, &ev, err, sizeof(err))) > 0)
            ;
        cr_assert_eq(r, -1);
        cr_assert(strstr(err, want) != NULL, "%s", err);
        mon_trace_pipe_stop(&pp);
        mon_trace_reader_destroy(rd);
        free(buf);
    }
    free(tx.p);
}

Test(mon_trace_pipe, a_time_before_the_previous_one_fails_on_its_line) {
    /* a head (parsed ahead, so the order is checked when taken) */
    bad_case("{\"type\":\"head\",\"t\":999,\"topic\":\"o\",\"partition\":0,"
             "\"offset\":1}",
             0, "field 't': 999 is before");
}

Test(mon_trace_pipe, a_config_line_after_the_first_fails, .timeout = 60) {
    bad_case("{\"type\":\"config\",\"intervals\":3}", 0,
             "a config line must come before every other line");
}

Test(mon_trace_pipe, invalid_json_and_utf8_fail_with_their_byte) {
    bad_case("{\"type\":\"commit\",\"t\":", 0, "invalid JSON at byte");
    bad_case("{\"type\":\"head\",\"topic\":\"\xc3\x28\"}", 0,
             "invalid UTF-8 at byte 25");
    bad_case("{\"type\":\"commit\",\"t\":99999,\"group\":\"g\",\"topic\":\"o\","
             "\"partition\":-1,\"offset\":1}",
             0, "field 'partition': -1 is out of range");
}

Test(mon_trace_pipe, nothing_to_read_ends_at_once) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_pipe_t *pp = NULL;
    mon_trace_event_t ev;
    char err[128];

    cr_assert_eq(mon_trace_pipe_start(&pp, "", 0, 0, 0, err, sizeof(err)), 0);
    cr_assert_eq(mon_trace_pipe_next(pp, rd, &ev, err, sizeof(err)), 0);
    cr_assert_eq(mon_trace_pipe_next(pp, rd, &ev, err, sizeof(err)), 0);
    mon_trace_pipe_stop(&pp);
    cr_assert_eq(mon_trace_line_number(rd), 0);
    mon_trace_reader_destroy(rd);
}

/* Stopped after a few events, with workers parsing or waiting for a
 * slot: stop returns (no worker left waiting) and frees everything. */
Test(mon_trace_pipe, stopping_early_returns_and_frees, .timeout = 20) {
    text_t tx = {0};

    mixed_trace(&tx, 2000);
    for (int k = 0; k < 20; k++) {
        mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
        mon_trace_pipe_t *pp = NULL;
        mon_trace_event_t ev;
        char err[128];

        cr_assert_eq(mon_trace_pipe_start(&pp, tx.p, tx.n, 3,
                                          (size_t)(k % 4 + 1) * 100, err,
                                          sizeof(err)),
                     0);
        for (int i = 0; i < k * 3; i++)
            cr_assert_eq(mon_trace_pipe_next(pp, rd, &ev, err, sizeof(err)), 1);
        mon_trace_pipe_stop(&pp);
        mon_trace_reader_destroy(rd);
    }
    free(tx.p);
}

/* A batch on its own: head, commit and truth lines are parsed in it,
 * their strings copied (the line may go), and taken in order. */
Test(mon_trace_pipe, a_batch_keeps_its_strings_after_the_line_is_gone) {
    const char *text =
        "{\"type\":\"commit\",\"t\":7,\"cluster\":\"k\",\"group\":\"grp\","
        "\"topic\":\"top\",\"partition\":3,\"offset\":11,\"owner\":\"/h\","
        "\"client_id\":\"cid\"}\n"
        "{\"type\":\"truth\",\"t\":8,\"group\":\"grp\",\"topic\":\"top\","
        "\"partition\":3,\"status\":\"ERR\"}";
    size_t n = strlen(text);
    char *buf = malloc(n);
    mon_trace_batch_t *b = mon_trace_batch_new();
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[128];

    memcpy(buf, text, n);
    mon_trace_batch_parse(b, buf, n);
    cr_assert_eq(mon_trace_batch_lines(b), 2);
    cr_assert_eq(mon_trace_batch_take(rd, b, 0, &ev, err, sizeof(err)), 0);
    memset(buf, 'X', n); /* parsed lines are not read again */
    cr_assert_str_eq(ev.cluster, "k");
    cr_assert_str_eq(ev.group, "grp");
    cr_assert_str_eq(ev.topic, "top");
    cr_assert_str_eq(ev.owner, "/h");
    cr_assert_str_eq(ev.client_id, "cid");
    cr_assert_eq(ev.offset, 11);
    cr_assert_eq(mon_trace_batch_take(rd, b, 1, &ev, err, sizeof(err)), 0);
    cr_assert_eq(ev.type, MON_TRACE_TRUTH);
    cr_assert_eq(ev.truth, MON_TRUTH_ERR);
    cr_assert_str_eq(ev.cluster, "local");
    cr_assert_eq(mon_trace_line_number(rd), 2);
    cr_assert_eq(mon_trace_event_count(rd), 2);
    mon_trace_batch_destroy(b);
    mon_trace_reader_destroy(rd);
    free(buf);
}
