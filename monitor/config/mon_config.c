/* mon_config: reads Warren's INI configuration (see mon_config.h).
 *
 * libinih splits lines into sections and key/value pairs; this file feeds
 * it through its own line reader (ini_parse_stream) so that it knows the
 * line number of every key without INI_HANDLER_LINENO, can track section
 * headers itself (inih truncates names at 49 bytes and never reports an
 * empty section), refuses over-long lines instead of letting inih split
 * them, and strips indentation so an indented key is never taken for a
 * continuation line. Values are checked as they arrive; checks that need a
 * whole section (required keys, keys of another source) run at the end.
 * The first error wins and stops the parse.
 */
#include "monitor/config/mon_config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/mon_mem.h"

#define MAX_FILE_BYTES (1024 * 1024)
#define MAX_DURATION_MS ((int64_t)3650 * 86400 * 1000)
#define MAX_NAME_LEN 64

struct mon_config_s {
    char *path; /* NULL for the built-in default */
    mon_config_general_t general;
    mon_config_http_t http;
    mon_config_storage_t storage;
    mon_config_evaluator_t evaluator;
    mon_config_cluster_t **clusters;
    size_t n_clusters;
    mon_config_notifier_t **notifiers;
    size_t n_notifiers;
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

typedef struct sbuf_s {
    char *s;
    size_t len, cap;
} sbuf_t;

static void sb_add(sbuf_t *sb, const char *data, size_t n) {
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        sb->s = mon_realloc(sb->s, cap);
        sb->cap = cap;
    }
    memcpy(sb->s + sb->len, data, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

static void set_str(char **dst, const char *s) {
    free(*dst);
    *dst = s ? mon_strdup(s) : NULL;
}

static char *trim_copy(const char *s, size_t n) {
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return mon_strndup(s, n);
}

static bool valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-')
            return false;
    }
    return true;
}

static bool has_ctl(const char *s) {
    for (; *s; s++)
        if (iscntrl((unsigned char)*s))
            return true;
    return false;
}

static void regex_free(mon_config_regex_t *rx) {
    if (!rx)
        return;
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

static char *path_join(const char *dir, const char *leaf) {
    size_t n = strlen(dir);
    const char *sep = (n > 0 && dir[n - 1] == '/') ? "" : "/";
    size_t sz = n + strlen(sep) + strlen(leaf) + 1;
    char *out = mon_malloc(sz);
    snprintf(out, sz, "%s%s%s", dir, sep, leaf);
    return out;
}

static char *default_hostname(void) {
    char host[256];
    if (gethostname(host, sizeof(host)) != 0)
        return mon_strdup("warren");
    host[sizeof(host) - 1] = '\0';
    return mon_strdup(host[0] ? host : "warren");
}

/* ------------------------------------------------------------------ */
/* Public value parsers                                                 */
/* ------------------------------------------------------------------ */

int mon_config_parse_duration(const char *s, int64_t *ms) {
    size_t nd = 0;
    while (isdigit((unsigned char)s[nd]))
        nd++;
    if (nd == 0 || nd > 15)
        return -1;
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
    if (v > MAX_DURATION_MS / mult)
        return -1;
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

bool mon_config_name_allowed(const mon_config_regex_t *allow,
                             const mon_config_regex_t *deny,
                             const char *name) {
    if (allow && regexec(&allow->re, name, 0, NULL, 0) != 0)
        return false;
    if (deny && regexec(&deny->re, name, 0, NULL, 0) == 0)
        return false;
    return true;
}

/* Parses "ADDR:PORT" / "[V6]:PORT" with a numeric address. Returns 0, or
 * -1 with the reason in why. */
static int parse_listen(const char *s, char **host, int *port, int *family,
                        char *why, size_t why_size) {
    const char *colon;
    char *h;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            snprintf(why, why_size, "'%s' is not [IPV6]:PORT", s);
            return -1;
        }
        h = mon_strndup(s + 1, (size_t)(close - s - 1));
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            snprintf(why, why_size, "'%s' has no :PORT", s);
            return -1;
        }
        h = mon_strndup(s, (size_t)(colon - s));
        if (strchr(h, ':')) {
            snprintf(why, why_size,
                     "'%s': write an IPv6 address in brackets, "
                     "e.g. [::1]:8000", s);
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
        snprintf(why, why_size, "'%s': port must be 0..65535", s);
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
            snprintf(why, why_size, "'%s': IPv6 needs brackets", s);
            return -1;
        }
    } else {
        snprintf(why, why_size,
                 "'%s': address must be a numeric IPv4 address or "
                 "[IPv6] (0.0.0.0 for all interfaces)", s);
        free(h);
        return -1;
    }
    *host = h;
    *port = (int)pv;
    *family = fam;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Defaults and derived values                                          */
/* ------------------------------------------------------------------ */

static mon_config_cluster_t *cluster_new(const char *name, int line) {
    mon_config_cluster_t *cl = mon_calloc(1, sizeof(*cl));
    cl->name = mon_strdup(name);
    cl->line = line;
    cl->source = MON_CONFIG_SOURCE_EMBEDDED;
    cl->offset_refresh_ms = 10 * 1000;
    cl->topic_refresh_ms = 60 * 1000;
    cl->speed = 1.0;
    cl->offsets = MON_CONFIG_OFFSETS_ADMIN;
    return cl;
}

static void cluster_free(mon_config_cluster_t *cl) {
    if (!cl)
        return;
    free(cl->name);
    free(cl->data_dir);
    free(cl->file);
    free(cl->servers);
    for (size_t i = 0; i < cl->n_groups; i++)
        free(cl->groups[i]);
    free(cl->groups);
    regex_free(cl->group_allowlist);
    regex_free(cl->group_denylist);
    regex_free(cl->topic_allowlist);
    regex_free(cl->topic_denylist);
    kv_free(cl->kafka_props, cl->n_kafka_props);
    free(cl);
}

static mon_config_notifier_t *notifier_new(const char *name, int line) {
    mon_config_notifier_t *nt = mon_calloc(1, sizeof(*nt));
    nt->name = mon_strdup(name);
    nt->line = line;
    nt->method_open = mon_strdup("POST");
    nt->method_close = mon_strdup("POST");
    nt->timeout_ms = 5 * 1000;
    nt->interval_ms = 60 * 1000;
    nt->send_interval_ms = nt->interval_ms;
    nt->threshold = EV_WARN;
    nt->open_after = 1;
    nt->close_after = 1;
    nt->max_retries = 5;
    return nt;
}

