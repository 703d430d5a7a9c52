/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests for the notifier: real webhooks into a real receiver
 * (libmicrohttpd on a loopback port, in this process) that records every
 * request and answers per a script: 200, fail N times then 200, hang until
 * released, always 404, 429 with Retry-After. Evaluations come from the
 * real store fed with samples/stalled.jsonl, or are built by hand. The
 * kill -9 test runs tests/helpers/notifier_child, which queues a delivery
 * and waits to be killed.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "evaluator/ev_group.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_version.h"
#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_notifier.h"
#include "monitor/sources/mon_trace.h"
#include "monitor/store/mon_store.h"

#define SECRET "whsec_integration"

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#include "tests/integration/webhook_rcv.h"

/* ---------------------------------------------------------------------- */
/* Fixture: temp dir, config, notifier                                    */

static char dir[128];
static mon_config_t *cfg;
static rcv_t rA, rB;

static void setup(void) {
    snprintf(dir, sizeof(dir), "/tmp/warren-nti-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    mon_log_set_level(MON_LOG_FATAL);
    memset(&rA, 0, sizeof(rA));
    memset(&rB, 0, sizeof(rB));
}

static void teardown(void) {
    char cmd[256];
    rcv_stop(&rA);
    rcv_stop(&rB);
    mon_config_destroy(cfg);
    cfg = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) cr_log_warn("cannot remove %s", dir);
}

static mon_notifier_t *make(const char *ini) {
    char err[1024] = "";
    mon_config_destroy(cfg);
    cfg = mon_config_load_string(ini, "<test>", err, sizeof(err));
    cr_assert_not_null(cfg, "config: %s", err);
    mon_notifier_opts_t o;
    mon_notifier_opts_default(&o);
    o.delivery.base_delay_ms = 20; /* keep retries quick */
    o.delivery.max_delay_ms = 200;
    size_t n = mon_config_notifier_count(cfg);
    const mon_config_notifier_t *v[4];
    for (size_t i = 0; i < n; i++)
        v[i] = mon_config_notifier_at(cfg, i);
    mon_notifier_t *nt =
        mon_notifier_new(v, n, dir, "http://dash/", &o, err, sizeof(err));
    cr_assert_not_null(nt, "notifier: %s", err);
    return nt;
}

typedef struct fake_s {
    mon_group_eval_t ev;
    mon_part_eval_t parts[1];
} fake_t;

static void fake(fake_t *f, const char *group, ev_status_t st) {
    memset(f, 0, sizeof(*f));
    f->ev.cluster = "local";
    f->ev.group = group;
    f->ev.parts = f->parts;
    f->ev.count = 1;
    mon_part_eval_t *p = &f->parts[0];
    p->topic = "orders";
    p->partition = 0;
    p->owner = "";
    p->client_id = "";
    p->result.status = st == EV_ERR ? EV_STALL : st;
    p->result.rule = st == EV_ERR    ? EV_RULE_STALL
                     : st == EV_WARN ? EV_RULE_LAG_NOT_DECREASING
                                     : EV_RULE_LAG_DECREASING;
    p->result.current_lag = st == EV_OK ? 0 : 1234;
    p->result.index = -1;
    p->result.complete = 1;
    ev_group_init(&f->ev.rollup);
    ev_group_add(&f->ev.rollup, &p->result, 0);
    f->ev.status = f->ev.rollup.status;
}

static mon_delivery_info_t only_delivery(mon_notifier_t *nt) {
    mon_delivery_info_t *v, out;
    size_t n;
    mon_notifier_deliveries(nt, &v, &n);
    cr_assert_eq(n, 1, "exactly one delivery recorded, got %zu", n);
    out = v[0];
    memset(&v[0], 0, sizeof(v[0]));
    mon_delivery_list_free(v, n);
    return out;
}

/* ---------------------------------------------------------------------- */
/* Tests                                                                  */

/* Replays samples/stalled.jsonl through the real store, then lets the
 * consumer catch up; evaluates the group at every trace instant. */
