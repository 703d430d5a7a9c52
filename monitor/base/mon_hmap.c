/* SPDX-License-Identifier: Apache-2.0 */
/* mon_hmap: see mon_hmap.h. */
#include "monitor/base/mon_hmap.h"

#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"

static uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Eight bytes at a time; good enough spread for names, and fast. */
uint64_t mon_hash_bytes(const void *p, size_t len) {
    const char *s = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xc2b2ae3d27d4eb4fULL);
    uint64_t w;

    while (len >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        s += 8;
        len -= 8;
    }
    w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
    return fmix64(h);
}

void mon_hkey_set(mon_hkey_t *k, const char *name, size_t len) {
    k->name = name;
    k->len = len;
    k->hash = mon_hash_bytes(name, len);
}

void *mon_hmap_get(const mon_hmap_t *m, const char *name, size_t len,
                   uint64_t hash) {
    if (!m->cap) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash & mask; m->slots[i].item; i = (i + 1) & mask) {
        const mon_hkey_t *k = m->slots[i].item;
        if (m->slots[i].hash == hash && k->len == len &&
            !memcmp(k->name, name, len))
            return m->slots[i].item;
    }
    return NULL;
}

static void place(mon_hslot_t *slots, size_t cap, mon_hkey_t *item) {
    size_t mask = cap - 1, i;
    for (i = item->hash & mask; slots[i].item; i = (i + 1) & mask)
        ;
    slots[i].hash = item->hash;
    slots[i].item = item;
}

void mon_hmap_put(mon_hmap_t *m, mon_hkey_t *item) {
    if ((m->count + 1) * 10 > m->cap * 7) {
        size_t ncap = m->cap ? m->cap * 2 : 8;
        mon_hslot_t *ns = mon_calloc(ncap, sizeof(*ns));
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].item) place(ns, ncap, m->slots[i].item);
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    place(m->slots, m->cap, item);
    m->count++;
}

void mon_hmap_del(mon_hmap_t *m, const mon_hkey_t *item) {
    size_t mask = m->cap - 1, i, j, home;
    for (i = item->hash & mask; m->slots[i].item != item; i = (i + 1) & mask)
        WARREN_ASSERT(m->slots[i].item != NULL);
    /* Backward shift: move each later entry of the cluster back to i
     * unless its home lies cyclically in (i, j]. */
    m->slots[i].item = NULL;
    for (j = (i + 1) & mask; m->slots[j].item; j = (j + 1) & mask) {
        home = m->slots[j].hash & mask;
        if (i <= j ? (i >= home || home > j) : (i >= home && home > j)) {
            m->slots[i] = m->slots[j];
            m->slots[j].item = NULL;
            i = j;
        }
    }
    m->count--;
}

mon_hkey_t *mon_hmap_next(const mon_hmap_t *m, size_t *i) {
    for (; *i < m->cap; (*i)++)
        if (m->slots[*i].item) return m->slots[(*i)++].item;
    return NULL;
}

void mon_hmap_free(mon_hmap_t *m) {
    free(m->slots);
    m->slots = NULL;
    m->cap = m->count = 0;
}
