/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests of silences: the real `warren serve` on a loopback
 * port, a real webhook receiver (webhook_rcv.h), the silences made and
 * removed over HTTP. A group under a silence sends nothing, its incident
 * is sent when the silence ends, silences survive a restart, and bad
 * requests are refused with the field and why. The stalled trace at
 * speed 1000 turns pdf-render ERR within a second of the start.
 */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>

#include "tests/integration/warren_proc.h"
#include "tests/integration/webhook_rcv.h"

#define TOKEN "Authorization: Bearer silence-token"

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes text to DIR/name and returns the path in path. */
static void write_text(const char *dir, const char *name, const char *text,
                       char *path, size_t size) {
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void start(wp_t *w, const char *data_dir, const char *ini) {
    char *args[] = {"--replay", "samples/stalled.jsonl",
                    "--speed",  "1000",
                    "--config", (char *)ini,
                    NULL};
    cr_assert_eq(wp_start(w, data_dir, args), 0, "warren did not start");
}

/* One request with the token; returns the parsed body (caller frees) and
 * checks the status. */
static cJSON *call(const wp_t *w, const char *method, const char *path,
                   const char *body, long want) {
    wp_resp_t r;
    cr_assert_eq(wp_http(w, method, path, body, TOKEN, &r), 0, "%s %s", method,
                 path);
    cr_assert_eq(r.status, want, "%s %s: HTTP %ld, want %ld: %s", method, path,
                 r.status, want, r.body);
    cJSON *j = cJSON_ParseWithLength(r.body, r.len);
    cr_assert_not_null(j, "%s %s: not JSON: %s", method, path, r.body);
    wp_resp_free(&r);
    return j;
}

/* POSTs a silence; returns its id (static buffer per call site). */
static void create(const wp_t *w, const char *match, int64_t until,
                   char id[64]) {
    char body[512];
    snprintf(body, sizeof(body),
             "{%s, \"until\": %lld, \"comment\": "
             "\"reindexing\", \"created_by\": \"ana\"}",
             match, (long long)until);
    cJSON *j = call(w, "POST", "/v3/silences", body, 201);
    cJSON *s = cJSON_GetObjectItem(j, "silence");
    cr_assert_str_eq(cJSON_GetObjectItem(s, "state")->valuestring, "active");
    snprintf(id, 64, "%s", cJSON_GetObjectItem(s, "id")->valuestring);
    cJSON_Delete(j);
}

/* The silences GET /v3/silences lists (caller frees). */
static cJSON *list(const wp_t *w, const char *query) {
    char path[256];
    snprintf(path, sizeof(path), "/v3/silences%s", query);
    cJSON *j = call(w, "GET", path, NULL, 200);
    cJSON *arr = cJSON_DetachItemFromObject(j, "silences");
    cJSON_Delete(j);
    cr_assert(cJSON_IsArray(arr));
    return arr;
}

/* True once the group's incident timeline has an event `event`. */
static bool timeline_has(const wp_t *w, const char *event) {
    wp_resp_t r;
    bool hit = false;
    if (wp_http(w, "GET", "/v3/kafka/local/consumer/pdf-render/incidents", NULL,
                NULL, &r) == 0 &&
        r.status == 200) {
        cJSON *j = cJSON_ParseWithLength(r.body, r.len);
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "timeline")) {
            const cJSON *n = cJSON_GetObjectItem(e, "event");
            hit |= cJSON_IsString(n) && !strcmp(n->valuestring, event);
        }
        cJSON_Delete(j);
    }
    wp_resp_free(&r);
    return hit;
}

Test(silences, a_silenced_group_sends_nothing_until_the_silence_ends) {
    rcv_t rcv;
    memset(&rcv, 0, sizeof(rcv));
    rcv_start(&rcv, 0);
    char data[256], cfgdir[256], plain[300], hooked[300], text[512];
    wp_tmpdir(data, sizeof(data));
    wp_tmpdir(cfgdir, sizeof(cfgdir));
    write_text(cfgdir, "plain.ini", "[http]\nadmin-token = silence-token\n",
               plain, sizeof(plain));
    snprintf(text, sizeof(text),
             "[http]\nadmin-token = silence-token\n"
             "[evaluator]\nexpire-cache = 1s\n" /* evaluations every 1 s */
             "[notifier hook]\nurl-open = http://127.0.0.1:%d/open\n"
             "interval = 1s\nthreshold = ERR\nrepeat-every = 1000h\n",
             rcv.port);
    write_text(cfgdir, "hook.ini", text, hooked, sizeof(hooked));

    /* 1: silences made over HTTP (no notifier yet), one deleted again */
    wp_t w;
    start(&w, data, plain);
    int64_t until = wall_ms() + 9000;
    char keep[64], gone[64];
    create(&w, "\"group\": \"pdf-render\", \"cluster\": \"local\"", until,
           keep);
    create(&w, "\"group\": \"other\"", until + 60000, gone);
    char path[128];
    snprintf(path, sizeof(path), "/v3/silences/%s", gone);
    cJSON_Delete(call(&w, "DELETE", path, NULL, 200));
    cJSON_Delete(call(&w, "DELETE", path, NULL, 404));
    cJSON *l = list(&w, "");
    cr_assert_eq(cJSON_GetArraySize(l), 1);
    cJSON_Delete(l);
    cr_assert_eq(wp_stop(&w, NULL), 0);

    /* 2: a restart with the notifier; the silence is read back */
    start(&w, data, hooked);
    l = list(&w, "?cluster=local&group=pdf-render");
    cr_assert_eq(cJSON_GetArraySize(l), 1, "reloaded from the data dir");
    cJSON *s = cJSON_GetArrayItem(l, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(s, "id")->valuestring, keep);
    cr_assert_str_eq(cJSON_GetObjectItem(s, "comment")->valuestring,
                     "reindexing");
    cr_assert_str_eq(cJSON_GetObjectItem(s, "created_by")->valuestring, "ana");
    cJSON_Delete(l);
    /* the group goes ERR under the silence: the incident opens, held */
    while (!timeline_has(&w, "silenced") && wall_ms() < until - 1000)
        wp_sleep_ms(100);
    cr_assert(timeline_has(&w, "silenced"),
              "pdf-render did not reach ERR while the silence held");
    cr_assert_eq(rcv_count(&rcv), 0, "nothing sent while silenced");
    cr_assert_lt(wall_ms(), until, "checked inside the silence");
    /* the silence ends by itself: the open that was held goes out */
    cr_assert_eq(rcv_wait(&rcv, 1), 1, "the open follows the silence's end");
    int64_t got = wall_ms();
    cr_assert_geq(got, until, "not before the silence ended");
    cr_assert_str_eq(rcv.reqs[0].path, "/open");
    cr_assert(strstr(rcv.reqs[0].body, "\"group\":\"pdf-render\""), "%s",
              rcv.reqs[0].body);
    cr_assert(strstr(rcv.reqs[0].delivery, ":open:1"), "%s",
              rcv.reqs[0].delivery);
    l = list(&w, "");
    cr_assert_str_eq(
        cJSON_GetObjectItem(cJSON_GetArrayItem(l, 0), "state")->valuestring,
        "expired");
    cJSON_Delete(l);
    l = list(&w, "?cluster=local&group=pdf-render");
    cr_assert_eq(cJSON_GetArraySize(l), 0, "no longer in effect");
    cJSON_Delete(l);
    cr_assert_eq(wp_stop(&w, NULL), 0);
    rcv_stop(&rcv);
}

