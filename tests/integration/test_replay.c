/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests for `warren replay`: the real binary ($WARREN_BIN,
 * default build/default/warren) on small temporary traces. Covers the
 * exit codes 0/1/2, the format of check failures and input errors, the
 * JSON timeline's shape (parsed with cJSON), --tick bringing out a STOP
 * that develops without events, stdin, several files and bad options.
 */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct run_s {
    int rc;
    char *out;
    char *err;
} run_t;

static const char *bin(void) {
    const char *b = getenv("WARREN_BIN");

    return b && *b ? b : "build/default/warren";
}

static char *slurp_fd(int fd) {
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;

    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2) buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    return buf;
}

/* Writes `text` to a new temp file; returns its path (static buffer set). */
static void write_trace(char *path, size_t size, const char *text) {
    snprintf(path, size, "/tmp/test_replay_XXXXXX.jsonl");
    int fd = mkstemps(path, 6);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Runs warren with args (NULL-terminated), stdin from `in` (or null), or
 * from the pipe `pipe_text` is written into, `piece` bytes at a time,
 * by a child of its own. */
static run_t run_in(const char *in, const char *pipe_text, size_t piece,
                    const char *const *args) {
    char out_path[] = "/tmp/test_replay_out_XXXXXX";
    char err_path[] = "/tmp/test_replay_err_XXXXXX";
    int ofd = mkstemp(out_path), efd = mkstemp(err_path), st;
    const char *argv[32];
    run_t r;
    int n = 0;
    pid_t pid;

    cr_assert(ofd >= 0 && efd >= 0);
    unlink(out_path);
    unlink(err_path);
    argv[n++] = bin();
    while (*args && n < 31)
        argv[n++] = *args++;
    argv[n] = NULL;
    int pfd[2] = {-1, -1};
    pid_t writer = -1;
    if (pipe_text) {
        cr_assert_eq(pipe(pfd), 0);
        writer = fork();
        cr_assert(writer >= 0);
        if (writer == 0) {
            size_t len = strlen(pipe_text), off = 0;

            close(pfd[0]);
            while (off < len) {
                size_t k = len - off < piece ? len - off : piece;
                ssize_t w = write(pfd[1], pipe_text + off, k);

                if (w <= 0) _exit(1);
                off += (size_t)w;
            }
            _exit(0);
        }
        close(pfd[1]);
    }
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int ifd = pipe_text ? pfd[0] : open(in ? in : "/dev/null", O_RDONLY);

        dup2(ifd, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (pipe_text) close(pfd[0]);
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (writer > 0) waitpid(writer, NULL, 0);
    r.out = slurp_fd(ofd);
    r.err = slurp_fd(efd);
    close(ofd);
    close(efd);
    cr_assert_neq(r.rc, 127, "cannot run %s", bin());
    return r;
}

static run_t run(const char *in, const char *const *args) {
    return run_in(in, NULL, 0, args);
}

static void run_free(run_t *r) {
    free(r->out);
    free(r->err);
}

static size_t count_lines(const char *s) {
    size_t n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A group that keeps up (OK); expectations on lines 6 and 7. */
#define OK_TRACE                                                               \
    "{\"type\":\"config\",\"intervals\":10}\n"                                 \
    "{\"type\":\"head\",\"t\":1700000000000,\"topic\":\"orders\","             \
    "\"partition\":0,\"offset\":1000,\"partitions\":1}\n"                      \
    "{\"type\":\"commit\",\"t\":1700000000000,\"group\":\"billing\","          \
    "\"topic\":\"orders\",\"partition\":0,\"offset\":1000}\n"                  \
    "{\"type\":\"head\",\"t\":1700000010000,\"topic\":\"orders\","             \
    "\"partition\":0,\"offset\":1600}\n"                                       \
    "{\"type\":\"commit\",\"t\":1700000010000,\"group\":\"billing\","          \
    "\"topic\":\"orders\",\"partition\":0,\"offset\":1100}\n"

Test(replay, passing_expectations_exit_zero) {
    char path[64];
    write_trace(path, sizeof(path),
                OK_TRACE "{\"type\":\"expect\",\"t\":1700000010000,"
                         "\"group\":\"billing\",\"status\":\"OK\","
                         "\"partitions\":[{\"topic\":\"orders\","
                         "\"partition\":0,\"status\":\"OK\"}]}\n");
    const char *args[] = {"replay", "--check", path, NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 0, "stderr: %s", r.err);
    cr_assert(strstr(r.out, "1 expect lines, 0 failed") != NULL, "%s", r.out);
    cr_assert_str_eq(r.err, "");
    run_free(&r);
    unlink(path);
}

Test(replay, failed_expectation_exits_one_naming_line_and_rule) {
    char path[64], want[160];
    write_trace(path, sizeof(path),
                OK_TRACE "{\"type\":\"expect\",\"t\":1700000010000,"
                         "\"group\":\"billing\",\"status\":\"WARN\"}\n"
                         "{\"type\":\"expect\",\"t\":1700000010000,"
                         "\"group\":\"billing\",\"status\":\"OK\","
                         "\"partitions\":[{\"topic\":\"orders\","
                         "\"partition\":0,\"status\":\"STALL\"}]}\n");
    const char *args[] = {"replay", "--check", "--rules", "burrow", path, NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 1);
    snprintf(want, sizeof(want), "%s:6: expected WARN, got OK (rule ", path);
    cr_assert(strstr(r.err, want) != NULL, "stderr: %s", r.err);
    cr_assert(strstr(r.err, "on orders/0): group local/billing\n") != NULL,
              "stderr: %s", r.err);
    snprintf(want, sizeof(want),
             "%s:7: expected STALL, got OK (rule lag-decreasing-or-zero): "
             "partition orders/0 of local/billing",
             path);
    cr_assert(strstr(r.err, want) != NULL, "stderr: %s", r.err);
    cr_assert_eq(count_lines(r.err), 2);
    run_free(&r);
    unlink(path);
}

/* A consumer at a quarter of the production rate while heads are
 * refreshed every 30 s and commits arrive every 5 s: Burrow's rules say
 * OK, the warren rules WARN. The config line names the rule set; --rules
 * overrides it. */
static void write_stale_head_trace(char *path, size_t size, const char *rules) {
    char *buf = malloc(1 << 16);
    size_t n = 0;
    int64_t t, head = 0;

    cr_assert_not_null(buf);
    n += (size_t)snprintf(buf + n, (1 << 16) - n,
                          "{\"type\":\"config\",\"intervals\":10%s%s%s}\n",
                          rules ? ",\"rules\":\"" : "", rules ? rules : "",
                          rules ? "\"" : "");
    for (t = 0; t <= 300000; t += 5000) {
        if (t % 30000 == 0) {
            head = 100000 + t / 10; /* 100 msg/s */
            n += (size_t)snprintf(buf + n, (1 << 16) - n,
                                  "{\"type\":\"head\",\"t\":%lld,\"topic\":"
                                  "\"o\",\"partition\":0,\"offset\":%lld}\n",
                                  1700000000000LL + t, (long long)head);
        }
        n += (size_t)snprintf(buf + n, (1 << 16) - n,
                              "{\"type\":\"commit\",\"t\":%lld,\"group\":"
                              "\"g\",\"topic\":\"o\",\"partition\":0,"
                              "\"offset\":%lld}\n",
                              1700000000000LL + t,
                              (long long)(100000 + t / 40)); /* 25 msg/s */
    }
    n += (size_t)snprintf(buf + n, (1 << 16) - n,
                          "{\"type\":\"truth\",\"t\":1700000300000,"
                          "\"group\":\"g\",\"topic\":\"o\","
                          "\"partition\":0,\"status\":\"WARN\"}\n"
                          "{\"type\":\"expect\",\"t\":1700000300000,"
                          "\"group\":\"g\",\"status\":\"WARN\"}\n");
    write_trace(path, size, buf);
    free(buf);
}

Test(replay, rule_set_comes_from_the_config_line_or_the_option) {
    char path[64];
    const char *plain[] = {"replay", "--check", NULL, NULL};
    const char *burrow[] = {"replay", "--check", "--rules",
                            "burrow", NULL,      NULL};
    const char *warren[] = {"replay", "--check", "--rules=warren", NULL, NULL};
    run_t r;

    write_stale_head_trace(path, sizeof(path), NULL); /* default: warren */
    plain[2] = path;
    r = run(NULL, plain);
    cr_assert_eq(r.rc, 0, "stderr: %s", r.err);
    run_free(&r);
    burrow[4] = path;
    r = run(NULL, burrow);
    cr_assert_eq(r.rc, 1, "Burrow's rules miss it");
    cr_assert(strstr(r.err, "expected WARN, got OK") != NULL, "%s", r.err);
    run_free(&r);
    unlink(path);

    write_stale_head_trace(path, sizeof(path), "burrow");
    plain[2] = path;
    r = run(NULL, plain);
    cr_assert_eq(r.rc, 1, "the trace names burrow");
    run_free(&r);
    warren[3] = path;
    r = run(NULL, warren);
    cr_assert_eq(r.rc, 0, "stderr: %s", r.err);
    run_free(&r);
    unlink(path);
}

Test(replay, unknown_rule_set_is_a_usage_error) {
    const char *args[] = {"replay", "--rules", "kafka", "x.jsonl", NULL};
    run_t r = run(NULL, args);

    cr_assert_eq(r.rc, 2);
    cr_assert(strstr(r.err, "--rules must be warren or burrow, not 'kafka'") !=
                  NULL,
              "%s", r.err);
    run_free(&r);
}

Test(replay, check_without_expect_lines_fails) {
    char path[64];
    write_trace(path, sizeof(path), OK_TRACE);
    const char *args[] = {"replay", "--check", path, NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 1);
    cr_assert(strstr(r.err, "no expect lines") != NULL, "%s", r.err);
    const char *plain[] = {"replay", path, NULL};
    run_t r2 = run(NULL, plain);
    cr_assert_eq(r2.rc, 0, "without --check a trace needs no expect");
    run_free(&r);
    run_free(&r2);
    unlink(path);
}

Test(replay, malformed_line_exits_two_and_applies_nothing_after) {
    char path[64], want[128];
    /* Line 6 is bad; the expect after it (which would fail) must not run. */
    write_trace(path, sizeof(path),
                OK_TRACE "{\"type\":\"commit\",\"t\":1700000010000,"
                         "\"group\":\"billing\",\"topic\":\"orders\","
                         "\"partition\":\"zero\",\"offset\":1}\n"
                         "{\"type\":\"expect\",\"t\":1700000010000,"
                         "\"group\":\"billing\",\"status\":\"ERR\"}\n");
    const char *args[] = {"replay", "--check", path, NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 2);
    snprintf(want, sizeof(want), "%s:6: field 'partition'", path);
    cr_assert(strstr(r.err, want) != NULL, "stderr: %s", r.err);
    cr_assert_eq(count_lines(r.err), 1, "one line: %s", r.err);
    cr_assert(strstr(r.err, "expected ERR") == NULL);
    cr_assert(strstr(r.out, "expect lines") == NULL, "%s", r.out);
    run_free(&r);
    unlink(path);
}

Test(replay, unreadable_and_empty_files_exit_two) {
    char path[64];
    write_trace(path, sizeof(path), "\n\n");
    const char *a1[] = {"replay", path, NULL};
    run_t r = run(NULL, a1);
    cr_assert_eq(r.rc, 2);
    cr_assert(strstr(r.err, path) != NULL && strstr(r.err, "empty"), "%s",
              r.err);
    run_free(&r);
    unlink(path);
    const char *a2[] = {"replay", "/nonexistent/trace.jsonl", NULL};
    r = run(NULL, a2);
    cr_assert_eq(r.rc, 2);
    cr_assert(strstr(r.err, "/nonexistent/trace.jsonl: cannot read") != NULL,
              "%s", r.err);
    run_free(&r);
}

Test(replay, json_format_prints_one_object_per_change_and_summary) {
    char path[64];
    /* commit 2 repeats the offset while lag grows: STALL, then recovers */
    write_trace(
        path, sizeof(path),
        "{\"type\":\"head\",\"t\":1000,\"cluster\":\"c\\\"1\","
        "\"topic\":\"t\",\"partition\":0,\"offset\":100,\"partitions\":2}\n"
        "{\"type\":\"head\",\"t\":1000,\"cluster\":\"c\\\"1\","
        "\"topic\":\"t\",\"partition\":1,\"offset\":100}\n"
        "{\"type\":\"commit\",\"t\":1000,\"cluster\":\"c\\\"1\",\"group\":"
        "\"g\",\"topic\":\"t\",\"partition\":0,\"offset\":50}\n"
        "{\"type\":\"commit\",\"t\":1000,\"cluster\":\"c\\\"1\",\"group\":"
        "\"g\",\"topic\":\"t\",\"partition\":1,\"offset\":100}\n"
        "{\"type\":\"head\",\"t\":2000,\"cluster\":\"c\\\"1\","
        "\"topic\":\"t\",\"partition\":0,\"offset\":200}\n"
        "{\"type\":\"commit\",\"t\":2000,\"cluster\":\"c\\\"1\",\"group\":"
        "\"g\",\"topic\":\"t\",\"partition\":0,\"offset\":200}\n");
    const char *args[] = {"replay", "--rules", "burrow", "--format",
                          "json",   path,      NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    int changes = 0, summaries = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        const char *end = NULL;
        cJSON *o = cJSON_ParseWithLengthOpts(line, strlen(line) + 1, &end, 1);
        cr_assert_not_null(o, "not JSON: %s", line);
        const char *type =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "type"));
        cr_assert_not_null(type, "%s", line);
        cr_assert_str_eq(cJSON_GetStringValue(
                             cJSON_GetObjectItemCaseSensitive(o, "cluster")),
                         "c\"1");
        cr_assert_str_eq(
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "group")),
            "g");
        cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "t")));
        cr_assert(
            cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "totallag")));
        if (!strcmp(type, "change")) {
            cJSON *parts = cJSON_GetObjectItemCaseSensitive(o, "partitions");
            const char *st = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(o, "status"));
            const char *prev = cJSON_GetStringValue(
                cJSON_GetObjectItemCaseSensitive(o, "previous"));
            cr_assert(cJSON_IsArray(parts));
            if (changes == 0) {
                cr_assert_str_eq(prev, "NOTFOUND");
                cr_assert_str_eq(st, "ERR");
                cr_assert_eq(cJSON_GetNumberValue(
                                 cJSON_GetObjectItemCaseSensitive(o, "t")),
                             1000);
                cr_assert_eq(cJSON_GetArraySize(parts), 1, "%s", line);
                cJSON *p0 = cJSON_GetArrayItem(parts, 0);
                cr_assert_str_eq(
                    cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(p0, "topic")),
                    "t");
                cr_assert_eq(
                    cJSON_GetNumberValue(
                        cJSON_GetObjectItemCaseSensitive(p0, "partition")),
                    0);
                cr_assert_str_eq(
                    cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(p0, "status")),
                    "STALL");
                cr_assert_str_eq(
                    cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(p0, "rule")),
                    "stall");
                cr_assert_eq(
                    cJSON_GetNumberValue(
                        cJSON_GetObjectItemCaseSensitive(p0, "current_lag")),
                    50);
            } else {
                cr_assert_str_eq(prev, "ERR");
                cr_assert_str_eq(st, "OK");
                cr_assert_eq(cJSON_GetArraySize(parts), 0);
            }
            changes++;
        } else {
            cr_assert_str_eq(type, "summary");
            cr_assert_str_eq(cJSON_GetStringValue(
                                 cJSON_GetObjectItemCaseSensitive(o, "status")),
                             "OK");
            cr_assert_eq(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
                             o, "partition_count")),
                         2);
            summaries++;
        }
        cJSON_Delete(o);
    }
    cr_assert_eq(changes, 2);
    cr_assert_eq(summaries, 1);
    run_free(&r);
    unlink(path);
}

