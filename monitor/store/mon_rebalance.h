/* SPDX-License-Identifier: Apache-2.0 */
/* mon_rebalance: a group's membership changes (mon_store) turned into
 * rebalances (evaluator/ev_deploy.h) kept in its history (mon_history).
 *
 * The service calls mon_rebalance_collect for every group it evaluates,
 * replay for every group of a trace: one place makes a rebalance out of
 * two settled memberships (who joined, who left, which partitions moved,
 * whether the new set has a canary's shape) and classifies it against
 * the group's earlier rebalances.
 */
#ifndef MON_REBALANCE_H
#define MON_REBALANCE_H

#include <stddef.h>

#include "evaluator/ev_deploy.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_store.h"

/* The rebalance from before to after (sorted copies): counts, members
 * joined and left, partitions moved, canary shape and change; t_ms is
 * after's t_ms, deployment EV_DEPLOY_NONE. Its members point into
 * before/after and into *refs (malloc'd, the caller frees). */
void mon_rebalance_diff(const mon_group_members_t *before,
                        const mon_group_members_t *after, ev_rebalance_t *out,
                        ev_member_ref_t **refs);

/* Gets each new rebalance, classified, as it is added. */
typedef void (*mon_rebalance_fn)(void *arg, const char *cluster,
                                 const char *group, const ev_rebalance_t *r);

/* Takes cluster/group's pending membership changes from st, classifies
 * each against the group's rebalances in h and appends it there; fn
 * (NULL: none) gets each. Returns how many were added. */
size_t mon_rebalance_collect(mon_store_t *st, mon_history_t *h,
                             const char *cluster, const char *group,
                             mon_rebalance_fn fn, void *arg);

#endif
