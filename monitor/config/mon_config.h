/* SPDX-License-Identifier: Apache-2.0 */
/* mon_config: Warren's configuration, an INI file read with libinih.
 *
 * The file has the sections [general], [http], [broker], [storage],
 * [evaluator], [metrics] (at most once each), and any number of [cluster NAME]
 * and [notifier NAME]. samples/warren.ini documents every key with its default.
 * Loading is strict: an unknown section or key, a repeated key or section, or a
 * bad value fails with ONE line "FILE:LINE: [section] key: why"; a missing
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
 * Every key is one row of one table (mon_config_keys.c, in the manner of
 * librdkafka's rd_kafka_properties[] and Redis's standard configs): its
 * section, name, type, default, range or values, one line of doc, Burrow's
 * name and whether it is secret. Parsing, defaults, validation, the
 * effective-configuration printout (warren check-config), /v3/config and
 * the man page section all read that table; mon_config_keys() exposes it.
 *
 * Value syntax: durations are an integer number of seconds or an integer
 * with a unit suffix ms, s, m, h or d ("500ms", "10s", "5m") and are stored
 * in milliseconds (fields ending in _ms), exactly: a key whose consumer
 * counts coarser units (the HTTP timeout: whole seconds) refuses a value
 * it could not honour instead of rounding it; booleans are true/false, yes/no,
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
#include <stdio.h>

#include "evaluator/ev_status.h"
#include "monitor/base/mon_log.h"

typedef enum mon_config_source_e {
    MON_CONFIG_SOURCE_EMBEDDED = 0,
    MON_CONFIG_SOURCE_REPLAY,
    MON_CONFIG_SOURCE_KAFKA
} mon_config_source_t;

typedef enum mon_config_offsets_e {
    MON_CONFIG_OFFSETS_ADMIN = 0, /* list groups + fetch offsets */
    MON_CONFIG_OFFSETS_TOPIC      /* consume __consumer_offsets */
} mon_config_offsets_t;

typedef enum mon_config_kafka_client_e {
    MON_CONFIG_KAFKA_CLIENT_PROCESS = 0, /* a supervised child process */
    MON_CONFIG_KAFKA_CLIENT_THREAD       /* threads of the daemon itself */
} mon_config_kafka_client_t;

/* [broker] on-corruption: what warren serve does with a partition of an
 * embedded broker whose log is corrupt (bc_broker.h). */
typedef enum mon_config_corruption_e {
    MON_CONFIG_CORRUPTION_OFFLINE = 0, /* that partition offline, the rest
                                          serving (default) */
    MON_CONFIG_CORRUPTION_REFUSE,      /* serve does not start */
    MON_CONFIG_CORRUPTION_TRUNCATE     /* cut at the last valid batch */
} mon_config_corruption_t;

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
    mon_log_format_t log_format;       /* log-format, text */
    mon_log_level_t log_level;         /* log-level, info (not fatal) */
    char *data_dir;                    /* data-dir, ./warren-data */
    int64_t snapshot_interval_ms;      /* snapshot-interval, 60 s */
    char *access_control_allow_origin; /* "" = no CORS header */
    char *dashboard_url;               /* explicit, or from http.listen */
    bool dashboard_url_explicit;       /* set in the file */
    int64_t history_retention_ms;      /* history-retention, 86400 s */
    char *name;                        /* instance name, hostname */
} mon_config_general_t;

/* [http] */
typedef struct mon_config_http_s {
    char *listen;           /* as written: "127.0.0.1:8000", "[::1]:8000" */
    char *listen_host;      /* numeric address without brackets */
    int listen_port;        /* 0..65535; 0 = ephemeral */
    int listen_family;      /* AF_INET or AF_INET6 */
    char *admin_token;      /* "" = writes refused unless open_writes */
    bool open_writes;       /* false; true: writes need no token (Burrow) */
    char **allowed_hosts;   /* Host names accepted besides IP literals, */
    size_t n_allowed_hosts; /* localhost and the name; "*" = any */
    char *tls_cert;         /* PEM file; NULL = plain HTTP */
    char *tls_key;          /* PEM file; set with tls_cert */
    size_t max_body;        /* bytes, 65536 */
    size_t max_url;         /* bytes, 2048 */
    size_t max_header;      /* bytes, 8192 */
    int64_t timeout_ms;     /* 30 s, whole request */
    int threads;            /* 2 */
    int max_connections;    /* 0 = from the fd limit */
    int max_per_client;     /* connections per client address, 32 */
} mon_config_http_t;

