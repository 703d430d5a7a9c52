/* SPDX-License-Identifier: Apache-2.0 */
/* mon_kdecode: decoder of __consumer_offsets records (see the header for
 * the formats).
 *
 * A record is read through a cursor that knows which buffer it walks
 * ("key" or "value") and where a nested buffer (a member's assignment)
 * starts inside it, so that every error names the byte offset within the
 * key or value. Strings are copied NUL-terminated into one buffer sized up
 * front from the input length (strings cannot hold more bytes than the
 * input, plus one NUL per 2-byte length prefix), so pointers handed out
 * never move during a decode.
 */
#include "monitor/sources/mon_kdecode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_offsets.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_mem.h"

typedef struct cur_s {
    const unsigned char *p;
    size_t len;
    size_t pos;
    size_t base;      /* offset of p[0] within the key or value */
    const char *what; /* "key" or "value" */
    char *errstr;
    size_t errstr_size;
    mon_kdecode_record_t *rec;
    const mon_kdecode_limits_t *lim; /* NULL = no bounds */
    bool *over;                      /* set when a bound broke */
} cur_t;

static void fail(cur_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(cur_t *c, const char *fmt, ...) {
    if (!c->errstr || c->errstr_size == 0) return;
    int n = snprintf(c->errstr, c->errstr_size, "%s byte %zu: ", c->what,
                     c->base + c->pos);
    if (n < 0 || (size_t)n >= c->errstr_size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errstr + n, c->errstr_size - (size_t)n, fmt, ap);
    va_end(ap);
}

static size_t left(const cur_t *c) {
    return c->len - c->pos;
}

static int need(cur_t *c, size_t n, const char *type, const char *field) {
    if (left(c) >= n) return 0;
    fail(c, "truncated %s %s (%zu of %zu bytes)", type, field, left(c), n);
    return -1;
}

/* A count n beyond a bound max (0 = none) fails the record; a name's
 * count is its length (what names the field, bytes true). */
static int bound(cur_t *c, size_t at, const char *what, size_t n, size_t max,
                 bool bytes) {
    if (!max || n <= max) return 0;
    c->pos = at;
    if (bytes)
        fail(c, "%s of %zu bytes, over the bound of %zu", what, n, max);
    else
        fail(c, "%zu %s, over the bound of %zu", n, what, max);
    *c->over = true;
    return -1;
}

static size_t max_name(const cur_t *c) {
    return c->lim ? c->lim->max_name : 0;
}

static int r_i16(cur_t *c, const char *field, int16_t *v) {
    if (need(c, 2, "int16", field)) return -1;
    const unsigned char *p = c->p + c->pos;
    *v = (int16_t)(uint16_t)((unsigned)p[0] << 8 | p[1]);
    c->pos += 2;
    return 0;
}

static int r_i32(cur_t *c, const char *field, int32_t *v) {
    if (need(c, 4, "int32", field)) return -1;
    const unsigned char *p = c->p + c->pos;
    *v = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                   (uint32_t)p[2] << 8 | p[3]);
    c->pos += 4;
    return 0;
}

static int r_i64(cur_t *c, const char *field, int64_t *v) {
    if (need(c, 8, "int64", field)) return -1;
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = u << 8 | c->p[c->pos + (size_t)i];
    *v = (int64_t)u;
    c->pos += 8;
    return 0;
}

/* Unsigned varint (at most 5 bytes for 32 bits, as Kafka's ByteUtils). */
static int r_uvarint(cur_t *c, const char *field, uint32_t *v) {
    uint32_t u = 0;
    size_t start = c->pos;
    for (int i = 0; i < 5; i++) {
        if (left(c) == 0) {
            c->pos = start;
            fail(c, "truncated varint %s", field);
            return -1;
        }
        unsigned char b = c->p[c->pos++];
        if (i == 4 && (b & 0xf0)) {
            c->pos = start;
            fail(c, "varint %s longer than 32 bits", field);
            return -1;
        }
        u |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = u;
            return 0;
        }
    }
    c->pos = start;
    fail(c, "varint %s longer than 5 bytes", field);
    return -1;
}

