/* SPDX-License-Identifier: Apache-2.0 */
/* mon_notifier: incident state machines over group evaluations, rendering
 * and queueing of webhooks (see mon_notifier.h for the rules and files).
 *
 * Built on the assumption that most groups are OK most of the time: a
 * group gets a state entry for a notifier only once it reaches that
 * notifier's threshold, so a million healthy groups cost nothing here.
 * States live in one mon_hmap keyed by (notifier, cluster, group).
 */
#include "monitor/notify/mon_notifier.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_crc32c.h"
#include "broker-core/bc_fs.h"
#include "evaluator/ev_group.h"
#include "evaluator/ev_rules.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/notify/mon_mustache.h"
#include "monitor/notify/mon_sign.h"

#define CK_VERSION 3u  /* the first in the shared layout (mon_codec.h) */
#define CK_OLD_HDR 40u /* versions 1 and 2 */
#define CK_MAX (256u << 20)
#define EXPLAIN_PARTS 3
/* Template data sized for the receivers' limits (mon_notifier.h): Slack
 * takes 3,000 characters per text block and 150 per header, PagerDuty
 * 1,024 per summary. */
#define WORST_PARTS 10          /* partitions_worst */
#define NAME_MRKDWN_MAX 80      /* group/cluster/topic/owner _mrkdwn */
#define GROUP_SHORT_MAX 100     /* group_short */
#define EXPLAIN_MRKDWN_MAX 1500 /* explanation_mrkdwn */
#define URL_MAX 2000            /* dashboard_url; "" beyond */
#define CK_RECORDS 4096         /* journal records that force a checkpoint */

enum {
    TL_OPENED = MON_NOTIFIER_OPENED,
    TL_REPEATED = MON_NOTIFIER_REPEATED,
    TL_CLOSED = MON_NOTIFIER_CLOSED,
    TL_SILENCED = MON_NOTIFIER_SILENCED
};
_Static_assert(MON_NOTIFY_ID_SIZE == MON_SIGN_UUID_LEN,
               "an incident id is a UUID");

typedef struct tl_event_s {
    int64_t t_ms;
    int event;
    ev_status_t status;
    uint32_t iseq;
    uint64_t seq; /* delivery seq, 0 = none (close without send) */
    char id[MON_SIGN_UUID_LEN];
} tl_event_t;

typedef struct gstate_s {
    mon_hkey_t key; /* first: the table's item (state_key) */
    size_t nf;      /* notifier index */
    char *cluster;  /* both point into key.name */
    char *group;
    bool evaluated;
    int64_t last_eval_ms;
    uint32_t above; /* evaluations >= threshold in a row */
    uint32_t oks;   /* OK evaluations in a row */
    bool open;
    bool sent; /* an open notification was queued */
    char id[MON_SIGN_UUID_LEN];
    int64_t start_ms;
    int64_t last_sent_ms;
    uint32_t iseq; /* notifications queued for the incident */
    ev_status_t last_status;
    ev_status_t sent_status; /* of the last open notification queued */
    tl_event_t tl[MON_NOTIFIER_TIMELINE];
    size_t tl_next, tl_count;
} gstate_t;

typedef struct nf_s {
    const mon_config_notifier_t *cfg;
    mon_mustache_t *body_open, *body_close; /* NULL = built-in body */
    mon_mustache_t *url_open, *url_close;
    mon_esc_t esc_open, esc_close;
    const char *ct_open, *ct_close;
} nf_t;

struct mon_notifier_s {
    nf_t *nfs;
    size_t n_nfs;
    char *dashboard_url; /* base, no trailing '/'; NULL = none */
    char *ck_path;
    char *dir;
    mon_notifier_opts_t opts;
    mon_delivery_t *q;

    pthread_mutex_t lock; /* everything below */
    mon_hmap_t states;    /* of gstate_t, by state_key */
    bool dirty;           /* states changed since the checkpoint */
    int64_t last_ck_ms;   /* newest now_ms at the last checkpoint */
    bool ck_ever;
    uint32_t recs_since_ck; /* journal records since the checkpoint */
};

/* ---------------------------------------------------------------------- */
/* States                                                                 */

/* The table key of (notifier, cluster, group): the notifier index's
 * bytes, then "cluster\0group\0", in buf when it fits (size bytes),
 * else in a new buffer; *len excludes the last NUL. */
static char *state_key(size_t nf, const char *cluster, const char *group,
                       char *buf, size_t size, size_t *len) {
    size_t cl = strlen(cluster), gl = strlen(group);
    size_t need = sizeof(nf) + cl + gl + 2;
    char *k = need <= size ? buf : mon_malloc(need);
    memcpy(k, &nf, sizeof(nf));
    memcpy(k + sizeof(nf), cluster, cl + 1);
    memcpy(k + sizeof(nf) + cl + 1, group, gl + 1);
    *len = sizeof(nf) + cl + 1 + gl;
    return k;
}

static gstate_t *state_find(mon_notifier_t *n, size_t nf, const char *cluster,
                            const char *group) {
    char buf[256];
    size_t len;
    char *k = state_key(nf, cluster, group, buf, sizeof(buf), &len);
    gstate_t *s = mon_hmap_get(&n->states, k, len, mon_hash_bytes(k, len));
    if (k != buf) free(k);
    return s;
}

static gstate_t *state_get(mon_notifier_t *n, size_t nf, const char *cluster,
                           const char *group) {
    size_t len;
    char *k = state_key(nf, cluster, group, NULL, 0, &len);
    uint64_t h = mon_hash_bytes(k, len);
    gstate_t *s = mon_hmap_get(&n->states, k, len, h);
    if (s) {
        free(k);
        return s;
    }
    s = mon_calloc(1, sizeof(*s));
    s->key.name = k;
    s->key.len = len;
    s->key.hash = h;
    s->nf = nf;
    s->cluster = k + sizeof(nf);
    s->group = s->cluster + strlen(cluster) + 1;
    s->last_status = EV_NOTFOUND;
    mon_hmap_put(&n->states, &s->key);
    return s;
}

static void tl_add(gstate_t *s, int event, int64_t t_ms, ev_status_t st,
                   uint64_t seq) {
    tl_event_t *e = &s->tl[s->tl_next];
    e->t_ms = t_ms;
    e->event = event;
    e->status = st;
    e->iseq = s->iseq;
    e->seq = seq;
    snprintf(e->id, sizeof(e->id), "%s", s->id);
    s->tl_next = (s->tl_next + 1) % MON_NOTIFIER_TIMELINE;
    if (s->tl_count < MON_NOTIFIER_TIMELINE) s->tl_count++;
}

