/* SPDX-License-Identifier: Apache-2.0 */
/* mon_store: see mon_store.h for the rules, the locks and the file format.
 *
 * Built on the assumption that the writer path is hot and everything else
 * is rare: names are found through open-addressing tables (linear probing,
 * cached 64-bit hash, backward-shift deletion) whose items start with an
 * mon_hkey_t; the writer remembers the last topic, group and group topic it
 * touched, so a source that commits a group's partitions in a row hashes
 * nothing. A group topic's windows are one allocation: the gpart_t array
 * followed by every partition's ring slots. Readers copy into buffers the
 * caller owns and may reuse, so a repeated evaluation allocates nothing.
 */
#include "monitor/store/mon_store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evaluator/ev_retention.h"
#include "evaluator/ev_warren.h"
#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"

#define NAME_MAX_LEN 65535u
#define DENIED_CACHE_MAX 65536u

/* ---------------------------------------------------------------------- */
/* Store objects                                                          */

/* A partition's owner and client id, interned as one string (owner, NUL,
 * client id, NUL: the key is both with the NUL between them), shared by
 * the partitions of every member with that host and client id. */
typedef struct who_s {
    mon_hkey_t key;
    uint32_t refs;
    uint32_t olen; /* the owner's length; the client id is at s + olen + 1 */
    char s[];
} who_t;

typedef struct topic_s {
    mon_hkey_t key; /* name owned here */
    int32_t count;
    ev_headring_t *rings; /* count rings, slots after them (one block) */
    ev_logstart_t *ls;    /* count log starts (mon_store_log_start) */
    int64_t retention_ms; /* mon_store_topic_config; EV_RETENTION_UNKNOWN */
    int64_t retention_bytes;
} topic_t;

/* 8 bytes beside the window (its ring slots follow the gparts): 344 a
 * group partition at intervals = 10 (mon_store.h). */
typedef struct gpart_s {
    ev_window_t win;
    who_t *who; /* NULL: neither owner nor client id known */
    /* the timestamp of the record at the newest committed offset
     * (mon_store_stamp), NO_STAMP when not told: a commit that moves the
     * offset clears it */
    int64_t stamp_ms;
} gpart_t;

#define NO_STAMP INT64_MIN

typedef struct gtopic_s {
    mon_hkey_t key; /* shares the topic's name */
    topic_t *topic; /* valid: deleting a topic removes every gtopic */
    int32_t count;  /* <= topic->count; grown lazily */
    gpart_t *parts; /* count gparts, then their ring slots (one block) */
} gtopic_t;

/* A group's membership as its source last described it. */
typedef struct gmem_s {
    mon_hkey_t key;        /* name owned here */
    mon_group_members_t m; /* a copy (mon_group_members_copy) */
    size_t max_member_id;  /* longest member id, for readers' buffers */
    /* the last settled membership (mon_group_members_settled) and the
     * changes between settled ones not taken yet, oldest first */
    mon_group_members_t settled;
    bool has_settled;
    mon_member_change_t pending[MON_STORE_PENDING_CHANGES];
    size_t n_pending;
} gmem_t;

typedef struct group_s {
    mon_hkey_t key; /* name owned here */
    int64_t last_commit_ms;
    int64_t seen_ms;   /* a source last saw it alive (mon_store_group_seen) */
    mon_hmap_t topics; /* of gtopic_t */
} group_t;

struct mon_store_cluster_s {
    mon_store_t *st;
    char *name;
    pthread_rwlock_t lock; /* guards everything below */
    mon_hmap_t topics;     /* topic_t */
    mon_hmap_t groups;     /* group_t */
    mon_hmap_t strs;       /* who_t */
    mon_hmap_t denied;     /* mon_hkey_t + name: groups the filters refused */
    mon_hmap_t members;    /* gmem_t: memberships (mon_store_members) */
    _Atomic size_t n_pending_groups; /* memberships with pending changes */
    /* the source's place in its log: pos[p] = next offset of partition
     * p to apply, -1 = none yet */
    int64_t *pos;
    int32_t npos;
    /* writer cache */
    topic_t *c_topic;
    group_t *c_group;
    gtopic_t *c_gtopic; /* belongs to c_group */
};

struct mon_store_s {
    int intervals;
    int64_t min_distance_ms;
    int64_t expire_group_ms;
    int64_t max_cells;         /* 0 = no bound */
    atomic_int_fast64_t cells; /* ring slots held, every cluster */
    bool has_allow, has_deny;
    regex_t allow, deny;
    pthread_mutex_t clusters_lock; /* guards clusters, count, cap */
    mon_store_cluster_t **clusters;
    size_t count, cap;
};

/* ---- interned owners and client ids ---- */

static const char *who_owner(const who_t *w) {
    return w ? w->s : "";
}

static const char *who_client(const who_t *w) {
    return w ? w->s + w->olen + 1 : "";
}

static size_t who_client_len(const who_t *w) {
    return w ? w->key.len - w->olen - 1 : 0;
}

/* The interned pair, with a reference taken; NULL when both are empty.
 * Each string ends at its first NUL, as C strings do. */
static who_t *who_get(mon_store_cluster_t *cl, const char *owner, size_t olen,
                      const char *client, size_t clen) {
    char stack[512], *k;
    size_t len;
    uint64_t h;
    who_t *w;

    olen = olen ? strnlen(owner, olen) : 0;
    clen = clen ? strnlen(client, clen) : 0;
    if (!olen && !clen) return NULL;
    len = olen + 1 + clen;
    k = len <= sizeof(stack) ? stack : mon_malloc(len);
    if (olen) memcpy(k, owner, olen);
    k[olen] = '\0';
    if (clen) memcpy(k + olen + 1, client, clen);
    h = mon_hash_bytes(k, len);
    w = mon_hmap_get(&cl->strs, k, len, h);
    if (!w) {
        w = mon_malloc(sizeof(*w) + len + 1);
        memcpy(w->s, k, len);
        w->s[len] = '\0';
        w->key.name = w->s;
        w->key.len = len;
        w->key.hash = h;
        w->refs = 0;
        w->olen = (uint32_t)olen;
        mon_hmap_put(&cl->strs, &w->key);
    }
    if (k != stack) free(k);
    w->refs++;
    return w;
}

static void who_put(mon_store_cluster_t *cl, who_t *w) {
    if (w && --w->refs == 0) {
        mon_hmap_del(&cl->strs, &w->key);
        free(w);
    }
}

/* Sets *slot to owner and client (each: NULL keeps, "" clears). */
static void who_assign(mon_store_cluster_t *cl, who_t **slot, const char *owner,
                       const char *client) {
    const char *o = owner ? owner : who_owner(*slot);
    const char *c = client ? client : who_client(*slot);

    if ((!owner && !client) ||
        (!strcmp(o, who_owner(*slot)) && !strcmp(c, who_client(*slot))))
        return;
    who_t *old = *slot;
    *slot = who_get(cl, o, strlen(o), c, strlen(c));
    who_put(cl, old);
}

/* ---- topics ---- */

static topic_t *topic_new(mon_store_cluster_t *cl, const char *name,
                          size_t len) {
    topic_t *t = mon_calloc(1, sizeof(*t));
    char *copy = mon_malloc(len + 1);

    memcpy(copy, name, len);
    copy[len] = '\0';
    mon_hkey_set(&t->key, copy, len);
    mon_hmap_put(&cl->topics, &t->key);
    t->retention_ms = t->retention_bytes = EV_RETENTION_UNKNOWN;
    return t;
}

/* Whether growing by `add` slots stays within max_cells. */
static bool cells_fit(mon_store_t *st, int64_t add) {
    return st->max_cells <= 0 || add <= st->max_cells - atomic_load(&st->cells);
}

/* Grows a topic's rings to n partitions (n > count). */
static void topic_grow(mon_store_t *st, topic_t *t, int32_t n) {
    size_t iv = (size_t)st->intervals;
    atomic_fetch_add(&st->cells, (int64_t)(n - t->count) * (int64_t)iv);
    ev_headring_t *nr = mon_malloc(
        (size_t)n * (sizeof(ev_headring_t) + iv * sizeof(ev_head_t)));
    ev_head_t *slots = (ev_head_t *)(nr + n);
    ev_logstart_t *nls = mon_malloc((size_t)n * sizeof(*nls));
    int32_t p;

    for (p = 0; p < n; p++) {
        if (p < t->count)
            nls[p] = t->ls[p];
        else
            ev_logstart_init(&nls[p]);
        ev_headring_init(&nr[p], slots + (size_t)p * iv, (uint16_t)iv);
        if (p < t->count) {
            memcpy(nr[p].slots, t->rings[p].slots, iv * sizeof(ev_head_t));
            nr[p].count = t->rings[p].count;
            nr[p].start = t->rings[p].start;
        }
    }
    free(t->rings);
    free(t->ls);
    t->rings = nr;
    t->ls = nls;
    t->count = n;
}

static void topic_free(mon_store_t *st, topic_t *t) {
    if (!t) return;
    atomic_fetch_sub(&st->cells, (int64_t)t->count * st->intervals);
    free(t->rings);
    free(t->ls);
    free((char *)t->key.name);
    free(t);
}

/* ---- groups ---- */

static gtopic_t *gtopic_new(group_t *g, topic_t *t) {
    gtopic_t *gt = mon_calloc(1, sizeof(*gt));

    gt->key = t->key;
    gt->topic = t;
    mon_hmap_put(&g->topics, &gt->key);
    return gt;
}

/* Grows a group topic's windows to n partitions (n > count). */
static void gtopic_grow(mon_store_t *st, gtopic_t *gt, int32_t n) {
    size_t iv = (size_t)st->intervals;
    atomic_fetch_add(&st->cells, (int64_t)(n - gt->count) * (int64_t)iv);
    gpart_t *np =
        mon_malloc((size_t)n * (sizeof(gpart_t) + iv * sizeof(ev_entry_t)));
    ev_entry_t *slots = (ev_entry_t *)(np + n);
    int32_t p;

    for (p = 0; p < n; p++) {
        ev_window_init(&np[p].win, slots + (size_t)p * iv, (uint16_t)iv);
        np[p].who = NULL;
        np[p].stamp_ms = NO_STAMP;
        if (p < gt->count) {
            np[p].stamp_ms = gt->parts[p].stamp_ms;
            memcpy(np[p].win.slots, gt->parts[p].win.slots,
                   iv * sizeof(ev_entry_t));
            np[p].win.count = gt->parts[p].win.count;
            np[p].win.start = gt->parts[p].win.start;
            np[p].win.since_drop = gt->parts[p].win.since_drop;
            np[p].win.ev = gt->parts[p].win.ev;
            np[p].who = gt->parts[p].who;
        }
    }
    free(gt->parts);
    gt->parts = np;
    gt->count = n;
}