/* Copies n bytes into the record's string buffer, NUL-terminated. */
static const char *keep(cur_t *c, const unsigned char *s, size_t n) {
    mon_kdecode_record_t *rec = c->rec;
    WARREN_ASSERT(rec->buf_used_ + n + 1 <= rec->buf_size_);
    char *d = rec->buf_ + rec->buf_used_;
    memcpy(d, s, n);
    d[n] = '\0';
    rec->buf_used_ += n + 1;
    return d;
}

/* A classic string; nullable strings decode null as "". */
static int r_str(cur_t *c, const char *field, bool nullable, const char **out) {
    int16_t n;
    size_t at = c->pos;
    if (r_i16(c, field, &n)) return -1;
    if (n == -1 && nullable) {
        *out = "";
        return 0;
    }
    if (n < 0) {
        c->pos = at;
        fail(c, "bad length %d for string %s", n, field);
        return -1;
    }
    if (left(c) < (size_t)n) {
        c->pos = at;
        fail(c, "string %s length %d exceeds the %zu bytes left", field, n,
             left(c) - 2);
        return -1;
    }
    *out = keep(c, c->p + c->pos, (size_t)n);
    c->pos += (size_t)n;
    return 0;
}

/* A name: a classic string within the max_name bound. */
static int r_name(cur_t *c, const char *field, bool nullable,
                  const char **out) {
    size_t at = c->pos;
    if (r_str(c, field, nullable, out)) return -1;
    return bound(c, at, field, strlen(*out), max_name(c), true);
}

/* A compact nullable string: unsigned varint length + 1, 0 = null. */
static int r_cstr(cur_t *c, const char *field, const char **out) {
    uint32_t n;
    size_t at = c->pos;
    if (r_uvarint(c, field, &n)) return -1;
    if (n == 0) {
        *out = "";
        return 0;
    }
    if (left(c) < (size_t)n - 1) {
        size_t l = left(c);
        c->pos = at;
        fail(c, "compact string %s length %u exceeds the %zu bytes left", field,
             n - 1, l);
        return -1;
    }
    *out = keep(c, c->p + c->pos, (size_t)n - 1);
    c->pos += (size_t)n - 1;
    return 0;
}

/* Bytes: int32 length (-1 = null, returned as length 0). */
static int r_bytes(cur_t *c, const char *field, const unsigned char **p,
                   size_t *n, size_t *at_out) {
    int32_t len;
    size_t at = c->pos;
    if (r_i32(c, field, &len)) return -1;
    if (len == -1) {
        *p = NULL;
        *n = 0;
        *at_out = c->pos;
        return 0;
    }
    if (len < 0) {
        c->pos = at;
        fail(c, "bad length %d for bytes %s", (int)len, field);
        return -1;
    }
    if (left(c) < (size_t)len) {
        size_t l = left(c);
        c->pos = at;
        fail(c, "bytes %s length %d exceeds the %zu bytes left", field,
             (int)len, l);
        return -1;
    }
    *p = c->p + c->pos;
    *n = (size_t)len;
    *at_out = c->pos;
    c->pos += (size_t)len;
    return 0;
}

/* An array count that must fit the bytes left at min_size per element. */
static int r_count(cur_t *c, const char *field, size_t min_size, int32_t *n) {
    size_t at = c->pos;
    if (r_i32(c, field, n)) return -1;
    if (*n < 0) {
        c->pos = at;
        fail(c, "bad count %d for %s", (int)*n, field);
        return -1;
    }
    if ((size_t)*n > left(c) / min_size) {
        size_t l = left(c);
        c->pos = at;
        fail(c, "%s count %d cannot fit in the %zu bytes left", field, (int)*n,
             l);
        return -1;
    }
    return 0;
}

