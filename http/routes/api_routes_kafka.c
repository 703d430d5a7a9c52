/* SPDX-License-Identifier: Apache-2.0 */
/* api_routes_kafka: see api_routes_kafka.h. Bodies are built with cJSON in
 * Burrow's field order; int64 values go through api_json_int64 and floats
 * through api_json_float so they print as Go would. The evaluation cache
 * holds finished response bodies keyed by decoded path (a mon_hmap): a
 * hit costs one hash lookup and one copy, which is what keeps /status
 * cheap under load.
 */
#include "http/routes/api_routes_kafka.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evaluator/ev_group.h"
#include "http/routes/api_routes_events.h"
#include "http/server/api_json.h"
#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_mem.h"

#define CACHE_MAX 8192

typedef struct cache_entry_s {
    mon_hkey_t key; /* first: the table's item; the decoded request path */
    char *cluster;
    char *group;
    unsigned status;
    char *body;
    size_t len;
    int64_t expires_ms;
} cache_entry_t;

struct api_routes_kafka_s {
    mon_query_t *q;
    int64_t expire_cache_ms;
    pthread_mutex_t cache_lock; /* guards cache */
    mon_hmap_t cache;           /* of cache_entry_t, by path */
};

/* ---- cache ---- */

static void entry_free(cache_entry_t *e) {
    free((char *)e->key.name);
    free(e->cluster);
    free(e->group);
    free(e->body);
    free(e);
}

/* Drops every entry when all, else the expired ones and those of
 * cluster/group (when both are set); cache_lock held. */
static void cache_drop(api_routes_kafka_t *rk, int64_t now_ms,
                       const char *cluster, const char *group, int all) {
    size_t n = 0;
    cache_entry_t **gone;
    mon_hkey_t *k;
    if (!rk->cache.count) return;
    /* collect, then delete: the table must not change during the walk */
    gone = mon_malloc(rk->cache.count * sizeof(*gone));
    for (size_t i = 0; (k = mon_hmap_next(&rk->cache, &i));) {
        cache_entry_t *e = (cache_entry_t *)k;
        if (all || e->expires_ms <= now_ms ||
            (cluster && group && strcmp(e->cluster, cluster) == 0 &&
             strcmp(e->group, group) == 0))
            gone[n++] = e;
    }
    for (size_t i = 0; i < n; i++) {
        mon_hmap_del(&rk->cache, &gone[i]->key);
        entry_free(gone[i]);
    }
    free(gone);
}

/* The entry for key, or NULL; cache_lock held. */
static cache_entry_t *cache_find(api_routes_kafka_t *rk, const char *key) {
    size_t len = strlen(key);
    return mon_hmap_get(&rk->cache, key, len, mon_hash_bytes(key, len));
}

/* Copies a live cached body for key into a malloc'd buffer. */
static char *cache_get(api_routes_kafka_t *rk, const char *key, int64_t now_ms,
                       unsigned *status, size_t *len) {
    char *copy = NULL;
    if (rk->expire_cache_ms <= 0) return NULL;
    pthread_mutex_lock(&rk->cache_lock);
    cache_entry_t *e = cache_find(rk, key);
    if (e && e->expires_ms > now_ms) {
        copy = mon_malloc(e->len + 1);
        memcpy(copy, e->body, e->len + 1);
        *status = e->status;
        *len = e->len;
    }
    pthread_mutex_unlock(&rk->cache_lock);
    return copy;
}

static void cache_put(api_routes_kafka_t *rk, const char *key,
                      const char *cluster, const char *group, unsigned status,
                      const char *body, size_t len, int64_t now_ms) {
    cache_entry_t *e, *old;
    if (rk->expire_cache_ms <= 0) return;
    e = mon_calloc(1, sizeof(*e));
    mon_hkey_set(&e->key, mon_strdup(key), strlen(key));
    e->cluster = mon_strdup(cluster);
    e->group = mon_strdup(group);
    e->status = status;
    e->body = mon_malloc(len + 1);
    memcpy(e->body, body, len);
    e->body[len] = '\0';
    e->len = len;
    e->expires_ms = now_ms + rk->expire_cache_ms;
    pthread_mutex_lock(&rk->cache_lock);
    /* replace an older entry for the same key */
    if ((old = cache_find(rk, key))) {
        mon_hmap_del(&rk->cache, &old->key);
        entry_free(old);
    }
    if (rk->cache.count >= CACHE_MAX) cache_drop(rk, now_ms, NULL, NULL, 0);
    if (rk->cache.count >= CACHE_MAX) cache_drop(rk, now_ms, NULL, NULL, 1);
    mon_hmap_put(&rk->cache, &e->key);
    pthread_mutex_unlock(&rk->cache_lock);
}

/* Drops every cached evaluation (e.g. after a snapshot load). Any
 * thread. */
