/* api_routes_notify: see api_routes_notify.h. The notifier hands out
 * copies through mon_query (mon_notify_types.h); the JSON is built here,
 * with cJSON, in the field order the dashboard reads. */
#include "http/routes/api_routes_notify.h"

#include <stdio.h>

#include <cjson/cJSON.h>

#include "http/server/api_json.h"
#include "monitor/base/mon_clock.h"

static void add_time(cJSON *o, const char *key, int64_t ms) {
    char t[MON_CLOCK_RFC3339_SIZE];
    cJSON_AddStringToObject(o, key, mon_clock_rfc3339(ms, t, sizeof(t)));
}

/* {seq, key, id, notifier, cluster, group, kind, state, attempts,
 * http_status (null when none), error, created, time (null when never
 * tried)}: times RFC 3339 UTC. */
static cJSON *delivery_json(const mon_delivery_info_t *in) {
    static const char *const states[] = {"pending", "delivered", "failed",
                                         "merged", "dropped"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "seq", (double)in->seq);
    cJSON_AddStringToObject(o, "key", in->key);
    cJSON_AddStringToObject(o, "id", in->incident_id);
    cJSON_AddStringToObject(o, "notifier", in->notifier);
    cJSON_AddStringToObject(o, "cluster", in->cluster);
    cJSON_AddStringToObject(o, "group", in->group);
    cJSON_AddStringToObject(o, "kind",
                            in->kind == MON_DELIVERY_CLOSE ? "close" : "open");
    cJSON_AddStringToObject(o, "state",
                            (size_t)in->state < sizeof(states) / sizeof(*states)
                                ? states[in->state]
                                : "pending");
    cJSON_AddNumberToObject(o, "attempts", in->attempts);
    if (in->http_status)
        cJSON_AddNumberToObject(o, "http_status", in->http_status);
    else
        cJSON_AddNullToObject(o, "http_status");
    cJSON_AddStringToObject(o, "error", in->error ? in->error : "");
    add_time(o, "created", in->created_ms);
    if (in->time_ms)
        add_time(o, "time", in->time_ms);
    else
        cJSON_AddNullToObject(o, "time");
    return o;
}

static cJSON *notifier_json(const mon_notifier_info_t *e) {
    const mon_delivery_stats_t *st = &e->stats;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", e->name);
    cJSON_AddStringToObject(o, "threshold", ev_status_name(e->threshold));
    cJSON_AddNumberToObject(o, "interval_s", (double)e->interval_ms / 1e3);
    cJSON_AddNumberToObject(o, "repeat_every_s",
                            (double)e->repeat_every_ms / 1e3);
    cJSON_AddBoolToObject(o, "send_close", e->send_close);
    cJSON_AddBoolToObject(o, "send_once", e->send_once);
    cJSON_AddNumberToObject(o, "open_after", e->open_after);
    cJSON_AddNumberToObject(o, "close_after", e->close_after);
    cJSON_AddNumberToObject(o, "max_retries", e->max_retries);
    cJSON_AddBoolToObject(o, "signed", e->is_signed);
    cJSON_AddNumberToObject(o, "open_incidents", (double)e->open_incidents);
    cJSON_AddNumberToObject(o, "queued", (double)st->queued);
    cJSON_AddNumberToObject(o, "delivered", (double)st->delivered);
    cJSON_AddNumberToObject(o, "failed", (double)st->failed);
    cJSON_AddNumberToObject(o, "retries", (double)st->retries);
    cJSON_AddNumberToObject(o, "merged", (double)st->merged);
    cJSON_AddNumberToObject(o, "dropped", (double)st->dropped);
    cJSON_AddNumberToObject(o, "pending", (double)st->pending);
    cJSON_AddNumberToObject(o, "in_flight", (double)st->in_flight);
    return o;
}

