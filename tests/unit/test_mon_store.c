/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_store: every storage rule, filters, deletion, expiry,
 * the read interface, snapshots and concurrent readers. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_crc32c.h"
#include "monitor/base/mon_codec.h"
#include "monitor/store/mon_store.h"

static mon_store_t *store_with(int intervals, int64_t min_dist, int64_t expire,
                               const char *allow, const char *deny) {
    mon_store_config_t cfg;
    char err[256] = "";
    mon_store_t *st;

    mon_store_config_default(&cfg);
    cfg.intervals = intervals;
    cfg.min_distance_ms = min_dist;
    cfg.expire_group_ms = expire;
    cfg.group_allowlist = allow;
    cfg.group_denylist = deny;
    st = mon_store_new(&cfg, err, sizeof(err));
    cr_assert_not_null(st, "mon_store_new: %s", err);
    return st;
}

static mon_store_t *store_default(void) {
    return store_with(10, 0, 604800000LL, NULL, NULL);
}

/* Detail of one partition of a group; the detail must be freed. */
static const mon_part_detail_t *part_of(const mon_group_detail_t *d,
                                        const char *topic, int32_t p) {
    for (size_t i = 0; i < d->count; i++)
        if (!strcmp(d->parts[i].topic, topic) && d->parts[i].partition == p)
            return &d->parts[i];
    return NULL;
}

Test(mon_store, head_appends_every_event_without_dedup) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    for (int i = 0; i < 3; i++)
        cr_assert_eq(mon_store_head(cl, "t", 0, 1, 100, 1000 + i), 0);
    cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 50, 2000, NULL, NULL),
                 MON_STORE_STORED);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 2000, &d), 0);
    cr_assert_eq(d.count, 1);
    cr_assert_eq(d.parts[0].head_count, 3);
    cr_assert_eq(d.parts[0].heads[0].timestamp_ms, 1000);
    cr_assert_eq(d.parts[0].heads[2].timestamp_ms, 1002);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, head_ring_keeps_the_newest_intervals_samples) {
    mon_store_t *st = store_with(3, 0, 604800000LL, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    for (int i = 0; i < 5; i++)
        mon_store_head(cl, "t", 0, 1, 100 * i, 1000 + i);
    mon_store_commit(cl, "g", "t", 0, 0, 2000, NULL, NULL);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 2000, &d), 0);
    cr_assert_eq(d.parts[0].head_count, 3);
    cr_assert_eq(d.parts[0].heads[0].offset, 200);
    cr_assert_eq(d.parts[0].heads[2].offset, 400);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, partition_count_is_max_of_given_and_highest_seen) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    int64_t *off;
    size_t n;

    mon_store_head(cl, "t", 0, 4, 10, 1);
    cr_assert_eq(mon_store_topic_offsets(st, "local", "t", &off, &n), 0);
    cr_assert_eq(n, 4);
    free(off);
    mon_store_head(cl, "t", 6, 0, 10, 2);
    cr_assert_eq(mon_store_topic_offsets(st, "local", "t", &off, &n), 0);
    cr_assert_eq(n, 7);
    free(off);
    /* A smaller given count never shrinks the topic. */
    mon_store_head(cl, "t", 1, 2, 10, 3);
    cr_assert_eq(mon_store_topic_offsets(st, "local", "t", &off, &n), 0);
    cr_assert_eq(n, 7);
    cr_assert_eq(off[0], 10);
    cr_assert_eq(off[1], 10);
    cr_assert_eq(off[2], -1, "no head yet reads -1");
    cr_assert_eq(off[6], 10);
    free(off);
    mon_store_destroy(st);
}

Test(mon_store, head_with_negative_partition_is_dropped) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_store_names_t names;

    cr_assert_eq(mon_store_head(cl, "t", -1, 0, 10, 1),
                 MON_STORE_DROP_PARTITION);
    cr_assert_eq(
        mon_store_head(cl, "t", 0, MON_STORE_MAX_PARTITIONS + 1, 10, 1),
        MON_STORE_DROP_PARTITION);
    cr_assert_eq(mon_store_topics(st, "local", &names), 0);
    cr_assert_eq(names.count, 0);
    mon_store_names_free(&names);
    mon_store_destroy(st);
}

/* Commit drop cases: setup heads, then the commit and its outcome. */
typedef struct drop_case_s {
    char why[32];
    int head_partition; /* -1 = no head at all */
    int32_t partitions; /* given count with the head */
    char topic[8];      /* commit topic */
    int32_t partition;  /* commit partition */
    int outcome;
} drop_case_t;

