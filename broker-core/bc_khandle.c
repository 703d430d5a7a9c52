/* SPDX-License-Identifier: Apache-2.0 */
/* bc_khandle: one handler per Kafka API over the broker, the offset
 * table and the wire group coordinator (see bc_kserver.h and, for the
 * field layouts of every version, the message specs named in bc_kreq.h).
 * Response fields are written in spec order, `v` guarding those that a
 * version adds; a single-node cluster answers with node `node_id` as
 * leader, replica and coordinator everywhere. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_kerr.h"
#include "broker-core/bc_kserver_int.h"
#include "broker-core/bc_mem.h"
#include "broker-core/bc_topic.h"

static int internal_topic(const char *t) {
    return strcmp(t, BC_OFFSETS_TOPIC) == 0;
}

/* Creates `topic` with num.partitions if auto-creation is on and the
 * name valid. Returns 0 if the topic exists afterwards, else the Kafka
 * error to report. */
static int16_t auto_create(bc_kserver_t *srv, const char *topic, int allow) {
    if (bc_broker_partitions(srv->conf.broker, topic) > 0) return 0;
    char err[256];
    if (bc_topic_name_valid(topic, err, sizeof(err)) != 0)
        return BC_KERR_INVALID_TOPIC_EXCEPTION;
    if (!allow || !srv->conf.auto_create_topics)
        return BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
    int rc = bc_broker_create_topic(srv->conf.broker, topic,
                                    srv->conf.num_partitions, NULL,
                                    srv->wall_ms, err, sizeof(err));
    if (rc != 0 && rc != BC_ERR_EXISTS) {
        bc_kserver_logf(srv, "kafka: auto-create of topic %s failed: %s", topic,
                        err);
        return BC_KERR_UNKNOWN_SERVER_ERROR;
    }
    bc_kserver_logf(srv, "kafka: created topic %s (%d partitions)", topic,
                    (int)srv->conf.num_partitions);
    return 0;
}

static void send_resp(bc_kserver_t *srv, bc_kconn_t *c, bc_kresp_t *r) {
    bc_kresp_finish(r);
    bc_kserver_queue(srv, c, r);
}

/* ---- ApiVersions ------------------------------------------------- */

static void h_api_versions(bc_kserver_t *srv, bc_kconn_t *c,
                           const bc_kreq_t *req, int unsupported) {
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    int16_t v = unsupported ? 0 : req->api_version;
    size_t n;
    const bc_kreq_version_t *vs = bc_kreq_versions(&n);
    w->flex = bc_kreq_flexible(BC_API_API_VERSIONS, v);
    bc_wire_wr_i16(w, unsupported ? BC_KERR_UNSUPPORTED_VERSION : 0);
    bc_wire_wr_array(w, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        bc_wire_wr_i16(w, vs[i].api_key);
        bc_wire_wr_i16(w, vs[i].min_version);
        bc_wire_wr_i16(w, vs[i].max_version);
        bc_wire_wr_tags(w);
    }
    if (v >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_tags(w);
    send_resp(srv, c, r);
}

/* ---- Metadata ---------------------------------------------------- */

static void md_topic(bc_kserver_t *srv, bc_wire_wr_t *w, int16_t v,
                     const char *name, int16_t err) {
    int32_t np = err ? 0 : bc_broker_partitions(srv->conf.broker, name);
    if (np < 0) {
        np = 0;
        err = BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    bc_wire_wr_i16(w, err);
    bc_wire_wr_str(w, name);
    if (v >= 1) bc_wire_wr_i8(w, internal_topic(name));
    bc_wire_wr_array(w, np);
    for (int32_t p = 0; p < np; p++) {
        bc_wire_wr_i16(w, 0);
        bc_wire_wr_i32(w, p);
        bc_wire_wr_i32(w, srv->conf.node_id);
        if (v >= 7) bc_wire_wr_i32(w, 0); /* leader epoch */
        bc_wire_wr_array(w, 1);
        bc_wire_wr_i32(w, srv->conf.node_id);
        bc_wire_wr_array(w, 1);
        bc_wire_wr_i32(w, srv->conf.node_id);
        if (v >= 5) bc_wire_wr_array(w, 0);
    }
    if (v >= 8) bc_wire_wr_i32(w, INT32_MIN); /* authorized ops: omitted */
}

static void h_metadata(bc_kserver_t *srv, bc_kconn_t *c, const bc_kreq_t *req) {
    const bc_kreq_metadata_t *m = &req->u.metadata;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 3) bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, 1);
    bc_wire_wr_i32(w, srv->conf.node_id);
    bc_wire_wr_str(w, srv->adv_host);
    bc_wire_wr_i32(w, srv->adv_port);
    if (v >= 1) bc_wire_wr_str(w, NULL); /* rack */
    if (v >= 2) bc_wire_wr_str(w, "warren-embedded");
    if (v >= 1) bc_wire_wr_i32(w, srv->conf.node_id);
    if (m->topic_cnt < 0) {
        char **names;
        size_t n;
        bc_broker_list_topics(srv->conf.broker, &names, &n);
        bc_wire_wr_array(w, (int32_t)n);
        for (size_t i = 0; i < n; i++)
            md_topic(srv, w, v, names[i], 0);
        bc_broker_free_topics(names, n);
    } else {
        bc_wire_wr_array(w, m->topic_cnt);
        for (int32_t i = 0; i < m->topic_cnt; i++)
            md_topic(srv, w, v, m->topics[i],
                     auto_create(srv, m->topics[i], m->allow_auto_create));
    }
    if (v >= 8) bc_wire_wr_i32(w, INT32_MIN);
    send_resp(srv, c, r);
}

/* ---- Produce ----------------------------------------------------- */

/* Appends batches[0..n) of one partition (none idempotent, or the one
 * idempotent batch): 0 or the Kafka error, *base the first base offset. */
