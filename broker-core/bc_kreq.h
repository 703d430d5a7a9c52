/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kreq: decoder of Kafka request frames into plain structs.
 *
 * A frame (after its int32 size prefix) is a request header and a body:
 *
 *   REQUEST HEADER v1 (v2 = v1 + tagged fields, for flexible versions)
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     api_key (int16)
 *   2       2     api_version (int16)
 *   4       4     correlation_id (int32, echoed in the response)
 *   8       2+N   client_id (nullable string, never compact)
 *   10+N    ...   tagged fields (header v2 only), then the body
 *
 * The body layout of each API and version is Kafka's (the message specs
 * of clients/src/main/resources/common/message/ JSON files); the decoder reads
 * exactly the fields of the request's version into the struct of that API
 * below, fields absent in older versions getting Kafka's defaults. Strings
 * are copied, NUL-terminated, into the request's arena (a string holding a
 * NUL byte fails: no Kafka name may contain one); record and assignment
 * bytes point into the frame, which must outlive the request.
 *
 * Versions decoded are those bc_kreq_versions() lists (the ones the
 * broker advertises in ApiVersions); a known API at another version, or
 * an unknown API, decodes the header only and says so in `status`, so the
 * server can answer ApiVersions' way or close. A malformed frame fails
 * with the byte offset and field (the one place a client's bytes are
 * trusted less than the disk's: every count is checked against the bytes
 * left before anything is allocated). Pure; a request has one owner.
 */
#ifndef BC_KREQ_H
#define BC_KREQ_H

#include <stddef.h>
#include <stdint.h>

/* API keys. */
enum {
    BC_API_PRODUCE = 0,
    BC_API_FETCH = 1,
    BC_API_LIST_OFFSETS = 2,
    BC_API_METADATA = 3,
    BC_API_OFFSET_COMMIT = 8,
    BC_API_OFFSET_FETCH = 9,
    BC_API_FIND_COORDINATOR = 10,
    BC_API_JOIN_GROUP = 11,
    BC_API_HEARTBEAT = 12,
    BC_API_LEAVE_GROUP = 13,
    BC_API_SYNC_GROUP = 14,
    BC_API_DESCRIBE_GROUPS = 15,
    BC_API_LIST_GROUPS = 16,
    BC_API_API_VERSIONS = 18,
    BC_API_CREATE_TOPICS = 19,
    BC_API_DELETE_TOPICS = 20,
    BC_API_INIT_PRODUCER_ID = 22,
    BC_API_DESCRIBE_CONFIGS = 32
};

/* One served API and its version range. */
typedef struct bc_kreq_version_s {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
} bc_kreq_version_t;

/* The served APIs, in api_key order; *n entries. Static. */
const bc_kreq_version_t *bc_kreq_versions(size_t *n);

/* Kafka's name of an API ("Produce"), or "Unknown". */
const char *bc_kreq_api_name(int16_t api_key);

/* 1 if api_key/version is served with flexible encoding. */
int bc_kreq_flexible(int16_t api_key, int16_t version);

/* ---- per-API bodies ---------------------------------------------- */

typedef struct bc_kreq_produce_part_s {
    int32_t partition;
    const uint8_t *records; /* into the frame; NULL when null */
    int32_t records_len;
} bc_kreq_produce_part_t;
typedef struct bc_kreq_produce_topic_s {
    char *name;
    bc_kreq_produce_part_t *parts;
    int32_t part_cnt;
} bc_kreq_produce_topic_t;
typedef struct bc_kreq_produce_s {
    char *transactional_id;
    int16_t acks;
    int32_t timeout_ms;
    bc_kreq_produce_topic_t *topics;
    int32_t topic_cnt;
} bc_kreq_produce_t;

