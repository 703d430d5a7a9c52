/* SPDX-License-Identifier: Apache-2.0 */
/* ev_group: rolls partition results up into a group status, as Burrow.
 *
 * A running fold: each _add updates the worst status, the lag sum, the
 * max-lag partition (strictly greater replaces, so the first wins ties, as
 * Burrow's loop does) and the count of full windows; complete is kept
 * current after every add so the value is readable at any point.
 */
#include "evaluator/ev_group.h"

void ev_group_init(ev_group_t *g) {
    int i;

    g->status = EV_OK;
    g->totallag = 0;
    g->maxlag_index = -1;
    g->maxlag = 0;
    g->partition_count = 0;
    g->full_count = 0;
    g->complete = 1.0;
    for (i = 0; i <= EV_REWIND; i++)
        g->counts[i] = 0;
    g->max_time_lag_s = 0.0;
    g->time_lag_count = 0;
}

ev_status_t ev_group_status_of(ev_status_t partition_status) {
    switch (partition_status) {
    case EV_STOP:
    case EV_STALL:
    case EV_REWIND:
    case EV_ERR:
        return EV_ERR;
    case EV_WARN:
        return EV_WARN;
    case EV_OK:
        return EV_OK;
    case EV_NOTFOUND:
        break;
    }
    return EV_NOTFOUND;
}

void ev_group_add(ev_group_t *g, const ev_result_t *r, int index) {
    ev_status_t gs = ev_group_status_of(r->status);

    if (gs > g->status) g->status = gs;
    if ((int)r->status >= 0 && (int)r->status <= EV_REWIND)
        g->counts[r->status]++;
    if (__builtin_add_overflow(g->totallag, r->current_lag, &g->totallag))
        g->totallag = INT64_MAX;
    if (g->partition_count == 0 || r->current_lag > g->maxlag) {
        g->maxlag_index = index;
        g->maxlag = r->current_lag;
    }
    g->partition_count++;
    if (r->rule == EV_RULE_WARMING_UP) g->warming_count++;
    if (r->complete >= 1.0) g->full_count++;
    g->complete = (double)g->full_count / g->partition_count;
    if (r->time_lag_known) {
        if (g->time_lag_count == 0 || r->time_lag_s > g->max_time_lag_s)
            g->max_time_lag_s = r->time_lag_s;
        g->time_lag_count++;
    }
}

ev_rule_t ev_group_rule(const ev_group_t *g, const ev_result_t *decider) {
    if (g->status == EV_OK && g->warming_count > 0) return EV_RULE_WARMING_UP;
    return decider ? decider->rule : EV_RULE_NO_COMMITS;
}
