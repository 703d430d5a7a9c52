/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for mon_notifier's incident state machine, rendering and
 * persistence, with the sender off: what was queued is read back from the
 * delivery journal (mon_delivery replay), which is also what a restart
 * would send.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evaluator/ev_group.h"
#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_mustache.h"
#include "monitor/notify/mon_notifier.h"

static char dir[128];

static void setup(void) {
    snprintf(dir, sizeof(dir), "/tmp/warren-ntf-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    mon_log_set_level(MON_LOG_FATAL);
}

static void teardown(void) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) cr_log_warn("cannot remove %s", dir);
}

static void write_file(const char *name, const char *text, char *path,
                       size_t size) {
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- fake evaluations ---- */

typedef struct fake_s {
    mon_group_eval_t ev;
    mon_part_eval_t parts[2];
} fake_t;

static void fake_part(mon_part_eval_t *p, const char *topic, int part,
                      ev_status_t st, ev_rule_t rule, int64_t lag) {
    memset(p, 0, sizeof(*p));
    p->topic = topic;
    p->partition = part;
    p->owner = "host-1/10.0.0.1";
    p->client_id = "c1";
    p->result.status = st;
    p->result.rule = rule;
    p->result.complete = 1;
    p->result.current_lag = lag;
    p->result.left = lag;
    p->result.right = lag;
    p->result.index = -1;
    p->result.time_lag_s = lag ? 310.5 : 0;
    p->result.time_lag_known = true;
    p->result.count = 10;
    p->entry_count = 10;
}

/* A group evaluation: OK (two OK partitions), WARN (one falling behind),
 * ERR (one stalled, one falling behind) or NOTFOUND. */
static void fake(fake_t *f, const char *group, ev_status_t st) {
    memset(f, 0, sizeof(*f));
    f->ev.cluster = "local";
    f->ev.group = group;
    f->ev.parts = f->parts;
    if (st == EV_NOTFOUND) {
        f->ev.status = EV_NOTFOUND;
        ev_group_init(&f->ev.rollup);
        return;
    }
    fake_part(&f->parts[0], "orders", 3,
              st == EV_ERR    ? EV_STALL
              : st == EV_WARN ? EV_WARN
                              : EV_OK,
              st == EV_ERR    ? EV_RULE_STALL
              : st == EV_WARN ? EV_RULE_LAG_NOT_DECREASING
                              : EV_RULE_LAG_DECREASING,
              st == EV_OK ? 0 : 48210);
    fake_part(&f->parts[1], "orders", 7, st == EV_ERR ? EV_WARN : EV_OK,
              st == EV_ERR ? EV_RULE_LAG_NOT_DECREASING
                           : EV_RULE_LAG_DECREASING,
              st == EV_ERR ? 2010 : 0);
    f->ev.count = 2;
    ev_group_init(&f->ev.rollup);
    for (int i = 0; i < 2; i++)
        ev_group_add(&f->ev.rollup, &f->parts[i].result, i);
    f->ev.status = f->ev.rollup.status;
}

/* ---- notifier from an INI text ---- */

static mon_config_t *cfg;

static mon_notifier_t *make(const char *ini) {
    char err[1024] = "";
    mon_config_destroy(cfg);
    cfg = mon_config_load_string(ini, "<test>", err, sizeof(err));
    cr_assert_not_null(cfg, "config: %s", err);
    mon_notifier_opts_t o;
    mon_notifier_opts_default(&o);
    o.delivery.start_sender = false;
    o.checkpoint_interval_ms = 3600 * 1000;
    size_t n = mon_config_notifier_count(cfg);
    const mon_config_notifier_t *v[4];
    for (size_t i = 0; i < n; i++)
        v[i] = mon_config_notifier_at(cfg, i);
    mon_notifier_t *nt =
        mon_notifier_new(v, n, dir, "http://dash:8000/", &o, err, sizeof(err));
    cr_assert_not_null(nt, "notifier: %s", err);
    return nt;
}

static void done(mon_notifier_t *nt) {
    mon_notifier_destroy(nt);
    mon_config_destroy(cfg);
    cfg = NULL;
}

/* Everything queued, read back from the journal. */
typedef struct sent_s {
    int n;
    char key[32][80];
    char id[32][40];
    int kind[32];
    char body[32][4096];
    char url[32][256];
    char ctype[32][64];
    char group[32][64];
} sent_t;

static void on_entry(const mon_delivery_entry_t *e, void *arg) {
    sent_t *s = arg;
    if (e->note_only || s->n >= 32) return;
    snprintf(s->key[s->n], 80, "%s:%s:%u", e->incident_id,
             e->kind == MON_DELIVERY_OPEN ? "open" : "close", e->iseq);
    snprintf(s->id[s->n], 40, "%s", e->incident_id);
    s->kind[s->n] = e->kind;
    snprintf(s->body[s->n], 4096, "%s", e->body);
    snprintf(s->url[s->n], 256, "%s", e->url);
    snprintf(s->ctype[s->n], 64, "%s", e->content_type);
    snprintf(s->group[s->n], 64, "%s", e->group);
    s->n++;
}

static sent_t *sent_in(const char *d) {
    static sent_t s;
    char path[256], err[512];
    memset(&s, 0, sizeof(s));
    snprintf(path, sizeof(path), "%s/notifier.journal", d);
    mon_delivery_opts_t o;
    mon_delivery_opts_default(&o);
    o.start_sender = false;
    mon_delivery_target_t t = {.name = "x"};
    mon_delivery_t *q =
        mon_delivery_new(path, &t, 1, &o, 0, 0, on_entry, &s, err, sizeof(err));
    cr_assert_not_null(q, "%s", err);
    mon_delivery_destroy(q);
    return &s;
}

/* Reads a copy of the journal: opening it with other targets would
 * record "no longer configured" failures in it. */
static sent_t *sent_copy(void) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "mkdir -p '%s/r' && cp '%s/notifier.journal' '%s/r/'", dir, dir,
             dir);
    cr_assert_eq(system(cmd), 0);
    char copy[160];
    snprintf(copy, sizeof(copy), "%s/r", dir);
    sent_t *s = sent_in(copy);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s/r'", dir);
    cr_assert_eq(system(cmd), 0);
    return s;
}

#define BASE                                                                   \
    "[notifier hook]\n"                                                        \
    "url-open = http://127.0.0.1:1/open/{{group}}\n"                           \
    "url-close = http://127.0.0.1:1/close/{{id}}\n"                            \
    "interval = 1s\n"
/* Closing at the first OK (the default close-after is 2), for the tests
 * of what a close does rather than of when it happens. */
#define BASE1 BASE "close-after = 1\n"

/* ---- state machine ---- */

