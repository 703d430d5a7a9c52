/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests of `warren serve`: the real binary on an ephemeral
 * loopback port, driven over HTTP with libcurl. Covers every Burrow v3
 * endpoint's status code and JSON shape, Warren's additions, the demo
 * reaching its five behaviours, SSE, /metrics exposition format, config
 * errors, the admin token, traversal attempts, oversize requests, clean
 * shutdown on SIGTERM and state surviving a restart.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <regex.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cjson/cJSON.h>

#include "tests/integration/json_keys.h"
#include "tests/integration/warren_proc.h"

#define TRACE "samples/stalled.jsonl"

static cJSON *get_json(const wp_t *w, const char *path, long want) {
    wp_resp_t r;
    cr_assert_eq(wp_http(w, "GET", path, NULL, NULL, &r), 0, "GET %s", path);
    cr_assert_eq(r.status, want, "GET %s: HTTP %ld, want %ld: %s", path,
                 r.status, want, r.body);
    cJSON *j = cJSON_ParseWithLength(r.body, r.len);
    cr_assert_not_null(j, "GET %s: not JSON: %s", path, r.body);
    cr_assert(strstr(r.ctype, "application/json"), "GET %s: type %s", path,
              r.ctype);
    wp_resp_free(&r);
    return j;
}

static void assert_envelope(const cJSON *j, const char *path) {
    cr_assert(cJSON_IsBool(cJSON_GetObjectItem(j, "error")), "%s: error", path);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(j, "message")), "%s: message",
              path);
    const cJSON *req = cJSON_GetObjectItem(j, "request");
    cr_assert(cJSON_IsObject(req), "%s: request", path);
    cr_assert_str_eq(cJSON_GetObjectItem(req, "url")->valuestring, path);
    cr_assert(cJSON_IsString(cJSON_GetObjectItem(req, "host")));
}

/* Writes `text` to a fresh temporary directory's `name`; the path goes
 * to ini. */
static void write_ini(char *ini, size_t size, const char *name,
                      const char *text) {
    char dir[256];
    wp_tmpdir(dir, sizeof(dir));
    snprintf(ini, size, "%s/%s", dir, name);
    FILE *f = fopen(ini, "w");
    cr_assert_not_null(f, "%s", ini);
    fputs(text, f);
    fclose(f);
}

/* A config without Burrow's 10 s expire-cache, so a status is fresh on
 * every request and the loop evaluates every second: tests wait for the
 * event, not for the cache. */
#define NO_CACHE "[evaluator]\nexpire-cache = 0\n"

/* Serves TRACE at `speed` with `config`, or with NO_CACHE when NULL. */
static void start_replay(wp_t *w, const char *speed, const char *config) {
    static char fast[300];
    if (!config) {
        write_ini(fast, sizeof(fast), "fast.ini", NO_CACHE);
        config = fast;
    }
    char *args[] = {"--replay", TRACE,          "--speed", (char *)speed,
                    "--config", (char *)config, NULL};
    cr_assert_eq(wp_start(w, NULL, args), 0, "warren did not start");
}

/* Starts the demo ten times faster than real time, without the cache:
 * every behaviour shows within seconds. */
static void start_demo(wp_t *w) {
    static char fast[300];
    write_ini(fast, sizeof(fast), "fast.ini", NO_CACHE);
    char *args[] = {"--demo", "--demo-speed", "10", "--config", fast, NULL};
    cr_assert_eq(wp_start(w, NULL, args), 0, "warren did not start");
}

/* Waits until the group's /status has `status`; returns its body. */
static cJSON *wait_status(const wp_t *w, const char *group, const char *status,
                          long timeout_ms) {
    char path[256];
    snprintf(path, sizeof(path), "/v3/kafka/local/consumer/%s/status", group);
    long deadline = wp_mono_ms() + timeout_ms;
    char last[32] = "";
    while (wp_mono_ms() < deadline) {
        wp_resp_t r;
        if (wp_http(w, "GET", path, NULL, NULL, &r) == 0) {
            cJSON *j = cJSON_ParseWithLength(r.body, r.len);
            cJSON *st = j ? cJSON_GetObjectItem(j, "status") : NULL;
            cJSON *s = st ? cJSON_GetObjectItem(st, "status") : NULL;
            if (cJSON_IsString(s)) {
                snprintf(last, sizeof(last), "%s", s->valuestring);
                if (!strcmp(s->valuestring, status)) {
                    wp_resp_free(&r);
                    return j;
                }
            }
            cJSON_Delete(j);
            wp_resp_free(&r);
        }
        wp_sleep_ms(250);
    }
    cr_assert_fail("group %s never reached %s (last %s)", group, status, last);
    return NULL;
}

