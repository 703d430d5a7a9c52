/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics_lag: the lag families of /metrics (see api_metrics.h): per
 * group, per group and topic, per group partition and per topic
 * partition, in kafka-lag-exporter's names and labels, Warren's status,
 * and Burrow's and KMinion's when switched on; filtered by the [metrics]
 * cardinality settings.
 *
 * Built on the assumption that per-partition series dominate a scrape (a
 * few hundred thousand lines): each group's partitions are walked once,
 * in the evaluation's order (by topic, then partition), so topic sums
 * close when the topic changes and a topic's allow/deny verdict is
 * computed once per run of its partitions; a partition's topic and
 * partition labels are escaped once and appended to every family's
 * group prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/routes/api_metrics_int.h"
#include "monitor/base/mon_strmap.h"

/* Label buffers kept across the groups of one render. */
typedef struct lag_s {
    api_mrender_t *r;
    const char *cluster;
    bool topic_filter; /* a topic allow/deny list is set */
    const char *last_topic;
    bool last_ok;
    mon_strmap_t *seen; /* partitions = non-ok: "topic\0partition" shown */
    api_sbuf_t grp;     /* Burrow: cluster, consumer_group */
    api_sbuf_t kgrp;    /* kafka-lag-exporter: cluster_name, group */
    api_sbuf_t mgrp;    /* KMinion: cluster, group_id */
    api_sbuf_t wgrp;    /* Warren: cluster, group */
    api_sbuf_t tail;    /* ,topic="..",partition=".." */
    api_sbuf_t mtail;   /* ,topic_name="..",partition_id=".." */
    api_sbuf_t lb;      /* the labels of the line being written */
} lag_t;

static bool topic_ok(lag_t *x, const char *topic) {
    const mon_config_metrics_t *o = x->r->opt;
    if (!x->topic_filter) return true;
    if (!x->last_topic || strcmp(x->last_topic, topic) != 0) {
        x->last_topic = topic;
        x->last_ok = mon_config_name_allowed(o->topic_allowlist,
                                             o->topic_denylist, topic);
    }
    return x->last_ok;
}

/* lb = prefix + extra (both prebuilt label text). */
static api_sbuf_t *labels2(lag_t *x, const api_sbuf_t *prefix,
                           const api_sbuf_t *extra) {
    x->lb.len = 0;
    api_sb_put(&x->lb, prefix->p, prefix->len);
    if (extra) api_sb_put(&x->lb, extra->p, extra->len);
    return &x->lb;
}

/* tail and mtail for one topic partition. */
static void part_tails(lag_t *x, const char *topic, const char *part) {
    x->tail.len = 0;
    api_sb_label(&x->tail, "topic", topic, 0);
    api_sb_label(&x->tail, "partition", part, 0);
    if (x->r->opt->kminion) {
        x->mtail.len = 0;
        api_sb_label(&x->mtail, "topic_name", topic, 0);
        api_sb_label(&x->mtail, "partition_id", part, 0);
    }
}

static void mark_seen(lag_t *x, const char *topic, const char *part) {
    char key[512];
    size_t klen = mon_strmap_key2(key, sizeof(key), topic, part);
    if (klen && !mon_strmap_get(x->seen, key, klen))
        mon_strmap_put(x->seen, key, klen, (void *)1);
}

static bool was_seen(lag_t *x, const char *topic, const char *part) {
    char key[512];
    size_t klen = mon_strmap_key2(key, sizeof(key), topic, part);
    return klen && mon_strmap_get(x->seen, key, klen) != NULL;
}

/* The per-topic sums of a group, at the end of a run of its topic. */
static void topic_done(lag_t *x, const char *topic, int64_t lag,
                       int64_t offsets) {
    api_mrender_t *r = x->r;
    x->lb.len = 0;
    api_sb_put(&x->lb, x->kgrp.p, x->kgrp.len);
    api_sb_label(&x->lb, "topic", topic, 0);
    api_metrics_line_i64(r, AM_KLE_TOPIC_SUM_LAG, &x->lb, lag);
    if (!r->opt->kminion) return;
    x->lb.len = 0;
    api_sb_put(&x->lb, x->mgrp.p, x->mgrp.len);
    api_sb_label(&x->lb, "topic_name", topic, 0);
    api_metrics_line_i64(r, AM_KMIN_TOPIC_LAG, &x->lb, lag);
    api_metrics_line_i64(r, AM_KMIN_OFFSET_SUM, &x->lb, offsets);
}

