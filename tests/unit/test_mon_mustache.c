/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_mustache: the official Mustache specification (a copy, with
 * its MIT licence, in tests/data/mustache-spec, or from
 * $WARREN_MUSTACHE_SPEC), then Warren's own needs: JSON escaping, parse
 * errors with file:line, dotted names, partition lists, numbers, threads,
 * and the sample webhook templates in samples/templates.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "monitor/notify/mon_mustache.h"

#define SAMPLES "samples/templates"

/* ---- helpers --------------------------------------------------------- */

static char *read_file(const char *path, size_t *lenp) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0, got;
    char *buf = malloc(cap + 1);
    while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[len] = '\0';
    if (lenp) *lenp = len;
    return buf;
}

static cJSON *load_json(const char *path) {
    size_t len;
    char *text = read_file(path, &len);
    if (!text) return NULL;
    /* cJSON wants the terminating NUL inside the length. */
    cJSON *j = cJSON_ParseWithLengthOpts(text, len + 1, NULL, 1);
    free(text);
    return j;
}

static cJSON *parse_json(const char *text) {
    return cJSON_ParseWithLengthOpts(text, strlen(text) + 1, NULL, 1);
}

/* Compiles and renders TEXT over the JSON DATA; fails the test on error. */
static char *render(const char *text, const char *data, mon_esc_t esc) {
    char err[256] = "";
    mon_mustache_t *tpl =
        mon_mustache_compile(text, strlen(text), "t", err, sizeof(err));
    cr_assert_not_null(tpl, "compile failed: %s", err);
    cJSON *d = parse_json(data);
    cr_assert_not_null(d, "bad test data: %s", data);
    char *out = mon_mustache_render(tpl, d, esc, NULL, err, sizeof(err));
    cr_assert_not_null(out, "render failed: %s", err);
    cJSON_Delete(d);
    mon_mustache_destroy(tpl);
    return out;
}

static const char *lookup_json(void *opaque, const char *name, size_t *lenp) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(opaque, name);
    if (!cJSON_IsString(v)) return NULL;
    *lenp = strlen(v->valuestring);
    return v->valuestring;
}

/* ---- the specification ----------------------------------------------- */

typedef struct spec_param_s {
    char file[32];
    int index; /* -1: the file could not be loaded */
    char name[96];
} spec_param_t;

static const char *spec_dir(void) {
    const char *d = getenv("WARREN_MUSTACHE_SPEC");
    return d && *d ? d : "tests/data/mustache-spec";
}

static cJSON *load_spec(const char *file) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", spec_dir(), file);
    return load_json(path);
}

static void free_params(struct criterion_test_params *crp) {
    cr_free(crp->params);
}

static struct criterion_test_params spec_params(const char *file) {
    cJSON *spec = load_spec(file);
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(spec, "tests");
    int n = cJSON_IsArray(tests) ? cJSON_GetArraySize(tests) : 0;
    spec_param_t *ps = cr_calloc(n ? (size_t)n : 1, sizeof(*ps));
    for (int i = 0; i < (n ? n : 1); i++) {
        snprintf(ps[i].file, sizeof(ps[i].file), "%s", file);
        ps[i].index = n ? i : -1;
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(tests, i), "name");
        snprintf(ps[i].name, sizeof(ps[i].name), "%s",
                 cJSON_IsString(nm) ? nm->valuestring : "?");
    }
    cJSON_Delete(spec);
    return cr_make_param_array(spec_param_t, ps, n ? (size_t)n : 1,
                               free_params);
}

