/* SPDX-License-Identifier: Apache-2.0 */
/* stress_silence: the silences under concurrent use, for ThreadSanitizer
 * (Criterion programs cannot run under it).
 *
 * Two threads create and delete silences (each change goes through the
 * writer thread and the file), two threads match groups and copy the list
 * as the evaluation loop and the HTTP handlers do. Exits 0 when every
 * change was acknowledged, the silences left are exactly those not
 * deleted, and they read back the same from the file.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_log.h"
#include "monitor/notify/mon_silence.h"

#define CHANGES 60 /* per writer thread */
#define NOW 1715678467000LL

static mon_silences_t *sil;
static atomic_bool stop_readers;
static atomic_int failures;

typedef struct writer_s {
    int id;
    int kept; /* silences it left in place */
} writer_t;

static void *writer(void *arg) {
    writer_t *w = arg;
    char body[256], err[512];
    for (int i = 0; i < CHANGES; i++) {
        snprintf(body, sizeof(body),
                 "{\"group\": \"w%d-g%d\", \"until\": %lld, \"comment\": "
                 "\"stress\", \"created_by\": \"t%d\"}",
                 w->id, i, (long long)(NOW + 3600000), w->id);
        mon_silence_info_t *out = NULL;
        if (mon_silences_create(sil, body, strlen(body), NOW, &out, err,
                                sizeof(err)) != MON_SILENCE_OK) {
            fprintf(stderr, "stress_silence: create: %s\n", err);
            atomic_fetch_add(&failures, 1);
            continue;
        }
        if (i % 3 == 0) { /* delete every third again */
            if (mon_silences_delete(sil, out->id, NOW, err, sizeof(err)) !=
                MON_SILENCE_OK) {
                fprintf(stderr, "stress_silence: delete: %s\n", err);
                atomic_fetch_add(&failures, 1);
            }
        } else {
            w->kept++;
        }
        mon_silence_list_free(out, 1);
    }
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    unsigned n = 0;
    while (!atomic_load(&stop_readers)) {
        char group[32];
        snprintf(group, sizeof(group), "w%u-g%u", n % 2, n % CHANGES);
        mon_silences_match(sil, "local", group, NOW, NULL);
        mon_silence_info_t *v;
        size_t k;
        mon_silences_list(sil, NOW, NULL, NULL, &v, &k);
        mon_silence_list_free(v, k);
        mon_silences_active(sil, NOW);
        n++;
    }
    return NULL;
}

int main(void) {
    char dir[64], err[512], cmd[128];
    int rc = 1;
    mon_log_set_level(MON_LOG_FATAL);
    snprintf(dir, sizeof(dir), "/tmp/warren-stress-sil-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    sil = mon_silences_new(dir, err, sizeof(err));
    if (!sil) {
        fprintf(stderr, "stress_silence: %s\n", err);
        return 1;
    }
    pthread_t th[4];
    writer_t w[2] = {{0, 0}, {1, 0}};
    for (int i = 0; i < 2; i++)
        pthread_create(&th[2 + i], NULL, reader, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, writer, &w[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    atomic_store(&stop_readers, true);
    for (int i = 0; i < 2; i++)
        pthread_join(th[2 + i], NULL);
    size_t want = (size_t)(w[0].kept + w[1].kept);
    size_t got = mon_silences_active(sil, NOW);
    mon_silences_destroy(sil);
    sil = mon_silences_new(dir, err, sizeof(err));
    size_t again = sil ? mon_silences_active(sil, NOW) : 0;
    printf("stress_silence: %d changes, %zu kept, %zu active, %zu after "
           "a reload, %d failures\n",
           2 * CHANGES + CHANGES * 2 / 3, want, got, again,
           atomic_load(&failures));
    if (sil && atomic_load(&failures) == 0 && got == want && again == want)
        rc = 0;
    else
        fprintf(stderr, "stress_silence: counts do not add up\n");
    mon_silences_destroy(sil);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "stress_silence: cannot remove %s\n", dir);
    return rc;
}
