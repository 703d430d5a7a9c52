/* SPDX-License-Identifier: Apache-2.0 */
/* mon_worker: see mon_worker.h. The stop flag is an atomic so the
 * worker's hot loops test it without a lock; the mutex and condition
 * variable exist only so a sleep can be cut short without a lost wake-up
 * (the flag and the wake count are both checked under the mutex before
 * waiting). */
#include "monitor/base/mon_worker.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_mem.h"

struct mon_worker_s {
    pthread_t thread;
    pthread_mutex_t lock; /* guards wakes; with cond */
    pthread_cond_t cond;  /* monotonic clock */
    atomic_bool stop;
    unsigned wakes; /* wake-ups not yet consumed by a sleep */
    void (*fn)(mon_worker_t *w, void *arg);
    void *arg;
    char name[16];
};

static void *trampoline(void *p) {
    mon_worker_t *w = p;
    w->fn(w, w->arg);
    return NULL;
}

static void worker_free(mon_worker_t *w) {
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

int mon_worker_start(mon_worker_t **wp, const char *name,
                     void (*fn)(mon_worker_t *w, void *arg), void *arg,
                     char *errstr, size_t errstr_size) {
    mon_worker_t *w = mon_calloc(1, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    mon_clock_cond_init(&w->cond);
    atomic_init(&w->stop, false);
    w->fn = fn;
    w->arg = arg;
    snprintf(w->name, sizeof(w->name), "%s", name);
    *wp = w;
    int rc = pthread_create(&w->thread, NULL, trampoline, w);
    if (rc != 0) {
        *wp = NULL;
        snprintf(errstr, errstr_size, "%s: cannot start a thread: %s", name,
                 strerror(rc));
        worker_free(w);
        return -1;
    }
    pthread_setname_np(w->thread, w->name);
    return 0;
}

bool mon_worker_stopping(const mon_worker_t *w) {
    return w && atomic_load(&w->stop);
}

bool mon_worker_sleep(mon_worker_t *w, int64_t ms) {
    if (ms <= 0) return mon_worker_stopping(w);
    int64_t end = mon_clock_mono_ms() + ms;
    pthread_mutex_lock(&w->lock);
    while (!atomic_load(&w->stop) && !w->wakes)
        if (mon_clock_cond_wait_ms(&w->cond, &w->lock,
                                   end - mon_clock_mono_ms()) == ETIMEDOUT)
            break;
    w->wakes = 0;
    pthread_mutex_unlock(&w->lock);
    return atomic_load(&w->stop);
}

void mon_worker_wake(mon_worker_t *w) {
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    w->wakes++;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void mon_worker_request_stop(mon_worker_t *w) {
    if (!w) return;
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->stop, true);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void mon_worker_stop(mon_worker_t **wp) {
    mon_worker_t *w = *wp;
    if (!w) return;
    mon_worker_request_stop(w);
    pthread_join(w->thread, NULL);
    *wp = NULL;
    worker_free(w);
}
