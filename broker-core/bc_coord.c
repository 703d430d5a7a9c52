/* SPDX-License-Identifier: Apache-2.0 */
/* bc_coord: in-process group coordinator, Kafka's classic protocol. See
 * bc_coord.h for the protocol and the locking.
 *
 * Groups and their members live in plain arrays searched linearly: a
 * broker holds tens of groups of tens of members, and every operation is
 * a few string compares next to the work the caller does with its answer.
 * Members are kept in join order; the first one is the group's leader.
 */
#include "broker-core/bc_coord.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker-core/bc_clock.h"
#include "broker-core/bc_mem.h"

#define DEFAULT_SESSION_TIMEOUT_MS 45000
#define DEFAULT_REBALANCE_TIMEOUT_MS 300000
#define DEFAULT_MIN_SESSION_MS 6000
#define DEFAULT_MAX_SESSION_MS 1800000

typedef struct member_s {
    char *member_id;
    char *client_id;
    char *host;
    char **topics;
    size_t topic_cnt;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    int64_t last_heard_ms; /* only moves forward */
    int joined;            /* has rejoined the rebalance in progress */
    /* topics of these entries point into this member's `topics` */
    bc_group_tp_t *assignment;
    size_t assignment_cnt;
} member_t;

/* Partition count of a subscribed topic when the group was last
 * assigned; -1 = the topic did not exist. */
typedef struct tpcount_s {
    char *topic;
    int32_t partitions;
} tpcount_t;

typedef struct group_s {
    char *name;
    bc_coord_state_t state;
    int32_t generation;
    bc_assign_strategy_t strategy;
    member_t **members;
    size_t member_cnt, member_cap;
    int64_t rebalance_start_ms;
    tpcount_t *counts;
    size_t count_cnt;
} group_t;

struct bc_coord_s {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* signalled when seq moves */
    uint64_t seq;         /* bumped on every group change */
    bc_coord_conf_t conf;
    group_t **groups;
    size_t group_cnt, group_cap;
    uint64_t id_counter; /* for member ids */
};

/* ---- helpers (caller holds coord->lock) ------------------------------ */

static void changed(bc_coord_t *coord) {
    coord->seq++;
    pthread_cond_broadcast(&coord->cond);
}

static void member_clear_assignment(member_t *m) {
    free(m->assignment);
    m->assignment = NULL;
    m->assignment_cnt = 0;
}

static void member_free(member_t *m) {
    if (!m) return;
    for (size_t i = 0; i < m->topic_cnt; i++)
        free(m->topics[i]);
    free(m->topics);
    free(m->member_id);
    free(m->client_id);
    free(m->host);
    member_clear_assignment(m);
    free(m);
}

static void group_clear_counts(group_t *g) {
    for (size_t i = 0; i < g->count_cnt; i++)
        free(g->counts[i].topic);
    free(g->counts);
    g->counts = NULL;
    g->count_cnt = 0;
}

static void group_free(group_t *g) {
    if (!g) return;
    for (size_t i = 0; i < g->member_cnt; i++)
        member_free(g->members[i]);
    free(g->members);
    group_clear_counts(g);
    free(g->name);
    free(g);
}

static group_t *group_find(bc_coord_t *coord, const char *name) {
    for (size_t i = 0; i < coord->group_cnt; i++)
        if (!strcmp(coord->groups[i]->name, name)) return coord->groups[i];
    return NULL;
}

static group_t *group_get(bc_coord_t *coord, const char *name) {
    group_t *g = group_find(coord, name);

    if (g) return g;
    g = bc_calloc(1, sizeof(*g));
    g->name = bc_strdup(name);
    g->state = BC_COORD_EMPTY;
    if (coord->group_cnt == coord->group_cap) {
        coord->group_cap = coord->group_cap ? coord->group_cap * 2 : 8;
        coord->groups = bc_realloc(coord->groups,
                                   coord->group_cap * sizeof(*coord->groups));
    }
    coord->groups[coord->group_cnt++] = g;
    return g;
}

static member_t *member_find(group_t *g, const char *member_id) {
    if (!member_id) return NULL;
    for (size_t i = 0; i < g->member_cnt; i++)
        if (!strcmp(g->members[i]->member_id, member_id)) return g->members[i];
    return NULL;
}

