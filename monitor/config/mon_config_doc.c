/* SPDX-License-Identifier: Apache-2.0 */
/* mon_config_doc: the two texts written from the key table alone: the
 * effective configuration (what `warren check-config` prints) and the
 * configuration-file section of the man page (`warren config-keys --man`),
 * and the check of the paths the table's path keys name (check-config).
 *
 * Both walk the table in its order, so a key added to the table appears in
 * both without further work, and the tests that compare them with the
 * table keep them honest. The effective configuration is itself a valid
 * file: loading it again gives the same values (secrets masked).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/mon_mem.h"
#include "monitor/config/mon_config_int.h"

#define VALUE_SIZE 4096
#define COMMENT_COLUMN 40

/* "key = value" padded to the comment column, then "; comment". */
static void line_with_comment(FILE *out, const char *lead, const char *key,
                              const char *value, const char *comment) {
    int n = fprintf(out, "%s%s =%s%s", lead, key, value[0] ? " " : "", value);
    if (comment && comment[0])
        fprintf(out, "%*s ; %s", n < COMMENT_COLUMN ? COMMENT_COLUMN - n : 0,
                "", comment);
    fputc('\n', out);
}

/* Whether row applies to section instance index (cluster keys of another
 * source do not). */
static bool row_applies(const mon_config_t *cfg, const mon_config_key_t *row,
                        size_t index) {
    if (row->sect != MON_CONFIG_SECT_CLUSTER || !row->sources) return true;
    const mon_config_cluster_t *cl = mon_config_cluster_at(cfg, index);
    return cl && (row->sources & (1u << cl->source));
}

static void write_row(FILE *out, const mon_config_t *cfg,
                      const mon_config_key_t *row, size_t index) {
    char value[VALUE_SIZE], comment[600];
    mon_config_value_t v;
    mon_config_get(cfg, row, index, &v);
    if (row->type == MON_CONFIG_T_MAP) {
        if (v.n == 0) {
            snprintf(comment, sizeof(comment), "unset: %s",
                     row->def_doc ? row->def_doc : "none");
            char key[64];
            snprintf(key, sizeof(key), "%sNAME", row->name);
            line_with_comment(out, "; ", key, "", comment);
        }
        for (size_t i = 0; i < v.n; i++) {
            char key[256];
            bool secret = row->sect == MON_CONFIG_SECT_CLUSTER &&
                          mon_config_kafka_prop_secret(v.kv[i].key);
            snprintf(key, sizeof(key), "%s%s", row->name, v.kv[i].key);
            snprintf(comment, sizeof(comment), "line %d",
                     mon_config_origin_line(cfg, row->sect, index, key));
            line_with_comment(out, "", key,
                              secret && v.kv[i].value[0] ? "********"
                                                         : v.kv[i].value,
                              comment);
        }
        return;
    }
    mon_config_format(cfg, row, index, value, sizeof(value));
    int line = mon_config_origin_line(cfg, row->sect, index, row->name);
    if (line > 0)
        snprintf(comment, sizeof(comment), "line %d", line);
    else if (row->def)
        snprintf(comment, sizeof(comment), "default");
    else if (row->def_doc && v.set)
        snprintf(comment, sizeof(comment), "default: %s", row->def_doc);
    else if (v.set)
        snprintf(comment, sizeof(comment), "built in");
    else
        snprintf(comment, sizeof(comment), "unset: %s",
                 row->def_doc ? row->def_doc : "none");
    /* a value with ';' keeps its comment on the line above: a header
     * line must not hold " ;" (see the headers key) */
    if (strchr(value, ';')) {
        fprintf(out, "; %s: %s\n", row->name, comment);
        comment[0] = '\0';
    }
    line_with_comment(out, v.set ? "" : "; ", row->name, value, comment);
}

int mon_config_write_effective(const mon_config_t *cfg, FILE *out) {
    size_t n;
    const mon_config_key_t *rows = mon_config_keys(&n);
    const char *path = cfg->name;
    fprintf(out,
            "; Effective configuration (%s): every key with the value "
            "warren uses;\n; \"line N\" is where the file set it. Secrets "
            "are masked.\n",
            path ? path : "built-in defaults");
    for (int s = 0; s < MON_CONFIG_SECT__COUNT; s++) {
        mon_config_sect_t sect = (mon_config_sect_t)s;
        size_t count =
            sect == MON_CONFIG_SECT_CLUSTER    ? mon_config_cluster_count(cfg)
            : sect == MON_CONFIG_SECT_NOTIFIER ? mon_config_notifier_count(cfg)
                                               : 1;
        for (size_t idx = 0; idx < count; idx++) {
            const char *name = sect == MON_CONFIG_SECT_CLUSTER
                                   ? mon_config_cluster_at(cfg, idx)->name
                               : sect == MON_CONFIG_SECT_NOTIFIER
                                   ? mon_config_notifier_at(cfg, idx)->name
                                   : NULL;
            fprintf(out, "\n[%s%s%s]\n", mon_config_sect_name(sect),
                    name ? " " : "", name ? name : "");
            for (size_t i = 0; i < n; i++)
                if (rows[i].sect == sect && row_applies(cfg, &rows[i], idx))
                    write_row(out, cfg, &rows[i], idx);
        }
    }
    return ferror(out) ? -1 : 0;
}

