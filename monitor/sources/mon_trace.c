/* SPDX-License-Identifier: Apache-2.0 */
/* mon_trace: parser for lag traces (JSON Lines, see samples/README.md).
 *
 * Replay feeds millions of lines through here, so the per-line path is kept
 * short: one scan of the raw bytes (UTF-8 and control
 * characters, which cJSON does not check), one cJSON parse, and one pass
 * over the object's members that files each known key into a slot. The
 * reader keeps the last cJSON tree alive so the event's strings can point
 * into it, and reuses its partition-expectation array; nothing else is
 * allocated per line. Numbers arrive from cJSON as doubles, which are exact
 * only up to 2^53; the rare larger value is re-read from the raw text so
 * every int64 is taken exactly or refused.
 */
#include "monitor/sources/mon_trace.h"
#include "monitor/sources/mon_trace_int.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_json_arena.h"
#include "monitor/base/mon_mem.h"
#include "monitor/store/mon_store.h"

/* Partitions beyond what the store accepts are bad input, not drops. */
#define TRACE_MAX_PARTITION (MON_STORE_MAX_PARTITIONS - 1)

#define TWO_POW_53 9007199254740992.0
#define TWO_POW_63 9223372036854775808.0
#define ONES UINT64_C(0x0101010101010101)

/* Known keys. A line's members are filed into slots by these ids. */
enum {
    F_TYPE,
    F_T,
    F_CLUSTER,
    F_TOPIC,
    F_GROUP,
    F_PARTITION,
    F_OFFSET,
    F_PARTITIONS,
    F_OWNER,
    F_CLIENT_ID,
    F_STATUS,
    F_INTERVALS,
    F_MIN_DISTANCE_MS,
    F_EXPIRE_GROUP_MS,
    F_ALLOWED_LAG,
    F_MINIMUM_COMPLETE,
    F_RULES,
    F_STATE,
    F_PROTOCOL,
    F_GENERATION,
    F_MEMBERS,
    F_DEPLOYMENT,
    F__COUNT
};

static const char *const field_names[F__COUNT] = {
    [F_TYPE] = "type",
    [F_T] = "t",
    [F_CLUSTER] = "cluster",
    [F_TOPIC] = "topic",
    [F_GROUP] = "group",
    [F_PARTITION] = "partition",
    [F_OFFSET] = "offset",
    [F_PARTITIONS] = "partitions",
    [F_OWNER] = "owner",
    [F_CLIENT_ID] = "client_id",
    [F_STATUS] = "status",
    [F_INTERVALS] = "intervals",
    [F_MIN_DISTANCE_MS] = "min_distance_ms",
    [F_EXPIRE_GROUP_MS] = "expire_group_ms",
    [F_ALLOWED_LAG] = "allowed_lag",
    [F_MINIMUM_COMPLETE] = "minimum_complete",
    [F_RULES] = "rules",
    [F_STATE] = "state",
    [F_PROTOCOL] = "protocol",
    [F_GENERATION] = "generation",
    [F_MEMBERS] = "members",
    [F_DEPLOYMENT] = "deployment",
};

/* Everything one parse_line call needs to report an error. */
typedef struct pctx_s {
    mon_trace_reader_t *rd;
    const char *line;
    size_t len;
    char *errstr;
    size_t errstr_size;
} pctx_t;