static int16_t append_batches(bc_kserver_t *srv, bc_log_t *log,
                              const char *topic, int32_t partition,
                              uint8_t **batches, size_t *lens, size_t n,
                              int64_t *base) {
    bc_append_info_t infos[64];
    char err[256];
    int rc = bc_log_append_v(log, batches, lens, n, 0, srv->wall_ms, infos, err,
                             sizeof(err));
    if (rc == BC_ERR_TOO_LARGE) return BC_KERR_MESSAGE_TOO_LARGE;
    if (rc == BC_ERR_INVALID) return BC_KERR_CORRUPT_MESSAGE;
    if (rc != 0) {
        bc_kserver_logf(srv, "kafka: produce to %s-%d failed: %s", topic,
                        (int)partition, err);
        return BC_KERR_KAFKA_STORAGE_ERROR;
    }
    *base = infos[0].base_offset;
    return 0;
}

/* Appends the batches of one partition's records. Returns the Kafka
 * error and fills *base / *lso. Batches of an idempotent producer
 * (producer id >= 0) go one at a time through the sequence table
 * (bc_kpid.h): a retried one is not appended again and answers with the
 * offset it got the first time. */
static int16_t produce_part(bc_kserver_t *srv, const char *topic,
                            const bc_kreq_produce_part_t *pp, int64_t *base,
                            int64_t *lso) {
    *base = -1;
    *lso = -1;
    bc_log_t *log = bc_broker_log(srv->conf.broker, topic, pp->partition);
    if (!log) return BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!pp->records || pp->records_len <= 0) return BC_KERR_CORRUPT_MESSAGE;
    uint8_t *p = (uint8_t *)pp->records; /* the frame is ours: mutable */
    size_t left = (size_t)pp->records_len;
    uint8_t *batches[64];
    size_t lens[64];
    bc_batch_t hdrs[64];
    size_t n = 0;
    int idempotent = 0;
    while (left > 0) {
        bc_batch_t *b = &hdrs[n < 64 ? n : 63];
        if (left < BC_BATCH_HEADER_SIZE) return BC_KERR_CORRUPT_MESSAGE;
        int8_t magic = (int8_t)p[16];
        if (magic != BC_BATCH_MAGIC) return BC_KERR_CORRUPT_MESSAGE;
        if (bc_batch_parse_header(p, left, b, NULL, 0) != 0 || b->size > left)
            return BC_KERR_CORRUPT_MESSAGE;
        if (b->attributes & BC_BATCH_ATTR_COMPRESSION)
            return BC_KERR_UNSUPPORTED_COMPRESSION_TYPE;
        if (b->size > (size_t)srv->conf.message_max_bytes)
            return BC_KERR_MESSAGE_TOO_LARGE;
        if (n == sizeof(lens) / sizeof(lens[0]))
            return BC_KERR_RECORD_LIST_TOO_LARGE;
        idempotent |= b->producer_id >= 0;
        batches[n] = p;
        lens[n++] = b->size;
        p += b->size;
        left -= b->size;
    }
    int16_t e = 0;
    if (!idempotent) {
        e = append_batches(srv, log, topic, pp->partition, batches, lens, n,
                           base);
    } else {
        for (size_t i = 0; i < n && !e; i++) {
            const bc_batch_t *h = &hdrs[i];
            int64_t at = -1, dup = -1;
            int ck = h->producer_id < 0
                         ? 0
                         : bc_kpid_check(srv->pids, topic, pp->partition,
                                         h->producer_id, h->producer_epoch,
                                         h->base_sequence, h->last_offset_delta,
                                         &dup);
            if (ck == BC_KPID_DUPLICATE) {
                at = dup;
            } else if (ck != 0) {
                e = (int16_t)ck;
            } else {
                e = append_batches(srv, log, topic, pp->partition, &batches[i],
                                   &lens[i], 1, &at);
                if (!e && h->producer_id >= 0)
                    bc_kpid_appended(srv->pids, topic, pp->partition,
                                     h->producer_id, h->producer_epoch,
                                     h->base_sequence, h->last_offset_delta,
                                     at);
            }
            if (!e && i == 0) *base = at;
        }
    }
    if (!e) *lso = bc_log_start_offset(log);
    return e;
}

static void h_produce(bc_kserver_t *srv, bc_kconn_t *c, const bc_kreq_t *req) {
    const bc_kreq_produce_t *pr = &req->u.produce;
    int16_t v = req->api_version;
    int bad_acks = pr->acks != 0 && pr->acks != 1 && pr->acks != -1;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    bc_wire_wr_array(w, pr->topic_cnt);
    for (int32_t i = 0; i < pr->topic_cnt; i++) {
        const bc_kreq_produce_topic_t *t = &pr->topics[i];
        int16_t terr = bad_acks ? BC_KERR_INVALID_REQUIRED_ACKS
                                : auto_create(srv, t->name, 1);
        bc_wire_wr_str(w, t->name);
        bc_wire_wr_array(w, t->part_cnt);
        for (int32_t j = 0; j < t->part_cnt; j++) {
            int64_t base = -1, lso = -1;
            int16_t e =
                terr ? terr
                     : produce_part(srv, t->name, &t->parts[j], &base, &lso);
            bc_wire_wr_i32(w, t->parts[j].partition);
            bc_wire_wr_i16(w, e);
            bc_wire_wr_i64(w, base);
            bc_wire_wr_i64(w, -1); /* log append time: CreateTime */
            if (v >= 5) bc_wire_wr_i64(w, lso);
            if (v >= 8) {
                bc_wire_wr_array(w, 0);
                bc_wire_wr_str(w, NULL);
            }
        }
    }
    bc_wire_wr_i32(w, 0); /* throttle */
    if (pr->acks == 0) {  /* no response, as Kafka */
        bc_kresp_free(r);
        return;
    }
    send_resp(srv, c, r);
}

