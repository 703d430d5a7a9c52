/* SPDX-License-Identifier: Apache-2.0 */
/* mon_history: see mon_history.h.
 *
 * Groups are found through a mon_strmap keyed by "cluster\0group". Each
 * tier is a growable array used as a queue (a start index, compacted when
 * half of it is dead), since samples only ever leave from the old end.
 */
#include "monitor/store/mon_history.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_strmap.h"

typedef struct tier_s {
    mon_hsample_t *v;
    size_t start, len, cap; /* live samples are v[start .. start+len) */
} tier_t;

typedef struct hgroup_s {
    tier_t fine;
    tier_t coarse;
    size_t key_len;
} hgroup_t;

struct mon_history_s {
    pthread_mutex_t lock; /* guards everything below */
    int64_t fine_ms, step_ms, coarse_ms;
    mon_strmap_t *groups; /* "cluster\0group" -> hgroup_t */
};

mon_history_t *mon_history_new(int64_t fine_ms, int64_t coarse_step_ms,
                               int64_t coarse_ms) {
    mon_history_t *h = mon_calloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->fine_ms = fine_ms > 0 ? fine_ms : 1;
    h->step_ms = coarse_step_ms > 0 ? coarse_step_ms : 1;
    h->coarse_ms = coarse_ms > 0 ? coarse_ms : 0;
    h->groups = mon_strmap_new();
    return h;
}

static void group_free(hgroup_t *g) {
    free(g->fine.v);
    free(g->coarse.v);
    free(g);
}

static int free_cb(const char *key, size_t len, void *value, void *arg) {
    (void)key;
    (void)len;
    (void)arg;
    group_free(value);
    return 0;
}

