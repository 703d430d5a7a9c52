/* mon_log: the daemon's event log, one line per notable event on stderr.
 *
 * Lines are either text ("2024-05-01T10:00:00.123Z INFO listening on ...")
 * or JSON lines ({"ts":"...","level":"info","msg":"..."}). Events below the
 * current level are dropped before any formatting. The level is Burrow's
 * vocabulary (debug, info, warn, error, fatal) so that GET/POST
 * /v3/admin/loglevel can read and change it at run time.
 *
 * The log is process-wide by nature (one stderr), so level, format and
 * output live in this module: the level and format are atomics read
 * without a lock; a mutex (the module's only lock) serialises writes so
 * lines from different threads never interleave. Every function may be
 * called from any thread.
 */
#ifndef MON_LOG_H
#define MON_LOG_H

#include <stdarg.h>
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

/* mon_log with a va_list. */
void mon_logv(mon_log_level_t level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
