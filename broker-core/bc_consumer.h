/* SPDX-License-Identifier: Apache-2.0 */
/* bc_consumer: a consumer with Kafka's semantics over the embedded broker.
 *
 * A consumer reads records from partitions of a bc_broker_t either
 * group-managed (subscribe: bc_coord decides which partitions it owns and
 * moves them on rebalances) or manually (assign: a fixed list). It keeps,
 * per partition, a position: the offset of the next record poll() will
 * return. Committing stores positions as the group's committed offsets in
 * bc_offsets (__consumer_offsets), which is where a restarted or new
 * consumer of the group starts; without a committed offset
 * auto.offset.reset decides: earliest (log start), latest (log end,
 * Kafka's default) or none (poll fails with BC_CONSUMER_ERR_NO_OFFSET; the
 * consumer never guesses).
 *
 * Threads. Like Kafka's, the consumer has a background thread. It is the
 * Fetcher: it reads batches ahead of poll() into an in-memory queue
 * (bounded by queued_max_bytes), woken by appends to the broker. It also
 * sends heartbeats every heartbeat_interval_ms, runs commit_async
 * requests, and leaves the group if poll() is not called for
 * max_poll_interval_ms. poll() only takes records from the queue. The
 * rebalance protocol runs inside poll(): when a heartbeat reports a
 * rebalance, the next poll() commits (if auto-commit is on), calls the
 * rebalance callback with BC_CONSUMER_REVOKED (the application may commit
 * there: the coordinator still accepts commits of the old generation),
 * rejoins, waits for the new assignment and calls BC_CONSUMER_ASSIGNED.
 * A member the coordinator removed (session timeout) gets
 * BC_CONSUMER_LOST instead of REVOKED: its partitions already belong to
 * someone else, and a commit would fail.
 *
 * Delivery is at-least-once: records returned by poll() but not committed
 * when a consumer dies (or is removed after session_timeout_ms) are
 * delivered again to the partition's next owner, which starts at the last
 * committed offset. With auto-commit the window is at most
 * auto_commit_interval_ms of records; committing in the REVOKED callback
 * closes it for orderly rebalances.
 *
 * Time. Auto-commit, heartbeats, max.poll.interval and commit timestamps
 * use conf.clock (default: the wall clock, ms since the epoch), which
 * tests replace to drive time by hand; poll() timeouts are real time.
 *
 * Thread-safety (per call, also repeated at each function):
 * - bc_consumer_poll, bc_consumer_subscribe, bc_consumer_assign,
 *   bc_consumer_seek, bc_consumer_close: one application thread at a time
 *   (Kafka's consumer is single-threaded too); callbacks run on it.
 * - bc_consumer_commit_sync, bc_consumer_commit_async,
 *   bc_consumer_position, bc_consumer_committed, bc_consumer_assignment,
 *   bc_consumer_member_id: any thread, including from callbacks.
 * - bc_consumer_wakeup: any thread, any time (it takes the consumer
 *   mutex briefly, so not from a signal handler).
 * Locking inside: one mutex guards all consumer state; it is never held
 * while calling the broker, the coordinator, bc_offsets or a callback,
 * and the broker's append listener takes it after the broker's log mutex.
 */
#ifndef BC_CONSUMER_H
#define BC_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_assign.h"
#include "broker-core/bc_broker.h"
#include "broker-core/bc_coord.h"
#include "broker-core/bc_group.h"
#include "broker-core/bc_offsets.h"

/* Consumer error codes (negative; -40..-49, apart from bc_err.h's and
 * bc_coord.h's). Commits also return bc_coord.h's UNKNOWN_MEMBER and
 * ILLEGAL_GENERATION (Kafka's CommitFailedException). */
enum {
    BC_CONSUMER_ERR_WAKEUP = -40,       /* wakeup() interrupted/preceded poll */
    BC_CONSUMER_ERR_NO_OFFSET = -41,    /* reset=none and nothing committed */
    BC_CONSUMER_ERR_OUT_OF_RANGE = -42, /* reset=none, position invalid */
    BC_CONSUMER_ERR_CLOSED = -43,       /* the consumer was closed */
    BC_CONSUMER_ERR_STATE = -44         /* not subscribed/assigned, no group */
};

typedef enum bc_consumer_reset_e {
    BC_CONSUMER_RESET_LATEST = 0, /* Kafka's default */
    BC_CONSUMER_RESET_EARLIEST = 1,
    BC_CONSUMER_RESET_NONE = 2
} bc_consumer_reset_t;

