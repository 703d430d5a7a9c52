/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_check_config: `warren check-config [--config FILE]` and
 * `warren config-keys [--man]`, what `nginx -t` and `promtool check
 * config` are to their users.
 *
 * check-config loads the file exactly as `warren serve` does (every value
 * validated, ${ENV} resolved), then checks what serve would need from the
 * machine: the data directories writable (or creatable), the files it
 * names readable, the listen address free. It creates and changes
 * nothing: the address is bound and released at once. On success it
 * prints the effective configuration from the key table, secrets masked.
 * config-keys prints the key table itself, or as the warren.ini(5) man
 * page with --man. Both are small on purpose: the work is in
 * monitor/config/.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monitor/base/mon_err.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"
#include "monitor/config/mon_config.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: warren check-config [--config FILE] [--listen ADDR:PORT] "
            "[--data-dir DIR]\n"
            "\n"
            "Checks a configuration without starting the daemon: parses "
            "FILE (default:\n"
            "the built-in configuration), validates every value, resolves "
            "${ENV}, checks\n"
            "that the data directories are writable and the files it names "
            "readable, and\n"
            "that the listen address is free. Prints the effective "
            "configuration (secrets\n"
            "masked) on stdout. --listen and --data-dir override the file as "
            "they do\n"
            "for warren serve.\n"
            "\n"
            "exit status: 0 the configuration is good; 2 it is not (one line "
            "per problem\n"
            "on stderr, FILE:LINE: [section] key: why).\n");
}

static void report(void *arg, const char *line) {
    fprintf(stderr, "warren check-config: %s\n", line);
    (*(int *)arg)++;
}

/* Binds the listen address and releases it; 0, or -1 with why. */
static int listen_free(const mon_config_http_t *hc, char *why, size_t size) {
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof(ss));
    if (hc->listen_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)hc->listen_port);
        inet_pton(AF_INET6, hc->listen_host, &a->sin6_addr);
        len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)hc->listen_port);
        inet_pton(AF_INET, hc->listen_host, &a->sin_addr);
        len = sizeof(*a);
    }
    int fd = socket(hc->listen_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, rc = -1;
    if (fd >= 0) {
        /* as the server does, so a port in TIME_WAIT counts as free */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        rc = bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, 1) == 0
                 ? 0
                 : -1;
    }
    if (rc != 0)
        snprintf(why, size, "cannot listen on %s: %s", hc->listen,
                 strerror(errno));
    if (fd >= 0) close(fd);
    return rc;
}

static const mon_cli_cmd_t check_cmd = {"check-config", usage, NULL, 1};

int mon_cli_check_config(int argc, char **argv) {
    const char *path = NULL, *listen = NULL, *data_dir = NULL;
    const mon_cli_opt_t opts[] = {
        {"config", MON_CLI_STR, &path, 0, 0, NULL, NULL},
        {"listen", MON_CLI_STR, &listen, 0, 0, NULL, NULL},
        {"data-dir", MON_CLI_STR, &data_dir, 0, 0, NULL, NULL},
    };
    int parsed = mon_cli_parse(&check_cmd, opts, 3, argc, argv, NULL, 0);
    if (parsed < 0) return mon_cli_exit(parsed);
    char err[MON_ERRSTR_SIZE] = "";
    mon_config_t *cfg = path ? mon_config_load_file(path, err, sizeof(err))
                             : mon_config_new_default();
    if (cfg && mon_config_override(cfg, listen, data_dir, err, sizeof(err))) {
        mon_config_destroy(cfg);
        cfg = NULL;
    }
    if (!cfg) {
        fprintf(stderr, "warren check-config: %s\n", err);
        return 2;
    }
    int problems = 0;
    mon_config_check_paths(cfg, report, &problems);
    const mon_config_http_t *hc = mon_config_http(cfg);
    if (listen_free(hc, err, sizeof(err)) != 0) {
        const mon_config_key_t *key =
            mon_config_key_find(MON_CONFIG_SECT_HTTP, "listen");
        int line = mon_config_key_line(cfg, key->sect, 0, key->name);
        char where[64] = "";
        if (line > 0) snprintf(where, sizeof(where), ":%d", line);
        fprintf(stderr, "warren check-config: %s%s: [http] listen: %s%s\n",
                path ? path : "built-in defaults", where, err,
                line > 0 ? "" : " (default)");
        problems++;
    }
    int rc = 2;
    if (problems == 0) {
        rc = mon_config_write_effective(cfg, stdout) == 0 && fflush(stdout) == 0
                 ? 0
                 : 2;
        if (rc != 0)
            fprintf(stderr, "warren check-config: writing stdout: %s\n",
                    strerror(errno));
    }
    mon_config_destroy(cfg);
    return rc;
}

/* One line per key: [section] key, type, default, doc. */
static void write_keys(FILE *out) {
    size_t n;
    const mon_config_key_t *keys = mon_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        const mon_config_key_t *k = &keys[i];
        char sect[32];
        snprintf(sect, sizeof(sect), "[%s]", mon_config_sect_name(k->sect));
        fprintf(out, "%-11s %-28s %-9s %-14s %s\n", sect, k->name,
                mon_config_type_name(k->type),
                k->def ? (k->def[0] ? k->def : "\"\"")
                : k->flags & MON_CONFIG_F_REQUIRED ? "(required)"
                                                   : "-",
                k->doc);
    }
}

static void keys_usage(FILE *out) {
    fprintf(out, "usage: warren config-keys [--man]\n\n"
                 "Lists every configuration key: section, name, type, "
                 "default, doc.\n"
                 "--man writes the warren.ini(5) man page (roff) "
                 "instead.\n");
}

static const mon_cli_cmd_t keys_cmd = {"config-keys", keys_usage, NULL, 0};

int mon_cli_config_keys(int argc, char **argv) {
    int man = 0;
    const mon_cli_opt_t opts[] = {
        {"man", MON_CLI_FLAG, &man, 0, 0, NULL, NULL},
    };
    int parsed = mon_cli_parse(&keys_cmd, opts, 1, argc, argv, NULL, 0);
    if (parsed < 0) return mon_cli_exit(parsed);
    if (!man) {
        write_keys(stdout);
        return fflush(stdout) == 0 ? 0 : 2;
    }
    fputs(".TH WARREN.INI 5 \"\" \"Warren\" \"File formats\"\n"
          ".SH NAME\n"
          "warren.ini \\- configuration file of warren\n"
          ".SH SYNOPSIS\n"
          ".B warren serve \\-\\-config\n"
          ".I FILE\n"
          ".br\n"
          ".B warren check\\-config \\-\\-config\n"
          ".I FILE\n",
          stdout);
    if (mon_config_write_man(stdout) != 0) return 2;
    fputs(".SH SEE ALSO\n"
          "samples/warren.ini, which shows every key with its default.\n",
          stdout);
    return fflush(stdout) == 0 ? 0 : 2;
}
