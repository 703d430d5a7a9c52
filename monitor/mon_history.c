/* mon_history: see mon_history.h.
 *
 * Groups are kept in an array sorted by (cluster, group) and found by
 * binary search: groups are added rarely and looked up once per
 * evaluation, so a sorted array is simpler than a hash table and fast
 * enough for tens of thousands of groups. Each tier is a growable array
 * used as a queue (a start index, compacted when half of it is dead).
 */
#include "monitor/mon_history.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/mon_mem.h"

typedef struct tier_s {
    mon_hsample_t *v;
    size_t start, len, cap; /* live samples are v[start .. start+len) */
} tier_t;

typedef struct hgroup_s {
    char *cluster;
    char *group;
    tier_t fine;
    tier_t coarse;
} hgroup_t;

struct mon_history_s {
    pthread_mutex_t lock; /* guards everything below */
    int64_t fine_ms, step_ms, coarse_ms;
    hgroup_t *groups; /* sorted by cluster, then group */
    size_t n, cap;
};

mon_history_t *mon_history_new(int64_t fine_ms, int64_t coarse_step_ms,
                               int64_t coarse_ms) {
    mon_history_t *h = mon_calloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    h->fine_ms = fine_ms > 0 ? fine_ms : 1;
    h->step_ms = coarse_step_ms > 0 ? coarse_step_ms : 1;
    h->coarse_ms = coarse_ms > 0 ? coarse_ms : 0;
    return h;
}

static void group_free(hgroup_t *g) {
    free(g->cluster);
    free(g->group);
    free(g->fine.v);
    free(g->coarse.v);
}

void mon_history_destroy(mon_history_t *h) {
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        group_free(&h->groups[i]);
    free(h->groups);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int cmp_key(const hgroup_t *g, const char *cluster, const char *group) {
    int c = strcmp(g->cluster, cluster);
    return c ? c : strcmp(g->group, group);
}

/* Index of the group, or of where it would be inserted (*found = 0). */
static size_t find(const mon_history_t *h, const char *cluster,
                   const char *group, int *found) {
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key(&h->groups[mid], cluster, group);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = 0;
    return lo;
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
    int found;
    size_t i = find(h, cluster, group, &found);
    if (!found) {
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 16;
            h->groups = mon_realloc(h->groups, h->cap * sizeof(*h->groups));
        }
        memmove(&h->groups[i + 1], &h->groups[i],
                (h->n - i) * sizeof(*h->groups));
        memset(&h->groups[i], 0, sizeof(*h->groups));
        h->groups[i].cluster = mon_strdup(cluster);
        h->groups[i].group = mon_strdup(group);
        h->n++;
    }
    hgroup_t *g = &h->groups[i];
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
    int found;
    size_t i = find(h, cluster, group, &found);
    if (!found) {
        pthread_mutex_unlock(&h->lock);
        return -1;
    }
    hgroup_t *g = &h->groups[i];
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
    int found;
    size_t i = find(h, cluster, group, &found);
    if (found) {
        const tier_t *t = &h->groups[i].fine;
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
    pthread_mutex_lock(&h->lock);
    int found;
    size_t i = find(h, cluster, group, &found);
    if (found) {
        group_free(&h->groups[i]);
        memmove(&h->groups[i], &h->groups[i + 1],
                (h->n - i - 1) * sizeof(*h->groups));
        h->n--;
    }
    pthread_mutex_unlock(&h->lock);
}

void mon_history_prune(mon_history_t *h, int64_t now_ms) {
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < h->n; i++)
        group_prune(h, &h->groups[i], now_ms);
    pthread_mutex_unlock(&h->lock);
}

size_t mon_history_bytes(mon_history_t *h) {
    pthread_mutex_lock(&h->lock);
    size_t b = sizeof(*h) + h->cap * sizeof(*h->groups);
    for (size_t i = 0; i < h->n; i++)
        b += (h->groups[i].fine.cap + h->groups[i].coarse.cap) *
                 sizeof(mon_hsample_t) +
             strlen(h->groups[i].cluster) + strlen(h->groups[i].group) + 2;
    pthread_mutex_unlock(&h->lock);
    return b;
}
