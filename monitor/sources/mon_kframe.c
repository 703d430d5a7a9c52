/* SPDX-License-Identifier: Apache-2.0 */
/* mon_kframe: frames between warren and its Kafka client child (see the
 * header for the format).
 *
 * The reader keeps what it has read in one buffer and hands out frames
 * in place; it grows the buffer only to the length a frame announces,
 * which is bounded, and compacts it when a frame has been consumed.
 */
#include "monitor/sources/mon_kframe.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"

const char *mon_kframe_type_name(int type) {
    switch (type) {
    case MON_KFRAME_CONFIG:
        return "CONFIG";
    case MON_KFRAME_LOGLEVEL:
        return "LOGLEVEL";
    case MON_KFRAME_READY:
        return "READY";
    case MON_KFRAME_FATAL:
        return "FATAL";
    case MON_KFRAME_HEAD:
        return "HEAD";
    case MON_KFRAME_COMMIT:
        return "COMMIT";
    case MON_KFRAME_SEEN:
        return "SEEN";
    case MON_KFRAME_DEL_TOPIC:
        return "DEL_TOPIC";
    case MON_KFRAME_DEL_GROUP:
        return "DEL_GROUP";
    case MON_KFRAME_DEL_GTOPIC:
        return "DEL_GTOPIC";
    case MON_KFRAME_STATUS:
        return "STATUS";
    case MON_KFRAME_ADVANCE:
        return "ADVANCE";
    case MON_KFRAME_STAMP:
        return "STAMP";
    case MON_KFRAME_LOG_START:
        return "LOG_START";
    case MON_KFRAME_TOPIC_CONF:
        return "TOPIC_CONF";
    case MON_KFRAME_MEMBERS:
        return "MEMBERS";
    default:
        return "?";
    }
}

/* ---- payload fields ---- */

void mon_kframe_put_str(mon_wbuf_t *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n > 65535) n = 65535; /* store names are at most this long */
    mon_wbuf_u16(b, (uint16_t)n);
    mon_wbuf_put(b, s ? s : "", n);
    mon_wbuf_u8(b, 0);
}

void mon_kframe_put_nstr(mon_wbuf_t *b, const char *s) {
    mon_wbuf_u8(b, s != NULL);
    if (s) mon_kframe_put_str(b, s);
}

void mon_kframe_put_i64(mon_wbuf_t *b, int64_t v) {
    mon_wbuf_u64(b, (uint64_t)v);
}

int mon_kframe_get_str(mon_rbuf_t *r, const char **s, const char *what) {
    uint16_t n;
    size_t at = r->pos;
    if (mon_rbuf_u16(r, &n, what) < 0 || mon_rbuf_need(r, (size_t)n + 1, what))
        return -1;
    const char *p = (const char *)r->p + r->pos;
    if (memchr(p, '\0', n) || p[n] != '\0')
        return mon_rbuf_fail(r, at, "string not NUL-terminated");
    *s = p;
    r->pos += (size_t)n + 1;
    return 0;
}

int mon_kframe_get_nstr(mon_rbuf_t *r, const char **s, const char *what) {
    uint8_t flag;
    size_t at = r->pos;
    if (mon_rbuf_u8(r, &flag, what) < 0) return -1;
    if (flag > 1) return mon_rbuf_fail(r, at, "bad optional-string flag");
    if (!flag) {
        *s = NULL;
        return 0;
    }
    return mon_kframe_get_str(r, s, what);
}

static int get_i32(mon_rbuf_t *r, int32_t *v, const char *what) {
    uint32_t u;
    if (mon_rbuf_u32(r, &u, what) < 0) return -1;
    *v = (int32_t)u;
    return 0;
}

static int get_bool(mon_rbuf_t *r, bool *v) {
    uint8_t u;
    size_t at = r->pos;
    if (mon_rbuf_u8(r, &u, "flag") < 0) return -1;
    if (u > 1) return mon_rbuf_fail(r, at, "bad flag");
    *v = u;
    return 0;
}

/* ---- store writes ---- */

