/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for api_json: Go-style number rendering, exact int64 output and
 * the envelope's field order. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "http/server/api_json.h"

struct float_case {
    double v;
    char want[32];
};

/* Expected strings are what Go's encoding/json prints for each value. */
ParameterizedTestParameters(api_json, floats_render_like_go) {
    static struct float_case params[] = {
        {1.0, "1"},
        {0.5, "0.5"},
        {0.0, "0"},
        {-0.0, "-0"},
        {0.1, "0.1"},
        {0.3, "0.3"},
        {1.0 / 3.0, "0.3333333333333333"},
        {0.1 + 0.2, "0.30000000000000004"},
        {123456789.0, "123456789"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {1.5e300, "1.5e+300"},
        {0.000001, "0.000001"},
        {0.0000001, "1e-7"},
        {1.25e-10, "1.25e-10"},
        {-2.5, "-2.5"},
        {292.1, "292.1"},
    };
    return cr_make_param_array(struct float_case, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct float_case *c, api_json, floats_render_like_go) {
    char buf[64];
    int n = api_json_format_float(c->v, buf, sizeof(buf));
    cr_assert_str_eq(buf, c->want);
    cr_assert_eq(n, (int)strlen(c->want));
}

Test(api_json, non_finite_floats_render_null) {
    char buf[16];
    api_json_format_float(NAN, buf, sizeof(buf));
    cr_assert_str_eq(buf, "null");
    api_json_format_float(INFINITY, buf, sizeof(buf));
    cr_assert_str_eq(buf, "null");
}

Test(api_json, float_output_is_truncated_safely) {
    char buf[4];
    int n = api_json_format_float(0.30000000000000004, buf, sizeof(buf));
    cr_assert_eq(n, 3);
    cr_assert_str_eq(buf, "0.3");
}

Test(api_json, int64_values_print_exactly) {
    cJSON *o = cJSON_CreateObject();
    char *text;
    api_json_add_int64(o, "big", INT64_MAX);
    api_json_add_int64(o, "neg", INT64_MIN);
    api_json_add_int64(o, "ts", 1700000000000LL);
    text = cJSON_PrintUnformatted(o);
    cr_assert_str_eq(text, "{\"big\":9223372036854775807,"
                           "\"neg\":-9223372036854775808,"
                           "\"ts\":1700000000000}");
    free(text);
    cJSON_Delete(o);
}

Test(api_json, envelope_then_fields_then_request) {
    api_req_t req;
    cJSON *o;
    char *text;
    memset(&req, 0, sizeof(req));
    req.path = "/v3/kafka";
    req.host = "h";
    o = api_json_envelope(0, "cluster list returned");
    cJSON_AddItemToObject(o, "clusters", cJSON_CreateArray());
    api_json_add_request(o, &req);
    api_json_add_request(o, &req); /* only once */
    text = cJSON_PrintUnformatted(o);
    cr_assert_str_eq(text, "{\"error\":false,\"message\":\"cluster list "
                           "returned\",\"clusters\":[],\"request\":{\"url\":"
                           "\"/v3/kafka\",\"host\":\"h\"}}");
    free(text);
    cJSON_Delete(o);
}