typedef struct bc_kreq_fetch_part_s {
    int32_t partition;
    int32_t current_leader_epoch;
    int64_t fetch_offset;
    int64_t log_start_offset;
    int32_t max_bytes;
} bc_kreq_fetch_part_t;
typedef struct bc_kreq_fetch_topic_s {
    char *name;
    bc_kreq_fetch_part_t *parts;
    int32_t part_cnt;
} bc_kreq_fetch_topic_t;
typedef struct bc_kreq_fetch_s {
    int32_t replica_id;
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes; /* INT32_MAX before v3 */
    int8_t isolation_level;
    int32_t session_id;
    int32_t session_epoch;
    bc_kreq_fetch_topic_t *topics;
    int32_t topic_cnt;
} bc_kreq_fetch_t;

typedef struct bc_kreq_list_offsets_part_s {
    int32_t partition;
    int64_t timestamp;       /* -1 latest, -2 earliest, else a time */
    int32_t max_num_offsets; /* v0 only */
} bc_kreq_list_offsets_part_t;
typedef struct bc_kreq_list_offsets_topic_s {
    char *name;
    bc_kreq_list_offsets_part_t *parts;
    int32_t part_cnt;
} bc_kreq_list_offsets_topic_t;
typedef struct bc_kreq_list_offsets_s {
    int32_t replica_id;
    int8_t isolation_level;
    bc_kreq_list_offsets_topic_t *topics;
    int32_t topic_cnt;
} bc_kreq_list_offsets_t;

typedef struct bc_kreq_metadata_s {
    char **topics;         /* NULL with topic_cnt -1: all topics */
    int32_t topic_cnt;     /* v0: 0 means all */
    int allow_auto_create; /* 1 before v4 */
} bc_kreq_metadata_t;

typedef struct bc_kreq_commit_part_s {
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata; /* NULL when null */
} bc_kreq_commit_part_t;
typedef struct bc_kreq_commit_topic_s {
    char *name;
    bc_kreq_commit_part_t *parts;
    int32_t part_cnt;
} bc_kreq_commit_topic_t;
typedef struct bc_kreq_offset_commit_s {
    char *group;
    int32_t generation; /* -1 before v1 */
    char *member_id;
    char *group_instance_id;
    bc_kreq_commit_topic_t *topics;
    int32_t topic_cnt;
} bc_kreq_offset_commit_t;

typedef struct bc_kreq_ofetch_topic_s {
    char *name;
    int32_t *parts;
    int32_t part_cnt;
} bc_kreq_ofetch_topic_t;
typedef struct bc_kreq_offset_fetch_s {
    char *group;
    bc_kreq_ofetch_topic_t *topics; /* NULL with topic_cnt -1: all */
    int32_t topic_cnt;
} bc_kreq_offset_fetch_t;

typedef struct bc_kreq_find_coordinator_s {
    char *key;
    int8_t key_type; /* 0 group, 1 transaction */
} bc_kreq_find_coordinator_t;

typedef struct bc_kreq_protocol_s {
    char *name;
    const uint8_t *metadata;
    int32_t metadata_len;
} bc_kreq_protocol_t;
typedef struct bc_kreq_join_group_s {
    char *group;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms; /* = session timeout before v1 */
    char *member_id;
    char *group_instance_id;
    char *protocol_type;
    bc_kreq_protocol_t *protocols;
    int32_t protocol_cnt;
} bc_kreq_join_group_t;

typedef struct bc_kreq_assignment_s {
    char *member_id;
    const uint8_t *assignment;
    int32_t assignment_len;
} bc_kreq_assignment_t;
typedef struct bc_kreq_sync_group_s {
    char *group;
    int32_t generation;
    char *member_id;
    char *group_instance_id;
    bc_kreq_assignment_t *assignments;
    int32_t assignment_cnt;
} bc_kreq_sync_group_t;

typedef struct bc_kreq_heartbeat_s {
    char *group;
    int32_t generation;
    char *member_id;
    char *group_instance_id;
} bc_kreq_heartbeat_t;

