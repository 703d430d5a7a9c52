/* SPDX-License-Identifier: Apache-2.0 */
/* mon_replay: see mon_replay.h for the semantics.
 *
 * One replay_t per file. Groups the replay has seen are kept in an array
 * (first-seen order, which is also the tick order, so output is stable)
 * indexed by an open-addressing table on "cluster\0group"; the last group
 * touched is cached because commits come in runs per group. Groups touched
 * during an instant are queued once on a dirty list and evaluated when the
 * clock moves on. One mon_group_eval_t is reused for every evaluation, so
 * the steady state allocates nothing.
 */
#include "monitor/replay/mon_replay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evaluator/ev_rules.h"
#include "evaluator/ev_status.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_mem.h"
#include "monitor/sources/mon_trace.h"
#include "monitor/sources/mon_trace_pipe.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_rebalance.h"
#include "monitor/store/mon_store.h"

/* A stream's block (see feed_stream). */
#define STREAM_BLOCK ((size_t)16 << 20)
#define STREAM_MIN ((size_t)1 << 20)
#define STREAM_WAIT_MS 50

#define TEXT_MAX_PARTS 10 /* non-OK partitions listed per text line */

typedef struct rec_s {
    mon_hkey_t key; /* "cluster\0group" (first: the index's item) */
    char *cluster;  /* cluster '\0' group '\0', one allocation */
    const char *group;
    size_t clen, glen;
    ev_status_t status; /* as last evaluated; EV_NOTFOUND before */
    int64_t totallag;
    size_t partitions;
    bool dirty;
} rec_t;

typedef struct cl_cache_s {
    char *name;
    mon_store_cluster_t *cl;
} cl_cache_t;

typedef struct replay_s {
    const char *path;
    const mon_replay_opts_t *o;
    mon_replay_stats_t *stats;
    mon_trace_reader_t *rd;
    mon_trace_config_t cfg;
    mon_store_t *st;
    mon_history_t *hist; /* the rebalances only */
    ev_params_t params;
    /* groups seen */
    rec_t **recs;
    size_t nrecs, caprecs;
    mon_hmap_t index; /* of rec_t, by "cluster\0group" */
    rec_t *last;
    rec_t **dirty;
    size_t ndirty, capdirty;
    /* clusters */
    cl_cache_t *cls;
    size_t ncls;
    size_t last_cl;
    /* clock */
    bool started;
    int64_t cur_t;
    int64_t next_tick; /* INT64_MAX: no ticks */
    mon_group_eval_t ev;
    int rc;
} replay_t;

static rec_t *rec_find(replay_t *rp, const char *cluster, const char *group,
                       bool create) {
    size_t clen = strlen(cluster), glen = strlen(group);
    rec_t *r = rp->last;

    if (r && r->glen == glen && r->clen == clen &&
        !memcmp(r->group, group, glen) && !memcmp(r->cluster, cluster, clen))
        return r;
    char *key = mon_malloc(clen + glen + 2);
    memcpy(key, cluster, clen + 1);
    memcpy(key + clen + 1, group, glen + 1);
    size_t klen = clen + 1 + glen;
    uint64_t h = mon_hash_bytes(key, klen);
    r = mon_hmap_get(&rp->index, key, klen, h);
    if (r || !create) {
        free(key);
        return r ? (rp->last = r) : NULL;
    }
    r = mon_calloc(1, sizeof(*r));
    r->cluster = key;
    r->group = key + clen + 1;
    r->clen = clen;
    r->glen = glen;
    r->key.name = key;
    r->key.len = klen;
    r->key.hash = h;
    r->status = EV_NOTFOUND;
    mon_hmap_put(&rp->index, &r->key);
    if (rp->nrecs == rp->caprecs) {
        rp->caprecs = rp->caprecs ? rp->caprecs * 2 : 64;
        rp->recs = mon_realloc(rp->recs, rp->caprecs * sizeof(*rp->recs));
    }
    rp->recs[rp->nrecs++] = r;
    rp->stats->groups++;
    return rp->last = r;
}

