/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for mon_delivery: outcome classification, backoff, and the
 * journal (recovery, torn tails, corruption, replay, compaction) with the
 * sender off or pointed at a closed loopback port.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/mon_log.h"
#include "monitor/notify/mon_delivery.h"

static char dir[128];
static char path[192];

static void setup(void) {
    snprintf(dir, sizeof(dir), "/tmp/warren-dlv-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/notifier.journal", dir);
    mon_log_set_level(MON_LOG_ERROR);
}

static void teardown(void) {
    char p[256];
    unlink(path);
    snprintf(p, sizeof(p), "%s.tmp", path);
    unlink(p);
    rmdir(dir);
}

static mon_delivery_target_t tgt(const char *name, int retries) {
    mon_delivery_target_t t = {0};
    t.name = name;
    t.timeout_ms = 2000;
    t.max_retries = retries;
    return t;
}

static mon_delivery_t *open_q(const mon_delivery_target_t *t, size_t n,
                              bool sender, mon_delivery_replay_cb cb, void *arg,
                              uint64_t after) {
    mon_delivery_opts_t o;
    char err[512] = "";
    mon_delivery_opts_default(&o);
    o.start_sender = sender;
    o.base_delay_ms = 60000;
    o.compact_min_bytes = 0;
    mon_delivery_t *q =
        mon_delivery_new(path, t, n, &o, 0, after, cb, arg, err, sizeof(err));
    cr_assert_not_null(q, "open: %s", err);
    return q;
}

static uint64_t put(mon_delivery_t *q, const char *nf, const char *id,
                    const char *url, const char *body) {
    mon_delivery_entry_t e = {0};
    uint64_t seq = 0;
    char err[256];
    e.kind = MON_DELIVERY_OPEN;
    e.notifier = nf;
    e.cluster = "local";
    e.group = "g1";
    e.incident_id = id;
    e.iseq = 1;
    e.start_ms = 1000;
    e.created_ms = 2000;
    e.method = "POST";
    e.url = url;
    e.content_type = "application/json";
    e.body = body;
    e.body_len = strlen(body);
    cr_assert_eq(mon_delivery_enqueue(q, &e, &seq, err, sizeof(err)), 0, "%s",
                 err);
    return seq;
}

static size_t pending(mon_delivery_t *q) {
    mon_delivery_info_t *v;
    size_t n, p = 0;
    mon_delivery_list(q, &v, &n);
    for (size_t i = 0; i < n; i++)
        p += v[i].state == MON_DELIVERY_PENDING;
    mon_delivery_list_free(v, n);
    return p;
}

static off_t fsize(void) {
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    return sb.st_size;
}

/* ---- pure functions ---- */

typedef struct cls_s {
    int code;
    long status;
    mon_delivery_verdict_t v;
} cls_t;

ParameterizedTestParameters(mon_delivery, classify_outcomes) {
    static cls_t t[] = {
        {CURLE_OK, 200, MON_DELIVERY_VERDICT_OK},
        {CURLE_OK, 204, MON_DELIVERY_VERDICT_OK},
        {CURLE_OK, 299, MON_DELIVERY_VERDICT_OK},
        {CURLE_OK, 429, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_OK, 500, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_OK, 503, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_OK, 400, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_OK, 401, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_OK, 404, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_OK, 410, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_OK, 302, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_COULDNT_CONNECT, 0, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_OPERATION_TIMEDOUT, 0, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_GOT_NOTHING, 0, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_RECV_ERROR, 0, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_COULDNT_RESOLVE_HOST, 0, MON_DELIVERY_VERDICT_RETRY},
        {CURLE_UNSUPPORTED_PROTOCOL, 0, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_URL_MALFORMAT, 0, MON_DELIVERY_VERDICT_FAIL},
        {CURLE_TOO_MANY_REDIRECTS, 301, MON_DELIVERY_VERDICT_FAIL},
    };
    return cr_make_param_array(cls_t, t, sizeof(t) / sizeof(t[0]));
}

ParameterizedTest(cls_t *c, mon_delivery, classify_outcomes) {
    cr_assert_eq(mon_delivery_classify(c->code, c->status), c->v,
                 "code %d status %ld", c->code, c->status);
}

typedef struct bo_s {
    uint32_t attempt;
    int64_t retry_after;
    int64_t lo, hi;
} bo_t;