Test(notifier, stalled_trace_gives_one_open_and_one_close_with_same_id,
     .init = setup, .fini = teardown) {
    char ini[512], err[512];
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/open\n"
             "url-close = http://127.0.0.1:%d/close/{{id}}\n"
             "send-close = true\ninterval = 1s\nrepeat-every = 1h\n",
             rA.port, rA.port);
    mon_notifier_t *nt = make(ini);
    mon_store_config_t sc;
    mon_store_config_default(&sc);
    mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
    cr_assert_not_null(st);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    /* the sample trace's expectations are Burrow's */
    ev_params_t burrow;
    ev_params_default(&burrow);
    burrow.rules = EV_RULES_BURROW;
    mon_trace_reader_t *rd = mon_trace_reader_new("stalled.jsonl");
    FILE *f = fopen("samples/stalled.jsonl", "r");
    cr_assert_not_null(f, "run from the repository root");
    mon_group_eval_t ev = {0};
    char line[4096];
    int64_t last_t = -1;
    int queued = 0;
    while (fgets(line, sizeof(line), f)) {
        mon_trace_event_t e;
        cr_assert_eq(mon_trace_parse_line(rd, line, strcspn(line, "\n"), &e,
                                          err, sizeof(err)),
                     0, "%s", err);
        if (e.type != MON_TRACE_HEAD && e.type != MON_TRACE_COMMIT) continue;
        if (last_t >= 0 && e.t > last_t) {
            mon_store_group_eval(st, "local", "pdf-render", last_t, &burrow,
                                 &ev);
            queued += mon_notifier_observe(nt, &ev, last_t);
        }
        last_t = e.t;
        if (e.type == MON_TRACE_HEAD)
            mon_store_head(cl, e.topic, e.partition, e.partitions, e.offset,
                           e.t);
        else
            mon_store_commit(cl, e.group, e.topic, e.partition, e.offset, e.t,
                             e.owner, e.client_id);
    }
    fclose(f);
    mon_trace_reader_destroy(rd);
    mon_store_group_eval(st, "local", "pdf-render", last_t, &burrow, &ev);
    cr_assert_eq(ev.status, EV_ERR, "the trace ends stalled");
    queued += mon_notifier_observe(nt, &ev, last_t);
    cr_assert_eq(queued, 1, "one open while it stalls");
    /* Recovery: the consumer commits the head on both partitions. */
    for (int k = 1; k <= 12; k++) {
        int64_t t = last_t + k * 10000;
        for (int p = 0; p < 2; p++) {
            int64_t head = (p ? 10900 : 5900) + 100 * k;
            mon_store_head(cl, "invoices", p, 2, head, t);
            mon_store_commit(cl, "pdf-render", "invoices", p, head, t, NULL,
                             NULL);
        }
        mon_store_group_eval(st, "local", "pdf-render", t, &burrow, &ev);
        queued += mon_notifier_observe(nt, &ev, t);
    }
    cr_assert_eq(ev.status, EV_OK);
    cr_assert_eq(queued, 2, "and one close after recovery");
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 2);
    req_t *o = &rA.reqs[0], *c = &rA.reqs[1];
    cr_assert_str_eq(o->path, "/open");
    cJSON *jo = cJSON_Parse(o->body), *jc = cJSON_Parse(c->body);
    cr_assert(jo && jc);
    const char *id = cJSON_GetObjectItem(jo, "id")->valuestring;
    cr_assert_str_eq(cJSON_GetObjectItem(jc, "id")->valuestring, id);
    cr_assert_str_eq(cJSON_GetObjectItem(jo, "status")->valuestring, "ERR");
    cr_assert_str_eq(cJSON_GetObjectItem(jc, "status")->valuestring, "OK");
    cJSON *parts = cJSON_GetObjectItem(jo, "partitions");
    cr_assert_eq(cJSON_GetArraySize(parts), 1);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(parts, 0), "status")
                         ->valuestring,
                     "STALL");
    char want[128];
    snprintf(want, sizeof(want), "/close/%s", id);
    cr_assert_str_eq(c->path, want);
    snprintf(want, sizeof(want), "%s:open:1", id);
    cr_assert_str_eq(o->delivery, want);
    snprintf(want, sizeof(want), "%s:close:2", id);
    cr_assert_str_eq(c->delivery, want);
    cr_assert_str_eq(o->ctype, "application/json");
    cJSON_Delete(jo);
    cJSON_Delete(jc);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
    mon_notifier_destroy(nt);
}

