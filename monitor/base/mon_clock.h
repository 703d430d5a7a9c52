/* SPDX-License-Identifier: Apache-2.0 */
/* mon_clock: the daemon's clocks. Logic never calls these: it takes
 * now_ms. Only main, the sources, the loops and the notifier's sender read
 * the time, through here.
 *
 * The daemon's wall clock never runs backwards. Windows, head rings and
 * incidents compare times taken at different moments, so a step of the
 * system clock back (NTP, an operator) would make every commit stamped
 * before it look like it came from the future: stopped consumers would
 * look alive for the length of the step, then page when the clock caught
 * up. So mon_clock_wall_ms() follows CLOCK_REALTIME forward (small drift
 * and forward steps alike), but when the system clock is found more than
 * MON_CLOCK_STEP_MS behind it, the step is logged once and the clock is
 * rebased: it keeps running from where it was on the monotonic clock, at
 * MON_CLOCK_SLEW_PERMILLE less than real speed, until the system clock
 * catches up with it. Intervals and deadlines use mon_clock_mono_ms().
 *
 * Time format: every timestamp Warren prints as text (log lines, replay
 * timelines, notifier template data and /v3/notifiers) is RFC 3339 in
 * UTC with milliseconds, "2024-05-14T09:21:07.250Z" (always three
 * fraction digits, always "Z"): mon_clock_rfc3339. Numbers in the Burrow
 * API stay milliseconds since the epoch, as Burrow's.
 */
#ifndef MON_CLOCK_H
#define MON_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* A backwards difference above this is a step (logged); below it, drift. */
#define MON_CLOCK_STEP_MS 1000
/* While ahead of the system clock, the wall clock runs this much slower
 * (per mille of elapsed monotonic time) to converge: a 60 s step is gone
 * in 20 minutes, and no interval is ever measured more than 5 % short. */
#define MON_CLOCK_SLEW_PERMILLE 50

/* The state of one step-safe wall clock (the daemon has one, in
 * mon_clock.c; tests build their own). Zero-initialize. */
typedef struct mon_clock_state_s {
    int init;
    int64_t offset_ms;    /* output = mono + offset */
    int64_t last_mono_ms; /* mono at the previous reading */
    int behind;           /* the system clock is behind us (slewing) */
} mon_clock_state_t;

/* Advances st with one reading of the system clocks and returns the
 * step-safe wall time: never less than the previous result. Sets
 * *stepped_ms to how far the system clock was found to have stepped back
 * (0 when it did not: drift, forward steps, catching up) and *caught_up
 * to 1 when a slew ends. Pure: no clock read, no lock. */
int64_t mon_clock_advance(mon_clock_state_t *st, int64_t sys_wall_ms,
                          int64_t mono_ms, int64_t *stepped_ms, int *caught_up);

/* The daemon's wall clock in ms since the Unix epoch: CLOCK_REALTIME made
 * step-safe by mon_clock_advance (a backwards step is logged as a WARN and
 * its end as INFO). Any thread (one process-wide state under a mutex). */
int64_t mon_clock_wall_ms(void);

/* Monotonic clock in ms (CLOCK_MONOTONIC), for intervals and deadlines. */
int64_t mon_clock_mono_ms(void);

/* The same clock in microseconds, for durations shown as metrics. */
int64_t mon_clock_mono_us(void);

/* Initializes a condition variable whose timed waits run on the monotonic
 * clock, so a step of the system clock never lengthens a wait. */
void mon_clock_cond_init(pthread_cond_t *cond);

/* Waits on cond (initialized by mon_clock_cond_init, mutex held) for at
 * most ms milliseconds (<= 0: returns at once). Returns 0 when signalled
 * (or woken spuriously), ETIMEDOUT when the time ran out. */
int mon_clock_cond_wait_ms(pthread_cond_t *cond, pthread_mutex_t *mutex,
                           int64_t ms);

/* Sleeps ms milliseconds (resuming after signals). Only for code with no
 * stop to honour (CLI tools, polls bounded by a deadline); a thread that
 * must stop promptly sleeps with mon_worker_sleep (mon_worker.h). */
void mon_clock_sleep_ms(int64_t ms);

/* Enough for every output of mon_clock_rfc3339, with the NUL. */
#define MON_CLOCK_RFC3339_SIZE 32

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into buf
 * and returns buf. Times outside years 0000..9999, which RFC 3339 cannot
 * write, come out as "@<ms>ms". Truncates to size (size >=
 * MON_CLOCK_RFC3339_SIZE never truncates). Pure and thread-safe. */
char *mon_clock_rfc3339(int64_t ms, char *buf, size_t size);

/* Parses an RFC 3339 date-time ("2024-05-14T09:21:07Z", fractions and
 * "+02:00" offsets too; digits beyond milliseconds are dropped) into ms
 * since the epoch. Returns 0, or -1 when s is not one (whole string, real
 * calendar dates only). Pure and thread-safe. */
int mon_clock_parse_rfc3339(const char *s, int64_t *ms);

#endif
