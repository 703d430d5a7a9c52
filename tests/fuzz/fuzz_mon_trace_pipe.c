/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the trace pipe (mon_trace_pipe, mon_trace_batch)
 * against the line-by-line parser on arbitrary bytes. The first byte
 * picks the chunk size (1 to 256 bytes, so chunk ends fall everywhere)
 * and the number of worker threads (1 to 3); the rest is the trace.
 * Line for line, the pipe must give what mon_trace_parse_line gives:
 * the same result, the same event fields and strings, the same error
 * message, and stop at the same line; otherwise the target aborts.
 * Seeds in tests/fuzz/corpus_mon_trace_pipe/ are sample traces. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/sources/mon_trace.h"
#include "monitor/sources/mon_trace_pipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_str(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same(const mon_trace_event_t *a, const mon_trace_event_t *b) {
    return a->type == b->type && a->t == b->t && a->offset == b->offset &&
           a->partition == b->partition && a->partitions == b->partitions &&
           a->truth == b->truth && a->status == b->status &&
           a->pexpect_count == b->pexpect_count &&
           a->members.count == b->members.count &&
           same_str(a->cluster, b->cluster) && same_str(a->topic, b->topic) &&
           same_str(a->group, b->group) && same_str(a->owner, b->owner) &&
           same_str(a->client_id, b->client_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mon_trace_reader_t *serial, *rd;
    mon_trace_pipe_t *pp = NULL;
    const char *p, *end;
    char *text, err[512], serr[512];
    size_t n;

    if (size < 1) return 0;
    n = size - 1;
    /* an exact-size copy: a read past the end is caught */
    text = malloc(n ? n : 1);
    memcpy(text, data + 1, n);
    serial = mon_trace_reader_new("fuzz.jsonl");
    rd = mon_trace_reader_new("fuzz.jsonl");
    if (mon_trace_pipe_start(&pp, text, n, 1 + data[0] % 3,
                             1 + (size_t)(data[0] >> 2) * 4, err,
                             sizeof(err)) < 0)
        abort();
    p = text;
    end = text + n;
    for (;;) {
        mon_trace_event_t a, b;
        const char *nl;
        int r = mon_trace_pipe_next(pp, rd, &a, err, sizeof(err)), sr;

        if (p >= end) {
            if (r != 0) abort(); /* a line the file does not have */
            break;
        }
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        sr = mon_trace_parse_line(serial, p, (size_t)(nl - p), &b, serr,
                                  sizeof(serr));
        p = nl + 1;
        if (r != (sr < 0 ? -1 : 1)) abort();
        if (r < 0) {
            if (strcmp(err, serr) != 0) abort();
            break;
        }
        if (!same(&a, &b) ||
            mon_trace_line_number(rd) != mon_trace_line_number(serial) ||
            mon_trace_event_count(rd) != mon_trace_event_count(serial))
            abort();
    }
    mon_trace_pipe_stop(&pp);
    mon_trace_reader_destroy(rd);
    mon_trace_reader_destroy(serial);
    free(text);
    return 0;
}