ParameterizedTestParameters(mon_delivery, backoff_doubles_with_jitter) {
    /* base 1000, cap 60000, Retry-After cap 3600 s */
    static bo_t t[] = {
        {1, 0, 500, 1000},
        {2, 0, 1000, 2000},
        {3, 0, 2000, 4000},
        {6, 0, 16000, 32000},
        {7, 0, 30000, 60000},
        {30, 0, 30000, 60000},
        {1, 5000, 5000, 5000}, /* Retry-After above the backoff wins */
        {3, 1000, 2000, 4000}, /* ... and below it changes nothing */
        {1, 99999999, 3600000, 3600000},
    };
    return cr_make_param_array(bo_t, t, sizeof(t) / sizeof(t[0]));
}

ParameterizedTest(bo_t *b, mon_delivery, backoff_doubles_with_jitter) {
    mon_delivery_opts_t o;
    mon_delivery_opts_default(&o);
    for (uint32_t r = 0; r < 2000; r += 37) {
        int64_t d = mon_delivery_backoff_ms(&o, b->attempt, b->retry_after,
                                            r * 2654435761u);
        cr_assert(d >= b->lo && d <= b->hi,
                  "attempt %u: %ld not in "
                  "[%ld, %ld]",
                  b->attempt, (long)d, (long)b->lo, (long)b->hi);
    }
}

/* ---- journal ---- */

Test(mon_delivery, reopen_recovers_pending_with_same_key, .init = setup,
     .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_q(&t, 1, false, NULL, NULL, 0);
    uint64_t s1 = put(q, "hook", "id-1", "http://127.0.0.1:1/a", "{\"a\":1}");
    uint64_t s2 = put(q, "hook", "id-2", "http://127.0.0.1:1/b", "{}");
    cr_assert_lt(s1, s2);
    mon_delivery_destroy(q);

    q = open_q(&t, 1, false, NULL, NULL, 0);
    mon_delivery_info_t *v;
    size_t n;
    mon_delivery_list(q, &v, &n);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(v[0].key, "id-1:open:1");
    cr_assert_str_eq(v[1].key, "id-2:open:1");
    cr_assert_eq(v[0].seq, s1);
    cr_assert_eq(v[0].state, MON_DELIVERY_PENDING);
    mon_delivery_list_free(v, n);
    uint64_t s3 = put(q, "hook", "id-3", "http://127.0.0.1:1/c", "{}");
    cr_assert_gt(s3, s2, "sequence numbers continue after a reopen");
    mon_delivery_destroy(q);
}

typedef struct seen_s {
    int n;
    int notes;
    char keys[8][64];
    char bodies[8][64];
    uint64_t seqs[8];
} seen_t;

static void collect(const mon_delivery_entry_t *e, void *arg) {
    seen_t *s = arg;
    if (s->n < 8) {
        snprintf(s->keys[s->n], 64, "%s:%d:%u", e->incident_id, e->kind,
                 e->iseq);
        snprintf(s->bodies[s->n], 64, "%s", e->body);
        s->seqs[s->n] = e->seq;
    }
    s->n++;
    s->notes += e->note_only;
}

Test(mon_delivery, replay_gives_entries_after_the_mark_with_bodies,
     .init = setup, .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_q(&t, 1, false, NULL, NULL, 0);
    uint64_t s1 = put(q, "hook", "a", "http://127.0.0.1:1/", "{\"x\":1}");
    put(q, "hook", "b", "http://127.0.0.1:1/", "{\"x\":2}");
    mon_delivery_entry_t note = {0};
    char err[256];
    note.note_only = true;
    note.kind = MON_DELIVERY_CLOSE;
    note.notifier = "hook";
    note.cluster = "local";
    note.group = "g1";
    note.incident_id = "b";
    note.iseq = 1;
    cr_assert_eq(mon_delivery_enqueue(q, &note, NULL, err, sizeof(err)), 0);
    cr_assert_eq(pending(q), 2, "a note is not a delivery");
    mon_delivery_destroy(q);

    seen_t s = {0};
    q = open_q(&t, 1, false, collect, &s, s1);
    cr_assert_eq(s.n, 2, "entries after the mark: one delivery, one note");
    cr_assert_eq(s.notes, 1);
    cr_assert_str_eq(s.keys[0], "b:1:1");
    cr_assert_str_eq(s.bodies[0], "{\"x\":2}");
    cr_assert_str_eq(s.keys[1], "b:2:1");
    cr_assert_eq(pending(q), 2, "the mark does not affect what is pending");
    mon_delivery_destroy(q);
}