Test(serve, burrow_endpoints_answer_with_burrow_shapes) {
    wp_t w;
    char ini[300];
    /* Burrow's behaviour: writes without a token */
    write_ini(ini, sizeof(ini), "open.ini",
              "[http]\nopen-writes = true\n" NO_CACHE);
    start_replay(&w, "1000", ini);
    cJSON *st = wait_status(&w, "pdf-render", "ERR", 20000);
    cJSON_Delete(st);

    cJSON *j = get_json(&w, "/v3/kafka", 200);
    assert_envelope(j, "/v3/kafka");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
                     "cluster list returned");
    cJSON *cl = cJSON_GetObjectItem(j, "clusters");
    cr_assert_eq(cJSON_GetArraySize(cl), 1);
    cr_assert_str_eq(cJSON_GetArrayItem(cl, 0)->valuestring, "local");
    cJSON_Delete(j);

    j = get_json(&w, "/v3/kafka/local", 200);
    assert_envelope(j, "/v3/kafka/local");
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(j, "module")));
    cJSON_Delete(j);
    cJSON_Delete(get_json(&w, "/v3/kafka/nosuch", 404));

    j = get_json(&w, "/v3/kafka/local/topic", 200);
    cJSON *topics = cJSON_GetObjectItem(j, "topics");
    cr_assert_geq(cJSON_GetArraySize(topics), 1);
    char topic[128];
    snprintf(topic, sizeof(topic), "%s",
             cJSON_GetArrayItem(topics, 0)->valuestring);
    cJSON_Delete(j);

    char path[512];
    snprintf(path, sizeof(path), "/v3/kafka/local/topic/%s", topic);
    j = get_json(&w, path, 200);
    assert_envelope(j, path);
    cr_assert(cJSON_IsArray(cJSON_GetObjectItem(j, "offsets")));
    cJSON_Delete(j);
    snprintf(path, sizeof(path), "/v3/kafka/local/topic/%s/consumers", topic);
    j = get_json(&w, path, 200);
    cr_assert(cJSON_IsArray(cJSON_GetObjectItem(j, "consumers")));
    cJSON_Delete(j);
    cJSON_Delete(get_json(&w, "/v3/kafka/local/topic/nosuch", 404));

    j = get_json(&w, "/v3/kafka/local/consumer", 200);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
                     "consumer list returned");
    cJSON_Delete(j);

    j = get_json(&w, "/v3/kafka/local/consumer/pdf-render", 200);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
                     "consumer detail returned");
    cJSON *tmap = cJSON_GetObjectItem(j, "topics");
    cr_assert(cJSON_IsObject(tmap) && tmap->child);
    cJSON *p0 = cJSON_GetArrayItem(tmap->child, 0);
    cr_assert(cJSON_IsArray(cJSON_GetObjectItem(p0, "offsets")));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItem(p0, "current-lag")));
    cJSON_Delete(j);

    /* /lag: every partition, with Burrow's fields and Warren's. */
    j = get_json(&w, "/v3/kafka/local/consumer/pdf-render/lag", 200);
    cJSON *s = cJSON_GetObjectItem(j, "status");
    const char *sfields[] = {"cluster",  "group",      "status",
                             "complete", "partitions", "partition_count",
                             "maxlag",   "totallag"};
    for (size_t i = 0; i < sizeof(sfields) / sizeof(*sfields); i++)
        cr_assert_not_null(cJSON_GetObjectItem(s, sfields[i]),
                           "status object lacks %s", sfields[i]);
    cJSON *parts = cJSON_GetObjectItem(s, "partitions");
    cr_assert_geq(cJSON_GetArraySize(parts), 1);
    const char *pfields[] = {
        "topic",       "partition",  "owner",       "client_id", "status",
        "start",       "end",        "current_lag", "complete",  "rule",
        "explanation", "time_lag_s", "eta_s"};
    cJSON *p;
    cJSON_ArrayForEach(p, parts) {
        for (size_t i = 0; i < sizeof(pfields) / sizeof(*pfields); i++)
            cr_assert_not_null(cJSON_GetObjectItem(p, pfields[i]),
                               "partition object lacks %s", pfields[i]);
        cJSON *end = cJSON_GetObjectItem(p, "end");
        const char *efields[] = {"offset", "timestamp", "observedAt", "lag"};
        for (size_t i = 0; i < 4; i++)
            cr_assert_not_null(cJSON_GetObjectItem(end, efields[i]),
                               "window entry lacks %s", efields[i]);
    }
    cJSON_Delete(j);

    /* /status: only the non-OK partitions. */
    j = get_json(&w, "/v3/kafka/local/consumer/pdf-render/status", 200);
    cJSON_ArrayForEach(
        p, cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "partitions"))
        cr_assert_str_neq(cJSON_GetObjectItem(p, "status")->valuestring, "OK");
    cJSON_Delete(j);

    /* Unknown group: NOTFOUND with 404 and error false (Burrow). */
    j = get_json(&w, "/v3/kafka/local/consumer/nosuch/status", 404);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(j, "error")));
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "status")
            ->valuestring,
        "NOTFOUND");
    cJSON_Delete(j);

    j = get_json(&w, "/v3/kafka/local/consumer/pdf-render/window", 200);
    cJSON_Delete(j);
    j = get_json(&w, "/v3/kafka/local/consumer/pdf-render/history?since=0",
                 200);
    cJSON_Delete(j);

    wp_resp_t r;
    wp_http(&w, "GET", "/burrow/admin", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "GOOD");
    wp_resp_free(&r);
    wp_http(&w, "GET", "/burrow/admin/ready", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/healthz", NULL, NULL, &r);
    cr_assert_eq(r.status, 200);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/v3/no/such/route", NULL, NULL, &r);
    cr_assert_eq(r.status, 404);
    wp_resp_free(&r);
    wp_http(&w, "PUT", "/v3/kafka", NULL, NULL, &r);
    cr_assert_eq(r.status, 405);
    wp_resp_free(&r);
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL, NULL,
            &r);
    cr_assert_eq(r.status, 200);
    wp_resp_free(&r);
    cJSON_Delete(
        get_json(&w, "/v3/kafka/local/consumer/pdf-render/status", 404));
    cr_assert_eq(wp_stop(&w, NULL), 0);
}

