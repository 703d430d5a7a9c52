/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_config: see api_routes_config.h. Bodies are built with cJSON
 * in the field order of Burrow's response structs. Each module is a list
 * of fields: a Warren key, whose JSON name (Burrow's name for it), value
 * and masking come from the config key table (mon_config_keys()), or a
 * constant for what Burrow has and Warren does not. Durations, kept in
 * milliseconds by mon_config, are shown in seconds as Burrow's integer
 * keys are (with a fraction only for a value that is not whole seconds,
 * so nothing shown is rounded). Every handler reads only the immutable
 * configuration (and, for a cluster, what GET /v3/kafka/:cluster reads).
 */
#include "http/routes/api_routes_config.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http/server/api_json.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/config/mon_config.h"

/* Warren has exactly one module of these kinds. */
#define ONLY_MODULE "default"

/* ---- Warren keys in Burrow's shapes ---- */

static cJSON *str_or_empty(const char *s) {
    return cJSON_CreateString(s ? s : "");
}

/* One member of a Burrow module object, in Burrow's order: a Warren key
 * (its JSON name is the key's Burrow name, its value the key's, both from
 * the config table) or a constant for what Burrow has and Warren has not. */
typedef enum field_kind_e { F_KEY, F_STR, F_ZERO, F_FALSE } field_kind_t;

typedef struct field_s {
    field_kind_t kind;
    const char *name;  /* F_KEY: the Warren key; else the JSON name */
    const char *value; /* F_STR: the string; F_KEY: a JSON name that
                        * differs from Burrow's config name, or NULL */
} field_t;

#define KEY(k)                                                                 \
    { F_KEY, k, NULL }
#define KEY_AS(k, json)                                                        \
    { F_KEY, k, json }
#define STR(n, v)                                                              \
    { F_STR, n, v }
#define ZERO(n)                                                                \
    { F_ZERO, n, NULL }
#define FALSE(n)                                                               \
    { F_FALSE, n, NULL }
#define N_FIELDS(a) (sizeof(a) / sizeof(a[0]))

/* Value of key in Burrow's shape: durations in seconds (a fraction only
 * when the value is not whole seconds), enums Burrow numbers as numbers,
 * unset strings and regexes as "", URLs cut to their host. A secret is
 * never shown. */
static cJSON *key_json(const mon_config_t *cfg, const mon_config_key_t *key,
                       size_t index) {
    mon_config_value_t v;
    char buf[512];
    if (key->flags & MON_CONFIG_F_SECRET ||
        mon_config_get(cfg, key, index, &v) != 0)
        return cJSON_CreateString("");
    switch (key->type) {
    case MON_CONFIG_T_DURATION:
        if (v.i % 1000 == 0) return api_json_int64(v.i / 1000);
        return api_json_float((double)v.i / 1000.0);
    case MON_CONFIG_T_INT:
    case MON_CONFIG_T_INT64:
    case MON_CONFIG_T_SIZE:
        return api_json_int64(v.i);
    case MON_CONFIG_T_DOUBLE:
        return api_json_float(v.d);
    case MON_CONFIG_T_BOOL:
        return cJSON_CreateBool(v.i != 0);
    case MON_CONFIG_T_ENUM:
        if (key->flags & MON_CONFIG_F_BURROW_NUM) return api_json_int64(v.i);
        return str_or_empty(v.s);
    case MON_CONFIG_T_MAP: {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < v.n; i++)
            cJSON_AddItemToObject(o, v.kv[i].key, str_or_empty(v.kv[i].value));
        return o;
    }
    case MON_CONFIG_T_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < v.n; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(v.list[i]));
        return a;
    }
    default:
        if (key->flags & MON_CONFIG_F_URL_HOST) {
            mon_config_redact_url(v.s, buf, sizeof(buf));
            return cJSON_CreateString(buf);
        }
        return str_or_empty(v.s);
    }
}

