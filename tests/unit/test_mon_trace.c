/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_trace: every event type parses into the right fields, and
 * every kind of bad line fails with one message naming the line and the
 * field (or the byte). Lines are handed over in exact-size heap buffers
 * without a terminating NUL, so a read past the end shows up under ASan.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/sources/mon_trace.h"
#include "monitor/store/mon_store.h"

#define NAME "t.jsonl"

/* Parses `len` bytes of `line` from an exact-size copy. */
static int parse_n(mon_trace_reader_t *rd, const char *line, size_t len,
                   mon_trace_event_t *ev, char *err, size_t errsz) {
    char *copy = malloc(len ? len : 1);
    int rc;

    cr_assert_not_null(copy);
    memcpy(copy, line, len);
    rc = mon_trace_parse_line(rd, copy, len, ev, err, errsz);
    /* Event strings point into the reader, never into the caller's line:
     * wipe and free it to prove that. */
    memset(copy, 'X', len);
    free(copy);
    return rc;
}

static int parse(mon_trace_reader_t *rd, const char *line,
                 mon_trace_event_t *ev, char *err, size_t errsz) {
    return parse_n(rd, line, strlen(line), ev, err, errsz);
}

/* Parses a line that must be accepted. */
static void parse_ok(mon_trace_reader_t *rd, const char *line,
                     mon_trace_event_t *ev) {
    char err[256] = "";

    cr_assert_eq(parse(rd, line, ev, err, sizeof(err)), 0, "rejected %s: %s",
                 line, err);
}

Test(mon_trace, parses_head_with_every_field) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"head\",\"t\":1700000000000,\"cluster\":\"prod\","
             "\"topic\":\"orders\",\"partition\":3,\"offset\":1000,"
             "\"partitions\":8}",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_HEAD);
    cr_assert_eq(ev.t, INT64_C(1700000000000));
    cr_assert_str_eq(ev.cluster, "prod");
    cr_assert_str_eq(ev.topic, "orders");
    cr_assert_eq(ev.partition, 3);
    cr_assert_eq(ev.offset, 1000);
    cr_assert_eq(ev.partitions, 8);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, head_without_cluster_or_count_gets_defaults) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"head\",\"t\":5,\"topic\":\"a\",\"partition\":0,"
             "\"offset\":0}",
             &ev);
    cr_assert_str_eq(ev.cluster, "local");
    cr_assert_eq(ev.partitions, 0);
    cr_assert_null(ev.group);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, parses_commit_with_owner_and_client_id) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"commit\",\"t\":10,\"group\":\"billing\","
             "\"topic\":\"orders\",\"partition\":1,\"offset\":42,"
             "\"owner\":\"/10.0.0.1\",\"client_id\":\"c-1\"}",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_COMMIT);
    cr_assert_eq(ev.t, 10);
    cr_assert_str_eq(ev.cluster, "local");
    cr_assert_str_eq(ev.group, "billing");
    cr_assert_str_eq(ev.topic, "orders");
    cr_assert_eq(ev.partition, 1);
    cr_assert_eq(ev.offset, 42);
    cr_assert_str_eq(ev.owner, "/10.0.0.1");
    cr_assert_str_eq(ev.client_id, "c-1");
    parse_ok(rd,
             "{\"type\":\"commit\",\"t\":11,\"group\":\"g\",\"topic\":\"o\","
             "\"partition\":0,\"offset\":1}",
             &ev);
    cr_assert_null(ev.owner);
    cr_assert_null(ev.client_id);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, parses_expect_with_partition_list) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"expect\",\"t\":20,\"cluster\":\"c\",\"group\":\"g\","
             "\"status\":\"ERR\",\"partitions\":["
             "{\"topic\":\"a\",\"partition\":0,\"status\":\"STALL\"},"
             "{\"status\":\"OK\",\"partition\":7,\"topic\":\"b\"}]}",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_EXPECT);
    cr_assert_eq(ev.t, 20);
    cr_assert_str_eq(ev.cluster, "c");
    cr_assert_str_eq(ev.group, "g");
    cr_assert_eq(ev.status, EV_ERR);
    cr_assert_eq(ev.pexpect_count, 2);
    cr_assert_str_eq(ev.pexpect[0].topic, "a");
    cr_assert_eq(ev.pexpect[0].partition, 0);
    cr_assert_eq(ev.pexpect[0].status, EV_STALL);
    cr_assert_str_eq(ev.pexpect[1].topic, "b");
    cr_assert_eq(ev.pexpect[1].partition, 7);
    cr_assert_eq(ev.pexpect[1].status, EV_OK);
    parse_ok(rd,
             "{\"type\":\"expect\",\"t\":21,\"group\":\"g\","
             "\"status\":\"NOTFOUND\"}",
             &ev);
    cr_assert_eq(ev.status, EV_NOTFOUND);
    cr_assert_eq(ev.pexpect_count, 0);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, expect_list_grows_past_reused_capacity) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char line[8192];
    int n = 0, i;

    n += snprintf(line + n, sizeof(line) - (size_t)n,
                  "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
                  "\"status\":\"WARN\",\"partitions\":[");
    for (i = 0; i < 100; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n,
                      "%s{\"topic\":\"t\",\"partition\":%d,\"status\":\"%s\"}",
                      i ? "," : "", i, i % 2 ? "WARN" : "REWIND");
    snprintf(line + n, sizeof(line) - (size_t)n, "]}");
    parse_ok(rd, line, &ev);
    cr_assert_eq(ev.pexpect_count, 100);
    for (i = 0; i < 100; i++) {
        cr_assert_eq(ev.pexpect[i].partition, i);
        cr_assert_eq(ev.pexpect[i].status, i % 2 ? EV_WARN : EV_REWIND);
    }
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, config_fills_defaults_for_missing_fields) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd, "{\"type\":\"config\",\"allowed_lag\":5}", &ev);
    cr_assert_eq(ev.type, MON_TRACE_CONFIG);
    cr_assert_eq(ev.config.intervals, 10);
    cr_assert_eq(ev.config.min_distance_ms, 0);
    cr_assert_eq(ev.config.expire_group_ms, INT64_C(604800000));
    cr_assert_eq(ev.config.allowed_lag, 5);
    cr_assert_float_eq(ev.config.minimum_complete, 0.0, 1e-12);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, config_takes_every_field) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"config\",\"intervals\":3,\"min_distance_ms\":1000,"
             "\"expire_group_ms\":60000,\"allowed_lag\":0,"
             "\"minimum_complete\":0.5}",
             &ev);
    cr_assert_eq(ev.config.intervals, 3);
    cr_assert_eq(ev.config.min_distance_ms, 1000);
    cr_assert_eq(ev.config.expire_group_ms, 60000);
    cr_assert_eq(ev.config.allowed_lag, 0);
    cr_assert_float_eq(ev.config.minimum_complete, 0.5, 1e-12);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, config_default_matches_the_documented_values) {
    mon_trace_config_t cfg;

    memset(&cfg, 0xff, sizeof(cfg));
    mon_trace_config_default(&cfg);
    cr_assert_eq(cfg.intervals, 10);
    cr_assert_eq(cfg.min_distance_ms, 0);
    cr_assert_eq(cfg.expire_group_ms, INT64_C(604800000));
    cr_assert_eq(cfg.allowed_lag, 0);
    cr_assert_float_eq(cfg.minimum_complete, 0.0, 1e-12);
    cr_assert_eq(cfg.rules, EV_RULES_WARREN);
}

