/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for api_router: pattern registration, matching and specificity,
 * 405 Allow lists, strict percent-decoding and query parsing. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "http/server/api_router.h"

static void h_a(api_req_t *req, void *opaque) {
    (void)req;
    (void)opaque;
}

static void h_b(api_req_t *req, void *opaque) {
    (void)req;
    (void)opaque;
}

static api_match_t match(api_router_t *rt, const char *method, const char *path,
                         api_route_hit_t *hit) {
    api_path_t p;
    api_match_t m;
    cr_assert_eq(api_path_parse(&p, path, strlen(path)), 0, "%s", path);
    m = api_router_match(rt, method, &p, hit);
    /* values point into p: copy what the tests look at */
    static char vals[API_MAX_PARAMS][128];
    for (int i = 0; i < hit->nparams; i++) {
        snprintf(vals[i], sizeof(vals[i]), "%s", hit->param_value[i]);
        hit->param_value[i] = vals[i];
    }
    api_path_free(&p);
    return m;
}

Test(api_router, params_are_captured_by_name) {
    api_router_t *rt = api_router_new();
    api_route_hit_t hit;
    cr_assert_eq(api_router_add(rt, "GET",
                                "/v3/kafka/:cluster/consumer/:group/status",
                                h_a, NULL, NULL, 0),
                 0);
    cr_assert_eq(match(rt, "GET", "/v3/kafka/local/consumer/g1/status", &hit),
                 API_MATCH_OK);
    cr_assert_eq(hit.fn, h_a);
    cr_assert_eq(hit.nparams, 2);
    cr_assert_str_eq(hit.param_name[0], "cluster");
    cr_assert_str_eq(hit.param_value[0], "local");
    cr_assert_str_eq(hit.param_name[1], "group");
    cr_assert_str_eq(hit.param_value[1], "g1");
    api_router_destroy(rt);
}

Test(api_router, literal_beats_parameter_regardless_of_order) {
    api_router_t *rt = api_router_new();
    api_route_hit_t hit;
    api_router_add(rt, "GET", "/v3/kafka/:cluster", h_a, NULL, NULL, 0);
    api_router_add(rt, "GET", "/v3/kafka/special", h_b, NULL, NULL, 0);
    cr_assert_eq(match(rt, "GET", "/v3/kafka/special", &hit), API_MATCH_OK);
    cr_assert_eq(hit.fn, h_b);
    cr_assert_eq(match(rt, "GET", "/v3/kafka/other", &hit), API_MATCH_OK);
    cr_assert_eq(hit.fn, h_a);
    api_router_destroy(rt);
}

Test(api_router, tail_matches_rest_and_exact_route_wins_over_empty_tail) {
    api_router_t *rt = api_router_new();
    api_route_hit_t hit;
    api_router_add(rt, "GET", "/dashboard/*path", h_a, NULL, NULL, 0);
    api_router_add(rt, "GET", "/dashboard", h_b, NULL, NULL, 0);
    cr_assert_eq(match(rt, "GET", "/dashboard/js/app.js", &hit), API_MATCH_OK);
    cr_assert_eq(hit.fn, h_a);
    cr_assert_str_eq(hit.param_value[0], "js/app.js");
    cr_assert_eq(match(rt, "GET", "/dashboard/", &hit), API_MATCH_OK);
    cr_assert_eq(hit.fn, h_a);
    cr_assert_str_eq(hit.param_value[0], "");
    cr_assert_eq(match(rt, "GET", "/dashboard", &hit), API_MATCH_OK);
    cr_assert_eq(hit.fn, h_b);
    api_router_destroy(rt);
}

Test(api_router, wrong_method_lists_allowed_methods) {
    api_router_t *rt = api_router_new();
    api_route_hit_t hit;
    api_router_add(rt, "GET", "/x/:id", h_a, NULL, NULL, 0);
    api_router_add(rt, "DELETE", "/x/:id", h_b, NULL, NULL, 0);
    cr_assert_eq(match(rt, "POST", "/x/1", &hit), API_MATCH_BAD_METHOD);
    cr_assert_str_eq(hit.allow, "GET, HEAD, DELETE");
    cr_assert_eq(match(rt, "HEAD", "/x/1", &hit), API_MATCH_OK);
    cr_assert_eq(hit.fn, h_a);
    cr_assert_eq(match(rt, "GET", "/y", &hit), API_MATCH_NOT_FOUND);
    api_router_destroy(rt);
}