static void notifier_free(mon_config_notifier_t *nt) {
    if (!nt)
        return;
    free(nt->name);
    free(nt->url_open);
    free(nt->url_close);
    free(nt->method_open);
    free(nt->method_close);
    kv_free(nt->headers, nt->n_headers);
    regex_free(nt->group_allowlist);
    regex_free(nt->group_denylist);
    free(nt->template_open);
    free(nt->template_close);
    kv_free(nt->extras, nt->n_extras);
    free(nt->secret);
    free(nt);
}

static void add_cluster(mon_config_t *cfg, mon_config_cluster_t *cl) {
    cfg->clusters = mon_realloc(cfg->clusters,
                                (cfg->n_clusters + 1) * sizeof(cl));
    cfg->clusters[cfg->n_clusters++] = cl;
}

static void add_notifier(mon_config_t *cfg, mon_config_notifier_t *nt) {
    cfg->notifiers = mon_realloc(cfg->notifiers,
                                 (cfg->n_notifiers + 1) * sizeof(nt));
    cfg->notifiers[cfg->n_notifiers++] = nt;
}

static mon_config_t *config_alloc(void) {
    mon_config_t *cfg = mon_calloc(1, sizeof(*cfg));
    mon_config_general_t *g = &cfg->general;
    g->log_format = MON_LOG_TEXT;
    g->log_level = MON_LOG_INFO;
    g->data_dir = mon_strdup("./warren-data");
    g->snapshot_interval_ms = 60 * 1000;
    g->access_control_allow_origin = mon_strdup("");
    g->history_retention_ms = (int64_t)86400 * 1000;
    g->name = default_hostname();

    mon_config_http_t *h = &cfg->http;
    h->listen = mon_strdup("127.0.0.1:8000");
    h->listen_host = mon_strdup("127.0.0.1");
    h->listen_port = 8000;
    h->listen_family = AF_INET;
    h->admin_token = mon_strdup("");
    h->max_body = 65536;
    h->max_url = 2048;
    h->max_header = 8192;
    h->timeout_ms = 30 * 1000;
    h->threads = 2;

    cfg->storage.intervals = 10;
    cfg->storage.min_distance_ms = 0;
    cfg->storage.expire_group_ms = (int64_t)604800 * 1000;

    cfg->evaluator.expire_cache_ms = 10 * 1000;
    cfg->evaluator.allowed_lag = 0;
    cfg->evaluator.minimum_complete = 0.0;
    return cfg;
}

/* Recomputes values that default from others: dashboard-url from listen,
 * embedded data-dir from general data-dir. */
static void derive(mon_config_t *cfg) {
    mon_config_general_t *g = &cfg->general;
    const mon_config_http_t *h = &cfg->http;
    if (!g->dashboard_url_explicit) {
        char *host = NULL;
        if (!strcmp(h->listen_host, "0.0.0.0") ||
            !strcmp(h->listen_host, "::"))
            host = default_hostname();
        else
            host = mon_strdup(h->listen_host);
        bool br = h->listen_family == AF_INET6 && strchr(host, ':');
        size_t sz = strlen(host) + 32;
        free(g->dashboard_url);
        g->dashboard_url = mon_malloc(sz);
        snprintf(g->dashboard_url, sz, "http://%s%s%s:%d/", br ? "[" : "",
                 host, br ? "]" : "", h->listen_port);
        free(host);
    }
    for (size_t i = 0; i < cfg->n_clusters; i++) {
        mon_config_cluster_t *cl = cfg->clusters[i];
        if (cl->source != MON_CONFIG_SOURCE_EMBEDDED || cl->data_dir_explicit)
            continue;
        free(cl->data_dir);
        cl->data_dir = path_join(g->data_dir, "broker");
    }
}

/* Two embedded clusters must not share a broker directory. Returns the
 * index of the second of the first clashing pair, or -1. */
static long embedded_clash(const mon_config_t *cfg, size_t *first) {
    for (size_t i = 0; i < cfg->n_clusters; i++) {
        const mon_config_cluster_t *a = cfg->clusters[i];
        if (a->source != MON_CONFIG_SOURCE_EMBEDDED)
            continue;
        for (size_t j = i + 1; j < cfg->n_clusters; j++) {
            const mon_config_cluster_t *b = cfg->clusters[j];
            if (b->source == MON_CONFIG_SOURCE_EMBEDDED &&
                !strcmp(a->data_dir, b->data_dir)) {
                *first = i;
                return (long)j;
            }
        }
    }
    return -1;
}

mon_config_t *mon_config_new_default(void) {
    mon_config_t *cfg = config_alloc();
    add_cluster(cfg, cluster_new("local", 0));
    derive(cfg);
    return cfg;
}

void mon_config_destroy(mon_config_t *cfg) {
    if (!cfg)
        return;
    free(cfg->path);
    mon_config_general_t *g = &cfg->general;
    free(g->data_dir);
    free(g->access_control_allow_origin);
    free(g->dashboard_url);
    free(g->name);
    mon_config_http_t *h = &cfg->http;
    free(h->listen);
    free(h->listen_host);
    free(h->admin_token);
    regex_free(cfg->storage.group_allowlist);
    regex_free(cfg->storage.group_denylist);
    for (size_t i = 0; i < cfg->n_clusters; i++)
        cluster_free(cfg->clusters[i]);
    free(cfg->clusters);
    for (size_t i = 0; i < cfg->n_notifiers; i++)
        notifier_free(cfg->notifiers[i]);
    free(cfg->notifiers);
    free(cfg);
}

/* ------------------------------------------------------------------ */
/* Parse state                                                          */
/* ------------------------------------------------------------------ */

enum sect_kind {
    SECT_GENERAL,
    SECT_HTTP,
    SECT_STORAGE,
    SECT_EVALUATOR,
    SECT_CLUSTER,
    SECT_NOTIFIER
};

static const char *const sect_names[] = {"general",   "http",
                                         "storage",   "evaluator",
                                         "cluster",   "notifier"};

/* Cluster keys that belong to one source (bit = 1 << source). */
#define SRC_ALL 0u
#define SRC_EMB (1u << MON_CONFIG_SOURCE_EMBEDDED)
#define SRC_REP (1u << MON_CONFIG_SOURCE_REPLAY)
#define SRC_KAF (1u << MON_CONFIG_SOURCE_KAFKA)

static const char *const source_names[] = {"embedded", "replay", "kafka"};

typedef struct seen_s {
    char *key;
    int line;
    unsigned mask; /* cluster keys: sources it applies to, 0 = all */
} seen_t;

typedef struct section_s {
    enum sect_kind kind;
    char *title; /* "general", "cluster local" */
    int line;
    mon_config_cluster_t *cluster;
    mon_config_notifier_t *notifier;
    seen_t *seen;
    size_t n_seen;
} section_t;