static void run_spec(const spec_param_t *sp) {
    cr_assert_geq(sp->index, 0, "cannot load %s/%s (set WARREN_MUSTACHE_SPEC)",
                  spec_dir(), sp->file);
    cJSON *spec = load_spec(sp->file);
    cr_assert_not_null(spec, "cannot load %s", sp->file);
    const cJSON *t = cJSON_GetArrayItem(
        cJSON_GetObjectItemCaseSensitive(spec, "tests"), sp->index);
    const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(t, "template");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(t, "expected");
    cr_assert(cJSON_IsString(tmpl) && cJSON_IsString(exp));
    char name[160], err[256] = "";
    snprintf(name, sizeof(name), "%s:%s", sp->file, sp->name);
    mon_mustache_t *tpl = mon_mustache_compile(
        tmpl->valuestring, strlen(tmpl->valuestring), name, err, sizeof(err));
    cr_assert_not_null(tpl, "[%s] compile failed: %s", name, err);
    mon_mustache_partials_t parts = {
        lookup_json, cJSON_GetObjectItemCaseSensitive(t, "partials")};
    char *out =
        mon_mustache_render(tpl, cJSON_GetObjectItemCaseSensitive(t, "data"),
                            MON_ESC_HTML, &parts, err, sizeof(err));
    cr_assert_not_null(out, "[%s] render failed: %s", name, err);
    cr_expect_str_eq(out, exp->valuestring,
                     "[%s] template %s\nexpected [%s]\n     got [%s]", name,
                     tmpl->valuestring, exp->valuestring, out);
    free(out);
    mon_mustache_destroy(tpl);
    cJSON_Delete(spec);
}

#define SPEC_FILE(id)                                                          \
    ParameterizedTestParameters(mon_mustache, spec_##id) {                     \
        return spec_params(#id ".json");                                       \
    }                                                                          \
    ParameterizedTest(spec_param_t *sp, mon_mustache, spec_##id) {             \
        run_spec(sp);                                                          \
    }

SPEC_FILE(interpolation)
SPEC_FILE(sections)
SPEC_FILE(inverted)
SPEC_FILE(comments)
SPEC_FILE(delimiters)
SPEC_FILE(partials)

/* ---- escaping -------------------------------------------------------- */

typedef struct str_param_s {
    char s[64];
} str_param_t;

ParameterizedTestParameters(mon_mustache, json_escaping_keeps_body_valid) {
    static str_param_t ps[] = {
        {"plain text"},
        {"quote \" inside"},
        {"back\\slash and \\\" both"},
        {"new\nline\ttab\rreturn"},
        {"\x01\x02\x1f control"},
        {"\x7f del"},
        {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"},
        {"</script><b>&amp;'"},
        {"{{not a tag}}"},
        {""},
    };
    return cr_make_param_array(str_param_t, ps, sizeof(ps) / sizeof(ps[0]));
}

ParameterizedTest(str_param_t *p, mon_mustache,
                  json_escaping_keeps_body_valid) {
    const char *t = "{\"text\":\"{{v}}\",\"n\":{{n}}}";
    mon_mustache_t *tpl = mon_mustache_compile(t, strlen(t), "t", NULL, 0);
    cr_assert_not_null(tpl);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "v", p->s);
    cJSON_AddNumberToObject(d, "n", 7);
    char *out = mon_mustache_render(tpl, d, MON_ESC_JSON, NULL, NULL, 0);
    cJSON *j = parse_json(out);
    cr_assert_not_null(j, "not JSON: %s", out);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "text")->valuestring, p->s);
    cr_assert_eq(cJSON_GetObjectItem(j, "n")->valuedouble, 7);
    cJSON_Delete(j);
    free(out);
    cJSON_Delete(d);
    mon_mustache_destroy(tpl);
}

Test(mon_mustache, json_escaping_writes_control_chars_as_u_escapes) {
    char *out =
        render("{{v}}", "{\"v\":\"a\\n\\u0001\\\"\\\\b\\t\"}", MON_ESC_JSON);
    cr_assert_str_eq(out, "a\\u000a\\u0001\\\"\\\\b\\u0009");
    free(out);
}

Test(mon_mustache, json_escaping_replaces_invalid_utf8) {
    const char *t = "\"{{v}}\"";
    mon_mustache_t *tpl = mon_mustache_compile(t, strlen(t), "t", NULL, 0);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "v",
                            "a\xff"
                            "b\xc3(\xed\xa0\x80z");
    char *out = mon_mustache_render(tpl, d, MON_ESC_JSON, NULL, NULL, 0);
    cr_assert_str_eq(out, "\"a\\ufffdb\\ufffd(\\ufffd\\ufffd\\ufffdz\"");
    free(out);
    cJSON_Delete(d);
    mon_mustache_destroy(tpl);
}