static void api_routes_kafka_flush(api_routes_kafka_t *rk) {
    pthread_mutex_lock(&rk->cache_lock);
    cache_drop(rk, 0, NULL, NULL, 1);
    pthread_mutex_unlock(&rk->cache_lock);
}

/* ---- lifecycle ---- */

api_routes_kafka_t *api_routes_kafka_new(mon_query_t *q,
                                         int64_t expire_cache_ms) {
    api_routes_kafka_t *rk = mon_calloc(1, sizeof(*rk));
    rk->q = q;
    rk->expire_cache_ms = expire_cache_ms;
    pthread_mutex_init(&rk->cache_lock, NULL);
    return rk;
}

void api_routes_kafka_destroy(api_routes_kafka_t *rk) {
    if (!rk) return;
    api_routes_kafka_flush(rk);
    mon_hmap_free(&rk->cache);
    pthread_mutex_destroy(&rk->cache_lock);
    free(rk);
}

static int64_t eval_now(const api_routes_kafka_t *rk, const char *cluster,
                        int64_t wall_ms) {
    return mon_query_now(rk->q, cluster, wall_ms);
}

/* ---- JSON pieces ---- */

static cJSON *names_json(const mon_store_names_t *names) {
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < names->count; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(names->names[i]));
    return arr;
}

static cJSON *entry_json(const ev_entry_t *e) {
    cJSON *o = cJSON_CreateObject();
    api_json_add_int64(o, "offset", e->offset);
    api_json_add_int64(o, "timestamp", e->timestamp_ms);
    api_json_add_int64(o, "observedAt", e->timestamp_ms);
    api_json_add_int64(o, "lag", e->lag);
    return o;
}

static cJSON *maybe_float(int known, double v) {
    return known ? api_json_float(v) : cJSON_CreateNull();
}

static cJSON *maybe_int(int known, int64_t v) {
    return known ? api_json_int64(v) : cJSON_CreateNull();
}

/* Retention risk (ev_retention.h): null where unknown, never 0. */
static void retention_json(cJSON *o, const mon_part_eval_t *pe) {
    const ev_retention_t *rt = &pe->retention;
    const char *from = ev_eta_from_name(rt->eta_from);

    cJSON_AddItemToObject(o, "log_start_offset",
                          maybe_int(rt->log_start >= 0, rt->log_start));
    cJSON_AddItemToObject(o, "retention_margin",
                          maybe_int(rt->known, rt->margin));
    cJSON_AddItemToObject(o, "retention_eta_s",
                          maybe_float(rt->eta_known, rt->eta_s));
    cJSON_AddItemToObject(o, "retention_eta_from",
                          from ? cJSON_CreateString(from) : cJSON_CreateNull());
    cJSON_AddItemToObject(
        o, "retention_ms",
        maybe_int(pe->retention_ms != EV_RETENTION_UNKNOWN, pe->retention_ms));
    cJSON_AddItemToObject(o, "retention_bytes",
                          maybe_int(pe->retention_bytes != EV_RETENTION_UNKNOWN,
                                    pe->retention_bytes));
    cJSON_AddItemToObject(o, "data_loss", cJSON_CreateBool(rt->data_loss));
}

static cJSON *partition_json(const mon_part_eval_t *pe) {
    cJSON *o = cJSON_CreateObject();
    char expl[512];
    const ev_result_t *r = &pe->result;

    cJSON_AddItemToObject(o, "topic", cJSON_CreateString(pe->topic));
    api_json_add_int64(o, "partition", pe->partition);
    cJSON_AddItemToObject(o, "owner", cJSON_CreateString(pe->owner));
    cJSON_AddItemToObject(o, "client_id", cJSON_CreateString(pe->client_id));
    cJSON_AddItemToObject(o, "status",
                          cJSON_CreateString(ev_status_name(r->status)));
    cJSON_AddItemToObject(o, "start",
                          pe->entry_count > 0 ? entry_json(&pe->first)
                                              : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "end",
                          pe->entry_count > 0 ? entry_json(&pe->last)
                                              : cJSON_CreateNull());
    api_json_add_int64(o, "current_lag", r->current_lag);
    api_json_add_float(o, "complete", r->complete);
    /* Warren's additions */
    cJSON_AddItemToObject(o, "label",
                          cJSON_CreateString(ev_status_label(r->status)));
    cJSON_AddItemToObject(o, "rule", cJSON_CreateString(ev_rule_name(r->rule)));
    ev_explain(r, expl, sizeof(expl));
    cJSON_AddItemToObject(o, "explanation", cJSON_CreateString(expl));
    cJSON_AddItemToObject(o, "time_lag_s",
                          maybe_float(r->time_lag_known, r->time_lag_s));
    /* where time_lag_s comes from: "record" (the timestamp of the record
     * at the committed offset), "heads" (interpolated over the head
     * samples), "caught-up" (nothing waits), null (unknown) */
    cJSON_AddItemToObject(o, "time_lag_source",
                          !r->time_lag_known ? cJSON_CreateNull()
                          : r->current_lag <= 0
                              ? cJSON_CreateString("caught-up")
                          : pe->time_lag_exact ? cJSON_CreateString("record")
                                               : cJSON_CreateString("heads"));
    cJSON_AddItemToObject(o, "eta_s", maybe_float(r->eta_known, r->eta_s));
    retention_json(o, pe);
    /* the member assigned it (kafka-lag-exporter's
     * consumer_id) */
    cJSON_AddItemToObject(
        o, "consumer_id",
        cJSON_CreateString(pe->member_id ? pe->member_id : ""));
    return o;
}

