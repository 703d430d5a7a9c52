/* SPDX-License-Identifier: Apache-2.0 */
/* bc_clock: see bc_clock.h. */
#include "broker-core/bc_clock.h"

#include <errno.h>

static int64_t clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bc_clock_wall_ms(void) {
    return clock_ms(CLOCK_REALTIME);
}

int64_t bc_clock_mono_ms(void) {
    return clock_ms(CLOCK_MONOTONIC);
}

void bc_clock_deadline(struct timespec *ts, int64_t ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    if (ms <= 0) return;
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

void bc_clock_cond_init(pthread_cond_t *cond) {
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
}

int bc_clock_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                          int64_t ms) {
    struct timespec ts;
    if (ms <= 0) return ETIMEDOUT;
    bc_clock_deadline(&ts, ms);
    return pthread_cond_timedwait(cond, mutex, &ts);
}
