/* SPDX-License-Identifier: Apache-2.0 */
/* mon_trace_batch: lines of a trace parsed ahead of the reader (see
 * mon_trace.h). A batch parses with a reader of its own that has no
 * history (no previous t, and a line already seen, so a config line is
 * not taken here); what depends on the history, the order of times, is
 * checked when the line is taken, and a line that fails it is parsed
 * again by the real reader, which then says why exactly as it would
 * have. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"
#include "monitor/sources/mon_trace.h"
#include "monitor/sources/mon_trace_int.h"

#define NO_STR UINT32_MAX

typedef struct entry_s {
    const char *line;
    size_t len;
    uint8_t type;  /* mon_trace_type_t; REPARSE: for the reader */
    uint8_t truth; /* mon_trace_truth_t */
    int32_t partition;
    int32_t partitions;
    int64_t t;
    int64_t offset;
    uint32_t cluster, topic, group, owner, client_id; /* into strs */
} entry_t;

#define REPARSE 0xff

struct mon_trace_batch_s {
    mon_trace_reader_t *rd; /* without history */
    entry_t *e;
    size_t n, cap;
    char *strs;
    size_t slen, scap;
};

mon_trace_batch_t *mon_trace_batch_new(void) {
    mon_trace_batch_t *b = mon_calloc(1, sizeof(*b));

    b->rd = mon_trace_reader_new("batch");
    mon_trace_reader_use_arena(b->rd);
    return b;
}

void mon_trace_batch_destroy(mon_trace_batch_t *b) {
    if (b == NULL) return;
    mon_trace_reader_destroy(b->rd);
    free(b->e);
    free(b->strs);
    free(b);
}

static uint32_t keep(mon_trace_batch_t *b, const char *s) {
    size_t n;
    uint32_t at;

    if (s == NULL) return NO_STR;
    n = strlen(s) + 1;
    if (b->slen + n > b->scap) {
        while (b->slen + n > b->scap)
            b->scap = b->scap ? b->scap * 2 : 4096;
        b->strs = mon_realloc(b->strs, b->scap);
    }
    memcpy(b->strs + b->slen, s, n);
    at = (uint32_t)b->slen;
    b->slen += n;
    return at;
}

static void parse_one(mon_trace_batch_t *b, entry_t *e) {
    mon_trace_event_t ev;
    mon_trace_reader_t *rd = b->rd;

    /* no history: every line is the first after some other line */
    rd->have_t = 0;
    rd->events = 1;
    e->type = REPARSE;
    if (mon_trace_parse_line(rd, e->line, e->len, &ev, NULL, 0) < 0) return;
    if (ev.type != MON_TRACE_BLANK && ev.type != MON_TRACE_HEAD &&
        ev.type != MON_TRACE_COMMIT && ev.type != MON_TRACE_TRUTH)
        return;
    /* the strings are at most the line's bytes: offsets must fit */
    if (b->slen + e->len + 5 >= NO_STR) return;
    e->type = (uint8_t)ev.type;
    e->truth = (uint8_t)ev.truth;
    e->partition = ev.partition;
    e->partitions = ev.partitions;
    e->t = ev.t;
    e->offset = ev.offset;
    /* "local" when omitted is the reader's literal: kept as no string */
    e->cluster = ev.type == MON_TRACE_BLANK ? NO_STR : keep(b, ev.cluster);
    e->topic = keep(b, ev.topic);
    e->group = keep(b, ev.group);
    e->owner = keep(b, ev.owner);
    e->client_id = keep(b, ev.client_id);
}

void mon_trace_batch_parse(mon_trace_batch_t *b, const char *p, size_t n) {
    const char *end = p + n, *nl;

    b->n = 0;
    b->slen = 0;
    while (p < end) {
        entry_t *e;

        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) nl = end;
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 1024;
            b->e = mon_realloc(b->e, b->cap * sizeof(*b->e));
        }
        e = &b->e[b->n++];
        e->line = p;
        e->len = (size_t)(nl - p);
        parse_one(b, e);
        p = nl + 1;
    }
}

size_t mon_trace_batch_lines(const mon_trace_batch_t *b) {
    return b->n;
}

static const char *str_at(const mon_trace_batch_t *b, uint32_t at) {
    return at == NO_STR ? NULL : b->strs + at;
}

int mon_trace_batch_take(mon_trace_reader_t *rd, const mon_trace_batch_t *b,
                         size_t i, mon_trace_event_t *ev, char *errstr,
                         size_t errstr_size) {
    const entry_t *e = &b->e[i];

    if (e->type == REPARSE ||
        (e->type != MON_TRACE_BLANK && rd->have_t && e->t < rd->last_t))
        return mon_trace_parse_line(rd, e->line, e->len, ev, errstr,
                                    errstr_size);
    rd->line++;
    memset(ev, 0, sizeof(*ev));
    ev->type = (mon_trace_type_t)e->type;
    ev->cluster = "local";
    if (e->type == MON_TRACE_BLANK) return 0;
    if (e->cluster != NO_STR) ev->cluster = str_at(b, e->cluster);
    ev->t = e->t;
    ev->topic = str_at(b, e->topic);
    ev->group = str_at(b, e->group);
    ev->partition = e->partition;
    ev->offset = e->offset;
    ev->partitions = e->partitions;
    ev->owner = str_at(b, e->owner);
    ev->client_id = str_at(b, e->client_id);
    ev->truth = (mon_trace_truth_t)e->truth;
    rd->have_t = 1;
    rd->last_t = ev->t;
    rd->last_t_line = rd->line;
    rd->events++;
    return 0;
}
