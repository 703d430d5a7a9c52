/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_strmap: put/get/replace/delete, growth, deletion keeping
 * probe chains intact, two-part keys. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "monitor/base/mon_strmap.h"

Test(mon_strmap, put_get_replace) {
    mon_strmap_t *m = mon_strmap_new();
    int a = 1, b = 2;
    cr_assert_null(mon_strmap_put(m, "k", 1, &a));
    cr_assert_eq(mon_strmap_get(m, "k", 1), &a);
    cr_assert_eq(mon_strmap_put(m, "k", 1, &b), &a);
    cr_assert_eq(mon_strmap_get(m, "k", 1), &b);
    cr_assert_null(mon_strmap_get(m, "kk", 2));
    cr_assert_eq(mon_strmap_count(m), 1);
    mon_strmap_destroy(m);
}

Test(mon_strmap, many_keys_survive_growth_and_deletes) {
    mon_strmap_t *m = mon_strmap_new();
    static int vals[5000];
    char key[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "group-%d", i);
        vals[i] = i;
        mon_strmap_put(m, key, (size_t)n, &vals[i]);
    }
    for (int i = 0; i < 5000; i += 2) {
        int n = snprintf(key, sizeof(key), "group-%d", i);
        cr_assert_eq(mon_strmap_del(m, key, (size_t)n), &vals[i]);
    }
    cr_assert_eq(mon_strmap_count(m), 2500);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "group-%d", i);
        void *v = mon_strmap_get(m, key, (size_t)n);
        if (i % 2)
            cr_assert_eq(v, &vals[i], "key %s lost after deletes", key);
        else
            cr_assert_null(v);
    }
    mon_strmap_destroy(m);
}

Test(mon_strmap, two_part_keys_do_not_collide_with_concatenation) {
    mon_strmap_t *m = mon_strmap_new();
    char k1[64], k2[64];
    size_t n1 = mon_strmap_key2(k1, sizeof(k1), "ab", "c");
    size_t n2 = mon_strmap_key2(k2, sizeof(k2), "a", "bc");
    int a = 1, b = 2;
    mon_strmap_put(m, k1, n1, &a);
    mon_strmap_put(m, k2, n2, &b);
    cr_assert_eq(mon_strmap_get(m, k1, n1), &a);
    cr_assert_eq(mon_strmap_get(m, k2, n2), &b);
    cr_assert_eq(mon_strmap_key2(k1, 4, "ab", "cd"), 0);
    mon_strmap_destroy(m);
}

static int count_cb(const char *key, size_t len, void *value, void *arg) {
    (void)key;
    (void)len;
    *(int *)arg += *(int *)value;
    return 0;
}

Test(mon_strmap, each_visits_every_entry) {
    mon_strmap_t *m = mon_strmap_new();
    int v[3] = {1, 10, 100};
    mon_strmap_put(m, "a", 1, &v[0]);
    mon_strmap_put(m, "b", 1, &v[1]);
    mon_strmap_put(m, "c", 1, &v[2]);
    int sum = 0;
    mon_strmap_each(m, count_cb, &sum);
    cr_assert_eq(sum, 111);
    mon_strmap_destroy(m);
}