/* [broker]: the embedded broker's Kafka protocol listener and recovery
 * (warren serve). */
typedef struct mon_config_broker_s {
    char *listen;       /* "127.0.0.1:9092"; "none" = no listener */
    char *advertised;   /* NULL = the listen address */
    char *cluster;      /* embedded cluster it serves; NULL = the first */
    int num_partitions; /* num-partitions, 1 (auto-created topics) */
    bool auto_create;   /* auto-create-topics, true */
    mon_config_corruption_t on_corruption; /* offline */
    int64_t retention_check_ms;            /* retention-check-interval, 5 min */
} mon_config_broker_t;

/* [storage] */
typedef struct mon_config_storage_s {
    int intervals;                       /* window size, 10 (1..1000) */
    int64_t min_distance_ms;             /* 0 */
    int64_t expire_group_ms;             /* 604800 s */
    mon_config_regex_t *group_allowlist; /* NULL = all groups */
    mon_config_regex_t *group_denylist;  /* NULL = none */
} mon_config_storage_t;

/* [evaluator] */
typedef struct mon_config_evaluator_s {
    int64_t expire_cache_ms; /* 10 s; 0 = no caching */
    int64_t allowed_lag;     /* 0 */
    double minimum_complete; /* 0.0 (0..1) */
    ev_rules_t rules;        /* EV_RULES_WARREN */
} mon_config_evaluator_t;

/* [metrics] partitions: which partitions get per-partition series. */
typedef enum mon_config_metric_parts_e {
    MON_CONFIG_METRIC_PARTS_ALL = 0, /* every partition */
    MON_CONFIG_METRIC_PARTS_NON_OK,  /* only those of groups not OK */
    MON_CONFIG_METRIC_PARTS_NONE     /* none: group and topic series only */
} mon_config_metric_parts_t;

/* [metrics]: what GET /metrics exposes (http/routes/api_metrics.h). */
typedef struct mon_config_metrics_s {
    bool burrow;                          /* Burrow's families; false */
    bool kminion;                         /* KMinion's lag families; false */
    mon_config_metric_parts_t partitions; /* ALL */
    mon_config_regex_t *group_allowlist;  /* NULL = every group */
    mon_config_regex_t *group_denylist;   /* NULL = none */
    mon_config_regex_t *topic_allowlist;  /* NULL = every topic */
    mon_config_regex_t *topic_denylist;   /* NULL = none */
} mon_config_metrics_t;

/* [cluster NAME]. Keys of another source are rejected at load, so the
 * fields of other sources keep their defaults (NULL strings, empty lists):
 * data_dir is set only for embedded, file only for replay, servers only
 * for kafka. */
typedef struct mon_config_cluster_s {
    char *name;                 /* [A-Za-z0-9._-]{1,64} */
    int line;                   /* line of the section header; 0 default */
    mon_config_source_t source; /* required */
    int64_t offset_refresh_ms;  /* 10 s */
    int64_t topic_refresh_ms;   /* 60 s */
    /* embedded */
    char *data_dir; /* default <general data-dir>/broker */
    bool data_dir_explicit;
    /* replay */
    char *file;   /* required (not opened at load) */
    double speed; /* 1.0, > 0 */
    bool loop;    /* false */
    /* kafka */
    char *servers;                          /* required; normalized "h:p,h:p" */
    mon_config_offsets_t offsets;           /* admin */
    mon_config_kafka_client_t kafka_client; /* process */
    char **groups; /* explicit group list, may be empty */
    size_t n_groups;
    mon_config_regex_t *group_allowlist; /* NULL = unset */
    mon_config_regex_t *group_denylist;
    mon_config_regex_t *topic_allowlist;
    mon_config_regex_t *topic_denylist;
    bool internal_topics; /* false */
    /* bounds on one __consumer_offsets record (offsets = offsets-topic) */
    size_t offsets_max_name;      /* bytes of a name, 1024 */
    size_t offsets_max_members;   /* members of a group, 10000 */
    size_t offsets_max_assigned;  /* partitions a group assigns, 100000 */
    mon_config_kv_t *kafka_props; /* "kafka.<p> = v" in file order, key */
    size_t n_kafka_props;         /* without "kafka.", ${ENV} expanded */
} mon_config_cluster_t;

