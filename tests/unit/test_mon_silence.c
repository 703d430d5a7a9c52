/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for mon_silence: what a silence matches and when, what is
 * refused and why, and the file that keeps them across a restart. Time
 * is injected (now_ms), never waited for. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/mon_log.h"
#include "monitor/notify/mon_silence.h"

#define NOW 1715678467000LL /* 2024-05-14T09:21:07Z */
#define MIN 60000LL

static char dir[128];

static void setup(void) {
    snprintf(dir, sizeof(dir), "/tmp/warren-sil-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    mon_log_set_level(MON_LOG_FATAL);
}

static void teardown(void) {
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) cr_log_warn("cannot remove %s", dir);
}

static mon_silences_t *open_dir(void) {
    char err[512] = "";
    mon_silences_t *s = mon_silences_new(dir, err, sizeof(err));
    cr_assert_not_null(s, "%s", err);
    return s;
}

/* Creates one; returns its id in id (must succeed). */
static void create(mon_silences_t *s, const char *body, char *id) {
    char err[512] = "";
    mon_silence_info_t *out = NULL;
    mon_silence_rc_t rc =
        mon_silences_create(s, body, strlen(body), NOW, &out, err, sizeof(err));
    cr_assert_eq(rc, MON_SILENCE_OK, "%s: %s", body, err);
    cr_assert(out->active);
    if (id) snprintf(id, MON_SILENCE_ID_LEN, "%s", out->id);
    mon_silence_list_free(out, 1);
}

/* A request ending NOW + minutes (ms since the epoch); a new string each
 * call (left to the test process). */
static const char *body_for(const char *match, int minutes) {
    char b[512];
    char until[32];
    int64_t t = NOW + minutes * MIN;
    snprintf(until, sizeof(until), "%lld", (long long)t);
    snprintf(b, sizeof(b),
             "{%s, \"until\": %s, \"comment\": \"deploy\", "
             "\"created_by\": \"ana\"}",
             match, until);
    return strdup(b);
}

Test(mon_silence, matches_anchored_patterns_until_it_ends, .init = setup,
     .fini = teardown) {
    mon_silences_t *s = open_dir();
    create(s, body_for("\"group\": \"billing\"", 30), NULL);
    create(s, body_for("\"group\": \"pay-.*\", \"cluster\": \"prod\"", 60),
           NULL);
    cr_assert(mon_silences_match(s, "local", "billing", NOW + MIN, NULL));
    cr_assert_not(mon_silences_match(s, "local", "billing-v2", NOW, NULL),
                  "anchored: billing is not billing-v2");
    cr_assert_not(mon_silences_match(s, "local", "old-billing", NOW, NULL));
    cr_assert(mon_silences_match(s, "prod", "pay-eu", NOW, NULL));
    cr_assert_not(mon_silences_match(s, "staging", "pay-eu", NOW, NULL),
                  "both patterns must match");
    cr_assert_not(
        mon_silences_match(s, "local", "billing", NOW + 30 * MIN, NULL),
        "ended at until");
    cr_assert(mon_silences_match(s, "prod", "pay-eu", NOW + 59 * MIN, NULL));
    cr_assert_not(mon_silences_match(s, "local", "billing", NOW - 1, NULL),
                  "not before it was made");
    cr_assert_eq(mon_silences_active(s, NOW), 2);
    cr_assert_eq(mon_silences_active(s, NOW + 45 * MIN), 1);
    mon_silences_destroy(s);
}

Test(mon_silence, a_cluster_pattern_alone_silences_every_group_there,
     .init = setup, .fini = teardown) {
    mon_silences_t *s = open_dir();
    char id[MON_SILENCE_ID_LEN];
    create(s, body_for("\"cluster\": \"stag.*\"", 10), id);
    cr_assert(mon_silences_match(s, "staging", "anything", NOW, NULL));
    char got[MON_SILENCE_ID_LEN];
    cr_assert(mon_silences_match(s, "stage", "x", NOW, got));
    cr_assert_str_eq(got, id, "the matching silence's id");
    cr_assert_not(mon_silences_match(s, "prod", "x", NOW, NULL));
    mon_silences_destroy(s);
}

typedef struct bad_s {
    const char *body;
    const char *why;
} bad_t;