/* A group's state and membership (Warren's addition): state, protocol,
 * generation (null when the source cannot tell), member count, since
 * (when this member set was first seen) and described_at; with `full`
 * every member with its assignment ({topic: [partitions]}). */
static cJSON *membership_json(const mon_group_members_t *m, int full) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "state", cJSON_CreateString(m->state));
    cJSON_AddItemToObject(o, "protocol_type",
                          cJSON_CreateString(m->protocol_type));
    cJSON_AddItemToObject(o, "protocol", cJSON_CreateString(m->protocol));
    cJSON_AddItemToObject(o, "generation",
                          m->generation >= 0 ? api_json_int64(m->generation)
                                             : cJSON_CreateNull());
    api_json_add_int64(o, "member_count", (int64_t)m->count);
    api_json_add_int64(o, "since", m->since_ms);
    api_json_add_int64(o, "described_at", m->t_ms);
    if (!full) return o;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < m->count; i++) {
        const mon_member_t *mb = &m->members[i];
        cJSON *jm = cJSON_CreateObject(), *as = cJSON_CreateObject();
        cJSON *cur = NULL;
        const char *topic = NULL;
        cJSON_AddItemToObject(jm, "member_id",
                              cJSON_CreateString(mb->member_id));
        cJSON_AddItemToObject(jm, "instance_id",
                              mb->instance_id[0]
                                  ? cJSON_CreateString(mb->instance_id)
                                  : cJSON_CreateNull());
        cJSON_AddItemToObject(jm, "client_id",
                              cJSON_CreateString(mb->client_id));
        cJSON_AddItemToObject(jm, "host", cJSON_CreateString(mb->host));
        for (size_t j = 0; j < mb->n_assigned; j++) {
            if (!topic || strcmp(topic, mb->assigned[j].topic)) {
                topic = mb->assigned[j].topic;
                cur = cJSON_CreateArray();
                cJSON_AddItemToObject(as, topic, cur);
            }
            cJSON_AddItemToArray(cur,
                                 api_json_int64(mb->assigned[j].partition));
        }
        cJSON_AddItemToObject(jm, "assignment", as);
        api_json_add_int64(jm, "partition_count", (int64_t)mb->n_assigned);
        cJSON_AddItemToArray(arr, jm);
    }
    cJSON_AddItemToObject(o, "members", arr);
    return o;
}

/* Adds "membership" to obj: the group's, or null when no source
 * described it. */
static void add_membership(const api_routes_kafka_t *rk, cJSON *obj,
                           const char *cluster, const char *group, int full) {
    mon_group_members_t m = {0};
    if (mon_query_group_members(rk->q, cluster, group, &m) == 0)
        cJSON_AddItemToObject(obj, "membership", membership_json(&m, full));
    else
        cJSON_AddItemToObject(obj, "membership", cJSON_CreateNull());
    mon_group_members_free(&m);
}

static cJSON *notfound_status_json(ev_rules_t rules, const char *cluster,
                                   const char *group) {
    cJSON *st = cJSON_CreateObject();
    cJSON_AddItemToObject(st, "cluster", cJSON_CreateString(cluster));
    cJSON_AddItemToObject(st, "group", cJSON_CreateString(group));
    cJSON_AddItemToObject(st, "status", cJSON_CreateString("NOTFOUND"));
    api_json_add_float(st, "complete", 1);
    cJSON_AddItemToObject(st, "partitions", cJSON_CreateArray());
    api_json_add_int64(st, "partition_count", 0);
    cJSON_AddItemToObject(st, "maxlag", cJSON_CreateNull());
    api_json_add_int64(st, "totallag", 0);
    cJSON_AddItemToObject(st, "rules",
                          cJSON_CreateString(ev_rules_name(rules)));
    return st;
}

