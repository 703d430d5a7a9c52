/* SPDX-License-Identifier: Apache-2.0 */
/* bc_broker: the embedded broker's handle: a data dir of topics.
 *
 * A data dir looks like Kafka's log.dir:
 *
 *   <data-dir>/.lock                      flock'ed while a broker has it open
 *   <data-dir>/topics/<topic>             topic configuration (bc_topic.h)
 *   <data-dir>/<topic>-<partition>/       one partition log (bc_log.h)
 *   <data-dir>/producer-id-block          the wire listener's producer ids
 *                                         handed out (bc_kpid.h)
 *
 * The broker owns one bc_log_t per partition, created with the topic and
 * opened (and recovered) by bc_broker_open. A deleted topic leaves the
 * table at once but its logs stay open until bc_broker_close, so a
 * bc_log_t* from bc_broker_log() stays valid until then. Nothing here reads a
 * clock: callers pass now_ms, and drive the periodic work (flush policy,
 * retention, compaction) with bc_broker_tick or bc_broker_maintain.
 *
 * A partition whose log is corrupt is handled as conf.on_corruption says:
 * the open fails (the default), the log is truncated (Kafka's recovery),
 * or the partition stays offline while the rest opens. An offline
 * partition has no log until the data dir is opened again (after `warren
 * broker repair`, say): bc_broker_log gives NULL, appends fail with
 * BC_ERR_OFFLINE, maintenance passes it by, and bc_broker_offline lists
 * it with the reason.
 *
 * Listeners hear about every append to every partition, whether it came
 * through bc_broker_append, a producer, or bc_log_append on a log obtained
 * here: (topic, partition, log-end offset, now_ms). They run on the
 * appending thread with that partition's log mutex held, so reports for
 * one partition arrive in order; a listener must be quick and must not
 * call back into that partition.
 *
 * Locking: a read-write lock guards the topic table (create/alter take it
 * for writing; lookups for reading); another guards the listener list;
 * each partition has its own log mutex (bc_log.h). Lock order: topic
 * table, then log, then listeners. Every function is thread-safe except
 * bc_broker_open/close.
 */
#ifndef BC_BROKER_H
#define BC_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_log.h"

typedef struct bc_broker_s bc_broker_t;

/* Receives one human-readable line about recovery or a skipped file. */
typedef void (*bc_broker_msg_fn)(void *opaque, const char *msg);

/* Hears about every append (see above). */
typedef void (*bc_broker_listener_fn)(void *opaque, const char *topic,
                                      int32_t partition, int64_t log_end_offset,
                                      int64_t now_ms);

/* What bc_broker_open does with a partition whose log is corrupt: a bad
 * batch with valid data after it, or in a segment that is not the last
 * (bc_log.h; a torn tail is truncated in every mode), or a log that cannot
 * be read. */
typedef enum bc_on_corruption_e {
    BC_CORRUPTION_REFUSE = 0,   /* the open fails naming the file and byte;
                                   nothing on disk is changed */
    BC_CORRUPTION_TRUNCATE = 1, /* Kafka's recovery: the log is cut at the
                                   first bad batch and later segments are
                                   deleted (data loss, reported) */
    BC_CORRUPTION_OFFLINE = 2   /* that partition stays offline (no log;
                                   reads and writes fail with
                                   BC_ERR_OFFLINE), its files untouched; the
                                   others open */
} bc_on_corruption_t;

typedef struct bc_broker_conf_s {
    int create_if_missing;            /* mkdir -p the data dir, default 0 */
    bc_on_corruption_t on_corruption; /* default BC_CORRUPTION_REFUSE */
    int verify;                       /* re-validate every segment of every log,
                                         even after a clean shutdown (repair) */
    bc_log_config_t defaults; /* config of topics created with NULL cfg */
    int64_t retention_check_interval_ms; /* log.retention.check.interval.ms,
                                            300000; used by tick */
    int64_t cleaner_backoff_ms;          /* log.cleaner.backoff.ms, 15000 */
    bc_broker_msg_fn msg_fn;             /* may be NULL */
    void *msg_opaque;
} bc_broker_conf_t;

/* What one maintenance pass did. */
typedef struct bc_maint_stats_s {
    int partitions;        /* partitions looked at */
    int segments_deleted;  /* by retention */
    int64_t bytes_deleted; /* by retention */
    int partitions_compacted;
    int64_t records_removed; /* by compaction (tombstones included) */
    int64_t tombstones_removed;
    int64_t bytes_reclaimed; /* by compaction */
} bc_maint_stats_t;

/* Defaults: Kafka's topic defaults, intervals as in Kafka. */
bc_broker_conf_t bc_broker_conf_default(void);

/* Opens the data dir, loads every topic's config and opens (recovering)
 * every partition; recovery reports go to conf->msg_fn (partitions left
 * offline are listed by bc_broker_offline). conf may be NULL. Fails with NULL,
 * *err (may be NULL) and errstr when the dir is missing or unreadable
 * (BC_ERR_NOT_FOUND / BC_ERR_IO), already open elsewhere (BC_ERR_LOCKED), a
 * topic config is corrupt, or (with BC_CORRUPTION_REFUSE) a segment is
 * (BC_ERR_CORRUPT; nothing on disk is changed in that case). */
bc_broker_t *bc_broker_open(const char *data_dir, const bc_broker_conf_t *conf,
                            int64_t now_ms, int *err, char *errstr,
                            size_t errstr_size);