/* With the defaults, an incident open for 9 hours and evaluated every
 * minute reaches the receiver 3 times (at 0, 4 h and 8 h: repeat-every),
 * one incident with numbered keys. Time is injected, not waited for. */
Test(notifier, default_repeats_reach_the_receiver_every_repeat_every,
     .init = setup, .fini = teardown) {
    char ini[256];
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/open\n", rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t e;
    fake(&e, "stuck", EV_ERR);
    const int64_t min = 60000, t0 = wall_ms() - 9 * 60 * min;
    int queued = 0;
    for (int64_t t = t0; t <= t0 + 9 * 60 * min; t += min) {
        int q = mon_notifier_observe(nt, &e.ev, t);
        /* delivered before the next, so the outbox merges none */
        if (q) cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
        queued += q;
    }
    cr_assert_eq(queued, 3);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 3);
    cJSON *j = cJSON_Parse(rA.reqs[0].body);
    cr_assert_not_null(j);
    const char *id = cJSON_GetObjectItem(j, "id")->valuestring;
    for (int i = 0; i < 3; i++) {
        char want[80];
        snprintf(want, sizeof(want), "%s:open:%d", id, i + 1);
        cr_assert_str_eq(rA.reqs[i].delivery, want);
    }
    cJSON_Delete(j);
    mon_notifier_destroy(nt);
}

Test(notifier, signature_verifies_with_an_independent_hmac, .init = setup,
     .fini = teardown) {
    char ini[512];
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n"
             "secret = " SECRET "\nheaders = X-Team: data; X-Env: test\n",
             rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "signed-group", EV_ERR);
    int64_t before = wall_ms() / 1000;
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    int64_t after = wall_ms() / 1000;
    cr_assert_eq(rcv_count(&rA), 1);
    req_t *q = &rA.reqs[0];
    long long t = 0;
    char hexmac[65] = "";
    cr_assert_eq(sscanf(q->signature, "t=%lld,v1=%64[0-9a-f]", &t, hexmac), 2,
                 "header: %s", q->signature);
    cr_assert(t >= before && t <= after);
    char ua[120];
    snprintf(ua, sizeof(ua), "Warren/%s", mon_version());
    cr_assert_str_eq(q->ua, ua);
    /* Independent computation: HMAC(key, "<t>.<body>") in one shot. */
    char msg[9000];
    int ml = snprintf(msg, sizeof(msg), "%lld.%s", t, q->body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)msg,
         (size_t)ml, mac, &maclen);
    char hex[65];
    for (unsigned i = 0; i < maclen; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    cr_assert_str_eq(hexmac, hex);
    mon_notifier_destroy(nt);
}

Test(notifier, five_hundred_twice_then_ok_is_three_attempts_one_key,
     .init = setup, .fini = teardown) {
    char ini[512];
    rA.fail_first = 2;
    rA.fail_status = 500;
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n", rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "g500", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 3);
    cr_assert_str_eq(rA.reqs[0].delivery, rA.reqs[1].delivery);
    cr_assert_str_eq(rA.reqs[1].delivery, rA.reqs[2].delivery);
    cr_assert_str_eq(rA.reqs[0].body, rA.reqs[2].body);
    mon_delivery_info_t in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_DELIVERED);
    cr_assert_eq(in.attempts, 3);
    cr_assert_eq(in.http_status, 200);
    cr_assert_str_eq(in.key, rA.reqs[0].delivery);
    mon_delivery_info_clear(&in);
    mon_notifier_view_t v;
    cr_assert_eq(mon_notifier_view(nt, &v), 0);
    cr_assert_eq(v.notifiers[0].stats.delivered, 1);
    cr_assert_eq(v.notifiers[0].stats.retries, 2);
    cr_assert_eq(v.notifiers[0].stats.failed, 0);
    mon_notifier_view_free(&v);
    mon_notifier_destroy(nt);
}

