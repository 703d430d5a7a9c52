/* SPDX-License-Identifier: Apache-2.0 */
/* ev_warren: the `warren` rule set, threshold-free partition rules.
 *
 * The physics: a consumer falls behind when it commits fewer offsets per
 * second than the producers append over the same span. Both rates come
 * from the evaluation's own evidence: the commit window gives the
 * consumer's offsets at the commit times, the head ring gives the head at
 * those same times (interpolated between head samples, extrapolated at
 * the ring's rate past the newest one, or taken from the lag stored with
 * the commit, plus half a refresh, before the oldest). The lag stored with
 * a commit is measured against a head sample that may be one refresh old,
 * which is why lag that "drops" between two refreshes proves nothing.
 * Arrivals are counted noise (Poisson: variance = count), so a deficit is
 * judged against sqrt(messages in the span) plus the uncertainty of every
 * interpolated or extrapolated head: a topic with 1 msg/s is judged as
 * surely as one with 1000. A head interval whose count departs from the
 * ring's rate by more than 3 sigma (a burst, an idle stretch) is not
 * Poisson: a point inside it carries the variance of one jump of the
 * excess, since where in it the messages came is unknown.
 *
 * A deficit d at r msg/s rises above that noise only after about
 * 9 r / d^2 seconds, longer than a window spans on a quiet topic, so the
 * window carries evidence beyond itself (ev_window_t.ev, 72 bytes, kept
 * by ev_warren_push as each commit falls off the window): the anchor,
 * a low-water mark of the lag (the commit with the lowest lag since the
 * consumer last caught up: it moves to a commit falling off whose lag is
 * at or below it, or after a rewind), and two checkpoints since it at
 * about 1/4-1/2 and 1/2-1 of its age, so a middle of anchor..now is at
 * hand. Growth from a low-water mark is biased up by at most the lag's
 * own spread, which the arrival noise over a span longer than the window
 * outweighs.
 *
 * Rules, in order (n commits in the window, `intervals` its capacity):
 *   1 no commits -> OK (no-commits)
 *   2 n >= 3, lag > 0, and no commit for longer than the group's own
 *     cadence allows, max(window span, (intervals-1) * mean gap, 2 * the
 *     longest gap), while the data has waited at least as long -> STOP
 *     (stopped). A head sample at or below the last commit means the
 *     data arrived after it (an idle topic, not a dead consumer).
 *   3 n < max(intervals, 3), or fewer than two head samples over a
 *     non-zero time -> OK (warming-up): no WARN or ERR before the window
 *     holds the evidence; complete < 1 says how far it is
 *   4 current lag 0 -> OK (caught-up)
 *   5 every offset equal across the full window while data waited from
 *     its first commit on (its stored lag > 0, or the head ring shows
 *     the head past that offset by then) -> STALL (stalled)
 *   6 after the last backwards step (a rewind), fewer than 3 commits ->
 *     OK (rewound); otherwise the rate rules judge the commits after it,
 *     so a rewind that re-reads faster than the producers write is OK
 *   7 lag growth over the window >= 3 sigma, and >= 1.5 sigma in each
 *     half of it (a deficit that persists, not a burst that arrived at
 *     one end) -> WARN (falling-behind); lag shrinking by >= 1.5 sigma
 *     -> OK (draining); else, with no rewind in the window, the same
 *     test from the anchor, or else from either checkpoint (a deficit
 *     that began well after the anchor): growth from there to the last
 *     commit (and already to the one before) >= 3 sigma, >= 1.5 sigma
 *     in each half around the checkpoint or commit nearest the middle,
 *     at rates that agree within 3 sigma (one deficit, not two steps)
 *     -> WARN (falling-behind, over the longer span); else OK
 *     (keeping-up)
 * allowed_lag and minimum_complete (Burrow's thresholds) are ignored.
 */
#ifndef EV_WARREN_H
#define EV_WARREN_H

#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_rules.h"

/* Significance levels of rule 7 (in standard deviations). */
#define EV_WARREN_Z_WARN 3.0
#define EV_WARREN_Z_HALF 1.5
/* Commits the STOP cadence and the rate rules need at least. */
#define EV_WARREN_MIN_COMMITS 3

/* Decides the warren rules for a window of n >= 1 commits. Called by
 * ev_evaluate once the common part of *out (complete, current_lag, time
 * lag, drain) is filled; `below` is the head-ring index of the newest head
 * sample <= the last committed offset, or -1. Allocates nothing. */
void ev_warren_decide(const ev_params_t *p, const ev_window_t *win,
                      const ev_headring_t *heads, int below, int64_t now_ms,
                      ev_result_t *out);

/* Appends commit e to win like ev_window_push and, when the window is
 * full, first folds the commit falling off it into win->ev with the
 * head estimated at its time from `heads` (may be NULL). The store calls
 * it for every commit it appends. Allocates nothing. */
void ev_warren_push(ev_window_t *win, const ev_headring_t *heads,
                    const ev_entry_t *e);

/* ev_explain for the warren rules: one sentence into buf (NUL-terminated
 * when size > 0). Returns the length snprintf would have written, or -1
 * when r->rule is not one of them. */
int ev_warren_explain(const ev_result_t *r, char *buf, size_t size);

#endif
