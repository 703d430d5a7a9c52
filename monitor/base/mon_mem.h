/* SPDX-License-Identifier: Apache-2.0 */
/* mon_mem: allocation wrappers that abort on out-of-memory, and the
 * always-on assertion for invariants whose failure would corrupt data.
 * Call sites carry no dead OOM branches; sizes that come from the network
 * or disk must be bounds-checked before they reach these.
 */
#ifndef MON_MEM_H
#define MON_MEM_H

#include <stddef.h>

/* malloc/calloc/realloc/strdup that never return NULL (abort on OOM). */
void *mon_malloc(size_t size);
void *mon_calloc(size_t n, size_t size);
void *mon_realloc(void *p, size_t size);
char *mon_strdup(const char *s);
char *mon_strndup(const char *s, size_t n);

/* Reports file:line and the expression, then aborts. */
void mon_assert_fail(const char *expr, const char *file, int line);

#define WARREN_ASSERT(e)                                                       \
    ((e) ? (void)0 : mon_assert_fail(#e, __FILE__, __LINE__))

#endif