/* Adds fields[0..n) of section sect, instance index, to obj. */
static void add_fields(cJSON *obj, const mon_config_t *cfg,
                       mon_config_sect_t sect, size_t index,
                       const field_t *fields, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const field_t *f = &fields[i];
        const mon_config_key_t *key;
        const char *name;
        switch (f->kind) {
        case F_KEY:
            key = mon_config_key_find(sect, f->name);
            /* every field names a key of the table with a Burrow name,
             * or (Warren's own keys) the JSON name to show it under */
            WARREN_ASSERT(key && (key->burrow || f->value));
            name = f->value ? f->value : strrchr(key->burrow, '.') + 1;
            cJSON_AddItemToObject(obj, name, key_json(cfg, key, index));
            break;
        case F_STR:
            cJSON_AddItemToObject(obj, f->name, cJSON_CreateString(f->value));
            break;
        case F_ZERO:
            api_json_add_int64(obj, f->name, 0);
            break;
        case F_FALSE:
            cJSON_AddItemToObject(obj, f->name, cJSON_CreateFalse());
            break;
        }
    }
}

static cJSON *general_json(const mon_config_t *cfg) {
    static const field_t fields[] = {
        STR("pidfile", ""),
        STR("stdout-logfile", ""),
        KEY("access-control-allow-origin"),
    };
    cJSON *o = cJSON_CreateObject();
    add_fields(o, cfg, MON_CONFIG_SECT_GENERAL, 0, fields, N_FIELDS(fields));
    return o;
}

/* Warren logs to stderr without rotation: only the level is set, and it
 * is the current one (POST /v3/admin/loglevel changes it). */
static cJSON *logging_json(void) {
    static const field_t fields[] = {
        STR("filename", ""), ZERO("max-size"),        ZERO("max-backups"),
        ZERO("max-age"),     FALSE("use-local-time"), FALSE("use-compression"),
    };
    cJSON *o = cJSON_CreateObject();
    add_fields(o, NULL, MON_CONFIG_SECT_GENERAL, 0, fields, N_FIELDS(fields));
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
    static const field_t fields[] = {
        KEY("listen"),
        STR("tls", ""),
        KEY("timeout"),
    };
    cJSON *servers = cJSON_CreateObject();
    cJSON *o = cJSON_CreateObject();
    add_fields(o, cfg, MON_CONFIG_SECT_HTTP, 0, fields, N_FIELDS(fields));
    cJSON_AddItemToObject(servers, ONLY_MODULE, o);
    return servers;
}

static cJSON *storage_json(const mon_config_t *cfg) {
    static const field_t fields[] = {
        STR("class-name", "inmemory"), KEY("intervals"),    KEY("min-distance"),
        KEY("group-allowlist"),        KEY("expire-group"),
    };
    cJSON *o = cJSON_CreateObject();
    add_fields(o, cfg, MON_CONFIG_SECT_STORAGE, 0, fields, N_FIELDS(fields));
    return o;
}

