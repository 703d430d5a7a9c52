/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kgroup: Kafka's classic group state machine over opaque client
 * assignors (see bc_kgroup.h). Groups are few and small, so they live in
 * plain arrays searched linearly; every entry point takes the one mutex
 * and expires the group's silent members first. */
#include "broker-core/bc_kgroup.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_kerr.h"
#include "broker-core/bc_mem.h"
#include "broker-core/bc_wire.h"

enum { EMPTY, PREPARING, COMPLETING, STABLE };
static const char *const state_names[] = {"Empty", "PreparingRebalance",
                                          "CompletingRebalance", "Stable"};

typedef struct proto_s {
    char *name;
    uint8_t *meta;
    int32_t meta_len;
} proto_t;

typedef struct member_s {
    char *id;
    char *instance_id;
    char *client_id;
    char *host;
    int32_t session_ms;
    int32_t rebalance_ms;
    proto_t *protos;
    int32_t proto_cnt;
    uint8_t *assignment;
    int32_t assignment_len;
    int64_t last_heard_ms;
    void *join_waiter; /* parked JoinGroup, or NULL */
    void *sync_waiter; /* parked SyncGroup, or NULL */
    int joined;        /* rejoined in the current join phase */
} member_t;

typedef struct group_s {
    char *id;
    int state;
    char *protocol_type;
    char *protocol;
    char *leader;
    int32_t generation;
    int64_t join_deadline_ms;
    int64_t hold_until_ms; /* initial rebalance delay: no completion
                              before it (0 none) */
    int64_t hold_cap_ms;   /* the hold is never extended past this */
    member_t **members;
    size_t nmem;
} group_t;

struct bc_kgroup_s {
    pthread_mutex_t lock; /* guards groups and everything in them */
    bc_kgroup_conf_t conf;
    group_t **groups;
    size_t ngroups;
    int64_t due_ms; /* earliest held join phase's end, or earlier (a hint:
                       recomputed by bc_kgroup_tick); INT64_MAX none */
    uint64_t next_id;
};

bc_kgroup_t *bc_kgroup_new(const bc_kgroup_conf_t *conf) {
    bc_kgroup_t *kg = bc_calloc(1, sizeof(*kg));
    kg->conf = *conf;
    if (!kg->conf.min_session_timeout_ms)
        kg->conf.min_session_timeout_ms = 6000;
    if (!kg->conf.max_session_timeout_ms)
        kg->conf.max_session_timeout_ms = 1800000;
    kg->due_ms = INT64_MAX;
    pthread_mutex_init(&kg->lock, NULL);
    return kg;
}

static void member_free(member_t *m) {
    if (!m) return;
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->host);
    for (int32_t i = 0; i < m->proto_cnt; i++) {
        free(m->protos[i].name);
        free(m->protos[i].meta);
    }
    free(m->protos);
    free(m->assignment);
    free(m);
}

static void group_free(group_t *g) {
    for (size_t i = 0; i < g->nmem; i++)
        member_free(g->members[i]);
    free(g->members);
    free(g->id);
    free(g->protocol_type);
    free(g->protocol);
    free(g->leader);
    free(g);
}

void bc_kgroup_destroy(bc_kgroup_t *kg) {
    if (!kg) return;
    for (size_t i = 0; i < kg->ngroups; i++)
        group_free(kg->groups[i]);
    free(kg->groups);
    pthread_mutex_destroy(&kg->lock);
    free(kg);
}

static group_t *find_group(bc_kgroup_t *kg, const char *id) {
    for (size_t i = 0; i < kg->ngroups; i++)
        if (strcmp(kg->groups[i]->id, id) == 0) return kg->groups[i];
    return NULL;
}

static member_t *find_member(group_t *g, const char *id) {
    if (!g || !id) return NULL;
    for (size_t i = 0; i < g->nmem; i++)
        if (strcmp(g->members[i]->id, id) == 0) return g->members[i];
    return NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, int32_t n) {
    uint8_t *d = bc_malloc(n > 0 ? (size_t)n : 1);
    if (n > 0) memcpy(d, p, (size_t)n);
    return d;
}

static const proto_t *member_proto(const member_t *m, const char *name) {
    for (int32_t i = 0; i < m->proto_cnt; i++)
        if (name && strcmp(m->protos[i].name, name) == 0) return &m->protos[i];
    return NULL;
}

