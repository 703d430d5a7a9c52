/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_replay: `warren replay`, the command line over mon_replay.
 *
 * Parses the options of samples/README.md, replays each FILE as its own trace
 * and returns the worst exit code: 2 bad input, 1 failed expectations, 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_mem.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"
#include "monitor/replay/mon_replay.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: warren replay [--check] [--format text|json] [--tick MS] "
            "[--rules warren|burrow] FILE...\n"
            "\n"
            "Replays lag traces (JSON Lines, see samples/README.md) through "
            "the store\n"
            "and evaluator on the trace's own clock, prints every change of a\n"
            "group's status and then each group's final status.\n"
            "\n"
            "  --check          verify the trace's expect lines; exit 0 only "
            "if\n"
            "                   there is at least one and all hold\n"
            "  --format F       text (default) or json: one object per line\n"
            "  --tick MS        also evaluate every group each MS ms of "
            "virtual\n"
            "                   time (default 10000; 0 = only after events)\n"
            "  --rules R        evaluate with rule set R (warren or burrow)\n"
            "                   instead of the one the trace's config names\n"
            "                   (default warren)\n"
            "  -h, --help       this help\n"
            "\n"
            "FILE may be - for stdin. Exit codes: 0 ok, 1 an expectation "
            "failed,\n"
            "2 bad input (the message names file:line and field).\n");
}

/* --rules R: warren or burrow. */
static int parse_rules(const char *value, void *dst, char *why) {
    mon_replay_opts_t *o = dst;
    if (ev_rules_parse(value, &o->rules) < 0) {
        snprintf(why, MON_CLI_WHY_SIZE, "warren or burrow");
        return -1;
    }
    o->rules_set = true;
    return 0;
}

static const mon_cli_cmd_t replay_cmd = {"replay", usage, NULL, 1};

int mon_cli_replay(int argc, char **argv) {
    static char outbuf[1 << 20];
    static const mon_cli_choice_t formats[] = {
        {"text", MON_REPLAY_TEXT}, {"json", MON_REPLAY_JSON}, {NULL, 0}};
    mon_replay_opts_t o;
    int check = 0, format, rc = 0;

    mon_replay_opts_default(&o);
    format = (int)o.format;
    const mon_cli_opt_t opts[] = {
        {"check", MON_CLI_FLAG, &check, 0, 0, NULL, NULL},
        {"format", MON_CLI_CHOICE, &format, 0, 0, formats, NULL},
        {"tick", MON_CLI_INT, &o.tick_ms, 0, INT64_MAX, NULL, NULL},
        {"rules", MON_CLI_FN, &o, 0, 0, NULL, parse_rules},
    };
    const char **files = mon_calloc((size_t)argc, sizeof(*files));
    int n = mon_cli_parse(&replay_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                          argc, argv, files, argc);
    if (n == 0) {
        mon_cli_bad(&replay_cmd, "no trace FILE given");
        n = MON_CLI_BAD;
    }
    if (n < 0) {
        free(files);
        return mon_cli_exit(n);
    }
    o.check = check;
    o.format = (mon_replay_format_t)format;
    if (!isatty(STDOUT_FILENO)) setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    for (int i = 0; i < n; i++) {
        int r = mon_replay_file(files[i], &o, NULL);
        if (r > rc) rc = r;
    }
    fflush(stdout);
    free(files);
    return rc;
}
