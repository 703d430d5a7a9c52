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
 */
#ifndef MON_DEMO_H
#define MON_DEMO_H

#include <stddef.h>

#include "monitor/sources/mon_source.h"

typedef struct mon_demo_s mon_demo_t;

/* Creates the demo topics in the embedded source `src` (see
 * mon_source_embedded.h) and starts the producer and the groups. Returns
 * NULL with errstr set when a topic or client cannot be created. */
mon_demo_t *mon_demo_start(mon_source_t *src, char *errstr,
                           size_t errstr_size);

/* Stops every thread and closes the clients (consumers leave their
 * groups). NULL is fine. */
void mon_demo_stop(mon_demo_t *demo);

#endif
