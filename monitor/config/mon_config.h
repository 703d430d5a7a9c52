/* mon_config: Warren's configuration, an INI file read with libinih.
 *
 * The file has the sections [general], [http], [storage], [evaluator] (at
 * most once each), and any number of [cluster NAME] and [notifier NAME].
 * samples/warren.ini documents every key with its default. Loading is
 * strict: an unknown section or key, a repeated key or section, or a bad
 * value fails with ONE line "FILE:LINE: [section] key: why"; a missing
 * required key names the line of its section header. The caller (main)
 * prints it and exits 2.
 *
 * Assumption: the configuration is read once, by one thread, before
 * anything else starts. After that it is immutable and every thread may read
 * it without a lock. The handle owns every string, array and compiled regex
 * reachable from it; accessors return pointers into it, valid until
 * mon_config_destroy().
 *
 * Syntax notes (libinih): "key = value" (or "key: value"); lines starting
 * with ';' or '#' are comments, and " ;" (a semicolon after whitespace)
 * starts a comment at the end of a line; values are taken literally (no
 * quotes); leading indentation is ignored (there are no continuation
 * lines); a line may be at most 199 bytes. Relative paths are relative to
 * the working directory.
 *
 * Value syntax: durations are an integer number of seconds or an integer
 * with a unit suffix ms, s, m, h or d ("500ms", "10s", "5m") and are stored
 * in milliseconds (fields ending in _ms); booleans are true/false, yes/no,
 * on/off or 1/0 (any case); regexes are POSIX extended, unanchored. In
 * kafka.*, admin-token, secret, headers and extras.* values "${NAME}" is
 * replaced by the environment variable NAME (unset is an error) and "$${"
 * stands for a literal "${".
 */
#ifndef MON_CONFIG_H
#define MON_CONFIG_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_status.h"
#include "monitor/base/mon_log.h"

typedef enum mon_config_source_e {
    MON_CONFIG_SOURCE_EMBEDDED = 0,
    MON_CONFIG_SOURCE_REPLAY,
    MON_CONFIG_SOURCE_KAFKA
} mon_config_source_t;

typedef enum mon_config_offsets_e {
    MON_CONFIG_OFFSETS_ADMIN = 0,   /* list groups + fetch offsets */
    MON_CONFIG_OFFSETS_TOPIC        /* consume __consumer_offsets */
} mon_config_offsets_t;

/* A validated regex: the pattern as written and its compiled form
 * (REG_EXTENDED | REG_NOSUB). regexec() on it is safe from any thread. */
typedef struct mon_config_regex_s {
    char *pattern;
    regex_t re;
} mon_config_regex_t;

/* One key/value pair of an ordered list (kafka.* properties, headers,
 * extras). */
typedef struct mon_config_kv_s {
    char *key;
    char *value;
} mon_config_kv_t;

/* [general] */
typedef struct mon_config_general_s {
    mon_log_format_t log_format;        /* log-format, text */
    mon_log_level_t log_level;          /* log-level, info (not fatal) */
    char *data_dir;                     /* data-dir, ./warren-data */
    int64_t snapshot_interval_ms;       /* snapshot-interval, 60 s */
    char *access_control_allow_origin;  /* "" = no CORS header */
    char *dashboard_url;                /* explicit, or from http.listen */
    bool dashboard_url_explicit;        /* set in the file */
    int64_t history_retention_ms;       /* history-retention, 86400 s */
    char *name;                         /* instance name, hostname */
} mon_config_general_t;

/* [http] */
typedef struct mon_config_http_s {
    char *listen;          /* as written: "127.0.0.1:8000", "[::1]:8000" */
    char *listen_host;     /* numeric address without brackets */
    int listen_port;       /* 0..65535; 0 = ephemeral */
    int listen_family;     /* AF_INET or AF_INET6 */
    char *admin_token;     /* "" = DELETE and admin POST need no token */
    size_t max_body;       /* bytes, 65536 */
    size_t max_url;        /* bytes, 2048 */
    size_t max_header;     /* bytes, 8192 */
    int64_t timeout_ms;    /* 30 s */
    int threads;           /* 2 */
} mon_config_http_t;