/* A trace may bring clusters of its own besides `local`; all of them run
 * on the trace's clock, so all are class "replay" (the dashboard counts
 * "in status for" on the wall clock for embedded and kafka ones). */
Test(serve, every_cluster_of_a_replayed_trace_is_class_replay) {
    wp_t w;
    char *args[] = {"--replay", "samples/multi-group.jsonl", "--speed", "1000",
                    NULL};
    cr_assert_eq(wp_start(&w, NULL, args), 0, "warren did not start");
    cJSON *j = NULL, *cl = NULL;
    for (long end = wp_mono_ms() + 20000; wp_mono_ms() < end;) {
        cJSON_Delete(j);
        j = get_json(&w, "/v3/kafka", 200);
        cl = cJSON_GetObjectItem(j, "clusters");
        if (cJSON_GetArraySize(cl) >= 3) break;
        wp_sleep_ms(100);
    }
    cr_assert_geq(cJSON_GetArraySize(cl), 3, "the trace's clusters");
    for (int i = 0; i < cJSON_GetArraySize(cl); i++) {
        char path[128];
        const char *name = cJSON_GetArrayItem(cl, i)->valuestring;
        snprintf(path, sizeof(path), "/v3/kafka/%s", name);
        cJSON *d = get_json(&w, path, 200);
        cJSON *cls =
            cJSON_GetObjectItem(cJSON_GetObjectItem(d, "module"), "class-name");
        cr_expect(cJSON_IsString(cls) && !strcmp(cls->valuestring, "replay"),
                  "%s: class-name %s", name,
                  cJSON_IsString(cls) ? cls->valuestring : "missing");
        cJSON_Delete(d);
    }
    cJSON_Delete(j);
    cr_assert_eq(wp_stop(&w, NULL), 0);
}

