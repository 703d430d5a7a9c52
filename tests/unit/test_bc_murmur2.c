/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for bc_murmur2: Kafka's UtilsTest.testMurmur2 vectors and the
 * key -> partition rule. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "broker-core/bc_murmur2.h"

typedef struct vec_s {
    char input[64]; /* inline: params are copied to the test process */
    int32_t hash;
} vec_t;

ParameterizedTestParameters(bc_murmur2, matches_kafka_vectors) {
    static vec_t v[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    return cr_make_param_array(vec_t, v, sizeof(v) / sizeof(v[0]));
}

ParameterizedTest(vec_t *v, bc_murmur2, matches_kafka_vectors) {
    cr_assert_eq(bc_murmur2(v->input, strlen(v->input)), v->hash, "murmur2(%s)",
                 v->input);
}

Test(bc_murmur2, to_positive_clears_sign_bit_not_abs) {
    cr_assert_eq(bc_murmur2_to_positive(-1), 0x7fffffff);
    cr_assert_eq(bc_murmur2_to_positive(INT32_MIN), 0);
    cr_assert_eq(bc_murmur2_to_positive(5), 5);
}

Test(bc_murmur2, key_partition_is_to_positive_mod_partitions) {
    /* murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166 */
    cr_assert_eq(bc_murmur2_partition("foobar", 6, 10), 1357151166 % 10);
    cr_assert_eq(bc_murmur2_partition("21", 2, 7),
                 (int32_t)((uint32_t)-973932308 & 0x7fffffff) % 7);
    cr_assert_eq(bc_murmur2_partition("x", 1, 0), -1);
    for (int n = 1; n < 50; n++) {
        int32_t p = bc_murmur2_partition("key", 3, n);
        cr_assert(p >= 0 && p < n);
    }
}