/* Writes s with roff's special characters escaped; a line never starts
 * with '.' or '\''. */
static void roff(FILE *out, const char *s) {
    if (*s == '.' || *s == '\'') fputs("\\&", out);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-')
            fputs("\\-", out);
        else
            fputc(*s, out);
    }
}

/* "integer 1..256", "duration, at least 1ms", "enum: text or json". */
static void man_type(FILE *out, const mon_config_key_t *row) {
    char buf[300];
    roff(out, mon_config_type_name(row->type));
    switch (row->type) {
    case MON_CONFIG_T_INT:
    case MON_CONFIG_T_INT64:
    case MON_CONFIG_T_SIZE:
        snprintf(buf, sizeof(buf), " %lld..%lld", (long long)row->min,
                 (long long)row->max);
        roff(out, buf);
        break;
    case MON_CONFIG_T_DOUBLE:
        snprintf(buf, sizeof(buf), " %s%g..%g", row->dmin_open ? "above " : "",
                 row->dmin, row->dmax);
        roff(out, buf);
        break;
    case MON_CONFIG_T_DURATION:
        roff(out, row->min > 0 ? ", above 0" : ", 0 or more");
        if (row->step == 1000) roff(out, ", whole seconds");
        break;
    case MON_CONFIG_T_ENUM:
    case MON_CONFIG_T_CHOICE:
        mon_config_values_text(row, buf, sizeof(buf));
        fputs(": ", out);
        roff(out, buf);
        break;
    default:
        break;
    }
}

int mon_config_write_man(FILE *out) {
    size_t n;
    const mon_config_key_t *rows = mon_config_keys(&n);
    fputs(".SH CONFIGURATION FILE\n"
          "The file has the sections [general], [http], [broker], "
          "[storage], [evaluator] and [metrics] (at most once each), and any "
          "number of\n"
          ".RI \"[cluster \" NAME ]\n"
          "and\n"
          ".RI \"[notifier \" NAME ]\n"
          "sections.\n"
          "Lines are \"key = value\"; a line starting with ; or # is a "
          "comment, and \" ;\" starts a comment at the end of a line.\n"
          "Durations are an integer of seconds or with a unit: ms, s, m, h "
          "or d (500ms, 10s, 5m); a value a key cannot hold exactly is "
          "refused.\n"
          "Booleans are true/false, yes/no, on/off or 1/0.\n"
          "Regexes are POSIX extended and unanchored.\n"
          "Keys marked env expand ${NAME} from the environment.\n"
          "An unknown section or key, a repeated key or a bad value stops "
          "warren with one line FILE:LINE: [section] key: why and exit "
          "status 2.\n",
          out);
    for (int s = 0; s < MON_CONFIG_SECT__COUNT; s++) {
        mon_config_sect_t sect = (mon_config_sect_t)s;
        fprintf(out, ".SS [%s%s]\n", mon_config_sect_name(sect),
                sect >= MON_CONFIG_SECT_CLUSTER ? " NAME" : "");
        for (size_t i = 0; i < n; i++) {
            const mon_config_key_t *row = &rows[i];
            if (row->sect != sect) continue;
            fputs(".TP\n.B ", out);
            roff(out, row->name);
            if (row->flags & MON_CONFIG_F_PREFIX) fputs("\\fINAME\\fR", out);
            fputc('\n', out);
            man_type(out, row);
            if (row->def) {
                fputs("; default \\fB", out);
                roff(out, row->def[0] ? row->def : "(empty)");
                fputs("\\fR", out);
            } else if (row->flags & MON_CONFIG_F_REQUIRED) {
                fputs("; required", out);
                if (row->sources) {
                    const mon_config_key_t *src =
                        mon_config_key_find(MON_CONFIG_SECT_CLUSTER, "source");
                    for (const mon_config_enum_t *e = src->values; e->name; e++)
                        if (row->sources & (1u << e->value)) {
                            fputs(" with source = ", out);
                            roff(out, e->name);
                        }
                }
            } else if (row->def_doc) {
                fputs("; default: ", out);
                roff(out, row->def_doc);
            }
            if (row->sources && !(row->flags & MON_CONFIG_F_REQUIRED)) {
                const mon_config_key_t *src =
                    mon_config_key_find(MON_CONFIG_SECT_CLUSTER, "source");
                for (const mon_config_enum_t *e = src->values; e->name; e++)
                    if (row->sources & (1u << e->value)) {
                        fputs("; source = ", out);
                        roff(out, e->name);
                        fputs(" only", out);
                    }
            }
            if (row->flags & MON_CONFIG_F_ENV) fputs("; env", out);
            if (row->flags & MON_CONFIG_F_SECRET) fputs("; secret", out);
            if (row->burrow) {
                fputs("; Burrow: ", out);
                roff(out, row->burrow);
            }
            fputs(".\n.br\n", out);
            roff(out, row->doc);
            fputc('\n', out);
        }
    }
    return ferror(out) ? -1 : 0;
}

