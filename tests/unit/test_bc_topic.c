/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_topic: Kafka's topic-name rules, config keys, the topic
 * file round trip and its error reports. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_topic.h"
#include "tests/unit/bc_test_util.h"

typedef struct name_case_s {
    char name[300];
    int ok;
} name_case_t;

ParameterizedTestParameters(bc_topic, name_validation_follows_kafka) {
    static name_case_t cases[8];
    snprintf(cases[0].name, 300, "orders");
    cases[0].ok = 1;
    snprintf(cases[1].name, 300, "my.topic_v2-eu");
    cases[1].ok = 1;
    snprintf(cases[2].name, 300, "__consumer_offsets");
    cases[2].ok = 1;
    snprintf(cases[3].name, 300, ".");
    snprintf(cases[4].name, 300, "..");
    snprintf(cases[5].name, 300, "bad/name");
    snprintf(cases[6].name, 300, "sp ace");
    memset(cases[7].name, 'a', 250); /* one over the limit */
    return cr_make_param_array(name_case_t, cases, 8);
}

ParameterizedTest(name_case_t *c, bc_topic, name_validation_follows_kafka) {
    char err[256] = "";
    int rc = bc_topic_name_valid(c->name, err, sizeof(err));
    if (c->ok)
        cr_assert_eq(rc, 0, "%s: %s", c->name, err);
    else
        cr_assert_eq(rc, BC_ERR_INVALID, "%s accepted", c->name);
}

Test(bc_topic, longest_legal_name_is_249_characters) {
    char name[251];
    memset(name, 'x', 249);
    name[249] = '\0';
    cr_assert_eq(bc_topic_name_valid(name, NULL, 0), 0);
    cr_assert_eq(bc_topic_name_valid("", NULL, 0), BC_ERR_INVALID);
}

Test(bc_topic, config_keys_parse_with_range_checks) {
    bc_log_config_t c = bc_log_config_default();
    char err[256];
    cr_assert_eq(
        bc_topic_config_set_kv(&c, "segment.bytes=4096", err, sizeof(err)), 0);
    cr_assert_eq(c.segment_bytes, 4096);
    cr_assert_eq(
        bc_topic_config_set_kv(&c, "cleanup.policy=compact", err, sizeof(err)),
        0);
    cr_assert_eq(c.cleanup_policy, BC_CLEANUP_COMPACT);
    cr_assert_eq(bc_topic_config_set_kv(&c, "min.cleanable.dirty.ratio=0.25",
                                        err, sizeof(err)),
                 0);
    cr_assert_float_eq(c.min_cleanable_dirty_ratio, 0.25, 1e-12);
    cr_assert_eq(bc_topic_config_set_kv(&c, "index.interval.bytes=128", err,
                                        sizeof(err)),
                 0);
    cr_assert_eq(c.index_interval_bytes, 128);
    cr_assert_eq(
        bc_topic_config_set_kv(&c, "retention.ms=-1", err, sizeof(err)), 0);
    cr_assert_eq(c.retention_ms, -1);
    cr_assert_eq(
        bc_topic_config_set_kv(&c, "segment.bytes=12x", err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert(strstr(err, "segment.bytes") != NULL, "%s", err);
    cr_assert_eq(
        bc_topic_config_set_kv(&c, "retention.ms=-2", err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert_eq(
        bc_topic_config_set_kv(&c, "cleanup.policy=forever", err, sizeof(err)),
        BC_ERR_INVALID);
    cr_assert_eq(bc_topic_config_set_kv(&c, "no.such.key=1", err, sizeof(err)),
                 BC_ERR_INVALID);
    cr_assert_eq(bc_topic_config_set_kv(&c, "novalue", err, sizeof(err)),
                 BC_ERR_INVALID);
    cr_assert_eq(c.segment_bytes, 4096, "failed sets change nothing");
}

Test(bc_topic, config_file_round_trips) {
    char dir[512];
    bct_tmpdir(dir, sizeof(dir), "topic");
    bc_topic_config_t tc, back;
    memset(&tc, 0, sizeof(tc));
    tc.partitions = 7;
    tc.log = bc_log_config_default();
    tc.log.cleanup_policy = BC_CLEANUP_COMPACT | BC_CLEANUP_DELETE;
    tc.log.segment_bytes = 12345;
    tc.log.durable = 1;
    tc.log.min_cleanable_dirty_ratio = 0.1;
    bc_topic_new_id(tc.topic_id);
    cr_assert_eq(strlen(tc.topic_id), 22);
    char err[512];
    cr_assert_eq(bc_topic_save(dir, "t1", &tc, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(bc_topic_load(dir, "t1", &back, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(back.partitions, 7);
    cr_assert_str_eq(back.topic_id, tc.topic_id);
    cr_assert_eq(back.log.cleanup_policy, tc.log.cleanup_policy);
    cr_assert_eq(back.log.segment_bytes, 12345);
    cr_assert_eq(back.log.durable, 1);
    cr_assert_float_eq(back.log.min_cleanable_dirty_ratio, 0.1, 1e-15);
    cr_assert_eq(bc_topic_load(dir, "nope", &back, err, sizeof(err)),
                 BC_ERR_NOT_FOUND);
    bct_rmtree(dir);
}

Test(bc_topic, corrupt_config_file_names_file_and_line) {
    char dir[512], path[600];
    bct_tmpdir(dir, sizeof(dir), "topic");
    snprintf(path, sizeof(path), "%s/topics", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/topics/t", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "version=0\n\ntopic=t\npartitions=2\nsegment.bytes=abc\n");
    fclose(f);
    bc_topic_config_t tc;
    char err[512];
    cr_assert_eq(bc_topic_load(dir, "t", &tc, err, sizeof(err)),
                 BC_ERR_CORRUPT);
    cr_assert(strstr(err, "topics/t:5:") != NULL, "%s", err);
    cr_assert(strstr(err, "segment.bytes") != NULL, "%s", err);
    bct_rmtree(dir);
}

Test(bc_topic, partition_dir_names_split_at_last_dash) {
    char t[256];
    int32_t p;
    cr_assert_eq(bc_topic_parse_partition_dir("my-topic-12", t, sizeof(t), &p),
                 0);
    cr_assert_str_eq(t, "my-topic");
    cr_assert_eq(p, 12);
    cr_assert_eq(bc_topic_parse_partition_dir("topics", t, sizeof(t), &p), -1);
    cr_assert_eq(bc_topic_parse_partition_dir("x-", t, sizeof(t), &p), -1);
    cr_assert_eq(bc_topic_parse_partition_dir("x-1a", t, sizeof(t), &p), -1);
}
