/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_opt: the one option parser of every `warren` subcommand.
 *
 * A command describes its options in a table (name, what kind of value,
 * where it goes) and calls mon_cli_parse once, instead of a getopt loop
 * of its own. Options are "--name VALUE" or "--name=VALUE", anywhere on
 * the line; "-h"/"--help" prints the usage on stdout; "--" ends the
 * options; everything else (including "-", stdin) is a positional
 * argument. A bad option is one line on stderr, "warren CMD: why", and
 * the usage after it when the command asks for it.
 */
#ifndef MON_CLI_OPT_H
#define MON_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What an option takes and where it puts it. */
typedef enum mon_cli_kind_e {
    MON_CLI_FLAG,   /* no value; *(int *)dst = 1 */
    MON_CLI_STR,    /* *(const char **)dst = the value (points into argv) */
    MON_CLI_INT,    /* *(int64_t *)dst, a decimal integer in [min, max] */
    MON_CLI_CHOICE, /* *(int *)dst = choices[i].value for the named one */
    MON_CLI_FN      /* fn(value, dst, why): 0, or -1 with why set to what
                     * the value must be ("--X must be WHY, not 'V'") */
} mon_cli_kind_t;

/* One name of a MON_CLI_CHOICE and the value it stands for. */
typedef struct mon_cli_choice_s {
    const char *name;
    int value;
} mon_cli_choice_t;

#define MON_CLI_WHY_SIZE 256

typedef struct mon_cli_opt_s {
    const char *name; /* without the dashes: "data-dir" */
    mon_cli_kind_t kind;
    void *dst;
    int64_t min, max;                /* MON_CLI_INT */
    const mon_cli_choice_t *choices; /* MON_CLI_CHOICE, ends at name NULL */
    int (*fn)(const char *value, void *dst, char *why); /* MON_CLI_FN */
} mon_cli_opt_t;

/* A subcommand as mon_cli_parse reports it. */
typedef struct mon_cli_cmd_s {
    const char *name;         /* "broker produce": "warren broker produce: " */
    void (*usage)(FILE *out); /* the whole usage text, or NULL: */
    const char *synopsis;     /* "usage: warren NAME SYNOPSIS" */
    int usage_on_error;       /* also print the usage after an error line */
} mon_cli_cmd_t;

/* Prints cmd's usage on out. */
void mon_cli_usage(const mon_cli_cmd_t *cmd, FILE *out);

/* The result of mon_cli_parse other than a count of positionals. */
#define MON_CLI_HELP (-1) /* usage printed on stdout: exit 0 */
#define MON_CLI_BAD (-2)  /* error printed on stderr: exit 2 */

/* Parses argv[1..argc) (argv[0] is the subcommand) against the n
 * options of opts. Positional arguments go to pos[0..max_pos) in order.
 * Returns the number of positionals, MON_CLI_HELP, or MON_CLI_BAD (an
 * unknown option, a missing or bad value, more than max_pos positionals;
 * the line names the option and the value). */
int mon_cli_parse(const mon_cli_cmd_t *cmd, const mon_cli_opt_t *opts, size_t n,
                  int argc, char **argv, const char **pos, int max_pos);

/* Prints "warren CMD: <fmt...>" on stderr (and the usage when the
 * command asks for it) and returns 2, the exit code of bad input. */
int mon_cli_bad(const mon_cli_cmd_t *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit code of a subcommand from mon_cli_parse's result: 0 for help, 2
 * for bad input. Only for results < 0. */
int mon_cli_exit(int parsed);

#endif
