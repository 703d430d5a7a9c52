/* SPDX-License-Identifier: Apache-2.0 */
/* mon_strmap: a hash map from strings to pointers.
 *
 * Open addressing with linear probing and cached hashes; keys are copied
 * and owned by the map, values are the caller's. Built for tables that are
 * read far more often than written (evaluation cache, histories): lookups
 * touch one cache line in the common case. Not thread-safe: the owner
 * guards it with its own lock.
 */
#ifndef MON_STRMAP_H
#define MON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct mon_strmap_s mon_strmap_t;

/* New empty map. Never NULL. */
mon_strmap_t *mon_strmap_new(void);

/* Frees the map and its keys (not the values); NULL is fine. */
void mon_strmap_destroy(mon_strmap_t *m);

/* The value stored under key (len bytes), or NULL. */
void *mon_strmap_get(const mon_strmap_t *m, const char *key, size_t len);

/* Stores value under key, replacing and returning the previous value
 * (NULL when the key was new). value must not be NULL. */
void *mon_strmap_put(mon_strmap_t *m, const char *key, size_t len, void *value);

/* Removes key and returns its value, or NULL when absent. */
void *mon_strmap_del(mon_strmap_t *m, const char *key, size_t len);

/* Number of keys. */
size_t mon_strmap_count(const mon_strmap_t *m);

/* Calls fn for every entry (any order); the map must not change during
 * the walk. Stops and returns fn's value when it is non-zero. */
int mon_strmap_each(const mon_strmap_t *m,
                    int (*fn)(const char *key, size_t len, void *value,
                              void *arg),
                    void *arg);

/* Builds the key "a\0b" for a two-part name (cluster, group) into buf;
 * returns its length, or 0 when it does not fit. */
size_t mon_strmap_key2(char *buf, size_t size, const char *a, const char *b);

#endif