__attribute__((format(printf, 3, 4))) static int
fail(pctx_t *pc, const char *field, const char *fmt, ...) {
    va_list ap;
    int n;

    if (pc->errstr == NULL || pc->errstr_size == 0) return -1;
    if (field != NULL)
        n = snprintf(pc->errstr, pc->errstr_size,
                     "%s:%lu: field '%s': ", pc->rd->name, pc->rd->line, field);
    else
        n = snprintf(pc->errstr, pc->errstr_size, "%s:%lu: ", pc->rd->name,
                     pc->rd->line);
    if (n < 0 || (size_t)n >= pc->errstr_size) return -1;
    va_start(ap, fmt);
    vsnprintf(pc->errstr + n, pc->errstr_size - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Copies at most 40 bytes of `s` into buf for a message, with anything
 * that could break the one-line message replaced by '?'. */
static const char *printable(const char *s, char *buf, size_t bufsz) {
    size_t i, o = 0;

    for (i = 0; s[i] != '\0' && o + 4 < bufsz && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (s[i] != '\0' && o + 4 <= bufsz) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static const char *json_kind(const cJSON *it) {
    if (cJSON_IsString(it)) return "a string";
    if (cJSON_IsNumber(it)) return "a number";
    if (cJSON_IsBool(it)) return "a boolean";
    if (cJSON_IsNull(it)) return "null";
    if (cJSON_IsArray(it)) return "an array";
    if (cJSON_IsObject(it)) return "an object";
    return "an unknown value";
}

/* Shortest of %.15g and %.17g that reads back as v, for messages. */
static const char *num_text(double v, char *buf, size_t bufsz) {
    snprintf(buf, bufsz, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, bufsz, "%.17g", v);
    return buf;
}

/* Field label, "x" or "partitions[i].x" for members of expect's list. */
static const char *label(const char *field, int idx, char *buf, size_t bufsz) {
    if (idx < 0) return field;
    snprintf(buf, bufsz, "partitions[%d].%s", idx, field);
    return buf;
}

/* Checks that the raw line is UTF-8 without control characters or escaped
 * NULs (which would cut a C string short). Returns 0 or -1 with errstr. */
static int scan_bytes(pctx_t *pc) {
    const unsigned char *p = (const unsigned char *)pc->line;
    size_t len = pc->len, i = 0;

    while (i < len) {
        unsigned char c;
        size_t need, k;
        unsigned char lo = 0x80, hi = 0xbf;

        /* Eight bytes at a time while none is >= 0x80, < 0x20 or '\\'
         * (the classic "has a byte less than n" word tricks). */
        while (i + 8 <= len) {
            uint64_t w;

            memcpy(&w, p + i, 8);
            if (((w | (w - ONES * 0x20) | ((w ^ (ONES * 0x5c)) - ONES)) &
                 ONES * 0x80) != 0)
                break;
            i += 8;
        }
        if (i >= len) break;
        c = p[i];
        if ((unsigned)c - 0x20u < 0x60u && c != '\\') {
            i++; /* printable ASCII or DEL: the common case */
            continue;
        }
        if (c == '\t' || c == '\r' || c == '\n') {
            i++;
            continue;
        }
        if (c < 0x20)
            return fail(pc, NULL,
                        "invalid JSON at byte %zu: control character 0x%02x", i,
                        c);
        if (c == '\\') {
            if (i + 5 < len && p[i + 1] == 'u' && p[i + 2] == '0' &&
                p[i + 3] == '0' && p[i + 4] == '0' && p[i + 5] == '0')
                return fail(pc, NULL,
                            "invalid JSON at byte %zu: \\u0000 is not "
                            "allowed in a string",
                            i);
            /* Skip the escaped character, so that in \\u0000 (an escaped
             * backslash, then text) the second backslash is not taken for
             * an escape; anything but printable ASCII is left for the
             * next round. */
            if (i + 1 < len && p[i + 1] >= 0x20 && p[i + 1] < 0x7f) i++;
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            else if (c == 0xed)
                hi = 0x9f; /* UTF-16 surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            else if (c == 0xf4)
                hi = 0x8f; /* beyond U+10FFFF */
        } else {
            return fail(pc, NULL, "invalid UTF-8 at byte %zu", i);
        }
        if (i + need >= len)
            return fail(pc, NULL, "invalid UTF-8 at byte %zu", i);
        if (p[i + 1] < lo || p[i + 1] > hi)
            return fail(pc, NULL, "invalid UTF-8 at byte %zu", i + 1);
        for (k = 2; k <= need; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return fail(pc, NULL, "invalid UTF-8 at byte %zu", i + k);
        i += need + 1;
    }
    return 0;
}

static int is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Re-reads an integer above 2^53 from the raw text of the line: finds
 * `"key"`, the colon and the number that cJSON read as `v`. Returns 0 and
 * *out, 1 when that number is a plain integer outside int64, or -1 when no
 * plain-digit spelling of `v` follows the key. */
static int exact_int(const pctx_t *pc, const char *key, double v,
                     int64_t *out) {
    size_t klen = strlen(key), i;
    const char *s = pc->line, *end = pc->line + pc->len;

    for (i = 0; i + klen + 2 <= pc->len; i++) {
        const char *q;
        char tok[72];
        size_t n = 0;
        int plain = 1;
        long long ll;

        if (s[i] != '"' || memcmp(s + i + 1, key, klen) != 0 ||
            s[i + 1 + klen] != '"')
            continue;
        q = s + i + klen + 2;
        while (q < end && is_ws(*q))
            q++;
        if (q >= end || *q != ':') continue;
        q++;
        while (q < end && is_ws(*q))
            q++;
        while (q < end && n + 1 < sizeof(tok) &&
               (*q == '-' || *q == '+' || *q == '.' || *q == 'e' || *q == 'E' ||
                (*q >= '0' && *q <= '9'))) {
            if (*q == '.' || *q == 'e' || *q == 'E' || *q == '+') plain = 0;
            tok[n++] = *q++;
        }
        tok[n] = '\0';
        if (n == 0 || strtod(tok, NULL) != v) continue;
        if (!plain) return -1;
        errno = 0;
        ll = strtoll(tok, NULL, 10);
        if (errno == ERANGE) return 1;
        *out = (int64_t)ll;
        return 0;
    }
    return -1;
}

/* Reads an integer member into *out, checking [min, max]. `field` is the
 * key; idx >= 0 means the member of partitions[idx]. */
static int get_int(pctx_t *pc, const cJSON *it, const char *field, int idx,
                   int64_t min, int64_t max, int64_t *out) {
    char lb[64], nb[40];
    const char *name = label(field, idx, lb, sizeof(lb));
    double v;
    int64_t x = 0;

    if (!cJSON_IsNumber(it))
        return fail(pc, name, "expected an integer, got %s", json_kind(it));
    v = it->valuedouble;
    if (fabs(v) < TWO_POW_53) {
        if (v != floor(v))
            return fail(pc, name, "%s is not an integer",
                        num_text(v, nb, sizeof(nb)));
        x = (int64_t)v;
    } else {
        int r = idx < 0 ? exact_int(pc, field, v, &x) : -1;

        if (r == 1 || (r < 0 && !(fabs(v) < TWO_POW_63)))
            return fail(pc, name, "%s is beyond the int64 range",
                        num_text(v, nb, sizeof(nb)));
        if (r < 0)
            return fail(pc, name,
                        "%s cannot be read exactly: write integers "
                        "above 2^53 as plain digits",
                        num_text(v, nb, sizeof(nb)));
    }
    if (x < min || x > max)
        return fail(pc, name, "%lld is out of range (%lld .. %lld)",
                    (long long)x, (long long)min, (long long)max);
    *out = x;
    return 0;
}

static int get_str(pctx_t *pc, const cJSON *it, const char *field, int idx,
                   int nonempty, const char **out) {
    char lb[64];
    const char *name = label(field, idx, lb, sizeof(lb));

    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return fail(pc, name, "expected a string, got %s", json_kind(it));
    if (nonempty && it->valuestring[0] == '\0')
        return fail(pc, name, "must not be empty");
    *out = it->valuestring;
    return 0;
}

/* Status names a group may have in an expect line, and a partition. */
static int get_status(pctx_t *pc, const cJSON *it, int idx, ev_status_t *out) {
    char lb[64], pb[48];
    const char *name = label("status", idx, lb, sizeof(lb));
    const char *s = NULL;
    ev_status_t st;
    int ok;

    if (get_str(pc, it, "status", idx, 0, &s) < 0) return -1;
    ok = ev_status_parse(s, &st) == 0;
    if (ok && idx < 0)
        ok = st == EV_OK || st == EV_WARN || st == EV_ERR || st == EV_NOTFOUND;
    else if (ok)
        ok = st == EV_OK || st == EV_WARN || st == EV_STOP || st == EV_STALL ||
             st == EV_REWIND;
    if (!ok)
        return fail(pc, name,
                    idx < 0 ? "unknown group status '%s' (expected OK, "
                              "WARN, ERR or NOTFOUND)"
                            : "unknown partition status '%s' (expected OK, "
                              "WARN, STOP, STALL or REWIND)",
                    printable(s, pb, sizeof(pb)));
    *out = st;
    return 0;
}

static int field_id(const char *k) {
    int id;

    switch (k[0]) {
    case 'a':
        id = F_ALLOWED_LAG;
        break;
    case 'c':
        id = k[1] == 'l' && k[2] == 'u' ? F_CLUSTER : F_CLIENT_ID;
        break;
    case 'd':
        id = F_DEPLOYMENT;
        break;
    case 'e':
        id = F_EXPIRE_GROUP_MS;
        break;
    case 'g':
        id = k[1] == 'r' ? F_GROUP : F_GENERATION;
        break;
    case 'i':
        id = F_INTERVALS;
        break;
    case 'm':
        id = k[1] == 'e'                                 ? F_MEMBERS
             : k[1] == 'i' && k[2] == 'n' && k[3] == '_' ? F_MIN_DISTANCE_MS
                                                         : F_MINIMUM_COMPLETE;
        break;
    case 'o':
        id = k[1] == 'f' ? F_OFFSET : F_OWNER;
        break;
    case 'r':
        id = F_RULES;
        break;
    case 'p':
        id = k[1] == 'r'                   ? F_PROTOCOL
             : strcmp(k, "partition") == 0 ? F_PARTITION
                                           : F_PARTITIONS;
        break;
    case 's':
        id = strcmp(k, "state") == 0 ? F_STATE : F_STATUS;
        break;
    case 't':
        id = k[1] == '\0' ? F_T : k[1] == 'y' ? F_TYPE : F_TOPIC;
        break;
    default:
        return -1;
    }
    /* The guess above looked at a few bytes only (never past the NUL, as
     * && stops at it): confirm it. */
    return strcmp(k, field_names[id]) == 0 ? id : -1;
}

/* Parses the `partitions` list of an expect line into rd->pex. */
static int parse_pexpect(pctx_t *pc, const cJSON *arr, mon_trace_event_t *ev) {
    mon_trace_reader_t *rd = pc->rd;
    const cJSON *el;
    size_t n = 0;
    int idx = 0;

    if (!cJSON_IsArray(arr))
        return fail(pc, "partitions", "expected an array, got %s",
                    json_kind(arr));
    for (el = arr->child; el != NULL; el = el->next, idx++) {
        const cJSON *slot[3] = {NULL, NULL, NULL}; /* topic, partition, st */
        const cJSON *m;
        mon_trace_pexpect_t *pe;
        int64_t part;
        char lb[64];

        if (!cJSON_IsObject(el)) {
            snprintf(lb, sizeof(lb), "partitions[%d]", idx);
            return fail(pc, lb, "expected an object, got %s", json_kind(el));
        }
        for (m = el->child; m != NULL; m = m->next) {
            int k = strcmp(m->string, "topic") == 0       ? 0
                    : strcmp(m->string, "partition") == 0 ? 1
                    : strcmp(m->string, "status") == 0    ? 2
                                                          : -1;
            if (k < 0) continue;
            if (slot[k] != NULL)
                return fail(pc, label(m->string, idx, lb, sizeof(lb)),
                            "given twice");
            slot[k] = m;
        }
        if (n == rd->pex_cap) {
            rd->pex_cap = rd->pex_cap ? rd->pex_cap * 2 : 8;
            rd->pex = mon_realloc(rd->pex, rd->pex_cap * sizeof(*rd->pex));
        }
        pe = &rd->pex[n];
        if (slot[0] == NULL)
            return fail(pc, label("topic", idx, lb, sizeof(lb)), "missing");
        if (get_str(pc, slot[0], "topic", idx, 1, &pe->topic) < 0) return -1;
        if (slot[1] == NULL)
            return fail(pc, label("partition", idx, lb, sizeof(lb)), "missing");
        if (get_int(pc, slot[1], "partition", idx, 0, TRACE_MAX_PARTITION,
                    &part) < 0)
            return -1;
        pe->partition = (int32_t)part;
        if (slot[2] == NULL)
            return fail(pc, label("status", idx, lb, sizeof(lb)), "missing");
        if (get_status(pc, slot[2], idx, &pe->status) < 0) return -1;
        n++;
    }
    ev->pexpect = n ? rd->pex : NULL;
    ev->pexpect_count = n;
    return 0;
}

/* The failure of a required member that is absent: "FIELD: missing". */
static int missing(pctx_t *pc, int id) {
    return fail(pc, field_names[id], "missing");
}

static int parse_config(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    mon_trace_config_t *cfg = &ev->config;
    int64_t v;

    if (pc->rd->events != 0)
        return fail(pc, "type",
                    "a config line must come before every other line");
    mon_trace_config_default(cfg);
    if (f[F_INTERVALS] != NULL) {
        if (get_int(pc, f[F_INTERVALS], "intervals", -1, 1, 65535, &v) < 0)
            return -1;
        cfg->intervals = (int)v;
    }
    if (f[F_MIN_DISTANCE_MS] != NULL &&
        get_int(pc, f[F_MIN_DISTANCE_MS], "min_distance_ms", -1, 0, INT64_MAX,
                &cfg->min_distance_ms) < 0)
        return -1;
    if (f[F_EXPIRE_GROUP_MS] != NULL &&
        get_int(pc, f[F_EXPIRE_GROUP_MS], "expire_group_ms", -1, 0, INT64_MAX,
                &cfg->expire_group_ms) < 0)
        return -1;
    if (f[F_ALLOWED_LAG] != NULL &&
        get_int(pc, f[F_ALLOWED_LAG], "allowed_lag", -1, 0, INT64_MAX,
                &cfg->allowed_lag) < 0)
        return -1;
    if (f[F_MINIMUM_COMPLETE] != NULL) {
        const cJSON *it = f[F_MINIMUM_COMPLETE];
        double d;

        if (!cJSON_IsNumber(it))
            return fail(pc, "minimum_complete", "expected a number, got %s",
                        json_kind(it));
        d = it->valuedouble;
        if (!(d >= 0.0 && d <= 1.0)) {
            char nb[40];

            return fail(pc, "minimum_complete", "%s is out of range (0 .. 1)",
                        num_text(d, nb, sizeof(nb)));
        }
        cfg->minimum_complete = d;
    }
    if (f[F_RULES] != NULL) {
        const char *name = NULL;
        char pb[48];

        if (get_str(pc, f[F_RULES], "rules", -1, 0, &name) < 0) return -1;
        if (ev_rules_parse(name, &cfg->rules) < 0)
            return fail(pc, "rules",
                        "unknown rule set '%s' (expected warren or burrow)",
                        printable(name, pb, sizeof(pb)));
    }
    return 0;
}

/* Fields shared by head, commit and expect: t (monotonic) and cluster. */
static int parse_t_cluster(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    mon_trace_reader_t *rd = pc->rd;

    if (f[F_T] == NULL) return missing(pc, F_T);
    if (get_int(pc, f[F_T], "t", -1, 0, INT64_MAX, &ev->t) < 0) return -1;
    if (rd->have_t && ev->t < rd->last_t)
        return fail(pc, "t",
                    "%lld is before %lld on line %lu (times must not "
                    "decrease)",
                    (long long)ev->t, (long long)rd->last_t, rd->last_t_line);
    if (f[F_CLUSTER] != NULL &&
        get_str(pc, f[F_CLUSTER], "cluster", -1, 1, &ev->cluster) < 0)
        return -1;
    return 0;
}

static int parse_head(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    int64_t v;

    if (parse_t_cluster(pc, f, ev) < 0) return -1;
    if (f[F_TOPIC] == NULL) return missing(pc, F_TOPIC);
    if (get_str(pc, f[F_TOPIC], "topic", -1, 1, &ev->topic) < 0) return -1;
    if (f[F_PARTITION] == NULL) return missing(pc, F_PARTITION);
    if (get_int(pc, f[F_PARTITION], "partition", -1, 0, TRACE_MAX_PARTITION,
                &v) < 0)
        return -1;
    ev->partition = (int32_t)v;
    if (f[F_OFFSET] == NULL) return missing(pc, F_OFFSET);
    if (get_int(pc, f[F_OFFSET], "offset", -1, 0, INT64_MAX, &ev->offset) < 0)
        return -1;
    if (f[F_PARTITIONS] != NULL) {
        if (get_int(pc, f[F_PARTITIONS], "partitions", -1, 1,
                    TRACE_MAX_PARTITION + 1, &v) < 0)
            return -1;
        ev->partitions = (int32_t)v;
    }
    return 0;
}

static int parse_commit(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    int64_t v;

    if (parse_t_cluster(pc, f, ev) < 0) return -1;
    if (f[F_GROUP] == NULL) return missing(pc, F_GROUP);
    if (get_str(pc, f[F_GROUP], "group", -1, 1, &ev->group) < 0) return -1;
    if (f[F_TOPIC] == NULL) return missing(pc, F_TOPIC);
    if (get_str(pc, f[F_TOPIC], "topic", -1, 1, &ev->topic) < 0) return -1;
    if (f[F_PARTITION] == NULL) return missing(pc, F_PARTITION);
    if (get_int(pc, f[F_PARTITION], "partition", -1, 0, TRACE_MAX_PARTITION,
                &v) < 0)
        return -1;
    ev->partition = (int32_t)v;
    if (f[F_OFFSET] == NULL) return missing(pc, F_OFFSET);
    if (get_int(pc, f[F_OFFSET], "offset", -1, 0, INT64_MAX, &ev->offset) < 0)
        return -1;
    if (f[F_OWNER] != NULL &&
        get_str(pc, f[F_OWNER], "owner", -1, 0, &ev->owner) < 0)
        return -1;
    if (f[F_CLIENT_ID] != NULL &&
        get_str(pc, f[F_CLIENT_ID], "client_id", -1, 0, &ev->client_id) < 0)
        return -1;
    return 0;
}

/* truth: t, cluster, group, topic, partition, status (OK WARN ERR GRACE). */
static int parse_truth(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    static const char *const names[] = {"OK", "WARN", "ERR", "GRACE"};
    const char *st = NULL;
    char pb[48];
    int64_t v;
    int k;

    if (parse_t_cluster(pc, f, ev) < 0) return -1;
    if (f[F_GROUP] == NULL) return missing(pc, F_GROUP);
    if (get_str(pc, f[F_GROUP], "group", -1, 1, &ev->group) < 0) return -1;
    if (f[F_TOPIC] == NULL) return missing(pc, F_TOPIC);
    if (get_str(pc, f[F_TOPIC], "topic", -1, 1, &ev->topic) < 0) return -1;
    if (f[F_PARTITION] == NULL) return missing(pc, F_PARTITION);
    if (get_int(pc, f[F_PARTITION], "partition", -1, 0, TRACE_MAX_PARTITION,
                &v) < 0)
        return -1;
    ev->partition = (int32_t)v;
    if (f[F_STATUS] == NULL) return missing(pc, F_STATUS);
    if (get_str(pc, f[F_STATUS], "status", -1, 1, &st) < 0) return -1;
    for (k = 0; k < 4; k++)
        if (strcmp(st, names[k]) == 0) break;
    if (k == 4)
        return fail(pc, "status",
                    "unknown truth '%s' (expected OK, WARN, ERR or GRACE)",
                    printable(st, pb, sizeof(pb)));
    ev->truth = (mon_trace_truth_t)k;
    return 0;
}

static int parse_expect(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    if (parse_t_cluster(pc, f, ev) < 0) return -1;
    if (f[F_GROUP] == NULL) return missing(pc, F_GROUP);
    if (get_str(pc, f[F_GROUP], "group", -1, 1, &ev->group) < 0) return -1;
    if (f[F_STATUS] == NULL) return missing(pc, F_STATUS);
    if (get_status(pc, f[F_STATUS], -1, &ev->status) < 0) return -1;
    if (f[F_PARTITIONS] != NULL && parse_pexpect(pc, f[F_PARTITIONS], ev) < 0)
        return -1;
    if (f[F_DEPLOYMENT] != NULL) {
        const char *d = NULL;
        char pb[48];
        if (get_str(pc, f[F_DEPLOYMENT], "deployment", -1, 1, &d) < 0)
            return -1;
        if (ev_deploy_parse(d, &ev->deployment) < 0)
            return fail(pc, "deployment",
                        "unknown deployment '%s' (expected stop-the-world, "
                        "blue-green, rolling, canary or none)",
                        printable(d, pb, sizeof(pb)));
        ev->deployment_set = true;
    }
    return 0;
}

#define TRACE_MAX_MEMBERS 10000

/* Reads members[idx].assigned into rd->tps from *ntp on. */
static int parse_assigned(pctx_t *pc, const cJSON *obj, int idx, size_t *ntp) {
    mon_trace_reader_t *rd = pc->rd;
    char lb[96];
    snprintf(lb, sizeof(lb), "members[%d].assigned", idx);
    if (!cJSON_IsObject(obj))
        return fail(pc, lb, "expected an object, got %s", json_kind(obj));
    for (const cJSON *t = obj->child; t; t = t->next) {
        snprintf(lb, sizeof(lb), "members[%d].assigned.%s", idx, t->string);
        if (!t->string[0]) return fail(pc, lb, "empty topic name");
        if (!cJSON_IsArray(t))
            return fail(pc, lb, "expected an array, got %s", json_kind(t));
        int k = 0;
        for (const cJSON *p = t->child; p; p = p->next, k++) {
            int64_t v;
            char pl[128];
            snprintf(pl, sizeof(pl), "%s[%d]", lb, k);
            if (!cJSON_IsNumber(p) || p->valuedouble != floor(p->valuedouble) ||
                p->valuedouble < 0 || p->valuedouble > TRACE_MAX_PARTITION)
                return fail(pc, pl, "expected a partition (0 .. %d)",
                            TRACE_MAX_PARTITION);
            v = (int64_t)p->valuedouble;
            if (*ntp == rd->tps_cap) {
                rd->tps_cap = rd->tps_cap ? rd->tps_cap * 2 : 16;
                rd->tps = mon_realloc(rd->tps, rd->tps_cap * sizeof(*rd->tps));
            }
            rd->tps[(*ntp)++] = (mon_member_tp_t){t->string, (int32_t)v};
        }
    }
    return 0;
}

static int cmp_tp(const void *a, const void *b) {
    const mon_member_tp_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c
             : (x->partition > y->partition) - (x->partition < y->partition);
}

/* members: t, cluster, group, members[]; state, protocol, generation. */
static int parse_members(pctx_t *pc, const cJSON **f, mon_trace_event_t *ev) {
    mon_trace_reader_t *rd = pc->rd;
    mon_group_members_t *gm = &ev->members;
    int64_t v;
    if (parse_t_cluster(pc, f, ev) < 0) return -1;
    if (f[F_GROUP] == NULL) return missing(pc, F_GROUP);
    if (get_str(pc, f[F_GROUP], "group", -1, 1, &ev->group) < 0) return -1;
    if (f[F_MEMBERS] == NULL) return missing(pc, F_MEMBERS);
    const cJSON *arr = f[F_MEMBERS];
    if (!cJSON_IsArray(arr))
        return fail(pc, "members", "expected an array, got %s", json_kind(arr));
    size_t n = 0, ntp = 0;
    size_t *first_tp = NULL;
    int idx = 0;
    for (const cJSON *el = arr->child; el; el = el->next, idx++) {
        char lb[64];
        snprintf(lb, sizeof(lb), "members[%d]", idx);
        if (idx >= TRACE_MAX_MEMBERS) {
            free(first_tp);
            return fail(pc, "members", "more than %d members",
                        TRACE_MAX_MEMBERS);
        }
        if (!cJSON_IsObject(el)) {
            free(first_tp);
            return fail(pc, lb, "expected an object, got %s", json_kind(el));
        }
        if (n == rd->mem_cap) {
            rd->mem_cap = rd->mem_cap ? rd->mem_cap * 2 : 8;
            rd->mem = mon_realloc(rd->mem, rd->mem_cap * sizeof(*rd->mem));
        }
        first_tp = mon_realloc(first_tp, (n + 1) * sizeof(*first_tp));
        first_tp[n] = ntp;
        mon_member_t *m = &rd->mem[n];
        memset(m, 0, sizeof(*m));
        m->member_id = NULL;
        m->instance_id = m->client_id = m->host = "";
        for (const cJSON *it = el->child; it; it = it->next) {
            char fl[96];
            snprintf(fl, sizeof(fl), "members[%d].%s", idx, it->string);
            const char **dst =
                !strcmp(it->string, "member_id")     ? &m->member_id
                : !strcmp(it->string, "client_id")   ? &m->client_id
                : !strcmp(it->string, "host")        ? &m->host
                : !strcmp(it->string, "instance_id") ? &m->instance_id
                                                     : NULL;
            int rc = 0;
            if (dst) {
                if (!cJSON_IsString(it))
                    rc = fail(pc, fl, "expected a string, got %s",
                              json_kind(it));
                else
                    *dst = it->valuestring;
            } else if (!strcmp(it->string, "assigned")) {
                rc = parse_assigned(pc, it, idx, &ntp);
            }
            if (rc < 0) {
                free(first_tp);
                return -1;
            }
        }
        if (!m->member_id || !m->member_id[0]) {
            free(first_tp);
            snprintf(lb, sizeof(lb), "members[%d].member_id", idx);
            return fail(pc, lb, m->member_id ? "must not be empty" : "missing");
        }
        for (size_t j = 0; j < n; j++)
            if (!strcmp(rd->mem[j].member_id, m->member_id)) {
                free(first_tp);
                snprintf(lb, sizeof(lb), "members[%d].member_id", idx);
                return fail(pc, lb, "member '%s' given twice", m->member_id);
            }
        n++;
    }
    for (size_t i = 0; i < n; i++) { /* point into rd->tps once it is grown */
        size_t end = i + 1 < n ? first_tp[i + 1] : ntp;
        rd->mem[i].assigned = rd->tps + first_tp[i];
        rd->mem[i].n_assigned = end - first_tp[i];
    }
    free(first_tp);
    if (ntp > 1) { /* a partition assigned twice */
        mon_member_tp_t *sorted = mon_malloc(ntp * sizeof(*sorted));
        memcpy(sorted, rd->tps, ntp * sizeof(*sorted));
        qsort(sorted, ntp, sizeof(*sorted), cmp_tp);
        for (size_t i = 1; i < ntp; i++)
            if (!cmp_tp(&sorted[i - 1], &sorted[i])) {
                char lb[96];
                snprintf(lb, sizeof(lb), "members[].assigned.%s",
                         sorted[i].topic);
                int rc = fail(pc, lb, "partition %d assigned to two members",
                              (int)sorted[i].partition);
                free(sorted);
                return rc;
            }
        free(sorted);
    }
    gm->members = n ? rd->mem : NULL;
    gm->count = n;
    gm->state = n ? "Stable" : "Empty";
    gm->protocol_type = "consumer";
    gm->protocol = "";
    gm->generation = -1;
    gm->t_ms = ev->t;
    if (f[F_STATE] != NULL &&
        get_str(pc, f[F_STATE], "state", -1, 1, &gm->state) < 0)
        return -1;
    if (f[F_PROTOCOL] != NULL &&
        get_str(pc, f[F_PROTOCOL], "protocol", -1, 0, &gm->protocol) < 0)
        return -1;
    if (f[F_GENERATION] != NULL) {
        if (get_int(pc, f[F_GENERATION], "generation", -1, 0, INT32_MAX, &v) <
            0)
            return -1;
        gm->generation = (int32_t)v;
    }
    return 0;
}

mon_trace_reader_t *mon_trace_reader_new(const char *name) {
    mon_trace_reader_t *rd = mon_calloc(1, sizeof(*rd));

    rd->name = mon_strdup(name != NULL ? name : "trace");
    return rd;
}

void mon_trace_reader_use_arena(mon_trace_reader_t *rd) {
    if (rd->arena) return;
    cJSON_Delete(rd->tree);
    rd->tree = NULL;
    rd->arena = mon_json_arena_new();
}

void mon_trace_reader_destroy(mon_trace_reader_t *rd) {
    if (rd == NULL) return;
    if (rd->arena)
        mon_json_arena_destroy(rd->arena);
    else
        cJSON_Delete(rd->tree);
    free(rd->pex);
    free(rd->mem);
    free(rd->tps);
    free(rd->name);
    free(rd);
}

void mon_trace_config_default(mon_trace_config_t *cfg) {
    cfg->intervals = 10;
    cfg->min_distance_ms = 0;
    cfg->expire_group_ms = 604800000;
    cfg->allowed_lag = 0;
    cfg->minimum_complete = 0.0;
    cfg->rules = EV_RULES_WARREN;
}

int mon_trace_parse_line(mon_trace_reader_t *rd, const char *line, size_t len,
                         mon_trace_event_t *ev, char *errstr,
                         size_t errstr_size) {
    pctx_t pc = {rd, line, len, errstr, errstr_size};
    const cJSON *f[F__COUNT] = {NULL};
    const cJSON *m;
    const char *end = NULL, *ty = NULL;
    size_t i;
    int rc;

    rd->line++;
    if (!rd->arena) cJSON_Delete(rd->tree);
    rd->tree = NULL;
    memset(ev, 0, sizeof(*ev));
    ev->type = MON_TRACE_BLANK;
    ev->cluster = "local";

    for (i = 0; i < len && is_ws(line[i]); i++)
        ;
    if (i == len) return 0;
    if (scan_bytes(&pc) < 0) return -1;

    rd->tree = rd->arena ? mon_json_arena_parse(rd->arena, line, len, &end)
                         : cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (rd->tree == NULL)
        return fail(&pc, NULL, "invalid JSON at byte %zu",
                    end != NULL && end >= line ? (size_t)(end - line) : 0);
    i = (size_t)(end - line);
    while (i < len && is_ws(line[i]))
        i++;
    if (i < len)
        return fail(&pc, NULL,
                    "invalid JSON at byte %zu: more data after the object", i);
    if (!cJSON_IsObject(rd->tree))
        return fail(&pc, NULL, "expected a JSON object, got %s",
                    json_kind(rd->tree));

    for (m = rd->tree->child; m != NULL; m = m->next) {
        int id = m->string != NULL ? field_id(m->string) : -1;

        if (id < 0) continue; /* unknown members are ignored */
        if (f[id] != NULL) return fail(&pc, field_names[id], "given twice");
        f[id] = m;
    }

    if (f[F_TYPE] == NULL) return missing(&pc, F_TYPE);
    if (get_str(&pc, f[F_TYPE], "type", -1, 0, &ty) < 0) return -1;
    if (strcmp(ty, "commit") == 0) {
        ev->type = MON_TRACE_COMMIT;
        rc = parse_commit(&pc, f, ev);
    } else if (strcmp(ty, "head") == 0) {
        ev->type = MON_TRACE_HEAD;
        rc = parse_head(&pc, f, ev);
    } else if (strcmp(ty, "expect") == 0) {
        ev->type = MON_TRACE_EXPECT;
        rc = parse_expect(&pc, f, ev);
    } else if (strcmp(ty, "config") == 0) {
        ev->type = MON_TRACE_CONFIG;
        rc = parse_config(&pc, f, ev);
    } else if (strcmp(ty, "truth") == 0) {
        ev->type = MON_TRACE_TRUTH;
        rc = parse_truth(&pc, f, ev);
    } else if (strcmp(ty, "members") == 0) {
        ev->type = MON_TRACE_MEMBERS;
        rc = parse_members(&pc, f, ev);
    } else {
        char pb[48];

        return fail(&pc, "type",
                    "unknown type '%s' (expected config, head, commit, "
                    "expect, truth or members)",
                    printable(ty, pb, sizeof(pb)));
    }
    if (rc < 0) {
        ev->type = MON_TRACE_BLANK;
        return -1;
    }
    if (ev->type != MON_TRACE_CONFIG) {
        rd->have_t = 1;
        rd->last_t = ev->t;
        rd->last_t_line = rd->line;
    }
    rd->events++;
    return 0;
}

unsigned long mon_trace_line_number(const mon_trace_reader_t *rd) {
    return rd->line;
}

unsigned long mon_trace_event_count(const mon_trace_reader_t *rd) {
    return rd->events;
}

int mon_trace_reader_finish(const mon_trace_reader_t *rd, char *errstr,
                            size_t errstr_size) {
    if (rd->events != 0) return 0;
    if (errstr != NULL && errstr_size > 0)
        snprintf(errstr, errstr_size, "%s: empty trace (no events)", rd->name);
    return -1;
}

const char *mon_trace_type_name(mon_trace_type_t type) {
    switch (type) {
    case MON_TRACE_BLANK:
        return "blank";
    case MON_TRACE_CONFIG:
        return "config";
    case MON_TRACE_HEAD:
        return "head";
    case MON_TRACE_COMMIT:
        return "commit";
    case MON_TRACE_EXPECT:
        return "expect";
    case MON_TRACE_TRUTH:
        return "truth";
    case MON_TRACE_MEMBERS:
        return "members";
    }
    return "unknown";
}
