/* SPDX-License-Identifier: Apache-2.0 */
/* mon_query: see mon_query.h. A thin layer: every call is one store,
 * history or source call (each taking its own lock and copying out), with
 * the service's clock and evaluation when there is a service. Nothing here
 * caches or locks.
 */
#include "monitor/service/mon_query.h"

#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"
#include "monitor/notify/mon_notifier.h"
#include "monitor/notify/mon_silence.h"
#include "monitor/service/mon_service.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_store.h"

struct mon_query_s {
    mon_service_t *svc; /* NULL: store/history/params/clock below */
    mon_store_t *store;
    mon_history_t *history;
    ev_params_t params;
    mon_query_clock_fn clock;
    void *clock_arg;
    const mon_config_t *config;
    mon_notifier_t *notifier;
    mon_silences_t *silences;
};

/* The store's answer in this interface's terms. */
static int found(int rc) {
    return rc == 0 ? 0 : MON_ERR_NOTFOUND;
}

mon_query_t *mon_query_new(const mon_query_src_t *src) {
    mon_query_t *q = mon_calloc(1, sizeof(*q));
    q->svc = src->service;
    q->config = src->config;
    q->notifier = src->notifier;
    q->silences = src->silences;
    if (q->svc) {
        q->store = mon_service_store(q->svc);
        q->history = mon_service_history(q->svc);
        q->params = *mon_service_params(q->svc);
    } else {
        WARREN_ASSERT(src->store);
        q->store = src->store;
        q->history = src->history;
        q->params = src->params;
        q->clock = src->clock;
        q->clock_arg = src->clock_arg;
    }
    if (q->params.intervals <= 0)
        q->params.intervals = mon_store_intervals(q->store);
    return q;
}

void mon_query_destroy(mon_query_t *q) {
    free(q);
}

const mon_config_t *mon_query_config(const mon_query_t *q) {
    return q->config;
}

int mon_query_intervals(const mon_query_t *q) {
    return mon_store_intervals(q->store);
}

int64_t mon_query_now(const mon_query_t *q, const char *cluster,
                      int64_t wall_ms) {
    if (q->svc) return mon_service_now(q->svc, cluster, wall_ms);
    return q->clock ? q->clock(q->clock_arg, cluster, wall_ms) : wall_ms;
}

/* ---- clusters and topics ---- */

int mon_query_clusters(const mon_query_t *q, mon_store_names_t *out) {
    return mon_store_clusters(q->store, out);
}

int mon_query_source(const mon_query_t *q, const char *cluster,
                     mon_source_status_t *out) {
    mon_source_t *src = q->svc ? mon_service_source(q->svc, cluster) : NULL;
    if (!src) return MON_ERR_NOTFOUND;
    src->status(src, out);
    return 0;
}

int mon_query_counters(const mon_query_t *q, mon_query_counters_t *out) {
    memset(out, 0, sizeof(*out));
    if (!q->svc) return MON_ERR_NOTFOUND;
    mon_service_counters(q->svc, out);
    return 0;
}

int mon_query_cluster(const mon_query_t *q, const char *cluster,
                      mon_query_cluster_t *out) {
    memset(out, 0, sizeof(*out));
    if (q->config) out->config = mon_config_cluster_find(q->config, cluster);
    if (!out->config && !mon_store_cluster_find(q->store, cluster))
        return MON_ERR_NOTFOUND;
    out->has_source = mon_query_source(q, cluster, &out->source) == 0;
    return 0;
}

int mon_query_topics(const mon_query_t *q, const char *cluster,
                     mon_store_names_t *out) {
    return found(mon_store_topics(q->store, cluster, out));
}

int mon_query_topic_offsets(const mon_query_t *q, const char *cluster,
                            const char *topic, int64_t **offsets,
                            size_t *count) {
    return found(
        mon_store_topic_offsets(q->store, cluster, topic, offsets, count));
}

int mon_query_topic_log_starts(const mon_query_t *q, const char *cluster,
                               const char *topic, int64_t **offsets,
                               size_t *count) {
    return found(
        mon_store_topic_log_starts(q->store, cluster, topic, offsets, count));
}

int mon_query_topic_consumers(const mon_query_t *q, const char *cluster,
                              const char *topic, int64_t now_ms,
                              mon_store_names_t *out) {
    return found(
        mon_store_topic_consumers(q->store, cluster, topic, now_ms, out));
}

/* ---- groups ---- */

int mon_query_groups(const mon_query_t *q, const char *cluster, int64_t now_ms,
                     mon_store_names_t *out) {
    return found(mon_store_groups(q->store, cluster, now_ms, out));
}

