/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests for the /v3/kafka routes and /metrics: a real
 * api_server over a real store filled with Burrow's fixtures
 * (intervals 10, head 4321, commits every 10 s), evaluated at a fixed
 * clock so bodies are exact, queried over HTTP with libcurl.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <curl/curl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/routes/api_metrics.h"
#include "http/routes/api_routes_kafka.h"
#include "http/server/api_json.h"
#include "http/server/api_server.h"
#include "monitor/base/mon_log.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_store.h"
#include "tests/integration/json_keys.h"

#define NOW 1700000100000LL
#define T0 1700000000000LL

static api_server_t *srv;
static api_routes_kafka_t *rk;
static api_metrics_t *met;
static mon_query_t *query;
static mon_store_t *store;
static mon_history_t *hist;
static mon_config_t *config;
static int port;

static int64_t fixed_clock(void *arg, const char *cluster, int64_t wall_ms) {
    (void)arg;
    (void)cluster;
    (void)wall_ms;
    return NOW;
}

static void fill_store(void) {
    mon_store_config_t sc;
    char err[256];
    mon_store_cluster_t *cl;

    mon_store_config_default(&sc);
    store = mon_store_new(&sc, err, sizeof(err));
    cr_assert_not_null(store, "%s", err);
    cl = mon_store_cluster(store, "local");
    cr_assert_eq(mon_store_head(cl, "testtopic", 0, 1, 4321, T0 - 10000),
                 MON_STORE_STORED);
    /* testgroup2: five commits 1000..1400, last one 60 s before NOW */
    for (int i = 0; i < 5; i++)
        cr_assert_eq(mon_store_commit(cl, "testgroup2", "testtopic", 0,
                                      1000 + i * 100, T0 + i * 10000, NULL,
                                      NULL),
                     MON_STORE_STORED);
    /* testgroup: full ring 1000..1900, last one 10 s before NOW */
    for (int i = 0; i < 10; i++)
        cr_assert_eq(mon_store_commit(cl, "testgroup", "testtopic", 0,
                                      1000 + i * 100, T0 + i * 10000,
                                      "testhost.example.com", "test_client_id"),
                     MON_STORE_STORED);
}

static void setup(void) {
    api_config_t cfg;
    char err[256] = "";

    curl_global_init(CURL_GLOBAL_DEFAULT);
    mon_log_set_level(MON_LOG_ERROR);
    fill_store();
    hist = mon_history_new(86400000LL, 60000, 7 * 86400000LL);
    /* Burrow's families are tested here too: they are off by default */
    config = mon_config_load_string("[metrics]\nburrow = true\n", "<test>", err,
                                    sizeof(err));
    cr_assert_not_null(config, "%s", err);
    mon_query_src_t qs = {.store = store,
                          .history = hist,
                          .config = config,
                          .clock = fixed_clock};
    ev_params_default(&qs.params);
    qs.params.rules = EV_RULES_BURROW; /* the fixtures are Burrow's */
    query = mon_query_new(&qs);
    rk = api_routes_kafka_new(query, 10000);
    met = api_metrics_new(query);

    api_config_default(&cfg);
    cfg.listen = "127.0.0.1:0";
    cfg.hostname = "burrow-host";
    cfg.admin_token = "tok";
    srv = api_server_new(&cfg, err, sizeof(err));
    cr_assert_not_null(srv, "%s", err);
    cr_assert_eq(api_routes_kafka_register(rk, srv, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(api_metrics_register(met, srv, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(api_server_start(srv, err, sizeof(err)), 0, "%s", err);
    port = api_server_port(srv);
}

static void teardown(void) {
    api_server_destroy(srv);
    api_routes_kafka_destroy(rk);
    api_metrics_destroy(met);
    mon_query_destroy(query);
    mon_history_destroy(hist);
    mon_config_destroy(config);
    mon_store_destroy(store);
    curl_global_cleanup();
}

TestSuite(api_kafka, .init = setup, .fini = teardown, .timeout = 30);

/* ---- client ---- */

typedef struct resp_s {
    long status;
    char *body;
    size_t len;
    char ctype[128];
} resp_t;

static size_t on_body(char *p, size_t s, size_t n, void *u) {
    resp_t *r = u;
    r->body = realloc(r->body, r->len + s * n + 1);
    memcpy(r->body + r->len, p, s * n);
    r->len += s * n;
    r->body[r->len] = '\0';
    return s * n;
}

static void http(const char *method, const char *path, resp_t *r) {
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer tok");
    char url[512];
    char *ct = NULL;
    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
    if (!r->body) r->body = calloc(1, 1);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static cJSON *get_json(const char *path, long want_status) {
    resp_t r;
    cJSON *doc;
    http("GET", path, &r);
    cr_assert_eq(r.status, want_status, "%s: %ld %s", path, r.status, r.body);
    cr_assert_str_eq(r.ctype, "application/json");
    doc = cJSON_ParseWithLengthOpts(r.body, r.len + 1, NULL, 1);
    cr_assert_not_null(doc, "%s: not JSON: %s", path, r.body);
    free(r.body);
    return doc;
}

static const char *str_at(cJSON *o, const char *k) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsString(v), "%s is not a string", k);
    return v->valuestring;
}

static double num_at(cJSON *o, const char *k) {
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", k);
    return v->valuedouble;
}

/* ---- Burrow routes ---- */

Test(api_kafka, cluster_list) {
    cJSON *doc = get_json("/v3/kafka", 200);
    char keys[256];
    keys_of(doc, keys, sizeof(keys));
    cr_assert_str_eq(keys, "error,message,clusters,request");
    cr_assert_str_eq(str_at(doc, "message"), "cluster list returned");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "clusters")), 1);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "clusters"), 0)
                         ->valuestring,
                     "local");
    cJSON_Delete(doc);
}