/* [storage] */
typedef struct mon_config_storage_s {
    int intervals;                      /* window size, 10 (1..1000) */
    int64_t min_distance_ms;            /* 0 */
    int64_t expire_group_ms;            /* 604800 s */
    mon_config_regex_t *group_allowlist; /* NULL = all groups */
    mon_config_regex_t *group_denylist;  /* NULL = none */
} mon_config_storage_t;

/* [evaluator] */
typedef struct mon_config_evaluator_s {
    int64_t expire_cache_ms;  /* 10 s; 0 = no caching */
    int64_t allowed_lag;      /* 0 */
    double minimum_complete;  /* 0.0 (0..1) */
} mon_config_evaluator_t;

/* [cluster NAME]. Keys of another source are rejected at load, so the
 * fields of other sources keep their defaults (NULL strings, empty lists):
 * data_dir is set only for embedded, file only for replay, servers only
 * for kafka. */
typedef struct mon_config_cluster_s {
    char *name;                   /* [A-Za-z0-9._-]{1,64} */
    int line;                     /* line of the section header; 0 default */
    mon_config_source_t source;   /* required */
    int64_t offset_refresh_ms;    /* 10 s */
    int64_t topic_refresh_ms;     /* 60 s */
    /* embedded */
    char *data_dir;               /* default <general data-dir>/broker */
    bool data_dir_explicit;
    /* replay */
    char *file;                   /* required (not opened at load) */
    double speed;                 /* 1.0, > 0 */
    bool loop;                    /* false */
    /* kafka */
    char *servers;                /* required; normalized "h:p,h:p" */
    mon_config_offsets_t offsets; /* admin */
    char **groups;                /* explicit group list, may be empty */
    size_t n_groups;
    mon_config_regex_t *group_allowlist; /* NULL = unset */
    mon_config_regex_t *group_denylist;
    mon_config_regex_t *topic_allowlist;
    mon_config_regex_t *topic_denylist;
    bool internal_topics;         /* false */
    mon_config_kv_t *kafka_props; /* "kafka.<p> = v" in file order, key */
    size_t n_kafka_props;         /* without "kafka.", ${ENV} expanded */
} mon_config_cluster_t;

/* [notifier NAME] */
typedef struct mon_config_notifier_s {
    char *name;                    /* [A-Za-z0-9._-]{1,64} */
    int line;                      /* line of the section header */
    char *url_open;                /* required; http:// or https:// */
    char *url_close;               /* NULL unless set; needed w/ send-close */
    char *method_open;             /* upper case, POST */
    char *method_close;            /* upper case, POST */
    mon_config_kv_t *headers;      /* "Name: v; Name2: v" in order */
    size_t n_headers;
    int64_t timeout_ms;            /* 5 s */
    int64_t interval_ms;           /* 60 s */
    int64_t send_interval_ms;      /* default = interval */
    ev_status_t threshold;         /* EV_WARN (default) or EV_ERR */
    bool send_close;               /* false */
    bool send_once;                /* false */
    mon_config_regex_t *group_allowlist; /* NULL = unset */
    mon_config_regex_t *group_denylist;
    char *template_open;           /* NULL = built-in body; readable */
    char *template_close;          /* NULL = built-in body; readable */
    mon_config_kv_t *extras;       /* extras.KEY = value, in file order */
    size_t n_extras;
    char *secret;                  /* NULL = unsigned */
    int open_after;                /* 1, >= 1 */
    int close_after;               /* 1, >= 1 */
    int max_retries;               /* 5, 0..20 */
} mon_config_notifier_t;

typedef struct mon_config_s mon_config_t;

/* Builds the configuration used without a file: every default, and one
 * cluster "local" with source = embedded. Never fails; the caller owns the
 * result (mon_config_destroy). */
