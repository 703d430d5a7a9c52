/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_replay: `warren replay`, the command line over mon_replay.
 *
 * Parses the options of samples/README.md, replays each FILE as its own trace
 * and returns the worst exit code: 2 bad input, 1 failed expectations, 0.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/cmd/mon_cli.h"
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

/* One line naming the problem, then the usage; exit code 2. */
static int bad(const char *what, const char *arg) {
    fprintf(stderr, "warren replay: %s%s%s%s\n", what, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "");
    usage(stderr);
    return 2;
}

/* Parses a tick value: decimal digits only, fitting int64. */
static int parse_tick(const char *s, int64_t *out) {
    char *end;
    long long v;

    if (!*s || *s < '0' || *s > '9') return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int mon_cli_replay(int argc, char **argv) {
    static char outbuf[1 << 20];
    mon_replay_opts_t o;
    const char *val;
    int i, first_file = -1, rc = 0, r;

    mon_replay_opts_default(&o);
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--")) {
            first_file = i + 1;
            break;
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            first_file = i;
            break;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--check")) {
            o.check = true;
        } else if (!strcmp(a, "--format") || !strncmp(a, "--format=", 9)) {
            val = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) return bad("missing value (text or json) for", a);
            if (!strcmp(val, "text"))
                o.format = MON_REPLAY_TEXT;
            else if (!strcmp(val, "json"))
                o.format = MON_REPLAY_JSON;
            else
                return bad("--format must be text or json, not", val);
        } else if (!strcmp(a, "--tick") || !strncmp(a, "--tick=", 7)) {
            val = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) return bad("missing value (milliseconds) for", a);
            if (parse_tick(val, &o.tick_ms) < 0)
                return bad("--tick must be a number of milliseconds, not", val);
        } else if (!strcmp(a, "--rules") || !strncmp(a, "--rules=", 8)) {
            val = a[7] == '=' ? a + 8 : (i + 1 < argc ? argv[++i] : NULL);
            if (!val) return bad("missing value (warren or burrow) for", a);
            if (ev_rules_parse(val, &o.rules) < 0)
                return bad("--rules must be warren or burrow, not", val);
            o.rules_set = true;
        } else {
            return bad("unknown option", a);
        }
    }
    if (first_file < 0 || first_file >= argc)
        return bad("no trace FILE given", NULL);
    if (!isatty(STDOUT_FILENO)) setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
    for (i = first_file; i < argc; i++) {
        r = mon_replay_file(argv[i], &o, NULL);
        if (r > rc) rc = r;
    }
    fflush(stdout);
    return rc;
}
