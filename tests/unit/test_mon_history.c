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
 * saved again it is version 3 and loads to the same samples. */
Test(mon_history, reads_a_version_1_file_and_saves_version_3) {
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
    cr_assert_eq(hdr[8], 3, "saved as version 3");
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

/* Rebalances are kept (the last MON_HISTORY_REBALANCES), counted, saved
 * and loaded with their members, change and deployment. */
Test(mon_history, rebalances_survive_save_and_load) {
    mon_history_t *h = mon_history_new(3600000, 600000, 86400000);
    mon_history_t *h2 = mon_history_new(3600000, 600000, 86400000);
    char path[256], err[256] = "";
    ev_member_ref_t joined[] = {{"m-new", "app-v2", "/10.0.0.9"}};
    ev_member_ref_t left[] = {{"m-old", "app-v1", "/10.0.0.1"}};
    for (int i = 0; i < MON_HISTORY_REBALANCES + 3; i++) {
        ev_rebalance_t r = {.t_ms = 1000 + i,
                            .generation_before = i,
                            .generation = i + 1,
                            .state_before = "Stable",
                            .state = "Stable",
                            .members_before = 3,
                            .members = 3,
                            .joined_total = 1,
                            .left_total = 1,
                            .joined = joined,
                            .n_joined = 1,
                            .left = left,
                            .n_left = 1,
                            .partitions_moved = 2,
                            .change = EV_CHANGE_REPLACED,
                            .deployment =
                                i % 2 ? EV_DEPLOY_ROLLING : EV_DEPLOY_NONE};
        mon_history_add_rebalance(h, "local", "g", &r);
    }
    mon_hrebalance_stats_t st;
    cr_assert_eq(mon_history_rebalance_stats(h, "local", "g", &st), 0);
    cr_assert_eq(st.total, MON_HISTORY_REBALANCES + 3);
    cr_assert_eq(st.last_ms, 1000 + MON_HISTORY_REBALANCES + 2);
    tmp_path(path, sizeof(path), "history-rb");
    cr_assert_eq(mon_history_save(h, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_history_load(h2, path, err, sizeof(err)), 0, "%s", err);
    mon_hrebalances_t rb;
    cr_assert_eq(mon_history_rebalances(h2, "local", "g", 0, &rb), 0);
    cr_assert_eq(rb.n, MON_HISTORY_REBALANCES, "the oldest beyond 64 dropped");
    cr_assert_eq(rb.v[0]->t_ms, 1003);
    const ev_rebalance_t *last = rb.v[rb.n - 1];
    cr_assert_eq(last->generation, MON_HISTORY_REBALANCES + 3);
    cr_assert_str_eq(last->joined[0].client_id, "app-v2");
    cr_assert_str_eq(last->left[0].member_id, "m-old");
    cr_assert_str_eq(last->left[0].host, "/10.0.0.1");
    cr_assert_eq(last->change, EV_CHANGE_REPLACED);
    cr_assert_eq(last->deployment, EV_DEPLOY_NONE);
    cr_assert_eq(rb.v[rb.n - 2]->deployment, EV_DEPLOY_ROLLING);
    cr_assert_eq(last->partitions_moved, 2);
    mon_hrebalances_free(&rb);
    cr_assert_eq(mon_history_rebalances(h2, "local", "g", 1060, &rb), 0);
    cr_assert_eq(rb.n, 7, "since filters by time");
    mon_hrebalances_free(&rb);
    unlink(path);
    mon_history_destroy(h);
    mon_history_destroy(h2);
}
