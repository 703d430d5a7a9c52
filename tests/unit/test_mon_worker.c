/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_worker: a stop wakes a long sleep at once, a wake ends one
 * sleep without stopping, a failed start leaves nothing behind, and a
 * worker that returned on its own is simply joined. */
#include <criterion/criterion.h>
#include <stdatomic.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_worker.h"

typedef struct probe_s {
    atomic_int rounds;
    atomic_int returned;
    mon_worker_t *seen; /* the worker as fn received it */
} probe_t;

/* Sleeps an hour between rounds: only a stop or a wake ends a sleep. */
static void hour_loop(mon_worker_t *w, void *arg) {
    probe_t *p = arg;
    p->seen = w;
    do
        atomic_fetch_add(&p->rounds, 1);
    while (!mon_worker_sleep(w, 3600 * 1000));
    atomic_store(&p->returned, 1);
}

static void wait_rounds(probe_t *p, int n) {
    for (int i = 0; i < 10000 && atomic_load(&p->rounds) < n; i++)
        mon_clock_sleep_ms(1);
}

/* The 10 s timeout is the failure: without the condition variable the
 * stop would wait out the hour. */
Test(mon_worker, stop_cuts_a_long_sleep_short, .timeout = 10) {
    probe_t p = {0};
    mon_worker_t *w = NULL;
    char err[128];
    cr_assert_eq(mon_worker_start(&w, "test", hour_loop, &p, err, sizeof(err)),
                 0, "%s", err);
    cr_assert_not_null(w);
    wait_rounds(&p, 1);
    cr_assert_eq(atomic_load(&p.rounds), 1);
    cr_assert_not(mon_worker_stopping(w));
    mon_worker_stop(&w);
    cr_assert_null(w);
    cr_assert_eq(atomic_load(&p.returned), 1);
}

Test(mon_worker, wake_ends_one_sleep_without_stopping, .timeout = 10) {
    probe_t p = {0};
    mon_worker_t *w = NULL;
    char err[128];
    cr_assert_eq(mon_worker_start(&w, "test", hour_loop, &p, err, sizeof(err)),
                 0);
    wait_rounds(&p, 1);
    mon_worker_wake(w);
    wait_rounds(&p, 2);
    cr_assert_eq(atomic_load(&p.rounds), 2);
    cr_assert_eq(atomic_load(&p.returned), 0);
    cr_assert_eq(p.seen, w, "fn gets the same handle as the owner");
    mon_worker_stop(&w);
}

static void once(mon_worker_t *w, void *arg) {
    probe_t *p = arg;
    /* a short sleep times out and reports no stop */
    if (!mon_worker_sleep(w, 1)) atomic_fetch_add(&p->rounds, 1);
    atomic_store(&p->returned, 1);
}

Test(mon_worker, worker_done_on_its_own_is_joined) {
    probe_t p = {0};
    mon_worker_t *w = NULL;
    char err[128];
    cr_assert_eq(mon_worker_start(&w, "test", once, &p, err, sizeof(err)), 0);
    for (int i = 0; i < 10000 && !atomic_load(&p.returned); i++)
        mon_clock_sleep_ms(1);
    mon_worker_stop(&w);
    cr_assert_eq(atomic_load(&p.rounds), 1);
}

Test(mon_worker, null_is_fine_everywhere) {
    mon_worker_t *w = NULL;
    cr_assert_not(mon_worker_stopping(NULL));
    mon_worker_wake(NULL);
    mon_worker_request_stop(NULL);
    mon_worker_stop(&w);
    cr_assert_null(w);
}