/* ---- Fetch ------------------------------------------------------- */

/* One partition's part of a fetch answer. */
typedef struct fpart_s {
    int16_t err;
    bc_fetch_file_t f;
} fpart_t;

/* Builds the fetch answer (or only counts bytes when `r` is NULL).
 * Returns the record bytes found. */
static size_t fetch_collect(bc_kserver_t *srv, const bc_kreq_fetch_t *fr,
                            fpart_t *parts) {
    size_t total = 0, k = 0;
    int64_t budget = fr->max_bytes > 0 ? fr->max_bytes : INT32_MAX;
    for (int32_t i = 0; i < fr->topic_cnt; i++) {
        const bc_kreq_fetch_topic_t *t = &fr->topics[i];
        for (int32_t j = 0; j < t->part_cnt; j++, k++) {
            fpart_t *fp = &parts[k];
            memset(fp, 0, sizeof(*fp));
            fp->f.fd = -1;
            fp->f.log_start_offset = fp->f.log_end_offset = -1;
            const bc_kreq_fetch_part_t *p = &t->parts[j];
            bc_log_t *log =
                bc_broker_log(srv->conf.broker, t->name, p->partition);
            if (!log) {
                fp->err = BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            size_t max = p->max_bytes > 0 ? (size_t)p->max_bytes : 0;
            if ((int64_t)max > budget) max = budget > 0 ? (size_t)budget : 0;
            char err[256];
            int rc = bc_log_fetch_file(log, p->fetch_offset, max ? max : 1,
                                       &fp->f, err, sizeof(err));
            if (rc == BC_ERR_OUT_OF_RANGE) {
                fp->err = BC_KERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            if (rc != 0) {
                fp->err = BC_KERR_KAFKA_STORAGE_ERROR;
                continue;
            }
            if (fp->f.len > 0 && (budget <= 0 || max == 0) && total > 0) {
                close(fp->f.fd); /* over max.bytes: nothing for this one */
                fp->f.fd = -1;
                fp->f.len = 0;
            }
            total += fp->f.len;
            budget -= (int64_t)fp->f.len;
        }
    }
    return total;
}

static size_t fetch_nparts(const bc_kreq_fetch_t *fr) {
    size_t n = 0;
    for (int32_t i = 0; i < fr->topic_cnt; i++)
        n += (size_t)fr->topics[i].part_cnt;
    return n;
}

static void fetch_release(fpart_t *parts, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (parts[i].f.fd >= 0) close(parts[i].f.fd);
}

/* Answers the fetch if min.bytes is met, an error is there, or `final`;
 * returns 1 if answered. */
static int fetch_try(bc_kserver_t *srv, bc_kconn_t *c, const bc_kreq_t *req,
                     int final) {
    const bc_kreq_fetch_t *fr = &req->u.fetch;
    int16_t v = req->api_version;
    size_t np = fetch_nparts(fr);
    fpart_t *parts = bc_calloc(np ? np : 1, sizeof(*parts));
    size_t total = fetch_collect(srv, fr, parts);
    int any_err = 0;
    for (size_t i = 0; i < np; i++)
        any_err |= parts[i].err != 0;
    if (!final && !any_err && (int64_t)total < fr->min_bytes) {
        fetch_release(parts, np);
        free(parts);
        return 0;
    }
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    bc_wire_wr_i32(w, 0); /* throttle */
    if (v >= 7) {
        bc_wire_wr_i16(w, 0);
        bc_wire_wr_i32(w, 0); /* session id: no sessions */
    }
    bc_wire_wr_array(w, fr->topic_cnt);
    size_t k = 0;
    for (int32_t i = 0; i < fr->topic_cnt; i++) {
        const bc_kreq_fetch_topic_t *t = &fr->topics[i];
        bc_wire_wr_str(w, t->name);
        bc_wire_wr_array(w, t->part_cnt);
        for (int32_t j = 0; j < t->part_cnt; j++, k++) {
            fpart_t *fp = &parts[k];
            bc_wire_wr_i32(w, t->parts[j].partition);
            bc_wire_wr_i16(w, fp->err);
            bc_wire_wr_i64(w, fp->f.log_end_offset);
            bc_wire_wr_i64(w, fp->f.log_end_offset); /* last stable */
            if (v >= 5) bc_wire_wr_i64(w, fp->f.log_start_offset);
            bc_wire_wr_array(w, 0); /* aborted transactions */
            if (v >= 11) bc_wire_wr_i32(w, -1);
            if (fp->f.len == 0) {
                bc_wire_wr_i32(w, 0);
                continue;
            }
            bc_wire_wr_i32(w, (int32_t)fp->f.len);
            if (srv->conf.fetch_copy) {
                uint8_t *dst = bc_wire_wr_room(w, fp->f.len);
                ssize_t got = pread(fp->f.fd, dst, fp->f.len, fp->f.pos);
                if (got < 0) got = 0;
                if ((size_t)got < fp->f.len)
                    memset(dst + got, 0, fp->f.len - (size_t)got);
                w->len += fp->f.len;
                close(fp->f.fd);
            } else {
                bc_kresp_splice(r, fp->f.fd, fp->f.pos, fp->f.len);
            }
            fp->f.fd = -1;
        }
    }
    free(parts);
    send_resp(srv, c, r);
    return 1;
}

static int h_fetch(bc_kserver_t *srv, bc_kconn_t *c, bc_kreq_t *req,
                   uint8_t *frame) {
    const bc_kreq_fetch_t *fr = &req->u.fetch;
    if (fetch_try(srv, c, req, fr->max_wait_ms <= 0)) return 0;
    c->park = PARK_FETCH;
    c->park_deadline_ms = srv->mono_ms + fr->max_wait_ms;
    c->park_req = *req;
    c->park_frame = frame;
    return 1;
}

void bc_khandle_fetch_retry(bc_kserver_t *srv, bc_kconn_t *c) {
    int final = srv->mono_ms >= c->park_deadline_ms;
    if (fetch_try(srv, c, &c->park_req, final)) bc_kconn_unpark(c);
}

/* ---- ListOffsets ------------------------------------------------- */

static void h_list_offsets(bc_kserver_t *srv, bc_kconn_t *c,
                           const bc_kreq_t *req) {
    const bc_kreq_list_offsets_t *lo = &req->u.list_offsets;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 2) bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, lo->topic_cnt);
    for (int32_t i = 0; i < lo->topic_cnt; i++) {
        const bc_kreq_list_offsets_topic_t *t = &lo->topics[i];
        bc_wire_wr_str(w, t->name);
        bc_wire_wr_array(w, t->part_cnt);
        for (int32_t j = 0; j < t->part_cnt; j++) {
            const bc_kreq_list_offsets_part_t *p = &t->parts[j];
            bc_log_t *log =
                bc_broker_log(srv->conf.broker, t->name, p->partition);
            int16_t err = 0;
            int64_t off = -1, ts = -1;
            if (!log) {
                err = BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (p->timestamp == -1) {
                off = bc_log_end_offset(log);
            } else if (p->timestamp == -2) {
                off = bc_log_start_offset(log);
            } else if (p->timestamp < 0) {
                err = BC_KERR_INVALID_REQUEST;
            } else if (bc_log_offset_for_time(log, p->timestamp, &off, &ts) !=
                       0) {
                err = BC_KERR_KAFKA_STORAGE_ERROR;
            } else if (off < 0) {
                off = -1;
                ts = -1;
            }
            bc_wire_wr_i32(w, p->partition);
            bc_wire_wr_i16(w, err);
            if (v == 0) {
                bc_wire_wr_array(w, off >= 0 ? 1 : 0);
                if (off >= 0) bc_wire_wr_i64(w, off);
            } else {
                bc_wire_wr_i64(w, ts);
                bc_wire_wr_i64(w, off);
                if (v >= 4) bc_wire_wr_i32(w, 0);
            }
        }
    }
    send_resp(srv, c, r);
}

/* ---- FindCoordinator -------------------------------------------- */

static void h_find_coordinator(bc_kserver_t *srv, bc_kconn_t *c,
                               const bc_kreq_t *req) {
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_i16(w, 0);
    if (v >= 1) bc_wire_wr_str(w, NULL);
    bc_wire_wr_i32(w, srv->conf.node_id);
    bc_wire_wr_str(w, srv->adv_host);
    bc_wire_wr_i32(w, srv->adv_port);
    send_resp(srv, c, r);
}

/* ---- groups ------------------------------------------------------ */

static int park(bc_kconn_t *c, int kind, bc_kreq_t *req, uint8_t *frame) {
    c->park = kind;
    c->park_req = *req;
    c->park_frame = frame;
    c->park_deadline_ms = INT64_MAX;
    return 1;
}

void bc_khandle_join_done(void *opaque, void *waiter,
                          const bc_kgroup_join_result_t *res) {
    bc_kserver_t *srv = opaque;
    bc_kconn_t *c = waiter;
    if (c->park != PARK_JOIN) return;
    const bc_kreq_t *req = &c->park_req;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 2) bc_wire_wr_i32(w, 0);
    bc_wire_wr_i16(w, res->error);
    bc_wire_wr_i32(w, res->generation);
    bc_wire_wr_str(w, res->protocol);
    bc_wire_wr_str(w, res->leader);
    bc_wire_wr_str(w, res->member_id);
    bc_wire_wr_array(w, res->member_cnt);
    for (int32_t i = 0; i < res->member_cnt; i++) {
        bc_wire_wr_str(w, res->members[i].member_id);
        if (v >= 5) bc_wire_wr_str(w, res->members[i].group_instance_id);
        bc_wire_wr_bytes(w,
                         res->members[i].metadata ? res->members[i].metadata
                                                  : (const uint8_t *)"",
                         res->members[i].metadata_len);
    }
    send_resp(srv, c, r);
    bc_kconn_unpark(c);
}

