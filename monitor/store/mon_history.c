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
    ev_rebalance_t *rb[MON_HISTORY_REBALANCES]; /* oldest first */
    size_t n_rb;
    mon_hrebalance_stats_t rb_stats;
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
    for (size_t i = 0; i < g->n_rb; i++)
        free(g->rb[i]);
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

/* ---- rebalances ---- */

static size_t capped(size_t n) {
    return n < MON_HISTORY_REBALANCE_MEMBERS ? n
                                             : MON_HISTORY_REBALANCE_MEMBERS;
}

static size_t refs_strlen(const ev_member_ref_t *v, size_t n) {
    size_t b = 0;
    for (size_t i = 0; i < n; i++)
        b += strlen(v[i].member_id) + strlen(v[i].client_id) +
             strlen(v[i].host) + 3;
    return b;
}

static char *put_s(char **sp, const char *s) {
    size_t n = strlen(s);
    char *d = *sp;
    memcpy(d, s, n + 1);
    *sp += n + 1;
    return d;
}

static void put_refs(char **sp, ev_member_ref_t *dst,
                     const ev_member_ref_t *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        dst[i].member_id = put_s(sp, src[i].member_id);
        dst[i].client_id = put_s(sp, src[i].client_id);
        dst[i].host = put_s(sp, src[i].host);
    }
}

ev_rebalance_t *mon_rebalance_dup(const ev_rebalance_t *r) {
    size_t nj = capped(r->n_joined), nl = capped(r->n_left);
    size_t head = sizeof(ev_rebalance_t) + (nj + nl) * sizeof(ev_member_ref_t);
    size_t strs = strlen(r->state_before) + strlen(r->state) + 2 +
                  refs_strlen(r->joined, nj) + refs_strlen(r->left, nl);
    ev_rebalance_t *d = mon_malloc(head + strs);
    ev_member_ref_t *refs = (ev_member_ref_t *)(d + 1);
    char *sp = (char *)d + head;
    *d = *r;
    d->state_before = put_s(&sp, r->state_before);
    d->state = put_s(&sp, r->state);
    put_refs(&sp, refs, r->joined, nj);
    put_refs(&sp, refs + nj, r->left, nl);
    d->joined = refs;
    d->n_joined = nj;
    d->left = refs + nj;
    d->n_left = nl;
    return d;
}

static void rb_push(hgroup_t *g, ev_rebalance_t *r) {
    g->rb_stats.total++;
    if ((unsigned)r->deployment <= EV_DEPLOY_CANARY)
        g->rb_stats.by_deployment[r->deployment]++;
    if (r->t_ms > g->rb_stats.last_ms) g->rb_stats.last_ms = r->t_ms;
    if (g->n_rb == MON_HISTORY_REBALANCES) {
        free(g->rb[0]);
        memmove(g->rb, g->rb + 1, (g->n_rb - 1) * sizeof(*g->rb));
        g->n_rb--;
    }
    g->rb[g->n_rb++] = r;
}

void mon_history_add_rebalance(mon_history_t *h, const char *cluster,
                               const char *group, const ev_rebalance_t *r) {
    ev_rebalance_t *d = mon_rebalance_dup(r);
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = find(h, cluster, group, 1);
    if (g) rb_push(g, d);
    pthread_mutex_unlock(&h->lock);
    if (!g) free(d);
}

int mon_history_rebalances(mon_history_t *h, const char *cluster,
                           const char *group, int64_t since_ms,
                           mon_hrebalances_t *out) {
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = find(h, cluster, group, 0);
    if (!g) {
        pthread_mutex_unlock(&h->lock);
        return -1;
    }
    out->v = mon_malloc((g->n_rb + 1) * sizeof(*out->v));
    for (size_t i = 0; i < g->n_rb; i++)
        if (g->rb[i]->t_ms >= since_ms)
            out->v[out->n++] = mon_rebalance_dup(g->rb[i]);
    pthread_mutex_unlock(&h->lock);
    return 0;
}

int mon_history_rebalance_stats(mon_history_t *h, const char *cluster,
                                const char *group,
                                mon_hrebalance_stats_t *out) {
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = find(h, cluster, group, 0);
    if (g) *out = g->rb_stats;
    pthread_mutex_unlock(&h->lock);
    return g ? 0 : -1;
}

void mon_hrebalances_free(mon_hrebalances_t *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
    memset(r, 0, sizeof(*r));
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
    if (g->fine.len || g->coarse.len || g->n_rb) return 0;
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
    for (size_t i = 0; i < g->n_rb; i++)
        *(size_t *)arg +=
            sizeof(ev_rebalance_t) + (g->rb[i]->n_joined + g->rb[i]->n_left) *
                                         (sizeof(ev_member_ref_t) + 48);
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

#define HIST_VERSION 3u
#define HIST_SHARED 2u /* the first in the shared layout */
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

static void put_str16(mon_wbuf_t *b, const char *s) {
    size_t n = strlen(s);
    mon_wbuf_str(b, s, n > 65535 ? 65535 : n);
}

static void put_members(mon_wbuf_t *b, const ev_member_ref_t *v, size_t n) {
    mon_wbuf_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        put_str16(b, v[i].member_id);
        put_str16(b, v[i].client_id);
        put_str16(b, v[i].host);
    }
}

