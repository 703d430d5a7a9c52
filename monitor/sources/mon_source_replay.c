/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_replay: see mon_source_replay.h. The thread sleeps on a
 * condition variable until the next line is due on the virtual clock, so
 * stop() wakes it at once. */
#include "monitor/sources/mon_source_replay.h"
#include "monitor/base/mon_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"
#include "monitor/sources/mon_trace.h"

typedef struct replay_s {
    mon_source_t base; /* first: the vtable the daemon sees */
    char *name;        /* configured cluster name */
    char *file;
    double speed;
    int loop;
    mon_store_t *st;
    /* from the check at _new */
    int64_t t_first, t_last, max_offset;
    char **clusters;
    size_t n_clusters;
    /* clock: virtual = t_first + (wall - wall0) * speed */
    atomic_int_fast64_t wall0; /* set by start, read by any thread */
    atomic_int_fast64_t events;
    mon_worker_t *player; /* the playing thread; NULL when not running */
    pthread_mutex_t lock; /* guards last_error* */
    char last_error[256];
    int64_t last_error_ms;
} replay_t;

/* Store cluster name for a trace cluster name. */
static const char *map_cluster(const replay_t *r, const char *trace_name) {
    return strcmp(trace_name, "local") ? trace_name : r->name;
}

static void note_cluster(replay_t *r, const char *name) {
    for (size_t i = 0; i < r->n_clusters; i++)
        if (!strcmp(r->clusters[i], name)) return;
    r->clusters =
        mon_realloc(r->clusters, (r->n_clusters + 1) * sizeof(*r->clusters));
    r->clusters[r->n_clusters++] = mon_strdup(name);
}

/* Reads every line of the trace, calling fn for head/commit events.
 * Returns 0 or -1 with errstr set. */
typedef int (*line_fn)(replay_t *r, const mon_trace_event_t *ev, void *arg);

static int walk(replay_t *r, line_fn fn, void *arg, char *errstr,
                size_t errstr_size) {
    FILE *fp = fopen(r->file, "r");
    if (!fp) {
        snprintf(errstr, errstr_size, "%s: %s", r->file, strerror(errno));
        return -1;
    }
    mon_trace_reader_t *rd = mon_trace_reader_new(r->file);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        mon_trace_event_t ev;
        if (mon_trace_parse_line(rd, line, (size_t)n, &ev, errstr,
                                 errstr_size) != 0) {
            rc = -1;
            break;
        }
        if (ev.type != MON_TRACE_HEAD && ev.type != MON_TRACE_COMMIT &&
            ev.type != MON_TRACE_MEMBERS)
            continue;
        if ((rc = fn(r, &ev, arg)) != 0) break;
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(errstr, errstr_size, "%s: read error", r->file);
        rc = -1;
    }
    if (rc == 0) rc = mon_trace_reader_finish(rd, errstr, errstr_size);
    free(line);
    mon_trace_reader_destroy(rd);
    fclose(fp);
    return rc;
}

static int scan_line(replay_t *r, const mon_trace_event_t *ev, void *arg) {
    int *seen = arg;
    if (!*seen) r->t_first = ev->t;
    *seen = 1;
    r->t_last = ev->t;
    if (ev->offset > r->max_offset) r->max_offset = ev->offset;
    note_cluster(r, map_cluster(r, ev->cluster));
    return 0;
}

static int64_t vnow(replay_t *r, int64_t wall_ms) {
    int64_t w0 = atomic_load(&r->wall0);
    return r->t_first + (int64_t)((double)(wall_ms - w0) * r->speed);
}

/* Waits until the virtual clock reaches t. Returns -1 when stopped. */
static int wait_until(replay_t *r, int64_t t) {
    for (;;) {
        if (mon_worker_stopping(r->player)) return -1;
        int64_t v = vnow(r, mon_clock_wall_ms());
        if (v >= t) return 0;
        int64_t wait_ms = (int64_t)((double)(t - v) / r->speed) + 1;
        if (wait_ms > 1000)
            wait_ms = 1000; /* re-read the wall clock now and then */
        if (mon_worker_sleep(r->player, wait_ms)) return -1;
    }
}

typedef struct round_s {
    int64_t dt, doff;
} round_t;