Test(notifier, receiver_down_then_up_within_retry_budget_gets_it_once,
     .init = setup, .fini = teardown) {
    char ini[512];
    int port = free_port();
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n"
             "max-retries = 20\n",
             port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "gdown", EV_ERR);
    uint64_t seq = 0;
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    /* Wait for two refused attempts before the receiver comes up. */
    mon_delivery_info_t in = {0};
    for (int i = 0; i < 2000; i++) {
        mon_delivery_info_t *v;
        size_t n;
        mon_notifier_deliveries(nt, &v, &n);
        uint32_t att = n ? v[0].attempts : 0;
        seq = n ? v[0].seq : 0;
        mon_delivery_list_free(v, n);
        if (att >= 2) break;
        sleep_ms(5);
    }
    cr_assert_eq(mon_notifier_delivery(nt, seq, &in), 0);
    cr_assert_geq(in.attempts, 2);
    cr_assert_eq(in.state, MON_DELIVERY_PENDING);
    cr_assert(strstr(in.error, "onnect"), "error: %s", in.error);
    mon_delivery_info_clear(&in);
    rcv_start(&rA, port);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 1, "received once");
    in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_DELIVERED);
    cr_assert_gt(in.attempts, 2);
    mon_delivery_info_clear(&in);
    mon_notifier_destroy(nt);
}

/* Waits (up to 10 s) until notifier i of nt counts `delivered`
 * deliveries: a receiver has a request before its sender has the answer.
 * Returns the count last seen. */
static uint64_t wait_delivered(mon_notifier_t *nt, size_t i,
                               uint64_t delivered) {
    uint64_t seen = 0;
    for (int k = 0; k < 2000; k++) {
        mon_notifier_view_t v;
        cr_assert_eq(mon_notifier_view(nt, &v), 0);
        seen = v.notifiers[i].stats.delivered;
        mon_notifier_view_free(&v);
        if (seen >= delivered) break;
        sleep_ms(5);
    }
    return seen;
}

Test(notifier, hanging_receiver_delays_neither_other_notifier_nor_observe,
     .init = setup, .fini = teardown) {
    char ini[1024];
    rA.hang_first = 1000; /* every request hangs until released */
    rcv_start(&rA, 0);
    rcv_start(&rB, 0);
    snprintf(ini, sizeof(ini),
             "[notifier slow]\nurl-open = http://127.0.0.1:%d/\n"
             "timeout = 60s\n"
             "[notifier fast]\nurl-open = http://127.0.0.1:%d/\n",
             rA.port, rB.port);
    mon_notifier_t *nt = make(ini);
    fake_t f1, f2;
    fake(&f1, "g1", EV_ERR);
    fake(&f2, "g2", EV_ERR);
    cr_assert_eq(mon_notifier_observe(nt, &f1.ev, wall_ms()), 2);
    cr_assert_eq(rcv_wait(&rA, 1), 1);
    cr_assert_eq(rcv_wait_hanging(&rA, 1), 1);
    /* slow's request is on the wire and hangs; fast gets its own. */
    cr_assert_eq(rcv_wait(&rB, 1), 1);
    /* observe still queues, and fast delivers it, during the hang. */
    cr_assert_eq(mon_notifier_observe(nt, &f2.ev, wall_ms()), 2);
    cr_assert_eq(rcv_wait(&rB, 2), 2);
    cr_assert_eq(rcv_wait(&rA, 2), 2,
                 "slow's second request is not "
                 "stuck behind the first either");
    cr_assert_eq(rcv_wait_hanging(&rA, 2), 2, "both still hanging");
    cr_assert_eq(wait_delivered(nt, 1, 2), 2);
    mon_notifier_view_t v;
    cr_assert_eq(mon_notifier_view(nt, &v), 0);
    const mon_delivery_stats_t *slow = &v.notifiers[0].stats;
    const mon_delivery_stats_t *fast = &v.notifiers[1].stats;
    cr_assert_eq(slow->in_flight, 2);
    cr_assert_eq(fast->pending, 0);
    cr_assert_eq(fast->delivered, 2);
    mon_notifier_view_free(&v);
    atomic_store(&rA.release, true);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    mon_notifier_destroy(nt);
}

