/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kreq: Kafka request decoders (see bc_kreq.h).
 *
 * One function per API walks the fields of every served version in spec
 * order, `v` being the request's version; allocation comes from a
 * per-request arena, sized by counts the reader has already checked
 * against the bytes left in the frame (a hostile count cannot make us
 * allocate more than a small multiple of the frame). */
#include "broker-core/bc_kreq.h"

#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_mem.h"
#include "broker-core/bc_wire.h"

/* Served versions; bc_kreq_flexible says which use compact encoding. */
static const bc_kreq_version_t versions[] = {
    {BC_API_PRODUCE, 3, 8},          {BC_API_FETCH, 4, 11},
    {BC_API_LIST_OFFSETS, 0, 5},     {BC_API_METADATA, 0, 8},
    {BC_API_OFFSET_COMMIT, 0, 7},    {BC_API_OFFSET_FETCH, 0, 7},
    {BC_API_FIND_COORDINATOR, 0, 2}, {BC_API_JOIN_GROUP, 0, 5},
    {BC_API_HEARTBEAT, 0, 3},        {BC_API_LEAVE_GROUP, 0, 3},
    {BC_API_SYNC_GROUP, 0, 3},       {BC_API_DESCRIBE_GROUPS, 0, 4},
    {BC_API_LIST_GROUPS, 0, 2},      {BC_API_API_VERSIONS, 0, 3},
    {BC_API_CREATE_TOPICS, 0, 4},    {BC_API_DELETE_TOPICS, 0, 3},
    {BC_API_INIT_PRODUCER_ID, 0, 1}, {BC_API_DESCRIBE_CONFIGS, 0, 3},
};

const bc_kreq_version_t *bc_kreq_versions(size_t *n) {
    *n = sizeof(versions) / sizeof(versions[0]);
    return versions;
}

const char *bc_kreq_api_name(int16_t k) {
    switch (k) {
    case BC_API_PRODUCE:
        return "Produce";
    case BC_API_FETCH:
        return "Fetch";
    case BC_API_LIST_OFFSETS:
        return "ListOffsets";
    case BC_API_METADATA:
        return "Metadata";
    case BC_API_OFFSET_COMMIT:
        return "OffsetCommit";
    case BC_API_OFFSET_FETCH:
        return "OffsetFetch";
    case BC_API_FIND_COORDINATOR:
        return "FindCoordinator";
    case BC_API_JOIN_GROUP:
        return "JoinGroup";
    case BC_API_HEARTBEAT:
        return "Heartbeat";
    case BC_API_LEAVE_GROUP:
        return "LeaveGroup";
    case BC_API_SYNC_GROUP:
        return "SyncGroup";
    case BC_API_DESCRIBE_GROUPS:
        return "DescribeGroups";
    case BC_API_LIST_GROUPS:
        return "ListGroups";
    case BC_API_API_VERSIONS:
        return "ApiVersions";
    case BC_API_CREATE_TOPICS:
        return "CreateTopics";
    case BC_API_DELETE_TOPICS:
        return "DeleteTopics";
    case BC_API_INIT_PRODUCER_ID:
        return "InitProducerId";
    case BC_API_DESCRIBE_CONFIGS:
        return "DescribeConfigs";
    default:
        return "Unknown";
    }
}

int bc_kreq_flexible(int16_t api_key, int16_t version) {
    /* Of the served ranges only these are flexible (KIP-482). OffsetFetch
     * v6+ matters: librdkafka asks for "all partitions" with a
     * zero-length array, which only the compact form reads as null. */
    return (api_key == BC_API_API_VERSIONS && version >= 3) ||
           (api_key == BC_API_OFFSET_FETCH && version >= 6);
}

/* ---- arena ------------------------------------------------------- */

typedef struct bc_kreq_arena_s {
    struct bc_kreq_arena_s *next;
    size_t used, cap;
    max_align_t data[];
} arena_t;

