/* api_routes_config: see api_routes_config.h. Bodies are built with cJSON
 * in the field order of Burrow's response structs; durations, kept in
 * milliseconds by mon_config, are shown in whole seconds as Burrow's
 * integer keys are. Every handler reads only the immutable configuration
 * (and, for a cluster, what GET /v3/kafka/:cluster reads).
 */
#include "http/routes/api_routes_config.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http/server/api_json.h"
#include "monitor/config/mon_config.h"
#include "monitor/base/mon_log.h"

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, UTF-8 */

/* Warren has exactly one module of these kinds. */
#define ONLY_MODULE "default"

/* ---- URL redaction ---- */

/* Length of the scheme at url (letters, digits, "+-." after a letter)
 * when "://" follows it, else 0. */
static size_t scheme_len(const char *url) {
    size_t n = 0;
    if (!isalpha((unsigned char)url[0])) return 0;
    while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' ||
           url[n] == '.')
        n++;
    return strncmp(url + n, "://", 3) == 0 ? n : 0;
}

/* Non-zero when host[0..len) is "name[:port]" or "[v6][:port]". */
static int hostport_ok(const char *host, size_t len) {
    size_t i = 0;
    if (len > 0 && host[0] == '[') {
        for (i = 1; i < len && host[i] != ']'; i++)
            if (!isxdigit((unsigned char)host[i]) && host[i] != ':' &&
                host[i] != '.')
                return 0;
        if (i >= len || i == 1) return 0;
        i++; /* ']' */
    } else {
        while (i < len && (isalnum((unsigned char)host[i]) || host[i] == '-' ||
                           host[i] == '.' || host[i] == '_'))
            i++;
        if (i == 0) return 0;
    }
    if (i == len) return 1;
    if (host[i] != ':' || len - i < 2 || len - i > 6) return 0;
    for (i++; i < len; i++)
        if (!isdigit((unsigned char)host[i])) return 0;
    return 1;
}

/* Writes url as "scheme://host[:port]/" plus "…" when it had a path,
 * query or fragment beyond "/"; user info is dropped. A NULL url gives
 * "" (an unset key); one that does not parse gives "…". */
static void url_redact(const char *url, char *buf, size_t size) {
    size_t sl, alen;
    const char *auth, *host, *at, *rest;
    int n;

    if (!url) {
        snprintf(buf, size, "%s", "");
        return;
    }
    sl = scheme_len(url);
    if (sl == 0) goto opaque;
    auth = url + sl + 3;
    alen = strcspn(auth, "/?#");
    rest = auth + alen;
    host = auth;
    for (at = auth; at < rest; at++)
        if (*at == '@') host = at + 1;
    if (!hostport_ok(host, (size_t)(rest - host))) goto opaque;
    n = snprintf(buf, size, "%.*s://%.*s/%s", (int)sl, url, (int)(rest - host),
                 host, rest[0] && strcmp(rest, "/") != 0 ? ELLIPSIS : "");
    if (n > 0 && (size_t)n < size) return;
opaque:
    snprintf(buf, size, "%s", ELLIPSIS);
}

/* ---- JSON pieces ---- */

static cJSON *str_or_empty(const char *s) {
    return cJSON_CreateString(s ? s : "");
}

static cJSON *regex_json(const mon_config_regex_t *re) {
    return str_or_empty(re ? re->pattern : NULL);
}

static void add_seconds(cJSON *obj, const char *name, int64_t ms) {
    api_json_add_int64(obj, name, ms / 1000);
}

static cJSON *general_json(const mon_config_t *cfg) {
    const mon_config_general_t *gen = mon_config_general(cfg);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "pidfile", cJSON_CreateString(""));
    cJSON_AddItemToObject(o, "stdout-logfile", cJSON_CreateString(""));
    cJSON_AddItemToObject(o, "access-control-allow-origin",
                          str_or_empty(gen->access_control_allow_origin));
    return o;
}

/* Warren logs to stderr without rotation: only the level is set. */
static cJSON *logging_json(void) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "filename", cJSON_CreateString(""));
    api_json_add_int64(o, "max-size", 0);
    api_json_add_int64(o, "max-backups", 0);
    api_json_add_int64(o, "max-age", 0);
    cJSON_AddItemToObject(o, "use-local-time", cJSON_CreateFalse());
    cJSON_AddItemToObject(o, "use-compression", cJSON_CreateFalse());
    cJSON_AddItemToObject(
        o, "level",
        cJSON_CreateString(mon_log_level_name(mon_log_get_level())));
    return o;
}

/* Warren uses no ZooKeeper. */
static cJSON *zookeeper_json(void) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "servers", cJSON_CreateArray());
    api_json_add_int64(o, "timeout", 0);
    cJSON_AddItemToObject(o, "root-path", cJSON_CreateString(""));
    return o;
}

