/* mon_log: see mon_log.h. Formatting happens on the caller's stack into a
 * fixed buffer, then one locked fwrite + fflush emits the whole line, so a
 * slow stderr only ever delays logging threads, never corrupts lines. The
 * timestamp is the wall clock: logging is output, not logic.
 */
#include "monitor/base/mon_log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MSG_MAX 4096
#define LINE_MAX_ (MSG_MAX * 6 + 128)

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

/* Appends src to dst[*n..cap) escaped for one line of text or a JSON
 * string; always leaves room for the terminator. */
static void append_escaped(char *dst, size_t *n, size_t cap, const char *src,
                           int json) {
    for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
        char tmp[8];
        const char *rep = NULL;
        size_t rl;
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
        }
        if (rep) {
            rl = strlen(rep);
            if (*n + rl + 1 > cap) return;
            memcpy(dst + *n, rep, rl);
            *n += rl;
        } else {
            if (*n + 2 > cap) return;
            dst[(*n)++] = (char)*p;
        }
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

void mon_logv(mon_log_level_t level, const char *fmt, va_list ap) {
    char msg[MSG_MAX];
    char line[LINE_MAX_];
    char ts[96];
    size_t n = 0;
    struct timespec now;
    struct tm tm;
    int json;

    if (level < MON_LOG_DEBUG || level > MON_LOG_FATAL) level = MON_LOG_ERROR;
    if (!mon_log_enabled(level)) return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(now.tv_nsec / 1000000L) % 1000);
    json = atomic_load(&log_format) == MON_LOG_JSON;
    if (json) {
        append_raw(line, &n, sizeof(line), "{\"ts\":\"");
        append_raw(line, &n, sizeof(line), ts);
        append_raw(line, &n, sizeof(line), "\",\"level\":\"");
        append_raw(line, &n, sizeof(line), level_names[level]);
        append_raw(line, &n, sizeof(line), "\",\"msg\":\"");
        append_escaped(line, &n, sizeof(line) - 3, msg, 1);
        append_raw(line, &n, sizeof(line), "\"}");
    } else {
        append_raw(line, &n, sizeof(line), ts);
        append_raw(line, &n, sizeof(line), " ");
        append_raw(line, &n, sizeof(line), level_upper[level]);
        append_raw(line, &n, sizeof(line), " ");
        append_escaped(line, &n, sizeof(line) - 1, msg, 0);
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

void mon_log(mon_log_level_t level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mon_logv(level, fmt, ap);
    va_end(ap);
}