Test(silences, bad_requests_are_refused_and_writes_need_the_token) {
    char data[256], cfgdir[256], ini[300];
    wp_tmpdir(data, sizeof(data));
    wp_tmpdir(cfgdir, sizeof(cfgdir));
    write_text(cfgdir, "t.ini", "[http]\nadmin-token = silence-token\n", ini,
               sizeof(ini));
    wp_t w;
    start(&w, data, ini);
    char until[32];
    snprintf(until, sizeof(until), "%lld", (long long)(wall_ms() + 60000));
    /* UNTIL stands for a time a minute ahead */
    static const struct {
        const char *body, *why;
    } bad[] = {
        {"{\"group\": \"(a+)+\", \"until\": UNTIL, \"comment\": \"c\", "
         "\"created_by\": \"me\"}",
         "group: regex '(a+)+' refused: stacked quantifiers"},
        {"{\"group\": \"((x{1,100}){1,100}){1,100}\", \"until\": UNTIL, "
         "\"comment\": \"c\", \"created_by\": \"me\"}",
         "refused"},
        {"{\"group\": \"g\", \"until\": UNTIL, \"created_by\": \"me\"}",
         "comment: missing or empty"},
        {"{\"group\": \"g\", \"until\": \"soon\", \"comment\": \"c\", "
         "\"created_by\": \"me\"}",
         "until: not an RFC 3339 time"},
        {"{\"until\": UNTIL, \"comment\": \"c\", \"created_by\": \"me\"}",
         "group or cluster"},
        {"not json", "body: not JSON"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[512];
        const char *u = strstr(bad[i].body, "UNTIL");
        if (u)
            snprintf(body, sizeof(body), "%.*s%s%s", (int)(u - bad[i].body),
                     bad[i].body, until, u + 5);
        else
            snprintf(body, sizeof(body), "%s", bad[i].body);
        cJSON *j = call(&w, "POST", "/v3/silences", body, 400);
        const char *msg = cJSON_GetObjectItem(j, "message")->valuestring;
        cr_expect(strstr(msg, bad[i].why), "%s: %s", body, msg);
        cJSON_Delete(j);
    }
    char long_group[600];
    memset(long_group, 'a', 400);
    long_group[400] = '\0';
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"group\": \"%s\", \"until\": %s, "
             "\"comment\": \"c\", \"created_by\": \"me\"}",
             long_group, until);
    cJSON *j = call(&w, "POST", "/v3/silences", body, 400);
    cr_assert(strstr(cJSON_GetObjectItem(j, "message")->valuestring,
                     "longer than 256 bytes"));
    cJSON_Delete(j);

    /* writes need the token; reads do not */
    wp_resp_t r;
    snprintf(body, sizeof(body),
             "{\"group\": \"g\", \"until\": %s, "
             "\"comment\": \"c\", \"created_by\": \"me\"}",
             until);
    wp_http(&w, "POST", "/v3/silences", body, NULL, &r);
    cr_assert_eq(r.status, 401, "%s", r.body);
    wp_resp_free(&r);
    wp_http(&w, "DELETE", "/v3/silences/x", NULL, NULL, &r);
    cr_assert_eq(r.status, 401, "%s", r.body);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/v3/silences", NULL, NULL, &r);
    cr_assert_eq(r.status, 200, "%s", r.body);
    wp_resp_free(&r);
    wp_http(&w, "GET", "/v3/silences?cluster=local", NULL, NULL, &r);
    cr_assert_eq(r.status, 400, "both or neither: %s", r.body);
    wp_resp_free(&r);
    cJSON *l = list(&w, "");
    cr_assert_eq(cJSON_GetArraySize(l), 0, "nothing bad got in");
    cJSON_Delete(l);
    cr_assert_eq(wp_stop(&w, NULL), 0);
}