static ssize_t nf_find(const mon_notifier_t *n, const char *name) {
    for (size_t i = 0; i < n->n_nfs; i++)
        if (!strcmp(n->nfs[i].cfg->name, name)) return (ssize_t)i;
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Template data                                                          */

static void url_escape_into(char *out, size_t size, size_t *len,
                            const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[4];
        size_t k;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
            *p == '~') {
            tmp[0] = (char)*p;
            k = 1;
        } else {
            tmp[0] = '%';
            tmp[1] = hex[*p >> 4];
            tmp[2] = hex[*p & 15];
            k = 3;
        }
        if (*len + k < size) {
            memcpy(out + *len, tmp, k);
            *len += k;
            out[*len] = '\0';
        }
    }
}

static char *group_url(const char *base, const char *cluster,
                       const char *group) {
    if (!base || !*base) return mon_strdup("");
    size_t size = strlen(base) + 3 * (strlen(cluster) + strlen(group)) + 64;
    char *out = mon_malloc(size);
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    int w = snprintf(out, size, "%.*s/#/clusters/", (int)bl, base);
    size_t len = (size_t)w;
    url_escape_into(out, size, &len, cluster);
    if (len + 9 < size) {
        memcpy(out + len, "/groups/", 9);
        len += 8;
    }
    url_escape_into(out, size, &len, group);
    return out;
}

/* s cut to at most max bytes (a UTF-8 sequence is never split), with
 * "\u2026" appended when cut; max >= 4. The caller frees. */
static char *cut_text(const char *s, size_t max) {
    size_t n = strlen(s);
    if (n <= max) return mon_strdup(s);
    size_t k = max - 3; /* room for the ellipsis (3 bytes) */
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    char *out = mon_malloc(k + 4);
    memcpy(out, s, k);
    memcpy(out + k, "\xe2\x80\xa6", 4);
    return out;
}

/* s for Slack mrkdwn: & < > as &amp; &lt; &gt; (Slack's escaping, so
 * "<!channel>" and "<http://x|y>" stay text), cut so the escaped text is
 * at most max bytes (never inside an entity or a UTF-8 sequence, with
 * "\u2026" when cut; max >= 8). The caller frees. */
static char *mrkdwn_text(const char *s, size_t max) {
    mon_wbuf_t b = {0};
    /* twice at most: whole, then cut with room for the ellipsis */
    for (size_t limit = SIZE_MAX;; limit = max - 3) {
        bool cut = false;
        b.len = 0;
        for (const char *p = s; *p;) {
            const char *rep = NULL;
            size_t len = 1;
            if (*p == '&')
                rep = "&amp;";
            else if (*p == '<')
                rep = "&lt;";
            else if (*p == '>')
                rep = "&gt;";
            else
                while (((unsigned char)p[len] & 0xC0) == 0x80)
                    len++;
            size_t out = rep ? strlen(rep) : len;
            if (b.len + out > limit) {
                cut = true;
                break;
            }
            mon_wbuf_put(&b, rep ? rep : p, out);
            p += len;
        }
        if (cut) mon_wbuf_put(&b, "\xe2\x80\xa6", 3);
        if (cut || b.len <= max) break;
    }
    mon_wbuf_put(&b, "", 1);
    return (char *)b.p;
}

static void add_mrkdwn(cJSON *o, const char *name, const char *s, size_t max) {
    char *m = mrkdwn_text(s ? s : "", max);
    cJSON_AddStringToObject(o, name, m);
    free(m);
}

static int severity(ev_status_t st) {
    return st == EV_OK ? 0 : st == EV_WARN ? 1 : 2;
}

/* A status in plain words, for "<group> <words>". */
static const char *status_words(ev_status_t st) {
    switch (st) {
    case EV_OK:
        return "is keeping up";
    case EV_WARN:
        return "is falling behind";
    case EV_STOP:
        return "has stopped committing";
    case EV_STALL:
        return "has stalled";
    case EV_REWIND:
        return "has rewound its offsets";
    case EV_ERR: /* a partition's only ERR: committed below the log start */
        return "has lost data to retention";
    default:
        return "is not found";
    }
}

/* The group's status in words: an ERR group says what most of its ERR
 * partitions do (ties: data loss, then stopped, stalled, rewound; a
 * partition is ERR, not STOP or the like, only by the rule data-loss). */
static const char *group_words(const mon_group_eval_t *ev) {
    if (ev->status != EV_ERR) return status_words(ev->status);
    const int *c = ev->rollup.counts;
    ev_status_t best = EV_ERR;
    int most = 0;
    const ev_status_t order[] = {EV_ERR, EV_STOP, EV_STALL, EV_REWIND};
    for (size_t i = 0; i < 4; i++)
        if (c[order[i]] > most) {
            most = c[order[i]];
            best = order[i];
        }
    return status_words(best);
}

static cJSON *part_json(const mon_part_eval_t *p) {
    char buf[512];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "topic", p->topic);
    cJSON_AddNumberToObject(o, "partition", p->partition);
    cJSON_AddStringToObject(o, "status", ev_status_name(p->result.status));
    cJSON_AddStringToObject(o, "rule", ev_rule_name(p->result.rule));
    cJSON_AddNumberToObject(o, "current_lag", (double)p->result.current_lag);
    if (p->result.time_lag_known)
        cJSON_AddNumberToObject(
            o, "time_lag_s",
            (double)(int64_t)(p->result.time_lag_s * 10 + 0.5) / 10);
    else
        cJSON_AddNullToObject(o, "time_lag_s");
    cJSON_AddStringToObject(o, "owner", p->owner ? p->owner : "");
    cJSON_AddStringToObject(o, "client_id", p->client_id ? p->client_id : "");
    cJSON_AddNumberToObject(o, "complete", p->result.complete);
    ev_explain(&p->result, buf, sizeof(buf));
    cJSON_AddStringToObject(o, "explanation", buf);
    cJSON_AddStringToObject(o, "status_words", status_words(p->result.status));
    /* retention risk: null where unknown, never 0 */
    const ev_retention_t *rt = &p->retention;
    cJSON_AddBoolToObject(o, "data_loss", rt->data_loss);
    if (rt->log_start >= 0)
        cJSON_AddNumberToObject(o, "log_start_offset", (double)rt->log_start);
    else
        cJSON_AddNullToObject(o, "log_start_offset");
    if (rt->known)
        cJSON_AddNumberToObject(o, "retention_margin", (double)rt->margin);
    else
        cJSON_AddNullToObject(o, "retention_margin");
    if (rt->eta_known)
        cJSON_AddNumberToObject(o, "retention_eta_s",
                                (double)(int64_t)(rt->eta_s * 10 + 0.5) / 10);
    else
        cJSON_AddNullToObject(o, "retention_eta_s");
    add_mrkdwn(o, "topic_mrkdwn", p->topic, NAME_MRKDWN_MAX);
    add_mrkdwn(o, "owner_mrkdwn", p->owner, NAME_MRKDWN_MAX);
    add_mrkdwn(o, "client_id_mrkdwn", p->client_id, NAME_MRKDWN_MAX);
    return o;
}

/* Worst first: ERR kinds before WARN, then the larger lag, then the
 * partition order. */
