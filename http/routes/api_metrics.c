/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics: see api_metrics.h. The frame of a scrape: the table of
 * families, one growable buffer per family filled in a single pass over
 * the groups (api_metrics_lag.c) and Warren's own state
 * (api_metrics_self.c), then streamed in table order: the exposition
 * format wants each family's samples together, and one pass keeps the
 * scrape linear.
 */
#include "http/routes/api_metrics.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/routes/api_metrics_int.h"
#include "http/server/api_json.h"
#include "monitor/base/mon_mem.h"

void api_sb_i64(api_sbuf_t *b, int64_t v) {
    char tmp[24];
    char *e = tmp + sizeof(tmp), *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    api_sb_put(b, p, (size_t)(e - p));
}

void api_sb_f64(api_sbuf_t *b, double v) {
    char tmp[64];
    int n = api_json_format_float(v, tmp, sizeof(tmp));
    if (strcmp(tmp, "null") == 0)
        api_sb_str(b, "NaN");
    else
        api_sb_put(b, tmp, (size_t)n);
}

void api_sb_label(api_sbuf_t *b, const char *name, const char *value,
                  int first) {
    const char *p = value;
    if (!first) api_sb_put(b, ",", 1);
    api_sb_str(b, name);
    api_sb_put(b, "=\"", 2);
    while (*p) {
        size_t run = strcspn(p, "\\\"\n");
        api_sb_put(b, p, run);
        p += run;
        if (!*p) break;
        if (*p == '\n')
            api_sb_put(b, "\\n", 2);
        else if (*p == '\\')
            api_sb_put(b, "\\\\", 2);
        else
            api_sb_put(b, "\\\"", 2);
        p++;
    }
    api_sb_put(b, "\"", 1);
}

