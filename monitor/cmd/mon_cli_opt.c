/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_opt: see mon_cli_opt.h. */
#include "monitor/cmd/mon_cli_opt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void mon_cli_usage(const mon_cli_cmd_t *cmd, FILE *out) {
    if (cmd->usage)
        cmd->usage(out);
    else
        fprintf(out, "usage: warren %s %s\n", cmd->name,
                cmd->synopsis ? cmd->synopsis : "");
}

static void vbad(const mon_cli_cmd_t *cmd, const char *fmt, va_list ap) {
    fprintf(stderr, "warren %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (cmd->usage_on_error) mon_cli_usage(cmd, stderr);
}

int mon_cli_bad(const mon_cli_cmd_t *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vbad(cmd, fmt, ap);
    va_end(ap);
    return 2;
}

int mon_cli_exit(int parsed) {
    return parsed == MON_CLI_HELP ? 0 : 2;
}

/* "a, b or c" for the message of a bad choice. */
static void choice_list(const mon_cli_choice_t *c, char *buf, size_t size) {
    size_t n = 0, k = 0;
    while (c[k].name)
        k++;
    buf[0] = '\0';
    for (size_t i = 0; i < k && n < size; i++) {
        int w = snprintf(buf + n, size - n, "%s%s",
                         i == 0       ? ""
                         : i + 1 == k ? " or "
                                      : ", ",
                         c[i].name);
        if (w < 0) break;
        n += (size_t)w;
    }
}

/* Stores value into o->dst; returns 0 or MON_CLI_BAD (reported). */
static int store(const mon_cli_cmd_t *cmd, const mon_cli_opt_t *o,
                 const char *value) {
    char why[MON_CLI_WHY_SIZE] = "";
    switch (o->kind) {
    case MON_CLI_FLAG:
        *(int *)o->dst = 1;
        return 0;
    case MON_CLI_STR:
        *(const char **)o->dst = value;
        return 0;
    case MON_CLI_INT: {
        char *end = NULL;
        const char *digits = value[0] == '-' ? value + 1 : value;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (*digits < '0' || *digits > '9' || errno || *end || v < o->min ||
            v > o->max) {
            if (o->max == INT64_MAX)
                snprintf(why, sizeof(why), "an integer >= %lld",
                         (long long)o->min);
            else
                snprintf(why, sizeof(why), "an integer in [%lld, %lld]",
                         (long long)o->min, (long long)o->max);
            mon_cli_bad(cmd, "--%s must be %s, not '%s'", o->name, why, value);
            return MON_CLI_BAD;
        }
        *(int64_t *)o->dst = v;
        return 0;
    }
    case MON_CLI_CHOICE:
        for (const mon_cli_choice_t *c = o->choices; c->name; c++)
            if (!strcmp(c->name, value)) {
                *(int *)o->dst = c->value;
                return 0;
            }
        choice_list(o->choices, why, sizeof(why));
        mon_cli_bad(cmd, "--%s must be %s, not '%s'", o->name, why, value);
        return MON_CLI_BAD;
    case MON_CLI_FN:
        if (o->fn(value, o->dst, why) == 0) return 0;
        mon_cli_bad(cmd, "--%s must be %s, not '%s'", o->name, why, value);
        return MON_CLI_BAD;
    }
    return MON_CLI_BAD;
}

/* The option named by arg ("--name" or "--name=value"), or NULL. */
static const mon_cli_opt_t *find(const mon_cli_opt_t *opts, size_t n,
                                 const char *arg, const char **inline_val) {
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    *inline_val = eq ? eq + 1 : NULL;
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && !strncmp(opts[i].name, name, len))
            return &opts[i];
    return NULL;
}

int mon_cli_parse(const mon_cli_cmd_t *cmd, const mon_cli_opt_t *opts, size_t n,
                  int argc, char **argv, const char **pos, int max_pos) {
    int npos = 0, options = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *value;
        if (options && !strcmp(a, "--")) {
            options = 0;
            continue;
        }
        if (options && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
            mon_cli_usage(cmd, stdout);
            return MON_CLI_HELP;
        }
        if (!options || a[0] != '-' || !strcmp(a, "-")) {
            if (npos >= max_pos) {
                mon_cli_bad(cmd, "unexpected argument '%s'", a);
                return MON_CLI_BAD;
            }
            pos[npos++] = a;
            continue;
        }
        const mon_cli_opt_t *o = a[1] == '-' ? find(opts, n, a, &value) : NULL;
        if (!o) {
            mon_cli_bad(cmd, "unknown option '%s'", a);
            return MON_CLI_BAD;
        }
        if (o->kind == MON_CLI_FLAG) {
            if (value) {
                mon_cli_bad(cmd, "--%s takes no value", o->name);
                return MON_CLI_BAD;
            }
        } else if (!value) {
            if (i + 1 >= argc) {
                mon_cli_bad(cmd, "missing value for --%s", o->name);
                return MON_CLI_BAD;
            }
            value = argv[++i];
        }
        if (store(cmd, o, value) != 0) return MON_CLI_BAD;
    }
    return npos;
}
