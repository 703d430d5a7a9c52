/* SPDX-License-Identifier: Apache-2.0 */
/* api_metrics: GET /metrics in the Prometheus text exposition format
 * (version 0.0.4), computed at scrape time through mon_query.
 *
 * Families (every name, label and type: http/routes/README.md):
 * - kafka-lag-exporter's whole set, with its names, labels and types
 *   (all gauges): kafka_consumergroup_group_lag, _group_lag_seconds and
 *   _group_offset per partition (labels cluster_name, group, topic,
 *   partition, member_host, consumer_id, client_id), _group_max_lag,
 *   _group_max_lag_seconds and _group_sum_lag per group,
 *   _group_topic_sum_lag per group and topic, kafka_partition_latest_offset
 *   and kafka_partition_earliest_offset per topic partition,
 *   kafka_consumergroup_poll_time_ms per cluster. A time lag or an
 *   earliest offset that is not known is an absent series, never 0.
 * - Warren's own: warren_build_info, the evaluation loop's counters, per
 *   cluster warren_cluster_up, _stale, _last_refresh_age_seconds,
 *   _refresh_duration_seconds, _refreshes_total, _refresh_errors_total;
 *   per notifier its queue depth, requests in flight, open incidents,
 *   deliveries by outcome and retries; HTTP requests by route and code;
 *   warren_group_status per group, warren_partition_status,
 *   warren_partition_retention_margin and
 *   warren_partition_retention_eta_seconds per partition (the last two
 *   only where known).
 * - Burrow's families ([metrics] burrow = true) and KMinion's group and
 *   topic lag families ([metrics] kminion = true), off by default.
 * Cardinality ([metrics]): partitions = all | non-ok | none chooses which
 * partitions get per-partition series (none: group, topic and cluster
 * series only); group and topic allow/deny regexes leave groups and
 * topics out (a group's series then sum only the topics kept). NOTFOUND
 * (expired) groups are skipped. Each family is written contiguously with
 * its HELP and TYPE lines; label values are escaped (\\, \", \n).
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

/* New metrics renderer reading through q (borrowed; must outlive it);
 * its [metrics] settings are the query's configuration's (every default
 * without one). Never NULL. */
api_metrics_t *api_metrics_new(mon_query_t *q);

/* Frees it; NULL is fine. */
void api_metrics_destroy(api_metrics_t *m);

/* Registers GET /metrics on srv. Returns 0 or -1 with errstr set. */
int api_metrics_register(api_metrics_t *m, api_server_t *srv, char *errstr,
                         size_t errstr_size);

/* A rendered exposition (per-family buffers, streamed in order). */
typedef struct api_metrics_text_s api_metrics_text_t;

/* Renders the whole exposition at wall_ms, with the request counters of
 * srv (NULL: none). Never NULL; hand it back with
 * api_metrics_text_release. Any thread; takes pool_lock briefly. */
api_metrics_text_t *api_metrics_render(api_metrics_t *m, api_server_t *srv,
                                       int64_t wall_ms);

/* Its length in bytes. */
size_t api_metrics_text_len(const api_metrics_text_t *t);

/* Copies up to n bytes of t from offset off into buf; returns the count
 * (0 at the end). */
size_t api_metrics_text_read(const api_metrics_text_t *t, size_t off, char *buf,
                             size_t n);

/* Gives t back to m: kept as the spare for the next scrape when there is
 * none, else freed. NULL is fine. */
void api_metrics_text_release(api_metrics_t *m, api_metrics_text_t *t);

#endif
