/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of the demo as GET /v3/events streams it: `warren
 * serve --demo --demo-speed 4` (one commit per group every 250 ms, so a
 * window of 10 commits takes over 2 s to hold the evidence the warren
 * rules need), its SSE stream read from the start on its own thread while
 * every group's /status is polled.
 *
 * Warm-up: every tick of the stream whose evaluation came before a
 * group's last "rule":"warming-up" answer shows that group OK (a window
 * only grows in the demo, so a group warming up at time A was warming up
 * at every earlier tick), every warming-up answer is OK with complete < 1,
 * and ticks were seen during the warm-up. Then the stream reaches each
 * demo behaviour: billing OK, analytics WARN (falling-behind), audit ERR
 * (a partition STALL), reports ERR (a partition STOP), archiver OK.
 */
#include <criterion/criterion.h>

#include <stdint.h>

#include <cjson/cJSON.h>

#include "tests/integration/sse_stream.h"
#include "tests/integration/warren_proc.h"

#define N_GROUPS 5
#define MAX_TICKS 4096

static const char *const groups[N_GROUPS] = {"billing", "analytics", "audit",
                                             "reports", "archiver"};
enum { BILLING, ANALYTICS, AUDIT, REPORTS, ARCHIVER };

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int group_index(const char *name) {
    for (int g = 0; g < N_GROUPS; g++)
        if (!strcmp(groups[g], name)) return g;
    return -1;
}

/* What the test learnt from the API and the stream. */
typedef struct seen_s {
    int64_t warm_until[N_GROUPS]; /* last request answered warming-up */
    int warm_answers[N_GROUPS];
    int left[N_GROUPS]; /* an answer with another rule came */
    int ticks;
    int64_t tick_t[MAX_TICKS];
    int tick_nonok[MAX_TICKS];  /* bit g: group g not OK in that tick */
    int tick_groups[MAX_TICKS]; /* demo groups in that tick */
    int reached[N_GROUPS];      /* its behaviour was on the stream */
    char last_event[N_GROUPS][256];
} seen_t;

/* Asks each group still warming up for its /status. */
static void poll_api(const wp_t *w, seen_t *s) {
    for (int g = 0; g < N_GROUPS; g++) {
        char path[128];
        wp_resp_t r;
        if (s->left[g]) continue;
        snprintf(path, sizeof(path), "/v3/kafka/local/consumer/%s/status",
                 groups[g]);
        int64_t asked = wall_ms();
        if (wp_http(w, "GET", path, NULL, NULL, &r) != 0) continue;
        cJSON *j =
            r.status == 200 ? cJSON_ParseWithLength(r.body, r.len) : NULL;
        wp_resp_free(&r);
        if (!j) continue; /* not known yet (404 before its first commit) */
        const cJSON *st = cJSON_GetObjectItem(j, "status");
        const char *status = cJSON_GetObjectItem(st, "status")->valuestring;
        const char *rule = cJSON_GetObjectItem(st, "rule")->valuestring;
        if (!strcmp(rule, "warming-up")) {
            cr_assert_str_eq(status, "OK", "%s warming up", groups[g]);
            cr_assert_lt(cJSON_GetObjectItem(st, "complete")->valuedouble, 1,
                         "%s warming up", groups[g]);
            s->warm_until[g] = asked;
            s->warm_answers[g]++;
        } else {
            s->left[g] = 1;
        }
        cJSON_Delete(j);
    }
}

/* Whether a status event's non-OK partitions include one with field =
 * value ("status": "STALL", "rule": "falling-behind"). */
static bool has_partition(const cJSON *ev, const char *field,
                          const char *value) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(ev, "partitions")) {
        const cJSON *v = cJSON_GetObjectItem(p, field);
        if (cJSON_IsString(v) && !strcmp(v->valuestring, value)) return true;
    }
    return false;
}

static void on_tick(const cJSON *j, seen_t *s) {
    cr_assert_lt(s->ticks, MAX_TICKS, "too many ticks");
    int nonok = 0, n = 0;
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "groups")) {
        int i = group_index(cJSON_GetObjectItem(g, "group")->valuestring);
        if (i < 0) continue;
        n++;
        bool ok = !strcmp(cJSON_GetObjectItem(g, "status")->valuestring, "OK");
        if (!ok) nonok |= 1 << i;
        /* billing and archiver keep up: OK once their warm-up is over */
        if (ok && (i == BILLING || i == ARCHIVER) && s->left[i])
            s->reached[i] = 1;
    }
    s->tick_t[s->ticks] = (int64_t)cJSON_GetObjectItem(j, "t")->valuedouble;
    s->tick_nonok[s->ticks] = nonok;
    s->tick_groups[s->ticks] = n;
    s->ticks++;
}