Test(notifier, client_error_is_failed_at_once_with_the_status_line,
     .init = setup, .fini = teardown) {
    char ini[512];
    rA.status = 404;
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/nope\n", rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "g404", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 1, "a 4xx is not retried");
    mon_delivery_info_t in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_FAILED);
    cr_assert_eq(in.attempts, 1);
    cr_assert_eq(in.http_status, 404);
    cr_assert_str_eq(in.error, "HTTP/1.1 404 Not Found");
    mon_delivery_info_clear(&in);
    mon_notifier_destroy(nt);
}

Test(notifier, retries_stop_at_max_retries, .init = setup, .fini = teardown) {
    char ini[512];
    rA.status = 503;
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n"
             "max-retries = 3\n",
             rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "g503", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 4, "1 attempt + 3 retries");
    mon_delivery_info_t in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_FAILED);
    cr_assert_eq(in.attempts, 4);
    cr_assert(strstr(in.error, "503"), "%s", in.error);
    mon_delivery_info_clear(&in);
    mon_notifier_destroy(nt);
}

Test(notifier, retry_after_is_honoured, .init = setup, .fini = teardown) {
    char ini[512];
    rA.fail_first = 1;
    rA.fail_status = 429;
    rA.retry_after = 1;
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n", rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "g429", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 2);
    /* The backoff base is 20 ms here; Retry-After asks for 1 s. */
    int64_t gap = rA.reqs[1].t_ms - rA.reqs[0].t_ms;
    cr_assert_geq(gap, 990, "retried after %ld ms", (long)gap);
    mon_delivery_info_t in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_DELIVERED);
    cr_assert_eq(in.attempts, 2);
    mon_delivery_info_clear(&in);
    mon_notifier_destroy(nt);
}

Test(notifier, flap_control_suppresses_alternating_warn_ok, .init = setup,
     .fini = teardown) {
    char ini[1024];
    rcv_start(&rA, 0);
    rcv_start(&rB, 0);
    snprintf(ini, sizeof(ini),
             "[notifier burrow]\nurl-open = http://127.0.0.1:%d/o\n"
             "url-close = http://127.0.0.1:%d/c\nsend-close = true\n"
             "interval = 1s\nrepeat-every = 1h\nclose-after = 1\n"
             "[notifier damped]\nurl-open = http://127.0.0.1:%d/o\n"
             "url-close = http://127.0.0.1:%d/c\nsend-close = true\n"
             "interval = 1s\nrepeat-every = 1h\n"
             "open-after = 2\nclose-after = 2\n",
             rA.port, rA.port, rB.port, rB.port);
    mon_notifier_t *nt = make(ini);
    fake_t w, ok;
    fake(&w, "flappy", EV_WARN);
    fake(&ok, "flappy", EV_OK);
    int64_t t0 = wall_ms();
    for (int i = 0; i < 10; i++)
        mon_notifier_observe(nt, i % 2 ? &ok.ev : &w.ev, t0 + i * 1000);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 10, "without flap control: every flip");
    cr_assert_eq(rcv_count(&rB), 0, "with open-after 2: nothing");
    /* A real incident still gets through the damped notifier. */
    for (int i = 10; i < 14; i++)
        mon_notifier_observe(nt, i < 12 ? &w.ev : &ok.ev, t0 + i * 1000);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rB), 2, "one open, one close");
    cr_assert_str_eq(rB.reqs[0].path, "/o");
    cr_assert_str_eq(rB.reqs[1].path, "/c");
    mon_notifier_destroy(nt);
}