/* [notifier NAME] */
typedef struct mon_config_notifier_s {
    char *name;               /* [A-Za-z0-9._-]{1,64} */
    int line;                 /* line of the section header */
    char *url_open;           /* required; http:// or https:// */
    char *url_close;          /* NULL unless set; needed w/ send-close */
    char *method_open;        /* upper case, POST */
    char *method_close;       /* upper case, POST */
    mon_config_kv_t *headers; /* "Name: v; Name2: v" in order */
    size_t n_headers;
    int64_t timeout_ms;                  /* 5 s */
    int64_t interval_ms;                 /* 60 s */
    int64_t repeat_every_ms;             /* 4 h; 0 = every interval */
    ev_status_t threshold;               /* EV_WARN (default) or EV_ERR */
    bool send_close;                     /* false */
    bool send_once;                      /* false */
    mon_config_regex_t *group_allowlist; /* NULL = unset */
    mon_config_regex_t *group_denylist;
    char *template_open;     /* NULL = built-in body; readable */
    char *template_close;    /* NULL = built-in body; readable */
    mon_config_kv_t *extras; /* extras.KEY = value, in file order */
    size_t n_extras;
    char *secret;    /* NULL = unsigned */
    int open_after;  /* 1, >= 1 */
    int close_after; /* 2, >= 1 */
    int max_retries; /* 5, 0..20 */
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
                        const char *data_dir, char *errstr, size_t errstr_size);

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
const mon_config_broker_t *mon_config_broker(const mon_config_t *cfg);
const mon_config_evaluator_t *mon_config_evaluator(const mon_config_t *cfg);
const mon_config_metrics_t *mon_config_metrics(const mon_config_t *cfg);

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
const mon_config_notifier_t *mon_config_notifier_find(const mon_config_t *cfg,
                                                      const char *name);

/* Applies an allowlist/denylist pair to name: true when allow is NULL or
 * matches, and deny is NULL or does not match (Burrow's semantics). Safe
 * from any thread. */
bool mon_config_name_allowed(const mon_config_regex_t *allow,
                             const mon_config_regex_t *deny, const char *name);

/* Parses a duration ("10", "500ms", "5m"; see the header comment) into
 * *ms. Returns 0, or -1 for bad syntax or a value over 3650 days. */
int mon_config_parse_duration(const char *s, int64_t *ms);

/* Parses a boolean word (see the header comment). Returns 0 or -1. */
int mon_config_parse_bool(const char *s, bool *b);

/* ------------------------------------------------------------------ */
/* The key table                                                        */
/* ------------------------------------------------------------------ */

typedef enum mon_config_sect_e {
    MON_CONFIG_SECT_GENERAL = 0,
    MON_CONFIG_SECT_HTTP,
    MON_CONFIG_SECT_BROKER,
    MON_CONFIG_SECT_STORAGE,
    MON_CONFIG_SECT_EVALUATOR,
    MON_CONFIG_SECT_METRICS,
    MON_CONFIG_SECT_CLUSTER,  /* [cluster NAME], any number */
    MON_CONFIG_SECT_NOTIFIER, /* [notifier NAME], any number */
    MON_CONFIG_SECT__COUNT
} mon_config_sect_t;

