/* SPDX-License-Identifier: Apache-2.0 */
/* stress_mon_expiry: a day of short-lived consumer groups through the
 * store and the service's evaluation loop, on a simulated clock.
 *
 * 100 000 groups, a new one every ~0.86 s of the simulated day, each
 * committing every 30 s for 5 minutes and then going quiet; expire-group
 * is 10 minutes, so about 1 300 groups are alive at any time. The service
 * runs one evaluation pass per simulated minute (expiry, history pruning,
 * status transitions), as its loop would, and a snapshot at the end.
 *
 * Memory must stay flat: prints RSS (and the history's bytes) after the
 * first simulated hour, once the population is steady, and at the end of
 * the day, and fails when the store holds more groups than are alive,
 * the snapshot carries expired groups, the history keeps groups that are
 * gone, or (plain builds only: a sanitizer's allocator quarantine grows
 * RSS by design) RSS grew by more than MAX_GROWTH_KB. Exits 0 or 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/service/mon_service.h"

#define GROUPS 100000
#define DAY_MS (86400LL * 1000)
#define LIFE_MS (5LL * 60 * 1000) /* a group commits for 5 minutes */
#define EVERY_MS (30LL * 1000)    /* every 30 s */
#define PASS_MS (60LL * 1000)     /* one evaluation pass a minute */
#define EXPIRE_S 600              /* expire-group */
#define TOPICS 50
#define MAX_GROWTH_KB (8 * 1024)
#define MAX_SNAPSHOT (512 * 1024) /* bytes: a few thousand live groups */

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "stress_mon_expiry: check failed: %s (line %d)\n", \
                    #cond, __LINE__);                                          \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static long rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static size_t groups_held(mon_store_t *st, int64_t long_ago) {
    mon_store_names_t names = {0};
    CHECK(mon_store_groups(st, "c", long_ago, &names) == 0);
    size_t n = names.count;
    mon_store_names_free(&names);
    return n;
}

int main(void) {
    char dir[64] = "/tmp/stress_mon_expiry_XXXXXX";
    char text[512], err[512], path[128];
    CHECK(mkdtemp(dir) != NULL);
    mon_log_set_level(MON_LOG_WARN);
    snprintf(text, sizeof(text),
             "[general]\ndata-dir = %s\n"
             "[storage]\nexpire-group = %d\n",
             dir, EXPIRE_S);
    mon_config_t *cfg =
        mon_config_load_string(text, "stress.ini", err, sizeof(err));
    if (!cfg) fprintf(stderr, "stress_mon_expiry: %s\n", err);
    CHECK(cfg != NULL);
    mon_service_t *svc = mon_service_new(cfg, err, sizeof(err));
    CHECK(svc != NULL);
    mon_store_t *st = mon_service_store(svc);
    mon_history_t *h = mon_service_history(svc);
    mon_store_cluster_t *cl = mon_store_cluster(st, "c");

    /* The day ends now, so the final snapshot (taken on the wall clock)
     * sees the same clock as the last pass. */
    int64_t t0 = mon_clock_wall_ms() - DAY_MS;
    int64_t spacing = DAY_MS / GROUPS;
    long rss_warm = -1;
    size_t hist_warm = 0;
    int64_t next_pass = t0;
    int64_t head = 0;
    int first = 0; /* oldest group possibly still committing */
    for (int64_t t = t0; t <= t0 + DAY_MS; t += EVERY_MS) {
        head += 500;
        for (int k = 0; k < TOPICS; k++) {
            char topic[16];
            snprintf(topic, sizeof(topic), "topic-%02d", k);
            mon_store_head(cl, topic, 0, 1, head, t);
        }
        int born = (int)((t - t0) / spacing);
        if (born > GROUPS) born = GROUPS;
        while (first < born && t0 + first * spacing + LIFE_MS < t)
            first++;
        for (int i = first; i < born; i++) {
            char g[32], topic[16], owner[32];
            snprintf(g, sizeof(g), "short-lived-%06d", i);
            snprintf(topic, sizeof(topic), "topic-%02d", i % TOPICS);
            snprintf(owner, sizeof(owner), "/10.0.%d.%d", i / 250 % 250,
                     i % 250);
            mon_store_commit(cl, g, topic, 0, head - (i % 7) * 10, t, owner, g);
        }
        if (t >= next_pass) {
            mon_service_eval_pass(svc, t);
            next_pass += PASS_MS;
        }
        if (rss_warm < 0 && t - t0 >= 3600LL * 1000) {
            rss_warm = rss_kb();
            hist_warm = mon_history_bytes(h);
            printf("after 1 h:  %d groups seen, %zu held, RSS %ld kB, "
                   "history %zu kB\n",
                   born, groups_held(st, t0 - DAY_MS), rss_warm,
                   hist_warm / 1024);
        }
    }
    int64_t end = t0 + DAY_MS;
    mon_service_eval_pass(svc, end);
    long rss_end = rss_kb();
    size_t held = groups_held(st, t0 - DAY_MS);
    size_t hist_end = mon_history_bytes(h);
    printf("after 24 h: %d groups seen, %zu held, RSS %ld kB, history %zu "
           "kB\n",
           GROUPS, held, rss_end, hist_end / 1024);
    long growth = rss_end - rss_warm;
    printf("RSS growth from 1 h to 24 h: %ld kB (limit %d kB%s)\n", growth,
           MAX_GROWTH_KB, SANITIZED ? ", not enforced under a sanitizer" : "");
    /* Everyone committed within the last LIFE_MS + expire-group, at most. */
    size_t alive = (size_t)((LIFE_MS + EXPIRE_S * 1000LL) / spacing) + 2;
    CHECK(held <= alive);
    CHECK(hist_end <= hist_warm * 2 + 65536);

    CHECK(mon_service_snapshot(svc) == 0);
    snprintf(path, sizeof(path), "%s/store.snapshot", dir);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    printf("snapshot: %lld bytes\n", (long long)sb.st_size);
    CHECK(sb.st_size <= MAX_SNAPSHOT);
    if (!SANITIZED) CHECK(growth <= MAX_GROWTH_KB);
    mon_service_destroy(svc);
    mon_config_destroy(cfg);
    snprintf(text, sizeof(text), "rm -rf '%s'", dir);
    CHECK(system(text) == 0);
    printf("stress_mon_expiry: ok\n");
    return 0;
}