static mon_kdecode_member_t *member_add(mon_kdecode_record_t *rec) {
    if (rec->n_members == rec->members_cap_) {
        rec->members_cap_ = rec->members_cap_ ? 2 * rec->members_cap_ : 8;
        rec->members_ = mon_realloc(rec->members_,
                                    rec->members_cap_ * sizeof(*rec->members_));
    }
    mon_kdecode_member_t *m = &rec->members_[rec->n_members++];
    memset(m, 0, sizeof(*m));
    return m;
}

static void owner_add(mon_kdecode_record_t *rec, const char *topic,
                      int32_t partition, size_t member) {
    if (rec->n_owners == rec->owners_cap_) {
        rec->owners_cap_ = rec->owners_cap_ ? 2 * rec->owners_cap_ : 16;
        rec->owners_ =
            mon_realloc(rec->owners_, rec->owners_cap_ * sizeof(*rec->owners_));
    }
    mon_kdecode_owner_t *o = &rec->owners_[rec->n_owners++];
    o->topic = topic;
    o->partition = partition;
    o->member = member;
}

static int decode_offset_key(cur_t *c, mon_kdecode_record_t *rec) {
    if (r_name(c, "group", false, &rec->group) ||
        r_name(c, "topic", false, &rec->topic) ||
        r_i32(c, "partition", &rec->partition))
        return MON_ERR_MALFORMED;
    return 0;
}

static int decode_offset_value(cur_t *c, mon_kdecode_record_t *rec) {
    int16_t v = rec->value_version;
    if (r_i64(c, "offset", &rec->offset)) return MON_ERR_MALFORMED;
    if (v >= 3 && r_i32(c, "leader_epoch", &rec->leader_epoch))
        return MON_ERR_MALFORMED;
    if (v == 4 ? r_cstr(c, "metadata", &rec->metadata)
               : r_str(c, "metadata", false, &rec->metadata))
        return MON_ERR_MALFORMED;
    if (r_i64(c, "commit_timestamp", &rec->commit_ts)) return MON_ERR_MALFORMED;
    if (v == 1 && r_i64(c, "expire_timestamp", &rec->expire_ts))
        return MON_ERR_MALFORMED;
    if (v == 4) {
        uint32_t ntag;
        if (r_uvarint(c, "tagged field count", &ntag)) return MON_ERR_MALFORMED;
        for (uint32_t i = 0; i < ntag; i++) {
            uint32_t tag, size;
            if (r_uvarint(c, "tag", &tag) ||
                r_uvarint(c, "tagged field size", &size))
                return MON_ERR_MALFORMED;
            if (left(c) < size) {
                fail(c, "tagged field %u size %u exceeds the %zu bytes left",
                     tag, size, left(c));
                return MON_ERR_MALFORMED;
            }
            c->pos += size;
        }
    }
    rec->type = MON_KDECODE_OFFSET_COMMIT;
    return 0;
}

/* Decodes a consumer-protocol assignment into owners of member m. */
static int decode_assignment(cur_t *outer, const unsigned char *p, size_t n,
                             size_t at, size_t m) {
    mon_kdecode_record_t *rec = outer->rec;
    cur_t c = {p,
               n,
               0,
               outer->base + at,
               outer->what,
               outer->errstr,
               outer->errstr_size,
               rec,
               outer->lim,
               outer->over};
    if (n == 0) return 0;
    int16_t version;
    int32_t ntopics;
    if (r_i16(&c, "assignment version", &version)) return MON_ERR_MALFORMED;
    if (version < 0) {
        c.pos -= 2;
        fail(&c, "bad assignment version %d", version);
        return MON_ERR_MALFORMED;
    }
    rec->members[m].assignment_version = version;
    if (r_count(&c, "assignment topic", 6, &ntopics)) return MON_ERR_MALFORMED;
    for (int32_t t = 0; t < ntopics; t++) {
        const char *topic;
        int32_t nparts;
        size_t at_n;
        if (r_name(&c, "assignment topic", false, &topic))
            return MON_ERR_MALFORMED;
        at_n = c.pos;
        if (r_count(&c, "assignment partition", 4, &nparts) ||
            bound(&c, at_n, "assigned partitions",
                  rec->n_owners + (size_t)nparts,
                  c.lim ? c.lim->max_assigned : 0, false))
            return MON_ERR_MALFORMED;
        for (int32_t i = 0; i < nparts; i++) {
            int32_t part;
            if (r_i32(&c, "assignment partition", &part))
                return MON_ERR_MALFORMED;
            owner_add(rec, topic, part, m);
        }
    }
    /* user data (bytes) follows; not needed */
    return 0;
}

