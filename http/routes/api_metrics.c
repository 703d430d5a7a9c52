/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics: see api_metrics.h. One growable buffer per family, filled in
 * a single pass over the groups, then joined: the exposition format wants
 * each family's samples together, and one pass keeps the scrape linear.
 */
#include "http/routes/api_metrics.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/server/api_json.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_version.h"

typedef struct sbuf_s {
    char *p;
    size_t len;
    size_t cap;
} sbuf_t;

static void sb_reserve(sbuf_t *b, size_t more) {
    if (b->len + more + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + more + 1 > cap)
            cap *= 2;
        b->p = mon_realloc(b->p, cap);
        b->cap = cap;
    }
}

static void sb_put(sbuf_t *b, const char *s, size_t n) {
    sb_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf_t *b, const char *s) {
    sb_put(b, s, strlen(s));
}

static void sb_i64(sbuf_t *b, int64_t v) {
    char tmp[24];
    char *e = tmp + sizeof(tmp), *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    sb_put(b, p, (size_t)(e - p));
}

static void sb_f64(sbuf_t *b, double v) {
    char tmp[64];
    int n = api_json_format_float(v, tmp, sizeof(tmp));
    if (strcmp(tmp, "null") == 0)
        sb_str(b, "NaN");
    else
        sb_put(b, tmp, (size_t)n);
}

/* Appends a label value escaped for the exposition format. */
static void sb_label(sbuf_t *b, const char *name, const char *value,
                     int first) {
    const char *p = value;
    if (!first) sb_put(b, ",", 1);
    sb_str(b, name);
    sb_put(b, "=\"", 2);
    while (*p) {
        size_t run = strcspn(p, "\\\"\n");
        sb_put(b, p, run);
        p += run;
        if (!*p) break;
        if (*p == '\n')
            sb_put(b, "\\n", 2);
        else if (*p == '\\')
            sb_put(b, "\\\\", 2);
        else
            sb_put(b, "\\\"", 2);
        p++;
    }
    sb_put(b, "\"", 1);
}

enum family_e {
    F_STATUS = 0,
    F_LAG_TOTAL,
    F_PART_LAG,
    F_CUR_OFFSET,
    F_PART_STATUS,
    F_TOPIC_OFFSET,
    F_KLE_LAG,
    F_KLE_LAG_SECONDS,
    F_KLE_MAX_LAG,
    F_KLE_MAX_LAG_SECONDS,
    F_KLE_SUM_LAG,
    F_BUILD_INFO,
    F__COUNT
};

/* A rendered exposition: per family a header and a body, streamed in
 * order. Buffers are reused by the next scrape (see api_metrics_t). */
struct api_metrics_text_s {
    sbuf_t head[F__COUNT];
    sbuf_t body[F__COUNT];
    size_t total;
};

struct api_metrics_s {
    mon_query_t *q;
    pthread_mutex_t pool_lock; /* guards pool */
    api_metrics_text_t *pool;  /* one spare text, buffers kept */
};

static const struct {
    const char *name;
    const char *help;
} families[F__COUNT] = {
    {"burrow_kafka_consumer_status",
     "Consumer group status (0 NOTFOUND, 1 OK, 2 WARN, 3 ERR)"},
    {"burrow_kafka_consumer_lag_total", "Sum of the current lag of a group"},
    {"burrow_kafka_consumer_partition_lag",
     "Current lag of a group on one partition"},
    {"burrow_kafka_consumer_current_offset",
     "Last committed offset of a partition whose window is full"},
    {"burrow_kafka_topic_partition_status",
     "Partition status (1 OK, 2 WARN, 4 STOP, 5 STALL, 6 REWIND), full "
     "windows only"},
    {"burrow_kafka_topic_partition_offset",
     "Head (log end) offset of a topic partition"},
    {"kafka_consumergroup_group_lag", "Group offset lag of a partition"},
    {"kafka_consumergroup_group_lag_seconds",
     "Group time lag of a partition in seconds (estimated)"},
    {"kafka_consumergroup_group_max_lag", "Max group offset lag"},
    {"kafka_consumergroup_group_max_lag_seconds",
     "Max group time lag in seconds (estimated)"},
    {"kafka_consumergroup_group_sum_lag", "Sum of group offset lag"},
    {"warren_build_info", "Warren's version (always 1), as warren --version"},
};