static cJSON *status_json(const api_routes_kafka_t *rk,
                          const mon_group_eval_t *ev, const char *cluster,
                          const char *group, int all) {
    cJSON *st = cJSON_CreateObject();
    cJSON *parts = cJSON_CreateArray();
    const mon_part_eval_t *decider = mon_group_eval_decider(ev);
    char expl[512] = "";
    int64_t since = -1;
    double min_eta = -1;

    cJSON_AddItemToObject(st, "cluster", cJSON_CreateString(cluster));
    cJSON_AddItemToObject(st, "group", cJSON_CreateString(group));
    cJSON_AddItemToObject(st, "status",
                          cJSON_CreateString(ev_status_name(ev->status)));
    api_json_add_float(st, "complete", ev->rollup.complete);
    for (size_t i = 0; i < ev->count; i++) {
        const mon_part_eval_t *pe = &ev->parts[i];
        if (all || pe->result.status != EV_OK)
            cJSON_AddItemToArray(parts, partition_json(pe));
    }
    cJSON_AddItemToObject(st, "partitions", parts);
    api_json_add_int64(st, "partition_count", (int64_t)ev->count);
    if (ev->rollup.maxlag_index >= 0 &&
        (size_t)ev->rollup.maxlag_index < ev->count)
        cJSON_AddItemToObject(
            st, "maxlag", partition_json(&ev->parts[ev->rollup.maxlag_index]));
    else
        cJSON_AddItemToObject(st, "maxlag", cJSON_CreateNull());
    api_json_add_int64(st, "totallag", ev->rollup.totallag);
    /* Warren's additions */
    cJSON_AddItemToObject(st, "label",
                          cJSON_CreateString(ev_status_label(ev->status)));
    cJSON_AddItemToObject(st, "rules",
                          cJSON_CreateString(ev_rules_name(ev->rules)));
    cJSON_AddItemToObject(
        st, "rule",
        cJSON_CreateString(ev_rule_name(
            ev_group_rule(&ev->rollup, decider ? &decider->result : NULL))));
    if (decider) ev_explain(&decider->result, expl, sizeof(expl));
    cJSON_AddItemToObject(st, "explanation", cJSON_CreateString(expl));
    cJSON_AddItemToObject(
        st, "max_time_lag_s",
        maybe_float(ev->rollup.time_lag_count > 0, ev->rollup.max_time_lag_s));
    for (size_t i = 0; i < ev->count; i++) {
        const ev_retention_t *rt = &ev->parts[i].retention;
        if (rt->eta_known && (min_eta < 0 || rt->eta_s < min_eta))
            min_eta = rt->eta_s;
    }
    cJSON_AddItemToObject(st, "min_retention_eta_s",
                          maybe_float(min_eta >= 0, min_eta));
    since = mon_query_status_since(rk->q, cluster, group);
    cJSON_AddItemToObject(
        st, "since", since >= 0 ? api_json_int64(since) : cJSON_CreateNull());
    add_membership(rk, st, cluster, group, 0);
    return st;
}

/* Prints body (with request), caches it when asked, responds. */
static void respond_cached(api_routes_kafka_t *rk, api_req_t *req,
                           unsigned status, cJSON *body, const char *cluster,
                           const char *group, int cache) {
    char *text;
    size_t len;
    api_json_add_request(body, req);
    text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text) {
        api_resp_set(req, status, NULL);
        return;
    }
    len = strlen(text);
    if (cache)
        cache_put(rk, req->path, cluster, group, status, text, len,
                  req->now_ms);
    api_resp_take(req, status, "application/json", text, len);
}

/* ---- handlers ---- */

