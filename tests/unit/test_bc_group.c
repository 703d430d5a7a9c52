/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for bc_group: Java String.hashCode / compareTo over UTF-8.
 *
 * The expected hash values were printed by OpenJDK 17 running
 *   System.out.println(s.hashCode());
 * for each string below (the partition column is Kafka's
 * Utils.abs(hashCode) % 50, printed by the same program).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <string.h>

#include "broker-core/bc_group.h"

typedef struct jvec_s {
    char s[32]; /* an array: Criterion copies parameters */
    int32_t hash;
} jvec_t;

static jvec_t jvecs[] = {
    {"", 0},
    {"a", 97},
    {"group", 98629247},
    {"my-group", -1906497762},
    {"test-group", 627841412},
    {"burrow", -1377749253},
    {"warren", -795007821},
    {"console-consumer-12345", 158455506},
    {"polygenelubricants", INT32_MIN},
    {"GydZG_", INT32_MIN},
    {"DESIGNING WORKHORSES", 2147394275},
    {"\xc3\xa9t\xc3\xa9", 227742},                           /* été */
    {"gr\xc3\xbcppe-\xe4\xb8\xad\xe6\x96\x87", -1041074669}, /* grüppe-中文 */
    {"emoji-\xf0\x9f\x98\x80", 1164511306}, /* U+1F600, a surrogate pair */
    {"Aa", 2112},
    {"BB", 2112},
};

ParameterizedTestParameters(bc_group, hash_matches_java_string_hashcode) {
    return cr_make_param_array(jvec_t, jvecs, sizeof(jvecs) / sizeof(jvecs[0]));
}

ParameterizedTest(jvec_t *v, bc_group, hash_matches_java_string_hashcode) {
    cr_expect_eq(bc_group_java_hash(v->s, strlen(v->s)), v->hash,
                 "'%s' -> %d, Java says %d", v->s,
                 (int)bc_group_java_hash(v->s, strlen(v->s)), (int)v->hash);
}

Test(bc_group, abs_of_min_int_is_zero_like_kafka_utils_abs) {
    cr_expect_eq(bc_group_java_abs(INT32_MIN), 0);
    cr_expect_eq(bc_group_java_abs(-1906497762), 1906497762);
    cr_expect_eq(bc_group_java_abs(97), 97);
}

Test(bc_group, compare_orders_utf16_units_not_utf8_bytes) {
    /* U+FF5E (EF BD 9E) is one unit 0xFF5E; U+1F600 is 0xD83D 0xDE00.
     * UTF-8 byte order puts the emoji last; Java puts it first. */
    const char *fullwidth = "\xef\xbd\x9e", *emoji = "\xf0\x9f\x98\x80";

    cr_expect_gt(strcmp(emoji, fullwidth), 0);
    cr_expect_lt(bc_group_java_cmp(emoji, fullwidth), 0);
    cr_expect_lt(bc_group_java_cmp("consumer-a", "consumer-b"), 0);
    cr_expect_lt(bc_group_java_cmp("abc", "abcd"), 0);
    cr_expect_eq(bc_group_java_cmp("same", "same"), 0);
    cr_expect_lt(bc_group_java_cmp("Z", "a"), 0);
}

Test(bc_group, malformed_utf8_hashes_as_replacement_char) {
    /* A lone continuation byte decodes to U+FFFD (65533). */
    cr_expect_eq(bc_group_java_hash("\x80", 1), 65533);
}

Test(bc_group, tp_order_is_topic_then_partition) {
    bc_group_tp_t a = {"orders", 10}, b = {"orders", 9}, c = {"alpha", 50};

    cr_expect_gt(bc_group_tp_cmp(&a, &b), 0);
    cr_expect_lt(bc_group_tp_cmp(&c, &b), 0);
    cr_expect_eq(bc_group_tp_cmp(&a, &a), 0);
}
