/* SPDX-License-Identifier: Apache-2.0 */
/* mon_json_arena: cJSON trees parsed into a bump arena and released all
 * at once, for a program that parses millions of small documents one
 * after the other (a trace's lines): no malloc and free per node.
 *
 * cJSON's allocation hooks are process-wide. The first arena installs
 * hooks that take memory from an arena only inside mon_json_arena_parse,
 * on the calling thread; everywhere else (other threads, every other
 * cJSON call) they are malloc and free, as before. With custom hooks
 * cJSON grows a print buffer by malloc and copy instead of realloc, so a
 * program that prints much JSON (the daemon) should not use an arena.
 */
#ifndef MON_JSON_ARENA_H
#define MON_JSON_ARENA_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct mon_json_arena_s mon_json_arena_t;

/* A new, empty arena (installs the hooks on first use). Not thread-safe:
 * one thread parses with it at a time. */
mon_json_arena_t *mon_json_arena_new(void);

/* Frees the arena and the tree it holds. NULL is a no-op. */
void mon_json_arena_destroy(mon_json_arena_t *a);

/* Releases the previous tree, then parses len bytes of s as
 * cJSON_ParseWithLengthOpts(s, len, end, 0) does, every node in the
 * arena. The tree lives until the next parse or destroy and must not be
 * given to cJSON_Delete. Returns NULL on invalid JSON (*end, when end is
 * not NULL, at the byte where parsing stopped). */
cJSON *mon_json_arena_parse(mon_json_arena_t *a, const char *s, size_t len,
                            const char **end);

/* Bytes the arena holds now (its blocks), for tests and statistics. */
size_t mon_json_arena_size(const mon_json_arena_t *a);

#endif
