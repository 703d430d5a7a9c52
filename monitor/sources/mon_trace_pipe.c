/* SPDX-License-Identifier: Apache-2.0 */
/* mon_trace_pipe: see mon_trace_pipe.h.
 *
 * Chunk k starts after the first '\n' at or after byte k * chunk - 1 (0
 * for k = 0) and ends where chunk k + 1 starts, so every worker finds
 * its own bounds and the chunks' lines are the file's lines. Chunk k is
 * parsed into slot k % SLOTS once the caller has taken every line of
 * chunk k - SLOTS there; one mutex and condition variable guard the
 * slots' states (workers wait for a free slot, the caller for a parsed
 * one). */
#include "monitor/sources/mon_trace_pipe.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"

#define SLOTS (2 * MON_TRACE_PIPE_MAX_THREADS)

typedef struct slot_s {
    mon_trace_batch_t *b;
    size_t chunk; /* the chunk it holds or is being parsed */
    bool busy;    /* claimed by a worker, not yet taken whole */
    bool ready;   /* parsed */
} slot_t;

struct mon_trace_pipe_s {
    const char *p;
    size_t n, chunk, nchunks;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t claim; /* next chunk a worker parses */
    bool stop;
    slot_t slots[SLOTS];
    mon_worker_t *w[MON_TRACE_PIPE_MAX_THREADS];
    int nw;
    /* the caller's place */
    size_t take; /* chunk being taken */
    slot_t *cur; /* its slot once parsed, or NULL */
    size_t line; /* next line of cur */
};

static size_t chunk_start(const mon_trace_pipe_t *pp, size_t k) {
    size_t at;
    const char *nl;

    if (k == 0) return 0;
    if (k >= pp->nchunks) return pp->n;
    at = k * pp->chunk - 1;
    nl = memchr(pp->p + at, '\n', pp->n - at);
    return nl ? (size_t)(nl - pp->p) + 1 : pp->n;
}

static void work(mon_worker_t *w, void *arg) {
    mon_trace_pipe_t *pp = arg;

    (void)w;
    pthread_mutex_lock(&pp->mu);
    while (!pp->stop && pp->claim < pp->nchunks) {
        size_t k = pp->claim++, s, e;
        slot_t *sl = &pp->slots[k % SLOTS];

        /* the slot is k's once chunk k - SLOTS was taken: not merely
         * free, since a later chunk's worker may find it free first */
        while (!pp->stop && (sl->busy || k >= pp->take + SLOTS))
            pthread_cond_wait(&pp->cv, &pp->mu);
        if (pp->stop) break;
        sl->busy = true;
        sl->ready = false;
        sl->chunk = k;
        pthread_mutex_unlock(&pp->mu);
        s = chunk_start(pp, k);
        e = chunk_start(pp, k + 1);
        mon_trace_batch_parse(sl->b, pp->p + s, e - s);
        pthread_mutex_lock(&pp->mu);
        sl->ready = true;
        pthread_cond_broadcast(&pp->cv);
    }
    pthread_mutex_unlock(&pp->mu);
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1                            ? 1
           : n > MON_TRACE_PIPE_MAX_THREADS ? MON_TRACE_PIPE_MAX_THREADS
                                            : (int)n;
}

int mon_trace_pipe_start(mon_trace_pipe_t **pp, const char *p, size_t n,
                         int threads, size_t chunk, char *errstr,
                         size_t errstr_size) {
    mon_trace_pipe_t *t = mon_calloc(1, sizeof(*t));
    int i;

    t->p = p;
    t->n = n;
    t->chunk = chunk ? chunk : MON_TRACE_PIPE_CHUNK;
    t->nchunks = n / t->chunk + (n % t->chunk != 0);
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    for (i = 0; i < SLOTS; i++)
        t->slots[i].b = mon_trace_batch_new();
    if (threads <= 0) threads = online_cpus();
    if (threads > MON_TRACE_PIPE_MAX_THREADS)
        threads = MON_TRACE_PIPE_MAX_THREADS;
    *pp = t;
    for (i = 0; i < threads; i++) {
        if (mon_worker_start(&t->w[i], "trace-parse", work, t, errstr,
                             errstr_size) < 0) {
            mon_trace_pipe_stop(pp);
            return -1;
        }
        t->nw++;
    }
    return 0;
}

int mon_trace_pipe_next(mon_trace_pipe_t *pp, mon_trace_reader_t *rd,
                        mon_trace_event_t *ev, char *errstr,
                        size_t errstr_size) {
    for (;;) {
        slot_t *sl = pp->cur;

        if (sl && pp->line < mon_trace_batch_lines(sl->b))
            return mon_trace_batch_take(rd, sl->b, pp->line++, ev, errstr,
                                        errstr_size) < 0
                       ? -1
                       : 1;
        pthread_mutex_lock(&pp->mu);
        if (sl) { /* taken whole: the slot is free for chunk take + SLOTS */
            sl->busy = false;
            sl->ready = false;
            pp->take++;
            pp->cur = NULL;
            pthread_cond_broadcast(&pp->cv);
        }
        if (pp->take >= pp->nchunks) {
            pthread_mutex_unlock(&pp->mu);
            return 0;
        }
        sl = &pp->slots[pp->take % SLOTS];
        while (!(sl->busy && sl->ready && sl->chunk == pp->take))
            pthread_cond_wait(&pp->cv, &pp->mu);
        pthread_mutex_unlock(&pp->mu);
        pp->cur = sl;
        pp->line = 0;
    }
}

void mon_trace_pipe_stop(mon_trace_pipe_t **pp) {
    mon_trace_pipe_t *t = *pp;
    int i;

    if (!t) return;
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    for (i = 0; i < t->nw; i++)
        mon_worker_stop(&t->w[i]);
    for (i = 0; i < SLOTS; i++)
        mon_trace_batch_destroy(t->slots[i].b);
    pthread_cond_destroy(&t->cv);
    pthread_mutex_destroy(&t->mu);
    free(t);
    *pp = NULL;
}