static void member_remove_at(group_t *g, size_t i) {
    member_free(g->members[i]);
    memmove(&g->members[i], &g->members[i + 1],
            (g->member_cnt - i - 1) * sizeof(*g->members));
    g->member_cnt--;
}

static void heard(member_t *m, int64_t now_ms) {
    if (now_ms > m->last_heard_ms) m->last_heard_ms = now_ms;
}

/* Starts a rebalance unless one is already being prepared: every member
 * must rejoin. */
static void begin_rebalance(bc_coord_t *coord, group_t *g, int64_t now_ms) {
    if (g->state == BC_COORD_PREPARING_REBALANCE) return;
    g->state = BC_COORD_PREPARING_REBALANCE;
    g->rebalance_start_ms = now_ms;
    for (size_t i = 0; i < g->member_cnt; i++)
        g->members[i]->joined = 0;
    changed(coord);
}

static int has_topic(char *const *topics, size_t n, const char *t) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(topics[i], t)) return 1;
    return 0;
}

/* Union of the members' subscriptions with current partition counts, as
 * an owned array of tpcount_t. */
static tpcount_t *current_counts(bc_coord_t *coord, group_t *g, size_t *n) {
    tpcount_t *c = NULL;
    size_t cnt = 0, cap = 0;

    for (size_t i = 0; i < g->member_cnt; i++) {
        member_t *m = g->members[i];

        for (size_t k = 0; k < m->topic_cnt; k++) {
            size_t j;

            for (j = 0; j < cnt; j++)
                if (!strcmp(c[j].topic, m->topics[k])) break;
            if (j < cnt) continue;
            if (cnt == cap) {
                cap = cap ? cap * 2 : 8;
                c = bc_realloc(c, cap * sizeof(*c));
            }
            c[cnt].topic = bc_strdup(m->topics[k]);
            c[cnt].partitions =
                coord->conf.partitions_cb(coord->conf.opaque, m->topics[k]);
            if (c[cnt].partitions < 0) c[cnt].partitions = -1;
            cnt++;
        }
    }
    *n = cnt;
    return c;
}

/* The join phase is over: assign, bump the generation, go STABLE (or
 * EMPTY without members). */
static void complete_rebalance(bc_coord_t *coord, group_t *g) {
    bc_assign_member_t *am = NULL;
    bc_assign_topic_t *at = NULL;
    bc_assign_list_t *out = NULL;
    size_t at_cnt = 0;
    char err[256];

    group_clear_counts(g);
    g->generation++;
    if (!g->member_cnt) {
        g->state = BC_COORD_EMPTY;
        changed(coord);
        return;
    }
    g->counts = current_counts(coord, g, &g->count_cnt);
    am = bc_calloc(g->member_cnt, sizeof(*am));
    at = bc_calloc(g->count_cnt ? g->count_cnt : 1, sizeof(*at));
    out = bc_calloc(g->member_cnt, sizeof(*out));
    for (size_t i = 0; i < g->member_cnt; i++) {
        member_t *m = g->members[i];

        am[i].member_id = m->member_id;
        am[i].group_instance_id = NULL;
        am[i].topics = (const char *const *)m->topics;
        am[i].topic_cnt = m->topic_cnt;
        member_clear_assignment(m);
    }
    for (size_t i = 0; i < g->count_cnt; i++)
        if (g->counts[i].partitions >= 0)
            at[at_cnt++] = (bc_assign_topic_t){g->counts[i].topic,
                                               g->counts[i].partitions};
    if (bc_assign_compute(g->strategy, am, g->member_cnt, at, at_cnt, out, err,
                          sizeof(err)) == 0) {
        for (size_t i = 0; i < g->member_cnt; i++) {
            member_t *m = g->members[i];

            /* Re-point topics at the member's own copies so the
             * assignment does not depend on g->counts. */
            for (size_t k = 0; k < out[i].cnt; k++)
                for (size_t t = 0; t < m->topic_cnt; t++)
                    if (!strcmp(m->topics[t], out[i].tps[k].topic))
                        out[i].tps[k].topic = m->topics[t];
            m->assignment = out[i].tps;
            m->assignment_cnt = out[i].cnt;
            out[i].tps = NULL;
            out[i].cnt = 0;
        }
    }
    for (size_t i = 0; i < g->member_cnt; i++)
        g->members[i]->joined = 0;
    g->state = BC_COORD_STABLE;
    free(am);
    free(at);
    free(out);
    changed(coord);
}

