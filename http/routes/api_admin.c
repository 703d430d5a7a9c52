/* SPDX-License-Identifier: Apache-2.0 */
/* api_admin: see api_admin.h. POST /v3/admin/loglevel decodes its body
 * the way Go's json.Decoder into struct{Level string} does: the first JSON
 * value must be an object (or null), "level" must be a string or null,
 * other keys are ignored, the key matches case-insensitively (as Go does)
 * and bytes after the first value are not read.
 */
#include "http/routes/api_admin.h"

#include <microhttpd.h>
#include <string.h>

#include "http/server/api_json.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_version.h"

static void h_healthz(api_req_t *req, void *opaque) {
    cJSON *body = cJSON_CreateObject();
    (void)opaque;
    cJSON_AddItemToObject(body, "status", cJSON_CreateString("ok"));
    api_resp_json(req, MHD_HTTP_OK, body);
}

/* At most this many clusters are named in a not-ready reason. */
#define READYZ_REASON_CLUSTERS 5

static void h_readyz(api_req_t *req, void *opaque) {
    const mon_query_t *q = opaque;
    cJSON *body = cJSON_CreateObject();
    cJSON *list = cJSON_CreateArray();
    char reason[1024] = "";
    size_t len = 0, named = 0, waiting = 0, ready = 0;
    bool started = api_server_is_ready(req->server);
    mon_store_names_t names = {0};
    if (q) (void)mon_query_clusters(q, &names);
    for (size_t i = 0; i < names.count; i++) {
        mon_source_status_t st;
        if (mon_query_source(q, names.names[i], &st) != 0) continue;
        bool ok = st.last_refresh_ms > 0;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "cluster", names.names[i]);
        cJSON_AddBoolToObject(c, "ready", ok);
        cJSON_AddStringToObject(c, "source", st.kind ? st.kind : "");
        cJSON_AddStringToObject(c, "state",
                                st.available ? "available" : "unavailable");
        cJSON_AddBoolToObject(c, "stale", st.stale);
        api_json_add_int64(c, "last_refresh", st.last_refresh_ms);
        if (st.last_error[0])
            cJSON_AddStringToObject(c, "last_error", st.last_error);
        else
            cJSON_AddNullToObject(c, "last_error");
        cJSON_AddItemToArray(list, c);
        if (ok) {
            ready++;
            continue;
        }
        if (waiting++ >= READYZ_REASON_CLUSTERS || len >= sizeof(reason))
            continue;
        int w = snprintf(
            reason + len, sizeof(reason) - len, "%s%s (%s): %s",
            named++ ? "; " : "", names.names[i], st.kind ? st.kind : "?",
            st.last_error[0] ? st.last_error : "no refresh completed yet");
        if (w > 0) len += (size_t)w;
    }
    mon_store_names_free(&names);
    if (waiting > named && len < sizeof(reason))
        snprintf(reason + len, sizeof(reason) - len, "; and %zu more",
                 waiting - named);
    bool is_ready = started && (q ? ready > 0 : true);
    char why[sizeof(reason) + 64];
    if (!started)
        snprintf(why, sizeof(why), "starting");
    else if (!is_ready && waiting == 0)
        snprintf(why, sizeof(why), "no cluster has a source");
    else if (!is_ready)
        snprintf(why, sizeof(why), "no cluster has been read yet: %s", reason);
    else
        why[0] = '\0';
    cJSON_AddBoolToObject(body, "ready", is_ready);
    cJSON_AddStringToObject(body, "status", is_ready ? "ready" : "not ready");
    if (is_ready)
        cJSON_AddNullToObject(body, "reason");
    else
        cJSON_AddStringToObject(body, "reason", why);
    cJSON_AddItemToObject(body, "clusters", list);
    api_resp_json(req, is_ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                  body);
}

static void h_burrow_admin(api_req_t *req, void *opaque) {
    (void)opaque;
    api_resp_text(req, MHD_HTTP_OK, "text/plain; charset=utf-8", "GOOD");
}

static void h_ready(api_req_t *req, void *opaque) {
    (void)opaque;
    if (api_server_is_ready(req->server))
        api_resp_text(req, MHD_HTTP_OK, "text/plain; charset=utf-8", "READY");
    else
        api_resp_text(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                      "text/plain; charset=utf-8", "STARTING");
}

static void h_info(api_req_t *req, void *opaque) {
    cJSON *body = api_json_envelope(0, "build info returned");
    cJSON *info = cJSON_AddObjectToObject(body, "info");
    (void)opaque;
    cJSON_AddStringToObject(info, "name", "warren");
    cJSON_AddStringToObject(info, "version", mon_version());
    cJSON_AddStringToObject(info, "api", "v3");
    cJSON_AddStringToObject(info, "user-agent", mon_version_user_agent());
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_loglevel_get(api_req_t *req, void *opaque) {
    cJSON *body = api_json_envelope(0, "log level returned");
    (void)opaque;
    cJSON_AddItemToObject(
        body, "level",
        cJSON_CreateString(mon_log_level_name(mon_log_get_level())));
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_loglevel_post(api_req_t *req, void *opaque) {
    const char *end = NULL;
    cJSON *doc, *lv;
    const char *name = "";
    mon_log_level_t level;

    (void)opaque;
    doc = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
    if (!doc || !(cJSON_IsObject(doc) || cJSON_IsNull(doc))) {
        cJSON_Delete(doc);
        api_resp_error(req, MHD_HTTP_BAD_REQUEST,
                       "could not decode message body");
        return;
    }
    lv = cJSON_IsObject(doc) ? cJSON_GetObjectItem(doc, "level") : NULL;
    if (lv && !cJSON_IsString(lv) && !cJSON_IsNull(lv)) {
        cJSON_Delete(doc);
        api_resp_error(req, MHD_HTTP_BAD_REQUEST,
                       "could not decode message body");
        return;
    }
    if (lv && cJSON_IsString(lv)) name = lv->valuestring;
    if (mon_log_level_parse(name, &level) != 0) {
        cJSON_Delete(doc);
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "unknown log level");
        return;
    }
    cJSON_Delete(doc);
    mon_log_level_t was = mon_log_get_level();
    mon_log_set_level(level);
    /* told whatever the new level, or raising it would hide the change */
    mon_log_kv_always(
        MON_LOG_INFO,
        MON_LOG_FIELDS(MON_LF_STR("from", mon_log_level_name(was)),
                       MON_LF_STR("to", mon_log_level_name(level)),
                       MON_LF_STR("by", "POST /v3/admin/loglevel")),
        "log level changed");
    api_resp_json(req, MHD_HTTP_OK, api_json_envelope(0, "set log level"));
}

int api_admin_register(api_server_t *srv, const mon_query_t *q, char *errstr,
                       size_t errstr_size) {
    static const struct {
        const char *method;
        const char *pattern;
        api_handler_fn fn;
    } routes[] = {
        {"GET", "/healthz", h_healthz},
        {"GET", "/readyz", h_readyz},
        {"GET", "/burrow/admin", h_burrow_admin},
        {"GET", "/burrow/admin/ready", h_ready},
        {"GET", "/v3/info", h_info},
        {"GET", "/v3/admin/loglevel", h_loglevel_get},
        {"POST", "/v3/admin/loglevel", h_loglevel_post},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (api_server_route(srv, routes[i].method, routes[i].pattern,
                             routes[i].fn, (void *)q, errstr, errstr_size) != 0)
            return -1;
    }
    return 0;
}