Test(api_kafka, cluster_detail_has_module_shape) {
    cJSON *doc = get_json("/v3/kafka/local", 200);
    cJSON *mod = cJSON_GetObjectItem(doc, "module");
    char keys[256];
    keys_of(mod, keys, sizeof(keys));
    cr_assert_str_eq(keys, "class-name,servers,client-profile,topic-refresh,"
                           "offset-refresh");
    keys_of(cJSON_GetObjectItem(mod, "client-profile"), keys, sizeof(keys));
    cr_assert_str_eq(keys, "name,client-id,kafka-version,tls,sasl");
    cr_assert_str_eq(str_at(mod, "class-name"), "embedded");
    cr_assert_eq(num_at(mod, "offset-refresh"), 10);
    cr_assert_eq(num_at(mod, "topic-refresh"), 60);
    cJSON_Delete(doc);
}

struct nf_case {
    char path[96];
    char message[48];
};

ParameterizedTestParameters(api_kafka, unknown_things_are_404_errors) {
    static struct nf_case params[] = {
        {"/v3/kafka/nope", "cluster module not found"},
        {"/v3/kafka/nope/topic", "cluster not found"},
        {"/v3/kafka/local/topic/nope", "cluster or topic not found"},
        {"/v3/kafka/nope/topic/testtopic/consumers", "cluster not found"},
        {"/v3/kafka/nope/consumer", "cluster not found"},
        {"/v3/kafka/local/consumer/nope", "cluster or consumer not found"},
        {"/v3/kafka/local/consumer/nope/window",
         "cluster or consumer not found"},
        {"/v3/kafka/local/consumer/nope/history",
         "cluster or consumer not found"},
    };
    return cr_make_param_array(struct nf_case, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct nf_case *p, api_kafka, unknown_things_are_404_errors) {
    cJSON *doc = get_json(p->path, 404);
    char keys[128];
    keys_of(doc, keys, sizeof(keys));
    cr_assert_str_eq(keys, "error,message,request");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(doc, "error")));
    cr_assert_str_eq(str_at(doc, "message"), p->message);
    cJSON_Delete(doc);
}

Test(api_kafka, topic_list_offsets_and_consumers) {
    cJSON *doc = get_json("/v3/kafka/local/topic", 200);
    cr_assert_str_eq(str_at(doc, "message"), "topic list returned");
    cr_assert_str_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "topics"), 0)->valuestring,
        "testtopic");
    cJSON_Delete(doc);

    doc = get_json("/v3/kafka/local/topic/testtopic", 200);
    cr_assert_str_eq(str_at(doc, "message"), "topic offsets returned");
    cr_assert_eq(
        cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "offsets"), 0)->valuedouble,
        4321);
    cJSON_Delete(doc);

    doc = get_json("/v3/kafka/local/topic/testtopic/consumers", 200);
    cr_assert_str_eq(str_at(doc, "message"), "consumers of topic returned");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "consumers")), 2);
    cJSON_Delete(doc);
}

