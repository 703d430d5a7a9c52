/* SPDX-License-Identifier: Apache-2.0 */
/* mon_store_types: the values store/ copies out to its readers: name
 * lists, a group's windows (detail), a group's evaluation and a history
 * sample. Plain data that owns its buffers: no handle, no lock, nothing
 * that reaches back into the store, so a reader outside store/ (the
 * service's mon_query, and through it http/routes; the notifier) holds
 * them without seeing the store. mon_store.h and mon_history.h fill them.
 */
#ifndef MON_STORE_TYPES_H
#define MON_STORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_deploy.h"
#include "evaluator/ev_group.h"
#include "evaluator/ev_retention.h"
#include "evaluator/ev_rules.h"
#include "evaluator/ev_status.h"
#include "evaluator/ev_window.h"

/* Names, sorted; caller frees with mon_store_names_free. */
typedef struct mon_store_names_s {
    char **names;
    size_t count;
} mon_store_names_t;

/* One partition of a group detail (the evidence behind a status). */
typedef struct mon_part_detail_s {
    const char *topic; /* strings point into the owning detail */
    int32_t partition;
    const char *owner;         /* "" when unknown */
    const char *client_id;     /* "" when unknown */
    const char *member_id;     /* the assigned member (mon_group_members_t),
                                * "" when unknown */
    const ev_entry_t *entries; /* window, oldest first */
    int entry_count;
    const ev_head_t *heads; /* head ring samples, oldest first */
    int head_count;
    int64_t current_lag; /* max(0, newest head - newest offset) */
} mon_part_detail_t;

/* A group's windows, sorted by topic then partition. Zero-initialise
 * before first use; may be reused across calls (buffers are kept and
 * grown); free with mon_group_detail_free. */
typedef struct mon_group_detail_s {
    mon_part_detail_t *parts;
    size_t count;
    int64_t last_commit_ms;
    int intervals;
    /* internal buffers */
    void *buf_;
    size_t buf_size_;
} mon_group_detail_t;

/* One evaluated partition. */
typedef struct mon_part_eval_s {
    const char *topic; /* strings point into the owning eval */
    int32_t partition;
    const char *owner;     /* "" when unknown */
    const char *client_id; /* "" when unknown */
    const char *member_id; /* "" when unknown (see mon_part_detail_t) */
    ev_result_t result;
    bool time_lag_exact; /* result.time_lag_s is from the timestamp of the
                            record at the committed offset (a source told
                            it), not interpolated over the head samples */
    int entry_count;     /* entries in the window */
    ev_entry_t first;    /* oldest entry (Burrow's start), when count>0 */
    ev_entry_t last;     /* newest entry (Burrow's end), when count>0 */
    /* retention risk (ev_retention.h): log start, margin, eta, data loss
     * (which result shows as ERR, rule data-loss), and the topic's
     * retention.ms / retention.bytes (-1 unlimited, EV_RETENTION_UNKNOWN
     * not read) */
    ev_retention_t retention;
    int64_t retention_ms;
    int64_t retention_bytes;
} mon_part_eval_t;

/* A group evaluated at one instant. status is EV_NOTFOUND (count 0) for an
 * unknown or expired group, else group.status. Partitions are sorted by
 * topic then partition; group.maxlag_index indexes parts. Zero-initialise
 * before first use; may be reused across calls (buffers are kept, so
 * repeated evaluation allocates nothing); free with mon_group_eval_free. */
typedef struct mon_group_eval_s {
    const char *cluster; /* points into buffers of this struct */
    const char *group;
    ev_status_t status;
    ev_group_t rollup;
    mon_part_eval_t *parts;
    size_t count;
    int64_t now_ms;
    int64_t last_commit_ms;
    ev_rules_t rules; /* the rule set that evaluated it */
    /* internal buffers */
    void *buf_;
    size_t buf_size_;
} mon_group_eval_t;

/* One history sample of a group (mon_history.h). */
typedef struct mon_hsample_s {
    int64_t t;      /* ms since the epoch (first time seen) */
    int64_t t_last; /* last time the same values were seen */
    int64_t totallag;
    int64_t maxlag;
    double max_time_lag_s;
    ev_status_t status;
} mon_hsample_t;