int mon_config_key_line(const mon_config_t *cfg, mon_config_sect_t sect,
                        size_t index, const char *name) {
    return mon_config_origin_line(cfg, sect, index, name);
}

/* Why dir cannot be used as a directory Warren writes into, or NULL. A
 * missing one must be creatable: its nearest existing ancestor must be a
 * writable directory. */
static const char *dir_problem(const char *dir, char *why, size_t size) {
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(why, size, "'%s' is not a directory", dir);
            return why;
        }
        if (access(dir, W_OK | X_OK) != 0) {
            snprintf(why, size, "'%s' is not writable: %s", dir,
                     strerror(errno));
            return why;
        }
        return NULL;
    }
    if (errno != ENOENT) {
        snprintf(why, size, "'%s': %s", dir, strerror(errno));
        return why;
    }
    /* the nearest existing ancestor: "a/b/c" -> "a/b" -> "a" -> "." */
    char *up = mon_strdup(dir);
    do {
        size_t len = strlen(up);
        while (len > 1 && up[len - 1] == '/')
            up[--len] = '\0';
        char *slash = strrchr(up, '/');
        if (!slash)
            snprintf(up, len + 1, ".");
        else
            slash[slash == up ? 1 : 0] = '\0';
    } while (stat(up, &st) != 0 && strcmp(up, ".") && strcmp(up, "/"));
    const char *res = NULL;
    if (access(up, W_OK | X_OK) != 0) {
        snprintf(why, size,
                 "'%s' does not exist and cannot be created in '%s': %s", dir,
                 up, strerror(errno));
        res = why;
    }
    free(up);
    return res;
}

int mon_config_check_paths(const mon_config_t *cfg,
                           void (*report)(void *arg, const char *line),
                           void *arg) {
    size_t n;
    const mon_config_key_t *rows = mon_config_keys(&n);
    const char *file = cfg->name ? cfg->name : "built-in defaults";
    int problems = 0;
    for (size_t i = 0; i < n; i++) {
        const mon_config_key_t *row = &rows[i];
        if (row->type != MON_CONFIG_T_PATH) continue;
        size_t count = row->sect == MON_CONFIG_SECT_CLUSTER
                           ? mon_config_cluster_count(cfg)
                       : row->sect == MON_CONFIG_SECT_NOTIFIER
                           ? mon_config_notifier_count(cfg)
                           : 1;
        for (size_t idx = 0; idx < count; idx++) {
            mon_config_value_t v;
            if (!row_applies(cfg, row, idx) ||
                mon_config_get(cfg, row, idx, &v) != 0 || !v.set)
                continue;
            char why[600], title[128], line[1024];
            const char *bad =
                row->flags & MON_CONFIG_F_DIR
                    ? dir_problem(v.s, why, sizeof(why))
                    : mon_config_file_problem(v.s, why, sizeof(why));
            if (!bad) continue;
            problems++;
            if (row->sect == MON_CONFIG_SECT_CLUSTER)
                snprintf(title, sizeof(title), "cluster %s",
                         mon_config_cluster_at(cfg, idx)->name);
            else if (row->sect == MON_CONFIG_SECT_NOTIFIER)
                snprintf(title, sizeof(title), "notifier %s",
                         mon_config_notifier_at(cfg, idx)->name);
            else
                snprintf(title, sizeof(title), "%s",
                         mon_config_sect_name(row->sect));
            int at = mon_config_origin_line(cfg, row->sect, idx, row->name);
            if (at > 0)
                snprintf(line, sizeof(line), "%s:%d: [%s] %s: %s", file, at,
                         title, row->name, bad);
            else
                snprintf(line, sizeof(line), "%s: [%s] %s: %s (default)", file,
                         title, row->name, bad);
            report(arg, line);
        }
    }
    return problems;
}