static int worse_first(const void *a, const void *b, void *arg) {
    const mon_group_eval_t *ev = arg;
    const mon_part_eval_t *x = &ev->parts[*(const size_t *)a];
    const mon_part_eval_t *y = &ev->parts[*(const size_t *)b];
    int sx = severity(x->result.status), sy = severity(y->result.status);
    if (sx != sy) return sy - sx;
    if (x->result.current_lag != y->result.current_lag)
        return x->result.current_lag < y->result.current_lag ? 1 : -1;
    size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
    return ia < ib ? -1 : ia > ib;
}

/* "orders/3: <why>; orders/7: <why>; and 4 more partitions". */
static char *explanation(const mon_group_eval_t *ev) {
    size_t cap = 1024, len = 0, shown = 0, bad = 0;
    char *out = mon_malloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < ev->count; i++)
        bad += ev->parts[i].result.status != EV_OK;
    if (ev->status == EV_OK || bad == 0) {
        snprintf(out, cap, "all %zu partitions are OK", ev->count);
        return out;
    }
    for (int sev = 2; sev >= 1; sev--) {
        for (size_t i = 0; i < ev->count && shown < EXPLAIN_PARTS; i++) {
            const mon_part_eval_t *p = &ev->parts[i];
            if (severity(p->result.status) != sev) continue;
            char why[MON_ERRSTR_SIZE];
            ev_explain(&p->result, why, sizeof(why));
            size_t need = strlen(p->topic) + strlen(why) + 40;
            if (len + need >= cap) {
                cap = (len + need) * 2;
                out = mon_realloc(out, cap);
            }
            len += (size_t)snprintf(out + len, cap - len,
                                    "%s%s/%" PRId32 ": %s", shown ? "; " : "",
                                    p->topic, p->partition, why);
            shown++;
        }
    }
    if (bad > shown)
        snprintf(out + len, cap - len, "; and %zu more partition%s",
                 bad - shown, bad - shown == 1 ? "" : "s");
    return out;
}

cJSON *mon_notifier_template_data(const mon_group_eval_t *ev, const char *kind,
                                  const char *id, int64_t start_ms,
                                  int64_t now_ms, const char *dashboard_url,
                                  const mon_config_kv_t *extras,
                                  size_t n_extras) {
    char t[MON_CLOCK_RFC3339_SIZE];
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event", kind);
    cJSON_AddStringToObject(d, "id", id ? id : "");
    cJSON_AddStringToObject(d, "cluster", ev->cluster ? ev->cluster : "");
    cJSON_AddStringToObject(d, "group", ev->group ? ev->group : "");
    cJSON_AddStringToObject(
        d, "start", start_ms ? mon_clock_rfc3339(start_ms, t, sizeof(t)) : "");
    cJSON_AddStringToObject(d, "time", mon_clock_rfc3339(now_ms, t, sizeof(t)));
    cJSON_AddStringToObject(d, "status", ev_status_name(ev->status));
    cJSON_AddStringToObject(d, "label", ev_status_label(ev->status));
    const char *words = group_words(ev);
    cJSON_AddStringToObject(d, "status_words", words);
    char *gs = cut_text(ev->group ? ev->group : "", GROUP_SHORT_MAX);
    cJSON_AddStringToObject(d, "group_short", gs);
    char summary[GROUP_SHORT_MAX + 64];
    snprintf(summary, sizeof(summary), "%s %s", gs,
             strcmp(kind, "close") ? words : "has recovered");
    cJSON_AddStringToObject(d, "summary", summary);
    free(gs);
    add_mrkdwn(d, "group_mrkdwn", ev->group, NAME_MRKDWN_MAX);
    add_mrkdwn(d, "cluster_mrkdwn", ev->cluster, NAME_MRKDWN_MAX);
    cJSON_AddStringToObject(d, "rules", ev_rules_name(ev->rules));
    char *why = explanation(ev);
    cJSON_AddStringToObject(d, "explanation", why);
    add_mrkdwn(d, "explanation_mrkdwn", why, EXPLAIN_MRKDWN_MAX);
    free(why);
    cJSON_AddBoolToObject(d, "is_ok", ev->status == EV_OK);
    cJSON_AddBoolToObject(d, "is_warn", ev->status == EV_WARN);
    cJSON_AddBoolToObject(d, "is_err", ev->status >= EV_ERR);
    cJSON_AddBoolToObject(d, "is_data_loss", ev->rollup.counts[EV_ERR] > 0);
    cJSON_AddNumberToObject(d, "totallag", (double)ev->rollup.totallag);
    if (ev->rollup.maxlag_index >= 0 &&
        (size_t)ev->rollup.maxlag_index < ev->count)
        cJSON_AddItemToObject(d, "maxlag",
                              part_json(&ev->parts[ev->rollup.maxlag_index]));
    else
        cJSON_AddNullToObject(d, "maxlag");
    cJSON *parts = cJSON_AddArrayToObject(d, "partitions");
    size_t *bad = mon_calloc(ev->count ? ev->count : 1, sizeof(*bad));
    size_t n_bad = 0;
    for (size_t i = 0; i < ev->count; i++)
        if (ev->parts[i].result.status != EV_OK) {
            cJSON_AddItemToArray(parts, part_json(&ev->parts[i]));
            bad[n_bad++] = i;
        }
    if (n_bad) qsort_r(bad, n_bad, sizeof(*bad), worse_first, (void *)ev);
    cJSON *worst = cJSON_AddArrayToObject(d, "partitions_worst");
    size_t shown = n_bad < WORST_PARTS ? n_bad : WORST_PARTS;
    for (size_t k = 0; k < shown; k++)
        cJSON_AddItemToArray(worst, part_json(&ev->parts[bad[k]]));
    cJSON_AddNumberToObject(d, "partitions_more", (double)(n_bad - shown));
    free(bad);
    cJSON *pc = cJSON_AddObjectToObject(d, "partition_counts");
    cJSON_AddNumberToObject(pc, "warn", ev->rollup.counts[EV_WARN]);
    cJSON_AddNumberToObject(pc, "stop", ev->rollup.counts[EV_STOP]);
    cJSON_AddNumberToObject(pc, "stall", ev->rollup.counts[EV_STALL]);
    cJSON_AddNumberToObject(pc, "rewind", ev->rollup.counts[EV_REWIND]);
    cJSON_AddNumberToObject(pc, "data_loss", ev->rollup.counts[EV_ERR]);
    cJSON_AddNumberToObject(d, "total_partitions", (double)ev->count);
    cJSON_AddNumberToObject(d, "complete", ev->rollup.complete);
    char *gu = group_url(dashboard_url, ev->cluster ? ev->cluster : "",
                         ev->group ? ev->group : "");
    /* No receiver takes a link this long (Slack: 3,000 per button) */
    cJSON_AddStringToObject(d, "dashboard_url", strlen(gu) > URL_MAX ? "" : gu);
    free(gu);
    cJSON *ex = cJSON_AddObjectToObject(d, "extras");
    for (size_t i = 0; i < n_extras; i++)
        cJSON_AddStringToObject(ex, extras[i].key, extras[i].value);
    return d;
}