#define G "gauge"
#define C "counter"
const api_mfam_t api_metrics_families[AM__COUNT] = {
    [AM_BUILD_INFO] = {"warren_build_info",
                       "Warren's version (always 1), as warren --version", G,
                       API_MSET_ALWAYS},
    [AM_EVALUATIONS] = {"warren_evaluations_total",
                        "Group evaluations made by the evaluation loop", C,
                        API_MSET_ALWAYS},
    [AM_EVAL_PASSES] = {"warren_evaluation_passes_total",
                        "Passes of the evaluation loop over every group", C,
                        API_MSET_ALWAYS},
    [AM_EVAL_PASS_SECONDS] = {"warren_evaluation_pass_duration_seconds",
                              "How long the last evaluation pass took", G,
                              API_MSET_ALWAYS},
    [AM_CLUSTER_UP] = {"warren_cluster_up",
                       "1 when the cluster's source sees the cluster, else 0",
                       G, API_MSET_ALWAYS},
    [AM_CLUSTER_STALE] = {"warren_cluster_stale",
                          "1 when the cluster's data is older than it should "
                          "be (evaluations are not trusted), else 0",
                          G, API_MSET_ALWAYS},
    [AM_CLUSTER_REFRESH_AGE] = {"warren_cluster_last_refresh_age_seconds",
                                "Seconds since the last good refresh of the "
                                "cluster (absent: none yet)",
                                G, API_MSET_ALWAYS},
    [AM_CLUSTER_REFRESH_SECONDS] = {"warren_cluster_refresh_duration_seconds",
                                    "How long the last refresh of the "
                                    "cluster took",
                                    G, API_MSET_ALWAYS},
    [AM_CLUSTER_REFRESHES] = {"warren_cluster_refreshes_total",
                              "Refreshes of the cluster since start", C,
                              API_MSET_ALWAYS},
    [AM_CLUSTER_REFRESH_ERRORS] = {"warren_cluster_refresh_errors_total",
                                   "Refreshes of the cluster that failed "
                                   "since start",
                                   C, API_MSET_ALWAYS},
    [AM_NOTIFIER_QUEUE] = {"warren_notifier_queue_depth",
                           "Deliveries of a notifier not finished yet "
                           "(queued, in flight or waiting to retry)",
                           G, API_MSET_ALWAYS},
    [AM_NOTIFIER_IN_FLIGHT] = {"warren_notifier_in_flight",
                               "Requests of a notifier on the wire now", G,
                               API_MSET_ALWAYS},
    [AM_NOTIFIER_INCIDENTS] = {"warren_notifier_open_incidents",
                               "Incidents of a notifier open now", G,
                               API_MSET_ALWAYS},
    [AM_NOTIFIER_DELIVERIES] = {"warren_notifier_deliveries_total",
                                "Finished deliveries of a notifier by outcome "
                                "(delivered, failed, merged, dropped)",
                                C, API_MSET_ALWAYS},
    [AM_NOTIFIER_RETRIES] = {"warren_notifier_retries_total",
                             "Delivery attempts of a notifier that will be "
                             "retried",
                             C, API_MSET_ALWAYS},
    [AM_HTTP_REQUESTS] = {"warren_http_requests_total",
                          "HTTP requests answered, by route and status code", C,
                          API_MSET_ALWAYS},
    [AM_GROUP_STATUS] = {"warren_group_status",
                         "Consumer group status (1 OK, 2 WARN, 3 ERR)", G,
                         API_MSET_ALWAYS},
    [AM_GROUP_REBALANCES] = {"warren_group_rebalances_total",
                             "Rebalances of the group (changes of its settled "
                             "member set or generation) seen",
                             C, API_MSET_ALWAYS},
    [AM_GROUP_DEPLOYMENTS] = {"warren_group_deployments_total",
                              "Rebalances classified as a deployment, by kind "
                              "(stop-the-world, blue-green, rolling, canary)",
                              C, API_MSET_ALWAYS},
    [AM_GROUP_LAST_REBALANCE] =
        {"warren_group_last_rebalance_timestamp_seconds",
         "When the group's newest rebalance was seen "
         "(Unix seconds)",
         G, API_MSET_ALWAYS},
    [AM_PART_STATUS] = {"warren_partition_status",
                        "Partition status (1 OK, 2 WARN, 3 ERR data-loss, "
                        "4 STOP, 5 STALL, 6 REWIND)",
                        G, API_MSET_ALWAYS},
    [AM_PART_RET_MARGIN] = {"warren_partition_retention_margin",
                            "Records between the log start and the committed "
                            "offset (negative: deleted before the group read "
                            "them; where the log start is known)",
                            G, API_MSET_ALWAYS},
    [AM_PART_RET_ETA] = {"warren_partition_retention_eta_seconds",
                         "Seconds until retention could reach the committed "
                         "offset if the group read no further (where known)",
                         G, API_MSET_ALWAYS},
    [AM_KLE_LATEST] = {"kafka_partition_latest_offset",
                       "Latest offset of a partition", G, API_MSET_ALWAYS},
    [AM_KLE_EARLIEST] = {"kafka_partition_earliest_offset",
                         "Earliest offset of a partition (where known)", G,
                         API_MSET_ALWAYS},
    [AM_KLE_MAX_LAG] = {"kafka_consumergroup_group_max_lag",
                        "Max group offset lag", G, API_MSET_ALWAYS},
    [AM_KLE_MAX_LAG_SECONDS] = {"kafka_consumergroup_group_max_lag_seconds",
                                "Max group time lag (where known)", G,
                                API_MSET_ALWAYS},
    [AM_KLE_OFFSET] = {"kafka_consumergroup_group_offset",
                       "Last group consumed offset of a partition", G,
                       API_MSET_ALWAYS},
    [AM_KLE_LAG] = {"kafka_consumergroup_group_lag",
                    "Group offset lag of a partition", G, API_MSET_ALWAYS},
    [AM_KLE_LAG_SECONDS] = {"kafka_consumergroup_group_lag_seconds",
                            "Group time lag of a partition (where known)", G,
                            API_MSET_ALWAYS},
    [AM_KLE_SUM_LAG] = {"kafka_consumergroup_group_sum_lag",
                        "Sum of group offset lag", G, API_MSET_ALWAYS},
    [AM_KLE_TOPIC_SUM_LAG] = {"kafka_consumergroup_group_topic_sum_lag",
                              "Sum of group offset lag across topic "
                              "partitions",
                              G, API_MSET_ALWAYS},
    [AM_KLE_POLL_TIME] = {"kafka_consumergroup_poll_time_ms",
                          "Group time poll time (the last refresh of the "
                          "cluster, ms)",
                          G, API_MSET_ALWAYS},
    [AM_BURROW_STATUS] = {"burrow_kafka_consumer_status",
                          "Consumer group status (0 NOTFOUND, 1 OK, 2 WARN, "
                          "3 ERR)",
                          G, API_MSET_BURROW},
    [AM_BURROW_LAG_TOTAL] = {"burrow_kafka_consumer_lag_total",
                             "Sum of the current lag of a group", G,
                             API_MSET_BURROW},
    [AM_BURROW_PART_LAG] = {"burrow_kafka_consumer_partition_lag",
                            "Current lag of a group on one partition", G,
                            API_MSET_BURROW},
    [AM_BURROW_CUR_OFFSET] = {"burrow_kafka_consumer_current_offset",
                              "Last committed offset of a partition whose "
                              "window is full",
                              G, API_MSET_BURROW},
    [AM_BURROW_PART_STATUS] = {"burrow_kafka_topic_partition_status",
                               "Partition status (1 OK, 2 WARN, 4 STOP, "
                               "5 STALL, 6 REWIND), full windows only",
                               G, API_MSET_BURROW},
    [AM_BURROW_TOPIC_OFFSET] = {"burrow_kafka_topic_partition_offset",
                                "Head (log end) offset of a topic partition", G,
                                API_MSET_BURROW},
    [AM_KMIN_PART_LAG] = {"kminion_kafka_consumer_group_topic_partition_lag",
                          "The number of messages a consumer group is lagging "
                          "behind the latest offset of a partition",
                          G, API_MSET_KMINION},
    [AM_KMIN_TOPIC_LAG] = {"kminion_kafka_consumer_group_topic_lag",
                           "The number of messages a consumer group is "
                           "lagging behind across all partitions in a topic",
                           G, API_MSET_KMINION},
    [AM_KMIN_OFFSET_SUM] = {"kminion_kafka_consumer_group_topic_offset_sum",
                            "The sum of all committed group offsets across "
                            "all partitions in a topic",
                            G, API_MSET_KMINION},
    [AM_KMIN_HWM] = {"kminion_kafka_topic_partition_high_water_mark",
                     "Partition High Water Mark", G, API_MSET_KMINION},
    [AM_KMIN_HWM_SUM] = {"kminion_kafka_topic_high_water_mark_sum",
                         "Sum of all the topic's partition high water marks", G,
                         API_MSET_KMINION},
    [AM_KMIN_LWM] = {"kminion_kafka_topic_partition_low_water_mark",
                     "Partition Low Water Mark (where known)", G,
                     API_MSET_KMINION},
};
#undef G
#undef C