static void on_status(const cJSON *j, seen_t *s) {
    int i = group_index(cJSON_GetObjectItem(j, "group")->valuestring);
    if (i < 0) return;
    const char *status = cJSON_GetObjectItem(j, "status")->valuestring;
    char *text = cJSON_PrintUnformatted(j);
    snprintf(s->last_event[i], sizeof(s->last_event[i]), "%s", text);
    cJSON_free(text);
    if (i == ANALYTICS && !strcmp(status, "WARN") &&
        has_partition(j, "rule", "falling-behind"))
        s->reached[i] = 1;
    if (i == AUDIT && !strcmp(status, "ERR") &&
        has_partition(j, "status", "STALL"))
        s->reached[i] = 1;
    if (i == REPORTS && !strcmp(status, "ERR") &&
        has_partition(j, "status", "STOP"))
        s->reached[i] = 1;
}

/* Reads the complete events of the stream from *from on. */
static void read_stream(sse_stream_t *st, size_t *from, seen_t *s) {
    char *copy = sse_stream_copy(st, *from);
    char *end = strstr(copy, "\n\n"), *ev = copy;
    while (end) {
        *end = '\0';
        char event[32] = "";
        for (char *line = strtok(ev, "\n"); line; line = strtok(NULL, "\n")) {
            if (!strncmp(line, "event: ", 7)) {
                snprintf(event, sizeof(event), "%s", line + 7);
            } else if (!strncmp(line, "data: ", 6)) {
                cJSON *j = cJSON_Parse(line + 6);
                cr_assert_not_null(j, "not JSON: %s", line);
                if (!strcmp(event, "tick")) on_tick(j, s);
                if (!strcmp(event, "status")) on_status(j, s);
                cJSON_Delete(j);
            }
        }
        *from += (size_t)(end + 2 - ev);
        ev = end + 2;
        end = strstr(ev, "\n\n");
    }
    free(copy);
}

static bool all(const int *flags) {
    for (int g = 0; g < N_GROUPS; g++)
        if (!flags[g]) return false;
    return true;
}

Test(demo, no_warn_or_err_on_the_stream_until_the_evidence_then_each_behaviour,
     .timeout = 240) {
    char dir[256], ini[300];
    wp_tmpdir(dir, sizeof(dir));
    snprintf(ini, sizeof(ini), "%s.ini", dir);
    FILE *f = fopen(ini, "w");
    cr_assert_not_null(f, "%s", ini);
    fputs("[evaluator]\nexpire-cache = 0\n", f); /* a pass every second */
    fclose(f);
    char *args[] = {"--demo", "--demo-speed", "4", "--config", ini, NULL};
    wp_t w;
    cr_assert_eq(wp_start(&w, dir, args), 0, "warren did not start");
    sse_stream_t st;
    sse_stream_start(&st, w.port);

    static seen_t s;
    memset(&s, 0, sizeof(s));
    size_t from = 0;
    long deadline = wp_mono_ms() + 180000;
    while (!(all(s.left) && all(s.reached)) && wp_mono_ms() < deadline) {
        poll_api(&w, &s);
        read_stream(&st, &from, &s);
        wp_sleep_ms(25);
    }
    for (int g = 0; g < N_GROUPS; g++) {
        cr_assert(s.left[g], "%s never left warm-up", groups[g]);
        cr_assert_gt(s.warm_answers[g], 0, "%s never seen warming up",
                     groups[g]);
        cr_assert(s.reached[g], "%s never showed its behaviour; last event: %s",
                  groups[g], s.last_event[g]);
    }
    /* No tick before a group's last warming-up answer shows it WARN or
     * ERR, and some ticks came during the warm-up. */
    int64_t first_left = INT64_MAX;
    for (int g = 0; g < N_GROUPS; g++)
        if (s.warm_until[g] < first_left) first_left = s.warm_until[g];
    int during = 0;
    for (int k = 0; k < s.ticks; k++) {
        if (s.tick_t[k] < first_left) {
            during += s.tick_groups[k] > 0;
            cr_assert_eq(s.tick_nonok[k], 0, "tick %d during warm-up", k);
        }
        for (int g = 0; g < N_GROUPS; g++)
            cr_assert(
                !(s.tick_nonok[k] & (1 << g)) || s.tick_t[k] >= s.warm_until[g],
                "tick %d (t %lld) shows %s not OK, warming up at %lld", k,
                (long long)s.tick_t[k], groups[g], (long long)s.warm_until[g]);
    }
    cr_assert_gt(during, 0, "no tick with a group during the warm-up");
    sse_stream_stop(&st);
    cr_assert_eq(wp_stop(&w, NULL), 0);
}