Test(mon_delivery, torn_tail_is_truncated_and_earlier_records_kept,
     .init = setup, .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_q(&t, 1, false, NULL, NULL, 0);
    const char *ids[3] = {"id-0", "id-1", "id-2"}; /* or they merge */
    for (int i = 0; i < 3; i++)
        put(q, "hook", ids[i], "http://127.0.0.1:1/", "{\"k\":\"v\"}");
    mon_delivery_destroy(q);
    off_t good = fsize();

    /* A torn append: the first 13 bytes of a copy of the last record. */
    int fd = open(path, O_RDWR);
    unsigned char rec[13];
    cr_assert_eq(pread(fd, rec, sizeof(rec), 16), (ssize_t)sizeof(rec));
    cr_assert_eq(pwrite(fd, rec, sizeof(rec), good), (ssize_t)sizeof(rec));
    close(fd);
    cr_assert_eq(fsize(), good + 13);

    q = open_q(&t, 1, false, NULL, NULL, 0);
    cr_assert_eq(pending(q), 3);
    cr_assert_eq(fsize(), good, "the torn tail is cut off");
    put(q, "hook", "id2", "http://127.0.0.1:1/", "{}");
    mon_delivery_destroy(q);
    q = open_q(&t, 1, false, NULL, NULL, 0);
    cr_assert_eq(pending(q), 4, "appends after recovery are readable");
    mon_delivery_destroy(q);
}

Test(mon_delivery, corrupt_last_record_is_dropped, .init = setup,
     .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_q(&t, 1, false, NULL, NULL, 0);
    put(q, "hook", "id-1", "http://127.0.0.1:1/", "{\"k\":1}");
    put(q, "hook", "id-2", "http://127.0.0.1:1/", "{\"k\":2}");
    mon_delivery_destroy(q);
    off_t end = fsize();
    int fd = open(path, O_RDWR);
    unsigned char c;
    cr_assert_eq(pread(fd, &c, 1, end - 3), 1);
    c ^= 0x40;
    cr_assert_eq(pwrite(fd, &c, 1, end - 3), 1);
    close(fd);

    q = open_q(&t, 1, false, NULL, NULL, 0);
    mon_delivery_info_t *v;
    size_t n;
    mon_delivery_list(q, &v, &n);
    cr_assert_eq(n, 1, "the record failing its CRC is dropped");
    cr_assert_str_eq(v[0].key, "id-1:open:1");
    mon_delivery_list_free(v, n);
    cr_assert_lt(fsize(), end);
    mon_delivery_destroy(q);
}

Test(mon_delivery, a_second_opener_is_refused_while_open, .init = setup,
     .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_q(&t, 1, false, NULL, NULL, 0);
    char err[512] = "";
    mon_delivery_t *q2 =
        mon_delivery_new(path, &t, 1, NULL, 0, 0, NULL, NULL, err, sizeof(err));
    cr_assert_null(q2);
    cr_assert(strstr(err, "in use by another process"), "%s", err);
    mon_delivery_destroy(q);
    q = open_q(&t, 1, false, NULL, NULL, 0);
    mon_delivery_destroy(q);
}

Test(mon_delivery, bad_magic_is_an_error_naming_file_and_byte, .init = setup,
     .fini = teardown) {
    FILE *f = fopen(path, "w");
    fputs("this is not a journal at all", f);
    fclose(f);
    mon_delivery_target_t t = tgt("hook", 5);
    char err[512] = "";
    mon_delivery_t *q =
        mon_delivery_new(path, &t, 1, NULL, 0, 0, NULL, NULL, err, sizeof(err));
    cr_assert_null(q);
    cr_assert(strstr(err, path) && strstr(err, "byte 0") &&
                  strstr(err, "bad magic"),
              "message: %s", err);
    cr_assert_eq(fsize(), 28, "a foreign file is left alone");
}

Test(mon_delivery, unknown_notifier_is_refused_and_dropped_on_recovery,
     .init = setup, .fini = teardown) {
    mon_delivery_target_t a = tgt("a", 5), b = tgt("b", 5);
    mon_delivery_t *q = open_q(&a, 1, false, NULL, NULL, 0);
    mon_delivery_entry_t e = {0};
    char err[256] = "";
    e.notifier = "zzz";
    e.kind = MON_DELIVERY_OPEN;
    cr_assert_eq(mon_delivery_enqueue(q, &e, NULL, err, sizeof(err)), -1);
    cr_assert(strstr(err, "zzz"), "%s", err);
    put(q, "a", "id-a", "http://127.0.0.1:1/", "{}");
    mon_delivery_destroy(q);

    q = open_q(&b, 1, false, NULL, NULL, 0);
    mon_delivery_info_t *v;
    size_t n;
    mon_delivery_list(q, &v, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].state, MON_DELIVERY_FAILED);
    cr_assert(strstr(v[0].error, "no longer configured"), "%s", v[0].error);
    mon_delivery_list_free(v, n);
    mon_delivery_destroy(q);
    q = open_q(&a, 1, false, NULL, NULL, 0);
    cr_assert_eq(pending(q), 0, "the failure was recorded in the journal");
    mon_delivery_destroy(q);
}