/* A rendered exposition: per family a header and a body, streamed in
 * order. Buffers are reused by the next scrape (see api_metrics_t). */
struct api_metrics_text_s {
    api_sbuf_t head[AM__COUNT];
    api_sbuf_t body[AM__COUNT];
    size_t total;
};

struct api_metrics_s {
    mon_query_t *q;
    mon_config_metrics_t defaults; /* without a configuration */
    pthread_mutex_t pool_lock;     /* guards pool */
    api_metrics_text_t *pool;      /* one spare text, buffers kept */
};

static void text_free(api_metrics_text_t *t) {
    if (!t) return;
    for (int f = 0; f < AM__COUNT; f++) {
        free(t->head[f].p);
        free(t->body[f].p);
    }
    free(t);
}

api_metrics_t *api_metrics_new(mon_query_t *q) {
    api_metrics_t *m = mon_calloc(1, sizeof(*m));
    m->q = q;
    m->defaults.partitions = MON_CONFIG_METRIC_PARTS_ALL;
    pthread_mutex_init(&m->pool_lock, NULL);
    return m;
}

void api_metrics_destroy(api_metrics_t *m) {
    if (!m) return;
    text_free(m->pool);
    pthread_mutex_destroy(&m->pool_lock);
    free(m);
}

void api_metrics_text_release(api_metrics_t *m, api_metrics_text_t *t) {
    if (!t) return;
    pthread_mutex_lock(&m->pool_lock);
    if (!m->pool) {
        m->pool = t;
        t = NULL;
    }
    pthread_mutex_unlock(&m->pool_lock);
    text_free(t);
}

size_t api_metrics_text_len(const api_metrics_text_t *t) {
    return t->total;
}