/* Commits every 10 s for 40 s while the consumer drains lag (OK), then
 * nothing but one head at +200 s: STOP once now - last > last - first,
 * i.e. after +80 s; the first tick after that is +90 s. */
#define STOP_TRACE                                                             \
    "{\"type\":\"head\",\"t\":0,\"topic\":\"t\",\"partition\":0,"              \
    "\"offset\":1000}\n"                                                       \
    "{\"type\":\"commit\",\"t\":0,\"group\":\"g\",\"topic\":\"t\","            \
    "\"partition\":0,\"offset\":500}\n"                                        \
    "{\"type\":\"commit\",\"t\":10000,\"group\":\"g\",\"topic\":\"t\","        \
    "\"partition\":0,\"offset\":600}\n"                                        \
    "{\"type\":\"commit\",\"t\":20000,\"group\":\"g\",\"topic\":\"t\","        \
    "\"partition\":0,\"offset\":700}\n"                                        \
    "{\"type\":\"commit\",\"t\":30000,\"group\":\"g\",\"topic\":\"t\","        \
    "\"partition\":0,\"offset\":800}\n"                                        \
    "{\"type\":\"commit\",\"t\":40000,\"group\":\"g\",\"topic\":\"t\","        \
    "\"partition\":0,\"offset\":900}\n"                                        \
    "{\"type\":\"head\",\"t\":200000,\"topic\":\"t\",\"partition\":0,"         \
    "\"offset\":5000}\n"

