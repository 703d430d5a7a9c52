/* SPDX-License-Identifier: Apache-2.0 */
/* mon_log: the daemon's event log, one line per notable event on stderr.
 *
 * An event is a level, a message and structured fields (cluster, group,
 * source, error, ...). Lines are either text, the fields as key=value
 * after the message:
 *
 *   2024-05-01T10:00:00.123Z WARN cluster unavailable cluster=prod
 *   error="Connection refused"
 *
 * or JSON, one object per line with the fields as members (each example
 * is one line, folded here):
 *
 *   {"ts":"2024-05-01T10:00:00.123Z","level":"warn","msg":"cluster
 *   unavailable","cluster":"prod","error":"Connection refused"}
 *
 * Events below the current level are dropped before any formatting. The
 * level is Burrow's vocabulary (debug, info, warn, error, fatal) so that
 * GET/POST /v3/admin/loglevel can read and change it at run time.
 *
 * A limiter (mon_log_limit_t) folds an event that repeats within a window
 * into one line with a count, for sources that repeat themselves (such as
 * librdkafka retrying a broker every few seconds).
 *
 * The log is process-wide by nature (one stderr), so level, format and
 * output live in this module: the level and format are atomics read
 * without a lock; a mutex (the module's only global lock) serialises
 * writes so lines from different threads never interleave. Every function
 * may be called from any thread.
 */
#ifndef MON_LOG_H
#define MON_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum mon_log_level_e {
    MON_LOG_DEBUG = 0,
    MON_LOG_INFO = 1,
    MON_LOG_WARN = 2,
    MON_LOG_ERROR = 3,
    MON_LOG_FATAL = 4
} mon_log_level_t;

typedef enum mon_log_format_e {
    MON_LOG_TEXT = 0,
    MON_LOG_JSON = 1
} mon_log_format_t;

/* Sets the minimum level written (default MON_LOG_INFO). */
void mon_log_set_level(mon_log_level_t level);

/* The current minimum level. */
mon_log_level_t mon_log_get_level(void);

/* Sets the line format (default MON_LOG_TEXT). */
void mon_log_set_format(mon_log_format_t format);

/* The current line format. */
mon_log_format_t mon_log_get_format(void);

/* Redirects output to `fp` (NULL restores stderr). The caller keeps
 * ownership of fp and must keep it open while it is the output. */
void mon_log_set_output(FILE *fp);

/* Lower-case name of a level as Burrow prints it: "debug", "info",
 * "warn", "error", "fatal". Never NULL. */
const char *mon_log_level_name(mon_log_level_t level);

/* Parses a level the way Burrow's POST /v3/admin/loglevel does:
 * case-insensitive debug|trace, info, warn|warning, error, fatal. Returns
 * 0 and sets *level, or -1 for anything else (NULL included). */
int mon_log_level_parse(const char *name, mon_log_level_t *level);

/* Non-zero when an event at `level` would be written. */
int mon_log_enabled(mon_log_level_t level);

/* Writes one event line when level passes the filter. Newlines and
 * control characters in the message are escaped, so one call is always
 * exactly one line. Messages longer than 4 KiB are truncated. */
void mon_log(mon_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- structured fields ---- */

typedef enum mon_log_field_kind_e {
    MON_LOG_F_STR = 0,
    MON_LOG_F_INT = 1
} mon_log_field_kind_t;

/* One field of an event. The key is a short identifier (letters, digits,
 * '_'); "ts", "level" and "msg" are taken by the line itself. A string
 * field whose str is NULL is left out of the line, so optional values
 * need no branch at the call site. */
typedef struct mon_log_field_s {
    const char *key;
    mon_log_field_kind_t kind;
    const char *str;
    long long num;
} mon_log_field_t;

#define MON_LF_STR(k, v)                                                       \
    ((mon_log_field_t){.key = (k), .kind = MON_LOG_F_STR, .str = (v)})
#define MON_LF_INT(k, v)                                                       \
    ((mon_log_field_t){                                                        \
        .key = (k), .kind = MON_LOG_F_INT, .num = (long long)(v)})
/* The two arguments (array, count) of mon_log_kv for a list of fields:
 * mon_log_kv(MON_LOG_WARN, MON_LOG_FIELDS(MON_LF_STR("cluster", c)),
 *            "cluster unavailable"). */
#define MON_LOG_FIELDS(...)                                                    \
    (const mon_log_field_t[]){__VA_ARGS__},                                    \
        (sizeof((const mon_log_field_t[]){__VA_ARGS__}) /                      \
         sizeof(mon_log_field_t))

/* Writes one event with fields (n_fields of them, fields may be NULL when
 * n_fields is 0). The message is formatted as by mon_log; string values
 * are escaped like the message and cut at 1 KiB each. */
void mon_log_kv(mon_log_level_t level, const mon_log_field_t *fields,
                size_t n_fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes one event whatever the level filter (for an event the operator
 * must see, such as the level being changed). */
void mon_log_kv_always(mon_log_level_t level, const mon_log_field_t *fields,
                       size_t n_fields, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- repeat limiter ---- */

/* Folds repeats: the first event of a key is written at once; the same key
 * again within window_ms of that line is only counted; the first event
 * after the window (or mon_log_limit_flush once the window has passed)
 * writes one line with the last repeat's message and fields plus
 * "repeated" (how many were folded) and "over_s" (seconds from the line
 * written to the last repeat), then a new window starts. Keeps at most 64 keys
 * (the oldest is flushed and dropped). Its own mutex guards it; any thread. */
typedef struct mon_log_limit_s mon_log_limit_t;

/* A limiter with the given window (ms, at least 1). Never NULL. */
mon_log_limit_t *mon_log_limit_new(int64_t window_ms);

/* Writes the pending counts (as if every window had passed) and frees.
 * NULL is a no-op. */
void mon_log_limit_destroy(mon_log_limit_t *lim);

/* Logs msg (already formatted) with fields under key, or counts it as a
 * repeat (see above). now_ms is a monotonic time. Returns 1 when a line
 * for this event was written now, 0 when it was folded or below the
 * level. */
int mon_log_limit_event(mon_log_limit_t *lim, int64_t now_ms,
                        mon_log_level_t level, const char *key,
                        const mon_log_field_t *fields, size_t n_fields,
                        const char *msg);

/* Writes the folded-repeat line of every key whose window has passed
 * (and forgets keys with none). Returns how many lines it wrote. */
int mon_log_limit_flush(mon_log_limit_t *lim, int64_t now_ms);

/* Formats an error message into a caller's errstr (NULL or size 0: does
 * nothing): the one helper behind the errstr convention, for modules
 * that fail with a message. */
void mon_errstr_set(char *errstr, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