/* ---------------------------------------------------------------------- */
/* Queueing                                                               */

/* Renders and queues one notification; returns 0 and the delivery seq,
 * or -1 (logged). Caller holds n->lock. */
static int queue_one(mon_notifier_t *n, size_t i, const mon_group_eval_t *ev,
                     mon_delivery_kind_t kind, const char *id, uint32_t iseq,
                     int64_t start_ms, int64_t now_ms, uint64_t *seq,
                     char *errstr, size_t errstr_size) {
    const nf_t *nf = &n->nfs[i];
    const mon_config_notifier_t *c = nf->cfg;
    bool open = kind == MON_DELIVERY_OPEN;
    char *body = NULL, *url = NULL;
    int rc = -1;
    cJSON *data = mon_notifier_template_data(ev, open ? "open" : "close", id,
                                             start_ms, now_ms, n->dashboard_url,
                                             c->extras, c->n_extras);
    cJSON_AddStringToObject(data, "notifier", c->name);
    cJSON_AddNumberToObject(data, "sequence", iseq);

    const mon_mustache_t *bt = open ? nf->body_open : nf->body_close;
    const mon_mustache_t *ut = open ? nf->url_open : nf->url_close;
    if (bt)
        body =
            mon_mustache_render(bt, data, open ? nf->esc_open : nf->esc_close,
                                NULL, errstr, errstr_size);
    else
        body = cJSON_PrintUnformatted(data);
    if (!body) goto out;
    url = mon_mustache_render(ut, data, MON_ESC_URL, NULL, errstr, errstr_size);
    if (!url) goto out;
    mon_delivery_entry_t e = {0};
    e.kind = kind;
    e.notifier = c->name;
    e.cluster = ev->cluster;
    e.group = ev->group;
    e.incident_id = id;
    e.iseq = iseq;
    e.start_ms = start_ms;
    e.created_ms = now_ms;
    e.method = open ? c->method_open : c->method_close;
    e.url = url;
    e.content_type = open ? nf->ct_open : nf->ct_close;
    e.body = body;
    e.body_len = strlen(body);
    e.status = ev_status_name(ev->status);
    rc = mon_delivery_enqueue(n->q, &e, seq, errstr, errstr_size);
out:
    free(body);
    free(url);
    cJSON_Delete(data);
    return rc;
}

static int queue_state(mon_notifier_t *n, gstate_t *s,
                       const mon_group_eval_t *ev, mon_delivery_kind_t kind,
                       int64_t now_ms, uint64_t *seq) {
    char err[MON_ERRSTR_SIZE];
    if (queue_one(n, s->nf, ev, kind, s->id, s->iseq + 1, s->start_ms, now_ms,
                  seq, err, sizeof(err)) != 0) {
        mon_log_kv(MON_LOG_ERROR,
                   MON_LOG_FIELDS(
                       MON_LF_STR("notifier", n->nfs[s->nf].cfg->name),
                       MON_LF_STR("cluster", s->cluster),
                       MON_LF_STR("group", s->group), MON_LF_STR("error", err)),
                   "cannot queue the %s notification (will try again)",
                   kind == MON_DELIVERY_OPEN ? "open" : "close");
        return -1;
    }
    s->iseq++;
    n->recs_since_ck++;
    return 0;
}

/* Journals an incident change that sends nothing. */
static void note_close(mon_notifier_t *n, gstate_t *s, int64_t now_ms) {
    char err[MON_ERRSTR_SIZE];
    mon_delivery_entry_t e = {0};
    e.note_only = true;
    e.kind = MON_DELIVERY_CLOSE;
    e.notifier = n->nfs[s->nf].cfg->name;
    e.cluster = s->cluster;
    e.group = s->group;
    e.incident_id = s->id;
    e.iseq = s->iseq;
    e.start_ms = s->start_ms;
    e.created_ms = now_ms;
    e.status = ev_status_name(EV_OK);
    if (mon_delivery_enqueue(n->q, &e, NULL, err, sizeof(err)) != 0)
        mon_log_kv(MON_LOG_ERROR,
                   MON_LOG_FIELDS(MON_LF_STR("notifier", e.notifier),
                                  MON_LF_STR("cluster", s->cluster),
                                  MON_LF_STR("group", s->group),
                                  MON_LF_STR("error", err)),
                   "cannot journal the close");
    else
        n->recs_since_ck++;
}

/* One evaluation of one group for one notifier. Caller holds n->lock.
 * silenced: an operator silence matches the group (mon_silence.h). */
static int step(mon_notifier_t *n, gstate_t *s, const mon_group_eval_t *ev,
                int64_t now_ms, bool silenced) {
    const mon_config_notifier_t *c = n->nfs[s->nf].cfg;
    ev_status_t st = ev->status;
    bool at = st >= c->threshold;
    uint64_t seq = 0;
    int queued = 0;

    s->above = at ? s->above + 1 : 0;
    s->oks = st == EV_OK ? s->oks + 1 : 0;
    s->last_status = st;
    n->dirty = true;

    if (!s->open) {
        if (!at || s->above < (uint32_t)c->open_after) return 0;
        if (mon_sign_uuid4(s->id) != 0) {
            mon_log_kv(MON_LOG_ERROR,
                       MON_LOG_FIELDS(MON_LF_STR("notifier", c->name)),
                       "no randomness for an incident id");
            return 0;
        }
        s->open = true;
        s->sent = false;
        s->start_ms = now_ms;
        s->iseq = 0;
        s->last_sent_ms = 0;
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("notifier", c->name),
                                  MON_LF_STR("incident", s->id),
                                  MON_LF_STR("cluster", s->cluster),
                                  MON_LF_STR("group", s->group),
                                  MON_LF_STR("status", ev_status_name(st))),
                   silenced ? "incident opened while silenced (sent when "
                              "the silence ends, if still open)"
                            : "incident opened");
        if (silenced) {
            tl_add(s, TL_SILENCED, now_ms, st, 0);
            return 0;
        }
        if (queue_state(n, s, ev, MON_DELIVERY_OPEN, now_ms, &seq) == 0) {
            s->sent = true;
            s->last_sent_ms = now_ms;
            s->sent_status = st;
            queued++;
        }
        tl_add(s, TL_OPENED, now_ms, st, seq);
        return queued;
    }
    if (st == EV_OK) {
        if (s->oks < (uint32_t)c->close_after) return 0;
        /* A close goes out whenever its open did, silence or not: a
         * receiver's incident is never left open by a silence. One whose
         * open was never sent (silenced all along) sends nothing. */
        if (c->send_close && s->sent) {
            if (queue_state(n, s, ev, MON_DELIVERY_CLOSE, now_ms, &seq) != 0)
                return 0; /* stays open; tried again next time */
            queued++;
        } else {
            note_close(n, s, now_ms);
        }
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("notifier", c->name),
                                  MON_LF_STR("incident", s->id),
                                  MON_LF_STR("cluster", s->cluster),
                                  MON_LF_STR("group", s->group)),
                   "incident closed");
        tl_add(s, TL_CLOSED, now_ms, st, seq);
        s->open = false;
        s->above = 0;
        return queued;
    }
    if (!at || silenced) return 0;
    if (s->sent) {
        if (c->send_once) return 0;
        /* Repeats wait repeat-every; an incident that got worse (WARN
         * to ERR) is news and goes out at once. */
        bool worse = st > s->sent_status;
        if (!worse && now_ms - s->last_sent_ms < c->repeat_every_ms) return 0;
    }
    bool first = !s->sent;
    if (queue_state(n, s, ev, MON_DELIVERY_OPEN, now_ms, &seq) == 0) {
        s->sent = true;
        s->last_sent_ms = now_ms;
        s->sent_status = st;
        queued++;
        tl_add(s, first ? TL_OPENED : TL_REPEATED, now_ms, st, seq);
    }
    return queued;
}