static mon_store_cluster_t *cluster_of(replay_t *rp, const char *name) {
    size_t i;

    if (rp->ncls && !strcmp(rp->cls[rp->last_cl].name, name))
        return rp->cls[rp->last_cl].cl;
    for (i = 0; i < rp->ncls; i++)
        if (!strcmp(rp->cls[i].name, name)) {
            rp->last_cl = i;
            return rp->cls[i].cl;
        }
    rp->cls = mon_realloc(rp->cls, (rp->ncls + 1) * sizeof(*rp->cls));
    rp->cls[rp->ncls].name = mon_strdup(name);
    rp->cls[rp->ncls].cl = mon_store_cluster(rp->st, name);
    rp->last_cl = rp->ncls++;
    return rp->cls[rp->last_cl].cl;
}

/* ---- output ---- */

static void json_str(FILE *f, const char *s) {
    const unsigned char *p = (const unsigned char *)s;

    putc('"', f);
    for (; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                putc(*p, f);
        }
    }
    putc('"', f);
}

static void print_change(replay_t *rp, const rec_t *r, ev_status_t prev,
                         int64_t t) {
    FILE *f = rp->o->out;
    const mon_group_eval_t *ev = &rp->ev;
    char ts[MON_CLOCK_RFC3339_SIZE];
    size_t i, shown = 0, bad = 0;

    rp->stats->changes++;
    if (rp->o->quiet) return;
    if (rp->o->format == MON_REPLAY_JSON) {
        fprintf(f,
                "{\"type\":\"change\",\"t\":%lld,\"cluster\":", (long long)t);
        json_str(f, r->cluster);
        fputs(",\"group\":", f);
        json_str(f, r->group);
        fprintf(f,
                ",\"status\":\"%s\",\"previous\":\"%s\",\"totallag\":%lld,"
                "\"partitions\":[",
                ev_status_name(ev->status), ev_status_name(prev),
                (long long)ev->rollup.totallag);
        for (i = 0; i < ev->count; i++) {
            const mon_part_eval_t *pe = &ev->parts[i];

            if (pe->result.status == EV_OK) continue;
            fputs(shown++ ? ",{\"topic\":" : "{\"topic\":", f);
            json_str(f, pe->topic);
            fprintf(f,
                    ",\"partition\":%d,\"status\":\"%s\",\"rule\":\"%s\","
                    "\"current_lag\":%lld}",
                    (int)pe->partition, ev_status_name(pe->result.status),
                    ev_rule_name(pe->result.rule),
                    (long long)pe->result.current_lag);
        }
        fputs("]}\n", f);
        return;
    }
    mon_clock_rfc3339(t, ts, sizeof(ts));
    fprintf(f, "%s %s %s: %s -> %s, totallag %lld", ts, r->cluster, r->group,
            ev_status_name(prev), ev_status_name(ev->status),
            (long long)ev->rollup.totallag);
    for (i = 0; i < ev->count; i++) {
        const mon_part_eval_t *pe = &ev->parts[i];

        if (pe->result.status == EV_OK) continue;
        if (shown < TEXT_MAX_PARTS)
            fprintf(f, "%s %s/%d %s (rule %s, lag %lld)", shown ? "," : ";",
                    pe->topic, (int)pe->partition,
                    ev_status_name(pe->result.status),
                    ev_rule_name(pe->result.rule),
                    (long long)pe->result.current_lag);
        else
            bad++;
        shown++;
    }
    if (bad) fprintf(f, ", and %zu more", bad);
    putc('\n', f);
}

/* Prints a rebalance of cluster/group (mon_rebalance_fn). */
static void print_rebalance(void *arg, const char *cluster, const char *group,
                            const ev_rebalance_t *r) {
    replay_t *rp = arg;
    FILE *f = rp->o->out;
    char why[512], ts[MON_CLOCK_RFC3339_SIZE];
    const char *d = ev_deploy_name(r->deployment);

    rp->stats->rebalances++;
    if (rp->o->quiet) return;
    ev_deploy_explain(r, why, sizeof(why));
    if (rp->o->format == MON_REPLAY_JSON) {
        fprintf(f, "{\"type\":\"rebalance\",\"t\":%lld,\"cluster\":",
                (long long)r->t_ms);
        json_str(f, cluster);
        fputs(",\"group\":", f);
        json_str(f, group);
        fprintf(
            f, ",\"change\":\"%s\",\"deployment\":", ev_change_name(r->change));
        if (d)
            fprintf(f, "\"%s\"", d);
        else
            fputs("null", f);
        fprintf(f, ",\"members\":%d,\"partitions_moved\":%d,\"sentence\":",
                r->members, r->partitions_moved);
        json_str(f, why);
        fputs("}\n", f);
        return;
    }
    mon_clock_rfc3339(r->t_ms, ts, sizeof(ts));
    fprintf(f, "%s %s %s: %s\n", ts, cluster, group, why);
}