ParameterizedTestParameters(mon_store, commit_dropped_by_rule) {
    static drop_case_t cases[] = {
        {"topic has no head", -1, 0, "t", 0, MON_STORE_DROP_NO_TOPIC},
        {"other topic only", 0, 1, "u", 0, MON_STORE_DROP_NO_TOPIC},
        {"negative partition", 0, 4, "t", -1, MON_STORE_DROP_PARTITION},
        {"partition == count", 0, 4, "t", 4, MON_STORE_DROP_PARTITION},
        {"partition beyond count", 0, 4, "t", 9, MON_STORE_DROP_PARTITION},
        {"partition has no head", 0, 4, "t", 2, MON_STORE_DROP_NO_HEAD},
        {"stored", 2, 4, "t", 2, MON_STORE_STORED},
    };
    return cr_make_param_array(drop_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(drop_case_t *c, mon_store, commit_dropped_by_rule) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_store_names_t names;
    int rc;

    if (c->head_partition >= 0)
        mon_store_head(cl, "t", c->head_partition, c->partitions, 100, 1);
    rc = mon_store_commit(cl, "g", c->topic, c->partition, 50, 2, NULL, NULL);
    cr_assert_eq(rc, c->outcome, "%s: outcome %d", c->why, rc);
    cr_assert_eq(mon_store_groups(st, "local", 2, &names), 0);
    cr_assert_eq(names.count, c->outcome == MON_STORE_STORED ? 1u : 0u,
                 "%s: a dropped commit creates no group", c->why);
    mon_store_names_free(&names);
    mon_store_destroy(st);
}

Test(mon_store, first_commit_gives_a_window_for_every_partition) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};

    mon_store_head(cl, "t", 1, 4, 100, 1000);
    mon_store_commit(cl, "g", "t", 1, 100, 1000, NULL, NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 1000, NULL, &ev), 0);
    cr_assert_eq(ev.count, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(ev.parts[i].partition, (int32_t)i);
        cr_assert_str_eq(ev.parts[i].topic, "t");
        cr_assert_eq(ev.parts[i].result.status, EV_OK);
        if (i != 1) {
            cr_assert_eq(ev.parts[i].entry_count, 0);
            cr_assert_eq(ev.parts[i].result.rule, EV_RULE_NO_COMMITS);
            cr_assert_float_eq(ev.parts[i].result.complete, 0.0, 1e-9);
        }
    }
    cr_assert_eq(ev.parts[1].entry_count, 1);
    cr_assert_eq(ev.status, EV_OK);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, group_partitions_grow_with_the_topic) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};

    mon_store_head(cl, "t", 0, 2, 100, 1000);
    mon_store_commit(cl, "g", "t", 0, 90, 1000, "h", "c");
    mon_store_head(cl, "t", 5, 0, 100, 2000);
    /* Readers see the growth before the group commits again. */
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 2000, NULL, &ev), 0);
    cr_assert_eq(ev.count, 6);
    cr_assert_eq(ev.parts[5].entry_count, 0);
    /* And a commit to a new partition is kept, old windows intact. */
    cr_assert_eq(mon_store_commit(cl, "g", "t", 5, 100, 2000, NULL, NULL),
                 MON_STORE_STORED);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 2000, NULL, &ev), 0);
    cr_assert_eq(ev.count, 6);
    cr_assert_eq(ev.parts[5].entry_count, 1);
    cr_assert_eq(ev.parts[0].entry_count, 1);
    cr_assert_eq(ev.parts[0].last.offset, 90);
    cr_assert_str_eq(ev.parts[0].owner, "h");
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, lag_is_newest_head_minus_offset_floored_at_zero) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    mon_store_head(cl, "t", 0, 1, 1000, 1000);
    mon_store_commit(cl, "g", "t", 0, 900, 1000, NULL, NULL);
    mon_store_head(cl, "t", 0, 1, 2000, 2000);
    mon_store_commit(cl, "g", "t", 0, 1500, 2000, NULL, NULL);
    mon_store_commit(cl, "g", "t", 0, 2500, 3000, NULL, NULL);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 3000, &d), 0);
    cr_assert_eq(d.parts[0].entry_count, 3);
    cr_assert_eq(d.parts[0].entries[0].lag, 100, "lag fixed at commit time");
    cr_assert_eq(d.parts[0].entries[1].lag, 500);
    cr_assert_eq(d.parts[0].entries[2].lag, 0, "floored at 0");
    cr_assert_eq(d.parts[0].current_lag, 0);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, min_distance_merges_into_newest_keeping_its_timestamp) {
    mon_store_t *st = store_with(10, 1000, 604800000LL, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    mon_store_head(cl, "t", 0, 1, 100, 0);
    cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 10, 0, NULL, NULL),
                 MON_STORE_STORED);
    cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 20, 999, NULL, NULL),
                 MON_STORE_MERGED);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 999, &d), 0);
    cr_assert_eq(d.parts[0].entry_count, 1);
    cr_assert_eq(d.parts[0].entries[0].offset, 20);
    cr_assert_eq(d.parts[0].entries[0].lag, 80);
    cr_assert_eq(d.parts[0].entries[0].timestamp_ms, 0, "keeps its time");
    /* Exactly min_distance apart is not "less than": appended. */
    cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 30, 1000, NULL, NULL),
                 MON_STORE_STORED);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 1000, &d), 0);
    cr_assert_eq(d.parts[0].entry_count, 2);
    cr_assert_eq(d.parts[0].entries[1].timestamp_ms, 1000);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, zero_min_distance_appends_commits_at_the_same_time) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    mon_store_head(cl, "t", 0, 1, 100, 0);
    mon_store_commit(cl, "g", "t", 0, 10, 5, NULL, NULL);
    cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 20, 5, NULL, NULL),
                 MON_STORE_STORED);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 5, &d), 0);
    cr_assert_eq(d.parts[0].entry_count, 2);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, full_window_drops_the_oldest_commit) {
    mon_store_t *st = store_with(3, 0, 604800000LL, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    mon_store_head(cl, "t", 0, 1, 1000, 0);
    for (int i = 1; i <= 5; i++)
        mon_store_commit(cl, "g", "t", 0, i * 10, i * 1000, NULL, NULL);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 5000, &d), 0);
    cr_assert_eq(d.parts[0].entry_count, 3);
    cr_assert_eq(d.parts[0].entries[0].offset, 30);
    cr_assert_eq(d.parts[0].entries[2].offset, 50);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, group_expired_after_expire_group_reads_notfound) {
    mon_store_t *st = store_with(10, 0, 1000, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    mon_group_detail_t d = {0};
    mon_store_names_t names;

    mon_store_head(cl, "t", 0, 1, 100, 0);
    mon_store_commit(cl, "g", "t", 0, 100, 0, NULL, NULL);
    /* exactly expire_group_ms old: still live */
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 1000, NULL, &ev), 0);
    cr_assert_eq(ev.status, EV_OK);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 1001, NULL, &ev),
                 MON_ERR_NOTFOUND);
    cr_assert_eq(ev.status, EV_NOTFOUND);
    cr_assert_eq(ev.count, 0);
    cr_assert_str_eq(ev.group, "g");
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 1001, &d),
                 MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_groups(st, "local", 1001, &names), 0);
    cr_assert_eq(names.count, 0);
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_topic_consumers(st, "local", "t", 1001, &names), 0);
    cr_assert_eq(names.count, 0);
    mon_store_names_free(&names);
    /* Readers only report it: the group is still there for an earlier
     * now, until mon_store_expire or the next write removes it. */
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 1000, NULL, &ev), 0);
    mon_group_eval_free(&ev);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, expire_removes_expired_groups_only) {
    mon_store_t *st = store_with(10, 0, 1000, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};

    mon_store_head(cl, "t", 0, 1, 100, 0);
    mon_store_commit(cl, "old", "t", 0, 100, 0, NULL, NULL);
    mon_store_commit(cl, "new", "t", 0, 100, 900, NULL, NULL);
    cr_assert_eq(mon_store_expire(st, "local", 1500), 1);
    /* Removed for good: even an earlier `now` no longer finds it. */
    cr_assert_eq(mon_store_group_eval(st, "local", "old", 0, NULL, &ev),
                 MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_eval(st, "local", "new", 1500, NULL, &ev), 0);
    cr_assert_eq(mon_store_expire(st, "local", 1500), 0);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, expire_takes_each_clusters_own_clock) {
    mon_store_t *st = store_with(10, 0, 1000, NULL, NULL);
    mon_store_cluster_t *a = mon_store_cluster(st, "a");
    mon_store_cluster_t *b = mon_store_cluster(st, "b");
    mon_store_names_t names = {0};

    mon_store_head(a, "t", 0, 1, 100, 0);
    mon_store_commit(a, "g", "t", 0, 100, 0, NULL, NULL);
    mon_store_head(b, "t", 0, 1, 100, 0);
    mon_store_commit(b, "g", "t", 0, 100, 0, NULL, NULL);
    cr_assert_eq(mon_store_expire(st, "a", 1500), 1);
    cr_assert_eq(mon_store_expire(st, "nosuch", 1500), 0);
    cr_assert_eq(mon_store_groups(st, "b", 0, &names), 0);
    cr_assert_eq(names.count, 1);
    mon_store_names_free(&names);
    mon_store_destroy(st);
}

Test(mon_store, commit_to_an_expired_group_starts_it_afresh) {
    mon_store_t *st = store_with(10, 0, 1000, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};

    mon_store_head(cl, "t", 0, 2, 100, 0);
    mon_store_head(cl, "t", 1, 2, 100, 0);
    mon_store_commit(cl, "g", "t", 0, 10, 0, "old-owner", NULL);
    mon_store_commit(cl, "g", "t", 1, 10, 0, NULL, NULL);
    mon_store_commit(cl, "g", "t", 0, 50, 5000, NULL, NULL);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 5000, &d), 0);
    cr_assert_eq(part_of(&d, "t", 0)->entry_count, 1);
    cr_assert_eq(part_of(&d, "t", 0)->entries[0].offset, 50);
    cr_assert_str_eq(part_of(&d, "t", 0)->owner, "");
    cr_assert_eq(part_of(&d, "t", 1)->entry_count, 0);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

/* Strings inline: Criterion runs each case in a fresh process, so the
 * parameters may not point at other data. "-" means no list. */
typedef struct filter_case_s {
    char allow[16];
    char deny[16];
    char group[24];
    int outcome;
} filter_case_t;

