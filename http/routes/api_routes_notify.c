/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_notify: see api_routes_notify.h. The notifier hands out
 * copies through mon_query (mon_notify_types.h); the JSON is built here,
 * with cJSON, in the field order the dashboard reads. */
#include "http/routes/api_routes_notify.h"

#include <stdio.h>

#include <cjson/cJSON.h>
#include <stdlib.h>

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

cJSON *api_routes_notify_view_json(const mon_notifier_view_t *v, cJSON *into) {
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
        if (s->sent) add_time(e, "last_sent", s->last_sent_ms);
        cJSON_AddNumberToObject(e, "notifications", s->notifications);
    }
    cJSON_AddStringToObject(e, "status", ev_status_name(s->status));
    return e;
}

static cJSON *event_json(const mon_notifier_event_t *e) {
    static const char *const names[] = {"opened", "repeated", "closed",
                                        "silenced"};
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

int api_routes_notify_register(api_server_t *srv, mon_query_t *q, char *errstr,
                               size_t errstr_size) {
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

/* ---- silences ---- */

static unsigned silence_status(mon_silence_rc_t rc) {
    switch (rc) {
    case MON_SILENCE_OK:
        return 200;
    case MON_SILENCE_BAD:
        return 400;
    case MON_SILENCE_NOT_FOUND:
        return 404;
    case MON_SILENCE_NONE:
        return 404;
    case MON_SILENCE_FULL:
        return 409;
    case MON_SILENCE_SLOW:
        return 503;
    default:
        return 500;
    }
}

static cJSON *silence_json(const mon_silence_info_t *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", e->id);
    if (e->group)
        cJSON_AddStringToObject(o, "group", e->group);
    else
        cJSON_AddNullToObject(o, "group");
    if (e->cluster)
        cJSON_AddStringToObject(o, "cluster", e->cluster);
    else
        cJSON_AddNullToObject(o, "cluster");
    add_time(o, "until", e->until_ms);
    add_time(o, "created", e->created_ms);
    cJSON_AddStringToObject(o, "comment", e->comment);
    cJSON_AddStringToObject(o, "created_by", e->created_by);
    cJSON_AddStringToObject(o, "state", e->active ? "active" : "expired");
    return o;
}

static void h_silences(api_req_t *req, void *opaque) {
    mon_query_t *q = opaque;
    char cl[1024], gr[1024];
    long lc = api_req_query(req, "cluster", cl, sizeof(cl));
    long lg = api_req_query(req, "group", gr, sizeof(gr));
    if (lc == -2 || lg == -2 || (lc >= 0) != (lg >= 0)) {
        api_resp_error(req, 400,
                       "cluster and group: give both (the "
                       "silences that match that group) or "
                       "neither (every silence)");
        return;
    }
    mon_silence_info_t *v = NULL;
    size_t n = 0;
    mon_query_silences(q, req->now_ms, lc >= 0 ? cl : NULL, lg >= 0 ? gr : NULL,
                       &v, &n);
    cJSON *body = api_json_envelope(0, "silence list returned");
    cJSON *arr = cJSON_AddArrayToObject(body, "silences");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, silence_json(&v[i]));
    mon_silence_list_free(v, n);
    api_resp_json(req, 200, body);
}

static void h_silence_create(api_req_t *req, void *opaque) {
    mon_query_t *q = opaque;
    char err[MON_ERRSTR_SIZE];
    mon_silence_info_t *out = NULL;
    mon_silence_rc_t rc = mon_query_silence_create(
        q, req->body, req->body_len, req->now_ms, &out, err, sizeof(err));
    if (rc != MON_SILENCE_OK) {
        api_resp_error(req, silence_status(rc), err);
        return;
    }
    cJSON *body = api_json_envelope(0, "silence created");
    cJSON_AddItemToObject(body, "silence", silence_json(out));
    mon_silence_list_free(out, 1);
    api_resp_json(req, 201, body);
}

static void h_silence_delete(api_req_t *req, void *opaque) {
    mon_query_t *q = opaque;
    char err[MON_ERRSTR_SIZE];
    mon_silence_rc_t rc = mon_query_silence_delete(
        q, api_req_param(req, "id"), req->now_ms, err, sizeof(err));
    if (rc != MON_SILENCE_OK) {
        api_resp_error(req, silence_status(rc), err);
        return;
    }
    api_resp_json(req, 200, api_json_envelope(0, "silence deleted"));
}

int api_routes_silences_register(api_server_t *srv, mon_query_t *q,
                                 char *errstr, size_t errstr_size) {
    if (!mon_query_has_silences(q)) {
        snprintf(errstr, errstr_size, "silence routes: no silences");
        return -1;
    }
    if (api_server_route(srv, "GET", "/v3/silences", h_silences, q, errstr,
                         errstr_size) != 0 ||
        api_server_route(srv, "POST", "/v3/silences", h_silence_create, q,
                         errstr, errstr_size) != 0)
        return -1;
    return api_server_route(srv, "DELETE", "/v3/silences/:id", h_silence_delete,
                            q, errstr, errstr_size);
}