/* Every line of /metrics is a comment (# HELP / # TYPE) or a sample. */
Test(serve, metrics_lines_are_valid_exposition_format) {
    wp_t w;
    start_replay(&w, "1000", NULL);
    cJSON_Delete(wait_status(&w, "pdf-render", "ERR", 20000));
    wp_resp_t r;
    cr_assert_eq(wp_http(&w, "GET", "/metrics", NULL, NULL, &r), 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.ctype, "text/plain"), "type %s", r.ctype);
    regex_t sample, comment;
    cr_assert_eq(regcomp(&sample,
                         "^[a-zA-Z_:][a-zA-Z0-9_:]*"
                         "(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
                         ",?)*\\})? -?[0-9.eE+-]+|NaN|[+-]Inf$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    cr_assert_eq(regcomp(&comment,
                         "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    const char *want[] = {"warren_group_status{",
                          "warren_cluster_up{",
                          "kafka_partition_latest_offset{",
                          "kafka_consumergroup_group_offset{",
                          "kafka_consumergroup_group_lag{",
                          "kafka_consumergroup_group_lag_seconds{",
                          "kafka_consumergroup_group_max_lag{",
                          "kafka_consumergroup_group_sum_lag{"};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        cr_assert(strstr(r.body, want[i]), "no %s series", want[i]);
    /* Burrow's families only with [metrics] burrow = true */
    cr_assert_null(strstr(r.body, "burrow_kafka_"), "Burrow's by default");
    char *save = NULL;
    int lines = 0;
    for (char *line = strtok_r(r.body, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        lines++;
        if (line[0] == '#')
            cr_assert_eq(regexec(&comment, line, 0, NULL, 0), 0,
                         "bad comment line: %s", line);
        else
            cr_assert_eq(regexec(&sample, line, 0, NULL, 0), 0,
                         "bad sample line: %s", line);
    }
    cr_assert_gt(lines, 10);
    regfree(&sample);
    regfree(&comment);
    wp_resp_free(&r);
    wp_stop(&w, NULL);
}

/* The warren rules (the default) warm up: from its first commits until
 * its windows hold the evidence its rules need, every demo group is OK,
 * says "rule":"warming-up" with complete < 1, and nothing is WARN or ERR;
 * then each group leaves warm-up. */
Test(serve, demo_warms_up_before_any_warn_or_err) {
    static const char *const groups[] = {"billing", "analytics", "audit",
                                         "reports", "archiver"};
    int warming[5] = {0}, done[5] = {0}, left = 5;
    wp_t w;
    start_demo(&w);
    for (long end = wp_mono_ms() + 60000; left > 0 && wp_mono_ms() < end;) {
        for (int g = 0; g < 5; g++) {
            char path[128];
            if (done[g]) continue;
            snprintf(path, sizeof(path), "/v3/kafka/local/consumer/%s/status",
                     groups[g]);
            wp_resp_t r;
            if (wp_http(&w, "GET", path, NULL, NULL, &r) != 0) continue;
            cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
            wp_resp_free(&r);
            if (!j) continue;
            cJSON *st = cJSON_GetObjectItem(j, "status");
            const char *status = cJSON_GetObjectItem(st, "status")->valuestring;
            const char *rule = cJSON_GetObjectItem(st, "rule")->valuestring;
            cr_assert_str_eq(cJSON_GetObjectItem(st, "rules")->valuestring,
                             "warren");
            if (!strcmp(rule, "warming-up")) {
                warming[g]++;
                cr_assert_str_eq(status, "OK", "%s warming up", groups[g]);
                cr_assert_lt(cJSON_GetObjectItem(st, "complete")->valuedouble,
                             1, "%s warming up", groups[g]);
            } else {
                cr_assert(warming[g] > 0 || strcmp(status, "OK") == 0,
                          "%s is %s (%s) before any warm-up was seen",
                          groups[g], status, rule);
                done[g] = 1;
                left--;
            }
            cJSON_Delete(j);
        }
        wp_sleep_ms(20);
    }
    cr_assert_eq(left, 0, "a demo group never left warm-up");
    int seen = 0;
    for (int g = 0; g < 5; g++)
        seen += warming[g] > 0;
    cr_assert_gt(seen, 0, "no group was seen warming up");
    cr_assert_eq(wp_stop(&w, NULL), 0);
}

Test(serve, demo_reaches_its_five_behaviours) {
    wp_t w;
    start_demo(&w);
    cJSON_Delete(wait_status(&w, "billing", "OK", 60000));
    cJSON *j = wait_status(&w, "analytics", "WARN", 60000);
    cJSON_Delete(j);
    const char *stuck[][2] = {{"audit", "STALL"}, {"reports", "STOP"}};
    for (int i = 0; i < 2; i++) {
        j = wait_status(&w, stuck[i][0], "ERR", 60000);
        cJSON *p = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "partitions"),
            0);
        cr_assert_str_eq(cJSON_GetObjectItem(p, "status")->valuestring,
                         stuck[i][1], "%s", stuck[i][0]);
        cJSON_Delete(j);
    }
    j = wait_status(&w, "archiver", "OK", 5000);
    cJSON_Delete(j);
    cr_assert_eq(wp_stop(&w, NULL), 0);
}

/* A client on /v3/events hears a status transition (a deleted group
 * turns NOTFOUND on the next evaluation). */
static size_t sse_sink(char *data, size_t size, size_t n, void *arg) {
    wp_resp_t *r = arg;
    wp_collect(data, size, n, r);
    return strstr(r->body, "\"status\":\"NOTFOUND\"") ? 0 : size * n;
}

typedef struct sse_arg_s {
    const wp_t *w;
    wp_resp_t r;
} sse_arg_t;

static void *sse_client(void *p) {
    sse_arg_t *a = p;
    a->r.body = calloc(1, 1);
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3/events", a->w->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return NULL;
}

Test(serve, sse_client_receives_a_status_transition) {
    char ini[300];
    write_ini(ini, sizeof(ini), "fast.ini",
              "[evaluator]\nexpire-cache = 1s\n[http]\nopen-writes = true\n");
    wp_t w;
    start_replay(&w, "1000", ini);
    cJSON_Delete(wait_status(&w, "pdf-render", "ERR", 20000));
    sse_arg_t a = {.w = &w};
    pthread_t t;
    pthread_create(&t, NULL, sse_client, &a);
    wp_sleep_ms(500);
    wp_resp_t r;
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL, NULL,
            &r);
    wp_resp_free(&r);
    pthread_join(t, NULL);
    cr_assert(strstr(a.r.body, "event: status"), "no status event: %s",
              a.r.body);
    cr_assert(strstr(a.r.body, "\"group\":\"pdf-render\""));
    cr_assert(strstr(a.r.body, "\"status\":\"NOTFOUND\""));
    wp_resp_free(&a.r);
    wp_stop(&w, NULL);
}

