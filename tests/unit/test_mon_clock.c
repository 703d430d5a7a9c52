/* Tests for mon_clock's step-safe wall clock (mon_clock_advance, fed
 * literal readings of the system and monotonic clocks) and its monotonic
 * condition-variable wait. */
#include <criterion/criterion.h>
#include <errno.h>

#include "monitor/base/mon_clock.h"

#define T0 1700000000000LL /* some wall time */

typedef struct reading_s {
    int64_t out, stepped;
    int caught_up;
} reading_t;

static reading_t rd(mon_clock_state_t *st, int64_t wall, int64_t mono) {
    reading_t r;
    r.out = mon_clock_advance(st, wall, mono, &r.stepped, &r.caught_up);
    return r;
}

Test(mon_clock, follows_the_system_clock_while_it_runs_forward) {
    mon_clock_state_t st = {0};
    cr_assert_eq(rd(&st, T0, 5000).out, T0);
    cr_assert_eq(rd(&st, T0 + 1000, 6000).out, T0 + 1000);
    /* a forward step is adopted: time did pass (suspend, NTP) */
    reading_t r = rd(&st, T0 + 61000, 7000);
    cr_assert_eq(r.out, T0 + 61000);
    cr_assert_eq(r.stepped, 0);
}

Test(mon_clock, a_backward_step_is_reported_once_and_never_runs_back) {
    mon_clock_state_t st = {0};
    rd(&st, T0, 0);
    rd(&st, T0 + 10000, 10000);
    /* the system clock steps back 60 s */
    reading_t r = rd(&st, T0 + 10000 - 60000 + 100, 10100);
    cr_assert_eq(r.stepped, 60000, "step of %lld reported", r.stepped);
    cr_assert_geq(r.out, T0 + 10000, "ran back to %lld", r.out - T0);
    int64_t prev = r.out;
    /* it keeps running (never blind), reported only once */
    for (int64_t m = 10200; m <= 20000; m += 100) {
        r = rd(&st, T0 - 50000 + m, m);
        cr_assert_eq(r.stepped, 0);
        cr_assert_geq(r.out, prev, "went back at mono %lld", m);
        cr_assert_geq(r.out - prev, 95, "slower than 95%% at mono %lld", m);
        prev = r.out;
    }
}

Test(mon_clock, slews_back_to_the_system_clock_and_says_so) {
    mon_clock_state_t st = {0};
    rd(&st, T0, 0);
    rd(&st, T0 - 60000, 1000); /* stepped back 61 s */
    int64_t ahead = 0;
    int caught = 0;
    int64_t m;
    /* 61 s at 5 % takes 1220 s of monotonic time */
    for (m = 2000; m <= 2000000 && !caught; m += 1000) {
        reading_t r = rd(&st, T0 - 61000 + m, m);
        ahead = r.out - (T0 - 61000 + m);
        cr_assert_geq(ahead, 0);
        caught = r.caught_up;
    }
    cr_assert(caught, "never caught up (still %lld ms ahead)", ahead);
    cr_assert_eq(ahead, 0);
    cr_assert_leq(m, 1300000, "took %lld ms", m);
    /* and then follows it again */
    cr_assert_eq(rd(&st, T0 + 5000000, 5061000).out, T0 + 5000000);
}

Test(mon_clock, small_backward_drift_is_absorbed_without_a_report) {
    mon_clock_state_t st = {0};
    rd(&st, T0, 0);
    reading_t r = rd(&st, T0 + 1000 - 200, 1000); /* 200 ms behind */
    cr_assert_eq(r.stepped, 0);
    cr_assert_geq(r.out, T0);
}

Test(mon_clock, cond_wait_times_out_on_the_monotonic_clock) {
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cond;
    mon_clock_cond_init(&cond);
    pthread_mutex_lock(&mu);
    int64_t t0 = mon_clock_mono_ms();
    int rc;
    do
        rc = mon_clock_cond_wait_ms(&cond, &mu, 20);
    while (rc == 0);
    cr_assert_eq(rc, ETIMEDOUT);
    cr_assert_geq(mon_clock_mono_ms() - t0, 19);
    cr_assert_eq(mon_clock_cond_wait_ms(&cond, &mu, 0), ETIMEDOUT);
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&cond);
}