typedef enum bc_consumer_rebalance_e {
    BC_CONSUMER_REVOKED = 0,  /* onPartitionsRevoked: commit now */
    BC_CONSUMER_ASSIGNED = 1, /* onPartitionsAssigned */
    BC_CONSUMER_LOST = 2      /* onPartitionsLost: owned elsewhere already */
} bc_consumer_rebalance_t;

typedef struct bc_consumer_s bc_consumer_t;

/* One committed (or to-be-committed) position. */
typedef struct bc_consumer_offset_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
} bc_consumer_offset_t;

/* Rebalance callback (ConsumerRebalanceListener); runs on the thread in
 * poll()/close(), without consumer locks, and may call commit_sync. tps
 * is valid for the call only. */
typedef void (*bc_consumer_rebalance_fn)(bc_consumer_t *c,
                                         bc_consumer_rebalance_t kind,
                                         const bc_group_tp_t *tps, size_t n,
                                         void *opaque);

/* Completion of an asynchronous (or automatic) commit: err is 0 or the
 * failure; offsets are valid for the call only. Runs on the thread in
 * poll(), commit_sync() or close(), never on the background thread. */
typedef void (*bc_consumer_commit_fn)(bc_consumer_t *c, int err,
                                      const bc_consumer_offset_t *offsets,
                                      size_t n, void *opaque);

/* Milliseconds; the default is the wall clock. Must be thread-safe. */
typedef int64_t (*bc_consumer_clock_fn)(void *opaque);

typedef struct bc_consumer_conf_s {
    const char *group_id;    /* group.id; NULL only for assign() without
                                commits */
    const char *client_id;   /* client.id; NULL = "consumer-<group>-<n>" */
    const char *client_host; /* shown as the owner's host; "/127.0.0.1" */
    int enable_auto_commit;  /* enable.auto.commit, 1 */
    int32_t auto_commit_interval_ms;       /* auto.commit.interval.ms, 5000 */
    bc_consumer_reset_t auto_offset_reset; /* auto.offset.reset, latest */
    int32_t session_timeout_ms;            /* session.timeout.ms, 45000 */
    int32_t heartbeat_interval_ms;         /* heartbeat.interval.ms, 3000 */
    int32_t max_poll_interval_ms;          /* max.poll.interval.ms, 300000 */
    int32_t max_poll_records;              /* max.poll.records, 500 */
    int32_t max_partition_fetch_bytes; /* max.partition.fetch.bytes, 1 MiB */
    int64_t queued_max_bytes;          /* prefetch bound, 64 MiB: every
                                          byte the queue holds (fetched
                                          batches, their record arrays,
                                          bookkeeping); the fetcher stops
                                          at it, so it is passed by at most
                                          one fetch */
    bc_assign_strategy_t strategy;     /* partition.assignment.strategy,
                                          range */
    bc_consumer_rebalance_fn rebalance_cb; /* may be NULL */
    void *rebalance_opaque;
    bc_consumer_commit_fn commit_cb; /* default for async/auto commits */
    void *commit_opaque;
    bc_consumer_clock_fn clock; /* NULL = wall clock */
    void *clock_opaque;
} bc_consumer_conf_t;

/* One record returned by poll(). topic lives as long as the consumer;
 * key/value live in the bc_consumer_records_t. key_len/value_len -1 =
 * null. */
typedef struct bc_consumer_record_s {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
} bc_consumer_record_t;

/* What one poll() returned: one malloc'd block (free with
 * bc_consumer_records_free). */
typedef struct bc_consumer_records_s {
    size_t cnt;
    bc_consumer_record_t recs[];
} bc_consumer_records_t;

/* Kafka's consumer defaults (see bc_consumer_conf_t). */
bc_consumer_conf_t bc_consumer_conf_default(void);

/* Creates a consumer reading from `broker`, in groups of `coord`,
 * committing to `off` (coord and off may be NULL for an assign-only
 * consumer without commits). Strings in conf are copied. Starts the
 * background thread. Returns NULL with errstr filled for a bad conf. The
 * broker, coordinator and table must outlive the consumer. */
bc_consumer_t *bc_consumer_new(const bc_consumer_conf_t *conf,
                               bc_broker_t *broker, bc_coord_t *coord,
                               bc_offsets_t *off, char *errstr,
                               size_t errstr_size);

/* Closes (if not yet closed) and frees. NULL is fine. Application
 * thread. */
void bc_consumer_destroy(bc_consumer_t *c);

/* Subscribes to topics (group-managed; replaces an earlier subscription
 * or assignment). The group is joined on the next poll(). Returns 0,
 * BC_CONSUMER_ERR_STATE without group.id or coordinator, BC_ERR_INVALID
 * for an empty list. Application thread. */
int bc_consumer_subscribe(bc_consumer_t *c, const char *const *topics, size_t n,
                          char *errstr, size_t errstr_size);

