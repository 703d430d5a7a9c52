/* SPDX-License-Identifier: Apache-2.0 */
/* bc_coord: the in-process group coordinator (Kafka's classic protocol).
 *
 * Consumers of a group join, heartbeat and leave here; the coordinator
 * decides who owns which partition. It follows Kafka's classic ("eager")
 * group protocol, minus the network:
 *
 * - A group is EMPTY (no members), PREPARING_REBALANCE (membership
 *   changed; every member must rejoin) or STABLE (every member knows its
 *   partitions for the current generation).
 * - A join by a new member, a leave, a member whose subscription changed,
 *   a member silent for its session timeout (session.timeout.ms, default
 *   45 s) and a change in a subscribed topic's partition count all start
 *   a rebalance. Existing members learn of it from their next heartbeat
 *   (BC_COORD_ERR_REBALANCE_IN_PROGRESS); they may still commit offsets
 *   for the generation they hold (Kafka allows commits while preparing),
 *   which is what lets a consumer commit in its "partitions revoked"
 *   callback before it gives the partitions up. Then they rejoin.
 * - The join phase ends when every member has rejoined, or when the
 *   rebalance timeout (the largest of the members' rebalance timeouts,
 *   max.poll.interval.ms, default 300 s) passes; members that did not
 *   rejoin by then are removed. The coordinator then runs the group's
 *   assignor (bc_assign; Kafka runs it on the leader member, in-process
 *   that makes no difference), bumps the generation and is STABLE.
 * - Commits and heartbeats must carry the member's current generation
 *   (ILLEGAL_GENERATION otherwise); a removed member gets UNKNOWN_MEMBER,
 *   so a zombie can neither heartbeat nor commit.
 *
 * Time: every call takes now_ms; nothing reads a clock. Expiry is lazy:
 * each call on a group first expires that group's silent members, and
 * bc_coord_tick() does it for all groups. Calls may come with clocks that
 * differ per caller (tests freeze one member's clock to simulate a hung
 * process); each member's last-heard time only moves forward.
 *
 * Locking: one mutex per coordinator guards every group and member in
 * it; all functions may be called from any thread. The partition-count
 * callback is called with that mutex held and must not call back into
 * the coordinator. A condition variable on the same mutex is signalled on
 * every group change, for bc_coord_wait().
 */
#ifndef BC_COORD_H
#define BC_COORD_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_assign.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_group.h"

/* Error codes (negative), named after Kafka's. They live in -20..-29 so
 * they never collide with bc_err.h's codes; a bad argument is
 * BC_ERR_INVALID from there. */
enum {
    BC_COORD_OK = 0,
    BC_COORD_ERR_UNKNOWN_MEMBER = -20,          /* UNKNOWN_MEMBER_ID */
    BC_COORD_ERR_ILLEGAL_GENERATION = -21,      /* ILLEGAL_GENERATION */
    BC_COORD_ERR_REBALANCE_IN_PROGRESS = -22,   /* rejoin needed */
    BC_COORD_ERR_INCONSISTENT_PROTOCOL = -23,   /* assignor differs */
    BC_COORD_ERR_INVALID_SESSION_TIMEOUT = -24, /* outside min..max */
    BC_COORD_ERR_JOIN_PENDING = -25,   /* joined; other members still due */
    BC_COORD_ERR_NON_EMPTY_GROUP = -26 /* delete of a group with members */
};

/* Longest member id, client id or host, without the NUL. */
#define BC_COORD_NAME_MAX 200
/* Member ids are "<client id>-<36-char uuid-like suffix>". */
#define BC_COORD_MEMBER_ID_SIZE (BC_COORD_NAME_MAX + 40)

typedef enum bc_coord_state_e {
    BC_COORD_EMPTY = 0,
    BC_COORD_PREPARING_REBALANCE = 1,
    BC_COORD_STABLE = 2
} bc_coord_state_t;

/* Partition count of `topic`, or -1 when the topic does not exist.
 * Called with the coordinator mutex held. */
typedef int32_t(bc_coord_partitions_cb)(void *opaque, const char *topic);

typedef struct bc_coord_conf_s {
    bc_coord_partitions_cb *partitions_cb; /* required */
    void *opaque;
    /* Kafka broker limits group.min/max.session.timeout.ms; 0 = default
     * (6000 and 1800000). */
    int32_t min_session_timeout_ms;
    int32_t max_session_timeout_ms;
} bc_coord_conf_t;

typedef struct bc_coord_s bc_coord_t;

/* A join request; strings are borrowed for the call. */
typedef struct bc_coord_join_s {
    const char *group;
    const char *member_id; /* NULL or "" for a new member */
    const char *client_id;
    const char *host;
    const char *const *topics;
    size_t topic_cnt;
    bc_assign_strategy_t strategy;
    int32_t session_timeout_ms;   /* 0 = 45000 */
    int32_t rebalance_timeout_ms; /* 0 = 300000 */
} bc_coord_join_t;

/* One member as a description shows it. */
typedef struct bc_coord_member_s {
    char *member_id;
    char *client_id;
    char *host;
    bc_group_tp_t *assignment; /* topics point into this description */
    size_t assignment_cnt;
} bc_coord_member_t;

/* A snapshot of one group; owns all its memory. */
typedef struct bc_coord_desc_s {
    char *group;
    bc_coord_state_t state;
    int32_t generation;
    const char *protocol; /* "range"/"roundrobin", static string */
    char *leader;         /* member id, NULL when empty */
    bc_coord_member_t *members;
    size_t member_cnt;
} bc_coord_desc_t;

