/* api_routes_notify: see api_routes_notify.h. */
#include "http/routes/api_routes_notify.h"

#include <cjson/cJSON.h>

#include "http/server/api_json.h"

/* Moves every member of `from` into `to` (from is freed). */
static void merge_into(cJSON *to, cJSON *from) {
    while (from && from->child) {
        cJSON *item = cJSON_DetachItemViaPointer(from, from->child);
        cJSON_AddItemToObject(to, item->string, item);
    }
    cJSON_Delete(from);
}

static void h_notifiers(api_req_t *req, void *opaque) {
    mon_notifier_t *n = opaque;
    cJSON *body = api_json_envelope(0, "notifier list returned");
    merge_into(body, mon_notifier_to_json(n));
    api_resp_json(req, 200, body);
}

static void h_incidents(api_req_t *req, void *opaque) {
    mon_notifier_t *n = opaque;
    cJSON *body = api_json_envelope(0, "consumer incidents returned");
    merge_into(body, mon_notifier_group_json(n,
                                             api_req_param(req, "cluster"),
                                             api_req_param(req, "group")));
    api_resp_json(req, 200, body);
}

int api_routes_notify_register(api_server_t *srv, mon_notifier_t *n,
                               char *errstr, size_t errstr_size) {
    if (api_server_route(srv, "GET", "/v3/notifiers", h_notifiers, n, errstr,
                         errstr_size) != 0)
        return -1;
    return api_server_route(srv, "GET",
                            "/v3/kafka/:cluster/consumer/:group/incidents",
                            h_incidents, n, errstr, errstr_size);
}
