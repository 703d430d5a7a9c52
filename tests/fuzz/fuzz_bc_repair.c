/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: broker recovery (bc_log_open over bc_segment and
 * bc_index) on arbitrary segment and index files. The input is unpacked
 * into one partition directory, which is then opened three times:
 *
 *   1. as warren serve opens it (corruption refused): it must open or
 *      fail cleanly with BC_ERR_CORRUPT, and what opens must read back
 *      whole, answer lookups and take an append;
 *   2. with BC_LOG_OPEN_REPAIR | BC_LOG_OPEN_VERIFY (warren broker
 *      repair): it must open, whatever the bytes;
 *   3. as in 1 again: a repaired log must open, with the offsets the
 *      repair left.
 *
 * Anything else (a read past a buffer, a leak, a failed open after a
 * repair, offsets going backwards) aborts. Seeds in
 * tests/fuzz/corpus_bc_repair/ are real partitions written by the
 * broker (several segments, compacted gaps, a clean-shutdown marker).
 *
 * Input layout (integers big-endian):
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      1    flags: bit 0 clean-shutdown marker, bit 1 a recovery
 *                      point checkpoint
 *   1      8    the recovery point written when bit 1 is set
 *   9      ...  files, each: 1 byte kind (0 .log, 1 .index, 2 .timeindex,
 *               anything else .log), 4 bytes base offset, 4 bytes length
 *               N, N bytes of content (cut at the input's end)
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Empties the partition directory (files only; it has no sub-dirs). */
static void clear_dir(void) {
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[600];
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.' && (!de->d_name[1] || de->d_name[1] == '.'))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (d) closedir(d);
}

static void write_file(const char *name, const uint8_t *p, size_t n) {
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    if (n && write(fd, p, n) < 0) {
        /* a short file is an input like any other */
    }
    close(fd);
}

static void unpack(const uint8_t *data, size_t size) {
    static const char *const sfx[] = {".log", ".index", ".timeindex"};
    char name[64];
    if (size < 9) return;
    if (data[0] & 1) write_file(".kafka_cleanshutdown", NULL, 0);
    if (data[0] & 2) {
        int64_t rp = 0;
        for (int i = 1; i < 9; i++)
            rp = (int64_t)((uint64_t)rp << 8 | data[i]);
        int n = snprintf(name, sizeof(name), "0\n1\n%" PRId64 "\n", rp);
        write_file("recovery-point-offset-checkpoint", (const uint8_t *)name,
                   (size_t)n);
    }
    size_t pos = 9;
    for (int files = 0; pos + 9 <= size && files < 16; files++) {
        uint8_t kind = data[pos];
        uint32_t base = be32(data + pos + 1), len = be32(data + pos + 5);
        pos += 9;
        if (len > size - pos) len = (uint32_t)(size - pos);
        snprintf(name, sizeof(name), "%020" PRIu32 "%s", base,
                 sfx[kind < 3 ? kind : 0]);
        write_file(name, data + pos, len);
        pos += len;
    }
}

typedef struct walk_s {
    int64_t last;
    int64_t count;
    const char *phase;
} walk_t;

static int on_record(void *opaque, const bc_record_t *rec) {
    walk_t *w = opaque;
    if (rec->offset <= w->last) { /* offsets go forward */
        fprintf(stderr, "%s: offset %lld after %lld\n", w->phase,
                (long long)rec->offset, (long long)w->last);
        abort();
    }
    w->last = rec->offset;
    w->count++;
    volatile uint8_t sink = 0;
    if (rec->key_len > 0) sink ^= rec->key[rec->key_len - 1];
    if (rec->value_len > 0) sink ^= rec->value[rec->value_len - 1];
    (void)sink;
    return 0;
}

/* Reads everything, looks up a few offsets and times, appends a record. */
static void exercise(bc_log_t *log, const char *phase) {
    char err[256];
    int64_t start = bc_log_start_offset(log), end = bc_log_end_offset(log);
    if (start > end) abort();
    walk_t w = {start - 1, 0, phase};
    int64_t off = start;
    for (int rounds = 0; off < end && rounds < 10000; rounds++) {
        int64_t next = off;
        if (bc_log_read(log, off, 4096, on_record, &w, &next, err,
                        sizeof(err)) != 0 ||
            next <= off)
            break;
        off = next;
    }
    int64_t ts = 0, found = 0, o = 0;
    (void)bc_log_timestamp_of(log, start, &ts, &found);
    (void)bc_log_timestamp_of(log, start + (end - start) / 2, &ts, &found);
    (void)bc_log_offset_for_time(log, 0, &o, &ts);
    (void)bc_log_offset_for_time(log, INT64_MAX / 2, &o, &ts);
    bc_fetch_file_t ff;
    if (bc_log_fetch_file(log, start, 1000, &ff, err, sizeof(err)) == 0 &&
        ff.fd >= 0)
        close(ff.fd);
    bc_record_in_t r = {"k", 1, "v", 1, 1700000000000LL, NULL, 0};
    bc_append_info_t info;
    if (bc_log_append_records(log, &r, 1, 0, 1700000000000LL, &info, err,
                              sizeof(err)) == 0 &&
        info.base_offset != end)
        abort(); /* the next offset is the log end */
}

static bc_log_config_t small_config(void) {
    bc_log_config_t cfg = bc_log_config_default();
    cfg.segment_index_bytes = 4096; /* small preallocated indexes */
    cfg.index_interval_bytes = 256;
    cfg.segment_bytes = 1 << 16;
    return cfg;
}

static void remove_dir(void) {
    clear_dir();
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    int e = 0;
    if (!dir[0]) { /* tmpfs where there is one: fsync costs nothing */
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof(dir), "%s/fuzz_bc_repair.%d", base, (int)getpid());
        mkdir(dir, 0755);
        atexit(remove_dir);
    }
    clear_dir();
    unpack(data, size);
    bc_log_config_t cfg = small_config();

    /* 1. As serve opens it. */
    bc_log_t *log =
        bc_log_open(dir, &cfg, 0, 1700000000000LL, NULL, &e, err, sizeof(err));
    if (log) {
        exercise(log, "open");
        bc_log_close(log);
    } else if (e != BC_ERR_CORRUPT && e != BC_ERR_IO) {
        abort();
    }

    /* 2. As repair opens it: always succeeds. */
    bc_log_recovery_t rep;
    log = bc_log_open(dir, &cfg, BC_LOG_OPEN_REPAIR | BC_LOG_OPEN_VERIFY,
                      1700000000000LL, &rep, &e, err, sizeof(err));
    if (!log) {
        fprintf(stderr, "repair failed: %s\n", err);
        abort();
    }
    exercise(log, "repair");
    int64_t end = bc_log_end_offset(log);
    if (bc_log_close(log) != 0) abort();

    /* 3. Repaired, it opens as serve opens it, with what repair left. */
    log =
        bc_log_open(dir, &cfg, 0, 1700000000000LL, NULL, &e, err, sizeof(err));
    if (!log) {
        fprintf(stderr, "open after repair failed: %s\n", err);
        abort();
    }
    if (bc_log_end_offset(log) != end) abort();
    bc_log_close(log);
    return 0;
}
