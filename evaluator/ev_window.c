/* SPDX-License-Identifier: Apache-2.0 */
/* ev_window: fixed-capacity rings of commits and head offsets.
 *
 * Both rings keep `start` (the oldest slot) and `count`; slot i of the
 * logical order is start + i, wrapped once by subtracting cap. Because
 * i < count <= cap, one conditional subtraction replaces a modulo. The
 * slot arrays belong to the caller; nothing here allocates.
 */
#include <stddef.h>
#include <string.h>

#include "evaluator/ev_window.h"

/* Physical slot of logical index i (i < cap). */
static inline unsigned slot_of(uint16_t start, uint16_t cap, unsigned i) {
    unsigned idx = (unsigned)start + i;
    return idx >= cap ? idx - cap : idx;
}

void ev_window_init(ev_window_t *win, ev_entry_t *slots, uint16_t cap) {
    win->slots = slots;
    win->cap = cap;
    win->count = 0;
    win->start = 0;
    win->since_drop = EV_WINDOW_NO_DROP;
    memset(&win->ev, 0, sizeof(win->ev));
}

void ev_window_push(ev_window_t *win, const ev_entry_t *e) {
    if (win->cap == 0) return;
    if (win->count == 0)
        win->since_drop = EV_WINDOW_NO_DROP;
    else if (e->offset <
             win->slots[slot_of(win->start, win->cap, win->count - 1u)].offset)
        win->since_drop = 0;
    else if (win->since_drop < win->cap)
        win->since_drop++;
    else
        win->since_drop = EV_WINDOW_NO_DROP;
    if (win->count < win->cap) {
        win->slots[slot_of(win->start, win->cap, win->count)] = *e;
        win->count++;
    } else {
        win->slots[win->start] = *e;
        win->start = (uint16_t)slot_of(win->start, win->cap, 1);
    }
}

void ev_window_merge_newest(ev_window_t *win, const ev_entry_t *e) {
    ev_entry_t *n;

    if (win->count == 0) return;
    n = &win->slots[slot_of(win->start, win->cap, win->count - 1u)];
    n->offset = e->offset;
    n->lag = e->lag;
    ev_window_recount(win);
}

void ev_window_recount(ev_window_t *win) {
    unsigned i;

    win->since_drop = EV_WINDOW_NO_DROP;
    for (i = win->count; i-- > 1;)
        if (win->slots[slot_of(win->start, win->cap, i)].offset <
            win->slots[slot_of(win->start, win->cap, i - 1)].offset) {
            win->since_drop = (uint16_t)(win->count - 1 - i);
            break;
        }
}

const ev_entry_t *ev_window_at(const ev_window_t *win, unsigned i) {
    if (i >= win->count) return NULL;
    return &win->slots[slot_of(win->start, win->cap, i)];
}

const ev_entry_t *ev_window_newest(const ev_window_t *win) {
    if (win->count == 0) return NULL;
    return &win->slots[slot_of(win->start, win->cap, win->count - 1u)];
}

void ev_window_clear(ev_window_t *win) {
    win->count = 0;
    win->start = 0;
    win->since_drop = EV_WINDOW_NO_DROP;
    memset(&win->ev, 0, sizeof(win->ev));
}

void ev_headring_init(ev_headring_t *ring, ev_head_t *slots, uint16_t cap) {
    ring->slots = slots;
    ring->cap = cap;
    ring->count = 0;
    ring->start = 0;
}

void ev_headring_push(ev_headring_t *ring, const ev_head_t *h) {
    if (ring->cap == 0) return;
    if (ring->count < ring->cap) {
        ring->slots[slot_of(ring->start, ring->cap, ring->count)] = *h;
        ring->count++;
    } else {
        ring->slots[ring->start] = *h;
        ring->start = (uint16_t)slot_of(ring->start, ring->cap, 1);
    }
}

const ev_head_t *ev_headring_at(const ev_headring_t *ring, unsigned i) {
    if (i >= ring->count) return NULL;
    return &ring->slots[slot_of(ring->start, ring->cap, i)];
}

const ev_head_t *ev_headring_newest(const ev_headring_t *ring) {
    if (ring->count == 0) return NULL;
    return &ring->slots[slot_of(ring->start, ring->cap, ring->count - 1u)];
}