/* Appends the group's GroupMetadata record to __consumer_offsets. */
static void persist(bc_kgroup_t *kg, group_t *g, int64_t now_ms) {
    if (!kg->conf.broker || !kg->conf.offsets) return;
    bc_wire_wr_t k, v;
    bc_wire_wr_init(&k, 64);
    bc_wire_wr_init(&v, 256);
    bc_wire_wr_i16(&k, 2);
    bc_wire_wr_str(&k, g->id);
    bc_wire_wr_i16(&v, 3);
    bc_wire_wr_str(&v, g->protocol_type ? g->protocol_type : "");
    bc_wire_wr_i32(&v, g->generation);
    bc_wire_wr_str(&v, g->protocol && *g->protocol ? g->protocol : NULL);
    bc_wire_wr_str(&v, g->leader && *g->leader ? g->leader : NULL);
    bc_wire_wr_i64(&v, now_ms);
    bc_wire_wr_array(&v, (int32_t)g->nmem);
    for (size_t i = 0; i < g->nmem; i++) {
        member_t *m = g->members[i];
        const proto_t *p = member_proto(m, g->protocol);
        bc_wire_wr_str(&v, m->id);
        bc_wire_wr_str(&v, m->instance_id);
        bc_wire_wr_str(&v, m->client_id);
        bc_wire_wr_str(&v, m->host);
        bc_wire_wr_i32(&v, m->rebalance_ms);
        bc_wire_wr_i32(&v, m->session_ms);
        bc_wire_wr_bytes(&v, p ? p->meta : (const uint8_t *)"",
                         p ? p->meta_len : 0);
        bc_wire_wr_bytes(&v, m->assignment ? m->assignment : (uint8_t *)"",
                         m->assignment_len);
    }
    bc_record_in_t rec = {.key = k.buf,
                          .key_len = (int32_t)k.len,
                          .value = v.buf,
                          .value_len = (int32_t)v.len,
                          .timestamp = now_ms};
    int32_t part = bc_offsets_partition_for(
        g->id, bc_offsets_partitions(kg->conf.offsets));
    char err[256];
    (void)bc_broker_append(kg->conf.broker, BC_OFFSETS_TOPIC, part, &rec, 1, 0,
                           now_ms, NULL, err, sizeof(err));
    bc_wire_wr_free(&k);
    bc_wire_wr_free(&v);
}

/* ---- reload ------------------------------------------------------ */

typedef struct load_s {
    bc_kgroup_t *kg;
    int64_t now_ms;
    size_t bad;
} load_t;

static void drop_group(bc_kgroup_t *kg, const char *id) {
    for (size_t i = 0; i < kg->ngroups; i++) {
        if (strcmp(kg->groups[i]->id, id) != 0) continue;
        group_free(kg->groups[i]);
        memmove(&kg->groups[i], &kg->groups[i + 1],
                (kg->ngroups - i - 1) * sizeof(*kg->groups));
        kg->ngroups--;
        return;
    }
}

static char *rd_strdup(bc_wire_rd_t *rd, int nullable) {
    int32_t n;
    const char *p = bc_wire_rd_str(rd, nullable, &n);
    if (!p) return nullable ? NULL : bc_strdup("");
    char *d = bc_malloc((size_t)n + 1);
    memcpy(d, p, (size_t)n);
    d[n] = 0;
    return d;
}

/* Decodes a GroupMetadata value (versions 0-3) into a new group; NULL
 * when malformed. */
static group_t *decode_group(const char *id, const uint8_t *buf, size_t len,
                             int64_t now_ms) {
    bc_wire_rd_t rd;
    bc_wire_rd_init(&rd, buf, len);
    int16_t ver = bc_wire_rd_i16(&rd);
    if (ver < 0 || ver > 3) return NULL;
    group_t *g = bc_calloc(1, sizeof(*g));
    g->id = bc_strdup(id);
    g->protocol_type = rd_strdup(&rd, 0);
    g->generation = bc_wire_rd_i32(&rd);
    g->protocol = rd_strdup(&rd, 1);
    g->leader = rd_strdup(&rd, 1);
    if (!g->protocol) g->protocol = bc_strdup("");
    if (!g->leader) g->leader = bc_strdup("");
    if (ver >= 2) (void)bc_wire_rd_i64(&rd);
    int32_t n = bc_wire_rd_array(&rd, 0, 4 * 4);
    for (int32_t i = 0; i < n && !rd.err; i++) {
        member_t *m = bc_calloc(1, sizeof(*m));
        g->members =
            bc_realloc(g->members, (g->nmem + 1) * sizeof(*g->members));
        g->members[g->nmem++] = m;
        m->id = rd_strdup(&rd, 0);
        if (ver >= 3) m->instance_id = rd_strdup(&rd, 1);
        m->client_id = rd_strdup(&rd, 0);
        m->host = rd_strdup(&rd, 0);
        m->rebalance_ms = ver >= 1 ? bc_wire_rd_i32(&rd) : 0;
        m->session_ms = bc_wire_rd_i32(&rd);
        if (ver == 0) m->rebalance_ms = m->session_ms;
        int32_t sl, al;
        const uint8_t *sub = bc_wire_rd_bytes(&rd, 1, &sl);
        const uint8_t *asg = bc_wire_rd_bytes(&rd, 1, &al);
        /* The chosen protocol is the one the member is known to offer. */
        m->protos = bc_calloc(1, sizeof(*m->protos));
        m->proto_cnt = 1;
        m->protos[0].name = bc_strdup(g->protocol);
        m->protos[0].meta = dup_bytes(sub, sub ? sl : 0);
        m->protos[0].meta_len = sub ? sl : 0;
        m->assignment = dup_bytes(asg, asg ? al : 0);
        m->assignment_len = asg ? al : 0;
        m->last_heard_ms = now_ms;
    }
    if (rd.err || n < 0 || (n > 0 && !*g->protocol)) {
        group_free(g);
        return NULL;
    }
    g->state = g->nmem ? STABLE : EMPTY;
    return g;
}