static void *arena_alloc(bc_kreq_t *req, size_t n) {
    n = (n + 15) & ~(size_t)15;
    arena_t *a = req->arena;
    if (!a || a->cap - a->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        arena_t *na = bc_malloc(sizeof(*na) + cap);
        na->next = a;
        na->used = 0;
        na->cap = cap;
        req->arena = a = na;
    }
    void *p = (char *)a->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

void bc_kreq_free(bc_kreq_t *req) {
    arena_t *a = req->arena;
    while (a) {
        arena_t *n = a->next;
        free(a);
        a = n;
    }
    req->arena = NULL;
}

typedef struct dec_s {
    bc_wire_rd_t rd;
    bc_kreq_t *req;
    int16_t v;
} dec_t;

/* A string copied into the arena; NULL for null (nullable only). */
static char *str(dec_t *d, int nullable) {
    int32_t len;
    const char *s = bc_wire_rd_str(&d->rd, nullable, &len);
    if (!s) return NULL;
    if (memchr(s, 0, (size_t)len)) {
        bc_wire_rd_fail(&d->rd, "string holds a NUL byte");
        return NULL;
    }
    char *c = arena_alloc(d->req, (size_t)len + 1);
    memcpy(c, s, (size_t)len);
    c[len] = 0;
    return c;
}

/* A non-null string, "" after a failure so callers never see NULL. */
static char *sstr(dec_t *d) {
    char *s = str(d, 0);
    return s ? s : (char *)"";
}

static int32_t arr(dec_t *d, int nullable, size_t min_elem) {
    return bc_wire_rd_array(&d->rd, nullable, min_elem);
}

static void *alloc_n(dec_t *d, int32_t n, size_t size) {
    return n > 0 ? arena_alloc(d->req, (size_t)n * size) : NULL;
}

static char **str_array(dec_t *d, int nullable, int32_t *cnt) {
    *cnt = arr(d, nullable, 2);
    char **a = alloc_n(d, *cnt, sizeof(char *));
    for (int32_t i = 0; i < *cnt && !d->rd.err; i++)
        a[i] = sstr(d);
    return a;
}

/* ---- per-API decoders ------------------------------------------- */

static void dec_produce(dec_t *d) {
    bc_kreq_produce_t *r = &d->req->u.produce;
    r->transactional_id = str(d, 1);
    r->acks = bc_wire_rd_i16(&d->rd);
    r->timeout_ms = bc_wire_rd_i32(&d->rd);
    r->topic_cnt = arr(d, 0, 6);
    r->topics = alloc_n(d, r->topic_cnt, sizeof(*r->topics));
    for (int32_t i = 0; i < r->topic_cnt && !d->rd.err; i++) {
        bc_kreq_produce_topic_t *t = &r->topics[i];
        t->name = sstr(d);
        t->part_cnt = arr(d, 0, 8);
        t->parts = alloc_n(d, t->part_cnt, sizeof(*t->parts));
        for (int32_t j = 0; j < t->part_cnt && !d->rd.err; j++) {
            t->parts[j].partition = bc_wire_rd_i32(&d->rd);
            t->parts[j].records =
                bc_wire_rd_bytes(&d->rd, 1, &t->parts[j].records_len);
        }
    }
}

static void dec_fetch(dec_t *d) {
    bc_kreq_fetch_t *r = &d->req->u.fetch;
    int16_t v = d->v;
    r->replica_id = bc_wire_rd_i32(&d->rd);
    r->max_wait_ms = bc_wire_rd_i32(&d->rd);
    r->min_bytes = bc_wire_rd_i32(&d->rd);
    r->max_bytes = v >= 3 ? bc_wire_rd_i32(&d->rd) : INT32_MAX;
    r->isolation_level = v >= 4 ? bc_wire_rd_i8(&d->rd) : 0;
    r->session_id = v >= 7 ? bc_wire_rd_i32(&d->rd) : 0;
    r->session_epoch = v >= 7 ? bc_wire_rd_i32(&d->rd) : -1;
    r->topic_cnt = arr(d, 0, 6);
    r->topics = alloc_n(d, r->topic_cnt, sizeof(*r->topics));
    for (int32_t i = 0; i < r->topic_cnt && !d->rd.err; i++) {
        bc_kreq_fetch_topic_t *t = &r->topics[i];
        t->name = sstr(d);
        t->part_cnt = arr(d, 0, 16);
        t->parts = alloc_n(d, t->part_cnt, sizeof(*t->parts));
        for (int32_t j = 0; j < t->part_cnt && !d->rd.err; j++) {
            bc_kreq_fetch_part_t *p = &t->parts[j];
            p->partition = bc_wire_rd_i32(&d->rd);
            p->current_leader_epoch = v >= 9 ? bc_wire_rd_i32(&d->rd) : -1;
            p->fetch_offset = bc_wire_rd_i64(&d->rd);
            p->log_start_offset = v >= 5 ? bc_wire_rd_i64(&d->rd) : -1;
            p->max_bytes = bc_wire_rd_i32(&d->rd);
        }
    }
    if (v >= 7) { /* forgotten topics: no fetch sessions, ignored */
        int32_t n = arr(d, 0, 6);
        for (int32_t i = 0; i < n && !d->rd.err; i++) {
            (void)str(d, 0);
            int32_t m = arr(d, 0, 4);
            for (int32_t j = 0; j < m && !d->rd.err; j++)
                (void)bc_wire_rd_i32(&d->rd);
        }
    }
    if (v >= 11) (void)str(d, 0); /* rack id */
}

static void dec_list_offsets(dec_t *d) {
    bc_kreq_list_offsets_t *r = &d->req->u.list_offsets;
    int16_t v = d->v;
    r->replica_id = bc_wire_rd_i32(&d->rd);
    r->isolation_level = v >= 2 ? bc_wire_rd_i8(&d->rd) : 0;
    r->topic_cnt = arr(d, 0, 6);
    r->topics = alloc_n(d, r->topic_cnt, sizeof(*r->topics));
    for (int32_t i = 0; i < r->topic_cnt && !d->rd.err; i++) {
        bc_kreq_list_offsets_topic_t *t = &r->topics[i];
        t->name = sstr(d);
        t->part_cnt = arr(d, 0, 12);
        t->parts = alloc_n(d, t->part_cnt, sizeof(*t->parts));
        for (int32_t j = 0; j < t->part_cnt && !d->rd.err; j++) {
            bc_kreq_list_offsets_part_t *p = &t->parts[j];
            p->partition = bc_wire_rd_i32(&d->rd);
            if (v >= 4) (void)bc_wire_rd_i32(&d->rd); /* leader epoch */
            p->timestamp = bc_wire_rd_i64(&d->rd);
            p->max_num_offsets = v == 0 ? bc_wire_rd_i32(&d->rd) : 1;
        }
    }
}

static void dec_metadata(dec_t *d) {
    bc_kreq_metadata_t *r = &d->req->u.metadata;
    int16_t v = d->v;
    r->topics = str_array(d, v >= 1, &r->topic_cnt);
    if (v == 0 && r->topic_cnt == 0) r->topic_cnt = -1;
    r->allow_auto_create = v >= 4 ? bc_wire_rd_i8(&d->rd) != 0 : 1;
    if (v >= 8) {
        (void)bc_wire_rd_i8(&d->rd); /* include cluster authorized ops */
        (void)bc_wire_rd_i8(&d->rd); /* include topic authorized ops */
    }
}

static void dec_offset_commit(dec_t *d) {
    bc_kreq_offset_commit_t *r = &d->req->u.offset_commit;
    int16_t v = d->v;
    r->group = sstr(d);
    r->generation = v >= 1 ? bc_wire_rd_i32(&d->rd) : -1;
    r->member_id = v >= 1 ? sstr(d) : (char *)"";
    r->group_instance_id = v >= 7 ? str(d, 1) : NULL;
    if (v >= 2 && v <= 4) (void)bc_wire_rd_i64(&d->rd); /* retention */
    r->topic_cnt = arr(d, 0, 6);
    r->topics = alloc_n(d, r->topic_cnt, sizeof(*r->topics));
    for (int32_t i = 0; i < r->topic_cnt && !d->rd.err; i++) {
        bc_kreq_commit_topic_t *t = &r->topics[i];
        t->name = sstr(d);
        t->part_cnt = arr(d, 0, 14);
        t->parts = alloc_n(d, t->part_cnt, sizeof(*t->parts));
        for (int32_t j = 0; j < t->part_cnt && !d->rd.err; j++) {
            bc_kreq_commit_part_t *p = &t->parts[j];
            p->partition = bc_wire_rd_i32(&d->rd);
            p->offset = bc_wire_rd_i64(&d->rd);
            p->leader_epoch = v >= 6 ? bc_wire_rd_i32(&d->rd) : -1;
            if (v == 1) (void)bc_wire_rd_i64(&d->rd); /* commit time */
            p->metadata = str(d, 1);
        }
    }
}

static void dec_offset_fetch(dec_t *d) {
    bc_kreq_offset_fetch_t *r = &d->req->u.offset_fetch;
    r->group = sstr(d);
    r->topic_cnt = arr(d, d->v >= 2, 6);
    r->topics = alloc_n(d, r->topic_cnt, sizeof(*r->topics));
    for (int32_t i = 0; i < r->topic_cnt && !d->rd.err; i++) {
        bc_kreq_ofetch_topic_t *t = &r->topics[i];
        t->name = sstr(d);
        t->part_cnt = arr(d, 0, 4);
        t->parts = alloc_n(d, t->part_cnt, sizeof(int32_t));
        for (int32_t j = 0; j < t->part_cnt && !d->rd.err; j++)
            t->parts[j] = bc_wire_rd_i32(&d->rd);
        bc_wire_rd_tags(&d->rd);
    }
    if (d->v >= 7) (void)bc_wire_rd_i8(&d->rd); /* require stable */
}

static void dec_find_coordinator(dec_t *d) {
    bc_kreq_find_coordinator_t *r = &d->req->u.find_coordinator;
    r->key = sstr(d);
    r->key_type = d->v >= 1 ? bc_wire_rd_i8(&d->rd) : 0;
}

static void dec_join_group(dec_t *d) {
    bc_kreq_join_group_t *r = &d->req->u.join_group;
    int16_t v = d->v;
    r->group = sstr(d);
    r->session_timeout_ms = bc_wire_rd_i32(&d->rd);
    r->rebalance_timeout_ms =
        v >= 1 ? bc_wire_rd_i32(&d->rd) : r->session_timeout_ms;
    r->member_id = sstr(d);
    r->group_instance_id = v >= 5 ? str(d, 1) : NULL;
    r->protocol_type = sstr(d);
    r->protocol_cnt = arr(d, 0, 6);
    r->protocols = alloc_n(d, r->protocol_cnt, sizeof(*r->protocols));
    for (int32_t i = 0; i < r->protocol_cnt && !d->rd.err; i++) {
        r->protocols[i].name = sstr(d);
        r->protocols[i].metadata =
            bc_wire_rd_bytes(&d->rd, 0, &r->protocols[i].metadata_len);
    }
}

static void dec_sync_group(dec_t *d) {
    bc_kreq_sync_group_t *r = &d->req->u.sync_group;
    r->group = sstr(d);
    r->generation = bc_wire_rd_i32(&d->rd);
    r->member_id = sstr(d);
    r->group_instance_id = d->v >= 3 ? str(d, 1) : NULL;
    r->assignment_cnt = arr(d, 0, 6);
    r->assignments = alloc_n(d, r->assignment_cnt, sizeof(*r->assignments));
    for (int32_t i = 0; i < r->assignment_cnt && !d->rd.err; i++) {
        r->assignments[i].member_id = sstr(d);
        r->assignments[i].assignment =
            bc_wire_rd_bytes(&d->rd, 0, &r->assignments[i].assignment_len);
    }
}

static void dec_heartbeat(dec_t *d) {
    bc_kreq_heartbeat_t *r = &d->req->u.heartbeat;
    r->group = sstr(d);
    r->generation = bc_wire_rd_i32(&d->rd);
    r->member_id = sstr(d);
    r->group_instance_id = d->v >= 3 ? str(d, 1) : NULL;
}

static void dec_leave_group(dec_t *d) {
    bc_kreq_leave_group_t *r = &d->req->u.leave_group;
    r->group = sstr(d);
    if (d->v <= 2) {
        r->member_cnt = 1;
        r->members = alloc_n(d, 1, sizeof(*r->members));
        r->members[0].member_id = sstr(d);
        return;
    }
    r->member_cnt = arr(d, 0, 4);
    r->members = alloc_n(d, r->member_cnt, sizeof(*r->members));
    for (int32_t i = 0; i < r->member_cnt && !d->rd.err; i++) {
        r->members[i].member_id = sstr(d);
        r->members[i].group_instance_id = str(d, 1);
    }
}

static void dec_describe_groups(dec_t *d) {
    bc_kreq_describe_groups_t *r = &d->req->u.describe_groups;
    r->groups = str_array(d, 0, &r->group_cnt);
    if (d->v >= 3) (void)bc_wire_rd_i8(&d->rd); /* authorized ops */
}

static void dec_create_topics(dec_t *d) {
    bc_kreq_create_topics_t *r = &d->req->u.create_topics;
    r->topic_cnt = arr(d, 0, 16);
    r->topics = alloc_n(d, r->topic_cnt, sizeof(*r->topics));
    for (int32_t i = 0; i < r->topic_cnt && !d->rd.err; i++) {
        bc_kreq_create_topic_t *t = &r->topics[i];
        t->name = sstr(d);
        t->partitions = bc_wire_rd_i32(&d->rd);
        t->replication = bc_wire_rd_i16(&d->rd);
        t->assignment_cnt = arr(d, 0, 8);
        for (int32_t j = 0; j < t->assignment_cnt && !d->rd.err; j++) {
            (void)bc_wire_rd_i32(&d->rd);
            int32_t m = arr(d, 0, 4);
            for (int32_t k = 0; k < m && !d->rd.err; k++)
                (void)bc_wire_rd_i32(&d->rd);
        }
        t->config_cnt = arr(d, 0, 4);
        t->configs = alloc_n(d, t->config_cnt, sizeof(*t->configs));
        for (int32_t j = 0; j < t->config_cnt && !d->rd.err; j++) {
            t->configs[j].name = sstr(d);
            t->configs[j].value = str(d, 1);
        }
    }
    r->timeout_ms = bc_wire_rd_i32(&d->rd);
    r->validate_only = d->v >= 1 ? bc_wire_rd_i8(&d->rd) != 0 : 0;
}

static void dec_delete_topics(dec_t *d) {
    bc_kreq_delete_topics_t *r = &d->req->u.delete_topics;
    r->topics = str_array(d, 0, &r->topic_cnt);
    r->timeout_ms = bc_wire_rd_i32(&d->rd);
}

static void dec_describe_configs(dec_t *d) {
    bc_kreq_describe_configs_t *r = &d->req->u.describe_configs;
    r->resource_cnt = arr(d, 0, 7);
    r->resources = alloc_n(d, r->resource_cnt, sizeof(*r->resources));
    for (int32_t i = 0; i < r->resource_cnt && !d->rd.err; i++) {
        bc_kreq_config_resource_t *c = &r->resources[i];
        c->type = bc_wire_rd_i8(&d->rd);
        c->name = sstr(d);
        c->keys = str_array(d, 1, &c->key_cnt);
    }
    r->include_synonyms = d->v >= 1 ? bc_wire_rd_i8(&d->rd) != 0 : 0;
    r->include_documentation = d->v >= 3 ? bc_wire_rd_i8(&d->rd) != 0 : 0;
}

static void dec_init_producer_id(dec_t *d) {
    bc_kreq_init_producer_id_t *r = &d->req->u.init_producer_id;
    r->transactional_id = str(d, 1);
    r->transaction_timeout_ms = bc_wire_rd_i32(&d->rd);
}

static void dec_api_versions(dec_t *d) {
    if (d->v >= 3) {
        (void)str(d, 0); /* client software name */
        (void)str(d, 0); /* client software version */
    }
}

int bc_kreq_decode(const uint8_t *frame, size_t len, bc_kreq_t *req,
                   size_t *err_off, char *errstr, size_t errstr_size) {
    memset(req, 0, sizeof(*req));
    req->api_key = -1;
    req->api_version = -1;
    req->client_id = (char *)"";
    dec_t d = {.req = req};
    bc_wire_rd_init(&d.rd, frame, len);
    if (len >= 4) {
        req->api_key = bc_wire_rd_i16(&d.rd);
        req->api_version = bc_wire_rd_i16(&d.rd);
    }
    req->correlation_id = bc_wire_rd_i32(&d.rd);
    char *cid = str(&d, 1);
    if (cid) req->client_id = cid;
    d.v = req->api_version;

    const bc_kreq_version_t *sv = NULL;
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
        if (versions[i].api_key == req->api_key) sv = &versions[i];
    if (!d.rd.err && !sv) {
        req->status = BC_KREQ_UNKNOWN_API;
        return 0;
    }
    if (!d.rd.err && (d.v < sv->min_version || d.v > sv->max_version)) {
        req->status = BC_KREQ_UNSUPPORTED;
        return 0;
    }
    if (!d.rd.err && bc_kreq_flexible(req->api_key, d.v)) {
        d.rd.flex = 1;
        bc_wire_rd_tags(&d.rd); /* request header v2 */
    }
    if (!d.rd.err) {
        switch (req->api_key) {
        case BC_API_PRODUCE:
            dec_produce(&d);
            break;
        case BC_API_FETCH:
            dec_fetch(&d);
            break;
        case BC_API_LIST_OFFSETS:
            dec_list_offsets(&d);
            break;
        case BC_API_METADATA:
            dec_metadata(&d);
            break;
        case BC_API_OFFSET_COMMIT:
            dec_offset_commit(&d);
            break;
        case BC_API_OFFSET_FETCH:
            dec_offset_fetch(&d);
            break;
        case BC_API_FIND_COORDINATOR:
            dec_find_coordinator(&d);
            break;
        case BC_API_JOIN_GROUP:
            dec_join_group(&d);
            break;
        case BC_API_HEARTBEAT:
            dec_heartbeat(&d);
            break;
        case BC_API_LEAVE_GROUP:
            dec_leave_group(&d);
            break;
        case BC_API_SYNC_GROUP:
            dec_sync_group(&d);
            break;
        case BC_API_DESCRIBE_GROUPS:
            dec_describe_groups(&d);
            break;
        case BC_API_LIST_GROUPS:
            break; /* empty before v4 */
        case BC_API_API_VERSIONS:
            dec_api_versions(&d);
            break;
        case BC_API_CREATE_TOPICS:
            dec_create_topics(&d);
            break;
        case BC_API_DELETE_TOPICS:
            dec_delete_topics(&d);
            break;
        case BC_API_INIT_PRODUCER_ID:
            dec_init_producer_id(&d);
            break;
        case BC_API_DESCRIBE_CONFIGS:
            dec_describe_configs(&d);
            break;
        default:
            break;
        }
        bc_wire_rd_tags(&d.rd);
    }
    if (d.rd.err) {
        if (err_off) *err_off = d.rd.err_off;
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size, "%s at byte %zu",
                          d.rd.err_what, d.rd.err_off);
    }
    /* Trailing bytes are tolerated, as Kafka does for newer clients. */
    return 0;
}