mon_config_t *mon_config_new_default(void);

/* Reads and validates the INI file at path. Returns NULL on any error and
 * writes one line "FILE:LINE: [section] key: why" (or "FILE: why" when the
 * file cannot be read) to errstr. The caller owns the result. A file with
 * no [cluster] section gets the default cluster "local" (embedded). */
mon_config_t *mon_config_load_file(const char *path, char *errstr,
                                   size_t errstr_size);

/* Same as mon_config_load_file() over text in memory; name stands for the
 * file name in messages (e.g. "<test>"). text is not kept. */
mon_config_t *mon_config_load_string(const char *text, const char *name,
                                     char *errstr, size_t errstr_size);

/* Frees everything the handle owns. Accepts NULL. */
void mon_config_destroy(mon_config_t *cfg);

/* Applies the command-line options --listen and --data-dir over the file's
 * values; NULL leaves a value unchanged. Values derived from them (the
 * default dashboard-url, embedded clusters' default data-dir) follow.
 * Returns 0, or -1 with "--listen: why" in errstr (cfg is then unchanged).
 * Call before the config is shared with other threads. */
int mon_config_override(mon_config_t *cfg, const char *listen,
                        const char *data_dir, char *errstr,
                        size_t errstr_size);

/* Records the port actually bound when listen asked for port 0, so the
 * default dashboard-url shows it. Call before sharing the config. */
void mon_config_set_bound_port(mon_config_t *cfg, int port);

/* Replaces every cluster with one replay cluster "local" fed from `file`
 * at `speed` (warren serve --replay FILE --speed X). Returns 0, or -1 with
 * errstr naming the option and why (empty file, speed not in (0, 1e6]). */
int mon_config_use_replay(mon_config_t *cfg, const char *file, double speed,
                          char *errstr, size_t errstr_size);

/* File the configuration came from, or NULL for mon_config_new_default(). */
const char *mon_config_path(const mon_config_t *cfg);

/* The singleton sections; never NULL, owned by cfg. */
const mon_config_general_t *mon_config_general(const mon_config_t *cfg);
const mon_config_http_t *mon_config_http(const mon_config_t *cfg);
const mon_config_storage_t *mon_config_storage(const mon_config_t *cfg);
const mon_config_evaluator_t *mon_config_evaluator(const mon_config_t *cfg);

/* Clusters in file order: for (i = 0; i < count; i++) cluster_at(cfg, i).
 * cluster_at returns NULL when i is out of range; find returns NULL for an
 * unknown name. Owned by cfg. */
size_t mon_config_cluster_count(const mon_config_t *cfg);
const mon_config_cluster_t *mon_config_cluster_at(const mon_config_t *cfg,
                                                  size_t i);
const mon_config_cluster_t *mon_config_cluster_find(const mon_config_t *cfg,
                                                    const char *name);

/* Notifiers in file order, same rules as the cluster accessors. */
size_t mon_config_notifier_count(const mon_config_t *cfg);
const mon_config_notifier_t *mon_config_notifier_at(const mon_config_t *cfg,
                                                    size_t i);
const mon_config_notifier_t *
mon_config_notifier_find(const mon_config_t *cfg, const char *name);

/* Applies an allowlist/denylist pair to name: true when allow is NULL or
 * matches, and deny is NULL or does not match (Burrow's semantics). Safe
 * from any thread. */
bool mon_config_name_allowed(const mon_config_regex_t *allow,
                             const mon_config_regex_t *deny,
                             const char *name);

/* Parses a duration ("10", "500ms", "5m"; see the header comment) into
 * *ms. Returns 0, or -1 for bad syntax or a value over 3650 days. */
int mon_config_parse_duration(const char *s, int64_t *ms);

/* Parses a boolean word (see the header comment). Returns 0 or -1. */
int mon_config_parse_bool(const char *s, bool *b);

#endif
