/* SPDX-License-Identifier: Apache-2.0 */
/* mon_kdecode: decoder of the records of Kafka's __consumer_offsets topic.
 *
 * Pure: bytes in, one decoded record out; no librdkafka, no clock, no
 * lock. Built on the assumption that the input is hostile (a compacted
 * topic written by brokers of any version, read over the network): every
 * length is checked against the bytes left before it is used, and an error
 * names the byte offset (within the key or the value) where decoding
 * stopped. Unknown key or value versions are not errors but a distinct
 * result (MON_ERR_VERSION) that the caller counts as a warning, the
 * way Burrow skips them.
 *
 * Formats (Kafka's CoordinatorRecordSerde; every integer big-endian;
 * string = int16 length + bytes, length -1 = null where nullable; bytes =
 * int32 length + data, -1 = null; array = int32 count + elements):
 *
 *   Key (every record)
 *   OFFSET SIZE DESCRIPTION
 *   0      2    key version: 0 or 1 offset commit, 2 group metadata,
 *               anything else (3.. KIP-848/share records) -> EVERSION
 *   2      ..   v0/v1: group string, topic string, partition int32
 *               v2:    group string
 *
 *   Value: NULL or empty = tombstone (the key was deleted)
 *   OFFSET SIZE DESCRIPTION
 *   0      2    value version
 *   2      ..   offset commit (key v0/v1):
 *               v0, v2: offset int64, metadata string, commit_ts int64
 *               v1:     offset int64, metadata string, commit_ts int64,
 *                       expire_ts int64
 *               v3:     offset int64, leader_epoch int32, metadata
 *                       string, commit_ts int64
 *               v4:     as v3 but metadata is a compact string (unsigned
 *                       varint length+1, 0 = null), then tagged fields
 *                       (unsigned varint count; each: varint tag, varint
 *                       size, size bytes)
 *               group metadata (key v2), v0..v3:
 *                       protocol_type string, generation int32,
 *                       protocol nullable string, leader nullable string,
 *                       current_state_ts int64 (v2+), members array:
 *                       member_id string, group_instance_id nullable
 *                       string (v3+), client_id string, client_host
 *                       string, rebalance_timeout int32 (v1+),
 *                       session_timeout int32, subscription bytes,
 *                       assignment bytes
 *
 *   Consumer-protocol assignment (inside a member's assignment bytes, only
 *   when protocol_type is "consumer"; empty or null = nothing assigned):
 *   OFFSET SIZE DESCRIPTION
 *   0      2    version (>= 0; every version starts with these fields)
 *   2      4    topic count, then per topic: topic string, int32
 *               partition count, int32 partitions
 *   ..     ..   user data bytes (not read)
 *
 * Offset commit value v2 is decoded like v0 (same layout). Trailing bytes
 * after the fields of a version are ignored (newer brokers may append).
 */
#ifndef MON_KDECODE_H
#define MON_KDECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/base/mon_err.h"

/* Results of mon_kdecode (0 = decoded), from mon_err.h: MON_ERR_VERSION
 * (unknown key/value version: a warning), MON_ERR_MALFORMED (truncated
 * or bad length: an error), MON_ERR_LIMIT (well formed but beyond a
 * bound). */
#define MON_KDECODE_OK 0

/* Bounds on what one record may hold (0 = no bound), checked before
 * anything is kept: a record beyond one is refused (MON_ERR_LIMIT)
 * as a whole, so its contents size nothing downstream. */
typedef struct mon_kdecode_limits_s {
    size_t max_name;     /* bytes of a group, topic, member, client or host
                          * name (the offset metadata string is not one) */
    size_t max_members;  /* members of one group metadata record */
    size_t max_assigned; /* partitions its assignments name, all members */
} mon_kdecode_limits_t;

typedef enum mon_kdecode_type_e {
    MON_KDECODE_NONE = 0,
    MON_KDECODE_OFFSET_COMMIT,  /* a group committed an offset */
    MON_KDECODE_OFFSET_DELETE,  /* offset commit tombstone */
    MON_KDECODE_GROUP_METADATA, /* a group's generation and members */
    MON_KDECODE_GROUP_DELETE    /* group metadata tombstone */
} mon_kdecode_type_t;

