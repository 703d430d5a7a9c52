/* SPDX-License-Identifier: Apache-2.0 */
/* mon_strmap: see mon_strmap.h. A thin layer over mon_hmap: each entry
 * holds its key bytes inline, after the mon_hkey_t that points at them. */
#include "monitor/base/mon_strmap.h"

#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_hmap.h"
#include "monitor/base/mon_mem.h"

typedef struct entry_s {
    mon_hkey_t key; /* first: the table's item; name points at text */
    void *value;
    char text[];
} entry_t;

struct mon_strmap_s {
    mon_hmap_t map;
};

mon_strmap_t *mon_strmap_new(void) {
    return mon_calloc(1, sizeof(mon_strmap_t));
}

void mon_strmap_destroy(mon_strmap_t *m) {
    if (!m) return;
    mon_hkey_t *k;
    for (size_t i = 0; (k = mon_hmap_next(&m->map, &i));)
        free(k);
    mon_hmap_free(&m->map);
    free(m);
}

static entry_t *find(const mon_strmap_t *m, const char *key, size_t len) {
    return mon_hmap_get(&m->map, key, len, mon_hash_bytes(key, len));
}

void *mon_strmap_get(const mon_strmap_t *m, const char *key, size_t len) {
    entry_t *e = find(m, key, len);
    return e ? e->value : NULL;
}

void *mon_strmap_put(mon_strmap_t *m, const char *key, size_t len,
                     void *value) {
    WARREN_ASSERT(value != NULL);
    uint64_t h = mon_hash_bytes(key, len);
    entry_t *e = mon_hmap_get(&m->map, key, len, h);
    if (e) {
        void *prev = e->value;
        e->value = value;
        return prev;
    }
    e = mon_malloc(sizeof(*e) + len + 1);
    memcpy(e->text, key, len);
    e->text[len] = '\0';
    e->key.name = e->text;
    e->key.len = len;
    e->key.hash = h;
    e->value = value;
    mon_hmap_put(&m->map, &e->key);
    return NULL;
}

void *mon_strmap_del(mon_strmap_t *m, const char *key, size_t len) {
    entry_t *e = find(m, key, len);
    if (!e) return NULL;
    void *value = e->value;
    mon_hmap_del(&m->map, &e->key);
    free(e);
    return value;
}

size_t mon_strmap_count(const mon_strmap_t *m) {
    return m->map.count;
}

int mon_strmap_each(const mon_strmap_t *m,
                    int (*fn)(const char *key, size_t len, void *value,
                              void *arg),
                    void *arg) {
    mon_hkey_t *k;
    for (size_t i = 0; (k = mon_hmap_next(&m->map, &i));) {
        entry_t *e = (entry_t *)k;
        int rc = fn(e->text, e->key.len, e->value, arg);
        if (rc) return rc;
    }
    return 0;
}

size_t mon_strmap_key2(char *buf, size_t size, const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la + 1 + lb + 1 > size) return 0;
    memcpy(buf, a, la);
    buf[la] = '\0';
    memcpy(buf + la + 1, b, lb);
    buf[la + 1 + lb] = '\0';
    return la + 1 + lb;
}
