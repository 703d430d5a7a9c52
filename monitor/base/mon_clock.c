/* SPDX-License-Identifier: Apache-2.0 */
/* mon_clock: wall and monotonic clocks in milliseconds; see mon_clock.h.
 * The one piece of process-wide state here is the daemon's wall clock:
 * the system clock it corrects is process-wide too.
 */
#include "monitor/base/mon_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "broker-core/bc_clock.h"
#include "monitor/base/mon_log.h"

int64_t mon_clock_advance(mon_clock_state_t *st, int64_t sys_wall_ms,
                          int64_t mono_ms, int64_t *stepped_ms,
                          int *caught_up) {
    *stepped_ms = 0;
    *caught_up = 0;
    if (!st->init) {
        st->init = 1;
        st->offset_ms = sys_wall_ms - mono_ms;
        st->last_mono_ms = mono_ms;
        return sys_wall_ms;
    }
    int64_t elapsed = mono_ms - st->last_mono_ms;
    if (elapsed < 0)
        elapsed = 0; /* a monotonic clock does not do this; be safe */
    else
        st->last_mono_ms = mono_ms;
    int64_t ours = mono_ms + st->offset_ms;
    int64_t err = sys_wall_ms - ours; /* < 0: the system is behind us */
    if (err >= 0) {
        /* forward: drift, a forward step, or the end of a slew */
        st->offset_ms += err;
        if (st->behind) {
            st->behind = 0;
            *caught_up = 1;
        }
        return sys_wall_ms;
    }
    if (-err > MON_CLOCK_STEP_MS && !st->behind) *stepped_ms = -err;
    if (-err > MON_CLOCK_STEP_MS) st->behind = 1;
    /* slew: give back at most SLEW per mille of the time that passed */
    int64_t give = elapsed * MON_CLOCK_SLEW_PERMILLE / 1000;
    if (give > -err) give = -err;
    st->offset_ms -= give;
    if (st->behind && give == -err) {
        st->behind = 0;
        *caught_up = 1;
    }
    return mono_ms + st->offset_ms;
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static mon_clock_state_t g_clock; /* guarded by g_lock */

int64_t mon_clock_wall_ms(void) {
    int64_t stepped, now;
    int caught_up;
    pthread_mutex_lock(&g_lock);
    now = mon_clock_advance(&g_clock, bc_clock_wall_ms(), bc_clock_mono_ms(),
                            &stepped, &caught_up);
    pthread_mutex_unlock(&g_lock);
    if (stepped)
        mon_log(MON_LOG_WARN,
                "clock: the system clock stepped back by %lld ms; Warren's "
                "clock keeps running forward and slews back to it",
                (long long)stepped);
    if (caught_up) mon_log(MON_LOG_INFO, "clock: back on the system clock");
    return now;
}

int64_t mon_clock_mono_ms(void) {
    return bc_clock_mono_ms();
}

int64_t mon_clock_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void mon_clock_cond_init(pthread_cond_t *cond) {
    bc_clock_cond_init(cond);
}

int mon_clock_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           int64_t ms) {
    return bc_clock_cond_wait_ms(cond, mutex, ms);
}

void mon_clock_sleep_ms(int64_t ms) {
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm): no
 * time_t range or gmtime_r concerns, and exact for every year. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in ms. */
#define RFC3339_MIN_MS (-62167219200000LL)
#define RFC3339_MAX_MS (253402300799999LL)

char *mon_clock_rfc3339(int64_t ms, char *buf, size_t size) {
    if (!size) return buf;
    if (ms < RFC3339_MIN_MS || ms > RFC3339_MAX_MS) {
        snprintf(buf, size, "@%lldms", (long long)ms);
        return buf;
    }
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000; /* 0 .. 86399999 */
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", (int)y, mo, d,
             (int)(rem / 3600000), (int)(rem / 60000 % 60),
             (int)(rem / 1000 % 60), (int)(rem % 1000));
    return buf;
}

/* Days since 1970-01-01 of a civil date (the inverse of the above). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at *p into *v; advances *p. */
static int digits(const char **p, int n, int *v) {
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9') return -1;
        *v = *v * 10 + (**p - '0');
    }
    return 0;
}

int mon_clock_parse_rfc3339(const char *s, int64_t *ms) {
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0, sign = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d) || (*p != 'T' && *p != 't'))
        return -1;
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
        digits(&p, 2, &sec))
        return -1;
    if (*p == '.') {
        p++;
        int n = 0;
        for (; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3) frac = frac * 10 + (*p - '0');
        if (n == 0) return -1;
        for (; n < 3; n++)
            frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || (unsigned)d > mdays[mo - 1] ||
        h > 23 || mi > 59 || sec > 60)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return -1;
    if (sec == 60) /* a leap second reads as the next second's start */
        sec = 59, frac = 999;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL + frac -
          sign * (oh * 60 + om) * 60000LL;
    return 0;
}