Test(mon_delivery, compaction_keeps_only_unfinished_deliveries, .init = setup,
     .fini = teardown) {
    /* Port 1 on loopback refuses connections at once: "once" fails after
     * one attempt; "keep" retries in 60 s, so it stays queued. */
    mon_delivery_target_t t[2] = {tgt("once", 0), tgt("keep", 20)};
    mon_delivery_t *q = open_q(t, 2, true, NULL, NULL, 0);
    for (int i = 0; i < 40; i++) {
        char id[16]; /* one incident each, or waiting opens merge */
        snprintf(id, sizeof(id), "gone-%d", i);
        put(q, "once", id, "http://127.0.0.1:1/",
            "{\"pad\":"
            "\"................................................\"}");
    }
    uint64_t keep = put(q, "keep", "kept", "http://127.0.0.1:1/", "{}");
    /* Wait for the 40 failures and the first attempt of "keep". */
    for (int i = 0; i < 1000; i++) {
        mon_delivery_stats_t a, b;
        mon_delivery_stats(q, 0, &a);
        mon_delivery_stats(q, 1, &b);
        if (a.failed == 40 && b.retries == 1 && a.pending == 0) break;
        usleep(10000);
    }
    mon_delivery_stats_t st;
    mon_delivery_stats(q, 0, &st);
    cr_assert_eq(st.failed, 40);
    cr_assert(mon_delivery_should_compact(q));
    off_t before = fsize();
    char err[256];
    cr_assert_eq(mon_delivery_compact(q, err, sizeof(err)), 0, "%s", err);
    cr_assert_lt(fsize(), before / 4);
    mon_delivery_t *q2 =
        mon_delivery_new(path, t, 2, NULL, 0, 0, NULL, NULL, err, sizeof(err));
    cr_assert_null(q2, "the compacted journal is locked too");
    mon_delivery_destroy(q);

    q = open_q(t, 2, false, NULL, NULL, 0);
    mon_delivery_info_t *v;
    size_t n;
    mon_delivery_list(q, &v, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].seq, keep);
    cr_assert_str_eq(v[0].key, "kept:open:1");
    cr_assert_eq(v[0].attempts, 1, "the attempt count survives");
    cr_assert(strstr(v[0].error, "onnect"), "%s", v[0].error);
    mon_delivery_list_free(v, n);
    mon_delivery_destroy(q);
}

/* ---- bounds: Retry-After, merging, max-pending ---- */

Test(mon_delivery, retry_after_of_any_size_is_parsed_and_capped) {
    int64_t ms = 0;
    cr_assert_eq(mon_delivery_parse_retry_after(" 120", &ms), 0);
    cr_assert_eq(ms, 120000);
    /* 40 days, and more digits than an int64 holds: capped, not ignored */
    cr_assert_eq(mon_delivery_parse_retry_after("3456000", &ms), 0);
    cr_assert_eq(ms, 3456000000LL);
    cr_assert_eq(
        mon_delivery_parse_retry_after("99999999999999999999999999999999", &ms),
        0);
    cr_assert_eq(ms, INT64_MAX);
    mon_delivery_opts_t o;
    mon_delivery_opts_default(&o);
    cr_assert_eq(mon_delivery_backoff_ms(&o, 1, ms, 7), o.max_retry_after_ms);
    /* an HTTP-date or junk is left to the backoff */
    cr_assert_eq(
        mon_delivery_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", &ms),
        -1);
    cr_assert_eq(mon_delivery_parse_retry_after("", &ms), -1);
    cr_assert_eq(mon_delivery_parse_retry_after("-5", &ms), -1);
}

/* The key of the i-th pending delivery (oldest first), copied. */
static void pending_key(mon_delivery_t *q, size_t i, char *buf, size_t size) {
    mon_delivery_info_t *v;
    size_t n, k = 0;
    buf[0] = '\0';
    mon_delivery_list(q, &v, &n);
    for (size_t j = 0; j < n; j++)
        if (v[j].state == MON_DELIVERY_PENDING && k++ == i)
            snprintf(buf, size, "%s", v[j].key);
    mon_delivery_list_free(v, n);
}