void bc_khandle_sync_done(void *opaque, void *waiter, int16_t error,
                          const uint8_t *assignment, int32_t len) {
    bc_kserver_t *srv = opaque;
    bc_kconn_t *c = waiter;
    if (c->park != PARK_SYNC) return;
    const bc_kreq_t *req = &c->park_req;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (req->api_version >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_i16(w, error);
    bc_wire_wr_bytes(w, assignment ? assignment : (const uint8_t *)"",
                     assignment ? len : 0);
    send_resp(srv, c, r);
    bc_kconn_unpark(c);
}

static void h_heartbeat(bc_kserver_t *srv, bc_kconn_t *c,
                        const bc_kreq_t *req) {
    const bc_kreq_heartbeat_t *h = &req->u.heartbeat;
    int16_t err = bc_kgroup_heartbeat(srv->kg, h->group, h->member_id,
                                      h->generation, srv->wall_ms);
    bc_kresp_t *r = bc_kresp_begin(req);
    if (req->api_version >= 1) bc_wire_wr_i32(&r->w, 0);
    bc_wire_wr_i16(&r->w, err);
    send_resp(srv, c, r);
}

static void h_leave_group(bc_kserver_t *srv, bc_kconn_t *c,
                          const bc_kreq_t *req) {
    const bc_kreq_leave_group_t *l = &req->u.leave_group;
    int16_t v = req->api_version;
    int16_t errs[1024];
    int16_t top = 0;
    int32_t n = l->member_cnt;
    for (int32_t i = 0; i < n; i++) {
        int16_t e = bc_kgroup_leave(srv->kg, l->group, l->members[i].member_id,
                                    srv->wall_ms);
        if (i < 1024) errs[i] = e;
        if (e && !top) top = e;
    }
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_i16(w, v >= 3 ? 0 : top);
    if (v >= 3) {
        bc_wire_wr_array(w, n);
        for (int32_t i = 0; i < n; i++) {
            bc_wire_wr_str(w, l->members[i].member_id);
            bc_wire_wr_str(w, l->members[i].group_instance_id);
            bc_wire_wr_i16(w, i < 1024 ? errs[i] : 0);
        }
    }
    send_resp(srv, c, r);
}

static void h_offset_commit(bc_kserver_t *srv, bc_kconn_t *c,
                            const bc_kreq_t *req) {
    const bc_kreq_offset_commit_t *oc = &req->u.offset_commit;
    int16_t v = req->api_version;
    int16_t gerr =
        oc->group[0] ? bc_kgroup_check_commit(srv->kg, oc->group, oc->member_id,
                                              oc->generation, srv->wall_ms)
                     : BC_KERR_INVALID_GROUP_ID;
    size_t n = 0;
    for (int32_t i = 0; i < oc->topic_cnt; i++)
        n += (size_t)oc->topics[i].part_cnt;
    int16_t *errs = bc_calloc(n ? n : 1, sizeof(*errs));
    bc_offsets_commit_t *cs = bc_calloc(n ? n : 1, sizeof(*cs));
    size_t nc = 0, k = 0;
    for (int32_t i = 0; i < oc->topic_cnt; i++) {
        const bc_kreq_commit_topic_t *t = &oc->topics[i];
        int32_t np = bc_broker_partitions(srv->conf.broker, t->name);
        for (int32_t j = 0; j < t->part_cnt; j++, k++) {
            const bc_kreq_commit_part_t *p = &t->parts[j];
            if (gerr)
                errs[k] = gerr;
            else if (p->partition < 0 || p->partition >= np)
                errs[k] = BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (p->metadata &&
                     strlen(p->metadata) > BC_OFFSETS_METADATA_MAX)
                errs[k] = BC_KERR_OFFSET_METADATA_TOO_LARGE;
            else if (p->offset < 0)
                errs[k] = BC_KERR_INVALID_REQUEST;
            else
                cs[nc++] =
                    (bc_offsets_commit_t){.topic = t->name,
                                          .partition = p->partition,
                                          .offset = p->offset,
                                          .leader_epoch = p->leader_epoch,
                                          .metadata = p->metadata};
        }
    }
    if (nc > 0) {
        char err[256];
        int rc = bc_offsets_commit(srv->conf.offsets, oc->group, cs, nc,
                                   srv->wall_ms, err, sizeof(err));
        if (rc != 0) {
            bc_kserver_logf(srv, "kafka: commit of group %s failed: %s",
                            oc->group, err);
            for (size_t i = 0; i < n; i++)
                if (!errs[i]) errs[i] = BC_KERR_KAFKA_STORAGE_ERROR;
        }
    }
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 3) bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, oc->topic_cnt);
    k = 0;
    for (int32_t i = 0; i < oc->topic_cnt; i++) {
        const bc_kreq_commit_topic_t *t = &oc->topics[i];
        bc_wire_wr_str(w, t->name);
        bc_wire_wr_array(w, t->part_cnt);
        for (int32_t j = 0; j < t->part_cnt; j++, k++) {
            bc_wire_wr_i32(w, t->parts[j].partition);
            bc_wire_wr_i16(w, errs[k]);
        }
    }
    free(errs);
    free(cs);
    send_resp(srv, c, r);
}