/* The deployment of cluster/group's newest rebalance, or EV_DEPLOY_NONE
 * (*sentence "" when it has none). */
static ev_deploy_t newest_deployment(replay_t *rp, const char *cluster,
                                     const char *group, char *sentence,
                                     size_t size) {
    mon_hrebalances_t rb;
    ev_deploy_t d = EV_DEPLOY_NONE;
    sentence[0] = '\0';
    mon_history_rebalances(rp->hist, cluster, group, 0, &rb);
    if (rb.n) {
        d = rb.v[rb.n - 1]->deployment;
        ev_deploy_explain(rb.v[rb.n - 1], sentence, size);
    }
    mon_hrebalances_free(&rb);
    return d;
}

/* Evaluates r at t into rp->ev; prints a change. */
static void eval_rec(replay_t *rp, rec_t *r, int64_t t) {
    ev_status_t prev = r->status;

    mon_store_group_eval(rp->st, r->cluster, r->group, t, &rp->params, &rp->ev);
    r->totallag = rp->ev.rollup.totallag;
    r->partitions = rp->ev.count;
    if (rp->ev.status != prev) {
        r->status = rp->ev.status;
        print_change(rp, r, prev, t);
    }
}

static void flush_dirty(replay_t *rp) {
    size_t i;

    for (i = 0; i < rp->ndirty; i++) {
        rp->dirty[i]->dirty = false;
        eval_rec(rp, rp->dirty[i], rp->cur_t);
    }
    rp->ndirty = 0;
}

static void tick_all(replay_t *rp, int64_t t) {
    size_t i;

    for (i = 0; i < rp->nrecs; i++)
        if (rp->recs[i]->status != EV_NOTFOUND) {
            eval_rec(rp, rp->recs[i], t);
            rp->stats->evals += rp->ev.count;
        }
}

static int64_t sat_add(int64_t a, int64_t b) {
    int64_t r;

    return __builtin_add_overflow(a, b, &r) ? INT64_MAX : r;
}

/* a + k * b for k, b >= 0, saturated. */
static int64_t sat_add_mul(int64_t a, uint64_t k, int64_t b) {
    int64_t m;

    if (k > (uint64_t)INT64_MAX || __builtin_mul_overflow((int64_t)k, b, &m))
        return INT64_MAX;
    return sat_add(a, m);
}

/* A group's status at t, without printing or keeping anything. */
static ev_status_t status_at(replay_t *rp, const rec_t *r, int64_t t) {
    mon_store_group_eval(rp->st, r->cluster, r->group, t, &rp->params, &rp->ev);
    rp->stats->evals += rp->ev.count ? rp->ev.count : 1;
    return rp->ev.status;
}

/* One status change found by sparse ticking: tick k of the gap. */
typedef struct change_s {
    uint64_t k;
    size_t rec; /* index into recs: the tie order of exact ticking */
} change_t;

static int cmp_change(const void *a, const void *b) {
    const change_t *x = a, *y = b;

    if (x->k != y->k) return x->k < y->k ? -1 : 1;
    return (x->rec > y->rec) - (x->rec < y->rec);
}

/* Ticks k = 0 .. n-1 (at first + k * tick) of a gap too costly to tick
 * through: per live group, the first and the last tick, then bisection
 * for every change between them; the changes are then printed in time
 * order, as exact ticking would print them. */
