/* SPDX-License-Identifier: Apache-2.0 */
/* bc_offsets: committed offsets, kept in __consumer_offsets like Kafka.
 *
 * A consumer group's committed offset for a topic partition is the offset
 * of the next record it will consume. Kafka keeps these as records of the
 * internal compacted topic __consumer_offsets, and so does Warren: the
 * log is the truth, and the in-memory table (group, topic, partition) ->
 * (offset, leader epoch, metadata, commit time) is rebuilt from it by
 * reading every partition on open. A commit appends one record per
 * partition (one batch per commit call) to the group's partition of the
 * topic and then updates the table; removing a group appends tombstones
 * (null values). The topic has cleanup.policy=compact, so the broker's
 * cleaner keeps only the latest record per key and, after
 * delete.retention.ms, drops tombstones: the topic stays small however
 * often groups commit.
 *
 * Group -> partition: Utils.abs(groupId.hashCode()) % partitions, where
 * hashCode is Java's String.hashCode over UTF-16 code units and
 * Utils.abs maps INT32_MIN to 0 (bc_group.h). 50 partitions by default
 * (offsets.topic.num.partitions); an existing topic keeps its count.
 *
 * Record format (Kafka's, all integers big-endian; a string is an int16
 * byte length then UTF-8 bytes):
 *
 *   KEY, version 1 (OffsetCommitKey; version 0 has the same layout)
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     key version = 1 (0 accepted when reading)
 *   2       2+G   group id string
 *   4+G     2+T   topic string
 *   6+G+T   4     partition (int32)
 *
 *   VALUE, version 3 (OffsetCommitValue), written by Warren
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     value version = 3
 *   2       8     committed offset (int64, next offset to consume)
 *   10      4     leader epoch (int32, -1 = none)
 *   14      2+M   metadata string (client-supplied, may be empty)
 *   16+M    8     commit timestamp (int64, ms since the epoch)
 *
 *   Also read: value v0 and v2 (offset, metadata, commit timestamp) and
 *   v1 (offset, metadata, commit timestamp, expire timestamp). A null
 *   value is a tombstone: the key's commit was deleted. Records with key
 *   version 2 (GroupMetadata) and anything newer are skipped, as Burrow
 *   does; Warren does not write them.
 *
 * Locking: one mutex per __consumer_offsets partition serializes commits
 * of the groups mapped to it, so the log order is the table order and
 * listener reports of a group arrive in commit order; one table mutex
 * guards the in-memory table for short lookups. Lock order: partition
 * mutex, then table mutex (the broker's own locks come inside the
 * partition mutex). Every function is thread-safe except open/close.
 */
#ifndef BC_OFFSETS_H
#define BC_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_broker.h"

#define BC_OFFSETS_TOPIC "__consumer_offsets"
#define BC_OFFSETS_PARTITIONS 50
/* offset.metadata.max.bytes */
#define BC_OFFSETS_METADATA_MAX 4096

typedef struct bc_offsets_s bc_offsets_t;

/* Hears every commit (offset >= 0) and every deletion (offset -1) after
 * it is in the log: (group, topic, partition, offset, commit time). Runs
 * on the committing thread with the group's partition mutex held, so one
 * group's reports arrive in order; it must be quick and must not call
 * into bc_offsets. */
typedef void (*bc_offsets_listener_fn)(void *opaque, const char *group,
                                       const char *topic, int32_t partition,
                                       int64_t offset, int64_t t_ms);

typedef struct bc_offsets_conf_s {
    int32_t partitions;    /* when creating the topic; 0 = 50 */
    int64_t segment_bytes; /* offsets.topic.segment.bytes; 0 = 100 MiB */
    int durable;           /* fsync each commit before returning */
    bc_offsets_listener_fn listener; /* may be NULL */
    void *opaque;
} bc_offsets_conf_t;

/* One offset to commit. Strings are borrowed for the call. */
typedef struct bc_offsets_commit_s {
    const char *topic;
    int32_t partition;
    int64_t offset;       /* >= 0: the next offset to consume */
    int32_t leader_epoch; /* -1 = unknown */
    const char *metadata; /* NULL = "" */
} bc_offsets_commit_t;

/* One committed offset as the table holds it. */
typedef struct bc_offsets_entry_s {
    char *group;
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    int64_t commit_ts_ms;
} bc_offsets_entry_t;

/* What open found in the topic. */
typedef struct bc_offsets_load_s {
    int64_t records;            /* records read */
    int64_t commits;            /* offset-commit records applied */
    int64_t tombstones;         /* deletions applied */
    int64_t skipped;            /* other key versions (group metadata, ...) */
    int64_t entries;            /* live (group, topic, partition) entries */
    int32_t offline_partitions; /* left offline by the broker: not read */
} bc_offsets_load_t;

/* Java's Utils.abs(group.hashCode()) % partitions (partitions >= 1). */
int32_t bc_offsets_partition_for(const char *group, int32_t partitions);

