/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics_int: what the files of /metrics share (api_metrics.c, the
 * frame: buffers, streaming, the route; api_metrics_lag.c, the lag
 * families of groups and topics; api_metrics_self.c, Warren's own). Not
 * for other modules.
 *
 * Every family is one row of api_metrics_families[] (name, help, type,
 * which switch shows it) and one buffer of the render: samples are
 * appended to their family's buffer in any order, and the frame writes
 * each family's HELP and TYPE before its samples. The buffer helpers are
 * inline: a large scrape is millions of small appends.
 */
#ifndef API_METRICS_INT_H
#define API_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http/server/api_server.h"
#include "monitor/base/mon_mem.h"
#include "monitor/config/mon_config.h"
#include "monitor/service/mon_query.h"

/* A growable byte buffer, NUL-terminated. */
typedef struct api_sbuf_s {
    char *p;
    size_t len;
    size_t cap;
} api_sbuf_t;

static inline void api_sb_reserve(api_sbuf_t *b, size_t more) {
    if (b->len + more + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + more + 1 > cap)
            cap *= 2;
        b->p = mon_realloc(b->p, cap);
        b->cap = cap;
    }
}

static inline void api_sb_put(api_sbuf_t *b, const char *s, size_t n) {
    api_sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static inline void api_sb_str(api_sbuf_t *b, const char *s) {
    api_sb_put(b, s, strlen(s));
}

/* Appends v in decimal. */
void api_sb_i64(api_sbuf_t *b, int64_t v);

/* Appends v as the exposition format writes a float (NaN for NaN). */
void api_sb_f64(api_sbuf_t *b, double v);

/* Appends name="value" (value escaped: \\, \", \n), after a comma unless
 * first. */
void api_sb_label(api_sbuf_t *b, const char *name, const char *value,
                  int first);

/* Which switch shows a family. */
#define API_MSET_ALWAYS 0u  /* Warren's own and kafka-lag-exporter's */
#define API_MSET_BURROW 1u  /* [metrics] burrow */
#define API_MSET_KMINION 2u /* [metrics] kminion */

enum api_mfam_e {
    /* Warren's own */
    AM_BUILD_INFO = 0,
    AM_EVALUATIONS,
    AM_EVAL_PASSES,
    AM_EVAL_PASS_SECONDS,
    AM_CLUSTER_UP,
    AM_CLUSTER_STALE,
    AM_CLUSTER_REFRESH_AGE,
    AM_CLUSTER_REFRESH_SECONDS,
    AM_CLUSTER_REFRESHES,
    AM_CLUSTER_REFRESH_ERRORS,
    AM_NOTIFIER_QUEUE,
    AM_NOTIFIER_IN_FLIGHT,
    AM_NOTIFIER_INCIDENTS,
    AM_NOTIFIER_DELIVERIES,
    AM_NOTIFIER_RETRIES,
    AM_HTTP_REQUESTS,
    AM_GROUP_STATUS,
    AM_GROUP_REBALANCES,
    AM_GROUP_DEPLOYMENTS,
    AM_GROUP_LAST_REBALANCE,
    AM_PART_STATUS,
    AM_PART_RET_MARGIN,
    AM_PART_RET_ETA,
    /* kafka-lag-exporter's */
    AM_KLE_LATEST,
    AM_KLE_EARLIEST,
    AM_KLE_MAX_LAG,
    AM_KLE_MAX_LAG_SECONDS,
    AM_KLE_OFFSET,
    AM_KLE_LAG,
    AM_KLE_LAG_SECONDS,
    AM_KLE_SUM_LAG,
    AM_KLE_TOPIC_SUM_LAG,
    AM_KLE_POLL_TIME,
    /* Burrow's */
    AM_BURROW_STATUS,
    AM_BURROW_LAG_TOTAL,
    AM_BURROW_PART_LAG,
    AM_BURROW_CUR_OFFSET,
    AM_BURROW_PART_STATUS,
    AM_BURROW_TOPIC_OFFSET,
    /* KMinion's */
    AM_KMIN_PART_LAG,
    AM_KMIN_TOPIC_LAG,
    AM_KMIN_OFFSET_SUM,
    AM_KMIN_HWM,
    AM_KMIN_HWM_SUM,
    AM_KMIN_LWM,
    AM__COUNT
};

/* One family: its name, HELP text, TYPE and switch. */
typedef struct api_mfam_s {
    const char *name;
    const char *help;
    const char *type; /* "gauge" or "counter" */
    unsigned set;     /* API_MSET_* */
} api_mfam_t;

extern const api_mfam_t api_metrics_families[AM__COUNT];

/* One render in progress. */
typedef struct api_mrender_s {
    mon_query_t *q;
    const mon_config_metrics_t *opt; /* never NULL */
    api_server_t *srv;               /* NULL: no HTTP counters */
    int64_t wall_ms;
    api_sbuf_t *fam; /* AM__COUNT sample buffers */
} api_mrender_t;

/* True when r shows family f. */
static inline int api_metrics_shown(const api_mrender_t *r, int f) {
    unsigned set = api_metrics_families[f].set;
    return set == API_MSET_ALWAYS ||
           (set == API_MSET_BURROW && r->opt->burrow) ||
           (set == API_MSET_KMINION && r->opt->kminion);
}

/* One sample: NAME{LABELS} VALUE\n into family f (labels prebuilt,
 * without braces; an empty label set writes NAME VALUE). */
void api_metrics_line_i64(api_mrender_t *r, int f, const api_sbuf_t *labels,
                          int64_t v);
void api_metrics_line_f64(api_mrender_t *r, int f, const api_sbuf_t *labels,
                          double v);

/* The lag families of every group and topic of every cluster
 * (api_metrics_lag.c). */
void api_metrics_render_lag(api_mrender_t *r);

/* Warren's own families: build, evaluation loop, clusters, notifiers,
 * HTTP (api_metrics_self.c). */
void api_metrics_render_self(api_mrender_t *r);

#endif
