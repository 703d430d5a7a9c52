/* SPDX-License-Identifier: Apache-2.0 */
/* mon_hmap: the monitor's one hash table, intrusive and string-keyed.
 *
 * Items are the caller's structs whose first member is a mon_hkey_t (the
 * key bytes, their length and cached hash); the table holds pointers to
 * them, so a lookup touches one slot array and one item, and nothing is
 * copied or allocated per item. Open addressing with linear probing,
 * doubling at 70% load, backward-shift deletion (no tombstones). Built
 * for the store's hot path (a commit is two lookups) and used by every
 * table of strings in the monitor (mon_strmap is a thin layer over it).
 * Not thread-safe: the owner guards it with its own lock.
 */
#ifndef MON_HMAP_H
#define MON_HMAP_H

#include <stddef.h>
#include <stdint.h>

/* The first member of every item. name is owned by the item (or by
 * something that outlives it); the table never frees it. */
typedef struct mon_hkey_s {
    const char *name;
    size_t len;
    uint64_t hash;
} mon_hkey_t;

typedef struct mon_hslot_s {
    uint64_t hash;
    mon_hkey_t *item; /* NULL = empty */
} mon_hslot_t;

/* Zero-initialise ({0}) for an empty table. */
typedef struct mon_hmap_s {
    mon_hslot_t *slots;
    size_t cap; /* power of two, or 0 */
    size_t count;
} mon_hmap_t;

/* The hash of len bytes at p (8 bytes at a time; any bytes, NULs too). */
uint64_t mon_hash_bytes(const void *p, size_t len);

/* Sets k to name[0..len) and its hash. */
void mon_hkey_set(mon_hkey_t *k, const char *name, size_t len);

/* The item with key name[0..len) of the given hash (mon_hash_bytes), or
 * NULL. */
void *mon_hmap_get(const mon_hmap_t *m, const char *name, size_t len,
                   uint64_t hash);

/* Adds item, whose key must not be present (look it up first). */
void mon_hmap_put(mon_hmap_t *m, mon_hkey_t *item);

/* Removes item, which must be present. */
void mon_hmap_del(mon_hmap_t *m, const mon_hkey_t *item);

/* The next item at slot *i or after, advancing *i past it; NULL at the
 * end: for (size_t i = 0; (k = mon_hmap_next(m, &i));) ... The table
 * must not change during the walk (collect, then delete). */
mon_hkey_t *mon_hmap_next(const mon_hmap_t *m, size_t *i);

/* Frees the slot array (not the items) and empties the table. */
void mon_hmap_free(mon_hmap_t *m);

#endif
