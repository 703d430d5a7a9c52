/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests of mon_source_kafka against librdkafka's mock cluster:
 * the kafka_mock helper runs as a child (3 brokers, producers and four
 * real consumer groups, see tests/helpers/kafka_mock.c), the source reads
 * it into a real store, and groups are evaluated through
 * mon_store_group_eval at the wall clock, as the daemon does. Waits poll
 * for a state with a deadline and require it to hold for several polls in
 * a row; no timing is asserted. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/sources/mon_source_kafka.h"
#include "monitor/store/mon_store.h"

/* ---- the helper child ---- */

typedef struct mock_s {
    pid_t pid;
    int in;  /* its stdin */
    int out; /* its stdout */
    char buf[8192];
    size_t used;
    char bootstrap[512];
} mock_t;

static int64_t now_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static const char *helper_path(void) {
    static char path[512];
    const char *mock = getenv("KAFKA_MOCK");
    if (mock && mock[0]) return mock;
    const char *build = getenv("BUILD");
    snprintf(path, sizeof(path), "%s/helpers/kafka_mock",
             build && build[0] ? build : "build/default");
    if (access(path, X_OK) != 0)
        snprintf(path, sizeof(path), "build/default/helpers/kafka_mock");
    return path;
}

/* Reads one line from the helper within timeout_ms; 0 or -1. */
static int mock_line(mock_t *m, char *line, size_t size, int timeout_ms) {
    int64_t end = now_wall() + timeout_ms;
    for (;;) {
        char *nl = memchr(m->buf, '\n', m->used);
        if (nl) {
            size_t n = (size_t)(nl - m->buf);
            snprintf(line, size, "%.*s", (int)n, m->buf);
            memmove(m->buf, nl + 1, m->used - n - 1);
            m->used -= n + 1;
            return 0;
        }
        int left = (int)(end - now_wall());
        if (left <= 0) return -1;
        struct pollfd pfd = {m->out, POLLIN, 0};
        if (poll(&pfd, 1, left) <= 0) continue;
        ssize_t r = read(m->out, m->buf + m->used, sizeof(m->buf) - m->used);
        if (r <= 0) return -1;
        m->used += (size_t)r;
    }
}

/* Starts the helper (stop_after NULL: --quiet, topics only) and waits
 * for its "ready". */
