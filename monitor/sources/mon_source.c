/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source: the shared wrappers of the source interface. */
#include "monitor/sources/mon_source.h"

void mon_source_destroy(mon_source_t *src) {
    if (src) src->destroy(src);
}

int64_t mon_source_now(mon_source_t *src, int64_t wall_ms) {
    return src && src->now ? src->now(src, wall_ms) : wall_ms;
}
