/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_service's evaluation loop: expiry of groups that stopped
 * committing, history pruning, snapshots. The service is built from a
 * configuration string and driven with mon_service_eval_pass on chosen
 * wall times; its sources are never started, heads and commits go
 * straight into the store (cluster "c", which has no source, so it runs
 * on the wall time the pass is given). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/service/mon_service.h"

static char g_dir[64];

static void quiet(void) {
    mon_log_set_level(MON_LOG_WARN);
}

static void rm_rf(const char *dir) {
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A service with expire-group 60 s and its data dir in a fresh temp
 * dir; *cfg must be destroyed after the service. */
static mon_service_t *service(mon_config_t **cfg) {
    snprintf(g_dir, sizeof(g_dir), "/tmp/warren-svc-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    char text[512], err[512];
    snprintf(text, sizeof(text),
             "[general]\ndata-dir = %s\n[storage]\nexpire-group = 60\n", g_dir);
    *cfg = mon_config_load_string(text, "test.ini", err, sizeof(err));
    cr_assert_not_null(*cfg, "%s", err);
    mon_service_t *svc = mon_service_new(*cfg, err, sizeof(err));
    cr_assert_not_null(svc, "%s", err);
    return svc;
}

static size_t live_groups(mon_store_t *st, int64_t now_ms) {
    mon_store_names_t names = {0};
    if (mon_store_groups(st, "c", now_ms, &names) != 0) return 0;
    size_t n = names.count;
    mon_store_names_free(&names);
    return n;
}

/* Groups of cluster "c" in the snapshot the service wrote, as listed at
 * now_ms (a time at which none of them is expired yet). */
static size_t snapshot_groups(int64_t now_ms) {
    mon_store_config_t scfg;
    mon_store_config_default(&scfg);
    char err[512], path[128];
    mon_store_t *back = mon_store_new(&scfg, err, sizeof(err));
    snprintf(path, sizeof(path), "%s/store.snapshot", g_dir);
    cr_assert_eq(mon_store_load(back, path, err, sizeof(err)), 0, "%s", err);
    size_t n = live_groups(back, now_ms);
    mon_store_destroy(back);
    return n;
}

Test(mon_service, expired_groups_are_freed_and_left_out_of_snapshots,
     .init = quiet) {
    mon_config_t *cfg;
    mon_service_t *svc = service(&cfg);
    mon_store_t *st = mon_service_store(svc);
    mon_store_cluster_t *cl = mon_store_cluster(st, "c");
    int64_t now = mon_clock_wall_ms();
    int64_t old = now - 120000; /* two minutes: beyond expire-group */

    mon_store_head(cl, "t", 0, 1, 500, old);
    for (int i = 0; i < 1000; i++) {
        char g[32];
        snprintf(g, sizeof(g), "gone-%04d", i);
        cr_assert_eq(mon_store_commit(cl, g, "t", 0, 100, old, NULL, NULL),
                     MON_STORE_STORED);
    }
    mon_service_eval_pass(svc, old); /* seen once: they have history */
    cr_assert_eq(live_groups(st, old), 1000);
    mon_store_head(cl, "t", 0, 1, 600, now);
    mon_store_commit(cl, "live", "t", 0, 600, now, NULL, NULL);

    mon_service_eval_pass(svc, now);
    /* Freed, not only hidden: even at their own time they are gone. */
    cr_assert_eq(live_groups(st, old), 1);
    mon_hsample_t *v = NULL;
    size_t n = 0;
    cr_assert_eq(
        mon_history_get(mon_service_history(svc), "c", "gone-0000", 0, &v, &n),
        -1);
    cr_assert_eq(
        mon_history_get(mon_service_history(svc), "c", "live", 0, &v, &n), 0);
    free(v);

    cr_assert_eq(mon_service_snapshot(svc), 0);
    size_t saved = snapshot_groups(old);
    cr_assert_eq(saved, 1, "%zu groups in the snapshot", saved);
    mon_service_destroy(svc);
    mon_config_destroy(cfg);
    rm_rf(g_dir);
}

Test(mon_service, snapshot_skips_groups_that_expired_since_the_last_pass,
     .init = quiet) {
    mon_config_t *cfg;
    mon_service_t *svc = service(&cfg);
    mon_store_t *st = mon_service_store(svc);
    mon_store_cluster_t *cl = mon_store_cluster(st, "c");
    int64_t old = mon_clock_wall_ms() - 120000;

    mon_store_head(cl, "t", 0, 1, 500, old);
    mon_store_commit(cl, "gone", "t", 0, 100, old, NULL, NULL);
    /* no pass ran since the group expired */
    cr_assert_eq(mon_service_snapshot(svc), 0);
    cr_assert_eq(snapshot_groups(old), 0);
    mon_service_destroy(svc);
    mon_config_destroy(cfg);
    rm_rf(g_dir);
}

Test(mon_service, history_of_groups_no_longer_evaluated_is_pruned,
     .init = quiet) {
    mon_config_t *cfg;
    mon_service_t *svc = service(&cfg);
    mon_history_t *h = mon_service_history(svc);
    int64_t now = mon_clock_wall_ms();
    mon_store_cluster(mon_service_store(svc), "c");
    /* A group only the history knows (restored from a previous run):
     * never evaluated again, so only pruning can drop it. */
    mon_hsample_t s = {.t = now - 9LL * 86400 * 1000, .status = EV_OK};
    mon_history_add(h, "c", "ghost", &s);
    mon_service_eval_pass(svc, now);
    mon_hsample_t *v = NULL;
    size_t n = 0;
    cr_assert_eq(mon_history_get(h, "c", "ghost", 0, &v, &n), -1,
                 "%zu samples kept", n);
    free(v);
    mon_service_destroy(svc);
    mon_config_destroy(cfg);
    rm_rf(g_dir);
}