static const bc_offsets_entry_t *find_entry(const bc_offsets_entry_t *e,
                                            size_t n, const char *topic,
                                            int32_t p) {
    for (size_t i = 0; i < n; i++)
        if (e[i].partition == p && strcmp(e[i].topic, topic) == 0) return &e[i];
    return NULL;
}

static void ofetch_part(bc_wire_wr_t *w, int16_t v, int32_t p,
                        const bc_offsets_entry_t *e) {
    bc_wire_wr_i32(w, p);
    bc_wire_wr_i64(w, e ? e->offset : -1);
    if (v >= 5) bc_wire_wr_i32(w, e ? e->leader_epoch : -1);
    bc_wire_wr_str(w, e ? e->metadata : "");
    bc_wire_wr_i16(w, 0);
    bc_wire_wr_tags(w);
}

static void h_offset_fetch(bc_kserver_t *srv, bc_kconn_t *c,
                           const bc_kreq_t *req) {
    const bc_kreq_offset_fetch_t *of = &req->u.offset_fetch;
    int16_t v = req->api_version;
    size_t ne = 0;
    bc_offsets_entry_t *e =
        bc_offsets_entries(srv->conf.offsets, of->group, &ne);
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 3) bc_wire_wr_i32(w, 0);
    if (of->topic_cnt < 0) {
        /* All topics of the group: entries are sorted by topic. */
        int32_t nt = 0;
        for (size_t i = 0; i < ne; i++)
            nt += i == 0 || strcmp(e[i].topic, e[i - 1].topic) != 0;
        bc_wire_wr_array(w, nt);
        for (size_t i = 0; i < ne;) {
            size_t j = i;
            while (j < ne && strcmp(e[j].topic, e[i].topic) == 0)
                j++;
            bc_wire_wr_str(w, e[i].topic);
            bc_wire_wr_array(w, (int32_t)(j - i));
            for (size_t k = i; k < j; k++)
                ofetch_part(w, v, e[k].partition, &e[k]);
            bc_wire_wr_tags(w);
            i = j;
        }
    } else {
        bc_wire_wr_array(w, of->topic_cnt);
        for (int32_t i = 0; i < of->topic_cnt; i++) {
            const bc_kreq_ofetch_topic_t *t = &of->topics[i];
            bc_wire_wr_str(w, t->name);
            bc_wire_wr_array(w, t->part_cnt);
            for (int32_t j = 0; j < t->part_cnt; j++)
                ofetch_part(w, v, t->parts[j],
                            find_entry(e, ne, t->name, t->parts[j]));
            bc_wire_wr_tags(w);
        }
    }
    if (v >= 2) bc_wire_wr_i16(w, 0);
    bc_wire_wr_tags(w);
    bc_offsets_entries_free(e, ne);
    send_resp(srv, c, r);
}

