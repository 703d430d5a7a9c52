/* SPDX-License-Identifier: Apache-2.0 */
/* mon_demo: a live workload inside the embedded broker (warren serve
 * --demo, which is `make run`).
 *
 * Real producer and consumer API calls, each group committing every
 * second, so that within a minute the API shows every behaviour Warren
 * tells apart:
 *   topic "orders" (4 partitions), ~100 records/s from one producer:
 *     "billing"    keeps up                          -> OK
 *     "analytics"  consumes ~60% of production       -> WARN
 *     "audit"      commits one offset, lag grows     -> ERR (STALL)
 *     "reports"    consumes for 15 s, then stops     -> ERR (STOP)
 *   topic "config-changes" (1 partition), 20 records then silence:
 *     "archiver"   caught up on an idle topic        -> OK, never STOP
 * Each group runs on its own thread; the producer on another.
 *
 * A speed X (warren serve --demo-speed X) runs the same timeline X times
 * faster: production per second, commits per second and the time before
 * "reports" stops are all scaled by X, so the rules see the same windows
 * (the same records between two commits), only sooner. Tests use it to
 * see every behaviour within seconds.
 */
#ifndef MON_DEMO_H
#define MON_DEMO_H

#include <stddef.h>

#include "monitor/sources/mon_source.h"

typedef struct mon_demo_s mon_demo_t;

/* Speeds --demo-speed accepts (1 = the real-time demo). */
#define MON_DEMO_SPEED_MIN 0.01
#define MON_DEMO_SPEED_MAX 100.0

/* Creates the demo topics in the embedded source `src` (see
 * mon_source_embedded.h) and starts the producer and the groups, with the
 * timeline running `speed` times faster. Returns NULL with errstr set
 * when the speed is outside [MON_DEMO_SPEED_MIN, MON_DEMO_SPEED_MAX] or a
 * topic or client cannot be created. */
mon_demo_t *mon_demo_start(mon_source_t *src, double speed, char *errstr,
                           size_t errstr_size);

/* Stops every thread and closes the clients (consumers leave their
 * groups). NULL is fine. */
void mon_demo_stop(mon_demo_t *demo);

#endif