static void gtopic_free(mon_store_cluster_t *cl, gtopic_t *gt) {
    int32_t p;

    for (p = 0; p < gt->count; p++)
        who_put(cl, gt->parts[p].who);
    atomic_fetch_sub(&cl->st->cells, (int64_t)gt->count * cl->st->intervals);
    free(gt->parts);
    free(gt);
}

static group_t *group_new(mon_store_cluster_t *cl, const char *name, size_t len,
                          uint64_t hash) {
    group_t *g = mon_calloc(1, sizeof(*g));
    char *copy = mon_malloc(len + 1);

    memcpy(copy, name, len);
    copy[len] = '\0';
    g->key.name = copy;
    g->key.len = len;
    g->key.hash = hash;
    g->last_commit_ms = INT64_MIN;
    g->seen_ms = INT64_MIN;
    mon_hmap_put(&cl->groups, &g->key);
    return g;
}

/* Frees a group that is no longer in cl->groups. */
static void group_free(mon_store_cluster_t *cl, group_t *g) {
    size_t i;

    for (i = 0; i < g->topics.cap; i++)
        if (g->topics.slots[i].item)
            gtopic_free(cl, (gtopic_t *)g->topics.slots[i].item);
    mon_hmap_free(&g->topics);
    free((char *)g->key.name);
    free(g);
}

/* Unlinks and frees a group (write lock held). */
static void group_delete(mon_store_cluster_t *cl, group_t *g) {
    mon_hmap_del(&cl->groups, &g->key);
    if (cl->c_group == g) {
        cl->c_group = NULL;
        cl->c_gtopic = NULL;
    }
    group_free(cl, g);
}

static void gtopic_delete(mon_store_cluster_t *cl, group_t *g, gtopic_t *gt) {
    mon_hmap_del(&g->topics, &gt->key);
    if (cl->c_gtopic == gt) cl->c_gtopic = NULL;
    gtopic_free(cl, gt);
}

/* What expiry counts from: the newest commit, or the newer time a source
 * saw the group alive; INT64_MIN when neither happened. */
static int64_t group_active_ms(const group_t *g) {
    return g->seen_ms > g->last_commit_ms ? g->seen_ms : g->last_commit_ms;
}

static bool group_expired(const mon_store_t *st, const group_t *g,
                          int64_t now_ms) {
    int64_t age, last = group_active_ms(g);

    if (last == INT64_MIN) return false;
    if (__builtin_sub_overflow(now_ms, last, &age)) return now_ms > last;
    return age > st->expire_group_ms;
}

/* The time lag from the timestamp of the record at the committed offset,
 * when a source told it (mon_store_stamp) and data waits: exact where the
 * head ring can only interpolate, or cannot tell at all (a group behind
 * every head sample). */
static void exact_time_lag(const gpart_t *gp, int64_t now_ms,
                           mon_part_eval_t *pe) {
    ev_result_t *r = &pe->result;
    if (gp->stamp_ms == NO_STAMP || r->current_lag <= 0) return;
    r->time_lag_s =
        now_ms > gp->stamp_ms ? (double)(now_ms - gp->stamp_ms) / 1000.0 : 0.0;
    r->time_lag_known = true;
    pe->time_lag_exact = true;
}

int mon_store_stamp(mon_store_cluster_t *cl, const char *group,
                    const char *topic, int32_t partition, int64_t offset,
                    int64_t ts_ms) {
    size_t glen, tlen;
    group_t *g;
    gtopic_t *gt;
    int rc = MON_ERR_NOTFOUND;

    if (!group || !topic || !*group || !*topic ||
        (glen = strlen(group)) > NAME_MAX_LEN ||
        (tlen = strlen(topic)) > NAME_MAX_LEN || partition < 0 || offset < 0)
        return MON_ERR_INVALID;
    pthread_rwlock_wrlock(&cl->lock);
    g = mon_hmap_get(&cl->groups, group, glen, mon_hash_bytes(group, glen));
    gt = g ? mon_hmap_get(&g->topics, topic, tlen, mon_hash_bytes(topic, tlen))
           : NULL;
    if (gt && partition < gt->count) {
        gpart_t *gp = &gt->parts[partition];
        const ev_entry_t *newest = ev_window_newest(&gp->win);

        if (newest && newest->offset == offset) gp->stamp_ms = ts_ms;
        rc = 0;
    }
    pthread_rwlock_unlock(&cl->lock);
    return rc;
}

/* ---- memberships ---- */

static void gmem_free(mon_store_cluster_t *cl, gmem_t *gm) {
    if (gm->n_pending) atomic_fetch_sub(&cl->n_pending_groups, 1);
    mon_group_members_free(&gm->m);
    mon_group_members_free(&gm->settled);
    for (size_t i = 0; i < gm->n_pending; i++)
        mon_member_change_free(&gm->pending[i]);
    free((char *)gm->key.name);
    free(gm);
}

static gmem_t *gmem_find(const mon_store_cluster_t *cl, const char *group,
                         size_t len) {
    return mon_hmap_get(&cl->members, group, len, mon_hash_bytes(group, len));
}

/* Owners and client ids of gt's partitions from p0 on, from the group's
 * membership: an assigned partition gets its member's host and client
 * id, the others none (write lock held). */
static void gmem_apply(mon_store_cluster_t *cl, const gmem_t *gm, gtopic_t *gt,
                       int32_t p0) {
    for (int32_t p = p0; p < gt->count; p++) {
        const mon_member_t *m =
            mon_group_members_owner(&gm->m, gt->key.name, p);
        who_assign(cl, &gt->parts[p].who, m ? m->host : "",
                   m ? m->client_id : "");
    }
}

/* Deletes a group's membership (write lock held). */
static void gmem_delete(mon_store_cluster_t *cl, const char *group,
                        size_t len) {
    gmem_t *gm = gmem_find(cl, group, len);
    if (!gm) return;
    mon_hmap_del(&cl->members, &gm->key);
    gmem_free(cl, gm);
}

/* Queues the change from gm's settled membership to `to` (write lock
 * held); the oldest goes when the queue is full. */
static void pending_push(mon_store_cluster_t *cl, gmem_t *gm,
                         const mon_group_members_t *to) {
    if (gm->n_pending == MON_STORE_PENDING_CHANGES) {
        mon_member_change_free(&gm->pending[0]);
        memmove(gm->pending, gm->pending + 1,
                (gm->n_pending - 1) * sizeof(*gm->pending));
        gm->n_pending--;
    } else if (gm->n_pending == 0) {
        atomic_fetch_add(&cl->n_pending_groups, 1);
    }
    mon_member_change_t *c = &gm->pending[gm->n_pending++];
    memset(c, 0, sizeof(*c));
    mon_group_members_copy(&c->before, &gm->settled);
    mon_group_members_copy(&c->after, to);
}

int mon_store_take_member_changes(mon_store_t *st, const char *cluster,
                                  const char *group, mon_member_change_t **out,
                                  size_t *n) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    *out = NULL;
    *n = 0;
    if (!cl || !group) return MON_ERR_NOTFOUND;
    if (atomic_load(&cl->n_pending_groups) == 0) return 0;
    pthread_rwlock_wrlock(&cl->lock);
    gmem_t *gm = gmem_find(cl, group, strlen(group));
    if (gm && gm->n_pending) {
        *out = mon_malloc(gm->n_pending * sizeof(**out));
        memcpy(*out, gm->pending, gm->n_pending * sizeof(**out));
        *n = gm->n_pending;
        gm->n_pending = 0;
        atomic_fetch_sub(&cl->n_pending_groups, 1);
    }
    pthread_rwlock_unlock(&cl->lock);
    return 0;
}

void mon_member_change_free(mon_member_change_t *c) {
    if (!c) return;
    mon_group_members_free(&c->before);
    mon_group_members_free(&c->after);
}

static bool pos_valid(const mon_store_pos_t *pos);
static bool pos_applied(const mon_store_cluster_t *cl,
                        const mon_store_pos_t *pos);
static void pos_advance(mon_store_cluster_t *cl, const mon_store_pos_t *pos);

int mon_store_members(mon_store_cluster_t *cl, const char *group,
                      const mon_group_members_t *m) {
    return mon_store_members_at(cl, group, m, NULL);
}

int mon_store_members_at(mon_store_cluster_t *cl, const char *group,
                         const mon_group_members_t *m,
                         const mon_store_pos_t *pos) {
    size_t glen;
    int changed = 0;
    bool replayed;

    if (!cl || !group || !m || !(glen = strlen(group)) || glen > NAME_MAX_LEN ||
        (pos && !pos_valid(pos)))
        return MON_ERR_INVALID;
    mon_group_members_t copy = {0};
    mon_group_members_copy(&copy, m);
    size_t longest = 0;
    for (size_t i = 0; i < copy.count; i++) {
        size_t n = strlen(copy.members[i].member_id);
        if (n > longest) longest = n;
    }
    pthread_rwlock_wrlock(&cl->lock);
    replayed = pos_applied(cl, pos);
    pos_advance(cl, pos);
    gmem_t *gm = gmem_find(cl, group, glen);
    if (!gm) {
        gm = mon_calloc(1, sizeof(*gm));
        char *name = mon_malloc(glen + 1);
        memcpy(name, group, glen + 1);
        mon_hkey_set(&gm->key, name, glen);
        mon_hmap_put(&cl->members, &gm->key);
        copy.since_ms = copy.t_ms;
        changed = 1;
    } else if (!mon_group_members_same(&gm->m, &copy) ||
               (gm->m.generation >= 0 && copy.generation >= 0 &&
                gm->m.generation != copy.generation)) {
        copy.since_ms = copy.t_ms;
        changed = 1;
    } else {
        copy.since_ms = gm->m.since_ms;
    }
    if (mon_group_members_settled(&copy)) {
        if (gm->has_settled && !replayed &&
            (!mon_group_members_same(&gm->settled, &copy) ||
             (gm->settled.generation >= 0 && copy.generation >= 0 &&
              gm->settled.generation != copy.generation)))
            pending_push(cl, gm, &copy);
        mon_group_members_copy(&gm->settled, &copy);
        gm->has_settled = true;
    }
    mon_group_members_free(&gm->m);
    gm->m = copy;
    gm->max_member_id = longest;
    group_t *g =
        mon_hmap_get(&cl->groups, group, glen, mon_hash_bytes(group, glen));
    for (size_t i = 0; g && i < g->topics.cap; i++)
        if (g->topics.slots[i].item)
            gmem_apply(cl, gm, (gtopic_t *)g->topics.slots[i].item, 0);
    pthread_rwlock_unlock(&cl->lock);
    return replayed ? 0 : changed;
}

