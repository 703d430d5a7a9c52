/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the lag-trace parser (mon_trace) on arbitrary bytes,
 * split into lines as warren replay splits them. Every line must parse or
 * fail with a message naming the line (no read past it, no leak, no
 * abort); the strings of a parsed event are walked so that each pointer
 * it hands out is touched under AddressSanitizer. Seeds in
 * tests/fuzz/corpus_mon_trace/ are sample traces and bad lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/sources/mon_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s) {
    return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mon_trace_reader_t *rd = mon_trace_reader_new("fuzz.jsonl");
    const char *p = (const char *)data, *end = p + size;
    char err[512];
    size_t sum = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* an exact-size copy: a read past the line is caught */
        char *line = malloc(len ? len : 1);
        mon_trace_event_t ev;

        memcpy(line, p, len);
        if (mon_trace_parse_line(rd, line, len, &ev, err, sizeof(err)) == 0) {
            sum += touch(ev.cluster) + touch(ev.topic) + touch(ev.group) +
                   touch(ev.owner) + touch(ev.client_id);
            for (size_t i = 0; i < ev.pexpect_count; i++)
                sum += touch(ev.pexpect[i].topic);
        } else if (!err[0]) {
            abort(); /* a failure must say why */
        }
        free(line);
        p += len + 1;
    }
    mon_trace_reader_finish(rd, err, sizeof(err));
    mon_trace_reader_destroy(rd);
    return sum == (size_t)-1;
}
