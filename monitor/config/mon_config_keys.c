/* SPDX-License-Identifier: Apache-2.0 */
/* mon_config_keys: the table of every configuration key, and everything
 * that works from it alone: typed parsing of one value into its field,
 * defaults, freeing, reading a value back, the effective-configuration
 * printout and the man page section.
 *
 * Built in the manner of librdkafka's rd_kafka_properties[] (one row per
 * property: scope, name, type, offset into the conf struct, range, doc)
 * and Redis's standard configs table: a key is added by adding one row
 * here and, if it needs one, a field in mon_config.h. The assumption is
 * that every key fits one of a few types (mon_config_type_t); the few
 * rules that do not (a header value that must not hold " ;", a kafka.*
 * property that must not set the brokers) are small check functions named
 * by their row.
 */
#include "monitor/config/mon_config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_regex.h"

#define MAX_DURATION_MS ((int64_t)3650 * 86400 * 1000)
#define MASK "********"
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026, UTF-8 */

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

/* A growing string on the codec's buffer. */
static void sb_str(mon_wbuf_t *sb, const char *s) {
    mon_wbuf_put(sb, s, strlen(s));
}

/* The buffer as a NUL-terminated string the caller owns. */
static char *sb_take(mon_wbuf_t *sb) {
    mon_wbuf_put(sb, "", 1);
    return (char *)sb->p;
}

static void set_str(char **dst, const char *s) {
    free(*dst);
    *dst = s ? mon_strdup(s) : NULL;
}

char *mon_config_trim_copy(const char *s, size_t n) {
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return mon_strndup(s, n);
}

static bool has_ctl(const char *s) {
    for (; *s; s++)
        if (iscntrl((unsigned char)*s)) return true;
    return false;
}

static void regex_free(mon_config_regex_t *rx) {
    if (!rx) return;
    regfree(&rx->re);
    free(rx->pattern);
    free(rx);
}

static void kv_free(mon_config_kv_t *kv, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void kv_add(mon_config_kv_t **kv, size_t *n, const char *key,
                   const char *value) {
    *kv = mon_realloc(*kv, (*n + 1) * sizeof(**kv));
    (*kv)[*n].key = mon_strdup(key);
    (*kv)[*n].value = mon_strdup(value);
    (*n)++;
}

__attribute__((format(printf, 2, 3))) static int why(mon_config_set_t *set,
                                                     const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(set->why, sizeof(set->why), fmt, ap);
    va_end(ap);
    return -1;
}

/* The field of the row at its offset in obj. */
#define FIELD(T, set) ((T *)((char *)(set)->obj + (set)->key->offset))
#define COUNT(set) ((size_t *)((char *)(set)->obj + (set)->key->count_offset))

/* ------------------------------------------------------------------ */
/* Public value parsers                                                 */
/* ------------------------------------------------------------------ */

int mon_config_parse_duration(const char *s, int64_t *ms) {
    size_t nd = 0;
    while (isdigit((unsigned char)s[nd]))
        nd++;
    if (nd == 0 || nd > 15) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < nd; i++)
        v = v * 10 + (s[i] - '0');
    const char *unit = s + nd;
    int64_t mult;
    if (!*unit || !strcmp(unit, "s"))
        mult = 1000;
    else if (!strcmp(unit, "ms"))
        mult = 1;
    else if (!strcmp(unit, "m"))
        mult = 60 * 1000;
    else if (!strcmp(unit, "h"))
        mult = 3600 * 1000;
    else if (!strcmp(unit, "d"))
        mult = 86400 * 1000;
    else
        return -1;
    if (v > MAX_DURATION_MS / mult) return -1;
    *ms = v * mult;
    return 0;
}

int mon_config_parse_bool(const char *s, bool *b) {
    static const char *yes[] = {"true", "yes", "on", "1"};
    static const char *no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *b = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *b = false;
            return 0;
        }
    }
    return -1;
}

/* Writes ms with the largest unit that keeps it exact: "10s", "5m",
 * "1500ms", "0". */
static void format_duration(int64_t ms, char *buf, size_t size) {
    static const struct {
        int64_t ms;
        const char *unit;
    } units[] = {
        {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
    if (ms == 0) {
        snprintf(buf, size, "0");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (ms % units[i].ms == 0) {
            snprintf(buf, size, "%lld%s", (long long)(ms / units[i].ms),
                     units[i].unit);
            return;
        }
    }
}

/* The shortest decimal that reads back as x ("1", "0.5", "1e+06"). */
static void format_double(double x, char *buf, size_t size) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    /* keep "1.0" for a whole number, as the file writes it */
    size_t len = strlen(buf);
    if (!strpbrk(buf, ".en") && len + 3 <= size)
        snprintf(buf + len, size - len, ".0");
}

/* Parses "ADDR:PORT" / "[V6]:PORT" with a numeric address. Returns 0, or
 * -1 with the reason in why_buf. */
int mon_config_parse_listen(const char *s, char **host, int *port, int *family,
                            char *why_buf, size_t why_size) {
    const char *colon;
    char *h;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            snprintf(why_buf, why_size, "'%s' is not [IPV6]:PORT", s);
            return -1;
        }
        h = mon_strndup(s + 1, (size_t)(close - s - 1));
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            snprintf(why_buf, why_size, "'%s' has no :PORT", s);
            return -1;
        }
        h = mon_strndup(s, (size_t)(colon - s));
        if (strchr(h, ':')) {
            snprintf(why_buf, why_size,
                     "'%s': write an IPv6 address in brackets, "
                     "e.g. [::1]:8000",
                     s);
            free(h);
            return -1;
        }
    }
    const char *ps = colon + 1;
    size_t nd = strlen(ps);
    long pv = 0;
    bool digits = nd > 0 && nd <= 5;
    for (size_t i = 0; digits && i < nd; i++) {
        if (!isdigit((unsigned char)ps[i]))
            digits = false;
        else
            pv = pv * 10 + (ps[i] - '0');
    }
    if (!digits || pv > 65535) {
        snprintf(why_buf, why_size, "'%s': port must be 0..65535", s);
        free(h);
        return -1;
    }
    unsigned char addr[16];
    int fam;
    if (inet_pton(AF_INET, h, addr) == 1) {
        fam = AF_INET;
    } else if (inet_pton(AF_INET6, h, addr) == 1) {
        fam = AF_INET6;
        if (s[0] != '[') {
            free(h);
            snprintf(why_buf, why_size, "'%s': IPv6 needs brackets", s);
            return -1;
        }
    } else {
        snprintf(why_buf, why_size,
                 "'%s': address must be a numeric IPv4 address or "
                 "[IPv6] (0.0.0.0 for all interfaces)",
                 s);
        free(h);
        return -1;
    }
    *host = h;
    *port = (int)pv;
    *family = fam;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Checks named by rows                                                 */
/* ------------------------------------------------------------------ */

static int check_no_ctl(mon_config_set_t *set, const char *v) {
    return has_ctl(v) ? why(set, "contains a control character") : 0;
}

/* "none", or an address as [http] listen takes. */
static int check_kafka_listen(mon_config_set_t *set, const char *v) {
    if (!strcmp(v, "none")) return 0;
    char *host = NULL;
    int port, fam;
    int rc = mon_config_parse_listen(v, &host, &port, &fam, set->why,
                                     sizeof(set->why));
    free(host);
    return rc;
}

/* HOST:PORT, HOST a name or an address. */
static int check_kafka_addr(mon_config_set_t *set, const char *v) {
    const char *colon = strrchr(v, ':');
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == v || !end || *end || end == colon + 1 || port < 1 ||
        port > 65535 || has_ctl(v) || strchr(v, ' '))
        return why(set, "'%s' is not HOST:PORT", v);
    return 0;
}

static int check_cluster_name(mon_config_set_t *set, const char *v) {
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return why(set, "bad cluster name '%s'", v);
    }
    return n == 0 || n > 64 ? why(set, "bad cluster name '%s'", v) : 0;
}

static int check_name(mon_config_set_t *set, const char *v) {
    if (strlen(v) > 255 || has_ctl(v))
        return why(set, "must be 1-255 printable characters");
    return 0;
}