static void h_clusters(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    cJSON *body = api_json_envelope(0, "cluster list returned");
    /* The store holds every configured cluster and those a trace names. */
    mon_store_names_t names = {0};
    mon_query_clusters(rk->q, &names);
    cJSON_AddItemToObject(body, "clusters", names_json(&names));
    mon_store_names_free(&names);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static const char *kafka_prop(const mon_config_cluster_t *cc, const char *key) {
    for (size_t i = 0; i < cc->n_kafka_props; i++)
        if (strcmp(cc->kafka_props[i].key, key) == 0)
            return cc->kafka_props[i].value;
    return NULL;
}

static cJSON *client_profile_json(const mon_config_cluster_t *cc) {
    cJSON *cp = cJSON_CreateObject();
    const char *client_id = cc ? kafka_prop(cc, "client.id") : NULL;
    const char *version = cc ? kafka_prop(cc, "broker.version.fallback") : NULL;
    const char *proto = cc ? kafka_prop(cc, "security.protocol") : NULL;
    cJSON_AddItemToObject(cp, "name", cJSON_CreateString("default"));
    cJSON_AddItemToObject(cp, "client-id",
                          cJSON_CreateString(client_id ? client_id : "warren"));
    cJSON_AddItemToObject(cp, "kafka-version",
                          cJSON_CreateString(version ? version : ""));
    if (proto &&
        (strcasecmp(proto, "ssl") == 0 || strcasecmp(proto, "sasl_ssl") == 0)) {
        const char *v;
        cJSON *tls = cJSON_CreateObject();
        cJSON_AddItemToObject(tls, "name", cJSON_CreateString("default"));
        v = kafka_prop(cc, "enable.ssl.certificate.verification");
        cJSON_AddItemToObject(tls, "noverify",
                              cJSON_CreateBool(v && strcmp(v, "false") == 0));
        v = kafka_prop(cc, "ssl.certificate.location");
        cJSON_AddItemToObject(tls, "certfile", cJSON_CreateString(v ? v : ""));
        v = kafka_prop(cc, "ssl.key.location");
        cJSON_AddItemToObject(tls, "keyfile", cJSON_CreateString(v ? v : ""));
        v = kafka_prop(cc, "ssl.ca.location");
        cJSON_AddItemToObject(tls, "cafile", cJSON_CreateString(v ? v : ""));
        cJSON_AddItemToObject(cp, "tls", tls);
    } else {
        cJSON_AddItemToObject(cp, "tls", cJSON_CreateNull());
    }
    if (proto && strncasecmp(proto, "sasl", 4) == 0) {
        const char *user = kafka_prop(cc, "sasl.username");
        cJSON *sasl = cJSON_CreateObject();
        cJSON_AddItemToObject(sasl, "name", cJSON_CreateString("default"));
        cJSON_AddItemToObject(sasl, "handshake-first", cJSON_CreateTrue());
        cJSON_AddItemToObject(sasl, "username",
                              cJSON_CreateString(user ? user : ""));
        cJSON_AddItemToObject(cp, "sasl", sasl);
    } else {
        cJSON_AddItemToObject(cp, "sasl", cJSON_CreateNull());
    }
    return cp;
}

/* Warren's addition to the cluster module: can the source see it? */
static cJSON *source_status_json(const mon_source_status_t *st) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", st->kind);
    cJSON_AddStringToObject(o, "state",
                            st->available ? "available" : "unavailable");
    cJSON_AddBoolToObject(o, "stale", st->stale);
    if (st->last_error[0])
        cJSON_AddStringToObject(o, "last_error", st->last_error);
    else
        cJSON_AddNullToObject(o, "last_error");
    api_json_add_int64(o, "last_error_time", st->last_error_ms);
    api_json_add_int64(o, "last_refresh", st->last_refresh_ms);
    api_json_add_int64(o, "events", st->events);
    if (st->cannot_list_groups) cJSON_AddTrueToObject(o, "cannot_list_groups");
    if (st->offline_partitions > 0) {
        api_json_add_int64(o, "offline_partitions", st->offline_partitions);
        cJSON_AddStringToObject(o, "offline", st->offline);
    }
    return o;
}

cJSON *api_kafka_cluster_module(const mon_query_t *q, const char *cluster) {
    const mon_config_cluster_t *cc;
    mon_query_cluster_t qc;
    cJSON *mod, *servers;
    static const char *const classes[] = {"embedded", "replay", "kafka"};
    const char *cls = "embedded";

    if (mon_query_cluster(q, cluster, &qc) != 0) return NULL;
    cc = qc.config;
    /* A cluster named only by a trace is fed (and clocked) by the replay
     * source: its class is that source's kind. */
    if (cc && cc->source <= MON_CONFIG_SOURCE_KAFKA)
        cls = classes[cc->source];
    else if (qc.has_source && qc.source.kind)
        cls = qc.source.kind;
    mod = cJSON_CreateObject();
    cJSON_AddItemToObject(mod, "class-name", cJSON_CreateString(cls));
    servers = cJSON_CreateArray();
    if (cc && cc->servers) {
        const char *p = cc->servers;
        while (*p) {
            size_t l = strcspn(p, ",");
            char *s = mon_strndup(p, l);
            cJSON_AddItemToArray(servers, cJSON_CreateString(s));
            free(s);
            p += l;
            if (*p == ',') p++;
        }
    }
    cJSON_AddItemToObject(mod, "servers", servers);
    cJSON_AddItemToObject(mod, "client-profile", client_profile_json(cc));
    api_json_add_int64(mod, "topic-refresh",
                       cc ? cc->topic_refresh_ms / 1000 : 60);
    api_json_add_int64(mod, "offset-refresh",
                       cc ? cc->offset_refresh_ms / 1000 : 10);
    if (qc.has_source)
        cJSON_AddItemToObject(mod, "status", source_status_json(&qc.source));
    return mod;
}

