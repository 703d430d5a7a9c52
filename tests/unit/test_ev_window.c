/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for ev_window: commit windows and head rings as fixed-capacity
 * rings (order, wraparound, the min-distance merge, clearing), checked
 * through the public accessors and the documented struct fields.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "evaluator/ev_window.h"

static ev_entry_t ent(int64_t i) {
    return (ev_entry_t){1000 + i, 5000 + 10 * i, 7 * i};
}

Test(ev_window, starts_empty) {
    ev_entry_t slots[4];
    ev_window_t win;

    ev_window_init(&win, slots, 4);
    cr_assert_eq(win.count, 0);
    cr_assert_eq(win.cap, 4);
    cr_assert_eq(win.slots, slots);
    cr_assert_null(ev_window_newest(&win));
    cr_assert_null(ev_window_at(&win, 0));
}

Test(ev_window, keeps_push_order_below_capacity) {
    ev_entry_t slots[4];
    ev_window_t win;
    ev_entry_t e;
    unsigned i;

    ev_window_init(&win, slots, 4);
    for (i = 0; i < 3; i++) {
        e = ent(i);
        ev_window_push(&win, &e);
    }
    cr_assert_eq(win.count, 3);
    for (i = 0; i < 3; i++)
        cr_assert_eq(ev_window_at(&win, i)->offset, 1000 + (int64_t)i);
    cr_assert_eq(ev_window_newest(&win)->offset, 1002);
    cr_assert_null(ev_window_at(&win, 3));
}

/* Pushing n entries into a ring of capacity cap leaves the last cap of
 * them, oldest first, for every n around and past the wrap points. */
typedef struct wrap_case_s {
    int cap;
    int pushes;
} wrap_case_t;

static wrap_case_t wrap_cases[] = {
    {1, 1},   {1, 5},   {3, 3},   {3, 4},   {3, 7},   {10, 9},
    {10, 10}, {10, 11}, {10, 19}, {10, 20}, {10, 23}, {10, 1000},
};

ParameterizedTestParameters(ev_window, keeps_newest_cap_entries_oldest_first) {
    return cr_make_param_array(wrap_case_t, wrap_cases,
                               sizeof(wrap_cases) / sizeof(wrap_cases[0]));
}

ParameterizedTest(wrap_case_t *c, ev_window,
                  keeps_newest_cap_entries_oldest_first) {
    ev_entry_t slots[16];
    ev_head_t hslots[16];
    ev_window_t win;
    ev_headring_t ring;
    int i, kept = c->pushes < c->cap ? c->pushes : c->cap;
    int first = c->pushes - kept;

    ev_window_init(&win, slots, (uint16_t)c->cap);
    ev_headring_init(&ring, hslots, (uint16_t)c->cap);
    for (i = 0; i < c->pushes; i++) {
        ev_entry_t e = ent(i);
        ev_head_t h = {2000 + i, 9000 + i};

        ev_window_push(&win, &e);
        ev_headring_push(&ring, &h);
    }
    cr_assert_eq(win.count, kept);
    cr_assert_eq(ring.count, kept);
    cr_assert_lt(win.start, c->cap);
    cr_assert_eq(win.start, c->pushes > c->cap ? c->pushes % c->cap : 0);
    for (i = 0; i < kept; i++) {
        const ev_entry_t *e = ev_window_at(&win, (unsigned)i);
        const ev_head_t *h = ev_headring_at(&ring, (unsigned)i);

        cr_assert_eq(e->offset, 1000 + first + i, "cap %d pushes %d i %d",
                     c->cap, c->pushes, i);
        cr_assert_eq(e->timestamp_ms, 5000 + 10 * (first + i));
        cr_assert_eq(e->lag, 7 * (first + i));
        cr_assert_eq(h->offset, 2000 + first + i);
        cr_assert_eq(h->timestamp_ms, 9000 + first + i);
    }
    cr_assert_eq(ev_window_newest(&win)->offset, 1000 + c->pushes - 1);
    cr_assert_eq(ev_headring_newest(&ring)->offset, 2000 + c->pushes - 1);
    cr_assert_null(ev_window_at(&win, (unsigned)kept));
    cr_assert_null(ev_headring_at(&ring, (unsigned)kept));
}