static void maybe_complete(bc_coord_t *coord, group_t *g) {
    if (g->state != BC_COORD_PREPARING_REBALANCE) return;
    for (size_t i = 0; i < g->member_cnt; i++)
        if (!g->members[i]->joined) return;
    complete_rebalance(coord, g);
}

/* Removes members silent for their session timeout and, when the
 * rebalance timeout has passed, members that did not rejoin. */
static int expire_group(bc_coord_t *coord, group_t *g, int64_t now_ms) {
    int removed = 0;

    for (size_t i = 0; i < g->member_cnt;) {
        member_t *m = g->members[i];

        if (now_ms - m->last_heard_ms >= m->session_timeout_ms) {
            member_remove_at(g, i);
            removed++;
        } else {
            i++;
        }
    }
    if (g->state == BC_COORD_PREPARING_REBALANCE) {
        int64_t timeout = 0;

        for (size_t i = 0; i < g->member_cnt; i++)
            if (g->members[i]->rebalance_timeout_ms > timeout)
                timeout = g->members[i]->rebalance_timeout_ms;
        if (now_ms - g->rebalance_start_ms >= timeout) {
            for (size_t i = 0; i < g->member_cnt;) {
                if (!g->members[i]->joined) {
                    member_remove_at(g, i);
                    removed++;
                } else {
                    i++;
                }
            }
        }
    }
    if (removed) {
        begin_rebalance(coord, g, now_ms);
        changed(coord);
    }
    maybe_complete(coord, g);
    return removed;
}

/* Did a subscribed topic's partition count change since the assignment? */
static int counts_changed(bc_coord_t *coord, group_t *g) {
    for (size_t i = 0; i < g->count_cnt; i++) {
        int32_t n =
            coord->conf.partitions_cb(coord->conf.opaque, g->counts[i].topic);

        if (n < 0) n = -1;
        if (n != g->counts[i].partitions) return 1;
    }
    return 0;
}

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* "<client id>-<uuid-like>", like Kafka's clientId + "-" + UUID. */
static void new_member_id(bc_coord_t *coord, const char *client_id, char *out,
                          size_t size) {
    uint64_t state = coord->id_counter++ ^ (uint64_t)(uintptr_t)coord;
    uint64_t a = splitmix64(&state), b = splitmix64(&state);

    snprintf(out, size, "%s-%08x-%04x-%04x-%04x-%012llx", client_id,
             (unsigned)(a >> 32), (unsigned)((a >> 16) & 0xffff),
             (unsigned)(0x4000 | (a & 0x0fff)),
             (unsigned)(0x8000 | ((b >> 48) & 0x3fff)),
             (unsigned long long)(b & 0xffffffffffffull));
}

static int valid_name(const char *s, int allow_empty) {
    size_t n;

    if (!s) return 0;
    n = strlen(s);
    return (allow_empty || n > 0) && n <= BC_COORD_NAME_MAX;
}

static int same_topics(const member_t *m, const char *const *topics, size_t n) {
    size_t distinct = 0;

    for (size_t i = 0; i < n; i++) {
        if (!has_topic(m->topics, m->topic_cnt, topics[i])) return 0;
        if (!has_topic((char *const *)topics, i, topics[i])) distinct++;
    }
    return distinct == m->topic_cnt;
}

static void member_set_topics(member_t *m, const char *const *topics,
                              size_t n) {
    member_clear_assignment(m);
    for (size_t i = 0; i < m->topic_cnt; i++)
        free(m->topics[i]);
    free(m->topics);
    m->topics = bc_calloc(n ? n : 1, sizeof(*m->topics));
    m->topic_cnt = 0;
    for (size_t i = 0; i < n; i++)
        if (!has_topic(m->topics, m->topic_cnt, topics[i]))
            m->topics[m->topic_cnt++] = bc_strdup(topics[i]);
}

/* ---- public API ------------------------------------------------------ */