/* Rebuilds incidents from a journal record newer than the checkpoint. */
static void replay_cb(const mon_delivery_entry_t *e, void *arg) {
    mon_notifier_t *n = arg;
    ssize_t i = nf_find(n, e->notifier);
    if (i < 0 || !e->cluster[0] || !e->group[0]) return;
    gstate_t *s = state_get(n, (size_t)i, e->cluster, e->group);
    ev_status_t st = EV_NOTFOUND;
    if (e->status) ev_status_parse(e->status, &st);
    if (st != EV_NOTFOUND) s->last_status = st;
    if (e->kind == MON_DELIVERY_OPEN) {
        if (!s->open || strcmp(s->id, e->incident_id) != 0) {
            s->open = true;
            snprintf(s->id, sizeof(s->id), "%s", e->incident_id);
            s->start_ms = e->start_ms;
            s->iseq = e->iseq;
            tl_add(s, TL_OPENED, e->created_ms, st, e->seq);
        } else {
            if (e->iseq > s->iseq) s->iseq = e->iseq;
            tl_add(s, TL_REPEATED, e->created_ms, st, e->seq);
        }
        s->sent = true;
        s->last_sent_ms = e->created_ms;
        if (st != EV_NOTFOUND) s->sent_status = st;
        s->oks = 0;
    } else if (s->open && !strcmp(s->id, e->incident_id)) {
        s->open = false;
        s->above = 0;
        if (e->iseq > s->iseq) s->iseq = e->iseq;
        tl_add(s, TL_CLOSED, e->created_ms, st, e->note_only ? 0 : e->seq);
    }
    if (!s->evaluated || e->created_ms > s->last_eval_ms) {
        s->evaluated = true;
        s->last_eval_ms = e->created_ms;
    }
    n->dirty = true;
}

/* ---------------------------------------------------------------------- */
/* Checkpoint                                                             */

/* Strings are u32 length + bytes. */
static void put_cstr(mon_wbuf_t *b, const char *s) {
    mon_wbuf_str32(b, s, strlen(s));
}

/* Syncs the journal, then writes every non-pristine state. Caller holds
 * n->lock (so no record is appended meanwhile). */
static int checkpoint(mon_notifier_t *n, char *errstr, size_t errstr_size) {
    mon_wbuf_t b = {0};
    uint32_t count = 0;
    int rc = -1;

    if (mon_delivery_sync(n->q, errstr, errstr_size) != 0) goto out;
    uint64_t mark = mon_delivery_last_seq(n->q);
    mon_wbuf_u32(&b, 0); /* count, patched below */
    mon_wbuf_u64(&b, mark);
    mon_hkey_t *hk;
    for (size_t k = 0; (hk = mon_hmap_next(&n->states, &k));) {
        {
            gstate_t *s = (gstate_t *)hk;
            if (!s->open && !s->above && !s->oks) continue;
            put_cstr(&b, n->nfs[s->nf].cfg->name);
            put_cstr(&b, s->cluster);
            put_cstr(&b, s->group);
            mon_wbuf_u8(&b,
                        (uint8_t)((s->open ? 1u : 0u) | (s->sent ? 2u : 0u) |
                                  (s->evaluated ? 4u : 0u)));
            size_t il = s->open ? strlen(s->id) : 0;
            mon_wbuf_u8(&b, (uint8_t)il);
            mon_wbuf_put(&b, s->id, il);
            mon_wbuf_u64(&b, (uint64_t)s->start_ms);
            mon_wbuf_u64(&b, (uint64_t)s->last_sent_ms);
            mon_wbuf_u64(&b, (uint64_t)s->last_eval_ms);
            mon_wbuf_u32(&b, s->iseq);
            mon_wbuf_u32(&b, s->above);
            mon_wbuf_u32(&b, s->oks);
            mon_wbuf_u8(&b, (uint8_t)s->last_status);
            mon_wbuf_u8(&b, (uint8_t)s->sent_status);
            count++;
        }
    }
    mon_wbuf_patch_u32(&b, 0, count);
    unsigned char head[MON_STATE_HEADER_SIZE];
    mon_state_header(head, MON_STATE_MAGIC_INCIDENTS, CK_VERSION, b.p, b.len);
    if (mon_file_write_atomic(n->ck_path, head, sizeof(head), b.p, b.len,
                              errstr, errstr_size) != 0)
        goto out;
    n->dirty = false;
    n->recs_since_ck = 0;
    rc = 0;
out:
    mon_wbuf_free(&b);
    return rc;
}

/* Versions 1 and 2 (before the shared header), little-endian: 0 magic
 * "WRNINCDT", 8 version, 12 entry count, 16 mark (u64), 24 body length
 * (u64), 32 CRC-32C of the body, 36 reserved, 40 the entries (version 1
 * without their last byte). Leaves r at byte 40. */
static int ck_old_header(mon_rbuf_t *r, uint32_t *count, uint64_t *mark) {
    int64_t body = 0, m = 0;
    uint32_t crc = 0;
    r->pos = 12;
    mon_rbuf_u32(r, count, "entry count");
    mon_rbuf_i64(r, &m, "mark");
    mon_rbuf_i64(r, &body, "body length");
    mon_rbuf_u32(r, &crc, "crc");
    if (mon_rbuf_need(r, 4, "header") < 0) return -1;
    *mark = (uint64_t)m;
    r->pos = CK_OLD_HDR;
    if (body < 0 || (uint64_t)body != r->len - CK_OLD_HDR ||
        bc_crc32c(0, r->p + CK_OLD_HDR, (size_t)body) != crc)
        return mon_rbuf_fail(r, 24,
                             "body length or checksum does not "
                             "match");
    return 0;
}

/* One checkpoint entry into its state (version 1 entries lack the status
 * of the last open notification: the last status stands in). Returns 0,
 * or -1 with the error recorded in r. */
