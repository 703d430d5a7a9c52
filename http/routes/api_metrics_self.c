/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics_self: Warren's own families of /metrics (see api_metrics.h):
 * which build answers, the evaluation loop's counters, each cluster's
 * health as its source reports it, each notifier's queue and outcomes,
 * and the HTTP requests answered by route and code. A handful of series
 * per cluster, notifier and route: cheap next to the lag families, so
 * none of them is subject to the cardinality settings.
 */
#include <stdio.h>
#include <stdlib.h>

#include "http/routes/api_metrics_int.h"
#include "monitor/base/mon_version.h"

static void render_build(api_mrender_t *r, api_sbuf_t *lb) {
    mon_query_counters_t c;
    lb->len = 0;
    api_sb_label(lb, "version", mon_version(), 1);
    api_metrics_line_i64(r, AM_BUILD_INFO, lb, 1);
    mon_query_counters(r->q, &c);
    api_metrics_line_i64(r, AM_EVALUATIONS, NULL, (int64_t)c.evaluations);
    api_metrics_line_i64(r, AM_EVAL_PASSES, NULL, (int64_t)c.passes);
    if (c.passes)
        api_metrics_line_f64(r, AM_EVAL_PASS_SECONDS, NULL,
                             (double)c.last_pass_us / 1e6);
}

/* One cluster: up, stale, refresh age, duration and counts, and
 * kafka-lag-exporter's poll time. Only clusters a source feeds: one known
 * only from a loaded snapshot (no longer configured) has no health to
 * report, and a permanent "down" for it would only page someone. */
static void render_cluster(api_mrender_t *r, api_sbuf_t *lb,
                           const char *cluster) {
    mon_query_cluster_t qc;
    const mon_source_status_t *s = &qc.source;
    if (mon_query_cluster(r->q, cluster, &qc) != 0 || !qc.has_source) return;
    lb->len = 0;
    api_sb_label(lb, "cluster", cluster, 1);
    api_metrics_line_i64(r, AM_CLUSTER_UP, lb, s->available ? 1 : 0);
    api_metrics_line_i64(r, AM_CLUSTER_STALE, lb, s->stale ? 1 : 0);
    if (s->last_refresh_ms > 0) {
        int64_t age = r->wall_ms - s->last_refresh_ms;
        api_metrics_line_f64(r, AM_CLUSTER_REFRESH_AGE, lb,
                             age > 0 ? (double)age / 1000.0 : 0.0);
    }
    api_metrics_line_f64(r, AM_CLUSTER_REFRESH_SECONDS, lb,
                         (double)s->refresh_duration_ms / 1000.0);
    api_metrics_line_i64(r, AM_CLUSTER_REFRESHES, lb, (int64_t)s->refreshes);
    api_metrics_line_i64(r, AM_CLUSTER_REFRESH_ERRORS, lb,
                         (int64_t)s->refresh_errors);
    if (s->refreshes > 0) {
        lb->len = 0;
        api_sb_label(lb, "cluster_name", cluster, 1);
        api_metrics_line_i64(r, AM_KLE_POLL_TIME, lb, s->refresh_duration_ms);
    }
}

static void render_notifiers(api_mrender_t *r, api_sbuf_t *lb) {
    mon_notifier_view_t v = {0};
    if (!mon_query_has_notifier(r->q) || mon_query_notifiers(r->q, &v) != 0)
        return;
    for (size_t i = 0; i < v.n_notifiers; i++) {
        const mon_notifier_info_t *n = &v.notifiers[i];
        const struct {
            const char *outcome;
            uint64_t count;
        } out[] = {{"delivered", n->stats.delivered},
                   {"failed", n->stats.failed},
                   {"merged", n->stats.merged},
                   {"dropped", n->stats.dropped}};
        size_t base;
        lb->len = 0;
        api_sb_label(lb, "notifier", n->name, 1);
        base = lb->len;
        api_metrics_line_i64(r, AM_NOTIFIER_QUEUE, lb,
                             (int64_t)n->stats.pending);
        api_metrics_line_i64(r, AM_NOTIFIER_IN_FLIGHT, lb,
                             (int64_t)n->stats.in_flight);
        api_metrics_line_i64(r, AM_NOTIFIER_INCIDENTS, lb,
                             (int64_t)n->open_incidents);
        api_metrics_line_i64(r, AM_NOTIFIER_RETRIES, lb,
                             (int64_t)n->stats.retries);
        for (size_t k = 0; k < sizeof(out) / sizeof(out[0]); k++) {
            lb->len = base;
            api_sb_label(lb, "outcome", out[k].outcome, 0);
            api_metrics_line_i64(r, AM_NOTIFIER_DELIVERIES, lb,
                                 (int64_t)out[k].count);
        }
    }
    mon_notifier_view_free(&v);
}

static void render_http(api_mrender_t *r, api_sbuf_t *lb) {
    api_server_count_t *c = NULL;
    size_t n;
    if (!r->srv) return;
    n = api_server_requests(r->srv, &c);
    for (size_t i = 0; i < n; i++) {
        char code[16];
        if (c[i].code)
            snprintf(code, sizeof(code), "%u", c[i].code);
        else
            snprintf(code, sizeof(code), "other");
        lb->len = 0;
        api_sb_label(lb, "method", c[i].method, 1);
        api_sb_label(lb, "route", c[i].route, 0);
        api_sb_label(lb, "code", code, 0);
        api_metrics_line_i64(r, AM_HTTP_REQUESTS, lb, (int64_t)c[i].count);
    }
    free(c);
}

void api_metrics_render_self(api_mrender_t *r) {
    api_sbuf_t lb = {0};
    mon_store_names_t clusters = {0};
    render_build(r, &lb);
    mon_query_clusters(r->q, &clusters);
    for (size_t c = 0; c < clusters.count; c++)
        render_cluster(r, &lb, clusters.names[c]);
    mon_store_names_free(&clusters);
    render_notifiers(r, &lb);
    render_http(r, &lb);
    free(lb.p);
}
