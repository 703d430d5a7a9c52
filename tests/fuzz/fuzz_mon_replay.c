/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the replay pipeline (mon_replay: trace parser, store,
 * evaluator, timeline and checks) on arbitrary traces. The first byte
 * picks the options (format, --check, rule set, tick); the rest is the
 * file, read the way warren replay reads one (mmap of a regular file).
 * Every input must replay or stop with exit code 2 and one line, within
 * the replay's bounds (MON_REPLAY_MAX_CELLS, MON_REPLAY_TICK_WORK): no
 * abort, no leak, no allocation beyond them. Seeds in
 * tests/fuzz/corpus_mon_replay/ are short traces. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "monitor/replay/mon_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const int64_t ticks[4] = {10000, 1000, 0, 60000};
    mon_replay_opts_t o;
    mon_replay_stats_t st;
    char path[64];
    int fd, rc;

    if (size < 1) return 0;
    if (!devnull) devnull = fopen("/dev/null", "w");
    fd = memfd_create("fuzz.jsonl", 0);
    if (fd < 0) abort();
    if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    mon_replay_opts_default(&o);
    o.format = data[0] & 1 ? MON_REPLAY_JSON : MON_REPLAY_TEXT;
    o.check = data[0] & 2;
    o.rules_set = data[0] & 4;
    o.rules = data[0] & 8 ? EV_RULES_BURROW : EV_RULES_WARREN;
    o.tick_ms = ticks[(data[0] >> 4) & 3];
    o.out = devnull;
    o.err = devnull;
    rc = mon_replay_file(path, &o, &st);
    if (rc < 0 || rc > 2) abort();
    close(fd);
    return 0;
}