ParameterizedTestParameters(mon_store, group_filters_are_unanchored_eres) {
    static filter_case_t cases[] = {
        {"ord", "-", "big-orders-x", MON_STORE_STORED},
        {"ord", "-", "billing", MON_STORE_DROP_FILTERED},
        {"^ord", "-", "big-orders", MON_STORE_DROP_FILTERED},
        {"(a|b)+c", "-", "zzabac", MON_STORE_STORED},
        {"-", "^console-", "console-consumer-1", MON_STORE_DROP_FILTERED},
        {"-", "^console-", "my-console-x", MON_STORE_STORED},
        {"-", "tmp", "x-tmp-y", MON_STORE_DROP_FILTERED},
        {"orders", "test", "orders-test", MON_STORE_DROP_FILTERED},
        {"orders", "test", "orders-prod", MON_STORE_STORED},
        {"", "", "anything", MON_STORE_STORED},
    };
    return cr_make_param_array(filter_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(filter_case_t *c, mon_store,
                  group_filters_are_unanchored_eres) {
    mon_store_t *st =
        store_with(10, 0, 604800000LL, strcmp(c->allow, "-") ? c->allow : NULL,
                   strcmp(c->deny, "-") ? c->deny : NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");

    mon_store_head(cl, "t", 0, 1, 100, 0);
    /* twice: the second goes through the refused-name cache */
    for (int i = 0; i < 2; i++)
        cr_assert_eq(mon_store_commit(cl, c->group, "t", 0, 1, i, NULL, NULL),
                     c->outcome, "allow %s deny %s group %s", c->allow, c->deny,
                     c->group);
    mon_store_destroy(st);
}

Test(mon_store, bad_regex_is_refused_with_a_message) {
    mon_store_config_t cfg;
    char err[256] = "";

    mon_store_config_default(&cfg);
    cfg.group_denylist = "(unclosed";
    cr_assert_null(mon_store_new(&cfg, err, sizeof(err)));
    cr_assert(strstr(err, "denylist") != NULL, "message: %s", err);
    cfg.group_denylist = NULL;
    cfg.intervals = 0;
    cr_assert_null(mon_store_new(&cfg, err, sizeof(err)));
    cr_assert(strstr(err, "intervals") != NULL, "message: %s", err);
}

Test(mon_store, delete_topic_removes_it_from_every_group) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    mon_store_names_t names;

    mon_store_head(cl, "a", 0, 2, 100, 0);
    mon_store_head(cl, "b", 0, 1, 100, 0);
    mon_store_commit(cl, "g1", "a", 0, 1, 0, "o", "c");
    mon_store_commit(cl, "g1", "b", 0, 1, 0, NULL, NULL);
    mon_store_commit(cl, "g2", "a", 0, 1, 0, NULL, NULL);
    cr_assert_eq(mon_store_delete_topic(st, "local", "a"), 0);
    cr_assert_eq(mon_store_delete_topic(st, "local", "a"), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_eval(st, "local", "g1", 0, NULL, &ev), 0);
    cr_assert_eq(ev.count, 1);
    cr_assert_str_eq(ev.parts[0].topic, "b");
    cr_assert_eq(mon_store_group_eval(st, "local", "g2", 0, NULL, &ev), 0);
    cr_assert_eq(ev.count, 0);
    cr_assert_eq(mon_store_topics(st, "local", &names), 0);
    cr_assert_eq(names.count, 1);
    cr_assert_str_eq(names.names[0], "b");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_topic_consumers(st, "local", "a", 0, &names), 0);
    cr_assert_eq(names.count, 0);
    mon_store_names_free(&names);
    /* The topic is gone: a commit to it is dropped again. */
    cr_assert_eq(mon_store_commit(cl, "g1", "a", 0, 1, 1, NULL, NULL),
                 MON_STORE_DROP_NO_TOPIC);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, delete_group_and_delete_group_topic) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};

    mon_store_head(cl, "a", 0, 1, 100, 0);
    mon_store_head(cl, "b", 0, 1, 100, 0);
    mon_store_commit(cl, "g", "a", 0, 1, 0, NULL, NULL);
    mon_store_commit(cl, "g", "b", 0, 1, 0, NULL, NULL);
    mon_store_commit(cl, "h", "a", 0, 1, 0, NULL, NULL);
    cr_assert_eq(mon_store_delete_group_topic(st, "local", "g", "a"), 0);
    cr_assert_eq(mon_store_delete_group_topic(st, "local", "g", "a"),
                 MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 0, NULL, &ev), 0);
    cr_assert_eq(ev.count, 1);
    cr_assert_str_eq(ev.parts[0].topic, "b");
    cr_assert_eq(mon_store_delete_group(st, "local", "g"), 0);
    cr_assert_eq(mon_store_delete_group(st, "local", "g"), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_delete_group(st, "nosuch", "g"), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 0, NULL, &ev),
                 MON_ERR_NOTFOUND);
    /* The writer cache must not resurrect the deleted group. */
    cr_assert_eq(mon_store_commit(cl, "g", "a", 0, 5, 1, NULL, NULL), 0);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 1, NULL, &ev), 0);
    cr_assert_eq(ev.count, 1);
    cr_assert_eq(ev.parts[0].entry_count, 1);
    cr_assert_eq(mon_store_group_eval(st, "local", "h", 0, NULL, &ev), 0);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, owner_and_client_id_follow_commits) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};

    mon_store_head(cl, "t", 0, 3, 100, 0);
    mon_store_head(cl, "t", 1, 3, 100, 0);
    mon_store_commit(cl, "g", "t", 0, 1, 0, "host-a", "client-1");
    mon_store_commit(cl, "g", "t", 1, 1, 0, "host-a", "client-1");
    mon_store_commit(cl, "g", "t", 0, 2, 1, NULL, NULL);   /* keeps */
    mon_store_commit(cl, "g", "t", 1, 2, 1, "host-b", ""); /* replaces */
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 1, NULL, &ev), 0);
    cr_assert_str_eq(ev.parts[0].owner, "host-a");
    cr_assert_str_eq(ev.parts[0].client_id, "client-1");
    cr_assert_str_eq(ev.parts[1].owner, "host-b");
    cr_assert_str_eq(ev.parts[1].client_id, "");
    cr_assert_str_eq(ev.parts[2].owner, "");
    /* each half of the pair kept or cleared on its own */
    mon_store_commit(cl, "g", "t", 0, 3, 2, NULL, "client-2");
    mon_store_commit(cl, "g", "t", 1, 3, 2, "", NULL);
    mon_store_head(cl, "t", 2, 3, 100, 2);
    mon_store_commit(cl, "g", "t", 2, 3, 2, "host-c", "client-1");
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 2, NULL, &ev), 0);
    cr_assert_str_eq(ev.parts[0].owner, "host-a");
    cr_assert_str_eq(ev.parts[0].client_id, "client-2");
    cr_assert_str_eq(ev.parts[1].owner, "");
    cr_assert_str_eq(ev.parts[1].client_id, "");
    cr_assert_str_eq(ev.parts[2].owner, "host-c");
    cr_assert_str_eq(ev.parts[2].client_id, "client-1");
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

/* The time lag of the record at the committed offset: kept while the
 * group stays there, forgotten when a commit moves it, and a stamp of
 * another offset than the newest commit's is no answer. */
Test(mon_store, a_stamp_holds_while_the_group_stays_at_its_offset) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};

    mon_store_head(cl, "t", 0, 1, 1000, 0);
    mon_store_commit(cl, "g", "t", 0, 100, 1000, NULL, NULL);
    cr_assert_eq(mon_store_stamp(cl, "g", "t", 0, 100, 500), 0);
    cr_assert_eq(mon_store_stamp(cl, "g", "t", 1, 100, 500), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 10500, NULL, &ev), 0);
    cr_assert(ev.parts[0].time_lag_exact);
    cr_assert_float_eq(ev.parts[0].result.time_lag_s, 10.0, 1e-9);
    /* another offset: ignored */
    cr_assert_eq(mon_store_stamp(cl, "g", "t", 0, 99, 9000), 0);
    /* a commit at the same offset keeps the stamp */
    mon_store_commit(cl, "g", "t", 0, 100, 2000, NULL, NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 10500, NULL, &ev), 0);
    cr_assert(ev.parts[0].time_lag_exact);
    cr_assert_float_eq(ev.parts[0].result.time_lag_s, 10.0, 1e-9);
    /* a commit that moves: no stamp until one is told for 150 */
    mon_store_commit(cl, "g", "t", 0, 150, 3000, NULL, NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 10500, NULL, &ev), 0);
    cr_assert_not(ev.parts[0].time_lag_exact);
    cr_assert_eq(mon_store_stamp(cl, "g", "t", 0, 100, 500), 0);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 10500, NULL, &ev), 0);
    cr_assert_not(ev.parts[0].time_lag_exact, "a stamp of the old offset");
    cr_assert_eq(mon_store_stamp(cl, "g", "t", 0, 150, 2500), 0);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 10500, NULL, &ev), 0);
    cr_assert(ev.parts[0].time_lag_exact);
    cr_assert_float_eq(ev.parts[0].result.time_lag_s, 8.0, 1e-9);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, lists_are_sorted_and_unknown_cluster_is_notfound) {
    mon_store_t *st = store_default();
    mon_store_names_t names;
    const char *cls[] = {"zeta", "alpha", "mid"};

    for (int i = 0; i < 3; i++) {
        mon_store_cluster_t *cl = mon_store_cluster(st, cls[i]);

        mon_store_head(cl, "t2", 0, 1, 100, 0);
        mon_store_head(cl, "t1", 0, 1, 100, 0);
        mon_store_commit(cl, "gb", "t1", 0, 1, 0, NULL, NULL);
        mon_store_commit(cl, "ga", "t2", 0, 1, 0, NULL, NULL);
    }
    cr_assert_eq(mon_store_cluster(st, "alpha"),
                 mon_store_cluster_find(st, "alpha"));
    cr_assert_null(mon_store_cluster(st, ""));
    cr_assert_eq(mon_store_clusters(st, &names), 0);
    cr_assert_eq(names.count, 3);
    cr_assert_str_eq(names.names[0], "alpha");
    cr_assert_str_eq(names.names[2], "zeta");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_topics(st, "mid", &names), 0);
    cr_assert_eq(names.count, 2);
    cr_assert_str_eq(names.names[0], "t1");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_groups(st, "mid", 0, &names), 0);
    cr_assert_eq(names.count, 2);
    cr_assert_str_eq(names.names[0], "ga");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_topic_consumers(st, "mid", "t1", 0, &names), 0);
    cr_assert_eq(names.count, 1);
    cr_assert_str_eq(names.names[0], "gb");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_topics(st, "nosuch", &names), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_groups(st, "nosuch", 0, &names), MON_ERR_NOTFOUND);
    int64_t *off;
    size_t n;
    cr_assert_eq(mon_store_topic_offsets(st, "mid", "nosuch", &off, &n),
                 MON_ERR_NOTFOUND);
    cr_assert_null(off);
    mon_store_destroy(st);
}