static void sparse_ticks(replay_t *rp, int64_t first, uint64_t n) {
    int64_t tick = rp->o->tick_ms;
    change_t *ch = NULL;
    size_t nch = 0, cap = 0, i;

#define T_OF(k) sat_add_mul(first, (k), tick)
    for (i = 0; i < rp->nrecs; i++) {
        rec_t *r = rp->recs[i];
        ev_status_t cur = r->status;
        uint64_t lo = 0; /* first tick not known to be at `cur` */

        if (cur == EV_NOTFOUND) continue;
        while (lo < n) {
            uint64_t a = lo, b = n - 1;

            if (status_at(rp, r, T_OF(b)) == cur) break;
            /* the first tick in [a, b] whose status is not cur */
            while (a < b) {
                uint64_t mid = a + (b - a) / 2;

                if (status_at(rp, r, T_OF(mid)) != cur)
                    b = mid;
                else
                    a = mid + 1;
            }
            if (nch == cap) {
                cap = cap ? 2 * cap : 16;
                ch = mon_realloc(ch, cap * sizeof(*ch));
            }
            ch[nch].k = a;
            ch[nch++].rec = i;
            cur = status_at(rp, r, T_OF(a));
            if (cur == EV_NOTFOUND) break; /* expired: nothing moves */
            lo = a + 1;
        }
    }
    if (nch) /* qsort(NULL, 0) is undefined */
        qsort(ch, nch, sizeof(*ch), cmp_change);
    for (i = 0; i < nch; i++)
        eval_rec(rp, rp->recs[ch[i].rec], T_OF(ch[i].k));
    /* every group at the gap's last tick, as exact ticking leaves it */
    for (i = 0; i < rp->nrecs; i++)
        if (rp->recs[i]->status != EV_NOTFOUND)
            eval_rec(rp, rp->recs[i], T_OF(n - 1));
#undef T_OF
    free(ch);
}

/* Runs the ticks strictly before `until` (or up to it when inclusive). */
static void run_ticks(replay_t *rp, int64_t until, bool inclusive) {
    int64_t tick = rp->o->tick_ms, last = inclusive ? until : until - 1;
    uint64_t n, work = 0;
    size_t i;

    if (rp->next_tick == INT64_MAX || last < rp->next_tick) return;
    n = (uint64_t)(last - rp->next_tick) / (uint64_t)tick + 1;
    for (i = 0; i < rp->nrecs; i++)
        if (rp->recs[i]->status != EV_NOTFOUND)
            work += rp->recs[i]->partitions ? rp->recs[i]->partitions : 1;
    if (work == 0) { /* nothing to evaluate: straight to the end */
        rp->next_tick = sat_add_mul(rp->next_tick, n, tick);
        return;
    }
    if (n <= MON_REPLAY_TICK_WORK / work) {
        for (; n > 0; n--) {
            tick_all(rp, rp->next_tick);
            rp->next_tick = sat_add(rp->next_tick, tick);
        }
        return;
    }
    sparse_ticks(rp, rp->next_tick, n);
    rp->next_tick = sat_add_mul(rp->next_tick, n, tick);
}

static void advance(replay_t *rp, int64_t t) {
    flush_dirty(rp);
    run_ticks(rp, t, false);
    rp->cur_t = t;
}