/* How a value is written and stored. */
typedef enum mon_config_type_e {
    MON_CONFIG_T_STRING = 0, /* char * */
    MON_CONFIG_T_PATH,       /* char *, a file or directory path */
    MON_CONFIG_T_FILE,       /* char *, a regular file readable at load */
    MON_CONFIG_T_URL,        /* char *, http:// or https:// */
    MON_CONFIG_T_LISTEN,     /* ADDR:PORT or [V6]:PORT, numeric */
    MON_CONFIG_T_SERVERS,    /* host:port[,host:port...] */
    MON_CONFIG_T_LIST,       /* a,b,c -> char ** and a count */
    MON_CONFIG_T_HEADERS,    /* "Name: v; Name2: v" -> mon_config_kv_t[] */
    MON_CONFIG_T_BOOL,       /* bool */
    MON_CONFIG_T_INT,        /* int, in [min, max] */
    MON_CONFIG_T_INT64,      /* int64_t, in [min, max] */
    MON_CONFIG_T_SIZE,       /* size_t bytes, in [min, max] */
    MON_CONFIG_T_DOUBLE,     /* double, in [dmin, dmax] */
    MON_CONFIG_T_DURATION,   /* int64_t ms, in [min, max], multiple of step */
    MON_CONFIG_T_ENUM,       /* an enum, from values[] */
    MON_CONFIG_T_CHOICE,     /* char *: the canonical spelling of values[] */
    MON_CONFIG_T_REGEX,      /* mon_config_regex_t *, NULL when unset */
    MON_CONFIG_T_MAP         /* "prefix.NAME = v" -> mon_config_kv_t[] */
} mon_config_type_t;

/* Key flags. */
#define MON_CONFIG_F_REQUIRED 0x001u   /* must be set (in its sources) */
#define MON_CONFIG_F_SECRET 0x002u     /* never shown: masked in printouts */
#define MON_CONFIG_F_ENV 0x004u        /* ${NAME} is expanded in the value */
#define MON_CONFIG_F_EMPTY_OK 0x008u   /* "key =" is a valid (empty) value */
#define MON_CONFIG_F_PREFIX 0x010u     /* name is a prefix ("kafka.") */
#define MON_CONFIG_F_URL_HOST 0x020u   /* shown as scheme://host[:port]/... */
#define MON_CONFIG_F_BURROW_NUM 0x040u /* an enum Burrow shows as a number */
#define MON_CONFIG_F_NOCASE 0x080u     /* enum names match in any case */
#define MON_CONFIG_F_DIR 0x100u        /* a directory Warren writes into */

/* One accepted spelling of an enum or choice key; several names may
 * share a value (the first is the one printed). */
typedef struct mon_config_enum_s {
    const char *name;
    int value;
} mon_config_enum_t;

struct mon_config_set_s; /* the loader's per-value context (internal) */

/* One row of the key table. Read-only, static; see mon_config_keys(). */
typedef struct mon_config_key_s {
    mon_config_sect_t sect;
    const char *name; /* "log-format"; a prefix such as "kafka." */
    mon_config_type_t type;
    unsigned flags;       /* MON_CONFIG_F_* */
    unsigned sources;     /* cluster keys: 1 << source for each source
                           * the key applies to; 0 = every source */
    const char *def;      /* default in file syntax; NULL: none, or
                           * derived (then def_doc says from what) */
    const char *def_doc;  /* a derived or absent default in words */
    int64_t min, max;     /* INT, INT64, SIZE, DURATION (ms) */
    int64_t step;         /* DURATION: values must be multiples (ms) */
    const char *step_why; /* ... and why, for the error message */
    double dmin, dmax;    /* DOUBLE */
    bool dmin_open;       /* DOUBLE: dmin itself is refused */
    const mon_config_enum_t *values; /* ENUM, CHOICE; {NULL} ends it */
    const char *expect; /* ENUM, CHOICE: the list as messages say it;
                         * NULL = the names, "a, b or c" */
    const char *doc;    /* one line */
    const char *burrow; /* Burrow's "section.key", NULL if none */
    /* internal to the loader */
    size_t offset;       /* of the field in the section's struct */
    size_t count_offset; /* LIST, HEADERS, MAP: of the size_t count */
    size_t mark_offset;  /* 0, or of a bool set when the key is given */
    int (*check)(struct mon_config_set_s *set, const char *value);
} mon_config_key_t;

