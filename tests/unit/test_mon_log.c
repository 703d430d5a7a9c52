/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_log: level names and parsing (Burrow's vocabulary), the
 * level filter, and both line formats. Output goes to a temporary file. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "monitor/base/mon_log.h"

static FILE *out;

static void setup(void) {
    out = tmpfile();
    cr_assert_not_null(out);
    mon_log_set_output(out);
    mon_log_set_level(MON_LOG_INFO);
    mon_log_set_format(MON_LOG_TEXT);
}

static void teardown(void) {
    mon_log_set_output(NULL);
    fclose(out);
}

TestSuite(mon_log, .init = setup, .fini = teardown);

static size_t read_all(char *buf, size_t size) {
    size_t n;
    fflush(out);
    rewind(out);
    n = fread(buf, 1, size - 1, out);
    buf[n] = '\0';
    return n;
}

struct parse_case {
    char name[16];
    int level; /* -1: refused */
};

ParameterizedTestParameters(mon_log, levels_parse_like_burrow) {
    static struct parse_case params[] = {
        {"debug", MON_LOG_DEBUG},
        {"TRACE", MON_LOG_DEBUG},
        {"Info", MON_LOG_INFO},
        {"warn", MON_LOG_WARN},
        {"WARNING", MON_LOG_WARN},
        {"error", MON_LOG_ERROR},
        {"fatal", MON_LOG_FATAL},
        {"", -1},
        {"panic", -1},
        {"infos", -1},
    };
    return cr_make_param_array(struct parse_case, params,
                               sizeof(params) / sizeof(params[0]));
}

ParameterizedTest(struct parse_case *c, mon_log, levels_parse_like_burrow) {
    mon_log_level_t lv = MON_LOG_ERROR;
    int rc = mon_log_level_parse(c->name, &lv);
    if (c->level < 0) {
        cr_assert_eq(rc, -1, "%s accepted", c->name);
    } else {
        cr_assert_eq(rc, 0, "%s refused", c->name);
        cr_assert_eq((int)lv, c->level);
    }
}

Test(mon_log, null_name_is_refused) {
    mon_log_level_t lv;
    cr_assert_eq(mon_log_level_parse(NULL, &lv), -1);
}

Test(mon_log, names_are_burrows) {
    cr_assert_str_eq(mon_log_level_name(MON_LOG_DEBUG), "debug");
    cr_assert_str_eq(mon_log_level_name(MON_LOG_WARN), "warn");
    cr_assert_str_eq(mon_log_level_name(MON_LOG_FATAL), "fatal");
}

Test(mon_log, events_below_the_level_are_dropped) {
    char buf[1024];
    mon_log(MON_LOG_DEBUG, "hidden %d", 1);
    mon_log(MON_LOG_INFO, "shown %d", 2);
    mon_log_set_level(MON_LOG_ERROR);
    mon_log(MON_LOG_WARN, "hidden too");
    cr_assert_not(mon_log_enabled(MON_LOG_WARN));
    cr_assert(mon_log_enabled(MON_LOG_FATAL));
    read_all(buf, sizeof(buf));
    cr_assert_null(strstr(buf, "hidden"));
    cr_assert(strstr(buf, " INFO shown 2\n"), "%s", buf);
}

Test(mon_log, text_line_has_timestamp_level_and_one_line) {
    char buf[1024];
    mon_log(MON_LOG_WARN, "two\nlines\tand\x01 ctl");
    read_all(buf, sizeof(buf));
    /* 2024-01-01T00:00:00.000Z */
    cr_assert_eq(strlen(buf) > 25, 1);
    cr_assert_eq(buf[4], '-');
    cr_assert_eq(buf[10], 'T');
    cr_assert_eq(buf[23], 'Z');
    cr_assert(strstr(buf, " WARN two\\nlines\tand\\x01 ctl\n"), "%s", buf);
    cr_assert_eq(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

Test(mon_log, json_line_is_escaped_json) {
    char buf[1024];
    mon_log_set_format(MON_LOG_JSON);
    mon_log(MON_LOG_ERROR, "say \"hi\"\\\n");
    read_all(buf, sizeof(buf));
    cr_assert(strncmp(buf, "{\"ts\":\"", 7) == 0, "%s", buf);
    cr_assert(strstr(buf, "\",\"level\":\"error\",\"msg\":\"say \\\"hi\\\"\\\\"
                          "\\n\"}\n"),
              "%s", buf);
}

Test(mon_log, long_messages_are_truncated_not_split) {
    static char big[10000];
    static char buf[40000];
    memset(big, 'x', sizeof(big) - 1);
    mon_log(MON_LOG_INFO, "%s", big);
    read_all(buf, sizeof(buf));
    cr_assert_eq(strchr(buf, '\n'), buf + strlen(buf) - 1);
    cr_assert_lt(strlen(buf), 4200);
}

Test(mon_log, text_fields_follow_the_message_as_key_value) {
    char buf[1024];
    mon_log_kv(MON_LOG_WARN,
               MON_LOG_FIELDS(
                   MON_LF_STR("cluster", "prod"), MON_LF_INT("partition", 7),
                   MON_LF_STR("error", "Connection refused"),
                   MON_LF_STR("skipped", NULL), MON_LF_STR("empty", ""),
                   MON_LF_STR("quote", "a\"b=c")),
               "cluster %s", "unavailable");
    read_all(buf, sizeof(buf));
    cr_assert(strstr(buf, " WARN cluster unavailable cluster=prod "
                          "partition=7 error=\"Connection refused\" "
                          "empty=\"\" quote=\"a\\\"b=c\"\n"),
              "%s", buf);
    cr_assert_null(strstr(buf, "skipped"));
}

Test(mon_log, json_fields_are_members_of_the_object) {
    char buf[1024];
    mon_log_set_format(MON_LOG_JSON);
    cr_assert_eq(mon_log_get_format(), MON_LOG_JSON);
    mon_log_kv(MON_LOG_INFO,
               MON_LOG_FIELDS(MON_LF_STR("group", "g\"1\n"),
                              MON_LF_INT("lag", -5), MON_LF_STR("none", NULL)),
               "status changed");
    read_all(buf, sizeof(buf));
    cr_assert(strstr(buf, "\"level\":\"info\",\"msg\":\"status changed\","
                          "\"group\":\"g\\\"1\\n\",\"lag\":-5}\n"),
              "%s", buf);
    cr_assert_null(strstr(buf, "none"));
}

Test(mon_log, json_replaces_invalid_utf8_and_keeps_valid) {
    char buf[1024];
    mon_log_set_format(MON_LOG_JSON);
    /* é (valid), a lone continuation byte, an overlong '/', a cut
     * sequence at the end */
    mon_log_kv(MON_LOG_INFO, MON_LOG_FIELDS(MON_LF_STR("v", "x\xc3\xa9y\xe2")),
               "a\xc3\xa9\x80\xc0\xaf");
    read_all(buf, sizeof(buf));
    cr_assert(strstr(buf, "\"msg\":\"a\xc3\xa9\\ufffd\\ufffd\\ufffd\","
                          "\"v\":\"x\xc3\xa9y\\ufffd\"}"),
              "%s", buf);
}

Test(mon_log, fields_below_the_level_are_dropped_unless_always) {
    char buf[1024];
    mon_log_set_level(MON_LOG_ERROR);
    mon_log_kv(MON_LOG_INFO, MON_LOG_FIELDS(MON_LF_STR("k", "v")), "hidden");
    mon_log_kv_always(MON_LOG_INFO, MON_LOG_FIELDS(MON_LF_STR("to", "error")),
                      "log level changed");
    read_all(buf, sizeof(buf));
    cr_assert_null(strstr(buf, "hidden"));
    cr_assert(strstr(buf, " INFO log level changed to=error\n"), "%s", buf);
}

Test(mon_log, huge_fields_keep_the_json_line_whole) {
    static char big[6000];
    static char buf[70000];
    memset(big, '"', sizeof(big) - 1); /* every byte escapes to two */
    mon_log_set_format(MON_LOG_JSON);
    mon_log_kv(
        MON_LOG_INFO,
        MON_LOG_FIELDS(
            MON_LF_STR("a", big), MON_LF_STR("b", big), MON_LF_STR("c", big),
            MON_LF_STR("d", big), MON_LF_STR("e", big), MON_LF_STR("f", big),
            MON_LF_STR("g", big), MON_LF_STR("h", big), MON_LF_STR("i", big),
            MON_LF_STR("j", big), MON_LF_STR("k", big), MON_LF_STR("l", big),
            MON_LF_STR("m", big), MON_LF_STR("n", big), MON_LF_STR("o", big),
            MON_LF_STR("p", big), MON_LF_INT("last", 1)),
        "%s", big);
    size_t n = read_all(buf, sizeof(buf));
    cr_assert_eq(strchr(buf, '\n'), buf + n - 1);
    cr_assert_eq(buf[n - 2], '}', "line ends with %.20s", buf + n - 20);
    /* a field's value ends with a closing quote, never a lone escape */
    cr_assert_neq(buf[n - 3], '\\');
}

/* Lines in buf, i.e. newlines. */
static int lines_in(const char *buf) {
    int n = 0;
    for (const char *p = buf; (p = strchr(p, '\n')); p++)
        n++;
    return n;
}

Test(mon_log, limiter_folds_repeats_into_one_line_with_a_count) {
    char buf[4096];
    mon_log_limit_t *lim = mon_log_limit_new(60000);
    const mon_log_field_t f[] = {MON_LF_STR("cluster", "prod")};
    char msg[64];
    cr_assert_eq(mon_log_limit_event(lim, 1000, MON_LOG_WARN, "refused", f, 1,
                                     "connect failed (after 1ms)"),
                 1);
    for (int i = 0; i < 14; i++) {
        snprintf(msg, sizeof(msg), "connect failed (after %dms)", i + 2);
        cr_assert_eq(mon_log_limit_event(lim, 2000 + i * 3000, MON_LOG_WARN,
                                         "refused", f, 1, msg),
                     0);
    }
    /* another key is not held back by the first */
    cr_assert_eq(mon_log_limit_event(lim, 5000, MON_LOG_WARN, "other", NULL, 0,
                                     "other thing"),
                 1);
    read_all(buf, sizeof(buf));
    cr_assert_eq(lines_in(buf), 2, "%s", buf);
    /* nothing is due before the window has passed */
    cr_assert_eq(mon_log_limit_flush(lim, 60999), 0);
    cr_assert_eq(mon_log_limit_flush(lim, 61000), 1);
    read_all(buf, sizeof(buf));
    cr_assert_eq(lines_in(buf), 3, "%s", buf);
    cr_assert(strstr(buf, " WARN connect failed (after 15ms) cluster=prod "
                          "repeated=14 over_s=40\n"),
              "%s", buf);
    /* flushed: the next one is written at once, as a first */
    cr_assert_eq(mon_log_limit_event(lim, 62000, MON_LOG_WARN, "refused", f, 1,
                                     "connect failed (again)"),
                 1);
    mon_log_limit_destroy(lim);
    read_all(buf, sizeof(buf));
    cr_assert_eq(lines_in(buf), 4, "%s", buf);
}

Test(mon_log, limiter_writes_the_count_before_the_next_window_and_at_destroy) {
    char buf[4096];
    mon_log_limit_t *lim = mon_log_limit_new(10000);
    mon_log_limit_event(lim, 0, MON_LOG_WARN, "k", NULL, 0, "first");
    mon_log_limit_event(lim, 1, MON_LOG_WARN, "k", NULL, 0, "second");
    mon_log_limit_event(lim, 2, MON_LOG_WARN, "k", NULL, 0, "third");
    cr_assert_eq(
        mon_log_limit_event(lim, 10000, MON_LOG_WARN, "k", NULL, 0, "fourth"),
        1);
    mon_log_limit_event(lim, 10001, MON_LOG_WARN, "k", NULL, 0, "fifth");
    mon_log_limit_destroy(lim);
    read_all(buf, sizeof(buf));
    const char *a = strstr(buf, " first\n");
    const char *b = strstr(buf, " third repeated=2 over_s=1\n");
    const char *c = strstr(buf, " fourth\n");
    const char *d = strstr(buf, " fifth repeated=1 over_s=1\n");
    cr_assert(a && b && c && d && a < b && b < c && c < d, "%s", buf);
    cr_assert_eq(lines_in(buf), 4, "%s", buf);
}

Test(mon_log, limiter_keeps_a_bounded_set_of_keys) {
    char buf[65536];
    char key[16];
    mon_log_limit_t *lim = mon_log_limit_new(60000);
    mon_log_limit_event(lim, 0, MON_LOG_WARN, "k0", NULL, 0, "zero");
    mon_log_limit_event(lim, 1, MON_LOG_WARN, "k0", NULL, 0, "zero again");
    for (int i = 1; i <= 100; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        cr_assert_eq(
            mon_log_limit_event(lim, 10 + i, MON_LOG_WARN, key, NULL, 0, key),
            1);
    }
    /* k0, the oldest, was pushed out, its count written first */
    read_all(buf, sizeof(buf));
    cr_assert(strstr(buf, " zero again repeated=1 over_s=1\n"), "%s", buf);
    cr_assert_eq(lines_in(buf), 1 + 1 + 100);
    mon_log_limit_destroy(lim);
}

Test(mon_log, limiter_drops_events_below_the_level) {
    char buf[1024];
    mon_log_limit_t *lim = mon_log_limit_new(1000);
    cr_assert_eq(
        mon_log_limit_event(lim, 0, MON_LOG_DEBUG, "k", NULL, 0, "quiet"), 0);
    mon_log_limit_destroy(lim);
    read_all(buf, sizeof(buf));
    cr_assert_str_eq(buf, "");
}