int mon_store_group_members(mon_store_t *st, const char *cluster,
                            const char *group, mon_group_members_t *out) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    int rc = MON_ERR_NOTFOUND;

    if (!cl || !group) return MON_ERR_NOTFOUND;
    pthread_rwlock_rdlock(&cl->lock);
    const gmem_t *gm = gmem_find(cl, group, strlen(group));
    if (gm) {
        mon_group_members_copy(out, &gm->m);
        rc = 0;
    }
    pthread_rwlock_unlock(&cl->lock);
    return rc;
}

/* ---- clusters ---- */

static mon_store_cluster_t *cluster_alloc(mon_store_t *st, const char *name) {
    mon_store_cluster_t *cl = mon_calloc(1, sizeof(*cl));

    cl->st = st;
    cl->name = mon_strdup(name);
    WARREN_ASSERT(pthread_rwlock_init(&cl->lock, NULL) == 0);
    return cl;
}

/* Frees a cluster's contents (no lock: the caller owns it exclusively). */
static void cluster_clear(mon_store_cluster_t *cl) {
    size_t i;

    for (i = 0; i < cl->groups.cap; i++)
        if (cl->groups.slots[i].item)
            group_free(cl, (group_t *)cl->groups.slots[i].item);
    mon_hmap_free(&cl->groups);
    for (i = 0; i < cl->topics.cap; i++)
        if (cl->topics.slots[i].item)
            topic_free(cl->st, (topic_t *)cl->topics.slots[i].item);
    mon_hmap_free(&cl->topics);
    /* Every who_t is referenced by a partition, so strs is empty now. */
    WARREN_ASSERT(cl->strs.count == 0);
    mon_hmap_free(&cl->strs);
    for (i = 0; i < cl->denied.cap; i++)
        if (cl->denied.slots[i].item) free(cl->denied.slots[i].item);
    mon_hmap_free(&cl->denied);
    for (i = 0; i < cl->members.cap; i++)
        if (cl->members.slots[i].item)
            gmem_free(cl, (gmem_t *)cl->members.slots[i].item);
    mon_hmap_free(&cl->members);
    cl->c_topic = NULL;
    cl->c_group = NULL;
    cl->c_gtopic = NULL;
}

static void cluster_free(mon_store_cluster_t *cl) {
    if (!cl) return;
    cluster_clear(cl);
    free(cl->pos);
    pthread_rwlock_destroy(&cl->lock);
    free(cl->name);
    free(cl);
}

/* ---------------------------------------------------------------------- */
/* Lifecycle                                                              */

void mon_store_config_default(mon_store_config_t *cfg) {
    cfg->intervals = 10;
    cfg->min_distance_ms = 0;
    cfg->expire_group_ms = 604800000LL;
    cfg->group_allowlist = NULL;
    cfg->group_denylist = NULL;
    cfg->max_cells = 0;
}

static int compile_re(regex_t *re, const char *pattern, const char *what,
                      char *errstr, size_t errstr_size) {
    char msg[128];
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);

    if (rc) {
        regerror(rc, re, msg, sizeof(msg));
        mon_errstr_set(errstr, errstr_size, "group %s '%s': %s", what, pattern,
                       msg);
        return -1;
    }
    return 0;
}

mon_store_t *mon_store_new(const mon_store_config_t *cfg, char *errstr,
                           size_t errstr_size) {
    mon_store_t *st;

    if (!cfg || cfg->intervals < 1 || cfg->intervals > 65535) {
        mon_errstr_set(errstr, errstr_size,
                       "intervals must be 1..65535, not %d",
                       cfg ? cfg->intervals : 0);
        return NULL;
    }
    if (cfg->min_distance_ms < 0 || cfg->expire_group_ms < 0 ||
        cfg->max_cells < 0) {
        mon_errstr_set(errstr, errstr_size,
                       "min-distance, expire-group and max-cells must not be "
                       "negative");
        return NULL;
    }
    st = mon_calloc(1, sizeof(*st));
    st->intervals = cfg->intervals;
    st->min_distance_ms = cfg->min_distance_ms;
    st->expire_group_ms = cfg->expire_group_ms;
    st->max_cells = cfg->max_cells;
    atomic_init(&st->cells, 0);
    if (cfg->group_allowlist && *cfg->group_allowlist) {
        if (compile_re(&st->allow, cfg->group_allowlist, "allowlist", errstr,
                       errstr_size) < 0) {
            free(st);
            return NULL;
        }
        st->has_allow = true;
    }
    if (cfg->group_denylist && *cfg->group_denylist) {
        if (compile_re(&st->deny, cfg->group_denylist, "denylist", errstr,
                       errstr_size) < 0) {
            if (st->has_allow) regfree(&st->allow);
            free(st);
            return NULL;
        }
        st->has_deny = true;
    }
    WARREN_ASSERT(pthread_mutex_init(&st->clusters_lock, NULL) == 0);
    return st;
}

void mon_store_destroy(mon_store_t *st) {
    size_t i;

    if (!st) return;
    for (i = 0; i < st->count; i++)
        cluster_free(st->clusters[i]);
    free(st->clusters);
    if (st->has_allow) regfree(&st->allow);
    if (st->has_deny) regfree(&st->deny);
    pthread_mutex_destroy(&st->clusters_lock);
    free(st);
}

int mon_store_intervals(const mon_store_t *st) {
    return st->intervals;
}

int64_t mon_store_cells(const mon_store_t *st) {
    return atomic_load(&((mon_store_t *)st)->cells);
}

/* Cluster by name; clusters_lock held. */
static mon_store_cluster_t *cluster_lookup(mon_store_t *st, const char *name) {
    size_t i;

    for (i = 0; i < st->count; i++)
        if (!strcmp(st->clusters[i]->name, name)) return st->clusters[i];
    return NULL;
}

mon_store_cluster_t *mon_store_cluster(mon_store_t *st, const char *name) {
    mon_store_cluster_t *cl;

    if (!name || !*name || strlen(name) > NAME_MAX_LEN) return NULL;
    pthread_mutex_lock(&st->clusters_lock);
    cl = cluster_lookup(st, name);
    if (!cl) {
        cl = cluster_alloc(st, name);
        if (st->count == st->cap) {
            st->cap = st->cap ? st->cap * 2 : 4;
            st->clusters =
                mon_realloc(st->clusters, st->cap * sizeof(*st->clusters));
        }
        st->clusters[st->count++] = cl;
    }
    pthread_mutex_unlock(&st->clusters_lock);
    return cl;
}

mon_store_cluster_t *mon_store_cluster_find(mon_store_t *st, const char *name) {
    mon_store_cluster_t *cl;

    if (!name) return NULL;
    pthread_mutex_lock(&st->clusters_lock);
    cl = cluster_lookup(st, name);
    pthread_mutex_unlock(&st->clusters_lock);
    return cl;
}

const char *mon_store_cluster_name(const mon_store_cluster_t *cl) {
    return cl->name;
}

/* ---------------------------------------------------------------------- */
/* Writers                                                                */

/* Topic by name, through the writer cache (write lock held). */
static topic_t *w_topic(mon_store_cluster_t *cl, const char *name, size_t len) {
    topic_t *t = cl->c_topic;

    if (t && t->key.len == len && !memcmp(t->key.name, name, len)) return t;
    t = mon_hmap_get(&cl->topics, name, len, mon_hash_bytes(name, len));
    if (t) cl->c_topic = t;
    return t;
}

int mon_store_head(mon_store_cluster_t *cl, const char *topic,
                   int32_t partition, int32_t partitions, int64_t offset,
                   int64_t t_ms) {
    mon_store_t *st = cl->st;
    size_t len;
    topic_t *t;
    ev_head_t h;
    int32_t want;

    if (!topic || !*topic || (len = strlen(topic)) > NAME_MAX_LEN)
        return MON_ERR_INVALID;
    if (partition < 0 || partition >= MON_STORE_MAX_PARTITIONS ||
        partitions < 0 || partitions > MON_STORE_MAX_PARTITIONS)
        return MON_STORE_DROP_PARTITION;
    want = partition + 1 > partitions ? partition + 1 : partitions;
    h.offset = offset;
    h.timestamp_ms = t_ms;
    pthread_rwlock_wrlock(&cl->lock);
    t = w_topic(cl, topic, len);
    if (!cells_fit(st, (int64_t)(want - (t ? t->count : 0)) * st->intervals)) {
        pthread_rwlock_unlock(&cl->lock);
        return MON_STORE_DROP_BOUND;
    }
    if (!t) {
        t = topic_new(cl, topic, len);
        cl->c_topic = t;
    }
    if (want > t->count) topic_grow(st, t, want);
    ev_headring_push(&t->rings[partition], &h);
    pthread_rwlock_unlock(&cl->lock);
    return MON_STORE_STORED;
}

int mon_store_log_start(mon_store_cluster_t *cl, const char *topic,
                        int32_t partition, int64_t offset, int64_t t_ms) {
    size_t len;
    topic_t *t;
    int rc = MON_STORE_STORED;

    if (!topic || !*topic || (len = strlen(topic)) > NAME_MAX_LEN || offset < 0)
        return MON_ERR_INVALID;
    pthread_rwlock_wrlock(&cl->lock);
    t = w_topic(cl, topic, len);
    if (!t)
        rc = MON_STORE_DROP_NO_TOPIC;
    else if (partition < 0 || partition >= t->count)
        rc = MON_STORE_DROP_PARTITION;
    else
        ev_logstart_sample(&t->ls[partition], offset, t_ms);
    pthread_rwlock_unlock(&cl->lock);
    return rc;
}