static cJSON *evaluator_json(const mon_config_t *cfg) {
    static const field_t fields[] = {
        STR("class-name", "caching"), KEY("expire-cache"),
        KEY_AS("rules", "rules"), /* Warren's: warren or burrow */
    };
    cJSON *o = cJSON_CreateObject();
    add_fields(o, cfg, MON_CONFIG_SECT_EVALUATOR, 0, fields, N_FIELDS(fields));
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

/* The consumer module of cluster cc: class-name (Burrow's consumer of a
 * Kafka cluster is class "kafka" too), servers and client-profile are
 * those of the cluster's detail. */
static cJSON *consumer_json(const mon_query_t *q,
                            const mon_config_cluster_t *cc, size_t index) {
    static const field_t tail[] = {
        STR("zookeeper-path", ""),
        ZERO("zookeeper-timeout"),
    };
    cJSON *cluster = api_kafka_cluster_module(q, cc->name);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(
        o, "class-name",
        take_item(cluster, "class-name", cJSON_CreateString("embedded")));
    cJSON_AddItemToObject(o, "cluster", cJSON_CreateString(cc->name));
    cJSON_AddItemToObject(o, "servers",
                          take_item(cluster, "servers", cJSON_CreateArray()));
    static const field_t allow[] = {KEY("group-allowlist")};
    add_fields(o, mon_query_config(q), MON_CONFIG_SECT_CLUSTER, index, allow,
               1);
    add_fields(o, mon_query_config(q), MON_CONFIG_SECT_CLUSTER, index, tail,
               N_FIELDS(tail));
    cJSON_AddItemToObject(
        o, "client-profile",
        take_item(cluster, "client-profile", cJSON_CreateObject()));
    cJSON_AddItemToObject(o, "offsets-topic",
                          cJSON_CreateString("__consumer_offsets"));
    cJSON_AddItemToObject(o, "start-latest", cJSON_CreateFalse());
    cJSON_Delete(cluster);
    return o;
}

/* Burrow's http notifier module; never the secret or the headers. */
static cJSON *notifier_json(const mon_config_t *cfg, size_t index) {
    static const field_t fields[] = {
        STR("class-name", "http"),
        KEY("group-allowlist"),
        KEY("interval"),
        KEY("threshold"),
        KEY("timeout"),
        ZERO("keepalive"),
        KEY("url-open"),
        KEY("url-close"),
        KEY("method-open"),
        KEY("method-close"),
        KEY("template-open"),
        KEY("template-close"),
        KEY_AS("extras.", "extra"), /* Burrow's JSON name for extras */
        KEY("send-close"),
        /* Burrow reads both with GetString: "" when unset */
        STR("extra-ca", ""),
        STR("noverify", ""),
    };
    cJSON *o = cJSON_CreateObject();
    add_fields(o, cfg, MON_CONFIG_SECT_NOTIFIER, index, fields,
               N_FIELDS(fields));
    return o;
}

/* Index of the configured section named name (clusters or notifiers). */
static int find_index(const mon_config_t *cfg, mon_config_sect_t sect,
                      const char *name, size_t *index) {
    size_t n = sect == MON_CONFIG_SECT_CLUSTER ? mon_config_cluster_count(cfg)
                                               : mon_config_notifier_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const char *have = sect == MON_CONFIG_SECT_CLUSTER
                               ? mon_config_cluster_at(cfg, i)->name
                               : mon_config_notifier_at(cfg, i)->name;
        if (!strcmp(have, name)) {
            *index = i;
            return 0;
        }
    }
    return -1;
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

/* ---- handlers (opaque: the borrowed mon_query_t) ---- */

static void h_main(api_req_t *req, void *opaque) {
    const mon_config_t *cfg = mon_query_config(opaque);
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
    const mon_query_t *q = opaque;
    module_list(req, "cluster", cluster_names(mon_query_config(q)));
}

static void h_consumer_list(api_req_t *req, void *opaque) {
    const mon_query_t *q = opaque;
    module_list(req, "consumer", cluster_names(mon_query_config(q)));
}

static void h_notifier_list(api_req_t *req, void *opaque) {
    const mon_query_t *q = opaque;
    module_list(req, "notifier", notifier_names(mon_query_config(q)));
}

static void h_storage(api_req_t *req, void *opaque) {
    const mon_query_t *q = opaque;
    if (strcmp(api_req_param(req, "name"), ONLY_MODULE) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "storage module not found");
        return;
    }
    module_detail(req, "storage module detail returned",
                  storage_json(mon_query_config(q)));
}

static void h_evaluator(api_req_t *req, void *opaque) {
    const mon_query_t *q = opaque;
    if (strcmp(api_req_param(req, "name"), ONLY_MODULE) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "evaluator module not found");
        return;
    }
    module_detail(req, "evaluator module detail returned",
                  evaluator_json(mon_query_config(q)));
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
    const mon_query_t *q = opaque;
    size_t i;
    if (find_index(mon_query_config(q), MON_CONFIG_SECT_CLUSTER,
                   api_req_param(req, "name"), &i) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "consumer module not found");
        return;
    }
    module_detail(
        req, "consumer module detail returned",
        consumer_json(q, mon_config_cluster_at(mon_query_config(q), i), i));
}

static void h_notifier(api_req_t *req, void *opaque) {
    const mon_query_t *q = opaque;
    size_t i;
    if (find_index(mon_query_config(q), MON_CONFIG_SECT_NOTIFIER,
                   api_req_param(req, "name"), &i) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "notifier module not found");
        return;
    }
    module_detail(req, "notifier module detail returned",
                  notifier_json(mon_query_config(q), i));
}

int api_routes_config_register(api_server_t *srv, const mon_query_t *q,
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
    if (!q || !mon_query_config(q)) {
        snprintf(errstr, errstr_size,
                 "/v3/config routes: a configuration is required");
        return -1;
    }
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (api_server_route(srv, "GET", routes[i].pattern, routes[i].fn,
                             (void *)q, errstr, errstr_size) != 0)
            return -1;
    }
    return 0;
}