/* Failures read "FILE:LINE: expected X, got Y (rule R ...): subject". */
static void check_expect(replay_t *rp, const mon_trace_event_t *te) {
    const mon_group_eval_t *ev = &rp->ev;
    unsigned long line = mon_trace_line_number(rp->rd);
    unsigned long before = rp->stats->mismatches;
    FILE *f = rp->o->err;
    const mon_part_eval_t *d;
    size_t i, k;

    rp->stats->expects++;
    if (ev->status != te->status) {
        rp->stats->mismatches++;
        d = mon_group_eval_decider(ev);
        if (!d)
            fprintf(f,
                    "%s:%lu: expected %s, got %s (rule none: %s): group "
                    "%s/%s\n",
                    rp->path, line, ev_status_name(te->status),
                    ev_status_name(ev->status),
                    ev->status == EV_NOTFOUND ? "group unknown or expired"
                                              : "group has no partitions",
                    te->cluster, te->group);
        else
            fprintf(f,
                    "%s:%lu: expected %s, got %s (rule %s on %s/%d): group "
                    "%s/%s\n",
                    rp->path, line, ev_status_name(te->status),
                    ev_status_name(ev->status), ev_rule_name(d->result.rule),
                    d->topic, (int)d->partition, te->cluster, te->group);
    }
    for (k = 0; k < te->pexpect_count; k++) {
        const mon_trace_pexpect_t *px = &te->pexpect[k];

        for (i = 0; i < ev->count; i++)
            if (ev->parts[i].partition == px->partition &&
                !strcmp(ev->parts[i].topic, px->topic))
                break;
        if (i == ev->count) {
            rp->stats->mismatches++;
            fprintf(f,
                    "%s:%lu: expected %s, got NOTFOUND (rule none: the group "
                    "has no such partition): partition %s/%d of %s/%s\n",
                    rp->path, line, ev_status_name(px->status), px->topic,
                    (int)px->partition, te->cluster, te->group);
        } else if (ev->parts[i].result.status != px->status) {
            rp->stats->mismatches++;
            fprintf(f,
                    "%s:%lu: expected %s, got %s (rule %s): partition %s/%d "
                    "of %s/%s\n",
                    rp->path, line, ev_status_name(px->status),
                    ev_status_name(ev->parts[i].result.status),
                    ev_rule_name(ev->parts[i].result.rule), px->topic,
                    (int)px->partition, te->cluster, te->group);
        }
    }
    if (te->deployment_set) {
        char why[512];
        ev_deploy_t dep =
            newest_deployment(rp, te->cluster, te->group, why, sizeof(why));
        if (dep != te->deployment) {
            const char *want = ev_deploy_name(te->deployment);
            const char *got = ev_deploy_name(dep);
            rp->stats->mismatches++;
            fprintf(
                f, "%s:%lu: expected deployment %s, got %s (%s): group %s/%s\n",
                rp->path, line, want ? want : "none", got ? got : "none",
                why[0] ? why : "no rebalance seen", te->cluster, te->group);
        }
    }
    if (rp->stats->mismatches != before) rp->stats->failed++;
}

static int ensure_store(replay_t *rp, char *errstr, size_t errstr_size) {
    mon_store_config_t sc;
    char msg[256];

    if (rp->st) return 0;
    mon_store_config_default(&sc);
    sc.intervals = rp->cfg.intervals;
    sc.min_distance_ms = rp->cfg.min_distance_ms;
    sc.expire_group_ms = rp->cfg.expire_group_ms;
    sc.max_cells = MON_REPLAY_MAX_CELLS;
    rp->st = mon_store_new(&sc, msg, sizeof(msg));
    rp->hist = mon_history_new(1, 1, 0);
    if (!rp->st) {
        snprintf(errstr, errstr_size, "%s:%lu: config: %s", rp->path,
                 mon_trace_line_number(rp->rd), msg);
        return -1;
    }
    ev_params_default(&rp->params);
    rp->params.intervals = rp->cfg.intervals;
    rp->params.allowed_lag = rp->cfg.allowed_lag;
    rp->params.minimum_complete = rp->cfg.minimum_complete;
    rp->params.rules = rp->o->rules_set ? rp->o->rules : rp->cfg.rules;
    return 0;
}

/* A head or commit the store's bound refused: bad input. Returns -1. */
static int too_big(replay_t *rp, const mon_trace_event_t *te, char *errstr,
                   size_t errstr_size) {
    snprintf(errstr, errstr_size,
             "%s:%lu: field 'partition%s': %s of topic '%s' needs more than "
             "the %lld ring slots a replay holds (partitions x intervals, "
             "intervals %d, %lld held already)",
             rp->path, mon_trace_line_number(rp->rd),
             te->type == MON_TRACE_HEAD && te->partitions ? "s" : "",
             te->type == MON_TRACE_HEAD ? "a head" : "a group's windows",
             te->topic, (long long)MON_REPLAY_MAX_CELLS, rp->cfg.intervals,
             (long long)mon_store_cells(rp->st));
    return -1;
}