static int is_rfc3339(const cJSON *v) {
    regex_t re;
    int ok;
    cr_assert_eq(regcomp(&re,
                         "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
                         "[0-9]{2}(\\.[0-9]{3})?Z$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    ok = cJSON_IsString(v) && regexec(&re, v->valuestring, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

/* GET /v3/notifiers and a group's /incidents: every field in order, the
 * deliveries of an incident whose receiver refuses, and never the
 * webhook's URL or secret. */
Test(serve, notifier_views_have_their_fields_and_never_the_secret) {
    char ini[300];
    write_ini(
        ini, sizeof(ini), "hook.ini",
        "[evaluator]\nexpire-cache = 1s\n"
        "[notifier hook]\nurl-open = http://127.0.0.1:1/hook?token=tok-9\n"
        "secret = s3cr3t-value\ninterval = 1\nthreshold = ERR\n"
        "max-retries = 1\n");
    wp_t w;
    start_replay(&w, "1000", ini);
    cJSON_Delete(wait_status(&w, "pdf-render", "ERR", 20000));
    cJSON *j = NULL, *dl = NULL;
    long deadline = wp_mono_ms() + 20000;
    while (wp_mono_ms() < deadline) {
        j = get_json(&w, "/v3/notifiers", 200);
        dl = cJSON_GetObjectItem(j, "deliveries");
        if (cJSON_GetArraySize(dl) > 0) break;
        cJSON_Delete(j);
        j = NULL;
        wp_sleep_ms(100);
    }
    cr_assert_not_null(j, "no delivery listed");
    char keys[512], *txt = cJSON_PrintUnformatted(j);
    cr_assert_null(strstr(txt, "s3cr3t"), "never the secret: %s", txt);
    cr_assert_null(strstr(txt, "tok-9"), "never the URL: %s", txt);
    cr_assert_null(strstr(txt, "127.0.0.1:1"), "never the URL: %s", txt);
    free(txt);
    keys_of(j, keys, sizeof(keys));
    cr_assert_str_eq(keys, "error,message,notifiers,deliveries,request");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
                     "notifier list returned");
    cJSON *nf = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "notifiers"), 0);
    keys_of(nf, keys, sizeof(keys));
    cr_assert_str_eq(keys, "name,threshold,interval_s,repeat_every_s,"
                           "send_close,send_once,open_after,close_after,"
                           "max_retries,signed,open_incidents,queued,"
                           "delivered,failed,retries,merged,dropped,"
                           "pending,in_flight");
    cr_assert_str_eq(cJSON_GetObjectItem(nf, "name")->valuestring, "hook");
    cr_assert_str_eq(cJSON_GetObjectItem(nf, "threshold")->valuestring, "ERR");
    cr_assert_eq(cJSON_GetObjectItem(nf, "interval_s")->valuedouble, 1);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(nf, "signed")));
    cr_assert_eq(cJSON_GetObjectItem(nf, "max_retries")->valueint, 1);
    cr_assert_eq(cJSON_GetObjectItem(nf, "open_incidents")->valueint, 1);
    cr_assert_geq(cJSON_GetObjectItem(nf, "queued")->valueint, 1);
    cJSON *d = cJSON_GetArrayItem(dl, 0);
    keys_of(d, keys, sizeof(keys));
    cr_assert_str_eq(keys, "seq,key,id,notifier,cluster,group,kind,state,"
                           "attempts,http_status,error,created,time");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "notifier")->valuestring, "hook");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "cluster")->valuestring, "local");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "group")->valuestring,
                     "pdf-render");
    cr_assert_str_eq(cJSON_GetObjectItem(d, "kind")->valuestring, "open");
    cr_assert(is_rfc3339(cJSON_GetObjectItem(d, "created")));
    char id[64];
    snprintf(id, sizeof(id), "%s", cJSON_GetObjectItem(d, "id")->valuestring);
    cr_assert_eq(strlen(id), 36, "incident id %s", id);
    cJSON_Delete(j);

    j = get_json(&w, "/v3/kafka/local/consumer/pdf-render/incidents", 200);
    keys_of(j, keys, sizeof(keys));
    cr_assert_str_eq(keys, "error,message,cluster,group,incidents,timeline,"
                           "request");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "message")->valuestring,
                     "consumer incidents returned");
    cJSON *inc = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "incidents"), 0);
    keys_of(inc, keys, sizeof(keys));
    cr_assert(!strcmp(keys, "notifier,open,id,start,notifications,status") ||
                  !strcmp(keys, "notifier,open,id,start,last_sent,"
                                "notifications,status"),
              "incident keys %s", keys);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(inc, "open")));
    cr_assert_str_eq(cJSON_GetObjectItem(inc, "id")->valuestring, id);
    cr_assert(is_rfc3339(cJSON_GetObjectItem(inc, "start")));
    cr_assert_str_eq(cJSON_GetObjectItem(inc, "status")->valuestring, "ERR");
    cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "timeline"), 0);
    keys_of(ev, keys, sizeof(keys));
    cr_assert_str_eq(keys, "time,notifier,event,id,status,key,delivery");
    cr_assert_str_eq(cJSON_GetObjectItem(ev, "event")->valuestring, "opened");
    cr_assert(is_rfc3339(cJSON_GetObjectItem(ev, "time")));
    keys_of(cJSON_GetObjectItem(ev, "delivery"), keys, sizeof(keys));
    cr_assert_str_eq(keys, "seq,key,id,notifier,cluster,group,kind,state,"
                           "attempts,http_status,error,created,time");
    cJSON_Delete(j);

    j = get_json(&w, "/v3/kafka/local/consumer/nosuch/incidents", 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "incidents")), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "timeline")), 0);
    cJSON_Delete(j);
    wp_stop(&w, NULL);
}