Test(api_kafka, consumer_list_is_sorted) {
    cJSON *doc = get_json("/v3/kafka/local/consumer", 200);
    cJSON *arr = cJSON_GetObjectItem(doc, "consumers");
    cr_assert_str_eq(str_at(doc, "message"), "consumer list returned");
    cr_assert_eq(cJSON_GetArraySize(arr), 2);
    cr_assert_str_eq(cJSON_GetArrayItem(arr, 0)->valuestring, "testgroup");
    cr_assert_str_eq(cJSON_GetArrayItem(arr, 1)->valuestring, "testgroup2");
    cJSON_Delete(doc);
}

Test(api_kafka, consumer_detail_pads_with_nulls_and_uses_current_dash_lag) {
    resp_t r;
    http("GET", "/v3/kafka/local/consumer/testgroup2", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(
        r.body,
        "{\"error\":false,\"message\":\"consumer detail returned\","
        "\"topics\":{\"testtopic\":[{\"offsets\":[null,null,null,null,null,"
        "{\"offset\":1000,\"timestamp\":1700000000000,\"observedAt\":"
        "1700000000000,\"lag\":3321},"
        "{\"offset\":1100,\"timestamp\":1700000010000,\"observedAt\":"
        "1700000010000,\"lag\":3221},"
        "{\"offset\":1200,\"timestamp\":1700000020000,\"observedAt\":"
        "1700000020000,\"lag\":3121},"
        "{\"offset\":1300,\"timestamp\":1700000030000,\"observedAt\":"
        "1700000030000,\"lag\":3021},"
        "{\"offset\":1400,\"timestamp\":1700000040000,\"observedAt\":"
        "1700000040000,\"lag\":2921}],"
        "\"owner\":\"\",\"client_id\":\"\",\"current-lag\":2921,"
        "\"consumer_id\":\"\"}]},\"membership\":null,"
        "\"request\":{\"url\":\"/v3/kafka/local/consumer/testgroup2\","
        "\"host\":\"burrow-host\"}}");
    free(r.body);
}

/* The Burrow fields of Burrow's testgroup2 example, in order. */
#define TG2_PART                                                               \
    "{\"topic\":\"testtopic\",\"partition\":0,\"owner\":\"\","                 \
    "\"client_id\":\"\",\"status\":\"STOP\",\"start\":{\"offset\":1000,"       \
    "\"timestamp\":1700000000000,\"observedAt\":1700000000000,"                \
    "\"lag\":3321},\"end\":{\"offset\":1400,\"timestamp\":1700000040000,"      \
    "\"observedAt\":1700000040000,\"lag\":2921},\"current_lag\":2921,"         \
    "\"complete\":0.5,"

Test(api_kafka, status_of_stopped_group_matches_burrow_example) {
    resp_t r;
    const char *want_head =
        "{\"error\":false,\"message\":\"consumer status returned\","
        "\"status\":{\"cluster\":\"local\",\"group\":\"testgroup2\","
        "\"status\":\"ERR\",\"complete\":0,\"partitions\":[" TG2_PART;
    cJSON *doc, *st, *p;
    char keys[512];

    http("GET", "/v3/kafka/local/consumer/testgroup2/status", &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strncmp(r.body, want_head, strlen(want_head)) == 0, "%s", r.body);
    cr_assert(strstr(r.body, "\"maxlag\":" TG2_PART), "%s", r.body);
    doc = cJSON_ParseWithLengthOpts(r.body, r.len + 1, NULL, 1);
    st = cJSON_GetObjectItem(doc, "status");
    keys_of(st, keys, sizeof(keys));
    cr_assert_str_eq(keys, "cluster,group,status,complete,partitions,"
                           "partition_count,maxlag,totallag,label,rules,"
                           "rule,explanation,max_time_lag_s,"
                           "min_retention_eta_s,since,membership,stale");
    cr_assert_str_eq(str_at(st, "rules"), "burrow");
    cr_assert_str_eq(str_at(st, "rule"), "stop");
    cr_assert_eq(num_at(st, "totallag"), 2921);
    cr_assert_eq(num_at(st, "partition_count"), 1);
    p = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "partitions"), 0);
    keys_of(p, keys, sizeof(keys));
    cr_assert_str_eq(keys, "topic,partition,owner,client_id,status,start,"
                           "end,current_lag,complete,label,rule,explanation,"
                           "time_lag_s,time_lag_source,eta_s,"
                           "log_start_offset,retention_margin,"
                           "retention_eta_s,retention_eta_from,retention_ms,"
                           "retention_bytes,data_loss,consumer_id");
    cr_assert_str_eq(str_at(p, "rule"), "stop");
    cr_assert_str_eq(str_at(p, "label"), "stopped");
    cr_assert_gt(strlen(str_at(p, "explanation")), 10);
    cr_assert_str_eq(str_at(st, "explanation"), str_at(p, "explanation"));
    /* No source gives time lag here: unknown is null, not 0. */
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(p, "time_lag_s")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(p, "time_lag_source")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(st, "max_time_lag_s")), "%s",
              r.body);
    cJSON_Delete(doc);
    free(r.body);
}