Test(mon_trace, config_names_the_rule_set) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[256];

    parse_ok(rd, "{\"type\":\"config\",\"rules\":\"burrow\"}", &ev);
    cr_assert_eq(ev.config.rules, EV_RULES_BURROW);
    mon_trace_reader_destroy(rd);
    rd = mon_trace_reader_new(NAME);
    parse_ok(rd, "{\"type\":\"config\",\"rules\":\"warren\"}", &ev);
    cr_assert_eq(ev.config.rules, EV_RULES_WARREN);
    mon_trace_reader_destroy(rd);
    rd = mon_trace_reader_new(NAME);
    cr_assert_eq(parse(rd, "{\"type\":\"config\",\"rules\":\"kafka\"}", &ev,
                       err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, NAME ":1: field 'rules': unknown rule set 'kafka' "
                               "(expected warren or burrow)");
    mon_trace_reader_destroy(rd);
    rd = mon_trace_reader_new(NAME);
    cr_assert_eq(
        parse(rd, "{\"type\":\"config\",\"rules\":1}", &ev, err, sizeof(err)),
        -1);
    cr_assert(strstr(err, "field 'rules': expected a string") != NULL, "%s",
              err);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, truth_line_states_a_partition_state) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[256];

    parse_ok(rd,
             "{\"type\":\"truth\",\"t\":5,\"group\":\"g\",\"topic\":\"t\","
             "\"partition\":2,\"status\":\"GRACE\",\"why\":\"stall\"}",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_TRUTH);
    cr_assert_eq(ev.truth, MON_TRUTH_GRACE);
    cr_assert_str_eq(ev.group, "g");
    cr_assert_str_eq(ev.topic, "t");
    cr_assert_eq(ev.partition, 2);
    cr_assert_str_eq(ev.cluster, "local");
    cr_assert_str_eq(mon_trace_type_name(ev.type), "truth");
    parse_ok(rd,
             "{\"type\":\"truth\",\"t\":6,\"group\":\"g\",\"topic\":\"t\","
             "\"partition\":2,\"status\":\"WARN\"}",
             &ev);
    cr_assert_eq(ev.truth, MON_TRUTH_WARN);
    cr_assert_eq(parse(rd,
                       "{\"type\":\"truth\",\"t\":7,\"group\":\"g\","
                       "\"topic\":\"t\",\"partition\":2,\"status\":\"STOP\"}",
                       &ev, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, NAME ":3: field 'status': unknown truth 'STOP' "
                               "(expected OK, WARN, ERR or GRACE)");
    cr_assert_eq(parse(rd,
                       "{\"type\":\"truth\",\"t\":7,\"group\":\"g\","
                       "\"topic\":\"t\",\"status\":\"OK\"}",
                       &ev, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, NAME ":4: field 'partition': missing");
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, config_may_follow_blank_lines) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd, "", &ev);
    parse_ok(rd, "   ", &ev);
    parse_ok(rd, "{\"type\":\"config\",\"intervals\":4}", &ev);
    cr_assert_eq(ev.type, MON_TRACE_CONFIG);
    cr_assert_eq(mon_trace_line_number(rd), 3);
    mon_trace_reader_destroy(rd);
}

