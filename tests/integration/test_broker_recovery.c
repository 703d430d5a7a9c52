/* SPDX-License-Identifier: Apache-2.0 */
/* Integration tests of broker recovery with the real binary: a data dir
 * whose one segment has one flipped byte, under each [broker]
 * on-corruption mode of `warren serve` (offline by default: that
 * partition out, logged and shown in the cluster's status, the rest
 * serving; refuse: serve does not start; truncate: cut and served), and
 * `warren broker repair`, which cuts the log at its last valid batch and
 * says what it cut.
 */
#include <criterion/criterion.h>

#include <cjson/cJSON.h>

#include "tests/integration/warren_proc.h"

TestSuite(broker_recovery, .timeout = 120);

typedef struct fixture_s {
    char dir[256];    /* serve's --data-dir */
    char broker[300]; /* its embedded cluster's data dir */
    char seg[400];    /* the segment that is corrupted */
    char ini[300];
    long long seg_size;
} fixture_t;

/* A data dir with topic "orders" of 3 partitions, 3 runs of 30 keyless
 * lines round-robin (so 3 batches of 10 records per partition), closed
 * cleanly; then one byte in the first batch of orders-1 is flipped (its
 * CRC fails and valid batches follow: corruption, not a torn write). The
 * config sets on-corruption (NULL: left to its default) and no Kafka
 * listener. */
static void corrupt_fixture(fixture_t *f, const char *mode) {
    memset(f, 0, sizeof(*f));
    wp_tmpdir(f->dir, sizeof(f->dir));
    cr_assert(f->dir[0]);
    snprintf(f->broker, sizeof(f->broker), "%s/broker", f->dir);
    for (int run = 0; run < 3; run++) {
        char cmd[2048];
        snprintf(cmd, sizeof(cmd),
                 "seq 1 30 | '%s' broker produce --data-dir '%s' --topic "
                 "orders --partitions 3 --partitioner roundrobin >/dev/null",
                 wp_bin(), f->broker);
        cr_assert_eq(system(cmd), 0, "%s", cmd);
    }
    snprintf(f->seg, sizeof(f->seg), "%s/orders-1/00000000000000000000.log",
             f->broker);
    int fd = open(f->seg, O_RDWR);
    cr_assert(fd >= 0, "%s", f->seg);
    unsigned char c;
    cr_assert_eq(pread(fd, &c, 1, 40), 1);
    c ^= 0x08;
    cr_assert_eq(pwrite(fd, &c, 1, 40), 1);
    struct stat st;
    cr_assert_eq(fstat(fd, &st), 0);
    f->seg_size = (long long)st.st_size;
    close(fd);
    snprintf(f->ini, sizeof(f->ini), "%s.ini", f->dir);
    FILE *fp = fopen(f->ini, "w");
    cr_assert(fp);
    fprintf(fp, "[broker]\nlisten = none\n");
    if (mode) fprintf(fp, "on-corruption = %s\n", mode);
    fclose(fp);
}

static void fixture_done(fixture_t *f) {
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s' '%s.log'", f->dir, f->ini,
             f->dir);
    (void)system(cmd);
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

static cJSON *get_json(const wp_t *w, const char *path) {
    wp_resp_t r;
    cr_assert_eq(wp_http(w, "GET", path, NULL, NULL, &r), 0, "GET %s", path);
    cr_assert_eq(r.status, 200, "GET %s: HTTP %ld: %s", path, r.status, r.body);
    cJSON *j = cJSON_ParseWithLength(r.body, r.len);
    cr_assert_not_null(j, "GET %s: not JSON: %s", path, r.body);
    wp_resp_free(&r);
    return j;
}

/* The topic's head offsets as the API reports them (-1: none yet), once
 * the source has announced the topic (bounded polling). */
static int topic_offsets(const wp_t *w, long long *out, int max) {
    for (int tries = 0; tries < 100; tries++) {
        wp_resp_t r;
        cr_assert_eq(
            wp_http(w, "GET", "/v3/kafka/local/topic/orders", NULL, NULL, &r),
            0);
        if (r.status == 200) {
            cJSON *j = cJSON_ParseWithLength(r.body, r.len);
            wp_resp_free(&r);
            cr_assert_not_null(j);
            const cJSON *arr = cJSON_GetObjectItem(j, "offsets");
            int n = 0;
            const cJSON *it;
            cJSON_ArrayForEach(it, arr) {
                if (n < max) out[n] = (long long)it->valuedouble;
                n++;
            }
            cJSON_Delete(j);
            return n;
        }
        wp_resp_free(&r);
        wp_sleep_ms(100);
    }
    cr_assert_fail("topic orders never showed up");
    return 0;
}