Test(ev_window, merge_newest_keeps_timestamp_and_takes_offset_and_lag) {
    ev_entry_t slots[3];
    ev_window_t win;
    ev_entry_t e = ent(0), m = {4242, 999999, 17};

    ev_window_init(&win, slots, 3);
    ev_window_push(&win, &e);
    e = ent(1);
    ev_window_push(&win, &e);
    ev_window_merge_newest(&win, &m);
    cr_assert_eq(win.count, 2);
    cr_assert_eq(ev_window_newest(&win)->offset, 4242);
    cr_assert_eq(ev_window_newest(&win)->lag, 17);
    cr_assert_eq(ev_window_newest(&win)->timestamp_ms, 5010);
    cr_assert_eq(ev_window_at(&win, 0)->offset, 1000);
    cr_assert_eq(ev_window_at(&win, 0)->lag, 0);
}

Test(ev_window, merge_newest_finds_newest_in_a_wrapped_ring) {
    ev_entry_t slots[3];
    ev_window_t win;
    ev_entry_t m = {4242, 999999, 17};
    int i;

    ev_window_init(&win, slots, 3);
    for (i = 0; i < 4; i++) { /* newest lands in physical slot 0 */
        ev_entry_t e = ent(i);

        ev_window_push(&win, &e);
    }
    cr_assert_eq(win.start, 1);
    ev_window_merge_newest(&win, &m);
    cr_assert_eq(slots[0].offset, 4242);
    cr_assert_eq(slots[0].timestamp_ms, 5030);
    cr_assert_eq(ev_window_at(&win, 2)->offset, 4242);
    cr_assert_eq(ev_window_at(&win, 0)->offset, 1001);
    cr_assert_eq(ev_window_at(&win, 1)->offset, 1002);
}

Test(ev_window, merge_newest_on_empty_window_does_nothing) {
    ev_entry_t slots[2] = {{1, 2, 3}, {4, 5, 6}};
    ev_window_t win;
    ev_entry_t m = {9, 9, 9};

    ev_window_init(&win, slots, 2);
    ev_window_merge_newest(&win, &m);
    cr_assert_eq(win.count, 0);
    cr_assert_eq(slots[0].offset, 1);
    cr_assert_eq(slots[1].offset, 4);
}

Test(ev_window, clear_empties_and_reuses_slots) {
    ev_entry_t slots[2];
    ev_window_t win;
    ev_entry_t e;
    int i;

    ev_window_init(&win, slots, 2);
    for (i = 0; i < 3; i++) {
        e = ent(i);
        ev_window_push(&win, &e);
    }
    ev_window_clear(&win);
    cr_assert_eq(win.count, 0);
    cr_assert_null(ev_window_newest(&win));
    cr_assert_eq(win.slots, slots);
    e = ent(9);
    ev_window_push(&win, &e);
    cr_assert_eq(win.count, 1);
    cr_assert_eq(ev_window_at(&win, 0)->offset, 1009);
}

Test(ev_window, push_into_zero_capacity_ring_is_ignored) {
    ev_window_t win;
    ev_headring_t ring;
    ev_entry_t e = ent(1);
    ev_head_t h = {1, 1};

    ev_window_init(&win, NULL, 0);
    ev_headring_init(&ring, NULL, 0);
    ev_window_push(&win, &e);
    ev_headring_push(&ring, &h);
    cr_assert_eq(win.count, 0);
    cr_assert_eq(ring.count, 0);
    cr_assert_null(ev_window_newest(&win));
    cr_assert_null(ev_headring_newest(&ring));
}

Test(ev_window, entry_is_24_bytes) {
    cr_assert_eq(sizeof(ev_entry_t), 24);
}

Test(ev_window, tracks_the_newest_backwards_step) {
    ev_entry_t slots[4];
    ev_window_t win;
    static const int64_t offs[7] = {10, 20, 15, 30, 40, 50, 60};
    static const int want[7] = {-1, -1, 2, 2, 1, -1, -1};
    int i;

    ev_window_init(&win, slots, 4);
    for (i = 0; i < 7; i++) {
        ev_entry_t e = {offs[i], i, 0};

        ev_window_push(&win, &e);
        cr_assert_eq(ev_window_last_drop(&win), want[i], "after push %d", i);
    }
    /* a merge that makes the newest a step back, and one that undoes it */
    {
        ev_entry_t e = {5, 99, 0};

        ev_window_merge_newest(&win, &e);
        cr_assert_eq(ev_window_last_drop(&win), 3);
        e.offset = 70;
        ev_window_merge_newest(&win, &e);
        cr_assert_eq(ev_window_last_drop(&win), -1);
    }
    /* laid out by hand, then recounted */
    slots[0].offset = 9;
    ev_window_recount(&win);
    cr_assert_eq(ev_window_last_drop(&win), 1);
    ev_window_clear(&win);
    cr_assert_eq(ev_window_last_drop(&win), -1);
}