static void h_cluster(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    cJSON *body, *mod;

    mod = api_kafka_cluster_module(rk->q, api_req_param(req, "cluster"));
    if (!mod) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "cluster module not found");
        return;
    }
    body = api_json_envelope(0, "cluster module detail returned");
    cJSON_AddItemToObject(body, "module", mod);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_topics(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    mon_store_names_t names = {0};
    cJSON *body;
    if (mon_query_topics(rk->q, api_req_param(req, "cluster"), &names) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "cluster not found");
        return;
    }
    body = api_json_envelope(0, "topic list returned");
    cJSON_AddItemToObject(body, "topics", names_json(&names));
    mon_store_names_free(&names);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_topic(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    int64_t *offsets = NULL;
    size_t count = 0;
    cJSON *body, *arr;
    if (mon_query_topic_offsets(rk->q, api_req_param(req, "cluster"),
                                api_req_param(req, "topic"), &offsets,
                                &count) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "cluster or topic not found");
        return;
    }
    body = api_json_envelope(0, "topic offsets returned");
    arr = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++)
        cJSON_AddItemToArray(arr, api_json_int64(offsets[i]));
    free(offsets);
    cJSON_AddItemToObject(body, "offsets", arr);
    /* Warren's addition: the earliest offsets, null where not told */
    offsets = NULL;
    count = 0;
    arr = cJSON_CreateArray();
    if (mon_query_topic_log_starts(rk->q, api_req_param(req, "cluster"),
                                   api_req_param(req, "topic"), &offsets,
                                   &count) == 0)
        for (size_t i = 0; i < count; i++)
            cJSON_AddItemToArray(arr, maybe_int(offsets[i] >= 0, offsets[i]));
    free(offsets);
    cJSON_AddItemToObject(body, "log_start_offsets", arr);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_topic_consumers(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    mon_store_names_t names = {0};
    cJSON *body;
    if (mon_query_topic_consumers(rk->q, cluster, api_req_param(req, "topic"),
                                  eval_now(rk, cluster, req->now_ms),
                                  &names) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "cluster not found");
        return;
    }
    body = api_json_envelope(0, "consumers of topic returned");
    cJSON_AddItemToObject(body, "consumers", names_json(&names));
    mon_store_names_free(&names);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_consumers(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    mon_store_names_t names = {0};
    cJSON *body;
    if (mon_query_groups(rk->q, cluster, eval_now(rk, cluster, req->now_ms),
                         &names) != 0) {
        api_resp_error(req, MHD_HTTP_NOT_FOUND, "cluster not found");
        return;
    }
    body = api_json_envelope(0, "consumer list returned");
    cJSON_AddItemToObject(body, "consumers", names_json(&names));
    mon_store_names_free(&names);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void h_consumer(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    mon_group_detail_t d;
    cJSON *body, *topics, *arr = NULL;
    const char *cur = NULL;

    const char *group = api_req_param(req, "group");
    mon_group_members_t m = {0};

    memset(&d, 0, sizeof(d));
    /* a group with members but no commit yet has its membership only */
    if (mon_query_group_detail(rk->q, cluster, group,
                               eval_now(rk, cluster, req->now_ms), &d) != 0 &&
        mon_query_group_members(rk->q, cluster, group, &m) != 0) {
        mon_group_detail_free(&d);
        api_resp_error(req, MHD_HTTP_NOT_FOUND,
                       "cluster or consumer not found");
        return;
    }
    mon_group_members_free(&m);
    body = api_json_envelope(0, "consumer detail returned");
    topics = cJSON_CreateObject();
    for (size_t i = 0; i < d.count; i++) {
        const mon_part_detail_t *pd = &d.parts[i];
        cJSON *p = cJSON_CreateObject();
        cJSON *offs = cJSON_CreateArray();
        if (!cur || strcmp(cur, pd->topic) != 0) {
            cur = pd->topic;
            arr = cJSON_CreateArray();
            cJSON_AddItemToObject(topics, pd->topic, arr);
        }
        for (int k = pd->entry_count; k < d.intervals; k++)
            cJSON_AddItemToArray(offs, cJSON_CreateNull());
        for (int k = 0; k < pd->entry_count; k++)
            cJSON_AddItemToArray(offs, entry_json(&pd->entries[k]));
        cJSON_AddItemToObject(p, "offsets", offs);
        cJSON_AddItemToObject(p, "owner", cJSON_CreateString(pd->owner));
        cJSON_AddItemToObject(p, "client_id",
                              cJSON_CreateString(pd->client_id));
        api_json_add_int64(p, "current-lag", pd->current_lag);
        /* Warren's addition, after Burrow's fields */
        cJSON_AddItemToObject(p, "consumer_id",
                              cJSON_CreateString(pd->member_id));
        cJSON_AddItemToArray(arr, p);
    }
    mon_group_detail_free(&d);
    cJSON_AddItemToObject(body, "topics", topics);
    add_membership(rk, body, cluster, group, 1);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void status_common(api_req_t *req, api_routes_kafka_t *rk, int all) {
    const char *cluster = api_req_param(req, "cluster");
    const char *group = api_req_param(req, "group");
    mon_group_eval_t ev;
    cJSON *body;
    unsigned status;
    size_t len;
    char *cached = cache_get(rk, req->path, req->now_ms, &status, &len);

    if (cached) {
        api_resp_take(req, status, "application/json", cached, len);
        return;
    }
    memset(&ev, 0, sizeof(ev));
    body = api_json_envelope(0, "consumer status returned");
    if (mon_query_group_eval(rk->q, cluster, group,
                             eval_now(rk, cluster, req->now_ms), &ev) != 0 ||
        ev.status == EV_NOTFOUND) {
        cJSON_AddItemToObject(body, "status",
                              notfound_status_json(ev.rules, cluster, group));
        status = MHD_HTTP_NOT_FOUND;
    } else {
        cJSON *st = status_json(rk, &ev, cluster, group, all);
        /* Warren's addition: true while the cluster's source cannot see
         * it, so this is the last evaluation made before it went blind. */
        mon_source_status_t ss;
        cJSON_AddBoolToObject(st, "stale",
                              mon_query_source(rk->q, cluster, &ss) == 0 &&
                                  ss.stale);
        cJSON_AddItemToObject(body, "status", st);
        status = MHD_HTTP_OK;
    }
    mon_group_eval_free(&ev);
    respond_cached(rk, req, status, body, cluster, group, 1);
}

static void h_status(api_req_t *req, void *opaque) {
    status_common(req, opaque, 0);
}

static void h_lag(api_req_t *req, void *opaque) {
    status_common(req, opaque, 1);
}

static void h_window(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    const char *group = api_req_param(req, "group");
    mon_group_detail_t d;
    cJSON *body, *win, *parts;

    memset(&d, 0, sizeof(d));
    if (mon_query_group_detail(rk->q, cluster, group,
                               eval_now(rk, cluster, req->now_ms), &d) != 0) {
        mon_group_detail_free(&d);
        api_resp_error(req, MHD_HTTP_NOT_FOUND,
                       "cluster or consumer not found");
        return;
    }
    body = api_json_envelope(0, "consumer window returned");
    win = cJSON_CreateObject();
    cJSON_AddItemToObject(win, "cluster", cJSON_CreateString(cluster));
    cJSON_AddItemToObject(win, "group", cJSON_CreateString(group));
    api_json_add_int64(win, "intervals", d.intervals);
    api_json_add_int64(win, "last_commit", d.last_commit_ms);
    parts = cJSON_CreateArray();
    for (size_t i = 0; i < d.count; i++) {
        const mon_part_detail_t *pd = &d.parts[i];
        cJSON *p = cJSON_CreateObject();
        cJSON *offs = cJSON_CreateArray();
        cJSON *heads = cJSON_CreateArray();
        cJSON_AddItemToObject(p, "topic", cJSON_CreateString(pd->topic));
        api_json_add_int64(p, "partition", pd->partition);
        cJSON_AddItemToObject(p, "owner", cJSON_CreateString(pd->owner));
        cJSON_AddItemToObject(p, "client_id",
                              cJSON_CreateString(pd->client_id));
        api_json_add_int64(p, "current_lag", pd->current_lag);
        for (int k = 0; k < pd->entry_count; k++)
            cJSON_AddItemToArray(offs, entry_json(&pd->entries[k]));
        cJSON_AddItemToObject(p, "offsets", offs);
        for (int k = 0; k < pd->head_count; k++) {
            cJSON *h = cJSON_CreateObject();
            api_json_add_int64(h, "offset", pd->heads[k].offset);
            api_json_add_int64(h, "timestamp", pd->heads[k].timestamp_ms);
            cJSON_AddItemToArray(heads, h);
        }
        cJSON_AddItemToObject(p, "heads", heads);
        cJSON_AddItemToArray(parts, p);
    }
    mon_group_detail_free(&d);
    cJSON_AddItemToObject(win, "partitions", parts);
    cJSON_AddItemToObject(body, "window", win);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static int group_exists(api_routes_kafka_t *rk, const char *cluster,
                        const char *group, int64_t now_ms) {
    mon_group_detail_t d;
    int rc;
    memset(&d, 0, sizeof(d));
    rc = mon_query_group_detail(rk->q, cluster, group, now_ms, &d);
    mon_group_detail_free(&d);
    return rc == 0;
}

static void h_history(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    const char *group = api_req_param(req, "group");
    char buf[32];
    int64_t since = 0;
    mon_hsample_t *samples = NULL;
    size_t n = 0;
    long ql = api_req_query(req, "since", buf, sizeof(buf));
    cJSON *body, *hist, *arr;

    if (ql == -2 || ql == 0) {
        api_resp_error(req, MHD_HTTP_BAD_REQUEST, "invalid since");
        return;
    }
    if (ql > 0) {
        char *end = NULL;
        long long v;
        errno = 0;
        v = strtoll(buf, &end, 10);
        if (errno || *end || v < 0) {
            api_resp_error(req, MHD_HTTP_BAD_REQUEST, "invalid since");
            return;
        }
        since = v;
    }
    if (mon_query_history(rk->q, cluster, group, since, &samples, &n) != 0) {
        if (!group_exists(rk, cluster, group,
                          eval_now(rk, cluster, req->now_ms))) {
            api_resp_error(req, MHD_HTTP_NOT_FOUND,
                           "cluster or consumer not found");
            return;
        }
    }
    body = api_json_envelope(0, "consumer history returned");
    hist = cJSON_CreateObject();
    cJSON_AddItemToObject(hist, "cluster", cJSON_CreateString(cluster));
    cJSON_AddItemToObject(hist, "group", cJSON_CreateString(group));
    api_json_add_int64(hist, "since", since);
    arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *s = cJSON_CreateObject();
        api_json_add_int64(s, "t", samples[i].t);
        api_json_add_int64(s, "t_last", samples[i].t_last);
        cJSON_AddItemToObject(
            s, "status", cJSON_CreateString(ev_status_name(samples[i].status)));
        api_json_add_int64(s, "totallag", samples[i].totallag);
        api_json_add_int64(s, "maxlag", samples[i].maxlag);
        api_json_add_float(s, "max_time_lag_s", samples[i].max_time_lag_s);
        cJSON_AddItemToArray(arr, s);
    }
    free(samples);
    cJSON_AddItemToObject(hist, "samples", arr);
    mon_hrebalances_t rb;
    mon_query_rebalances(rk->q, cluster, group, since, &rb);
    arr = cJSON_CreateArray();
    for (size_t i = 0; i < rb.n; i++)
        cJSON_AddItemToArray(arr, api_routes_rebalance_json(rb.v[i]));
    mon_hrebalances_free(&rb);
    cJSON_AddItemToObject(hist, "rebalances", arr);
    cJSON_AddItemToObject(body, "history", hist);
    api_resp_json(req, MHD_HTTP_OK, body);
}

static void forget_group(api_routes_kafka_t *rk, const char *cluster,
                         const char *group) {
    pthread_mutex_lock(&rk->cache_lock);
    cache_drop(rk, 0, cluster, group, 0);
    pthread_mutex_unlock(&rk->cache_lock);
}

static void h_delete_group(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    const char *group = api_req_param(req, "group");
    /* Burrow answers 200 whether or not the group existed */
    mon_query_delete_group(rk->q, cluster, group);
    forget_group(rk, cluster, group);
    api_resp_json(req, MHD_HTTP_OK,
                  api_json_envelope(0, "consumer group removed"));
}

static void h_delete_group_topic(api_req_t *req, void *opaque) {
    api_routes_kafka_t *rk = opaque;
    const char *cluster = api_req_param(req, "cluster");
    const char *group = api_req_param(req, "group");
    mon_query_delete_group_topic(rk->q, cluster, group,
                                 api_req_param(req, "topic"));
    forget_group(rk, cluster, group);
    api_resp_json(req, MHD_HTTP_OK,
                  api_json_envelope(0, "consumer group removed"));
}

int api_routes_kafka_register(api_routes_kafka_t *rk, api_server_t *srv,
                              char *errstr, size_t errstr_size) {
    static const struct {
        const char *method;
        const char *pattern;
        api_handler_fn fn;
    } routes[] = {
        {"GET", "/v3/kafka", h_clusters},
        {"GET", "/v3/kafka/:cluster", h_cluster},
        {"GET", "/v3/kafka/:cluster/topic", h_topics},
        {"GET", "/v3/kafka/:cluster/topic/:topic", h_topic},
        {"GET", "/v3/kafka/:cluster/topic/:topic/consumers", h_topic_consumers},
        {"GET", "/v3/kafka/:cluster/consumer", h_consumers},
        {"GET", "/v3/kafka/:cluster/consumer/:group", h_consumer},
        {"GET", "/v3/kafka/:cluster/consumer/:group/status", h_status},
        {"GET", "/v3/kafka/:cluster/consumer/:group/lag", h_lag},
        {"GET", "/v3/kafka/:cluster/consumer/:group/window", h_window},
        {"GET", "/v3/kafka/:cluster/consumer/:group/history", h_history},
        {"DELETE", "/v3/kafka/:cluster/consumer/:group", h_delete_group},
        {"DELETE", "/v3/kafka/:cluster/consumer/:group/topic/:topic",
         h_delete_group_topic},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (api_server_route(srv, routes[i].method, routes[i].pattern,
                             routes[i].fn, rk, errstr, errstr_size) != 0)
            return -1;
    }
    return 0;
}
