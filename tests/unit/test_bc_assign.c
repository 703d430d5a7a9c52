/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for bc_assign: Kafka's range and round-robin assignors.
 *
 * The scenarios and expected assignments are those of Kafka's own tests
 * and javadoc (clients/.../consumer/RangeAssignorTest.java,
 * RoundRobinAssignorTest.java and the class comments of RangeAssignor and
 * RoundRobinAssignor), so equality here means "assigns like Kafka".
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_assign.h"

#define MAXM 6
#define MAXT 4

/* One scenario. members: "member_id|instance_id|topic,topic" (instance id
 * empty = dynamic member). topics: "name:partitions". expect[i] is the
 * assignment of members[i] as "topic-p topic-p ..." in sorted order. */
typedef struct scenario_s {
    char name[48];
    bc_assign_strategy_t strategy;
    char members[MAXM][48];
    char topics[MAXT][16];
    char expect[MAXM][48];
} scenario_t; /* arrays, not pointers: Criterion copies parameters */

static scenario_t scenarios[] = {
    /* RangeAssignor javadoc: C0, C1; t0, t1 with 3 partitions each. */
    {"range_javadoc",
     BC_ASSIGN_RANGE,
     {"C0||t0,t1", "C1||t0,t1"},
     {"t0:3", "t1:3"},
     {"t0-0 t0-1 t1-0 t1-1", "t0-2 t1-2"}},
    /* RangeAssignorTest.testMultipleConsumersMixedTopics */
    {"range_mixed_topics",
     BC_ASSIGN_RANGE,
     {"consumer1||topic1", "consumer2||topic1,topic2", "consumer3||topic1"},
     {"topic1:3", "topic2:2"},
     {"topic1-0", "topic1-1 topic2-0 topic2-1", "topic1-2"}},
    /* RangeAssignorTest.testTwoConsumersOneTopicOnePartition */
    {"range_two_consumers_one_partition",
     BC_ASSIGN_RANGE,
     {"consumer1||topic1", "consumer2||topic1"},
     {"topic1:1"},
     {"topic1-0", ""}},
    /* RangeAssignorTest.testOnlyAssignsPartitionsFromSubscribedTopics */
    {"range_only_subscribed_topics",
     BC_ASSIGN_RANGE,
     {"consumer1||topic1"},
     {"topic1:3", "other:3"},
     {"topic1-0 topic1-1 topic1-2"}},
    /* RangeAssignorTest.testOneConsumerNonexistentTopic */
    {"range_nonexistent_topic",
     BC_ASSIGN_RANGE,
     {"consumer1||topic1"},
     {""},
     {""}},
    /* RangeAssignorTest.testOneStaticConsumerAndOneDynamicConsumer...:
     * consumer-b has an instance id, so it sorts before consumer-a. */
    {"range_static_member_sorts_first",
     BC_ASSIGN_RANGE,
     {"consumer-b|instance1|topic1,topic2", "consumer-a||topic1,topic2"},
     {"topic1:3", "topic2:3"},
     {"topic1-0 topic1-1 topic2-0 topic2-1", "topic1-2 topic2-2"}},
    /* RangeAssignorTest.testStaticMemberRangeAssignmentPersistent */
    {"range_static_members_persistent",
     BC_ASSIGN_RANGE,
     {"consumer1|instance1|topic1,topic2", "consumer2|instance2|topic1,topic2",
      "consumer3|instance3|topic1,topic2", "consumer4||topic1,topic2"},
     {"topic1:5", "topic2:4"},
     {"topic1-0 topic1-1 topic2-0", "topic1-2 topic2-1", "topic1-3 topic2-2",
      "topic1-4 topic2-3"}},
    /* RoundRobinAssignor javadoc, first example. */
    {"roundrobin_javadoc_identical",
     BC_ASSIGN_ROUNDROBIN,
     {"C0||t0,t1", "C1||t0,t1"},
     {"t0:3", "t1:3"},
     {"t0-0 t0-2 t1-1", "t0-1 t1-0 t1-2"}},
    /* RoundRobinAssignor javadoc, second example (unequal subscriptions). */
    {"roundrobin_javadoc_unequal",
     BC_ASSIGN_ROUNDROBIN,
     {"C0||t0", "C1||t0,t1", "C2||t0,t1,t2"},
     {"t0:1", "t1:2", "t2:3"},
     {"t0-0", "t1-0", "t1-1 t2-0 t2-1 t2-2"}},
    /* RoundRobinAssignorTest.testMultipleConsumersMixedTopics */
    {"roundrobin_mixed_topics",
     BC_ASSIGN_ROUNDROBIN,
     {"consumer1||topic1", "consumer2||topic1,topic2", "consumer3||topic1"},
     {"topic1:3", "topic2:2"},
     {"topic1-0", "topic1-1 topic2-0 topic2-1", "topic1-2"}},
    /* RoundRobinAssignorTest.testTwoDynamicConsumersTwoTopicsSixPartitions */
    {"roundrobin_two_dynamic_six_partitions",
     BC_ASSIGN_ROUNDROBIN,
     {"consumer1||topic1,topic2", "consumer2||topic1,topic2"},
     {"topic1:3", "topic2:3"},
     {"topic1-0 topic1-2 topic2-1", "topic1-1 topic2-0 topic2-2"}},
    /* RoundRobinAssignorTest.testOneStaticConsumerAndOneDynamicConsumer */
    {"roundrobin_static_member_sorts_first",
     BC_ASSIGN_ROUNDROBIN,
     {"consumer-b|instance1|topic1,topic2", "consumer-a||topic1,topic2"},
     {"topic1:3", "topic2:3"},
     {"topic1-0 topic1-2 topic2-1", "topic1-1 topic2-0 topic2-2"}},
    /* RoundRobinAssignorTest.testStaticMemberAssignmentPersistent */
    {"roundrobin_static_members_persistent",
     BC_ASSIGN_ROUNDROBIN,
     {"consumer1|instance1|topic1,topic2", "consumer2|instance2|topic1,topic2",
      "consumer3|instance3|topic1,topic2", "consumer4||topic1,topic2"},
     {"topic1:3", "topic2:3"},
     {"topic1-0 topic2-1", "topic1-1 topic2-2", "topic1-2", "topic2-0"}},
    /* RoundRobinAssignorTest.testTwoConsumersOneTopicOnePartition */
    {"roundrobin_two_consumers_one_partition",
     BC_ASSIGN_ROUNDROBIN,
     {"consumer1||topic", "consumer2||topic"},
     {"topic:1"},
     {"topic-0", ""}},
};