/* Does any commit of `group` exist? */
static int has_offsets(bc_kserver_t *srv, const char *group) {
    return bc_offsets_has_group(srv->conf.offsets, group);
}

static void h_describe_groups(bc_kserver_t *srv, bc_kconn_t *c,
                              const bc_kreq_t *req) {
    const bc_kreq_describe_groups_t *dg = &req->u.describe_groups;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, dg->group_cnt);
    for (int32_t i = 0; i < dg->group_cnt; i++) {
        bc_kgroup_desc_t *d =
            bc_kgroup_describe(srv->kg, dg->groups[i], srv->wall_ms);
        bc_wire_wr_i16(w, 0);
        bc_wire_wr_str(w, dg->groups[i]);
        if (!d) {
            int known = has_offsets(srv, dg->groups[i]);
            bc_wire_wr_str(w, known ? "Empty" : "Dead");
            bc_wire_wr_str(w, known ? "consumer" : "");
            bc_wire_wr_str(w, "");
            bc_wire_wr_array(w, 0);
        } else {
            bc_wire_wr_str(w, d->state);
            bc_wire_wr_str(w, d->protocol_type);
            bc_wire_wr_str(w, d->protocol);
            bc_wire_wr_array(w, (int32_t)d->member_cnt);
            for (size_t m = 0; m < d->member_cnt; m++) {
                const bc_kgroup_desc_member_t *mb = &d->members[m];
                bc_wire_wr_str(w, mb->member_id);
                if (v >= 4) bc_wire_wr_str(w, mb->group_instance_id);
                bc_wire_wr_str(w, mb->client_id);
                bc_wire_wr_str(w, mb->host);
                bc_wire_wr_bytes(w, mb->metadata, mb->metadata_len);
                bc_wire_wr_bytes(w, mb->assignment, mb->assignment_len);
            }
        }
        if (v >= 3) bc_wire_wr_i32(w, INT32_MIN);
        bc_kgroup_desc_free(d);
    }
    send_resp(srv, c, r);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void h_list_groups(bc_kserver_t *srv, bc_kconn_t *c,
                          const bc_kreq_t *req) {
    size_t nk = 0, no = 0;
    char **kn = bc_kgroup_list(srv->kg, &nk);
    char **on = bc_offsets_list_groups(srv->conf.offsets, &no);
    char **all = bc_calloc(nk + no + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < nk; i++)
        all[n++] = kn[i];
    for (size_t i = 0; i < no; i++)
        all[n++] = on[i];
    qsort(all, n, sizeof(char *), cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(all[u - 1], all[i]) != 0) all[u++] = all[i];
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (req->api_version >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_i16(w, 0);
    bc_wire_wr_array(w, (int32_t)u);
    for (size_t i = 0; i < u; i++) {
        bc_wire_wr_str(w, all[i]);
        bc_kgroup_desc_t *d = bc_kgroup_describe(srv->kg, all[i], srv->wall_ms);
        bc_wire_wr_str(w, d ? d->protocol_type : "consumer");
        bc_kgroup_desc_free(d);
    }
    free(all);
    for (size_t i = 0; i < nk; i++)
        free(kn[i]);
    free(kn);
    bc_offsets_names_free(on, no);
    send_resp(srv, c, r);
}

/* ---- admin ------------------------------------------------------- */

static void h_create_topics(bc_kserver_t *srv, bc_kconn_t *c,
                            const bc_kreq_t *req) {
    const bc_kreq_create_topics_t *ct = &req->u.create_topics;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 2) bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, ct->topic_cnt);
    for (int32_t i = 0; i < ct->topic_cnt; i++) {
        const bc_kreq_create_topic_t *t = &ct->topics[i];
        char msg[300] = "";
        int16_t err = 0;
        int32_t np =
            t->partitions < 0 ? srv->conf.num_partitions : t->partitions;
        bc_log_config_t cfg = bc_log_config_default();
        if (bc_topic_name_valid(t->name, msg, sizeof(msg)) != 0) {
            err = BC_KERR_INVALID_TOPIC_EXCEPTION;
        } else if (bc_broker_partitions(srv->conf.broker, t->name) > 0) {
            err = BC_KERR_TOPIC_ALREADY_EXISTS;
            snprintf(msg, sizeof(msg), "Topic '%s' already exists.", t->name);
        } else if (t->assignment_cnt > 0) {
            err = BC_KERR_INVALID_REPLICA_ASSIGNMENT;
            snprintf(msg, sizeof(msg),
                     "manual replica assignment is not "
                     "supported");
        } else if (np <= 0) {
            err = BC_KERR_INVALID_PARTITIONS;
            snprintf(msg, sizeof(msg),
                     "Number of partitions must be larger than 0.");
        } else if (t->replication != -1 && t->replication != 1) {
            err = BC_KERR_INVALID_REPLICATION_FACTOR;
            snprintf(msg, sizeof(msg),
                     "Replication factor: %d larger than available "
                     "brokers: 1.",
                     (int)t->replication);
        }
        for (int32_t j = 0; !err && j < t->config_cnt; j++) {
            if (!t->configs[j].value) continue;
            if (bc_topic_config_set(&cfg, t->configs[j].name,
                                    t->configs[j].value, msg, sizeof(msg)) != 0)
                err = BC_KERR_INVALID_CONFIG;
        }
        if (!err && !ct->validate_only) {
            int rc = bc_broker_create_topic(srv->conf.broker, t->name, np, &cfg,
                                            srv->wall_ms, msg, sizeof(msg));
            if (rc == BC_ERR_EXISTS)
                err = BC_KERR_TOPIC_ALREADY_EXISTS;
            else if (rc == BC_ERR_INVALID)
                err = BC_KERR_INVALID_REQUEST;
            else if (rc != 0)
                err = BC_KERR_KAFKA_STORAGE_ERROR;
        }
        bc_wire_wr_str(w, t->name);
        bc_wire_wr_i16(w, err);
        if (v >= 1) bc_wire_wr_str(w, err ? msg : NULL);
    }
    send_resp(srv, c, r);
}

