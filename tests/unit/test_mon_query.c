/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_query over a bare store and history: which clusters it
 * knows, the clock it evaluates on, copies that outlive the data they
 * came from, and the two writes. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "monitor/service/mon_query.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_store.h"

#define T0 1700000000000LL

static mon_store_t *st;
static mon_history_t *hist;
static mon_config_t *cfg;
static mon_query_t *q;

static int64_t plus_minute(void *arg, const char *cluster, int64_t wall_ms) {
    (void)arg;
    return strcmp(cluster, "local") ? wall_ms : wall_ms + 60000;
}

static void setup(void) {
    mon_store_config_t sc;
    char err[256];
    mon_store_config_default(&sc);
    st = mon_store_new(&sc, err, sizeof(err));
    cr_assert_not_null(st, "%s", err);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    cr_assert_eq(mon_store_head(cl, "t", 0, 1, 100, T0), 0);
    cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 100, T0, "h", "c"), 0);
    mon_store_cluster(st, "restored"); /* as from an old snapshot */
    hist = mon_history_new(86400000LL, 60000, 7 * 86400000LL);
    mon_hsample_t s = {.t = T0, .status = EV_OK};
    mon_history_add(hist, "local", "g", &s);
    cfg = mon_config_new_default(); /* one cluster: local */
    mon_query_src_t src = {
        .store = st, .history = hist, .config = cfg, .clock = plus_minute};
    ev_params_default(&src.params);
    q = mon_query_new(&src);
}

static void teardown(void) {
    mon_query_destroy(q);
    mon_config_destroy(cfg);
    mon_history_destroy(hist);
    mon_store_destroy(st);
}

TestSuite(mon_query, .init = setup, .fini = teardown);

Test(mon_query, knows_clusters_from_the_config_or_the_store) {
    mon_query_cluster_t qc;
    cr_assert_eq(mon_query_cluster(q, "local", &qc), 0);
    cr_assert_not_null(qc.config, "local is configured");
    cr_assert_not(qc.has_source, "no service: no source state");
    cr_assert_eq(mon_query_cluster(q, "restored", &qc), 0);
    cr_assert_null(qc.config, "known only to the store");
    cr_assert_eq(mon_query_cluster(q, "nosuch", &qc), MON_ERR_NOTFOUND);
    mon_source_status_t ss;
    cr_assert_eq(mon_query_source(q, "local", &ss), MON_ERR_NOTFOUND);
}

Test(mon_query, evaluates_on_the_clusters_clock) {
    cr_assert_eq(mon_query_now(q, "local", T0), T0 + 60000);
    cr_assert_eq(mon_query_now(q, "restored", T0), T0);
    mon_group_eval_t ev = {0};
    cr_assert_eq(mon_query_group_eval(q, "local", "g",
                                      mon_query_now(q, "local", T0), &ev),
                 0);
    cr_assert_eq(ev.status, EV_OK);
    cr_assert_eq(ev.now_ms, T0 + 60000);
    cr_assert_eq(mon_query_intervals(q), 10);
    mon_group_eval_free(&ev);
}

Test(mon_query, copies_outlive_what_they_were_read_from) {
    mon_group_detail_t d = {0};
    mon_store_names_t groups = {0};
    cr_assert_eq(mon_query_group_detail(q, "local", "g", T0, &d), 0);
    cr_assert_eq(mon_query_groups(q, "local", T0, &groups), 0);
    cr_assert_eq(mon_query_delete_group(q, "local", "g"), 0);
    cr_assert_eq(d.count, 1);
    cr_assert_str_eq(d.parts[0].owner, "h");
    cr_assert_eq(d.parts[0].entries[0].offset, 100);
    cr_assert_eq(groups.count, 1);
    cr_assert_str_eq(groups.names[0], "g");
    mon_group_detail_free(&d);
    mon_store_names_free(&groups);
}

Test(mon_query, delete_removes_the_group_and_its_history) {
    mon_hsample_t *s = NULL;
    size_t n = 0;
    cr_assert_eq(mon_query_history(q, "local", "g", 0, &s, &n), 0);
    cr_assert_eq(n, 1);
    free(s);
    cr_assert_eq(mon_query_status_since(q, "local", "g"), T0);
    cr_assert_eq(mon_query_delete_group(q, "local", "g"), 0);
    cr_assert_eq(mon_query_history(q, "local", "g", 0, &s, &n),
                 MON_ERR_NOTFOUND);
    cr_assert_null(s);
    cr_assert_eq(n, 0);
    mon_group_detail_t d = {0};
    cr_assert_eq(mon_query_group_detail(q, "local", "g", T0, &d),
                 MON_ERR_NOTFOUND);
    mon_group_detail_free(&d);
    cr_assert_eq(mon_query_delete_group(q, "local", "g"), MON_ERR_NOTFOUND);
}
