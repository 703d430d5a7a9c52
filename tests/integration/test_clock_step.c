/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of a wall-clock step: `warren serve --demo` under
 * libfaketime (Debian's faketime package), whose clock is moved 60 s back
 * while it runs (the monotonic clock is left alone, as an NTP step leaves
 * it). Warren must go on evaluating every second (never blind), keep every
 * group's status (a stopped consumer stays ERR instead of looking alive
 * for the length of the step, and nothing pages when time catches up),
 * and log the step.
 *
 * The events come from the daemon's own SSE stream (/v3/events): a "tick"
 * per evaluation pass with every group's status, a "status" per change.
 */
#include <criterion/criterion.h>
#include <pthread.h>

#include <cjson/cJSON.h>

/* warren_proc.h is header-only: this test uses part of it. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "tests/integration/sse_stream.h"
#include "tests/integration/warren_proc.h"

#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

/* What the stream held from byte `from` on: ticks (with the last tick's
 * time and the statuses it gave three groups) and status events for
 * those groups. */
typedef struct seen_s {
    int ticks;
    int64_t last_t;
    int t_went_back;
    char status[3][16];
    int changes;
    char change[256];
} seen_t;

static const char *watched[3] = {"reports", "billing", "archiver"};

static void scan(sse_stream_t *s, size_t from, seen_t *out) {
    memset(out, 0, sizeof(*out));
    char *copy = sse_stream_copy(s, from);
    char event[32] = "";
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "event: ", 7)) {
            snprintf(event, sizeof(event), "%s", line + 7);
            continue;
        }
        if (strncmp(line, "data: ", 6)) continue;
        cJSON *j = cJSON_Parse(line + 6);
        if (!j) continue; /* a line cut by the end of the buffer */
        if (!strcmp(event, "tick")) {
            int64_t t = (int64_t)cJSON_GetObjectItem(j, "t")->valuedouble;
            if (out->ticks && t < out->last_t) out->t_went_back = 1;
            out->ticks++;
            out->last_t = t;
            cJSON *g;
            cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "groups")) {
                const char *name = cJSON_GetObjectItem(g, "group")->valuestring;
                for (int i = 0; i < 3; i++)
                    if (!strcmp(name, watched[i]))
                        snprintf(out->status[i], sizeof(out->status[i]), "%s",
                                 cJSON_GetObjectItem(g, "status")->valuestring);
            }
        } else if (!strcmp(event, "status")) {
            const char *name = cJSON_GetObjectItem(j, "group")->valuestring;
            for (int i = 0; i < 3; i++)
                if (!strcmp(name, watched[i])) {
                    out->changes++;
                    snprintf(out->change, sizeof(out->change), "%s: %s -> %s",
                             name,
                             cJSON_GetObjectItem(j, "previous")->valuestring,
                             cJSON_GetObjectItem(j, "status")->valuestring);
                }
        }
        cJSON_Delete(j);
    }
    free(copy);
}

static void write_offset(const char *path, const char *offset) {
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f, "%s", tmp);
    fprintf(f, "%s\n", offset);
    fclose(f);
    cr_assert_eq(rename(tmp, path), 0);
}

Test(clock_step, a_wall_clock_step_back_neither_blinds_nor_pages,
     .timeout = 240) {
    struct stat sb;
    cr_assert_eq(stat(FAKETIME_LIB, &sb), 0,
                 "%s missing: install Debian's faketime (make deps)",
                 FAKETIME_LIB);
    /* libfaketime and ThreadSanitizer both wrap the clock and condition
     * calls: under TSan, run the plain build. */
    const char *build = getenv("BUILD");
    if (build && !strcmp(build, "build/thread"))
        setenv("WARREN_BIN", "build/default/warren", 1);

    char dir[256], ini[300], offset[300];
    wp_tmpdir(dir, sizeof(dir));
    snprintf(ini, sizeof(ini), "%s.ini", dir);
    snprintf(offset, sizeof(offset), "%s.faketime", dir);
    FILE *f = fopen(ini, "w");
    /* Burrow's rules: at five times the demo's speed the warren rules
     * judge 2 s windows, in which a loaded machine's scheduling pauses
     * (not Poisson noise) can show the healthy group falling behind for
     * a moment; this test is about the clock, not those pauses. */
    fputs("[evaluator]\nexpire-cache = 1s\nrules = burrow\n", f);
    fclose(f);
    write_offset(offset, "+0");

    setenv("LD_PRELOAD", FAKETIME_LIB, 1);
    setenv("FAKETIME_TIMESTAMP_FILE", offset, 1);
    setenv("FAKETIME_CACHE_DURATION", "1", 1);
    setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
    /* libfaketime 0.9.10 otherwise reads the deadline of a wait on a
     * CLOCK_MONOTONIC condition variable as wall-clock time, in the past:
     * every timed wait returns at once and each worker spins (a CPU per
     * thread; under ASan too slow to evaluate every second). */
    setenv("FAKETIME_FORCE_MONOTONIC_FIX", "0", 1);
    setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
    wp_t w;
    /* The demo five times faster: the stopped consumer is ERR within
     * seconds (the step and the passes after it run on real time). */
    char *args[] = {"--demo", "--demo-speed", "5", "--config", ini, NULL};
    int started = wp_start(&w, dir, args);
    unsetenv("LD_PRELOAD");
    cr_assert_eq(started, 0, "warren did not start under faketime");

    sse_stream_t s;
    sse_stream_start(&s, w.port);

    /* The demo's stopped consumer is ERR, the others OK. */
    seen_t seen;
    long deadline = wp_mono_ms() + 90000;
    for (;;) {
        scan(&s, 0, &seen);
        if (!strcmp(seen.status[0], "ERR") && !strcmp(seen.status[1], "OK") &&
            !strcmp(seen.status[2], "OK"))
            break;
        cr_assert_lt(wp_mono_ms(), deadline,
                     "demo never settled: reports %s, billing %s, "
                     "archiver %s",
                     seen.status[0], seen.status[1], seen.status[2]);
        wp_sleep_ms(200);
    }

    /* Step the clock 60 s back; faketime sees it within a second. */
    size_t mark = sse_stream_len(&s);
    write_offset(offset, "-60");
    /* 15 evaluation passes after the step (1 s each): a blind loop would
     * give none for 60 s. */
    deadline = wp_mono_ms() + 60000;
    do {
        scan(&s, mark, &seen);
        if (seen.ticks >= 15) break;
        wp_sleep_ms(200);
    } while (wp_mono_ms() < deadline);
    sse_stream_stop(&s);
    char *log = wp_read_file(w.log, NULL);
    cr_assert_eq(wp_stop(&w, NULL), 0);

    cr_assert_geq(seen.ticks, 15,
                  "only %d evaluations in 60 s after the "
                  "step",
                  seen.ticks);
    cr_assert_eq(seen.changes, 0, "a status changed after the step (%s)",
                 seen.change);
    cr_assert_str_eq(seen.status[0], "ERR", "the stopped consumer");
    cr_assert_not(seen.t_went_back, "evaluation time went back");
    cr_assert(strstr(log, "stepped back by"), "step not logged: %s", log);
    free(log);
    unlink(ini);
    unlink(offset);
}