static void h_delete_topics(bc_kserver_t *srv, bc_kconn_t *c,
                            const bc_kreq_t *req) {
    const bc_kreq_delete_topics_t *dt = &req->u.delete_topics;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    if (v >= 1) bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, dt->topic_cnt);
    for (int32_t i = 0; i < dt->topic_cnt; i++) {
        const char *t = dt->topics[i];
        int16_t err = 0;
        char msg[256];
        if (bc_broker_partitions(srv->conf.broker, t) <= 0)
            err = BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (internal_topic(t))
            err = BC_KERR_POLICY_VIOLATION;
        else if (bc_broker_delete_topic(srv->conf.broker, t, msg,
                                        sizeof(msg)) != 0)
            err = BC_KERR_KAFKA_STORAGE_ERROR;
        else {
            bc_kpid_forget_topic(srv->pids, t);
            bc_kserver_logf(srv, "kafka: deleted topic %s", t);
        }
        bc_wire_wr_str(w, t);
        bc_wire_wr_i16(w, err);
    }
    send_resp(srv, c, r);
}

/* A config entry of DescribeConfigs. */
static void cfg_entry(bc_wire_wr_t *w, int16_t v, const char *name,
                      const char *value, int is_default, int8_t source) {
    bc_wire_wr_str(w, name);
    bc_wire_wr_str(w, value);
    bc_wire_wr_i8(w, 0); /* read only */
    if (v == 0)
        bc_wire_wr_i8(w, (int8_t)is_default);
    else
        bc_wire_wr_i8(w, is_default ? 5 : source);
    bc_wire_wr_i8(w, 0); /* sensitive */
    if (v >= 1) bc_wire_wr_array(w, 0);
    if (v >= 3) {
        bc_wire_wr_i8(w, 0);
        bc_wire_wr_str(w, NULL);
    }
}

static int wanted(const bc_kreq_config_resource_t *res, const char *key) {
    if (res->key_cnt < 0) return 1;
    for (int32_t i = 0; i < res->key_cnt; i++)
        if (strcmp(res->keys[i], key) == 0) return 1;
    return 0;
}

static void h_describe_configs(bc_kserver_t *srv, bc_kconn_t *c,
                               const bc_kreq_t *req) {
    const bc_kreq_describe_configs_t *dc = &req->u.describe_configs;
    int16_t v = req->api_version;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    bc_wire_wr_i32(w, 0);
    bc_wire_wr_array(w, dc->resource_cnt);
    for (int32_t i = 0; i < dc->resource_cnt; i++) {
        const bc_kreq_config_resource_t *res = &dc->resources[i];
        bc_log_config_t cfg, def = bc_log_config_default();
        char kv[16][2][64];
        int n = 0, def_of[16];
        int16_t err = 0;
        int8_t source = res->type == 2 ? 1 : 4; /* topic / static broker */
        if (res->type == 2) {
            if (bc_broker_topic_config(srv->conf.broker, res->name, &cfg,
                                       NULL) != 0)
                err = BC_KERR_UNKNOWN_TOPIC_OR_PARTITION;
        } else if (res->type != 4) {
            err = BC_KERR_INVALID_REQUEST;
        }
#define KV(k, fmt, val, dval)                                                  \
    do {                                                                       \
        snprintf(kv[n][0], 64, "%s", k);                                       \
        snprintf(kv[n][1], 64, fmt, val);                                      \
        def_of[n] = (val) == (dval);                                           \
        n++;                                                                   \
    } while (0)
/* A string value: whether it is the default is said, not compared. */
#define KVS(k, val, is_default)                                                \
    do {                                                                       \
        snprintf(kv[n][0], 64, "%s", k);                                       \
        snprintf(kv[n][1], 64, "%s", val);                                     \
        def_of[n] = (is_default);                                              \
        n++;                                                                   \
    } while (0)
        if (!err && res->type == 2) {
            KVS("cleanup.policy",
                cfg.cleanup_policy == (BC_CLEANUP_DELETE | BC_CLEANUP_COMPACT)
                    ? "compact,delete"
                : cfg.cleanup_policy == BC_CLEANUP_COMPACT ? "compact"
                                                           : "delete",
                cfg.cleanup_policy == def.cleanup_policy);
            KV("retention.ms", "%lld", (long long)cfg.retention_ms,
               (long long)def.retention_ms);
            KV("retention.bytes", "%lld", (long long)cfg.retention_bytes,
               (long long)def.retention_bytes);
            KV("segment.bytes", "%lld", (long long)cfg.segment_bytes,
               (long long)def.segment_bytes);
            KV("segment.ms", "%lld", (long long)cfg.segment_ms,
               (long long)def.segment_ms);
            KV("max.message.bytes", "%d", (int)cfg.max_message_bytes,
               (int)def.max_message_bytes);
            KV("delete.retention.ms", "%lld",
               (long long)cfg.delete_retention_ms,
               (long long)def.delete_retention_ms);
            KV("min.compaction.lag.ms", "%lld",
               (long long)cfg.min_compaction_lag_ms,
               (long long)def.min_compaction_lag_ms);
            KV("index.interval.bytes", "%d", (int)cfg.index_interval_bytes,
               (int)def.index_interval_bytes);
            KV("segment.index.bytes", "%d", (int)cfg.segment_index_bytes,
               (int)def.segment_index_bytes);
        } else if (!err) {
            KV("num.partitions", "%d", (int)srv->conf.num_partitions, 1);
            KVS("auto.create.topics.enable",
                srv->conf.auto_create_topics ? "true" : "false",
                srv->conf.auto_create_topics != 0);
            KV("message.max.bytes", "%d", (int)srv->conf.message_max_bytes,
               1048588);
            KV("socket.request.max.bytes", "%lld",
               (long long)srv->conf.socket_request_max_bytes, 104857600LL);
            KV("max.connections", "%d", srv->conf.max_connections, 1000);
            KV("connections.max.idle.ms", "%lld",
               (long long)srv->conf.idle_timeout_ms, 600000LL);
            KV("offsets.topic.num.partitions", "%d",
               (int)bc_offsets_partitions(srv->conf.offsets), 50);
        }
#undef KV
#undef KVS
        bc_wire_wr_i16(w, err);
        bc_wire_wr_str(w, err ? "unknown resource" : NULL);
        bc_wire_wr_i8(w, res->type);
        bc_wire_wr_str(w, res->name);
        int32_t cnt = 0;
        for (int j = 0; j < n; j++)
            cnt += wanted(res, kv[j][0]);
        bc_wire_wr_array(w, cnt);
        for (int j = 0; j < n; j++)
            if (wanted(res, kv[j][0]))
                cfg_entry(w, v, kv[j][0], kv[j][1], def_of[j], source);
    }
    send_resp(srv, c, r);
}