static int load_record(void *opaque, const bc_record_t *rec) {
    load_t *ld = opaque;
    if (!rec->key || rec->key_len < 2) return 0;
    bc_wire_rd_t rd;
    bc_wire_rd_init(&rd, rec->key, (size_t)rec->key_len);
    if (bc_wire_rd_i16(&rd) != 2) return 0; /* a commit */
    char *id = rd_strdup(&rd, 0);
    if (rd.err) {
        ld->bad++;
        free(id);
        return 0;
    }
    if (!rec->value || rec->value_len < 0) {
        drop_group(ld->kg, id); /* tombstone */
    } else {
        /* A malformed record leaves the group as the one before said. */
        group_t *g =
            decode_group(id, rec->value, (size_t)rec->value_len, ld->now_ms);
        if (!g) {
            ld->bad++;
        } else {
            drop_group(ld->kg, id);
            ld->kg->groups =
                bc_realloc(ld->kg->groups,
                           (ld->kg->ngroups + 1) * sizeof(*ld->kg->groups));
            ld->kg->groups[ld->kg->ngroups++] = g;
        }
    }
    free(id);
    return 0;
}

int bc_kgroup_load(bc_kgroup_t *kg, int64_t now_ms, size_t *groups,
                   size_t *skipped, char *errstr, size_t errstr_size) {
    load_t ld = {kg, now_ms, 0};
    int rc = 0;
    pthread_mutex_lock(&kg->lock);
    int32_t np = kg->conf.broker && kg->conf.offsets
                     ? bc_offsets_partitions(kg->conf.offsets)
                     : 0;
    for (int32_t p = 0; p < np && rc == 0; p++) {
        bc_log_t *log = bc_broker_log(kg->conf.broker, BC_OFFSETS_TOPIC, p);
        if (!log) continue; /* offline: bc_offsets said so */
        int64_t pos = bc_log_start_offset(log), end = bc_log_end_offset(log);
        while (pos < end && rc == 0) {
            int64_t next = pos;
            rc = bc_log_read(log, pos, 1 << 20, load_record, &ld, &next, errstr,
                             errstr_size);
            if (next <= pos) break;
            pos = next;
        }
    }
    /* Groups come back Empty or Stable as last written; Kafka keeps an
     * Empty one until its offsets expire, and ListGroups shows it. */
    if (groups) *groups = kg->ngroups;
    if (skipped) *skipped = ld.bad;
    pthread_mutex_unlock(&kg->lock);
    return rc;
}

static void join_error(bc_kgroup_t *kg, void *waiter, int16_t error,
                       const char *member_id) {
    bc_kgroup_join_result_t r = {.error = error,
                                 .generation = -1,
                                 .protocol = "",
                                 .leader = "",
                                 .member_id = member_id ? member_id : ""};
    kg->conf.join_done(kg->conf.opaque, waiter, &r);
}

static void remove_member(bc_kgroup_t *kg, group_t *g, size_t i) {
    member_t *m = g->members[i];
    if (m->join_waiter)
        join_error(kg, m->join_waiter, BC_KERR_UNKNOWN_MEMBER_ID, m->id);
    if (m->sync_waiter)
        kg->conf.sync_done(kg->conf.opaque, m->sync_waiter,
                           BC_KERR_UNKNOWN_MEMBER_ID, NULL, 0);
    if (g->leader && strcmp(g->leader, m->id) == 0) {
        free(g->leader);
        g->leader = bc_strdup("");
    }
    member_free(m);
    memmove(&g->members[i], &g->members[i + 1],
            (g->nmem - i - 1) * sizeof(*g->members));
    g->nmem--;
}

