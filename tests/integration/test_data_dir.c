/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests of the data dir's ownership: one `warren serve` per
 * data dir. A second one on the same dir is refused with one line and
 * exit 2 before it reads or writes anything there, so the first one's
 * snapshots stay byte for byte (and inode for inode) what it wrote.
 */
#include <criterion/criterion.h>

#include "tests/integration/warren_proc.h"

#define TRACE "samples/stalled.jsonl"

typedef struct file_id_s {
    char *bytes;
    size_t len;
    ino_t ino;
    struct timespec mtime;
} file_id_t;

static void file_id(const char *dir, const char *leaf, file_id_t *out) {
    char path[400];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/%s", dir, leaf);
    cr_assert_eq(stat(path, &sb), 0, "%s missing", path);
    out->ino = sb.st_ino;
    out->mtime = sb.st_mtim;
    out->bytes = wp_read_file(path, &out->len);
    cr_assert_not_null(out->bytes, "%s unreadable", path);
}

static void assert_same(const char *dir, const char *leaf,
                        const file_id_t *before) {
    file_id_t now;
    file_id(dir, leaf, &now);
    cr_assert_eq(now.ino, before->ino, "%s was replaced", leaf);
    cr_assert(now.mtime.tv_sec == before->mtime.tv_sec &&
                  now.mtime.tv_nsec == before->mtime.tv_nsec,
              "%s was rewritten", leaf);
    cr_assert_eq(now.len, before->len, "%s changed size", leaf);
    cr_assert(memcmp(now.bytes, before->bytes, now.len) == 0, "%s changed",
              leaf);
    free(now.bytes);
}

static int count_lines(const char *s) {
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

/* Runs a second serve on `dir`, on `listen`; returns its exit code and
 * output (malloc'd) in *out. */
static int second_serve(const char *dir, const char *listen, char **out) {
    char *args[] = {"serve",     "--listen", (char *)listen, "--data-dir",
                    (char *)dir, "--replay", TRACE,          NULL};
    return wp_run(args, out);
}

/* Refused: exit 2, one line naming the dir. */
static void assert_refused(const char *dir, int rc, char *out) {
    cr_assert_eq(rc, 2, "second serve exited %d: %s", rc, out);
    cr_assert_eq(count_lines(out), 1, "want one line, got: %s", out);
    cr_assert(strstr(out, "in use by another warren"), "message: %s", out);
    cr_assert(strstr(out, dir), "message names the dir: %s", out);
    free(out);
}

Test(data_dir, second_serve_is_refused_and_writes_nothing) {
    wp_t w;
    char *args[] = {"--replay", TRACE, NULL};
    /* A first run leaves snapshots behind... */
    cr_assert_eq(wp_start(&w, NULL, args), 0, "warren did not start");
    cr_assert_eq(wp_stop(&w, NULL), 0);
    /* ...which the running instance owns. */
    wp_t a;
    cr_assert_eq(wp_start(&a, w.dir, args), 0, "warren did not restart");
    file_id_t store, history;
    file_id(a.dir, "store.snapshot", &store);
    file_id(a.dir, "history.snapshot", &history);

    /* Same port: before the lock, this one failed to listen and wrote its
     * stale state over the first one's on its way out. */
    char same[64], *out1 = NULL, *out2 = NULL;
    snprintf(same, sizeof(same), "127.0.0.1:%d", a.port);
    int rc1 = second_serve(a.dir, same, &out1);
    assert_same(a.dir, "store.snapshot", &store);
    assert_same(a.dir, "history.snapshot", &history);
    /* Another port: before the lock, both ran on one data dir. */
    int rc2 = second_serve(a.dir, "127.0.0.1:0", &out2);
    assert_same(a.dir, "store.snapshot", &store);
    assert_same(a.dir, "history.snapshot", &history);
    assert_refused(a.dir, rc1, out1);
    assert_refused(a.dir, rc2, out2);

    wp_resp_t r;
    cr_assert_eq(wp_http(&a, "GET", "/healthz", NULL, NULL, &r), 0,
                 "the first one still answers");
    cr_assert_eq(r.status, 200);
    wp_resp_free(&r);
    cr_assert_eq(wp_stop(&a, NULL), 0);
    free(store.bytes);
    free(history.bytes);
}

Test(data_dir, lock_is_released_at_exit) {
    wp_t w;
    char *args[] = {"--replay", TRACE, NULL};
    cr_assert_eq(wp_start(&w, NULL, args), 0);
    cr_assert_eq(wp_stop(&w, NULL), 0);
    wp_t again;
    cr_assert_eq(wp_start(&again, w.dir, args), 0,
                 "a clean stop leaves the dir usable");
    cr_assert_eq(wp_stop(&again, NULL), 0);
}

/* snapshot-interval below expire-cache (the evaluation interval) is kept:
 * snapshots run on their own timer, not after the next evaluation. */
Test(data_dir, snapshots_keep_their_interval_below_expire_cache) {
    char dir[256], cfgpath[300];
    wp_tmpdir(dir, sizeof(dir));
    snprintf(cfgpath, sizeof(cfgpath), "%s.ini", dir);
    FILE *f = fopen(cfgpath, "w");
    cr_assert_not_null(f);
    fprintf(f, "[general]\nsnapshot-interval = 1s\n"
               "[evaluator]\nexpire-cache = 120s\n");
    fclose(f);
    wp_t w;
    char *args[] = {"--replay", TRACE, "--config", cfgpath, NULL};
    cr_assert_eq(wp_start(&w, dir, args), 0, "warren did not start");
    char path[400];
    snprintf(path, sizeof(path), "%s/store.snapshot", dir);
    /* Two snapshots while the first evaluation interval (120 s) runs. */
    struct stat first = {0}, sb;
    int seen = 0;
    long deadline = wp_mono_ms() + 20000;
    while (seen < 2 && wp_mono_ms() < deadline) {
        if (stat(path, &sb) == 0 && (!seen || sb.st_ino != first.st_ino)) {
            first = sb;
            seen++;
        }
        wp_sleep_ms(100);
    }
    cr_assert_eq(seen, 2,
                 "%d snapshot(s) in 20 s with snapshot-interval "
                 "1s",
                 seen);
    cr_assert_eq(wp_stop(&w, NULL), 0);
    unlink(cfgpath);
}