/* Creates a coordinator. Returns NULL with errstr filled when conf lacks
 * the partition callback or has an inverted timeout range. */
bc_coord_t *bc_coord_new(const bc_coord_conf_t *conf, char *errstr,
                         size_t errstr_size);

/* Frees the coordinator and all groups; NULL is fine. No other thread may
 * use it any more. */
void bc_coord_destroy(bc_coord_t *coord);

/* Joins (or rejoins) req->group. A new member gets an id written to
 * member_id (BC_COORD_MEMBER_ID_SIZE bytes). Returns 0 when the group is
 * STABLE with this member in it (*generation set; fetch the assignment
 * with bc_coord_sync), BC_COORD_ERR_JOIN_PENDING when the member is in but
 * other members have yet to rejoin (call bc_coord_sync later), or another
 * BC_COORD_ERR_* code. @locks takes the coordinator mutex. */
int bc_coord_join(bc_coord_t *coord, const bc_coord_join_t *req, int64_t now_ms,
                  char *member_id, int32_t *generation);

/* The member's assignment for the current generation. On 0, *generation
 * is set and *tps a malloc'd array of *cnt partitions whose topic strings
 * live in the same block: one free(*tps) releases all. Returns
 * BC_COORD_ERR_JOIN_PENDING while others must still rejoin,
 * BC_COORD_ERR_REBALANCE_IN_PROGRESS when this member must rejoin first,
 * BC_COORD_ERR_UNKNOWN_MEMBER when it was removed. Counts as a heartbeat.
 * @locks takes the coordinator mutex. */
int bc_coord_sync(bc_coord_t *coord, const char *group, const char *member_id,
                  int64_t now_ms, int32_t *generation, bc_group_tp_t **tps,
                  size_t *cnt);

/* Heartbeat of a member holding `generation`. Returns 0, or
 * BC_COORD_ERR_REBALANCE_IN_PROGRESS (rejoin), ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER. Keeps the member alive even when it returns a rebalance.
 * @locks takes the coordinator mutex. */
int bc_coord_heartbeat(bc_coord_t *coord, const char *group,
                       const char *member_id, int32_t generation,
                       int64_t now_ms);

/* The member leaves at once (LeaveGroup); the others rebalance. Returns
 * 0 or BC_COORD_ERR_UNKNOWN_MEMBER. @locks takes the coordinator mutex. */
int bc_coord_leave(bc_coord_t *coord, const char *group, const char *member_id,
                   int64_t now_ms);

/* May this caller commit offsets for `group`? A member must hold the
 * current generation (commits are allowed while a rebalance is being
 * prepared); a caller with member_id NULL/"" and generation < 0 (manual
 * assignment) may commit only while the group has no members. Returns 0
 * or UNKNOWN_MEMBER / ILLEGAL_GENERATION. A member's commit counts as a
 * heartbeat, as in Kafka. @locks takes the coordinator mutex. */
int bc_coord_check_commit(bc_coord_t *coord, const char *group,
                          const char *member_id, int32_t generation,
                          int64_t now_ms);

/* Expires silent members and overdue rebalances in every group. Returns
 * the number of members removed. @locks takes the coordinator mutex. */
int bc_coord_tick(bc_coord_t *coord, int64_t now_ms);

/* Forgets an EMPTY group (its committed offsets live in bc_offsets and are
 * the caller's to delete). Returns 0, BC_COORD_ERR_NON_EMPTY_GROUP, or
 * BC_ERR_NOT_FOUND when the group is unknown. @locks mutex. */
int bc_coord_delete_group(bc_coord_t *coord, const char *group);

/* Snapshot of a group (after expiring its silent members at now_ms), or
 * NULL when the coordinator has never seen the group. Free it with
 * bc_coord_desc_free. @locks takes the coordinator mutex. */
bc_coord_desc_t *bc_coord_describe(bc_coord_t *coord, const char *group,
                                   int64_t now_ms);

/* Frees a description; NULL is fine. */
void bc_coord_desc_free(bc_coord_desc_t *desc);

/* The member of `desc` that owns topic/partition, or NULL. Pure. */
const bc_coord_member_t *bc_coord_desc_owner(const bc_coord_desc_t *desc,
                                             const char *topic,
                                             int32_t partition);

/* Names of all groups the coordinator knows, sorted: a malloc'd array of
 * malloc'd strings (*n entries); free with bc_coord_names_free.
 * @locks takes the coordinator mutex. */
char **bc_coord_list_groups(bc_coord_t *coord, size_t *n);

/* Frees what bc_coord_list_groups returned; NULL is fine. */
void bc_coord_names_free(char **names, size_t n);

/* Blocks up to timeout_ms of real time until some group changes after
 * *seq (a change counter; pass 0 first), and stores the new counter in
 * *seq. Returns 1 on a change, 0 on timeout. Used by consumers to wait
 * for a rebalance without spinning; decides nothing by time.
 * @locks waits on the coordinator condition variable. */
int bc_coord_wait(bc_coord_t *coord, uint64_t *seq, int timeout_ms);

/* The current change counter, for a later bc_coord_wait. */
uint64_t bc_coord_seq(bc_coord_t *coord);

/* Kafka's name for a code, e.g. "UNKNOWN_MEMBER_ID". */
const char *bc_coord_err2str(int err);

/* "Empty", "PreparingRebalance" or "Stable" (Kafka's state names). */
const char *bc_coord_state_name(bc_coord_state_t state);

#endif