/* A webhook receiver on an ephemeral port: accepts one request, keeps
 * what it read (headers and body) and answers 200. */
typedef struct hook_s {
    int fd;
    int port;
    char req[16384];
} hook_t;

static void *hook_serve(void *p) {
    hook_t *h = p;
    int c = accept(h->fd, NULL, NULL);
    size_t n = 0;
    if (c < 0) return NULL;
    while (n + 1 < sizeof(h->req)) {
        ssize_t r = read(c, h->req + n, sizeof(h->req) - 1 - n);
        if (r <= 0) break;
        n += (size_t)r;
        h->req[n] = '\0';
        char *body = strstr(h->req, "\r\n\r\n");
        char *cl = strcasestr(h->req, "Content-Length:");
        if (body && cl && strlen(body + 4) >= strtoul(cl + 15, NULL, 10)) break;
    }
    const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n";
    (void)!write(c, ok, strlen(ok));
    close(c);
    return NULL;
}

static void hook_start(hook_t *h, pthread_t *t) {
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    memset(h->req, 0, sizeof(h->req));
    h->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(h->fd, 0);
    cr_assert_eq(bind(h->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(h->fd, 4), 0);
    cr_assert_eq(getsockname(h->fd, (struct sockaddr *)&sa, &sl), 0);
    h->port = ntohs(sa.sin_port);
    pthread_create(t, NULL, hook_serve, h);
}

/* With --listen on port 0, the port the kernel picked is in the
 * notification's dashboard link: the notifier is built after the bind. */
Test(serve, notification_links_the_dashboard_on_the_bound_port) {
    char ini[300], text[256];
    hook_t h;
    pthread_t t;
    hook_start(&h, &t);
    snprintf(text, sizeof(text),
             "[evaluator]\nexpire-cache = 1s\n[notifier hook]\n"
             "url-open = http://127.0.0.1:%d/hook\ninterval = 1\n"
             "threshold = ERR\n",
             h.port);
    write_ini(ini, sizeof(ini), "hook.ini", text);
    wp_t w;
    start_replay(&w, "1000", ini);
    pthread_join(t, NULL);
    close(h.fd);
    char want[128];
    snprintf(want, sizeof(want),
             "\"dashboard_url\":\"http://127.0.0.1:%d/#/clusters/local/"
             "groups/pdf-render\"",
             w.port);
    cr_assert(strstr(h.req, want), "no %s in: %s", want, h.req);
    wp_stop(&w, NULL);
}

Test(serve, config_errors_name_file_and_line_and_exit_2) {
    char ini[300];
    write_ini(ini, sizeof(ini), "bad.ini",
              "[storage]\nintervals = 10\n[evaluator]\nallowed-lag = -5\n");
    char *args[] = {"serve", "--config", ini, NULL};
    char *out = NULL;
    cr_assert_eq(wp_run(args, &out), 2);
    char want[400];
    snprintf(want, sizeof(want), "%s:4:", ini);
    cr_assert(strstr(out, want), "no '%s' in: %s", want, out);
    free(out);
    char *bad_opt[] = {"serve", "--bogus", NULL};
    cr_assert_eq(wp_run(bad_opt, &out), 2);
    cr_assert(strstr(out, "usage:"));
    free(out);
    char *bad_speed[] = {"serve", "--demo", "--demo-speed", "1000", NULL};
    cr_assert_eq(wp_run(bad_speed, &out), 2);
    cr_assert(strstr(out, "--demo-speed: '1000' is not a number in"), "%s",
              out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
    free(out);
}

/* Without a token, writes are refused with a clear message (they were
 * open to any process or web page that reached the port); a text/plain
 * POST, which a web page can send cross-origin without a preflight, is
 * refused even with open-writes; and a Host that is not ours (DNS
 * rebinding) reads nothing. */
Test(serve, writes_need_a_token_json_and_our_host_by_default) {
    wp_t w;
    start_replay(&w, "1000", NULL);
    cJSON_Delete(wait_status(&w, "pdf-render", "ERR", 20000));
    wp_resp_t r;
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL, NULL,
            &r);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert(strstr(r.body, "admin-token"), "%s", r.body);
    wp_resp_free(&r);
    cJSON_Delete(get_json(&w, "/v3/kafka/local/consumer/pdf-render/status",
                          200)); /* still there */
    wp_http(&w, "GET", "/v3/kafka", NULL, "Host: rebound.example:8000", &r);
    cr_assert_eq(r.status, 403, "%s", r.body);
    cr_assert(strstr(r.body, "allowed-hosts"), "%s", r.body);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/v3/kafka", NULL, "Host: localhost:8000", &r);
    cr_assert_eq(r.status, 200);
    wp_resp_free(&r);
    wp_stop(&w, NULL);

    char ini[300];
    write_ini(ini, sizeof(ini), "open.ini",
              "[http]\nopen-writes = true\nallowed-hosts = "
              "warren.example\n" NO_CACHE);
    start_replay(&w, "1000", ini);
    cJSON_Delete(wait_status(&w, "pdf-render", "ERR", 20000));
    wp_http(&w, "POST", "/v3/admin/loglevel", "{\"level\":\"debug\"}",
            "Content-Type: text/plain", &r);
    cr_assert_eq(r.status, 415, "%s", r.body);
    wp_resp_free(&r);
    wp_http(&w, "POST", "/v3/admin/loglevel", "{\"level\":\"info\"}", NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/v3/kafka", NULL, "Host: warren.example", &r);
    cr_assert_eq(r.status, 200, "a configured name");
    wp_resp_free(&r);
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL, NULL,
            &r);
    cr_assert_eq(r.status, 200, "open-writes: Burrow's behaviour");
    wp_resp_free(&r);
    wp_stop(&w, NULL);
}

Test(serve, admin_token_guards_delete_and_admin_post) {
    char ini[300];
    write_ini(ini, sizeof(ini), "token.ini",
              "[http]\nadmin-token = hunter2-token\n" NO_CACHE);
    wp_t w;
    start_replay(&w, "1000", ini);
    cJSON_Delete(wait_status(&w, "pdf-render", "ERR", 20000));
    wp_resp_t r;
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL, NULL,
            &r);
    cr_assert_eq(r.status, 401);
    wp_resp_free(&r);
    wp_http(&w, "POST", "/v3/admin/loglevel", "{\"level\":\"debug\"}", NULL,
            &r);
    cr_assert_eq(r.status, 401);
    wp_resp_free(&r);
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL,
            "Authorization: Bearer wrong", &r);
    cr_assert_eq(r.status, 401);
    wp_resp_free(&r);
    wp_http(&w, "DELETE", "/v3/kafka/local/consumer/pdf-render", NULL,
            "Authorization: Bearer hunter2-token", &r);
    cr_assert_eq(r.status, 200);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/v3/kafka/local/consumer", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "reads need no token");
    wp_resp_free(&r);
    wp_stop(&w, NULL);
}