Test(api_kafka, ok_group_status_lists_no_partitions_and_lag_lists_all) {
    cJSON *doc = get_json("/v3/kafka/local/consumer/testgroup/status", 200);
    cJSON *st = cJSON_GetObjectItem(doc, "status");
    cJSON *maxlag;
    cr_assert_str_eq(str_at(st, "status"), "OK");
    cr_assert_eq(num_at(st, "complete"), 1);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "partitions")), 0);
    maxlag = cJSON_GetObjectItem(st, "maxlag");
    cr_assert_str_eq(str_at(maxlag, "owner"), "testhost.example.com");
    cr_assert_str_eq(str_at(maxlag, "client_id"), "test_client_id");
    cr_assert_eq(num_at(maxlag, "current_lag"), 2421);
    cr_assert_eq(num_at(st, "totallag"), 2421);
    cJSON_Delete(doc);

    doc = get_json("/v3/kafka/local/consumer/testgroup/lag", 200);
    st = cJSON_GetObjectItem(doc, "status");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(st, "partitions")), 1);
    cr_assert_eq(
        num_at(cJSON_GetArrayItem(cJSON_GetObjectItem(st, "partitions"), 0),
               "complete"),
        1);
    cJSON_Delete(doc);
}

Test(api_kafka, unknown_group_status_is_notfound_404_without_error) {
    resp_t r;
    http("GET", "/v3/kafka/local/consumer/nosuch/status", &r);
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(
        r.body,
        "{\"error\":false,\"message\":\"consumer status returned\","
        "\"status\":{\"cluster\":\"local\",\"group\":\"nosuch\","
        "\"status\":\"NOTFOUND\",\"complete\":1,\"partitions\":[],"
        "\"partition_count\":0,\"maxlag\":null,\"totallag\":0,"
        "\"rules\":\"burrow\"},"
        "\"request\":{\"url\":\"/v3/kafka/local/consumer/nosuch/status\","
        "\"host\":\"burrow-host\"}}");
    free(r.body);
}

Test(api_kafka, status_is_cached_until_delete) {
    resp_t a, b;
    mon_store_cluster_t *cl = mon_store_cluster(store, "local");
    http("GET", "/v3/kafka/local/consumer/testgroup2/status", &a);
    /* a new commit changes the evaluation, but the cached body stays */
    cr_assert_geq(mon_store_commit(cl, "testgroup2", "testtopic", 0, 4321,
                                   NOW - 1000, NULL, NULL),
                  0);
    http("GET", "/v3/kafka/local/consumer/testgroup2/status", &b);
    cr_assert_str_eq(a.body, b.body);
    free(a.body);
    free(b.body);
    http("DELETE", "/v3/kafka/local/consumer/testgroup2", &a);
    cr_assert_eq(a.status, 200);
    cr_assert(strstr(a.body, "\"message\":\"consumer group removed\""));
    free(a.body);
    http("GET", "/v3/kafka/local/consumer/testgroup2/status", &b);
    cr_assert_eq(b.status, 404);
    free(b.body);
}

