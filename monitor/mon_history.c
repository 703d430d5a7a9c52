/* mon_history: see mon_history.h.
 *
 * Groups are found through a mon_strmap keyed by "cluster\0group". Each
 * tier is a growable array used as a queue (a start index, compacted when
 * half of it is dead), since samples only ever leave from the old end.
 */
#include "monitor/mon_history.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/mon_mem.h"
#include "monitor/mon_strmap.h"

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
    if (!h)
        return;
    mon_strmap_each(h->groups, free_cb, NULL);
    mon_strmap_destroy(h->groups);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* The group's history, created when `create` is set; NULL otherwise. */
static hgroup_t *find(mon_history_t *h, const char *cluster,
                      const char *group, int create) {
    char key[1024];
    size_t len = mon_strmap_key2(key, sizeof(key), cluster, group);
    if (!len)
        return NULL;
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
    if (!t->len)
        t->start = 0;
}

static int same_values(const mon_hsample_t *a, const mon_hsample_t *b) {
    return a->status == b->status && a->totallag == b->totallag &&
           a->maxlag == b->maxlag && a->max_time_lag_s == b->max_time_lag_s;
}

/* Folds s into the coarse tier: one sample per step keeping the worst. */
static void coarse_fold(mon_history_t *h, hgroup_t *g,
                        const mon_hsample_t *s) {
    int64_t bucket = s->t - (s->t % h->step_ms);
    mon_hsample_t *last = tier_newest(&g->coarse);
    if (last && last->t == bucket) {
        if (s->status > last->status)
            last->status = s->status;
        if (s->totallag > last->totallag)
            last->totallag = s->totallag;
        if (s->maxlag > last->maxlag)
            last->maxlag = s->maxlag;
        if (s->max_time_lag_s > last->max_time_lag_s)
            last->max_time_lag_s = s->max_time_lag_s;
        if (s->t_last > last->t_last)
            last->t_last = s->t_last;
        return;
    }
    mon_hsample_t c = *s;
    c.t = bucket;
    tier_push(&g->coarse, &c);
}

static void group_prune(mon_history_t *h, hgroup_t *g, int64_t now_ms) {
    while (g->fine.len && g->fine.v[g->fine.start].t_last < now_ms - h->fine_ms) {
        if (h->coarse_ms)
            coarse_fold(h, g, &g->fine.v[g->fine.start]);
        tier_pop_oldest(&g->fine);
    }
    while (g->coarse.len &&
           g->coarse.v[g->coarse.start].t_last < now_ms - h->coarse_ms)
        tier_pop_oldest(&g->coarse);
}

void mon_history_add(mon_history_t *h, const char *cluster,
                     const char *group, const mon_hsample_t *s) {
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
        if (s->t_last >= since_ms)
            out[(*n)++] = *s;
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
    if (!len)
        return;
    pthread_mutex_lock(&h->lock);
    hgroup_t *g = mon_strmap_del(h->groups, key, len);
    pthread_mutex_unlock(&h->lock);
    if (g)
        group_free(g);
}

static int prune_cb(const char *key, size_t len, void *value, void *arg) {
    (void)key;
    (void)len;
    mon_history_t *h = ((void **)arg)[0];
    group_prune(h, value, *(int64_t *)((void **)arg)[1]);
    return 0;
}

void mon_history_prune(mon_history_t *h, int64_t now_ms) {
    void *args[2] = {h, &now_ms};
    pthread_mutex_lock(&h->lock);
    mon_strmap_each(h->groups, prune_cb, args);
    pthread_mutex_unlock(&h->lock);
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
