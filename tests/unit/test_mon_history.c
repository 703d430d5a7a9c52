/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_history: merging, tiers, downsampling, status-since. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/store/mon_history.h"

static mon_hsample_t smp(int64_t t, ev_status_t st, int64_t lag) {
    mon_hsample_t s = {.t = t, .status = st, .totallag = lag, .maxlag = lag};
    return s;
}

Test(mon_history, unknown_group_has_no_history) {
    mon_history_t *h = mon_history_new(1000, 100, 10000);
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "c", "g", 0, &v, &n), -1);
    cr_assert_null(v);
    cr_assert_eq(mon_history_status_since(h, "c", "g"), -1);
    mon_history_destroy(h);
}

Test(mon_history, identical_samples_merge_into_one_run) {
    mon_history_t *h = mon_history_new(100000, 1000, 1000000);
    for (int i = 0; i < 5; i++) {
        mon_hsample_t s = smp(1000 + i * 10, EV_OK, 7);
        mon_history_add(h, "c", "g", &s);
    }
    mon_hsample_t s = smp(1100, EV_WARN, 9);
    mon_history_add(h, "c", "g", &s);
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "c", "g", 0, &v, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(v[0].t, 1000);
    cr_assert_eq(v[0].t_last, 1040);
    cr_assert_eq(v[1].status, EV_WARN);
    cr_assert_eq(v[1].t_last, 1100);
    free(v);
    mon_history_destroy(h);
}

Test(mon_history, since_filters_by_last_seen_time) {
    mon_history_t *h = mon_history_new(100000, 1000, 1000000);
    for (int i = 0; i < 10; i++) {
        mon_hsample_t s = smp(i * 100, EV_OK, i);
        mon_history_add(h, "c", "g", &s);
    }
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "c", "g", 500, &v, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(v[0].t, 500);
    free(v);
    mon_history_destroy(h);
}

Test(mon_history, old_samples_fold_into_coarse_steps_keeping_worst) {
    /* fine keeps 1000 ms; coarse steps of 500 ms kept 100 s */
    mon_history_t *h = mon_history_new(1000, 500, 100000);
    ev_status_t sts[] = {EV_OK, EV_ERR, EV_OK, EV_WARN, EV_OK};
    for (int i = 0; i < 5; i++) {
        mon_hsample_t s = smp(i * 100, sts[i], i * 10);
        mon_history_add(h, "c", "g", &s);
    }
    mon_hsample_t late = smp(5000, EV_OK, 0);
    mon_history_add(h, "c", "g", &late);
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "c", "g", 0, &v, &n), 0);
    cr_assert_eq(n, 2, "one coarse bucket and the fresh sample, got %zu", n);
    cr_assert_eq(v[0].t, 0);
    cr_assert_eq(v[0].status, EV_ERR);
    cr_assert_eq(v[0].totallag, 40);
    cr_assert_eq(v[1].t, 5000);
    free(v);
    mon_history_destroy(h);
}

Test(mon_history, coarse_tier_expires) {
    mon_history_t *h = mon_history_new(1000, 500, 3000);
    mon_hsample_t a = smp(0, EV_WARN, 1);
    mon_history_add(h, "c", "g", &a);
    mon_hsample_t b = smp(10000, EV_OK, 0);
    mon_history_add(h, "c", "g", &b);
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "c", "g", 0, &v, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].t, 10000);
    free(v);
    mon_history_destroy(h);
}

Test(mon_history, status_since_is_start_of_current_run) {
    mon_history_t *h = mon_history_new(100000, 1000, 1000000);
    mon_hsample_t a = smp(100, EV_OK, 0), b = smp(200, EV_WARN, 5),
                  c = smp(300, EV_WARN, 9), d = smp(400, EV_WARN, 12);
    mon_history_add(h, "c", "g", &a);
    mon_history_add(h, "c", "g", &b);
    mon_history_add(h, "c", "g", &c);
    mon_history_add(h, "c", "g", &d);
    cr_assert_eq(mon_history_status_since(h, "c", "g"), 200);
    mon_history_destroy(h);
}

