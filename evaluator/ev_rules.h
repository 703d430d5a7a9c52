/* SPDX-License-Identifier: Apache-2.0 */
/* ev_rules: the partition rules, evaluated on one window.
 *
 * Pure: the caller passes the window, the partition's head ring and now;
 * the result says which status, which rule decided it and the numbers that
 * rule compared, so outputs can explain a status in words. Two rule sets,
 * chosen per evaluation by ev_params_t.rules: `warren` (the default,
 * ev_warren.h: rates compared with their arrival noise, warm-up, STOP
 * against the group's own commit cadence) and `burrow`. The burrow rules
 * and their order are Burrow's, equality included (evaluator/README.md):
 *   1 no commits -> OK; complete < minimum_complete -> OK
 *   2 current_lag <= allowed_lag -> OK
 *   3 STOP when now - last.ts > last.ts - first.ts, unless a head sample is
 *     <= the last committed offset
 *   4 REWIND when an offset went backwards and never got back
 *   5 every lag > allowed_lag: STALL if offsets all equal, else WARN if no
 *     lag is strictly smaller than the one before it
 *   6 OK
 * Beyond Burrow and never changing the status: a time-lag estimate and,
 * when lag shrinks, a drain rate and an ETA (both rule sets).
 * One evaluation allocates nothing and takes well under 100 ns.
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
    int64_t allowed_lag;     /* Burrow's allowed-lag, default 0 (burrow) */
    double minimum_complete; /* Burrow's minimum-complete, default 0
                              * (burrow) */
    ev_rules_t rules;        /* rule set, default EV_RULES_WARREN */
} ev_params_t;

typedef struct ev_result_s {
    ev_status_t status; /* EV_OK, EV_WARN, EV_STOP, EV_STALL or EV_REWIND */
    ev_rule_t rule;     /* the rule that decided */
    ev_rules_t rules;   /* the rule set it belongs to */
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
     * and for the warren rules (ev_warren.h):
     *   warming-up:          left = commits (index 0) or head samples
     *                        (index 1) in hand, right = how many needed
     *   caught-up:           left = last offset, right = newest head
     *   keeping-up, draining, falling-behind: left = lag at the start of
     *                        the span, right = lag at its end (heads
     *                        aligned to the commit times), rates below
     *   stopped:             left = now - last.ts, right = the silence
     *                        the group's own cadence allows (ms)
     *   stalled:             left = the offset, right = min lag in window
     *   rewound:             left = offset[index], right = offset[index-1]
     * `index` is the window index the rule points at (rewind, rewound),
     * else -1 (warming-up: see above). */
    int64_t left;
    int64_t right;
    int index;
    /* Time lag: seconds between now and when the committed offset was
     * produced, interpolated between the head samples that bracket it;
     * 0 when caught up. time_lag_known is false when no pair of samples
     * brackets it (time_lag_s is then 0, never NaN). */
    double time_lag_s;
    bool time_lag_known;
    /* While the lag really shrinks: lag drained per second and the
     * seconds until current_lag reaches 0. Only for an OK verdict: the
     * warren rules' "draining" (from their rates), the burrow rules' drop
     * of the stored lags across the window; eta_known false otherwise
     * (never for WARN, STOP, STALL or REWIND). */
    double drain_rate;
    double eta_s;
    bool eta_known;
    /* Entries in the window when it was evaluated (for explanations). */
    int count;
    /* The warren rules' measurements (rates_known false and all 0 for the
     * burrow rules and where no rate was measured). Rates are messages
     * per second over span_s seconds; rate_sigma is one standard
     * deviation of producer - consumer; z = (producer - consumer) /
     * rate_sigma. stopped and stalled set span_s to the window's span. */
    bool rates_known;
    double rate_consumer;
    double rate_producer;
    double rate_sigma;
    double z;
    double span_s;
} ev_result_t;

/* Default parameters: intervals 10, allowed_lag 0, minimum_complete 0,
 * rules EV_RULES_WARREN. */
void ev_params_default(ev_params_t *p);

/* Evaluates one partition at now_ms with the rule set p->rules. `heads`
 * may be NULL or empty (current lag is then 0); `win` may be NULL (no
 * commits); `p` may be NULL (the defaults). Fills *out completely; never
 * fails. Allocates nothing and reads no clock; the caller guards the rings
 * against concurrent writes. */
void ev_evaluate(const ev_params_t *p, const ev_window_t *win,
                 const ev_headring_t *heads, int64_t now_ms, ev_result_t *out);

/* Writes one sentence explaining `r` (e.g. "lag grew or held in each of the
 * last 10 commits (from 120 to 900): the consumer is slower than the
 * producers") into buf, NUL-terminated when size > 0 (buf may be NULL when
 * size is 0); the warren rules' sentences give the rates, their
 * difference and its uncertainty. Returns the length snprintf would have
 * written. */
int ev_explain(const ev_result_t *r, char *buf, size_t size);

#endif
