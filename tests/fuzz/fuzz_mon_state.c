/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the loaders of Warren's state files (mon_codec's
 * header, then each file's body): the store snapshot (mon_store_load),
 * the history snapshot (mon_history_load), and the notifier's incidents
 * and delivery journal (both read by mon_notifier_new from a data dir).
 * Input: one byte choosing the file (bits 0-1) and whether the header is
 * made valid for the rest (bit 2: the checksums and lengths of a
 * current-version header are computed over the body, so the fuzzer
 * reaches the body parser; without it the header checks are fuzzed),
 * then the bytes. Every file must load or be refused with "PATH: why"
 * (no abort, no leak, no allocation beyond what the bytes can hold); a
 * store or history that loaded must save and load again. Seeds in
 * tests/fuzz/corpus_mon_state/ are files written by the code itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_codec.h"
#include "monitor/notify/mon_notifier.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static const struct {
    const char *file, *magic;
    uint32_t version;
    int append_only;
} kinds[4] = {
    {"store.snapshot", MON_STATE_MAGIC_STORE, 2, 0},
    {"history.snapshot", MON_STATE_MAGIC_HISTORY, 2, 0},
    {"notifier.incidents", MON_STATE_MAGIC_INCIDENTS, 3, 0},
    {"notifier.journal", MON_STATE_MAGIC_JOURNAL, 2, 1},
};

static void cleanup(void) {
    char path[96];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, kinds[i].file);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/again", dir);
    unlink(path);
    rmdir(dir);
}

static void put(const char *path, const void *a, size_t alen, const void *b,
                size_t blen) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen ||
        (blen && fwrite(b, 1, blen, f) != blen) || fclose(f) != 0)
        abort();
}

static void load_store(const char *path) {
    mon_store_config_t sc;
    char err[512] = "", again[96];
    mon_store_config_default(&sc);
    mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
    if (mon_store_load(st, path, err, sizeof(err)) == 0) {
        snprintf(again, sizeof(again), "%s/again", dir);
        if (mon_store_save(st, again, err, sizeof(err)) != 0 ||
            mon_store_load(st, again, err, sizeof(err)) != 0)
            abort(); /* what loaded must save and load again */
    } else if (!err[0]) {
        abort();
    }
    mon_store_destroy(st);
}

static void load_history(const char *path) {
    char err[512] = "", again[96];
    mon_history_t *h = mon_history_new(3600000, 60000, 86400000);
    if (mon_history_load(h, path, err, sizeof(err)) == 0) {
        snprintf(again, sizeof(again), "%s/again", dir);
        if (mon_history_save(h, again, err, sizeof(err)) != 0 ||
            mon_history_load(h, again, err, sizeof(err)) != 0)
            abort();
    } else if (!err[0]) {
        abort();
    }
    mon_history_destroy(h);
}

static void load_notifier(void) {
    mon_notifier_opts_t opts;
    char err[512] = "";
    mon_notifier_opts_default(&opts);
    opts.delivery.start_sender = false;
    mon_notifier_t *n =
        mon_notifier_new(NULL, 0, dir, NULL, &opts, err, sizeof(err));
    if (!n && !err[0]) abort();
    mon_notifier_destroy(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[96];
    int k;

    if (size < 1) return 0;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/fuzz_mon_state_XXXXXX");
        if (!mkdtemp(dir)) abort();
        atexit(cleanup);
    }
    k = data[0] & 3;
    for (int i = 0; i < 4; i++) { /* one state file at a time */
        snprintf(path, sizeof(path), "%s/%s", dir, kinds[i].file);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, kinds[k].file);
    if (data[0] & 4) {
        unsigned char hdr[MON_STATE_HEADER_SIZE];
        const uint8_t *body = data + 1;
        size_t blen = size - 1;
        mon_state_header(hdr, kinds[k].magic, kinds[k].version,
                         kinds[k].append_only ? NULL : body,
                         kinds[k].append_only ? 0 : blen);
        put(path, hdr, sizeof(hdr), body, blen);
    } else {
        put(path, data + 1, size - 1, NULL, 0);
    }
    switch (k) {
    case 0:
        load_store(path);
        break;
    case 1:
        load_history(path);
        break;
    default:
        load_notifier();
        break;
    }
    return 0;
}
