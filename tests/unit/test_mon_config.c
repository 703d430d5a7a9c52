/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_config: defaults, every section's keys, value syntax,
 * environment expansion, every kind of error with its exact FILE:LINE
 * prefix, command-line overrides, and the shipped sample configs. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/config/mon_config.h"

static char err[512];

static mon_config_t *load(const char *text) {
    err[0] = '\0';
    return mon_config_load_string(text, "t.ini", err, sizeof(err));
}

static mon_config_t *load_ok(const char *text) {
    mon_config_t *cfg = load(text);
    cr_assert_not_null(cfg, "unexpected error: %s", err);
    return cfg;
}

/* Writes text to a new temporary file; returns its path (static). */
static const char *temp_file(const char *text) {
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/warren-cfg-XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static char *read_all(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* ------------------------------------------------------------------ */
/* Defaults                                                             */
/* ------------------------------------------------------------------ */

static void assert_defaults(const mon_config_t *cfg) {
    const mon_config_general_t *g = mon_config_general(cfg);
    cr_assert_eq(g->log_format, MON_LOG_TEXT);
    cr_assert_eq(g->log_level, MON_LOG_INFO);
    cr_assert_str_eq(g->data_dir, "./warren-data");
    cr_assert_eq(g->snapshot_interval_ms, 60000);
    cr_assert_str_eq(g->access_control_allow_origin, "");
    cr_assert_str_eq(g->dashboard_url, "http://127.0.0.1:8000/");
    cr_assert_not(g->dashboard_url_explicit);
    cr_assert_eq(g->history_retention_ms, 86400000LL);
    char host[256] = "";
    gethostname(host, sizeof(host));
    cr_assert_str_eq(g->name, host);

    const mon_config_http_t *h = mon_config_http(cfg);
    cr_assert_str_eq(h->listen, "127.0.0.1:8000");
    cr_assert_str_eq(h->listen_host, "127.0.0.1");
    cr_assert_eq(h->listen_port, 8000);
    cr_assert_eq(h->listen_family, AF_INET);
    cr_assert_str_eq(h->admin_token, "");
    cr_assert_eq(h->max_body, 65536);
    cr_assert_eq(h->max_url, 2048);
    cr_assert_eq(h->max_header, 8192);
    cr_assert_eq(h->timeout_ms, 30000);
    cr_assert_eq(h->threads, 2);

    const mon_config_storage_t *s = mon_config_storage(cfg);
    cr_assert_eq(s->intervals, 10);
    cr_assert_eq(s->min_distance_ms, 0);
    cr_assert_eq(s->expire_group_ms, 604800000LL);
    cr_assert_null(s->group_allowlist);
    cr_assert_null(s->group_denylist);

    const mon_config_evaluator_t *e = mon_config_evaluator(cfg);
    cr_assert_eq(e->expire_cache_ms, 10000);
    cr_assert_eq(e->allowed_lag, 0);
    cr_assert_float_eq(e->minimum_complete, 0.0, 1e-12);

    cr_assert_eq(mon_config_cluster_count(cfg), 1);
    const mon_config_cluster_t *cl = mon_config_cluster_at(cfg, 0);
    cr_assert_str_eq(cl->name, "local");
    cr_assert_eq(cl->source, MON_CONFIG_SOURCE_EMBEDDED);
    cr_assert_str_eq(cl->data_dir, "./warren-data/broker");
    cr_assert_eq(cl->offset_refresh_ms, 10000);
    cr_assert_eq(cl->topic_refresh_ms, 60000);
    cr_assert_eq(mon_config_notifier_count(cfg), 0);
}

Test(mon_config, default_config_is_one_embedded_local_cluster) {
    mon_config_t *cfg = mon_config_new_default();
    assert_defaults(cfg);
    cr_assert_null(mon_config_path(cfg));
    mon_config_destroy(cfg);
}

Test(mon_config, file_with_only_comments_gets_every_default) {
    mon_config_t *cfg = load_ok("; nothing\n# here\n\n[general]\n");
    assert_defaults(cfg);
    mon_config_destroy(cfg);
}

Test(mon_config, destroy_accepts_null) {
    mon_config_destroy(NULL);
}

/* ------------------------------------------------------------------ */
/* Each section's keys                                                  */
/* ------------------------------------------------------------------ */

Test(mon_config, general_keys_are_parsed) {
    mon_config_t *cfg = load_ok("[general]\n"
                                "log-format = json\n"
                                "log-level = debug\n"
                                "data-dir = /var/lib/warren\n"
                                "snapshot-interval = 5m\n"
                                "access-control-allow-origin = *\n"
                                "dashboard-url = https://warren.example/\n"
                                "history-retention = 2d\n"
                                "name = eu-1\n");
    const mon_config_general_t *g = mon_config_general(cfg);
    cr_assert_eq(g->log_format, MON_LOG_JSON);
    cr_assert_eq(g->log_level, MON_LOG_DEBUG);
    cr_assert_str_eq(g->data_dir, "/var/lib/warren");
    cr_assert_eq(g->snapshot_interval_ms, 300000);
    cr_assert_str_eq(g->access_control_allow_origin, "*");
    cr_assert_str_eq(g->dashboard_url, "https://warren.example/");
    cr_assert(g->dashboard_url_explicit);
    cr_assert_eq(g->history_retention_ms, 172800000LL);
    cr_assert_str_eq(g->name, "eu-1");
    /* the default cluster's broker follows the general data-dir */
    cr_assert_str_eq(mon_config_cluster_at(cfg, 0)->data_dir,
                     "/var/lib/warren/broker");
    mon_config_destroy(cfg);
}

Test(mon_config, http_keys_are_parsed_with_ipv6_listen) {
    mon_config_t *cfg = load_ok("[http]\n"
                                "listen = [::1]:9090\n"
                                "admin-token = s3cret-token\n"
                                "max-body = 1000\n"
                                "max-url = 100\n"
                                "max-header = 4096\n"
                                "timeout = 15s\n"
                                "threads = 8\n");
    const mon_config_http_t *h = mon_config_http(cfg);
    cr_assert_str_eq(h->listen, "[::1]:9090");
    cr_assert_str_eq(h->listen_host, "::1");
    cr_assert_eq(h->listen_port, 9090);
    cr_assert_eq(h->listen_family, AF_INET6);
    cr_assert_str_eq(h->admin_token, "s3cret-token");
    cr_assert_eq(h->max_body, 1000);
    cr_assert_eq(h->max_url, 100);
    cr_assert_eq(h->max_header, 4096);
    cr_assert_eq(h->timeout_ms, 15000);
    cr_assert_eq(h->threads, 8);
    cr_assert_str_eq(mon_config_general(cfg)->dashboard_url,
                     "http://[::1]:9090/");
    mon_config_destroy(cfg);
}

Test(mon_config, wildcard_listen_derives_dashboard_url_from_hostname) {
    mon_config_t *cfg = load_ok("[http]\nlisten = 0.0.0.0:8123\n");
    char host[256] = "", want[300];
    gethostname(host, sizeof(host));
    snprintf(want, sizeof(want), "http://%s:8123/", host);
    cr_assert_str_eq(mon_config_general(cfg)->dashboard_url, want);
    mon_config_destroy(cfg);
}

Test(mon_config, storage_keys_are_parsed_and_lists_filter_names) {
    mon_config_t *cfg = load_ok("[storage]\n"
                                "intervals = 15\n"
                                "min-distance = 1\n"
                                "expire-group = 7d\n"
                                "group-allowlist = ^app-\n"
                                "group-denylist = -test$\n");
    const mon_config_storage_t *s = mon_config_storage(cfg);
    cr_assert_eq(s->intervals, 15);
    cr_assert_eq(s->min_distance_ms, 1000);
    cr_assert_eq(s->expire_group_ms, 604800000LL);
    cr_assert_str_eq(s->group_allowlist->pattern, "^app-");
    cr_assert_str_eq(s->group_denylist->pattern, "-test$");
    cr_assert(mon_config_name_allowed(s->group_allowlist, s->group_denylist,
                                      "app-billing"));
    cr_assert_not(mon_config_name_allowed(s->group_allowlist, s->group_denylist,
                                          "app-x-test"));
    cr_assert_not(mon_config_name_allowed(s->group_allowlist, s->group_denylist,
                                          "other"));
    cr_assert(mon_config_name_allowed(NULL, NULL, "anything"));
    mon_config_destroy(cfg);
}

Test(mon_config, evaluator_keys_are_parsed) {
    mon_config_t *cfg = load_ok("[evaluator]\n"
                                "expire-cache = 0\n"
                                "allowed-lag = 250\n"
                                "minimum-complete = 0.5\n");
    const mon_config_evaluator_t *e = mon_config_evaluator(cfg);
    cr_assert_eq(e->expire_cache_ms, 0);
    cr_assert_eq(e->allowed_lag, 250);
    cr_assert_float_eq(e->minimum_complete, 0.5, 1e-12);
    mon_config_destroy(cfg);
}

Test(mon_config, embedded_cluster_keys_are_parsed) {
    mon_config_t *cfg = load_ok("[cluster a]\n"
                                "source = embedded\n"
                                "offset-refresh = 2s\n"
                                "topic-refresh = 1m\n"
                                "data-dir = /srv/broker-a\n"
                                "[cluster b]\n"
                                "source = embedded\n");
    cr_assert_eq(mon_config_cluster_count(cfg), 2);
    const mon_config_cluster_t *a = mon_config_cluster_find(cfg, "a");
    cr_assert_eq(a->line, 1);
    cr_assert_eq(a->offset_refresh_ms, 2000);
    cr_assert_eq(a->topic_refresh_ms, 60000);
    cr_assert_str_eq(a->data_dir, "/srv/broker-a");
    cr_assert(a->data_dir_explicit);
    const mon_config_cluster_t *b = mon_config_cluster_find(cfg, "b");
    cr_assert_eq(b->line, 6);
    cr_assert_str_eq(b->data_dir, "./warren-data/broker");
    cr_assert_not(b->data_dir_explicit);
    cr_assert_null(mon_config_cluster_find(cfg, "local"));
    mon_config_destroy(cfg);
}

Test(mon_config, replay_cluster_keys_are_parsed) {
    mon_config_t *cfg = load_ok("[cluster r]\n"
                                "source = replay\n"
                                "file = traces/x.jsonl\n"
                                "speed = 60\n"
                                "loop = yes\n");
    const mon_config_cluster_t *r = mon_config_cluster_at(cfg, 0);
    cr_assert_eq(r->source, MON_CONFIG_SOURCE_REPLAY);
    cr_assert_str_eq(r->file, "traces/x.jsonl");
    cr_assert_float_eq(r->speed, 60.0, 1e-12);
    cr_assert(r->loop);
    mon_config_destroy(cfg);
}

Test(mon_config, replay_cluster_defaults_to_speed_one_without_loop) {
    mon_config_t *cfg = load_ok("[cluster r]\nsource=replay\nfile=f\n");
    const mon_config_cluster_t *r = mon_config_cluster_at(cfg, 0);
    cr_assert_float_eq(r->speed, 1.0, 1e-12);
    cr_assert_not(r->loop);
    mon_config_destroy(cfg);
}

Test(mon_config, kafka_cluster_keys_are_parsed_and_props_kept_in_order) {
    setenv("WARREN_TEST_PASS", "pa$$word", 1);
    mon_config_t *cfg =
        load_ok("[cluster prod]\n"
                "source = kafka\n"
                "servers = k1.example:9092 , 10.0.0.2:9093,[::1]:9094\n"
                "offsets = offsets-topic\n"
                "groups = billing, shipping ,audit\n"
                "group-allowlist = ^b\n"
                "group-denylist = ^console-\n"
                "topic-allowlist = .*\n"
                "topic-denylist = ^_\n"
                "internal-topics = on\n"
                "kafka.security.protocol = SASL_SSL\n"
                "kafka.sasl.password = ${WARREN_TEST_PASS}\n"
                "kafka.client.id = warren-$${literal}\n"
                "kafka.ssl.endpoint.identification.algorithm =\n");
    const mon_config_cluster_t *k = mon_config_cluster_find(cfg, "prod");
    cr_assert_eq(k->source, MON_CONFIG_SOURCE_KAFKA);
    cr_assert_str_eq(k->servers, "k1.example:9092,10.0.0.2:9093,[::1]:9094");
    cr_assert_eq(k->offsets, MON_CONFIG_OFFSETS_TOPIC);
    cr_assert_eq(k->n_groups, 3);
    cr_assert_str_eq(k->groups[0], "billing");
    cr_assert_str_eq(k->groups[1], "shipping");
    cr_assert_str_eq(k->groups[2], "audit");
    cr_assert_str_eq(k->group_allowlist->pattern, "^b");
    cr_assert_str_eq(k->group_denylist->pattern, "^console-");
    cr_assert_str_eq(k->topic_allowlist->pattern, ".*");
    cr_assert_str_eq(k->topic_denylist->pattern, "^_");
    cr_assert(k->internal_topics);
    cr_assert_eq(k->n_kafka_props, 4);
    cr_assert_str_eq(k->kafka_props[0].key, "security.protocol");
    cr_assert_str_eq(k->kafka_props[0].value, "SASL_SSL");
    cr_assert_str_eq(k->kafka_props[1].key, "sasl.password");
    cr_assert_str_eq(k->kafka_props[1].value, "pa$$word");
    cr_assert_str_eq(k->kafka_props[2].key, "client.id");
    cr_assert_str_eq(k->kafka_props[2].value, "warren-${literal}");
    cr_assert_str_eq(k->kafka_props[3].key,
                     "ssl.endpoint.identification.algorithm");
    cr_assert_str_eq(k->kafka_props[3].value, "");
    mon_config_destroy(cfg);
}

Test(mon_config, kafka_cluster_defaults) {
    mon_config_t *cfg = load_ok("[cluster k]\nsource = kafka\n"
                                "servers = localhost:9092\n");
    const mon_config_cluster_t *k = mon_config_cluster_at(cfg, 0);
    cr_assert_eq(k->offsets, MON_CONFIG_OFFSETS_ADMIN);
    cr_assert_eq(k->n_groups, 0);
    cr_assert_null(k->group_allowlist);
    cr_assert_null(k->topic_denylist);
    cr_assert_not(k->internal_topics);
    cr_assert_eq(k->n_kafka_props, 0);
    cr_assert_eq(k->offset_refresh_ms, 10000);
    cr_assert_eq(k->topic_refresh_ms, 60000);
    mon_config_destroy(cfg);
}

Test(mon_config, notifier_keys_are_parsed) {
    char open_path[64], close_path[64];
    snprintf(open_path, sizeof(open_path), "%s", temp_file("{{id}}"));
    snprintf(close_path, sizeof(close_path), "%s", temp_file("{{id}} x"));
    setenv("WARREN_TEST_TOKEN", "abc123", 1);
    setenv("WARREN_TEST_SECRET", "hmac-key", 1);
    char text[2048];
    snprintf(text, sizeof(text),
             "[notifier ops]\n"
             "url-open = https://hooks.example/open\n"
             "url-close = https://hooks.example/{{id}}/close\n"
             "method-open = put\n"
             "method-close = DELETE\n"
             "headers = Authorization: Bearer ${WARREN_TEST_TOKEN};"
             "X-Team: data;\n"
             "timeout = 2s\n"
             "interval = 30\n"
             "threshold = ERR\n"
             "send-close = true\n"
             "send-once = 1\n"
             "repeat-every = 10m\n"
             "group-allowlist = ^pay\n"
             "group-denylist = test\n"
             "template-open = %s\n"
             "template-close = %s\n"
             "extras.team = data-platform\n"
             "extras.runbook = https://wiki/x\n"
             "secret = ${WARREN_TEST_SECRET}\n"
             "open-after = 3\n"
             "close-after = 2\n"
             "max-retries = 0\n",
             open_path, close_path);
    mon_config_t *cfg = load_ok(text);
    cr_assert_eq(mon_config_notifier_count(cfg), 1);
    const mon_config_notifier_t *n = mon_config_notifier_find(cfg, "ops");
    cr_assert_eq(n->line, 1);
    cr_assert_str_eq(n->url_open, "https://hooks.example/open");
    cr_assert_str_eq(n->url_close, "https://hooks.example/{{id}}/close");
    cr_assert_str_eq(n->method_open, "PUT");
    cr_assert_str_eq(n->method_close, "DELETE");
    cr_assert_eq(n->n_headers, 2);
    cr_assert_str_eq(n->headers[0].key, "Authorization");
    cr_assert_str_eq(n->headers[0].value, "Bearer abc123");
    cr_assert_str_eq(n->headers[1].key, "X-Team");
    cr_assert_str_eq(n->headers[1].value, "data");
    cr_assert_eq(n->timeout_ms, 2000);
    cr_assert_eq(n->interval_ms, 30000);
    cr_assert_eq(n->threshold, EV_ERR);
    cr_assert(n->send_close);
    cr_assert(n->send_once);
    cr_assert_eq(n->repeat_every_ms, 600000);
    cr_assert_str_eq(n->group_allowlist->pattern, "^pay");
    cr_assert_str_eq(n->group_denylist->pattern, "test");
    cr_assert_str_eq(n->template_open, open_path);
    cr_assert_str_eq(n->template_close, close_path);
    cr_assert_eq(n->n_extras, 2);
    cr_assert_str_eq(n->extras[0].key, "team");
    cr_assert_str_eq(n->extras[0].value, "data-platform");
    cr_assert_str_eq(n->extras[1].key, "runbook");
    cr_assert_str_eq(n->secret, "hmac-key");
    cr_assert_eq(n->open_after, 3);
    cr_assert_eq(n->close_after, 2);
    cr_assert_eq(n->max_retries, 0);
    unlink(open_path);
    unlink(close_path);
    mon_config_destroy(cfg);
}

Test(mon_config, notifier_defaults_repeat_every_4h_and_close_after_2) {
    mon_config_t *cfg = load_ok("[notifier n]\n"
                                "url-open = http://127.0.0.1:9/x\n"
                                "interval = 45\n");
    const mon_config_notifier_t *n = mon_config_notifier_at(cfg, 0);
    cr_assert_null(n->url_close);
    cr_assert_str_eq(n->method_open, "POST");
    cr_assert_str_eq(n->method_close, "POST");
    cr_assert_eq(n->n_headers, 0);
    cr_assert_eq(n->timeout_ms, 5000);
    cr_assert_eq(n->interval_ms, 45000);
    cr_assert_eq(n->repeat_every_ms, 4 * 3600 * 1000,
                 "Alertmanager's repeat_interval, not the interval");
    cr_assert_eq(n->threshold, EV_WARN);
    cr_assert_not(n->send_close);
    cr_assert_not(n->send_once);
    cr_assert_null(n->group_allowlist);
    cr_assert_null(n->template_open);
    cr_assert_null(n->template_close);
    cr_assert_eq(n->n_extras, 0);
    cr_assert_null(n->secret);
    cr_assert_eq(n->open_after, 1);
    cr_assert_eq(n->close_after, 2, "one noisy OK does not close");
    cr_assert_eq(n->max_retries, 5);
    /* a file with notifiers but no cluster still runs "local" */
    cr_assert_not_null(mon_config_cluster_find(cfg, "local"));
    mon_config_destroy(cfg);
}

typedef struct thr_case_s {
    char word[8];
    ev_status_t want;
} thr_case_t;

static thr_case_t thr_cases[] = {
    {"WARN", EV_WARN}, {"warn", EV_WARN}, {"2", EV_WARN},
    {"ERR", EV_ERR},   {"3", EV_ERR},
};

ParameterizedTestParameters(mon_config, threshold_accepts_names_and_numbers) {
    return cr_make_param_array(thr_case_t, thr_cases,
                               sizeof(thr_cases) / sizeof(thr_cases[0]));
}

ParameterizedTest(thr_case_t *c, mon_config,
                  threshold_accepts_names_and_numbers) {
    char text[256];
    snprintf(text, sizeof(text),
             "[notifier n]\nurl-open = http://h/\nthreshold = %s\n", c->word);
    mon_config_t *cfg = load_ok(text);
    cr_assert_eq(mon_config_notifier_at(cfg, 0)->threshold, c->want);
    mon_config_destroy(cfg);
}

Test(mon_config, clusters_and_notifiers_iterate_in_file_order) {
    mon_config_t *cfg = load_ok("[notifier n2]\nurl-open = http://a/\n"
                                "[cluster c1]\nsource = embedded\n"
                                "[notifier n1]\nurl-open = http://b/\n"
                                "[cluster c2]\nsource = replay\nfile = f\n"
                                "[cluster c3]\nsource = kafka\n"
                                "servers = h:1\n");
    cr_assert_eq(mon_config_cluster_count(cfg), 3);
    cr_assert_str_eq(mon_config_cluster_at(cfg, 0)->name, "c1");
    cr_assert_str_eq(mon_config_cluster_at(cfg, 1)->name, "c2");
    cr_assert_str_eq(mon_config_cluster_at(cfg, 2)->name, "c3");
    cr_assert_null(mon_config_cluster_at(cfg, 3));
    cr_assert_eq(mon_config_notifier_count(cfg), 2);
    cr_assert_str_eq(mon_config_notifier_at(cfg, 0)->name, "n2");
    cr_assert_str_eq(mon_config_notifier_at(cfg, 1)->name, "n1");
    cr_assert_null(mon_config_notifier_at(cfg, 2));
    cr_assert_null(mon_config_notifier_find(cfg, "n3"));
    /* a cluster and a notifier may share a name */
    mon_config_destroy(cfg);
}

Test(mon_config, indentation_crlf_bom_and_comments_are_handled) {
    mon_config_t *cfg = load_ok("\xEF\xBB\xBF; comment\r\n"
                                "[http]\r\n"
                                "    threads = 3\r\n"
                                "    timeout = 7 ; trailing comment\r\n"
                                "  # another comment\r\n"
                                "[ cluster   spaced ] ; a cluster\r\n"
                                "source: embedded\r\n");
    cr_assert_eq(mon_config_http(cfg)->threads, 3);
    cr_assert_eq(mon_config_http(cfg)->timeout_ms, 7000);
    cr_assert_not_null(mon_config_cluster_find(cfg, "spaced"));
    mon_config_destroy(cfg);
}

Test(mon_config, long_section_names_are_kept_whole) {
    /* inih truncates section names at 49 bytes; names go up to 64 */
    const char *name =
        "a123456789b123456789c123456789d123456789e123456789f123456789g123";
    char text[256];
    snprintf(text, sizeof(text), "[cluster %s]\nsource = embedded\n", name);
    mon_config_t *cfg = load_ok(text);
    cr_assert_str_eq(mon_config_cluster_at(cfg, 0)->name, name);
    mon_config_destroy(cfg);
}

/* ------------------------------------------------------------------ */
/* Value syntax                                                         */
/* ------------------------------------------------------------------ */

typedef struct dur_case_s {
    char text[32];
    int ok;
    long long ms;
} dur_case_t;

static dur_case_t dur_cases[] = {
    {"0", 1, 0},         {"10", 1, 10000},
    {"500ms", 1, 500},   {"10s", 1, 10000},
    {"5m", 1, 300000},   {"2h", 1, 7200000},
    {"1d", 1, 86400000}, {"3650d", 1, 315360000000LL},
    {"3651d", 0, 0},     {"", 0, 0},
    {"s", 0, 0},         {"10x", 0, 0},
    {"1.5s", 0, 0},      {"-1", 0, 0},
    {"10 s", 0, 0},      {" 10", 0, 0},
    {"10S", 0, 0},       {"99999999999999999999", 0, 0},
};

ParameterizedTestParameters(mon_config, durations_take_unit_suffixes) {
    return cr_make_param_array(dur_case_t, dur_cases,
                               sizeof(dur_cases) / sizeof(dur_cases[0]));
}

ParameterizedTest(dur_case_t *c, mon_config, durations_take_unit_suffixes) {
    int64_t ms = -42;
    int rc = mon_config_parse_duration(c->text, &ms);
    if (c->ok) {
        cr_assert_eq(rc, 0, "'%s' rejected", c->text);
        cr_assert_eq(ms, c->ms, "'%s' -> %lld", c->text, (long long)ms);
    } else {
        cr_assert_eq(rc, -1, "'%s' accepted", c->text);
        cr_assert_eq(ms, -42);
    }
}

typedef struct bool_case_s {
    char text[16];
    int want; /* 1 true, 0 false, -1 invalid */
} bool_case_t;

static bool_case_t bool_cases[] = {
    {"true", 1},  {"TRUE", 1}, {"yes", 1},    {"on", 1},       {"1", 1},
    {"false", 0}, {"No", 0},   {"off", 0},    {"0", 0},        {"", -1},
    {"y", -1},    {"2", -1},   {"truee", -1}, {"enabled", -1},
};

ParameterizedTestParameters(mon_config, booleans_take_six_word_pairs) {
    return cr_make_param_array(bool_case_t, bool_cases,
                               sizeof(bool_cases) / sizeof(bool_cases[0]));
}

ParameterizedTest(bool_case_t *c, mon_config, booleans_take_six_word_pairs) {
    bool b = false;
    int rc = mon_config_parse_bool(c->text, &b);
    if (c->want < 0) {
        cr_assert_eq(rc, -1, "'%s' accepted", c->text);
    } else {
        cr_assert_eq(rc, 0, "'%s' rejected", c->text);
        cr_assert_eq(b, c->want == 1, "'%s'", c->text);
    }
}

Test(mon_config, durations_and_booleans_apply_in_the_file) {
    mon_config_t *cfg = load_ok("[cluster r]\nsource = replay\nfile = f\n"
                                "loop = Off\noffset-refresh = 250ms\n");
    const mon_config_cluster_t *r = mon_config_cluster_at(cfg, 0);
    cr_assert_not(r->loop);
    cr_assert_eq(r->offset_refresh_ms, 250);
    mon_config_destroy(cfg);
}

/* ------------------------------------------------------------------ */
/* Environment expansion                                                */
/* ------------------------------------------------------------------ */

Test(mon_config, env_expands_in_admin_token_headers_extras_and_secret) {
    setenv("WARREN_TEST_A", "tok", 1);
    setenv("WARREN_TEST_EMPTY", "", 1);
    mon_config_t *cfg = load_ok("[http]\n"
                                "admin-token = ${WARREN_TEST_A}-x\n"
                                "[notifier n]\n"
                                "url-open = http://h/\n"
                                "headers = X-A: ${WARREN_TEST_A}\n"
                                "extras.e = [${WARREN_TEST_EMPTY}]\n"
                                "secret = ${WARREN_TEST_A}${WARREN_TEST_A}\n");
    cr_assert_str_eq(mon_config_http(cfg)->admin_token, "tok-x");
    const mon_config_notifier_t *n = mon_config_notifier_at(cfg, 0);
    cr_assert_str_eq(n->headers[0].value, "tok");
    cr_assert_str_eq(n->extras[0].value, "[]");
    cr_assert_str_eq(n->secret, "toktok");
    mon_config_destroy(cfg);
}

Test(mon_config, env_is_not_expanded_in_urls) {
    mon_config_t *cfg = load_ok("[notifier n]\n"
                                "url-open = http://h/${NOT_EXPANDED}\n");
    cr_assert_str_eq(mon_config_notifier_at(cfg, 0)->url_open,
                     "http://h/${NOT_EXPANDED}");
    mon_config_destroy(cfg);
}

/* ------------------------------------------------------------------ */
/* Errors: one line, exact FILE:LINE prefix                              */
/* ------------------------------------------------------------------ */

/* Arrays, not pointers: Criterion may run each case in a fresh process
 * where pointers into the parent's data would not be valid. */
typedef struct err_case_s {
    char text[256];
    char want[320]; /* exact message */
} err_case_t;

static err_case_t err_cases[] = {
    /* structure */
    {"[foo]\n", "t.ini:1: [foo]: unknown section (expected general, http, "
                "broker, storage, evaluator, metrics, cluster NAME or notifier "
                "NAME)"},
    {"threads = 2\n[http]\n",
     "t.ini:1: key 'threads' comes before any [section]"},
    {"[http]\nthreads 2\n", "t.ini:2: syntax error: expected 'key = value', "
                            "'[section]' or a comment"},
    {"[http]\nnot a pair\nbogus = 1\n",
     "t.ini:2: syntax error: expected 'key = value', '[section]' or a "
     "comment"},
    {"\n[http\n", "t.ini:2: section header without ']'"},
    {"[http] x\n", "t.ini:1: text after ']' in a section header"},
    {"[general]\n[http]\n[general]\n",
     "t.ini:3: [general]: duplicate section (first at line 1)"},
    {"[general x]\n", "t.ini:1: [general x]: [general] takes no name"},
    {"[cluster]\n", "t.ini:1: [cluster]: missing name: [cluster NAME]"},
    {"[cluster a/b]\n", "t.ini:1: [cluster a/b]: bad name 'a/b' (1-64 of "
                        "A-Z a-z 0-9 . _ -)"},
    /* 65 characters */
    {"[cluster a123456789b123456789c123456789d123456789e123456789f123456789"
     "g1234]\n",
     "t.ini:1: [cluster a123456789b123456789c123456789d123456789e123456789"
     "f123456789g1234]: bad name 'a123456789b123456789c123456789d123456789e"
     "123456789f123456789g1234' (1-64 of A-Z a-z 0-9 . _ -)"},
    {"[cluster a]\nsource=embedded\n\n[cluster a]\n",
     "t.ini:4: [cluster a]: duplicate section (first at line 1)"},
    {"[notifier n]\nurl-open=http://h/\n[notifier n]\n",
     "t.ini:3: [notifier n]: duplicate section (first at line 1)"},
    {"[general]\nbogus = 1\n", "t.ini:2: [general] bogus: unknown key"},
    {"[cluster c]\nsource = kafka\nservers = h:1\nkafka = x\n",
     "t.ini:4: [cluster c] kafka: unknown key"},
    {"[notifier n]\nurl-open = http://h/\nextras = x\n",
     "t.ini:3: [notifier n] extras: unknown key"},
    {"[http]\nthreads = 2\n\nthreads = 3\n",
     "t.ini:4: [http] threads: duplicate key (first set at line 2)"},
    {"[http]\n  threads = 2\n  threads = 3\n",
     "t.ini:3: [http] threads: duplicate key (first set at line 2)"},
    {"[general]\ndata-dir =\n", "t.ini:2: [general] data-dir: empty value"},
    {"[general]\n= 1\n", "t.ini:2: [general]: missing key name before '='"},
    /* bad values */
    {"[general]\nlog-format = xml\n",
     "t.ini:2: [general] log-format: 'xml' is not text or json"},
    {"[general]\nlog-level = fatal\n",
     "t.ini:2: [general] log-level: 'fatal' is not debug, info, warn or "
     "error"},
    {"[general]\nsnapshot-interval = 10x\n",
     "t.ini:2: [general] snapshot-interval: bad duration '10x' (an integer "
     "of seconds, or with ms, s, m, h or d; at most 3650d)"},
    {"[general]\nsnapshot-interval = 0\n",
     "t.ini:2: [general] snapshot-interval: must be greater than 0"},
    {"[general]\ndashboard-url = ftp://x/\n",
     "t.ini:2: [general] dashboard-url: 'ftp://x/' must start with http:// "
     "or https://"},
    {"[http]\nlisten = localhost:80\n",
     "t.ini:2: [http] listen: 'localhost:80': address must be a numeric "
     "IPv4 address or [IPv6] (0.0.0.0 for all interfaces)"},
    {"[http]\nlisten = 127.0.0.1:65536\n",
     "t.ini:2: [http] listen: '127.0.0.1:65536': port must be 0..65535"},
    {"[http]\nlisten = ::1:80\n",
     "t.ini:2: [http] listen: '::1:80': write an IPv6 address in brackets, "
     "e.g. [::1]:8000"},
    {"[http]\nlisten = 8000\n", "t.ini:2: [http] listen: '8000' has no :PORT"},
    {"[http]\nthreads = two\n",
     "t.ini:2: [http] threads: 'two' is not an integer"},
    {"[http]\nthreads = 0\n",
     "t.ini:2: [http] threads: 0 is out of range 1..256"},
    {"[http]\nmax-body = -5\n",
     "t.ini:2: [http] max-body: -5 is out of range 1..1073741824"},
    {"[http]\nadmin-token = a b\n",
     "t.ini:2: [http] admin-token: must not contain spaces or control "
     "characters"},
    {"[storage]\nintervals = 1001\n",
     "t.ini:2: [storage] intervals: 1001 is out of range 1..1000"},
    {"[storage]\ngroup-denylist = (unclosed\n",
     "t.ini:2: [storage] group-denylist: bad regex '(unclosed': Unmatched ( "
     "or \\("},
    {"[evaluator]\nminimum-complete = 1.5\n",
     "t.ini:2: [evaluator] minimum-complete: 1.5 must be between 0 and 1"},
    {"[evaluator]\nallowed-lag = -1\n",
     "t.ini:2: [evaluator] allowed-lag: -1 is out of range "
     "0..9223372036854775807"},
    {"[cluster c]\nsource = zookeeper\n",
     "t.ini:2: [cluster c] source: 'zookeeper' is not embedded, replay or "
     "kafka"},
    {"[cluster c]\nsource = replay\nfile = f\nspeed = 0\n",
     "t.ini:4: [cluster c] speed: 0 must be above 0 and at most 1e+06"},
    {"[cluster c]\nsource = replay\nfile = f\nloop = maybe\n",
     "t.ini:4: [cluster c] loop: 'maybe' is not a boolean (true/false, "
     "yes/no, on/off, 1/0)"},
    {"[cluster c]\nsource = kafka\nservers = a:1,,b:2\n",
     "t.ini:3: [cluster c] servers: '' is not host:port (port 1..65535)"},
    {"[cluster c]\nsource = kafka\nservers = broker\n",
     "t.ini:3: [cluster c] servers: 'broker' is not host:port (port "
     "1..65535)"},
    {"[cluster c]\nsource = kafka\nservers = h:1\noffsets = zk\n",
     "t.ini:4: [cluster c] offsets: 'zk' is not admin or offsets-topic"},
    {"[cluster c]\nsource = kafka\nservers = h:1\ngroups = a,,b\n",
     "t.ini:4: [cluster c] groups: empty group name in the list"},
    {"[cluster c]\nsource = kafka\nservers = h:1\nkafka.bootstrap.servers"
     " = h:2\n",
     "t.ini:4: [cluster c] kafka.bootstrap.servers: set the brokers with "
     "'servers'"},
    {"[cluster c]\nsource = kafka\nservers = h:1\nkafka.a/b = 1\n",
     "t.ini:4: [cluster c] kafka.a/b: bad librdkafka property name 'a/b'"},
    {"[cluster c]\nsource = kafka\nservers = h:1\n"
     "kafka.sasl.password = ${WARREN_TEST_UNSET_VARIABLE}\n",
     "t.ini:4: [cluster c] kafka.sasl.password: environment variable "
     "WARREN_TEST_UNSET_VARIABLE is not set"},
    {"[cluster c]\nsource = kafka\nservers = h:1\nkafka.x = ${OPEN\n",
     "t.ini:4: [cluster c] kafka.x: unterminated '${' (write $${ for a "
     "literal)"},
    {"[cluster c]\nsource = kafka\nservers = h:1\nkafka.x = ${1A}\n",
     "t.ini:4: [cluster c] kafka.x: bad environment variable name '1A'"},
    {"[notifier n]\nurl-open = hooks.example/x\n",
     "t.ini:2: [notifier n] url-open: 'hooks.example/x' must start with "
     "http:// or https://"},
    {"[notifier n]\nurl-open = http://h/\nmethod-open = FETCH\n",
     "t.ini:3: [notifier n] method-open: 'FETCH' is not one of GET, POST, "
     "PUT, PATCH, DELETE"},
    {"[notifier n]\nurl-open = http://h/\nthreshold = 1\n",
     "t.ini:3: [notifier n] threshold: '1' is not WARN, ERR, 2 or 3"},
    {"[notifier n]\nurl-open = http://h/\nheaders = NoColon\n",
     "t.ini:3: [notifier n] headers: header 'NoColon' has no ':' (write "
     "Name: value)"},
    {"[notifier n]\nurl-open = http://h/\nheaders = Bad Name: v\n",
     "t.ini:3: [notifier n] headers: bad header name 'Bad Name'"},
    {"[notifier n]\nurl-open = http://h/\nheaders = X-A:\n",
     "t.ini:3: [notifier n] headers: header 'X-A' has no value"},
    {"[notifier n]\nurl-open = http://h/\nheaders = X-Warren-Delivery: 1\n",
     "t.ini:3: [notifier n] headers: header 'X-Warren-Delivery' is set by "
     "Warren"},
    {"[notifier n]\nurl-open = http://h/\nheaders = A: 1 ; B: 2\n",
     "t.ini:3: [notifier n] headers: ' ;' starts a comment; separate "
     "headers with ';' and no space before it"},
    {"[notifier n]\nurl-open = http://h/\ntemplate-open = "
     "/nonexistent/warren/t.mustache\n",
     "t.ini:3: [notifier n] template-open: cannot read "
     "'/nonexistent/warren/t.mustache': No such file or directory"},
    {"[notifier n]\nurl-open = http://h/\ntemplate-close = /\n",
     "t.ini:3: [notifier n] template-close: '/' is not a regular file"},
    {"[notifier n]\nurl-open = http://h/\nmax-retries = 21\n",
     "t.ini:3: [notifier n] max-retries: 21 is out of range 0..20"},
    {"[notifier n]\nurl-open = http://h/\nopen-after = 0\n",
     "t.ini:3: [notifier n] open-after: 0 is out of range 1..1000000"},
    {"[notifier n]\nurl-open = http://h/\nclose-after = x\n",
     "t.ini:3: [notifier n] close-after: 'x' is not an integer"},
    {"[notifier n]\nurl-open = http://h/\nextras.a.b = 1\n",
     "t.ini:3: [notifier n] extras.a.b: extras name 'a.b' must be letters, "
     "digits, _ or -"},
    {"[notifier n]\nurl-open = http://h/\nsecret = ${WARREN_TEST_EMPTY2}\n",
     "t.ini:3: [notifier n] secret: environment variable "
     "WARREN_TEST_EMPTY2 is not set"},
    /* whole-section checks name the section's line */
    {"[general]\n\n[cluster c]\noffset-refresh = 5\n",
     "t.ini:3: [cluster c]: missing required key 'source' (embedded, "
     "replay or kafka)"},
    {"[cluster c]\nsource = kafka\n",
     "t.ini:1: [cluster c]: missing required key 'servers' (source = "
     "kafka)"},
    {"[cluster c]\nsource = replay\nloop = true\n",
     "t.ini:1: [cluster c]: missing required key 'file' (source = replay)"},
    {"[notifier n]\nsend-close = true\n",
     "t.ini:1: [notifier n]: missing required key 'url-open'"},
    {"[notifier n]\nurl-open = http://h/\nsend-close = true\n",
     "t.ini:1: [notifier n]: missing required key 'url-close' (send-close "
     "is true)"},
    {"[cluster c]\nsource = embedded\nfile = x.jsonl\n",
     "t.ini:3: [cluster c] file: only valid with source = replay (this "
     "cluster's source is embedded)"},
    {"[cluster c]\nservers = h:1\nsource = replay\nfile = f\n",
     "t.ini:2: [cluster c] servers: only valid with source = kafka (this "
     "cluster's source is replay)"},
    {"[cluster c]\nsource = kafka\nservers = h:1\ndata-dir = d\n",
     "t.ini:4: [cluster c] data-dir: only valid with source = embedded "
     "(this cluster's source is kafka)"},
    {"[cluster a]\nsource = embedded\n[cluster b]\nsource = embedded\n",
     "t.ini:3: [cluster b] data-dir: './warren-data/broker' is also the "
     "broker directory of cluster 'a'; give each embedded cluster its own "
     "data-dir"},
    {"[cluster a]\nsource = embedded\ndata-dir = x\n[cluster b]\n"
     "source = embedded\ndata-dir = x\n",
     "t.ini:6: [cluster b] data-dir: 'x' is also the broker directory of "
     "cluster 'a'; give each embedded cluster its own data-dir"},
};

ParameterizedTestParameters(mon_config, errors_name_file_line_section_key) {
    return cr_make_param_array(err_case_t, err_cases,
                               sizeof(err_cases) / sizeof(err_cases[0]));
}

ParameterizedTest(err_case_t *c, mon_config,
                  errors_name_file_line_section_key) {
    unsetenv("WARREN_TEST_UNSET_VARIABLE");
    unsetenv("WARREN_TEST_EMPTY2");
    mon_config_t *cfg = load(c->text);
    cr_assert_null(cfg, "accepted: %s", c->text);
    cr_assert_str_eq(err, c->want);
    cr_assert_null(strchr(err, '\n'));
}

Test(mon_config, over_long_line_is_an_error_not_a_split) {
    char text[512];
    char pad[300];
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(text, sizeof(text), "[general]\nname = %s\n", pad);
    cr_assert_null(load(text));
    cr_assert_str_eq(err, "t.ini:2: line too long (306 bytes, at most 199)");
}

Test(mon_config, nul_byte_is_an_error) {
    const char *path = temp_file("[http]\nthreads = 2\n");
    FILE *f = fopen(path, "ab");
    fwrite("x\0y = 1\n", 1, 8, f);
    fclose(f);
    cr_assert_null(mon_config_load_file(path, err, sizeof(err)));
    char want[128];
    snprintf(want, sizeof(want), "%s:3: NUL byte in the line", path);
    cr_assert_str_eq(err, want);
    unlink(path);
}

Test(mon_config, missing_file_names_the_file) {
    cr_assert_null(
        mon_config_load_file("no/such/warren.ini", err, sizeof(err)));
    cr_assert_str_eq(err, "no/such/warren.ini: cannot open: No such file or "
                          "directory");
}

Test(mon_config, file_errors_carry_the_path) {
    const char *path = temp_file("[http]\n\nthreads = many\n");
    cr_assert_null(mon_config_load_file(path, err, sizeof(err)));
    char want[256];
    snprintf(want, sizeof(want),
             "%s:3: [http] threads: 'many' is not an integer", path);
    cr_assert_str_eq(err, want);
    unlink(path);
}

Test(mon_config, tiny_errstr_is_truncated_not_overrun) {
    char small[12];
    memset(small, '#', sizeof(small));
    cr_assert_null(
        mon_config_load_string("[nope]\n", "t.ini", small, sizeof(small)));
    cr_assert_str_eq(small, "t.ini:1: [n");
}

/* ------------------------------------------------------------------ */
/* Command-line overrides                                               */
/* ------------------------------------------------------------------ */

Test(mon_config, override_sets_listen_and_data_dir_and_what_follows) {
    mon_config_t *cfg = load_ok("[cluster a]\nsource = embedded\n"
                                "[cluster b]\nsource = embedded\n"
                                "data-dir = /fixed\n");
    cr_assert_eq(
        mon_config_override(cfg, "[::]:0", "/tmp/wd", err, sizeof(err)), 0,
        "%s", err);
    const mon_config_http_t *h = mon_config_http(cfg);
    cr_assert_str_eq(h->listen, "[::]:0");
    cr_assert_str_eq(h->listen_host, "::");
    cr_assert_eq(h->listen_port, 0);
    cr_assert_eq(h->listen_family, AF_INET6);
    cr_assert_str_eq(mon_config_general(cfg)->data_dir, "/tmp/wd");
    cr_assert_str_eq(mon_config_cluster_find(cfg, "a")->data_dir,
                     "/tmp/wd/broker");
    cr_assert_str_eq(mon_config_cluster_find(cfg, "b")->data_dir, "/fixed");
    mon_config_set_bound_port(cfg, 43210);
    char host[256] = "", want[300];
    gethostname(host, sizeof(host));
    snprintf(want, sizeof(want), "http://%s:43210/", host);
    cr_assert_str_eq(mon_config_general(cfg)->dashboard_url, want);
    mon_config_destroy(cfg);
}

Test(mon_config, override_with_null_keeps_values) {
    mon_config_t *cfg = mon_config_new_default();
    cr_assert_eq(mon_config_override(cfg, NULL, NULL, err, sizeof(err)), 0);
    assert_defaults(cfg);
    mon_config_destroy(cfg);
}

Test(mon_config, override_keeps_an_explicit_dashboard_url) {
    mon_config_t *cfg =
        load_ok("[general]\ndashboard-url = https://dash.example/\n");
    cr_assert_eq(
        mon_config_override(cfg, "127.0.0.1:9999", NULL, err, sizeof(err)), 0);
    cr_assert_str_eq(mon_config_general(cfg)->dashboard_url,
                     "https://dash.example/");
    cr_assert_eq(mon_config_http(cfg)->listen_port, 9999);
    mon_config_destroy(cfg);
}

Test(mon_config, bad_override_reports_option_and_changes_nothing) {
    mon_config_t *cfg = mon_config_new_default();
    cr_assert_eq(
        mon_config_override(cfg, "localhost:1", "/x", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "--listen: 'localhost:1': address must be a "
                          "numeric IPv4 address or [IPv6] (0.0.0.0 for all "
                          "interfaces)");
    assert_defaults(cfg);
    cr_assert_eq(mon_config_override(cfg, NULL, "", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "--data-dir: empty path");
    assert_defaults(cfg);
    mon_config_destroy(cfg);
}

Test(mon_config, override_refuses_data_dir_that_makes_brokers_collide) {
    mon_config_t *cfg = load_ok("[cluster a]\nsource = embedded\n"
                                "data-dir = /w/broker\n"
                                "[cluster b]\nsource = embedded\n");
    cr_assert_eq(mon_config_override(cfg, NULL, "/w", err, sizeof(err)), -1);
    cr_assert_str_eq(err, "--data-dir: cluster 'b' would share its broker "
                          "directory '/w/broker' with cluster 'a'");
    cr_assert_str_eq(mon_config_general(cfg)->data_dir, "./warren-data");
    cr_assert_str_eq(mon_config_cluster_find(cfg, "b")->data_dir,
                     "./warren-data/broker");
    mon_config_destroy(cfg);
}

/* ------------------------------------------------------------------ */
/* Samples                                                              */
/* ------------------------------------------------------------------ */

Test(mon_config, sample_warren_ini_loads_as_shipped) {
    mon_config_t *cfg =
        mon_config_load_file("samples/warren.ini", err, sizeof(err));
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_str_eq(mon_config_path(cfg), "samples/warren.ini");
    cr_assert_eq(mon_config_cluster_count(cfg), 1);
    const mon_config_cluster_t *cl = mon_config_cluster_at(cfg, 0);
    cr_assert_str_eq(cl->name, "local");
    cr_assert_eq(cl->source, MON_CONFIG_SOURCE_EMBEDDED);
    cr_assert_eq(mon_config_notifier_count(cfg), 0);
    mon_config_destroy(cfg);
}

Test(mon_config, sample_replay_ini_loads_a_looping_replay_cluster) {
    mon_config_t *cfg =
        mon_config_load_file("samples/warren-replay.ini", err, sizeof(err));
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_eq(mon_config_cluster_count(cfg), 1);
    const mon_config_cluster_t *cl = mon_config_cluster_at(cfg, 0);
    cr_assert_eq(cl->source, MON_CONFIG_SOURCE_REPLAY);
    cr_assert_str_eq(cl->file, "samples/stalled.jsonl");
    cr_assert(cl->loop);
    cr_assert_float_eq(cl->speed, 1.0, 1e-12);
    mon_config_destroy(cfg);
}

/* Uncomments "; key = value", ";key = value" and ";[section]" lines of
 * the sample (not the indented ";   key" examples). */
static char *uncomment(const char *text) {
    size_t n = strlen(text);
    char *out = calloc(1, n + 1);
    char *o = out;
    const char *line = text;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
        const char *start = line;
        if (line[0] == ';') {
            const char *q = line + 1;
            if (*q == ' ') q++;
            bool key = (*q >= 'a' && *q <= 'z');
            const char *eq = strstr(q, " =");
            bool pair = key && eq && (!nl || eq < nl);
            for (const char *c = q; pair && c < eq; c++)
                pair = (*c >= 'a' && *c <= 'z') || *c == '-' || *c == '.';
            if (line[1] == '[' || pair) start = q;
        }
        size_t keep = len - (size_t)(start - line);
        memcpy(o, start, keep);
        o += keep;
        line += len;
    }
    return out;
}

/* Every key the loader knows, by section kind. */
static const char *all_keys[] = {
    "general:log-format",
    "general:log-level",
    "general:data-dir",
    "general:snapshot-interval",
    "general:access-control-allow-origin",
    "general:dashboard-url",
    "general:history-retention",
    "general:name",
    "broker:listen",
    "broker:advertised",
    "broker:cluster",
    "broker:num-partitions",
    "broker:auto-create-topics",
    "http:listen",
    "http:admin-token",
    "http:max-body",
    "http:max-url",
    "http:max-header",
    "http:timeout",
    "http:threads",
    "storage:intervals",
    "storage:min-distance",
    "storage:expire-group",
    "storage:group-allowlist",
    "storage:group-denylist",
    "evaluator:expire-cache",
    "evaluator:allowed-lag",
    "evaluator:minimum-complete",
    "cluster:source",
    "cluster:offset-refresh",
    "cluster:topic-refresh",
    "cluster:data-dir",
    "cluster:file",
    "cluster:speed",
    "cluster:loop",
    "cluster:servers",
    "cluster:offsets",
    "cluster:kafka-client",
    "cluster:groups",
    "cluster:group-allowlist",
    "cluster:group-denylist",
    "cluster:topic-allowlist",
    "cluster:topic-denylist",
    "cluster:internal-topics",
    "cluster:kafka.",
    "notifier:url-open",
    "notifier:url-close",
    "notifier:method-open",
    "notifier:method-close",
    "notifier:headers",
    "notifier:timeout",
    "notifier:interval",
    "notifier:threshold",
    "notifier:send-close",
    "notifier:send-once",
    "notifier:repeat-every",
    "notifier:group-allowlist",
    "notifier:group-denylist",
    "notifier:template-open",
    "notifier:template-close",
    "notifier:extras.",
    "notifier:secret",
    "notifier:open-after",
    "notifier:close-after",
    "notifier:max-retries",
};

Test(mon_config, sample_documents_every_key_with_a_valid_value) {
    char *text = read_all("samples/warren.ini");
    char *all = uncomment(text);
    /* the replay keys are shown indented in [cluster local]; document
     * check below covers them */
    setenv("KAFKA_PASSWORD", "x", 1);
    setenv("HOOK_TOKEN", "x", 1);
    setenv("WARREN_WEBHOOK_SECRET", "x", 1);
    mon_config_t *cfg =
        mon_config_load_string(all, "uncommented", err, sizeof(err));
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_not_null(mon_config_cluster_find(cfg, "production"));
    cr_assert_not_null(mon_config_notifier_find(cfg, "ops"));
    mon_config_destroy(cfg);

    for (size_t i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++) {
        const char *key = strchr(all_keys[i], ':') + 1;
        /* "\nkey =" in the uncommented text, or an indented example */
        char a[96], b[96];
        bool prefix = key[strlen(key) - 1] == '.';
        snprintf(a, sizeof(a), "\n%s%s", key, prefix ? "" : " =");
        snprintf(b, sizeof(b), ";   %s%s", key, prefix ? "" : " =");
        cr_expect(strstr(all, a) || strstr(text, b),
                  "samples/warren.ini does not document %s", all_keys[i]);
    }
    free(all);
    free(text);
}

Test(mon_config, documented_keys_are_all_accepted) {
    /* each key of the table is known to the loader in its section */
    for (size_t i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++) {
        char sect[32], key[64], text[256];
        const char *colon = strchr(all_keys[i], ':');
        snprintf(sect, sizeof(sect), "%.*s", (int)(colon - all_keys[i]),
                 all_keys[i]);
        snprintf(key, sizeof(key), "%s%s", colon + 1,
                 colon[strlen(colon) - 1] == '.' ? "x" : "");
        const char *head = !strcmp(sect, "cluster")    ? "cluster c"
                           : !strcmp(sect, "notifier") ? "notifier n"
                                                       : sect;
        /* a deliberately bad value: the error must not be "unknown key" */
        snprintf(text, sizeof(text),
                 "[%s]\n%s = \x01"
                 "bad\n",
                 head, key);
        mon_config_t *cfg = load(text);
        if (cfg) {
            mon_config_destroy(cfg);
            continue;
        }
        cr_expect_null(strstr(err, "unknown key"), "%s", err);
    }
}

/* Regexes are bounded before regcomp: stacked quantifiers and nested
 * counts build automata of gigabytes ((a{1,100}){1,100}){1,100} took a
 * multi-GB regcomp) and are refused with the line and why. */
Test(mon_config, regexes_with_stacked_quantifiers_are_refused) {
    static const char *const bad[] = {
        "(a+)+",
        "(a*)*",
        "^(x|y+)*$",
        "a**",
        "a+{2}",
        "(a{2}){3}",
        "((a{1,100}){1,100}){1,100}",
        "a{1000}",
        "x{1,300}",
    };
    char text[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "[storage]\ngroup-allowlist = %s\n",
                 bad[i]);
        mon_config_t *cfg = load(text);
        cr_assert_null(cfg, "%s accepted", bad[i]);
        cr_assert(strstr(err, "t.ini:2: [storage] group-allowlist:") &&
                      strstr(err, "refused"),
                  "%s: %s", bad[i], err);
    }
    static const char *const good[] = {
        "^app-",
        "^(console-consumer-|python-kafka-consumer-|quick-).*$",
        "(foo-[0-9]+)?",
        "[a-z]{1,50}",
        "(a|b)*",
        "^[[:alnum:]._-]+$",
        "\\(x+\\)+",
        "[(]a+[)]+",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        snprintf(text, sizeof(text), "[storage]\ngroup-allowlist = %s\n",
                 good[i]);
        mon_config_t *cfg = load(text);
        cr_assert_not_null(cfg, "%s refused: %s", good[i], err);
        mon_config_destroy(cfg);
    }
}

Test(mon_config, broker_listener_defaults_and_keys) {
    mon_config_t *cfg = load_ok("[cluster local]\nsource = embedded\n");
    const mon_config_broker_t *b = mon_config_broker(cfg);
    cr_assert_str_eq(b->listen, "127.0.0.1:9092");
    cr_assert_null(b->advertised);
    cr_assert_null(b->cluster);
    cr_assert_eq(b->num_partitions, 1);
    cr_assert(b->auto_create);
    mon_config_destroy(cfg);
    cfg = load_ok("[broker]\nlisten = 0.0.0.0:19092\nadvertised = "
                  "10.0.0.5:19092\ncluster = local\nnum-partitions = 6\n"
                  "auto-create-topics = false\n[cluster local]\n"
                  "source = embedded\n");
    b = mon_config_broker(cfg);
    cr_assert_str_eq(b->listen, "0.0.0.0:19092");
    cr_assert_str_eq(b->advertised, "10.0.0.5:19092");
    cr_assert_str_eq(b->cluster, "local");
    cr_assert_eq(b->num_partitions, 6);
    cr_assert_not(b->auto_create);
    mon_config_destroy(cfg);
    cfg = load_ok("[broker]\nlisten = none\n");
    cr_assert_str_eq(mon_config_broker(cfg)->listen, "none");
    mon_config_destroy(cfg);
}

Test(mon_config, broker_bad_values_name_the_line) {
    cr_assert_null(load("[broker]\nlisten = kafka:9092\n"));
    cr_assert(strstr(err, ":2: [broker] listen:"), "%s", err);
    cr_assert_null(load("[broker]\nnum-partitions = 0\n"));
    cr_assert(strstr(err, ":2: [broker] num-partitions:"), "%s", err);
    cr_assert_null(load("[broker]\nport = 9092\n"));
    cr_assert(strstr(err, "unknown key"), "%s", err);
    cr_assert_null(load("[broker extra]\n"));
    cr_assert(strstr(err, "takes no name"), "%s", err);
}
