/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kserver: the embedded broker's Kafka protocol listener.
 *
 * One thread runs an epoll loop over a listening TCP socket and its
 * client connections, and answers Kafka requests (bc_kreq.h lists the
 * APIs and versions) from the broker's logs, the committed-offset table
 * and a wire group coordinator (bc_kgroup), so librdkafka, kafka-python,
 * KafkaJS and Java clients produce, consume and commit against a Warren
 * data dir. It is a single-node cluster: node `node_id` leads every
 * partition, is every replica and the coordinator of every group.
 *
 * Framing: every request and response is an int32 size then that many
 * bytes. As in Kafka, a connection has one request in progress at a time
 * (responses leave in request order): a Fetch waiting for min.bytes, a
 * JoinGroup waiting for the other members and a follower's SyncGroup
 * waiting for the leader park the connection until they complete, while
 * everyone else is served. Fetch responses carry record bytes straight
 * from the segment file with sendfile(2) (no copy through user space)
 * unless `fetch_copy` is set (for comparison).
 *
 * Limits (Kafka's names): socket.request.max.bytes (a larger size prefix
 * closes the connection), message.max.bytes (a larger batch gets
 * MESSAGE_TOO_LARGE), max.connections (further accepts are closed at
 * once), connections.max.idle.ms. A malformed frame closes only that
 * connection with one log line naming the client address, API, version
 * and byte offset; nothing stored is touched.
 *
 * Time: the loop reads the monotonic clock for timeouts and the wall
 * clock for record and commit timestamps (it is a runtime, like a
 * source), and passes now_ms to everything it calls.
 *
 * Threads: new/destroy from the owner; the loop thread does all socket
 * and request work; the broker's append listener (any appending thread)
 * only wakes the loop through an eventfd.
 */
#ifndef BC_KSERVER_H
#define BC_KSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_kgroup.h"
#include "broker-core/bc_offsets.h"

typedef struct bc_kserver_s bc_kserver_t;

/* Receives one log line (no newline). */
typedef void (*bc_kserver_log_fn)(void *opaque, const char *line);

typedef struct bc_kserver_conf_s {
    const char *listen;               /* "host:port"; port 0 picks a free one */
    const char *advertised;           /* "host:port" told to clients; NULL = the
                                         listen address (0.0.0.0 -> 127.0.0.1) */
    int32_t node_id;                  /* broker.id, 0 */
    int64_t socket_request_max_bytes; /* 104857600 */
    int32_t message_max_bytes;        /* 1048588 */
    int max_connections;              /* 1000 */
    int64_t idle_timeout_ms;          /* connections.max.idle.ms, 600000 */
    int auto_create_topics;           /* auto.create.topics.enable, 1 */
    int32_t num_partitions;           /* num.partitions, 1 */
    int fetch_copy;                   /* pread+send instead of sendfile */
    /* group.initial.rebalance.delay.ms (bc_kgroup.h), 100: Kafka's
     * default is 3000 and its shipped server.properties sets 0; 100 ms
     * lets members started together form one generation */
    int32_t initial_rebalance_delay_ms;
    bc_broker_t *broker;      /* required; outlives the server */
    bc_offsets_t *offsets;    /* required; outlives the server */
    bc_kserver_log_fn log_fn; /* NULL: stderr */
    void *log_opaque;
} bc_kserver_conf_t;

/* Kafka's defaults for everything but broker/offsets/listen. */
bc_kserver_conf_t bc_kserver_conf_default(void);

/* Binds and listens (so a taken port fails here: NULL, errstr "listen
 * 127.0.0.1:9092: Address already in use") and starts the loop thread.
 * Strings in conf are copied. */
bc_kserver_t *bc_kserver_start(const bc_kserver_conf_t *conf, char *errstr,
                               size_t errstr_size);

/* Stops the loop, closes every connection and frees the server. NULL is
 * fine. */
void bc_kserver_stop(bc_kserver_t *srv);

/* "host:port" actually bound (port resolved when 0 was asked). */
const char *bc_kserver_address(const bc_kserver_t *srv);

/* The wire group coordinator (owned by the server; for describing groups
 * from other threads). */
bc_kgroup_t *bc_kserver_groups(bc_kserver_t *srv);

#endif
