/* SPDX-License-Identifier: Apache-2.0 */
/* ev_rules_int: helpers shared by the two rule sets (ev_rules.c, the
 * burrow rules and the common part of every evaluation, and ev_warren.c).
 *
 * Not a public interface: only evaluator/ and its unit tests include it.
 * Everything is static inline so the hot path stays in one translation
 * unit per rule set and nothing here costs a call.
 */
#ifndef EV_RULES_INT_H
#define EV_RULES_INT_H

#include <stdint.h>

#include "evaluator/ev_rules.h"

/* a - b, clamped to the int64 range. */
static inline int64_t ev_sat_sub(int64_t a, int64_t b) {
    int64_t r;

    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Ring slot of logical index i (i < cap): one conditional subtraction
 * instead of a modulo. */
static inline unsigned ev_ring_idx(unsigned start, unsigned cap, unsigned i) {
    unsigned idx = start + i;

    return idx >= cap ? idx - cap : idx;
}

/* Sets the deciding status, rule and the two numbers it compared. */
static inline void ev_decide(ev_result_t *out, ev_status_t st, ev_rule_t rule,
                             int64_t left, int64_t right) {
    out->status = st;
    out->rule = rule;
    out->left = left;
    out->right = right;
}

#endif
