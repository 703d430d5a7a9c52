/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_version: `warren version` and `warren --version`: one line,
 * "warren <version>", on stdout, the same string GET /v3/info and the
 * warren_build_info metric show. */
#include <stdio.h>

#include "monitor/base/mon_version.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"

static void usage(FILE *out) {
    fprintf(out, "usage: warren version\n\n"
                 "Prints \"warren <version>\": git describe of the source "
                 "tree it was built\nfrom, or the VERSION file of a release "
                 "tarball.\n");
}

static const mon_cli_cmd_t version_cmd = {"version", usage, NULL, 1};

int mon_cli_version(int argc, char **argv) {
    int parsed = mon_cli_parse(&version_cmd, NULL, 0, argc, argv, NULL, 0);
    if (parsed < 0) return mon_cli_exit(parsed);
    printf("warren %s\n", mon_version());
    return 0;
}