static int decode_group_value(cur_t *c, mon_kdecode_record_t *rec) {
    int16_t v = rec->value_version;
    int32_t nmembers;
    if (r_name(c, "protocol_type", false, &rec->protocol_type) ||
        r_i32(c, "generation", &rec->generation) ||
        r_name(c, "protocol", true, &rec->protocol) ||
        r_name(c, "leader", true, &rec->leader))
        return MON_ERR_MALFORMED;
    if (v >= 2 && r_i64(c, "current_state_timestamp", &rec->state_ts))
        return MON_ERR_MALFORMED;
    rec->consumer_protocol = !strcmp(rec->protocol_type, "consumer");
    /* smallest member: 3 empty strings + session timeout + 2 null bytes */
    size_t at_m = c->pos;
    if (r_count(c, "member", 18, &nmembers) ||
        bound(c, at_m, "members", (size_t)nmembers,
              c->lim ? c->lim->max_members : 0, false))
        return MON_ERR_MALFORMED;
    /* the members array is grown before any pointer into it is kept */
    for (int32_t i = 0; i < nmembers; i++) {
        mon_kdecode_member_t *m = member_add(rec);
        const unsigned char *sub, *asg;
        size_t nsub, nasg, at_sub, at_asg;
        m->group_instance_id = "";
        m->rebalance_timeout = -1;
        m->assignment_version = -1;
        if (r_name(c, "member_id", false, &m->member_id))
            return MON_ERR_MALFORMED;
        if (v >= 3 &&
            r_name(c, "group_instance_id", true, &m->group_instance_id))
            return MON_ERR_MALFORMED;
        if (r_name(c, "client_id", false, &m->client_id) ||
            r_name(c, "client_host", false, &m->client_host))
            return MON_ERR_MALFORMED;
        if (v >= 1 && r_i32(c, "rebalance_timeout", &m->rebalance_timeout))
            return MON_ERR_MALFORMED;
        if (r_i32(c, "session_timeout", &m->session_timeout) ||
            r_bytes(c, "subscription", &sub, &nsub, &at_sub) ||
            r_bytes(c, "assignment", &asg, &nasg, &at_asg))
            return MON_ERR_MALFORMED;
        rec->members = rec->members_;
        if (rec->consumer_protocol) {
            int rc =
                decode_assignment(c, asg, nasg, at_asg, rec->n_members - 1);
            if (rc) return rc;
        }
    }
    rec->members = rec->members_;
    rec->owners = rec->owners_;
    rec->type = MON_KDECODE_GROUP_METADATA;
    return 0;
}

static void rec_reset(mon_kdecode_record_t *rec, size_t input) {
    /* every string costs its bytes plus one NUL, and has a prefix of at
     * least one byte (compact) or two (classic): 2 * input bounds it */
    size_t need_size = 2 * input + 16;
    if (rec->buf_size_ < need_size) {
        free(rec->buf_);
        rec->buf_ = mon_malloc(need_size);
        rec->buf_size_ = need_size;
    }
    rec->buf_used_ = 0;
    rec->type = MON_KDECODE_NONE;
    rec->key_version = -1;
    rec->value_version = -1;
    rec->group = rec->topic = rec->metadata = "";
    rec->protocol_type = rec->protocol = rec->leader = "";
    rec->partition = -1;
    rec->offset = -1;
    rec->leader_epoch = -1;
    rec->commit_ts = -1;
    rec->expire_ts = -1;
    rec->generation = -1;
    rec->state_ts = -1;
    rec->consumer_protocol = false;
    rec->members = NULL;
    rec->n_members = 0;
    rec->owners = NULL;
    rec->n_owners = 0;
}