int mon_store_topic_config(mon_store_cluster_t *cl, const char *topic,
                           int64_t retention_ms, int64_t retention_bytes) {
    size_t len;
    topic_t *t;

    if (!topic || !*topic || (len = strlen(topic)) > NAME_MAX_LEN)
        return MON_ERR_INVALID;
    pthread_rwlock_wrlock(&cl->lock);
    t = w_topic(cl, topic, len);
    if (t) {
        t->retention_ms = retention_ms;
        t->retention_bytes = retention_bytes;
    }
    pthread_rwlock_unlock(&cl->lock);
    return t ? 0 : MON_ERR_NOTFOUND;
}

/* True when the filters let `name` through (write lock held). */
static bool group_allowed(mon_store_cluster_t *cl, const char *name, size_t len,
                          uint64_t hash) {
    const mon_store_t *st = cl->st;
    bool ok = true;
    mon_hkey_t *k;

    if (!st->has_allow && !st->has_deny) return true;
    if (mon_hmap_get(&cl->denied, name, len, hash)) return false;
    if (st->has_allow && regexec(&st->allow, name, 0, NULL, 0) != 0) ok = false;
    if (ok && st->has_deny && regexec(&st->deny, name, 0, NULL, 0) == 0)
        ok = false;
    if (!ok && cl->denied.count < DENIED_CACHE_MAX) {
        k = mon_malloc(sizeof(*k) + len + 1);
        memcpy(k + 1, name, len + 1);
        k->name = (const char *)(k + 1);
        k->len = len;
        k->hash = hash;
        mon_hmap_put(&cl->denied, k);
    }
    return ok;
}

/* t - prev < min, without overflow. */
static bool dist_below(int64_t t, int64_t prev, int64_t min) {
    int64_t d;

    if (__builtin_sub_overflow(t, prev, &d)) return t < prev;
    return d < min;
}

/* ---- the source's place in its log ---- */

static bool pos_valid(const mon_store_pos_t *pos) {
    return pos->part >= 0 && pos->part < MON_STORE_MAX_LOG_PARTS &&
           pos->offset >= 0 && pos->offset < INT64_MAX;
}

/* Whether the record at pos was applied already (write lock held). */
static bool pos_applied(const mon_store_cluster_t *cl,
                        const mon_store_pos_t *pos) {
    return pos && pos->part < cl->npos && pos->offset < cl->pos[pos->part];
}

/* Moves the cluster's place past the record at pos (write lock held). */
static void pos_advance(mon_store_cluster_t *cl, const mon_store_pos_t *pos) {
    if (!pos) return;
    if (pos->part >= cl->npos) {
        int32_t n = pos->part + 1;
        cl->pos = mon_realloc(cl->pos, (size_t)n * sizeof(*cl->pos));
        for (int32_t i = cl->npos; i < n; i++)
            cl->pos[i] = -1;
        cl->npos = n;
    }
    if (pos->offset + 1 > cl->pos[pos->part])
        cl->pos[pos->part] = pos->offset + 1;
}

static int commit_impl(mon_store_cluster_t *cl, const char *group,
                       const char *topic, int32_t partition, int64_t offset,
                       int64_t t_ms, const char *owner, const char *client_id,
                       const mon_store_pos_t *pos, bool if_changed) {
    mon_store_t *st = cl->st;
    size_t glen, tlen;
    uint64_t ghash;
    topic_t *t;
    group_t *g;
    gtopic_t *gt;
    gpart_t *gp;
    const ev_head_t *head;
    const ev_entry_t *newest;
    ev_entry_t e;
    int rc = MON_STORE_STORED;

    if (!group || !*group || !topic || !*topic ||
        (glen = strlen(group)) > NAME_MAX_LEN ||
        (tlen = strlen(topic)) > NAME_MAX_LEN ||
        (owner && strlen(owner) > NAME_MAX_LEN) ||
        (client_id && strlen(client_id) > NAME_MAX_LEN) ||
        (pos && !pos_valid(pos)))
        return MON_ERR_INVALID;
    pthread_rwlock_wrlock(&cl->lock);
    if (pos_applied(cl, pos)) {
        pthread_rwlock_unlock(&cl->lock);
        return MON_STORE_DROP_REPLAYED;
    }
    pos_advance(cl, pos); /* whatever becomes of it: as it was live */
    t = w_topic(cl, topic, tlen);
    if (!t) {
        rc = MON_STORE_DROP_NO_TOPIC;
        goto out;
    }
    if (partition < 0 || partition >= t->count) {
        rc = MON_STORE_DROP_PARTITION;
        goto out;
    }
    head = ev_headring_newest(&t->rings[partition]);
    if (!head) {
        rc = MON_STORE_DROP_NO_HEAD;
        goto out;
    }

    g = cl->c_group;
    if (!(g && g->key.len == glen && !memcmp(g->key.name, group, glen))) {
        ghash = mon_hash_bytes(group, glen);
        g = mon_hmap_get(&cl->groups, group, glen, ghash);
        if (!g) {
            if (!group_allowed(cl, group, glen, ghash)) {
                rc = MON_STORE_DROP_FILTERED;
                goto out;
            }
            g = group_new(cl, group, glen, ghash);
        }
        cl->c_group = g;
        cl->c_gtopic = NULL;
    }
    if (group_expired(st, g, t_ms)) {
        /* As if a reader had removed it: start afresh. */
        ghash = g->key.hash;
        group_delete(cl, g);
        g = group_new(cl, group, glen, ghash);
        cl->c_group = g;
        cl->c_gtopic = NULL;
    }
    gt = cl->c_gtopic;
    if (!gt || gt->topic != t) {
        gt = mon_hmap_get(&g->topics, t->key.name, t->key.len, t->key.hash);
        if (!gt) {
            if (!cells_fit(st, (int64_t)t->count * st->intervals)) {
                rc = MON_STORE_DROP_BOUND;
                /* a group this commit would have created: not kept */
                if (g->topics.count == 0 && g->last_commit_ms == INT64_MIN)
                    group_delete(cl, g);
                goto out;
            }
            gt = gtopic_new(g, t);
        }
        cl->c_gtopic = gt;
    }
    if (gt->count < t->count) {
        int32_t had = gt->count;
        const gmem_t *gm;

        if (!cells_fit(st, (int64_t)(t->count - gt->count) * st->intervals)) {
            rc = MON_STORE_DROP_BOUND;
            goto out;
        }
        gtopic_grow(st, gt, t->count);
        if (cl->members.count && (gm = gmem_find(cl, group, glen)))
            gmem_apply(cl, gm, gt, had);
    }

    gp = &gt->parts[partition];
    newest = ev_window_newest(&gp->win);
    if (if_changed && newest && newest->offset == offset &&
        gp->win.count >= gp->win.cap) {
        rc = MON_STORE_DROP_UNCHANGED;
        goto out;
    }
    e.offset = offset;
    e.timestamp_ms = t_ms;
    if (__builtin_sub_overflow(head->offset, offset, &e.lag))
        e.lag = offset < 0 ? INT64_MAX : 0;
    if (e.lag < 0) e.lag = 0;
    if (!newest || newest->offset != offset) gp->stamp_ms = NO_STAMP;
    if (newest && dist_below(t_ms, newest->timestamp_ms, st->min_distance_ms)) {
        ev_window_merge_newest(&gp->win, &e);
        rc = MON_STORE_MERGED;
    } else {
        ev_warren_push(&gp->win, &t->rings[partition], &e);
    }
    if (t_ms > g->last_commit_ms) g->last_commit_ms = t_ms;
    who_assign(cl, &gp->who, owner, client_id);
out:
    pthread_rwlock_unlock(&cl->lock);
    return rc;
}

int mon_store_commit(mon_store_cluster_t *cl, const char *group,
                     const char *topic, int32_t partition, int64_t offset,
                     int64_t t_ms, const char *owner, const char *client_id) {
    return commit_impl(cl, group, topic, partition, offset, t_ms, owner,
                       client_id, NULL, false);
}

int mon_store_commit_at(mon_store_cluster_t *cl, const char *group,
                        const char *topic, int32_t partition, int64_t offset,
                        int64_t t_ms, const char *owner, const char *client_id,
                        const mon_store_pos_t *pos, bool if_changed) {
    return commit_impl(cl, group, topic, partition, offset, t_ms, owner,
                       client_id, pos, if_changed);
}

int mon_store_advance(mon_store_cluster_t *cl, const mon_store_pos_t *pos) {
    if (!cl || !pos || !pos_valid(pos)) return MON_ERR_INVALID;
    pthread_rwlock_wrlock(&cl->lock);
    pos_advance(cl, pos);
    pthread_rwlock_unlock(&cl->lock);
    return 0;
}

int64_t mon_store_position(mon_store_cluster_t *cl, int32_t part) {
    int64_t next = -1;
    pthread_rwlock_rdlock(&cl->lock);
    if (part >= 0 && part < cl->npos) next = cl->pos[part];
    pthread_rwlock_unlock(&cl->lock);
    return next;
}

int32_t mon_store_position_count(mon_store_cluster_t *cl) {
    pthread_rwlock_rdlock(&cl->lock);
    int32_t n = cl->npos;
    pthread_rwlock_unlock(&cl->lock);
    return n;
}

int mon_store_group_seen(mon_store_cluster_t *cl, const char *group,
                         int64_t t_ms) {
    size_t glen;
    group_t *g;

    if (!cl || !group || !(glen = strlen(group))) return MON_ERR_INVALID;
    pthread_rwlock_wrlock(&cl->lock);
    g = mon_hmap_get(&cl->groups, group, glen, mon_hash_bytes(group, glen));
    if (g && t_ms > g->seen_ms) g->seen_ms = t_ms;
    pthread_rwlock_unlock(&cl->lock);
    return g ? 0 : MON_ERR_NOTFOUND;
}

