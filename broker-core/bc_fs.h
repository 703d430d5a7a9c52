/* SPDX-License-Identifier: Apache-2.0 */
/* bc_fs: the few file-system idioms broker-core repeats (and the monitor
 * shares: one copy of each).
 *
 * Whole-file rewrites go temp file -> fsync -> rename -> fsync of the
 * directory, so a reader sees the old file or the new one, never a mix,
 * even after a power cut. Thread-safe (no shared state).
 */
#ifndef BC_FS_H
#define BC_FS_H

#include <stddef.h>
#include <stdint.h>

/* Atomically replaces `<dir>/<name>` with data[0..len) through
 * `<dir>/<name>.tmp`. Returns 0 or BC_ERR_IO with errstr. */
int bc_fs_write_atomic(const char *dir, const char *name, const void *data,
                       size_t len, char *errstr, size_t errstr_size);

/* Writes all n bytes of p to fd, resuming after EINTR and short writes.
 * Returns 0, or -1 with errno set (a write of 0 bytes is EIO). */
int bc_fs_write_all(int fd, const void *p, size_t n);

/* bc_fs_write_all at file offset off (pwrite; the file offset of fd does
 * not move). Returns 0, or -1 with errno set. */
int bc_fs_pwrite_all(int fd, const void *p, size_t n, uint64_t off);

/* fsync of a directory (so renames/creates/unlinks in it are durable).
 * Returns 0 or BC_ERR_IO. */
int bc_fs_fsync_dir(const char *dir);

/* mkdir -p with mode 0755. Returns 0 or BC_ERR_IO with errstr. */
int bc_fs_mkdirs(const char *path, char *errstr, size_t errstr_size);

/* Reads a whole (small) file into a malloc'd, NUL-terminated buffer
 * (caller frees). Returns 0, BC_ERR_NOT_FOUND, BC_ERR_TOO_LARGE (over
 * max_len), BC_ERR_IO. */
int bc_fs_read_file(const char *path, size_t max_len, char **data, size_t *len,
                    char *errstr, size_t errstr_size);

/* Creates an empty file and fsyncs it and its directory. 0 or BC_ERR_IO. */
int bc_fs_touch(const char *dir, const char *name);

#endif