int mon_kframe_op_apply(mon_store_t *st, mon_store_cluster_t *cl,
                        const mon_kframe_op_t *op) {
    const char *name = mon_store_cluster_name(cl);
    const mon_store_pos_t *at = op->placed ? &op->place : NULL;
    switch (op->type) {
    case MON_KFRAME_HEAD:
        return mon_store_head(cl, op->topic, op->partition, op->partitions,
                              op->offset, op->t_ms);
    case MON_KFRAME_COMMIT:
        return mon_store_commit_at(cl, op->group, op->topic, op->partition,
                                   op->offset, op->t_ms, op->owner,
                                   op->client_id, at, op->if_changed);
    case MON_KFRAME_SEEN:
        return mon_store_group_seen(cl, op->group, op->t_ms);
    case MON_KFRAME_DEL_TOPIC:
        return mon_store_delete_topic(st, name, op->topic);
    case MON_KFRAME_DEL_GROUP:
        return mon_store_delete_group_at(cl, op->group, NULL, at);
    case MON_KFRAME_DEL_GTOPIC:
        return mon_store_delete_group_at(cl, op->group, op->topic, at);
    case MON_KFRAME_ADVANCE:
        return at ? mon_store_advance(cl, at) : MON_ERR_INVALID;
    case MON_KFRAME_STAMP:
        return mon_store_stamp(cl, op->group, op->topic, op->partition,
                               op->offset, op->t_ms);
    case MON_KFRAME_LOG_START:
        return mon_store_log_start(cl, op->topic, op->partition, op->offset,
                                   op->t_ms);
    case MON_KFRAME_TOPIC_CONF:
        return mon_store_topic_config(cl, op->topic, op->retention_ms,
                                      op->retention_bytes);
    case MON_KFRAME_MEMBERS:
        return op->members
                   ? mon_store_members_at(cl, op->group, op->members, at)
                   : MON_ERR_INVALID;
    default:
        return MON_ERR_INVALID;
    }
}

static void put_place(mon_wbuf_t *b, const mon_kframe_op_t *op) {
    mon_wbuf_u32(b, (uint32_t)(op->placed ? op->place.part : -1));
    mon_kframe_put_i64(b, op->placed ? op->place.offset : 0);
}

static int get_place(mon_rbuf_t *r, mon_kframe_op_t *op) {
    size_t at = r->pos;
    int32_t part;
    int64_t off;
    if (get_i32(r, &part, "log partition") ||
        mon_rbuf_i64(r, &off, "log offset"))
        return -1;
    if (part == -1) return 0;
    if (part < 0 || part >= MON_STORE_MAX_LOG_PARTS || off < 0 ||
        off == INT64_MAX)
        return mon_rbuf_fail(r, at, "log place out of range");
    op->placed = true;
    op->place.part = part;
    op->place.offset = off;
    return 0;
}

static void put_members(mon_wbuf_t *b, const mon_kframe_op_t *op) {
    const mon_group_members_t *m = op->members;
    mon_kframe_put_str(b, op->group);
    put_place(b, op);
    mon_kframe_put_i64(b, m->t_ms);
    mon_kframe_put_str(b, m->state ? m->state : "");
    mon_kframe_put_str(b, m->protocol_type ? m->protocol_type : "");
    mon_kframe_put_str(b, m->protocol ? m->protocol : "");
    mon_wbuf_u32(b, (uint32_t)m->generation);
    mon_wbuf_u32(b, (uint32_t)m->count);
    for (size_t i = 0; i < m->count; i++) {
        const mon_member_t *mb = &m->members[i];
        mon_kframe_put_str(b, mb->member_id ? mb->member_id : "");
        mon_kframe_put_str(b, mb->instance_id ? mb->instance_id : "");
        mon_kframe_put_str(b, mb->client_id ? mb->client_id : "");
        mon_kframe_put_str(b, mb->host ? mb->host : "");
        mon_wbuf_u32(b, (uint32_t)mb->n_assigned);
        for (size_t j = 0; j < mb->n_assigned; j++) {
            mon_kframe_put_str(b, mb->assigned[j].topic);
            mon_wbuf_u32(b, (uint32_t)mb->assigned[j].partition);
        }
    }
}