Test(mon_notifier, opens_once_then_repeats_only_after_send_interval,
     .init = setup, .fini = teardown) {
    mon_notifier_t *nt = make(BASE "repeat-every = 5s\n");
    fake_t f;
    fake(&f, "g1", EV_WARN);
    int total = 0;
    for (int t = 0; t <= 10; t++)
        total += mon_notifier_observe(nt, &f.ev, 1000000 + t * 1000);
    cr_assert_eq(total, 3, "open at 0 s, repeats at 5 s and 10 s");
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 3);
    for (int i = 0; i < 3; i++) {
        char want[80];
        snprintf(want, sizeof(want), "%s:open:%d", s->id[0], i + 1);
        cr_assert_str_eq(s->key[i], want, "one incident, numbered keys");
    }
}

/* The defaults: an open incident evaluated every minute for 9 hours is
 * sent at 0, 4 h and 8 h (repeat-every = 4h), not 540 times. */
Test(mon_notifier, repeats_honour_repeat_every_not_the_interval, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make("[notifier hook]\n"
                              "url-open = http://127.0.0.1:1/\n");
    fake_t f;
    fake(&f, "g1", EV_WARN);
    const int64_t t0 = 1700000000000, min = 60000, h = 60 * min;
    int total = 0, at[8], n_at = 0;
    for (int64_t t = t0; t <= t0 + 9 * h; t += min) {
        int q = mon_notifier_observe(nt, &f.ev, t);
        if (q && n_at < 8) at[n_at++] = (int)((t - t0) / min);
        total += q;
    }
    cr_assert_eq(total, 3, "sent %d times", total);
    cr_assert_eq(at[0], 0);
    cr_assert_eq(at[1], 240, "first repeat after 4 h, at minute %d", at[1]);
    cr_assert_eq(at[2], 480);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 3);
    cr_assert_str_eq(s->id[0], s->id[2], "one incident, repeated");
}

Test(mon_notifier, repeat_every_zero_repeats_at_every_interval, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "repeat-every = 0\n");
    fake_t f;
    fake(&f, "g1", EV_WARN);
    int total = 0;
    for (int t = 0; t < 5; t++)
        total += mon_notifier_observe(nt, &f.ev, 1000000 + t * 1000);
    cr_assert_eq(total, 5);
    done(nt);
}

/* WARN to ERR is news: sent at once whatever repeat-every says; back to
 * WARN and up to ERR again is not (the last one sent said ERR). */
Test(mon_notifier, getting_worse_is_sent_at_once_better_waits, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE);
    fake_t w, e;
    fake(&w, "g1", EV_WARN);
    fake(&e, "g1", EV_ERR);
    int64_t t = 1000000;
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, t += 1000), 1, "opened");
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, t += 1000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, t += 1000), 1, "worse");
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, t += 1000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, t += 1000), 0, "better");
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, t += 1000), 0,
                 "ERR again: the last one sent already said ERR");
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    cr_assert_str_eq(s->id[0], s->id[1], "the same incident");
}

/* close-after defaults to 2: one OK evaluation between alerts (a head
 * refresh between two commits) neither closes the incident nor opens a
 * new one; two in a row close it. */
Test(mon_notifier, one_noisy_ok_neither_closes_nor_reopens, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "send-close = true\n");
    fake_t w, ok;
    fake(&w, "g1", EV_WARN);
    fake(&ok, "g1", EV_OK);
    const fake_t *seq[] = {&w, &ok, &w, &w, &ok, &w, &ok, &ok, &ok};
    int want[] = {1, 0, 0, 0, 0, 0, 0, 1, 0};
    for (int i = 0; i < 9; i++)
        cr_assert_eq(mon_notifier_observe(nt, &seq[i]->ev, 1000000 + i * 1000),
                     want[i], "evaluation %d", i);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2, "one open, one close");
    cr_assert_eq(s->kind[1], MON_DELIVERY_CLOSE);
    cr_assert_str_eq(s->id[0], s->id[1]);
}

Test(mon_notifier, send_once_sends_a_single_open, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "repeat-every = 1s\nsend-once = true\n");
    fake_t f;
    fake(&f, "g1", EV_ERR);
    int total = 0;
    for (int t = 0; t < 10; t++)
        total += mon_notifier_observe(nt, &f.ev, 1000000 + t * 1000);
    cr_assert_eq(total, 1);
    done(nt);
}

Test(mon_notifier, close_with_send_close_reuses_the_incident_id, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE1 "send-close = true\n");
    fake_t w, ok;
    fake(&w, "g1", EV_WARN);
    fake(&ok, "g1", EV_OK);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 1);
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, 1001000), 1);
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, 1002000), 0,
                 "nothing more while OK");
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 0);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    cr_assert_eq(s->kind[0], MON_DELIVERY_OPEN);
    cr_assert_eq(s->kind[1], MON_DELIVERY_CLOSE);
    cr_assert_str_eq(s->id[0], s->id[1]);
    char want[80];
    snprintf(want, sizeof(want), "%s:close:2", s->id[0]);
    cr_assert_str_eq(s->key[1], want);
    snprintf(want, sizeof(want), "http://127.0.0.1:1/close/%s", s->id[0]);
    cr_assert_str_eq(s->url[1], want, "the close URL is a template");
}

Test(mon_notifier, without_send_close_recovery_is_silent_and_next_id_new,
     .init = setup, .fini = teardown) {
    mon_notifier_t *nt = make(BASE1);
    fake_t w, ok;
    fake(&w, "g1", EV_WARN);
    fake(&ok, "g1", EV_OK);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 1);
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, 1001000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1002000), 1);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    cr_assert_str_neq(s->id[0], s->id[1], "a new incident, a new id");
}

Test(mon_notifier, threshold_err_ignores_warn, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "threshold = ERR\n");
    fake_t w, e;
    fake(&w, "g1", EV_WARN);
    fake(&e, "g1", EV_ERR);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1001000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, 1002000), 1);
    done(nt);
}

Test(mon_notifier, notfound_never_notifies_nor_closes, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "send-close = true\n"
                                   "repeat-every = 1h\n");
    fake_t nf, w;
    fake(&nf, "g1", EV_NOTFOUND);
    fake(&w, "g1", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &nf.ev, 1000000), 0);
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 0);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1001000), 1);
    for (int t = 2; t < 6; t++)
        cr_assert_eq(mon_notifier_observe(nt, &nf.ev, 1000000 + t * 1000), 0);
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1,
                 "NOTFOUND does not close an incident");
    done(nt);
}

typedef struct flap_s {
    int open_after, close_after;
    int expected;
} flap_t;

ParameterizedTestParameters(mon_notifier, flap_control_on_alternating) {
    static flap_t t[] = {
        {1, 1, 10}, /* Burrow: open, close, open, close ... */
        {2, 1, 0},  /* never two WARN in a row: never opens */
        {1, 2, 1},  /* opens once, never two OK in a row: stays open */
        {2, 2, 0},  {3, 3, 0},
    };
    return cr_make_param_array(flap_t, t, sizeof(t) / sizeof(t[0]));
}