Test(mon_store, eval_reports_stop_with_window_ends_and_rollup) {
    /* Burrow's testgroup2: five commits 1000..1400 every 10 s, head
     * 4321, evaluated 60 s after the last commit: STOP, group ERR, by
     * Burrow's rules (the warren rules give a partial window more time). */
    mon_store_t *st = store_default();
    ev_params_t burrow;
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    int64_t t0 = 1700000000000LL;

    mon_store_head(cl, "testtopic", 0, 1, 4321, t0);
    for (int i = 0; i < 5; i++)
        mon_store_commit(cl, "testgroup2", "testtopic", 0, 1000 + 100 * i,
                         t0 + 10000 * i, NULL, NULL);
    ev_params_default(&burrow);
    burrow.rules = EV_RULES_BURROW;
    cr_assert_eq(mon_store_group_eval(st, "local", "testgroup2",
                                      1700000100000LL, &burrow, &ev),
                 0);
    cr_assert_str_eq(ev.cluster, "local");
    cr_assert_str_eq(ev.group, "testgroup2");
    cr_assert_eq(ev.status, EV_ERR);
    cr_assert_eq(ev.count, 1);
    cr_assert_eq(ev.parts[0].result.status, EV_STOP);
    cr_assert_eq(ev.parts[0].first.offset, 1000);
    cr_assert_eq(ev.parts[0].first.lag, 3321);
    cr_assert_eq(ev.parts[0].last.offset, 1400);
    cr_assert_eq(ev.parts[0].last.timestamp_ms, t0 + 40000);
    cr_assert_eq(ev.parts[0].result.current_lag, 2921);
    cr_assert_eq(ev.rollup.totallag, 2921);
    cr_assert_eq(ev.rollup.maxlag_index, 0);
    cr_assert_float_eq(ev.rollup.complete, 0.0, 1e-9);
    cr_assert_eq(ev.last_commit_ms, t0 + 40000);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, eval_orders_topics_and_partitions_and_reuses_buffers) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    void *buf;

    mon_store_head(cl, "zz", 0, 2, 100, 0);
    mon_store_head(cl, "aa", 0, 2, 100, 0);
    mon_store_commit(cl, "g", "zz", 0, 50, 0, NULL, NULL);
    mon_store_commit(cl, "g", "aa", 0, 70, 0, NULL, NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 0, NULL, &ev), 0);
    cr_assert_eq(ev.count, 4);
    cr_assert_str_eq(ev.parts[0].topic, "aa");
    cr_assert_str_eq(ev.parts[2].topic, "zz");
    cr_assert_eq(ev.parts[3].partition, 1);
    cr_assert_eq(ev.rollup.maxlag_index, 2, "zz/0 has the larger lag");
    buf = ev.buf_;
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 0, NULL, &ev), 0);
    cr_assert_eq(ev.buf_, buf, "a repeated evaluation reuses its buffer");
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

typedef struct visit_s {
    char seen[8][32];
    int n;
} visit_t;

static int visit_cb(const mon_group_eval_t *ev, void *arg) {
    visit_t *v = arg;

    if (v->n < 8)
        snprintf(v->seen[v->n], sizeof(v->seen[0]), "%s/%s", ev->cluster,
                 ev->group);
    v->n++;
    return 0;
}

static int stop_cb(const mon_group_eval_t *ev, void *arg) {
    (void)ev;
    (*(int *)arg)++;
    return 7;
}

Test(mon_store, foreach_eval_visits_live_groups_in_name_order) {
    mon_store_t *st = store_with(10, 0, 1000, NULL, NULL);
    mon_store_cluster_t *b = mon_store_cluster(st, "b");
    mon_store_cluster_t *a = mon_store_cluster(st, "a");
    visit_t v = {.n = 0};
    int calls = 0;

    mon_store_head(a, "t", 0, 1, 100, 0);
    mon_store_head(b, "t", 0, 1, 100, 0);
    mon_store_commit(b, "g2", "t", 0, 1, 500, NULL, NULL);
    mon_store_commit(a, "g9", "t", 0, 1, 500, NULL, NULL);
    mon_store_commit(a, "g1", "t", 0, 1, 500, NULL, NULL);
    mon_store_commit(a, "expired", "t", 0, 1, 0, NULL, NULL);
    cr_assert_eq(mon_store_foreach_eval(st, 1200, NULL, visit_cb, &v), 0);
    cr_assert_eq(v.n, 3);
    cr_assert_str_eq(v.seen[0], "a/g1");
    cr_assert_str_eq(v.seen[1], "a/g9");
    cr_assert_str_eq(v.seen[2], "b/g2");
    cr_assert_eq(mon_store_foreach_eval(st, 1200, NULL, stop_cb, &calls), 7);
    cr_assert_eq(calls, 1);
    mon_store_destroy(st);
}

/* ---- snapshots ---- */

static void tmp_path(char *buf, size_t size) {
    snprintf(buf, size, "/tmp/test_mon_store_%d_XXXXXX", (int)getpid());
    int fd = mkstemp(buf);
    cr_assert(fd >= 0);
    close(fd);
}

static void fill_sample(mon_store_t *st) {
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_store_cluster_t *c2 = mon_store_cluster(st, "other");

    for (int i = 0; i < 12; i++) {
        mon_store_head(cl, "orders", i % 3, 3, 1000 + i * 100, i * 1000);
        mon_store_commit(cl, "billing", "orders", i % 3, 900 + i * 90, i * 1000,
                         i % 2 ? "host-1" : "host-2", "cid");
    }
    mon_store_head(cl, "audit", 4, 0, 7, 5);
    mon_store_commit(cl, "billing", "audit", 4, 7, 6, NULL, NULL);
    mon_store_head(c2, "x", 0, 1, 5, 5);
    mon_store_commit(c2, "gx", "x", 0, 1, 5, "o", NULL);
}

static void assert_same_detail(mon_store_t *a, mon_store_t *b,
                               const char *cluster, const char *group) {
    mon_group_detail_t da = {0}, db = {0};

    cr_assert_eq(mon_store_group_detail(a, cluster, group, 20000, &da), 0);
    cr_assert_eq(mon_store_group_detail(b, cluster, group, 20000, &db), 0);
    cr_assert_eq(da.count, db.count);
    cr_assert_eq(da.last_commit_ms, db.last_commit_ms);
    for (size_t i = 0; i < da.count; i++) {
        const mon_part_detail_t *x = &da.parts[i], *y = &db.parts[i];

        cr_assert_str_eq(x->topic, y->topic);
        cr_assert_eq(x->partition, y->partition);
        cr_assert_str_eq(x->owner, y->owner);
        cr_assert_str_eq(x->client_id, y->client_id);
        cr_assert_eq(x->entry_count, y->entry_count);
        cr_assert_eq(x->head_count, y->head_count);
        cr_assert_eq(x->current_lag, y->current_lag);
        cr_assert_arr_eq(x->entries, y->entries,
                         (size_t)x->entry_count * sizeof(ev_entry_t));
        cr_assert_arr_eq(x->heads, y->heads,
                         (size_t)x->head_count * sizeof(ev_head_t));
    }
    mon_group_detail_free(&da);
    mon_group_detail_free(&db);
}

Test(mon_store, group_seen_alive_does_not_expire_and_survives_a_save) {
    mon_store_t *st = store_with(10, 0, 1000, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    char path[128], err[256] = "";

    mon_store_head(cl, "t", 0, 1, 100, 0);
    mon_store_commit(cl, "idle", "t", 0, 100, 0, NULL, NULL);
    cr_assert_eq(mon_store_group_seen(cl, "nosuch", 900), MON_ERR_NOTFOUND);
    cr_assert_eq(mon_store_group_seen(cl, "idle", 900), 0);
    /* 1.5 s after its only commit, but seen 0.6 s ago: alive, with the
     * one window entry it had. */
    cr_assert_eq(mon_store_expire(st, "local", 1500), 0);
    cr_assert_eq(mon_store_group_eval(st, "local", "idle", 1500, NULL, &ev), 0);
    cr_assert_eq(ev.parts[0].entry_count, 1);
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(st, path, err, sizeof(err)), 0, "%s", err);
    mon_store_t *back = store_with(10, 0, 1000, NULL, NULL);
    cr_assert_eq(mon_store_load(back, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_store_expire(back, "local", 1500), 0);
    cr_assert_eq(mon_store_expire(back, "local", 2000), 1);
    unlink(path);
    mon_group_eval_free(&ev);
    mon_store_destroy(back);
    mon_store_destroy(st);
}

Test(mon_store, save_then_load_restores_windows_heads_and_owners) {
    mon_store_t *a = store_default(), *b = store_default();
    char path[128], err[256] = "";
    mon_store_names_t names;

    fill_sample(a);
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(a, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_store_load(b, path, err, sizeof(err)), 0, "%s", err);
    assert_same_detail(a, b, "local", "billing");
    assert_same_detail(a, b, "other", "gx");
    cr_assert_eq(mon_store_topics(b, "local", &names), 0);
    cr_assert_eq(names.count, 2);
    mon_store_names_free(&names);
    /* The loaded store keeps working as a store. */
    mon_store_cluster_t *cl = mon_store_cluster_find(b, "local");
    cr_assert_eq(
        mon_store_commit(cl, "billing", "orders", 0, 2000, 20000, NULL, NULL),
        MON_STORE_STORED);
    unlink(path);
    mon_store_destroy(a);
    mon_store_destroy(b);
}

/* 1 msg/s written, 0.5 msg/s committed, heads every 10 s and commits
 * every 2 s for 10 minutes: a deficit only the evidence beyond the window
 * tells (the window spans 18 s, 9 messages of growth). */
static void fill_low_rate_deficit(mon_store_t *st) {
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    int64_t t;

    for (t = 0; t <= 600000; t += 1000) {
        if (t % 10000 == 0)
            mon_store_head(cl, "slow", 0, 1, 5000 + t / 1000, t);
        if (t % 2000 == 0)
            mon_store_commit(cl, "lagger", "slow", 0, 5000 + t / 2000, t, NULL,
                             NULL);
    }
}

Test(mon_store, snapshot_keeps_the_evidence_beyond_the_window) {
    mon_store_t *a = store_default(), *b = store_default();
    mon_group_eval_t ea = {0}, eb = {0};
    char path[128], err[256] = "";

    fill_low_rate_deficit(a);
    cr_assert_eq(mon_store_group_eval(a, "local", "lagger", 600000, NULL, &ea),
                 0);
    cr_assert_eq(ea.parts[0].result.status, EV_WARN);
    cr_assert_eq(ea.parts[0].result.rule, EV_RULE_FALLING_BEHIND);
    cr_assert(ea.parts[0].result.span_s > 60, "span %.1f",
              ea.parts[0].result.span_s);
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(a, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_store_load(b, path, err, sizeof(err)), 0, "%s", err);
    /* a restart resumes: the same verdict over the same span, no warm-up */
    cr_assert_eq(mon_store_group_eval(b, "local", "lagger", 600000, NULL, &eb),
                 0);
    cr_assert_eq(eb.parts[0].result.status, ea.parts[0].result.status);
    cr_assert_eq(eb.parts[0].result.rule, ea.parts[0].result.rule);
    cr_assert_float_eq(eb.parts[0].result.span_s, ea.parts[0].result.span_s,
                       1e-9);
    cr_assert_float_eq(eb.parts[0].result.z, ea.parts[0].result.z, 1e-9);
    unlink(path);
    mon_group_eval_free(&ea);
    mon_group_eval_free(&eb);
    mon_store_destroy(a);
    mon_store_destroy(b);
}

Test(mon_store, load_into_smaller_intervals_keeps_newest_entries) {
    mon_store_t *a = store_default();
    mon_store_t *b = store_with(2, 0, 604800000LL, NULL, NULL);
    mon_group_detail_t d = {0};
    char path[128], err[256] = "";

    fill_sample(a);
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(a, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_store_load(b, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_store_group_detail(b, "local", "billing", 20000, &d), 0);
    const mon_part_detail_t *p = part_of(&d, "orders", 0);
    cr_assert_eq(p->entry_count, 2);
    cr_assert_eq(p->entries[1].offset, 900 + 9 * 90, "newest kept");
    mon_group_detail_free(&d);
    unlink(path);
    mon_store_destroy(a);
    mon_store_destroy(b);
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(*len);
    cr_assert_eq(fread(p, 1, *len, f), *len);
    fclose(f);
    return p;
}

static void spit(const char *path, const unsigned char *p, size_t len) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(p, 1, len, f), len);
    fclose(f);
}