/* Every per-partition series of one partition of a group. */
static void render_part(lag_t *x, const mon_part_eval_t *pe) {
    api_mrender_t *r = x->r;
    const ev_result_t *res = &pe->result;
    api_sbuf_t *lb;

    lb = labels2(x, &x->kgrp, &x->tail);
    api_sb_label(lb, "member_host", pe->owner, 0);
    api_sb_label(lb, "consumer_id", pe->member_id ? pe->member_id : "", 0);
    api_sb_label(lb, "client_id", pe->client_id, 0);
    api_metrics_line_i64(r, AM_KLE_LAG, lb, res->current_lag);
    if (pe->entry_count > 0)
        api_metrics_line_i64(r, AM_KLE_OFFSET, lb, pe->last.offset);
    if (res->time_lag_known)
        api_metrics_line_f64(r, AM_KLE_LAG_SECONDS, lb, res->time_lag_s);

    lb = labels2(x, &x->wgrp, &x->tail);
    api_metrics_line_i64(r, AM_PART_STATUS, lb, res->status);
    if (pe->retention.known)
        api_metrics_line_i64(r, AM_PART_RET_MARGIN, lb, pe->retention.margin);
    if (pe->retention.eta_known)
        api_metrics_line_f64(r, AM_PART_RET_ETA, lb, pe->retention.eta_s);
    if (r->opt->burrow) {
        lb = labels2(x, &x->grp, &x->tail);
        api_metrics_line_i64(r, AM_BURROW_PART_LAG, lb, res->current_lag);
        if (res->complete >= 1.0 && pe->entry_count > 0) {
            api_metrics_line_i64(r, AM_BURROW_CUR_OFFSET, lb, pe->last.offset);
            api_metrics_line_i64(r, AM_BURROW_PART_STATUS, lb, res->status);
        }
    }
    if (r->opt->kminion)
        api_metrics_line_i64(r, AM_KMIN_PART_LAG,
                             labels2(x, &x->mgrp, &x->mtail), res->current_lag);
}

static void group_prefixes(lag_t *x, const char *group) {
    const mon_config_metrics_t *o = x->r->opt;
    x->kgrp.len = 0;
    api_sb_label(&x->kgrp, "cluster_name", x->cluster, 1);
    api_sb_label(&x->kgrp, "group", group, 0);
    x->wgrp.len = 0;
    api_sb_label(&x->wgrp, "cluster", x->cluster, 1);
    api_sb_label(&x->wgrp, "group", group, 0);
    if (o->burrow) {
        x->grp.len = 0;
        api_sb_label(&x->grp, "cluster", x->cluster, 1);
        api_sb_label(&x->grp, "consumer_group", group, 0);
    }
    if (o->kminion) {
        x->mgrp.len = 0;
        api_sb_label(&x->mgrp, "cluster", x->cluster, 1);
        api_sb_label(&x->mgrp, "group_id", group, 0);
    }
}

/* The group's rebalance counters: the total from 0 on (so changes()
 * sees the first), the newest time and the deployments where it has had
 * any. */