Test(mon_silence, bad_requests_are_refused_with_the_field_and_why,
     .init = setup, .fini = teardown) {
    static char long_pattern[400];
    memset(long_pattern, 'a', 300);
    char lp[512];
    snprintf(lp, sizeof(lp),
             "{\"group\": \"%s\", \"until\": %lld, "
             "\"comment\": \"c\", \"created_by\": \"me\"}",
             long_pattern, (long long)(NOW + MIN));
    char past[256], far[256];
    snprintf(past, sizeof(past),
             "{\"group\": \"g\", \"until\": %lld, "
             "\"comment\": \"c\", \"created_by\": \"me\"}",
             (long long)(NOW - 1));
    snprintf(far, sizeof(far),
             "{\"group\": \"g\", \"until\": "
             "\"2026-01-01T00:00:00Z\", \"comment\": \"c\", "
             "\"created_by\": \"me\"}");
    const bad_t bad[] = {
        {"", "body: not JSON"},
        {"{\"group\": \"g\"", "body: not JSON"},
        {"[1]", "not a JSON object"},
        {body_for("\"group\": \"(a+)+\"", 5),
         "group: regex '(a+)+' refused: stacked quantifiers"},
        {body_for("\"cluster\": \"a{1000}\"", 5),
         "cluster: regex 'a{1000}' refused: a repetition count above 255"},
        {body_for("\"group\": \"(unclosed\"", 5), "group: bad regex"},
        {body_for("\"group\": \"\"", 5), "group: empty pattern"},
        {body_for("\"group\": 7", 5), "group: not a string"},
        {body_for("\"groups\": \"g\"", 5), "unknown field 'groups'"},
        {"{\"until\": \"2030-01-01T00:00:00Z\", \"comment\": \"c\", "
         "\"created_by\": \"me\"}",
         "group or cluster: give a pattern"},
        {"{\"group\": \"g\", \"comment\": \"c\", \"created_by\": \"me\"}",
         "until: missing"},
        {"{\"group\": \"g\", \"until\": \"tomorrow\", \"comment\": \"c\", "
         "\"created_by\": \"me\"}",
         "until: not an RFC 3339 time"},
        {past, "until: in the past"},
        {far, "until: more than 366 days ahead"},
        {"{\"group\": \"g\", \"until\": \"2024-05-14T10:00:00Z\", "
         "\"created_by\": \"me\"}",
         "comment: missing or empty"},
        {"{\"group\": \"g\", \"until\": \"2024-05-14T10:00:00Z\", "
         "\"comment\": \"c\", \"created_by\": \"\"}",
         "created_by: missing or empty"},
        {lp, "group: pattern longer than 256 bytes"},
        {"{\"group\": \"g\", \"until\": \"2024-05-14T10:00:00Z\", "
         "\"comment\": \"c\", \"created_by\": \"me\"} x",
         "body: trailing bytes"},
    };
    mon_silences_t *s = open_dir();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        mon_silence_info_t *out = NULL;
        mon_silence_rc_t rc = mon_silences_create(
            s, bad[i].body, strlen(bad[i].body), NOW, &out, err, sizeof(err));
        cr_expect_eq(rc, MON_SILENCE_BAD, "%s", bad[i].body);
        cr_expect(strstr(err, bad[i].why), "%s:\n  got  %s\n  want %s",
                  bad[i].body, err, bad[i].why);
        cr_expect_null(out);
    }
    cr_assert_eq(mon_silences_active(s, NOW), 0, "nothing got in");
    mon_silences_destroy(s);
}