typedef struct parse_s {
    mon_config_t *cfg;
    const char *file;
    const char *text;
    size_t len, pos;
    int lineno;
    char *raw; /* current line, trimmed, before inih edits it */
    section_t **sections;
    size_t n_sections;
    section_t *cur;
    bool failed;
    int err_line;
    char *errstr;
    size_t errstr_size;
} parse_t;

/* Where a value came from, for messages. */
typedef struct loc_s {
    parse_t *p;
    section_t *sec;
    const char *key;
    int line;
} loc_t;

static void verr(parse_t *p, int line, const section_t *sec, const char *key,
                 const char *fmt, va_list ap) {
    if (p->failed)
        return;
    p->failed = true;
    p->err_line = line;
    if (!p->errstr || p->errstr_size == 0)
        return;
    char why[512];
    vsnprintf(why, sizeof(why), fmt, ap);
    if (sec && key)
        snprintf(p->errstr, p->errstr_size, "%s:%d: [%s] %s: %s", p->file,
                 line, sec->title, key, why);
    else if (sec)
        snprintf(p->errstr, p->errstr_size, "%s:%d: [%s]: %s", p->file, line,
                 sec->title, why);
    else
        snprintf(p->errstr, p->errstr_size, "%s:%d: %s", p->file, line, why);
}

__attribute__((format(printf, 5, 6))) static void
perr(parse_t *p, int line, const section_t *sec, const char *key,
     const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(p, line, sec, key, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 2, 3))) static int bad(const loc_t *l,
                                                     const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(l->p, l->line, l->sec, l->key, fmt, ap);
    va_end(ap);
    return -1;
}

static seen_t *find_seen(const section_t *sec, const char *key) {
    for (size_t i = 0; i < sec->n_seen; i++)
        if (!strcmp(sec->seen[i].key, key))
            return &sec->seen[i];
    return NULL;
}