/* Applies one parsed line. Returns 0, or -1 with errstr set. */
static int apply(replay_t *rp, const mon_trace_event_t *te, char *errstr,
                 size_t errstr_size) {
    mon_store_cluster_t *cl;
    rec_t *r;
    int rc;

    if (te->type == MON_TRACE_BLANK) return 0;
    rp->stats->lines++;
    if (te->type == MON_TRACE_CONFIG) {
        rp->cfg = te->config;
        return 0;
    }
    if (ensure_store(rp, errstr, errstr_size) < 0) return -1;
    if (!rp->started) {
        rp->started = true;
        rp->cur_t = te->t;
        rp->next_tick =
            rp->o->tick_ms > 0 ? sat_add(te->t, rp->o->tick_ms) : INT64_MAX;
    } else if (te->t > rp->cur_t) {
        advance(rp, te->t);
    }
    switch (te->type) {
    case MON_TRACE_HEAD:
        rp->stats->heads++;
        cl = cluster_of(rp, te->cluster);
        rc = mon_store_head(cl, te->topic, te->partition, te->partitions,
                            te->offset, te->t);
        if (rc == MON_STORE_DROP_BOUND)
            return too_big(rp, te, errstr, errstr_size);
        if (rc != MON_STORE_STORED) rp->stats->dropped++;
        break;
    case MON_TRACE_COMMIT:
        rp->stats->commits++;
        cl = cluster_of(rp, te->cluster);
        rc = mon_store_commit(cl, te->group, te->topic, te->partition,
                              te->offset, te->t, te->owner, te->client_id);
        if (rc == MON_STORE_DROP_BOUND)
            return too_big(rp, te, errstr, errstr_size);
        if (rc != MON_STORE_STORED && rc != MON_STORE_MERGED) {
            rp->stats->dropped++;
            break;
        }
        r = rec_find(rp, te->cluster, te->group, true);
        if (!r->dirty) {
            r->dirty = true;
            if (rp->ndirty == rp->capdirty) {
                rp->capdirty = rp->capdirty ? rp->capdirty * 2 : 64;
                rp->dirty =
                    mon_realloc(rp->dirty, rp->capdirty * sizeof(*rp->dirty));
            }
            rp->dirty[rp->ndirty++] = r;
        }
        break;
    case MON_TRACE_MEMBERS:
        rp->stats->memberships++;
        cl = cluster_of(rp, te->cluster);
        if (mon_store_members(cl, te->group, &te->members) < 0) {
            rp->stats->dropped++;
            break;
        }
        mon_rebalance_collect(rp->st, rp->hist, te->cluster, te->group,
                              print_rebalance, rp);
        break;
    case MON_TRACE_EXPECT:
        flush_dirty(rp);
        r = rec_find(rp, te->cluster, te->group, false);
        if (r)
            eval_rec(rp, r, te->t);
        else
            mon_store_group_eval(rp->st, te->cluster, te->group, te->t,
                                 &rp->params, &rp->ev);
        if (rp->o->check) check_expect(rp, te);
        break;
    default:
        break;
    }
    return 0;
}

static int cmp_rec(const void *a, const void *b) {
    const rec_t *x = *(const rec_t *const *)a;
    const rec_t *y = *(const rec_t *const *)b;
    int c = strcmp(x->cluster, y->cluster);

    return c ? c : strcmp(x->group, y->group);
}

static void print_summary(replay_t *rp) {
    FILE *f = rp->o->out;
    rec_t **sorted;
    char ts[MON_CLOCK_RFC3339_SIZE];
    size_t i;

    if (rp->o->quiet || !rp->nrecs) return;
    sorted = mon_malloc(rp->nrecs * sizeof(*sorted));
    memcpy(sorted, rp->recs, rp->nrecs * sizeof(*sorted));
    qsort(sorted, rp->nrecs, sizeof(*sorted), cmp_rec);
    mon_clock_rfc3339(rp->cur_t, ts, sizeof(ts));
    if (rp->o->format == MON_REPLAY_TEXT)
        fprintf(f, "final status at %s (%s):\n", ts, rp->path);
    for (i = 0; i < rp->nrecs; i++) {
        const rec_t *r = sorted[i];

        if (rp->o->format == MON_REPLAY_JSON) {
            fprintf(f, "{\"type\":\"summary\",\"t\":%lld,\"cluster\":",
                    (long long)rp->cur_t);
            json_str(f, r->cluster);
            fputs(",\"group\":", f);
            json_str(f, r->group);
            fprintf(f,
                    ",\"status\":\"%s\",\"totallag\":%lld,"
                    "\"partition_count\":%zu}\n",
                    ev_status_name(r->status), (long long)r->totallag,
                    r->status == EV_NOTFOUND ? (size_t)0 : r->partitions);
        } else {
            fprintf(f, "  %s %s: %s, totallag %lld, %zu partitions\n",
                    r->cluster, r->group, ev_status_name(r->status),
                    (long long)r->totallag,
                    r->status == EV_NOTFOUND ? (size_t)0 : r->partitions);
        }
    }
    free(sorted);
}

