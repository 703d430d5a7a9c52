/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_embedded: the embedded broker core as a source.
 *
 * Opens the broker in the cluster's data dir with its committed-offset
 * table (__consumer_offsets) and a group coordinator, and feeds the store:
 * the log-end offset of a partition after every append (the broker's
 * listener), and every commit from __consumer_offsets itself, with the
 * partition's owner and client id from the coordinator. The log is the
 * write-ahead log: a tailer thread, woken by each commit, applies the
 * topic's records from the store's place in it (mon_store_commit_at: the
 * place is kept in the snapshot with the windows), so on start the
 * commits made since the last snapshot are applied again, in order and
 * once each, before the first evaluation, and kill -9 loses none. A
 * cluster without a place reads the whole topic (Burrow's
 * backfill-earliest: every group that ever committed is there from the
 * first evaluation, with its window of real commit times), except one
 * restored from a snapshot written before places existed, which starts
 * at the end. That first read is logged once ("committed offsets read":
 * from where, records, commits, those the store dropped (a topic without
 * a head, a group filtered out, its max-cells bound), groups, bytes, ms) and
 * counts as the source's first refresh (status last_refresh); it reads 1 MiB at
 * a time and keeps only the windows, so memory does not grow with the log. The
 * lag stored with a reapplied commit is against the heads the store knows then
 * (the snapshot's), not those of the moment it was made, which the broker does
 * not keep. A housekeeping thread runs the broker's periodic work (flush
 * policy, retention, compaction) and the coordinator's session expiry every
 * second, and tells the store about new topics and their partition counts.
 * Time lag here is exact: the time since the record at the committed
 * offset was produced, from the log's time index. Internal topics (names
 * starting with "__") are not reported. A partition left offline at open
 * (corrupt log, [broker] on-corruption = offline) has no head offset; the
 * status names it until a restart after `warren broker repair`.
 *
 * Locking: the owners table has its own mutex (taken by the tailer, never
 * while calling the broker). Listeners only write the store or wake the
 * tailer; nothing here calls the broker while holding a store lock.
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
 * created if missing) writing into st. A partition whose log is corrupt
 * is handled as bk->on_corruption says (bk NULL: offline): offline ones
 * are logged (file and byte) and reported in the status. Returns NULL
 * with errstr set (unreadable or locked data dir; a corrupt segment with
 * on-corruption = refuse). */
mon_source_t *mon_source_embedded_new(const mon_config_cluster_t *cc,
                                      const mon_config_broker_t *bk,
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
