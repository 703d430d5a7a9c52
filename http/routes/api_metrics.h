/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4), computed at scrape time through mon_query.
 *
 * Burrow's families (http/routes/README.md): burrow_kafka_consumer_status and
 * _lag_total per group, _partition_lag per partition, _current_offset and
 * burrow_kafka_topic_partition_status only for partitions whose window is
 * full (complete == 1), burrow_kafka_topic_partition_offset per topic
 * partition head. kafka-lag-exporter's families: kafka_consumergroup_
 * group_lag and _group_lag_seconds per partition (labels cluster_name,
 * group, topic, partition, member_host, consumer_id, client_id; seconds
 * only where the time lag is known), _group_max_lag, _group_max_lag_seconds
 * and _group_sum_lag per group. NOTFOUND (expired) groups are skipped.
 * warren_build_info{version="..."} 1 says which build answers.
 * Each family is written contiguously with its HELP and TYPE lines; label
 * values are escaped (\\, \", \n).
 *
 * Built on the assumption that a scrape is rare next to commits: it reads
 * group by group (each query takes one read lock of the store, never all
 * at once), evaluating each at its cluster's clock. The response is streamed
 * from per-family buffers that the next scrape reuses (one spare set is kept),
 * because touching fresh memory dominates the cost of a large scrape: the
 * daemon therefore keeps about one exposition's worth of memory (about
 * 480 bytes per partition series). Locks: pool_lock guards only the spare
 * buffer set. Any pool thread.
 */
#ifndef API_METRICS_H
#define API_METRICS_H

#include <stddef.h>

#include "http/server/api_server.h"
#include "monitor/service/mon_query.h"

typedef struct api_metrics_s api_metrics_t;

/* New metrics renderer reading through q (borrowed; must outlive it).
 * Never NULL. */
api_metrics_t *api_metrics_new(mon_query_t *q);

/* Frees it; NULL is fine. */
void api_metrics_destroy(api_metrics_t *m);

/* Registers GET /metrics on srv. Returns 0 or -1 with errstr set. */
int api_metrics_register(api_metrics_t *m, api_server_t *srv, char *errstr,
                         size_t errstr_size);

/* A rendered exposition (per-family buffers, streamed in order). */
typedef struct api_metrics_text_s api_metrics_text_t;

/* Renders the whole exposition at wall_ms. Never NULL; hand it back with
 * api_metrics_text_release. Any thread; takes pool_lock briefly. */
api_metrics_text_t *api_metrics_render(api_metrics_t *m, int64_t wall_ms);

/* Its length in bytes. */
size_t api_metrics_text_len(const api_metrics_text_t *t);

/* Gives t back to m: kept as the spare for the next scrape when there is
 * none, else freed. NULL is fine. */
void api_metrics_text_release(api_metrics_t *m, api_metrics_text_t *t);

#endif
