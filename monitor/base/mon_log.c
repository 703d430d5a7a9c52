/* SPDX-License-Identifier: Apache-2.0 */
/* mon_log: see mon_log.h. Formatting happens on the caller's stack into a
 * fixed buffer, then one locked fwrite + fflush emits the whole line, so a
 * slow stderr only ever delays logging threads, never corrupts lines. The
 * timestamp is the wall clock: logging is output, not logic.
 */
#include "monitor/base/mon_log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor/base/mon_clock.h"

#include "monitor/base/mon_mem.h"

#define MSG_MAX 4096
#define FIELD_MAX 1024
/* the message fully escaped and room for fields; later fields that do not
 * fit are left out */
#define LINE_MAX_ 32768

static atomic_int log_level = MON_LOG_INFO;
static atomic_int log_format = MON_LOG_TEXT;
/* log_lock guards log_out and every write to it. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *log_out; /* NULL = stderr */

static const char *const level_names[] = {"debug", "info", "warn", "error",
                                          "fatal"};
static const char *const level_upper[] = {"DEBUG", "INFO", "WARN", "ERROR",
                                          "FATAL"};

void mon_log_set_level(mon_log_level_t level) {
    if (level < MON_LOG_DEBUG || level > MON_LOG_FATAL) return;
    atomic_store(&log_level, (int)level);
}

mon_log_level_t mon_log_get_level(void) {
    return (mon_log_level_t)atomic_load(&log_level);
}

void mon_log_set_format(mon_log_format_t format) {
    atomic_store(&log_format,
                 format == MON_LOG_JSON ? MON_LOG_JSON : MON_LOG_TEXT);
}

mon_log_format_t mon_log_get_format(void) {
    return (mon_log_format_t)atomic_load(&log_format);
}

void mon_log_set_output(FILE *fp) {
    pthread_mutex_lock(&log_lock);
    log_out = fp;
    pthread_mutex_unlock(&log_lock);
}

const char *mon_log_level_name(mon_log_level_t level) {
    if (level < MON_LOG_DEBUG || level > MON_LOG_FATAL) return "info";
    return level_names[level];
}

int mon_log_level_parse(const char *name, mon_log_level_t *level) {
    static const struct {
        const char *name;
        mon_log_level_t level;
    } tab[] = {
        {"debug", MON_LOG_DEBUG},  {"trace", MON_LOG_DEBUG},
        {"info", MON_LOG_INFO},    {"warn", MON_LOG_WARN},
        {"warning", MON_LOG_WARN}, {"error", MON_LOG_ERROR},
        {"fatal", MON_LOG_FATAL},
    };
    if (!name) return -1;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strcasecmp(name, tab[i].name) == 0) {
            *level = tab[i].level;
            return 0;
        }
    }
    return -1;
}

