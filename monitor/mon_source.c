/* mon_source: the shared wrappers and the daemon's clocks. */
#include "monitor/mon_source.h"

#include <time.h>

void mon_source_destroy(mon_source_t *src) {
    if (src)
        src->destroy(src);
}

int64_t mon_source_now(mon_source_t *src, int64_t wall_ms) {
    return src && src->now ? src->now(src, wall_ms) : wall_ms;
}

static int64_t clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mon_clock_wall_ms(void) {
    return clock_ms(CLOCK_REALTIME);
}

int64_t mon_clock_mono_ms(void) {
    return clock_ms(CLOCK_MONOTONIC);
}
