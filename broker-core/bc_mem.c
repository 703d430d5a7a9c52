/* SPDX-License-Identifier: Apache-2.0 */
/* bc_mem: see bc_mem.h. Out-of-memory aborts loudly. */
#include "broker-core/bc_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *oom(size_t size) {
    fprintf(stderr, "warren: out of memory allocating %zu bytes\n", size);
    abort();
}

void *bc_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    return p ? p : oom(size);
}

void *bc_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : oom(n * size);
}

void *bc_realloc(void *p, size_t size) {
    void *q = realloc(p, size ? size : 1);
    return q ? q : oom(size);
}

char *bc_strdup(const char *s) {
    char *p = strdup(s);
    return p ? p : oom(strlen(s) + 1);
}

char *bc_strndup(const char *s, size_t n) {
    char *p = strndup(s, n);
    return p ? p : oom(n + 1);
}

void bc_assert_fail(const char *expr, const char *file, int line) {
    fprintf(stderr, "warren: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
