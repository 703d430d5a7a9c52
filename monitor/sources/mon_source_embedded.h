/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_embedded: the embedded broker core as a source.
 *
 * Opens the broker in the cluster's data dir with its committed-offset
 * table (__consumer_offsets) and a group coordinator, and feeds the store:
 * the log-end offset of a partition after every append (the broker's
 * listener), every commit as it is written (the offset table's listener),
 * with the partition's owner and client id from the coordinator. A
 * housekeeping thread runs the broker's periodic work (flush policy,
 * retention, compaction) and the coordinator's session expiry every
 * second, and tells the store about new topics and their partition counts.
 * Time lag here is exact: the time since the record at the committed
 * offset was produced, from the log's time index. Internal topics (names
 * starting with "__") are not reported.
 *
 * Locking: the owners table has its own mutex (taken inside the offset
 * table's listener, never while calling the broker). Listeners only write
 * the store; nothing here calls the broker while holding a store lock.
 */
#ifndef MON_SOURCE_EMBEDDED_H
#define MON_SOURCE_EMBEDDED_H

#include <stddef.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_coord.h"
#include "broker-core/bc_kgroup.h"
#include "broker-core/bc_offsets.h"
#include "monitor/config/mon_config.h"
#include "monitor/sources/mon_source.h"
#include "monitor/store/mon_store.h"

/* Opens the broker of cluster `cc` (source = embedded; its data dir is
 * created if missing) writing into st. Returns NULL with errstr set
 * (unreadable or locked data dir, corrupt segment). */
mon_source_t *mon_source_embedded_new(const mon_config_cluster_t *cc,
                                      mon_store_t *st, char *errstr,
                                      size_t errstr_size);

/* The broker, offset table and coordinator, for producers and consumers
 * running inside the daemon (the demo). Owned by the source. */
bc_broker_t *mon_source_embedded_broker(mon_source_t *src);
bc_offsets_t *mon_source_embedded_offsets(mon_source_t *src);
bc_coord_t *mon_source_embedded_coord(mon_source_t *src);

/* Also takes owners from the wire group coordinator of a Kafka listener
 * serving this broker (bc_kserver_groups); NULL detaches it, and must be
 * done before that listener stops. Any thread. */
void mon_source_embedded_set_wire_groups(mon_source_t *src, bc_kgroup_t *kg);

#endif
