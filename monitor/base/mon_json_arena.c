/* SPDX-License-Identifier: Apache-2.0 */
#include "monitor/base/mon_json_arena.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "monitor/base/mon_mem.h"

#define FIRST_BLOCK (64u * 1024u)
#define ALIGN 16u

/* One block of the arena; blocks after the first exist only while a tree
 * needs more than the first holds, and are merged into one first block
 * of their total size at the next parse. */
typedef struct block_s {
    struct block_s *next;
    size_t cap, used;
    _Alignas(16) unsigned char mem[];
} block_t;

struct mon_json_arena_s {
    block_t *head; /* the block being filled; the first is last */
    size_t total;  /* capacity of every block */
};

/* The arena inside mon_json_arena_parse on this thread, else NULL. */
static _Thread_local mon_json_arena_t *active;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static block_t *block_new(size_t cap) {
    block_t *b = mon_malloc(sizeof(*b) + cap);

    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    return b;
}

static void *arena_alloc(mon_json_arena_t *a, size_t n) {
    block_t *b = a->head;

    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (b->cap - b->used < n) {
        size_t cap = n > a->total ? n : a->total;

        b = block_new(cap);
        b->next = a->head;
        a->head = b;
        a->total += cap;
    }
    b->used += n;
    return b->mem + b->used - n;
}

static void *hook_malloc(size_t n) {
    return active ? arena_alloc(active, n) : malloc(n);
}

/* Inside a parse cJSON frees only what that parse allocated: arena
 * memory, released with the arena. */
static void hook_free(void *p) {
    if (!active) free(p);
}

static void install_hooks(void) {
    cJSON_Hooks h = {hook_malloc, hook_free};

    cJSON_InitHooks(&h);
}

/* Empties the arena into one block of its whole capacity. */
static void arena_reset(mon_json_arena_t *a) {
    if (a->head->next) {
        block_t *b = a->head;

        while (b) {
            block_t *next = b->next;

            free(b);
            b = next;
        }
        a->head = block_new(a->total);
    }
    a->head->used = 0;
}

mon_json_arena_t *mon_json_arena_new(void) {
    mon_json_arena_t *a = mon_malloc(sizeof(*a));

    pthread_once(&hooks_once, install_hooks);
    a->head = block_new(FIRST_BLOCK);
    a->total = FIRST_BLOCK;
    return a;
}

void mon_json_arena_destroy(mon_json_arena_t *a) {
    if (!a) return;
    for (block_t *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

cJSON *mon_json_arena_parse(mon_json_arena_t *a, const char *s, size_t len,
                            const char **end) {
    cJSON *tree;

    arena_reset(a);
    active = a;
    tree = cJSON_ParseWithLengthOpts(s, len, end, 0);
    active = NULL;
    return tree;
}

size_t mon_json_arena_size(const mon_json_arena_t *a) {
    return a->total;
}