Test(notifier, close_never_overtakes_its_open, .init = setup,
     .fini = teardown) {
    char ini[512];
    rA.hang_first = 1; /* the open hangs until released */
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/o\n"
             "url-close = http://127.0.0.1:%d/c\nsend-close = true\n"
             "interval = 1s\ntimeout = 30s\nclose-after = 1\n",
             rA.port, rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t w, ok, other;
    fake(&w, "g", EV_WARN);
    fake(&ok, "g", EV_OK);
    fake(&other, "h", EV_WARN);
    int64_t t0 = wall_ms();
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, t0), 1);
    cr_assert_eq(rcv_wait(&rA, 1), 1);
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, t0 + 1000), 1);
    /* Another group is not held up by g's open... */
    cr_assert_eq(mon_notifier_observe(nt, &other.ev, t0 + 1000), 1);
    cr_assert_eq(rcv_wait(&rA, 2), 2);
    cr_assert_str_eq(rA.reqs[1].path, "/o");
    cr_assert(strstr(rA.reqs[1].body, "\"group\":\"h\""), "%s",
              rA.reqs[1].body);
    /* ... but g's close waits for g's open. */
    cr_assert_eq(rcv_wait_hanging(&rA, 1), 1);
    cr_assert_eq(rcv_count(&rA), 2);
    atomic_store(&rA.release, true);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 3);
    cr_assert_str_eq(rA.reqs[2].path, "/c");
    mon_notifier_destroy(nt);
}

Test(notifier, destroy_during_a_hanging_request_keeps_it_queued, .init = setup,
     .fini = teardown) {
    char ini[512];
    rA.hang_first = 1;
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n"
             "timeout = 60s\ninterval = 1s\nrepeat-every = 1h\n",
             rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "g-stop", EV_ERR);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 1);
    cr_assert_eq(rcv_wait_hanging(&rA, 1), 1);
    mon_notifier_destroy(nt); /* returns without waiting for the answer */
    cr_assert_eq(atomic_load(&rA.hanging), 1, "destroyed during the hang");
    atomic_store(&rA.release, true);

    nt = make(ini);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 2);
    cr_assert_str_eq(rA.reqs[0].delivery, rA.reqs[1].delivery);
    mon_delivery_info_t in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_DELIVERED);
    mon_delivery_info_clear(&in);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms() + 2000), 0,
                 "still the same incident");
    mon_notifier_destroy(nt);
}

/* ---- kill -9 ---- */

static pid_t spawn_child(const char *url, int *outfd) {
    char bin[512];
    const char *build = getenv("BUILD");
    snprintf(bin, sizeof(bin), "%s/helpers/notifier_child",
             build && *build ? build : "build/default");
    cr_assert_eq(access(bin, X_OK), 0, "%s is missing (make it first)", bin);
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(bin, bin, dir, url, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *outfd = p[0];
    return pid;
}

static void expect_line(int fd, const char *want) {
    char buf[64];
    size_t n = 0;
    while (n < sizeof(buf) - 1) {
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0) break;
        if (buf[n] == '\n') break;
        n++;
    }
    buf[n] = '\0';
    cr_assert_str_eq(buf, want);
}

static void kill9(pid_t pid) {
    int st;
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

static mon_notifier_t *reopen_like_child(const char *url) {
    char ini[512];
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = %s\nmax-retries = 20\n"
             "interval = 1s\nrepeat-every = 1h\n",
             url);
    return make(ini);
}