int mon_store_delete_topic(mon_store_t *st, const char *cluster,
                           const char *topic) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    topic_t *t;
    gtopic_t *gt;
    size_t i, len;

    if (!cl || !topic) return MON_ERR_NOTFOUND;
    len = strlen(topic);
    pthread_rwlock_wrlock(&cl->lock);
    t = mon_hmap_get(&cl->topics, topic, len, mon_hash_bytes(topic, len));
    if (!t) {
        pthread_rwlock_unlock(&cl->lock);
        return MON_ERR_NOTFOUND;
    }
    for (i = 0; i < cl->groups.cap; i++) {
        group_t *g = (group_t *)cl->groups.slots[i].item;
        if (!g) continue;

        gt = mon_hmap_get(&g->topics, t->key.name, t->key.len, t->key.hash);
        if (gt) gtopic_delete(cl, g, gt);
    }
    mon_hmap_del(&cl->topics, &t->key);
    if (cl->c_topic == t) cl->c_topic = NULL;
    topic_free(st, t);
    pthread_rwlock_unlock(&cl->lock);
    return 0;
}

int mon_store_delete_group(mon_store_t *st, const char *cluster,
                           const char *group) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    group_t *g;
    size_t len;

    if (!cl || !group) return MON_ERR_NOTFOUND;
    len = strlen(group);
    pthread_rwlock_wrlock(&cl->lock);
    g = mon_hmap_get(&cl->groups, group, len, mon_hash_bytes(group, len));
    if (g) group_delete(cl, g);
    gmem_delete(cl, group, len);
    pthread_rwlock_unlock(&cl->lock);
    return g ? 0 : MON_ERR_NOTFOUND;
}

int mon_store_delete_group_topic(mon_store_t *st, const char *cluster,
                                 const char *group, const char *topic) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    group_t *g;
    gtopic_t *gt = NULL;
    size_t len;

    if (!cl || !group || !topic) return MON_ERR_NOTFOUND;
    len = strlen(group);
    pthread_rwlock_wrlock(&cl->lock);
    g = mon_hmap_get(&cl->groups, group, len, mon_hash_bytes(group, len));
    if (g) {
        len = strlen(topic);
        gt = mon_hmap_get(&g->topics, topic, len, mon_hash_bytes(topic, len));
        if (gt) gtopic_delete(cl, g, gt);
    }
    pthread_rwlock_unlock(&cl->lock);
    return gt ? 0 : MON_ERR_NOTFOUND;
}

int mon_store_delete_group_at(mon_store_cluster_t *cl, const char *group,
                              const char *topic, const mon_store_pos_t *pos) {
    group_t *g;
    gtopic_t *gt = NULL;
    size_t len;
    int rc = MON_ERR_NOTFOUND;

    if (!cl || !group || (pos && !pos_valid(pos))) return MON_ERR_INVALID;
    len = strlen(group);
    pthread_rwlock_wrlock(&cl->lock);
    if (pos_applied(cl, pos)) {
        pthread_rwlock_unlock(&cl->lock);
        return MON_STORE_DROP_REPLAYED;
    }
    pos_advance(cl, pos);
    g = mon_hmap_get(&cl->groups, group, len, mon_hash_bytes(group, len));
    if (!topic) gmem_delete(cl, group, len);
    if (g && !topic) {
        group_delete(cl, g);
        rc = 0;
    } else if (g) {
        len = strlen(topic);
        gt = mon_hmap_get(&g->topics, topic, len, mon_hash_bytes(topic, len));
        if (gt) {
            gtopic_delete(cl, g, gt);
            rc = 0;
        }
    }
    pthread_rwlock_unlock(&cl->lock);
    return rc;
}

/* Clusters as an array copied under clusters_lock (handles are stable). */
static mon_store_cluster_t **clusters_copy(mon_store_t *st, size_t *n) {
    mon_store_cluster_t **arr;

    pthread_mutex_lock(&st->clusters_lock);
    *n = st->count;
    arr = mon_malloc((st->count ? st->count : 1) * sizeof(*arr));
    if (st->count) memcpy(arr, st->clusters, st->count * sizeof(*arr));
    pthread_mutex_unlock(&st->clusters_lock);
    return arr;
}

size_t mon_store_expire(mon_store_t *st, const char *cluster, int64_t now_ms) {
    size_t i, k = 0;
    mon_store_cluster_t *cl =
        cluster ? mon_store_cluster_find(st, cluster) : NULL;
    group_t **dead;

    if (!cl) return 0;
    pthread_rwlock_wrlock(&cl->lock);
    dead = mon_malloc((cl->groups.count + 1) * sizeof(*dead));
    for (i = 0; i < cl->groups.cap; i++) {
        group_t *g = (group_t *)cl->groups.slots[i].item;
        if (!g) continue;

        if (group_expired(st, g, now_ms)) dead[k++] = g;
    }
    for (i = 0; i < k; i++)
        group_delete(cl, dead[i]);
    /* memberships no source described within expire-group */
    gmem_t **old = mon_malloc((cl->members.count + 1) * sizeof(*old));
    size_t n_old = 0;
    for (i = 0; i < cl->members.cap; i++) {
        gmem_t *gm = (gmem_t *)cl->members.slots[i].item;
        int64_t age;
        if (gm && !__builtin_sub_overflow(now_ms, gm->m.t_ms, &age) &&
            age > st->expire_group_ms)
            old[n_old++] = gm;
    }
    for (i = 0; i < n_old; i++) {
        mon_hmap_del(&cl->members, &old[i]->key);
        gmem_free(cl, old[i]);
    }
    free(old);
    pthread_rwlock_unlock(&cl->lock);
    free(dead);
    return k;
}

/* ---------------------------------------------------------------------- */
/* Readers                                                                */

void mon_store_names_free(mon_store_names_t *names) {
    size_t i;

    if (!names) return;
    for (i = 0; i < names->count; i++)
        free(names->names[i]);
    free(names->names);
    names->names = NULL;
    names->count = 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_sort(mon_store_names_t *out) {
    if (out->count > 1) qsort(out->names, out->count, sizeof(char *), cmp_str);
}

int mon_store_clusters(mon_store_t *st, mon_store_names_t *out) {
    size_t i;

    pthread_mutex_lock(&st->clusters_lock);
    out->count = st->count;
    out->names = mon_malloc((st->count ? st->count : 1) * sizeof(char *));
    for (i = 0; i < st->count; i++)
        out->names[i] = mon_strdup(st->clusters[i]->name);
    pthread_mutex_unlock(&st->clusters_lock);
    names_sort(out);
    return 0;
}

/* Copies the names of the items of `m` accepted by `keep` (NULL = all). */
static void names_of(const mon_hmap_t *m, mon_store_names_t *out,
                     bool (*keep)(const mon_hkey_t *, const void *),
                     const void *arg) {
    size_t i;

    out->count = 0;
    out->names = mon_malloc((m->count ? m->count : 1) * sizeof(char *));
    for (i = 0; i < m->cap; i++) {
        const mon_hkey_t *k = m->slots[i].item;
        if (!k) continue;

        if (!keep || keep(k, arg))
            out->names[out->count++] = mon_strndup(k->name, k->len);
    }
}

int mon_store_topics(mon_store_t *st, const char *cluster,
                     mon_store_names_t *out) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);

    out->names = NULL;
    out->count = 0;
    if (!cl) return MON_ERR_NOTFOUND;
    pthread_rwlock_rdlock(&cl->lock);
    names_of(&cl->topics, out, NULL, NULL);
    pthread_rwlock_unlock(&cl->lock);
    names_sort(out);
    return 0;
}

typedef enum heads_which_e {
    HEADS_NEWEST,
    HEADS_OLDEST,
    HEADS_LOG_START
} heads_which_t;

/* The newest (or oldest) head offset or the log start of each partition
 * of a topic, -1 where a partition has none, into a malloc'd array. */
static int topic_heads(mon_store_t *st, const char *cluster, const char *topic,
                       heads_which_t which, int64_t **offsets, size_t *count) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    const topic_t *t;
    size_t len;
    int32_t p;

    *offsets = NULL;
    *count = 0;
    if (!cl || !topic) return MON_ERR_NOTFOUND;
    len = strlen(topic);
    pthread_rwlock_rdlock(&cl->lock);
    t = mon_hmap_get(&cl->topics, topic, len, mon_hash_bytes(topic, len));
    if (t) {
        *offsets =
            mon_malloc((size_t)(t->count ? t->count : 1) * sizeof(int64_t));
        *count = (size_t)t->count;
        for (p = 0; p < t->count; p++) {
            const ev_head_t *h = which == HEADS_OLDEST
                                     ? ev_headring_at(&t->rings[p], 0)
                                     : ev_headring_newest(&t->rings[p]);

            (*offsets)[p] = which == HEADS_LOG_START ? t->ls[p].offset
                            : h                      ? h->offset
                                                     : -1;
        }
    }
    pthread_rwlock_unlock(&cl->lock);
    return t ? 0 : MON_ERR_NOTFOUND;
}

int mon_store_topic_offsets(mon_store_t *st, const char *cluster,
                            const char *topic, int64_t **offsets,
                            size_t *count) {
    return topic_heads(st, cluster, topic, HEADS_NEWEST, offsets, count);
}

int mon_store_topic_oldest_heads(mon_store_t *st, const char *cluster,
                                 const char *topic, int64_t **offsets,
                                 size_t *count) {
    return topic_heads(st, cluster, topic, HEADS_OLDEST, offsets, count);
}

int mon_store_topic_log_starts(mon_store_t *st, const char *cluster,
                               const char *topic, int64_t **offsets,
                               size_t *count) {
    return topic_heads(st, cluster, topic, HEADS_LOG_START, offsets, count);
}

typedef struct live_arg_s {
    const mon_store_t *st;
    int64_t now_ms;
    const topic_t *topic; /* consumers of this topic, or NULL */
} live_arg_t;

static bool keep_live(const mon_hkey_t *k, const void *arg) {
    const live_arg_t *la = arg;
    const group_t *g = (const group_t *)k;

    if (group_expired(la->st, g, la->now_ms)) return false;
    if (la->topic && !mon_hmap_get(&g->topics, la->topic->key.name,
                                   la->topic->key.len, la->topic->key.hash))
        return false;
    return true;
}