static cJSON *httpserver_json(const mon_config_t *cfg) {
    const mon_config_http_t *hc = mon_config_http(cfg);
    cJSON *servers = cJSON_CreateObject();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "address", str_or_empty(hc->listen));
    cJSON_AddItemToObject(o, "tls", cJSON_CreateString(""));
    add_seconds(o, "timeout", hc->timeout_ms);
    cJSON_AddItemToObject(servers, ONLY_MODULE, o);
    return servers;
}

static cJSON *storage_json(const mon_config_t *cfg) {
    const mon_config_storage_t *st = mon_config_storage(cfg);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "class-name", cJSON_CreateString("inmemory"));
    api_json_add_int64(o, "intervals", st->intervals);
    add_seconds(o, "min-distance", st->min_distance_ms);
    cJSON_AddItemToObject(o, "group-allowlist",
                          regex_json(st->group_allowlist));
    add_seconds(o, "expire-group", st->expire_group_ms);
    return o;
}

static cJSON *evaluator_json(const mon_config_t *cfg) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "class-name", cJSON_CreateString("caching"));
    add_seconds(o, "expire-cache", mon_config_evaluator(cfg)->expire_cache_ms);
    return o;
}

/* Detaches member `name` of obj, or an empty `fallback` when absent. */
static cJSON *take_item(cJSON *obj, const char *name, cJSON *fallback) {
    cJSON *item =
        obj ? cJSON_DetachItemFromObjectCaseSensitive(obj, name) : NULL;
    if (!item) return fallback;
    cJSON_Delete(fallback);
    return item;
}

/* The consumer module of cluster cc: servers and client-profile are
 * those of the cluster's detail. */
static cJSON *consumer_json(const api_kafka_ctx_t *ctx,
                            const mon_config_cluster_t *cc) {
    static const char *const classes[] = {"embedded", "replay", "kafka_client"};
    cJSON *cluster = api_kafka_cluster_module(ctx, cc->name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(
        o, "class-name",
        cJSON_CreateString(cc->source <= MON_CONFIG_SOURCE_KAFKA
                               ? classes[cc->source]
                               : "embedded"));
    cJSON_AddItemToObject(o, "cluster", cJSON_CreateString(cc->name));
    cJSON_AddItemToObject(o, "servers",
                          take_item(cluster, "servers", cJSON_CreateArray()));
    cJSON_AddItemToObject(o, "group-allowlist",
                          regex_json(cc->group_allowlist));
    cJSON_AddItemToObject(o, "zookeeper-path", cJSON_CreateString(""));
    api_json_add_int64(o, "zookeeper-timeout", 0);
    cJSON_AddItemToObject(
        o, "client-profile",
        take_item(cluster, "client-profile", cJSON_CreateObject()));
    cJSON_AddItemToObject(o, "offsets-topic",
                          cJSON_CreateString("__consumer_offsets"));
    cJSON_AddItemToObject(o, "start-latest", cJSON_CreateFalse());
    cJSON_Delete(cluster);
    return o;
}

static cJSON *extras_json(const mon_config_notifier_t *nt) {
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < nt->n_extras; i++)
        cJSON_AddItemToObject(o, nt->extras[i].key,
                              str_or_empty(nt->extras[i].value));
    return o;
}

/* Burrow's http notifier module; never the secret or the headers. */
static cJSON *notifier_json(const mon_config_notifier_t *nt) {
    char url[512];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "class-name", cJSON_CreateString("http"));
    cJSON_AddItemToObject(o, "group-allowlist",
                          regex_json(nt->group_allowlist));
    add_seconds(o, "interval", nt->interval_ms);
    /* ev_status_t numbers are Burrow's: WARN 2, ERR 3 */
    api_json_add_int64(o, "threshold", (int64_t)nt->threshold);
    add_seconds(o, "timeout", nt->timeout_ms);
    api_json_add_int64(o, "keepalive", 0);
    url_redact(nt->url_open, url, sizeof(url));
    cJSON_AddItemToObject(o, "url-open", cJSON_CreateString(url));
    url_redact(nt->url_close, url, sizeof(url));
    cJSON_AddItemToObject(o, "url-close", cJSON_CreateString(url));
    cJSON_AddItemToObject(o, "method-open", str_or_empty(nt->method_open));
    cJSON_AddItemToObject(o, "method-close", str_or_empty(nt->method_close));
    cJSON_AddItemToObject(o, "template-open", str_or_empty(nt->template_open));
    cJSON_AddItemToObject(o, "template-close",
                          str_or_empty(nt->template_close));
    cJSON_AddItemToObject(o, "extra", extras_json(nt));
    cJSON_AddItemToObject(o, "send-close", cJSON_CreateBool(nt->send_close));
    /* Burrow reads both with GetString: "" when unset */
    cJSON_AddItemToObject(o, "extra-ca", cJSON_CreateString(""));
    cJSON_AddItemToObject(o, "noverify", cJSON_CreateString(""));
    return o;
}

/* ---- responses ---- */

/* {"error":false,"message","request","coordinator","modules"}; takes
 * names. */