static int32_t max_rebalance_ms(const group_t *g) {
    int32_t mx = 0;
    for (size_t i = 0; i < g->nmem; i++)
        if (g->members[i]->rebalance_ms > mx) mx = g->members[i]->rebalance_ms;
    return mx;
}

/* Starts a join phase: every member must rejoin. Parked syncs are told.
 * An Empty group's first join phase is held for the initial rebalance
 * delay (Kafka's InitialDelayedJoin), so members started together land in
 * one generation instead of the first forming a group alone and failing
 * its SyncGroup when the next arrives. */
static void prepare_rebalance(bc_kgroup_t *kg, group_t *g, int64_t now_ms) {
    for (size_t i = 0; i < g->nmem; i++) {
        member_t *m = g->members[i];
        if (m->sync_waiter) {
            kg->conf.sync_done(kg->conf.opaque, m->sync_waiter,
                               BC_KERR_REBALANCE_IN_PROGRESS, NULL, 0);
            m->sync_waiter = NULL;
        }
        if (g->state != PREPARING) m->joined = 0;
    }
    if (g->state != PREPARING) {
        int32_t delay = kg->conf.initial_rebalance_delay_ms;
        if (g->state == EMPTY && delay > 0) {
            int32_t rb = max_rebalance_ms(g);
            g->hold_until_ms = now_ms + delay;
            g->hold_cap_ms = now_ms + (rb > delay ? rb : delay);
            if (g->hold_until_ms < kg->due_ms) kg->due_ms = g->hold_until_ms;
        }
        g->state = PREPARING;
        g->join_deadline_ms = now_ms + max_rebalance_ms(g);
    }
}

