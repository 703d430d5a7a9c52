/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_clock's step-safe wall clock (mon_clock_advance, fed
 * literal readings of the system and monotonic clocks), its monotonic
 * condition-variable wait, and the one RFC 3339 format (milliseconds, Z),
 * checked against gmtime_r. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>

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
    cr_assert_eq(r.stepped, 60000, "step of %lld reported",
                 (long long)r.stepped);
    cr_assert_geq(r.out, T0 + 10000, "ran back to %lld",
                  (long long)(r.out - T0));
    int64_t prev = r.out;
    /* it keeps running (never blind), reported only once */
    for (int64_t m = 10200; m <= 20000; m += 100) {
        r = rd(&st, T0 - 50000 + m, m);
        cr_assert_eq(r.stepped, 0);
        cr_assert_geq(r.out, prev, "went back at mono %lld", (long long)m);
        cr_assert_geq(r.out - prev, 95, "slower than 95%% at mono %lld",
                      (long long)m);
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
    cr_assert(caught, "never caught up (still %lld ms ahead)",
              (long long)ahead);
    cr_assert_eq(ahead, 0);
    cr_assert_leq(m, 1300000, "took %lld ms", (long long)m);
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

/* ---- RFC 3339 ---- */

typedef struct rfc_case_s {
    int64_t ms;
    char want[MON_CLOCK_RFC3339_SIZE]; /* inline: params cross processes */
} rfc_case_t;

ParameterizedTestParameters(mon_clock, rfc3339_is_utc_with_milliseconds) {
    static rfc_case_t cases[] = {
        {0, "1970-01-01T00:00:00.000Z"},
        /* whole seconds keep their ".000": one output, never two */
        {1715678467000, "2024-05-14T09:21:07.000Z"},
        {1715678467250, "2024-05-14T09:21:07.250Z"},
        {1700000000000, "2023-11-14T22:13:20.000Z"},
        {951782400000, "2000-02-29T00:00:00.000Z"}, /* leap day */
        {-1, "1969-12-31T23:59:59.999Z"},
        {253402300799999, "9999-12-31T23:59:59.999Z"},
        {253402300800000, "@253402300800000ms"}, /* year 10000 */
        {-62167219200000, "0000-01-01T00:00:00.000Z"},
        {-62167219200001, "@-62167219200001ms"},
    };
    return cr_make_param_array(rfc_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(rfc_case_t *c, mon_clock, rfc3339_is_utc_with_milliseconds) {
    char b[MON_CLOCK_RFC3339_SIZE];
    cr_assert_str_eq(mon_clock_rfc3339(c->ms, b, sizeof(b)), c->want);
}

Test(mon_clock, rfc3339_agrees_with_gmtime_over_many_days) {
    char b[MON_CLOCK_RFC3339_SIZE], w[64];
    for (int64_t ms = -86400000LL * 800; ms < 86400000LL * 40000;
         ms += 86400000LL * 7 + 3723001) {
        time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        struct tm tm;
        gmtime_r(&s, &tm);
        snprintf(w, sizeof(w), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, (int)(ms - (int64_t)s * 1000));
        cr_assert_str_eq(mon_clock_rfc3339(ms, b, sizeof(b)), w, "%lld",
                         (long long)ms);
    }
}

Test(mon_clock, rfc3339_parses_what_it_formats_and_offsets) {
    char buf[MON_CLOCK_RFC3339_SIZE];
    int64_t ms;
    for (int64_t t = -86400000LL * 800; t < 86400000LL * 40000;
         t += 86400000LL * 37 + 3723456) {
        mon_clock_rfc3339(t, buf, sizeof(buf));
        cr_assert_eq(mon_clock_parse_rfc3339(buf, &ms), 0, "%s", buf);
        cr_assert_eq(ms, t, "%s", buf);
    }
    cr_assert_eq(mon_clock_parse_rfc3339("2024-05-14T11:21:07+02:00", &ms), 0);
    cr_assert_eq(ms, 1715678467000);
    cr_assert_eq(mon_clock_parse_rfc3339("2024-05-14t09:21:07.5z", &ms), 0);
    cr_assert_eq(ms, 1715678467500);
    cr_assert_eq(mon_clock_parse_rfc3339("2024-05-14T09:21:07.123456Z", &ms),
                 0);
    cr_assert_eq(ms, 1715678467123);
    const char *bad[] = {"",
                         "2024-05-14",
                         "2024-05-14T09:21:07",
                         "2024-02-30T00:00:00Z",
                         "2023-02-29T00:00:00Z",
                         "2024-13-01T00:00:00Z",
                         "2024-05-14T24:00:00Z",
                         "2024-05-14T09:21:07Zx",
                         "2024-05-14 09:21:07Z",
                         "2024-05-14T09:21:07.Z",
                         "tomorrow"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(mon_clock_parse_rfc3339(bad[i], &ms), -1, "'%s'", bad[i]);
}