int mon_log_enabled(mon_log_level_t level) {
    return (int)level >= atomic_load(&log_level);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes
 * there are not one (overlong, surrogate, beyond U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *p) {
    unsigned c = p[0];
    size_t n, i;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Appends at most max bytes of src to dst[*n..cap) escaped for one line
 * of text or a JSON string (invalid UTF-8 becomes U+FFFD in JSON); always
 * leaves room for the terminator and never splits an escape. */
static void append_escaped(char *dst, size_t *n, size_t cap, const char *src,
                           size_t max, int json) {
    const unsigned char *p = (const unsigned char *)src;
    const unsigned char *end = p + strnlen(src, max);
    while (p < end) {
        char tmp[8];
        const char *rep = NULL;
        size_t rl, take = 1;
        if (*p == '\n')
            rep = "\\n";
        else if (*p == '\r')
            rep = "\\r";
        else if (*p == '\t')
            rep = json ? "\\t" : "\t";
        else if (json && *p == '"')
            rep = "\\\"";
        else if (json && *p == '\\')
            rep = "\\\\";
        else if (*p < 0x20 || *p == 0x7f) {
            snprintf(tmp, sizeof(tmp), json ? "\\u%04x" : "\\x%02x", *p);
            rep = tmp;
        } else if (json && *p >= 0x80) {
            take = utf8_len(p);
            if (take == 0 || p + take > end) {
                rep = "\\ufffd";
                take = 1;
            }
        }
        if (rep) {
            rl = strlen(rep);
            if (*n + rl + 1 > cap) return;
            memcpy(dst + *n, rep, rl);
            *n += rl;
        } else {
            if (*n + take + 1 > cap) return;
            memcpy(dst + *n, p, take);
            *n += take;
        }
        p += take;
    }
}

static void append_raw(char *dst, size_t *n, size_t cap, const char *src) {
    size_t l = strlen(src);
    size_t room;
    if (*n + 1 >= cap) return;
    room = cap - *n - 1;
    if (l > room) l = room;
    memcpy(dst + *n, src, l);
    *n += l;
}

/* A text value is quoted when it is empty or holds a space, '=' or '"'. */
static int text_needs_quotes(const char *v) {
    return !*v || strpbrk(v, " =\"") != NULL;
}

/* Appends a text value, quoted and with \" and \\ escaped if needed; the
 * closing quote may use one byte past cap (see emit). */
static void append_text_value(char *dst, size_t *n, size_t cap, const char *v) {
    const char *p;
    char one[2] = {0, 0};
    if (!text_needs_quotes(v)) {
        append_escaped(dst, n, cap, v, FIELD_MAX, 0);
        return;
    }
    append_raw(dst, n, cap, "\"");
    for (p = v; *p && p < v + FIELD_MAX; p++) {
        if (*p == '"' || *p == '\\') append_raw(dst, n, cap, "\\");
        one[0] = *p;
        append_escaped(dst, n, cap, one, 1, 0);
    }
    dst[(*n)++] = '"'; /* within the reserve past cap */
}

/* Appends the fields to dst[*n..ccap) (see emit for the reserve past
 * ccap). A field starts only if its key and a number fit; a string value
 * is cut to fit, so the line stays one valid line or JSON object. */
static void append_fields(char *dst, size_t *n, size_t ccap,
                          const mon_log_field_t *fields, size_t n_fields,
                          int json) {
    for (size_t i = 0; i < n_fields; i++) {
        const mon_log_field_t *f = &fields[i];
        char num[32];
        size_t klen;
        if (!f->key || (f->kind == MON_LOG_F_STR && !f->str)) continue;
        klen = strnlen(f->key, 64);
        if (*n + 6 * klen + 40 > ccap) return;
        if (f->kind == MON_LOG_F_INT)
            snprintf(num, sizeof(num), "%lld", f->num);
        if (json) {
            append_raw(dst, n, ccap, ",\"");
            append_escaped(dst, n, ccap, f->key, 64, 1);
            append_raw(dst, n, ccap, "\":");
            if (f->kind == MON_LOG_F_INT) {
                append_raw(dst, n, ccap, num);
            } else {
                append_raw(dst, n, ccap, "\"");
                append_escaped(dst, n, ccap, f->str, FIELD_MAX, 1);
                dst[(*n)++] = '"';
            }
        } else {
            append_raw(dst, n, ccap, " ");
            append_escaped(dst, n, ccap, f->key, 64, 0);
            append_raw(dst, n, ccap, "=");
            append_text_value(dst, n, ccap,
                              f->kind == MON_LOG_F_INT ? num : f->str);
        }
    }
}

/* Formats one line (ts, level, msg, fields) on the caller's stack, then
 * writes it under the lock. Content stops at ccap; the 4 bytes past it
 * are for a closing quote, '}', the newline and the terminator. */
static void emit(mon_log_level_t level, const mon_log_field_t *fields,
                 size_t n_fields, const char *msg) {
    char line[LINE_MAX_];
    const size_t ccap = sizeof(line) - 4;
    char ts[MON_CLOCK_RFC3339_SIZE];
    size_t n = 0;
    int json;

    mon_clock_rfc3339(mon_clock_wall_ms(), ts, sizeof(ts));
    json = atomic_load(&log_format) == MON_LOG_JSON;
    if (json) {
        append_raw(line, &n, ccap, "{\"ts\":\"");
        append_raw(line, &n, ccap, ts);
        append_raw(line, &n, ccap, "\",\"level\":\"");
        append_raw(line, &n, ccap, level_names[level]);
        append_raw(line, &n, ccap, "\",\"msg\":\"");
        append_escaped(line, &n, ccap, msg, MSG_MAX, 1);
        line[n++] = '"';
        append_fields(line, &n, ccap, fields, n_fields, 1);
        line[n++] = '}';
    } else {
        append_raw(line, &n, ccap, ts);
        append_raw(line, &n, ccap, " ");
        append_raw(line, &n, ccap, level_upper[level]);
        append_raw(line, &n, ccap, " ");
        append_escaped(line, &n, ccap, msg, MSG_MAX, 0);
        append_fields(line, &n, ccap, fields, n_fields, 0);
    }
    line[n++] = '\n';
    line[n] = '\0';

    pthread_mutex_lock(&log_lock);
    {
        FILE *out = log_out ? log_out : stderr;
        fwrite(line, 1, n, out);
        fflush(out);
    }
    pthread_mutex_unlock(&log_lock);
}

static mon_log_level_t clamp(mon_log_level_t level) {
    return level < MON_LOG_DEBUG || level > MON_LOG_FATAL ? MON_LOG_ERROR
                                                          : level;
}

/* mon_log with a va_list. */
static void mon_logv(mon_log_level_t level, const char *fmt, va_list ap) {
    char msg[MSG_MAX];
    level = clamp(level);
    if (!mon_log_enabled(level)) return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    emit(level, NULL, 0, msg);
}

void mon_log(mon_log_level_t level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mon_logv(level, fmt, ap);
    va_end(ap);
}

void mon_log_kv(mon_log_level_t level, const mon_log_field_t *fields,
                size_t n_fields, const char *fmt, ...) {
    char msg[MSG_MAX];
    va_list ap;
    level = clamp(level);
    if (!mon_log_enabled(level)) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit(level, fields, n_fields, msg);
}

void mon_log_kv_always(mon_log_level_t level, const mon_log_field_t *fields,
                       size_t n_fields, const char *fmt, ...) {
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    emit(clamp(level), fields, n_fields, msg);
}

/* ---- repeat limiter ---- */

#define LIMIT_KEYS 64
#define LIMIT_FIELDS 8

/* One key's window: when its line was written, how many repeats were
 * folded since, and the last repeat's level, message and fields (copies). */
typedef struct limit_entry_s {
    char *key;
    int64_t since_ms;
    int64_t last_ms;
    long long repeated;
    mon_log_level_t level;
    char *msg;
    mon_log_field_t fields[LIMIT_FIELDS];
    size_t n_fields;
} limit_entry_t;

struct mon_log_limit_s {
    pthread_mutex_t lock; /* guards everything below */
    int64_t window_ms;
    limit_entry_t e[LIMIT_KEYS];
    size_t n;
};

mon_log_limit_t *mon_log_limit_new(int64_t window_ms) {
    mon_log_limit_t *lim = mon_calloc(1, sizeof(*lim));
    pthread_mutex_init(&lim->lock, NULL);
    lim->window_ms = window_ms > 0 ? window_ms : 1;
    return lim;
}

static void entry_clear_last(limit_entry_t *e) {
    free(e->msg);
    e->msg = NULL;
    for (size_t i = 0; i < e->n_fields; i++) {
        free((char *)e->fields[i].key);
        free((char *)e->fields[i].str);
    }
    e->n_fields = 0;
}

static void entry_free(limit_entry_t *e) {
    entry_clear_last(e);
    free(e->key);
    memset(e, 0, sizeof(*e));
}

/* Keeps copies of the last repeat's message and fields in e. */
static void entry_keep_last(limit_entry_t *e, mon_log_level_t level,
                            const mon_log_field_t *fields, size_t n_fields,
                            const char *msg) {
    entry_clear_last(e);
    e->level = level;
    e->msg = mon_strdup(msg);
    for (size_t i = 0; i < n_fields && e->n_fields < LIMIT_FIELDS; i++) {
        mon_log_field_t *f = &e->fields[e->n_fields++];
        *f = fields[i];
        f->key = mon_strdup(fields[i].key ? fields[i].key : "");
        f->str = fields[i].str ? mon_strdup(fields[i].str) : NULL;
    }
}

/* Writes e's folded-repeat line (caller holds lim->lock). */
static void entry_write_repeats(const limit_entry_t *e) {
    mon_log_field_t f[LIMIT_FIELDS + 2];
    size_t n = e->n_fields;
    memcpy(f, e->fields, n * sizeof(f[0]));
    f[n++] = MON_LF_INT("repeated", e->repeated);
    f[n++] = MON_LF_INT("over_s", (e->last_ms - e->since_ms + 999) / 1000);
    if (mon_log_enabled(e->level)) emit(e->level, f, n, e->msg);
}

static void entry_remove(mon_log_limit_t *lim, size_t i) {
    entry_free(&lim->e[i]);
    lim->e[i] = lim->e[--lim->n];
    memset(&lim->e[lim->n], 0, sizeof(lim->e[0]));
}

int mon_log_limit_event(mon_log_limit_t *lim, int64_t now_ms,
                        mon_log_level_t level, const char *key,
                        const mon_log_field_t *fields, size_t n_fields,
                        const char *msg) {
    limit_entry_t *e = NULL;
    int wrote = 0;
    level = clamp(level);
    if (!mon_log_enabled(level)) return 0;
    pthread_mutex_lock(&lim->lock);
    for (size_t i = 0; i < lim->n; i++)
        if (!strcmp(lim->e[i].key, key)) e = &lim->e[i];
    if (e && now_ms - e->since_ms < lim->window_ms) {
        e->repeated++;
        e->last_ms = now_ms;
        entry_keep_last(e, level, fields, n_fields, msg);
        pthread_mutex_unlock(&lim->lock);
        return 0;
    }
    if (e) {
        if (e->repeated > 0) entry_write_repeats(e);
        entry_clear_last(e);
    } else {
        if (lim->n == LIMIT_KEYS) { /* drop the oldest */
            size_t old = 0;
            for (size_t i = 1; i < lim->n; i++)
                if (lim->e[i].since_ms < lim->e[old].since_ms) old = i;
            if (lim->e[old].repeated > 0) entry_write_repeats(&lim->e[old]);
            entry_remove(lim, old);
        }
        e = &lim->e[lim->n++];
        e->key = mon_strdup(key);
    }
    e->since_ms = now_ms;
    e->repeated = 0;
    emit(level, fields, n_fields, msg);
    wrote = 1;
    pthread_mutex_unlock(&lim->lock);
    return wrote;
}

int mon_log_limit_flush(mon_log_limit_t *lim, int64_t now_ms) {
    int lines = 0;
    pthread_mutex_lock(&lim->lock);
    for (size_t i = 0; i < lim->n;) {
        limit_entry_t *e = &lim->e[i];
        if (now_ms - e->since_ms < lim->window_ms) {
            i++;
            continue;
        }
        if (e->repeated > 0) {
            entry_write_repeats(e);
            lines++;
        }
        entry_remove(lim, i);
    }
    pthread_mutex_unlock(&lim->lock);
    return lines;
}

void mon_log_limit_destroy(mon_log_limit_t *lim) {
    if (!lim) return;
    pthread_mutex_lock(&lim->lock);
    for (size_t i = 0; i < lim->n; i++) {
        if (lim->e[i].repeated > 0) entry_write_repeats(&lim->e[i]);
        entry_free(&lim->e[i]);
    }
    pthread_mutex_unlock(&lim->lock);
    pthread_mutex_destroy(&lim->lock);
    free(lim);
}

void mon_errstr_set(char *errstr, size_t size, const char *fmt, ...) {
    va_list ap;
    if (!errstr || !size) return;
    va_start(ap, fmt);
    vsnprintf(errstr, size, fmt, ap);
    va_end(ap);
}
