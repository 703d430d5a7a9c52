/* SPDX-License-Identifier: Apache-2.0 */
/* mon_worker: one background thread with a stop flag, for every loop of
 * the daemon (evaluation loop, sources, notifier sender, SSE heartbeat,
 * demo workload).
 *
 * The thread runs fn(w, arg) once; a loop inside fn sleeps between rounds
 * with mon_worker_sleep, which returns at once when stop is asked, so a
 * stop is immediate however long the interval (a condition variable on
 * the monotonic clock, not a poll). fn returns when mon_worker_stopping
 * says so, or on its own when its work is done.
 *
 * Threads: mon_worker_start and mon_worker_stop are for the owner (one
 * thread); mon_worker_stopping, _sleep (worker only), _wake and
 * _request_stop may be called from any thread. The worker's own lock
 * guards only its wake-ups; fn's data is guarded by its owner's locks.
 */
#ifndef MON_WORKER_H
#define MON_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mon_worker_s mon_worker_t;

/* Starts fn(w, arg) on a new thread named name (for messages and the
 * thread's name, cut to 15 bytes). *wp is set before the thread starts,
 * so fn may read it through its argument. Returns 0, or -1 with *wp NULL
 * and errstr "NAME: cannot start a thread: why". */
int mon_worker_start(mon_worker_t **wp, const char *name,
                     void (*fn)(mon_worker_t *w, void *arg), void *arg,
                     char *errstr, size_t errstr_size);

/* True once stop was asked (false for NULL: a worker never started). */
bool mon_worker_stopping(const mon_worker_t *w);

/* Sleeps up to ms (<= 0: not at all) or until stop is asked or
 * mon_worker_wake is called. Returns true when the worker must stop. */
bool mon_worker_sleep(mon_worker_t *w, int64_t ms);

/* Ends the worker's current or next sleep early (not a stop). */
void mon_worker_wake(mon_worker_t *w);

/* Asks the worker to stop and wakes its sleep, without waiting: for an
 * owner that must also unblock something fn waits in (a socket poll, a
 * consumer) before mon_worker_stop. NULL is fine; repeat calls too. */
void mon_worker_request_stop(mon_worker_t *w);

/* Asks the worker to stop, waits for fn to return, frees the worker and
 * sets *wp to NULL. *wp NULL is fine. */
void mon_worker_stop(mon_worker_t **wp);

#endif