/* Whole lines in memory (a mapped file, or a block of a stream): parsed
 * on worker threads, applied here in order. Returns 0 or -1 (reported). */
static int feed_mem(replay_t *rp, const char *p, size_t n) {
    mon_trace_pipe_t *pp = NULL;
    mon_trace_event_t te;
    char errstr[MON_ERRSTR_SIZE];
    int r, rc = 0;

    if (mon_trace_pipe_start(&pp, p, n, 0, 0, errstr, sizeof(errstr)) < 0) {
        fprintf(rp->o->err, "%s: %s\n", rp->path, errstr);
        rp->rc = 2;
        return -1;
    }
    while ((r = mon_trace_pipe_next(pp, rp->rd, &te, errstr, sizeof(errstr))) >
           0)
        if (apply(rp, &te, errstr, sizeof(errstr)) < 0) {
            r = -1;
            break;
        }
    if (r < 0) {
        fprintf(rp->o->err, "%s\n", errstr);
        rp->rc = 2;
        rc = -1;
    }
    mon_trace_pipe_stop(&pp);
    return rc;
}

/* True when more of fd can be read within ms. */
static bool more_within(int fd, int ms) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    return poll(&pfd, 1, ms) > 0;
}

/* A stream (a pipe): read into a block of STREAM_BLOCK bytes (more for a
 * longer line), whose whole lines go through feed_mem once the block is
 * full, the stream has ended, or nothing more is there yet: at once from
 * STREAM_MIN bytes on, after STREAM_WAIT_MS below (so a trace written as
 * it is made is replayed as it comes, and a fast writer's pipe is not
 * parsed 64 KiB at a time). The reader carries line numbers and times
 * from one block to the next. */
static int feed_stream(replay_t *rp, FILE *fp) {
    int fd = fileno(fp), rc = 0;
    size_t cap = STREAM_BLOCK, have = 0;
    char *buf = mon_malloc(cap);
    bool eof = false;

    while (!eof && rc == 0) {
        ssize_t got;
        size_t whole;
        const char *nl;

        if (have == cap) { /* a line longer than the block */
            cap *= 2;
            buf = mon_realloc(buf, cap);
        }
        got = read(fd, buf + have, cap - have);
        if (got < 0) {
            if (errno == EINTR) continue;
            fprintf(rp->o->err, "%s: read error: %s\n", rp->path,
                    strerror(errno));
            rp->rc = 2;
            rc = -1;
            break;
        }
        if (got == 0)
            eof = true;
        else
            have += (size_t)got;
        if (!eof && have < cap &&
            more_within(fd, have < STREAM_MIN ? STREAM_WAIT_MS : 0))
            continue;
        nl = eof || have == 0 ? NULL : memrchr(buf, '\n', have);
        whole = eof ? have : nl ? (size_t)(nl - buf) + 1 : 0;
        if (whole > 0) rc = feed_mem(rp, buf, whole);
        memmove(buf, buf + whole, have - whole);
        have -= whole;
    }
    free(buf);
    return rc;
}