static int ck_entry(mon_notifier_t *n, mon_rbuf_t *r, uint32_t k,
                    uint32_t version) {
    size_t at = r->pos;
    char *nfname = NULL, *cl = NULL, *gr = NULL;
    uint8_t flags = 0, il = 0, last = 0, sent_st = 0;
    int64_t start = 0, last_sent = 0, last_eval = 0;
    uint32_t iseq = 0, above = 0, oks = 0;
    char id[MON_SIGN_UUID_LEN] = "";
    int rc = -1;
    if (mon_rbuf_str32_dup(r, &nfname, NULL, "notifier name") < 0 ||
        mon_rbuf_str32_dup(r, &cl, NULL, "cluster name") < 0 ||
        mon_rbuf_str32_dup(r, &gr, NULL, "group name") < 0 ||
        mon_rbuf_u8(r, &flags, "flags") < 0 ||
        mon_rbuf_u8(r, &il, "id length") < 0)
        goto out;
    if (il >= sizeof(id)) {
        mon_rbuf_fail(r, r->pos - 1, "incident id too long");
        goto out;
    }
    if (mon_rbuf_need(r, il, "incident id") < 0) goto out;
    memcpy(id, r->p + r->pos, il);
    r->pos += il;
    mon_rbuf_i64(r, &start, "start");
    mon_rbuf_i64(r, &last_sent, "last sent");
    mon_rbuf_i64(r, &last_eval, "last evaluation");
    mon_rbuf_u32(r, &iseq, "notifications");
    mon_rbuf_u32(r, &above, "evaluations above");
    mon_rbuf_u32(r, &oks, "OK evaluations");
    mon_rbuf_u8(r, &last, "last status");
    sent_st = last;
    if (version >= 2)
        mon_rbuf_u8(r, &sent_st, "status of the last open notification");
    if (r->failed) goto out;
    if (!cl[0] || !gr[0]) {
        char why[64];
        snprintf(why, sizeof(why), "entry %" PRIu32 " has an empty name", k);
        mon_rbuf_fail(r, at, why);
        goto out;
    }
    ssize_t i = nf_find(n, nfname);
    if (i >= 0) {
        gstate_t *s = state_get(n, (size_t)i, cl, gr);
        s->open = flags & 1;
        s->sent = flags & 2;
        s->evaluated = flags & 4;
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->start_ms = start;
        s->last_sent_ms = last_sent;
        s->last_eval_ms = last_eval;
        s->iseq = iseq;
        s->above = above;
        s->oks = oks;
        s->last_status = last <= EV_REWIND ? (ev_status_t)last : EV_NOTFOUND;
        s->sent_status =
            sent_st <= EV_REWIND ? (ev_status_t)sent_st : EV_NOTFOUND;
    }
    rc = 0;
out:
    free(nfname);
    free(cl);
    free(gr);
    return rc;
}