Test(mon_mustache, html_escaping_covers_apostrophe) {
    char *out =
        render("{{v}}", "{\"v\":\"<a href='x'>&\\\"</a>\"}", MON_ESC_HTML);
    cr_assert_str_eq(out, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    free(out);
}

Test(mon_mustache, raw_tags_are_never_escaped) {
    char *out =
        render("{{{v}}}|{{&v}}|{{v}}", "{\"v\":\"a\\\"b\"}", MON_ESC_JSON);
    cr_assert_str_eq(out, "a\"b|a\"b|a\\\"b");
    free(out);
}

Test(mon_mustache, escape_none_is_verbatim) {
    char *out = render("{{v}}", "{\"v\":\"<&\\\"'\\n>\"}", MON_ESC_NONE);
    cr_assert_str_eq(out, "<&\"'\n>");
    free(out);
}

Test(mon_mustache, url_escaping_percent_encodes_all_but_unreserved) {
    char *out = render("https://h/g/{{g}}?c={{c}}",
                       "{\"g\":\"a b/c?d&e=f\\u00e9\",\"c\":\"A-z.0_9~\"}",
                       MON_ESC_URL);
    cr_assert_str_eq(out, "https://h/g/a%20b%2Fc%3Fd%26e%3Df%C3%A9?c=A-z.0_9~");
    free(out);
}

/* ---- parse errors ---------------------------------------------------- */

typedef struct err_param_s {
    char tpl[48];
    char err[128];
} err_param_t;

ParameterizedTestParameters(mon_mustache, parse_error_names_file_and_line) {
    static err_param_t ps[] = {
        {"a\nb\n{{#x}}\nc\n", "t.json:3: unclosed section '{{#x}}'"},
        {"{{#a}}\n{{^b}}\n", "t.json:2: unclosed section '{{^b}}'"},
        {"{{#a}}\n {{/b}}",
         "t.json:2: closing tag '{{/b}}' does not match the open section "
         "'a' (line 1)"},
        {"x\n\n  {{name\n}", "t.json:3: unclosed tag '{{' (no '}}')"},
        {"ok\n{{{raw}}\n", "t.json:2: unclosed tag '{{{' (no '}}}')"},
        {"{{/a}}", "t.json:1: closing tag '{{/a}}' without an open section"},
        {"\n{{ }}", "t.json:2: empty tag name"},
        {"{{a b}}", "t.json:1: bad tag name 'a b' (contains a space)"},
        {"{{a..b}}", "t.json:1: bad tag name 'a..b' (empty part)"},
        {"{{=<% =}}",
         "t.json:1: bad set-delimiter tag (want two delimiters of 1-16 "
         "characters without spaces or '=')"},
        {"{{!\n\n}}\n{{#a}}", "t.json:4: unclosed section '{{#a}}'"},
        {"{{=<% %>=}}\n<%#a%>\n<%/b%>",
         "t.json:3: closing tag '<%/b%>' does not match the open section "
         "'a' (line 2)"},
    };
    return cr_make_param_array(err_param_t, ps, sizeof(ps) / sizeof(ps[0]));
}

ParameterizedTest(err_param_t *p, mon_mustache,
                  parse_error_names_file_and_line) {
    char err[256] = "";
    mon_mustache_t *tpl = mon_mustache_compile(p->tpl, strlen(p->tpl), "t.json",
                                               err, sizeof(err));
    cr_assert_null(tpl, "compiled: %s", p->tpl);
    cr_assert_str_eq(err, p->err);
}

Test(mon_mustache, load_names_a_missing_file) {
    char err[256] = "";
    cr_assert_null(mon_mustache_load("no/such/tpl.json", err, sizeof(err)));
    cr_assert_str_eq(err, "no/such/tpl.json: No such file or directory");
}

Test(mon_mustache, load_reports_path_and_line) {
    char path[] = "/tmp/warren-mustache-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\n  \"a\": \"{{#x}}\"\n}\n", f);
    fclose(f);
    char err[256] = "", want[300];
    cr_assert_null(mon_mustache_load(path, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s:2: unclosed section '{{#x}}'", path);
    cr_assert_str_eq(err, want);
    remove(path);
}

/* ---- names, lists, values -------------------------------------------- */

static const char *GROUP_DATA =
    "{\"group\":\"billing\",\"cluster\":\"local\","
    "\"maxlag\":{\"topic\":\"orders\",\"partition\":3,\"current_lag\":48210},"
    "\"extras\":{\"routing_key\":\"R1\"},"
    "\"partitions\":["
    "{\"topic\":\"orders\",\"partition\":3,\"status\":\"STALL\","
    "\"current_lag\":48210,\"time_lag_s\":310.5,\"owner\":\"host-a\"},"
    "{\"topic\":\"orders\",\"partition\":7,\"status\":\"WARN\","
    "\"current_lag\":2010,\"time_lag_s\":12,\"owner\":\"\"}]}";

Test(mon_mustache, dotted_names_reach_into_objects) {
    char *out = render("{{maxlag.topic}}/{{maxlag.partition}} "
                       "{{extras.routing_key}} [{{extras.nope}}] "
                       "[{{group.x}}]",
                       GROUP_DATA, MON_ESC_JSON);
    cr_assert_str_eq(out, "orders/3 R1 [] []");
    free(out);
}

Test(mon_mustache, section_iterates_partition_objects) {
    char *out = render("{{#partitions}}{{group}}:{{topic}}/{{partition}} "
                       "{{status}} {{current_lag}} {{time_lag_s}}s"
                       "{{#owner}} @{{owner}}{{/owner}};{{/partitions}}",
                       GROUP_DATA, MON_ESC_NONE);
    cr_assert_str_eq(out, "billing:orders/3 STALL 48210 310.5s @host-a;"
                          "billing:orders/7 WARN 2010 12s;");
    free(out);
}

Test(mon_mustache, empty_list_renders_inverted_section) {
    char *out =
        render("[{{#p}}x{{/p}}{{^p}}none{{/p}}]", "{\"p\":[]}", MON_ESC_NONE);
    cr_assert_str_eq(out, "[none]");
    free(out);
}

Test(mon_mustache, zero_and_empty_string_are_falsey) {
    char *out = render("{{#z}}z{{/z}}{{^z}}!z{{/z}} {{#e}}e{{/e}}{{^e}}!e{{/e}}"
                       " {{#n}}{{.}}{{/n}}",
                       "{\"z\":0,\"e\":\"\",\"n\":5}", MON_ESC_NONE);
    cr_assert_str_eq(out, "!z !e 5");
    free(out);
}

Test(mon_mustache, numbers_print_like_json) {
    char *out = render("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}}",
                       "{\"a\":48210,\"b\":1.5,\"c\":0.1,\"d\":-3,"
                       "\"e\":123456789012345,\"f\":0,\"g\":2.5e-7}",
                       MON_ESC_JSON);
    cr_assert_str_eq(out, "48210 1.5 0.1 -3 123456789012345 0 2.5e-07");
    free(out);
}

Test(mon_mustache, objects_and_lists_interpolate_as_json) {
    char *out = render("{\"m\":{{{maxlag}}},\"p\":{{{partitions}}}}",
                       GROUP_DATA, MON_ESC_JSON);
    cJSON *j = parse_json(out), *d = parse_json(GROUP_DATA);
    cr_assert_not_null(j, "not JSON: %s", out);
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(j, "m"),
                            cJSON_GetObjectItem(d, "maxlag"), 1));
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(j, "p"),
                            cJSON_GetObjectItem(d, "partitions"), 1));
    cJSON_Delete(j);
    cJSON_Delete(d);
    free(out);
}