static section_t *find_section(const parse_t *p, enum sect_kind kind,
                               const char *title) {
    for (size_t i = 0; i < p->n_sections; i++) {
        section_t *s = p->sections[i];
        if (s->kind == kind && !strcmp(s->title, title))
            return s;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Typed value readers: each returns 0, or -1 after reporting           */
/* ------------------------------------------------------------------ */

static int get_duration(const loc_t *l, const char *v, int64_t min_ms,
                        int64_t *out) {
    int64_t ms;
    if (mon_config_parse_duration(v, &ms) != 0)
        return bad(l,
                   "bad duration '%s' (an integer of seconds, or with "
                   "ms, s, m, h or d; at most 3650d)",
                   v);
    if (ms < min_ms)
        return min_ms == 1 ? bad(l, "must be greater than 0")
                           : bad(l, "must be at least %lld ms",
                                 (long long)min_ms);
    *out = ms;
    return 0;
}

static int get_int(const loc_t *l, const char *v, long long min,
                   long long max, long long *out) {
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
    if (!ok)
        return bad(l, "'%s' is not an integer", v);
    if (x < min || x > max)
        return bad(l, "%lld is out of range %lld..%lld", x, min, max);
    *out = x;
    return 0;
}

static int get_double(const loc_t *l, const char *v, double min, double max,
                      bool min_exclusive, double *out) {
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
    if (!ok)
        return bad(l, "'%s' is not a number", v);
    if (min_exclusive && (x <= min || x > max))
        return bad(l, "%s must be above %g and at most %g", v, min, max);
    if (!min_exclusive && (x < min || x > max))
        return bad(l, "%s must be between %g and %g", v, min, max);
    *out = x;
    return 0;
}

static int get_bool(const loc_t *l, const char *v, bool *out) {
    if (mon_config_parse_bool(v, out) != 0)
        return bad(l, "'%s' is not a boolean (true/false, yes/no, on/off, "
                      "1/0)", v);
    return 0;
}

static int get_regex(const loc_t *l, const char *v, mon_config_regex_t **out) {
    mon_config_regex_t *rx = mon_calloc(1, sizeof(*rx));
    int rc = regcomp(&rx->re, v, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &rx->re, msg, sizeof(msg));
        free(rx);
        return bad(l, "bad regex '%s': %s", v, msg);
    }
    rx->pattern = mon_strdup(v);
    regex_free(*out);
    *out = rx;
    return 0;
}

/* Replaces ${NAME} by the environment variable NAME; "$${" is a literal
 * "${". Returns a new string, or NULL after reporting. */
static char *expand_env(const loc_t *l, const char *v) {
    sbuf_t sb = {0};
    sb_add(&sb, "", 0);
    for (const char *q = v; *q;) {
        if (q[0] == '$' && q[1] == '$' && q[2] == '{') {
            sb_add(&sb, "${", 2);
            q += 3;
            continue;
        }
        if (q[0] != '$' || q[1] != '{') {
            sb_add(&sb, q, 1);
            q++;
            continue;
        }
        const char *name = q + 2;
        const char *close = strchr(name, '}');
        if (!close) {
            bad(l, "unterminated '${' (write $${ for a literal)");
            goto fail;
        }
        char *var = mon_strndup(name, (size_t)(close - name));
        bool ok = var[0] && !isdigit((unsigned char)var[0]);
        for (const char *c = var; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || *c == '_';
        if (!ok) {
            bad(l, "bad environment variable name '%s'", var);
            free(var);
            goto fail;
        }
        const char *val = getenv(var);
        if (!val) {
            bad(l, "environment variable %s is not set", var);
            free(var);
            goto fail;
        }
        free(var);
        sb_add(&sb, val, strlen(val));
        q = close + 1;
    }
    return sb.s;
fail:
    free(sb.s);
    return NULL;
}

static int get_url(const loc_t *l, const char *v, char **out) {
    if (strncasecmp(v, "http://", 7) != 0 &&
        strncasecmp(v, "https://", 8) != 0)
        return bad(l, "'%s' must start with http:// or https://", v);
    if (has_ctl(v) || strchr(v, ' '))
        return bad(l, "URL contains a space or control character");
    set_str(out, v);
    return 0;
}

static int get_method(const loc_t *l, const char *v, char **out) {
    static const char *methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (!strcasecmp(v, methods[i])) {
            set_str(out, methods[i]);
            return 0;
        }
    }
    return bad(l, "'%s' is not one of GET, POST, PUT, PATCH, DELETE", v);
}

static int get_readable(const loc_t *l, const char *v, char **out) {
    FILE *f = fopen(v, "r");
    if (!f)
        return bad(l, "cannot read '%s': %s", v, strerror(errno));
    struct stat st;
    bool reg = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    fclose(f);
    if (!reg)
        return bad(l, "'%s' is not a regular file", v);
    set_str(out, v);
    return 0;
}

static bool is_tchar(unsigned char c) {
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "Name: value; Name2: value" -> pairs. */
static int get_headers(const loc_t *l, const char *v,
                       mon_config_kv_t **kv, size_t *n) {
    /* inih cut the value at " ;"; refuse rather than lose headers. */
    const char *eq = strpbrk(l->p->raw, "=:");
    for (const char *q = eq ? eq : l->p->raw; *q; q++)
        if (q[0] == ';' && q > l->p->raw && isspace((unsigned char)q[-1]))
            return bad(l, "' ;' starts a comment; separate headers with ';' "
                          "and no space before it");
    const char *seg = v;
    while (*seg) {
        const char *end = strchr(seg, ';');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char *one = trim_copy(seg, len);
        seg += len + (end ? 1 : 0);
        if (!one[0]) {
            free(one);
            continue;
        }
        char *colon = strchr(one, ':');
        if (!colon) {
            bad(l, "header '%s' has no ':' (write Name: value)", one);
            free(one);
            return -1;
        }
        char *name = trim_copy(one, (size_t)(colon - one));
        char *val = trim_copy(colon + 1, strlen(colon + 1));
        free(one);
        int rc = 0;
        bool tok = name[0] != '\0';
        for (const char *c = name; tok && *c; c++)
            tok = is_tchar((unsigned char)*c);
        if (!tok)
            rc = bad(l, "bad header name '%s'", name);
        else if (!val[0])
            rc = bad(l, "header '%s' has no value", name);
        else if (has_ctl(val))
            rc = bad(l, "header '%s' has a control character", name);
        else if (!strncasecmp(name, "X-Warren-", 9) ||
                 !strcasecmp(name, "Content-Length") ||
                 !strcasecmp(name, "Host"))
            rc = bad(l, "header '%s' is set by Warren", name);
        if (rc == 0)
            kv_add(kv, n, name, val);
        free(name);
        free(val);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* "host:port, host:port" -> normalized "host:port,host:port". */
static int get_servers(const loc_t *l, const char *v, char **out) {
    sbuf_t sb = {0};
    const char *seg = v;
    size_t count = 0;
    while (true) {
        const char *end = strchr(seg, ',');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char *one = trim_copy(seg, len);
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
            bad(l, "'%s' is not host:port (port 1..65535)", one);
            free(one);
            free(sb.s);
            return -1;
        }
        if (count++)
            sb_add(&sb, ",", 1);
        sb_add(&sb, one, strlen(one));
        free(one);
        if (!end)
            break;
        seg = end + 1;
    }
    free(*out);
    *out = sb.s;
    return 0;
}

static int get_groups(const loc_t *l, const char *v, char ***groups,
                      size_t *n) {
    const char *seg = v;
    while (true) {
        const char *end = strchr(seg, ',');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        char *one = trim_copy(seg, len);
        if (!one[0]) {
            free(one);
            return bad(l, "empty group name in the list");
        }
        *groups = mon_realloc(*groups, (*n + 1) * sizeof(char *));
        (*groups)[(*n)++] = one;
        if (!end)
            break;
        seg = end + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Section key handlers: 0 ok, -1 error reported, 1 unknown key          */
/* ------------------------------------------------------------------ */

static int set_general(const loc_t *l, const char *k, const char *v) {
    mon_config_general_t *g = &l->p->cfg->general;
    if (!strcmp(k, "log-format")) {
        if (!strcmp(v, "text"))
            g->log_format = MON_LOG_TEXT;
        else if (!strcmp(v, "json"))
            g->log_format = MON_LOG_JSON;
        else
            return bad(l, "'%s' is not text or json", v);
        return 0;
    }
    if (!strcmp(k, "log-level")) {
        static const struct {
            const char *name;
            mon_log_level_t level;
        } levels[] = {{"debug", MON_LOG_DEBUG},
                      {"info", MON_LOG_INFO},
                      {"warn", MON_LOG_WARN},
                      {"error", MON_LOG_ERROR}};
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
            if (!strcmp(v, levels[i].name)) {
                g->log_level = levels[i].level;
                return 0;
            }
        }
        return bad(l, "'%s' is not debug, info, warn or error", v);
    }
    if (!strcmp(k, "data-dir")) {
        set_str(&g->data_dir, v);
        return 0;
    }
    if (!strcmp(k, "snapshot-interval"))
        return get_duration(l, v, 1, &g->snapshot_interval_ms);
    if (!strcmp(k, "access-control-allow-origin")) {
        if (has_ctl(v))
            return bad(l, "contains a control character");
        set_str(&g->access_control_allow_origin, v);
        return 0;
    }
    if (!strcmp(k, "dashboard-url")) {
        if (get_url(l, v, &g->dashboard_url) != 0)
            return -1;
        g->dashboard_url_explicit = true;
        return 0;
    }
    if (!strcmp(k, "history-retention"))
        return get_duration(l, v, 1, &g->history_retention_ms);
    if (!strcmp(k, "name")) {
        if (strlen(v) > 255 || has_ctl(v))
            return bad(l, "must be 1-255 printable characters");
        set_str(&g->name, v);
        return 0;
    }
    return 1;
}

static int set_http(const loc_t *l, const char *k, const char *v) {
    mon_config_http_t *h = &l->p->cfg->http;
    long long x;
    if (!strcmp(k, "listen")) {
        char why[256], *host;
        int port, fam;
        if (parse_listen(v, &host, &port, &fam, why, sizeof(why)) != 0)
            return bad(l, "%s", why);
        set_str(&h->listen, v);
        free(h->listen_host);
        h->listen_host = host;
        h->listen_port = port;
        h->listen_family = fam;
        return 0;
    }
    if (!strcmp(k, "admin-token")) {
        char *tok = expand_env(l, v);
        if (!tok)
            return -1;
        for (const char *c = tok; *c; c++) {
            if (!isgraph((unsigned char)*c)) {
                free(tok);
                return bad(l, "must not contain spaces or control "
                              "characters");
            }
        }
        free(h->admin_token);
        h->admin_token = tok;
        return 0;
    }
    size_t *sz = !strcmp(k, "max-body")     ? &h->max_body
                 : !strcmp(k, "max-url")    ? &h->max_url
                 : !strcmp(k, "max-header") ? &h->max_header
                                            : NULL;
    if (sz) {
        if (get_int(l, v, 1, 1LL << 30, &x) != 0)
            return -1;
        *sz = (size_t)x;
        return 0;
    }
    if (!strcmp(k, "timeout"))
        return get_duration(l, v, 1, &h->timeout_ms);
    if (!strcmp(k, "threads")) {
        if (get_int(l, v, 1, 256, &x) != 0)
            return -1;
        h->threads = (int)x;
        return 0;
    }
    return 1;
}

static int set_storage(const loc_t *l, const char *k, const char *v) {
    mon_config_storage_t *s = &l->p->cfg->storage;
    long long x;
    if (!strcmp(k, "intervals")) {
        if (get_int(l, v, 1, 1000, &x) != 0)
            return -1;
        s->intervals = (int)x;
        return 0;
    }
    if (!strcmp(k, "min-distance"))
        return get_duration(l, v, 0, &s->min_distance_ms);
    if (!strcmp(k, "expire-group"))
        return get_duration(l, v, 1, &s->expire_group_ms);
    if (!strcmp(k, "group-allowlist"))
        return get_regex(l, v, &s->group_allowlist);
    if (!strcmp(k, "group-denylist"))
        return get_regex(l, v, &s->group_denylist);
    return 1;
}

static int set_evaluator(const loc_t *l, const char *k, const char *v) {
    mon_config_evaluator_t *e = &l->p->cfg->evaluator;
    long long x;
    if (!strcmp(k, "expire-cache"))
        return get_duration(l, v, 0, &e->expire_cache_ms);
    if (!strcmp(k, "allowed-lag")) {
        if (get_int(l, v, 0, INT64_MAX, &x) != 0)
            return -1;
        e->allowed_lag = x;
        return 0;
    }
    if (!strcmp(k, "minimum-complete"))
        return get_double(l, v, 0.0, 1.0, false, &e->minimum_complete);
    return 1;
}

/* Which sources a cluster key applies to; false for an unknown key. */
static bool cluster_key_mask(const char *k, unsigned *mask) {
    static const struct {
        const char *key;
        unsigned mask;
    } keys[] = {
        {"source", SRC_ALL},          {"offset-refresh", SRC_ALL},
        {"topic-refresh", SRC_ALL},   {"data-dir", SRC_EMB},
        {"file", SRC_REP},            {"speed", SRC_REP},
        {"loop", SRC_REP},            {"servers", SRC_KAF},
        {"offsets", SRC_KAF},         {"groups", SRC_KAF},
        {"group-allowlist", SRC_KAF}, {"group-denylist", SRC_KAF},
        {"topic-allowlist", SRC_KAF}, {"topic-denylist", SRC_KAF},
        {"internal-topics", SRC_KAF},
    };
    if (!strncmp(k, "kafka.", 6)) {
        *mask = SRC_KAF;
        return true;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!strcmp(k, keys[i].key)) {
            *mask = keys[i].mask;
            return true;
        }
    }
    return false;
}

static int set_cluster(const loc_t *l, const char *k, const char *v) {
    mon_config_cluster_t *cl = l->sec->cluster;
    if (!strcmp(k, "source")) {
        for (int i = 0; i < 3; i++) {
            if (!strcmp(v, source_names[i])) {
                cl->source = (mon_config_source_t)i;
                return 0;
            }
        }
        return bad(l, "'%s' is not embedded, replay or kafka", v);
    }
    if (!strcmp(k, "offset-refresh"))
        return get_duration(l, v, 1, &cl->offset_refresh_ms);
    if (!strcmp(k, "topic-refresh"))
        return get_duration(l, v, 1, &cl->topic_refresh_ms);
    if (!strcmp(k, "data-dir")) {
        set_str(&cl->data_dir, v);
        cl->data_dir_explicit = true;
        return 0;
    }
    if (!strcmp(k, "file")) {
        set_str(&cl->file, v);
        return 0;
    }
    if (!strcmp(k, "speed"))
        return get_double(l, v, 0.0, 1e6, true, &cl->speed);
    if (!strcmp(k, "loop"))
        return get_bool(l, v, &cl->loop);
    if (!strcmp(k, "servers"))
        return get_servers(l, v, &cl->servers);
    if (!strcmp(k, "offsets")) {
        if (!strcmp(v, "admin"))
            cl->offsets = MON_CONFIG_OFFSETS_ADMIN;
        else if (!strcmp(v, "offsets-topic"))
            cl->offsets = MON_CONFIG_OFFSETS_TOPIC;
        else
            return bad(l, "'%s' is not admin or offsets-topic", v);
        return 0;
    }
    if (!strcmp(k, "groups"))
        return get_groups(l, v, &cl->groups, &cl->n_groups);
    if (!strcmp(k, "group-allowlist"))
        return get_regex(l, v, &cl->group_allowlist);
    if (!strcmp(k, "group-denylist"))
        return get_regex(l, v, &cl->group_denylist);
    if (!strcmp(k, "topic-allowlist"))
        return get_regex(l, v, &cl->topic_allowlist);
    if (!strcmp(k, "topic-denylist"))
        return get_regex(l, v, &cl->topic_denylist);
    if (!strcmp(k, "internal-topics"))
        return get_bool(l, v, &cl->internal_topics);
    if (!strncmp(k, "kafka.", 6)) {
        const char *prop = k + 6;
        bool ok = prop[0] != '\0';
        for (const char *c = prop; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || strchr("._-", *c);
        if (!ok)
            return bad(l, "bad librdkafka property name '%s'", prop);
        if (!strcmp(prop, "bootstrap.servers") ||
            !strcmp(prop, "metadata.broker.list"))
            return bad(l, "set the brokers with 'servers'");
        char *val = expand_env(l, v);
        if (!val)
            return -1;
        kv_add(&cl->kafka_props, &cl->n_kafka_props, prop, val);
        free(val);
        return 0;
    }
    return 1;
}

static int set_notifier(const loc_t *l, const char *k, const char *v) {
    mon_config_notifier_t *nt = l->sec->notifier;
    long long x;
    if (!strcmp(k, "url-open"))
        return get_url(l, v, &nt->url_open);
    if (!strcmp(k, "url-close"))
        return get_url(l, v, &nt->url_close);
    if (!strcmp(k, "method-open"))
        return get_method(l, v, &nt->method_open);
    if (!strcmp(k, "method-close"))
        return get_method(l, v, &nt->method_close);
    if (!strcmp(k, "headers")) {
        char *val = expand_env(l, v);
        if (!val)
            return -1;
        int rc = get_headers(l, val, &nt->headers, &nt->n_headers);
        free(val);
        return rc;
    }
    if (!strcmp(k, "timeout"))
        return get_duration(l, v, 1, &nt->timeout_ms);
    if (!strcmp(k, "interval"))
        return get_duration(l, v, 1, &nt->interval_ms);
    if (!strcmp(k, "send-interval"))
        return get_duration(l, v, 0, &nt->send_interval_ms);
    if (!strcmp(k, "threshold")) {
        if (!strcasecmp(v, "WARN") || !strcmp(v, "2"))
            nt->threshold = EV_WARN;
        else if (!strcasecmp(v, "ERR") || !strcmp(v, "3"))
            nt->threshold = EV_ERR;
        else
            return bad(l, "'%s' is not WARN, ERR, 2 or 3", v);
        return 0;
    }
    if (!strcmp(k, "send-close"))
        return get_bool(l, v, &nt->send_close);
    if (!strcmp(k, "send-once"))
        return get_bool(l, v, &nt->send_once);
    if (!strcmp(k, "group-allowlist"))
        return get_regex(l, v, &nt->group_allowlist);
    if (!strcmp(k, "group-denylist"))
        return get_regex(l, v, &nt->group_denylist);
    if (!strcmp(k, "template-open"))
        return get_readable(l, v, &nt->template_open);
    if (!strcmp(k, "template-close"))
        return get_readable(l, v, &nt->template_close);
    if (!strcmp(k, "secret")) {
        char *val = expand_env(l, v);
        if (!val)
            return -1;
        if (!val[0]) {
            free(val);
            return bad(l, "is empty (remove the key to send unsigned)");
        }
        free(nt->secret);
        nt->secret = val;
        return 0;
    }
    int *iv = !strcmp(k, "open-after")    ? &nt->open_after
              : !strcmp(k, "close-after") ? &nt->close_after
                                          : NULL;
    if (iv) {
        if (get_int(l, v, 1, 1000000, &x) != 0)
            return -1;
        *iv = (int)x;
        return 0;
    }
    if (!strcmp(k, "max-retries")) {
        if (get_int(l, v, 0, 20, &x) != 0)
            return -1;
        nt->max_retries = (int)x;
        return 0;
    }
    if (!strncmp(k, "extras.", 7)) {
        const char *name = k + 7;
        bool ok = name[0] != '\0';
        for (const char *c = name; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || *c == '_' || *c == '-';
        if (!ok)
            return bad(l, "extras name '%s' must be letters, digits, _ "
                          "or -", name);
        char *val = expand_env(l, v);
        if (!val)
            return -1;
        kv_add(&nt->extras, &nt->n_extras, name, val);
        free(val);
        return 0;
    }
    return 1;
}

/* Whether key exists in a section of that kind (cluster keys: see
 * cluster_key_mask). */
static bool key_known(enum sect_kind kind, const char *k) {
    static const char *const general[] = {
        "log-format", "log-level", "data-dir", "snapshot-interval",
        "access-control-allow-origin", "dashboard-url", "history-retention",
        "name", NULL};
    static const char *const http[] = {"listen",     "admin-token",
                                       "max-body",   "max-url",
                                       "max-header", "timeout",
                                       "threads",    NULL};
    static const char *const storage[] = {"intervals", "min-distance",
                                          "expire-group", "group-allowlist",
                                          "group-denylist", NULL};
    static const char *const evaluator[] = {"expire-cache", "allowed-lag",
                                            "minimum-complete", NULL};
    static const char *const notifier[] = {
        "url-open", "url-close", "method-open", "method-close", "headers",
        "timeout", "interval", "threshold", "send-close", "send-once",
        "send-interval", "group-allowlist", "group-denylist",
        "template-open", "template-close", "secret", "open-after",
        "close-after", "max-retries", NULL};
    const char *const *list;
    unsigned mask;
    switch (kind) {
    case SECT_GENERAL:
        list = general;
        break;
    case SECT_HTTP:
        list = http;
        break;
    case SECT_STORAGE:
        list = storage;
        break;
    case SECT_EVALUATOR:
        list = evaluator;
        break;
    case SECT_CLUSTER:
        return cluster_key_mask(k, &mask);
    default:
        if (!strncmp(k, "extras.", 7))
            return true;
        list = notifier;
        break;
    }
    for (; *list; list++)
        if (!strcmp(*list, k))
            return true;
    return false;
}

/* Keys whose value may be empty; every other key needs a value. */
static bool empty_ok(const char *k) {
    return !strcmp(k, "admin-token") ||
           !strcmp(k, "access-control-allow-origin") ||
           !strncmp(k, "kafka.", 6) || !strncmp(k, "extras.", 7);
}

/* ------------------------------------------------------------------ */
/* inih callbacks                                                       */
/* ------------------------------------------------------------------ */

static int on_pair(void *user, const char *section, const char *name,
                   const char *value) {
    parse_t *p = user;
    (void)section; /* inih truncates it; p->cur is the real section */
    if (p->failed)
        return 1;
    section_t *sec = p->cur;
    if (!sec) {
        perr(p, p->lineno, NULL, NULL,
             "key '%s' comes before any [section]", name);
        return 1;
    }
    if (!name[0]) {
        perr(p, p->lineno, sec, NULL, "missing key name before '='");
        return 1;
    }
    loc_t l = {p, sec, name, p->lineno};
    seen_t *prev = find_seen(sec, name);
    if (prev) {
        bad(&l, "duplicate key (first set at line %d)", prev->line);
        return 1;
    }
    unsigned mask = SRC_ALL;
    if (!key_known(sec->kind, name)) {
        bad(&l, "unknown key");
        return 1;
    }
    if (sec->kind == SECT_CLUSTER)
        cluster_key_mask(name, &mask);
    if (!value[0] && !empty_ok(name)) {
        bad(&l, "empty value");
        return 1;
    }
    int rc;
    switch (sec->kind) {
    case SECT_GENERAL:
        rc = set_general(&l, name, value);
        break;
    case SECT_HTTP:
        rc = set_http(&l, name, value);
        break;
    case SECT_STORAGE:
        rc = set_storage(&l, name, value);
        break;
    case SECT_EVALUATOR:
        rc = set_evaluator(&l, name, value);
        break;
    case SECT_CLUSTER:
        rc = set_cluster(&l, name, value);
        break;
    default:
        rc = set_notifier(&l, name, value);
        break;
    }
    if (rc == 1)
        bad(&l, "unknown key");
    if (rc != 0)
        return 1;
    sec->seen = mon_realloc(sec->seen, (sec->n_seen + 1) * sizeof(seen_t));
    sec->seen[sec->n_seen].key = mon_strdup(name);
    sec->seen[sec->n_seen].line = p->lineno;
    sec->seen[sec->n_seen].mask = mask;
    sec->n_seen++;
    return 1;
}

/* A "[kind NAME]" line (trimmed, starting with '['). Returns 0 or -1. */
static int section_begin(parse_t *p, const char *line) {
    const char *close = strchr(line, ']');
    if (!close) {
        perr(p, p->lineno, NULL, NULL, "section header without ']'");
        return -1;
    }
    const char *rest = close + 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    if (*rest && *rest != ';' && *rest != '#') {
        perr(p, p->lineno, NULL, NULL, "text after ']' in a section header");
        return -1;
    }
    char *inner = trim_copy(line + 1, (size_t)(close - line - 1));
    char *sp = inner;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    char *kind = mon_strndup(inner, (size_t)(sp - inner));
    char *name = trim_copy(sp, strlen(sp));
    section_t tmp = {.title = inner, .line = p->lineno};
    int k = -1;
    for (int i = 0; i < 6; i++)
        if (!strcmp(kind, sect_names[i]))
            k = i;
    int rc = -1;
    if (k < 0) {
        perr(p, p->lineno, &tmp, NULL,
             "unknown section (expected general, http, storage, evaluator, "
             "cluster NAME or notifier NAME)");
    } else if (k < SECT_CLUSTER && name[0]) {
        perr(p, p->lineno, &tmp, NULL, "[%s] takes no name", kind);
    } else if (k >= SECT_CLUSTER && !name[0]) {
        perr(p, p->lineno, &tmp, NULL, "missing name: [%s NAME]", kind);
    } else if (k >= SECT_CLUSTER && !valid_name(name)) {
        perr(p, p->lineno, &tmp, NULL,
             "bad name '%s' (1-64 of A-Z a-z 0-9 . _ -)", name);
    } else {
        /* canonical title: single space between kind and name */
        size_t tsz = strlen(kind) + strlen(name) + 2;
        char *title = mon_malloc(tsz);
        snprintf(title, tsz, "%s%s%s", kind, name[0] ? " " : "", name);
        section_t *dup = find_section(p, (enum sect_kind)k, title);
        if (dup) {
            tmp.title = title;
            perr(p, p->lineno, &tmp, NULL,
                 "duplicate section (first at line %d)", dup->line);
            free(title);
        } else {
            section_t *sec = mon_calloc(1, sizeof(*sec));
            sec->kind = (enum sect_kind)k;
            sec->title = title;
            sec->line = p->lineno;
            if (k == SECT_CLUSTER) {
                sec->cluster = cluster_new(name, p->lineno);
                add_cluster(p->cfg, sec->cluster);
            } else if (k == SECT_NOTIFIER) {
                sec->notifier = notifier_new(name, p->lineno);
                add_notifier(p->cfg, sec->notifier);
            }
            p->sections = mon_realloc(p->sections,
                                      (p->n_sections + 1) * sizeof(sec));
            p->sections[p->n_sections++] = sec;
            p->cur = sec;
            rc = 0;
        }
    }
    free(inner);
    free(kind);
    free(name);
    return rc;
}

/* ini_reader: hands inih one whole line at a time, trimmed, and keeps the
 * line count and the current section. Returns NULL at the end or after an
 * error (which stops the parse). */
static char *read_line(char *buf, int num, void *stream) {
    parse_t *p = stream;
    if (p->failed || p->pos >= p->len || num < 2)
        return NULL;
    const char *start = p->text + p->pos;
    size_t avail = p->len - p->pos;
    const char *nl = memchr(start, '\n', avail);
    size_t len = nl ? (size_t)(nl - start) : avail;
    p->pos += len + (nl ? 1 : 0);
    p->lineno++;
    if (p->lineno == 1 && len >= 3 && !memcmp(start, "\xEF\xBB\xBF", 3)) {
        start += 3;
        len -= 3;
    }
    if (memchr(start, '\0', len)) {
        perr(p, p->lineno, NULL, NULL, "NUL byte in the line");
        return NULL;
    }
    while (len > 0 && isspace((unsigned char)*start)) {
        start++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)start[len - 1]))
        len--;
    if (len > (size_t)num - 1) {
        perr(p, p->lineno, NULL, NULL, "line too long (%zu bytes, at most %d)",
             len, num - 1);
        return NULL;
    }
    memcpy(buf, start, len);
    buf[len] = '\0';
    free(p->raw);
    p->raw = mon_strndup(start, len);
    if (buf[0] == '[' && section_begin(p, buf) != 0)
        return NULL;
    return buf;
}

/* ------------------------------------------------------------------ */
/* Whole-file checks and loading                                        */
/* ------------------------------------------------------------------ */

static void finish(parse_t *p) {
    mon_config_t *cfg = p->cfg;
    for (size_t i = 0; i < p->n_sections && !p->failed; i++) {
        section_t *sec = p->sections[i];
        if (sec->kind == SECT_CLUSTER) {
            mon_config_cluster_t *cl = sec->cluster;
            if (!find_seen(sec, "source")) {
                perr(p, sec->line, sec, NULL,
                     "missing required key 'source' (embedded, replay or "
                     "kafka)");
                break;
            }
            unsigned bit = 1u << cl->source;
            for (size_t j = 0; j < sec->n_seen; j++) {
                seen_t *s = &sec->seen[j];
                if (s->mask && !(s->mask & bit)) {
                    const char *want = s->mask == SRC_EMB   ? "embedded"
                                       : s->mask == SRC_REP ? "replay"
                                                            : "kafka";
                    perr(p, s->line, sec, s->key,
                         "only valid with source = %s (this cluster's "
                         "source is %s)",
                         want, source_names[cl->source]);
                    break;
                }
            }
            if (!p->failed && cl->source == MON_CONFIG_SOURCE_KAFKA &&
                !cl->servers)
                perr(p, sec->line, sec, NULL,
                     "missing required key 'servers' (source = kafka)");
            if (!p->failed && cl->source == MON_CONFIG_SOURCE_REPLAY &&
                !cl->file)
                perr(p, sec->line, sec, NULL,
                     "missing required key 'file' (source = replay)");
        } else if (sec->kind == SECT_NOTIFIER) {
            mon_config_notifier_t *nt = sec->notifier;
            if (!nt->url_open)
                perr(p, sec->line, sec, NULL,
                     "missing required key 'url-open'");
            else if (nt->send_close && !nt->url_close)
                perr(p, sec->line, sec, NULL,
                     "missing required key 'url-close' (send-close is "
                     "true)");
            if (!find_seen(sec, "send-interval"))
                nt->send_interval_ms = nt->interval_ms;
        }
    }
    if (p->failed)
        return;
    if (cfg->n_clusters == 0)
        add_cluster(cfg, cluster_new("local", 0));
    derive(cfg);
    size_t first;
    long j = embedded_clash(cfg, &first);
    if (j >= 0) {
        const mon_config_cluster_t *b = cfg->clusters[j];
        section_t *sec = NULL;
        for (size_t i = 0; i < p->n_sections; i++)
            if (p->sections[i]->cluster == b)
                sec = p->sections[i];
        seen_t *s = sec ? find_seen(sec, "data-dir") : NULL;
        perr(p, s ? s->line : b->line, sec, "data-dir",
             "'%s' is also the broker directory of cluster '%s'; give each "
             "embedded cluster its own data-dir",
             b->data_dir, cfg->clusters[first]->name);
    }
}

static void parse_free(parse_t *p) {
    for (size_t i = 0; i < p->n_sections; i++) {
        section_t *sec = p->sections[i];
        for (size_t j = 0; j < sec->n_seen; j++)
            free(sec->seen[j].key);
        free(sec->seen);
        free(sec->title);
        free(sec);
    }
    free(p->sections);
    free(p->raw);
}

static mon_config_t *load_text(const char *text, size_t len,
                               const char *name, const char *path,
                               char *errstr, size_t errstr_size) {
    mon_config_t *cfg = config_alloc();
    if (path)
        cfg->path = mon_strdup(path);
    parse_t p = {.cfg = cfg,
                 .file = name,
                 .text = text,
                 .len = len,
                 .errstr = errstr,
                 .errstr_size = errstr_size};
    int rc = ini_parse_stream(read_line, &p, on_pair, &p);
    if (rc > 0 && (!p.failed || rc < p.err_line)) {
        p.failed = false;
        perr(&p, rc, NULL, NULL,
             "syntax error: expected 'key = value', '[section]' or a "
             "comment");
    } else if (rc < 0 && !p.failed) {
        perr(&p, p.lineno, NULL, NULL, "ini parser failed (%d)", rc);
    }
    if (!p.failed)
        finish(&p);
    parse_free(&p);
    if (p.failed) {
        mon_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}

mon_config_t *mon_config_load_string(const char *text, const char *name,
                                     char *errstr, size_t errstr_size) {
    return load_text(text, strlen(text), name ? name : "<string>", NULL,
                     errstr, errstr_size);
}

mon_config_t *mon_config_load_file(const char *path, char *errstr,
                                   size_t errstr_size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errstr_size, "%s: cannot open: %s", path,
                 strerror(errno));
        return NULL;
    }
    char *buf = mon_malloc(MAX_FILE_BYTES + 1);
    size_t n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    bool rerr = ferror(f);
    int saved = errno;
    fclose(f);
    mon_config_t *cfg = NULL;
    if (rerr)
        snprintf(errstr, errstr_size, "%s: cannot read: %s", path,
                 strerror(saved));
    else if (n > MAX_FILE_BYTES)
        snprintf(errstr, errstr_size, "%s: larger than %d bytes", path,
                 MAX_FILE_BYTES);
    else
        cfg = load_text(buf, n, path, path, errstr, errstr_size);
    free(buf);
    return cfg;
}

/* ------------------------------------------------------------------ */
/* Overrides and accessors                                              */
/* ------------------------------------------------------------------ */

int mon_config_override(mon_config_t *cfg, const char *listen,
                        const char *data_dir, char *errstr,
                        size_t errstr_size) {
    char *host = NULL;
    int port = 0, fam = 0;
    if (listen) {
        char why[256];
        if (parse_listen(listen, &host, &port, &fam, why, sizeof(why)) != 0) {
            snprintf(errstr, errstr_size, "--listen: %s", why);
            return -1;
        }
    }
    if (data_dir && !data_dir[0]) {
        free(host);
        snprintf(errstr, errstr_size, "--data-dir: empty path");
        return -1;
    }
    char *old_dir = mon_strdup(cfg->general.data_dir);
    if (data_dir)
        set_str(&cfg->general.data_dir, data_dir);
    derive(cfg);
    size_t first;
    long j = embedded_clash(cfg, &first);
    if (j >= 0) {
        snprintf(errstr, errstr_size,
                 "--data-dir: cluster '%s' would share its broker directory "
                 "'%s' with cluster '%s'",
                 cfg->clusters[j]->name, cfg->clusters[j]->data_dir,
                 cfg->clusters[first]->name);
        set_str(&cfg->general.data_dir, old_dir);
        derive(cfg);
        free(old_dir);
        free(host);
        return -1;
    }
    free(old_dir);
    if (listen) {
        mon_config_http_t *h = &cfg->http;
        set_str(&h->listen, listen);
        free(h->listen_host);
        h->listen_host = host;
        h->listen_port = port;
        h->listen_family = fam;
        derive(cfg);
    }
    return 0;
}

void mon_config_set_bound_port(mon_config_t *cfg, int port) {
    WARREN_ASSERT(port >= 0 && port <= 65535);
    cfg->http.listen_port = port;
    derive(cfg);
}

const char *mon_config_path(const mon_config_t *cfg) {
    return cfg->path;
}

const mon_config_general_t *mon_config_general(const mon_config_t *cfg) {
    return &cfg->general;
}

const mon_config_http_t *mon_config_http(const mon_config_t *cfg) {
    return &cfg->http;
}

const mon_config_storage_t *mon_config_storage(const mon_config_t *cfg) {
    return &cfg->storage;
}

const mon_config_evaluator_t *mon_config_evaluator(const mon_config_t *cfg) {
    return &cfg->evaluator;
}

size_t mon_config_cluster_count(const mon_config_t *cfg) {
    return cfg->n_clusters;
}

const mon_config_cluster_t *mon_config_cluster_at(const mon_config_t *cfg,
                                                  size_t i) {
    return i < cfg->n_clusters ? cfg->clusters[i] : NULL;
}

const mon_config_cluster_t *mon_config_cluster_find(const mon_config_t *cfg,
                                                    const char *name) {
    for (size_t i = 0; i < cfg->n_clusters; i++)
        if (!strcmp(cfg->clusters[i]->name, name))
            return cfg->clusters[i];
    return NULL;
}

size_t mon_config_notifier_count(const mon_config_t *cfg) {
    return cfg->n_notifiers;
}

const mon_config_notifier_t *mon_config_notifier_at(const mon_config_t *cfg,
                                                    size_t i) {
    return i < cfg->n_notifiers ? cfg->notifiers[i] : NULL;
}

const mon_config_notifier_t *
mon_config_notifier_find(const mon_config_t *cfg, const char *name) {
    for (size_t i = 0; i < cfg->n_notifiers; i++)
        if (!strcmp(cfg->notifiers[i]->name, name))
            return cfg->notifiers[i];
    return NULL;
}

int mon_config_use_replay(mon_config_t *cfg, const char *file, double speed,
                          char *errstr, size_t errstr_size) {
    if (!file || !file[0]) {
        snprintf(errstr, errstr_size, "--replay: empty file name");
        return -1;
    }
    if (!(speed > 0) || speed > 1e6) {
        snprintf(errstr, errstr_size,
                 "--speed: must be a number above 0 and at most 1000000");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_clusters; i++)
        cluster_free(cfg->clusters[i]);
    cfg->n_clusters = 0;
    mon_config_cluster_t *cl = cluster_new("local", 0);
    cl->source = MON_CONFIG_SOURCE_REPLAY;
    cl->file = mon_strdup(file);
    cl->speed = speed;
    add_cluster(cfg, cl);
    return 0;
}