Test(serve, traversal_and_oversize_requests_are_refused) {
    wp_t w;
    start_replay(&w, "1000", NULL);
    const char *paths[] = {"/dashboard/../Makefile",
                           "/dashboard/%2e%2e/Makefile",
                           "/dashboard/%2E%2E%2FMakefile",
                           "/dashboard/..%2fMakefile",
                           "/dashboard//etc/passwd",
                           "/../../etc/passwd",
                           "/dashboard/%00"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        wp_resp_t r;
        wp_http(&w, "GET", paths[i], NULL, NULL, &r);
        cr_assert(r.status == 400 || r.status == 404, "%s: HTTP %ld", paths[i],
                  r.status);
        cr_assert_null(strstr(r.body, "SANITIZE"), "%s leaked a file",
                       paths[i]);
        cr_assert_null(strstr(r.body, "root:"), "%s leaked a file", paths[i]);
        wp_resp_free(&r);
    }
    char *longp = malloc(6000);
    memset(longp, 'a', 5999);
    longp[0] = '/';
    longp[5999] = '\0';
    wp_resp_t r;
    wp_http(&w, "GET", longp, NULL, NULL, &r);
    cr_assert_eq(r.status, 414);
    wp_resp_free(&r);
    char *hdr = malloc(12000);
    memcpy(hdr, "X-Big: ", 7);
    memset(hdr + 7, 'b', 11000);
    hdr[11007] = '\0';
    wp_http(&w, "GET", "/healthz", NULL, hdr, &r);
    cr_assert_eq(r.status, 431);
    wp_resp_free(&r);
    char *body = malloc(200001);
    memset(body, 'x', 200000);
    body[200000] = '\0';
    wp_http(&w, "POST", "/v3/admin/loglevel", body, NULL, &r);
    cr_assert_eq(r.status, 413);
    wp_resp_free(&r);
    free(longp);
    free(hdr);
    free(body);
    wp_http(&w, "GET", "/healthz", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "server still serves after bad requests");
    wp_resp_free(&r);
    wp_stop(&w, NULL);
}