ParameterizedTest(flap_t *p, mon_notifier, flap_control_on_alternating,
                  .init = setup, .fini = teardown) {
    char ini[512];
    snprintf(ini, sizeof(ini),
             BASE "send-close = true\n"
                  "repeat-every = 1h\nopen-after = %d\nclose-after = %d\n",
             p->open_after, p->close_after);
    mon_notifier_t *nt = make(ini);
    fake_t w, ok;
    fake(&w, "flappy", EV_WARN);
    fake(&ok, "flappy", EV_OK);
    int total = 0;
    for (int i = 0; i < 10; i++)
        total += mon_notifier_observe(nt, i % 2 ? &ok.ev : &w.ev,
                                      1000000 + i * 1000);
    cr_assert_eq(total, p->expected, "open-after %d close-after %d",
                 p->open_after, p->close_after);
    done(nt);
}

Test(mon_notifier, open_after_and_close_after_count_in_a_row, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "send-close = true\nrepeat-every = 1h\n"
                                   "open-after = 3\nclose-after = 2\n");
    fake_t w, ok;
    fake(&w, "g", EV_WARN);
    fake(&ok, "g", EV_OK);
    const fake_t *seq[] = {&w, &w, &ok, &w, &w, &w, &ok, &w, &ok, &ok};
    int want[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(mon_notifier_observe(nt, &seq[i]->ev, 1000000 + i * 1000),
                     want[i], "evaluation %d", i);
    done(nt);
}

Test(mon_notifier, interval_limits_evaluations_and_due_says_so, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt =
        make("[notifier hook]\nurl-open = http://127.0.0.1:1/\n"
             "interval = 60s\nsend-close = true\nclose-after = 1\n"
             "url-close = http://127.0.0.1:1/c\n");
    fake_t w, ok;
    fake(&w, "g1", EV_WARN);
    fake(&ok, "g1", EV_OK);
    cr_assert(mon_notifier_due(nt, "local", "g1", 0));
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 100000), 1);
    cr_assert_not(mon_notifier_due(nt, "local", "g1", 130000));
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, 130000), 0,
                 "not due: the OK is not looked at");
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1);
    cr_assert(mon_notifier_due(nt, "local", "g1", 160000));
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, 160000), 1);
    cr_assert_eq(mon_notifier_min_interval(nt), 60000);
    done(nt);
}

Test(mon_notifier, allowlist_and_denylist_are_unanchored, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE "group-allowlist = pay\n"
                                   "group-denylist = test\n");
    fake_t a, b, c;
    fake(&a, "billing-payments", EV_WARN);
    fake(&b, "payments-test", EV_WARN);
    fake(&c, "orders", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &a.ev, 1000000), 1);
    cr_assert_eq(mon_notifier_observe(nt, &b.ev, 1000000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &c.ev, 1000000), 0);
    cr_assert_not(mon_notifier_due(nt, "local", "orders", 1000000));
    done(nt);
}

Test(mon_notifier, notifiers_are_independent, .init = setup, .fini = teardown) {
    mon_notifier_t *nt = make(BASE "\n[notifier errs]\n"
                                   "url-open = http://127.0.0.1:1/\n"
                                   "threshold = ERR\ninterval = 1s\n");
    fake_t w, e;
    fake(&w, "g1", EV_WARN);
    fake(&e, "g1", EV_ERR);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 1);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, 1001000), 2,
                 "hook repeats (WARN to ERR is worse), errs opens");
    cr_assert_eq(mon_notifier_open_count(nt, 0), 1);
    cr_assert_eq(mon_notifier_open_count(nt, 1), 1);
    done(nt);
}

/* ---- templates and rendering ---- */

Test(mon_notifier, template_parse_error_names_file_and_line, .init = setup,
     .fini = teardown) {
    char tpl[256], ini[512], err[1024] = "";
    write_file("bad.json", "{\n  \"a\": \"{{#x}}\"\n}\n", tpl, sizeof(tpl));
    snprintf(ini, sizeof(ini), BASE "template-open = %s\n", tpl);
    cfg = mon_config_load_string(ini, "<test>", err, sizeof(err));
    cr_assert_not_null(cfg, "%s", err);
    const mon_config_notifier_t *c = mon_config_notifier_at(cfg, 0);
    mon_notifier_t *nt =
        mon_notifier_new(&c, 1, dir, NULL, NULL, err, sizeof(err));
    cr_assert_null(nt);
    char want[300];
    snprintf(want, sizeof(want), "%s:2: ", tpl);
    cr_assert(!strncmp(err, want, strlen(want)), "message: %s", err);
    cr_assert(strstr(err, "unclosed section"), "message: %s", err);
    mon_config_destroy(cfg);
    cfg = NULL;
}

Test(mon_notifier, url_template_error_names_the_key, .init = setup,
     .fini = teardown) {
    char err[1024] = "";
    cfg = mon_config_load_string("[notifier hook]\n"
                                 "url-open = http://h/{{id\n",
                                 "<test>", err, sizeof(err));
    cr_assert_not_null(cfg, "%s", err);
    const mon_config_notifier_t *c = mon_config_notifier_at(cfg, 0);
    mon_notifier_t *nt =
        mon_notifier_new(&c, 1, dir, NULL, NULL, err, sizeof(err));
    cr_assert_null(nt);
    cr_assert(strstr(err, "[notifier hook] url-open:1:"), "%s", err);
    mon_config_destroy(cfg);
    cfg = NULL;
}

Test(mon_notifier, template_data_has_the_documented_fields) {
    fake_t e;
    fake(&e, "billing consumers", EV_ERR);
    mon_config_kv_t ex[] = {{"team", "payments"}};
    cJSON *d = mon_notifier_template_data(&e.ev, "open", "the-id",
                                          1715678467000, 1715678500000,
                                          "http://localhost:8000/", ex, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(d, "id")->valuestring, "the-id");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "cluster")->valuestring, "local");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "start")->valuestring,
                     "2024-05-14T09:21:07.000Z");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "status")->valuestring, "ERR");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "label")->valuestring,
                     ev_status_label(EV_ERR));
    const char *why = cJSON_GetObjectItem(d, "explanation")->valuestring;
    cr_assert(strstr(why, "orders/3: ") && strstr(why, "orders/7: "), "%s",
              why);
    cr_assert(strstr(why, "orders/3") < strstr(why, "orders/7"),
              "the stalled partition comes first: %s", why);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "is_err")));
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(d, "is_warn")));
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(d, "is_ok")));
    cr_assert_eq(cJSON_GetObjectItem(d, "totallag")->valuedouble, 50220);
    cJSON *ml = cJSON_GetObjectItem(d, "maxlag");
    cr_assert_eq(cJSON_GetObjectItem(ml, "partition")->valueint, 3);
    cr_assert_str_eq(cJSON_GetObjectItem(ml, "status")->valuestring, "STALL");
    cr_assert_str_eq(cJSON_GetObjectItem(ml, "rule")->valuestring, "stall");
    cr_assert_eq(cJSON_GetObjectItem(ml, "time_lag_s")->valuedouble, 310.5);
    cr_assert_str_eq(cJSON_GetObjectItem(ml, "owner")->valuestring,
                     "host-1/10.0.0.1");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(d, "partitions")), 2);
    cJSON *pc = cJSON_GetObjectItem(d, "partition_counts");
    cr_assert_eq(cJSON_GetObjectItem(pc, "stall")->valueint, 1);
    cr_assert_eq(cJSON_GetObjectItem(pc, "warn")->valueint, 1);
    cr_assert_eq(cJSON_GetObjectItem(pc, "stop")->valueint, 0);
    cr_assert_eq(cJSON_GetObjectItem(pc, "rewind")->valueint, 0);
    cr_assert_str_eq(
        cJSON_GetObjectItem(d, "dashboard_url")->valuestring,
        "http://localhost:8000/#/clusters/local/groups/billing%20consumers");
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(d, "extras"), "team")
            ->valuestring,
        "payments");
    cJSON_Delete(d);

    fake(&e, "g", EV_OK);
    d = mon_notifier_template_data(&e.ev, "close", "x", 0, 0, NULL, NULL, 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(d, "partitions")), 0,
                 "only non-OK partitions are listed");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "is_ok")));
    cr_assert_str_eq(cJSON_GetObjectItem(d, "dashboard_url")->valuestring, "");
    cJSON_Delete(d);
}