static void render_rebalances(lag_t *x, const char *group) {
    mon_hrebalance_stats_t st;
    if (mon_query_rebalance_stats(x->r->q, x->cluster, group, &st) != 0) return;
    api_metrics_line_i64(x->r, AM_GROUP_REBALANCES, &x->wgrp,
                         (int64_t)st.total);
    if (st.total)
        api_metrics_line_f64(x->r, AM_GROUP_LAST_REBALANCE, &x->wgrp,
                             (double)st.last_ms / 1000.0);
    api_sbuf_t l = {0};
    for (int d = EV_DEPLOY_STOP_THE_WORLD; d <= EV_DEPLOY_CANARY; d++) {
        if (!st.by_deployment[d]) continue;
        l.len = 0;
        api_sb_put(&l, x->wgrp.p, x->wgrp.len);
        api_sb_label(&l, "deployment", ev_deploy_name((ev_deploy_t)d), 0);
        api_metrics_line_i64(x->r, AM_GROUP_DEPLOYMENTS, &l,
                             (int64_t)st.by_deployment[d]);
    }
    free(l.p);
}

static void render_group(lag_t *x, const char *group,
                         const mon_group_eval_t *ev) {
    api_mrender_t *r = x->r;
    const mon_config_metrics_t *o = r->opt;
    bool per_part = o->partitions == MON_CONFIG_METRIC_PARTS_ALL ||
                    (o->partitions == MON_CONFIG_METRIC_PARTS_NON_OK &&
                     ev->status != EV_OK);
    int64_t maxlag = 0, sum = 0, t_lag = 0, t_off = 0;
    double max_tl = 0;
    bool tl_known = false;
    size_t kept = 0;
    const char *cur = NULL;

    group_prefixes(x, group);
    for (size_t i = 0; i < ev->count; i++) {
        const mon_part_eval_t *pe = &ev->parts[i];
        const ev_result_t *res = &pe->result;
        if (!topic_ok(x, pe->topic)) continue;
        if (!cur || strcmp(cur, pe->topic) != 0) {
            if (cur) topic_done(x, cur, t_lag, t_off);
            cur = pe->topic;
            t_lag = t_off = 0;
        }
        kept++;
        sum += res->current_lag;
        t_lag += res->current_lag;
        if (pe->entry_count > 0) t_off += pe->last.offset;
        if (res->current_lag > maxlag) maxlag = res->current_lag;
        if (res->time_lag_known) {
            if (!tl_known || res->time_lag_s > max_tl) max_tl = res->time_lag_s;
            tl_known = true;
        }
        if (per_part) {
            char part[16];
            snprintf(part, sizeof(part), "%d", (int)pe->partition);
            part_tails(x, pe->topic, part);
            render_part(x, pe);
            if (x->seen) mark_seen(x, pe->topic, part);
        }
    }
    if (cur) topic_done(x, cur, t_lag, t_off);
    if (kept == 0 && ev->count > 0) return; /* every topic left out */

    api_metrics_line_i64(r, AM_GROUP_STATUS, &x->wgrp, ev->status);
    render_rebalances(x, group);
    api_metrics_line_i64(r, AM_KLE_MAX_LAG, &x->kgrp, maxlag);
    if (tl_known)
        api_metrics_line_f64(r, AM_KLE_MAX_LAG_SECONDS, &x->kgrp, max_tl);
    api_metrics_line_i64(r, AM_KLE_SUM_LAG, &x->kgrp, sum);
    if (o->burrow) {
        api_metrics_line_i64(r, AM_BURROW_STATUS, &x->grp, ev->status);
        api_metrics_line_i64(r, AM_BURROW_LAG_TOTAL, &x->grp, sum);
    }
}

/* Head (and, where known, earliest) offsets of every topic partition:
 * all of them, only those a non-OK group's series showed (non-ok), or
 * none (KMinion's per-topic sum stays). */
