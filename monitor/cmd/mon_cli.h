/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli: the subcommands of the warren binary.
 *
 * main() only dispatches: each subcommand lives in its own mon_cli_<name>.c,
 * describes its options in a table for mon_cli_parse (mon_cli_opt.h: one
 * line on stderr and exit 2 for a bad one) and returns the process exit
 * code: 0 success, 1 a check failed, 2 bad input.
 */
#ifndef MON_CLI_H
#define MON_CLI_H

/* Each takes argv with argv[0] = the subcommand name. */
int mon_cli_replay(int argc, char **argv);
int mon_cli_serve(int argc, char **argv);
int mon_cli_broker(int argc, char **argv);
int mon_cli_template(int argc, char **argv);
int mon_cli_notify(int argc, char **argv);
int mon_cli_version(int argc, char **argv);

/* mon_cli_check_config.c */
int mon_cli_check_config(int argc, char **argv);
int mon_cli_config_keys(int argc, char **argv);

#endif