static char *start_args_ini(fixture_t *f, char **args) {
    args[0] = "--config";
    args[1] = f->ini;
    args[2] = NULL;
    return f->ini;
}

Test(broker_recovery, default_serves_with_the_corrupt_partition_offline) {
    fixture_t f;
    corrupt_fixture(&f, NULL);
    char *args[3];
    start_args_ini(&f, args);
    wp_t w;
    cr_assert_eq(wp_start(&w, f.dir, args), 0, "serve did not start: %s",
                 wp_read_file(w.log, NULL));
    /* One error line names the partition, the file and the byte. */
    char *log = wp_read_file(w.log, NULL);
    cr_assert(strstr(log, "ERROR partition offline") != NULL, "%s", log);
    cr_assert(strstr(log, "partition=orders-1") != NULL, "%s", log);
    cr_assert(strstr(log, "orders-1/00000000000000000000.log: byte 0") != NULL,
              "%s", log);
    free(log);
    /* The other partitions serve. */
    long long off[8];
    int n = topic_offsets(&w, off, 8);
    cr_assert_eq(n, 3);
    cr_expect_eq(off[0], 30);
    cr_expect_eq(off[2], 30);
    /* The cluster's status says which partition is out and why. */
    cJSON *j = get_json(&w, "/v3/kafka/local");
    const cJSON *st =
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "module"), "status");
    cr_assert_not_null(st, "no status");
    cr_expect_str_eq(cJSON_GetObjectItem(st, "state")->valuestring,
                     "available");
    const cJSON *nofl = cJSON_GetObjectItem(st, "offline_partitions");
    cr_assert(cJSON_IsNumber(nofl), "no offline_partitions");
    cr_expect_eq(nofl->valueint, 1);
    const char *why = cJSON_GetObjectItem(st, "offline")->valuestring;
    cr_expect(strncmp(why, "orders-1: ", 10) == 0, "%s", why);
    cr_expect(strstr(why, "byte 0") != NULL, "%s", why);
    cr_expect(strstr(cJSON_GetObjectItem(st, "last_error")->valuestring,
                     "orders-1") != NULL);
    cJSON_Delete(j);
    cr_assert_eq(wp_stop(&w, NULL), 0);
    /* Offline touches nothing: the bytes are still there to repair. */
    cr_assert_eq(file_size(f.seg), f.seg_size);
    fixture_done(&f);
}

Test(broker_recovery, refuse_keeps_serve_from_starting) {
    fixture_t f;
    corrupt_fixture(&f, "refuse");
    char *args[3];
    start_args_ini(&f, args);
    wp_t w;
    cr_assert_eq(wp_start(&w, f.dir, args), -1, "serve started");
    char *log = wp_read_file(w.log, NULL);
    cr_assert(strstr(log, "orders-1/00000000000000000000.log: byte 0") != NULL,
              "%s", log);
    cr_assert(strstr(log, "refusing to truncate") != NULL, "%s", log);
    cr_assert(strstr(log, "warren broker repair") != NULL, "%s", log);
    free(log);
    cr_assert_eq(file_size(f.seg), f.seg_size);
    fixture_done(&f);
}

Test(broker_recovery, truncate_cuts_the_bad_log_and_serves_it) {
    fixture_t f;
    corrupt_fixture(&f, "truncate");
    char *args[3];
    start_args_ini(&f, args);
    wp_t w;
    cr_assert_eq(wp_start(&w, f.dir, args), 0, "serve did not start");
    char *log = wp_read_file(w.log, NULL);
    cr_assert(strstr(log, "embedded broker recovery") != NULL, "%s", log);
    cr_assert(strstr(log, "truncated") != NULL, "%s", log);
    free(log);
    long long off[8];
    cr_assert_eq(topic_offsets(&w, off, 8), 3);
    cr_expect_eq(off[0], 30);
    cr_expect_eq(off[2], 30);
    cJSON *j = get_json(&w, "/v3/kafka/local");
    const cJSON *st =
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "module"), "status");
    cr_expect_null(cJSON_GetObjectItem(st, "offline_partitions"));
    cJSON_Delete(j);
    cr_assert_eq(wp_stop(&w, NULL), 0);
    cr_assert_eq(file_size(f.seg), 0, "the first batch was the bad one");
    fixture_done(&f);
}