Test(api_router, empty_segment_never_fills_a_parameter) {
    api_router_t *rt = api_router_new();
    api_route_hit_t hit;
    api_router_add(rt, "GET", "/a/:b/c", h_a, NULL, NULL, 0);
    cr_assert_eq(match(rt, "GET", "/a//c", &hit), API_MATCH_NOT_FOUND);
    cr_assert_eq(match(rt, "GET", "/a/b/c/", &hit), API_MATCH_NOT_FOUND);
    api_router_destroy(rt);
}

struct bad_pattern {
    char pattern[48];
};

ParameterizedTestParameters(api_router, bad_patterns_are_refused) {
    static struct bad_pattern params[] = {
        {"no/slash"},   {"/a/:"},     {"/a/*"},
        {"/a/*rest/b"}, {"/a/:x/:x"}, {"/:a/:b/:c/:d/:e/:f/:g/:h/:i"},
    };
    return cr_make_param_array(struct bad_pattern, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct bad_pattern *p, api_router, bad_patterns_are_refused) {
    api_router_t *rt = api_router_new();
    char err[128] = "";
    cr_assert_eq(
        api_router_add(rt, "GET", p->pattern, h_a, NULL, err, sizeof(err)), -1,
        "%s accepted", p->pattern);
    cr_assert(strstr(err, p->pattern), "%s", err);
    api_router_destroy(rt);
}

Test(api_router, duplicate_route_is_refused) {
    api_router_t *rt = api_router_new();
    char err[128];
    cr_assert_eq(api_router_add(rt, "GET", "/a", h_a, NULL, err, sizeof(err)),
                 0);
    cr_assert_eq(api_router_add(rt, "GET", "/a", h_b, NULL, err, sizeof(err)),
                 -1);
    cr_assert_eq(api_router_add(rt, "POST", "/a", h_b, NULL, err, sizeof(err)),
                 0);
    api_router_destroy(rt);
}

Test(api_router, segments_decode_separately) {
    api_path_t p;
    const char *raw = "/v3/a%2Fb/%2e%2e/x%20y";
    cr_assert_eq(api_path_parse(&p, raw, strlen(raw)), 0);
    cr_assert_eq(p.nsegs, 4);
    cr_assert_str_eq(p.segs[1], "a/b");
    cr_assert_str_eq(p.segs[2], "..");
    cr_assert_str_eq(p.segs[3], "x y");
    cr_assert_str_eq(p.joined, "/v3/a/b/../x y");
    cr_assert_str_eq(p.joined + p.seg_off[2], "../x y");
    api_path_free(&p);
}

Test(api_router, root_path_has_no_segments) {
    api_path_t p;
    cr_assert_eq(api_path_parse(&p, "/", 1), 0);
    cr_assert_eq(p.nsegs, 0);
    cr_assert_str_eq(p.joined, "/");
    api_path_free(&p);
}

struct bad_raw {
    char raw[32];
};

ParameterizedTestParameters(api_router, malformed_paths_are_refused) {
    static struct bad_raw params[] = {
        {"/a%"}, {"/a%2"}, {"/a%zz"}, {"/a%00b"}, {"/%g0"}, {"relative"}, {""},
    };
    return cr_make_param_array(struct bad_raw, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct bad_raw *b, api_router, malformed_paths_are_refused) {
    api_path_t p;
    cr_assert_eq(api_path_parse(&p, b->raw, strlen(b->raw)), -1, "%s", b->raw);
    cr_assert_null(p.segs);
}

Test(api_router, url_decode_handles_plus_only_for_queries) {
    char out[16];
    cr_assert_eq(api_url_decode(out, "a+b%41", 6, 0), 4);
    cr_assert_str_eq(out, "a+bA");
    cr_assert_eq(api_url_decode(out, "a+b%41", 6, 1), 4);
    cr_assert_str_eq(out, "a bA");
}

Test(api_router, query_values_are_found_and_decoded) {
    api_req_t req;
    char buf[16];
    memset(&req, 0, sizeof(req));
    req.query = "a=1&since=12%2B3&flag&x=%zz&long=0123456789abcdefXYZ";
    cr_assert_eq(api_req_query(&req, "since", buf, sizeof(buf)), 4);
    cr_assert_str_eq(buf, "12+3");
    cr_assert_eq(api_req_query(&req, "flag", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(api_req_query(&req, "missing", buf, sizeof(buf)), -1);
    cr_assert_eq(api_req_query(&req, "x", buf, sizeof(buf)), -2);
    cr_assert_eq(api_req_query(&req, "long", buf, sizeof(buf)), -2);
}