void mon_history_destroy(mon_history_t *h) {
    if (!h) return;
    mon_strmap_each(h->groups, free_cb, NULL);
    mon_strmap_destroy(h->groups);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* The group's history, created when `create` is set; NULL otherwise. */
static hgroup_t *find(mon_history_t *h, const char *cluster, const char *group,
                      int create) {
    char key[1024];
    size_t len = mon_strmap_key2(key, sizeof(key), cluster, group);
    if (!len) return NULL;
    hgroup_t *g = mon_strmap_get(h->groups, key, len);
    if (!g && create) {
        g = mon_calloc(1, sizeof(*g));
        g->key_len = len;
        mon_strmap_put(h->groups, key, len, g);
    }
    return g;
}

static mon_hsample_t *tier_newest(tier_t *t) {
    return t->len ? &t->v[t->start + t->len - 1] : NULL;
}

static void tier_push(tier_t *t, const mon_hsample_t *s) {
    if (t->start + t->len == t->cap) {
        if (t->start > t->cap / 2) {
            memmove(t->v, t->v + t->start, t->len * sizeof(*t->v));
            t->start = 0;
        } else {
            t->cap = t->cap ? t->cap * 2 : 16;
            t->v = mon_realloc(t->v, t->cap * sizeof(*t->v));
        }
    }
    t->v[t->start + t->len++] = *s;
}

static void tier_pop_oldest(tier_t *t) {
    t->start++;
    t->len--;
    if (!t->len) t->start = 0;
}

static int same_values(const mon_hsample_t *a, const mon_hsample_t *b) {
    return a->status == b->status && a->totallag == b->totallag &&
           a->maxlag == b->maxlag && a->max_time_lag_s == b->max_time_lag_s;
}

/* Folds s into the coarse tier: one sample per step keeping the worst. */
static void coarse_fold(mon_history_t *h, hgroup_t *g, const mon_hsample_t *s) {
    int64_t bucket = s->t - (s->t % h->step_ms);
    mon_hsample_t *last = tier_newest(&g->coarse);
    if (last && last->t == bucket) {
        if (s->status > last->status) last->status = s->status;
        if (s->totallag > last->totallag) last->totallag = s->totallag;
        if (s->maxlag > last->maxlag) last->maxlag = s->maxlag;
        if (s->max_time_lag_s > last->max_time_lag_s)
            last->max_time_lag_s = s->max_time_lag_s;
        if (s->t_last > last->t_last) last->t_last = s->t_last;
        return;
    }
    mon_hsample_t c = *s;
    c.t = bucket;
    tier_push(&g->coarse, &c);
}

static void group_prune(mon_history_t *h, hgroup_t *g, int64_t now_ms) {
    while (g->fine.len &&
           g->fine.v[g->fine.start].t_last < now_ms - h->fine_ms) {
        if (h->coarse_ms) coarse_fold(h, g, &g->fine.v[g->fine.start]);
        tier_pop_oldest(&g->fine);
    }
    while (g->coarse.len &&
           g->coarse.v[g->coarse.start].t_last < now_ms - h->coarse_ms)
        tier_pop_oldest(&g->coarse);
}

void mon_history_add(mon_history_t *h, const char *cluster, const char *group,
                     const mon_hsample_t *s) {
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = find(h, cluster, group, 1);
    if (!g) { /* names too long to key: not kept */
        pthread_mutex_unlock(&h->lock);
        return;
    }
    mon_hsample_t *last = tier_newest(&g->fine);
    if (last && s->t < last->t_last) {
        pthread_mutex_unlock(&h->lock);
        return;
    }
    if (last && same_values(last, s)) {
        last->t_last = s->t;
    } else {
        mon_hsample_t n = *s;
        n.t_last = s->t;
        tier_push(&g->fine, &n);
    }
    group_prune(h, g, s->t);
    pthread_mutex_unlock(&h->lock);
}

static void copy_since(const tier_t *t, int64_t since_ms, mon_hsample_t *out,
                       size_t *n) {
    for (size_t i = 0; i < t->len; i++) {
        const mon_hsample_t *s = &t->v[t->start + i];
        if (s->t_last >= since_ms) out[(*n)++] = *s;
    }
}

int mon_history_get(mon_history_t *h, const char *cluster, const char *group,
                    int64_t since_ms, mon_hsample_t **out, size_t *n) {
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = find(h, cluster, group, 0);
    if (!g) {
        pthread_mutex_unlock(&h->lock);
        return -1;
    }
    *out = mon_malloc((g->fine.len + g->coarse.len) * sizeof(**out));
    copy_since(&g->coarse, since_ms, *out, n);
    copy_since(&g->fine, since_ms, *out, n);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

int64_t mon_history_status_since(mon_history_t *h, const char *cluster,
                                 const char *group) {
    int64_t since = -1;
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = find(h, cluster, group, 0);
    if (g) {
        const tier_t *t = &g->fine;
        size_t k = t->len;
        if (k) {
            ev_status_t st = t->v[t->start + k - 1].status;
            while (k && t->v[t->start + k - 1].status == st)
                k--;
            since = t->v[t->start + k].t;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return since;
}

void mon_history_forget(mon_history_t *h, const char *cluster,
                        const char *group) {
    char key[1024];
    size_t len = mon_strmap_key2(key, sizeof(key), cluster, group);
    if (!len) return;
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = mon_strmap_del(h->groups, key, len);
    pthread_mutex_unlock(&h->lock);
    if (g) group_free(g);
}

/* What one prune walk needs, and the keys of groups it left empty. */
typedef struct prune_s {
    mon_history_t *h;
    const char *cluster;
    int64_t now_ms;
    char **empty;
    size_t *lens;
    size_t n, cap;
} prune_t;

static int prune_cb(const char *key, size_t len, void *value, void *arg) {
    prune_t *p = arg;
    hgroup_t *g = value;
    if (strcmp(key, p->cluster)) return 0; /* the key is "cluster\0group" */
    group_prune(p->h, g, p->now_ms);
    if (g->fine.len || g->coarse.len) return 0;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->empty = mon_realloc(p->empty, p->cap * sizeof(*p->empty));
        p->lens = mon_realloc(p->lens, p->cap * sizeof(*p->lens));
    }
    p->empty[p->n] = mon_malloc(len);
    memcpy(p->empty[p->n], key, len);
    p->lens[p->n++] = len;
    return 0;
}

size_t mon_history_prune(mon_history_t *h, const char *cluster,
                         int64_t now_ms) {
    prune_t p = {.h = h, .cluster = cluster, .now_ms = now_ms};
    if (!cluster) return 0;
    pthread_mutex_lock(&h->lock);
    mon_strmap_each(h->groups, prune_cb, &p);
    for (size_t i = 0; i < p.n; i++) {
        group_free(mon_strmap_del(h->groups, p.empty[i], p.lens[i]));
        free(p.empty[i]);
    }
    pthread_mutex_unlock(&h->lock);
    free(p.empty);
    free(p.lens);
    return p.n;
}

static int bytes_cb(const char *key, size_t len, void *value, void *arg) {
    (void)key;
    const hgroup_t *g = value;
    *(size_t *)arg += sizeof(*g) + len + 1 +
                      (g->fine.cap + g->coarse.cap) * sizeof(mon_hsample_t);
    return 0;
}

size_t mon_history_bytes(mon_history_t *h) {
    size_t b = sizeof(*h);
    pthread_mutex_lock(&h->lock);
    mon_strmap_each(h->groups, bytes_cb, &b);
    pthread_mutex_unlock(&h->lock);
    return b;
}

/* ---- persistence ---- */

#define HIST_VERSION 2u /* the first in the shared layout */
#define HIST_V1_HEADER 28u
#define HIST_SAMPLE 44u

static void put_tier(mon_wbuf_t *b, const tier_t *t) {
    mon_wbuf_u32(b, (uint32_t)t->len);
    for (size_t i = 0; i < t->len; i++) {
        const mon_hsample_t *s = &t->v[t->start + i];
        uint64_t bits;
        memcpy(&bits, &s->max_time_lag_s, sizeof(bits));
        mon_wbuf_u64(b, (uint64_t)s->t);
        mon_wbuf_u64(b, (uint64_t)s->t_last);
        mon_wbuf_u64(b, (uint64_t)s->totallag);
        mon_wbuf_u64(b, (uint64_t)s->maxlag);
        mon_wbuf_u64(b, bits);
        mon_wbuf_u32(b, (uint32_t)s->status);
    }
}

typedef struct save_arg_s {
    mon_wbuf_t *b;
    uint32_t n;
} save_arg_t;

static int save_cb(const char *key, size_t len, void *value, void *arg) {
    save_arg_t *a = arg;
    const hgroup_t *g = value;
    size_t clen = strlen(key);
    if (clen > 65535 || len - clen - 1 > 65535) return 0;
    mon_wbuf_str(a->b, key, clen);
    mon_wbuf_str(a->b, key + clen + 1, len - clen - 1);
    put_tier(a->b, &g->fine);
    put_tier(a->b, &g->coarse);
    a->n++;
    return 0;
}

int mon_history_save(mon_history_t *h, const char *path, char *errstr,
                     size_t errstr_size) {
    mon_wbuf_t body = {0};
    unsigned char head[MON_STATE_HEADER_SIZE];
    save_arg_t a = {&body, 0};
    mon_wbuf_u32(&body, 0); /* group count, patched below */
    pthread_mutex_lock(&h->lock);
    mon_strmap_each(h->groups, save_cb, &a);
    pthread_mutex_unlock(&h->lock);
    mon_wbuf_patch_u32(&body, 0, a.n);
    mon_state_header(head, MON_STATE_MAGIC_HISTORY, HIST_VERSION, body.p,
                     body.len);
    int rc = mon_file_write_atomic(path, head, sizeof(head), body.p, body.len,
                                   errstr, errstr_size);
    mon_wbuf_free(&body);
    return rc;
}

static int get_tier(mon_rbuf_t *r, tier_t *t) {
    uint32_t n;
    if (mon_rbuf_count(r, &n, HIST_SAMPLE, UINT32_MAX, "sample count") < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        mon_hsample_t s;
        uint32_t st;
        size_t at = r->pos;
        mon_rbuf_i64(r, &s.t, "sample time");
        mon_rbuf_i64(r, &s.t_last, "sample time");
        mon_rbuf_i64(r, &s.totallag, "sample lag");
        mon_rbuf_i64(r, &s.maxlag, "sample lag");
        mon_rbuf_f64(r, &s.max_time_lag_s, "sample time lag");
        if (mon_rbuf_u32(r, &st, "sample status") < 0) return -1;
        if (st > EV_REWIND) return mon_rbuf_fail(r, at + 40, "unknown status");
        s.status = (ev_status_t)st;
        tier_push(t, &s);
    }
    return 0;
}

/* Version 1 (before the shared header), little-endian: 0 magic
 * "WRNHIST\0", 8 version 1, 12 body length (u64), 20 CRC-32 (IEEE) of
 * the body, 24 group count, 28 the groups (encoded as in version 2).
 * Leaves r at byte 28. */
static int load_v1_header(mon_rbuf_t *r, uint32_t *n) {
    if (mon_state_v1_check(r, 12, 20, HIST_V1_HEADER) < 0) return -1;
    r->pos = 24;
    return mon_rbuf_u32(r, n, "group count");
}

int mon_history_load(mon_history_t *h, const char *path, char *errstr,
                     size_t errstr_size) {
    unsigned char *data = NULL;
    size_t len = 0;
    if (mon_file_read(path, &data, &len, errstr, errstr_size) != 0) return -1;
    mon_rbuf_t r;
    mon_rbuf_init(&r, data, len, path, errstr, errstr_size);
    mon_strmap_t *fresh = mon_strmap_new();
    uint32_t n = 0, version = 0;
    mon_state_kind_t kind =
        mon_state_check(data, len, MON_STATE_MAGIC_HISTORY, HIST_VERSION, 0,
                        path, &version, errstr, errstr_size);
    if (kind == MON_STATE_BAD) goto fail;
    if (kind == MON_STATE_OLD) { /* version 1 */
        if (load_v1_header(&r, &n) < 0) goto fail;
    } else {
        r.pos = MON_STATE_HEADER_SIZE;
        if (mon_rbuf_u32(&r, &n, "group count") < 0) goto fail;
    }
    for (uint32_t i = 0; i < n; i++) {
        const char *c, *g;
        size_t cl, gl;
        char key[1024];
        if (mon_rbuf_str(&r, &c, &cl, 1, "cluster name") < 0 ||
            mon_rbuf_str(&r, &g, &gl, 1, "group name") < 0)
            goto fail;
        if (cl + gl + 2 > sizeof(key)) {
            mon_rbuf_fail(&r, r.pos, "names too long");
            goto fail;
        }
        memcpy(key, c, cl);
        key[cl] = '\0';
        memcpy(key + cl + 1, g, gl);
        key[cl + 1 + gl] = '\0';
        hgroup_t *hg = mon_calloc(1, sizeof(*hg));
        hg->key_len = cl + 1 + gl;
        hgroup_t *old = mon_strmap_put(fresh, key, hg->key_len, hg);
        if (old) group_free(old);
        if (get_tier(&r, &hg->fine) < 0 || get_tier(&r, &hg->coarse) < 0)
            goto fail;
    }
    if (r.pos != r.len) {
        mon_rbuf_fail(&r, r.pos, "trailing bytes");
        goto fail;
    }
    free(data);
    pthread_mutex_lock(&h->lock);
    mon_strmap_t *prev = h->groups;
    h->groups = fresh;
    pthread_mutex_unlock(&h->lock);
    mon_strmap_each(prev, free_cb, NULL);
    mon_strmap_destroy(prev);
    return 0;
fail:
    free(data);
    mon_strmap_each(fresh, free_cb, NULL);
    mon_strmap_destroy(fresh);
    return -1;
}