Test(mon_history, groups_are_independent_and_forgettable) {
    mon_history_t *h = mon_history_new(100000, 1000, 1000000);
    const char *names[] = {"m", "a", "z", "b"};
    for (int i = 0; i < 4; i++) {
        mon_hsample_t s = smp(100, EV_OK, i);
        mon_history_add(h, "c", names[i], &s);
    }
    mon_history_forget(h, "c", "a");
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "c", "a", 0, &v, &n), -1);
    cr_assert_eq(mon_history_get(h, "c", "z", 0, &v, &n), 0);
    cr_assert_eq(v[0].totallag, 2);
    free(v);
    cr_assert_eq(mon_history_get(h, "c", "b", 0, &v, &n), 0);
    cr_assert_eq(v[0].totallag, 3);
    free(v);
    mon_history_destroy(h);
}

Test(mon_history, going_back_in_time_is_ignored) {
    mon_history_t *h = mon_history_new(100000, 1000, 1000000);
    mon_hsample_t a = smp(500, EV_OK, 1), b = smp(100, EV_ERR, 9);
    mon_history_add(h, "c", "g", &a);
    mon_history_add(h, "c", "g", &b);
    mon_hsample_t *v;
    size_t n;
    mon_history_get(h, "c", "g", 0, &v, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(v[0].status, EV_OK);
    free(v);
    mon_history_destroy(h);
}

static void tmp_path(char *buf, size_t size, const char *name) {
    char dir[] = "/tmp/warren-hist-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(buf, size, "%s/%s", dir, name);
}

Test(mon_history, save_and_load_round_trip) {
    mon_history_t *h = mon_history_new(1000, 500, 100000);
    for (int i = 0; i < 20; i++) {
        mon_hsample_t s = smp(i * 100, i % 3 ? EV_OK : EV_WARN, i);
        s.max_time_lag_s = i * 0.5;
        mon_history_add(h, "c1", "g1", &s);
        mon_history_add(h, "c2", "g2", &s);
    }
    char path[256], err[256];
    tmp_path(path, sizeof(path), "history");
    cr_assert_eq(mon_history_save(h, path, err, sizeof(err)), 0, "%s", err);
    mon_history_t *h2 = mon_history_new(1000, 500, 100000);
    cr_assert_eq(mon_history_load(h2, path, err, sizeof(err)), 0, "%s", err);
    mon_hsample_t *a, *b;
    size_t na, nb;
    cr_assert_eq(mon_history_get(h, "c2", "g2", 0, &a, &na), 0);
    cr_assert_eq(mon_history_get(h2, "c2", "g2", 0, &b, &nb), 0);
    cr_assert_eq(na, nb);
    cr_assert_gt(na, 2);
    for (size_t i = 0; i < na; i++) {
        cr_assert_eq(a[i].t, b[i].t);
        cr_assert_eq(a[i].t_last, b[i].t_last);
        cr_assert_eq(a[i].totallag, b[i].totallag);
        cr_assert_eq(a[i].maxlag, b[i].maxlag);
        cr_assert_eq(a[i].max_time_lag_s, b[i].max_time_lag_s);
        cr_assert_eq(a[i].status, b[i].status);
    }
    free(a);
    free(b);
    mon_history_destroy(h);
    mon_history_destroy(h2);
}

Test(mon_history, corrupt_file_is_refused_and_history_kept) {
    mon_history_t *h = mon_history_new(100000, 500, 100000);
    mon_hsample_t s = smp(100, EV_ERR, 5);
    mon_history_add(h, "c", "g", &s);
    char path[256], err[256];
    tmp_path(path, sizeof(path), "history");
    cr_assert_eq(mon_history_save(h, path, err, sizeof(err)), 0);
    FILE *f = fopen(path, "r+b");
    fseek(f, 40, SEEK_SET);
    fputc(0x7f, f);
    fclose(f);
    mon_history_t *h2 = mon_history_new(100000, 500, 100000);
    mon_hsample_t keep = smp(5, EV_OK, 1);
    mon_history_add(h2, "x", "y", &keep);
    cr_assert_eq(mon_history_load(h2, path, err, sizeof(err)), -1);
    cr_assert(strstr(err, "byte 24: body checksum"), "message: %s", err);
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h2, "x", "y", 0, &v, &n), 0,
                 "history kept after a failed load");
    free(v);
    /* truncated file */
    f = fopen(path, "r+b");
    cr_assert_eq(ftruncate(fileno(f), 10), 0);
    fclose(f);
    cr_assert_eq(mon_history_load(h2, path, err, sizeof(err)), -1);
    cr_assert(strstr(err, "truncated header"), "message: %s", err);
    mon_history_destroy(h);
    mon_history_destroy(h2);
}