Test(mon_silence, survives_a_restart_and_delete_is_kept_too, .init = setup,
     .fini = teardown) {
    mon_silences_t *s = open_dir();
    char a[MON_SILENCE_ID_LEN], b[MON_SILENCE_ID_LEN];
    create(s, body_for("\"group\": \"billing\"", 30), a);
    create(s, body_for("\"group\": \"audit\", \"cluster\": \"local\"", 90), b);
    mon_silences_destroy(s);

    s = open_dir();
    cr_assert(mon_silences_match(s, "local", "billing", NOW, NULL));
    cr_assert(mon_silences_match(s, "local", "audit", NOW, NULL));
    mon_silence_info_t *list;
    size_t n;
    cr_assert_eq(mon_silences_list(s, NOW, NULL, NULL, &list, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(list[0].id, b, "newest first");
    cr_assert_str_eq(list[0].group, "audit");
    cr_assert_str_eq(list[0].cluster, "local");
    cr_assert_str_eq(list[0].comment, "deploy");
    cr_assert_str_eq(list[0].created_by, "ana");
    cr_assert_eq(list[0].until_ms, NOW + 90 * MIN);
    cr_assert_eq(list[0].created_ms, NOW);
    cr_assert_null(list[1].cluster, "no cluster pattern: any cluster");
    mon_silence_list_free(list, n);
    /* the file says it in RFC 3339 */
    char path[256];
    snprintf(path, sizeof(path),
             "cat '%s/silences.json' | grep -q "
             "'\"until\":.*\"2024-05-14T10:51:07.000Z\"'",
             dir);
    cr_assert_eq(system(path), 0, "until is RFC 3339 in the file");

    char err[256];
    cr_assert_eq(mon_silences_delete(s, a, NOW, err, sizeof(err)),
                 MON_SILENCE_OK, "%s", err);
    cr_assert_eq(mon_silences_delete(s, a, NOW, err, sizeof(err)),
                 MON_SILENCE_NOT_FOUND);
    cr_assert(strstr(err, a), "%s", err);
    cr_assert_eq(mon_silences_delete(s, "nope", NOW, err, sizeof(err)),
                 MON_SILENCE_NOT_FOUND);
    cr_assert_not(mon_silences_match(s, "local", "billing", NOW, NULL));
    mon_silences_destroy(s);

    s = open_dir();
    cr_assert_not(mon_silences_match(s, "local", "billing", NOW, NULL),
                  "the delete was on disk");
    cr_assert(mon_silences_match(s, "local", "audit", NOW, NULL));
    /* the filter a group page uses */
    mon_silences_list(s, NOW, "local", "audit", &list, &n);
    cr_assert_eq(n, 1);
    mon_silence_list_free(list, n);
    mon_silences_list(s, NOW, "local", "billing", &list, &n);
    cr_assert_eq(n, 0);
    mon_silence_list_free(list, n);
    mon_silences_destroy(s);
}

Test(mon_silence, ended_silences_are_listed_a_day_then_dropped, .init = setup,
     .fini = teardown) {
    mon_silences_t *s = open_dir();
    create(s, body_for("\"group\": \"old\"", 1), NULL);
    mon_silence_info_t *list;
    size_t n;
    mon_silences_list(s, NOW + 2 * MIN, NULL, NULL, &list, &n);
    cr_assert_eq(n, 1);
    cr_assert_not(list[0].active, "ended: listed, not in effect");
    mon_silence_list_free(list, n);
    /* a change two days later drops it */
    char err[512];
    int64_t later = NOW + 2 * 24 * 60 * MIN;
    char body[256];
    snprintf(body, sizeof(body),
             "{\"group\": \"new\", \"until\": %lld, "
             "\"comment\": \"c\", \"created_by\": \"me\"}",
             (long long)(later + MIN));
    cr_assert_eq(mon_silences_create(s, body, strlen(body), later, NULL, err,
                                     sizeof(err)),
                 MON_SILENCE_OK, "%s", err);
    mon_silences_list(s, later, NULL, NULL, &list, &n);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(list[0].group, "new");
    mon_silence_list_free(list, n);
    mon_silences_destroy(s);
}

Test(mon_silence, a_damaged_file_is_a_startup_error_naming_it, .init = setup,
     .fini = teardown) {
    static const struct {
        const char *text, *why;
    } bad[] = {
        {"{\"version\": 1, \"silences\": [", "invalid JSON at byte"},
        {"{\"version\": 2, \"silences\": []}", "not a version 1"},
        {"{\"version\": 1, \"silences\": [{\"id\": \"x\"}]}",
         "silence 1: group or cluster"},
        {"{\"version\": 1, \"silences\": [{\"id\": \"x\", \"group\": "
         "\"(a*)*\", \"until\": 1, \"created\": 0, \"comment\": \"c\", "
         "\"created_by\": \"m\"}]}",
         "silence 1: group: regex '(a*)*' refused"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char path[256], err[512] = "";
        snprintf(path, sizeof(path), "%s/silences.json", dir);
        FILE *f = fopen(path, "w");
        fputs(bad[i].text, f);
        fclose(f);
        mon_silences_t *s = mon_silences_new(dir, err, sizeof(err));
        cr_expect_null(s, "%s", bad[i].text);
        mon_silences_destroy(s);
        cr_expect(strstr(err, path) == err && strstr(err, bad[i].why), "%s",
                  err);
    }
}

Test(mon_silence, an_unwritable_dir_refuses_the_change_and_keeps_none,
     .init = setup, .fini = teardown) {
    if (geteuid() == 0) {
        /* root writes anywhere: make the file a directory instead */
        char p[256];
        snprintf(p, sizeof(p), "%s/silences.json.tmp", dir);
        cr_assert_eq(mkdir(p, 0755), 0);
    } else {
        cr_assert_eq(chmod(dir, 0555), 0);
    }
    mon_silences_t *s = open_dir();
    char err[512] = "";
    const char *b = body_for("\"group\": \"g\"", 5);
    cr_assert_eq(
        mon_silences_create(s, b, strlen(b), NOW, NULL, err, sizeof(err)),
        MON_SILENCE_IO);
    cr_assert(strstr(err, "silences.json"), "%s", err);
    cr_assert_not(mon_silences_match(s, "local", "g", NOW, NULL),
                  "not on disk: not in effect");
    mon_silences_destroy(s);
    chmod(dir, 0755);
}