Test(mon_notifier, body_uses_json_escaping_and_url_uses_url_escaping,
     .init = setup, .fini = teardown) {
    char tpl[256], ini[512];
    write_file("open.json",
               "{\"g\": \"{{group}}\", \"s\": \"{{status}}\", "
               "\"team\": \"{{extras.team}}\"}",
               tpl, sizeof(tpl));
    snprintf(ini, sizeof(ini),
             BASE "template-open = %s\n"
                  "extras.team = data\n",
             tpl);
    mon_notifier_t *nt = make(ini);
    fake_t w;
    fake(&w, "we\"ird group/1", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 1);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 1);
    cr_assert_str_eq(s->body[0], "{\"g\": \"we\\\"ird group/1\", "
                                 "\"s\": \"WARN\", \"team\": \"data\"}");
    cr_assert_str_eq(s->url[0], "http://127.0.0.1:1/open/we%22ird%20group%2F1");
    cr_assert_str_eq(s->ctype[0], "application/json");
    cJSON *j = cJSON_Parse(s->body[0]);
    cr_assert_not_null(j, "the body is valid JSON");
    cJSON_Delete(j);
}

Test(mon_notifier, builtin_body_is_the_template_data_as_json, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE);
    fake_t e;
    fake(&e, "g1", EV_ERR);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, 1715678467000), 1);
    done(nt);
    sent_t *s = sent_copy();
    cJSON *j = cJSON_Parse(s->body[0]);
    cr_assert_not_null(j);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "event")->valuestring, "open");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "id")->valuestring, s->id[0]);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "group")->valuestring, "g1");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "start")->valuestring,
                     "2024-05-14T09:21:07.000Z");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "notifier")->valuestring, "hook");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "dashboard_url")->valuestring,
                     "http://dash:8000/#/clusters/local/groups/g1");
    cJSON_Delete(j);
}

Test(mon_notifier, content_type_and_escaping_follow_the_template_name,
     .init = setup, .fini = teardown) {
    char t1[256], t2[256], ini[768];
    write_file("open.txt", "group {{group}} is {{label}}", t1, sizeof(t1));
    write_file("close.html", "<p>{{group}}</p>", t2, sizeof(t2));
    snprintf(ini, sizeof(ini),
             BASE1 "send-close = true\n"
                   "template-open = %s\ntemplate-close = %s\n",
             t1, t2);
    mon_notifier_t *nt = make(ini);
    fake_t w, ok;
    fake(&w, "a<b>", EV_WARN);
    fake(&ok, "a<b>", EV_OK);
    mon_notifier_observe(nt, &w.ev, 1000000);
    mon_notifier_observe(nt, &ok.ev, 1001000);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    cr_assert_str_eq(s->ctype[0], "text/plain; charset=utf-8");
    cr_assert_str_eq(s->body[0], "group a<b> is falling behind");
    cr_assert_str_eq(s->ctype[1], "text/html; charset=utf-8");
    cr_assert_str_eq(s->body[1], "<p>a&lt;b&gt;</p>");
}

/* ---- persistence ---- */

Test(mon_notifier, restart_keeps_an_open_incident, .init = setup,
     .fini = teardown) {
    const char *ini = BASE1 "send-close = true\nrepeat-every = 1h\n";
    mon_notifier_t *nt = make(ini);
    fake_t w, ok;
    fake(&w, "g1", EV_WARN);
    fake(&ok, "g1", EV_OK);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 1);
    done(nt);

    nt = make(ini);
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1005000), 0,
                 "no second open after a restart");
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, 1006000), 1);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    cr_assert_str_eq(s->id[0], s->id[1], "closed with the id it opened");
    char want[80];
    snprintf(want, sizeof(want), "%s:close:2", s->id[0]);
    cr_assert_str_eq(s->key[1], want);
}

/* What the last notification said survives a restart, from the
 * checkpoint and from the journal alone: a WARN sent before the restart
 * makes an ERR after it news, an ERR sent makes it a repeat. */
Test(mon_notifier, restart_remembers_what_was_last_sent, .init = setup,
     .fini = teardown) {
    const char *ini = BASE1;
    fake_t w, e;
    fake(&w, "g1", EV_WARN);
    fake(&e, "g1", EV_ERR);
    mon_notifier_t *nt = make(ini);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1000000), 1);
    done(nt);
    nt = make(ini);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1001000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, 1002000), 1, "worse");
    done(nt);
    nt = make(ini);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, 1003000), 0,
                 "the last one sent said ERR");
    done(nt);

    /* journal only: the child dies before any checkpoint has the ERR */
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -f '%s'/notifier.*", dir);
    cr_assert_eq(system(cmd), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        mon_notifier_t *c = make(ini);
        mon_notifier_observe(c, &w.ev, 1000000);
        mon_notifier_observe(c, &e.ev, 1001000);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    nt = make(ini);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, 1002000), 0,
                 "rebuilt from the journal: ERR was sent");
    done(nt);
}

