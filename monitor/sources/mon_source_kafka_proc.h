/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_kafka_proc: a Kafka cluster watched from a supervised child
 * process, so that no librdkafka failure can take the daemon down.
 *
 * librdkafka 2.0 aborts the whole process on some broker failures (an
 * assertion in rd_kafka_enq_once_del_source_return when a coordinator's
 * connection dies under an in-flight group offsets request, issues 3663
 * and 4605), which no caller can avoid for certain: a broker may die
 * between any two calls. So the client runs in a child: the daemon forks
 * and executes its own binary (/proc/self/exe, the very file it runs
 * from) as `warren __kafka-client` with one end of a socketpair as fd 3,
 * sends the cluster's configuration and receives the source's store
 * writes and status (the protocol: mon_kframe.h). In the child,
 * mon_source_kafka runs as it would in the daemon, over a store of one
 * interval that mirrors the daemon's outcomes; every write that store
 * takes is sent on, and the daemon applies it to the real store.
 *
 * Supervision: when the child dies (a signal, an exit, a bad frame), the
 * cluster is unavailable (and stale, so no group turns STOP while blind)
 * with the reason as its last error, and a new child starts after a
 * backoff of 1 s doubling to 30 s (back to 1 s once a child ran 60 s). A
 * new child learns everything again: offsets = offsets-topic rereads the
 * topic (its commits carry their own times; the store takes a commit it
 * already holds once only, see mon_store.h), offsets = admin fetches
 * again. The child dies with the daemon (PR_SET_PDEATHSIG) and ends when
 * the socket closes. A bad kafka.* property that only rd_kafka_new can
 * find makes the first child answer FATAL: start fails with its message.
 *
 * Locks: kp->lock guards the status copy; the supervisor thread owns the
 * child, the socket and the frame reader.
 */
#ifndef MON_SOURCE_KAFKA_PROC_H
#define MON_SOURCE_KAFKA_PROC_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/config/mon_config.h"
#include "monitor/sources/mon_source.h"
#include "monitor/sources/mon_source_kafka.h"
#include "monitor/store/mon_store.h"

/* The hidden subcommand that runs the child. */
#define MON_SOURCE_KAFKA_CHILD_CMD "__kafka-client"

/* Backoff between a child's death and the next one: 1 s doubling to
 * this, reset once a child lived MON_SOURCE_KAFKA_PROC_STABLE_MS. */
#define MON_SOURCE_KAFKA_PROC_MAX_BACKOFF_MS 30000
#define MON_SOURCE_KAFKA_PROC_STABLE_MS 60000

/* A source for cfg (source = kafka) writing into st's cluster cfg->name,
 * whose child mirrors the storage rules of sto. Checks every kafka.*
 * property with rd_kafka_conf_set (no client is made in the daemon).
 * Returns NULL with errstr set ("kafka.x: why"). cfg and sto must
 * outlive the source. Nothing runs until start. */
mon_source_t *mon_source_kafka_proc_new(const mon_config_cluster_t *cfg,
                                        const mon_config_storage_t *sto,
                                        mon_store_t *st, char *errstr,
                                        size_t errstr_size);

/* Children started so far (1 after start; each restart adds one). */
uint64_t mon_source_kafka_proc_spawns(mon_source_t *src);

/* The copy of the last status the child sent, with stale computed at
 * now_ms; while no child runs, available is false and last_error says
 * why. Thread-safe. */
void mon_source_kafka_proc_status(mon_source_t *src, int64_t now_ms,
                                  mon_source_kafka_status_t *out);

/* The child's side: reads the configuration from fd, runs the source and
 * sends its writes and status until fd closes. Returns the process exit
 * code: 0 when the daemon closed the socket, 2 for a client that cannot
 * be built (after a FATAL frame), 1 for a broken channel. */
int mon_source_kafka_child_main(int fd);

#endif