int mon_query_group_detail(const mon_query_t *q, const char *cluster,
                           const char *group, int64_t now_ms,
                           mon_group_detail_t *out) {
    return found(mon_store_group_detail(q->store, cluster, group, now_ms, out));
}

int mon_query_group_members(const mon_query_t *q, const char *cluster,
                            const char *group, mon_group_members_t *out) {
    return found(mon_store_group_members(q->store, cluster, group, out));
}

int mon_query_group_eval(const mon_query_t *q, const char *cluster,
                         const char *group, int64_t now_ms,
                         mon_group_eval_t *out) {
    if (q->svc)
        return found(
            mon_service_group_eval(q->svc, cluster, group, now_ms, out));
    return found(mon_store_group_eval(q->store, cluster, group, now_ms,
                                      &q->params, out));
}

bool mon_query_has_history(const mon_query_t *q) {
    return q->history != NULL;
}

int64_t mon_query_status_since(const mon_query_t *q, const char *cluster,
                               const char *group) {
    return q->history ? mon_history_status_since(q->history, cluster, group)
                      : -1;
}

int mon_query_history(const mon_query_t *q, const char *cluster,
                      const char *group, int64_t since_ms, mon_hsample_t **out,
                      size_t *n) {
    *out = NULL;
    *n = 0;
    if (!q->history ||
        mon_history_get(q->history, cluster, group, since_ms, out, n) != 0)
        return MON_ERR_NOTFOUND;
    return 0;
}

int mon_query_rebalances(const mon_query_t *q, const char *cluster,
                         const char *group, int64_t since_ms,
                         mon_hrebalances_t *out) {
    memset(out, 0, sizeof(*out));
    if (!q->history ||
        mon_history_rebalances(q->history, cluster, group, since_ms, out) != 0)
        return MON_ERR_NOTFOUND;
    return 0;
}

int mon_query_rebalance_stats(const mon_query_t *q, const char *cluster,
                              const char *group, mon_hrebalance_stats_t *out) {
    memset(out, 0, sizeof(*out));
    if (!q->history ||
        mon_history_rebalance_stats(q->history, cluster, group, out) != 0)
        return MON_ERR_NOTFOUND;
    return 0;
}

/* ---- the notifier ---- */

bool mon_query_has_notifier(const mon_query_t *q) {
    return q->notifier != NULL;
}

int mon_query_notifiers(const mon_query_t *q, mon_notifier_view_t *out) {
    if (!q->notifier) {
        memset(out, 0, sizeof(*out));
        return MON_ERR_NOTFOUND;
    }
    return mon_notifier_view(q->notifier, out);
}

int mon_query_incidents(const mon_query_t *q, const char *cluster,
                        const char *group, mon_notifier_group_t *out) {
    if (!q->notifier) {
        memset(out, 0, sizeof(*out));
        return MON_ERR_NOTFOUND;
    }
    return mon_notifier_group_view(q->notifier, cluster, group, out);
}

/* ---- silences ---- */

bool mon_query_has_silences(const mon_query_t *q) {
    return q->silences != NULL;
}

int mon_query_silences(const mon_query_t *q, int64_t now_ms,
                       const char *cluster, const char *group,
                       mon_silence_info_t **out, size_t *n) {
    if (!q->silences) {
        *out = NULL;
        *n = 0;
        return MON_ERR_NOTFOUND;
    }
    return mon_silences_list(q->silences, now_ms, cluster, group, out, n);
}

static mon_silence_rc_t no_silences(char *errstr, size_t errstr_size) {
    snprintf(errstr, errstr_size, "this server keeps no silences");
    return MON_SILENCE_NONE;
}

mon_silence_rc_t mon_query_silence_create(const mon_query_t *q,
                                          const char *body, size_t len,
                                          int64_t now_ms,
                                          mon_silence_info_t **out,
                                          char *errstr, size_t errstr_size) {
    if (!q->silences) return no_silences(errstr, errstr_size);
    return mon_silences_create(q->silences, body, len, now_ms, out, errstr,
                               errstr_size);
}

mon_silence_rc_t mon_query_silence_delete(const mon_query_t *q, const char *id,
                                          int64_t now_ms, char *errstr,
                                          size_t errstr_size) {
    if (!q->silences) return no_silences(errstr, errstr_size);
    return mon_silences_delete(q->silences, id, now_ms, errstr, errstr_size);
}

/* ---- writes ---- */

int mon_query_delete_group(const mon_query_t *q, const char *cluster,
                           const char *group) {
    int rc = mon_store_delete_group(q->store, cluster, group);
    if (q->history) mon_history_forget(q->history, cluster, group);
    return found(rc);
}

int mon_query_delete_group_topic(const mon_query_t *q, const char *cluster,
                                 const char *group, const char *topic) {
    return found(mon_store_delete_group_topic(q->store, cluster, group, topic));
}
