/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_replay: a recorded lag trace as a live source.
 *
 * The trace (samples/README.md) is checked whole when the source is created, so
 * a malformed line is a startup error naming file:line:field. Once started, a
 * thread feeds its head and commit lines to the store on a virtual clock:
 * virtual = first t + (wall - start) * speed. The cluster is evaluated on that
 * clock, which keeps advancing after the last line. With loop, the trace starts
 * again after its last line, its times shifted by the trace's span (plus one
 * tick) and its offsets by the largest offset + 1 per round, so time and
 * offsets keep moving forward and no group sees a false rewind. Lines of
 * cluster "local" (the default) go to the configured cluster's name; other
 * cluster names are kept. Config lines are ignored (the daemon's own settings
 * apply) and expect lines are only checked by `warren replay --check`.
 */
#ifndef MON_SOURCE_REPLAY_H
#define MON_SOURCE_REPLAY_H

#include <stddef.h>

#include "monitor/config/mon_config.h"
#include "monitor/sources/mon_source.h"
#include "monitor/store/mon_store.h"

/* New replay source for cluster `cc` (source = replay) writing into st.
 * Reads the whole trace once to check it. Returns NULL with errstr set
 * ("FILE:LINE: field 'x': why", unreadable or empty file). */
mon_source_t *mon_source_replay_new(const mon_config_cluster_t *cc,
                                    mon_store_t *st, char *errstr,
                                    size_t errstr_size);

/* The store cluster names this source writes to (owned by the source),
 * known after _new. */
const char *const *mon_source_replay_clusters(mon_source_t *src, size_t *count);

#endif
