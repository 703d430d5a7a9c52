/* SPDX-License-Identifier: Apache-2.0 */
/* mon_strmap: see mon_strmap.h. FNV-1a hashing; the table doubles at 70%
 * load; deletion uses backward-shift so no tombstones accumulate. */
#include "monitor/base/mon_strmap.h"

#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"

typedef struct slot_s {
    char *key; /* NULL: empty */
    size_t len;
    uint64_t hash;
    void *value;
} slot_t;

struct mon_strmap_s {
    slot_t *slots;
    size_t cap; /* power of two */
    size_t count;
};

static uint64_t hash_of(const char *key, size_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

mon_strmap_t *mon_strmap_new(void) {
    mon_strmap_t *m = mon_calloc(1, sizeof(*m));
    m->cap = 16;
    m->slots = mon_calloc(m->cap, sizeof(*m->slots));
    return m;
}

void mon_strmap_destroy(mon_strmap_t *m) {
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

static size_t find_slot(const mon_strmap_t *m, const char *key, size_t len,
                        uint64_t h) {
    size_t mask = m->cap - 1, i = h & mask;
    while (m->slots[i].key) {
        const slot_t *s = &m->slots[i];
        if (s->hash == h && s->len == len && !memcmp(s->key, key, len))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

void *mon_strmap_get(const mon_strmap_t *m, const char *key, size_t len) {
    size_t i = find_slot(m, key, len, hash_of(key, len));
    return m->slots[i].key ? m->slots[i].value : NULL;
}

static void grow(mon_strmap_t *m) {
    slot_t *old = m->slots;
    size_t oldcap = m->cap;
    m->cap *= 2;
    m->slots = mon_calloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].key) continue;
        size_t j = old[i].hash & (m->cap - 1);
        while (m->slots[j].key)
            j = (j + 1) & (m->cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

void *mon_strmap_put(mon_strmap_t *m, const char *key, size_t len,
                     void *value) {
    WARREN_ASSERT(value != NULL);
    if ((m->count + 1) * 10 > m->cap * 7) grow(m);
    uint64_t h = hash_of(key, len);
    size_t i = find_slot(m, key, len, h);
    slot_t *s = &m->slots[i];
    if (s->key) {
        void *prev = s->value;
        s->value = value;
        return prev;
    }
    s->key = mon_malloc(len + 1);
    memcpy(s->key, key, len);
    s->key[len] = '\0';
    s->len = len;
    s->hash = h;
    s->value = value;
    m->count++;
    return NULL;
}

void *mon_strmap_del(mon_strmap_t *m, const char *key, size_t len) {
    size_t mask = m->cap - 1;
    size_t i = find_slot(m, key, len, hash_of(key, len));
    if (!m->slots[i].key) return NULL;
    void *value = m->slots[i].value;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->count--;
    /* Backward-shift the cluster after i so probes never stop early. */
    size_t j = (i + 1) & mask;
    while (m->slots[j].key) {
        size_t home = m->slots[j].hash & mask;
        /* move j to i when home is not cyclically within (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            m->slots[j].key = NULL;
            i = j;
        }
        j = (j + 1) & mask;
    }
    return value;
}

size_t mon_strmap_count(const mon_strmap_t *m) {
    return m->count;
}

int mon_strmap_each(const mon_strmap_t *m,
                    int (*fn)(const char *key, size_t len, void *value,
                              void *arg),
                    void *arg) {
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        int rc = fn(m->slots[i].key, m->slots[i].len, m->slots[i].value, arg);
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