/* Blank and whitespace-only lines (held by value: Criterion runs each
 * case in a fresh process). */
struct blank_case {
    char line[16];
};

ParameterizedTestParameters(mon_trace, whitespace_only_line_is_blank) {
    static struct blank_case cases[] = {
        {""}, {" "}, {"\t"}, {"\r"}, {"\n"}, {"  \t \r\n"},
    };
    return cr_make_param_array(struct blank_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct blank_case *c, mon_trace,
                  whitespace_only_line_is_blank) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd, c->line, &ev);
    cr_assert_eq(ev.type, MON_TRACE_BLANK);
    cr_assert_eq(mon_trace_line_number(rd), 1);
    cr_assert_eq(mon_trace_event_count(rd), 0);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, line_numbers_count_blank_lines) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[256];

    parse_ok(rd, "", &ev);
    parse_ok(rd,
             "{\"type\":\"head\",\"t\":1,\"topic\":\"a\",\"partition\":0,"
             "\"offset\":1}",
             &ev);
    parse_ok(rd, " ", &ev);
    cr_assert_eq(parse(rd, "{\"type\":\"nope\"}", &ev, err, sizeof(err)), -1);
    cr_assert_eq(mon_trace_line_number(rd), 4);
    cr_assert_str_eq(
        err, NAME ":4: field 'type': unknown type 'nope' "
                  "(expected config, head, commit, expect, truth or members)");
    cr_assert_eq(mon_trace_event_count(rd), 1);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, equal_times_are_allowed) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"head\",\"t\":7,\"topic\":\"a\",\"partition\":0,"
             "\"offset\":1}",
             &ev);
    parse_ok(rd,
             "{\"type\":\"commit\",\"t\":7,\"group\":\"g\",\"topic\":\"a\","
             "\"partition\":0,\"offset\":1}",
             &ev);
    parse_ok(rd,
             "{\"type\":\"expect\",\"t\":7,\"group\":\"g\","
             "\"status\":\"OK\"}",
             &ev);
    cr_assert_eq(mon_trace_event_count(rd), 3);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, int64_extremes_are_read_exactly) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"head\",\"t\":9007199254740993,\"topic\":\"a\","
             "\"partition\":1048575,\"offset\":9223372036854775807}",
             &ev);
    cr_assert_eq(ev.t, INT64_C(9007199254740993));
    cr_assert_eq(ev.partition, MON_STORE_MAX_PARTITIONS - 1);
    cr_assert_eq(ev.offset, INT64_MAX);
    parse_ok(rd,
             "{\"type\":\"head\",\"t\":9223372036854775807,"
             "\"topic\":\"a\",\"partition\":0,"
             "\"offset\" :  9223372036854775806}",
             &ev);
    cr_assert_eq(ev.t, INT64_MAX);
    cr_assert_eq(ev.offset, INT64_MAX - 1);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, integral_numbers_in_any_spelling_are_integers) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"head\",\"t\":1e3,\"topic\":\"a\","
             "\"partition\":2.0,\"offset\":-0}",
             &ev);
    cr_assert_eq(ev.t, 1000);
    cr_assert_eq(ev.partition, 2);
    cr_assert_eq(ev.offset, 0);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, unknown_fields_are_ignored) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"head\",\"note\":[1,{\"x\":null}],\"t\":1,"
             "\"topic\":\"a\",\"partition\":0,\"offset\":3,"
             "\"group\":\"not for heads\",\"Offset\":\"x\"}",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_HEAD);
    cr_assert_eq(ev.offset, 3);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, utf8_names_and_escapes_are_kept) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"commit\",\"t\":1,\"group\":\"caf\xc3\xa9 "
             "\xe6\x97\xa5 \xf0\x9f\x90\x87\",\"topic\":\"a\\\\u0000b\","
             "\"cluster\":\"\\u00e9\\ud83d\\udc07\",\"partition\":0,"
             "\"offset\":3}",
             &ev);
    cr_assert_str_eq(ev.group, "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x90\x87");
    cr_assert_str_eq(ev.topic, "a\\u0000b");
    cr_assert_str_eq(ev.cluster, "\xc3\xa9\xf0\x9f\x90\x87");
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, trailing_newline_and_crlf_are_accepted) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;

    parse_ok(rd,
             "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
             "\"status\":\"OK\"}\r\n",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_EXPECT);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, event_strings_stay_valid_until_the_next_call) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev, keep;
    char err[256];

    parse_ok(rd,
             "{\"type\":\"commit\",\"t\":1,\"group\":\"g1\","
             "\"topic\":\"t1\",\"partition\":0,\"offset\":3}",
             &ev);
    keep = ev;
    /* The caller's buffer is gone (parse copies and frees it). */
    cr_assert_str_eq(keep.group, "g1");
    cr_assert_str_eq(keep.topic, "t1");
    /* A failed line leaves a blank event. */
    cr_assert_eq(parse(rd, "{", &ev, err, sizeof(err)), -1);
    cr_assert_eq(ev.type, MON_TRACE_BLANK);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, empty_trace_is_reported_at_finish) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[256] = "";

    cr_assert_eq(mon_trace_reader_finish(rd, err, sizeof(err)), -1);
    cr_assert_str_eq(err, NAME ": empty trace (no events)");
    parse_ok(rd, "", &ev);
    parse_ok(rd, "  ", &ev);
    cr_assert_eq(mon_trace_reader_finish(rd, err, sizeof(err)), -1);
    parse_ok(rd, "{\"type\":\"config\"}", &ev);
    err[0] = '\0';
    cr_assert_eq(mon_trace_reader_finish(rd, err, sizeof(err)), 0);
    cr_assert_str_eq(err, "", "finish wrote errstr on success");
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, destroy_accepts_null) {
    mon_trace_reader_destroy(NULL);
}