/* Closes every log cleanly (see bc_log_close) and frees the broker. NULL
 * is a no-op. No other call may be in progress. Returns 0 or the first
 * error met (everything is freed regardless). */
int bc_broker_close(bc_broker_t *b);

/* The data dir path (owned by the broker). */
const char *bc_broker_data_dir(const bc_broker_t *b);

/* Creates `topic` with `partitions` (>= 1) partitions and configuration
 * cfg (NULL = conf->defaults): partition dirs first, then the config file
 * (the commit point). Returns 0, BC_ERR_EXISTS, BC_ERR_INVALID for a name
 * Kafka would refuse ([a-zA-Z0-9._-], 1..249 chars, not "." or "..") or a
 * bad count, BC_ERR_IO. */
int bc_broker_create_topic(bc_broker_t *b, const char *topic,
                           int32_t partitions, const bc_log_config_t *cfg,
                           int64_t now_ms, char *errstr, size_t errstr_size);

/* Replaces a topic's configuration, persists it and applies it to every
 * partition. Returns 0, BC_ERR_NOT_FOUND, BC_ERR_IO. */
int bc_broker_alter_topic(bc_broker_t *b, const char *topic,
                          const bc_log_config_t *cfg, char *errstr,
                          size_t errstr_size);

/* Deletes `topic` (Kafka's DeleteTopics): removes its config file (the
 * commit point), renames each partition dir to
 * "<topic>-<p>.<topic id>-delete" and drops it from the table; the
 * directories are removed at bc_broker_close (or by the next open after a
 * crash). A topic of the same name may be created again at once.
 * Returns 0, BC_ERR_NOT_FOUND, BC_ERR_IO. */
int bc_broker_delete_topic(bc_broker_t *b, const char *topic, char *errstr,
                           size_t errstr_size);

/* A topic's configuration and partition count (either may be NULL).
 * Returns 0 or BC_ERR_NOT_FOUND. */
int bc_broker_topic_config(bc_broker_t *b, const char *topic,
                           bc_log_config_t *cfg, int32_t *partitions);

/* Partition count of `topic`, or BC_ERR_NOT_FOUND. */
int32_t bc_broker_partitions(bc_broker_t *b, const char *topic);

/* All topic names, sorted; *names is malloc'd (free with
 * bc_broker_free_topics). Returns 0. */
int bc_broker_list_topics(bc_broker_t *b, char ***names, size_t *count);
void bc_broker_free_topics(char **names, size_t count);

/* The log of one partition, or NULL if the topic or partition does not
 * exist or is offline. Borrowed: valid until bc_broker_close. */
bc_log_t *bc_broker_log(bc_broker_t *b, const char *topic, int32_t partition);

/* How one partition came up at open. */
typedef struct bc_partition_state_s {
    int offline;                /* left offline (BC_CORRUPTION_OFFLINE) */
    char error[512];            /* why, naming the file and byte offset;
                                   "" when online */
    bc_log_recovery_t recovery; /* what opening its log found and did
                                   (truncation, repair); zeroed when
                                   offline or created by this broker */
} bc_partition_state_t;

/* Fills *st for one partition. Returns 0 or BC_ERR_NOT_FOUND. */
int bc_broker_partition_state(bc_broker_t *b, const char *topic,
                              int32_t partition, bc_partition_state_t *st);

/* One partition left offline. */
typedef struct bc_offline_s {
    char *topic;
    int32_t partition;
    char *error; /* as bc_partition_state_t.error */
} bc_offline_t;

/* The partitions left offline by bc_broker_open, sorted by topic and
 * partition, into *v (malloc'd; free with bc_broker_free_offline; NULL
 * when none). Returns how many. */
size_t bc_broker_offline(bc_broker_t *b, bc_offline_t **v);
void bc_broker_free_offline(bc_offline_t *v, size_t n);

/* bc_log_append_records on one partition. Returns its result,
 * BC_ERR_NOT_FOUND for an unknown topic/partition, or BC_ERR_OFFLINE. */
int bc_broker_append(bc_broker_t *b, const char *topic, int32_t partition,
                     const bc_record_in_t *recs, size_t n, int flags,
                     int64_t now_ms, bc_append_info_t *info, char *errstr,
                     size_t errstr_size);

/* Registers a listener; returns its id (>= 0) for removal. */
int bc_broker_add_listener(bc_broker_t *b, bc_broker_listener_fn fn,
                           void *opaque);

/* Unregisters; when it returns, the listener is not running and will not
 * run again. Returns 0 or BC_ERR_NOT_FOUND. */
int bc_broker_remove_listener(bc_broker_t *b, int id);

/* Runs retention on every partition and compaction on those whose
 * cleanup.policy has compact and whose dirty ratio reached
 * min.cleanable.dirty.ratio (or whose tombstones expired). `st` may be
 * NULL. Long-running: call from a maintenance thread. Returns 0 or the
 * first error (the pass continues with the other partitions). */
int bc_broker_maintain(bc_broker_t *b, int64_t now_ms, bc_maint_stats_t *st,
                       char *errstr, size_t errstr_size);

/* The broker's periodic work: bc_log_tick on every partition, and
 * bc_broker_maintain when retention_check_interval_ms has passed since the
 * last one. Call every second or so from one thread. Returns 0 or the
 * first error. */
int bc_broker_tick(bc_broker_t *b, int64_t now_ms, char *errstr,
                   size_t errstr_size);

#endif