int mon_store_topic_consumers(mon_store_t *st, const char *cluster,
                              const char *topic, int64_t now_ms,
                              mon_store_names_t *out) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    live_arg_t la;
    size_t len;

    out->names = NULL;
    out->count = 0;
    if (!cl || !topic) return MON_ERR_NOTFOUND;
    len = strlen(topic);
    la.st = st;
    la.now_ms = now_ms;
    pthread_rwlock_rdlock(&cl->lock);
    la.topic =
        mon_hmap_get(&cl->topics, topic, len, mon_hash_bytes(topic, len));
    if (la.topic)
        names_of(&cl->groups, out, keep_live, &la);
    else
        out->names = mon_malloc(sizeof(char *));
    pthread_rwlock_unlock(&cl->lock);
    names_sort(out);
    return 0;
}

int mon_store_groups(mon_store_t *st, const char *cluster, int64_t now_ms,
                     mon_store_names_t *out) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    live_arg_t la;

    out->names = NULL;
    out->count = 0;
    if (!cl) return MON_ERR_NOTFOUND;
    la.st = st;
    la.now_ms = now_ms;
    la.topic = NULL;
    pthread_rwlock_rdlock(&cl->lock);
    names_of(&cl->groups, out, keep_live, &la);
    pthread_rwlock_unlock(&cl->lock);
    names_sort(out);
    return 0;
}

/* Live group by name (read lock held), or NULL. */
static group_t *r_group(const mon_store_cluster_t *cl, const char *group,
                        int64_t now_ms) {
    size_t len = strlen(group);
    group_t *g =
        mon_hmap_get(&cl->groups, group, len, mon_hash_bytes(group, len));

    if (g && group_expired(cl->st, g, now_ms)) return NULL;
    return g;
}

static int cmp_gtopic(const void *a, const void *b) {
    const gtopic_t *x = *(const gtopic_t *const *)a;
    const gtopic_t *y = *(const gtopic_t *const *)b;

    return strcmp(x->key.name, y->key.name);
}

/* Makes *buf at least `size` bytes (keeps the old buffer if big enough). */
static void buf_reserve(void **buf, size_t *cap, size_t size) {
    if (size > *cap) {
        size_t n = *cap ? *cap : 256;

        while (n < size)
            n *= 2;
        free(*buf);
        *buf = mon_malloc(n);
        *cap = n;
    }
}

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

/* A string arena over a buffer: copies s and returns the copy. */
static const char *arena_str(char **pos, const char *s, size_t len) {
    char *d = *pos;

    memcpy(d, s, len);
    d[len] = '\0';
    *pos = d + len + 1;
    return d;
}

/* Arena bytes of a partition's owner and client id (both NUL-ended). */
static size_t who_len(const who_t *w) {
    return w ? w->key.len + 2 : 2;
}

/* Copies w's owner and client id into the arena. */
static void arena_who(char **pos, const who_t *w, const char **owner,
                      const char **client) {
    *owner = arena_str(pos, who_owner(w), w ? w->olen : 0);
    *client = arena_str(pos, who_client(w), who_client_len(w));
}

/* The member id of gt's partition p from the group's membership gm
 * (NULL: none), copied into the arena; "" when unassigned. */
static const char *member_of(char **pos, const gmem_t *gm, const gtopic_t *gt,
                             int32_t p) {
    const mon_member_t *m =
        gm ? mon_group_members_owner(&gm->m, gt->key.name, p) : NULL;
    return m ? arena_str(pos, m->member_id, strlen(m->member_id))
             : arena_str(pos, "", 0);
}

/* Sorted gtopics of g into `arr` (capacity g->topics.count). */
static size_t sorted_gtopics(const group_t *g, gtopic_t **arr) {
    size_t i, n = 0;

    for (i = 0; i < g->topics.cap; i++)
        if (g->topics.slots[i].item)
            arr[n++] = (gtopic_t *)g->topics.slots[i].item;
    if (n > 1) qsort(arr, n, sizeof(*arr), cmp_gtopic);
    return n;
}

int mon_store_group_detail(mon_store_t *st, const char *cluster,
                           const char *group, int64_t now_ms,
                           mon_group_detail_t *out) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    const group_t *g;
    gtopic_t **gts;
    size_t ntop, i, nparts = 0, nentries = 0, nheads = 0, strbytes = 0;
    size_t off_entries, off_heads, off_gts, off_str, total, k = 0;
    ev_entry_t *ep;
    ev_head_t *hp;
    char *sp;
    int32_t p;
    const gmem_t *gm;

    out->parts = NULL;
    out->count = 0;
    out->last_commit_ms = 0;
    out->intervals = st->intervals;
    if (!cl || !group) return MON_ERR_NOTFOUND;
    pthread_rwlock_rdlock(&cl->lock);
    g = r_group(cl, group, now_ms);
    if (!g) {
        pthread_rwlock_unlock(&cl->lock);
        return MON_ERR_NOTFOUND;
    }
    for (i = 0; i < g->topics.cap; i++) {
        const gtopic_t *gt = (const gtopic_t *)g->topics.slots[i].item;
        if (!gt) continue;
        const topic_t *t = gt->topic;

        nparts += (size_t)t->count;
        strbytes += (size_t)t->count * (gt->key.len + 1);
        for (p = 0; p < t->count; p++) {
            nheads += t->rings[p].count;
            if (p < gt->count) {
                nentries += gt->parts[p].win.count;
                strbytes += who_len(gt->parts[p].who);
            } else {
                strbytes += 2;
            }
        }
    }
    gm = gmem_find(cl, g->key.name, g->key.len);
    strbytes += nparts * ((gm ? gm->max_member_id : 0) + 1);
    ntop = g->topics.count;
    off_entries = ALIGN8(nparts * sizeof(mon_part_detail_t));
    off_heads = off_entries + nentries * sizeof(ev_entry_t);
    off_gts = off_heads + nheads * sizeof(ev_head_t);
    off_str = off_gts + ntop * sizeof(gtopic_t *);
    total = off_str + strbytes;
    buf_reserve(&out->buf_, &out->buf_size_, total);
    out->parts = out->buf_;
    ep = (ev_entry_t *)((char *)out->buf_ + off_entries);
    hp = (ev_head_t *)((char *)out->buf_ + off_heads);
    gts = (gtopic_t **)((char *)out->buf_ + off_gts);
    sp = (char *)out->buf_ + off_str;
    ntop = sorted_gtopics(g, gts);
    for (i = 0; i < ntop; i++) {
        const gtopic_t *gt = gts[i];
        const topic_t *t = gt->topic;

        for (p = 0; p < t->count; p++) {
            mon_part_detail_t *d = &out->parts[k++];
            const ev_headring_t *ring = &t->rings[p];
            const ev_window_t *win = p < gt->count ? &gt->parts[p].win : NULL;
            const ev_head_t *nh = ev_headring_newest(ring);
            unsigned j;

            d->topic = arena_str(&sp, gt->key.name, gt->key.len);
            d->partition = p;
            arena_who(&sp, win ? gt->parts[p].who : NULL, &d->owner,
                      &d->client_id);
            d->member_id = member_of(&sp, gm, gt, p);
            d->entries = ep;
            d->entry_count = win ? win->count : 0;
            for (j = 0; win && j < win->count; j++)
                *ep++ = *ev_window_at(win, j);
            d->heads = hp;
            d->head_count = ring->count;
            for (j = 0; j < ring->count; j++)
                *hp++ = *ev_headring_at(ring, j);
            d->current_lag = 0;
            if (nh && d->entry_count) {
                int64_t off = d->entries[d->entry_count - 1].offset;

                d->current_lag = nh->offset > off ? nh->offset - off : 0;
            }
        }
    }
    out->count = k;
    out->last_commit_ms = g->last_commit_ms;
    pthread_rwlock_unlock(&cl->lock);
    return 0;
}

void mon_group_detail_free(mon_group_detail_t *d) {
    if (!d) return;
    free(d->buf_);
    memset(d, 0, sizeof(*d));
}

/* Fills a NOTFOUND evaluation (names copied into the buffer). */
static int eval_notfound(const char *cluster, const char *group, int64_t now_ms,
                         mon_group_eval_t *out) {
    size_t cl_len = cluster ? strlen(cluster) : 0;
    size_t g_len = group ? strlen(group) : 0;
    char *sp;

    buf_reserve(&out->buf_, &out->buf_size_, cl_len + g_len + 2);
    sp = out->buf_;
    out->cluster = arena_str(&sp, cluster ? cluster : "", cl_len);
    out->group = arena_str(&sp, group ? group : "", g_len);
    out->status = EV_NOTFOUND;
    ev_group_init(&out->rollup);
    out->parts = NULL;
    out->count = 0;
    out->now_ms = now_ms;
    out->last_commit_ms = 0;
    return MON_ERR_NOTFOUND;
}

