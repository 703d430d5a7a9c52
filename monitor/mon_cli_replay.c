/* mon_cli_replay: placeholder until this subcommand is built. */
#include <stdio.h>

#include "monitor/mon_cli.h"

int mon_cli_replay(int argc, char **argv) {
    (void)argc;
    fprintf(stderr, "warren %s: not available in this build\n", argv[0]);
    return 2;
}