/* Parsed form of a scenario; all strings point into `buf`. */
typedef struct parsed_s {
    char buf[1024];
    size_t used;
    bc_assign_member_t members[MAXM];
    const char *topic_ptrs[MAXM][MAXT];
    bc_assign_topic_t topics[MAXT];
    size_t member_cnt, topic_cnt;
} parsed_t;

static char *keep(parsed_t *p, const char *s, size_t n) {
    char *d = p->buf + p->used;

    cr_assert_lt(p->used + n + 1, sizeof(p->buf));
    memcpy(d, s, n);
    d[n] = '\0';
    p->used += n + 1;
    return d;
}

static void parse(const scenario_t *sc, parsed_t *p) {
    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < MAXM && sc->members[i][0]; i++) {
        const char *s = sc->members[i], *bar1 = strchr(s, '|');
        const char *bar2 = strchr(bar1 + 1, '|'), *t = bar2 + 1;
        bc_assign_member_t *m = &p->members[i];

        m->member_id = keep(p, s, (size_t)(bar1 - s));
        m->group_instance_id =
            bar2 > bar1 + 1 ? keep(p, bar1 + 1, (size_t)(bar2 - bar1 - 1))
                            : NULL;
        while (*t) {
            const char *comma = strchr(t, ',');
            size_t n = comma ? (size_t)(comma - t) : strlen(t);

            p->topic_ptrs[i][m->topic_cnt++] = keep(p, t, n);
            t += n + (comma ? 1 : 0);
        }
        m->topics = p->topic_ptrs[i];
        p->member_cnt++;
    }
    for (size_t i = 0; i < MAXT && sc->topics[i][0]; i++) {
        const char *colon = strchr(sc->topics[i], ':');

        p->topics[i].topic =
            keep(p, sc->topics[i], (size_t)(colon - sc->topics[i]));
        p->topics[i].partitions = atoi(colon + 1);
        p->topic_cnt++;
    }
}

static void render(const bc_assign_list_t *l, char *out, size_t size) {
    size_t n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < l->cnt; i++)
        n += (size_t)snprintf(out + n, size - n, "%s%s-%d", i ? " " : "",
                              l->tps[i].topic, (int)l->tps[i].partition);
}

ParameterizedTestParameters(bc_assign, assigns_like_kafka) {
    return cr_make_param_array(scenario_t, scenarios,
                               sizeof(scenarios) / sizeof(scenarios[0]));
}

