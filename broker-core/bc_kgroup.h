/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kgroup: the group coordinator of the wire protocol (Kafka's classic
 * JoinGroup/SyncGroup protocol, assignors run by the clients).
 *
 * bc_coord runs Warren's own assignors in-process; Kafka clients bring
 * their own (range, roundrobin, cooperative-sticky, KafkaJS's), and the
 * broker only relays opaque bytes: each member's subscription metadata
 * for every protocol it offers goes to the elected leader in the
 * JoinGroup response, and the leader's SyncGroup hands back one opaque
 * assignment per member. This module keeps that state machine as Kafka's
 * GroupCoordinator does:
 *
 *   Empty --join--> PreparingRebalance --all joined / rebalance timeout-->
 *   CompletingRebalance --leader's SyncGroup--> Stable
 *
 * A join by a new member, a changed subscription, a leave and a member
 * silent for its session timeout send a Stable or CompletingRebalance
 * group back to PreparingRebalance; heartbeats then answer
 * REBALANCE_IN_PROGRESS and the clients rejoin. The join phase ends when
 * every member has rejoined or the largest rebalance timeout passed (the
 * others are removed); the protocol is the one all members support that
 * most members list first; the generation is bumped. Members are
 * dynamic (a group.instance.id is kept and shown, not used).
 *
 * JoinGroup and SyncGroup answers may wait for other members, so both
 * complete through callbacks: the caller passes an opaque `waiter` and
 * the module calls join_done/sync_done exactly once for it, maybe from
 * inside the same call, maybe from a later one (another member's join,
 * bc_kgroup_tick); bc_kgroup_cancel forgets a waiter whose connection
 * closed. Every transition to Stable or Empty appends a GroupMetadata
 * record (key version 2, value version 3, Kafka's layout, below) to the
 * group's partition of __consumer_offsets, so owners are visible to any
 * reader of that topic; bc_offsets skips such records when loading.
 *
 *   KEY (GroupMetadataKey, version 2)
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     key version = 2
 *   2       2+G   group id (string)
 *
 *   VALUE (GroupMetadataValue, version 3)
 *   FIELD                    TYPE
 *   version                  int16 = 3
 *   protocol_type            string
 *   generation               int32
 *   protocol                 nullable string
 *   leader                   nullable string
 *   current_state_timestamp  int64 (ms since the epoch)
 *   members                  int32 count, then each:
 *     member_id              string
 *     group_instance_id      nullable string
 *     client_id              string
 *     client_host            string
 *     rebalance_timeout      int32
 *     session_timeout        int32
 *     subscription           bytes (metadata of the chosen protocol)
 *     assignment             bytes
 *
 * On start, bc_kgroup_load reads these records back (the last one of a
 * group wins, a null value deletes it), as Kafka's GroupMetadataManager
 * loads a coordinator partition: a group comes back Empty or Stable with
 * its generation, protocol, leader, members and their assignments, each
 * member heard from at load time. A member that reconnects heartbeats on
 * in its generation without a rebalance; one that does not come back is
 * expired after its session timeout like any silent member.
 *
 * Time: calls take now_ms. Locking: one mutex guards every group; the
 * callbacks run with it held and must not call back into the module.
 */
#ifndef BC_KGROUP_H
#define BC_KGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_kreq.h"
#include "broker-core/bc_offsets.h"

typedef struct bc_kgroup_s bc_kgroup_t;

/* One member as the leader sees it in a JoinGroup response. */
typedef struct bc_kgroup_join_member_s {
    const char *member_id;
    const char *group_instance_id;
    const uint8_t *metadata;
    int32_t metadata_len;
} bc_kgroup_join_member_t;

/* A JoinGroup answer; everything is borrowed for the callback. */
typedef struct bc_kgroup_join_result_s {
    int16_t error;
    int32_t generation;
    const char *protocol;
    const char *leader;
    const char *member_id;
    const bc_kgroup_join_member_t *members; /* leader only */
    int32_t member_cnt;
} bc_kgroup_join_result_t;

typedef void (*bc_kgroup_join_fn)(void *opaque, void *waiter,
                                  const bc_kgroup_join_result_t *res);
typedef void (*bc_kgroup_sync_fn)(void *opaque, void *waiter, int16_t error,
                                  const uint8_t *assignment, int32_t len);

typedef struct bc_kgroup_conf_s {
    bc_broker_t *broker;            /* for GroupMetadata records; may be NULL */
    bc_offsets_t *offsets;          /* partition count of __consumer_offsets */
    int32_t min_session_timeout_ms; /* 0 = 6000 */
    int32_t max_session_timeout_ms; /* 0 = 1800000 */
    /* group.initial.rebalance.delay.ms: an Empty group's first join
     * phase lasts until no new member has joined for this long, at most
     * the largest rebalance timeout (Kafka's InitialDelayedJoin, which
     * extends by a whole delay when members joined during one); 0 = none */
    int32_t initial_rebalance_delay_ms;
    bc_kgroup_join_fn join_done;
    bc_kgroup_sync_fn sync_done;
    void *opaque;
} bc_kgroup_conf_t;

/* One member of a description; owns its memory. */
typedef struct bc_kgroup_desc_member_s {
    char *member_id;
    char *group_instance_id; /* NULL when none */
    char *client_id;
    char *host;
    uint8_t *metadata; /* of the chosen protocol */
    int32_t metadata_len;
    uint8_t *assignment;
    int32_t assignment_len;
} bc_kgroup_desc_member_t;

/* A snapshot of one group. */
typedef struct bc_kgroup_desc_s {
    char *group;
    const char *state; /* Kafka's names: "Empty", "Stable", ... */
    char *protocol_type;
    char *protocol; /* "" before the first generation */
    char *leader;   /* "" when none */
    int32_t generation;
    bc_kgroup_desc_member_t *members;
    size_t member_cnt;
} bc_kgroup_desc_t;

/* New coordinator; never NULL (conf callbacks are required). */
bc_kgroup_t *bc_kgroup_new(const bc_kgroup_conf_t *conf);

/* Loads the groups of every GroupMetadata record in __consumer_offsets
 * (needs conf broker and offsets; call before serving). *groups (may be
 * NULL) is the number held afterwards, *skipped the malformed records
 * left out. Returns 0 or the log's read error (errstr filled). */
int bc_kgroup_load(bc_kgroup_t *kg, int64_t now_ms, size_t *groups,
                   size_t *skipped, char *errstr, size_t errstr_size);

/* Frees every group; pending waiters are dropped without callbacks.
 * NULL is fine. */
void bc_kgroup_destroy(bc_kgroup_t *kg);

/* JoinGroup. join_done(waiter) is called once, now or later. */
void bc_kgroup_join(bc_kgroup_t *kg, const bc_kreq_join_group_t *req,
                    const char *client_id, const char *host, void *waiter,
                    int64_t now_ms);

/* SyncGroup (assignments from the leader). sync_done(waiter) is called
 * once, now or later. */
void bc_kgroup_sync(bc_kgroup_t *kg, const bc_kreq_sync_group_t *req,
                    void *waiter, int64_t now_ms);

/* Heartbeat: 0, REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID (Kafka error codes). */
int16_t bc_kgroup_heartbeat(bc_kgroup_t *kg, const char *group,
                            const char *member_id, int32_t generation,
                            int64_t now_ms);

/* LeaveGroup of one member: 0 or UNKNOWN_MEMBER_ID. */
int16_t bc_kgroup_leave(bc_kgroup_t *kg, const char *group,
                        const char *member_id, int64_t now_ms);

/* May this OffsetCommit go ahead? A member with the current generation
 * (not while CompletingRebalance), or member "" with generation -1 when
 * the group has no members. Returns 0 or the Kafka error. A member's
 * commit counts as a heartbeat. */
int16_t bc_kgroup_check_commit(bc_kgroup_t *kg, const char *group,
                               const char *member_id, int32_t generation,
                               int64_t now_ms);

/* Forgets a waiter (its connection closed); no callback for it. */
void bc_kgroup_cancel(bc_kgroup_t *kg, void *waiter);

/* Wall time (ms) at which a held join phase (initial rebalance delay)
 * is due, for bc_kgroup_tick; INT64_MAX when none is held. */
int64_t bc_kgroup_next_due_ms(bc_kgroup_t *kg);

/* Expires silent members and overdue join phases (and ends held ones
 * that are due). Returns the number of members removed. */
int bc_kgroup_tick(bc_kgroup_t *kg, int64_t now_ms);

/* Snapshot of a group or NULL if unknown; free with bc_kgroup_desc_free. */
bc_kgroup_desc_t *bc_kgroup_describe(bc_kgroup_t *kg, const char *group,
                                     int64_t now_ms);
void bc_kgroup_desc_free(bc_kgroup_desc_t *d);

/* Names of known groups (malloc'd array of malloc'd strings, *n). */
char **bc_kgroup_list(bc_kgroup_t *kg, size_t *n);

/* Decodes a ConsumerProtocolAssignment (int16 version, array of topic
 * string + int32 partition array, user data bytes) calling fn for each
 * partition. topic is not NUL-terminated. Returns 0 or BC_ERR_CORRUPT.
 * Pure. */
typedef void (*bc_kgroup_tp_fn)(void *opaque, const char *topic,
                                size_t topic_len, int32_t partition);
int bc_kgroup_decode_assignment(const uint8_t *buf, size_t len,
                                bc_kgroup_tp_fn fn, void *opaque);

#endif