/* Loads the checkpoint (missing = empty). Caller holds nothing (start). */
static int ck_load(mon_notifier_t *n, uint64_t *mark, char *errstr,
                   size_t errstr_size) {
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = -1;
    struct stat sb;
    *mark = 0;
    if (stat(n->ck_path, &sb) != 0) {
        if (errno == ENOENT) return 0;
        snprintf(errstr, errstr_size, "%s: %s", n->ck_path, strerror(errno));
        return -1;
    }
    if ((uint64_t)sb.st_size > CK_MAX) {
        snprintf(errstr, errstr_size, "%s: too large", n->ck_path);
        return -1;
    }
    if (mon_file_read(n->ck_path, &buf, &len, errstr, errstr_size) != 0)
        return -1;
    mon_rbuf_t r;
    uint32_t count = 0, version = 0;
    mon_rbuf_init(&r, buf, len, n->ck_path, errstr, errstr_size);
    mon_state_kind_t kind =
        mon_state_check(buf, len, MON_STATE_MAGIC_INCIDENTS, CK_VERSION, 0,
                        n->ck_path, &version, errstr, errstr_size);
    if (kind == MON_STATE_BAD) goto out;
    if (kind == MON_STATE_OLD) {
        if (ck_old_header(&r, &count, mark) < 0) goto out;
    } else {
        int64_t m = 0;
        r.pos = MON_STATE_HEADER_SIZE;
        mon_rbuf_u32(&r, &count, "entry count");
        if (mon_rbuf_i64(&r, &m, "mark") < 0) goto out;
        *mark = (uint64_t)m;
    }
    for (uint32_t k = 0; k < count; k++)
        if (ck_entry(n, &r, k, version) < 0) goto out;
    if (r.pos != r.len) {
        mon_rbuf_fail(&r, r.pos, "trailing bytes after the last entry");
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Lifecycle                                                              */

void mon_notifier_opts_default(mon_notifier_opts_t *opts) {
    mon_delivery_opts_default(&opts->delivery);
    opts->checkpoint_interval_ms = 10000;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

static void body_kind(const char *path, mon_esc_t *esc, const char **ct) {
    if (path && (ends_with(path, ".html") || ends_with(path, ".htm"))) {
        *esc = MON_ESC_HTML;
        *ct = "text/html; charset=utf-8";
    } else if (path && ends_with(path, ".txt")) {
        *esc = MON_ESC_NONE;
        *ct = "text/plain; charset=utf-8";
    } else {
        *esc = MON_ESC_JSON;
        *ct = "application/json";
    }
}

static mon_mustache_t *compile_url(const mon_config_notifier_t *c,
                                   const char *url, const char *key,
                                   char *errstr, size_t errstr_size) {
    char name[160];
    snprintf(name, sizeof(name), "[notifier %s] %s", c->name, key);
    return mon_mustache_compile(url, strlen(url), name, errstr, errstr_size);
}

mon_notifier_t *mon_notifier_new(const mon_config_notifier_t *const *cfgs,
                                 size_t count, const char *data_dir,
                                 const char *dashboard_url,
                                 const mon_notifier_opts_t *opts, char *errstr,
                                 size_t errstr_size) {
    mon_notifier_t *n = mon_calloc(1, sizeof(*n));
    mon_delivery_target_t *targets = NULL;
    uint64_t mark = 0;
    size_t pl;

    pthread_mutex_init(&n->lock, NULL);
    if (opts)
        n->opts = *opts;
    else
        mon_notifier_opts_default(&n->opts);
    if (dashboard_url && *dashboard_url)
        n->dashboard_url = mon_strdup(dashboard_url);
    n->nfs = mon_calloc(count ? count : 1, sizeof(*n->nfs));
    n->n_nfs = count;
    for (size_t i = 0; i < count; i++) {
        nf_t *nf = &n->nfs[i];
        const mon_config_notifier_t *c = cfgs[i];
        nf->cfg = c;
        body_kind(c->template_open, &nf->esc_open, &nf->ct_open);
        body_kind(c->template_close, &nf->esc_close, &nf->ct_close);
        if (c->template_open && !(nf->body_open = mon_mustache_load(
                                      c->template_open, errstr, errstr_size)))
            goto err;
        if (c->template_close && !(nf->body_close = mon_mustache_load(
                                       c->template_close, errstr, errstr_size)))
            goto err;
        if (!(nf->url_open =
                  compile_url(c, c->url_open, "url-open", errstr, errstr_size)))
            goto err;
        if (!(nf->url_close =
                  compile_url(c, c->url_close ? c->url_close : c->url_open,
                              c->url_close ? "url-close" : "url-open", errstr,
                              errstr_size)))
            goto err;
    }
    if (!data_dir || !*data_dir) data_dir = ".";
    if (bc_fs_mkdirs(data_dir, errstr, errstr_size) != 0) goto err;
    n->dir = mon_strdup(data_dir);
    pl = strlen(data_dir) + 32;
    n->ck_path = mon_malloc(pl);
    snprintf(n->ck_path, pl, "%s/notifier.incidents", data_dir);
    if (ck_load(n, &mark, errstr, errstr_size) != 0) goto err;
    targets = mon_calloc(count ? count : 1, sizeof(*targets));
    for (size_t i = 0; i < count; i++) {
        const mon_config_notifier_t *c = cfgs[i];
        targets[i].name = c->name;
        targets[i].secret = c->secret;
        targets[i].headers = c->headers;
        targets[i].n_headers = c->n_headers;
        targets[i].timeout_ms = c->timeout_ms;
        targets[i].max_retries = c->max_retries;
    }
    {
        char *jpath = mon_malloc(pl);
        snprintf(jpath, pl, "%s/notifier.journal", data_dir);
        n->q = mon_delivery_new(jpath, targets, count, &n->opts.delivery, mark,
                                mark, replay_cb, n, errstr, errstr_size);
        free(jpath);
    }
    free(targets);
    if (!n->q) goto err;
    n->dirty = false;
    return n;
err:
    mon_notifier_destroy(n);
    return NULL;
}

mon_notifier_t *mon_notifier_new_from_config(const mon_config_t *cfg,
                                             const mon_notifier_opts_t *opts,
                                             char *errstr, size_t errstr_size) {
    size_t count = mon_config_notifier_count(cfg);
    const mon_config_notifier_t **v = mon_calloc(count ? count : 1, sizeof(*v));
    for (size_t i = 0; i < count; i++)
        v[i] = mon_config_notifier_at(cfg, i);
    const mon_config_general_t *g = mon_config_general(cfg);
    mon_notifier_t *n = mon_notifier_new(
        v, count, g->data_dir, g->dashboard_url, opts, errstr, errstr_size);
    free(v);
    return n;
}

void mon_notifier_destroy(mon_notifier_t *n) {
    if (!n) return;
    if (n->q) {
        char err[MON_ERRSTR_SIZE];
        pthread_mutex_lock(&n->lock);
        if (n->dirty && checkpoint(n, err, sizeof(err)) != 0)
            mon_log_kv(MON_LOG_ERROR, MON_LOG_FIELDS(MON_LF_STR("error", err)),
                       "notifier checkpoint failed");
        pthread_mutex_unlock(&n->lock);
        mon_delivery_destroy(n->q);
    }
    mon_hkey_t *hk;
    for (size_t i = 0; (hk = mon_hmap_next(&n->states, &i));) {
        free((char *)hk->name);
        free(hk); /* the gstate_t it starts */
    }
    mon_hmap_free(&n->states);
    for (size_t i = 0; n->nfs && i < n->n_nfs; i++) {
        mon_mustache_destroy(n->nfs[i].body_open);
        mon_mustache_destroy(n->nfs[i].body_close);
        mon_mustache_destroy(n->nfs[i].url_open);
        mon_mustache_destroy(n->nfs[i].url_close);
    }
    free(n->nfs);
    free(n->dashboard_url);
    free(n->ck_path);
    free(n->dir);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

/* ---------------------------------------------------------------------- */
/* Observing                                                              */

static bool allowed(const mon_config_notifier_t *c, const char *group) {
    return mon_config_name_allowed(c->group_allowlist, c->group_denylist,
                                   group);
}

static bool due_locked(const gstate_t *s, const mon_config_notifier_t *c,
                       int64_t now_ms) {
    return !s || !s->evaluated || now_ms < s->last_eval_ms ||
           now_ms - s->last_eval_ms >= c->interval_ms;
}

bool mon_notifier_due(mon_notifier_t *n, const char *cluster, const char *group,
                      int64_t now_ms) {
    bool due = false;
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < n->n_nfs && !due; i++) {
        const mon_config_notifier_t *c = n->nfs[i].cfg;
        if (allowed(c, group) &&
            due_locked(state_find(n, i, cluster, group), c, now_ms))
            due = true;
    }
    pthread_mutex_unlock(&n->lock);
    return due;
}

int64_t mon_notifier_min_interval(const mon_notifier_t *n) {
    int64_t m = 0;
    for (size_t i = 0; i < n->n_nfs; i++)
        if (!m || n->nfs[i].cfg->interval_ms < m)
            m = n->nfs[i].cfg->interval_ms;
    return m;
}

int mon_notifier_observe(mon_notifier_t *n, const mon_group_eval_t *ev,
                         int64_t now_ms) {
    return mon_notifier_observe_silenced(n, ev, now_ms, false);
}

int mon_notifier_observe_silenced(mon_notifier_t *n, const mon_group_eval_t *ev,
                                  int64_t now_ms, bool silenced) {
    int queued = 0;
    char err[MON_ERRSTR_SIZE];
    if (!ev || ev->status == EV_NOTFOUND || !ev->cluster || !ev->group ||
        !ev->cluster[0] || !ev->group[0])
        return 0;
    pthread_mutex_lock(&n->lock);
    for (size_t i = 0; i < n->n_nfs; i++) {
        const mon_config_notifier_t *c = n->nfs[i].cfg;
        if (!allowed(c, ev->group)) continue;
        gstate_t *s = state_find(n, i, ev->cluster, ev->group);
        if (!due_locked(s, c, now_ms)) continue;
        if (!s) {
            if (ev->status < c->threshold)
                continue; /* healthy and unknown: nothing to track */
            s = state_get(n, i, ev->cluster, ev->group);
        }
        s->evaluated = true;
        s->last_eval_ms = now_ms;
        queued += step(n, s, ev, now_ms, silenced);
    }
    /* Clusters may run on different clocks (a replay's is virtual), so
     * only a newer now_ms counts toward the checkpoint interval. */
    bool compact = mon_delivery_should_compact(n->q);
    if ((n->dirty || compact) &&
        (compact || !n->ck_ever || n->recs_since_ck >= CK_RECORDS ||
         now_ms - n->last_ck_ms >= n->opts.checkpoint_interval_ms)) {
        if (checkpoint(n, err, sizeof(err)) != 0) {
            mon_log_kv(MON_LOG_ERROR, MON_LOG_FIELDS(MON_LF_STR("error", err)),
                       "notifier checkpoint failed");
        } else {
            n->ck_ever = true;
            if (now_ms > n->last_ck_ms) n->last_ck_ms = now_ms;
            if (compact && mon_delivery_compact(n->q, err, sizeof(err)) != 0)
                mon_log(MON_LOG_ERROR, "notifier: %s", err);
        }
    }
    pthread_mutex_unlock(&n->lock);
    return queued;
}

int mon_notifier_flush(mon_notifier_t *n, char *errstr, size_t errstr_size) {
    pthread_mutex_lock(&n->lock);
    int rc = checkpoint(n, errstr, errstr_size);
    pthread_mutex_unlock(&n->lock);
    return rc;
}

int mon_notifier_wait_idle(mon_notifier_t *n, int64_t timeout_ms) {
    return mon_delivery_wait(n->q, 0, timeout_ms);
}

int mon_notifier_send_test(mon_notifier_t *n, const char *name,
                           mon_delivery_kind_t kind, const mon_group_eval_t *ev,
                           int64_t now_ms, uint64_t *seq, char *errstr,
                           size_t errstr_size) {
    char id[MON_SIGN_UUID_LEN];
    ssize_t i = nf_find(n, name);
    if (i < 0) {
        snprintf(errstr, errstr_size, "no notifier named '%s'", name);
        return -1;
    }
    if (mon_sign_uuid4(id) != 0) {
        snprintf(errstr, errstr_size, "no randomness for an incident id");
        return -1;
    }
    pthread_mutex_lock(&n->lock);
    int rc = queue_one(n, (size_t)i, ev, kind, id, 1, now_ms, now_ms, seq,
                       errstr, errstr_size);
    pthread_mutex_unlock(&n->lock);
    if (rc == 0) rc = mon_delivery_sync(n->q, errstr, errstr_size);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Reading                                                                */

int mon_notifier_delivery(mon_notifier_t *n, uint64_t seq,
                          mon_delivery_info_t *info) {
    return mon_delivery_get(n->q, seq, info);
}

int mon_notifier_deliveries(mon_notifier_t *n, mon_delivery_info_t **out,
                            size_t *count) {
    return mon_delivery_list(n->q, out, count);
}

size_t mon_notifier_open_count(mon_notifier_t *n, size_t i) {
    size_t c = 0;
    pthread_mutex_lock(&n->lock);
    mon_hkey_t *hk;
    for (size_t k = 0; (hk = mon_hmap_next(&n->states, &k));) {
        const gstate_t *s = (const gstate_t *)hk;
        if (s->open && (i == SIZE_MAX || s->nf == i)) c++;
    }
    pthread_mutex_unlock(&n->lock);
    return c;
}

int mon_notifier_view(mon_notifier_t *n, mon_notifier_view_t *out) {
    memset(out, 0, sizeof(*out));
    out->notifiers = mon_calloc(n->n_nfs + 1, sizeof(*out->notifiers));
    out->n_notifiers = n->n_nfs;
    for (size_t i = 0; i < n->n_nfs; i++) {
        const mon_config_notifier_t *c = n->nfs[i].cfg;
        mon_notifier_info_t *e = &out->notifiers[i];
        e->name = c->name;
        e->threshold = c->threshold;
        e->interval_ms = c->interval_ms;
        e->repeat_every_ms = c->repeat_every_ms;
        e->send_close = c->send_close;
        e->send_once = c->send_once;
        e->open_after = c->open_after;
        e->close_after = c->close_after;
        e->max_retries = c->max_retries;
        e->is_signed = c->secret && c->secret[0];
        e->open_incidents = mon_notifier_open_count(n, i);
        mon_delivery_stats(n->q, i, &e->stats);
    }
    mon_delivery_list(n->q, &out->deliveries, &out->n_deliveries);
    return 0;
}

void mon_notifier_view_free(mon_notifier_view_t *v) {
    if (!v) return;
    free(v->notifiers);
    mon_delivery_list_free(v->deliveries, v->n_deliveries);
    memset(v, 0, sizeof(*v));
}

typedef struct tl_ref_s {
    tl_event_t ev;
    const char *notifier;
} tl_ref_t;

static int tl_cmp(const void *a, const void *b) {
    const tl_ref_t *x = a, *y = b;
    if (x->ev.t_ms != y->ev.t_ms) return x->ev.t_ms < y->ev.t_ms ? -1 : 1;
    return x->ev.seq < y->ev.seq ? -1 : x->ev.seq > y->ev.seq;
}

int mon_notifier_group_view(mon_notifier_t *n, const char *cluster,
                            const char *group, mon_notifier_group_t *out) {
    tl_ref_t *refs;
    size_t nrefs = 0;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&n->lock);
    refs = mon_calloc(n->n_nfs * MON_NOTIFIER_TIMELINE + 1, sizeof(*refs));
    out->incidents = mon_calloc(n->n_nfs + 1, sizeof(*out->incidents));
    for (size_t i = 0; i < n->n_nfs; i++) {
        gstate_t *s = state_find(n, i, cluster, group);
        if (!s) continue;
        mon_notifier_incident_t *e = &out->incidents[out->n_incidents++];
        e->notifier = n->nfs[i].cfg->name;
        e->open = s->open;
        if (s->open) {
            snprintf(e->id, sizeof(e->id), "%s", s->id);
            e->start_ms = s->start_ms;
            e->sent = s->sent;
            e->last_sent_ms = s->last_sent_ms;
            e->notifications = s->iseq;
        }
        e->status = s->last_status;
        for (size_t k = 0; k < s->tl_count; k++) {
            size_t idx =
                (s->tl_next + MON_NOTIFIER_TIMELINE - s->tl_count + k) %
                MON_NOTIFIER_TIMELINE;
            refs[nrefs].ev = s->tl[idx];
            refs[nrefs].notifier = n->nfs[i].cfg->name;
            nrefs++;
        }
    }
    pthread_mutex_unlock(&n->lock);
    if (nrefs) qsort(refs, nrefs, sizeof(*refs), tl_cmp);
    out->timeline = mon_calloc(nrefs + 1, sizeof(*out->timeline));
    out->n_timeline = nrefs;
    for (size_t k = 0; k < nrefs; k++) {
        const tl_event_t *e = &refs[k].ev;
        mon_notifier_event_t *t = &out->timeline[k];
        t->t_ms = e->t_ms;
        t->notifier = refs[k].notifier;
        t->event = (mon_notifier_event_kind_t)e->event;
        snprintf(t->id, sizeof(t->id), "%s", e->id);
        t->status = e->status;
        t->has_delivery =
            e->seq && mon_delivery_get(n->q, e->seq, &t->delivery) == 0;
    }
    free(refs);
    return 0;
}

void mon_notifier_group_free(mon_notifier_group_t *g) {
    if (!g) return;
    for (size_t k = 0; k < g->n_timeline; k++)
        if (g->timeline[k].has_delivery)
            mon_delivery_info_clear(&g->timeline[k].delivery);
    free(g->timeline);
    free(g->incidents);
    memset(g, 0, sizeof(*g));
}