Test(broker_recovery, repair_cuts_at_the_last_valid_batch_and_says_what) {
    fixture_t f;
    corrupt_fixture(&f, "refuse");
    /* Other commands refuse the data dir and point at repair. */
    char *out = NULL;
    char *topics[] = {"broker", "topics", "--data-dir", f.broker, NULL};
    cr_assert_eq(wp_run(topics, &out), 2);
    cr_assert(strstr(out, "byte 0") && strstr(out, "warren broker repair"),
              "%s", out);
    free(out);
    /* Not while a serve holds the data dir. */
    char *args[3];
    start_args_ini(&f, args);
    /* repair --format json: the cut, as numbers. */
    char *repair[] = {"broker",   "repair", "--data-dir", f.broker,
                      "--format", "json",   NULL};
    cr_assert_eq(wp_run(repair, &out), 0, "%s", out);
    const char *brace = strchr(out, '{');
    cr_assert_not_null(brace, "%s", out);
    cJSON *j = cJSON_Parse(brace);
    cr_assert_not_null(j, "%s", out);
    cr_expect_eq(cJSON_GetObjectItem(j, "partitions")->valueint, 3);
    cr_expect_eq((long long)cJSON_GetObjectItem(j, "bytes_cut")->valuedouble,
                 f.seg_size);
    const cJSON *rep = cJSON_GetObjectItem(j, "repaired");
    cr_assert_eq(cJSON_GetArraySize(rep), 1, "%s", out);
    const cJSON *r0 = cJSON_GetArrayItem(rep, 0);
    cr_expect_str_eq(cJSON_GetObjectItem(r0, "topic")->valuestring, "orders");
    cr_expect_eq(cJSON_GetObjectItem(r0, "partition")->valueint, 1);
    cr_expect_str_eq(cJSON_GetObjectItem(r0, "file")->valuestring, f.seg);
    cr_expect_eq(cJSON_GetObjectItem(r0, "byte")->valueint, 0);
    cr_expect_eq(cJSON_GetObjectItem(r0, "log_end_offset")->valueint, 0);
    cr_expect_eq(
        (long long)cJSON_GetObjectItem(r0, "bytes_truncated")->valuedouble,
        f.seg_size);
    cr_expect_eq(cJSON_GetObjectItem(r0, "segments_deleted")->valueint, 0);
    cr_expect(strstr(cJSON_GetObjectItem(r0, "reason")->valuestring, "CRC"),
              "%s", cJSON_GetObjectItem(r0, "reason")->valuestring);
    cJSON_Delete(j);
    free(out);
    cr_assert_eq(file_size(f.seg), 0);
    /* A second repair finds nothing (every segment re-checked). */
    char *again[] = {"broker", "repair", "--data-dir", f.broker, NULL};
    cr_assert_eq(wp_run(again, &out), 0, "%s", out);
    cr_expect(strstr(out, "nothing to repair") != NULL, "%s", out);
    free(out);
    /* And the data dir serves in refuse mode again, every partition. */
    wp_t w;
    cr_assert_eq(wp_start(&w, f.dir, args), 0, "serve did not start");
    long long off[8];
    cr_assert_eq(topic_offsets(&w, off, 8), 3);
    cr_expect_eq(off[0], 30);
    cr_expect_eq(off[2], 30);
    /* While serve runs, repair is refused in one line (exit 2). */
    cr_assert_eq(wp_run(again, &out), 2, "%s", out);
    cr_expect(strstr(out, "in use") != NULL, "%s", out);
    free(out);
    cr_assert_eq(wp_stop(&w, NULL), 0);
    fixture_done(&f);
}

Test(broker_recovery, repair_text_names_partition_file_byte_and_bytes) {
    fixture_t f;
    corrupt_fixture(&f, NULL);
    char *out = NULL;
    char *repair[] = {"broker", "repair", "--data-dir", f.broker, NULL};
    cr_assert_eq(wp_run(repair, &out), 0, "%s", out);
    char want[128];
    snprintf(want, sizeof(want),
             "orders-1: cut at byte 0 of 00000000000000000000.log");
    cr_expect(strstr(out, want) != NULL, "%s", out);
    snprintf(want, sizeof(want), "%lld bytes truncated", f.seg_size);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    cr_expect(strstr(out, "repaired 1 of ") != NULL, "%s", out);
    free(out);
    char *bad[] = {"broker", "repair", NULL};
    cr_assert_eq(wp_run(bad, &out), 2);
    cr_expect(strstr(out, "--data-dir is required") != NULL, "%s", out);
    free(out);
    fixture_done(&f);
}