/* A MEMBERS payload: the member and assignment arrays in one block
 * (op->alloc_), counts checked against the bytes left (a member takes at
 * least 20 bytes, an assignment 8) before anything is allocated. */
static int get_members(mon_rbuf_t *r, mon_kframe_op_t *op) {
    mon_group_members_t *m = &op->members_;
    uint32_t n;
    if (mon_kframe_get_str(r, &op->group, "group") || get_place(r, op) ||
        mon_rbuf_i64(r, &m->t_ms, "time") ||
        mon_kframe_get_str(r, &m->state, "state") ||
        mon_kframe_get_str(r, &m->protocol_type, "protocol type") ||
        mon_kframe_get_str(r, &m->protocol, "protocol") ||
        get_i32(r, &m->generation, "generation") ||
        mon_rbuf_count(r, &n, 20, UINT32_MAX, "member count") < 0)
        return -1;
    /* every assignment the payload can hold, at most */
    size_t max_tp = (r->len - r->pos) / 8;
    mon_member_t *mv = mon_calloc((size_t)n + 1, sizeof(*mv));
    mon_member_tp_t *tv = mon_calloc(max_tp + 1, sizeof(*tv));
    void **blk = mon_malloc(2 * sizeof(void *));
    blk[0] = mv;
    blk[1] = tv;
    op->alloc_ = blk;
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        mon_member_t *mb = &mv[i];
        uint32_t a;
        if (mon_kframe_get_str(r, &mb->member_id, "member id") ||
            mon_kframe_get_str(r, &mb->instance_id, "instance id") ||
            mon_kframe_get_str(r, &mb->client_id, "client id") ||
            mon_kframe_get_str(r, &mb->host, "host") ||
            mon_rbuf_count(r, &a, 8, UINT32_MAX, "assignment count") < 0)
            return -1;
        if (a > max_tp - k) return mon_rbuf_fail(r, r->pos, "too many");
        mb->assigned = &tv[k];
        mb->n_assigned = a;
        for (uint32_t j = 0; j < a; j++, k++)
            if (mon_kframe_get_str(r, &tv[k].topic, "topic") ||
                get_i32(r, &tv[k].partition, "partition"))
                return -1;
    }
    m->members = mv;
    m->count = n;
    op->members = m;
    return 0;
}

void mon_kframe_op_clear(mon_kframe_op_t *op) {
    if (!op || !op->alloc_) return;
    void **blk = op->alloc_;
    free(blk[0]);
    free(blk[1]);
    free(blk);
    op->alloc_ = NULL;
    op->members = NULL;
    memset(&op->members_, 0, sizeof(op->members_));
}