int mon_store_group_eval(mon_store_t *st, const char *cluster,
                         const char *group, int64_t now_ms,
                         const ev_params_t *p, mon_group_eval_t *out) {
    mon_store_cluster_t *cl = mon_store_cluster_find(st, cluster);
    const group_t *g;
    ev_params_t defp;
    gtopic_t **gts;
    size_t ntop, i, nparts = 0, strbytes, off_gts, off_str, k = 0;
    size_t cl_len, g_len;
    char *sp;
    int32_t pi;
    const gmem_t *gm;

    if (!p) {
        ev_params_default(&defp);
        defp.intervals = st->intervals;
        p = &defp;
    }
    out->rules = p->rules;
    if (!cl || !group) return eval_notfound(cluster, group, now_ms, out);
    pthread_rwlock_rdlock(&cl->lock);
    g = r_group(cl, group, now_ms);
    if (!g) {
        pthread_rwlock_unlock(&cl->lock);
        return eval_notfound(cluster, group, now_ms, out);
    }
    cl_len = strlen(cl->name);
    g_len = g->key.len;
    strbytes = cl_len + g_len + 2;
    for (i = 0; i < g->topics.cap; i++) {
        const gtopic_t *gt = (const gtopic_t *)g->topics.slots[i].item;
        if (!gt) continue;
        const topic_t *t = gt->topic;

        nparts += (size_t)t->count;
        strbytes += (size_t)t->count * (gt->key.len + 1);
        for (pi = 0; pi < t->count; pi++)
            strbytes += who_len(pi < gt->count ? gt->parts[pi].who : NULL);
    }
    gm = cl->members.count ? gmem_find(cl, g->key.name, g->key.len) : NULL;
    strbytes += nparts * ((gm ? gm->max_member_id : 0) + 1);
    ntop = g->topics.count;
    off_gts = nparts * sizeof(mon_part_eval_t);
    off_str = off_gts + ntop * sizeof(gtopic_t *);
    buf_reserve(&out->buf_, &out->buf_size_, off_str + strbytes);
    out->parts = out->buf_;
    gts = (gtopic_t **)((char *)out->buf_ + off_gts);
    sp = (char *)out->buf_ + off_str;
    out->cluster = arena_str(&sp, cl->name, cl_len);
    out->group = arena_str(&sp, g->key.name, g_len);
    ntop = sorted_gtopics(g, gts);
    ev_group_init(&out->rollup);
    for (i = 0; i < ntop; i++) {
        const gtopic_t *gt = gts[i];
        const topic_t *t = gt->topic;
        const char *tname = arena_str(&sp, gt->key.name, gt->key.len);

        for (pi = 0; pi < t->count; pi++) {
            mon_part_eval_t *pe = &out->parts[k];
            const gpart_t *gp = pi < gt->count ? &gt->parts[pi] : NULL;
            const ev_window_t *win = gp ? &gp->win : NULL;

            pe->topic = tname;
            pe->partition = pi;
            arena_who(&sp, gp ? gp->who : NULL, &pe->owner, &pe->client_id);
            pe->member_id = member_of(&sp, gm, gt, pi);
            ev_evaluate(p, win, &t->rings[pi], now_ms, &pe->result);
            pe->time_lag_exact = false;
            pe->entry_count = win ? win->count : 0;
            if (pe->entry_count) {
                pe->first = *ev_window_at(win, 0);
                pe->last = *ev_window_newest(win);
                exact_time_lag(gp, now_ms, pe);
            } else {
                memset(&pe->first, 0, sizeof(pe->first));
                memset(&pe->last, 0, sizeof(pe->last));
            }
            pe->retention_ms = t->retention_ms;
            pe->retention_bytes = t->retention_bytes;
            ev_retention_eval(&t->ls[pi],
                              pe->entry_count ? pe->last.offset : -1,
                              pe->result.current_lag, t->retention_ms,
                              pe->result.time_lag_known, pe->result.time_lag_s,
                              now_ms, &pe->retention);
            ev_retention_overlay(&pe->result, &pe->retention);
            ev_group_add(&out->rollup, &pe->result, (int)k);
            k++;
        }
    }
    out->count = k;
    out->status = out->rollup.status;
    out->now_ms = now_ms;
    out->last_commit_ms = g->last_commit_ms;
    pthread_rwlock_unlock(&cl->lock);
    return 0;
}

void mon_group_eval_free(mon_group_eval_t *ev) {
    if (!ev) return;
    free(ev->buf_);
    memset(ev, 0, sizeof(*ev));
}

const mon_part_eval_t *mon_group_eval_decider(const mon_group_eval_t *ev) {
    size_t i;

    if (!ev->count) return NULL;
    if (ev->status == EV_OK)
        return &ev->parts[ev->rollup.maxlag_index >= 0 &&
                                  (size_t)ev->rollup.maxlag_index < ev->count
                              ? (size_t)ev->rollup.maxlag_index
                              : 0];
    for (i = 0; i < ev->count; i++)
        if (ev_group_status_of(ev->parts[i].result.status) == ev->status)
            return &ev->parts[i];
    return &ev->parts[0];
}