/* Reads the whole file through the parser. Returns 0 or -1 (reported). */
static int read_trace(replay_t *rp) {
    struct stat sb;
    FILE *fp;
    void *map;
    int fd, rc;

    if (!strcmp(rp->path, "-")) return feed_stream(rp, stdin);
    fd = open(rp->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) < 0) {
        fprintf(rp->o->err, "%s: cannot read: %s\n", rp->path, strerror(errno));
        if (fd >= 0) close(fd);
        rp->rc = 2;
        return -1;
    }
    if (S_ISDIR(sb.st_mode)) {
        fprintf(rp->o->err, "%s: cannot read: is a directory\n", rp->path);
        close(fd);
        rp->rc = 2;
        return -1;
    }
    if (S_ISREG(sb.st_mode)) {
        if (sb.st_size == 0) {
            close(fd);
            return 0;
        }
        map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            close(fd);
            madvise(map, (size_t)sb.st_size, MADV_SEQUENTIAL);
            rc = feed_mem(rp, map, (size_t)sb.st_size);
            munmap(map, (size_t)sb.st_size);
            return rc;
        }
    }
    fp = fdopen(fd, "r");
    if (!fp) {
        fprintf(rp->o->err, "%s: cannot read: %s\n", rp->path, strerror(errno));
        close(fd);
        rp->rc = 2;
        return -1;
    }
    rc = feed_stream(rp, fp);
    fclose(fp);
    return rc;
}

void mon_replay_opts_default(mon_replay_opts_t *o) {
    o->format = MON_REPLAY_TEXT;
    o->tick_ms = 10000;
    o->check = false;
    o->quiet = false;
    o->rules_set = false;
    o->rules = EV_RULES_WARREN;
    o->out = stdout;
    o->err = stderr;
}

int mon_replay_file(const char *path, const mon_replay_opts_t *o,
                    mon_replay_stats_t *stats) {
    mon_replay_stats_t local;
    replay_t rp;
    char errstr[MON_ERRSTR_SIZE];
    size_t i;

    if (!stats) stats = &local;
    memset(stats, 0, sizeof(*stats));
    memset(&rp, 0, sizeof(rp));
    rp.path = path;
    rp.o = o;
    rp.stats = stats;
    rp.rd = mon_trace_reader_new(path);
    /* replay prints no JSON: every line's tree in one arena */
    mon_trace_reader_use_arena(rp.rd);
    mon_trace_config_default(&rp.cfg);

    if (read_trace(&rp) == 0) {
        if (mon_trace_reader_finish(rp.rd, errstr, sizeof(errstr)) < 0) {
            fprintf(o->err, "%s\n", errstr);
            rp.rc = 2;
        } else if (ensure_store(&rp, errstr, sizeof(errstr)) < 0) {
            fprintf(o->err, "%s\n", errstr);
            rp.rc = 2;
        } else {
            flush_dirty(&rp);
            run_ticks(&rp, rp.cur_t, true);
            tick_all(&rp, rp.cur_t); /* final status, at the last t */
            print_summary(&rp);
            if (o->check) {
                if (o->format == MON_REPLAY_JSON) {
                    fputs("{\"type\":\"check\",\"file\":", o->out);
                    json_str(o->out, path);
                    fprintf(o->out,
                            ",\"expectations\":%lu,\"failed\":%lu,"
                            "\"mismatches\":%lu}\n",
                            stats->expects, stats->failed, stats->mismatches);
                } else {
                    fprintf(o->out,
                            "%s: %lu expect lines, %lu failed (%lu "
                            "mismatches)\n",
                            path, stats->expects, stats->failed,
                            stats->mismatches);
                }
                if (stats->expects == 0) {
                    fprintf(o->err, "%s: no expect lines to check\n", path);
                    rp.rc = 1;
                } else if (stats->failed) {
                    rp.rc = 1;
                }
            }
        }
    }
    for (i = 0; i < rp.nrecs; i++) {
        free(rp.recs[i]->cluster);
        free(rp.recs[i]);
    }
    free(rp.recs);
    mon_hmap_free(&rp.index);
    free(rp.dirty);
    for (i = 0; i < rp.ncls; i++)
        free(rp.cls[i].name);
    free(rp.cls);
    mon_group_eval_free(&rp.ev);
    mon_store_destroy(rp.st);
    mon_history_destroy(rp.hist);
    mon_trace_reader_destroy(rp.rd);
    fflush(o->out);
    return rp.rc;
}