static int check_token(mon_config_set_t *set, const char *v) {
    for (const char *c = v; *c; c++)
        if (!isgraph((unsigned char)*c))
            return why(set, "must not contain spaces or control "
                            "characters");
    return 0;
}

static int check_not_empty(mon_config_set_t *set, const char *v) {
    return v[0] ? 0 : why(set, "is empty (remove the key to send unsigned)");
}

/* kafka.<property>: checked on the name, before the value is expanded. */
static int check_kafka_prop(mon_config_set_t *set, const char *v) {
    (void)v;
    const char *prop = set->name + strlen(set->key->name);
    bool ok = prop[0] != '\0';
    for (const char *c = prop; ok && *c; c++)
        ok = isalnum((unsigned char)*c) || strchr("._-", *c);
    if (!ok) return why(set, "bad librdkafka property name '%s'", prop);
    if (!strcmp(prop, "bootstrap.servers") ||
        !strcmp(prop, "metadata.broker.list"))
        return why(set, "set the brokers with 'servers'");
    return 0;
}

static int check_extras_name(mon_config_set_t *set, const char *v) {
    (void)v;
    const char *name = set->name + strlen(set->key->name);
    bool ok = name[0] != '\0';
    for (const char *c = name; ok && *c; c++)
        ok = isalnum((unsigned char)*c) || *c == '_' || *c == '-';
    if (!ok)
        return why(set, "extras name '%s' must be letters, digits, _ or -",
                   name);
    return 0;
}

