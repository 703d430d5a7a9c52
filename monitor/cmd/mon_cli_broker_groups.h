/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_broker_groups: `warren broker consume` and `warren broker groups`.
 *
 * The consumer-group half of `warren broker`: mon_cli_broker.c dispatches
 * these two sub-subcommands here. Both open the data dir with the
 * embedded broker core (bc_broker, bc_offsets, bc_coord, bc_consumer) and
 * return the process exit code: 0 success, 2 bad input (one line on
 * stderr naming what and why).
 */
#ifndef MON_CLI_BROKER_GROUPS_H
#define MON_CLI_BROKER_GROUPS_H

/* `warren broker consume --data-dir D --topic T --group G [--max N]
 * [--reset earliest|latest|none] [--commit sync|async|auto|none]`: prints
 * partition<TAB>offset<TAB>key<TAB>value per record until N records or
 * the end of every partition, committing as asked. argv[0] = "consume". */
int mon_cli_broker_consume(int argc, char **argv);

/* `warren broker groups --data-dir D [--group G] [--format text|json]`:
 * per group and partition the committed offset, log-end offset, lag and
 * owner. argv[0] = "groups". */
int mon_cli_broker_groups(int argc, char **argv);

/* `warren broker serve --data-dir D [--listen HOST:PORT] ...`: the broker
 * alone on Kafka's wire protocol until SIGINT/SIGTERM
 * (mon_cli_broker_serve.c). argv[0] = "serve". */
#define MON_CLI_BROKER_SERVE_USAGE                                             \
    "--data-dir D [--listen HOST:PORT] [--advertised HOST:PORT] "              \
    "[--num-partitions N] [--no-auto-create] [--max-connections N] "           \
    "[--idle-timeout-ms MS] [--fetch-copy]"
int mon_cli_broker_serve(int argc, char **argv);

#endif
