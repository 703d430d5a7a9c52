/* SPDX-License-Identifier: Apache-2.0 */
/* mon_mem: allocation wrappers that abort on out-of-memory, and the
 * always-on assertion for invariants whose failure would corrupt data.
 * Call sites carry no dead OOM branches; sizes that come from the network
 * or disk must be bounds-checked before they reach these.
 *
 * The monitor's names for broker-core's one copy (bc_mem.h): the same
 * habits, the same abort, one place to change them.
 */
#ifndef MON_MEM_H
#define MON_MEM_H

#include <stddef.h>

#include "broker-core/bc_mem.h"

/* malloc/calloc/realloc/strdup that never return NULL (abort on OOM).
 * Memory is released with free(). Thread-safe. */
static inline void *mon_malloc(size_t size) {
    return bc_malloc(size);
}
static inline void *mon_calloc(size_t n, size_t size) {
    return bc_calloc(n, size);
}
static inline void *mon_realloc(void *p, size_t size) {
    return bc_realloc(p, size);
}
static inline char *mon_strdup(const char *s) {
    return bc_strdup(s);
}
static inline char *mon_strndup(const char *s, size_t n) {
    return bc_strndup(s, n);
}

/* Reports file:line and the expression on stderr, then aborts; on in
 * release builds. */
#define WARREN_ASSERT(e) BC_ASSERT(e)

#endif
