/* SPDX-License-Identifier: Apache-2.0 */
/* stress_mon_store: the store's locking under many threads (built with
 * ThreadSanitizer by `make SANITIZE=thread test`).
 *
 * Two writers on two clusters (heads, commits with changing owners, group
 * deletes, expiry, snapshot save and load) race three readers using every
 * query (group eval and detail, lists, topic offsets, foreach_eval). Exits
 * 0 when every thread finished and the final state is what the writers
 * left; prints the failed check and exits 1 otherwise.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/store/mon_store.h"

#define ROUNDS 30000
#define READERS 3

static mon_store_t *st;
static int stop;
static long reads;
static char snap[64];

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "stress_mon_store: check failed: %s (line %d)\n",  \
                    #cond, __LINE__);                                          \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static int count_cb(const mon_group_eval_t *ev, void *arg) {
    CHECK(ev->status != EV_NOTFOUND);
    (*(long *)arg)++;
    return 0;
}

static void *reader(void *arg) {
    mon_group_eval_t ev = {0};
    mon_group_detail_t d = {0};
    mon_store_names_t names;
    int64_t *off;
    size_t n;
    long visited = 0;

    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
        if (mon_store_group_eval(st, "local", "g1", 1000000, NULL, &ev) == 0)
            CHECK(ev.count <= 7);
        mon_store_group_detail(st, "local", "g2", 1000000, &d);
        if (mon_store_groups(st, "local", 1000000, &names) == 0)
            mon_store_names_free(&names);
        if (mon_store_topic_consumers(st, "other", "x", 1000000, &names) == 0)
            mon_store_names_free(&names);
        if (mon_store_topic_offsets(st, "local", "t", &off, &n) == 0) free(off);
        mon_store_foreach_eval(st, 1000000, NULL, count_cb, &visited);
        __atomic_fetch_add(&reads, 1, __ATOMIC_RELAXED);
    }
    mon_group_eval_free(&ev);
    mon_group_detail_free(&d);
    return NULL;
}

static void *writer2(void *arg) {
    mon_store_cluster_t *cl = mon_store_cluster(st, "other");
    char owner[16];

    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        snprintf(owner, sizeof(owner), "host-%d", i % 5);
        mon_store_head(cl, "x", i % 3, 0, i, i);
        mon_store_commit(cl, "gx", "x", i % 3, i, i, owner, "c");
    }
    return NULL;
}

int main(void) {
    mon_store_config_t cfg;
    mon_store_cluster_t *cl;
    mon_group_eval_t ev = {0};
    pthread_t r[READERS], w2;
    char err[256];
    int fd;

    mon_store_config_default(&cfg);
    cfg.expire_group_ms = 5000;
    st = mon_store_new(&cfg, err, sizeof(err));
    CHECK(st != NULL);
    snprintf(snap, sizeof(snap), "/tmp/stress_mon_store_XXXXXX");
    fd = mkstemp(snap);
    CHECK(fd >= 0);
    close(fd);
    cl = mon_store_cluster(st, "local");
    for (int i = 0; i < READERS; i++)
        CHECK(pthread_create(&r[i], NULL, reader, NULL) == 0);
    CHECK(pthread_create(&w2, NULL, writer2, NULL) == 0);
    for (int i = 0; i < ROUNDS; i++) {
        mon_store_head(cl, "t", i % 7, 0, i, i);
        mon_store_commit(cl, i % 2 ? "g1" : "g2", "t", i % 7, i, i, "o",
                         i % 3 ? "c1" : "c2");
        if (i % 5000 == 4999) {
            mon_store_delete_group(st, "local", "g2");
            mon_store_expire(st, "local", i);
            CHECK(mon_store_save(st, snap, err, sizeof(err)) == 0);
            CHECK(mon_store_load(st, snap, err, sizeof(err)) == 0);
        }
    }
    CHECK(pthread_join(w2, NULL) == 0);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < READERS; i++)
        CHECK(pthread_join(r[i], NULL) == 0);
    CHECK(mon_store_group_eval(st, "local", "g1", ROUNDS, NULL, &ev) == 0);
    CHECK(ev.count == 7);
    /* A load may have put back a snapshot older than writer2's last
     * commits (even one without gx, or taken before writer2 had seen all
     * three partitions, when it started late), so write every partition
     * once more, then check. */
    cl = mon_store_cluster(st, "other");
    for (int p = 0; p < 3; p++) {
        CHECK(mon_store_head(cl, "x", p, 0, ROUNDS, ROUNDS) ==
              MON_STORE_STORED);
        CHECK(mon_store_commit(cl, "gx", "x", p, ROUNDS, ROUNDS, NULL, NULL) ==
              MON_STORE_STORED);
    }
    CHECK(mon_store_group_eval(st, "other", "gx", ROUNDS, NULL, &ev) == 0);
    CHECK(ev.count == 3);
    CHECK(ev.parts[0].last.offset == ROUNDS);
    mon_group_eval_free(&ev);
    mon_store_destroy(st);
    unlink(snap);
    printf("stress_mon_store: ok (%ld reader passes)\n", reads);
    return 0;
}