int mon_store_foreach_eval(mon_store_t *st, int64_t now_ms,
                           const ev_params_t *p, mon_store_eval_cb cb,
                           void *arg) {
    mon_store_names_t clusters, groups;
    mon_group_eval_t ev;
    size_t c, i;
    int rc = 0;

    memset(&ev, 0, sizeof(ev));
    mon_store_clusters(st, &clusters);
    for (c = 0; c < clusters.count && !rc; c++) {
        if (mon_store_groups(st, clusters.names[c], now_ms, &groups) < 0)
            continue;
        for (i = 0; i < groups.count && !rc; i++) {
            /* A group deleted meanwhile is skipped. */
            if (mon_store_group_eval(st, clusters.names[c], groups.names[i],
                                     now_ms, p, &ev) == 0)
                rc = cb(&ev, arg);
        }
        mon_store_names_free(&groups);
    }
    mon_store_names_free(&clusters);
    mon_group_eval_free(&ev);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Snapshot                                                               */

#define SNAP_VERSION 4u /* version 3 + the windows' evidence */
#define SNAP_PLACES 3u  /* version 2 + the log places of each cluster */
#define SNAP_SHARED 2u  /* the first in the shared layout */
#define SNAP_HEADER 32u /* every version alike */
#define SNAP_MARK 24u   /* one ev_mark_t on disk */

/* The window's evidence (version 4): anchor, mid[0], mid[1]. */
static void save_marks(mon_wbuf_t *b, const ev_evidence_t *ev) {
    const ev_mark_t *m[3] = {&ev->anchor, &ev->mid[0], &ev->mid[1]};
    int i;

    for (i = 0; i < 3; i++) {
        mon_wbuf_u64(b, (uint64_t)m[i]->t_ms);
        mon_wbuf_u64(b, (uint64_t)m[i]->offset);
        mon_wbuf_u32(b, m[i]->lag);
        mon_wbuf_u32(b, m[i]->var);
    }
}

static int load_marks(mon_rbuf_t *r, ev_evidence_t *ev) {
    ev_mark_t *m[3] = {&ev->anchor, &ev->mid[0], &ev->mid[1]};
    int i;

    if (mon_rbuf_need(r, 3 * SNAP_MARK, "evidence") < 0) return -1;
    for (i = 0; i < 3; i++) {
        mon_rbuf_i64(r, &m[i]->t_ms, "mark time");
        mon_rbuf_i64(r, &m[i]->offset, "mark offset");
        mon_rbuf_u32(r, &m[i]->lag, "mark lag");
        mon_rbuf_u32(r, &m[i]->var, "mark variance");
    }
    return 0;
}

/* Serialises one cluster (read lock held). */
static void save_cluster(mon_wbuf_t *b, const mon_store_cluster_t *cl) {
    size_t i, j;
    int32_t p;
    unsigned k;

    mon_wbuf_str(b, cl->name, strlen(cl->name));
    mon_wbuf_u32(b, (uint32_t)cl->topics.count);
    for (i = 0; i < cl->topics.cap; i++) {
        const topic_t *t = (const topic_t *)cl->topics.slots[i].item;
        if (!t) continue;

        mon_wbuf_str(b, t->key.name, t->key.len);
        mon_wbuf_u32(b, (uint32_t)t->count);
        for (p = 0; p < t->count; p++) {
            const ev_headring_t *r = &t->rings[p];

            mon_wbuf_u16(b, r->count);
            for (k = 0; k < r->count; k++) {
                const ev_head_t *h = ev_headring_at(r, k);

                mon_wbuf_u64(b, (uint64_t)h->offset);
                mon_wbuf_u64(b, (uint64_t)h->timestamp_ms);
            }
        }
    }
    mon_wbuf_u32(b, (uint32_t)cl->groups.count);
    for (i = 0; i < cl->groups.cap; i++) {
        const group_t *g = (const group_t *)cl->groups.slots[i].item;
        if (!g) continue;

        mon_wbuf_str(b, g->key.name, g->key.len);
        mon_wbuf_u64(b, (uint64_t)group_active_ms(g));
        mon_wbuf_u32(b, (uint32_t)g->topics.count);
        for (j = 0; j < g->topics.cap; j++) {
            const gtopic_t *gt = (const gtopic_t *)g->topics.slots[j].item;
            if (!gt) continue;

            mon_wbuf_str(b, gt->key.name, gt->key.len);
            mon_wbuf_u32(b, (uint32_t)gt->count);
            for (p = 0; p < gt->count; p++) {
                const gpart_t *gp = &gt->parts[p];

                mon_wbuf_str(b, who_owner(gp->who),
                             gp->who ? gp->who->olen : 0);
                mon_wbuf_str(b, who_client(gp->who), who_client_len(gp->who));
                mon_wbuf_u16(b, gp->win.count);
                for (k = 0; k < gp->win.count; k++) {
                    const ev_entry_t *e = ev_window_at(&gp->win, k);

                    mon_wbuf_u64(b, (uint64_t)e->offset);
                    mon_wbuf_u64(b, (uint64_t)e->timestamp_ms);
                    mon_wbuf_u64(b, (uint64_t)e->lag);
                }
                save_marks(b, &gp->win.ev);
            }
        }
    }
    uint32_t np = 0;
    for (int32_t i2 = 0; i2 < cl->npos; i2++)
        np += cl->pos[i2] >= 0;
    mon_wbuf_u32(b, np);
    for (int32_t i2 = 0; i2 < cl->npos; i2++) {
        if (cl->pos[i2] < 0) continue;
        mon_wbuf_u32(b, (uint32_t)i2);
        mon_wbuf_u64(b, (uint64_t)cl->pos[i2]);
    }
}

int mon_store_save(mon_store_t *st, const char *path, char *errstr,
                   size_t errstr_size) {
    mon_wbuf_t b = {NULL, 0, 0};
    unsigned char hdr[MON_STATE_HEADER_SIZE];
    size_t n;
    mon_store_cluster_t **cls = clusters_copy(st, &n);
    mon_wbuf_u32(&b, (uint32_t)st->intervals);
    mon_wbuf_u32(&b, (uint32_t)n);
    for (size_t c = 0; c < n; c++) {
        pthread_rwlock_rdlock(&cls[c]->lock);
        save_cluster(&b, cls[c]);
        pthread_rwlock_unlock(&cls[c]->lock);
    }
    mon_state_header(hdr, MON_STATE_MAGIC_STORE, SNAP_VERSION, b.p, b.len);
    int rc = mon_file_write_atomic(path, hdr, sizeof(hdr), b.p, b.len, errstr,
                                   errstr_size) == 0
                 ? 0
                 : MON_ERR_IO;
    mon_wbuf_free(&b);
    free(cls);
    return rc;
}

static char *dup_n(const char *s, size_t n) {
    return mon_strndup(s, n);
}

/* Parses one cluster into a fresh, unregistered cluster object; version
 * 4 partitions carry their window's evidence, version 3 and 4 clusters
 * end with their log places. */
static mon_store_cluster_t *load_cluster(mon_store_t *st, mon_rbuf_t *r,
                                         uint32_t version) {
    mon_store_cluster_t *cl = NULL;
    const char *s;
    size_t len, at;
    uint32_t nt, ng, np, i, j;
    uint16_t n16;
    char *name;
    int32_t p;

    if (mon_rbuf_str(r, &s, &len, 1, "cluster name") < 0) return NULL;
    name = dup_n(s, len);
    cl = cluster_alloc(st, name);
    free(name);
    if (mon_rbuf_count(r, &nt, 6, UINT32_MAX, "topic count") < 0) goto fail;
    for (i = 0; i < nt; i++) {
        topic_t *t;

        at = r->pos;
        if (mon_rbuf_str(r, &s, &len, 1, "topic name") < 0) goto fail;
        if (mon_hmap_get(&cl->topics, s, len, mon_hash_bytes(s, len))) {
            mon_rbuf_fail(r, at, "duplicate topic");
            goto fail;
        }
        t = topic_new(cl, s, len);
        if (mon_rbuf_count(r, &np, 2, MON_STORE_MAX_PARTITIONS,
                           "partition count") < 0)
            goto fail;
        if (np) topic_grow(st, t, (int32_t)np);
        for (p = 0; p < (int32_t)np; p++) {
            if (mon_rbuf_u16(r, &n16, "head count") < 0 ||
                mon_rbuf_need(r, (size_t)n16 * 16, "head samples") < 0)
                goto fail;
            for (j = 0; j < n16; j++) {
                ev_head_t h;

                mon_rbuf_i64(r, &h.offset, "head offset");
                mon_rbuf_i64(r, &h.timestamp_ms, "head time");
                ev_headring_push(&t->rings[p], &h);
            }
        }
    }
    if (mon_rbuf_count(r, &ng, 14, UINT32_MAX, "group count") < 0) goto fail;
    for (i = 0; i < ng; i++) {
        group_t *g;
        uint32_t ngt, k;

        at = r->pos;
        if (mon_rbuf_str(r, &s, &len, 1, "group name") < 0) goto fail;
        if (mon_hmap_get(&cl->groups, s, len, mon_hash_bytes(s, len))) {
            mon_rbuf_fail(r, at, "duplicate group");
            goto fail;
        }
        g = group_new(cl, s, len, mon_hash_bytes(s, len));
        if (mon_rbuf_i64(r, &g->last_commit_ms, "last commit time") < 0 ||
            mon_rbuf_count(r, &ngt, 6, UINT32_MAX, "group topic count") < 0)
            goto fail;
        for (k = 0; k < ngt; k++) {
            topic_t *t;
            gtopic_t *gt;

            at = r->pos;
            if (mon_rbuf_str(r, &s, &len, 1, "group topic name") < 0) goto fail;
            t = mon_hmap_get(&cl->topics, s, len, mon_hash_bytes(s, len));
            if (!t) {
                mon_rbuf_fail(r, at,
                              "group topic not among the cluster's topics");
                goto fail;
            }
            if (mon_hmap_get(&g->topics, s, len, t->key.hash)) {
                mon_rbuf_fail(r, at, "duplicate group topic");
                goto fail;
            }
            gt = gtopic_new(g, t);
            at = r->pos;
            if (mon_rbuf_count(r, &np, 6, MON_STORE_MAX_PARTITIONS,
                               "partition count") < 0)
                goto fail;
            if ((int32_t)np > t->count) {
                mon_rbuf_fail(r, at,
                              "group topic has more partitions than topic");
                goto fail;
            }
            if (np) gtopic_grow(st, gt, (int32_t)np);
            for (p = 0; p < (int32_t)np; p++) {
                gpart_t *gp = &gt->parts[p];
                const char *o, *c;
                size_t olen, clen;

                if (mon_rbuf_str(r, &o, &olen, 0, "owner") < 0 ||
                    mon_rbuf_str(r, &c, &clen, 0, "client_id") < 0 ||
                    mon_rbuf_u16(r, &n16, "entry count") < 0 ||
                    mon_rbuf_need(r, (size_t)n16 * 24, "window entries") < 0)
                    goto fail;
                gp->who = who_get(cl, o, olen, c, clen);
                for (j = 0; j < n16; j++) {
                    ev_entry_t e;

                    mon_rbuf_i64(r, &e.offset, "entry offset");
                    mon_rbuf_i64(r, &e.timestamp_ms, "entry time");
                    mon_rbuf_i64(r, &e.lag, "entry lag");
                    ev_window_push(&gp->win, &e);
                }
                if (version >= SNAP_VERSION && load_marks(r, &gp->win.ev) < 0)
                    goto fail;
            }
        }
    }
    if (version >= SNAP_PLACES) {
        uint32_t npos, part;
        if (mon_rbuf_count(r, &npos, 12, MON_STORE_MAX_LOG_PARTS,
                           "log place count") < 0)
            goto fail;
        for (i = 0; i < npos; i++) {
            mon_store_pos_t pos;
            int64_t next;
            at = r->pos;
            if (mon_rbuf_u32(r, &part, "log partition") < 0 ||
                mon_rbuf_i64(r, &next, "log offset") < 0)
                goto fail;
            if (part >= MON_STORE_MAX_LOG_PARTS || next < 1 ||
                next == INT64_MAX ||
                pos_applied(cl, &(mon_store_pos_t){(int32_t)part, 0})) {
                mon_rbuf_fail(r, at, "bad or duplicate log place");
                goto fail;
            }
            pos.part = (int32_t)part;
            pos.offset = next - 1;
            pos_advance(cl, &pos);
        }
    }
    return cl;
fail:
    cluster_free(cl);
    return NULL;
}

/* Version 1 (before the shared header), little-endian:
 *   0 magic "WRNSTORE", 8 version 1, 12 intervals, 16 body length (u64),
 *   24 CRC-32 (IEEE) of the body, 28 cluster count, 32 the clusters
 * (the same cluster encoding as version 2). Leaves r at byte 32. */
static int load_v1_header(mon_rbuf_t *r, uint32_t *ncl) {
    if (mon_state_v1_check(r, 16, 24, SNAP_HEADER) < 0) return -1;
    r->pos = 28;
    return mon_rbuf_u32(r, ncl, "cluster count");
}

int mon_store_load(mon_store_t *st, const char *path, char *errstr,
                   size_t errstr_size) {
    unsigned char *data = NULL;
    size_t len, i;
    mon_rbuf_t r;
    uint32_t ncl = 0;
    mon_store_cluster_t **loaded = NULL;
    size_t nloaded = 0;
    int rc = MON_ERR_INVALID;

    if (mon_file_read(path, &data, &len, errstr, errstr_size) < 0)
        return MON_ERR_IO;
    mon_rbuf_init(&r, data, len, path, errstr, errstr_size);
    uint32_t version = 0;
    /* versions 2 to 4 share the header: check against the one written */
    uint32_t written = len >= 12 ? mon_le32(data + 8) : 0;
    uint32_t want = written >= SNAP_SHARED && written <= SNAP_VERSION
                        ? written
                        : SNAP_VERSION;
    mon_state_kind_t kind =
        mon_state_check(data, len, MON_STATE_MAGIC_STORE, want, 0, path,
                        &version, errstr, errstr_size);
    if (kind == MON_STATE_BAD) goto out;
    r.pos = SNAP_HEADER;
    version = kind == MON_STATE_OLD ? 1 : want;
    if (kind == MON_STATE_OLD) { /* version 1 */
        if (load_v1_header(&r, &ncl) < 0) goto out;
    } else {
        uint32_t intervals; /* of the writer: rings adapt */
        mon_rbuf_u32(&r, &intervals, "intervals");
        mon_rbuf_u32(&r, &ncl, "cluster count");
    }
    if (r.failed) goto out;
    if ((size_t)ncl * 10 > len - r.pos) {
        mon_rbuf_fail(&r, r.pos - 4,
                      "cluster count exceeds what the file can hold");
        goto out;
    }
    loaded = mon_calloc(ncl ? ncl : 1, sizeof(*loaded));
    for (i = 0; i < ncl; i++) {
        size_t at = r.pos, j;

        loaded[i] = load_cluster(st, &r, version);
        if (!loaded[i]) goto out;
        nloaded++;
        for (j = 0; j < i; j++)
            if (!strcmp(loaded[j]->name, loaded[i]->name)) {
                mon_rbuf_fail(&r, at, "duplicate cluster");
                goto out;
            }
    }
    if (r.pos != len) {
        mon_rbuf_fail(&r, r.pos, "trailing bytes after the last cluster");
        goto out;
    }
    /* Everything checked: swap the contents in, one cluster at a time. */
    for (i = 0; i < nloaded; i++) {
        mon_store_cluster_t *cl = mon_store_cluster(st, loaded[i]->name);
        mon_store_cluster_t *nc = loaded[i];
        mon_hmap_t tmp;

        pthread_rwlock_wrlock(&cl->lock);
        tmp = cl->topics;
        cl->topics = nc->topics;
        nc->topics = tmp;
        tmp = cl->groups;
        cl->groups = nc->groups;
        nc->groups = tmp;
        tmp = cl->strs;
        cl->strs = nc->strs;
        nc->strs = tmp;
        if (version >=
            SNAP_PLACES) { /* an older file knows no places: keep ours */
            int64_t *tpos = cl->pos;
            int32_t tn = cl->npos;
            cl->pos = nc->pos;
            cl->npos = nc->npos;
            nc->pos = tpos;
            nc->npos = tn;
        }
        cl->c_topic = NULL;
        cl->c_group = NULL;
        cl->c_gtopic = NULL;
        pthread_rwlock_unlock(&cl->lock);
    }
    rc = 0;
out:
    for (i = 0; i < nloaded; i++)
        cluster_free(loaded[i]);
    free(loaded);
    free(data);
    return rc;
}
