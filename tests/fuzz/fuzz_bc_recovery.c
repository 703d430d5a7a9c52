/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: broker recovery (bc_log_open) on arbitrary partition
 * directories. Input: one flags byte (bit 0: BC_LOG_OPEN_REPAIR; bit 1:
 * the clean-shutdown marker), then files, each as one byte naming it
 * (below), a little-endian u16 length and that many bytes, until the
 * input ends. Every directory must open, or be refused with BC_ERR_*
 * and a message naming the file and byte; an opened log must be readable
 * from its start to its end, take one more append and close (no abort,
 * no leak, no read past a file). Seeds in tests/fuzz/corpus_bc_recovery/
 * are logs written by bc_log itself, with torn and flipped bytes. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
    "00000000000000000000.log",         "00000000000000000000.index",
    "00000000000000000000.timeindex",   "00000000000000000010.log",
    "00000000000000000010.index",       "00000000000000000010.timeindex",
    "recovery-point-offset-checkpoint", "cleaner-offset-checkpoint",
    "leader-epoch-checkpoint",          "00000000000000000000.log.swap",
    "00000000000000000010.log.cleaned", "00000000000000000000.log.deleted",
};
#define N_FILES (sizeof(files) / sizeof(files[0]))

static char dir[64];

static void clear(void) {
    char path[128];
    for (size_t i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", dir);
    unlink(path);
}

static void cleanup(void) {
    clear();
    rmdir(dir);
}

static int count_cb(void *opaque, const bc_record_t *rec) {
    (void)rec;
    (*(int64_t *)opaque)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[128], err[512];
    size_t pos = 1;
    int e = 0;

    if (size < 1) return 0;
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/fuzz_bc_recovery_XXXXXX");
        if (!mkdtemp(dir)) abort();
        atexit(cleanup);
    }
    clear();
    while (pos + 3 <= size) {
        size_t which = data[pos] % N_FILES;
        size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
        pos += 3;
        if (len > size - pos) len = size - pos;
        snprintf(path, sizeof(path), "%s/%s", dir, files[which]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || (len && write(fd, data + pos, len) != (ssize_t)len))
            abort();
        close(fd);
        pos += len;
    }
    if (data[0] & 2) {
        snprintf(path, sizeof(path), "%s/.kafka_cleanshutdown", dir);
        close(open(path, O_WRONLY | O_CREAT, 0644));
    }
    bc_log_config_t cfg = bc_log_config_default();
    bc_log_recovery_t rep;
    err[0] = '\0';
    bc_log_t *log = bc_log_open(dir, &cfg, data[0] & 1 ? BC_LOG_OPEN_REPAIR : 0,
                                1700000000000LL, &rep, &e, err, sizeof(err));
    if (!log) {
        if (!err[0] || e == 0) abort(); /* a refusal must say why */
        return 0;
    }
    bc_log_stats_t st;
    bc_log_stats(log, &st);
    int64_t off = st.log_start_offset, n = 0, next = off;
    while (off < st.log_end_offset) {
        if (bc_log_read(log, off, 1 << 16, count_cb, &n, &next, err,
                        sizeof(err)) != 0 ||
            next <= off)
            break;
        off = next;
    }
    bc_record_in_t rec = {.key = "k",
                          .key_len = 1,
                          .value = "v",
                          .value_len = 1,
                          .timestamp = -1};
    bc_append_info_t info;
    bc_log_append_records(log, &rec, 1, 0, 1700000001000LL, &info, err,
                          sizeof(err));
    bc_log_close(log);
    return 0;
}
