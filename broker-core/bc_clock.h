/* SPDX-License-Identifier: Apache-2.0 */
/* bc_clock: the system clocks in milliseconds, and condition variables
 * whose timed waits run on the monotonic clock.
 *
 * One copy for broker-core and the monitor (whose mon_clock builds its
 * step-proof wall clock and its waits on these). A wait on the monotonic
 * clock is neither cut short nor stretched when the system clock steps.
 * libc only; no state.
 */
#ifndef BC_CLOCK_H
#define BC_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME in milliseconds since the epoch (it may step back). */
int64_t bc_clock_wall_ms(void);

/* CLOCK_MONOTONIC in milliseconds: for intervals and deadlines. */
int64_t bc_clock_mono_ms(void);

/* Sets *ts to the monotonic clock ms milliseconds from now (ms < 0: now),
 * the deadline of a wait on a bc_clock_cond_init condition variable. */
void bc_clock_deadline(struct timespec *ts, int64_t ms);

/* Initializes cond so that its timed waits run on the monotonic clock. */
void bc_clock_cond_init(pthread_cond_t *cond);

/* Waits on cond (initialized by bc_clock_cond_init, mutex held) for at
 * most ms milliseconds (<= 0: returns at once). Returns 0 when signalled
 * (or woken spuriously), ETIMEDOUT when the time ran out. */
int bc_clock_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                          int64_t ms);

#endif