Test(mon_notifier, crash_after_checkpoint_is_rebuilt_from_the_journal,
     .init = setup, .fini = teardown) {
    const char *ini = BASE1 "send-close = true\nrepeat-every = 1h\n";
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        /* The first observe writes a checkpoint with the incident open;
         * the close after it is only in the journal. No destroy. */
        mon_notifier_t *nt = make(ini);
        fake_t w, ok;
        fake(&w, "g1", EV_WARN);
        fake(&ok, "g1", EV_OK);
        mon_notifier_observe(nt, &w.ev, 1000000);
        mon_notifier_observe(nt, &ok.ev, 1001000);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    mon_notifier_t *nt = make(ini);
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 0,
                 "the close in the journal is applied");
    mon_notifier_group_t gv;
    cr_assert_eq(mon_notifier_group_view(nt, "local", "g1", &gv), 0);
    cr_assert_gt(gv.n_timeline, 0, "the replayed close is on the timeline");
    const mon_notifier_event_t *last = &gv.timeline[gv.n_timeline - 1];
    cr_assert_eq(last->event, MON_NOTIFIER_CLOSED);
    cr_assert_eq(last->status, EV_OK);
    mon_notifier_group_free(&gv);
    fake_t w;
    fake(&w, "g1", EV_WARN);
    cr_assert_eq(mon_notifier_observe(nt, &w.ev, 1002000), 1);
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 3);
    cr_assert_str_eq(s->id[0], s->id[1]);
    cr_assert_str_neq(s->id[2], s->id[0], "a new incident after the close");
}

Test(mon_notifier, corrupt_incidents_file_is_a_startup_error, .init = setup,
     .fini = teardown) {
    char p[256], err[1024] = "";
    write_file("notifier.incidents",
               "WRNINCDT garbage garbage garbage "
               "garbage garbage",
               p, sizeof(p));
    cfg = mon_config_load_string(BASE, "<test>", err, sizeof(err));
    const mon_config_notifier_t *c = mon_config_notifier_at(cfg, 0);
    mon_notifier_t *nt =
        mon_notifier_new(&c, 1, dir, NULL, NULL, err, sizeof(err));
    cr_assert_null(nt);
    cr_assert(strstr(err, "notifier.incidents: byte"), "%s", err);
    mon_config_destroy(cfg);
    cfg = NULL;
}

Test(mon_notifier, views_list_notifiers_and_group_timeline, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE1 "send-close = true\nsecret = s3cr3t\n");
    fake_t w, ok;
    fake(&w, "g1", EV_WARN);
    fake(&ok, "g1", EV_OK);
    mon_notifier_observe(nt, &w.ev, 1000000);
    mon_notifier_observe(nt, &ok.ev, 1001000);
    mon_notifier_view_t v;
    cr_assert_eq(mon_notifier_view(nt, &v), 0);
    cr_assert_eq(v.n_notifiers, 1);
    cr_assert_str_eq(v.notifiers[0].name, "hook");
    cr_assert(v.notifiers[0].is_signed, "signed, and never the secret");
    cr_assert_eq(v.notifiers[0].stats.queued, 2);
    cr_assert_eq(v.n_deliveries, 2);
    cr_assert_eq(v.deliveries[0].state, MON_DELIVERY_PENDING);
    cr_assert_eq(v.deliveries[0].kind, MON_DELIVERY_OPEN);
    cr_assert_str_eq(v.deliveries[0].group, "g1");
    mon_notifier_view_free(&v);

    mon_notifier_group_t g;
    cr_assert_eq(mon_notifier_group_view(nt, "local", "g1", &g), 0);
    cr_assert_eq(g.n_timeline, 2);
    cr_assert_eq(g.timeline[0].event, MON_NOTIFIER_OPENED);
    cr_assert_eq(g.timeline[1].event, MON_NOTIFIER_CLOSED);
    cr_assert_str_eq(g.timeline[0].notifier, "hook");
    cr_assert(g.timeline[0].has_delivery);
    cr_assert_str_eq(g.timeline[0].delivery.incident_id, g.timeline[0].id);
    cr_assert_eq(g.n_incidents, 1);
    cr_assert_not(g.incidents[0].open);
    cr_assert_eq(g.incidents[0].status, EV_OK);
    mon_notifier_group_free(&g);
    cr_assert_eq(mon_notifier_group_view(nt, "local", "nosuch", &g), 0);
    cr_assert_eq(g.n_incidents + g.n_timeline, 0,
                 "none for a group no "
                 "notifier evaluated");
    mon_notifier_group_free(&g);
    done(nt);
}

/* ---- the shipped templates ---- */

/* A group evaluation with n partitions (n <= 200): the first `err` are
 * stalled, the rest fall behind; topic and owner names as given. */
typedef struct big_s {
    mon_group_eval_t ev;
    mon_part_eval_t parts[200];
} big_t;

static void big(big_t *b, const char *group, size_t n, size_t err,
                const char *topic, const char *owner) {
    memset(b, 0, sizeof(*b));
    b->ev.cluster = "prod";
    b->ev.group = group;
    b->ev.parts = b->parts;
    b->ev.count = n;
    ev_group_init(&b->ev.rollup);
    for (size_t i = 0; i < n; i++) {
        bool e = i < err;
        fake_part(&b->parts[i], topic, (int)i, e ? EV_STALL : EV_WARN,
                  e ? EV_RULE_STALLED : EV_RULE_FALLING_BEHIND,
                  1000 + (int64_t)i);
        b->parts[i].owner = owner;
        ev_group_add(&b->ev.rollup, &b->parts[i].result, (int)i);
    }
    b->ev.status = b->ev.rollup.status;
}

/* Renders samples/templates/NAME over ev as the notifier would (JSON
 * escaping) and parses the result, which must be valid JSON. */
static cJSON *render_shipped(const char *name, const mon_group_eval_t *ev,
                             const char *kind) {
    char path[128], err[512];
    snprintf(path, sizeof(path), "samples/templates/%s", name);
    mon_mustache_t *t = mon_mustache_load(path, err, sizeof(err));
    cr_assert_not_null(t, "run from the repository root: %s", err);
    mon_config_kv_t ex[] = {{"routing_key", "R0UT1NGKEY"}};
    cJSON *d = mon_notifier_template_data(ev, kind,
                                          "3f0c5c1e-8a4b-4d2e-"
                                          "9d43-2b7a6c0e51f9",
                                          1715678467000, 1715678500000,
                                          "http://localhost:8000/", ex, 1);
    char *body =
        mon_mustache_render(t, d, MON_ESC_JSON, NULL, err, sizeof(err));
    cr_assert_not_null(body, "%s", err);
    cJSON *j = cJSON_Parse(body);
    cr_assert_not_null(j, "%s is not valid JSON over this data:\n%s", name,
                       body);
    free(body);
    cJSON_Delete(d);
    mon_mustache_destroy(t);
    return j;
}

/* Characters (UTF-8 code points) in s, as Slack counts them. */
static size_t chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Walks every string of a Slack message: mrkdwn text (text objects of
 * type mrkdwn, and the top-level "text") must hold no "<" at all, so no
 * "<!channel>" or "<http://...|...>" survives; checks Slack's lengths. */