Test(api_kafka, delete_drops_only_that_groups_cached_bodies) {
    resp_t a, b, a2, b2;
    mon_store_cluster_t *cl = mon_store_cluster(store, "local");
    http("GET", "/v3/kafka/local/consumer/testgroup/status", &a);
    http("GET", "/v3/kafka/local/consumer/testgroup/lag", &a2);
    http("GET", "/v3/kafka/local/consumer/testgroup2/status", &b);
    http("GET", "/v3/kafka/local/consumer/testgroup2/lag", &b2);
    /* new commits change both evaluations; the bodies stay cached */
    cr_assert_geq(mon_store_commit(cl, "testgroup", "testtopic", 0, 4321,
                                   NOW - 500, NULL, NULL),
                  0);
    cr_assert_geq(mon_store_commit(cl, "testgroup2", "testtopic", 0, 4321,
                                   NOW - 500, NULL, NULL),
                  0);
    free(b.body);
    http("DELETE", "/v3/kafka/local/consumer/testgroup2", &b);
    cr_assert_eq(b.status, 200);
    free(b.body);
    /* testgroup2's two bodies are gone, testgroup's two still served */
    http("GET", "/v3/kafka/local/consumer/testgroup2/status", &b);
    cr_assert_eq(b.status, 404);
    free(b.body);
    http("GET", "/v3/kafka/local/consumer/testgroup2/lag", &b);
    cr_assert_eq(b.status, 404);
    free(b.body);
    http("GET", "/v3/kafka/local/consumer/testgroup/status", &b);
    cr_assert_str_eq(b.body, a.body);
    free(b.body);
    http("GET", "/v3/kafka/local/consumer/testgroup/lag", &b);
    cr_assert_str_eq(b.body, a2.body);
    free(b.body);
    free(a.body);
    free(a2.body);
    free(b2.body);
}

Test(api_kafka, delete_of_unknown_group_is_still_200) {
    resp_t r;
    http("DELETE", "/v3/kafka/local/consumer/nosuch", &r);
    cr_assert_eq(r.status, 200);
    free(r.body);
}

Test(api_kafka, delete_group_topic_removes_only_that_topic) {
    resp_t r;
    cJSON *doc;
    http("DELETE", "/v3/kafka/local/consumer/testgroup/topic/testtopic", &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "\"message\":\"consumer group removed\""));
    free(r.body);
    doc = get_json("/v3/kafka/local/consumer/testgroup2", 200);
    cJSON_Delete(doc);
}

/* ---- Warren's routes ---- */

Test(api_kafka, window_has_every_entry_and_head) {
    cJSON *doc = get_json("/v3/kafka/local/consumer/testgroup2/window", 200);
    cJSON *win = cJSON_GetObjectItem(doc, "window");
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(win, "partitions"), 0);
    cr_assert_str_eq(str_at(doc, "message"), "consumer window returned");
    cr_assert_eq(num_at(win, "intervals"), 10);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p, "offsets")), 5);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p, "heads")), 1);
    cr_assert_eq(num_at(cJSON_GetArrayItem(cJSON_GetObjectItem(p, "heads"), 0),
                        "offset"),
                 4321);
    cr_assert_eq(num_at(p, "current_lag"), 2921);
    cJSON_Delete(doc);
}

Test(api_kafka, history_returns_samples_since) {
    cJSON *doc, *arr;
    for (int i = 0; i < 3; i++) {
        mon_hsample_t s = {.t = NOW - 3000 + i * 1000,
                           .status = i == 2 ? EV_ERR : EV_OK,
                           .totallag = 10 * i,
                           .maxlag = 5 * i};
        mon_history_add(hist, "local", "testgroup2", &s);
    }
    doc = get_json("/v3/kafka/local/consumer/testgroup2/history?since=0", 200);
    arr = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "history"), "samples");
    cr_assert_eq(cJSON_GetArraySize(arr), 3);
    cr_assert_str_eq(str_at(cJSON_GetArrayItem(arr, 2), "status"), "ERR");
    cJSON_Delete(doc);
    doc = get_json("/v3/kafka/local/consumer/testgroup2/history?since="
                   "1700000098500",
                   200);
    arr = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "history"), "samples");
    cr_assert_eq(cJSON_GetArraySize(arr), 1);
    cJSON_Delete(doc);
    /* the status object now says since when the group is ERR */
    doc = get_json("/v3/kafka/local/consumer/testgroup2/lag", 200);
    cr_assert_eq(num_at(cJSON_GetObjectItem(doc, "status"), "since"),
                 (double)(NOW - 1000));
    cJSON_Delete(doc);
}

Test(api_kafka, history_of_known_group_without_samples_is_empty) {
    cJSON *doc = get_json("/v3/kafka/local/consumer/testgroup/history", 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
                     cJSON_GetObjectItem(doc, "history"), "samples")),
                 0);
    cJSON_Delete(doc);
}

Test(api_kafka, history_rejects_bad_since) {
    const char *bad[] = {"?since=abc", "?since=-5", "?since=", "?since=1e3",
                         "?since=%zz"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[128];
        cJSON *doc;
        snprintf(path, sizeof(path),
                 "/v3/kafka/local/consumer/testgroup/history%s", bad[i]);
        doc = get_json(path, 400);
        cr_assert_str_eq(str_at(doc, "message"), "invalid since");
        cJSON_Delete(doc);
    }
}