/* Rewrites the body CRC, then the header CRC over it, so structural
 * checks are reached. */
static void fix_crc(unsigned char *p, size_t len) {
    mon_put_le32(p + 24, bc_crc32c(0, p + 32, len - 32));
    mon_put_le32(p + 28, bc_crc32c(0, p, 28));
}

typedef struct corrupt_case_s {
    char what[24];
    int kind;  /* 0 flip byte, 1 truncate, 2 set u32, 3 set u16 */
    size_t at; /* byte offset in the file */
    uint32_t value;
    int fix_crc;
    char expect[48]; /* substring of the message */
} corrupt_case_t;

ParameterizedTestParameters(mon_store, load_rejects_corrupt_files) {
    /* Layout of the sample: header 32, intervals at 32, cluster count at
     * 36; cluster "local": u16 5 + 5 bytes (40..46), topic count u32 at
     * 47, first topic name length at 51. */
    static corrupt_case_t cases[] = {
        {"bad magic", 0, 0, 0, 0, "byte 0: bad magic"},
        {"bad version", 2, 8, 9, 0, "byte 8: unsupported format version 9"},
        {"header flipped", 0, 12, 0, 0, "byte 28: header checksum"},
        {"body flipped", 0, 100, 0, 0, "byte 24: body checksum mismatch"},
        {"truncated header", 1, 20, 0, 0, "truncated header"},
        {"truncated body", 1, 60, 0, 0, "byte 16: body length"},
        {"huge topic count", 2, 47, 0xfffffff0u, 1,
         "byte 47: topic count 4294967280 exceeds"},
        {"huge name length", 3, 51, 0xffff, 1, "byte 53: truncated topic name"},
        {"empty cluster name", 3, 40, 0, 1, "byte 40: empty name"},
        {"cluster count", 2, 36, 1000, 1, "byte 36: cluster count"},
    };
    return cr_make_param_array(corrupt_case_t, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(corrupt_case_t *c, mon_store, load_rejects_corrupt_files) {
    mon_store_t *a = store_default();
    mon_store_t *b = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(b, "local");
    mon_group_detail_t d = {0};
    char path[128], err[256] = "";
    size_t len;

    /* One cluster only, so offsets in the table above are fixed. */
    mon_store_cluster_t *al = mon_store_cluster(a, "local");
    mon_store_head(al, "orders", 0, 2, 100, 0);
    mon_store_commit(al, "billing", "orders", 0, 10, 0, "o", "c");
    mon_store_commit(al, "billing", "orders", 0, 20, 10, "o", "c");
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(a, path, err, sizeof(err)), 0, "%s", err);
    unsigned char *p = slurp(path, &len);
    cr_assert(len > 110, "sample is %zu bytes", len);
    switch (c->kind) {
    case 0:
        p[c->at] ^= 0x5a;
        break;
    case 1:
        len = c->at;
        break;
    case 2:
        for (int i = 0; i < 4; i++)
            p[c->at + i] = (unsigned char)(c->value >> (8 * i));
        break;
    case 3:
        p[c->at] = (unsigned char)c->value;
        p[c->at + 1] = (unsigned char)(c->value >> 8);
        break;
    }
    if (c->fix_crc) fix_crc(p, len);
    spit(path, p, len);
    free(p);

    /* b holds its own data, which must survive the failed load. */
    mon_store_head(cl, "mine", 0, 1, 5, 0);
    mon_store_commit(cl, "keep", "mine", 0, 1, 0, NULL, NULL);
    cr_assert_eq(mon_store_load(b, path, err, sizeof(err)), MON_ERR_INVALID,
                 "%s", c->what);
    cr_assert(strstr(err, c->expect) != NULL, "%s: message '%s'", c->what, err);
    cr_assert(strstr(err, path) != NULL, "names the path: %s", err);
    cr_assert_eq(mon_store_group_detail(b, "local", "keep", 0, &d), 0);
    cr_assert_eq(mon_store_group_detail(b, "local", "billing", 0, &d),
                 MON_ERR_NOTFOUND);
    mon_group_detail_free(&d);
    unlink(path);
    mon_store_destroy(a);
    mon_store_destroy(b);
}

Test(mon_store, load_of_missing_file_is_an_io_error) {
    mon_store_t *st = store_default();
    char err[256] = "";

    cr_assert_eq(mon_store_load(st, "/nonexistent/dir/snap", err, sizeof(err)),
                 MON_ERR_IO);
    cr_assert(strstr(err, "/nonexistent/dir/snap") != NULL);
    cr_assert_eq(mon_store_save(st, "/nonexistent/dir/snap", err, sizeof(err)),
                 MON_ERR_IO);
    mon_store_destroy(st);
}

/* ---- threads: one writer, several readers (run under TSan too) ---- */

typedef struct thr_s {
    mon_store_t *st;
    volatile int stop;
    long reads;
} thr_t;

static void *reader(void *arg) {
    thr_t *t = arg;
    mon_group_eval_t ev = {0};
    mon_group_detail_t d = {0};
    mon_store_names_t names;

    while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
        mon_store_group_eval(t->st, "local", "g1", 1000000, NULL, &ev);
        mon_store_group_detail(t->st, "local", "g2", 1000000, &d);
        if (mon_store_groups(t->st, "local", 1000000, &names) == 0)
            mon_store_names_free(&names);
        __atomic_fetch_add(&t->reads, 1, __ATOMIC_RELAXED);
    }
    mon_group_eval_free(&ev);
    mon_group_detail_free(&d);
    return NULL;
}