/* A group's rebalances, oldest first (mon_history_rebalances). */
typedef struct mon_hrebalances_s {
    ev_rebalance_t **v; /* each one allocation with its members and strings */
    size_t n;
} mon_hrebalances_t;

/* Frees a copy and zeroes it; NULL is fine. */
void mon_hrebalances_free(mon_hrebalances_t *r);

/* A group's rebalance counters (mon_history_rebalance_stats). */
typedef struct mon_hrebalance_stats_s {
    uint64_t total;
    uint64_t by_deployment[EV_DEPLOY_CANARY + 1]; /* [EV_DEPLOY_NONE]: none */
    int64_t last_ms; /* the newest rebalance's time */
} mon_hrebalance_stats_t;

/* One partition assigned to a member. */
typedef struct mon_member_tp_s {
    const char *topic;
    int32_t partition;
} mon_member_tp_t;

/* One member of a consumer group, as its coordinator describes it.
 * Strings are never NULL ("" when unknown). */
typedef struct mon_member_s {
    const char *member_id;   /* Kafka's member id (kafka-lag-exporter's
                              * consumer_id) */
    const char *instance_id; /* group.instance.id (static membership) */
    const char *client_id;
    const char *host; /* client host, as the coordinator saw it */
    const mon_member_tp_t *assigned;
    size_t n_assigned;
} mon_member_t;

/* A group's state and membership as a source last described it
 * (DescribeGroups, a group metadata record of __consumer_offsets, the
 * embedded coordinators). Members are sorted by member id, each one's
 * assignment by topic then partition. Zero-initialise; a copy made by
 * mon_group_members_copy owns one buffer, freed with
 * mon_group_members_free; one filled by a source may borrow everything. */
typedef struct mon_group_members_s {
    const char *state;         /* "Stable", "PreparingRebalance",
                                * "CompletingRebalance", "Empty", "Dead",
                                * "" when unknown */
    const char *protocol_type; /* "consumer", "" when unknown */
    const char *protocol;      /* the assignor ("range", ...), "" */
    int32_t generation;        /* -1 when the source cannot tell */
    int64_t t_ms;              /* when the source described it */
    int64_t since_ms;          /* when this member set was first seen (the
                                * store fills it: the newest membership change) */
    const mon_member_t *members;
    size_t count;
    /* internal (copies only): the buffer, and every assignment as
     * {topic, partition, member index} sorted, for _owner */
    void *buf_;
    const void *idx_;
    size_t n_idx_;
} mon_group_members_t;

/* Deep-copies *src into *dst (whose previous copy is freed), sorting
 * members and assignments; the copy owns one allocation. */
void mon_group_members_copy(mon_group_members_t *dst,
                            const mon_group_members_t *src);

/* Frees a copy's buffer and zeroes it; NULL is fine. */
void mon_group_members_free(mon_group_members_t *m);

/* Whether a and b hold the same members (ids) with the same
 * assignments: the member set a generation is made of. Both sorted. */
bool mon_group_members_same(const mon_group_members_t *a,
                            const mon_group_members_t *b);

/* Whether m is settled between rebalances: state Stable, Empty or Dead,
 * or "" (a source that cannot tell). Mid-rebalance states
 * (PreparingRebalance, CompletingRebalance) list members without their
 * final assignment. */
bool mon_group_members_settled(const mon_group_members_t *m);

/* The member of m assigned topic/partition, or NULL. O(log n) on a copy,
 * a scan on a borrowed description. */
const mon_member_t *mon_group_members_owner(const mon_group_members_t *m,
                                            const char *topic,
                                            int32_t partition);

/* Frees the names and resets *names; NULL is fine. */
void mon_store_names_free(mon_store_names_t *names);

/* Frees the buffers of *d and zeroes it; NULL is fine. */
void mon_group_detail_free(mon_group_detail_t *d);

/* Frees the buffers of *ev and zeroes it; NULL is fine. */
void mon_group_eval_free(mon_group_eval_t *ev);

/* The partition that explains a group's status: the first whose status
 * gives the group's (ev_group_status_of), or the max-lag one for OK; NULL
 * for a group without partitions. */
const mon_part_eval_t *mon_group_eval_decider(const mon_group_eval_t *ev);

#endif