Test(mon_trace, type_names_are_stable) {
    cr_assert_str_eq(mon_trace_type_name(MON_TRACE_BLANK), "blank");
    cr_assert_str_eq(mon_trace_type_name(MON_TRACE_CONFIG), "config");
    cr_assert_str_eq(mon_trace_type_name(MON_TRACE_HEAD), "head");
    cr_assert_str_eq(mon_trace_type_name(MON_TRACE_COMMIT), "commit");
    cr_assert_str_eq(mon_trace_type_name(MON_TRACE_EXPECT), "expect");
}

Test(mon_trace, nul_byte_inside_a_line_is_rejected) {
    static const char line[] = "{\"type\":\"head\",\"topic\":\"a\0b\"}";
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[256];

    cr_assert_eq(parse_n(rd, line, sizeof(line) - 1, &ev, err, sizeof(err)),
                 -1);
    cr_assert_str_eq(err, NAME ":1: invalid JSON at byte 25: control "
                               "character 0x00");
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, tiny_error_buffer_is_never_overrun) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[12];

    memset(err, 'Z', sizeof(err));
    cr_assert_eq(parse(rd, "{\"type\":1}", &ev, err, 8), -1);
    cr_assert_eq(strlen(err), 7);
    cr_assert_eq(err[8], 'Z');
    cr_assert_eq(parse(rd, "{\"type\":1}", &ev, NULL, 0), -1);
    mon_trace_reader_destroy(rd);
}

/* The error tables. `prev` (may be empty) is an accepted line before the
 * bad one; `want` is the whole message after "t.jsonl:LINE: ". Criterion
 * runs each case in a fresh process, so the strings are held by value. */
struct bad_case {
    char prev[96];
    char line[256];
    char want[160];
};

static void check_bad(const struct bad_case *c) {
    cr_assert_lt(strlen(c->line) + 1, sizeof(c->line), "case too long");
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[512] = "", want[600];
    unsigned long lineno = 1;

    if (c->prev[0] != '\0') {
        parse_ok(rd, c->prev, &ev);
        lineno = 2;
    }
    cr_assert_eq(parse(rd, c->line, &ev, err, sizeof(err)), -1, "accepted %s",
                 c->line);
    snprintf(want, sizeof(want), NAME ":%lu: %s", lineno, c->want);
    cr_assert_str_eq(err, want, "for line %s: got %s", c->line, err);
    cr_assert_eq(ev.type, MON_TRACE_BLANK);
    cr_assert_eq(mon_trace_event_count(rd), lineno - 1);
    mon_trace_reader_destroy(rd);
}

#define CASES(name)                                                            \
    return cr_make_param_array(struct bad_case, name,                          \
                               sizeof(name) / sizeof(name[0]))

#define HEAD_AT(t)                                                             \
    "{\"type\":\"head\",\"t\":" #t ",\"topic\":\"a\","                         \
    "\"partition\":0,\"offset\":1}"