Test(mon_store, concurrent_readers_see_consistent_groups) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    thr_t t = {.st = st, .stop = 0, .reads = 0};
    pthread_t r[2];
    mon_group_eval_t ev = {0};

    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&r[i], NULL, reader, &t), 0);
    for (int i = 0; i < 20000; i++) {
        mon_store_head(cl, "t", i % 7, 0, i, i);
        mon_store_commit(cl, i % 2 ? "g1" : "g2", "t", i % 7, i, i, "o",
                         i % 3 ? "c1" : "c2");
        if (i % 5000 == 4999) mon_store_delete_group(st, "local", "g2");
    }
    __atomic_store_n(&t.stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 2; i++)
        pthread_join(r[i], NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g1", 20000, NULL, &ev), 0);
    cr_assert_eq(ev.count, 7);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

/* ---- version 1 files (tests/data/state-v1/README.md) ---- */

/* Compares the windows of one group in two stores. */
static void same_group(mon_store_t *a, mon_store_t *b, const char *group) {
    mon_group_detail_t da = {0}, db = {0};
    cr_assert_eq(mon_store_group_detail(a, "local", group, 0, &da), 0);
    cr_assert_eq(mon_store_group_detail(b, "local", group, 0, &db), 0);
    cr_assert_eq(da.count, db.count);
    for (size_t i = 0; i < da.count; i++) {
        cr_assert_str_eq(da.parts[i].topic, db.parts[i].topic);
        cr_assert_eq(da.parts[i].entry_count, db.parts[i].entry_count);
        cr_assert_eq(
            memcmp(da.parts[i].entries, db.parts[i].entries,
                   (size_t)da.parts[i].entry_count * sizeof(ev_entry_t)),
            0);
    }
    mon_group_detail_free(&da);
    mon_group_detail_free(&db);
}

Test(mon_store, reads_a_version_1_snapshot_and_saves_version_4) {
    mon_store_t *st = store_default(), *again = store_default();
    mon_group_detail_t d = {0};
    char err[256] = "", path[128];
    size_t len;

    cr_assert_eq(mon_store_load(st, "tests/data/state-v1/store.snapshot", err,
                                sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(mon_store_group_detail(st, "local", "pdf-render", 0, &d), 0);
    cr_assert_eq(d.count, 2, "invoices/0 and invoices/1");
    cr_assert_str_eq(d.parts[0].topic, "invoices");
    cr_assert(d.parts[0].entry_count > 0);
    cr_assert(d.parts[1].head_count > 0);
    mon_group_detail_free(&d);

    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(st, path, err, sizeof(err)), 0, "%s", err);
    unsigned char *p = slurp(path, &len);
    cr_assert_eq(memcmp(p, "WRNSTORE", 8), 0);
    cr_assert_eq(mon_le32(p + 8), 4, "saved as version 4");
    free(p);
    cr_assert_eq(mon_store_load(again, path, err, sizeof(err)), 0, "%s", err);
    same_group(st, again, "pdf-render");
    unlink(path);
    mon_store_destroy(st);
    mon_store_destroy(again);
}

Test(mon_store, reads_a_version_2_snapshot_without_evidence) {
    mon_store_t *st = store_default(), *again = store_default();
    mon_group_eval_t ev = {0};
    char err[256] = "", path[128];
    size_t len;

    cr_assert_eq(mon_store_load(st, "tests/data/state-v2/store.snapshot", err,
                                sizeof(err)),
                 0, "%s", err);
    /* the windows are back; the evidence starts empty, so the warren
     * rules judge the window alone until commits fall off it */
    cr_assert_eq(mon_store_group_eval(st, "local", "pdf-render",
                                      1700000190000LL, NULL, &ev),
                 0);
    cr_assert_eq(ev.count, 2);
    cr_assert_neq(ev.parts[0].result.rule, EV_RULE_WARMING_UP);
    mon_group_eval_free(&ev);
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(st, path, err, sizeof(err)), 0, "%s", err);
    unsigned char *p = slurp(path, &len);
    cr_assert_eq(mon_le32(p + 8), 4, "saved as version 4");
    free(p);
    cr_assert_eq(mon_store_load(again, path, err, sizeof(err)), 0, "%s", err);
    same_group(st, again, "pdf-render");
    unlink(path);
    mon_store_destroy(st);
    mon_store_destroy(again);
}

Test(mon_store, max_cells_refuses_growth_beyond_it_and_counts_what_is_freed) {
    mon_store_config_t cfg;
    char err[256] = "";
    mon_store_t *st;
    mon_store_cluster_t *cl;
    mon_store_names_t names = {0};

    mon_store_config_default(&cfg);
    cfg.intervals = 10;
    cfg.max_cells = 100; /* 10 partitions x 10 intervals */
    st = mon_store_new(&cfg, err, sizeof(err));
    cr_assert_not_null(st, "%s", err);
    cl = mon_store_cluster(st, "local");
    cr_assert_eq(mon_store_head(cl, "a", 0, 6, 10, 1), MON_STORE_STORED);
    cr_assert_eq(mon_store_cells(st), 60);
    /* 5 more partitions: 110 slots */
    cr_assert_eq(mon_store_head(cl, "b", 4, 0, 10, 1), MON_STORE_DROP_BOUND);
    cr_assert_eq(mon_store_head(cl, "a", 10, 0, 10, 1), MON_STORE_DROP_BOUND);
    cr_assert_eq(mon_store_cells(st), 60);
    cr_assert_eq(mon_store_topics(st, "local", &names), 0);
    cr_assert_eq(names.count, 1, "the refused topic is not created");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_head(cl, "b", 3, 0, 10, 1), MON_STORE_STORED);
    /* a group's windows on a (60 slots) are refused at 100 */
    cr_assert_eq(mon_store_commit(cl, "g", "a", 0, 5, 2, NULL, NULL),
                 MON_STORE_DROP_BOUND);
    cr_assert_eq(mon_store_groups(st, "local", 2, &names), 0);
    cr_assert_eq(names.count, 0, "the refused group is not created");
    mon_store_names_free(&names);
    cr_assert_eq(mon_store_delete_topic(st, "local", "a"), 0);
    cr_assert_eq(mon_store_cells(st), 40);
    cr_assert_eq(mon_store_commit(cl, "g", "b", 3, 5, 2, NULL, NULL),
                 MON_STORE_STORED);
    cr_assert_eq(mon_store_cells(st), 80);
    cr_assert_eq(mon_store_delete_group(st, "local", "g"), 0);
    cr_assert_eq(mon_store_cells(st), 40);
    mon_store_destroy(st);
}

Test(mon_store, reads_a_version_2_snapshot_without_log_places) {
    mon_store_t *st = store_default();
    mon_group_detail_t d = {0};
    char err[256] = "";

    cr_assert_eq(mon_store_load(st, "tests/data/state-v2/store.snapshot", err,
                                sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(mon_store_group_detail(st, "local", "pdf-render", 0, &d), 0);
    cr_assert_eq(d.count, 2);
    cr_assert_eq(mon_store_position_count(mon_store_cluster(st, "local")), 0);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
}

Test(mon_store, a_record_of_the_log_is_applied_once_and_its_place_kept) {
    mon_store_t *st = store_default(), *again = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_detail_t d = {0};
    char err[256] = "", path[128];
    mon_store_pos_t p5 = {3, 5}, p6 = {3, 6}, q = {0, 9};

    cr_assert_eq(mon_store_head(cl, "t", 0, 1, 100, 1), MON_STORE_STORED);
    cr_assert_eq(mon_store_position(cl, 3), -1);
    cr_assert_eq(
        mon_store_commit_at(cl, "g", "t", 0, 10, 2, NULL, NULL, &p5, false),
        MON_STORE_STORED);
    cr_assert_eq(mon_store_position(cl, 3), 6);
    /* the same record again (a source re-reading its log) */
    cr_assert_eq(
        mon_store_commit_at(cl, "g", "t", 0, 10, 2, NULL, NULL, &p5, false),
        MON_STORE_DROP_REPLAYED);
    cr_assert_eq(mon_store_delete_group_at(cl, "g", NULL, &p5),
                 MON_STORE_DROP_REPLAYED);
    /* a record that writes nothing still moves the place */
    cr_assert_eq(mon_store_advance(cl, &q), 0);
    cr_assert_eq(mon_store_position(cl, 0), 10);
    /* a dropped commit is done with too: as it was live */
    cr_assert_eq(
        mon_store_commit_at(cl, "g", "nope", 0, 1, 3, NULL, NULL, &p6, false),
        MON_STORE_DROP_NO_TOPIC);
    cr_assert_eq(mon_store_position(cl, 3), 7);
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 3, &d), 0);
    cr_assert_eq(d.parts[0].entry_count, 1, "applied once");

    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(st, path, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(mon_store_load(again, path, err, sizeof(err)), 0, "%s", err);
    mon_store_cluster_t *cl2 = mon_store_cluster(again, "local");
    cr_assert_eq(mon_store_position(cl2, 3), 7);
    cr_assert_eq(mon_store_position(cl2, 0), 10);
    cr_assert_eq(mon_store_position(cl2, 1), -1);
    cr_assert_eq(
        mon_store_commit_at(cl2, "g", "t", 0, 10, 2, NULL, NULL, &p5, false),
        MON_STORE_DROP_REPLAYED);
    unlink(path);
    mon_group_detail_free(&d);
    mon_store_destroy(st);
    mon_store_destroy(again);
}

/* A source that sees offsets, not commits (if_changed), fills the window
 * with what it sees, and then records a change only. */
Test(mon_store, if_changed_commit_of_the_newest_offset_is_dropped) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");

    cr_assert_eq(mon_store_head(cl, "t", 0, 1, 100, 1), MON_STORE_STORED);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(mon_store_commit_at(cl, "g", "t", 0, 10, 2 + i, NULL, NULL,
                                         NULL, true),
                     MON_STORE_STORED, "observation %d of a window of 10", i);
    cr_assert_eq(
        mon_store_commit_at(cl, "g", "t", 0, 10, 12, NULL, NULL, NULL, true),
        MON_STORE_DROP_UNCHANGED);
    cr_assert_eq(
        mon_store_commit_at(cl, "g", "t", 0, 11, 13, NULL, NULL, NULL, true),
        MON_STORE_STORED);
    cr_assert_eq(
        mon_store_commit_at(cl, "g", "t", 0, 11, 14, NULL, NULL, NULL, true),
        MON_STORE_DROP_UNCHANGED);
    mon_store_destroy(st);
}