/* The protocol every member offers that most members list first. */
static const char *select_protocol(const group_t *g) {
    const member_t *m0 = g->members[0];
    const char *best = NULL;
    int best_votes = -1;
    for (int32_t c = 0; c < m0->proto_cnt; c++) {
        const char *cand = m0->protos[c].name;
        int all = 1;
        for (size_t i = 0; i < g->nmem && all; i++)
            all = member_proto(g->members[i], cand) != NULL;
        if (!all) continue;
        int votes = 0;
        for (size_t i = 0; i < g->nmem; i++) {
            const member_t *m = g->members[i];
            for (int32_t k = 0; k < m->proto_cnt; k++) {
                int ok = 1;
                for (size_t j = 0; j < g->nmem && ok; j++)
                    ok = member_proto(g->members[j], m->protos[k].name) != NULL;
                if (!ok) continue;
                if (strcmp(m->protos[k].name, cand) == 0) votes++;
                break;
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

/* Ends the join phase: drops members that did not rejoin, elects the
 * protocol and leader, bumps the generation and answers every join. */
static void complete_join(bc_kgroup_t *kg, group_t *g, int64_t now_ms) {
    g->hold_until_ms = 0;
    for (size_t i = g->nmem; i-- > 0;)
        if (!g->members[i]->joined) remove_member(kg, g, i);
    g->generation++;
    free(g->protocol);
    if (g->nmem == 0) {
        g->state = EMPTY;
        g->protocol = bc_strdup("");
        free(g->leader);
        g->leader = bc_strdup("");
        persist(kg, g, now_ms);
        return;
    }
    const char *proto = select_protocol(g);
    g->protocol = bc_strdup(proto ? proto : "");
    if (!find_member(g, g->leader)) {
        free(g->leader);
        g->leader = bc_strdup(g->members[0]->id);
    }
    g->state = COMPLETING;
    bc_kgroup_join_member_t *ms = bc_calloc(g->nmem, sizeof(*ms));
    for (size_t i = 0; i < g->nmem; i++) {
        const proto_t *p = member_proto(g->members[i], g->protocol);
        ms[i].member_id = g->members[i]->id;
        ms[i].group_instance_id = g->members[i]->instance_id;
        ms[i].metadata = p ? p->meta : NULL;
        ms[i].metadata_len = p ? p->meta_len : 0;
    }
    for (size_t i = 0; i < g->nmem; i++) {
        member_t *m = g->members[i];
        m->last_heard_ms = now_ms;
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        if (!m->join_waiter) continue;
        int lead = strcmp(m->id, g->leader) == 0;
        bc_kgroup_join_result_t r = {.error = 0,
                                     .generation = g->generation,
                                     .protocol = g->protocol,
                                     .leader = g->leader,
                                     .member_id = m->id,
                                     .members = lead ? ms : NULL,
                                     .member_cnt = lead ? (int32_t)g->nmem : 0};
        void *w = m->join_waiter;
        m->join_waiter = NULL;
        kg->conf.join_done(kg->conf.opaque, w, &r);
    }
    free(ms);
}

static void maybe_complete_join(bc_kgroup_t *kg, group_t *g, int64_t now_ms) {
    if (g->state != PREPARING) return;
    if (g->hold_until_ms && g->nmem > 0) {
        if (now_ms < g->hold_until_ms) return;
        g->hold_until_ms = 0;
    }
    int all = 1;
    for (size_t i = 0; i < g->nmem && all; i++)
        all = g->members[i]->joined;
    if (all || now_ms >= g->join_deadline_ms) complete_join(kg, g, now_ms);
}

/* Removes members silent for their session timeout (not those waiting
 * in a join phase: the rebalance timeout governs them). */
static int expire(bc_kgroup_t *kg, group_t *g, int64_t now_ms) {
    int removed = 0;
    for (size_t i = g->nmem; i-- > 0;) {
        member_t *m = g->members[i];
        if (m->join_waiter) continue;
        if (now_ms - m->last_heard_ms <= m->session_ms) continue;
        remove_member(kg, g, i);
        removed++;
    }
    if (removed) {
        if (g->state == STABLE || g->state == COMPLETING)
            prepare_rebalance(kg, g, now_ms);
        if (g->nmem == 0 && g->state == PREPARING) complete_join(kg, g, now_ms);
    }
    maybe_complete_join(kg, g, now_ms);
    return removed;
}

static int same_protocols(const member_t *m, const bc_kreq_join_group_t *r) {
    if (m->proto_cnt != r->protocol_cnt) return 0;
    for (int32_t i = 0; i < r->protocol_cnt; i++) {
        const proto_t *p = &m->protos[i];
        if (strcmp(p->name, r->protocols[i].name) != 0 ||
            p->meta_len != r->protocols[i].metadata_len ||
            (p->meta_len &&
             memcmp(p->meta, r->protocols[i].metadata, (size_t)p->meta_len)))
            return 0;
    }
    return 1;
}

static void set_protocols(member_t *m, const bc_kreq_join_group_t *r) {
    for (int32_t i = 0; i < m->proto_cnt; i++) {
        free(m->protos[i].name);
        free(m->protos[i].meta);
    }
    free(m->protos);
    m->proto_cnt = r->protocol_cnt;
    m->protos = bc_calloc((size_t)(r->protocol_cnt ? r->protocol_cnt : 1),
                          sizeof(*m->protos));
    for (int32_t i = 0; i < r->protocol_cnt; i++) {
        m->protos[i].name = bc_strdup(r->protocols[i].name);
        m->protos[i].meta =
            dup_bytes(r->protocols[i].metadata, r->protocols[i].metadata_len);
        m->protos[i].meta_len = r->protocols[i].metadata_len;
    }
}

/* Does the new member share a protocol with every current member? */
static int compatible(const group_t *g, const bc_kreq_join_group_t *r) {
    if (g->nmem == 0) return 1;
    if (strcmp(g->protocol_type, r->protocol_type) != 0) return 0;
    for (int32_t c = 0; c < r->protocol_cnt; c++) {
        int all = 1;
        for (size_t i = 0; i < g->nmem && all; i++)
            all = member_proto(g->members[i], r->protocols[c].name) != NULL;
        if (all) return 1;
    }
    return 0;
}

void bc_kgroup_join(bc_kgroup_t *kg, const bc_kreq_join_group_t *r,
                    const char *client_id, const char *host, void *waiter,
                    int64_t now_ms) {
    pthread_mutex_lock(&kg->lock);
    if (!r->group[0]) {
        join_error(kg, waiter, BC_KERR_INVALID_GROUP_ID, r->member_id);
        goto out;
    }
    if (r->session_timeout_ms < kg->conf.min_session_timeout_ms ||
        r->session_timeout_ms > kg->conf.max_session_timeout_ms) {
        join_error(kg, waiter, BC_KERR_INVALID_SESSION_TIMEOUT, r->member_id);
        goto out;
    }
    if (!r->protocol_type[0] || r->protocol_cnt <= 0) {
        join_error(kg, waiter, BC_KERR_INCONSISTENT_GROUP_PROTOCOL,
                   r->member_id);
        goto out;
    }
    group_t *g = find_group(kg, r->group);
    if (g) expire(kg, g, now_ms);
    member_t *m = find_member(g, r->member_id);
    if (r->member_id[0] && !m) {
        join_error(kg, waiter, BC_KERR_UNKNOWN_MEMBER_ID, r->member_id);
        goto out;
    }
    if (!g) {
        g = bc_calloc(1, sizeof(*g));
        g->id = bc_strdup(r->group);
        g->protocol_type = bc_strdup(r->protocol_type);
        g->protocol = bc_strdup("");
        g->leader = bc_strdup("");
        kg->groups =
            bc_realloc(kg->groups, (kg->ngroups + 1) * sizeof(*kg->groups));
        kg->groups[kg->ngroups++] = g;
    }
    if (!m && !compatible(g, r)) {
        join_error(kg, waiter, BC_KERR_INCONSISTENT_GROUP_PROTOCOL, "");
        goto out;
    }
    if (g->nmem == 0) {
        free(g->protocol_type);
        g->protocol_type = bc_strdup(r->protocol_type);
    }
    if (!m) {
        char id[264];
        snprintf(id, sizeof(id), "%.200s-%016llx-%08llx",
                 client_id && *client_id ? client_id : "member",
                 (unsigned long long)now_ms, (unsigned long long)++kg->next_id);
        m = bc_calloc(1, sizeof(*m));
        m->id = bc_strdup(id);
        m->client_id = bc_strdup(client_id ? client_id : "");
        m->host = bc_strdup(host ? host : "");
        m->instance_id =
            r->group_instance_id ? bc_strdup(r->group_instance_id) : NULL;
        set_protocols(m, r);
        g->members =
            bc_realloc(g->members, (g->nmem + 1) * sizeof(*g->members));
        g->members[g->nmem++] = m;
        m->session_ms = r->session_timeout_ms;
        m->rebalance_ms = r->rebalance_timeout_ms;
        m->last_heard_ms = now_ms;
        if (g->hold_until_ms) { /* still arriving: hold on */
            int64_t next = now_ms + kg->conf.initial_rebalance_delay_ms;
            g->hold_until_ms = next < g->hold_cap_ms ? next : g->hold_cap_ms;
        }
        prepare_rebalance(kg, g, now_ms);
    } else {
        m->session_ms = r->session_timeout_ms;
        m->rebalance_ms = r->rebalance_timeout_ms;
        m->last_heard_ms = now_ms;
        if (m->join_waiter) /* a retried join replaces the parked one */
            join_error(kg, m->join_waiter, BC_KERR_REBALANCE_IN_PROGRESS,
                       m->id);
        m->join_waiter = NULL;
        int same = same_protocols(m, r);
        int leader = strcmp(g->leader, m->id) == 0;
        if ((g->state == STABLE || g->state == COMPLETING) && same && !leader) {
            /* Nothing changed: answer with the current generation. */
            bc_kgroup_join_result_t res = {.error = 0,
                                           .generation = g->generation,
                                           .protocol = g->protocol,
                                           .leader = g->leader,
                                           .member_id = m->id};
            kg->conf.join_done(kg->conf.opaque, waiter, &res);
            goto out;
        }
        if (!same) set_protocols(m, r);
        prepare_rebalance(kg, g, now_ms);
    }
    m->joined = 1;
    m->join_waiter = waiter;
    if (g->join_deadline_ms < now_ms + m->rebalance_ms &&
        g->state == PREPARING && m->rebalance_ms > 0 && g->nmem == 1)
        g->join_deadline_ms = now_ms + m->rebalance_ms;
    maybe_complete_join(kg, g, now_ms);
out:
    pthread_mutex_unlock(&kg->lock);
}

void bc_kgroup_sync(bc_kgroup_t *kg, const bc_kreq_sync_group_t *r,
                    void *waiter, int64_t now_ms) {
    pthread_mutex_lock(&kg->lock);
    group_t *g = find_group(kg, r->group);
    if (g) expire(kg, g, now_ms);
    member_t *m = find_member(g, r->member_id);
    int16_t err = 0;
    if (!m)
        err = BC_KERR_UNKNOWN_MEMBER_ID;
    else if (r->generation != g->generation)
        err = BC_KERR_ILLEGAL_GENERATION;
    else if (g->state == PREPARING)
        err = BC_KERR_REBALANCE_IN_PROGRESS;
    if (err) {
        kg->conf.sync_done(kg->conf.opaque, waiter, err, NULL, 0);
        goto out;
    }
    m->last_heard_ms = now_ms;
    if (g->state == STABLE) {
        kg->conf.sync_done(kg->conf.opaque, waiter, 0, m->assignment,
                           m->assignment_len);
        goto out;
    }
    /* COMPLETING */
    if (m->sync_waiter)
        kg->conf.sync_done(kg->conf.opaque, m->sync_waiter,
                           BC_KERR_REBALANCE_IN_PROGRESS, NULL, 0);
    m->sync_waiter = waiter;
    if (strcmp(m->id, g->leader) != 0) goto out;
    for (int32_t i = 0; i < r->assignment_cnt; i++) {
        member_t *t = find_member(g, r->assignments[i].member_id);
        if (!t) continue;
        free(t->assignment);
        t->assignment = dup_bytes(r->assignments[i].assignment,
                                  r->assignments[i].assignment_len);
        t->assignment_len = r->assignments[i].assignment_len;
    }
    g->state = STABLE;
    persist(kg, g, now_ms);
    for (size_t i = 0; i < g->nmem; i++) {
        member_t *t = g->members[i];
        if (!t->sync_waiter) continue;
        void *w = t->sync_waiter;
        t->sync_waiter = NULL;
        kg->conf.sync_done(kg->conf.opaque, w, 0, t->assignment,
                           t->assignment_len);
    }
out:
    pthread_mutex_unlock(&kg->lock);
}

int16_t bc_kgroup_heartbeat(bc_kgroup_t *kg, const char *group,
                            const char *member_id, int32_t generation,
                            int64_t now_ms) {
    pthread_mutex_lock(&kg->lock);
    group_t *g = find_group(kg, group);
    if (g) expire(kg, g, now_ms);
    member_t *m = find_member(g, member_id);
    int16_t err = 0;
    if (!m)
        err = BC_KERR_UNKNOWN_MEMBER_ID;
    else {
        m->last_heard_ms = now_ms;
        if (generation != g->generation)
            err = BC_KERR_ILLEGAL_GENERATION;
        else if (g->state == PREPARING)
            err = BC_KERR_REBALANCE_IN_PROGRESS;
    }
    pthread_mutex_unlock(&kg->lock);
    return err;
}

int16_t bc_kgroup_leave(bc_kgroup_t *kg, const char *group,
                        const char *member_id, int64_t now_ms) {
    pthread_mutex_lock(&kg->lock);
    int16_t err = BC_KERR_UNKNOWN_MEMBER_ID;
    group_t *g = find_group(kg, group);
    for (size_t i = 0; g && i < g->nmem; i++) {
        if (strcmp(g->members[i]->id, member_id) != 0) continue;
        remove_member(kg, g, i);
        err = 0;
        if (g->nmem == 0 && g->state != PREPARING) {
            g->state = PREPARING; /* completes at once into Empty */
            complete_join(kg, g, now_ms);
        } else {
            prepare_rebalance(kg, g, now_ms);
            maybe_complete_join(kg, g, now_ms);
        }
        break;
    }
    pthread_mutex_unlock(&kg->lock);
    return err;
}

int16_t bc_kgroup_check_commit(bc_kgroup_t *kg, const char *group,
                               const char *member_id, int32_t generation,
                               int64_t now_ms) {
    pthread_mutex_lock(&kg->lock);
    int16_t err = 0;
    group_t *g = find_group(kg, group);
    if (g) expire(kg, g, now_ms);
    if (generation < 0 && (!member_id || !member_id[0])) {
        if (g && g->nmem > 0) err = BC_KERR_UNKNOWN_MEMBER_ID;
    } else {
        member_t *m = find_member(g, member_id);
        if (!m)
            err = BC_KERR_UNKNOWN_MEMBER_ID;
        else if (generation != g->generation)
            err = BC_KERR_ILLEGAL_GENERATION;
        else if (g->state == COMPLETING)
            err = BC_KERR_REBALANCE_IN_PROGRESS;
        else
            m->last_heard_ms = now_ms;
    }
    pthread_mutex_unlock(&kg->lock);
    return err;
}

void bc_kgroup_cancel(bc_kgroup_t *kg, void *waiter) {
    pthread_mutex_lock(&kg->lock);
    for (size_t i = 0; i < kg->ngroups; i++) {
        group_t *g = kg->groups[i];
        for (size_t j = 0; j < g->nmem; j++) {
            if (g->members[j]->join_waiter == waiter)
                g->members[j]->join_waiter = NULL;
            if (g->members[j]->sync_waiter == waiter)
                g->members[j]->sync_waiter = NULL;
        }
    }
    pthread_mutex_unlock(&kg->lock);
}

int64_t bc_kgroup_next_due_ms(bc_kgroup_t *kg) {
    pthread_mutex_lock(&kg->lock);
    int64_t due = kg->due_ms;
    pthread_mutex_unlock(&kg->lock);
    return due;
}

int bc_kgroup_tick(bc_kgroup_t *kg, int64_t now_ms) {
    int n = 0;
    pthread_mutex_lock(&kg->lock);
    kg->due_ms = INT64_MAX;
    for (size_t i = 0; i < kg->ngroups; i++) {
        group_t *g = kg->groups[i];
        n += expire(kg, g, now_ms);
        if (g->state == PREPARING && g->hold_until_ms &&
            g->hold_until_ms < kg->due_ms)
            kg->due_ms = g->hold_until_ms;
    }
    pthread_mutex_unlock(&kg->lock);
    return n;
}

bc_kgroup_desc_t *bc_kgroup_describe(bc_kgroup_t *kg, const char *group,
                                     int64_t now_ms) {
    pthread_mutex_lock(&kg->lock);
    group_t *g = find_group(kg, group);
    bc_kgroup_desc_t *d = NULL;
    if (!g) goto out;
    expire(kg, g, now_ms);
    d = bc_calloc(1, sizeof(*d));
    d->group = bc_strdup(g->id);
    d->state = state_names[g->state];
    d->protocol_type = bc_strdup(g->protocol_type);
    d->protocol = bc_strdup(
        g->state == STABLE || g->state == COMPLETING ? g->protocol : "");
    d->leader = bc_strdup(g->leader);
    d->generation = g->generation;
    d->member_cnt = g->nmem;
    d->members = bc_calloc(g->nmem ? g->nmem : 1, sizeof(*d->members));
    for (size_t i = 0; i < g->nmem; i++) {
        member_t *m = g->members[i];
        bc_kgroup_desc_member_t *o = &d->members[i];
        const proto_t *p = member_proto(m, g->protocol);
        o->member_id = bc_strdup(m->id);
        o->group_instance_id =
            m->instance_id ? bc_strdup(m->instance_id) : NULL;
        o->client_id = bc_strdup(m->client_id);
        o->host = bc_strdup(m->host);
        o->metadata = dup_bytes(p ? p->meta : NULL, p ? p->meta_len : 0);
        o->metadata_len = p ? p->meta_len : 0;
        o->assignment = dup_bytes(m->assignment, m->assignment_len);
        o->assignment_len = m->assignment_len;
    }
out:
    pthread_mutex_unlock(&kg->lock);
    return d;
}

void bc_kgroup_desc_free(bc_kgroup_desc_t *d) {
    if (!d) return;
    for (size_t i = 0; i < d->member_cnt; i++) {
        bc_kgroup_desc_member_t *m = &d->members[i];
        free(m->member_id);
        free(m->group_instance_id);
        free(m->client_id);
        free(m->host);
        free(m->metadata);
        free(m->assignment);
    }
    free(d->members);
    free(d->group);
    free(d->protocol_type);
    free(d->protocol);
    free(d->leader);
    free(d);
}

char **bc_kgroup_list(bc_kgroup_t *kg, size_t *n) {
    pthread_mutex_lock(&kg->lock);
    char **names = bc_calloc(kg->ngroups ? kg->ngroups : 1, sizeof(char *));
    for (size_t i = 0; i < kg->ngroups; i++)
        names[i] = bc_strdup(kg->groups[i]->id);
    *n = kg->ngroups;
    pthread_mutex_unlock(&kg->lock);
    return names;
}

int bc_kgroup_decode_assignment(const uint8_t *buf, size_t len,
                                bc_kgroup_tp_fn fn, void *opaque) {
    bc_wire_rd_t rd;
    bc_wire_rd_init(&rd, buf, len);
    if (len == 0) return 0; /* an empty assignment: nothing owned */
    (void)bc_wire_rd_i16(&rd);
    int32_t nt = bc_wire_rd_array(&rd, 0, 6);
    for (int32_t i = 0; i < nt && !rd.err; i++) {
        int32_t tl;
        const char *t = bc_wire_rd_str(&rd, 0, &tl);
        int32_t np = bc_wire_rd_array(&rd, 0, 4);
        for (int32_t j = 0; j < np && !rd.err; j++) {
            int32_t p = bc_wire_rd_i32(&rd);
            if (!rd.err) fn(opaque, t, (size_t)tl, p);
        }
    }
    return rd.err ? BC_ERR_CORRUPT : 0;
}