static void text_free(api_metrics_text_t *t) {
    if (!t) return;
    for (int f = 0; f < F__COUNT; f++) {
        free(t->head[f].p);
        free(t->body[f].p);
    }
    free(t);
}

api_metrics_t *api_metrics_new(mon_query_t *q) {
    api_metrics_t *m = mon_calloc(1, sizeof(*m));
    m->q = q;
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

/* Copies up to n bytes from offset off into buf; returns the count (0 at
 * the end). */
static size_t api_metrics_text_read(const api_metrics_text_t *t, size_t off,
                                    char *buf, size_t n) {
    size_t done = 0;
    for (int f = 0; f < F__COUNT && done < n; f++) {
        const sbuf_t *seg[2] = {&t->head[f], &t->body[f]};
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

/* One sample line: NAME{LABELS} VALUE\n, labels prebuilt. */
static void line_i64(sbuf_t *b, int fam, const sbuf_t *labels, int64_t v) {
    sb_str(b, families[fam].name);
    sb_put(b, "{", 1);
    sb_put(b, labels->p, labels->len);
    sb_put(b, "} ", 2);
    sb_i64(b, v);
    sb_put(b, "\n", 1);
}

static void line_f64(sbuf_t *b, int fam, const sbuf_t *labels, double v) {
    sb_str(b, families[fam].name);
    sb_put(b, "{", 1);
    sb_put(b, labels->p, labels->len);
    sb_put(b, "} ", 2);
    sb_f64(b, v);
    sb_put(b, "\n", 1);
}

/* Label sets reused across the families of one group (buffers kept). */
typedef struct labels_s {
    sbuf_t group;     /* cluster=..,consumer_group=.. */
    sbuf_t part;      /* group + topic, partition */
    sbuf_t kle_group; /* cluster_name=..,group=.. */
    sbuf_t kle_part;  /* kle_group + topic .. client_id */
} labels_t;

static void render_group(sbuf_t *f, labels_t *l, const char *cluster,
                         const char *group, const mon_group_eval_t *ev) {
    double max_tl = 0;
    int64_t maxlag = 0;
    size_t gl, kgl;

    l->group.len = 0;
    sb_label(&l->group, "cluster", cluster, 1);
    sb_label(&l->group, "consumer_group", group, 0);
    l->kle_group.len = 0;
    sb_label(&l->kle_group, "cluster_name", cluster, 1);
    sb_label(&l->kle_group, "group", group, 0);
    gl = l->group.len;
    kgl = l->kle_group.len;

    line_i64(&f[F_STATUS], F_STATUS, &l->group, ev->status);
    line_i64(&f[F_LAG_TOTAL], F_LAG_TOTAL, &l->group, ev->rollup.totallag);
    for (size_t i = 0; i < ev->count; i++) {
        const mon_part_eval_t *pe = &ev->parts[i];
        const ev_result_t *r = &pe->result;
        char part[16];
        snprintf(part, sizeof(part), "%d", (int)pe->partition);
        l->part.len = 0;
        sb_put(&l->part, l->group.p, gl);
        sb_label(&l->part, "topic", pe->topic, 0);
        sb_label(&l->part, "partition", part, 0);
        l->kle_part.len = 0;
        sb_put(&l->kle_part, l->kle_group.p, kgl);
        sb_label(&l->kle_part, "topic", pe->topic, 0);
        sb_label(&l->kle_part, "partition", part, 0);
        sb_label(&l->kle_part, "member_host", pe->owner, 0);
        sb_label(&l->kle_part, "consumer_id", "", 0);
        sb_label(&l->kle_part, "client_id", pe->client_id, 0);

        line_i64(&f[F_PART_LAG], F_PART_LAG, &l->part, r->current_lag);
        if (r->complete >= 1.0 && pe->entry_count > 0) {
            line_i64(&f[F_CUR_OFFSET], F_CUR_OFFSET, &l->part, pe->last.offset);
            line_i64(&f[F_PART_STATUS], F_PART_STATUS, &l->part, r->status);
        }
        line_i64(&f[F_KLE_LAG], F_KLE_LAG, &l->kle_part, r->current_lag);
        if (r->time_lag_known) {
            line_f64(&f[F_KLE_LAG_SECONDS], F_KLE_LAG_SECONDS, &l->kle_part,
                     r->time_lag_s);
            if (r->time_lag_s > max_tl) max_tl = r->time_lag_s;
        }
        if (r->current_lag > maxlag) maxlag = r->current_lag;
    }
    line_i64(&f[F_KLE_MAX_LAG], F_KLE_MAX_LAG, &l->kle_group, maxlag);
    line_f64(&f[F_KLE_MAX_LAG_SECONDS], F_KLE_MAX_LAG_SECONDS, &l->kle_group,
             max_tl);
    line_i64(&f[F_KLE_SUM_LAG], F_KLE_SUM_LAG, &l->kle_group,
             ev->rollup.totallag);
}

static void render_topics(api_metrics_t *m, sbuf_t *b, const char *cluster) {
    mon_store_names_t topics = {0};
    if (mon_query_topics(m->q, cluster, &topics) != 0) return;
    for (size_t t = 0; t < topics.count; t++) {
        int64_t *offs = NULL;
        size_t n = 0;
        if (mon_query_topic_offsets(m->q, cluster, topics.names[t], &offs,
                                    &n) != 0)
            continue;
        for (size_t p = 0; p < n; p++) {
            char part[24];
            sbuf_t lb = {0};
            if (offs[p] < 0) continue;
            snprintf(part, sizeof(part), "%zu", p);
            sb_label(&lb, "cluster", cluster, 1);
            sb_label(&lb, "topic", topics.names[t], 0);
            sb_label(&lb, "partition", part, 0);
            line_i64(b, F_TOPIC_OFFSET, &lb, offs[p]);
            free(lb.p);
        }
        free(offs);
    }
    mon_store_names_free(&topics);
}

api_metrics_text_t *api_metrics_render(api_metrics_t *m, int64_t wall_ms) {
    api_metrics_text_t *t;
    sbuf_t *fam;
    mon_store_names_t clusters = {0};
    mon_group_eval_t ev;
    labels_t lab;

    pthread_mutex_lock(&m->pool_lock);
    t = m->pool;
    m->pool = NULL;
    pthread_mutex_unlock(&m->pool_lock);
    if (!t) t = mon_calloc(1, sizeof(*t));
    fam = t->body;
    for (int f = 0; f < F__COUNT; f++) {
        t->head[f].len = 0;
        t->body[f].len = 0;
    }
    memset(&lab, 0, sizeof(lab));
    memset(&ev, 0, sizeof(ev));
    mon_query_clusters(m->q, &clusters);
    for (size_t c = 0; c < clusters.count; c++) {
        const char *cluster = clusters.names[c];
        int64_t now = mon_query_now(m->q, cluster, wall_ms);
        mon_store_names_t groups = {0};
        if (mon_query_groups(m->q, cluster, now, &groups) == 0) {
            for (size_t g = 0; g < groups.count; g++) {
                if (mon_query_group_eval(m->q, cluster, groups.names[g], now,
                                         &ev) != 0 ||
                    ev.status == EV_NOTFOUND)
                    continue;
                render_group(fam, &lab, cluster, groups.names[g], &ev);
            }
        }
        mon_store_names_free(&groups);
        render_topics(m, &fam[F_TOPIC_OFFSET], cluster);
    }
    mon_group_eval_free(&ev);
    mon_store_names_free(&clusters);
    {
        sbuf_t lb = {0};
        sb_label(&lb, "version", mon_version(), 1);
        line_i64(&fam[F_BUILD_INFO], F_BUILD_INFO, &lb, 1);
        free(lb.p);
    }
    free(lab.group.p);
    free(lab.part.p);
    free(lab.kle_group.p);
    free(lab.kle_part.p);

    t->total = 0;
    for (int f = 0; f < F__COUNT; f++) {
        sbuf_t *h = &t->head[f];
        const char *name = families[f].name;
        sb_str(h, "# HELP ");
        sb_str(h, name);
        sb_put(h, " ", 1);
        sb_str(h, families[f].help);
        sb_str(h, "\n# TYPE ");
        sb_str(h, name);
        sb_str(h, " gauge\n");
        t->total += h->len + fam[f].len;
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
    s->t = api_metrics_render(opaque, req->now_ms);
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