/* Polled offsets that never move, as the admin source sees them every
 * second: under the warren rules a group whose offset stands still while
 * the head moves is STALL after one window (before the fix the window
 * held its first offset only and stayed warming-up forever), and one
 * caught up on a quiet topic is OK because it is caught up. */
Test(mon_store, polled_offsets_that_never_move_are_judged_after_a_window) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    const int64_t t0 = 1700000000000LL;
    mon_group_eval_t ev = {0};
    ev_params_t p;

    ev_params_default(&p);
    for (int i = 0; i < 14; i++) {
        int64_t t = t0 + 1000LL * i;

        mon_store_head(cl, "busy", 0, 1, 1000 + 100 * i, t);
        mon_store_head(cl, "quiet", 0, 1, 500, t);
        mon_store_commit_at(cl, "fixed", "busy", 0, 5, t, NULL, NULL, NULL,
                            true);
        mon_store_commit_at(cl, "idle", "quiet", 0, 500, t, NULL, NULL, NULL,
                            true);
        cr_assert_eq(mon_store_group_eval(st, "local", "fixed", t, &p, &ev), 0);
        if (i < 9) {
            cr_assert_eq(ev.status, EV_OK, "warming up at %d", i);
            cr_assert_eq(ev.parts[0].result.rule, EV_RULE_WARMING_UP);
        } else {
            cr_assert_eq(ev.status, EV_ERR, "a full window at %d", i);
            cr_assert_eq(ev.parts[0].result.status, EV_STALL, "at %d", i);
        }
        cr_assert_eq(mon_store_group_eval(st, "local", "idle", t, &p, &ev), 0);
        cr_assert_eq(ev.status, EV_OK, "idle at %d", i);
        if (i >= 9)
            cr_assert_eq(ev.parts[0].result.rule, EV_RULE_CAUGHT_UP, "at %d",
                         i);
    }
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

/* The group's explanation comes from a partition at the group's status:
 * a stalled partition after a falling-behind one explains an ERR group
 * (the first non-OK partition, WARN, explained it in the status log). */
Test(mon_store, the_decider_is_the_first_partition_at_the_group_status) {
    mon_part_eval_t parts[3] = {
        {.partition = 0}, {.partition = 1}, {.partition = 2}};
    mon_group_eval_t ev = {.parts = parts, .count = 3};

    parts[0].result.status = EV_OK;
    parts[0].result.current_lag = 5;
    parts[1].result.status = EV_WARN;
    parts[1].result.current_lag = 900;
    parts[2].result.status = EV_STALL;
    parts[2].result.current_lag = 40;
    ev_group_init(&ev.rollup);
    for (int i = 0; i < 3; i++)
        ev_group_add(&ev.rollup, &parts[i].result, i);
    ev.status = ev.rollup.status;
    cr_assert_eq(ev.status, EV_ERR);
    cr_assert_eq(mon_group_eval_decider(&ev), &parts[2]);
    /* an OK group is explained by its max-lag partition */
    parts[1].result.status = EV_OK;
    parts[2].result.status = EV_OK;
    ev_group_init(&ev.rollup);
    for (int i = 0; i < 3; i++)
        ev_group_add(&ev.rollup, &parts[i].result, i);
    ev.status = ev.rollup.status;
    cr_assert_eq(ev.status, EV_OK);
    cr_assert_eq(mon_group_eval_decider(&ev), &parts[1]);
    ev.count = 0;
    cr_assert_null(mon_group_eval_decider(&ev));
}

/* An upgrade keeps the state of the release before the evidence: the
 * windows and the log places load, the evidence starts empty, the next
 * save writes version 4 and reads back the same. */
Test(mon_store, reads_a_version_3_snapshot_with_places_without_evidence) {
    mon_store_t *st = store_default(), *again = store_default();
    mon_group_detail_t d = {0};
    char err[256] = "", path[128];
    size_t len;

    cr_assert_eq(mon_store_load(st, "tests/data/state-v3/store.snapshot", err,
                                sizeof(err)),
                 0, "%s", err);
    cr_assert_eq(mon_store_group_detail(st, "local", "billing", 0, &d), 0);
    cr_assert_gt(d.count, 0);
    cr_assert_gt(d.parts[0].entry_count, 1, "billing's window is back");
    mon_group_detail_free(&d);
    int32_t places = mon_store_position_count(mon_store_cluster(st, "local"));
    cr_assert_gt(places, 0, "the log places are back");
    tmp_path(path, sizeof(path));
    cr_assert_eq(mon_store_save(st, path, err, sizeof(err)), 0, "%s", err);
    unsigned char *p = slurp(path, &len);
    cr_assert_eq(mon_le32(p + 8), 4, "saved as version 4");
    free(p);
    cr_assert_eq(mon_store_load(again, path, err, sizeof(err)), 0, "%s", err);
    same_group(st, again, "billing");
    same_group(st, again, "audit");
    cr_assert_eq(mon_store_position_count(mon_store_cluster(again, "local")),
                 places);
    unlink(path);
    mon_store_destroy(st);
    mon_store_destroy(again);
}

/* A version 1 file cut inside its header: the header's fields lie past
 * the end of the file, and reading them is an error, not a read beyond
 * the buffer (fuzz_mon_state found it). */
Test(mon_store, a_version_1_file_cut_inside_its_header_is_refused) {
    static const unsigned char cut[] = {'W', 'R', 'N', 'S', 'T', 'O', 'R',
                                        'E', 1,   0,   0,   0,   10,  0};
    mon_store_t *st = store_default();
    char err[256] = "", path[128];

    tmp_path(path, sizeof(path));
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(cut, 1, sizeof(cut), f);
    fclose(f);
    cr_assert_neq(mon_store_load(st, path, err, sizeof(err)), 0);
    cr_assert(strstr(err, "truncated"), "%s", err);
    unlink(path);
    mon_store_destroy(st);
}

/* Retention risk: log starts and topic configs beside the heads reach
 * each partition's evaluation; a commit below the log start turns the
 * group ERR with rule data-loss in both rule sets, and a partition
 * without a log start keeps its verdict. */