Test(mon_mustache, null_data_renders_text_only) {
    const char *t = "a{{x}}b{{#y}}c{{/y}}{{^y}}d{{/y}}";
    mon_mustache_t *tpl = mon_mustache_compile(t, strlen(t), "t", NULL, 0);
    char *out = mon_mustache_render(tpl, NULL, MON_ESC_HTML, NULL, NULL, 0);
    cr_assert_str_eq(out, "abd");
    free(out);
    mon_mustache_destroy(tpl);
}

Test(mon_mustache, burrow_test_vector_renders) {
    char *out = render("{{id}} {{cluster}} {{group}} {{status}}",
                       "{\"id\":\"testidstring\",\"cluster\":\"testcluster\","
                       "\"group\":\"testgroup\",\"status\":\"OK\"}",
                       MON_ESC_JSON);
    cr_assert_str_eq(out, "testidstring testcluster testgroup OK");
    free(out);
}

/* ---- partials -------------------------------------------------------- */

Test(mon_mustache, runaway_partial_recursion_fails_cleanly) {
    cJSON *parts = parse_json("{\"p\":\"x{{>p}}\"}");
    const char *t = "{{>p}}";
    mon_mustache_t *tpl = mon_mustache_compile(t, strlen(t), "t", NULL, 0);
    mon_mustache_partials_t pl = {lookup_json, parts};
    char err[256] = "";
    char *out =
        mon_mustache_render(tpl, NULL, MON_ESC_NONE, &pl, err, sizeof(err));
    cr_assert_null(out);
    cr_assert_str_eq(err, "p: sections and partials nest deeper than 256");
    mon_mustache_destroy(tpl);
    cJSON_Delete(parts);
}

