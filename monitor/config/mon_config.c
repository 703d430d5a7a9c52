/* SPDX-License-Identifier: Apache-2.0 */
/* mon_config: reads Warren's INI configuration (see mon_config.h).
 *
 * libinih splits lines into sections and key/value pairs; this file feeds
 * it through its own line reader (ini_parse_stream) so that it knows the
 * line number of every key without INI_HANDLER_LINENO, can track section
 * headers itself (inih truncates names at 49 bytes and never reports an
 * empty section), refuses over-long lines instead of letting inih split
 * them, and strips indentation so an indented key is never taken for a
 * continuation line. Every key is a row of the table in mon_config_keys.c:
 * this file finds the row, refuses unknown, repeated and empty keys, and
 * lets the row's type parse the value into its field. Checks that need a
 * whole section (required keys, keys of another source) run at the end.
 * The first error wins and stops the parse.
 */
#include "monitor/config/mon_config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/base/mon_mem.h"
#include "monitor/config/mon_config_int.h"

#define MAX_FILE_BYTES (1024 * 1024)
#define MAX_NAME_LEN 64

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */
/* ------------------------------------------------------------------ */

static void set_str(char **dst, const char *s) {
    free(*dst);
    *dst = s ? mon_strdup(s) : NULL;
}

static bool valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > MAX_NAME_LEN) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
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
    if (gethostname(host, sizeof(host)) != 0) return mon_strdup("warren");
    host[sizeof(host) - 1] = '\0';
    return mon_strdup(host[0] ? host : "warren");
}

bool mon_config_name_allowed(const mon_config_regex_t *allow,
                             const mon_config_regex_t *deny, const char *name) {
    if (allow && regexec(&allow->re, name, 0, NULL, 0) != 0) return false;
    if (deny && regexec(&deny->re, name, 0, NULL, 0) == 0) return false;
    return true;
}

/* ------------------------------------------------------------------ */
/* Defaults and derived values                                          */
/* ------------------------------------------------------------------ */

static mon_config_cluster_t *cluster_new(const char *name, int line) {
    mon_config_cluster_t *cl = mon_calloc(1, sizeof(*cl));
    mon_config_apply_defaults(MON_CONFIG_SECT_CLUSTER, cl);
    cl->name = mon_strdup(name);
    cl->line = line;
    cl->source = MON_CONFIG_SOURCE_EMBEDDED; /* required in a file */
    return cl;
}

static void cluster_free(mon_config_cluster_t *cl) {
    if (!cl) return;
    mon_config_free_fields(MON_CONFIG_SECT_CLUSTER, cl);
    free(cl->name);
    free(cl);
}

static mon_config_notifier_t *notifier_new(const char *name, int line) {
    mon_config_notifier_t *nt = mon_calloc(1, sizeof(*nt));
    mon_config_apply_defaults(MON_CONFIG_SECT_NOTIFIER, nt);
    nt->name = mon_strdup(name);
    nt->line = line;
    return nt;
}

static void notifier_free(mon_config_notifier_t *nt) {
    if (!nt) return;
    mon_config_free_fields(MON_CONFIG_SECT_NOTIFIER, nt);
    free(nt->name);
    free(nt);
}

static void add_cluster(mon_config_t *cfg, mon_config_cluster_t *cl) {
    cfg->clusters =
        mon_realloc(cfg->clusters, (cfg->n_clusters + 1) * sizeof(cl));
    cfg->clusters[cfg->n_clusters++] = cl;
}

static void add_notifier(mon_config_t *cfg, mon_config_notifier_t *nt) {
    cfg->notifiers =
        mon_realloc(cfg->notifiers, (cfg->n_notifiers + 1) * sizeof(nt));
    cfg->notifiers[cfg->n_notifiers++] = nt;
}

static mon_config_t *config_alloc(void) {
    mon_config_t *cfg = mon_calloc(1, sizeof(*cfg));
    for (int s = MON_CONFIG_SECT_GENERAL; s <= MON_CONFIG_SECT_METRICS; s++)
        mon_config_apply_defaults((mon_config_sect_t)s,
                                  mon_config_sect_obj(cfg, s, 0));
    cfg->general.name = default_hostname();
    return cfg;
}

