/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_version: `warren version` and `warren --version`: one line,
 * "warren <version>", on stdout, the same string GET /v3/info and the
 * warren_build_info metric show. */
#include <stdio.h>
#include <string.h>

#include "monitor/base/mon_version.h"
#include "monitor/cmd/mon_cli.h"

static void usage(FILE *out) {
    fprintf(out, "usage: warren version\n\n"
                 "Prints \"warren <version>\": git describe of the source "
                 "tree it was built\nfrom, or the VERSION file of a release "
                 "tarball.\n");
}

int mon_cli_version(int argc, char **argv) {
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "warren version: unexpected argument '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    printf("warren %s\n", mon_version());
    return 0;
}