bc_coord_t *bc_coord_new(const bc_coord_conf_t *conf, char *errstr,
                         size_t errstr_size) {
    bc_coord_t *coord;

    if (!conf || !conf->partitions_cb) {
        snprintf(errstr, errstr_size,
                 "coordinator needs a partition-count callback");
        return NULL;
    }
    coord = bc_calloc(1, sizeof(*coord));
    coord->conf = *conf;
    if (!coord->conf.min_session_timeout_ms)
        coord->conf.min_session_timeout_ms = DEFAULT_MIN_SESSION_MS;
    if (!coord->conf.max_session_timeout_ms)
        coord->conf.max_session_timeout_ms = DEFAULT_MAX_SESSION_MS;
    if (coord->conf.min_session_timeout_ms < 0 ||
        coord->conf.max_session_timeout_ms <
            coord->conf.min_session_timeout_ms) {
        snprintf(errstr, errstr_size,
                 "session timeout range %d..%d ms is invalid",
                 (int)coord->conf.min_session_timeout_ms,
                 (int)coord->conf.max_session_timeout_ms);
        free(coord);
        return NULL;
    }
    pthread_mutex_init(&coord->lock, NULL);
    bc_clock_cond_init(&coord->cond);
    coord->seq = 1;
    return coord;
}

void bc_coord_destroy(bc_coord_t *coord) {
    if (!coord) return;
    for (size_t i = 0; i < coord->group_cnt; i++)
        group_free(coord->groups[i]);
    free(coord->groups);
    pthread_cond_destroy(&coord->cond);
    pthread_mutex_destroy(&coord->lock);
    free(coord);
}

