/* SPDX-License-Identifier: Apache-2.0 */
/* ev_window: fixed-capacity rings of commits and head offsets.
 *
 * A window is the ring of a partition's last `intervals` commits, oldest
 * first; a head ring is the ring of a topic partition's last `intervals`
 * log-end offsets. Both are value types that live inside the store's own
 * arrays (the store keeps millions of them, so there is no per-ring
 * allocation and no handle): the caller owns the slot array and hands it
 * to _init. Nothing here allocates, locks or reads a clock.
 */
#ifndef EV_WINDOW_H
#define EV_WINDOW_H

#include <stdint.h>

/* One commit as the store keeps it: 24 bytes. `lag` is head - offset at
 * the moment the commit arrived, floored at 0. */
typedef struct ev_entry_s {
    int64_t offset;
    int64_t timestamp_ms;
    int64_t lag;
} ev_entry_t;

/* One head (log-end offset) sample. */
typedef struct ev_head_s {
    int64_t offset;
    int64_t timestamp_ms;
} ev_head_t;

/* One commit that fell off the window, with the lag estimated at its
 * time from the head ring: a point of the evidence the warren rules keep
 * beyond the window (ev_warren.h). 24 bytes; all zero means empty. */
typedef struct ev_mark_s {
    int64_t t_ms;   /* the commit's time */
    int64_t offset; /* its committed offset */
    uint32_t lag;   /* head estimated at t_ms minus offset, saturated */
    uint32_t var;   /* EV_MARK_SET | the variance of that estimate
                     * (messages^2, capped at EV_MARK_VAR_MAX) */
} ev_mark_t;

#define EV_MARK_SET 0x80000000u
#define EV_MARK_VAR_MAX 0x7FFFFFFFu

/* The evidence beyond the window: the anchor (the commit with the lowest
 * lag since the consumer last caught up) and two checkpoints since it, at
 * about 1/4-1/2 and 1/2-1 of the time since the anchor. 72 bytes. */
typedef struct ev_evidence_s {
    ev_mark_t anchor;
    ev_mark_t mid[2]; /* mid[0] older than mid[1] */
} ev_evidence_t;

/* Ring of commits. `slots` has room for `cap` entries; `start` indexes the
 * oldest entry; `count` <= cap. `since_drop` is how many entries follow
 * the newest backwards step (an offset below the one before it),
 * EV_WINDOW_NO_DROP when the window holds none; _push, _merge_newest,
 * _init and _clear keep it, and code that lays slots out by hand calls
 * ev_window_recount. `ev` is the evidence kept beyond the ring
 * (maintained by ev_warren_push, empty after _init and _clear). */
typedef struct ev_window_s {
    ev_entry_t *slots;
    uint16_t cap;
    uint16_t count;
    uint16_t start;
    uint16_t since_drop;
    ev_evidence_t ev;
} ev_window_t;

#define EV_WINDOW_NO_DROP 0xFFFFu

/* Ring of head samples, same layout as ev_window_t. */
typedef struct ev_headring_s {
    ev_head_t *slots;
    uint16_t cap;
    uint16_t count;
    uint16_t start;
} ev_headring_t;

/* Makes `win` an empty ring over `slots` (cap entries, 1..65535). The
 * caller keeps ownership of `slots`. */
void ev_window_init(ev_window_t *win, ev_entry_t *slots, uint16_t cap);

/* Appends `e`; when full the oldest entry falls off (no-op when cap 0). */
void ev_window_push(ev_window_t *win, const ev_entry_t *e);

/* Replaces the newest entry's offset and lag with those of `e`, keeping its
 * timestamp (the store's min-distance merge). No-op when the window is
 * empty. */
void ev_window_merge_newest(ev_window_t *win, const ev_entry_t *e);

/* The i-th entry, oldest first (0 <= i < count); NULL when i >= count. */
const ev_entry_t *ev_window_at(const ev_window_t *win, unsigned i);

/* The newest entry, or NULL when the window is empty. */
const ev_entry_t *ev_window_newest(const ev_window_t *win);

/* Empties the window (slots are kept) and its evidence. */
void ev_window_clear(ev_window_t *win);

/* Logical index i >= 1 of the newest entry whose offset is below the one
 * before it, or -1 when there is none (from since_drop, O(1)). */
static inline int ev_window_last_drop(const ev_window_t *win) {
    int i;

    if (win->since_drop >= win->count) return -1;
    i = (int)win->count - 1 - (int)win->since_drop;
    return i >= 1 ? i : -1;
}

/* Recomputes since_drop from the slots (for windows laid out by hand). */
void ev_window_recount(ev_window_t *win);

/* Same operations for head rings (_at is NULL when i >= count, _newest
 * NULL when empty). */
void ev_headring_init(ev_headring_t *ring, ev_head_t *slots, uint16_t cap);
void ev_headring_push(ev_headring_t *ring, const ev_head_t *h);
const ev_head_t *ev_headring_at(const ev_headring_t *ring, unsigned i);
const ev_head_t *ev_headring_newest(const ev_headring_t *ring);

#endif