static void module_list(api_req_t *req, const char *kind, cJSON *names) {
    cJSON *body = api_json_envelope(0, "module list returned");
    api_json_add_request(body, req);
    cJSON_AddItemToObject(body, "coordinator", cJSON_CreateString(kind));
    cJSON_AddItemToObject(body, "modules", names);
    api_resp_json(req, MHD_HTTP_OK, body);
}

/* {"error":false,"message","module","request"}; takes mod. */
static void module_detail(api_req_t *req, const char *message, cJSON *mod) {
    cJSON *body = api_json_envelope(0, message);
    cJSON_AddItemToObject(body, "module", mod);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static cJSON *single_name(void) {
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateString(ONLY_MODULE));
    return arr;
}

static cJSON *cluster_names(const mon_config_t *cfg) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < mon_config_cluster_count(cfg); i++)
        cJSON_AddItemToArray(
            arr, cJSON_CreateString(mon_config_cluster_at(cfg, i)->name));
    return arr;
}

static cJSON *notifier_names(const mon_config_t *cfg) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < mon_config_notifier_count(cfg); i++)
        cJSON_AddItemToArray(
            arr, cJSON_CreateString(mon_config_notifier_at(cfg, i)->name));
    return arr;
}

/* ---- handlers (opaque: the borrowed api_kafka_ctx_t) ---- */

static void h_main(api_req_t *req, void *opaque) {
    const mon_config_t *cfg = ((const api_kafka_ctx_t *)opaque)->config;
    cJSON *body = api_json_envelope(0, "main config returned");
    api_json_add_request(body, req);
    cJSON_AddItemToObject(body, "general", general_json(cfg));
    cJSON_AddItemToObject(body, "logging", logging_json());
    cJSON_AddItemToObject(body, "zookeeper", zookeeper_json());
    cJSON_AddItemToObject(body, "httpserver", httpserver_json(cfg));
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_storage_list(api_req_t *req, void *opaque) {
    (void)opaque;
    module_list(req, "storage", single_name());
}

static void h_evaluator_list(api_req_t *req, void *opaque) {
    (void)opaque;
    module_list(req, "evaluator", single_name());
}

static void h_cluster_list(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    module_list(req, "cluster", cluster_names(ctx->config));
}

static void h_consumer_list(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    module_list(req, "consumer", cluster_names(ctx->config));
}

static void h_notifier_list(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    module_list(req, "notifier", notifier_names(ctx->config));
}

static void h_storage(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    if (strcmp(api_req_param(req, "name"), ONLY_MODULE) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "storage module not found");
        return;
    }
    module_detail(req, "storage module detail returned",
                  storage_json(ctx->config));
}

static void h_evaluator(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    if (strcmp(api_req_param(req, "name"), ONLY_MODULE) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "evaluator module not found");
        return;
    }
    module_detail(req, "evaluator module detail returned",
                  evaluator_json(ctx->config));
}

static void h_cluster(api_req_t *req, void *opaque) {
    cJSON *mod =
        api_kafka_cluster_module(opaque, api_req_param(req, "cluster"));
    if (!mod) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "cluster module not found");
        return;
    }
    module_detail(req, "cluster module detail returned", mod);
}

static void h_consumer(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    const mon_config_cluster_t *cc =
        mon_config_cluster_find(ctx->config, api_req_param(req, "name"));
    if (!cc) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "consumer module not found");
        return;
    }
    module_detail(req, "consumer module detail returned",
                  consumer_json(ctx, cc));
}

static void h_notifier(api_req_t *req, void *opaque) {
    const api_kafka_ctx_t *ctx = opaque;
    const mon_config_notifier_t *nt =
        mon_config_notifier_find(ctx->config, api_req_param(req, "name"));
    if (!nt) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "notifier module not found");
        return;
    }
    module_detail(req, "notifier module detail returned", notifier_json(nt));
}

int api_routes_config_register(api_server_t *srv, const api_kafka_ctx_t *ctx,
                               char *errstr, size_t errstr_size) {
    static const struct {
        const char *pattern;
        api_handler_fn fn;
    } routes[] = {
        {"/v3/config", h_main},
        {"/v3/config/storage", h_storage_list},
        {"/v3/config/evaluator", h_evaluator_list},
        {"/v3/config/cluster", h_cluster_list},
        {"/v3/config/consumer", h_consumer_list},
        {"/v3/config/notifier", h_notifier_list},
        {"/v3/config/storage/:name", h_storage},
        {"/v3/config/evaluator/:name", h_evaluator},
        {"/v3/config/cluster/:cluster", h_cluster},
        {"/v3/config/consumer/:name", h_consumer},
        {"/v3/config/notifier/:name", h_notifier},
    };
    if (!ctx || !ctx->config || !ctx->store) {
        snprintf(errstr, errstr_size,
                 "/v3/config routes: a configuration and a store are "
                 "required");
        return -1;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (api_server_route(srv, "GET", routes[i].pattern, routes[i].fn,
                             (void *)ctx, errstr, errstr_size) != 0)
            return -1;
    }
    return 0;
}