static void check_slack(const cJSON *j, bool mrkdwn_ctx, const char *where,
                        int *n_mrkdwn) {
    if (cJSON_IsString(j)) {
        const char *s = j->valuestring;
        if (mrkdwn_ctx) {
            (*n_mrkdwn)++;
            cr_assert_null(strchr(s, '<'), "%s: unescaped '<' in mrkdwn: %s",
                           where, s);
            cr_assert_leq(chars(s), 3000, "%s: %zu characters", where,
                          chars(s));
        }
        return;
    }
    const cJSON *type = cJSON_GetObjectItem(j, "type");
    bool is_mrkdwn =
        cJSON_IsString(type) && !strcmp(type->valuestring, "mrkdwn");
    bool is_plain =
        cJSON_IsString(type) && !strcmp(type->valuestring, "plain_text");
    bool is_header =
        cJSON_IsString(type) && !strcmp(type->valuestring, "header");
    const cJSON *c;
    cJSON_ArrayForEach(c, j) {
        bool text = c->string && !strcmp(c->string, "text");
        if (is_plain && text)
            cr_assert_leq(chars(c->valuestring), is_header ? 150 : 3000);
        if (is_header && text)
            cr_assert_leq(chars(cJSON_GetObjectItem(c, "text")->valuestring),
                          150, "header: Slack takes 150 characters");
        if (c->string && !strcmp(c->string, "fields")) {
            const cJSON *f;
            cJSON_ArrayForEach(f, c) cr_assert_leq(
                chars(cJSON_GetObjectItem(f, "text")->valuestring), 2000);
        }
        if (c->string && !strcmp(c->string, "url"))
            cr_assert_leq(chars(c->valuestring), 3000);
        check_slack(c, (is_mrkdwn && text) || (!where[0] && text),
                    c->string ? c->string : where, n_mrkdwn);
    }
}

Test(mon_notifier, hostile_names_stay_text_in_the_shipped_slack_templates) {
    static const char group[] = "<!channel> pay & <http://evil.example|"
                                "click here> <@U123> <#C1>";
    static const char owner[] = "<!here> <http://evil.example/x|login>";
    big_t *b = malloc(sizeof(*b));
    big(b, group, 3, 1, "orders", owner);
    const char *names[] = {"slack-open.json", "slack-close.json"};
    for (int k = 0; k < 2; k++) {
        cJSON *j = render_shipped(names[k], &b->ev, k ? "close" : "open");
        char *txt = cJSON_PrintUnformatted(j);
        cr_assert(strstr(txt, "&lt;!channel&gt; pay &amp; &lt;http"),
                  "%s: the name is there, escaped: %s", names[k], txt);
        int n_mrkdwn = 0;
        check_slack(j, false, "", &n_mrkdwn);
        cr_assert_geq(n_mrkdwn, 3, "%s: mrkdwn texts were checked", names[k]);
        free(txt);
        cJSON_Delete(j);
    }
    free(b);
}

/* 150 partitions with Kafka's longest topic names and long owners: the
 * Slack message lists the 10 worst and says how many more, within every
 * block's limit; PagerDuty's summary stays within 1,024 characters. */
Test(mon_notifier, shipped_templates_fit_their_receivers_limits) {
    char topic[250], owner[301], group[2001];
    memset(topic, 't', 249);
    topic[249] = '\0';
    memset(owner, '&', 300);
    owner[300] = '\0';
    memset(group, 'g', 2000);
    group[2000] = '\0';
    big_t *b = malloc(sizeof(*b));
    big(b, group, 150, 40, topic, owner);

    cJSON *j = render_shipped("slack-open.json", &b->ev, "open");
    int n_mrkdwn = 0;
    check_slack(j, false, "", &n_mrkdwn);
    char *txt = cJSON_PrintUnformatted(j);
    cr_assert(strstr(txt, "and 140 more"), "%s", txt);
    cJSON *blocks = cJSON_GetObjectItem(j, "blocks");
    const char *list =
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 2), "text"), "text")
            ->valuestring;
    size_t lines = 0;
    for (const char *p = list; *p; p++)
        lines += *p == '\n';
    cr_assert_eq(lines, 11, "a title and 10 partitions: %s", list);
    cr_assert(strstr(list, "has stalled"), "the stalled ones come first");
    cr_assert_null(strstr(list, "is falling behind"),
                   "40 stalled: all 10 shown are stalled");
    free(txt);
    cJSON_Delete(j);

    j = render_shipped("pagerduty-trigger.json", &b->ev, "open");
    cJSON *pl = cJSON_GetObjectItem(j, "payload");
    const char *sum = cJSON_GetObjectItem(pl, "summary")->valuestring;
    cr_assert_leq(chars(sum), 1024, "%zu", chars(sum));
    cr_assert_eq(
        cJSON_GetArraySize(cJSON_GetObjectItem(
            cJSON_GetObjectItem(pl, "custom_details"), "worst_partitions")),
        10);
    txt = cJSON_PrintUnformatted(j);
    cr_assert_lt(strlen(txt), 512 * 1024, "PagerDuty takes 512 KB");
    free(txt);
    cJSON_Delete(j);

    j = render_shipped("generic-open.json", &b->ev, "open");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "partitions")), 10);
    cr_assert_eq(cJSON_GetObjectItem(j, "partitions_more")->valueint, 140);
    cJSON_Delete(j);
    free(b);
}

/* The template data of a data-loss group says so: is_data_loss, the
 * count, and each partition's log start and (negative) margin; a
 * partition whose log start is unknown has null there, never 0. */
Test(mon_notifier, template_data_tells_data_loss_and_retention) {
    big_t *b = malloc(sizeof(*b));
    big(b, "archiver", 2, 0, "orders", "");
    ev_logstart_t ls;
    ev_logstart_init(&ls);
    ev_logstart_sample(&ls, 500, 1000);
    b->parts[0].result.status = EV_STALL;
    b->parts[0].result.current_lag = 900;
    ev_retention_eval(&ls, 120, 900, -1, false, 0, 2000,
                      &b->parts[0].retention);
    ev_retention_overlay(&b->parts[0].result, &b->parts[0].retention);
    ev_retention_eval(NULL, 130, 5, -1, false, 0, 2000, &b->parts[1].retention);
    b->parts[1].result.status = EV_OK;
    ev_group_init(&b->ev.rollup);
    ev_group_add(&b->ev.rollup, &b->parts[0].result, 0);
    ev_group_add(&b->ev.rollup, &b->parts[1].result, 1);
    b->ev.status = b->ev.rollup.status;
    cJSON *d = mon_notifier_template_data(&b->ev, "open", "id", 1000, 2000, "",
                                          NULL, 0);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(d, "is_data_loss")));
    cr_assert_str_eq(cJSON_GetObjectItem(d, "status")->valuestring, "ERR");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "status_words")->valuestring,
                     "has lost data to retention");
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "partition_counts"),
                                     "data_loss")
                     ->valueint,
                 1);
    const cJSON *p =
        cJSON_GetArrayItem(cJSON_GetObjectItem(d, "partitions"), 0);
    cr_assert_str_eq(cJSON_GetObjectItem(p, "rule")->valuestring, "data-loss");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(p, "data_loss")));
    cr_assert_eq(cJSON_GetObjectItem(p, "log_start_offset")->valueint, 500);
    cr_assert_eq(cJSON_GetObjectItem(p, "retention_margin")->valueint, -380);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(p, "retention_eta_s")));
    const cJSON *m = cJSON_GetObjectItem(d, "maxlag");
    cr_assert(cJSON_IsObject(m));
    cJSON_Delete(d);
    /* the OK partition: no log start known, null (not 0) */
    b->parts[0].result.current_lag = 0;
    b->parts[1].result.current_lag = 5;
    ev_group_init(&b->ev.rollup);
    ev_group_add(&b->ev.rollup, &b->parts[0].result, 0);
    ev_group_add(&b->ev.rollup, &b->parts[1].result, 1);
    d = mon_notifier_template_data(&b->ev, "open", "id", 1000, 2000, "", NULL,
                                   0);
    m = cJSON_GetObjectItem(d, "maxlag");
    cr_assert_eq(cJSON_GetObjectItem(m, "partition")->valueint, 1);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "log_start_offset")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "retention_margin")));
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(m, "data_loss")));
    cJSON_Delete(d);
    free(b);
}

