/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_hmap: items found by key (NUL bytes included), growth,
 * backward-shift deletion keeping every other item reachable, the walk
 * visiting each item once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "monitor/base/mon_hmap.h"

typedef struct item_s {
    mon_hkey_t key;
    char name[32];
    int value;
} item_t;

static void item_init(item_t *it, int i) {
    int n = snprintf(it->name, sizeof(it->name), "c%d%cg%d", i % 7, '\0', i);
    mon_hkey_set(&it->key, it->name, (size_t)n);
    it->value = i;
}

static item_t *find(const mon_hmap_t *m, const item_t *like) {
    return mon_hmap_get(m, like->name, like->key.len,
                        mon_hash_bytes(like->name, like->key.len));
}

Test(mon_hmap, put_get_del_through_growth) {
    static item_t items[3000];
    mon_hmap_t m = {0};
    for (int i = 0; i < 3000; i++) {
        item_init(&items[i], i);
        cr_assert_null(find(&m, &items[i]));
        mon_hmap_put(&m, &items[i].key);
    }
    cr_assert_eq(m.count, 3000);
    for (int i = 0; i < 3000; i += 3)
        mon_hmap_del(&m, &items[i].key);
    for (int i = 0; i < 3000; i++) {
        item_t *got = find(&m, &items[i]);
        if (i % 3 == 0)
            cr_assert_null(got, "%d deleted", i);
        else
            cr_assert_eq(got, &items[i], "%d still there", i);
    }
    mon_hmap_free(&m);
    cr_assert_eq(m.count, 0);
}

Test(mon_hmap, keys_with_nul_bytes_differ_by_what_follows) {
    item_t a, b;
    mon_hmap_t m = {0};
    memcpy(a.name, "x\0y", 4);
    memcpy(b.name, "x\0z", 4);
    mon_hkey_set(&a.key, a.name, 3);
    mon_hkey_set(&b.key, b.name, 3);
    mon_hmap_put(&m, &a.key);
    cr_assert_null(find(&m, &b));
    mon_hmap_put(&m, &b.key);
    cr_assert_eq(find(&m, &a), &a);
    cr_assert_eq(find(&m, &b), &b);
    mon_hmap_free(&m);
}

Test(mon_hmap, walk_visits_every_item_once) {
    static item_t items[500];
    static int seen[500];
    mon_hmap_t m = {0};
    for (int i = 0; i < 500; i++) {
        item_init(&items[i], i);
        mon_hmap_put(&m, &items[i].key);
    }
    mon_hkey_t *k;
    int n = 0;
    for (size_t i = 0; (k = mon_hmap_next(&m, &i));) {
        seen[((item_t *)k)->value]++;
        n++;
    }
    cr_assert_eq(n, 500);
    for (int i = 0; i < 500; i++)
        cr_assert_eq(seen[i], 1, "%d", i);
    mon_hmap_free(&m);
}
