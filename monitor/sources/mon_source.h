/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source: what the daemon needs from any source of offsets.
 *
 * A source feeds one cluster of the store from its own thread: the
 * embedded broker core, a Kafka cluster through librdkafka, or a recorded
 * trace. The daemon treats them alike through this small table of
 * operations: start, stop, the cluster's clock (wall time, or a trace's
 * virtual time), and a status for the API. Implementations live in
 * mon_source_<kind>.c and fill a mon_source_t with their own state.
 */
#ifndef MON_SOURCE_H
#define MON_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What GET /v3/kafka/{cluster} reports about a source. */
typedef struct mon_source_status_s {
    const char *kind;            /* "embedded", "replay" or "kafka" */
    bool available;              /* false: the source cannot see its cluster */
    bool stale;                  /* evaluations are older than the data shows */
    char last_error[256];        /* "" when none */
    int64_t last_error_ms;       /* wall ms of last_error, 0 when none */
    int64_t last_refresh_ms;     /* wall ms of the last good read, 0: never
                                    (GET /readyz: ready once one is set) */
    int64_t refresh_duration_ms; /* how long the last refresh (kafka: one
                                    poll of the cluster; embedded: one
                                    maintenance tick) took; replay: 0 */
    uint64_t refreshes;          /* refreshes done since start */
    uint64_t refresh_errors;     /* refreshes that failed since start
                                    (kafka: did not reach everything) */
    int64_t events;              /* heads + commits fed to the store */
    int32_t offline_partitions;  /* embedded: partitions left out because
                                    their log is corrupt; 0 for others */
    char offline[512];           /* "topic-p: why" of the first (file and byte),
                                    then the other names; "" when none */
    bool cannot_list_groups;     /* kafka, offsets = admin: the brokers refuse
                                    ListGroups, so only `groups =` are
                                    watched; false for others */
} mon_source_status_t;

typedef struct mon_source_s mon_source_t;

struct mon_source_s {
    /* Starts the source's thread. Returns 0 or -1 with errstr set. */
    int (*start)(mon_source_t *src, char *errstr, size_t errstr_size);
    /* Stops the thread (returns once it has ended). Idempotent. */
    void (*stop)(mon_source_t *src);
    /* Frees the source (stopping it first); NULL-safe via the wrapper. */
    void (*destroy)(mon_source_t *src);
    /* The cluster's clock in ms since the epoch, given the wall clock. */
    int64_t (*now)(mon_source_t *src, int64_t wall_ms);
    /* Copies the status. Any thread. */
    void (*status)(mon_source_t *src, mon_source_status_t *out);
    /* Optional: exact time lag in seconds of `offset` on topic/partition
     * at now_ms (from record timestamps). Returns 0 and sets *secs, or -1
     * when it cannot tell (the interpolated estimate is kept). */
    int (*time_lag)(mon_source_t *src, const char *topic, int32_t partition,
                    int64_t offset, int64_t now_ms, double *secs);
};

/* Wrappers: NULL-safe destroy; now() defaults to the wall clock. */
void mon_source_destroy(mon_source_t *src);
int64_t mon_source_now(mon_source_t *src, int64_t wall_ms);

#endif