typedef struct bc_kreq_leave_member_s {
    char *member_id;
    char *group_instance_id;
} bc_kreq_leave_member_t;
typedef struct bc_kreq_leave_group_s {
    char *group;
    bc_kreq_leave_member_t *members; /* v0-2: one, from member_id */
    int32_t member_cnt;
} bc_kreq_leave_group_t;

typedef struct bc_kreq_describe_groups_s {
    char **groups;
    int32_t group_cnt;
} bc_kreq_describe_groups_t;

typedef struct bc_kreq_config_s {
    char *name;
    char *value; /* NULL when null */
} bc_kreq_config_t;
typedef struct bc_kreq_create_topic_s {
    char *name;
    int32_t partitions;     /* -1: broker default */
    int16_t replication;    /* -1: broker default */
    int32_t assignment_cnt; /* manual assignments (refused if > 0) */
    bc_kreq_config_t *configs;
    int32_t config_cnt;
} bc_kreq_create_topic_t;
typedef struct bc_kreq_create_topics_s {
    bc_kreq_create_topic_t *topics;
    int32_t topic_cnt;
    int32_t timeout_ms;
    int validate_only;
} bc_kreq_create_topics_t;

typedef struct bc_kreq_delete_topics_s {
    char **topics;
    int32_t topic_cnt;
    int32_t timeout_ms;
} bc_kreq_delete_topics_t;

typedef struct bc_kreq_config_resource_s {
    int8_t type; /* 2 topic, 4 broker */
    char *name;
    char **keys; /* NULL with key_cnt -1: all */
    int32_t key_cnt;
} bc_kreq_config_resource_t;
typedef struct bc_kreq_describe_configs_s {
    bc_kreq_config_resource_t *resources;
    int32_t resource_cnt;
    int include_synonyms;
    int include_documentation;
} bc_kreq_describe_configs_t;

typedef struct bc_kreq_init_producer_id_s {
    char *transactional_id;
    int32_t transaction_timeout_ms;
} bc_kreq_init_producer_id_t;

/* bc_kreq_t.status */
enum {
    BC_KREQ_OK = 0,          /* header and body decoded */
    BC_KREQ_UNSUPPORTED = 1, /* known API, version not served */
    BC_KREQ_UNKNOWN_API = 2  /* api_key not served */
};

/* A decoded request. */
typedef struct bc_kreq_s {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    char *client_id; /* "" when null */
    int status;
    union {
        bc_kreq_produce_t produce;
        bc_kreq_fetch_t fetch;
        bc_kreq_list_offsets_t list_offsets;
        bc_kreq_metadata_t metadata;
        bc_kreq_offset_commit_t offset_commit;
        bc_kreq_offset_fetch_t offset_fetch;
        bc_kreq_find_coordinator_t find_coordinator;
        bc_kreq_join_group_t join_group;
        bc_kreq_sync_group_t sync_group;
        bc_kreq_heartbeat_t heartbeat;
        bc_kreq_leave_group_t leave_group;
        bc_kreq_describe_groups_t describe_groups;
        bc_kreq_create_topics_t create_topics;
        bc_kreq_delete_topics_t delete_topics;
        bc_kreq_describe_configs_t describe_configs;
        bc_kreq_init_producer_id_t init_producer_id;
    } u;
    struct bc_kreq_arena_s *arena; /* owns every string and array */
} bc_kreq_t;

/* Decodes frame[0..len) (without the size prefix) into req. Returns 0
 * (check req->status), or BC_ERR_INVALID with "<why> at byte N" in
 * errstr; *err_off (may be NULL) is that byte offset. The header
 * fields are filled as far as they were read (api_key/version -1 when
 * the frame is shorter than 4 bytes). Free with bc_kreq_free in either
 * case. */
int bc_kreq_decode(const uint8_t *frame, size_t len, bc_kreq_t *req,
                   size_t *err_off, char *errstr, size_t errstr_size);

/* Frees what decode allocated (not the frame). Safe on a zeroed req. */
void bc_kreq_free(bc_kreq_t *req);

#endif