void mon_kframe_op_encode(mon_wbuf_t *b, const mon_kframe_op_t *op) {
    switch (op->type) {
    case MON_KFRAME_HEAD:
        mon_kframe_put_str(b, op->topic);
        mon_wbuf_u32(b, (uint32_t)op->partition);
        mon_wbuf_u32(b, (uint32_t)op->partitions);
        mon_kframe_put_i64(b, op->offset);
        mon_kframe_put_i64(b, op->t_ms);
        break;
    case MON_KFRAME_COMMIT:
        mon_kframe_put_str(b, op->group);
        mon_kframe_put_str(b, op->topic);
        mon_wbuf_u32(b, (uint32_t)op->partition);
        mon_kframe_put_i64(b, op->offset);
        mon_kframe_put_i64(b, op->t_ms);
        mon_kframe_put_nstr(b, op->owner);
        mon_kframe_put_nstr(b, op->client_id);
        put_place(b, op);
        mon_wbuf_u8(b, op->if_changed);
        break;
    case MON_KFRAME_SEEN:
        mon_kframe_put_str(b, op->group);
        mon_kframe_put_i64(b, op->t_ms);
        break;
    case MON_KFRAME_DEL_TOPIC:
        mon_kframe_put_str(b, op->topic);
        break;
    case MON_KFRAME_DEL_GROUP:
        mon_kframe_put_str(b, op->group);
        put_place(b, op);
        break;
    case MON_KFRAME_DEL_GTOPIC:
        mon_kframe_put_str(b, op->group);
        mon_kframe_put_str(b, op->topic);
        put_place(b, op);
        break;
    case MON_KFRAME_ADVANCE:
        put_place(b, op);
        break;
    case MON_KFRAME_STAMP:
        mon_kframe_put_str(b, op->group);
        mon_kframe_put_str(b, op->topic);
        mon_wbuf_u32(b, (uint32_t)op->partition);
        mon_kframe_put_i64(b, op->offset);
        mon_kframe_put_i64(b, op->t_ms);
        break;
    case MON_KFRAME_LOG_START:
        mon_kframe_put_str(b, op->topic);
        mon_wbuf_u32(b, (uint32_t)op->partition);
        mon_kframe_put_i64(b, op->offset);
        mon_kframe_put_i64(b, op->t_ms);
        break;
    case MON_KFRAME_TOPIC_CONF:
        mon_kframe_put_str(b, op->topic);
        mon_kframe_put_i64(b, op->retention_ms);
        mon_kframe_put_i64(b, op->retention_bytes);
        break;
    case MON_KFRAME_MEMBERS:
        put_members(b, op);
        break;
    default:
        break;
    }
}

int mon_kframe_op_decode(int type, const void *p, size_t len,
                         mon_kframe_op_t *op, char *errstr,
                         size_t errstr_size) {
    char what[48];
    mon_rbuf_t r;
    int rc = 0;
    snprintf(what, sizeof(what), "kafka client frame %s",
             mon_kframe_type_name(type));
    mon_rbuf_init(&r, p, len, what, errstr, errstr_size);
    memset(op, 0, sizeof(*op));
    op->type = (mon_kframe_type_t)type;
    switch (type) {
    case MON_KFRAME_HEAD:
        rc = mon_kframe_get_str(&r, &op->topic, "topic") ||
             get_i32(&r, &op->partition, "partition") ||
             get_i32(&r, &op->partitions, "partitions") ||
             mon_rbuf_i64(&r, &op->offset, "offset") ||
             mon_rbuf_i64(&r, &op->t_ms, "time");
        break;
    case MON_KFRAME_COMMIT:
        rc = mon_kframe_get_str(&r, &op->group, "group") ||
             mon_kframe_get_str(&r, &op->topic, "topic") ||
             get_i32(&r, &op->partition, "partition") ||
             mon_rbuf_i64(&r, &op->offset, "offset") ||
             mon_rbuf_i64(&r, &op->t_ms, "time") ||
             mon_kframe_get_nstr(&r, &op->owner, "owner") ||
             mon_kframe_get_nstr(&r, &op->client_id, "client_id") ||
             get_place(&r, op) || get_bool(&r, &op->if_changed);
        break;
    case MON_KFRAME_SEEN:
        rc = mon_kframe_get_str(&r, &op->group, "group") ||
             mon_rbuf_i64(&r, &op->t_ms, "time");
        break;
    case MON_KFRAME_DEL_TOPIC:
        rc = mon_kframe_get_str(&r, &op->topic, "topic");
        break;
    case MON_KFRAME_DEL_GROUP:
        rc = mon_kframe_get_str(&r, &op->group, "group") || get_place(&r, op);
        break;
    case MON_KFRAME_DEL_GTOPIC:
        rc = mon_kframe_get_str(&r, &op->group, "group") ||
             mon_kframe_get_str(&r, &op->topic, "topic") || get_place(&r, op);
        break;
    case MON_KFRAME_ADVANCE:
        rc = get_place(&r, op);
        if (!rc && !op->placed) rc = mon_rbuf_fail(&r, 0, "no log place");
        break;
    case MON_KFRAME_STAMP:
        rc = mon_kframe_get_str(&r, &op->group, "group") ||
             mon_kframe_get_str(&r, &op->topic, "topic") ||
             get_i32(&r, &op->partition, "partition") ||
             mon_rbuf_i64(&r, &op->offset, "offset") ||
             mon_rbuf_i64(&r, &op->t_ms, "time");
        break;
    case MON_KFRAME_LOG_START:
        rc = mon_kframe_get_str(&r, &op->topic, "topic") ||
             get_i32(&r, &op->partition, "partition") ||
             mon_rbuf_i64(&r, &op->offset, "offset") ||
             mon_rbuf_i64(&r, &op->t_ms, "time");
        break;
    case MON_KFRAME_TOPIC_CONF:
        rc = mon_kframe_get_str(&r, &op->topic, "topic") ||
             mon_rbuf_i64(&r, &op->retention_ms, "retention.ms") ||
             mon_rbuf_i64(&r, &op->retention_bytes, "retention.bytes");
        break;
    case MON_KFRAME_MEMBERS:
        rc = get_members(&r, op);
        if (!rc) op->t_ms = op->members_.t_ms;
        break;
    default:
        mon_errstr_set(errstr, errstr_size, "%s: not a store write", what);
        return -1;
    }
    if (rc) return -1;
    if (r.pos != r.len) return mon_rbuf_fail(&r, r.pos, "trailing bytes");
    return 0;
}

