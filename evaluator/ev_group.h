/* SPDX-License-Identifier: Apache-2.0 */
/* ev_group: rolls partition results up into a group status, as Burrow.
 *
 * Status is the worst partition, where STOP, STALL and REWIND count as ERR
 * (OK < WARN < ERR); totallag is the sum of current lags; maxlag is the
 * partition with the largest current lag (the first wins ties); complete is
 * the share of partitions whose window is full. A value type filled by
 * _init, _add per partition in order, then read; no allocation.
 */
#ifndef EV_GROUP_H
#define EV_GROUP_H

#include <stdint.h>

#include "evaluator/ev_rules.h"

typedef struct ev_group_s {
    ev_status_t status; /* EV_OK, EV_WARN or EV_ERR (EV_OK when empty) */
    int64_t totallag;
    int maxlag_index; /* index passed to _add of the max-lag partition,
                       * -1 when there are no partitions */
    int64_t maxlag;   /* its current lag */
    int partition_count;
    int full_count;            /* partitions with complete == 1 */
    double complete;           /* full_count / partition_count (1 when none) */
    int counts[EV_REWIND + 1]; /* partitions per status */
    double max_time_lag_s;     /* largest known time lag (0 when none) */
    int time_lag_count;        /* partitions whose time lag is known */
    int warming_count;         /* partitions decided by warming-up */
} ev_group_t;

/* The rule a group reports: warming-up when it is OK and some partition
 * still lacks the evidence its rules need (nothing is sent to a notifier
 * for it then), else `decider`'s rule (the first partition with the
 * group's status; NULL when there is none gives "no-commits"). */
ev_rule_t ev_group_rule(const ev_group_t *g, const ev_result_t *decider);

/* Starts an empty roll-up. */
void ev_group_init(ev_group_t *g);

/* Adds partition result `r`, remembered as `index` for maxlag. */
void ev_group_add(ev_group_t *g, const ev_result_t *r, int index);

/* Maps a partition status to its group status (STOP/STALL/REWIND -> ERR). */
ev_status_t ev_group_status_of(ev_status_t partition_status);

#endif