/* inih cut the value at " ;"; refuse rather than lose headers. */
static int check_headers_line(mon_config_set_t *set, const char *v) {
    (void)v;
    const char *raw = set->raw;
    if (!raw) return 0;
    const char *eq = strpbrk(raw, "=:");
    for (const char *q = eq ? eq : raw; *q; q++)
        if (q[0] == ';' && q > raw && isspace((unsigned char)q[-1]))
            return why(set, "' ;' starts a comment; separate headers with "
                            "';' and no space before it");
    return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                            */
/* ------------------------------------------------------------------ */

static const mon_config_enum_t log_formats[] = {
    {"text", MON_LOG_TEXT}, {"json", MON_LOG_JSON}, {NULL, 0}};
static const mon_config_enum_t log_levels[] = {{"debug", MON_LOG_DEBUG},
                                               {"info", MON_LOG_INFO},
                                               {"warn", MON_LOG_WARN},
                                               {"error", MON_LOG_ERROR},
                                               {NULL, 0}};
static const mon_config_enum_t sources[] = {
    {"embedded", MON_CONFIG_SOURCE_EMBEDDED},
    {"replay", MON_CONFIG_SOURCE_REPLAY},
    {"kafka", MON_CONFIG_SOURCE_KAFKA},
    {NULL, 0}};
static const mon_config_enum_t offsets_modes[] = {
    {"admin", MON_CONFIG_OFFSETS_ADMIN},
    {"offsets-topic", MON_CONFIG_OFFSETS_TOPIC},
    {NULL, 0}};
static const mon_config_enum_t kafka_clients[] = {
    {"process", MON_CONFIG_KAFKA_CLIENT_PROCESS},
    {"thread", MON_CONFIG_KAFKA_CLIENT_THREAD},
    {NULL, 0}};
/* ev_status_t numbers are Burrow's: WARN 2, ERR 3 */
static const mon_config_enum_t thresholds[] = {{"WARN", EV_WARN},
                                               {"ERR", EV_ERR},
                                               {"2", EV_WARN},
                                               {"3", EV_ERR},
                                               {NULL, 0}};
static const mon_config_enum_t corruptions[] = {
    {"offline", MON_CONFIG_CORRUPTION_OFFLINE},
    {"refuse", MON_CONFIG_CORRUPTION_REFUSE},
    {"truncate", MON_CONFIG_CORRUPTION_TRUNCATE},
    {NULL, 0}};
static const mon_config_enum_t rule_sets[] = {
    {"warren", EV_RULES_WARREN}, {"burrow", EV_RULES_BURROW}, {NULL, 0}};
static const mon_config_enum_t metric_parts[] = {
    {"all", MON_CONFIG_METRIC_PARTS_ALL},
    {"non-ok", MON_CONFIG_METRIC_PARTS_NON_OK},
    {"none", MON_CONFIG_METRIC_PARTS_NONE},
    {NULL, 0}};
static const mon_config_enum_t methods[] = {{"GET", 0},    {"POST", 1},
                                            {"PUT", 2},    {"PATCH", 3},
                                            {"DELETE", 4}, {NULL, 0}};

_Static_assert(sizeof(mon_log_format_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(mon_log_level_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(mon_config_source_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(mon_config_offsets_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(mon_config_corruption_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(ev_status_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(mon_config_kafka_client_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(ev_rules_t) == sizeof(int), "enum as int");
_Static_assert(sizeof(mon_config_metric_parts_t) == sizeof(int), "enum as int");

#define SRC_EMB (1u << MON_CONFIG_SOURCE_EMBEDDED)
#define SRC_REP (1u << MON_CONFIG_SOURCE_REPLAY)
#define SRC_KAF (1u << MON_CONFIG_SOURCE_KAFKA)

#define GEN(f)                                                                 \
    .sect = MON_CONFIG_SECT_GENERAL, .offset = offsetof(mon_config_general_t, f)
#define HTTP(f)                                                                \
    .sect = MON_CONFIG_SECT_HTTP, .offset = offsetof(mon_config_http_t, f)
#define BRK(f)                                                                 \
    .sect = MON_CONFIG_SECT_BROKER, .offset = offsetof(mon_config_broker_t, f)
#define STO(f)                                                                 \
    .sect = MON_CONFIG_SECT_STORAGE, .offset = offsetof(mon_config_storage_t, f)
#define EVA(f)                                                                 \
    .sect = MON_CONFIG_SECT_EVALUATOR,                                         \
    .offset = offsetof(mon_config_evaluator_t, f)
#define MET(f)                                                                 \
    .sect = MON_CONFIG_SECT_METRICS, .offset = offsetof(mon_config_metrics_t, f)
#define CLU(f)                                                                 \
    .sect = MON_CONFIG_SECT_CLUSTER, .offset = offsetof(mon_config_cluster_t, f)
#define NOT(f)                                                                 \
    .sect = MON_CONFIG_SECT_NOTIFIER,                                          \
    .offset = offsetof(mon_config_notifier_t, f)
#define POSITIVE .min = 1, .max = MAX_DURATION_MS
#define NONNEG .min = 0, .max = MAX_DURATION_MS

static const mon_config_key_t keys[] = {
    /* [general] */
    {GEN(log_format), .name = "log-format", .type = MON_CONFIG_T_ENUM,
     .values = log_formats, .def = "text",
     .doc = "Log lines on stderr: text or json."},
    {GEN(log_level), .name = "log-level", .type = MON_CONFIG_T_ENUM,
     .values = log_levels, .def = "info", .burrow = "logging.level",
     .doc = "Lowest level logged."},
    {GEN(data_dir), .name = "data-dir", .type = MON_CONFIG_T_PATH,
     .flags = MON_CONFIG_F_DIR, .def = "./warren-data",
     .doc = "Where state (snapshots, incidents, the embedded broker) is "
            "kept."},
    {GEN(snapshot_interval_ms), .name = "snapshot-interval",
     .type = MON_CONFIG_T_DURATION, POSITIVE, .def = "60s",
     .doc = "How often the store is snapshotted to data-dir (also at "
            "shutdown)."},
    {GEN(access_control_allow_origin), .name = "access-control-allow-origin",
     .type = MON_CONFIG_T_STRING, .flags = MON_CONFIG_F_EMPTY_OK, .def = "",
     .check = check_no_ctl, .burrow = "general.access-control-allow-origin",
     .doc = "Value of the Access-Control-Allow-Origin header; empty = "
            "none."},
    {GEN(dashboard_url), .name = "dashboard-url", .type = MON_CONFIG_T_URL,
     .mark_offset = offsetof(mon_config_general_t, dashboard_url_explicit),
     .def_doc = "http://ADDR:PORT/ from [http] listen (the host name for "
                "0.0.0.0 or [::])",
     .doc = "Dashboard link put in notifications."},
    {GEN(history_retention_ms), .name = "history-retention",
     .type = MON_CONFIG_T_DURATION, POSITIVE, .def = "1d",
     .doc = "How long per-group status history is kept."},
    {GEN(name), .name = "name", .type = MON_CONFIG_T_STRING,
     .check = check_name, .def_doc = "the host name",
     .doc = "Instance name, the host of API responses."},

    /* [http] */
    {HTTP(listen), .name = "listen", .type = MON_CONFIG_T_LISTEN,
     .def = "127.0.0.1:8000", .burrow = "httpserver.address",
     .doc = "ADDR:PORT with a numeric address; [::1]:8000 for IPv6, "
            "0.0.0.0:8000 for every interface, port 0 for any free port."},
    {HTTP(admin_token), .name = "admin-token", .type = MON_CONFIG_T_STRING,
     .flags = MON_CONFIG_F_SECRET | MON_CONFIG_F_ENV | MON_CONFIG_F_EMPTY_OK,
     .def = "", .check = check_token,
     .doc = "Bearer token required by every write (DELETE, POST, PUT); "
            "empty = writes are refused (403) unless open-writes."},
    {HTTP(open_writes), .name = "open-writes", .type = MON_CONFIG_T_BOOL,
     .def = "false",
     .doc = "true: writes need no token, as in Burrow (any local process "
            "or web page that reaches the port may delete groups)."},
    {HTTP(allowed_hosts), .name = "allowed-hosts", .type = MON_CONFIG_T_LIST,
     .count_offset = offsetof(mon_config_http_t, n_allowed_hosts),
     .expect = "host name",
     .def_doc = "IP literals, localhost and [general] name only",
     .doc = "Host header names accepted besides IP literals, localhost and "
            "the instance name (DNS rebinding); * accepts any."},
    {HTTP(tls_cert), .name = "tls-cert", .type = MON_CONFIG_T_FILE,
     .def_doc = "none (plain HTTP)",
     .doc = "PEM certificate (chain): serve HTTPS; needs tls-key."},
    {HTTP(tls_key), .name = "tls-key", .type = MON_CONFIG_T_FILE,
     .def_doc = "none", .doc = "PEM private key of tls-cert."},
    {HTTP(max_body), .name = "max-body", .type = MON_CONFIG_T_SIZE, .min = 1,
     .max = 1LL << 30, .def = "65536",
     .doc = "Largest request body in bytes (413 beyond it)."},
    {HTTP(max_url), .name = "max-url", .type = MON_CONFIG_T_SIZE, .min = 1,
     .max = 1LL << 30, .def = "2048",
     .doc = "Longest request URL in bytes (414 beyond it)."},
    {HTTP(max_header), .name = "max-header", .type = MON_CONFIG_T_SIZE,
     .min = 1, .max = 1LL << 30, .def = "8192",
     .doc = "Largest request header in bytes (431 beyond it)."},
    {HTTP(timeout_ms), .name = "timeout", .type = MON_CONFIG_T_DURATION,
     POSITIVE, .step = 1000, .step_why = "the HTTP server counts whole seconds",
     .def = "30s", .burrow = "httpserver.timeout",
     .doc = "Whole-request deadline, in whole seconds: from the "
            "connection's start (or previous answer) to the answer."},
    {HTTP(threads), .name = "threads", .type = MON_CONFIG_T_INT, .min = 1,
     .max = 256, .def = "2", .doc = "Request-handling threads."},
    {HTTP(max_connections), .name = "max-connections", .type = MON_CONFIG_T_INT,
     .min = 0, .max = 1000000, .def = "0",
     .doc = "Open connections at most; 0 = from the fd limit, less what "
            "the data dir needs (at most 1024)."},
    {HTTP(max_per_client), .name = "max-connections-per-client",
     .type = MON_CONFIG_T_INT, .min = 1, .max = 1000000, .def = "32",
     .doc = "Open connections per client address at most (raise it "
            "behind a reverse proxy: every client is the proxy)."},

    /* [broker] */
    {BRK(listen), .name = "listen", .type = MON_CONFIG_T_STRING,
     .def = "127.0.0.1:9092", .check = check_kafka_listen,
     .doc = "Kafka protocol listener of the embedded broker: ADDR:PORT "
            "(numeric) or none; a port already taken is one warning and "
            "warren runs on without it."},
    {BRK(advertised), .name = "advertised", .type = MON_CONFIG_T_STRING,
     .check = check_kafka_addr,
     .def_doc = "the listen address (127.0.0.1 for 0.0.0.0)",
     .doc = "HOST:PORT told to clients in Metadata and FindCoordinator."},
    {BRK(cluster), .name = "cluster", .type = MON_CONFIG_T_STRING,
     .check = check_cluster_name,
     .def_doc = "the first [cluster] with source = embedded",
     .doc = "The embedded cluster served."},
    {BRK(num_partitions), .name = "num-partitions", .type = MON_CONFIG_T_INT,
     .min = 1, .max = 10000, .def = "1",
     .doc = "Partitions of a topic created by a client's first use of it "
            "(Kafka's num.partitions)."},
    {BRK(auto_create), .name = "auto-create-topics", .type = MON_CONFIG_T_BOOL,
     .def = "true",
     .doc = "Create a topic when a client first asks for it (Kafka's "
            "auto.create.topics.enable)."},
    {BRK(on_corruption), .name = "on-corruption", .type = MON_CONFIG_T_ENUM,
     .values = corruptions, .def = "offline",
     .doc = "A corrupt partition log of an embedded cluster: offline "
            "(left out, logged and in the cluster's status; the rest "
            "serves), refuse (no start) or truncate (data loss)."},
    {BRK(retention_check_ms), .name = "retention-check-interval",
     .type = MON_CONFIG_T_DURATION, POSITIVE, .def = "5m",
     .doc = "How often the embedded broker deletes segments past their "
            "topic's retention.ms or retention.bytes (Kafka's "
            "log.retention.check.interval.ms; checked on the broker's "
            "one-second tick)."},

    /* [storage] */
    {STO(intervals), .name = "intervals", .type = MON_CONFIG_T_INT, .min = 1,
     .max = 1000, .def = "10", .burrow = "storage.intervals",
     .doc = "Offsets kept per partition window, as Burrow's intervals."},
    {STO(min_distance_ms), .name = "min-distance",
     .type = MON_CONFIG_T_DURATION, NONNEG, .def = "0",
     .burrow = "storage.min-distance",
     .doc = "Minimum time between two stored commits of one partition."},
    {STO(expire_group_ms), .name = "expire-group",
     .type = MON_CONFIG_T_DURATION, POSITIVE, .def = "7d",
     .burrow = "storage.expire-group",
     .doc = "A group with no commit for this long is forgotten."},
    {STO(group_allowlist), .name = "group-allowlist",
     .type = MON_CONFIG_T_REGEX, .def_doc = "every group",
     .burrow = "storage.group-allowlist",
     .doc = "Only groups matching the allowlist are tracked."},
    {STO(group_denylist), .name = "group-denylist", .type = MON_CONFIG_T_REGEX,
     .def_doc = "none", .burrow = "storage.group-denylist",
     .doc = "Groups matching the denylist are not tracked."},

    /* [evaluator] */
    {EVA(expire_cache_ms), .name = "expire-cache",
     .type = MON_CONFIG_T_DURATION, NONNEG, .def = "10s",
     .burrow = "evaluator.expire-cache",
     .doc = "How long an evaluation is cached per group (0 = never "
            "cached)."},
    {EVA(allowed_lag), .name = "allowed-lag", .type = MON_CONFIG_T_INT64,
     .min = 0, .max = INT64_MAX, .def = "0", .burrow = "evaluator.allowed-lag",
     .doc = "Lag at or below this is always OK."},
    {EVA(minimum_complete), .name = "minimum-complete",
     .type = MON_CONFIG_T_DOUBLE, .dmin = 0.0, .dmax = 1.0, .def = "0.0",
     .burrow = "evaluator.minimum-complete",
     .doc = "Windows less full than this fraction (0..1) are OK."},
    {EVA(rules), .name = "rules", .type = MON_CONFIG_T_ENUM,
     .values = rule_sets, .def = "warren",
     .doc = "Rule set: warren (threshold-free, measured against ground "
            "truth; allowed-lag and minimum-complete do not apply) or "
            "burrow (Burrow's rules, bit-exact)."},

    /* [metrics] */
    {MET(burrow), .name = "burrow", .type = MON_CONFIG_T_BOOL, .def = "false",
     .doc = "Also expose Burrow's burrow_kafka_* families (promtool flags "
            "burrow_kafka_consumer_lag_total: a gauge named _total)."},
    {MET(kminion), .name = "kminion", .type = MON_CONFIG_T_BOOL, .def = "false",
     .doc = "Also expose KMinion's kminion_kafka_consumer_group_topic_* and "
            "kminion_kafka_topic_* lag families."},
    {MET(partitions), .name = "partitions", .type = MON_CONFIG_T_ENUM,
     .values = metric_parts, .def = "all",
     .doc = "Per-partition series for all partitions, non-ok (only the "
            "partitions of groups not OK) or none."},
    {MET(group_allowlist), .name = "group-allowlist",
     .type = MON_CONFIG_T_REGEX, .def_doc = "every group",
     .doc = "Only groups matching it get series."},
    {MET(group_denylist), .name = "group-denylist", .type = MON_CONFIG_T_REGEX,
     .def_doc = "none", .doc = "Groups matching it get no series."},
    {MET(topic_allowlist), .name = "topic-allowlist",
     .type = MON_CONFIG_T_REGEX, .def_doc = "every topic",
     .doc = "Only topics matching it get series (group series sum the "
            "topics kept)."},
    {MET(topic_denylist), .name = "topic-denylist", .type = MON_CONFIG_T_REGEX,
     .def_doc = "none", .doc = "Topics matching it get no series."},

    /* [cluster NAME] */
    {CLU(source), .name = "source", .type = MON_CONFIG_T_ENUM,
     .flags = MON_CONFIG_F_REQUIRED, .values = sources,
     .burrow = "cluster.class-name",
     .doc = "embedded (the built-in broker), replay (a recorded trace) or "
            "kafka (an Apache Kafka cluster)."},
    {CLU(offset_refresh_ms), .name = "offset-refresh",
     .type = MON_CONFIG_T_DURATION, POSITIVE, .def = "10s",
     .burrow = "cluster.offset-refresh",
     .doc = "How often head offsets (and committed offsets) are read."},
    {CLU(topic_refresh_ms), .name = "topic-refresh",
     .type = MON_CONFIG_T_DURATION, POSITIVE, .def = "60s",
     .burrow = "cluster.topic-refresh", .doc = "How often topics are listed."},
    {CLU(data_dir), .name = "data-dir", .type = MON_CONFIG_T_PATH,
     .flags = MON_CONFIG_F_DIR, .sources = SRC_EMB,
     .mark_offset = offsetof(mon_config_cluster_t, data_dir_explicit),
     .def_doc = "<[general] data-dir>/broker",
     .doc = "The embedded broker's directory."},
    {CLU(file), .name = "file", .type = MON_CONFIG_T_PATH,
     .flags = MON_CONFIG_F_REQUIRED, .sources = SRC_REP,
     .doc = "The trace to replay (JSON Lines, see samples/README.md); "
            "opened at start."},
    {CLU(speed), .name = "speed", .type = MON_CONFIG_T_DOUBLE,
     .sources = SRC_REP, .dmin = 0.0, .dmax = 1e6, .dmin_open = true,
     .def = "1.0", .doc = "Virtual seconds per wall-clock second."},
    {CLU(loop), .name = "loop", .type = MON_CONFIG_T_BOOL, .sources = SRC_REP,
     .def = "false", .doc = "Start over at the end of the trace."},
    {CLU(servers), .name = "servers", .type = MON_CONFIG_T_SERVERS,
     .flags = MON_CONFIG_F_REQUIRED, .sources = SRC_KAF,
     .burrow = "cluster.servers",
     .doc = "Bootstrap brokers, host:port[,host:port...]."},
    {CLU(offsets), .name = "offsets", .type = MON_CONFIG_T_ENUM,
     .sources = SRC_KAF, .values = offsets_modes, .def = "admin",
     .doc = "admin (list groups, fetch offsets) or offsets-topic (read "
            "__consumer_offsets: commit times and owners)."},
    {CLU(kafka_client), .name = "kafka-client", .type = MON_CONFIG_T_ENUM,
     .sources = SRC_KAF, .values = kafka_clients, .def = "process",
     .doc = "process (librdkafka in a child process, restarted when it "
            "dies; the cluster shows unavailable meanwhile) or thread."},
    {CLU(groups), .name = "groups", .type = MON_CONFIG_T_LIST,
     .sources = SRC_KAF,
     .count_offset = offsetof(mon_config_cluster_t, n_groups),
     .expect = "group name", .def_doc = "none",
     .doc = "Explicit groups, for brokers that cannot list groups."},
    {CLU(group_allowlist), .name = "group-allowlist",
     .type = MON_CONFIG_T_REGEX, .sources = SRC_KAF, .def_doc = "every group",
     .burrow = "consumer.group-allowlist",
     .doc = "Only groups matching the allowlist are read."},
    {CLU(group_denylist), .name = "group-denylist", .type = MON_CONFIG_T_REGEX,
     .sources = SRC_KAF, .def_doc = "none", .burrow = "consumer.group-denylist",
     .doc = "Groups matching the denylist are not read."},
    {CLU(topic_allowlist), .name = "topic-allowlist",
     .type = MON_CONFIG_T_REGEX, .sources = SRC_KAF, .def_doc = "every topic",
     .doc = "Only topics matching the allowlist are read."},
    {CLU(topic_denylist), .name = "topic-denylist", .type = MON_CONFIG_T_REGEX,
     .sources = SRC_KAF, .def_doc = "none",
     .doc = "Topics matching the denylist are not read."},
    {CLU(internal_topics), .name = "internal-topics", .type = MON_CONFIG_T_BOOL,
     .sources = SRC_KAF, .def = "false",
     .doc = "Monitor internal topics such as __consumer_offsets."},
    {CLU(offsets_max_name), .name = "offsets-max-name",
     .type = MON_CONFIG_T_SIZE, .sources = SRC_KAF, .min = 1, .max = 32767,
     .def = "1024",
     .doc = "offsets = offsets-topic: a __consumer_offsets record naming a "
            "group, topic, member, client or host longer than this (bytes) "
            "is logged and skipped."},
    {CLU(offsets_max_members), .name = "offsets-max-members",
     .type = MON_CONFIG_T_SIZE, .sources = SRC_KAF, .min = 1, .max = 100000000,
     .def = "10000",
     .doc = "offsets = offsets-topic: a group metadata record with more "
            "members than this is logged and skipped."},
    {CLU(offsets_max_assigned), .name = "offsets-max-assigned",
     .type = MON_CONFIG_T_SIZE, .sources = SRC_KAF, .min = 1, .max = 100000000,
     .def = "100000",
     .doc = "offsets = offsets-topic: a group metadata record assigning "
            "more partitions than this (or one beyond its topic's count) is "
            "logged and skipped."},
    {CLU(kafka_props), .name = "kafka.", .type = MON_CONFIG_T_MAP,
     .flags = MON_CONFIG_F_PREFIX | MON_CONFIG_F_ENV | MON_CONFIG_F_EMPTY_OK,
     .sources = SRC_KAF,
     .count_offset = offsetof(mon_config_cluster_t, n_kafka_props),
     .check = check_kafka_prop, .def_doc = "none",
     .doc = "kafka.PROPERTY: any librdkafka property, passed as it is "
            "(passwords and keys are never shown)."},

    /* [notifier NAME] */
    {NOT(url_open), .name = "url-open", .type = MON_CONFIG_T_URL,
     .flags = MON_CONFIG_F_REQUIRED | MON_CONFIG_F_URL_HOST,
     .burrow = "notifier.url-open",
     .doc = "Where an incident's notifications go; may contain template "
            "variables, e.g. .../alerts/{{id}}."},
    {NOT(url_close), .name = "url-close", .type = MON_CONFIG_T_URL,
     .flags = MON_CONFIG_F_URL_HOST, .def_doc = "none",
     .burrow = "notifier.url-close",
     .doc = "Where close notifications go; required when send-close = "
            "true."},
    {NOT(method_open), .name = "method-open", .type = MON_CONFIG_T_CHOICE,
     .flags = MON_CONFIG_F_NOCASE, .values = methods, .def = "POST",
     .expect = "one of GET, POST, PUT, PATCH, DELETE",
     .burrow = "notifier.method-open",
     .doc = "HTTP method of open notifications."},
    {NOT(method_close), .name = "method-close", .type = MON_CONFIG_T_CHOICE,
     .flags = MON_CONFIG_F_NOCASE, .values = methods, .def = "POST",
     .expect = "one of GET, POST, PUT, PATCH, DELETE",
     .burrow = "notifier.method-close",
     .doc = "HTTP method of close notifications."},
    {NOT(headers), .name = "headers", .type = MON_CONFIG_T_HEADERS,
     .flags = MON_CONFIG_F_SECRET | MON_CONFIG_F_ENV,
     .count_offset = offsetof(mon_config_notifier_t, n_headers),
     .check = check_headers_line, .def_doc = "none",
     .doc = "Extra request headers, \"Name: value; Name2: value\" (no space "
            "before ;); values are never shown."},
    {NOT(timeout_ms), .name = "timeout", .type = MON_CONFIG_T_DURATION,
     POSITIVE, .def = "5s", .burrow = "notifier.timeout",
     .doc = "Whole-request timeout of one delivery."},
    {NOT(interval_ms), .name = "interval", .type = MON_CONFIG_T_DURATION,
     POSITIVE, .def = "60s", .burrow = "notifier.interval",
     .doc = "How often each group is evaluated for this notifier."},
    {NOT(threshold), .name = "threshold", .type = MON_CONFIG_T_ENUM,
     .flags = MON_CONFIG_F_NOCASE | MON_CONFIG_F_BURROW_NUM,
     .values = thresholds, .def = "WARN", .burrow = "notifier.threshold",
     .doc = "Lowest status that opens an incident: WARN (or 2) or ERR (or "
            "3)."},
    {NOT(send_close), .name = "send-close", .type = MON_CONFIG_T_BOOL,
     .def = "false", .burrow = "notifier.send-close",
     .doc = "Send a close notification when the group recovers."},
    {NOT(send_once), .name = "send-once", .type = MON_CONFIG_T_BOOL,
     .def = "false",
     .doc = "Send only the first open notification of an incident."},
    {NOT(repeat_every_ms), .name = "repeat-every",
     .type = MON_CONFIG_T_DURATION, NONNEG, .def = "4h",
     .doc = "An open incident is sent again at most this often (sooner "
            "only when it gets worse, WARN to ERR); 0 = every interval. "
            "4h is Alertmanager's repeat_interval."},
    {NOT(group_allowlist), .name = "group-allowlist",
     .type = MON_CONFIG_T_REGEX, .def_doc = "every group",
     .burrow = "notifier.group-allowlist",
     .doc = "Only groups matching the allowlist are notified."},
    {NOT(group_denylist), .name = "group-denylist", .type = MON_CONFIG_T_REGEX,
     .def_doc = "none", .burrow = "notifier.group-denylist",
     .doc = "Groups matching the denylist are not notified."},
    {NOT(template_open), .name = "template-open", .type = MON_CONFIG_T_FILE,
     .def_doc = "a built-in JSON body", .burrow = "notifier.template-open",
     .doc = "Mustache template of open bodies; readable at start."},
    {NOT(template_close), .name = "template-close", .type = MON_CONFIG_T_FILE,
     .def_doc = "a built-in JSON body", .burrow = "notifier.template-close",
     .doc = "Mustache template of close bodies; readable at start."},
    {NOT(extras), .name = "extras.", .type = MON_CONFIG_T_MAP,
     .flags = MON_CONFIG_F_PREFIX | MON_CONFIG_F_ENV | MON_CONFIG_F_EMPTY_OK,
     .count_offset = offsetof(mon_config_notifier_t, n_extras),
     .check = check_extras_name, .def_doc = "none", .burrow = "notifier.extras",
     .doc = "extras.KEY: a value templates see as extras.KEY."},
    {NOT(secret), .name = "secret", .type = MON_CONFIG_T_STRING,
     .flags = MON_CONFIG_F_SECRET | MON_CONFIG_F_ENV, .check = check_not_empty,
     .def_doc = "none (unsigned)",
     .doc = "HMAC-SHA256 signing secret, header X-Warren-Signature."},
    {NOT(open_after), .name = "open-after", .type = MON_CONFIG_T_INT, .min = 1,
     .max = 1000000, .def = "1",
     .doc = "Consecutive evaluations at or above threshold before an "
            "incident opens."},
    {NOT(close_after), .name = "close-after", .type = MON_CONFIG_T_INT,
     .min = 1, .max = 1000000, .def = "2",
     .doc = "Consecutive OK evaluations before an incident closes (2: one "
            "noisy OK between two alerts neither closes nor reopens it)."},
    {NOT(max_retries), .name = "max-retries", .type = MON_CONFIG_T_INT,
     .min = 0, .max = 20, .def = "5", .doc = "Retries of a failed delivery."},
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

const mon_config_key_t *mon_config_keys(size_t *n) {
    *n = N_KEYS;
    return keys;
}

const mon_config_key_t *mon_config_key_find(mon_config_sect_t sect,
                                            const char *name) {
    for (size_t i = 0; i < N_KEYS; i++) {
        const mon_config_key_t *k = &keys[i];
        if (k->sect != sect) continue;
        if (k->flags & MON_CONFIG_F_PREFIX
                ? !strncmp(name, k->name, strlen(k->name))
                : !strcmp(name, k->name))
            return k;
    }
    return NULL;
}

const char *mon_config_sect_name(mon_config_sect_t sect) {
    static const char *const names[] = {"general", "http",      "broker",
                                        "storage", "evaluator", "metrics",
                                        "cluster", "notifier"};
    return sect < MON_CONFIG_SECT__COUNT ? names[sect] : "?";
}

const char *mon_config_type_name(mon_config_type_t type) {
    static const char *const names[] = {
        [MON_CONFIG_T_STRING] = "string",  [MON_CONFIG_T_PATH] = "path",
        [MON_CONFIG_T_FILE] = "file",      [MON_CONFIG_T_URL] = "url",
        [MON_CONFIG_T_LISTEN] = "address", [MON_CONFIG_T_SERVERS] = "servers",
        [MON_CONFIG_T_LIST] = "list",      [MON_CONFIG_T_HEADERS] = "headers",
        [MON_CONFIG_T_BOOL] = "boolean",   [MON_CONFIG_T_INT] = "integer",
        [MON_CONFIG_T_INT64] = "integer",  [MON_CONFIG_T_SIZE] = "bytes",
        [MON_CONFIG_T_DOUBLE] = "number",  [MON_CONFIG_T_DURATION] = "duration",
        [MON_CONFIG_T_ENUM] = "enum",      [MON_CONFIG_T_CHOICE] = "enum",
        [MON_CONFIG_T_REGEX] = "regex",    [MON_CONFIG_T_MAP] = "map",
    };
    return type <= MON_CONFIG_T_MAP ? names[type] : "?";
}

void mon_config_values_text(const mon_config_key_t *key, char *buf,
                            size_t size) {
    if (key->expect || !key->values) {
        snprintf(buf, size, "%s", key->expect ? key->expect : "");
        return;
    }
    size_t n = 0, len = 0;
    while (key->values[n].name)
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? " or "
                                             : ", ",
                                key->values[i].name);
}

/* ------------------------------------------------------------------ */
/* Typed parsing                                                        */
/* ------------------------------------------------------------------ */

/* Replaces ${NAME} by the environment variable NAME; "$${" is a literal
 * "${". Returns a new string, or NULL with the reason in set->why. */
static char *expand_env(mon_config_set_t *set, const char *v) {
    mon_wbuf_t sb = {0};
    for (const char *q = v; *q;) {
        if (q[0] == '$' && q[1] == '$' && q[2] == '{') {
            mon_wbuf_put(&sb, "${", 2);
            q += 3;
            continue;
        }
        if (q[0] != '$' || q[1] != '{') {
            mon_wbuf_put(&sb, q, 1);
            q++;
            continue;
        }
        const char *name = q + 2;
        const char *close = strchr(name, '}');
        if (!close) {
            why(set, "unterminated '${' (write $${ for a literal)");
            goto fail;
        }
        char *var = mon_strndup(name, (size_t)(close - name));
        bool ok = var[0] && !isdigit((unsigned char)var[0]);
        for (const char *c = var; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || *c == '_';
        if (!ok) {
            why(set, "bad environment variable name '%s'", var);
            free(var);
            goto fail;
        }
        const char *val = getenv(var);
        if (!val) {
            why(set, "environment variable %s is not set", var);
            free(var);
            goto fail;
        }
        free(var);
        sb_str(&sb, val);
        q = close + 1;
    }
    return sb_take(&sb);
fail:
    mon_wbuf_free(&sb);
    return NULL;
}

static int set_duration(mon_config_set_t *set, const char *v) {
    const mon_config_key_t *k = set->key;
    int64_t ms;
    if (mon_config_parse_duration(v, &ms) != 0)
        return why(set,
                   "bad duration '%s' (an integer of seconds, or with "
                   "ms, s, m, h or d; at most 3650d)",
                   v);
    if (ms < k->min)
        return k->min == 1
                   ? why(set, "must be greater than 0")
                   : why(set, "must be at least %lld ms", (long long)k->min);
    if (k->max && ms > k->max)
        return why(set, "must be at most %lld ms", (long long)k->max);
    if (k->step > 1 && ms % k->step != 0) {
        char step[32];
        format_duration(k->step, step, sizeof(step));
        return why(set, "'%s' is not a multiple of %s (%s)", v, step,
                   k->step_why ? k->step_why : "its resolution");
    }
    *FIELD(int64_t, set) = ms;
    return 0;
}

static int get_int(mon_config_set_t *set, const char *v, long long *out) {
    const mon_config_key_t *k = set->key;
    const char *q = v + (*v == '-');
    bool ok = isdigit((unsigned char)*q);
    for (; ok && *q; q++)
        ok = isdigit((unsigned char)*q);
    long long x = 0;
    if (ok) {
        char *end;
        errno = 0;
        x = strtoll(v, &end, 10);
        ok = errno == 0 && *end == '\0';
    }
    if (!ok) return why(set, "'%s' is not an integer", v);
    if (x < k->min || x > k->max)
        return why(set, "%lld is out of range %lld..%lld", x, (long long)k->min,
                   (long long)k->max);
    *out = x;
    return 0;
}

static int set_double(mon_config_set_t *set, const char *v) {
    const mon_config_key_t *k = set->key;
    bool ok = *v != '\0';
    for (const char *q = v; ok && *q; q++)
        ok = isdigit((unsigned char)*q) || strchr(".eE+-", *q);
    double x = 0;
    if (ok) {
        char *end;
        errno = 0;
        x = strtod(v, &end);
        ok = errno == 0 && *end == '\0' && isfinite(x);
    }
    if (!ok) return why(set, "'%s' is not a number", v);
    if (k->dmin_open && (x <= k->dmin || x > k->dmax))
        return why(set, "%s must be above %g and at most %g", v, k->dmin,
                   k->dmax);
    if (!k->dmin_open && (x < k->dmin || x > k->dmax))
        return why(set, "%s must be between %g and %g", v, k->dmin, k->dmax);
    *FIELD(double, set) = x;
    return 0;
}

static int set_enum(mon_config_set_t *set, const char *v) {
    const mon_config_key_t *k = set->key;
    for (const mon_config_enum_t *e = k->values; e->name; e++) {
        bool eq = k->flags & MON_CONFIG_F_NOCASE ? !strcasecmp(v, e->name)
                                                 : !strcmp(v, e->name);
        if (!eq) continue;
        if (k->type == MON_CONFIG_T_CHOICE)
            set_str(FIELD(char *, set), e->name);
        else
            *FIELD(int, set) = e->value;
        return 0;
    }
    char list[256];
    mon_config_values_text(k, list, sizeof(list));
    return why(set, "'%s' is not %s", v, list);
}

static int set_regex(mon_config_set_t *set, const char *v) {
    char bound[MON_REGEX_WHY_SIZE];
    if (mon_regex_bound(v, bound, sizeof(bound)) != 0)
        return why(set, "regex '%s' refused: %s", v, bound);
    mon_config_regex_t *rx = mon_calloc(1, sizeof(*rx));
    int rc = regcomp(&rx->re, v, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &rx->re, msg, sizeof(msg));
        free(rx);
        return why(set, "bad regex '%s': %s", v, msg);
    }
    rx->pattern = mon_strdup(v);
    mon_config_regex_t **dst = FIELD(mon_config_regex_t *, set);
    regex_free(*dst);
    *dst = rx;
    return 0;
}

static int set_url(mon_config_set_t *set, const char *v) {
    if (strncasecmp(v, "http://", 7) != 0 && strncasecmp(v, "https://", 8) != 0)
        return why(set, "'%s' must start with http:// or https://", v);
    if (has_ctl(v) || strchr(v, ' '))
        return why(set, "URL contains a space or control character");
    set_str(FIELD(char *, set), v);
    return 0;
}

const char *mon_config_file_problem(const char *path, char *why_buf,
                                    size_t size) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why_buf, size, "cannot read '%s': %s", path, strerror(errno));
        return why_buf;
    }
    struct stat st;
    bool reg = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    fclose(f);
    if (!reg) {
        snprintf(why_buf, size, "'%s' is not a regular file", path);
        return why_buf;
    }
    return NULL;
}

static int set_file(mon_config_set_t *set, const char *v) {
    if (mon_config_file_problem(v, set->why, sizeof(set->why))) return -1;
    set_str(FIELD(char *, set), v);
    return 0;
}

static int set_listen(mon_config_set_t *set, const char *v) {
    mon_config_http_t *h = set->obj; /* the one LISTEN key is [http]'s */
    char *host;
    int port, fam;
    if (mon_config_parse_listen(v, &host, &port, &fam, set->why,
                                sizeof(set->why)) != 0)
        return -1;
    set_str(&h->listen, v);
    free(h->listen_host);
    h->listen_host = host;
    h->listen_port = port;
    h->listen_family = fam;
    return 0;
}

static bool is_tchar(unsigned char c) {
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "Name: value; Name2: value" -> pairs. */
static int set_headers(mon_config_set_t *set, const char *v) {
    mon_config_kv_t **kv = FIELD(mon_config_kv_t *, set);
    size_t *n = COUNT(set);
    const char *seg = v;
    while (*seg) {
        const char *end = strchr(seg, ';');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char *one = mon_config_trim_copy(seg, len);
        seg += len + (end ? 1 : 0);
        if (!one[0]) {
            free(one);
            continue;
        }
        char *colon = strchr(one, ':');
        if (!colon) {
            why(set, "header '%s' has no ':' (write Name: value)", one);
            free(one);
            return -1;
        }
        char *name = mon_config_trim_copy(one, (size_t)(colon - one));
        char *val = mon_config_trim_copy(colon + 1, strlen(colon + 1));
        free(one);
        int rc = 0;
        bool tok = name[0] != '\0';
        for (const char *c = name; tok && *c; c++)
            tok = is_tchar((unsigned char)*c);
        if (!tok)
            rc = why(set, "bad header name '%s'", name);
        else if (!val[0])
            rc = why(set, "header '%s' has no value", name);
        else if (has_ctl(val))
            rc = why(set, "header '%s' has a control character", name);
        else if (!strncasecmp(name, "X-Warren-", 9) ||
                 !strcasecmp(name, "Content-Length") ||
                 !strcasecmp(name, "Host"))
            rc = why(set, "header '%s' is set by Warren", name);
        if (rc == 0) kv_add(kv, n, name, val);
        free(name);
        free(val);
        if (rc != 0) return -1;
    }
    return 0;
}

/* "host:port, host:port" -> normalized "host:port,host:port". */
static int set_servers(mon_config_set_t *set, const char *v) {
    mon_wbuf_t sb = {0};
    const char *seg = v;
    size_t count = 0;
    while (true) {
        const char *end = strchr(seg, ',');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char *one = mon_config_trim_copy(seg, len);
        const char *colon = NULL;
        bool ok = one[0] != '\0';
        if (ok && one[0] == '[') {
            const char *close = strchr(one, ']');
            ok = close && close > one + 1 && close[1] == ':';
            colon = ok ? close + 1 : NULL;
        } else if (ok) {
            colon = strrchr(one, ':');
            ok = colon && colon > one;
            for (const char *c = one; ok && c < colon; c++)
                ok = isalnum((unsigned char)*c) || strchr(".-_", *c);
        }
        long port = 0;
        if (ok) {
            const char *ps = colon + 1;
            ok = *ps && strlen(ps) <= 5;
            for (; ok && *ps; ps++) {
                ok = isdigit((unsigned char)*ps);
                port = port * 10 + (*ps - '0');
            }
            ok = ok && port >= 1 && port <= 65535;
        }
        if (!ok) {
            why(set, "'%s' is not host:port (port 1..65535)", one);
            free(one);
            mon_wbuf_free(&sb);
            return -1;
        }
        if (count++) mon_wbuf_put(&sb, ",", 1);
        sb_str(&sb, one);
        free(one);
        if (!end) break;
        seg = end + 1;
    }
    char **dst = FIELD(char *, set);
    free(*dst);
    *dst = sb_take(&sb);
    return 0;
}

static int set_list(mon_config_set_t *set, const char *v) {
    char ***list = FIELD(char **, set);
    size_t *n = COUNT(set);
    const char *seg = v;
    while (true) {
        const char *end = strchr(seg, ',');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char *one = mon_config_trim_copy(seg, len);
        if (!one[0]) {
            free(one);
            return why(set, "empty %s in the list",
                       set->key->expect ? set->key->expect : "name");
        }
        *list = mon_realloc(*list, (*n + 1) * sizeof(char *));
        (*list)[(*n)++] = one;
        if (!end) break;
        seg = end + 1;
    }
    return 0;
}

static int set_typed(mon_config_set_t *set, const char *v) {
    const mon_config_key_t *k = set->key;
    long long x;
    bool b;
    switch (k->type) {
    case MON_CONFIG_T_STRING:
    case MON_CONFIG_T_PATH:
        set_str(FIELD(char *, set), v);
        return 0;
    case MON_CONFIG_T_FILE:
        return set_file(set, v);
    case MON_CONFIG_T_URL:
        return set_url(set, v);
    case MON_CONFIG_T_LISTEN:
        return set_listen(set, v);
    case MON_CONFIG_T_SERVERS:
        return set_servers(set, v);
    case MON_CONFIG_T_LIST:
        return set_list(set, v);
    case MON_CONFIG_T_HEADERS:
        return set_headers(set, v);
    case MON_CONFIG_T_BOOL:
        if (mon_config_parse_bool(v, &b) != 0)
            return why(set,
                       "'%s' is not a boolean (true/false, yes/no, "
                       "on/off, 1/0)",
                       v);
        *FIELD(bool, set) = b;
        return 0;
    case MON_CONFIG_T_INT:
        if (get_int(set, v, &x) != 0) return -1;
        *FIELD(int, set) = (int)x;
        return 0;
    case MON_CONFIG_T_INT64:
        if (get_int(set, v, &x) != 0) return -1;
        *FIELD(int64_t, set) = x;
        return 0;
    case MON_CONFIG_T_SIZE:
        if (get_int(set, v, &x) != 0) return -1;
        *FIELD(size_t, set) = (size_t)x;
        return 0;
    case MON_CONFIG_T_DOUBLE:
        return set_double(set, v);
    case MON_CONFIG_T_DURATION:
        return set_duration(set, v);
    case MON_CONFIG_T_ENUM:
    case MON_CONFIG_T_CHOICE:
        return set_enum(set, v);
    case MON_CONFIG_T_REGEX:
        return set_regex(set, v);
    case MON_CONFIG_T_MAP:
        kv_add(FIELD(mon_config_kv_t *, set), COUNT(set),
               set->name + strlen(k->name), v);
        return 0;
    }
    return why(set, "unknown key");
}

int mon_config_set_value(mon_config_set_t *set, const char *value) {
    const mon_config_key_t *k = set->key;
    /* a prefix row's check is on the name: before the value is read */
    if (k->type == MON_CONFIG_T_MAP && k->check && k->check(set, value) != 0)
        return -1;
    char *expanded = NULL;
    if (k->flags & MON_CONFIG_F_ENV) {
        expanded = expand_env(set, value);
        if (!expanded) return -1;
        value = expanded;
    }
    int rc = 0;
    if (k->type != MON_CONFIG_T_MAP && k->check) rc = k->check(set, value);
    if (rc == 0) rc = set_typed(set, value);
    if (rc == 0 && k->mark_offset)
        *(bool *)((char *)set->obj + k->mark_offset) = true;
    free(expanded);
    return rc;
}

void mon_config_apply_defaults(mon_config_sect_t sect, void *obj) {
    for (size_t i = 0; i < N_KEYS; i++) {
        const mon_config_key_t *k = &keys[i];
        if (k->sect != sect || !k->def) continue;
        mon_config_set_t set = {.key = k, .obj = obj, .name = k->name};
        int rc = set_typed(&set, k->def);
        WARREN_ASSERT(rc == 0); /* every default is valid (unit-tested) */
    }
}

void mon_config_free_fields(mon_config_sect_t sect, void *obj) {
    for (size_t i = 0; i < N_KEYS; i++) {
        const mon_config_key_t *k = &keys[i];
        if (k->sect != sect) continue;
        mon_config_set_t set = {.key = k, .obj = obj};
        switch (k->type) {
        case MON_CONFIG_T_STRING:
        case MON_CONFIG_T_PATH:
        case MON_CONFIG_T_FILE:
        case MON_CONFIG_T_URL:
        case MON_CONFIG_T_LISTEN:
        case MON_CONFIG_T_SERVERS:
        case MON_CONFIG_T_CHOICE:
            free(*FIELD(char *, &set));
            *FIELD(char *, &set) = NULL;
            break;
        case MON_CONFIG_T_LIST:
            for (size_t j = 0; j < *COUNT(&set); j++)
                free((*FIELD(char **, &set))[j]);
            free(*FIELD(char **, &set));
            *FIELD(char **, &set) = NULL;
            *COUNT(&set) = 0;
            break;
        case MON_CONFIG_T_HEADERS:
        case MON_CONFIG_T_MAP:
            kv_free(*FIELD(mon_config_kv_t *, &set), *COUNT(&set));
            *FIELD(mon_config_kv_t *, &set) = NULL;
            *COUNT(&set) = 0;
            break;
        case MON_CONFIG_T_REGEX:
            regex_free(*FIELD(mon_config_regex_t *, &set));
            *FIELD(mon_config_regex_t *, &set) = NULL;
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Reading values back                                                  */
/* ------------------------------------------------------------------ */

void *mon_config_sect_obj(const mon_config_t *cfg, mon_config_sect_t sect,
                          size_t index) {
    mon_config_t *c = (mon_config_t *)cfg; /* the caller decides const */
    switch (sect) {
    case MON_CONFIG_SECT_GENERAL:
        return &c->general;
    case MON_CONFIG_SECT_HTTP:
        return &c->http;
    case MON_CONFIG_SECT_BROKER:
        return &c->broker;
    case MON_CONFIG_SECT_STORAGE:
        return &c->storage;
    case MON_CONFIG_SECT_EVALUATOR:
        return &c->evaluator;
    case MON_CONFIG_SECT_METRICS:
        return &c->metrics;
    case MON_CONFIG_SECT_CLUSTER:
        return index < c->n_clusters ? c->clusters[index] : NULL;
    case MON_CONFIG_SECT_NOTIFIER:
        return index < c->n_notifiers ? c->notifiers[index] : NULL;
    default:
        return NULL;
    }
}

int mon_config_get(const mon_config_t *cfg, const mon_config_key_t *k,
                   size_t index, mon_config_value_t *out) {
    memset(out, 0, sizeof(*out));
    void *obj = mon_config_sect_obj(cfg, k->sect, index);
    if (!obj) return -1;
    mon_config_set_t set = {.key = k, .obj = obj};
    out->set = true;
    switch (k->type) {
    case MON_CONFIG_T_STRING:
    case MON_CONFIG_T_PATH:
    case MON_CONFIG_T_FILE:
    case MON_CONFIG_T_URL:
    case MON_CONFIG_T_LISTEN:
    case MON_CONFIG_T_SERVERS:
    case MON_CONFIG_T_CHOICE:
        out->s = *FIELD(char *, &set);
        out->set = out->s != NULL;
        break;
    case MON_CONFIG_T_LIST:
        out->list = *FIELD(char **, &set);
        out->n = *COUNT(&set);
        out->set = out->n > 0;
        break;
    case MON_CONFIG_T_HEADERS:
    case MON_CONFIG_T_MAP:
        out->kv = *FIELD(mon_config_kv_t *, &set);
        out->n = *COUNT(&set);
        out->set = out->n > 0;
        break;
    case MON_CONFIG_T_BOOL:
        out->i = *FIELD(bool, &set);
        break;
    case MON_CONFIG_T_INT:
        out->i = *FIELD(int, &set);
        break;
    case MON_CONFIG_T_INT64:
    case MON_CONFIG_T_DURATION:
        out->i = *FIELD(int64_t, &set);
        break;
    case MON_CONFIG_T_SIZE:
        out->i = (int64_t)*FIELD(size_t, &set);
        break;
    case MON_CONFIG_T_DOUBLE:
        out->d = *FIELD(double, &set);
        break;
    case MON_CONFIG_T_ENUM:
        out->i = *FIELD(int, &set);
        for (const mon_config_enum_t *e = k->values; e->name; e++)
            if (e->value == out->i) {
                out->s = e->name;
                break;
            }
        break;
    case MON_CONFIG_T_REGEX: {
        const mon_config_regex_t *rx = *FIELD(mon_config_regex_t *, &set);
        out->s = rx ? rx->pattern : NULL;
        out->set = rx != NULL;
        break;
    }
    }
    return 0;
}

bool mon_config_kafka_prop_secret(const char *prop) {
    /* librdkafka's sensitive properties: sasl.password,
     * sasl.oauthbearer.client.secret, sasl.oauthbearer.config,
     * ssl.key.password, ssl.key.pem, ssl.keystore.password, ssl_key */
    return strstr(prop, "password") || strstr(prop, "secret") ||
           strstr(prop, "key.pem") || !strcmp(prop, "ssl_key") ||
           !strcmp(prop, "sasl.oauthbearer.config");
}

/* Length of the scheme at url (letters, digits, "+-." after a letter)
 * when "://" follows it, else 0. */
static size_t scheme_len(const char *url) {
    size_t n = 0;
    if (!isalpha((unsigned char)url[0])) return 0;
    while (isalnum((unsigned char)url[n]) || url[n] == '+' || url[n] == '-' ||
           url[n] == '.')
        n++;
    return strncmp(url + n, "://", 3) == 0 ? n : 0;
}

/* Whether host[0..len) is "name[:port]" or "[v6][:port]". */
static bool hostport_ok(const char *host, size_t len) {
    size_t i = 0;
    if (len > 0 && host[0] == '[') {
        for (i = 1; i < len && host[i] != ']'; i++)
            if (!isxdigit((unsigned char)host[i]) && host[i] != ':' &&
                host[i] != '.')
                return false;
        if (i >= len || i == 1) return false;
        i++; /* ']' */
    } else {
        while (i < len && (isalnum((unsigned char)host[i]) || host[i] == '-' ||
                           host[i] == '.' || host[i] == '_'))
            i++;
        if (i == 0) return false;
    }
    if (i == len) return true;
    if (host[i] != ':' || len - i < 2 || len - i > 6) return false;
    for (i++; i < len; i++)
        if (!isdigit((unsigned char)host[i])) return false;
    return true;
}

void mon_config_redact_url(const char *url, char *buf, size_t size) {
    if (!url) {
        snprintf(buf, size, "%s", "");
        return;
    }
    size_t sl = scheme_len(url);
    if (sl > 0) {
        const char *auth = url + sl + 3;
        const char *rest = auth + strcspn(auth, "/?#");
        const char *host = auth;
        for (const char *at = auth; at < rest; at++)
            if (*at == '@') host = at + 1;
        if (hostport_ok(host, (size_t)(rest - host))) {
            int n = snprintf(buf, size, "%.*s://%.*s/%s", (int)sl, url,
                             (int)(rest - host), host,
                             rest[0] && strcmp(rest, "/") != 0 ? ELLIPSIS : "");
            if (n > 0 && (size_t)n < size) return;
        }
    }
    snprintf(buf, size, "%s", ELLIPSIS);
}

/* One map or header entry, "name: value", its value masked if secret. */
static void add_entry(mon_wbuf_t *sb, const mon_config_key_t *k,
                      const mon_config_kv_t *kv) {
    bool secret = k->flags & MON_CONFIG_F_SECRET ||
                  (k->sect == MON_CONFIG_SECT_CLUSTER &&
                   mon_config_kafka_prop_secret(kv->key));
    sb_str(sb, kv->key);
    sb_str(sb, k->type == MON_CONFIG_T_MAP ? " = " : ": ");
    sb_str(sb, secret && kv->value[0] ? MASK : kv->value);
}

char *mon_config_format(const mon_config_t *cfg, const mon_config_key_t *k,
                        size_t index, char *buf, size_t size) {
    mon_config_value_t v;
    buf[0] = '\0';
    if (mon_config_get(cfg, k, index, &v) != 0 || !v.set) return buf;
    mon_wbuf_t sb = {0};
    char num[64];
    switch (k->type) {
    case MON_CONFIG_T_LIST:
        for (size_t i = 0; i < v.n; i++) {
            if (i) mon_wbuf_put(&sb, ",", 1);
            sb_str(&sb, v.list[i]);
        }
        break;
    case MON_CONFIG_T_HEADERS:
    case MON_CONFIG_T_MAP:
        for (size_t i = 0; i < v.n; i++) {
            if (i) sb_str(&sb, "; ");
            add_entry(&sb, k, &v.kv[i]);
        }
        break;
    case MON_CONFIG_T_BOOL:
        sb_str(&sb, v.i ? "true" : "false");
        break;
    case MON_CONFIG_T_INT:
    case MON_CONFIG_T_INT64:
    case MON_CONFIG_T_SIZE:
        snprintf(num, sizeof(num), "%lld", (long long)v.i);
        sb_str(&sb, num);
        break;
    case MON_CONFIG_T_DURATION:
        format_duration(v.i, num, sizeof(num));
        sb_str(&sb, num);
        break;
    case MON_CONFIG_T_DOUBLE:
        format_double(v.d, num, sizeof(num));
        sb_str(&sb, num);
        break;
    case MON_CONFIG_T_ENUM:
        if (v.s)
            sb_str(&sb, v.s);
        else {
            snprintf(num, sizeof(num), "%lld", (long long)v.i);
            sb_str(&sb, num);
        }
        break;
    default: /* strings */
        if (k->flags & MON_CONFIG_F_SECRET && v.s[0]) {
            sb_str(&sb, MASK);
        } else if (k->flags & MON_CONFIG_F_URL_HOST) {
            char url[512];
            mon_config_redact_url(v.s, url, sizeof(url));
            sb_str(&sb, url);
        } else {
            sb_str(&sb, v.s);
        }
        break;
    }
    char *text = sb_take(&sb);
    snprintf(buf, size, "%s", text);
    free(text);
    return buf;
}