/* Assigns partitions manually (no group membership; replaces any
 * subscription, leaving the group). Positions start at the group's
 * committed offsets, else auto.offset.reset. Returns 0, BC_ERR_NOT_FOUND
 * for a partition the broker does not have. Application thread. */
int bc_consumer_assign(bc_consumer_t *c, const bc_group_tp_t *tps, size_t n,
                       char *errstr, size_t errstr_size);

/* Returns up to max_poll_records records in *out (NULL when none arrived
 * within timeout_ms) and advances the positions past them. Runs
 * auto-commit, rebalances, and pending commit callbacks. Returns 0;
 * BC_CONSUMER_ERR_WAKEUP after wakeup(); BC_CONSUMER_ERR_NO_OFFSET or
 * BC_CONSUMER_ERR_OUT_OF_RANGE with reset=none (errstr names the
 * partition); BC_CONSUMER_ERR_STATE when neither subscribed nor assigned;
 * BC_CONSUMER_ERR_CLOSED. Application thread. */
int bc_consumer_poll(bc_consumer_t *c, int timeout_ms,
                     bc_consumer_records_t **out, char *errstr,
                     size_t errstr_size);

/* Frees a poll() result; NULL is fine. */
void bc_consumer_records_free(bc_consumer_records_t *recs);

/* Commits `offsets` (NULL: the current position of every assigned
 * partition) now and waits. Returns 0, BC_COORD_ERR_UNKNOWN_MEMBER /
 * BC_COORD_ERR_ILLEGAL_GENERATION when the group moved on (nothing
 * stored), BC_CONSUMER_ERR_STATE without group, or bc_offsets' error.
 * Commits queued by commit_async run first, so they never overwrite this
 * one (their callbacks still come from poll/close). Any thread. */
int bc_consumer_commit_sync(bc_consumer_t *c,
                            const bc_consumer_offset_t *offsets, size_t n,
                            char *errstr, size_t errstr_size);

/* Queues a commit of `offsets` (NULL: current positions) for the
 * background thread and returns at once; cb (NULL: conf.commit_cb) is
 * called with the outcome from a later poll(), commit_sync() or close().
 * Returns 0 or BC_CONSUMER_ERR_STATE / BC_CONSUMER_ERR_CLOSED. Any
 * thread. */
int bc_consumer_commit_async(bc_consumer_t *c,
                             const bc_consumer_offset_t *offsets, size_t n,
                             bc_consumer_commit_fn cb, void *opaque);

/* Makes the poll() blocked now, or the next one, return
 * BC_CONSUMER_ERR_WAKEUP. Any thread. */
void bc_consumer_wakeup(bc_consumer_t *c);

/* Moves the position of an assigned partition; queued records of it are
 * dropped. Returns 0 or BC_ERR_NOT_FOUND (not assigned). Application
 * thread. */
int bc_consumer_seek(bc_consumer_t *c, const char *topic, int32_t partition,
                     int64_t offset);

/* The position of an assigned partition (-1 while not yet known): 0 or
 * BC_ERR_NOT_FOUND. Any thread. */
int bc_consumer_position(bc_consumer_t *c, const char *topic, int32_t partition,
                         int64_t *offset);

/* The group's committed offset of a partition: 0, or BC_ERR_NOT_FOUND
 * (*offset = -1). Any thread. */
int bc_consumer_committed(bc_consumer_t *c, const char *topic,
                          int32_t partition, int64_t *offset);

/* Copy of the current assignment: malloc'd array (topics in the same
 * block, one free()). Any thread. */
bc_group_tp_t *bc_consumer_assignment(bc_consumer_t *c, size_t *n);

/* The member id given by the coordinator ("" before joining) into buf
 * (BC_COORD_MEMBER_ID_SIZE); returns the generation (-1 if none). Any
 * thread. */
int32_t bc_consumer_member_id(bc_consumer_t *c, char *buf, size_t size);

/* Commits positions if auto-commit is on, runs pending commit callbacks,
 * calls REVOKED for the assignment, leaves the group at once (no session
 * timeout to wait for) and stops the background thread. Returns 0 or the
 * auto-commit's error (the consumer is closed either way). Application
 * thread; later calls except destroy return BC_CONSUMER_ERR_CLOSED. */
int bc_consumer_close(bc_consumer_t *c, char *errstr, size_t errstr_size);

/* Bytes the prefetch queue holds now, as queued_max_bytes counts them
 * (the memory the queue has allocated, allocator overhead included). Any
 * thread. */
int64_t bc_consumer_queued_bytes(bc_consumer_t *c);

/* A static name of a consumer, coordinator or bc_err code. */
const char *bc_consumer_err2str(int err);

#endif