/* ---- transport ---- */

int mon_kframe_send(int fd, int type, const void *payload, size_t len,
                    char *errstr, size_t errstr_size) {
    unsigned char hdr[5];
    if (len + 1 > MON_KFRAME_MAX) {
        mon_errstr_set(errstr, errstr_size,
                       "kafka client frame %s of %zu bytes",
                       mon_kframe_type_name(type), len);
        return -1;
    }
    mon_put_le32(hdr, (uint32_t)(len + 1));
    hdr[4] = (unsigned char)type;
    const unsigned char *parts[2] = {hdr, payload};
    size_t lens[2] = {sizeof(hdr), len};
    for (int i = 0; i < 2; i++) {
        size_t off = 0;
        while (off < lens[i]) {
            ssize_t n = write(fd, parts[i] + off, lens[i] - off);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                mon_errstr_set(errstr, errstr_size, "kafka client channel: %s",
                               n < 0 ? strerror(errno) : "closed");
                return -1;
            }
            off += (size_t)n;
        }
    }
    return 0;
}

int mon_kframe_recv(mon_kframe_reader_t *rd, int fd, int timeout_ms, int *type,
                    const unsigned char **payload, size_t *len, char *errstr,
                    size_t errstr_size) {
    if (rd->pos > 0) { /* drop the frame handed out last time */
        memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
        rd->len -= rd->pos;
        rd->pos = 0;
    }
    for (;;) {
        if (rd->len >= 4) {
            uint32_t flen = mon_le32(rd->buf);
            if (flen < 1 || flen > MON_KFRAME_MAX) {
                mon_errstr_set(
                    errstr, errstr_size,
                    "kafka client channel: frame length %u out of range", flen);
                return -1;
            }
            if (rd->len >= 4 + (size_t)flen) {
                *type = rd->buf[4];
                *payload = rd->buf + 5;
                *len = flen - 1;
                rd->pos = 4 + (size_t)flen;
                return 1;
            }
            if (rd->cap < 4 + (size_t)flen) {
                rd->cap = 4 + (size_t)flen;
                rd->buf = mon_realloc(rd->buf, rd->cap);
            }
        } else if (rd->cap < 4096) {
            rd->cap = 4096;
            rd->buf = mon_realloc(rd->buf, rd->cap);
        }
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, timeout_ms);
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) return 0;
        ssize_t n = read(fd, rd->buf + rd->len, rd->cap - rd->len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
            mon_errstr_set(errstr, errstr_size, "%s",
                           n < 0 ? strerror(errno) : "closed");
            return -1;
        }
        rd->len += (size_t)n;
    }
}

void mon_kframe_reader_free(mon_kframe_reader_t *rd) {
    if (!rd) return;
    free(rd->buf);
    memset(rd, 0, sizeof(*rd));
}