Test(serve, sigterm_stops_cleanly_and_state_survives_restart) {
    wp_t w;
    start_demo(&w);
    cJSON_Delete(wait_status(&w, "analytics", "WARN", 60000));
    /* ... with full windows and a few evaluations in the history */
    double complete = 0;
    for (long end = wp_mono_ms() + 30000; complete < 1 && wp_mono_ms() < end;) {
        cJSON *j = get_json(&w, "/v3/kafka/local/consumer/analytics/lag", 200);
        cJSON *p = cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"), "partitions"),
            0);
        complete = p ? cJSON_GetObjectItem(p, "complete")->valuedouble : 0;
        cJSON_Delete(j);
        wp_sleep_ms(100);
    }
    cr_assert_eq(complete, 1, "analytics' window never filled");
    int samples = 0;
    for (long end = wp_mono_ms() + 30000; samples < 2 && wp_mono_ms() < end;) {
        cJSON *j = get_json(
            &w, "/v3/kafka/local/consumer/analytics/history?since=0", 200);
        samples = cJSON_GetArraySize(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "history"), "samples"));
        cJSON_Delete(j);
        wp_sleep_ms(100);
    }
    cr_assert_geq(samples, 2, "no history to restore");
    long ms = 0;
    cr_assert_eq(wp_stop(&w, &ms), 0, "exit code after SIGTERM");
    cr_assert_lt(ms, 5000, "shutdown took %ld ms", ms);
    char *log = wp_read_file(w.log, NULL);
    cr_assert(strstr(log, "stopped"), "no 'stopped' in log: %s", log);
    free(log);
    char snap[400];
    snprintf(snap, sizeof(snap), "%s/store.snapshot", w.dir);
    struct stat sb;
    cr_assert_eq(stat(snap, &sb), 0, "no snapshot written");

    /* Restart without the demo: the windows are back at once. */
    wp_t w2;
    cr_assert_eq(wp_start(&w2, w.dir, NULL), 0);
    cJSON *j = get_json(&w2, "/v3/kafka/local/consumer/analytics/lag", 200);
    cJSON *s = cJSON_GetObjectItem(j, "status");
    cr_assert_gt(cJSON_GetObjectItem(s, "totallag")->valuedouble, 0);
    cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(s, "partitions"), 0);
    cr_assert_gt(cJSON_GetObjectItem(p, "complete")->valuedouble, 0.5,
                 "window restored");
    /* the warren rules resume from the snapshot: no warm-up again */
    cr_assert_str_neq(cJSON_GetObjectItem(s, "rule")->valuestring, "warming-up",
                      "restart warmed up again");
    cr_assert_str_neq(cJSON_GetObjectItem(p, "rule")->valuestring, "warming-up",
                      "restart warmed up again");
    cJSON_Delete(j);
    /* ... and so is the lag history behind the charts. */
    j = get_json(&w2, "/v3/kafka/local/consumer/analytics/history?since=0",
                 200);
    cJSON *hist =
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "history"), "samples");
    cr_assert(cJSON_IsArray(hist), "history samples");
    cr_assert_geq(cJSON_GetArraySize(hist), 2, "history restored");
    cJSON_Delete(j);
    cr_assert_eq(wp_stop(&w2, NULL), 0);
}

/* A process-directed signal may be handled on any thread. SIGTERM sent to
 * one of warren's worker threads (not the main thread) still stops it
 * cleanly; under ThreadSanitizer this also checks that the stop flag the
 * handler sets is safe to read from the main thread. */
Test(serve, sigterm_on_a_worker_thread_stops_cleanly) {
    wp_t w;
    cr_assert_eq(wp_start(&w, NULL, NULL), 0);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)w.pid);
    DIR *d = opendir(path);
    cr_assert_not_null(d, "%s", path);
    long tid = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long t = strtol(e->d_name, NULL, 10);
        if (t > 0 && t != (long)w.pid) tid = t;
    }
    closedir(d);
    cr_assert_gt(tid, 0, "warren has no worker thread");
    cr_assert_eq(syscall(SYS_tgkill, (int)w.pid, (int)tid, SIGTERM), 0);
    int st = 0;
    long t0 = wp_mono_ms();
    pid_t r = 0;
    while ((r = waitpid(w.pid, &st, WNOHANG)) == 0 && wp_mono_ms() - t0 < 10000)
        wp_sleep_ms(20);
    if (r == 0) {
        kill(w.pid, SIGKILL);
        waitpid(w.pid, &st, 0);
    }
    char *log = wp_read_file(w.log, NULL);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
              "warren did not exit 0 (status %d): %s", st, log);
    cr_assert(strstr(log, "stopped"), "no 'stopped' in log: %s", log);
    free(log);
    w.pid = 0;
}