static void put_rebalances(mon_wbuf_t *b, const hgroup_t *g) {
    mon_wbuf_u32(b, (uint32_t)g->n_rb);
    for (size_t i = 0; i < g->n_rb; i++) {
        const ev_rebalance_t *r = g->rb[i];
        mon_wbuf_u64(b, (uint64_t)r->t_ms);
        mon_wbuf_u32(b, (uint32_t)r->generation_before);
        mon_wbuf_u32(b, (uint32_t)r->generation);
        put_str16(b, r->state_before);
        put_str16(b, r->state);
        mon_wbuf_u32(b, (uint32_t)r->members_before);
        mon_wbuf_u32(b, (uint32_t)r->members);
        mon_wbuf_u32(b, (uint32_t)r->joined_total);
        mon_wbuf_u32(b, (uint32_t)r->left_total);
        mon_wbuf_u32(b, (uint32_t)r->partitions_moved);
        mon_wbuf_u8(b, r->canary_shape ? 1 : 0);
        mon_wbuf_u8(b, (uint8_t)r->change);
        mon_wbuf_u8(b, (uint8_t)r->deployment);
        put_members(b, r->joined, r->n_joined);
        put_members(b, r->left, r->n_left);
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
    put_rebalances(a->b, g);
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

/* A string read into a NUL-terminated copy in the arena at *sp. */
static int get_str16(mon_rbuf_t *r, char *arena, size_t *used, const char **out,
                     const char *what) {
    const char *s;
    size_t n;
    if (mon_rbuf_str(r, &s, &n, 0, what) < 0) return -1;
    memcpy(arena + *used, s, n);
    arena[*used + n] = '\0';
    *out = arena + *used;
    *used += n + 1;
    return 0;
}

static int get_members(mon_rbuf_t *r, ev_member_ref_t *v, uint32_t n,
                       char *arena, size_t *used) {
    for (uint32_t i = 0; i < n; i++)
        if (get_str16(r, arena, used, &v[i].member_id, "member id") < 0 ||
            get_str16(r, arena, used, &v[i].client_id, "client id") < 0 ||
            get_str16(r, arena, used, &v[i].host, "host") < 0)
            return -1;
    return 0;
}

/* One rebalance into a scratch arena (its strings are no longer than the
 * rest of the file), then copied into the group. */
static int get_rebalances(mon_rbuf_t *r, hgroup_t *g) {
    uint32_t n;
    if (mon_rbuf_count(r, &n, 47, MON_HISTORY_REBALANCES, "rebalance count") <
        0)
        return -1;
    if (n == 0) return 0;
    char *arena = mon_malloc(r->len - r->pos + 16);
    ev_member_ref_t *refs =
        mon_malloc(2 * MON_HISTORY_REBALANCE_MEMBERS * sizeof(*refs));
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        ev_rebalance_t e = {0};
        uint32_t gb, ga, mb, ma, jt, lt, pm, nj = 0, nl = 0;
        uint8_t canary, change, deploy;
        size_t used = 0, at;
        mon_rbuf_i64(r, &e.t_ms, "rebalance time");
        mon_rbuf_u32(r, &gb, "generation");
        mon_rbuf_u32(r, &ga, "generation");
        if (get_str16(r, arena, &used, &e.state_before, "state") < 0 ||
            get_str16(r, arena, &used, &e.state, "state") < 0)
            goto bad;
        mon_rbuf_u32(r, &mb, "member count");
        mon_rbuf_u32(r, &ma, "member count");
        mon_rbuf_u32(r, &jt, "joined count");
        mon_rbuf_u32(r, &lt, "left count");
        mon_rbuf_u32(r, &pm, "partitions moved");
        mon_rbuf_u8(r, &canary, "canary shape");
        at = r->pos;
        mon_rbuf_u8(r, &change, "change");
        mon_rbuf_u8(r, &deploy, "deployment");
        if (r->failed) goto bad;
        if (canary > 1 || change > EV_CHANGE_FILLED ||
            deploy > EV_DEPLOY_CANARY || mb > INT32_MAX || ma > INT32_MAX ||
            jt > INT32_MAX || lt > INT32_MAX || pm > INT32_MAX) {
            mon_rbuf_fail(r, at, "invalid rebalance");
            goto bad;
        }
        if (mon_rbuf_count(r, &nj, 6, MON_HISTORY_REBALANCE_MEMBERS,
                           "joined members") < 0 ||
            get_members(r, refs, nj, arena, &used) < 0 ||
            mon_rbuf_count(r, &nl, 6, MON_HISTORY_REBALANCE_MEMBERS,
                           "left members") < 0 ||
            get_members(r, refs + nj, nl, arena, &used) < 0)
            goto bad;
        e.generation_before = (int32_t)gb;
        e.generation = (int32_t)ga;
        e.members_before = (int32_t)mb;
        e.members = (int32_t)ma;
        e.joined_total = (int32_t)jt;
        e.left_total = (int32_t)lt;
        e.partitions_moved = (int32_t)pm;
        e.canary_shape = canary;
        e.change = (ev_change_t)change;
        e.deployment = (ev_deploy_t)deploy;
        e.joined = refs;
        e.n_joined = nj;
        e.left = refs + nj;
        e.n_left = nl;
        rb_push(g, mon_rebalance_dup(&e));
        continue;
    bad:
        rc = -1;
    }
    free(arena);
    free(refs);
    return rc;
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
    /* versions 2 and 3 share the header: check against the one written */
    uint32_t written = len >= 12 ? mon_le32(data + 8) : 0;
    uint32_t want = written >= HIST_SHARED && written <= HIST_VERSION
                        ? written
                        : HIST_VERSION;
    mon_state_kind_t kind =
        mon_state_check(data, len, MON_STATE_MAGIC_HISTORY, want, 0, path,
                        &version, errstr, errstr_size);
    if (kind == MON_STATE_BAD) goto fail;
    version = kind == MON_STATE_OLD ? 1 : want;
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
        if (get_tier(&r, &hg->fine) < 0 || get_tier(&r, &hg->coarse) < 0 ||
            (version >= 3 && get_rebalances(&r, hg) < 0))
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