Test(notifier, kill9_while_receiver_down_delivers_once_after_restart,
     .init = setup, .fini = teardown) {
    char url[128];
    int port = free_port(), fd;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", port);
    pid_t pid = spawn_child(url, &fd);
    expect_line(fd, "queued");
    sleep_ms(150); /* let it fail an attempt or two */
    kill9(pid);
    close(fd);

    rcv_start(&rA, port);
    mon_notifier_t *nt = reopen_like_child(url);
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1,
                 "the incident survived the kill");
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 1, "delivered once");
    cr_assert(strstr(rA.reqs[0].delivery, ":open:1"), "%s",
              rA.reqs[0].delivery);
    fake_t f;
    fake(&f, "g-kill", EV_ERR);
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, wall_ms()), 0,
                 "the same incident: no new open");
    mon_notifier_destroy(nt);
    nt = reopen_like_child(url);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    mon_notifier_destroy(nt);
    cr_assert_eq(rcv_count(&rA), 1, "nothing resent by a second restart");
}

Test(notifier, kill9_before_the_answer_resends_with_the_same_key, .init = setup,
     .fini = teardown) {
    char url[128];
    int fd;
    rA.hang_first = 1; /* the child's request is never answered */
    rcv_start(&rA, 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rA.port);
    pid_t pid = spawn_child(url, &fd);
    expect_line(fd, "queued");
    cr_assert_eq(rcv_wait(&rA, 1), 1);
    kill9(pid);
    close(fd);
    atomic_store(&rA.release, true);

    mon_notifier_t *nt = reopen_like_child(url);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    cr_assert_eq(rcv_count(&rA), 2);
    cr_assert_str_eq(rA.reqs[0].delivery, rA.reqs[1].delivery,
                     "the receiver can de-duplicate on the key");
    cr_assert_str_eq(rA.reqs[0].body, rA.reqs[1].body);
    mon_delivery_info_t in = only_delivery(nt);
    cr_assert_eq(in.state, MON_DELIVERY_DELIVERED);
    mon_delivery_info_clear(&in);
    mon_notifier_destroy(nt);
    nt = reopen_like_child(url);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    mon_notifier_destroy(nt);
    cr_assert_eq(rcv_count(&rA), 2, "delivered is final");
}

/* ---- warren notify test ---- */

