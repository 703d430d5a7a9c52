/* SPDX-License-Identifier: Apache-2.0 */
/* bc_fs: see bc_fs.h. */
#include "broker-core/bc_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_mem.h"

int bc_fs_fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return BC_ERR_IO;
    int rc = fsync(fd) < 0 ? BC_ERR_IO : 0;
    close(fd);
    return rc;
}

/* write() when off < 0, else pwrite() at off. */
static int put_all(int fd, const void *p, size_t n, int64_t off) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = off < 0 ? write(fd, c, n) : pwrite(fd, c, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        c += w;
        n -= (size_t)w;
        if (off >= 0) off += w;
    }
    return 0;
}

int bc_fs_write_all(int fd, const void *p, size_t n) {
    return put_all(fd, p, n, -1);
}

int bc_fs_pwrite_all(int fd, const void *p, size_t n, uint64_t off) {
    if (off > INT64_MAX) {
        errno = EINVAL;
        return -1;
    }
    return put_all(fd, p, n, (int64_t)off);
}

int bc_fs_write_atomic(const char *dir, const char *name, const void *data,
                       size_t len, char *errstr, size_t errstr_size) {
    char tmp[4096], dst[4096];
    int fd = -1;
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name) >=
        sizeof(tmp))
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: path too long",
                          dst);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) goto err;
    if (bc_fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) goto err;
    if (close(fd) < 0) {
        fd = -1;
        goto err;
    }
    fd = -1;
    if (rename(tmp, dst) < 0) goto err;
    if (bc_fs_fsync_dir(dir) < 0) goto err;
    return 0;
err:;
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", dst,
                      strerror(e));
}

int bc_fs_mkdirs(const char *path, char *errstr, size_t errstr_size) {
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return bc_err_set(BC_ERR_IO, errstr, errstr_size,
                          "bad directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", buf,
                              strerror(errno));
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: not a directory",
                          path);
    return 0;
}

int bc_fs_read_file(const char *path, size_t max_len, char **data, size_t *len,
                    char *errstr, size_t errstr_size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *data = NULL;
    if (fd < 0)
        return bc_err_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO,
                          errstr, errstr_size, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", path,
                          strerror(e));
    }
    if ((size_t)st.st_size > max_len) {
        close(fd);
        return bc_err_set(BC_ERR_TOO_LARGE, errstr, errstr_size,
                          "%s: %lld bytes, more than %zu", path,
                          (long long)st.st_size, max_len);
    }
    char *buf = bc_malloc((size_t)st.st_size + 1);
    size_t done = 0;
    while (done < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", path,
                              strerror(e));
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    close(fd);
    buf[done] = '\0';
    *data = buf;
    if (len) *len = done;
    return 0;
}

int bc_fs_touch(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return BC_ERR_IO;
    int rc = fsync(fd) < 0 ? BC_ERR_IO : 0;
    close(fd);
    if (rc == 0) rc = bc_fs_fsync_dir(dir);
    return rc;
}