static size_t count_state(mon_delivery_t *q, mon_delivery_state_t st) {
    mon_delivery_info_t *v;
    size_t n, c = 0;
    mon_delivery_list(q, &v, &n);
    for (size_t i = 0; i < n; i++)
        c += v[i].state == st;
    mon_delivery_list_free(v, n);
    return c;
}

static uint64_t put_iseq(mon_delivery_t *q, const char *id, uint32_t iseq,
                         mon_delivery_kind_t kind) {
    mon_delivery_entry_t e = {0};
    uint64_t seq = 0;
    char err[256];
    e.kind = kind;
    e.notifier = "hook";
    e.cluster = "local";
    e.group = id;
    e.incident_id = id;
    e.iseq = iseq;
    e.method = "POST";
    e.url = "http://127.0.0.1:1/";
    e.body = "{}";
    e.body_len = 2;
    cr_assert_eq(mon_delivery_enqueue(q, &e, &seq, err, sizeof(err)), 0, "%s",
                 err);
    return seq;
}

Test(mon_delivery, a_newer_open_replaces_the_waiting_one_of_its_incident,
     .init = setup, .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_q(&t, 1, false, NULL, NULL, 0);
    for (uint32_t i = 1; i <= 50; i++)
        put_iseq(q, "inc-a", i, MON_DELIVERY_OPEN);
    put_iseq(q, "inc-b", 1, MON_DELIVERY_OPEN);
    put_iseq(q, "inc-a", 51, MON_DELIVERY_CLOSE); /* never merged */
    mon_delivery_stats_t st;
    mon_delivery_stats(q, 0, &st);
    cr_assert_eq(st.pending, 3, "newest open of a, open of b, close of a");
    cr_assert_eq(st.merged, 49);
    cr_assert_eq(st.dropped, 0);
    cr_assert_eq(count_state(q, MON_DELIVERY_MERGED), 49);
    char key[64];
    pending_key(q, 0, key, sizeof(key));
    cr_assert_str_eq(key, "inc-a:open:50", "the newest stays");
    mon_delivery_destroy(q);
    /* and after a restart only the newest is resent */
    q = open_q(&t, 1, false, NULL, NULL, 0);
    mon_delivery_stats(q, 0, &st);
    cr_assert_eq(st.pending, 3);
    mon_delivery_destroy(q);
}

static mon_delivery_t *open_capped(const mon_delivery_target_t *t, size_t cap) {
    mon_delivery_opts_t o;
    char err[512] = "";
    mon_delivery_opts_default(&o);
    o.start_sender = false;
    o.max_pending = cap;
    mon_delivery_t *q =
        mon_delivery_new(path, t, 1, &o, 0, 0, NULL, NULL, err, sizeof(err));
    cr_assert_not_null(q, "open: %s", err);
    return q;
}

/* One open each for incidents inc-0 .. inc-(n-1). */
static void put_incidents(mon_delivery_t *q, int n) {
    char id[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "inc-%d", i);
        put_iseq(q, id, 1, MON_DELIVERY_OPEN);
    }
}

Test(mon_delivery, each_target_holds_at_most_max_pending, .init = setup,
     .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_capped(&t, 3);
    put_incidents(q, 10);
    mon_delivery_stats_t st;
    mon_delivery_stats(q, 0, &st);
    cr_assert_eq(st.pending, 3);
    cr_assert_eq(st.dropped, 7);
    char key[64];
    pending_key(q, 0, key, sizeof(key));
    cr_assert_str_eq(key, "inc-7:open:1", "the oldest went first");
    mon_delivery_destroy(q);
}

Test(mon_delivery, a_recovered_journal_is_bounded_too, .init = setup,
     .fini = teardown) {
    mon_delivery_target_t t = tgt("hook", 5);
    mon_delivery_t *q = open_capped(&t, 100);
    put_incidents(q, 10);
    mon_delivery_destroy(q);
    q = open_capped(&t, 4);
    mon_delivery_stats_t st;
    mon_delivery_stats(q, 0, &st);
    cr_assert_eq(st.pending, 4);
    cr_assert_eq(st.dropped, 6);
    mon_delivery_destroy(q);
    q = open_capped(&t, 100);
    mon_delivery_stats(q, 0, &st);
    cr_assert_eq(st.pending, 4, "what was dropped stays dropped");
    mon_delivery_destroy(q);
}