static int run_warren(char *const argv[], char *out, size_t out_size) {
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n < out_size - 1 && (r = read(p[0], out + n, out_size - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = '\0';
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *warren_bin(void) {
    const char *b = getenv("WARREN_BIN");
    return b && *b ? b : "build/default/warren";
}

Test(notifier, notify_test_command_sends_one_and_prints_the_outcome,
     .init = setup, .fini = teardown) {
    char ini[768], path[256], out[4096], tpl[256];
    rcv_start(&rA, 0);
    snprintf(tpl, sizeof(tpl), "%s/open.json", dir);
    FILE *f = fopen(tpl, "w");
    fputs("{\"text\": \"{{group}} is {{label}}\", \"id\": \"{{id}}\"}", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/w.ini", dir);
    snprintf(ini, sizeof(ini),
             "[general]\ndata-dir = %s/data\n"
             "[notifier ops]\nurl-open = http://127.0.0.1:%d/ops\n"
             "template-open = %s\nsecret = abc\n",
             dir, rA.port, tpl);
    f = fopen(path, "w");
    fputs(ini, f);
    fclose(f);
    char *argv[] = {(char *)warren_bin(), "notify", "test", "--config", path,
                    "--notifier",         "ops",    NULL};
    int rc = run_warren(argv, out, sizeof(out));
    cr_assert_eq(rc, 0, "rc %d, output: %s", rc, out);
    cr_assert(strstr(out, "delivered"), "%s", out);
    cr_assert(strstr(out, "HTTP 200"), "%s", out);
    cr_assert_eq(rcv_count(&rA), 1);
    cr_assert_str_eq(rA.reqs[0].path, "/ops");
    cr_assert(strstr(rA.reqs[0].signature, "t="), "signed");
    cJSON *j = cJSON_Parse(rA.reqs[0].body);
    cr_assert_not_null(j, "body: %s", rA.reqs[0].body);
    cJSON_Delete(j);
    struct stat sb;
    char jpath[300];
    snprintf(jpath, sizeof(jpath), "%s/data/notifier.journal", dir);
    cr_assert_neq(stat(jpath, &sb), 0,
                  "a test send never touches the daemon's journal");

    rA.status = 410;
    char *argv2[] = {(char *)warren_bin(), "notify", "test", "--config", path,
                     "--notifier",         "ops",    NULL};
    rc = run_warren(argv2, out, sizeof(out));
    cr_assert_eq(rc, 1, "rc %d, output: %s", rc, out);
    cr_assert(strstr(out, "410"), "%s", out);

    char *argv3[] = {(char *)warren_bin(), "notify", "test", "--config", path,
                     "--notifier",         "nope",   NULL};
    rc = run_warren(argv3, out, sizeof(out));
    cr_assert_eq(rc, 2, "rc %d, output: %s", rc, out);
    cr_assert(strstr(out, "nope"), "%s", out);
}

Test(notifier, notify_test_reports_a_template_error_with_file_and_line,
     .init = setup, .fini = teardown) {
    char ini[512], path[256], out[4096], tpl[256];
    snprintf(tpl, sizeof(tpl), "%s/bad.json", dir);
    FILE *f = fopen(tpl, "w");
    fputs("{\n\"a\": \"{{oops\"\n}\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/w.ini", dir);
    snprintf(ini, sizeof(ini),
             "[notifier ops]\nurl-open = http://127.0.0.1:1/\n"
             "template-open = %s\n",
             tpl);
    f = fopen(path, "w");
    fputs(ini, f);
    fclose(f);
    char *argv[] = {(char *)warren_bin(), "notify", "test", "--config", path,
                    "--notifier",         "ops",    NULL};
    int rc = run_warren(argv, out, sizeof(out));
    cr_assert_eq(rc, 2, "rc %d, output: %s", rc, out);
    char want[300];
    snprintf(want, sizeof(want), "%s:2: ", tpl);
    cr_assert(strstr(out, want), "output: %s", out);
}

/* A receiver that hangs every request while a group stays ERR for many
 * repeat-everys: the outbox keeps one request on the wire and one
 * waiting for the incident (the newest), counting the rest as merged,
 * instead of queueing a new open per interval (15 -> 756 pending in
 * 43 minutes before). */
Test(notifier, a_hanging_receiver_keeps_the_outbox_bounded, .init = setup,
     .fini = teardown) {
    char ini[512];
    rA.hang_first = 1000;
    rcv_start(&rA, 0);
    snprintf(ini, sizeof(ini),
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/\n"
             "timeout = 60s\ninterval = 1s\nrepeat-every = 1s\n",
             rA.port);
    mon_notifier_t *nt = make(ini);
    fake_t f;
    fake(&f, "stuck", EV_ERR);
    int64_t t = wall_ms();
    cr_assert_eq(mon_notifier_observe(nt, &f.ev, t), 1);
    cr_assert_eq(rcv_wait_hanging(&rA, 1), 1);
    /* 500 more repeat-everys of the same incident */
    for (int i = 1; i <= 500; i++)
        cr_assert_eq(mon_notifier_observe(nt, &f.ev, t + i * 1000), 1,
                     "interval %d queues its repeat", i);
    mon_notifier_view_t v;
    cr_assert_eq(mon_notifier_view(nt, &v), 0);
    const mon_delivery_stats_t *e = &v.notifiers[0].stats;
    int pending = (int)e->pending;
    cr_assert_leq(pending, 2, "%d pending", pending);
    int merged = (int)e->merged;
    cr_assert_eq(e->in_flight, 1);
    cr_assert_eq(merged + pending, 501, "merged %d + pending %d", merged,
                 pending);
    cr_assert_eq(e->dropped, 0);
    mon_notifier_view_free(&v);
    atomic_store(&rA.release, true);
    cr_assert_eq(mon_notifier_wait_idle(nt, 20000), 0);
    /* the one that waited is the newest repeat */
    cr_assert_eq(rcv_count(&rA), 2);
    cr_assert(strstr(rA.reqs[1].delivery, ":open:501"), "%s",
              rA.reqs[1].delivery);
    mon_notifier_destroy(nt);
}
