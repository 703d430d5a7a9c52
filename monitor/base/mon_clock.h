/* mon_clock: the daemon's clocks. Logic never calls these: it takes
 * now_ms. Only main, the sources, the loops and the notifier's sender read
 * the time, through here.
 */
#ifndef MON_CLOCK_H
#define MON_CLOCK_H

#include <stdint.h>

/* Wall clock in ms since the Unix epoch (CLOCK_REALTIME). */
int64_t mon_clock_wall_ms(void);

/* Monotonic clock in ms (CLOCK_MONOTONIC), for intervals and deadlines. */
int64_t mon_clock_mono_ms(void);

#endif
