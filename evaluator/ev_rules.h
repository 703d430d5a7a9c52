/* ev_rules: Burrow's partition rules, evaluated on one window.
 *
 * Pure: the caller passes the window, the partition's head ring and now;
 * the result says which status, which rule decided it and the numbers that
 * rule compared, so outputs can explain a status in words. The rules and
 * their order are Burrow's, equality included (evaluator/README.md):
 *   1 no commits -> OK; complete < minimum_complete -> OK
 *   2 current_lag <= allowed_lag -> OK
 *   3 STOP when now - last.ts > last.ts - first.ts, unless a head sample is
 *     <= the last committed offset
 *   4 REWIND when an offset went backwards and never got back
 *   5 every lag > allowed_lag: STALL if offsets all equal, else WARN if no
 *     lag is strictly smaller than the one before it
 *   6 OK
 * Beyond Burrow and never changing the status: a time-lag estimate and,
 * when lag shrinks, a drain rate and an ETA.
 * One evaluation allocates nothing and takes well under 50 ns.
 */
#ifndef EV_RULES_H
#define EV_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_status.h"
#include "evaluator/ev_window.h"

typedef struct ev_params_s {
    int intervals;           /* window capacity, for `complete` (>= 1) */
    int64_t allowed_lag;     /* Burrow's allowed-lag, default 0 */
    double minimum_complete; /* Burrow's minimum-complete, default 0 */
} ev_params_t;

typedef struct ev_result_s {
    ev_status_t status; /* EV_OK, EV_WARN, EV_STOP, EV_STALL or EV_REWIND */
    ev_rule_t rule;     /* the rule that decided */
    double complete;    /* entries / intervals, capped at 1 */
    int64_t current_lag;
    /* The numbers the deciding rule compared (meaning per rule):
     *   no-commits:          left = right = 0
     *   incomplete:          left = complete*1e6, right = minimum*1e6
     *                        (both rounded to the nearest integer)
     *   current-lag-allowed: left = current_lag, right = allowed_lag
     *   stop:                left = now - last.ts, right = last.ts - first.ts
     *   rewind:              left = offset[index], right = offset[index-1]
     *   stall:               left = the offset, right = min lag in window
     *   lag-not-decreasing:  left = first lag, right = last lag
     *   lag-decreasing-or-zero: left = first lag, right = last lag
     * `index` is the window index the rule points at (rewind), else -1. */
    int64_t left;
    int64_t right;
    int index;
    /* Time lag: seconds between now and when the committed offset was
     * produced, interpolated between the head samples that bracket it;
     * 0 when caught up. time_lag_known is false when no pair of samples
     * brackets it (time_lag_s is then 0, never NaN). */
    double time_lag_s;
    bool time_lag_known;
    /* When lag shrinks across the window: lag drained per second and the
     * seconds until current_lag reaches 0 (eta_known false otherwise). */
    double drain_rate;
    double eta_s;
    bool eta_known;
    /* Entries in the window when it was evaluated (for explanations). */
    int count;
} ev_result_t;

/* Default parameters: intervals 10, allowed_lag 0, minimum_complete 0. */
void ev_params_default(ev_params_t *p);

/* Evaluates one partition at now_ms. `heads` may be NULL or empty (current
 * lag is then 0); `win` may be NULL (no commits); `p` may be NULL (the
 * defaults). Fills *out completely; never fails. Allocates nothing and
 * reads no clock; the caller guards the rings against concurrent writes. */
void ev_evaluate(const ev_params_t *p, const ev_window_t *win,
                 const ev_headring_t *heads, int64_t now_ms,
                 ev_result_t *out);

/* Writes one sentence explaining `r` (e.g. "lag grew or held in each of the
 * last 10 commits (from 120 to 900): the consumer is slower than the
 * producers") into buf, NUL-terminated when size > 0 (buf may be NULL when
 * size is 0). Returns the length snprintf would have written. */
int ev_explain(const ev_result_t *r, char *buf, size_t size);

#endif