int mon_kdecode(const void *key, size_t key_len, const void *value,
                size_t value_len, mon_kdecode_record_t *rec, char *errstr,
                size_t errstr_size) {
    return mon_kdecode_limited(key, key_len, value, value_len, NULL, rec,
                               errstr, errstr_size);
}

int mon_kdecode_limited(const void *key, size_t key_len, const void *value,
                        size_t value_len, const mon_kdecode_limits_t *lim,
                        mon_kdecode_record_t *rec, char *errstr,
                        size_t errstr_size) {
    bool over = false;
    rec_reset(rec, key_len + (value ? value_len : 0));
    cur_t kc = {key,    key ? key_len : 0, 0,   0,   "key",
                errstr, errstr_size,       rec, lim, &over};
    int rc;
    if (!key || key_len == 0) {
        fail(&kc, "empty key");
        return MON_ERR_MALFORMED;
    }
    if (r_i16(&kc, "key version", &rec->key_version)) return MON_ERR_MALFORMED;
    bool offset_key = rec->key_version == 0 || rec->key_version == 1;
    if (!offset_key && rec->key_version != 2) {
        kc.pos = 0;
        fail(&kc, "unknown key version %d", rec->key_version);
        rc = MON_ERR_VERSION;
        goto err;
    }
    if (offset_key)
        rc = decode_offset_key(&kc, rec);
    else
        rc = r_name(&kc, "group", false, &rec->group) ? MON_ERR_MALFORMED : 0;
    if (rc) goto err;
    if (!value || value_len == 0) {
        rec->type =
            offset_key ? MON_KDECODE_OFFSET_DELETE : MON_KDECODE_GROUP_DELETE;
        return MON_KDECODE_OK;
    }
    cur_t vc = {value,  value_len,   0,   0,   "value",
                errstr, errstr_size, rec, lim, &over};
    if (r_i16(&vc, "value version", &rec->value_version)) {
        rc = MON_ERR_MALFORMED;
        goto err;
    }
    int16_t vv = rec->value_version;
    if (offset_key ? vv < 0 || vv > 4 : vv < 0 || vv > 3) {
        vc.pos = 0;
        fail(&vc, "unknown %s value version %d",
             offset_key ? "offset commit" : "group metadata", vv);
        rc = MON_ERR_VERSION;
        goto err;
    }
    rc = offset_key ? decode_offset_value(&vc, rec)
                    : decode_group_value(&vc, rec);
    if (rc) goto err;
    return MON_KDECODE_OK;
err:
    rec->type = MON_KDECODE_NONE;
    return over ? MON_ERR_LIMIT : rc;
}

void mon_kdecode_record_free(mon_kdecode_record_t *rec) {
    if (!rec) return;
    free(rec->buf_);
    free(rec->members_);
    free(rec->owners_);
    memset(rec, 0, sizeof(*rec));
}

int32_t mon_kdecode_partition_for(const char *group, int32_t partitions) {
    if (partitions <= 0) return -1;
    return bc_offsets_partition_for(group, partitions);
}

const char *mon_kdecode_type_name(mon_kdecode_type_t type) {
    switch (type) {
    case MON_KDECODE_OFFSET_COMMIT:
        return "offset-commit";
    case MON_KDECODE_OFFSET_DELETE:
        return "offset-delete";
    case MON_KDECODE_GROUP_METADATA:
        return "group-metadata";
    case MON_KDECODE_GROUP_DELETE:
        return "group-delete";
    case MON_KDECODE_NONE:
        break;
    }
    return "none";
}
