/* SPDX-License-Identifier: Apache-2.0 */
/* warren: entry point. Dispatches to a subcommand; see mon_cli.h. */
#include <stdio.h>
#include <string.h>

#include "monitor/base/mon_version.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"
#include "monitor/sources/mon_source_kafka_proc.h"

typedef struct cmd_s {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} cmd_t;

static const cmd_t cmds[] = {
    {"serve", mon_cli_serve, "run the monitor daemon and its HTTP API"},
    {"replay", mon_cli_replay, "replay recorded lag traces, --check them"},
    {"broker", mon_cli_broker, "use the embedded broker core"},
    {"template", mon_cli_template, "render a notification template"},
    {"notify", mon_cli_notify, "send a test notification"},
    {"version", mon_cli_version, "print the version (also --version)"},
    {"check-config", mon_cli_check_config,
     "check a configuration file, print the effective one"},
    {"config-keys", mon_cli_config_keys,
     "list the configuration keys (--man: warren.ini(5))"},
};

/* Hidden: the child process of a Kafka cluster's client, started by
 * serve with its channel as fd 3 (mon_source_kafka_proc.h). No options. */
static int cmd_kafka_client(int argc, char **argv) {
    static const mon_cli_cmd_t cmd = {
        MON_SOURCE_KAFKA_CHILD_CMD, NULL,
        "(started by warren serve, with its channel as fd 3)", 0};
    int n = mon_cli_parse(&cmd, NULL, 0, argc, argv, NULL, 0);
    if (n < 0) return mon_cli_exit(n);
    return mon_source_kafka_child_main(3);
}

static void usage(FILE *out) {
    fprintf(out, "usage: warren <command> [options]\n\n"
                 "Consumer-lag monitor for Apache Kafka.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(out, "  %-12s %s\n", cmds[i].name, cmds[i].help);
    fprintf(out, "\nRun 'warren <command> --help' for a command's options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return mon_cli_version(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], MON_SOURCE_KAFKA_CHILD_CMD))
        return cmd_kafka_client(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "warren: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