/* What a person reads: "audit has stalled", not "audit is error (ERR)". */
Test(mon_notifier, shipped_templates_say_the_status_in_plain_words) {
    static const struct {
        const char *group;
        ev_status_t st;
        ev_rule_t rule;
        const char *want;
    } cases[] = {
        {"audit", EV_STALL, EV_RULE_STALLED, "audit has stalled"},
        {"billing", EV_WARN, EV_RULE_FALLING_BEHIND,
         "billing is falling behind"},
        {"reports", EV_STOP, EV_RULE_STOPPED, "reports has stopped committing"},
        {"ledger", EV_REWIND, EV_RULE_REWOUND,
         "ledger has rewound its offsets"},
        {"archiver", EV_ERR, EV_RULE_DATA_LOSS,
         "archiver has lost data to retention"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        big_t *b = malloc(sizeof(*b));
        big(b, cases[i].group, 1, 0, "orders", "");
        b->parts[0].result.status = cases[i].st;
        b->parts[0].result.rule = cases[i].rule;
        ev_group_init(&b->ev.rollup);
        ev_group_add(&b->ev.rollup, &b->parts[0].result, 0);
        b->ev.status = b->ev.rollup.status;
        cJSON *j = render_shipped("slack-open.json", &b->ev, "open");
        const char *h =
            cJSON_GetObjectItem(
                cJSON_GetObjectItem(
                    cJSON_GetArrayItem(cJSON_GetObjectItem(j, "blocks"), 0),
                    "text"),
                "text")
                ->valuestring;
        cr_assert_str_eq(h, cases[i].want);
        cJSON_Delete(j);
        j = render_shipped("pagerduty-trigger.json", &b->ev, "open");
        const char *sum =
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "payload"), "summary")
                ->valuestring;
        cr_assert(strstr(sum, cases[i].want), "%s", sum);
        cr_assert_null(strstr(sum, "(ERR)"), "%s", sum);
        cJSON_Delete(j);
        j = render_shipped("generic-close.json", &b->ev, "close");
        char want[64];
        snprintf(want, sizeof(want), "%s has recovered", cases[i].group);
        cr_assert_str_eq(cJSON_GetObjectItem(j, "summary")->valuestring, want);
        cJSON_Delete(j);
        free(b);
    }
}

/* Every key of samples/templates/example-data.json is one Warren
 * produces (extras aside: they are the user's), and its statuses, labels,
 * rules and words are Warren's vocabulary. */
static void check_keys(const cJSON *ex, const cJSON *real, const char *at) {
    const cJSON *c;
    if (cJSON_IsArray(ex)) {
        cr_assert(cJSON_IsArray(real), "%s: an array in Warren's data", at);
        const cJSON *model = cJSON_GetArrayItem(real, 0);
        cJSON_ArrayForEach(c, ex) if (model) check_keys(c, model, at);
        return;
    }
    if (!cJSON_IsObject(ex)) return;
    cr_assert(cJSON_IsObject(real) || cJSON_IsNull(real),
              "%s: an object in Warren's data", at);
    cJSON_ArrayForEach(c, ex) {
        const cJSON *r = cJSON_GetObjectItem(real, c->string);
        cr_assert_not_null(r,
                           "example-data.json: %s.%s is not a field "
                           "Warren produces",
                           at, c->string);
        if (!strcmp(c->string, "extras")) continue;
        if (cJSON_IsString(c)) {
            const char *v = c->valuestring;
            ev_status_t st;
            if (!strcmp(c->string, "status"))
                cr_assert_eq(ev_status_parse(v, &st), 0, "status %s", v);
            if (!strcmp(c->string, "label")) {
                bool ok = false;
                for (int s = EV_NOTFOUND; s <= EV_REWIND; s++)
                    ok |= !strcmp(v, ev_status_label((ev_status_t)s));
                cr_assert(ok, "%s.label '%s' is not Warren's", at, v);
            }
            if (!strcmp(c->string, "rule")) {
                bool ok = false;
                for (int k = 0; k < EV_RULE__COUNT; k++)
                    ok |= !strcmp(v, ev_rule_name((ev_rule_t)k));
                cr_assert(ok, "%s.rule '%s' is not a rule id", at, v);
            }
        }
        char sub[128];
        snprintf(sub, sizeof(sub), "%s.%s", at, c->string);
        check_keys(c, r, sub);
    }
}

Test(mon_notifier, example_data_uses_only_what_warren_produces) {
    char err[512];
    size_t len;
    char *text = mon_file_read_max("samples/templates/example-data.json",
                                   1 << 20, &len, err, sizeof(err));
    cr_assert_not_null(text, "%s", err);
    cJSON *ex = cJSON_Parse(text);
    cr_assert_not_null(ex, "example-data.json is valid JSON");
    fake_t e;
    fake(&e, "billing-consumers", EV_ERR);
    cJSON *real = mon_notifier_template_data(&e.ev, "open", "id", 1715678467000,
                                             1715678500000,
                                             "http://localhost:8000/", NULL, 0);
    cJSON_AddStringToObject(real, "notifier", "slack");
    cJSON_AddNumberToObject(real, "sequence", 1);
    check_keys(ex, real, "data");
    /* and the words are the ones Warren writes */
    const char *w = cJSON_GetObjectItem(ex, "status_words")->valuestring;
    cr_assert_str_eq(w, cJSON_GetObjectItem(real, "status_words")->valuestring);
    cJSON_Delete(real);
    cJSON_Delete(ex);
    free(text);
}

/* The cut fields: never longer than documented, never inside an entity
 * or a UTF-8 sequence, "\u2026" at the end of a cut. */