int bc_coord_join(bc_coord_t *coord, const bc_coord_join_t *req, int64_t now_ms,
                  char *member_id, int32_t *generation) {
    group_t *g;
    member_t *m;
    int32_t session, rebalance;
    int ret;

    if (!req || !valid_name(req->group, 0) || !valid_name(req->client_id, 1) ||
        !valid_name(req->host, 1) || (req->topic_cnt && !req->topics) ||
        (req->strategy != BC_ASSIGN_RANGE &&
         req->strategy != BC_ASSIGN_ROUNDROBIN))
        return BC_ERR_INVALID;
    for (size_t i = 0; i < req->topic_cnt; i++)
        if (!req->topics[i] || !req->topics[i][0]) return BC_ERR_INVALID;
    session = req->session_timeout_ms ? req->session_timeout_ms
                                      : DEFAULT_SESSION_TIMEOUT_MS;
    rebalance = req->rebalance_timeout_ms ? req->rebalance_timeout_ms
                                          : DEFAULT_REBALANCE_TIMEOUT_MS;
    if (rebalance < 0) return BC_ERR_INVALID;
    if (session < coord->conf.min_session_timeout_ms ||
        session > coord->conf.max_session_timeout_ms)
        return BC_COORD_ERR_INVALID_SESSION_TIMEOUT;

    pthread_mutex_lock(&coord->lock);
    g = group_get(coord, req->group);
    expire_group(coord, g, now_ms);
    if (g->member_cnt && req->strategy != g->strategy &&
        !(g->member_cnt == 1 && req->member_id &&
          member_find(g, req->member_id))) {
        ret = BC_COORD_ERR_INCONSISTENT_PROTOCOL;
        goto out;
    }
    if (req->member_id && req->member_id[0]) {
        m = member_find(g, req->member_id);
        if (!m) {
            ret = BC_COORD_ERR_UNKNOWN_MEMBER;
            goto out;
        }
        heard(m, now_ms);
        m->session_timeout_ms = session;
        m->rebalance_timeout_ms = rebalance;
        g->strategy = req->strategy;
        if (!same_topics(m, req->topics, req->topic_cnt)) {
            member_set_topics(m, req->topics, req->topic_cnt);
            begin_rebalance(coord, g, now_ms);
        } else if (g->state == BC_COORD_STABLE) {
            /* Rejoin with nothing changed: the current assignment holds,
             * as Kafka answers a stable follower's rejoin. */
            snprintf(member_id, BC_COORD_MEMBER_ID_SIZE, "%s", m->member_id);
            *generation = g->generation;
            ret = 0;
            goto out;
        }
    } else {
        char id[BC_COORD_MEMBER_ID_SIZE];

        new_member_id(coord, req->client_id, id, sizeof(id));
        m = bc_calloc(1, sizeof(*m));
        m->member_id = bc_strdup(id);
        m->client_id = bc_strdup(req->client_id);
        m->host = bc_strdup(req->host);
        m->session_timeout_ms = session;
        m->rebalance_timeout_ms = rebalance;
        m->last_heard_ms = now_ms;
        member_set_topics(m, req->topics, req->topic_cnt);
        begin_rebalance(coord, g, now_ms);
        if (g->member_cnt == g->member_cap) {
            g->member_cap = g->member_cap ? g->member_cap * 2 : 4;
            g->members =
                bc_realloc(g->members, g->member_cap * sizeof(*g->members));
        }
        g->members[g->member_cnt++] = m;
        g->strategy = req->strategy;
    }
    m->joined = 1;
    snprintf(member_id, BC_COORD_MEMBER_ID_SIZE, "%s", m->member_id);
    changed(coord);
    maybe_complete(coord, g);
    if (g->state == BC_COORD_STABLE) {
        *generation = g->generation;
        ret = 0;
    } else {
        ret = BC_COORD_ERR_JOIN_PENDING;
    }
out:
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

int bc_coord_sync(bc_coord_t *coord, const char *group, const char *member_id,
                  int64_t now_ms, int32_t *generation, bc_group_tp_t **tps,
                  size_t *cnt) {
    group_t *g;
    member_t *m;
    int ret = 0;

    *tps = NULL;
    *cnt = 0;
    if (!group || !member_id) return BC_ERR_INVALID;
    pthread_mutex_lock(&coord->lock);
    g = group_find(coord, group);
    if (g) expire_group(coord, g, now_ms);
    m = g ? member_find(g, member_id) : NULL;
    if (!m) {
        ret = BC_COORD_ERR_UNKNOWN_MEMBER;
        goto out;
    }
    heard(m, now_ms);
    if (g->state != BC_COORD_STABLE) {
        ret = m->joined ? BC_COORD_ERR_JOIN_PENDING
                        : BC_COORD_ERR_REBALANCE_IN_PROGRESS;
        goto out;
    }
    {
        size_t bytes = m->assignment_cnt * sizeof(bc_group_tp_t), off;
        char *block;

        for (size_t i = 0; i < m->assignment_cnt; i++)
            bytes += strlen(m->assignment[i].topic) + 1;
        block = bc_malloc(bytes);
        off = m->assignment_cnt * sizeof(bc_group_tp_t);
        *tps = (bc_group_tp_t *)(void *)block;
        for (size_t i = 0; i < m->assignment_cnt; i++) {
            size_t n = strlen(m->assignment[i].topic) + 1;

            memcpy(block + off, m->assignment[i].topic, n);
            (*tps)[i].topic = block + off;
            (*tps)[i].partition = m->assignment[i].partition;
            off += n;
        }
        *cnt = m->assignment_cnt;
        *generation = g->generation;
    }
out:
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

int bc_coord_heartbeat(bc_coord_t *coord, const char *group,
                       const char *member_id, int32_t generation,
                       int64_t now_ms) {
    group_t *g;
    member_t *m;
    int ret = 0;

    if (!group || !member_id) return BC_ERR_INVALID;
    pthread_mutex_lock(&coord->lock);
    g = group_find(coord, group);
    if (g) expire_group(coord, g, now_ms);
    m = g ? member_find(g, member_id) : NULL;
    if (!m) {
        ret = BC_COORD_ERR_UNKNOWN_MEMBER;
        goto out;
    }
    heard(m, now_ms);
    if (g->state == BC_COORD_PREPARING_REBALANCE) {
        ret = m->joined ? BC_COORD_ERR_JOIN_PENDING
                        : BC_COORD_ERR_REBALANCE_IN_PROGRESS;
        goto out;
    }
    if (generation != g->generation) {
        ret = BC_COORD_ERR_ILLEGAL_GENERATION;
        goto out;
    }
    if (counts_changed(coord, g)) {
        begin_rebalance(coord, g, now_ms);
        ret = BC_COORD_ERR_REBALANCE_IN_PROGRESS;
    }
out:
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

int bc_coord_leave(bc_coord_t *coord, const char *group, const char *member_id,
                   int64_t now_ms) {
    group_t *g;
    int ret = BC_COORD_ERR_UNKNOWN_MEMBER;

    if (!group || !member_id) return BC_ERR_INVALID;
    pthread_mutex_lock(&coord->lock);
    g = group_find(coord, group);
    if (g) {
        for (size_t i = 0; i < g->member_cnt; i++) {
            if (!strcmp(g->members[i]->member_id, member_id)) {
                member_remove_at(g, i);
                begin_rebalance(coord, g, now_ms);
                changed(coord);
                ret = 0;
                break;
            }
        }
        expire_group(coord, g, now_ms);
    }
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

int bc_coord_check_commit(bc_coord_t *coord, const char *group,
                          const char *member_id, int32_t generation,
                          int64_t now_ms) {
    group_t *g;
    member_t *m;
    int ret = 0;

    if (!group) return BC_ERR_INVALID;
    pthread_mutex_lock(&coord->lock);
    g = group_find(coord, group);
    if (g) expire_group(coord, g, now_ms);
    if ((!member_id || !member_id[0]) && generation < 0) {
        if (g && g->member_cnt) ret = BC_COORD_ERR_UNKNOWN_MEMBER;
        goto out;
    }
    m = g ? member_find(g, member_id) : NULL;
    if (!m) {
        ret = BC_COORD_ERR_UNKNOWN_MEMBER;
        goto out;
    }
    if (generation != g->generation) {
        ret = BC_COORD_ERR_ILLEGAL_GENERATION;
        goto out;
    }
    heard(m, now_ms);
out:
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

int bc_coord_tick(bc_coord_t *coord, int64_t now_ms) {
    int removed = 0;

    pthread_mutex_lock(&coord->lock);
    for (size_t i = 0; i < coord->group_cnt; i++)
        removed += expire_group(coord, coord->groups[i], now_ms);
    pthread_mutex_unlock(&coord->lock);
    return removed;
}

int bc_coord_delete_group(bc_coord_t *coord, const char *group) {
    int ret = BC_ERR_NOT_FOUND;

    if (!group) return BC_ERR_INVALID;
    pthread_mutex_lock(&coord->lock);
    for (size_t i = 0; i < coord->group_cnt; i++) {
        group_t *g = coord->groups[i];

        if (strcmp(g->name, group)) continue;
        if (g->member_cnt) {
            ret = BC_COORD_ERR_NON_EMPTY_GROUP;
            break;
        }
        group_free(g);
        memmove(&coord->groups[i], &coord->groups[i + 1],
                (coord->group_cnt - i - 1) * sizeof(*coord->groups));
        coord->group_cnt--;
        changed(coord);
        ret = 0;
        break;
    }
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

bc_coord_desc_t *bc_coord_describe(bc_coord_t *coord, const char *group,
                                   int64_t now_ms) {
    bc_coord_desc_t *d = NULL;
    group_t *g;

    if (!group) return NULL;
    pthread_mutex_lock(&coord->lock);
    g = group_find(coord, group);
    if (!g) goto out;
    expire_group(coord, g, now_ms);
    d = bc_calloc(1, sizeof(*d));
    d->group = bc_strdup(g->name);
    d->state = g->state;
    d->generation = g->generation;
    d->protocol = bc_assign_strategy_name(g->strategy);
    d->leader = g->member_cnt ? bc_strdup(g->members[0]->member_id) : NULL;
    d->member_cnt = g->member_cnt;
    d->members =
        bc_calloc(g->member_cnt ? g->member_cnt : 1, sizeof(*d->members));
    for (size_t i = 0; i < g->member_cnt; i++) {
        member_t *m = g->members[i];
        bc_coord_member_t *dm = &d->members[i];

        dm->member_id = bc_strdup(m->member_id);
        dm->client_id = bc_strdup(m->client_id);
        dm->host = bc_strdup(m->host);
        /* While a rebalance is prepared, members still own what they
         * were given until they rejoin. */
        dm->assignment_cnt = m->assignment_cnt;
        dm->assignment = bc_calloc(m->assignment_cnt ? m->assignment_cnt : 1,
                                   sizeof(bc_group_tp_t));
        for (size_t k = 0; k < m->assignment_cnt; k++) {
            dm->assignment[k].topic = bc_strdup(m->assignment[k].topic);
            dm->assignment[k].partition = m->assignment[k].partition;
        }
    }
out:
    pthread_mutex_unlock(&coord->lock);
    return d;
}

void bc_coord_desc_free(bc_coord_desc_t *desc) {
    if (!desc) return;
    for (size_t i = 0; i < desc->member_cnt; i++) {
        bc_coord_member_t *m = &desc->members[i];

        for (size_t k = 0; k < m->assignment_cnt; k++)
            free((char *)m->assignment[k].topic);
        free(m->assignment);
        free(m->member_id);
        free(m->client_id);
        free(m->host);
    }
    free(desc->members);
    free(desc->leader);
    free(desc->group);
    free(desc);
}

const bc_coord_member_t *bc_coord_desc_owner(const bc_coord_desc_t *desc,
                                             const char *topic,
                                             int32_t partition) {
    if (!desc || !topic) return NULL;
    for (size_t i = 0; i < desc->member_cnt; i++) {
        const bc_coord_member_t *m = &desc->members[i];

        for (size_t k = 0; k < m->assignment_cnt; k++)
            if (m->assignment[k].partition == partition &&
                !strcmp(m->assignment[k].topic, topic))
                return m;
    }
    return NULL;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **bc_coord_list_groups(bc_coord_t *coord, size_t *n) {
    char **names;

    pthread_mutex_lock(&coord->lock);
    names = bc_calloc(coord->group_cnt ? coord->group_cnt : 1, sizeof(*names));
    for (size_t i = 0; i < coord->group_cnt; i++)
        names[i] = bc_strdup(coord->groups[i]->name);
    *n = coord->group_cnt;
    pthread_mutex_unlock(&coord->lock);
    qsort(names, *n, sizeof(*names), name_cmp);
    return names;
}

void bc_coord_names_free(char **names, size_t n) {
    if (!names) return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int bc_coord_wait(bc_coord_t *coord, uint64_t *seq, int timeout_ms) {
    struct timespec ts;
    int ret;

    bc_clock_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&coord->lock);
    while (coord->seq == *seq) {
        if (pthread_cond_timedwait(&coord->cond, &coord->lock, &ts) ==
            ETIMEDOUT)
            break;
    }
    ret = coord->seq != *seq;
    *seq = coord->seq;
    pthread_mutex_unlock(&coord->lock);
    return ret;
}

uint64_t bc_coord_seq(bc_coord_t *coord) {
    uint64_t s;

    pthread_mutex_lock(&coord->lock);
    s = coord->seq;
    pthread_mutex_unlock(&coord->lock);
    return s;
}

const char *bc_coord_err2str(int err) {
    switch (err) {
    case BC_COORD_OK:
        return "NONE";
    case BC_COORD_ERR_UNKNOWN_MEMBER:
        return "UNKNOWN_MEMBER_ID";
    case BC_COORD_ERR_ILLEGAL_GENERATION:
        return "ILLEGAL_GENERATION";
    case BC_COORD_ERR_REBALANCE_IN_PROGRESS:
        return "REBALANCE_IN_PROGRESS";
    case BC_COORD_ERR_INCONSISTENT_PROTOCOL:
        return "INCONSISTENT_GROUP_PROTOCOL";
    case BC_COORD_ERR_INVALID_SESSION_TIMEOUT:
        return "INVALID_SESSION_TIMEOUT";
    case BC_ERR_INVALID:
        return "INVALID_REQUEST";
    case BC_COORD_ERR_JOIN_PENDING:
        return "JOIN_PENDING";
    case BC_COORD_ERR_NON_EMPTY_GROUP:
        return "NON_EMPTY_GROUP";
    default:
        return "UNKNOWN";
    }
}

const char *bc_coord_state_name(bc_coord_state_t state) {
    switch (state) {
    case BC_COORD_EMPTY:
        return "Empty";
    case BC_COORD_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case BC_COORD_STABLE:
        return "Stable";
    }
    return "Unknown";
}