/* ---- /metrics ---- */

Test(api_kafka, metrics_lines_are_valid_exposition_format) {
    resp_t r;
    regex_t sample, comment;
    char *line, *save = NULL;
    int samples = 0;
    cr_assert_eq(regcomp(&sample,
                         "^[a-zA-Z_:][a-zA-Z0-9_:]*"
                         "(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
                         "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*"
                         "\\})? -?([0-9]+(\\.[0-9]+)?(e[-+][0-9]+)?|NaN)$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regcomp(&comment,
                         "^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+|TYPE "
                         "[a-zA-Z_:][a-zA-Z0-9_:]* (gauge|counter))$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    http("GET", "/metrics", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.ctype, "text/plain; version=0.0.4; charset=utf-8");
    for (line = strtok_r(r.body, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#') {
            cr_assert_eq(regexec(&comment, line, 0, NULL, 0), 0, "bad: %s",
                         line);
        } else {
            cr_assert_eq(regexec(&sample, line, 0, NULL, 0), 0, "bad: %s",
                         line);
            samples++;
        }
    }
    cr_assert_gt(samples, 10);
    regfree(&sample);
    regfree(&comment);
    free(r.body);
}

struct metric_case {
    char line[200];
};

ParameterizedTestParameters(api_kafka, metrics_have_burrow_and_kle_series) {
    static struct metric_case params[] = {
        {"burrow_kafka_consumer_status{cluster=\"local\",consumer_group="
         "\"testgroup2\"} 3\n"},
        {"burrow_kafka_consumer_status{cluster=\"local\",consumer_group="
         "\"testgroup\"} 1\n"},
        {"burrow_kafka_consumer_lag_total{cluster=\"local\",consumer_group="
         "\"testgroup2\"} 2921\n"},
        {"burrow_kafka_consumer_partition_lag{cluster=\"local\","
         "consumer_group=\"testgroup\",topic=\"testtopic\",partition=\"0\"} "
         "2421\n"},
        {"burrow_kafka_consumer_current_offset{cluster=\"local\","
         "consumer_group=\"testgroup\",topic=\"testtopic\",partition=\"0\"} "
         "1900\n"},
        {"burrow_kafka_topic_partition_status{cluster=\"local\","
         "consumer_group=\"testgroup\",topic=\"testtopic\",partition=\"0\"} "
         "1\n"},
        {"burrow_kafka_topic_partition_offset{cluster=\"local\",topic="
         "\"testtopic\",partition=\"0\"} 4321\n"},
        {"kafka_consumergroup_group_lag{cluster_name=\"local\",group="
         "\"testgroup\",topic=\"testtopic\",partition=\"0\",member_host="
         "\"testhost.example.com\",consumer_id=\"\",client_id="
         "\"test_client_id\"} 2421\n"},
        {"kafka_consumergroup_group_max_lag{cluster_name=\"local\",group="
         "\"testgroup2\"} 2921\n"},
        {"kafka_consumergroup_group_sum_lag{cluster_name=\"local\",group="
         "\"testgroup\"} 2421\n"},
        {"# TYPE kafka_consumergroup_group_lag_seconds gauge\n"},
    };
    return cr_make_param_array(struct metric_case, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct metric_case *p, api_kafka,
                  metrics_have_burrow_and_kle_series) {
    resp_t r;
    http("GET", "/metrics", &r);
    cr_assert(strstr(r.body, p->line), "missing: %s", p->line);
    free(r.body);
}

Test(api_kafka, metrics_skip_current_offset_of_incomplete_windows) {
    resp_t r;
    http("GET", "/metrics", &r);
    cr_assert_null(strstr(r.body, "burrow_kafka_consumer_current_offset{"
                                  "cluster=\"local\",consumer_group="
                                  "\"testgroup2\""));
    free(r.body);
}

Test(api_kafka, metrics_escape_label_values) {
    mon_store_cluster_t *cl = mon_store_cluster(store, "local");
    resp_t r;
    cr_assert_geq(mon_store_commit(cl, "we\"ird\\g", "testtopic", 0, 4000,
                                   NOW - 1000, NULL, NULL),
                  0);
    http("GET", "/metrics", &r);
    cr_assert(strstr(r.body, "consumer_group=\"we\\\"ird\\\\g\""), "%s",
              r.body);
    free(r.body);
}