static void h_init_producer_id(bc_kserver_t *srv, bc_kconn_t *c,
                               const bc_kreq_t *req) {
    const bc_kreq_init_producer_id_t *ip = &req->u.init_producer_id;
    bc_kresp_t *r = bc_kresp_begin(req);
    bc_wire_wr_t *w = &r->w;
    bc_wire_wr_i32(w, 0);
    if (ip->transactional_id) { /* transactions are not implemented */
        bc_wire_wr_i16(w, BC_KERR_COORDINATOR_NOT_AVAILABLE);
        bc_wire_wr_i64(w, -1);
        bc_wire_wr_i16(w, -1);
    } else {
        int64_t pid = -1;
        char err[256];
        if (bc_kpid_new_id(srv->pids, &pid, err, sizeof(err)) != 0) {
            bc_kserver_logf(srv, "kafka: InitProducerId: %s", err);
            bc_wire_wr_i16(w, BC_KERR_COORDINATOR_NOT_AVAILABLE);
            bc_wire_wr_i64(w, -1);
            bc_wire_wr_i16(w, -1);
        } else {
            bc_wire_wr_i16(w, 0);
            bc_wire_wr_i64(w, pid);
            bc_wire_wr_i16(w, 0);
        }
    }
    send_resp(srv, c, r);
}

int bc_khandle(bc_kserver_t *srv, bc_kconn_t *c, bc_kreq_t *req,
               uint8_t *frame) {
    if (req->status == BC_KREQ_UNSUPPORTED &&
        req->api_key == BC_API_API_VERSIONS) {
        h_api_versions(srv, c, req, 1);
        return 0;
    }
    if (req->status != BC_KREQ_OK) {
        bc_kserver_logf(srv,
                        "kafka: closing %s: unsupported request (api %s key "
                        "%d v%d) at byte 0",
                        c->addr, bc_kreq_api_name(req->api_key),
                        (int)req->api_key, (int)req->api_version);
        return -1;
    }
    switch (req->api_key) {
    case BC_API_API_VERSIONS:
        h_api_versions(srv, c, req, 0);
        return 0;
    case BC_API_METADATA:
        h_metadata(srv, c, req);
        return 0;
    case BC_API_PRODUCE:
        h_produce(srv, c, req);
        return 0;
    case BC_API_FETCH:
        return h_fetch(srv, c, req, frame);
    case BC_API_LIST_OFFSETS:
        h_list_offsets(srv, c, req);
        return 0;
    case BC_API_FIND_COORDINATOR:
        h_find_coordinator(srv, c, req);
        return 0;
    case BC_API_JOIN_GROUP:
        park(c, PARK_JOIN, req, frame);
        bc_kgroup_join(srv->kg, &c->park_req.u.join_group, req->client_id,
                       c->host, c, srv->wall_ms);
        return 1;
    case BC_API_SYNC_GROUP:
        park(c, PARK_SYNC, req, frame);
        bc_kgroup_sync(srv->kg, &c->park_req.u.sync_group, c, srv->wall_ms);
        return 1;
    case BC_API_HEARTBEAT:
        h_heartbeat(srv, c, req);
        return 0;
    case BC_API_LEAVE_GROUP:
        h_leave_group(srv, c, req);
        return 0;
    case BC_API_OFFSET_COMMIT:
        h_offset_commit(srv, c, req);
        return 0;
    case BC_API_OFFSET_FETCH:
        h_offset_fetch(srv, c, req);
        return 0;
    case BC_API_DESCRIBE_GROUPS:
        h_describe_groups(srv, c, req);
        return 0;
    case BC_API_LIST_GROUPS:
        h_list_groups(srv, c, req);
        return 0;
    case BC_API_CREATE_TOPICS:
        h_create_topics(srv, c, req);
        return 0;
    case BC_API_DELETE_TOPICS:
        h_delete_topics(srv, c, req);
        return 0;
    case BC_API_DESCRIBE_CONFIGS:
        h_describe_configs(srv, c, req);
        return 0;
    case BC_API_INIT_PRODUCER_ID:
        h_init_producer_id(srv, c, req);
        return 0;
    default:
        return -1;
    }
}