/* Opens the committed-offset table of `broker`: creates
 * __consumer_offsets (compacted) if missing, then rebuilds the table by
 * reading every partition from its log start (a partition the broker
 * left offline is passed over and counted in load->offline_partitions).
 * conf may be NULL; `load` may be NULL. Returns NULL with errstr filled when
 * the topic cannot be created or read, or holds a malformed commit record
 * (named by partition and offset). The broker must outlive the table. */
bc_offsets_t *bc_offsets_open(bc_broker_t *broker,
                              const bc_offsets_conf_t *conf, int64_t now_ms,
                              bc_offsets_load_t *load, char *errstr,
                              size_t errstr_size);

/* Frees the table (the topic stays in the broker). NULL is fine. */
void bc_offsets_close(bc_offsets_t *off);

/* Partition count of the topic in use. */
int32_t bc_offsets_partitions(const bc_offsets_t *off);

/* Commits n offsets of `group` as one batch stamped now_ms, then updates
 * the table and tells the listener. Returns 0; BC_ERR_INVALID (empty
 * group or topic, offset < 0, metadata over 4096 bytes, n == 0) with
 * nothing written; or the broker's append error (nothing applied).
 * @locks the group's partition mutex, then the table mutex. */
int bc_offsets_commit(bc_offsets_t *off, const char *group,
                      const bc_offsets_commit_t *commits, size_t n,
                      int64_t now_ms, char *errstr, size_t errstr_size);

/* The committed offset of group/topic/partition: 0 with *offset set (and
 * *commit_ts_ms if not NULL), or BC_ERR_NOT_FOUND when there is none
 * (Kafka's -1, *offset = -1). @locks the table mutex. */
int bc_offsets_fetch(bc_offsets_t *off, const char *group, const char *topic,
                     int32_t partition, int64_t *offset, int64_t *commit_ts_ms);

/* Deletes every committed offset of `group` by appending tombstones (one
 * batch); the listener hears offset -1 for each. Returns 0 (also when the
 * group had none), or the broker's append error (nothing deleted).
 * @locks the group's partition mutex, then the table mutex. */
int bc_offsets_delete_group(bc_offsets_t *off, const char *group,
                            int64_t now_ms, char *errstr, size_t errstr_size);

/* Sorted names of the groups with at least one committed offset:
 * malloc'd array of malloc'd strings; free with bc_offsets_names_free.
 * @locks the table mutex. */
char **bc_offsets_list_groups(bc_offsets_t *off, size_t *n);
void bc_offsets_names_free(char **names, size_t n);

/* Copies of the committed offsets of `group` (all groups when NULL),
 * sorted by group, topic, partition; *n entries (one group's: from its
 * own list). Free with
 * bc_offsets_entries_free. @locks the table mutex. */
bc_offsets_entry_t *bc_offsets_entries(bc_offsets_t *off, const char *group,
                                       size_t *n);
void bc_offsets_entries_free(bc_offsets_entry_t *e, size_t n);

/* Whether `group` has at least one committed offset: one lookup in the
 * table's index of groups (each group's entries are linked, so this,
 * one group's bc_offsets_entries and bc_offsets_list_groups cost what
 * that group or the number of groups holds, not the whole table: a
 * DescribeGroups of 1,000 groups over 240,000 commits walked the table
 * 1,000 times, 4.2 s). @locks the table mutex. */
bool bc_offsets_has_group(bc_offsets_t *off, const char *group);

/* Encoders/decoders of the record format above, for tests and tools.
 * Encoders return the encoded size; they write nothing when `size` is too
 * small (call with size 0 to learn it). Decoders return 0 or
 * BC_ERR_CORRUPT; decoded strings point into the buffer (not
 * NUL-terminated, hence the lengths). */
size_t bc_offsets_encode_key(uint8_t *buf, size_t size, const char *group,
                             const char *topic, int32_t partition);
size_t bc_offsets_encode_value(uint8_t *buf, size_t size, int64_t offset,
                               int32_t leader_epoch, const char *metadata,
                               int64_t commit_ts_ms);

typedef struct bc_offsets_key_s {
    int16_t version;
    const char *group;
    size_t group_len;
    const char *topic;
    size_t topic_len;
    int32_t partition;
} bc_offsets_key_t;

typedef struct bc_offsets_value_s {
    int16_t version;
    int64_t offset;
    int32_t leader_epoch; /* -1 before v3 */
    const char *metadata;
    size_t metadata_len;
    int64_t commit_ts_ms;
    int64_t expire_ts_ms; /* v1 only, else -1 */
} bc_offsets_value_t;

/* Decodes a key; only versions 0 and 1 (offset commits) are decoded, other
 * versions return BC_ERR_NOT_FOUND with key->version set. */
int bc_offsets_decode_key(const uint8_t *buf, size_t len,
                          bc_offsets_key_t *key);
int bc_offsets_decode_value(const uint8_t *buf, size_t len,
                            bc_offsets_value_t *val);

#endif