/* Recomputes values that default from others: dashboard-url from listen,
 * embedded data-dir from general data-dir. */
static void derive(mon_config_t *cfg) {
    mon_config_general_t *g = &cfg->general;
    const mon_config_http_t *h = &cfg->http;
    if (!g->dashboard_url_explicit) {
        char *host = NULL;
        if (!strcmp(h->listen_host, "0.0.0.0") || !strcmp(h->listen_host, "::"))
            host = default_hostname();
        else
            host = mon_strdup(h->listen_host);
        bool br = h->listen_family == AF_INET6 && strchr(host, ':');
        size_t sz = strlen(host) + 32;
        free(g->dashboard_url);
        g->dashboard_url = mon_malloc(sz);
        snprintf(g->dashboard_url, sz, "%s://%s%s%s:%d/",
                 h->tls_cert ? "https" : "http", br ? "[" : "", host,
                 br ? "]" : "", h->listen_port);
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
        if (a->source != MON_CONFIG_SOURCE_EMBEDDED) continue;
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

static void origins_free(mon_config_t *cfg, mon_config_sect_t only, bool all) {
    size_t kept = 0;
    for (size_t i = 0; i < cfg->n_origins; i++) {
        if (all || cfg->origins[i].sect == only)
            free(cfg->origins[i].name);
        else
            cfg->origins[kept++] = cfg->origins[i];
    }
    cfg->n_origins = kept;
    if (all) {
        free(cfg->origins);
        cfg->origins = NULL;
    }
}

void mon_config_destroy(mon_config_t *cfg) {
    if (!cfg) return;
    free(cfg->path);
    free(cfg->name);
    for (int s = MON_CONFIG_SECT_GENERAL; s <= MON_CONFIG_SECT_METRICS; s++)
        mon_config_free_fields((mon_config_sect_t)s,
                               mon_config_sect_obj(cfg, s, 0));
    free(cfg->general.dashboard_url);
    free(cfg->general.name);
    free(cfg->http.listen_host);
    for (size_t i = 0; i < cfg->n_clusters; i++)
        cluster_free(cfg->clusters[i]);
    free(cfg->clusters);
    for (size_t i = 0; i < cfg->n_notifiers; i++)
        notifier_free(cfg->notifiers[i]);
    free(cfg->notifiers);
    origins_free(cfg, MON_CONFIG_SECT_GENERAL, true);
    free(cfg);
}

int mon_config_origin_line(const mon_config_t *cfg, mon_config_sect_t sect,
                           size_t index, const char *name) {
    for (size_t i = 0; i < cfg->n_origins; i++) {
        const mon_config_origin_t *o = &cfg->origins[i];
        if (o->sect == sect && o->index == index && !strcmp(o->name, name))
            return o->line;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Parse state                                                          */
/* ------------------------------------------------------------------ */

typedef struct seen_s {
    char *key;
    int line;
    const mon_config_key_t *row;
} seen_t;

typedef struct section_s {
    mon_config_sect_t kind;
    char *title; /* "general", "cluster local" */
    int line;
    size_t index; /* cluster or notifier number */
    void *obj;    /* the struct its keys go into */
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

__attribute__((format(printf, 5, 0))) static void
verr(parse_t *p, int line, const section_t *sec, const char *key,
     const char *fmt, va_list ap) {
    if (p->failed) return;
    p->failed = true;
    p->err_line = line;
    if (!p->errstr || p->errstr_size == 0) return;
    char why[MON_CONFIG_WHY_SIZE];
    vsnprintf(why, sizeof(why), fmt, ap);
    if (sec && key)
        snprintf(p->errstr, p->errstr_size, "%s:%d: [%s] %s: %s", p->file, line,
                 sec->title, key, why);
    else if (sec)
        snprintf(p->errstr, p->errstr_size, "%s:%d: [%s]: %s", p->file, line,
                 sec->title, why);
    else
        snprintf(p->errstr, p->errstr_size, "%s:%d: %s", p->file, line, why);
}

__attribute__((format(printf, 5, 6))) static void perr(parse_t *p, int line,
                                                       const section_t *sec,
                                                       const char *key,
                                                       const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(p, line, sec, key, fmt, ap);
    va_end(ap);
}

static seen_t *find_seen(const section_t *sec, const char *key) {
    for (size_t i = 0; i < sec->n_seen; i++)
        if (!strcmp(sec->seen[i].key, key)) return &sec->seen[i];
    return NULL;
}

static bool row_seen(const section_t *sec, const mon_config_key_t *row) {
    for (size_t i = 0; i < sec->n_seen; i++)
        if (sec->seen[i].row == row) return true;
    return false;
}

static section_t *find_section(const parse_t *p, mon_config_sect_t kind,
                               const char *title) {
    for (size_t i = 0; i < p->n_sections; i++) {
        section_t *s = p->sections[i];
        if (s->kind == kind && !strcmp(s->title, title)) return s;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* inih callbacks                                                       */
/* ------------------------------------------------------------------ */

static int on_pair(void *user, const char *section, const char *name,
                   const char *value) {
    parse_t *p = user;
    (void)section; /* inih truncates it; p->cur is the real section */
    if (p->failed) return 1;
    section_t *sec = p->cur;
    if (!sec) {
        perr(p, p->lineno, NULL, NULL, "key '%s' comes before any [section]",
             name);
        return 1;
    }
    if (!name[0]) {
        perr(p, p->lineno, sec, NULL, "missing key name before '='");
        return 1;
    }
    seen_t *prev = find_seen(sec, name);
    if (prev) {
        perr(p, p->lineno, sec, name, "duplicate key (first set at line %d)",
             prev->line);
        return 1;
    }
    const mon_config_key_t *row = mon_config_key_find(sec->kind, name);
    if (!row) {
        perr(p, p->lineno, sec, name, "unknown key");
        return 1;
    }
    if (!value[0] && !(row->flags & MON_CONFIG_F_EMPTY_OK)) {
        perr(p, p->lineno, sec, name, "empty value");
        return 1;
    }
    mon_config_set_t set = {
        .key = row, .obj = sec->obj, .name = name, .raw = p->raw};
    if (mon_config_set_value(&set, value) != 0) {
        perr(p, p->lineno, sec, name, "%s", set.why);
        return 1;
    }
    sec->seen = mon_realloc(sec->seen, (sec->n_seen + 1) * sizeof(seen_t));
    sec->seen[sec->n_seen] =
        (seen_t){.key = mon_strdup(name), .line = p->lineno, .row = row};
    sec->n_seen++;
    mon_config_t *cfg = p->cfg;
    cfg->origins =
        mon_realloc(cfg->origins, (cfg->n_origins + 1) * sizeof(*cfg->origins));
    cfg->origins[cfg->n_origins++] =
        (mon_config_origin_t){.sect = sec->kind,
                              .index = sec->index,
                              .name = mon_strdup(name),
                              .line = p->lineno};
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
    char *inner = mon_config_trim_copy(line + 1, (size_t)(close - line - 1));
    char *sp = inner;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    char *kind = mon_strndup(inner, (size_t)(sp - inner));
    char *name = mon_config_trim_copy(sp, strlen(sp));
    section_t tmp = {.title = inner, .line = p->lineno};
    int k = -1;
    for (int i = 0; i < MON_CONFIG_SECT__COUNT; i++)
        if (!strcmp(kind, mon_config_sect_name((mon_config_sect_t)i))) k = i;
    bool named = k >= MON_CONFIG_SECT_CLUSTER;
    int rc = -1;
    if (k < 0) {
        perr(p, p->lineno, &tmp, NULL,
             "unknown section (expected general, http, broker, storage, "
             "evaluator, metrics, cluster NAME or notifier NAME)");
    } else if (!named && name[0]) {
        perr(p, p->lineno, &tmp, NULL, "[%s] takes no name", kind);
    } else if (named && !name[0]) {
        perr(p, p->lineno, &tmp, NULL, "missing name: [%s NAME]", kind);
    } else if (named && !valid_name(name)) {
        perr(p, p->lineno, &tmp, NULL,
             "bad name '%s' (1-64 of A-Z a-z 0-9 . _ -)", name);
    } else {
        /* canonical title: single space between kind and name */
        size_t tsz = strlen(kind) + strlen(name) + 2;
        char *title = mon_malloc(tsz);
        snprintf(title, tsz, "%s%s%s", kind, name[0] ? " " : "", name);
        section_t *dup = find_section(p, (mon_config_sect_t)k, title);
        if (dup) {
            tmp.title = title;
            perr(p, p->lineno, &tmp, NULL,
                 "duplicate section (first at line %d)", dup->line);
            free(title);
        } else {
            section_t *sec = mon_calloc(1, sizeof(*sec));
            sec->kind = (mon_config_sect_t)k;
            sec->title = title;
            sec->line = p->lineno;
            if (k == MON_CONFIG_SECT_CLUSTER) {
                sec->index = p->cfg->n_clusters;
                add_cluster(p->cfg, cluster_new(name, p->lineno));
            } else if (k == MON_CONFIG_SECT_NOTIFIER) {
                sec->index = p->cfg->n_notifiers;
                add_notifier(p->cfg, notifier_new(name, p->lineno));
            }
            sec->obj = mon_config_sect_obj(p->cfg, sec->kind, sec->index);
            p->sections =
                mon_realloc(p->sections, (p->n_sections + 1) * sizeof(sec));
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
    if (p->failed || p->pos >= p->len || num < 2) return NULL;
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
    if (buf[0] == '[' && section_begin(p, buf) != 0) return NULL;
    return buf;
}

/* ------------------------------------------------------------------ */
/* Whole-file checks and loading                                        */
/* ------------------------------------------------------------------ */

/* The parenthesis of a "missing required key" message: the sources the
 * key belongs to, or the values it takes. */
static void required_hint(const mon_config_key_t *row, char *buf, size_t size) {
    char list[256];
    buf[0] = '\0';
    if (row->sources) {
        const mon_config_enum_t *e =
            mon_config_key_find(MON_CONFIG_SECT_CLUSTER, "source")->values;
        for (; e->name; e++)
            if (row->sources & (1u << e->value)) break;
        snprintf(buf, size, " (source = %s)", e->name ? e->name : "?");
    } else if (row->values) {
        mon_config_values_text(row, list, sizeof(list));
        snprintf(buf, size, " (%s)", list);
    }
}

/* Required keys of sec: those for every source first (pass 0), those of
 * the section's source after the source checks (pass 1). */
static void check_required(parse_t *p, section_t *sec, int pass,
                           unsigned source_bit) {
    size_t n;
    const mon_config_key_t *rows = mon_config_keys(&n);
    for (size_t i = 0; i < n && !p->failed; i++) {
        const mon_config_key_t *row = &rows[i];
        if (row->sect != sec->kind || !(row->flags & MON_CONFIG_F_REQUIRED))
            continue;
        if ((pass == 0) != (row->sources == 0)) continue;
        if (row->sources && !(row->sources & source_bit)) continue;
        if (row_seen(sec, row)) continue;
        char hint[300];
        required_hint(row, hint, sizeof(hint));
        perr(p, sec->line, sec, NULL, "missing required key '%s'%s", row->name,
             hint);
    }
}

/* Keys given in a cluster of another source. */
static void check_sources(parse_t *p, section_t *sec, unsigned source_bit) {
    const mon_config_cluster_t *cl = sec->obj;
    const mon_config_key_t *src =
        mon_config_key_find(MON_CONFIG_SECT_CLUSTER, "source");
    for (size_t j = 0; j < sec->n_seen && !p->failed; j++) {
        const seen_t *s = &sec->seen[j];
        unsigned mask = s->row->sources;
        if (!mask || (mask & source_bit)) continue;
        const char *want = "?", *have = "?";
        for (const mon_config_enum_t *e = src->values; e->name; e++) {
            if (mask & (1u << e->value) && !strcmp(want, "?")) want = e->name;
            if ((int)cl->source == e->value) have = e->name;
        }
        perr(p, s->line, sec, s->key,
             "only valid with source = %s (this cluster's source is %s)", want,
             have);
    }
}

static void finish(parse_t *p) {
    mon_config_t *cfg = p->cfg;
    for (size_t i = 0; i < p->n_sections && !p->failed; i++) {
        section_t *sec = p->sections[i];
        unsigned bit = 0;
        if (sec->kind == MON_CONFIG_SECT_CLUSTER)
            bit = 1u << ((mon_config_cluster_t *)sec->obj)->source;
        check_required(p, sec, 0, bit);
        if (!p->failed && sec->kind == MON_CONFIG_SECT_CLUSTER)
            check_sources(p, sec, bit);
        if (!p->failed) check_required(p, sec, 1, bit);
        if (sec->kind == MON_CONFIG_SECT_NOTIFIER) {
            mon_config_notifier_t *nt = sec->obj;
            if (!p->failed && nt->send_close && !nt->url_close)
                perr(p, sec->line, sec, NULL,
                     "missing required key 'url-close' (send-close is "
                     "true)");
        }
        if (!p->failed && sec->kind == MON_CONFIG_SECT_HTTP) {
            mon_config_http_t *h = sec->obj;
            if (!h->tls_cert != !h->tls_key)
                perr(p, sec->line, sec, NULL,
                     "missing required key '%s' "
                     "(tls-cert and tls-key go together)",
                     h->tls_cert ? "tls-key" : "tls-cert");
        }
    }
    if (p->failed) return;
    if (cfg->n_clusters == 0) add_cluster(cfg, cluster_new("local", 0));
    derive(cfg);
    size_t first;
    long j = embedded_clash(cfg, &first);
    if (j >= 0) {
        const mon_config_cluster_t *b = cfg->clusters[j];
        section_t *sec = NULL;
        for (size_t i = 0; i < p->n_sections; i++)
            if (p->sections[i]->obj == b) sec = p->sections[i];
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

static mon_config_t *load_text(const char *text, size_t len, const char *name,
                               const char *path, char *errstr,
                               size_t errstr_size) {
    mon_config_t *cfg = config_alloc();
    if (path) cfg->path = mon_strdup(path);
    cfg->name = mon_strdup(name);
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
    if (!p.failed) finish(&p);
    parse_free(&p);
    if (p.failed) {
        mon_config_destroy(cfg);
        return NULL;
    }
    return cfg;
}

mon_config_t *mon_config_load_string(const char *text, const char *name,
                                     char *errstr, size_t errstr_size) {
    return load_text(text, strlen(text), name ? name : "<string>", NULL, errstr,
                     errstr_size);
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
        if (mon_config_parse_listen(listen, &host, &port, &fam, why,
                                    sizeof(why)) != 0) {
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
    if (data_dir) set_str(&cfg->general.data_dir, data_dir);
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

const mon_config_broker_t *mon_config_broker(const mon_config_t *cfg) {
    return &cfg->broker;
}

const mon_config_storage_t *mon_config_storage(const mon_config_t *cfg) {
    return &cfg->storage;
}

const mon_config_evaluator_t *mon_config_evaluator(const mon_config_t *cfg) {
    return &cfg->evaluator;
}

const mon_config_metrics_t *mon_config_metrics(const mon_config_t *cfg) {
    return &cfg->metrics;
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
        if (!strcmp(cfg->clusters[i]->name, name)) return cfg->clusters[i];
    return NULL;
}

size_t mon_config_notifier_count(const mon_config_t *cfg) {
    return cfg->n_notifiers;
}

const mon_config_notifier_t *mon_config_notifier_at(const mon_config_t *cfg,
                                                    size_t i) {
    return i < cfg->n_notifiers ? cfg->notifiers[i] : NULL;
}

const mon_config_notifier_t *mon_config_notifier_find(const mon_config_t *cfg,
                                                      const char *name) {
    for (size_t i = 0; i < cfg->n_notifiers; i++)
        if (!strcmp(cfg->notifiers[i]->name, name)) return cfg->notifiers[i];
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
    origins_free(cfg, MON_CONFIG_SECT_CLUSTER, false);
    mon_config_cluster_t *cl = cluster_new("local", 0);
    cl->source = MON_CONFIG_SOURCE_REPLAY;
    cl->file = mon_strdup(file);
    cl->speed = speed;
    add_cluster(cfg, cl);
    return 0;
}
