/* SPDX-License-Identifier: Apache-2.0 */
/* bc_assign: Kafka's range and round-robin partition assignors.
 *
 * Given the members of a group (each with its subscribed topics) and the
 * partition count of every known topic, compute which member consumes
 * which partition, exactly as Kafka's client-side assignors do:
 *
 * - range (RangeAssignor): per topic, the members subscribed to it are
 *   sorted and the partitions 0..n-1 cut into contiguous ranges; with n
 *   partitions and c members each gets n/c and the first n%c one more.
 * - roundrobin (RoundRobinAssignor): all partitions of all subscribed
 *   topics, sorted by topic then partition, are dealt one by one to the
 *   sorted members in a circle, skipping members not subscribed to the
 *   partition's topic.
 *
 * Members sort like Kafka's MemberInfo: members with a group instance id
 * (static members) first, ordered by it, then the others by member id;
 * names compare as Java strings (see bc_group.h). Subscribed topics that
 * are not in the topic list are ignored, as Kafka ignores topics without
 * metadata. Pure: no locks, no clock; thread-safe.
 */
#ifndef BC_ASSIGN_H
#define BC_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_group.h"

typedef enum bc_assign_strategy_e {
    BC_ASSIGN_RANGE = 0,
    BC_ASSIGN_ROUNDROBIN = 1
} bc_assign_strategy_t;

/* One member's subscription. All strings are borrowed for the call. */
typedef struct bc_assign_member_s {
    const char *member_id;
    const char *group_instance_id; /* NULL for a dynamic member */
    const char *const *topics;
    size_t topic_cnt;
} bc_assign_member_t;

/* A topic known to the cluster and its partition count (>= 0). */
typedef struct bc_assign_topic_s {
    const char *topic;
    int32_t partitions;
} bc_assign_topic_t;

/* The partitions given to one member, sorted by topic then partition.
 * tps[i].topic points at the `topic` string of the bc_assign_topic_t the
 * caller passed in, so it lives as long as that string does. */
typedef struct bc_assign_list_s {
    bc_group_tp_t *tps;
    size_t cnt;
} bc_assign_list_t;

/* Computes the assignment into out[0..member_cnt), one list per member in
 * the order of `members`. Returns 0, or -1 with errstr filled (duplicate
 * member id or topic, negative partition count); on failure out[] is left
 * empty. The caller frees the lists with bc_assign_lists_free. */
int bc_assign_compute(bc_assign_strategy_t strategy,
                      const bc_assign_member_t *members, size_t member_cnt,
                      const bc_assign_topic_t *topics, size_t topic_cnt,
                      bc_assign_list_t *out, char *errstr, size_t errstr_size);

/* Frees the arrays inside out[0..member_cnt) and empties them; out itself
 * belongs to the caller. NULL is fine. */
void bc_assign_lists_free(bc_assign_list_t *out, size_t member_cnt);

/* Kafka's protocol name of a strategy: "range" or "roundrobin". */
const char *bc_assign_strategy_name(bc_assign_strategy_t strategy);

/* Parses "range" or "roundrobin" into *strategy; returns 0 or -1 for any
 * other name. */
int bc_assign_strategy_parse(const char *name, bc_assign_strategy_t *strategy);

#endif