ParameterizedTest(scenario_t *sc, bc_assign, assigns_like_kafka) {
    parsed_t p;
    bc_assign_list_t out[MAXM];
    char err[256], got[512];

    parse(sc, &p);
    cr_assert_eq(bc_assign_compute(sc->strategy, p.members, p.member_cnt,
                                   p.topics, p.topic_cnt, out, err,
                                   sizeof(err)),
                 0, "%s: %s", sc->name, err);
    for (size_t i = 0; i < p.member_cnt; i++) {
        render(&out[i], got, sizeof(got));
        cr_expect_str_eq(got, sc->expect[i], "%s: member %s got '%s'", sc->name,
                         p.members[i].member_id, got);
    }
    bc_assign_lists_free(out, p.member_cnt);
}

/* Both strategies give every partition of a subscribed topic to exactly
 * one member, whatever the member order in the input. */
Test(bc_assign, every_partition_assigned_exactly_once) {
    const char *topics_a[] = {"orders", "payments"};
    bc_assign_topic_t topics[] = {{"orders", 100}, {"payments", 7}};
    bc_assign_member_t members[10];
    char ids[10][16];
    bc_assign_list_t out[10];
    char err[128];

    for (int s = 0; s < 2; s++) {
        int seen_orders[100] = {0}, seen_pay[7] = {0};
        size_t min = 1000, max = 0;

        for (int i = 0; i < 10; i++) {
            snprintf(ids[i], sizeof(ids[i]), "m-%d", (i * 7) % 10);
            members[i] = (bc_assign_member_t){ids[i], NULL, topics_a, 2};
        }
        cr_assert_eq(bc_assign_compute((bc_assign_strategy_t)s, members, 10,
                                       topics, 2, out, err, sizeof(err)),
                     0);
        for (int i = 0; i < 10; i++) {
            if (out[i].cnt < min) min = out[i].cnt;
            if (out[i].cnt > max) max = out[i].cnt;
            for (size_t k = 0; k < out[i].cnt; k++) {
                if (!strcmp(out[i].tps[k].topic, "orders"))
                    seen_orders[out[i].tps[k].partition]++;
                else
                    seen_pay[out[i].tps[k].partition]++;
            }
        }
        for (int p = 0; p < 100; p++)
            cr_expect_eq(seen_orders[p], 1, "orders-%d", p);
        for (int p = 0; p < 7; p++)
            cr_expect_eq(seen_pay[p], 1, "payments-%d", p);
        /* 107 partitions over 10 members: round robin is within one;
         * range gives 10 + (0 or 1) orders and 0 or 1 payments. */
        cr_expect_leq(max - min, s == BC_ASSIGN_ROUNDROBIN ? 1u : 2u);
        bc_assign_lists_free(out, 10);
    }
}

Test(bc_assign, rejects_duplicate_member_ids) {
    const char *t[] = {"a"};
    bc_assign_member_t m[] = {{"x", NULL, t, 1}, {"x", NULL, t, 1}};
    bc_assign_topic_t topics[] = {{"a", 2}};
    bc_assign_list_t out[2];
    char err[128] = "";

    cr_assert_eq(bc_assign_compute(BC_ASSIGN_RANGE, m, 2, topics, 1, out, err,
                                   sizeof(err)),
                 -1);
    cr_expect(strstr(err, "duplicate member id 'x'"), "%s", err);
    cr_expect_eq(out[0].cnt, 0);
}

Test(bc_assign, rejects_negative_partition_count) {
    const char *t[] = {"a"};
    bc_assign_member_t m[] = {{"x", NULL, t, 1}};
    bc_assign_topic_t topics[] = {{"a", -1}};
    bc_assign_list_t out[1];
    char err[128] = "";

    cr_assert_eq(bc_assign_compute(BC_ASSIGN_ROUNDROBIN, m, 1, topics, 1, out,
                                   err, sizeof(err)),
                 -1);
    cr_expect(strstr(err, "negative partition count"), "%s", err);
}

Test(bc_assign, strategy_names_round_trip) {
    bc_assign_strategy_t s;

    cr_assert_eq(bc_assign_strategy_parse("range", &s), 0);
    cr_expect_eq(s, BC_ASSIGN_RANGE);
    cr_assert_eq(bc_assign_strategy_parse("roundrobin", &s), 0);
    cr_expect_eq(s, BC_ASSIGN_ROUNDROBIN);
    cr_expect_str_eq(bc_assign_strategy_name(BC_ASSIGN_ROUNDROBIN),
                     "roundrobin");
    cr_expect_eq(bc_assign_strategy_parse("sticky", &s), -1);
}