/* The whole table, in documentation order (section by section); *n gets
 * the number of rows. Static, never NULL. */
const mon_config_key_t *mon_config_keys(size_t *n);

/* The row for `name` in section sect ("kafka.x" finds the prefix row
 * "kafka."), or NULL for an unknown key. */
const mon_config_key_t *mon_config_key_find(mon_config_sect_t sect,
                                            const char *name);

/* Name of a section kind: "general", ..., "cluster", "notifier". */
const char *mon_config_sect_name(mon_config_sect_t sect);

/* Name of a key type as the docs say it: "duration", "regex", ... */
const char *mon_config_type_name(mon_config_type_t type);

/* The value of one key, typed; pointers into cfg. */
typedef struct mon_config_value_s {
    bool set;                  /* false: an optional key left unset */
    int64_t i;                 /* INT, INT64, SIZE, BOOL, ENUM, DURATION */
    double d;                  /* DOUBLE */
    const char *s;             /* strings, CHOICE, ENUM name, REGEX pattern */
    const mon_config_kv_t *kv; /* HEADERS, MAP */
    char *const *list;         /* LIST */
    size_t n;                  /* entries in kv or list */
} mon_config_value_t;

/* Reads key of the section instance `index` (cluster or notifier number,
 * as mon_config_cluster_at(); ignored for the singleton sections) into
 * *out. Returns 0, or -1 when index is out of range. */
int mon_config_get(const mon_config_t *cfg, const mon_config_key_t *key,
                   size_t index, mon_config_value_t *out);

/* Writes the value of key in file syntax into buf ("10s", "true", "a,b";
 * a MAP or HEADERS one "name: value" per entry, joined by "; "), with
 * secrets masked as "********" and MON_CONFIG_F_URL_HOST URLs cut by
 * mon_config_redact_url(). An unset key gives "". Returns buf. */
char *mon_config_format(const mon_config_t *cfg, const mon_config_key_t *key,
                        size_t index, char *buf, size_t size);

/* Whether the kafka.* property `prop` (without "kafka.") holds a secret:
 * librdkafka's sensitive properties (passwords, secrets, private keys). */
bool mon_config_kafka_prop_secret(const char *prop);

/* Writes url as "scheme://host[:port]/" plus "\u2026" when it had a path,
 * query or fragment beyond "/"; user info is dropped. NULL gives "" (an
 * unset key); one that does not parse gives "\u2026" alone. */
void mon_config_redact_url(const char *url, char *buf, size_t size);

/* The line of the file that set key (its full name, "kafka.x") of section
 * instance index, or 0 when the value is a default or derived. */
int mon_config_key_line(const mon_config_t *cfg, mon_config_sect_t sect,
                        size_t index, const char *name);

/* Checks what the configuration names on disk, as warren serve will use
 * it: every directory key (MON_CONFIG_F_DIR) must be a writable directory
 * or creatable under a writable parent; every other path key must be a
 * readable regular file. Creates nothing. Returns the number of problems,
 * each written to report() as one line "FILE:LINE: [section] key: why"
 * (FILE: ... "(default)" for an unset key). */
int mon_config_check_paths(const mon_config_t *cfg,
                           void (*report)(void *arg, const char *line),
                           void *arg);

/* Writes the effective configuration as an INI file: every section and
 * every key of the table with its value (secrets masked), a comment on
 * keys left at their default. Returns 0, or -1 on a write error. */
int mon_config_write_effective(const mon_config_t *cfg, FILE *out);

/* Writes the configuration-file section of the man page (roff, for
 * warren.ini(5)) from the table: every section and key with its type,
 * default, range and doc. Returns 0, or -1 on a write error. */
int mon_config_write_man(FILE *out);

#endif