Test(mon_mustache, broken_partial_reports_its_name_and_line) {
    cJSON *parts = parse_json("{\"footer\":\"ok\\n{{#x}}\"}");
    const char *t = "a {{>footer}}";
    mon_mustache_t *tpl = mon_mustache_compile(t, strlen(t), "t", NULL, 0);
    mon_mustache_partials_t pl = {lookup_json, parts};
    char err[256] = "";
    cr_assert_null(
        mon_mustache_render(tpl, NULL, MON_ESC_NONE, &pl, err, sizeof(err)));
    cr_assert_str_eq(err, "footer:2: unclosed section '{{#x}}'");
    mon_mustache_destroy(tpl);
    cJSON_Delete(parts);
}

/* ---- threads --------------------------------------------------------- */

typedef struct thr_arg_s {
    const mon_mustache_t *tpl;
    const cJSON *data;
    const char *want;
    int bad;
} thr_arg_t;

static void *render_loop(void *p) {
    thr_arg_t *a = p;
    for (int i = 0; i < 300; i++) {
        char *out =
            mon_mustache_render(a->tpl, a->data, MON_ESC_JSON, NULL, NULL, 0);
        a->bad += strcmp(out, a->want) != 0;
        free(out);
    }
    return NULL;
}

Test(mon_mustache, one_template_renders_from_many_threads) {
    const char *t = "{{group}}:{{#partitions}}{{topic}}/{{partition}}"
                    "={{current_lag}},{{/partitions}}{{{maxlag}}}";
    mon_mustache_t *tpl = mon_mustache_compile(t, strlen(t), "t", NULL, 0);
    cJSON *d = parse_json(GROUP_DATA);
    char *want = mon_mustache_render(tpl, d, MON_ESC_JSON, NULL, NULL, 0);
    pthread_t th[8];
    thr_arg_t args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (thr_arg_t){tpl, d, want, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, render_loop, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(args[i].bad, 0, "thread %d saw %d bad renders", i,
                     args[i].bad);
    }
    free(want);
    cJSON_Delete(d);
    mon_mustache_destroy(tpl);
}

/* ---- sample templates ------------------------------------------------ */

static cJSON *example_data(void) {
    cJSON *d = load_json(SAMPLES "/example-data.json");
    cr_assert_not_null(d, "cannot load " SAMPLES "/example-data.json");
    return d;
}

/* Renders samples/templates/FILE over DATA with JSON escaping; returns the
 * parsed body (the test fails if it is not JSON). */
static cJSON *render_sample(const char *file, const cJSON *data) {
    char path[256], err[512] = "";
    snprintf(path, sizeof(path), SAMPLES "/%s", file);
    mon_mustache_t *tpl = mon_mustache_load(path, err, sizeof(err));
    cr_assert_not_null(tpl, "%s", err);
    char *out =
        mon_mustache_render(tpl, data, MON_ESC_JSON, NULL, err, sizeof(err));
    cr_assert_not_null(out, "%s", err);
    cJSON *j = parse_json(out);
    cr_assert_not_null(j, "%s does not render to JSON:\n%s", file, out);
    free(out);
    mon_mustache_destroy(tpl);
    return j;
}

static const char *jstr(const cJSON *obj, const char *path) {
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    const cJSON *v = obj;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && v;
         k = strtok_r(NULL, ".", &save))
        v = cJSON_GetObjectItemCaseSensitive(v, k);
    cr_assert(cJSON_IsString(v), "no string at %s", path);
    return v->valuestring;
}

static void assert_contains(const char *hay, const char *needle) {
    cr_assert_not_null(strstr(hay, needle), "'%s' not in '%s'", needle, hay);
}

