/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_events: see api_routes_events.h. Built with cJSON in the
 * field order the dashboard and SSE clients have always seen. */
#include "http/routes/api_routes_events.h"

#include <cjson/cJSON.h>

/* j's text (cJSON's buffer); j is freed. */
static char *print(cJSON *j) {
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    return s;
}

static cJSON *nonok_partitions(const mon_group_eval_t *ev) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; ev && i < ev->count; i++) {
        const mon_part_eval_t *p = &ev->parts[i];
        if (p->result.status == EV_OK) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "topic", p->topic);
        cJSON_AddNumberToObject(o, "partition", p->partition);
        cJSON_AddStringToObject(o, "status", ev_status_name(p->result.status));
        cJSON_AddStringToObject(o, "rule", ev_rule_name(p->result.rule));
        cJSON_AddNumberToObject(o, "current_lag",
                                (double)p->result.current_lag);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

char *api_routes_events_change_json(const mon_query_change_t *c) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "t", (double)c->t_ms);
    cJSON_AddStringToObject(j, "cluster", c->cluster);
    cJSON_AddStringToObject(j, "group", c->group);
    cJSON_AddStringToObject(j, "status", ev_status_name(c->status));
    cJSON_AddStringToObject(j, "previous", ev_status_name(c->previous));
    cJSON_AddStringToObject(j, "label", ev_status_label(c->status));
    if (c->ev) {
        cJSON_AddStringToObject(j, "rules", ev_rules_name(c->ev->rules));
        cJSON_AddStringToObject(j, "explanation",
                                c->explanation ? c->explanation : "");
    }
    cJSON_AddNumberToObject(j, "totallag",
                            c->ev ? (double)c->ev->rollup.totallag : 0);
    cJSON_AddItemToObject(j, "partitions", nonok_partitions(c->ev));
    return print(j);
}

char *api_routes_events_tick_json(const mon_query_tick_t *t) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "t", (double)t->t_ms);
    cJSON *groups = cJSON_AddArrayToObject(j, "groups");
    for (size_t i = 0; i < t->count; i++) {
        const mon_query_tick_group_t *tg = &t->groups[i];
        cJSON *g = cJSON_CreateObject();
        cJSON_AddStringToObject(g, "cluster", tg->cluster);
        cJSON_AddStringToObject(g, "group", tg->group);
        cJSON_AddStringToObject(g, "status", ev_status_name(tg->status));
        cJSON_AddNumberToObject(g, "totallag", (double)tg->totallag);
        cJSON_AddNumberToObject(g, "maxlag", (double)tg->maxlag);
        if (tg->time_lag_known)
            cJSON_AddNumberToObject(g, "max_time_lag_s", tg->max_time_lag_s);
        else
            cJSON_AddNullToObject(g, "max_time_lag_s");
        cJSON_AddItemToArray(groups, g);
    }
    return print(j);
}

static cJSON *members_json(const ev_member_ref_t *v, size_t n) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "member_id", v[i].member_id);
        cJSON_AddStringToObject(o, "client_id", v[i].client_id);
        cJSON_AddStringToObject(o, "host", v[i].host);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static void add_generation(cJSON *j, const char *key, int32_t g) {
    if (g >= 0)
        cJSON_AddNumberToObject(j, key, g);
    else
        cJSON_AddNullToObject(j, key);
}

/* Adds r's fields to j. */
static void rebalance_fields(cJSON *j, const ev_rebalance_t *r) {
    char why[512];
    ev_deploy_explain(r, why, sizeof(why));
    cJSON_AddNumberToObject(j, "t", (double)r->t_ms);
    add_generation(j, "generation_before", r->generation_before);
    add_generation(j, "generation", r->generation);
    cJSON_AddStringToObject(j, "state_before", r->state_before);
    cJSON_AddStringToObject(j, "state", r->state);
    cJSON_AddNumberToObject(j, "members_before", r->members_before);
    cJSON_AddNumberToObject(j, "members", r->members);
    cJSON_AddItemToObject(j, "joined", members_json(r->joined, r->n_joined));
    cJSON_AddItemToObject(j, "left", members_json(r->left, r->n_left));
    cJSON_AddNumberToObject(j, "joined_total", r->joined_total);
    cJSON_AddNumberToObject(j, "left_total", r->left_total);
    cJSON_AddNumberToObject(j, "partitions_moved", r->partitions_moved);
    cJSON_AddStringToObject(j, "change", ev_change_name(r->change));
    const char *d = ev_deploy_name(r->deployment);
    if (d)
        cJSON_AddStringToObject(j, "deployment", d);
    else
        cJSON_AddNullToObject(j, "deployment");
    cJSON_AddStringToObject(j, "sentence", why);
}

cJSON *api_routes_rebalance_json(const ev_rebalance_t *r) {
    cJSON *j = cJSON_CreateObject();
    rebalance_fields(j, r);
    return j;
}

char *api_routes_events_rebalance_json(const char *cluster, const char *group,
                                       const ev_rebalance_t *r) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "cluster", cluster);
    cJSON_AddStringToObject(j, "group", group);
    rebalance_fields(j, r);
    return print(j);
}

static void on_rebalance(void *arg, const char *cluster, const char *group,
                         const ev_rebalance_t *r) {
    char *json = api_routes_events_rebalance_json(cluster, group, r);
    if (json) api_sse_publish(arg, "rebalance", json);
    cJSON_free(json);
}

static void on_change(void *arg, const mon_query_change_t *c) {
    char *json = api_routes_events_change_json(c);
    if (json) api_sse_publish(arg, "status", json);
    cJSON_free(json);
}

static void on_tick(void *arg, const mon_query_tick_t *t) {
    char *json = api_routes_events_tick_json(t);
    if (json) api_sse_publish(arg, "tick", json);
    cJSON_free(json);
}

mon_query_events_t api_routes_events(api_sse_hub_t *hub) {
    mon_query_events_t ev = {.change = on_change,
                             .tick = on_tick,
                             .rebalance = on_rebalance,
                             .arg = hub};
    return ev;
}
