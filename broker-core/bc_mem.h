/* SPDX-License-Identifier: Apache-2.0 */
/* bc_mem: allocation wrappers and the always-on assertion of broker-core.
 *
 * The one copy of these habits in Warren (the monitor's mon_mem.h names
 * the same functions): allocations never return NULL (out-of-memory
 * aborts, there is no useful degraded mode for a storage engine or a
 * monitor) and BC_ASSERT stays on in release builds for invariants whose
 * failure would corrupt data. libc only. Sizes read from disk must be
 * bounds-checked before they get here.
 */
#ifndef BC_MEM_H
#define BC_MEM_H

#include <stddef.h>
#include <stdlib.h>

/* malloc/calloc/realloc/strdup that never return NULL (abort on OOM).
 * Memory is released with free(). Thread-safe. */
void *bc_malloc(size_t size);
void *bc_calloc(size_t n, size_t size);
void *bc_realloc(void *p, size_t size);
char *bc_strdup(const char *s);
char *bc_strndup(const char *s, size_t n);

/* Reports file:line and the failed expression on stderr, then aborts. */
void bc_assert_fail(const char *expr, const char *file, int line);

#define BC_ASSERT(e) ((e) ? (void)0 : bc_assert_fail(#e, __FILE__, __LINE__))

#endif