Test(mon_mustache, pagerduty_trigger_sample_is_an_events_v2_trigger) {
    cJSON *d = example_data();
    cJSON *j = render_sample("pagerduty-trigger.json", d);
    cr_assert_str_eq(jstr(j, "routing_key"), jstr(d, "extras.routing_key"));
    cr_assert_str_eq(jstr(j, "event_action"), "trigger");
    cr_assert_str_eq(jstr(j, "dedup_key"), jstr(d, "id"));
    assert_contains(jstr(j, "payload.summary"), jstr(d, "group"));
    assert_contains(jstr(j, "payload.summary"), jstr(d, "cluster"));
    assert_contains(jstr(j, "payload.source"), jstr(d, "cluster"));
    cr_assert_str_eq(jstr(j, "payload.severity"), "error");
    cr_assert_str_eq(jstr(j, "payload.timestamp"), jstr(d, "start"));
    const cJSON *cd = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "payload"),
                                          "custom_details");
    cr_assert(cJSON_Compare(cJSON_GetObjectItem(cd, "worst_partitions"),
                            cJSON_GetObjectItem(d, "partitions_worst"), 1));
    assert_contains(jstr(j, "payload.summary"), jstr(d, "status_words"));
    cr_assert_eq(cJSON_GetObjectItem(cd, "total_lag")->valuedouble,
                 cJSON_GetObjectItem(d, "totallag")->valuedouble);
    cJSON_Delete(j);
    cJSON_Delete(d);
}

Test(mon_mustache, pagerduty_trigger_severity_is_warning_for_warn) {
    cJSON *d = example_data();
    cJSON_ReplaceItemInObject(d, "status", cJSON_CreateString("WARN"));
    cJSON_ReplaceItemInObject(d, "is_err", cJSON_CreateFalse());
    cJSON_ReplaceItemInObject(d, "is_warn", cJSON_CreateTrue());
    cJSON *j = render_sample("pagerduty-trigger.json", d);
    cr_assert_str_eq(jstr(j, "payload.severity"), "warning");
    cJSON_Delete(j);
    cJSON_Delete(d);
}

Test(mon_mustache, pagerduty_resolve_sample_resolves_the_same_key) {
    cJSON *d = example_data();
    cJSON *j = render_sample("pagerduty-resolve.json", d);
    cr_assert_str_eq(jstr(j, "routing_key"), jstr(d, "extras.routing_key"));
    cr_assert_str_eq(jstr(j, "event_action"), "resolve");
    cr_assert_str_eq(jstr(j, "dedup_key"), jstr(d, "id"));
    cJSON_Delete(j);
    cJSON_Delete(d);
}

Test(mon_mustache, slack_open_sample_names_group_status_and_partitions) {
    cJSON *d = example_data();
    cJSON *j = render_sample("slack-open.json", d);
    const char *text = jstr(j, "text");
    assert_contains(text, jstr(d, "group"));
    assert_contains(text, jstr(d, "cluster"));
    assert_contains(text, jstr(d, "status_words"));
    cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(j, "blocks")) >= 3);
    char *all = cJSON_PrintUnformatted(j);
    assert_contains(all, jstr(d, "explanation"));
    assert_contains(all, jstr(d, "dashboard_url"));
    assert_contains(all, jstr(d, "id"));
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "partitions")) {
        char want[128];
        snprintf(want, sizeof(want), "%s/%d", jstr(p, "topic"),
                 cJSON_GetObjectItem(p, "partition")->valueint);
        assert_contains(all, want);
    }
    char lag[32];
    snprintf(lag, sizeof(lag), "%.0f",
             cJSON_GetObjectItem(d, "totallag")->valuedouble);
    assert_contains(all, lag);
    free(all);
    cJSON_Delete(j);
    cJSON_Delete(d);
}

Test(mon_mustache, slack_close_sample_names_group_and_incident) {
    cJSON *d = example_data();
    cJSON *j = render_sample("slack-close.json", d);
    assert_contains(jstr(j, "text"), jstr(d, "group"));
    char *all = cJSON_PrintUnformatted(j);
    assert_contains(all, jstr(d, "id"));
    assert_contains(all, jstr(d, "cluster"));
    free(all);
    cJSON_Delete(j);
    cJSON_Delete(d);
}

