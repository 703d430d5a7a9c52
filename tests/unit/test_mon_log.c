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