/* One member of a group (group metadata). Strings are NUL-terminated and
 * point into the owning record; a null string reads as "". */
typedef struct mon_kdecode_member_s {
    const char *member_id;
    const char *group_instance_id; /* "" when null or before v3 */
    const char *client_id;
    const char *client_host;
    int32_t rebalance_timeout; /* -1 before v1 */
    int32_t session_timeout;
    int32_t assignment_version; /* -1 when no assignment was decoded */
} mon_kdecode_member_t;

/* One assigned partition and its owner (from a member's assignment). */
typedef struct mon_kdecode_owner_s {
    const char *topic;
    int32_t partition;
    size_t member; /* index into members */
} mon_kdecode_owner_t;

/* A decoded record. Zero-initialise before the first call; may be reused
 * across calls (buffers are kept and grown, so steady decoding allocates
 * nothing); free with mon_kdecode_record_free. Which fields are set
 * depends on type; all others are zero/"" after a call. */
typedef struct mon_kdecode_record_s {
    mon_kdecode_type_t type;
    int16_t key_version;
    int16_t value_version; /* -1 for tombstones */
    const char *group;
    /* offset commit / offset delete */
    const char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1 when absent */
    const char *metadata; /* "" when null */
    int64_t commit_ts;    /* ms since the epoch */
    int64_t expire_ts;    /* -1 unless value v1 */
    /* group metadata */
    const char *protocol_type;
    int32_t generation;
    const char *protocol;   /* "" when null */
    const char *leader;     /* "" when null */
    int64_t state_ts;       /* -1 before v2 */
    bool consumer_protocol; /* protocol_type == "consumer" */
    mon_kdecode_member_t *members;
    size_t n_members;
    mon_kdecode_owner_t *owners; /* consumer protocol only */
    size_t n_owners;
    /* internal buffers */
    char *buf_;
    size_t buf_size_;
    size_t buf_used_;
    mon_kdecode_member_t *members_;
    size_t members_cap_;
    mon_kdecode_owner_t *owners_;
    size_t owners_cap_;
} mon_kdecode_record_t;

/* Decodes one record of __consumer_offsets. key must be non-empty; value
 * NULL or value_len 0 is a tombstone. Returns MON_KDECODE_OK with *rec
 * filled, MON_ERR_VERSION (unknown key or value version; errstr says
 * which) or MON_ERR_MALFORMED (errstr: "key|value byte N: why"). On
 * any error rec->type is MON_KDECODE_NONE. Strings in *rec stay valid
 * until the next call with the same rec. Thread-safe per rec. */
int mon_kdecode(const void *key, size_t key_len, const void *value,
                size_t value_len, mon_kdecode_record_t *rec, char *errstr,
                size_t errstr_size);

/* mon_kdecode within bounds (lim NULL = none): a record that breaks one
 * returns MON_ERR_LIMIT, rec->type NONE, errstr naming the field,
 * its byte and the bound ("value byte 40: 1000 members, over the bound
 * of 100"). */
int mon_kdecode_limited(const void *key, size_t key_len, const void *value,
                        size_t value_len, const mon_kdecode_limits_t *lim,
                        mon_kdecode_record_t *rec, char *errstr,
                        size_t errstr_size);

/* Frees the buffers of *rec and zeroes it; NULL is fine. */
void mon_kdecode_record_free(mon_kdecode_record_t *rec);

/* The partition of __consumer_offsets (of `partitions`) that holds group's
 * records, whose leader is the group's coordinator: Kafka's partitionFor,
 * computed by broker-core's bc_offsets_partition_for (Java's hashCode
 * over UTF-16 code units, malformed UTF-8 as U+FFFD), so the Kafka source
 * and the embedded broker agree on every name. Returns -1 when
 * partitions <= 0. Pure. */
int32_t mon_kdecode_partition_for(const char *group, int32_t partitions);

/* Name of a record type ("offset-commit", "offset-delete",
 * "group-metadata", "group-delete", "none"); never NULL. */
const char *mon_kdecode_type_name(mon_kdecode_type_t type);

#endif