Test(mon_mustache, generic_samples_carry_the_incident_fields) {
    cJSON *d = example_data();
    const char *files[] = {"generic-open.json", "generic-close.json"};
    const char *events[] = {"open", "close"};
    for (int i = 0; i < 2; i++) {
        cJSON *j = render_sample(files[i], d);
        cr_assert_str_eq(jstr(j, "event"), events[i]);
        const char *keys[] = {"id", "cluster", "group", "start", "status"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            cr_assert_str_eq(jstr(j, keys[k]), jstr(d, keys[k]), "%s %s",
                             files[i], keys[k]);
        cr_assert(cJSON_Compare(cJSON_GetObjectItem(j, "extras"),
                                cJSON_GetObjectItem(d, "extras"), 1));
        cJSON_Delete(j);
    }
    cJSON *j = render_sample("generic-open.json", d);
    const char *same[] = {"totallag",         "maxlag", "partitions",
                          "partition_counts", "label",  "explanation",
                          "dashboard_url"};
    for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++)
        cr_assert(cJSON_Compare(cJSON_GetObjectItem(j, same[k]),
                                cJSON_GetObjectItem(d, same[k]), 1),
                  "generic-open %s differs", same[k]);
    cJSON_Delete(j);
    cJSON_Delete(d);
}

/* Every sample stays JSON with hostile strings, no partitions, no maxlag,
 * no extras and no dashboard link. */
Test(mon_mustache, every_sample_renders_json_for_awkward_data) {
    DIR *dir = opendir(SAMPLES);
    cr_assert_not_null(dir, "cannot open " SAMPLES);
    cJSON *d = example_data();
    const char *nasty = "we\"ird\\ group\n\t\x01</b>&'{{x}}";
    const char *strs[] = {"group", "cluster", "label", "explanation", "id"};
    for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
        cJSON_ReplaceItemInObject(d, strs[k], cJSON_CreateString(nasty));
    cJSON *bare = cJSON_Duplicate(d, 1);
    cJSON_ReplaceItemInObject(bare, "partitions", cJSON_CreateArray());
    cJSON_ReplaceItemInObject(bare, "maxlag", cJSON_CreateNull());
    cJSON_ReplaceItemInObject(bare, "totallag", cJSON_CreateNumber(0));
    cJSON_DeleteItemFromObject(bare, "extras");
    cJSON_DeleteItemFromObject(bare, "dashboard_url");
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json") ||
            !strcmp(de->d_name, "example-data.json"))
            continue;
        cJSON *j = render_sample(de->d_name, d);
        cJSON_Delete(j);
        j = render_sample(de->d_name, bare);
        cJSON_Delete(j);
        n++;
    }
    closedir(dir);
    cr_assert_geq(n, 6, "only %d sample templates", n);
    cJSON_Delete(bare);
    cJSON_Delete(d);
}

/* Found by tests/fuzz/fuzz_mon_mustache (the input is kept there as
 * corpus_mon_mustache/crash-nested-sections): 22 sections nested over a
 * 3-item list visit 3^22 nodes; the render ran for hours. */
Test(mon_mustache, nested_sections_beyond_the_render_budget_fail,
     .timeout = 30) {
    char tpl_text[512] = "";
    for (int i = 0; i < 22; i++)
        strcat(tpl_text, "{{#list}}");
    strcat(tpl_text, "x");
    for (int i = 0; i < 22; i++)
        strcat(tpl_text, "{{/list}}");
    char err[256] = "";
    mon_mustache_t *tpl =
        mon_mustache_compile(tpl_text, strlen(tpl_text), "t", err, sizeof(err));
    cr_assert_not_null(tpl, "%s", err);
    cJSON *data = cJSON_Parse("{\"list\":[1,2,3]}");
    char *out =
        mon_mustache_render(tpl, data, MON_ESC_NONE, NULL, err, sizeof(err));
    cr_assert_null(out);
    cr_assert(strstr(err, "t: the render would exceed"), "%s", err);
    /* 11 deep (177147 x's) is within the budget */
    mon_mustache_destroy(tpl);
    tpl = mon_mustache_compile(tpl_text + 11 * 9, strlen(tpl_text) - 22 * 9,
                               "t", err, sizeof(err));
    cr_assert_not_null(tpl, "%s", err);
    out = mon_mustache_render(tpl, data, MON_ESC_NONE, NULL, err, sizeof(err));
    cr_assert_not_null(out, "%s", err);
    cr_assert_eq(strlen(out), 177147);
    free(out);
    mon_mustache_destroy(tpl);
    cJSON_Delete(data);
}