size_t api_metrics_text_read(const api_metrics_text_t *t, size_t off, char *buf,
                             size_t n) {
    size_t done = 0;
    for (int f = 0; f < AM__COUNT && done < n; f++) {
        const api_sbuf_t *seg[2] = {&t->head[f], &t->body[f]};
        for (int k = 0; k < 2 && done < n; k++) {
            size_t l = seg[k]->len, c;
            if (off >= l) {
                off -= l;
                continue;
            }
            c = l - off < n - done ? l - off : n - done;
            memcpy(buf + done, seg[k]->p + off, c);
            done += c;
            off = 0;
        }
    }
    return done;
}

static void line_start(api_sbuf_t *b, int f, const api_sbuf_t *labels) {
    api_sb_str(b, api_metrics_families[f].name);
    if (labels && labels->len) {
        api_sb_put(b, "{", 1);
        api_sb_put(b, labels->p, labels->len);
        api_sb_put(b, "} ", 2);
    } else {
        api_sb_put(b, " ", 1);
    }
}

void api_metrics_line_i64(api_mrender_t *r, int f, const api_sbuf_t *labels,
                          int64_t v) {
    api_sbuf_t *b = &r->fam[f];
    line_start(b, f, labels);
    api_sb_i64(b, v);
    api_sb_put(b, "\n", 1);
}

void api_metrics_line_f64(api_mrender_t *r, int f, const api_sbuf_t *labels,
                          double v) {
    api_sbuf_t *b = &r->fam[f];
    line_start(b, f, labels);
    api_sb_f64(b, v);
    api_sb_put(b, "\n", 1);
}

api_metrics_text_t *api_metrics_render(api_metrics_t *m, api_server_t *srv,
                                       int64_t wall_ms) {
    api_metrics_text_t *t;
    const mon_config_t *cfg = mon_query_config(m->q);
    api_mrender_t r = {.q = m->q,
                       .opt = cfg ? mon_config_metrics(cfg) : &m->defaults,
                       .srv = srv,
                       .wall_ms = wall_ms};

    pthread_mutex_lock(&m->pool_lock);
    t = m->pool;
    m->pool = NULL;
    pthread_mutex_unlock(&m->pool_lock);
    if (!t) t = mon_calloc(1, sizeof(*t));
    for (int f = 0; f < AM__COUNT; f++) {
        t->head[f].len = 0;
        t->body[f].len = 0;
    }
    r.fam = t->body;
    api_metrics_render_self(&r);
    api_metrics_render_lag(&r);

    t->total = 0;
    for (int f = 0; f < AM__COUNT; f++) {
        api_sbuf_t *h = &t->head[f];
        const api_mfam_t *fam = &api_metrics_families[f];
        if (!api_metrics_shown(&r, f)) {
            t->body[f].len = 0;
            continue;
        }
        api_sb_str(h, "# HELP ");
        api_sb_str(h, fam->name);
        api_sb_put(h, " ", 1);
        api_sb_str(h, fam->help);
        api_sb_str(h, "\n# TYPE ");
        api_sb_str(h, fam->name);
        api_sb_put(h, " ", 1);
        api_sb_str(h, fam->type);
        api_sb_put(h, "\n", 1);
        t->total += h->len + t->body[f].len;
    }
    return t;
}

typedef struct stream_s {
    api_metrics_t *m;
    api_metrics_text_t *t;
} stream_t;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    stream_t *s = cls;
    size_t n;
    if (pos >= s->t->total) return MHD_CONTENT_READER_END_OF_STREAM;
    n = api_metrics_text_read(s->t, (size_t)pos, buf, max);
    return n ? (ssize_t)n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls) {
    stream_t *s = cls;
    api_metrics_text_release(s->m, s->t);
    free(s);
}

static void h_metrics(api_req_t *req, void *opaque) {
    stream_t *s = mon_malloc(sizeof(*s));
    struct MHD_Response *resp;
    s->m = opaque;
    s->t = api_metrics_render(opaque, req->server, req->now_ms);
    resp = MHD_create_response_from_callback(s->t->total, 64 * 1024,
                                             stream_read, s, stream_free);
    if (!resp) {
        stream_free(s);
        api_resp_set(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8");
    api_resp_set(req, MHD_HTTP_OK, resp);
}

int api_metrics_register(api_metrics_t *m, api_server_t *srv, char *errstr,
                         size_t errstr_size) {
    return api_server_route(srv, "GET", "/metrics", h_metrics, m, errstr,
                            errstr_size);
}