Test(replay, tick_shows_stop_without_events) {
    char path[64];
    write_trace(path, sizeof(path), STOP_TRACE);
    const char *args[] = {"replay", "--rules", "burrow", "--format",
                          "json",   path,      NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    cr_assert(strstr(r.out, "{\"type\":\"change\",\"t\":90000,\"cluster\":"
                            "\"local\",\"group\":\"g\",\"status\":\"ERR\","
                            "\"previous\":\"OK\"") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "\"rule\":\"stop\"") != NULL, "%s", r.out);
    run_free(&r);

    /* A 30 s tick sees it at +90 s too; without ticks, only at the end. */
    const char *a30[] = {"replay", "--rules", "burrow", "--format=json",
                         "--tick", "30000",   path,     NULL};
    r = run(NULL, a30);
    cr_assert(strstr(r.out, "\"t\":90000,") != NULL, "%s", r.out);
    run_free(&r);
    const char *a0[] = {"replay", "--rules", "burrow", "--format", "json",
                        "--tick", "0",       path,     NULL};
    r = run(NULL, a0);
    cr_assert_eq(r.rc, 0);
    cr_assert(strstr(r.out, "\"t\":90000,") == NULL, "%s", r.out);
    cr_assert(strstr(r.out, "{\"type\":\"change\",\"t\":200000,") != NULL, "%s",
              r.out);
    run_free(&r);
    unlink(path);
}

