/* SPDX-License-Identifier: Apache-2.0 */
/* test_bc_clock: the clocks in milliseconds and the monotonic waits. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "broker-core/bc_clock.h"

Test(bc_clock, wall_is_the_system_clock_in_ms) {
    int64_t before = (int64_t)time(NULL) * 1000;
    int64_t wall = bc_clock_wall_ms();
    int64_t after = (int64_t)time(NULL) * 1000 + 1000;
    cr_assert_geq(wall, before);
    cr_assert_lt(wall, after);
}

Test(bc_clock, mono_never_goes_back) {
    int64_t prev = bc_clock_mono_ms();
    for (int i = 0; i < 1000; i++) {
        int64_t now = bc_clock_mono_ms();
        cr_assert_geq(now, prev);
        prev = now;
    }
}

Test(bc_clock, deadline_carries_nanoseconds_into_seconds) {
    struct timespec now, ts;
    clock_gettime(CLOCK_MONOTONIC, &now);
    bc_clock_deadline(&ts, 1999);
    cr_assert_lt(ts.tv_nsec, 1000000000L);
    cr_assert_geq(ts.tv_nsec, 0);
    int64_t d = ((int64_t)ts.tv_sec - now.tv_sec) * 1000 +
                (ts.tv_nsec - now.tv_nsec) / 1000000;
    cr_assert_geq(d, 1999);
}

Test(bc_clock, wait_of_zero_or_less_returns_at_once) {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    bc_clock_cond_init(&c);
    pthread_mutex_lock(&m);
    cr_assert_eq(bc_clock_cond_wait_ms(&c, &m, 0), ETIMEDOUT);
    cr_assert_eq(bc_clock_cond_wait_ms(&c, &m, -5), ETIMEDOUT);
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&c);
}

Test(bc_clock, wait_times_out_no_sooner_than_asked) {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    bc_clock_cond_init(&c);
    pthread_mutex_lock(&m);
    int64_t t0 = bc_clock_mono_ms();
    int rc;
    do /* a spurious wake-up returns 0: wait again */
        rc = bc_clock_cond_wait_ms(&c, &m, 30 - (bc_clock_mono_ms() - t0));
    while (rc == 0);
    cr_assert_eq(rc, ETIMEDOUT);
    cr_assert_geq(bc_clock_mono_ms() - t0, 30);
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&c);
}

typedef struct {
    pthread_mutex_t m;
    pthread_cond_t c;
    int flag;
} waiter_t;

static void *signaller(void *arg) {
    waiter_t *w = arg;
    pthread_mutex_lock(&w->m);
    w->flag = 1;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
    return NULL;
}

Test(bc_clock, signalled_wait_returns_zero) {
    waiter_t w;
    pthread_t t;
    pthread_mutex_init(&w.m, NULL);
    bc_clock_cond_init(&w.c);
    w.flag = 0;
    pthread_mutex_lock(&w.m);
    cr_assert_eq(pthread_create(&t, NULL, signaller, &w), 0);
    int rc = 0;
    while (!w.flag && rc == 0)
        rc = bc_clock_cond_wait_ms(&w.c, &w.m, 60000);
    cr_assert_eq(rc, 0);
    cr_assert_eq(w.flag, 1);
    pthread_mutex_unlock(&w.m);
    pthread_join(t, NULL);
    pthread_cond_destroy(&w.c);
    pthread_mutex_destroy(&w.m);
}