static void mock_start(mock_t *m, const char *stop_after) {
    int in[2], out[2];
    memset(m, 0, sizeof(*m));
    cr_assert_eq(pipe(in), 0);
    cr_assert_eq(pipe(out), 0);
    const char *path = helper_path();
    m->pid = fork();
    cr_assert_neq(m->pid, -1);
    if (m->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        if (stop_after)
            execl(path, path, "--stop-after", stop_after, "--lifetime", "120",
                  (char *)NULL);
        else /* topics only: no producers or groups */
            execl(path, path, "--quiet", "--lifetime", "120", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    m->in = in[1];
    m->out = out[0];
    char line[512];
    cr_assert_eq(mock_line(m, m->bootstrap, sizeof(m->bootstrap), 10000), 0,
                 "no bootstrap line from %s", path);
    cr_assert(strstr(m->bootstrap, "127.0.0.1:"), "%s", m->bootstrap);
    do {
        cr_assert_eq(mock_line(m, line, sizeof(line), 60000), 0,
                     "helper never got ready");
    } while (strcmp(line, "ready") != 0);
}

static void mock_cmd(mock_t *m, const char *cmd) {
    char line[512], want[300];
    snprintf(line, sizeof(line), "%s\n", cmd);
    cr_assert_eq(write(m->in, line, strlen(line)), (ssize_t)strlen(line));
    snprintf(want, sizeof(want), "ok %s", cmd);
    do {
        cr_assert_eq(mock_line(m, line, sizeof(line), 10000), 0,
                     "no answer to '%s'", cmd);
        cr_assert(strncmp(line, "error", 5) != 0, "%s", line);
    } while (strcmp(line, want) != 0);
}

static void mock_stop(mock_t *m) {
    if (write(m->in, "quit\n", 5) != 5) kill(m->pid, SIGTERM);
    close(m->in);
    int status = 0;
    for (int i = 0; i < 100; i++) {
        if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
            close(m->out);
            return;
        }
        sleep_ms(100);
    }
    kill(m->pid, SIGKILL);
    waitpid(m->pid, &status, 0);
    close(m->out);
}

/* ---- Warren side ---- */

typedef struct rig_s {
    mock_t mock;
    mon_config_t *cfg;
    mon_store_t *st;
    mon_source_kafka_t *src;
    const char *offset_refresh; /* set before the start; NULL: 500ms */
} rig_t;

/* Starts the helper and a source on it; the store has min-distance
 * min_distance_ms and expire-group expire_ms (0: Burrow's 7 days). */
static void rig_start_expiring(rig_t *r, const char *extra,
                               int64_t min_distance_ms, const char *stop_after,
                               int64_t expire_ms) {
    char ini[2048], err[512];
    mon_log_set_level(MON_LOG_ERROR);
    mock_start(&r->mock, stop_after);
    snprintf(ini, sizeof(ini),
             "[cluster mock]\n"
             "source = kafka\n"
             "servers = %s\n"
             "offset-refresh = %s\n"
             "topic-refresh = 2s\n"
             "kafka.reconnect.backoff.max.ms = 500\n"
             "%s",
             r->mock.bootstrap, r->offset_refresh ? r->offset_refresh : "500ms",
             extra);
    r->cfg = mon_config_load_string(ini, "<test>", err, sizeof(err));
    cr_assert_not_null(r->cfg, "%s", err);
    mon_store_config_t sc;
    mon_store_config_default(&sc);
    sc.min_distance_ms = min_distance_ms;
    if (expire_ms > 0) sc.expire_group_ms = expire_ms;
    r->st = mon_store_new(&sc, err, sizeof(err));
    cr_assert_not_null(r->st, "%s", err);
    r->src = mon_source_kafka_new(mon_config_cluster_find(r->cfg, "mock"),
                                  r->st, err, sizeof(err));
    cr_assert_not_null(r->src, "%s", err);
    cr_assert_eq(mon_source_kafka_start(r->src, err, sizeof(err)), 0, "%s",
                 err);
}

static void rig_start(rig_t *r, const char *extra, int64_t min_distance_ms,
                      const char *stop_after) {
    rig_start_expiring(r, extra, min_distance_ms, stop_after, 0);
}

static void rig_stop(rig_t *r) {
    mon_source_kafka_destroy(r->src);
    mock_stop(&r->mock);
    mon_store_destroy(r->st);
    mon_config_destroy(r->cfg);
}

static const char *const GROUPS[4] = {"ok-group", "slow-group", "fixed-group",
                                      "stop-group"};

/* Evaluates group g now: its status and whether every partition that has
 * commits has partition status `part` (EV_NOTFOUND = don't check). */
static ev_status_t eval(rig_t *r, const char *g, ev_status_t part,
                        bool *parts_ok, mon_group_eval_t *ev) {
    ev_params_t burrow; /* the expected statuses are Burrow's */

    ev_params_default(&burrow);
    burrow.intervals = mon_store_intervals(r->st);
    burrow.rules = EV_RULES_BURROW;
    mon_store_group_eval(r->st, "mock", g, now_wall(), &burrow, ev);
    bool ok = ev->count > 0;
    for (size_t i = 0; i < ev->count; i++) {
        if (part != EV_NOTFOUND && ev->parts[i].entry_count > 0 &&
            ev->parts[i].result.status != part)
            ok = false;
    }
    if (parts_ok) *parts_ok = ok;
    return ev->status;
}

/* Waits until the four groups show want[] (group status, and partition
 * status where wantp[] is not EV_NOTFOUND) in 3 polls in a row. */
static void wait_statuses(rig_t *r, const ev_status_t want[4],
                          const ev_status_t wantp[4], int timeout_s) {
    mon_group_eval_t ev = {0};
    char last[512] = "";
    int streak = 0;
    int64_t end = now_wall() + (int64_t)timeout_s * 1000;
    while (now_wall() < end && streak < 3) {
        bool all = true;
        size_t n = 0;
        for (int i = 0; i < 4; i++) {
            bool parts_ok;
            ev_status_t s = eval(r, GROUPS[i], wantp[i], &parts_ok, &ev);
            all = all && s == want[i] && parts_ok;
            n += (size_t)snprintf(last + n, sizeof(last) - n, "%s=%s%s ",
                                  GROUPS[i], ev_status_name(s),
                                  parts_ok ? "" : "(partitions differ)");
            if (n >= sizeof(last)) n = sizeof(last) - 1;
        }
        streak = all ? streak + 1 : 0;
        sleep_ms(500);
    }
    mon_group_eval_free(&ev);
    cr_assert_eq(streak, 3, "groups never settled as expected; last: %s", last);
}

static bool has_name(const mon_store_names_t *names, const char *name) {
    for (size_t i = 0; i < names->count; i++)
        if (!strcmp(names->names[i], name)) return true;
    return false;
}

#define ALL_GROUPS "groups = ok-group,slow-group,fixed-group,stop-group\n"

Test(kafka_source, admin_mode_groups_evaluate_ok_warn_err_stop, .timeout = 90) {
    rig_t r = {0};
    rig_start(&r, ALL_GROUPS, 0, "2");
    /* admin mode fills a window with the offsets it sees, then records a
     * change only: the group re-committing offset 5 is STALL for a window
     * and then, no change coming, STOP as well */
    const ev_status_t want[4] = {EV_OK, EV_WARN, EV_ERR, EV_ERR};
    const ev_status_t wantp[4] = {EV_NOTFOUND, EV_WARN, EV_STOP, EV_STOP};
    wait_statuses(&r, want, wantp, 40);

    mon_source_kafka_status_t s;
    mon_source_kafka_status(r.src, now_wall(), &s);
    cr_assert(s.running);
    cr_assert(s.available, "last error: %s", s.last_error);
    cr_assert_not(s.stale);
    cr_assert_not(s.groups_listed, "the mock cannot list groups");
    /* and the daemon's view says so (GET /v3/kafka/C, the banner) */
    const mon_config_cluster_t *cc = mon_config_cluster_find(r.cfg, "mock");
    cr_assert(mon_source_kafka_cannot_list(cc, &s));
    cr_assert_eq(s.groups, 4);
    cr_assert_eq(s.brokers, 3);
    cr_assert_eq(s.topics, 4,
                 "orders, audit, ephemeral, still; not "
                 "internal");
    cr_assert_eq(s.partitions, 8);
    cr_assert_gt(s.commits_recorded, 0);
    cr_assert_gt(s.refreshes, 3);
    /* at most: metadata and DescribeConfigs (on topic refreshes), two
     * ListOffsets per leader (latest and earliest: 6), ListGroups to each
     * broker (3, on topic refreshes), one fetch per group (4): never one
     * request per partition */
    cr_assert_leq(s.last_refresh_requests, 1 + 1 + 6 + 3 + 4,
                  "requests in a refresh: %llu",
                  (unsigned long long)s.last_refresh_requests);

    mon_store_names_t topics = {0};
    cr_assert_eq(mon_store_topics(r.st, "mock", &topics), 0);
    cr_assert(has_name(&topics, "orders"));
    cr_assert(has_name(&topics, "audit"));
    cr_assert_not(has_name(&topics, "__consumer_offsets"));
    mon_store_names_free(&topics);
    rig_stop(&r);
}

/* The admin API gives no commit times, so once a window is full a commit
 * is recorded only when an offset changes. A group whose offsets stay put
 * (fixed-group commits offset 5; stop-group closed, the cluster keeps its
 * offsets) is still one the cluster lists with committed offsets: it must not
 * expire. */
Test(kafka_source, admin_mode_group_with_unchanged_offsets_never_expires,
     .timeout = 60) {
    rig_t r = {0};
    const int64_t expire_ms = 2000;
    rig_start_expiring(&r, ALL_GROUPS, 0, "1", expire_ms);
    mon_group_detail_t d = {0};
    mon_group_eval_t ev = {0};
    /* Wait until fixed-group's last recorded commit is older than
     * expire-group plus three refreshes, then expire as the loop does. */
    int64_t end = now_wall() + 30000, age = 0;
    while (now_wall() < end) {
        if (mon_store_group_detail(r.st, "mock", "fixed-group", INT64_MIN,
                                   &d) == 0 &&
            d.last_commit_ms > 0)
            age = now_wall() - d.last_commit_ms;
        if (age > expire_ms + 1500) break;
        sleep_ms(200);
    }
    cr_assert_gt(age, expire_ms + 1500, "fixed-group never got old");
    mon_store_expire(r.st, "mock", now_wall());
    for (int i = 0; i < 4; i++) {
        ev_status_t s = eval(&r, GROUPS[i], EV_NOTFOUND, NULL, &ev);
        cr_assert_neq(s, EV_NOTFOUND, "%s expired", GROUPS[i]);
    }
    cr_assert_eq(eval(&r, "fixed-group", EV_NOTFOUND, NULL, &ev), EV_ERR);
    mon_group_detail_free(&d);
    mon_group_eval_free(&ev);
    rig_stop(&r);
}

Test(kafka_source, vanished_topic_is_deleted_from_the_store, .timeout = 60) {
    rig_t r = {0};
    rig_start(&r, ALL_GROUPS, 0, "30");
    mon_store_names_t topics = {0};
    int64_t end = now_wall() + 20000;
    bool seen = false;
    while (!seen && now_wall() < end) {
        mon_store_topics(r.st, "mock", &topics);
        seen = has_name(&topics, "ephemeral");
        mon_store_names_free(&topics);
        sleep_ms(200);
    }
    cr_assert(seen, "ephemeral never got a head");
    mock_cmd(&r.mock, "delete ephemeral");
    end = now_wall() + 20000;
    while (seen && now_wall() < end) {
        sleep_ms(200);
        mon_store_topics(r.st, "mock", &topics);
        seen = has_name(&topics, "ephemeral");
        mon_store_names_free(&topics);
    }
    cr_assert_not(seen, "ephemeral still in the store");
    mon_store_topics(r.st, "mock", &topics);
    cr_assert(has_name(&topics, "orders"), "other topics stay");
    mon_store_names_free(&topics);
    rig_stop(&r);
}

/* Waits until status.available == want; returns the status. */
static mon_source_kafka_status_t wait_available(rig_t *r, bool want,
                                                int timeout_s) {
    mon_source_kafka_status_t s;
    int64_t end = now_wall() + (int64_t)timeout_s * 1000;
    do {
        mon_source_kafka_status(r->src, now_wall(), &s);
        if (s.available == want && s.refreshes > 0) return s;
        sleep_ms(100);
    } while (now_wall() < end);
    cr_assert_fail("available never became %d (last error: %s)", want,
                   s.last_error);
    return s;
}

/* Sends a mock command that takes brokers down right after a refresh has
 * ended, while no request of Warren's is in flight (the test refreshes
 * every 2 s: under ASan a refresh can take most of 500 ms, so the next
 * one would start before the mock applies the command, which can take
 * it a second; seen: librdkafka's eonce->refcnt assertion). librdkafka 2.0.2
 * can abort the process when a coordinator's connection fails under an
 * in-flight group offsets request (see coordinator_usable in
 * mon_source_kafka.c); that upstream hazard is not what this test is
 * about, so the outage starts between refreshes. */
static void down_between_refreshes(rig_t *r, const char *cmd) {
    mon_source_kafka_status_t s;
    mon_source_kafka_status(r->src, now_wall(), &s);
    int64_t last = s.last_refresh_ms, end = now_wall() + 10000;
    while (now_wall() < end) {
        mon_source_kafka_status(r->src, now_wall(), &s);
        if (s.last_refresh_ms != last) break;
        sleep_ms(2);
    }
    mock_cmd(&r->mock, cmd);
}

Test(kafka_source, broker_down_is_unavailable_then_recovers_without_stop,
     .timeout = 120) {
    rig_t r = {.offset_refresh = "2s"};
    rig_start(&r, ALL_GROUPS, 0, "60");
    wait_available(&r, true, 20);
    mon_group_eval_t ev = {0};
    int64_t end = now_wall() + 20000;
    while (eval(&r, "ok-group", EV_NOTFOUND, NULL, &ev) != EV_OK &&
           now_wall() < end)
        sleep_ms(200);
    cr_assert_eq(ev.status, EV_OK);
    int64_t *before = NULL, *after = NULL;
    size_t n_before = 0, n_after = 0;
    cr_assert_eq(
        mon_store_topic_offsets(r.st, "mock", "audit", &before, &n_before), 0);

    /* broker 3 leads audit only: Warren goes partly blind, the groups
     * (on orders, coordinators 1 and 2) keep committing */
    int64_t t_down = now_wall();
    down_between_refreshes(&r, "down 3");
    mon_source_kafka_status_t s = wait_available(&r, false, 20);
    cr_assert_str_neq(s.last_error, "");
    cr_assert(strstr(s.last_error, "broker 3") || strstr(s.last_error, ":"),
              "%s", s.last_error);
    cr_assert_geq(s.last_error_ms, t_down - 1000);
    cr_assert_gt(s.unavailable_since_ms, 0);
    cr_assert(s.stale);
    cr_assert_gt(s.failed_refreshes, 0);
    /* while blind, the groups that still commit never turn ERR */
    for (int i = 0; i < 12; i++) {
        ev_status_t st = eval(&r, "ok-group", EV_NOTFOUND, NULL, &ev);
        cr_assert_neq(st, EV_ERR,
                      "false alarm on ok-group while broker 3 "
                      "is down (poll %d)",
                      i);
        sleep_ms(250);
    }

    mock_cmd(&r.mock, "up 3");
    s = wait_available(&r, true, 30);
    cr_assert_not(s.stale);
    cr_assert_eq(s.unavailable_since_ms, 0);
    cr_assert_geq(s.last_success_ms, s.last_error_ms);
    sleep_ms(1500);
    cr_assert_eq(
        mon_store_topic_offsets(r.st, "mock", "audit", &after, &n_after), 0);
    cr_assert_eq(n_after, n_before);
    for (size_t i = 0; i < n_after; i++)
        cr_assert_gt(after[i], before[i], "audit %zu heads resumed", i);
    cr_assert_eq(eval(&r, "ok-group", EV_NOTFOUND, NULL, &ev), EV_OK);

    /* the whole cluster away, then back */
    down_between_refreshes(&r, "down -1");
    s = wait_available(&r, false, 20);
    cr_assert(s.stale);
    sleep_ms(1000);
    mock_cmd(&r.mock, "up -1");
    wait_available(&r, true, 30);
    end = now_wall() + 20000;
    while (eval(&r, "ok-group", EV_NOTFOUND, NULL, &ev) != EV_OK &&
           now_wall() < end)
        sleep_ms(200);
    cr_assert_eq(ev.status, EV_OK, "ok-group back to OK after recovery");
    free(before);
    free(after);
    mon_group_eval_free(&ev);
    rig_stop(&r);
}

Test(kafka_source, offsets_topic_mode_decodes_commits_owners_tombstones,
     .timeout = 90) {
    rig_t r = {0};
    /* Burrow-style min-distance: commits closer than a head refresh merge,
     * so lags are compared across head refreshes */
    rig_start(&r, "offsets = offsets-topic\n", 500, "2");
    /* with commit records, re-committing offset 5 is STALL, not STOP */
    const ev_status_t want[4] = {EV_OK, EV_WARN, EV_ERR, EV_ERR};
    const ev_status_t wantp[4] = {EV_NOTFOUND, EV_WARN, EV_STALL, EV_STOP};
    wait_statuses(&r, want, wantp, 45);

    mon_source_kafka_status_t s;
    mon_source_kafka_status(r.src, now_wall(), &s);
    cr_assert(s.available, "%s", s.last_error);
    cr_assert_gt(s.records_read, 0);
    /* offsets-topic lists nothing: it cannot fail to */
    cr_assert_not(mon_source_kafka_cannot_list(
        mon_config_cluster_find(r.cfg, "mock"), &s));
    cr_assert_eq(s.decode_errors, 0);
    cr_assert_eq(s.decode_warnings, 0);
    cr_assert_geq(s.groups, 4);

    /* owners come from the group metadata records */
    mon_group_eval_t ev = {0};
    eval(&r, "ok-group", EV_NOTFOUND, NULL, &ev);
    cr_assert_eq(ev.count, 3);
    for (size_t i = 0; i < ev.count; i++) {
        cr_assert_str_eq(ev.parts[i].owner, "/127.0.0.1");
        cr_assert_str_eq(ev.parts[i].client_id, "ok-group-client");
    }

    /* tombstones delete: offset tombstones and the group tombstone */
    mock_cmd(&r.mock, "tombstone stop-group");
    int64_t end = now_wall() + 15000;
    while (eval(&r, "stop-group", EV_NOTFOUND, NULL, &ev) != EV_NOTFOUND &&
           now_wall() < end)
        sleep_ms(200);
    cr_assert_eq(ev.status, EV_NOTFOUND, "stop-group still there");
    mon_group_eval_free(&ev);
    rig_stop(&r);
}

/* librdkafka's mock cluster answers ListOffsets earliest (its log start
 * moves once a partition holds more than 5 MiB) but not DescribeConfigs:
 * the log start reaches the store, a group committed below it turns ERR
 * with rule data-loss, retention.ms stays unknown (null, not 0) and the
 * cluster stays available. */
Test(kafka_source, mock_log_start_past_a_commit_is_data_loss, .timeout = 90) {
    rig_t r = {0};
    mon_group_eval_t ev = {0};
    int64_t *ls = NULL;
    size_t n = 0;

    rig_start(&r, "offsets = offsets-topic\n", 0, NULL);
    mock_cmd(&r.mock, "commit lossy still 0 5");
    mock_cmd(&r.mock, "fill still 0 6");
    int64_t end = now_wall() + 30000;
    bool lost = false;
    while (!lost && now_wall() < end) {
        if (eval(&r, "lossy", EV_NOTFOUND, NULL, &ev) == EV_ERR)
            for (size_t i = 0; i < ev.count; i++)
                if (!strcmp(ev.parts[i].topic, "still") &&
                    ev.parts[i].partition == 0 &&
                    ev.parts[i].result.rule == EV_RULE_DATA_LOSS)
                    lost = true;
        if (!lost) sleep_ms(200);
    }
    cr_assert(lost, "lossy never showed data loss");
    cr_assert_eq(mon_store_topic_log_starts(r.st, "mock", "still", &ls, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_gt(ls[0], 5, "log start %lld", (long long)ls[0]);
    cr_assert_eq(ls[1], 0, "the other partition keeps its log");
    free(ls);
    const mon_part_eval_t *pe = &ev.parts[0];
    cr_assert(pe->retention.data_loss);
    cr_assert_lt(pe->retention.margin, 0);
    cr_assert_eq(pe->result.status, EV_ERR);
    cr_assert_eq(pe->retention_ms, EV_RETENTION_UNKNOWN, "no DescribeConfigs");
    mon_source_kafka_status_t s;
    mon_source_kafka_status(r.src, now_wall(), &s);
    cr_assert(s.available, "%s", s.last_error);
    mon_group_eval_free(&ev);
    rig_stop(&r);
}

Test(kafka_source, bad_kafka_property_is_named) {
    static const char *const cases[][2] = {
        {"kafka.no.such.property = 1\n", "kafka.no.such.property"},
        {"kafka.security.protocol = carrier-pigeon\n",
         "kafka.security.protocol"},
        /* each value is fine alone; librdkafka refuses the combination */
        {"kafka.security.protocol = SASL_SSL\nkafka.sasl.mechanism = NOPE\n",
         "kafka.sasl.mechanism"},
    };
    mon_log_set_level(MON_LOG_ERROR);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char ini[512], err[512] = "";
        snprintf(ini, sizeof(ini),
                 "[cluster k]\nsource = kafka\nservers = 127.0.0.1:1\n%s",
                 cases[i][0]);
        mon_config_t *cfg =
            mon_config_load_string(ini, "<t>", err, sizeof(err));
        cr_assert_not_null(cfg, "%s", err);
        mon_store_config_t sc;
        mon_store_config_default(&sc);
        mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
        mon_source_kafka_t *src = mon_source_kafka_new(
            mon_config_cluster_find(cfg, "k"), st, err, sizeof(err));
        cr_assert_null(src);
        cr_assert(strstr(err, cases[i][1]), "'%s' does not name %s", err,
                  cases[i][1]);
        mon_store_destroy(st);
        mon_config_destroy(cfg);
    }
}

Test(kafka_source, unreachable_cluster_is_unavailable_with_error,
     .timeout = 60) {
    char err[512] = "";
    mon_log_set_level(MON_LOG_ERROR);
    mon_config_t *cfg = mon_config_load_string(
        "[cluster k]\nsource = kafka\nservers = 127.0.0.1:1\n"
        "offset-refresh = 500ms\n",
        "<t>", err, sizeof(err));
    cr_assert_not_null(cfg, "%s", err);
    mon_store_config_t sc;
    mon_store_config_default(&sc);
    mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
    mon_source_kafka_t *src = mon_source_kafka_new(
        mon_config_cluster_find(cfg, "k"), st, err, sizeof(err));
    cr_assert_not_null(src, "%s", err);
    mon_source_kafka_status_t s;
    mon_source_kafka_status(src, now_wall(), &s);
    cr_assert_not(s.running);
    cr_assert(s.stale, "no refresh yet: stale");
    cr_assert_eq(mon_source_kafka_start(src, err, sizeof(err)), 0);
    int64_t end = now_wall() + 20000;
    do {
        sleep_ms(100);
        mon_source_kafka_status(src, now_wall(), &s);
    } while (s.refreshes == 0 && now_wall() < end);
    cr_assert_gt(s.refreshes, 0);
    cr_assert_not(s.available);
    cr_assert(s.stale);
    cr_assert_str_neq(s.last_error, "");
    cr_assert_gt(s.last_error_ms, 0);
    cr_assert_eq(s.last_success_ms, 0);
    mon_source_kafka_stop(src);
    mon_source_kafka_stop(src);
    mon_source_kafka_status(src, now_wall(), &s);
    cr_assert_not(s.running);
    mon_source_kafka_destroy(src);
    mon_source_kafka_destroy(NULL);
    mon_store_destroy(st);
    mon_config_destroy(cfg);
}