Test(replay, text_timeline_uses_rfc3339_utc) {
    char path[64];
    write_trace(path, sizeof(path), STOP_TRACE);
    const char *args[] = {"replay", "--rules", "burrow", path, NULL};
    run_t r = run(NULL, args);
    cr_assert_eq(r.rc, 0);
    cr_assert(strstr(r.out, "1970-01-01T00:01:30.000Z local g: OK -> ERR, "
                            "totallag 100; t/0 STOP (rule stop") != NULL,
              "%s", r.out);
    cr_assert(strstr(r.out, "  local g: ERR, totallag 4100, 1 partitions") !=
                  NULL,
              "%s", r.out);
    run_free(&r);
    unlink(path);
}

Test(replay, reads_stdin_and_takes_the_worst_exit_code_of_files) {
    char ok[64], bad[64];
    write_trace(ok, sizeof(ok),
                OK_TRACE "{\"type\":\"expect\",\"t\":1700000010000,"
                         "\"group\":\"billing\",\"status\":\"OK\"}\n");
    write_trace(bad, sizeof(bad), "{\"type\":\"nope\"}\n");
    const char *a1[] = {"replay", "--check", "-", NULL};
    run_t r = run(ok, a1);
    cr_assert_eq(r.rc, 0, "%s", r.err);
    run_free(&r);
    const char *a2[] = {"replay", "--check", ok, bad, NULL};
    r = run(NULL, a2);
    cr_assert_eq(r.rc, 2);
    cr_assert(strstr(r.err, bad) != NULL, "%s", r.err);
    run_free(&r);
    unlink(ok);
    unlink(bad);
}