static int feed_line(replay_t *r, const mon_trace_event_t *ev, void *arg) {
    const round_t *rd = arg;
    int64_t t = ev->t + rd->dt;
    if (wait_until(r, t) != 0) return 1; /* stopped */
    mon_store_cluster_t *cl =
        mon_store_cluster(r->st, map_cluster(r, ev->cluster));
    if (ev->type == MON_TRACE_HEAD) {
        mon_store_head(cl, ev->topic, ev->partition, ev->partitions,
                       ev->offset + rd->doff, t);
    } else if (ev->type == MON_TRACE_MEMBERS) {
        mon_group_members_t m = ev->members;
        m.t_ms = t;
        mon_store_members(cl, ev->group, &m);
    } else
        mon_store_commit(cl, ev->group, ev->topic, ev->partition,
                         ev->offset + rd->doff, t, ev->owner, ev->client_id);
    atomic_fetch_add(&r->events, 1);
    return 0;
}

static void run(mon_worker_t *w, void *arg) {
    replay_t *r = arg;
    (void)w; /* wait_until reads r->player */
    round_t rd = {0, 0};
    int64_t period = r->t_last - r->t_first + 10000;
    for (;;) {
        char err[MON_ERRSTR_SIZE] = "";
        int rc = walk(r, feed_line, &rd, err, sizeof(err));
        if (rc < 0) {
            /* The file changed since it was checked: report, stop. */
            pthread_mutex_lock(&r->lock);
            snprintf(r->last_error, sizeof(r->last_error), "%s", err);
            r->last_error_ms = mon_clock_wall_ms();
            pthread_mutex_unlock(&r->lock);
            mon_log_kv(MON_LOG_ERROR,
                       MON_LOG_FIELDS(MON_LF_STR("cluster", r->name),
                                      MON_LF_STR("file", r->file),
                                      MON_LF_STR("error", err)),
                       "replay stopped");
            break;
        }
        if (rc > 0 || !r->loop) break;
        rd.dt += period;
        rd.doff += r->max_offset + 1;
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", r->name),
                                  MON_LF_STR("file", r->file)),
                   "replay looping");
    }
}

static int replay_start(mon_source_t *src, char *errstr, size_t errstr_size) {
    replay_t *r = (replay_t *)src;
    char name[64];
    atomic_store(&r->wall0, mon_clock_wall_ms());
    snprintf(name, sizeof(name), "replay %s", r->name);
    return mon_worker_start(&r->player, name, run, r, errstr, errstr_size);
}

static void replay_stop(mon_source_t *src) {
    replay_t *r = (replay_t *)src;
    mon_worker_stop(&r->player);
}

static void replay_destroy(mon_source_t *src) {
    replay_t *r = (replay_t *)src;
    replay_stop(src);
    for (size_t i = 0; i < r->n_clusters; i++)
        free(r->clusters[i]);
    free(r->clusters);
    free(r->name);
    free(r->file);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static int64_t replay_now(mon_source_t *src, int64_t wall_ms) {
    replay_t *r = (replay_t *)src;
    return atomic_load(&r->wall0) ? vnow(r, wall_ms) : r->t_first;
}

static void replay_status(mon_source_t *src, mon_source_status_t *out) {
    replay_t *r = (replay_t *)src;
    memset(out, 0, sizeof(*out));
    out->kind = "replay";
    out->events = atomic_load(&r->events);
    pthread_mutex_lock(&r->lock);
    out->available = r->last_error[0] == '\0';
    snprintf(out->last_error, sizeof(out->last_error), "%s", r->last_error);
    out->last_error_ms = r->last_error_ms;
    pthread_mutex_unlock(&r->lock);
    out->last_refresh_ms = atomic_load(&r->wall0);
}

mon_source_t *mon_source_replay_new(const mon_config_cluster_t *cc,
                                    mon_store_t *st, char *errstr,
                                    size_t errstr_size) {
    if (errstr_size) errstr[0] = '\0';
    replay_t *r = mon_calloc(1, sizeof(*r));
    r->base.start = replay_start;
    r->base.stop = replay_stop;
    r->base.destroy = replay_destroy;
    r->base.now = replay_now;
    r->base.status = replay_status;
    r->name = mon_strdup(cc->name);
    r->file = mon_strdup(cc->file);
    r->speed = cc->speed > 0 ? cc->speed : 1.0;
    r->loop = cc->loop;
    r->st = st;
    atomic_init(&r->events, 0);
    atomic_init(&r->wall0, 0);
    pthread_mutex_init(&r->lock, NULL);
    int seen = 0;
    if (walk(r, scan_line, &seen, errstr, errstr_size) != 0 || !seen) {
        if (!seen && !errstr[0])
            snprintf(errstr, errstr_size, "%s: no head or commit lines",
                     r->file);
        replay_destroy(&r->base);
        return NULL;
    }
    return &r->base;
}

const char *const *mon_source_replay_clusters(mon_source_t *src,
                                              size_t *count) {
    replay_t *r = (replay_t *)src;
    *count = r->n_clusters;
    return (const char *const *)r->clusters;
}
