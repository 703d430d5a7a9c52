/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests for Burrow's /v3/config routes: the real `warren
 * serve` on an ephemeral loopback port with a configuration file (an
 * embedded cluster, a replay cluster over samples/stalled.jsonl, webhook
 * notifiers with secrets and headers, an admin token), queried over HTTP
 * with libcurl. Deterministic bodies are compared byte for byte, which
 * pins Burrow's messages, key order and Go-style numbers; every body is
 * searched for the secrets the configuration holds. Notifiers allow no
 * group, so no webhook ever leaves the machine.
 */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>

/* warren_proc.h is header-only; this program needs only part of it */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tests/integration/json_keys.h"
#include "tests/integration/warren_proc.h"
#pragma GCC diagnostic pop

#define HOST "burrow-host"
#define TOKEN "adm1nT0kenZZ"
#define ELLIPSIS "\xe2\x80\xa6"

/* Strings of the configuration that no /v3/config body may contain. */
static const char *const secrets[] = {
    "services", "T000",        "B000",     "XXXX",          "token=",
    "abc",      "whsecSECRET", "hdrVALUE", "Authorization", "X-Team",
    "bob",      "pw@",         TOKEN,      "hunter2pw",     NULL};

static const char config_main[] =
    "[general]\n"
    "name = " HOST "\n"
    "access-control-allow-origin = *\n"
    "\n"
    "[http]\n"
    "listen = 127.0.0.1:8000\n"
    "admin-token = " TOKEN "\n"
    "timeout = 45s\n"
    "\n"
    "[storage]\n"
    "intervals = 12\n"
    "min-distance = 2\n"
    "expire-group = 1d\n"
    "group-allowlist = ^app-\n"
    "\n"
    "[evaluator]\n"
    "expire-cache = 3\n"
    "\n"
    "[cluster local]\n"
    "source = embedded\n"
    "\n"
    "[cluster trace]\n"
    "source = replay\n"
    "file = samples/stalled.jsonl\n"
    "topic-refresh = 2m\n"
    "\n"
    "[notifier ops]\n"
    "url-open = https://hooks.example.com/services/T000/B000/XXXX?token=abc\n"
    "url-close = https://bob:pw@hooks.example.com:8443/close\n"
    "method-close = PUT\n"
    "secret = whsecSECRET\n"
    "headers = Authorization: Bearer hdrVALUE; X-Team: data\n"
    "group-allowlist = ^nomatch$\n"
    "threshold = ERR\n"
    "interval = 2m\n"
    "timeout = 7\n"
    "send-close = true\n"
    "template-open = samples/templates/generic-open.json\n"
    "extras.team = data\n"
    "extras.env = prod\n"
    "\n"
    "[notifier bare]\n"
    "url-open = http://127.0.0.1:9\n"
    "group-allowlist = ^nomatch$\n"
    "\n"
    "[notifier v6]\n"
    "url-open = http://[::1]:9/\n"
    "url-close = HTTP://[::1]/#frag\n"
    "group-allowlist = ^nomatch$\n"
    "\n"
    "[notifier tmpl]\n"
    "url-open = https://{{cluster}}.example.com/x\n"
    "url-close = https:///no-host\n"
    "group-allowlist = ^nomatch$\n";

/* A Kafka cluster nobody listens on: the source only logs its failures. */
static const char config_kafka[] = "[general]\n"
                                   "name = " HOST "\n"
                                   "\n"
                                   "[cluster prod]\n"
                                   "source = kafka\n"
                                   "servers = 127.0.0.1:1,127.0.0.1:2\n"
                                   "offset-refresh = 2\n"
                                   "group-allowlist = ^billing-\n"
                                   "kafka.client.id = warren-test\n"
                                   "kafka.security.protocol = SASL_PLAINTEXT\n"
                                   "kafka.sasl.mechanism = PLAIN\n"
                                   "kafka.sasl.username = warren\n"
                                   "kafka.sasl.password = hunter2pw\n";

static wp_t w;

static void cleanup(void) {
    char cmd[700];
    if (w.pid > 0) wp_stop(&w, NULL);
    if (w.dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", w.dir, w.log);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", w.dir);
    }
    curl_global_cleanup();
}

static void init(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

TestSuite(api_config, .init = init, .fini = cleanup);

/* Starts warren with `config` written into a fresh data directory. */
static void start(const char *config) {
    char dir[256], path[300], arg[300];
    wp_tmpdir(dir, sizeof(dir));
    cr_assert(dir[0], "mkdtemp failed");
    snprintf(path, sizeof(path), "%s/warren.ini", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(config, f);
    fclose(f);
    snprintf(arg, sizeof(arg), "%s", path);
    if (strstr(config, "source = kafka")) wp_use_kafka_bin();
    char *extra[] = {"--config", arg, NULL};
    if (wp_start(&w, dir, extra) != 0) {
        char *log = wp_read_file(w.log, NULL);
        cr_assert_fail("warren did not start: %s", log ? log : "");
    }
}

/* SIGTERM; warren must exit 0 (under ASan: no leak, no error). */
static void stop(void) {
    int rc = wp_stop(&w, NULL);
    if (rc != 0) {
        char *log = wp_read_file(w.log, NULL);
        cr_assert_fail("warren exited %d: %s", rc, log ? log : "");
    }
}

/* GET path; asserts the status and returns the body (caller frees). */
static char *get_raw(const char *path, long want) {
    wp_resp_t r;
    cr_assert_eq(wp_http(&w, "GET", path, NULL, NULL, &r), 0, "GET %s", path);
    cr_assert_eq(r.status, want, "GET %s: HTTP %ld, want %ld: %s", path,
                 r.status, want, r.body);
    cr_assert(strstr(r.ctype, "application/json"), "GET %s: type %s", path,
              r.ctype);
    return r.body;
}

static cJSON *get_json(const char *path, long want) {
    char *body = get_raw(path, want);
    cJSON *j = cJSON_ParseWithLength(body, strlen(body));
    cr_assert_not_null(j, "GET %s: not JSON: %s", path, body);
    free(body);
    return j;
}

static void expect_body(const char *path, long want, const char *expected) {
    char *body = get_raw(path, want);
    cr_expect_str_eq(body, expected, "GET %s", path);
    free(body);
}

static void expect_keys(const cJSON *o, const char *want, const char *what) {
    char keys[512];
    keys_of(o, keys, sizeof(keys));
    cr_expect_str_eq(keys, want, "keys of %s", what);
}

static const char *str_at(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert(cJSON_IsString(v), "%s is not a string", k);
    return v->valuestring;
}

/* ---- GET /v3/config ---- */

Test(api_config, main_config_is_burrows_shape_filled_from_warren) {
    start(config_main);
    expect_body(
        "/v3/config", 200,
        "{\"error\":false,\"message\":\"main config returned\","
        "\"request\":{\"url\":\"/v3/config\",\"host\":\"" HOST "\"},"
        "\"general\":{\"pidfile\":\"\",\"stdout-logfile\":\"\","
        "\"access-control-allow-origin\":\"*\"},"
        "\"logging\":{\"filename\":\"\",\"max-size\":0,\"max-backups\":0,"
        "\"max-age\":0,\"use-local-time\":false,\"use-compression\":false,"
        "\"level\":\"info\"},"
        "\"zookeeper\":{\"servers\":[],\"timeout\":0,\"root-path\":\"\"},"
        "\"httpserver\":{\"default\":{\"address\":\"127.0.0.1:0\","
        "\"tls\":\"\",\"timeout\":45}}}");
    stop();
}

Test(api_config, main_config_level_is_the_current_log_level) {
    start(config_main);
    wp_resp_t r;
    cr_assert_eq(wp_http(&w, "POST", "/v3/admin/loglevel",
                         "{\"level\":\"warn\"}", "Authorization: Bearer " TOKEN,
                         &r),
                 0);
    cr_assert_eq(r.status, 200, "%s", r.body);
    wp_resp_free(&r);
    cJSON *j = get_json("/v3/config", 200);
    cr_expect_str_eq(str_at(cJSON_GetObjectItem(j, "logging"), "level"),
                     "warn");
    cJSON_Delete(j);
    stop();
}

/* ---- module lists ---- */

Test(api_config, module_lists_name_warrens_modules_in_file_order) {
    static const struct {
        const char *kind;
        const char *modules;
    } lists[] = {
        {"storage", "[\"default\"]"},
        {"evaluator", "[\"default\"]"},
        {"cluster", "[\"local\",\"trace\"]"},
        {"consumer", "[\"local\",\"trace\"]"},
        {"notifier", "[\"ops\",\"bare\",\"v6\",\"tmpl\"]"},
    };
    start(config_main);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        char path[64], want[512];
        snprintf(path, sizeof(path), "/v3/config/%s", lists[i].kind);
        snprintf(want, sizeof(want),
                 "{\"error\":false,\"message\":\"module list returned\","
                 "\"request\":{\"url\":\"%s\",\"host\":\"" HOST "\"},"
                 "\"coordinator\":\"%s\",\"modules\":%s}",
                 path, lists[i].kind, lists[i].modules);
        expect_body(path, 200, want);
    }
    stop();
}

/* ---- module details ---- */

Test(api_config, storage_and_evaluator_details) {
    start(config_main);
    expect_body("/v3/config/storage/default", 200,
                "{\"error\":false,\"message\":\"storage module detail "
                "returned\",\"module\":{\"class-name\":\"inmemory\","
                "\"intervals\":12,\"min-distance\":2,"
                "\"group-allowlist\":\"^app-\",\"expire-group\":86400},"
                "\"request\":{\"url\":\"/v3/config/storage/default\","
                "\"host\":\"" HOST "\"}}");
    expect_body("/v3/config/evaluator/default", 200,
                "{\"error\":false,\"message\":\"evaluator module detail "
                "returned\",\"module\":{\"class-name\":\"caching\","
                "\"expire-cache\":3,\"rules\":\"warren\"},"
                "\"request\":{\"url\":\"/v3/config/evaluator/default\","
                "\"host\":\"" HOST "\"}}");
    stop();
}

Test(api_config, evaluator_shows_the_rule_set_configured) {
    start("[general]\nname = " HOST "\n[evaluator]\nrules = burrow\n");
    expect_body("/v3/config/evaluator/default", 200,
                "{\"error\":false,\"message\":\"evaluator module detail "
                "returned\",\"module\":{\"class-name\":\"caching\","
                "\"expire-cache\":10,\"rules\":\"burrow\"},"
                "\"request\":{\"url\":\"/v3/config/evaluator/default\","
                "\"host\":\"" HOST "\"}}");
    stop();
}

Test(api_config, unknown_module_names_are_404_with_burrows_messages) {
    static const struct {
        const char *path;
        const char *message;
    } cases[] = {
        {"/v3/config/storage/nosuch", "storage module not found"},
        {"/v3/config/evaluator/nosuch", "evaluator module not found"},
        {"/v3/config/cluster/nosuch", "cluster module not found"},
        {"/v3/config/consumer/nosuch", "consumer module not found"},
        {"/v3/config/notifier/nosuch", "notifier module not found"},
    };
    start(config_main);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[512];
        snprintf(want, sizeof(want),
                 "{\"error\":true,\"message\":\"%s\",\"request\":"
                 "{\"url\":\"%s\",\"host\":\"" HOST "\"}}",
                 cases[i].message, cases[i].path);
        expect_body(cases[i].path, 404, want);
    }
    stop();
}

Test(api_config, consumer_modules_are_one_per_cluster) {
    static const struct {
        const char *name;
        const char *class_name;
    } cases[] = {{"local", "embedded"}, {"trace", "replay"}};
    start(config_main);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[64], cpath[64];
        snprintf(path, sizeof(path), "/v3/config/consumer/%s", cases[i].name);
        snprintf(cpath, sizeof(cpath), "/v3/kafka/%s", cases[i].name);
        cJSON *j = get_json(path, 200);
        cJSON *cl = get_json(cpath, 200);
        cJSON *mod = cJSON_GetObjectItem(j, "module");
        expect_keys(j, "error,message,module,request", path);
        cr_expect_str_eq(str_at(j, "message"),
                         "consumer module detail returned");
        expect_keys(mod,
                    "class-name,cluster,servers,group-allowlist,"
                    "zookeeper-path,zookeeper-timeout,client-profile,"
                    "offsets-topic,start-latest",
                    path);
        cr_expect_str_eq(str_at(mod, "class-name"), cases[i].class_name);
        cr_expect_str_eq(str_at(mod, "cluster"), cases[i].name);
        cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(mod, "servers")),
                     0);
        cr_expect_str_eq(str_at(mod, "group-allowlist"), "");
        cr_expect_str_eq(str_at(mod, "zookeeper-path"), "");
        cr_expect_eq(cJSON_GetObjectItem(mod, "zookeeper-timeout")->valueint,
                     0);
        cr_expect_str_eq(str_at(mod, "offsets-topic"), "__consumer_offsets");
        cr_expect(cJSON_IsFalse(cJSON_GetObjectItem(mod, "start-latest")));
        /* the same client-profile object as the cluster's detail */
        char *a =
            cJSON_PrintUnformatted(cJSON_GetObjectItem(mod, "client-profile"));
        char *b = cJSON_PrintUnformatted(cJSON_GetObjectItem(
            cJSON_GetObjectItem(cl, "module"), "client-profile"));
        cr_expect_str_eq(a, b, "%s client-profile", path);
        free(a);
        free(b);
        cJSON_Delete(cl);
        cJSON_Delete(j);
    }
    stop();
}

Test(api_config, notifier_detail_shows_burrows_http_module_redacted) {
    start(config_main);
    expect_body(
        "/v3/config/notifier/ops", 200,
        "{\"error\":false,\"message\":\"notifier module detail returned\","
        "\"module\":{\"class-name\":\"http\",\"group-allowlist\":"
        "\"^nomatch$\",\"interval\":120,\"threshold\":3,\"timeout\":7,"
        "\"keepalive\":0,"
        "\"url-open\":\"https://hooks.example.com/" ELLIPSIS "\","
        "\"url-close\":\"https://hooks.example.com:8443/" ELLIPSIS "\","
        "\"method-open\":\"POST\",\"method-close\":\"PUT\","
        "\"template-open\":\"samples/templates/generic-open.json\","
        "\"template-close\":\"\","
        "\"extra\":{\"team\":\"data\",\"env\":\"prod\"},"
        "\"send-close\":true,\"extra-ca\":\"\",\"noverify\":\"\"},"
        "\"request\":{\"url\":\"/v3/config/notifier/ops\","
        "\"host\":\"" HOST "\"}}");
    stop();
}

Test(api_config, notifier_urls_keep_only_scheme_host_and_port) {
    static const struct {
        const char *name;
        const char *url_open;
        const char *url_close;
    } cases[] = {
        /* nothing after the authority: nothing hidden */
        {"bare", "http://127.0.0.1:9/", ""},
        /* only a fragment after "/" is still hidden */
        {"v6", "http://[::1]:9/", "HTTP://[::1]/" ELLIPSIS},
        /* a template in the host, an empty host: not parsed, all hidden */
        {"tmpl", ELLIPSIS, ELLIPSIS},
    };
    start(config_main);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "/v3/config/notifier/%s", cases[i].name);
        cJSON *j = get_json(path, 200);
        cJSON *mod = cJSON_GetObjectItem(j, "module");
        cr_expect_str_eq(str_at(mod, "url-open"), cases[i].url_open, "%s",
                         path);
        cr_expect_str_eq(str_at(mod, "url-close"), cases[i].url_close, "%s",
                         path);
        cr_expect_eq(cJSON_GetObjectItem(mod, "threshold")->valueint, 2,
                     "%s: default threshold WARN is Burrow's 2", path);
        cJSON_Delete(j);
    }
    stop();
}

/* GETs every /v3/config path the lists lead to; fails on a secret. */
static void expect_no_secret_anywhere(void) {
    static const char *const kinds[] = {"storage", "evaluator", "cluster",
                                        "consumer", "notifier"};
    char *body = get_raw("/v3/config", 200);
    int details = 0;
    for (size_t s = 0; secrets[s]; s++)
        cr_expect_null(strstr(body, secrets[s]), "/v3/config shows '%s'",
                       secrets[s]);
    free(body);
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        char path[128];
        snprintf(path, sizeof(path), "/v3/config/%s", kinds[k]);
        cJSON *list = get_json(path, 200);
        const cJSON *name;
        cJSON_ArrayForEach(name, cJSON_GetObjectItem(list, "modules")) {
            snprintf(path, sizeof(path), "/v3/config/%s/%s", kinds[k],
                     name->valuestring);
            body = get_raw(path, 200);
            for (size_t s = 0; secrets[s]; s++)
                cr_expect_null(strstr(body, secrets[s]), "%s shows '%s': %s",
                               path, secrets[s], body);
            free(body);
            details++;
        }
        cJSON_Delete(list);
    }
    cr_expect_gt(details, 0);
}

Test(api_config, no_config_body_shows_a_secret) {
    start(config_main);
    expect_no_secret_anywhere();
    stop();
}

/* ---- cluster details are GET /v3/kafka/:cluster's ---- */

/* Replaces the first "from" in s (malloc'd) by "to"; returns a new
 * string. */
static char *replace(const char *s, const char *from, const char *to) {
    const char *p = strstr(s, from);
    cr_assert_not_null(p, "'%s' not in %s", from, s);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return out;
}

/* /v3/config/cluster/NAME equals /v3/kafka/NAME but for request.url.
 * The module carries live source status, so the comparison is made
 * between two equal /v3/kafka reads. */
static void expect_same_as_kafka(const char *name, long want) {
    char kpath[128], cpath[128], kurl[160], curl_[160];
    snprintf(kpath, sizeof(kpath), "/v3/kafka/%s", name);
    snprintf(cpath, sizeof(cpath), "/v3/config/cluster/%s", name);
    snprintf(kurl, sizeof(kurl), "\"url\":\"%s\"", kpath);
    snprintf(curl_, sizeof(curl_), "\"url\":\"%s\"", cpath);
    for (int attempt = 0; attempt < 50; attempt++) {
        char *k1 = get_raw(kpath, want);
        char *c = get_raw(cpath, want);
        char *k2 = get_raw(kpath, want);
        int stable = strcmp(k1, k2) == 0;
        if (stable) {
            char *expected = replace(k1, kurl, curl_);
            cr_expect_str_eq(c, expected, "%s vs %s", cpath, kpath);
        }
        free(k1);
        free(c);
        free(k2);
        if (stable) return;
        wp_sleep_ms(100);
    }
    cr_assert_fail("%s never read the same twice", kpath);
}

Test(api_config, cluster_detail_is_the_kafka_cluster_detail) {
    start(config_main);
    expect_same_as_kafka("local", 200);
    expect_same_as_kafka("trace", 200);
    expect_same_as_kafka("nosuch", 404);
    cJSON *j = get_json("/v3/config/cluster/trace", 200);
    expect_keys(j, "error,message,module,request", "cluster detail");
    cr_expect_str_eq(str_at(j, "message"), "cluster module detail returned");
    cr_expect_eq(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "module"), "topic-refresh")
            ->valueint,
        120);
    cJSON_Delete(j);
    stop();
}

/* ---- durations that are not whole seconds ---- */

Test(api_config, sub_second_durations_show_their_fraction_not_a_rounding) {
    start("[general]\nname = " HOST "\n"
          "[storage]\nmin-distance = 1500ms\n"
          "[evaluator]\nexpire-cache = 250ms\n"
          "[notifier n]\nurl-open = http://127.0.0.1:9/\n"
          "group-allowlist = ^nomatch$\ntimeout = 500ms\n"
          "interval = 90s\n");
    cJSON *j = get_json("/v3/config/storage/default", 200);
    cJSON *mod = cJSON_GetObjectItem(j, "module");
    cr_expect_float_eq(cJSON_GetObjectItem(mod, "min-distance")->valuedouble,
                       1.5, 1e-9);
    cJSON_Delete(j);
    expect_body("/v3/config/evaluator/default", 200,
                "{\"error\":false,\"message\":\"evaluator module detail "
                "returned\",\"module\":{\"class-name\":\"caching\","
                "\"expire-cache\":0.25,\"rules\":\"warren\"},"
                "\"request\":{\"url\":\"/v3/config/evaluator/default\","
                "\"host\":\"" HOST "\"}}");
    j = get_json("/v3/config/notifier/n", 200);
    mod = cJSON_GetObjectItem(j, "module");
    cr_expect_float_eq(cJSON_GetObjectItem(mod, "timeout")->valuedouble, 0.5,
                       1e-9);
    /* whole seconds stay Burrow's integers */
    char *interval =
        cJSON_PrintUnformatted(cJSON_GetObjectItem(mod, "interval"));
    cr_expect_str_eq(interval, "90");
    free(interval);
    cJSON_Delete(j);
    stop();
}

/* ---- routing ---- */

Test(api_config, other_kinds_and_methods_route_as_elsewhere) {
    start(config_main);
    wp_resp_t r, ref;
    cr_assert_eq(wp_http(&w, "GET", "/v3/config/nosuch", NULL, NULL, &r), 0);
    cr_assert_eq(wp_http(&w, "GET", "/v3/nosuch", NULL, NULL, &ref), 0);
    cr_expect_eq(r.status, 404);
    cr_expect_str_eq(r.body, ref.body);
    wp_resp_free(&r);
    wp_resp_free(&ref);
    static const char *const paths[] = {"/v3/config", "/v3/config/notifier",
                                        "/v3/config/notifier/ops"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        /* as POST /v3/kafka, a GET-only route of another module */
        cr_assert_eq(wp_http(&w, "POST", paths[i], "{}",
                             "Authorization: Bearer " TOKEN, &r),
                     0);
        cr_assert_eq(wp_http(&w, "POST", "/v3/kafka", "{}",
                             "Authorization: Bearer " TOKEN, &ref),
                     0);
        cr_expect_eq(r.status, ref.status, "POST %s", paths[i]);
        char *want = replace(ref.body, "/v3/kafka", paths[i]);
        cr_expect_str_eq(r.body, want, "POST %s", paths[i]);
        free(want);
        wp_resp_free(&r);
        wp_resp_free(&ref);
    }
    stop();
}

/* ---- a Kafka cluster ---- */

Test(api_config, kafka_cluster_consumer_is_class_kafka_without_password) {
    start(config_kafka);
    expect_body(
        "/v3/config/consumer/prod", 200,
        "{\"error\":false,\"message\":\"consumer module detail returned\","
        "\"module\":{\"class-name\":\"kafka\",\"cluster\":\"prod\","
        "\"servers\":[\"127.0.0.1:1\",\"127.0.0.1:2\"],"
        "\"group-allowlist\":\"^billing-\",\"zookeeper-path\":\"\","
        "\"zookeeper-timeout\":0,\"client-profile\":{\"name\":\"default\","
        "\"client-id\":\"warren-test\",\"kafka-version\":\"\","
        "\"tls\":null,\"sasl\":{\"name\":\"default\","
        "\"handshake-first\":true,\"username\":\"warren\"}},"
        "\"offsets-topic\":\"__consumer_offsets\",\"start-latest\":false},"
        "\"request\":{\"url\":\"/v3/config/consumer/prod\","
        "\"host\":\"" HOST "\"}}");
    expect_same_as_kafka("prod", 200);
    expect_no_secret_anywhere();
    /* no [notifier]: an empty list, not a missing key */
    expect_body("/v3/config/notifier", 200,
                "{\"error\":false,\"message\":\"module list returned\","
                "\"request\":{\"url\":\"/v3/config/notifier\","
                "\"host\":\"" HOST "\"},\"coordinator\":\"notifier\","
                "\"modules\":[]}");
    stop();
}