Test(mon_store, log_start_gives_margin_eta_and_data_loss) {
    mon_store_t *st = store_with(4, 0, 604800000LL, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    int64_t t = 1700000000000LL, *ls = NULL;
    size_t n = 0;

    cr_assert_eq(mon_store_log_start(cl, "t", 0, 0, t),
                 MON_STORE_DROP_NO_TOPIC);
    cr_assert_eq(mon_store_topic_config(cl, "t", 1, 1), MON_ERR_NOTFOUND);
    for (int i = 0; i < 4; i++) {
        mon_store_head(cl, "t", 0, 2, 1000 + 100 * i, t + 1000 * i);
        mon_store_head(cl, "t", 1, 2, 1000 + 100 * i, t + 1000 * i);
        mon_store_commit(cl, "g", "t", 0, 200, t + 1000 * i, NULL, NULL);
        mon_store_commit(cl, "g", "t", 1, 900 + 100 * i, t + 1000 * i, NULL,
                         NULL);
    }
    cr_assert_eq(mon_store_log_start(cl, "t", 2, 0, t),
                 MON_STORE_DROP_PARTITION);
    cr_assert_eq(mon_store_topic_log_starts(st, "local", "t", &ls, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(ls[0], -1, "not told yet");
    free(ls);
    /* before any log start: no margin, verdicts as the rules say */
    cr_assert_eq(mon_store_group_eval(st, "local", "g", t + 3000, NULL, &ev),
                 0);
    cr_assert_not(ev.parts[0].retention.known);
    cr_assert_eq(ev.parts[0].retention_ms, EV_RETENTION_UNKNOWN);
    cr_assert_neq(ev.parts[0].result.rule, EV_RULE_DATA_LOSS);

    cr_assert_eq(mon_store_topic_config(cl, "t", 3600000, 1 << 20), 0);
    /* partition 1: log start advancing 100 records/s, margin 1000 */
    mon_store_log_start(cl, "t", 1, 0, t);
    mon_store_log_start(cl, "t", 1, 100, t + 1000);
    mon_store_log_start(cl, "t", 1, 200, t + 2000);
    /* partition 0: retention passed the group's commit at 200 */
    mon_store_log_start(cl, "t", 0, 150, t);
    mon_store_log_start(cl, "t", 0, 500, t + 2000);
    cr_assert_eq(mon_store_topic_log_starts(st, "local", "t", &ls, &n), 0);
    cr_assert_eq(ls[0], 500);
    cr_assert_eq(ls[1], 200);
    free(ls);
    for (int rules = 0; rules < EV_RULES__COUNT; rules++) {
        ev_params_t p;
        ev_params_default(&p);
        p.intervals = 4;
        p.rules = (ev_rules_t)rules;
        cr_assert_eq(mon_store_group_eval(st, "local", "g", t + 2000, &p, &ev),
                     0);
        const mon_part_eval_t *p0 = &ev.parts[0], *p1 = &ev.parts[1];
        cr_assert_eq(p0->retention_ms, 3600000);
        cr_assert_eq(p0->retention_bytes, 1 << 20);
        cr_assert(p0->retention.data_loss);
        cr_assert_eq(p0->retention.margin, -300);
        cr_assert_eq(p0->result.status, EV_ERR, "rules %d", rules);
        cr_assert_eq(p0->result.rule, EV_RULE_DATA_LOSS);
        cr_assert_eq(ev.status, EV_ERR);
        cr_assert_eq(mon_group_eval_decider(&ev), p0);
        cr_assert_eq(ev_group_rule(&ev.rollup, &p0->result), EV_RULE_DATA_LOSS);
        cr_assert_not(p1->retention.data_loss);
        cr_assert_eq(p1->retention.margin, 1000);
        cr_assert(p1->retention.eta_known);
        cr_assert_float_eq(p1->retention.eta_s, 10.0, 1e-9);
        cr_assert_eq(p1->retention.eta_from, EV_ETA_ADVANCE);
        cr_assert_neq(p1->result.rule, EV_RULE_DATA_LOSS);
    }
    /* a commit past the log start ends the data loss */
    mon_store_commit(cl, "g", "t", 0, 600, t + 4000, NULL, NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", t + 4000, NULL, &ev),
                 0);
    cr_assert_not(ev.parts[0].retention.data_loss);
    cr_assert_eq(ev.parts[0].retention.margin, 100);
    cr_assert_neq(ev.parts[0].result.rule, EV_RULE_DATA_LOSS);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}
/* ---- memberships (mon_store_members) ---- */

/* Two members of group g on topic t (4 partitions): a owns 0,1, b 2,3,
 * given out of order to show the copy sorts them. */
static const mon_member_tp_t a_tps[] = {{"t", 1}, {"t", 0}};
static const mon_member_tp_t b_tps[] = {{"t", 3}, {"t", 2}};
static const mon_member_t two[] = {
    {"m-b", "", "app", "/10.0.0.2", b_tps, 2},
    {"m-a", "", "app", "/10.0.0.1", a_tps, 2},
};

Test(mon_store, members_give_each_partition_its_owner_client_and_member) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    mon_group_detail_t d = {0};
    mon_group_members_t m = {.state = "Stable",
                             .protocol_type = "consumer",
                             .protocol = "range",
                             .generation = 3,
                             .t_ms = 1000,
                             .members = two,
                             .count = 2};

    mon_store_head(cl, "t", 0, 4, 100, 1000);
    /* a commit without owners (admin mode), before and after */
    mon_store_commit(cl, "g", "t", 0, 90, 1000, NULL, NULL);
    cr_assert_eq(mon_store_members(cl, "g", &m), 1, "a first membership");
    cr_assert_eq(mon_store_members(cl, "g", &m), 0, "the same again");
    mon_store_commit(cl, "g", "t", 0, 95, 2000, NULL, NULL);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 2000, NULL, &ev), 0);
    cr_assert_eq(ev.count, 4);
    for (size_t i = 0; i < 4; i++) {
        const char *want = i < 2 ? "m-a" : "m-b";
        cr_assert_str_eq(ev.parts[i].member_id, want, "partition %zu", i);
        cr_assert_str_eq(ev.parts[i].owner, i < 2 ? "/10.0.0.1" : "/10.0.0.2");
        cr_assert_str_eq(ev.parts[i].client_id, "app");
    }
    cr_assert_eq(mon_store_group_detail(st, "local", "g", 2000, &d), 0);
    cr_assert_str_eq(part_of(&d, "t", 3)->member_id, "m-b");
    mon_group_detail_free(&d);

    mon_group_members_t got = {0};
    cr_assert_eq(mon_store_group_members(st, "local", "g", &got), 0);
    cr_assert_str_eq(got.state, "Stable");
    cr_assert_str_eq(got.protocol, "range");
    cr_assert_eq(got.generation, 3);
    cr_assert_eq(got.count, 2);
    cr_assert_str_eq(got.members[0].member_id, "m-a", "sorted by id");
    cr_assert_eq(got.members[0].assigned[0].partition, 0, "sorted");
    cr_assert_eq(got.since_ms, 1000);
    mon_group_members_free(&got);
    cr_assert_eq(mon_store_group_members(st, "local", "nobody", &got),
                 MON_ERR_NOTFOUND);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, a_new_member_set_or_generation_is_a_change_with_its_time) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_eval_t ev = {0};
    mon_group_members_t m = {.state = "Stable",
                             .generation = -1,
                             .t_ms = 1000,
                             .members = two,
                             .count = 2};
    mon_group_members_t got = {0};

    mon_store_head(cl, "t", 0, 4, 100, 1000);
    mon_store_commit(cl, "g", "t", 0, 90, 1000, NULL, NULL);
    cr_assert_eq(mon_store_members(cl, "g", &m), 1);
    m.t_ms = 2000;
    cr_assert_eq(mon_store_members(cl, "g", &m), 0, "same members");
    m.count = 1; /* m-a left: m-b (first given) owns 2 and 3 only */
    m.t_ms = 3000;
    cr_assert_eq(mon_store_members(cl, "g", &m), 1, "a member left");
    cr_assert_eq(mon_store_group_members(st, "local", "g", &got), 0);
    cr_assert_eq(got.since_ms, 3000);
    cr_assert_eq(mon_store_group_eval(st, "local", "g", 3000, NULL, &ev), 0);
    cr_assert_str_eq(ev.parts[0].member_id, "", "unassigned now");
    cr_assert_str_eq(ev.parts[0].owner, "");
    cr_assert_str_eq(ev.parts[3].member_id, "m-b");
    /* the same members in a new generation (a source that knows it) */
    m.generation = 4;
    m.t_ms = 4000;
    cr_assert_eq(mon_store_members(cl, "g", &m), 0, "unknown before");
    m.generation = 5;
    m.t_ms = 5000;
    cr_assert_eq(mon_store_members(cl, "g", &m), 1, "generation moved");
    /* an empty group */
    m.count = 0;
    m.state = "Empty";
    m.t_ms = 6000;
    cr_assert_eq(mon_store_members(cl, "g", &m), 1);
    cr_assert_eq(mon_store_group_members(st, "local", "g", &got), 0);
    cr_assert_eq(got.count, 0);
    cr_assert_str_eq(got.state, "Empty");
    mon_group_members_free(&got);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
}

Test(mon_store, a_replayed_membership_is_applied_but_not_a_change) {
    mon_store_t *st = store_default();
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_store_pos_t at = {0, 10};
    mon_group_members_t m = {.state = "Stable",
                             .generation = 1,
                             .t_ms = 1000,
                             .members = two,
                             .count = 2};
    mon_group_members_t got = {0};

    cr_assert_eq(mon_store_members_at(cl, "g", &m, &at), 1);
    /* a restart re-reads the log from its start: applied, not told */
    mon_store_delete_group(st, "local", "g");
    cr_assert_eq(mon_store_members_at(cl, "g", &m, &at), 0);
    cr_assert_eq(mon_store_group_members(st, "local", "g", &got), 0);
    cr_assert_eq(got.count, 2);
    at.offset = 11;
    m.generation = 2;
    cr_assert_eq(mon_store_members_at(cl, "g", &m, &at), 1, "a new record");
    mon_group_members_free(&got);
    mon_store_destroy(st);
}

Test(mon_store, memberships_expire_and_go_with_their_group) {
    mon_store_t *st = store_with(10, 0, 10000, NULL, NULL);
    mon_store_cluster_t *cl = mon_store_cluster(st, "local");
    mon_group_members_t m = {.state = "Stable",
                             .generation = 1,
                             .t_ms = 1000,
                             .members = two,
                             .count = 2};
    mon_group_members_t got = {0};

    mon_store_members(cl, "old", &m);
    m.t_ms = 20000;
    mon_store_members(cl, "live", &m);
    mon_store_expire(st, "local", 20000);
    cr_assert_eq(mon_store_group_members(st, "local", "old", &got),
                 MON_ERR_NOTFOUND, "not described within expire-group");
    cr_assert_eq(mon_store_group_members(st, "local", "live", &got), 0);
    cr_assert_eq(mon_store_delete_group_at(cl, "live", NULL, NULL),
                 MON_ERR_NOTFOUND, "no windows, but...");
    cr_assert_eq(mon_store_group_members(st, "local", "live", &got),
                 MON_ERR_NOTFOUND, "...its membership goes with it");
    mon_group_members_free(&got);
    mon_store_destroy(st);
}