Test(mon_history, prune_drops_one_clusters_old_samples_and_empty_groups) {
    mon_history_t *h = mon_history_new(1000, 100, 10000);
    mon_hsample_t s = smp(0, EV_OK, 1);
    mon_history_add(h, "a", "g", &s);
    mon_history_add(h, "b", "g", &s);
    s = smp(20000, EV_OK, 2);
    mon_history_add(h, "a", "fresh", &s);
    /* a's clock is at 20 s: its "g" is beyond both tiers; b is untouched
     * (its clock is its own). */
    cr_assert_eq(mon_history_prune(h, "a", 20000), 1);
    mon_hsample_t *v;
    size_t n;
    cr_assert_eq(mon_history_get(h, "a", "g", 0, &v, &n), -1);
    cr_assert_eq(mon_history_get(h, "a", "fresh", 0, &v, &n), 0);
    cr_assert_eq(n, 1);
    free(v);
    cr_assert_eq(mon_history_get(h, "b", "g", 0, &v, &n), 0);
    cr_assert_eq(n, 1);
    free(v);
    cr_assert_eq(mon_history_prune(h, "a", 20000), 0);
    mon_history_destroy(h);
}

/* A history written by the version-1 code (tests/data/state-v1/) loads;
 * saved again it is version 2 and loads to the same samples. */
Test(mon_history, reads_a_version_1_file_and_saves_version_2) {
    mon_history_t *h =
        mon_history_new(86400000LL * 365 * 100, 600000, 86400000LL * 365 * 100);
    mon_history_t *h2 =
        mon_history_new(86400000LL * 365 * 100, 600000, 86400000LL * 365 * 100);
    char path[256], err[256] = "";
    mon_hsample_t *v = NULL, *v2 = NULL;
    size_t n = 0, n2 = 0;
    cr_assert_eq(mon_history_load(h, "tests/data/state-v1/history.snapshot",
                                  err, sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(mon_history_get(h, "local", "pdf-render", 0, &v, &n), 0);
    cr_assert(n >= 2, "%zu samples", n);
    cr_assert_eq(v[n - 1].status, EV_ERR, "the trace ends stalled");
    tmp_path(path, sizeof(path), "history");
    cr_assert_eq(mon_history_save(h, path, err, sizeof(err)), 0, "%s", err);
    FILE *f = fopen(path, "rb");
    unsigned char hdr[12];
    cr_assert_eq(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    fclose(f);
    cr_assert_eq(hdr[8], 2, "saved as version 2");
    cr_assert_eq(mon_history_load(h2, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_history_get(h2, "local", "pdf-render", 0, &v2, &n2), 0);
    cr_assert_eq(n2, n);
    cr_assert_eq(memcmp(v, v2, n * sizeof(*v)), 0);
    free(v);
    free(v2);
    unlink(path);
    mon_history_destroy(h);
    mon_history_destroy(h2);
}