static void render_topics(lag_t *x) {
    api_mrender_t *r = x->r;
    const mon_config_metrics_t *o = r->opt;
    mon_store_names_t topics = {0};
    api_sbuf_t kc = {0}, bc = {0}, mc = {0};
    bool per_part = o->partitions != MON_CONFIG_METRIC_PARTS_NONE;

    if (mon_query_topics(r->q, x->cluster, &topics) != 0) return;
    api_sb_label(&kc, "cluster_name", x->cluster, 1);
    api_sb_label(&bc, "cluster", x->cluster, 1);
    api_sb_label(&mc, "cluster", x->cluster, 1);
    for (size_t t = 0; t < topics.count; t++) {
        const char *topic = topics.names[t];
        int64_t *offs = NULL, *starts = NULL, hwm_sum = 0;
        size_t n = 0, n_starts = 0;
        bool any = false;
        if (!topic_ok(x, topic) ||
            mon_query_topic_offsets(r->q, x->cluster, topic, &offs, &n) != 0)
            continue;
        if (per_part)
            mon_query_topic_log_starts(r->q, x->cluster, topic, &starts,
                                       &n_starts);
        for (size_t p = 0; p < n; p++) {
            char part[24];
            int64_t start = p < n_starts ? starts[p] : -1;
            if (offs[p] < 0) continue;
            any = true;
            hwm_sum += offs[p];
            if (!per_part) continue;
            snprintf(part, sizeof(part), "%zu", p);
            if (x->seen && !was_seen(x, topic, part)) continue;
            part_tails(x, topic, part);
            api_metrics_line_i64(r, AM_KLE_LATEST, labels2(x, &kc, &x->tail),
                                 offs[p]);
            bool known = start >= 0;
            if (known) api_metrics_line_i64(r, AM_KLE_EARLIEST, &x->lb, start);
            if (o->burrow)
                api_metrics_line_i64(r, AM_BURROW_TOPIC_OFFSET,
                                     labels2(x, &bc, &x->tail), offs[p]);
            if (o->kminion) {
                labels2(x, &mc, &x->mtail);
                api_metrics_line_i64(r, AM_KMIN_HWM, &x->lb, offs[p]);
                if (known) api_metrics_line_i64(r, AM_KMIN_LWM, &x->lb, start);
            }
        }
        if (o->kminion && any) {
            x->lb.len = 0;
            api_sb_put(&x->lb, mc.p, mc.len);
            api_sb_label(&x->lb, "topic_name", topic, 0);
            api_metrics_line_i64(r, AM_KMIN_HWM_SUM, &x->lb, hwm_sum);
        }
        free(offs);
        free(starts);
    }
    mon_store_names_free(&topics);
    free(kc.p);
    free(bc.p);
    free(mc.p);
}

void api_metrics_render_lag(api_mrender_t *r) {
    const mon_config_metrics_t *o = r->opt;
    mon_store_names_t clusters = {0};
    mon_group_eval_t ev;
    lag_t x;

    memset(&x, 0, sizeof(x));
    memset(&ev, 0, sizeof(ev));
    x.r = r;
    x.topic_filter = o->topic_allowlist || o->topic_denylist;
    mon_query_clusters(r->q, &clusters);
    for (size_t c = 0; c < clusters.count; c++) {
        mon_store_names_t groups = {0};
        int64_t now;
        x.cluster = clusters.names[c];
        x.last_topic = NULL;
        now = mon_query_now(r->q, x.cluster, r->wall_ms);
        if (o->partitions == MON_CONFIG_METRIC_PARTS_NON_OK)
            x.seen = mon_strmap_new();
        if (mon_query_groups(r->q, x.cluster, now, &groups) == 0) {
            for (size_t g = 0; g < groups.count; g++) {
                const char *group = groups.names[g];
                if (!mon_config_name_allowed(o->group_allowlist,
                                             o->group_denylist, group))
                    continue;
                if (mon_query_group_eval(r->q, x.cluster, group, now, &ev) !=
                        0 ||
                    ev.status == EV_NOTFOUND)
                    continue;
                x.last_topic = NULL; /* ev's strings are reused */
                render_group(&x, group, &ev);
            }
        }
        mon_store_names_free(&groups);
        x.last_topic = NULL;
        render_topics(&x);
        mon_strmap_destroy(x.seen);
        x.seen = NULL;
    }
    mon_group_eval_free(&ev);
    mon_store_names_free(&clusters);
    free(x.grp.p);
    free(x.kgrp.p);
    free(x.mgrp.p);
    free(x.wgrp.p);
    free(x.tail.p);
    free(x.mtail.p);
    free(x.lb.p);
}
