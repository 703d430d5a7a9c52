/* SPDX-License-Identifier: Apache-2.0 */
/* bc_test_util: small helpers shared by the broker-core unit tests
 * (temporary directories, file pokes). Header-only so every test_bc_*
 * binary still links nothing but libbc.a. */
#ifndef BC_TEST_UTIL_H
#define BC_TEST_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int bct_rm_cb(const char *path, const struct stat *st, int flag,
                     struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes a directory tree. */
static inline void bct_rmtree(const char *path) {
    nftw(path, bct_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes a fresh temporary directory under $TMPDIR or /tmp. */
static inline void bct_tmpdir(char *buf, size_t size, const char *tag) {
    const char *base = getenv("TMPDIR");
    snprintf(buf, size, "%s/warren-%s-XXXXXX", base ? base : "/tmp", tag);
    cr_assert_not_null(mkdtemp(buf), "mkdtemp %s", buf);
}

/* Size of a file, -1 if missing. */
static inline long long bct_file_size(const char *path) {
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long long)st.st_size;
}

/* XORs one byte of a file at `pos` with `mask`. */
static inline void bct_flip_byte(const char *path, long long pos,
                                 unsigned char mask) {
    int fd = open(path, O_RDWR);
    unsigned char c;
    cr_assert(fd >= 0, "open %s", path);
    cr_assert_eq(pread(fd, &c, 1, pos), 1);
    c ^= mask;
    cr_assert_eq(pwrite(fd, &c, 1, pos), 1);
    close(fd);
}

/* "<dir>/<20-digit base><sfx>" */
static inline void bct_seg_path(char *buf, size_t size, const char *dir,
                                long long base, const char *sfx) {
    snprintf(buf, size, "%s/%020lld%s", dir, base, sfx);
}

#endif