Test(replay, options_help_and_usage_errors) {
    const char *h[] = {"replay", "--help", NULL};
    run_t r = run(NULL, h);
    cr_assert_eq(r.rc, 0);
    cr_assert(strncmp(r.out, "usage: warren replay", 20) == 0, "%s", r.out);
    run_free(&r);
    const char *cases[][4] = {
        {"replay", "--bogus", "x", NULL}, {"replay", "--format", "xml", NULL},
        {"replay", "--tick", "-5", NULL}, {"replay", "--tick", NULL, NULL},
        {"replay", NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = run(NULL, cases[i]);
        cr_assert_eq(r.rc, 2, "case %zu", i);
        cr_assert(strncmp(r.err, "warren replay: ", 15) == 0, "%s", r.err);
        cr_assert(strstr(r.err, "usage: warren replay") != NULL);
        cr_assert_str_eq(r.out, "");
        run_free(&r);
    }
}

/* A trace of several MiB: a file is parsed on worker threads in 1 MiB
 * chunks of the whole file; standard input in blocks of what the reads
 * bring (a redirected file, or a pipe written in pieces). All give the
 * same timeline and summary, and a bad line deep in the trace the same
 * message. */
static char *long_trace(int rounds, int bad_round) {
    size_t cap = (size_t)rounds * 12 * 160 + 4096, n = 0;
    char *s = malloc(cap);

    cr_assert_not_null(s);
    n += (size_t)snprintf(s + n, cap - n, "{\"type\":\"config\"}\n");
    for (int r = 0; r < rounds; r++) {
        long long t = 1700000000000LL + 5000LL * r;

        if (r == bad_round) t -= 60000; /* before the previous line */
        for (int p = 0; p < 4; p++)
            n += (size_t)snprintf(s + n, cap - n,
                                  "{\"type\":\"head\",\"t\":%lld,\"topic\":"
                                  "\"orders\",\"partition\":%d,\"offset\":%d,"
                                  "\"partitions\":4}\n",
                                  t, p, 1000 + 30 * r);
        for (int g = 0; g < 8; g++) {
            /* g0..g3 keep up, g4 and g5 fall behind, g6 stalls half way,
             * g7 stops a third of the way */
            int off = g < 4    ? 1000 + 30 * r - 5
                      : g < 6  ? 1000 + 20 * r
                      : g == 6 ? 1000 + 30 * (r < rounds / 2 ? r : rounds / 2)
                               : 1000 + 30 * r;
            if (g == 7 && r > rounds / 3) continue;
            n += (size_t)snprintf(s + n, cap - n,
                                  "{\"type\":\"commit\",\"t\":%lld,"
                                  "\"group\":\"g%d\",\"topic\":\"orders\","
                                  "\"partition\":%d,\"offset\":%d,"
                                  "\"owner\":\"/10.0.0.%d\"}\n",
                                  t, g, r % 4, off, g);
        }
        cr_assert_lt(n + 2048, cap);
    }
    return s;
}

/* s with every occurrence of name replaced by "-" (stdin's name). */
static char *as_stdin(const char *s, const char *name) {
    size_t nl = strlen(name), k = 0;
    char *o = malloc(strlen(s) + 1);
    const char *p = s, *q;

    cr_assert_not_null(o);
    while ((q = strstr(p, name)) != NULL) {
        memcpy(o + k, p, (size_t)(q - p));
        k += (size_t)(q - p);
        o[k++] = '-';
        p = q + nl;
    }
    strcpy(o + k, p);
    return o;
}

/* Replays text from a file and from stdin: the same exit code, output
 * and errors (the file's name read as "-"). Returns the errors. */
static char *same_as_stdin(const char *text, const char *format, int want_rc) {
    char path[64];
    write_trace(path, sizeof(path), text);
    const char *af[] = {"replay", "--format", format, path, NULL};
    const char *as[] = {"replay", "--format", format, "-", NULL};
    run_t f = run(NULL, af), s = run(path, as);
    char *fo = as_stdin(f.out, path), *fe = as_stdin(f.err, path);

    cr_assert_eq(f.rc, want_rc, "%s", f.err);
    cr_assert_eq(s.rc, want_rc, "%s", s.err);
    cr_assert_str_eq(fe, s.err);
    cr_assert_str_eq(fo, s.out);
    /* a pipe written in pieces that end mid-line: read in blocks cut at
     * line ends, however the reads fall */
    for (size_t piece = 777; piece <= 1000000; piece *= 36) {
        run_t q = run_in(NULL, text, piece, as);

        cr_assert_eq(q.rc, want_rc, "piece %zu: %s", piece, q.err);
        cr_assert_str_eq(q.err, s.err, "piece %zu", piece);
        cr_assert_str_eq(q.out, s.out, "piece %zu", piece);
        run_free(&q);
    }
    if (want_rc == 0) cr_assert_gt(count_lines(f.out), 8, "%s", f.out);
    free(fo);
    run_free(&f);
    free(s.out);
    free(s.err);
    unlink(path);
    return fe;
}

Test(replay, a_file_parsed_on_threads_reads_as_stdin_does) {
    char *t = long_trace(4000, -1);

    cr_assert_gt(strlen(t), (size_t)3 << 20, "more than three chunks");
    free(same_as_stdin(t, "json", 0));
    free(same_as_stdin(t, "text", 0));
    free(t);
}

Test(replay, a_bad_line_deep_in_a_file_is_named_as_from_stdin) {
    char *t = long_trace(4000, 3000);
    char *err = same_as_stdin(t, "text", 2);

    cr_assert(strstr(err, "field 't': ") && strstr(err, "is before"), "%s",
              err);
    cr_assert_eq(count_lines(err), 1, "%s", err);
    free(err);
    free(t);
}