cJSON *api_routes_notify_view_json(const mon_notifier_view_t *v,
                                   cJSON *into) {
    cJSON *arr = cJSON_AddArrayToObject(into, "notifiers");
    for (size_t i = 0; i < v->n_notifiers; i++)
        cJSON_AddItemToArray(arr, notifier_json(&v->notifiers[i]));
    arr = cJSON_AddArrayToObject(into, "deliveries");
    for (size_t i = 0; i < v->n_deliveries; i++)
        cJSON_AddItemToArray(arr, delivery_json(&v->deliveries[i]));
    return into;
}

static cJSON *incident_json(const mon_notifier_incident_t *s) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "notifier", s->notifier);
    cJSON_AddBoolToObject(e, "open", s->open);
    if (s->open) {
        cJSON_AddStringToObject(e, "id", s->id);
        add_time(e, "start", s->start_ms);
        if (s->sent)
            add_time(e, "last_sent", s->last_sent_ms);
        cJSON_AddNumberToObject(e, "notifications", s->notifications);
    }
    cJSON_AddStringToObject(e, "status", ev_status_name(s->status));
    return e;
}

static cJSON *event_json(const mon_notifier_event_t *e) {
    static const char *const names[] = {"opened", "repeated", "closed"};
    cJSON *j = cJSON_CreateObject();
    add_time(j, "time", e->t_ms);
    cJSON_AddStringToObject(j, "notifier", e->notifier);
    cJSON_AddStringToObject(j, "event",
                            (size_t)e->event < sizeof(names) / sizeof(*names)
                                ? names[e->event]
                                : "opened");
    cJSON_AddStringToObject(j, "id", e->id);
    cJSON_AddStringToObject(j, "status", ev_status_name(e->status));
    if (e->has_delivery) {
        cJSON_AddStringToObject(j, "key", e->delivery.key);
        cJSON_AddItemToObject(j, "delivery", delivery_json(&e->delivery));
    } else {
        cJSON_AddNullToObject(j, "delivery");
    }
    return j;
}

cJSON *api_routes_notify_group_json(const mon_notifier_group_t *g,
                                    const char *cluster, const char *group,
                                    cJSON *into) {
    cJSON_AddStringToObject(into, "cluster", cluster);
    cJSON_AddStringToObject(into, "group", group);
    cJSON *arr = cJSON_AddArrayToObject(into, "incidents");
    for (size_t i = 0; i < g->n_incidents; i++)
        cJSON_AddItemToArray(arr, incident_json(&g->incidents[i]));
    arr = cJSON_AddArrayToObject(into, "timeline");
    for (size_t i = 0; i < g->n_timeline; i++)
        cJSON_AddItemToArray(arr, event_json(&g->timeline[i]));
    return into;
}

static void h_notifiers(api_req_t *req, void *opaque) {
    mon_notifier_view_t v;
    mon_query_notifiers(opaque, &v);
    cJSON *body = api_json_envelope(0, "notifier list returned");
    api_routes_notify_view_json(&v, body);
    mon_notifier_view_free(&v);
    api_resp_json(req, 200, body);
}

static void h_incidents(api_req_t *req, void *opaque) {
    mon_notifier_group_t g;
    const char *cluster = api_req_param(req, "cluster");
    const char *group = api_req_param(req, "group");
    mon_query_incidents(opaque, cluster, group, &g);
    cJSON *body = api_json_envelope(0, "consumer incidents returned");
    api_routes_notify_group_json(&g, cluster, group, body);
    mon_notifier_group_free(&g);
    api_resp_json(req, 200, body);
}

int api_routes_notify_register(api_server_t *srv, mon_query_t *q,
                               char *errstr, size_t errstr_size) {
    if (!q || !mon_query_has_notifier(q)) {
        snprintf(errstr, errstr_size,
                 "/v3/notifiers routes: the query has no notifier");
        return -1;
    }
    if (api_server_route(srv, "GET", "/v3/notifiers", h_notifiers, q, errstr,
                         errstr_size) != 0)
        return -1;
    return api_server_route(srv, "GET",
                            "/v3/kafka/:cluster/consumer/:group/incidents",
                            h_incidents, q, errstr, errstr_size);
}