ParameterizedTestParameters(mon_trace, rejects_malformed_json) {
    static struct bad_case cases[] = {
        {"", "{\"type\":\"head\",\"t\":1", "invalid JSON at byte 19"},
        {"", "{\"type\":\"head\"", "invalid JSON at byte 13"},
        {"", "{", "invalid JSON at byte 0"},
        {"", "not json", "invalid JSON at byte 0"},
        {"", "{\"type\" \"head\"}", "invalid JSON at byte 8"},
        {"", "{\"type\":\"head\",}", "invalid JSON at byte 15"},
        {"", "{\"type\":\"head\"} x",
         "invalid JSON at byte 16: more data after the object"},
        {"", "{\"type\":\"head\"}{}",
         "invalid JSON at byte 15: more data after the object"},
        {"",
         "{\"type\":\"he\x01"
         "ad\"}",
         "invalid JSON at byte 11: control character 0x01"},
        {"", "{\"topic\":\"a\\u0000\"}",
         "invalid JSON at byte 11: \\u0000 is not allowed in a string"},
        {"", "{\"t\":\"\\ud800\"}", "invalid JSON at byte 6"},
        {"", "{\"topic\":\"a\\\\\\u0000\"}",
         "invalid JSON at byte 13: \\u0000 is not allowed in a string"},
        {"", "[1,2]", "expected a JSON object, got an array"},
        {"", "\"head\"", "expected a JSON object, got a string"},
        {"", "42", "expected a JSON object, got a number"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace, rejects_malformed_json) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_invalid_utf8) {
    static struct bad_case cases[] = {
        {"", "{\"topic\":\"\xff\"}", "invalid UTF-8 at byte 10"},
        {"", "{\"topic\":\"\x80\"}", "invalid UTF-8 at byte 10"},
        {"", "{\"topic\":\"ab\xc3\"}", "invalid UTF-8 at byte 13"},
        {"", "{\"topic\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 10"},
        {"", "{\"topic\":\"\xe0\x80\xaf\"}", "invalid UTF-8 at byte 11"},
        {"", "{\"topic\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 11"},
        {"", "{\"topic\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 at byte 11"},
        {"",
         "{\"topic\":\"\xe6\x97"
         "a\"}",
         "invalid UTF-8 at byte 12"},
        {"", "{\"topic\":\"\xf0\x9f\x90\"}", "invalid UTF-8 at byte 13"},
        {"", "{\"type\":\"head\",\"t\":1,\"topic\":\"a\\\xc3\xa9\"}",
         "invalid JSON at byte 31"},
        {"", "\xc3", "invalid UTF-8 at byte 0"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace, rejects_invalid_utf8) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_wrong_types) {
    static struct bad_case cases[] = {
        {"", "{\"type\":1}", "field 'type': expected a string, got a number"},
        {"",
         "{\"type\":\"head\",\"t\":\"1\",\"topic\":\"a\","
         "\"partition\":0,\"offset\":1}",
         "field 't': expected an integer, got a string"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":\"100\"}",
         "field 'offset': expected an integer, got a string"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":true,\"offset\":1}",
         "field 'partition': expected an integer, got a boolean"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":7,"
         "\"partition\":0,\"offset\":1}",
         "field 'topic': expected a string, got a number"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"cluster\":null,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1}",
         "field 'cluster': expected a string, got null"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1,\"partitions\":\"4\"}",
         "field 'partitions': expected an integer, got a string"},
        {"",
         "{\"type\":\"commit\",\"t\":1,\"group\":[\"g\"],"
         "\"topic\":\"a\",\"partition\":0,\"offset\":1}",
         "field 'group': expected a string, got an array"},
        {"",
         "{\"type\":\"commit\",\"t\":1,\"group\":\"g\","
         "\"topic\":\"a\",\"partition\":0,\"offset\":1,\"owner\":5}",
         "field 'owner': expected a string, got a number"},
        {"",
         "{\"type\":\"commit\",\"t\":1,\"group\":\"g\","
         "\"topic\":\"a\",\"partition\":0,\"offset\":1,"
         "\"client_id\":{}}",
         "field 'client_id': expected a string, got an object"},
        {"", "{\"type\":\"expect\",\"t\":1,\"group\":\"g\",\"status\":1}",
         "field 'status': expected a string, got a number"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":{}}",
         "field 'partitions': expected an array, got an object"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":0,\"status\":\"OK\"},3]}",
         "field 'partitions[1]': expected an object, got a number"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":\"0\",\"status\":\"OK\"}]}",
         "field 'partitions[0].partition': expected an integer, got a "
         "string"},
        {"", "{\"type\":\"config\",\"intervals\":\"10\"}",
         "field 'intervals': expected an integer, got a string"},
        {"", "{\"type\":\"config\",\"minimum_complete\":\"0.5\"}",
         "field 'minimum_complete': expected a number, got a string"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"\","
         "\"partition\":0,\"offset\":1}",
         "field 'topic': must not be empty"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\",\"offset\":2,"
         "\"partition\":0,\"offset\":1}",
         "field 'offset': given twice"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace, rejects_wrong_types) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_numbers_that_are_not_ints) {
    static struct bad_case cases[] = {
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1.5}",
         "field 'offset': 1.5 is not an integer"},
        {"",
         "{\"type\":\"head\",\"t\":1.25,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1}",
         "field 't': 1.25 is not an integer"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0.5,\"offset\":1}",
         "field 'partition': 0.5 is not an integer"},
        {"", "{\"type\":\"config\",\"intervals\":2.5}",
         "field 'intervals': 2.5 is not an integer"},
        {"", "{\"type\":\"config\",\"allowed_lag\":0.1}",
         "field 'allowed_lag': 0.1 is not an integer"},
        {"", "{\"type\":\"config\",\"allowed_lag\":1.0000000000000002}",
         "field 'allowed_lag': 1.0000000000000002 is not an integer"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1e-3}",
         "field 'offset': 0.001 is not an integer"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace,
                  rejects_numbers_that_are_not_ints) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_numbers_out_of_range) {
    static struct bad_case cases[] = {
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":9223372036854775808}",
         "field 'offset': 9.2233720368547758e+18 is beyond the int64 range"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1e19}",
         "field 'offset': 1e+19 is beyond the int64 range"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1e999}",
         "field 'offset': inf is beyond the int64 range"},
        {"",
         "{\"type\":\"head\",\"t\":-9223372036854775809,"
         "\"topic\":\"a\",\"partition\":0,\"offset\":1}",
         "field 't': -9.2233720368547758e+18 is beyond the int64 range"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":123456789012345678901234567890}",
         "field 'offset': 1.2345678901234568e+29 is beyond the int64 range"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":9.007199254740993e15}",
         "field 'offset': 9007199254740992 cannot be read exactly: write "
         "integers above 2^53 as plain digits"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":-1}",
         "field 'offset': -1 is out of range (0 .. 9223372036854775807)"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":-9223372036854775808}",
         "field 'offset': -9223372036854775808 is out of range "
         "(0 .. 9223372036854775807)"},
        {"",
         "{\"type\":\"head\",\"t\":-5,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1}",
         "field 't': -5 is out of range (0 .. 9223372036854775807)"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":-1,\"offset\":1}",
         "field 'partition': -1 is out of range (0 .. 1048575)"},
        {"",
         "{\"type\":\"commit\",\"t\":1,\"group\":\"g\",\"topic\":\"a\","
         "\"partition\":2147483648,\"offset\":1}",
         "field 'partition': 2147483648 is out of range (0 .. 1048575)"},
        {"",
         "{\"type\":\"head\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1,\"partitions\":0}",
         "field 'partitions': 0 is out of range (1 .. 1048576)"},
        {"", "{\"type\":\"config\",\"intervals\":0}",
         "field 'intervals': 0 is out of range (1 .. 65535)"},
        {"", "{\"type\":\"config\",\"intervals\":65536}",
         "field 'intervals': 65536 is out of range (1 .. 65535)"},
        {"", "{\"type\":\"config\",\"allowed_lag\":-1}",
         "field 'allowed_lag': -1 is out of range (0 .. 9223372036854775807)"},
        {"", "{\"type\":\"config\",\"min_distance_ms\":-1}",
         "field 'min_distance_ms': -1 is out of range "
         "(0 .. 9223372036854775807)"},
        {"", "{\"type\":\"config\",\"expire_group_ms\":-1}",
         "field 'expire_group_ms': -1 is out of range "
         "(0 .. 9223372036854775807)"},
        {"", "{\"type\":\"config\",\"minimum_complete\":1.5}",
         "field 'minimum_complete': 1.5 is out of range (0 .. 1)"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":-2,\"status\":\"OK\"}]}",
         "field 'partitions[0].partition': -2 is out of range "
         "(0 .. 1048575)"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace, rejects_numbers_out_of_range) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_missing_fields) {
    static struct bad_case cases[] = {
        {"", "{}", "field 'type': missing"},
        {"", "{\"t\":1,\"topic\":\"a\",\"partition\":0,\"offset\":1}",
         "field 'type': missing"},
        {"",
         "{\"type\":\"head\",\"topic\":\"a\",\"partition\":0,"
         "\"offset\":1}",
         "field 't': missing"},
        {"", "{\"type\":\"head\",\"t\":1,\"partition\":0,\"offset\":1}",
         "field 'topic': missing"},
        {"", "{\"type\":\"head\",\"t\":1,\"topic\":\"a\",\"offset\":1}",
         "field 'partition': missing"},
        {"", "{\"type\":\"head\",\"t\":1,\"topic\":\"a\",\"partition\":0}",
         "field 'offset': missing"},
        {"",
         "{\"type\":\"commit\",\"t\":1,\"topic\":\"a\","
         "\"partition\":0,\"offset\":1}",
         "field 'group': missing"},
        {"",
         "{\"type\":\"commit\",\"t\":1,\"group\":\"g\",\"topic\":\"a\","
         "\"partition\":0}",
         "field 'offset': missing"},
        {"", "{\"type\":\"expect\",\"t\":1,\"status\":\"OK\"}",
         "field 'group': missing"},
        {"", "{\"type\":\"expect\",\"t\":1,\"group\":\"g\"}",
         "field 'status': missing"},
        {"", "{\"type\":\"expect\",\"group\":\"g\",\"status\":\"OK\"}",
         "field 't': missing"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"partition\":0,"
         "\"status\":\"OK\"}]}",
         "field 'partitions[0].topic': missing"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"status\":\"OK\"}]}",
         "field 'partitions[0].partition': missing"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":0}]}",
         "field 'partitions[0].status': missing"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace, rejects_missing_fields) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_unknown_types_and_statuses) {
    static struct bad_case cases[] = {
        {"", "{\"type\":\"offset\",\"t\":1}",
         "field 'type': unknown type 'offset' (expected config, head, "
         "commit, expect, truth or members)"},
        {"", "{\"type\":\"Head\",\"t\":1}",
         "field 'type': unknown type 'Head' (expected config, head, "
         "commit, expect, truth or members)"},
        {"", "{\"type\":\"a\\nb\"}",
         "field 'type': unknown type 'a?b' (expected config, head, "
         "commit, expect, truth or members)"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"STALL\"}",
         "field 'status': unknown group status 'STALL' (expected OK, "
         "WARN, ERR or NOTFOUND)"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"ok\"}",
         "field 'status': unknown group status 'ok' (expected OK, "
         "WARN, ERR or NOTFOUND)"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":0,\"status\":\"ERR\"}]}",
         "field 'partitions[0].status': unknown partition status 'ERR' "
         "(expected OK, WARN, STOP, STALL or REWIND)"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":0,\"status\":\"NOTFOUND\"}]}",
         "field 'partitions[0].status': unknown partition status "
         "'NOTFOUND' (expected OK, WARN, STOP, STALL or REWIND)"},
        {"",
         "{\"type\":\"expect\",\"t\":1,\"group\":\"g\","
         "\"status\":\"OK\",\"partitions\":[{\"topic\":\"a\","
         "\"partition\":0,\"status\":\"OK\",\"status\":\"OK\"}]}",
         "field 'partitions[0].status': given twice"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace,
                  rejects_unknown_types_and_statuses) {
    check_bad(c);
}

ParameterizedTestParameters(mon_trace, rejects_lines_out_of_order) {
    static struct bad_case cases[] = {
        {HEAD_AT(200), HEAD_AT(100),
         "field 't': 100 is before 200 on line 1 (times must not "
         "decrease)"},
        {HEAD_AT(200),
         "{\"type\":\"expect\",\"t\":199,\"group\":\"g\",\"status\":\"OK\"}",
         "field 't': 199 is before 200 on line 1 (times must not "
         "decrease)"},
        {HEAD_AT(1), "{\"type\":\"config\",\"intervals\":5}",
         "field 'type': a config line must come before every other line"},
        {"{\"type\":\"config\"}", "{\"type\":\"config\"}",
         "field 'type': a config line must come before every other line"},
    };
    CASES(cases);
}

ParameterizedTest(struct bad_case *c, mon_trace, rejects_lines_out_of_order) {
    check_bad(c);
}

Test(mon_trace, decreasing_t_names_the_line_of_the_later_time) {
    mon_trace_reader_t *rd = mon_trace_reader_new(NAME);
    mon_trace_event_t ev;
    char err[256];

    parse_ok(rd, HEAD_AT(100), &ev);
    parse_ok(rd, "", &ev);
    parse_ok(rd, HEAD_AT(300), &ev);
    parse_ok(rd,
             "{\"type\":\"expect\",\"t\":300,\"group\":\"g\","
             "\"status\":\"OK\"}",
             &ev);
    cr_assert_eq(parse(rd, HEAD_AT(299), &ev, err, sizeof(err)), -1);
    cr_assert_str_eq(err, NAME ":5: field 't': 299 is before 300 on line 4 "
                               "(times must not decrease)");
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, parses_members_and_expect_deployment) {
    mon_trace_reader_t *rd = mon_trace_reader_new("t.jsonl");
    mon_trace_event_t ev;
    parse_ok(rd,
             "{\"type\":\"members\",\"t\":5,\"group\":\"g\",\"generation\":7,"
             "\"protocol\":\"range\",\"members\":[{\"member_id\":\"m1\","
             "\"client_id\":\"app\",\"host\":\"/10.0.0.1\",\"assigned\":"
             "{\"orders\":[0,1],\"audit\":[3]}},{\"member_id\":\"m2\"}]}",
             &ev);
    cr_assert_eq(ev.type, MON_TRACE_MEMBERS);
    cr_assert_str_eq(ev.group, "g");
    cr_assert_eq(ev.members.count, 2);
    cr_assert_eq(ev.members.generation, 7);
    cr_assert_str_eq(ev.members.state, "Stable");
    cr_assert_eq(ev.members.t_ms, 5);
    cr_assert_str_eq(ev.members.members[0].client_id, "app");
    cr_assert_eq(ev.members.members[0].n_assigned, 3);
    cr_assert_str_eq(ev.members.members[0].assigned[2].topic, "audit");
    cr_assert_eq(ev.members.members[1].n_assigned, 0);
    cr_assert_str_eq(ev.members.members[1].host, "");
    parse_ok(rd,
             "{\"type\":\"members\",\"t\":6,\"group\":\"g\",\"members\":[]}",
             &ev);
    cr_assert_str_eq(ev.members.state, "Empty");
    cr_assert_eq(ev.members.generation, -1);
    parse_ok(rd,
             "{\"type\":\"expect\",\"t\":6,\"group\":\"g\",\"status\":\"OK\","
             "\"deployment\":\"blue-green\"}",
             &ev);
    cr_assert(ev.deployment_set);
    cr_assert_eq(ev.deployment, EV_DEPLOY_BLUE_GREEN);
    mon_trace_reader_destroy(rd);
}

Test(mon_trace, rejects_bad_members_lines) {
    static const char *const bad[][2] = {
        {"{\"type\":\"members\",\"t\":1,\"group\":\"g\"}",
         "t.jsonl:1: field 'members': missing"},
        {"{\"type\":\"members\",\"t\":1,\"group\":\"g\",\"members\":[{}]}",
         "t.jsonl:1: field 'members[0].member_id': missing"},
        {"{\"type\":\"members\",\"t\":1,\"group\":\"g\",\"members\":"
         "[{\"member_id\":\"a\"},{\"member_id\":\"a\"}]}",
         "t.jsonl:1: field 'members[1].member_id': member 'a' given twice"},
        {"{\"type\":\"members\",\"t\":1,\"group\":\"g\",\"members\":"
         "[{\"member_id\":\"a\",\"assigned\":{\"t\":[0]}},"
         "{\"member_id\":\"b\",\"assigned\":{\"t\":[0]}}]}",
         "t.jsonl:1: field 'members[].assigned.t': partition 0 assigned to "
         "two members"},
        {"{\"type\":\"members\",\"t\":1,\"group\":\"g\",\"members\":"
         "[{\"member_id\":\"a\",\"assigned\":{\"t\":[-1]}}]}",
         NULL},
        {"{\"type\":\"expect\",\"t\":1,\"group\":\"g\",\"status\":\"OK\","
         "\"deployment\":\"big-bang\"}",
         "t.jsonl:1: field 'deployment': unknown deployment 'big-bang' "
         "(expected stop-the-world, blue-green, rolling, canary or none)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        mon_trace_reader_t *rd = mon_trace_reader_new("t.jsonl");
        mon_trace_event_t ev;
        char err[256] = "";
        cr_assert_eq(parse(rd, bad[i][0], &ev, err, sizeof(err)), -1,
                     "accepted %s", bad[i][0]);
        if (bad[i][1])
            cr_assert_str_eq(err, bad[i][1]);
        else
            cr_assert(strstr(err, "members[0].assigned.t[0]"), "%s", err);
        mon_trace_reader_destroy(rd);
    }
}

/* A reader parsing into an arena gives the same events and the same
 * errors as one using cJSON's own allocation. */
Test(mon_trace, a_reader_with_an_arena_reads_the_same_events_and_errors) {
    mon_trace_reader_t *own = mon_trace_reader_new(NAME);
    mon_trace_reader_t *ar = mon_trace_reader_new(NAME);
    const char *lines[] = {
        "{\"type\":\"config\",\"intervals\":5}",
        "{\"type\":\"head\",\"t\":1000,\"topic\":\"o\",\"partition\":1,"
        "\"offset\":50,\"partitions\":2}",
        "{\"type\":\"commit\",\"t\":1000,\"group\":\"g\",\"topic\":\"o\","
        "\"partition\":1,\"offset\":40,\"owner\":\"/h\",\"client_id\":\"c\"}",
        "",
        "{\"type\":\"expect\",\"t\":2000,\"group\":\"g\",\"status\":\"OK\","
        "\"partitions\":[{\"topic\":\"o\",\"partition\":1,\"status\":\"OK\"}]}",
        "{\"type\":\"commit\",\"t\":3000,\"group\":\"g\"}",
        "{\"type\":\"head\",\"t\":",
        "{\"type\":\"members\",\"t\":4000,\"group\":\"g\",\"generation\":3,"
        "\"members\":[{\"member_id\":\"m1\",\"client_id\":\"c\","
        "\"host\":\"/h\",\"assigned\":{\"o\":[0,1]}}]}",
    };

    mon_trace_reader_use_arena(ar);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        mon_trace_event_t a, b;
        char ea[256] = "", eb[256] = "";
        int ra = parse(own, lines[i], &a, ea, sizeof(ea));
        int rb = parse(ar, lines[i], &b, eb, sizeof(eb));

        cr_assert_eq(ra, i == 5 || i == 6 ? -1 : 0, "line %zu: %s", i + 1, ea);
        cr_assert_eq(ra, rb, "line %zu: %d vs %d (%s | %s)", i + 1, ra, rb, ea,
                     eb);
        cr_assert_str_eq(ea, eb);
        cr_assert_eq(a.type, b.type);
        cr_assert_eq(a.t, b.t);
        cr_assert_eq(a.offset, b.offset);
        cr_assert_eq(a.partition, b.partition);
        cr_assert_str_eq(a.cluster, b.cluster);
        cr_assert_eq(!a.group, !b.group);
        if (a.group) cr_assert_str_eq(a.group, b.group);
        cr_assert_eq(!a.owner, !b.owner);
        if (a.owner) cr_assert_str_eq(a.owner, b.owner);
        cr_assert_eq(a.pexpect_count, b.pexpect_count);
        cr_assert_eq(a.members.count, b.members.count);
        if (a.members.count) {
            cr_assert_str_eq(a.members.members[0].host,
                             b.members.members[0].host);
            cr_assert_eq(a.members.members[0].n_assigned,
                         b.members.members[0].n_assigned);
        }
        cr_assert_eq(a.config.intervals, b.config.intervals);
    }
    mon_trace_reader_destroy(own);
    mon_trace_reader_destroy(ar);
}
