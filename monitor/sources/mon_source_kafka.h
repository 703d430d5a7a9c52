/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_kafka: the source that watches an Apache Kafka cluster
 * through librdkafka and writes head offsets and commits into the store.
 *
 * One thread per [cluster] with source = kafka. Every offset-refresh it
 * reads the latest offset of every partition of every wanted topic with
 * one ListOffsets request per leader broker (the brokers are asked in
 * parallel), and, every topic-refresh (or after a partition error), the
 * topics and partition counts from metadata; a topic that disappears is
 * deleted from the store. Committed offsets come one of two ways:
 *
 *  - offsets = admin: the groups are listed (ListConsumerGroups) or, where
 *    a broker cannot list them, taken from the `groups =` list; then each
 *    group's committed offsets are fetched (ListConsumerGroupOffsets, at
 *    most MON_SOURCE_KAFKA_INFLIGHT requests in flight). When groups can
 *    be listed, a fetch asks for all of a group's partitions; when not
 *    (librdkafka's mock cluster answers neither ListGroups nor a fetch for
 *    "all partitions"), the partitions are named from metadata: every
 *    partition of the topics a group is known to commit to, plus a
 *    budgeted probe of the other topics (partition 0 of each first, then
 *    every partition) that finds new ones. The API gives no commit times,
 *    so a commit is recorded only when a group's offset changes, stamped
 *    with the wall-clock time it was first seen; a group the fetch finds
 *    with committed offsets is marked alive in the store
 *    (mon_store_group_seen) on every refresh, so one whose offsets do not
 *    change (caught up on an idle topic, stalled) never expires while the
 *    cluster keeps its offsets.
 *  - offsets = offsets-topic (Burrow's way): __consumer_offsets is read
 *    from the beginning with a fixed group id that never commits
 *    (rd_kafka_assign at OFFSET_BEGINNING), decoded with mon_kdecode;
 *    commits carry the record's commit timestamp and the owner (client
 *    host and id) from the group's latest metadata; a group tombstone
 *    deletes the group, offset tombstones that empty a group's topic
 *    delete that topic from the group; unknown record versions are
 *    counted as warnings. Nothing is sized from a record: it is decoded
 *    within offsets-max-name, -members and -assigned, and a commit or an
 *    assignment counts only for a partition metadata knows (topics it
 *    does not know are passed over); a record beyond any of these is
 *    skipped, counted (records_skipped) and logged once a minute with
 *    its partition and offset.
 *
 * Topics named "__*" are internal and skipped unless internal-topics is
 * set; topic and group allow/deny lists apply. Every kafka.<property> is
 * passed to rd_kafka_conf_set as is, after Warren's defaults
 * (client.id=warren, isolation.level=read_uncommitted so heads are high
 * watermarks like Burrow's), so the file can override them.
 *
 * Failure: a refresh in which a broker, the metadata or a group's
 * coordinator could not be reached marks the cluster unavailable with the
 * error and its time. Groups whose coordinator (the leader of their
 * __consumer_offsets partition) just failed are not asked that refresh:
 * librdkafka 2.0 aborts the process on a coordinator request that cannot
 * be sent (librdkafka issues 3663, 4605). The store keeps everything it
 * has; status().stale tells the daemon not to trust STOP while the source
 * is blind (keep the last evaluation); refreshes go on and the cluster
 * becomes available again by itself.
 *
 * Assumption: the configuration outlives the source (it is immutable and
 * owned by main). Locks: src->lock guards the status copy and the stop
 * flag's condition variable; everything else belongs to the source thread.
 */
#ifndef MON_SOURCE_KAFKA_H
#define MON_SOURCE_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/config/mon_config.h"
#include "monitor/sources/mon_source.h"
#include "monitor/store/mon_store.h"

/* ListConsumerGroupOffsets requests in flight at once. */
#define MON_SOURCE_KAFKA_INFLIGHT 64
/* Partitions named in one ListConsumerGroupOffsets request. */
#define MON_SOURCE_KAFKA_CHUNK 500
/* Partitions probed per refresh for groups that cannot be listed. */
#define MON_SOURCE_KAFKA_PROBE_BUDGET 100000

typedef struct mon_source_kafka_s mon_source_kafka_t;

/* A copy of the source's state for the API and tests. Times are wall
 * clock ms since the epoch (0 = never); durations are ms. */
typedef struct mon_source_kafka_status_s {
    bool running;         /* the thread is started */
    bool available;       /* the last refresh reached everything */
    bool stale;           /* don't trust STOP: unavailable, or no full
                           * refresh for 2 offset-refresh + timeout */
    char last_error[256]; /* "" = none yet */
    int64_t last_error_ms;
    int64_t last_refresh_ms;      /* end of the last refresh */
    int64_t last_success_ms;      /* end of the last complete refresh */
    int64_t unavailable_since_ms; /* 0 while available */
    int64_t last_refresh_duration_ms;
    int64_t last_metadata_duration_ms;
    int64_t last_heads_duration_ms;
    int64_t last_commits_duration_ms;
    uint64_t refreshes;
    uint64_t failed_refreshes;
    uint64_t requests_sent; /* protocol requests issued, total */
    uint64_t last_refresh_requests;
    int32_t brokers;    /* from the last metadata */
    int32_t topics;     /* wanted topics */
    int64_t partitions; /* partitions of wanted topics */
    int64_t heads_last_refresh;
    int32_t groups;          /* groups polled (admin) or seen (topic) */
    bool groups_listed;      /* admin: ListConsumerGroups works */
    int64_t probes_pending;  /* admin, named mode: topics left to probe */
    uint64_t heads_recorded; /* head offsets written to the store */
    uint64_t commits_recorded;
    uint64_t records_read;           /* offsets-topic records */
    uint64_t decode_warnings;        /* unknown versions skipped */
    uint64_t decode_errors;          /* malformed records */
    uint64_t records_skipped;        /* records over a bound (offsets-max-*, or
                                      * a partition beyond its topic's count) */
    int64_t last_stamps_duration_ms; /* reading the records groups wait on */
    int64_t stamps_last_refresh;     /* record times told the store (read or
                                        cached) in the last refresh */
    int64_t last_describe_duration_ms; /* admin: DescribeConsumerGroups of
                                        * the last refresh (within
                                        * last_commits_duration_ms) */
    int64_t groups_described; /* admin: groups it described (0 while the
                               * brokers cannot describe groups) */
} mon_source_kafka_status_t;

/* Checks cfg without making a client: source = kafka with servers, and
 * every kafka.* property as rd_kafka_conf_set takes it. Returns 0, or -1
 * with errstr naming the property ("kafka.x: why"). */
int mon_source_kafka_check(const mon_config_cluster_t *cfg, char *errstr,
                           size_t errstr_size);

/* Builds a source for cfg (source = kafka) writing into the store's
 * cluster named cfg->name, and creates its librdkafka clients (which
 * checks every kafka.* property). Returns NULL with errstr set: a bad
 * property names it ("kafka.sasl.mechanism: ..."). Nothing runs until
 * mon_source_kafka_start. cfg and st must outlive the source. */
mon_source_kafka_t *mon_source_kafka_new(const mon_config_cluster_t *cfg,
                                         mon_store_t *st, char *errstr,
                                         size_t errstr_size);

/* Starts the source thread; the first refresh begins at once. Returns 0,
 * or -1 with errstr set (thread creation failed, already started). */
int mon_source_kafka_start(mon_source_kafka_t *src, char *errstr,
                           size_t errstr_size);

/* Stops the thread and waits for it (at most about one request timeout,
 * 2..10 s, when a request is outstanding). Safe to call twice or on a
 * source never started. Call from the thread that started it. */
void mon_source_kafka_stop(mon_source_kafka_t *src);

/* Stops the source if needed and frees it; NULL is fine. */
void mon_source_kafka_destroy(mon_source_kafka_t *src);

/* Copies the status into *out, with stale computed at now_ms (wall clock
 * ms). Thread-safe: takes src->lock briefly. */
void mon_source_kafka_status(mon_source_kafka_t *src, int64_t now_ms,
                             mon_source_kafka_status_t *out);

/* Whether a status copied at now_ms means "don't trust STOP": the
 * cluster is unavailable, or had no complete refresh for 2 offset-refresh
 * + the request timeout. Pure. */
bool mon_source_kafka_stale(const mon_config_cluster_t *cfg,
                            const mon_source_kafka_status_t *s, int64_t now_ms);

/* The daemon's view (mon_source.h) of a status: kind "kafka",
 * last_refresh_ms the last complete refresh, events = heads + commits
 * recorded. Pure. */
void mon_source_kafka_status_view(const mon_source_kafka_status_t *s,
                                  mon_source_status_t *out);

/* True when cfg watches groups by listing them (offsets = admin) and the
 * brokers refused ListGroups at the last refresh (s->groups_listed false
 * after one). Pure. */
bool mon_source_kafka_cannot_list(const mon_config_cluster_t *cfg,
                                  const mon_source_kafka_status_t *s);

/* The cluster's clock given the wall clock: while the status is stale,
 * it stops at the last complete refresh, so groups keep the evaluation
 * they had then (marked stale in the API) instead of turning STOP because
 * the monitor went blind. Pure. */
int64_t mon_source_kafka_clock(const mon_source_kafka_status_t *s,
                               int64_t wall);

/* The timeout of one request: offset-refresh within 2..10 s. Pure. */
int mon_source_kafka_timeout_ms(const mon_config_cluster_t *cfg);

struct mon_kframe_op_s;
/* Hears every store write the store took (heads and commits stored or
 * merged; group-seen marks and deletions always), on the source thread,
 * in the order they were made; op and its strings are valid during the
 * call only. */
typedef void (*mon_source_kafka_forward_fn)(void *opaque,
                                            const struct mon_kframe_op_s *op);

/* Sets the forward hook (NULL: none), before mon_source_kafka_start. The
 * child process of mon_source_kafka_proc uses it to send its writes. */
void mon_source_kafka_set_forward(mon_source_kafka_t *src,
                                  mon_source_kafka_forward_fn fn, void *opaque);

/* The daemon's view of src (mon_source.h): start, stop, destroy (frees
 * src), status (kind "kafka"; stale at the wall clock; last_refresh_ms is
 * the last complete refresh; events = heads + commits recorded); now is
 * the wall clock, or the time of the last complete refresh while the
 * source is stale (so no group turns STOP because the monitor is blind). The
 * table lives inside src: never free it separately. mon_service_kafka_source()
 * can be: new, then return this. */
mon_source_t *mon_source_kafka_base(mon_source_kafka_t *src);

#endif