Test(mon_notifier, mrkdwn_and_short_fields_are_cut_cleanly) {
    char owner[301], group[400];
    memset(owner, '&', 300);
    owner[300] = '\0';
    /* 2-byte characters so a byte cut would split one */
    for (int i = 0; i < 398; i += 2)
        memcpy(group + i, "\xc3\xa9", 2);
    group[398] = '\0';
    big_t *b = malloc(sizeof(*b));
    big(b, group, 1, 1, "orders", owner);
    cJSON *d =
        mon_notifier_template_data(&b->ev, "open", "id", 1, 2, NULL, NULL, 0);
    const char *om =
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(d, "partitions_worst"), 0),
            "owner_mrkdwn")
            ->valuestring;
    cr_assert_leq(strlen(om), 80);
    size_t n = strlen(om);
    cr_assert_str_eq(om + n - 3, "\xe2\x80\xa6", "%s", om);
    cr_assert_eq((n - 3) % 5, 0, "whole &amp; entities only: %s", om);
    const char *gs = cJSON_GetObjectItem(d, "group_short")->valuestring;
    cr_assert_leq(strlen(gs), 100);
    cr_assert_eq((strlen(gs) - 3) % 2, 0, "whole characters: %s", gs);
    const char *gm = cJSON_GetObjectItem(d, "group_mrkdwn")->valuestring;
    cr_assert_leq(strlen(gm), 80);
    cr_assert_eq((strlen(gm) - 3) % 2, 0);
    cJSON_Delete(d);
    b->parts[0].owner = "a<b";
    d = mon_notifier_template_data(&b->ev, "open", "id", 1, 2, NULL, NULL, 0);
    cr_assert_str_eq(
        cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(d, "partitions_worst"), 0),
            "owner_mrkdwn")
            ->valuestring,
        "a&lt;b", "short ones are whole");
    cJSON_Delete(d);
    free(b);
}

/* Incidents and journal written by the version-1 code (tests/data/
 * state-v1/, warren serve with [notifier ops] on samples/stalled.jsonl):
 * the open incident of pdf-render and its undelivered notification
 * survive; the next checkpoint writes the shared layout (version 3). */
Test(mon_notifier, reads_version_1_incidents_and_journal, .init = setup,
     .fini = teardown) {
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "cp tests/data/state-v1/notifier.incidents "
             "tests/data/state-v1/notifier.journal '%s/'",
             dir);
    cr_assert_eq(system(cmd), 0);
    mon_notifier_t *nt = make("[notifier ops]\n"
                              "url-open = http://127.0.0.1:9/open\n"
                              "interval = 1\n"
                              "max-retries = 20\n");
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1);
    mon_delivery_info_t *d = NULL;
    size_t n = 0;
    cr_assert_eq(mon_notifier_deliveries(nt, &d, &n), 0);
    /* the journal queued open:1 (5 failed attempts) and open:2: on
     * recovery open:2 stays pending and replaces open:1 */
    size_t pending = 0, attempted = 0;
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(d[i].group, "pdf-render");
        pending += d[i].state == MON_DELIVERY_PENDING;
        attempted += d[i].attempts > 0;
    }
    cr_assert_eq(pending, 1, "the queued open notification is still there");
    cr_assert_eq(attempted, 1, "the attempt records were read");
    for (size_t i = 0; i < n; i++)
        mon_delivery_info_clear(&d[i]);
    free(d);
    cr_assert_eq(mon_notifier_flush(nt, cmd, sizeof(cmd)), 0, "%s", cmd);
    done(nt);

    char path[256];
    unsigned char hdr[12];
    snprintf(path, sizeof(path), "%s/notifier.incidents", dir);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    cr_assert_eq(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    fclose(f);
    cr_assert_eq(hdr[8], 3, "the checkpoint is rewritten as version 3");

    /* and the rewritten files load again */
    nt = make("[notifier ops]\nurl-open = http://127.0.0.1:9/open\n");
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1);
    done(nt);
}

/* ---- silences ---- */

/* A silenced group sends nothing; its incident opens all the same, and
 * is sent at the first evaluation after the silence ends if still open;
 * then repeats follow repeat-every from that send. */
Test(mon_notifier, silenced_sends_nothing_and_the_open_follows_its_end,
     .init = setup, .fini = teardown) {
    mon_notifier_t *nt = make(BASE1 "send-close = true\n"
                                    "repeat-every = 10s\n");
    fake_t e;
    fake(&e, "g1", EV_ERR);
    int64_t t = 1000000;
    for (int i = 0; i < 30; i++, t += 1000)
        cr_assert_eq(mon_notifier_observe_silenced(nt, &e.ev, t, true), 0,
                     "silenced at %d", i);
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 1,
                 "the incident is open all the same");
    mon_notifier_group_t gv;
    cr_assert_eq(mon_notifier_group_view(nt, "local", "g1", &gv), 0);
    cr_assert_eq(gv.n_timeline, 1);
    cr_assert_eq(gv.timeline[0].event, MON_NOTIFIER_SILENCED);
    cr_assert_not(gv.timeline[0].has_delivery, "nothing was queued");
    mon_notifier_group_free(&gv);
    /* the silence ends */
    cr_assert_eq(mon_notifier_observe_silenced(nt, &e.ev, t, false), 1,
                 "sent as soon as the silence ends");
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, t + 1000), 0);
    cr_assert_eq(mon_notifier_observe(nt, &e.ev, t + 10000), 1,
                 "repeat-every counts from that send");
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    char want[80];
    snprintf(want, sizeof(want), "%s:open:1", s->id[0]);
    cr_assert_str_eq(s->key[0], want, "the first notification of it");
}

/* An incident that opens and closes inside a silence sends nothing at
 * all (its receiver never heard of it); one whose open went out before
 * the silence still gets its close, so no receiver is left open. */
Test(mon_notifier, silenced_close_only_for_an_open_that_was_sent, .init = setup,
     .fini = teardown) {
    mon_notifier_t *nt = make(BASE1 "send-close = true\n");
    fake_t e, ok;
    fake(&e, "quiet", EV_ERR);
    fake(&ok, "quiet", EV_OK);
    int64_t t = 1000000;
    cr_assert_eq(mon_notifier_observe_silenced(nt, &e.ev, t += 1000, true), 0);
    cr_assert_eq(mon_notifier_observe_silenced(nt, &ok.ev, t += 1000, true), 0,
                 "never opened at the receiver: no close");
    cr_assert_eq(mon_notifier_open_count(nt, SIZE_MAX), 0);
    cr_assert_eq(mon_notifier_observe(nt, &ok.ev, t += 1000), 0);

    fake_t e2, ok2;
    fake(&e2, "loud", EV_ERR);
    fake(&ok2, "loud", EV_OK);
    cr_assert_eq(mon_notifier_observe(nt, &e2.ev, t += 1000), 1);
    cr_assert_eq(mon_notifier_observe_silenced(nt, &e2.ev, t += 1000, true), 0);
    cr_assert_eq(mon_notifier_observe_silenced(nt, &ok2.ev, t += 1000, true), 1,
                 "the close of a sent open goes out");
    done(nt);
    sent_t *s = sent_copy();
    cr_assert_eq(s->n, 2);
    for (int i = 0; i < 2; i++)
        cr_assert_str_eq(s->group[i], "loud");
}
