/* SPDX-License-Identifier: Apache-2.0 */
/* api_static: see api_static.h. Checks are layered on purpose: the
 * segment check refuses the obvious attacks cheaply, realpath + prefix
 * refuses symlink escapes, O_NOFOLLOW + fstat refuse a last component
 * swapped for a symlink or a non-regular file after resolution.
 */
#include "http/server/api_static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/server/api_json.h"
#include "monitor/base/mon_mem.h"

struct api_static_s {
    char *root; /* realpath of the folder, no trailing '/' (unless "/") */
    size_t root_len;
};

api_static_t *api_static_new(const char *root, char *errstr,
                             size_t errstr_size) {
    char real[PATH_MAX];
    struct stat sb;
    api_static_t *st;

    if (!root || !realpath(root, real)) {
        snprintf(errstr, errstr_size, "dashboard folder %s: %s",
                 root ? root : "(null)", strerror(root ? errno : EINVAL));
        return NULL;
    }
    if (stat(real, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(errstr, errstr_size, "dashboard folder %s: not a directory",
                 root);
        return NULL;
    }
    st = mon_calloc(1, sizeof(*st));
    st->root = mon_strdup(real);
    st->root_len = strlen(real);
    return st;
}

void api_static_destroy(api_static_t *st) {
    if (!st) return;
    free(st->root);
    free(st);
}

/* Content type for a file name by extension: html, css, js, json, svg,
 * png, ico, woff2, txt, map; "text/plain; charset=utf-8" otherwise. */
static const char *api_static_content_type(const char *name) {
    static const struct {
        const char *ext;
        const char *type;
    } tab[] = {
        {"html", "text/html; charset=utf-8"},
        {"htm", "text/html; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"ico", "image/x-icon"},
        {"woff2", "font/woff2"},
        {"txt", "text/plain; charset=utf-8"},
    };
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash : name, '.');
    if (dot) {
        for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
            if (strcasecmp(dot + 1, tab[i].ext) == 0) return tab[i].type;
    }
    return "text/plain; charset=utf-8";
}

/* Every segment of rel must be a plain, visible name. */
static int rel_is_safe(const char *rel) {
    const char *p = rel;
    if (rel[0] == '/') return 0; /* absolute */
    if (strchr(rel, '\\')) return 0;
    if (rel[0] == '\0') return 1;
    for (;;) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0) {
            /* a trailing '/' (directory) is fine; "a//b" is not */
            if (!end && p != rel) return 1;
            return 0;
        }
        if (p[0] == '.') return 0; /* ".", "..", hidden files */
        if (!end) return 1;
        p = end + 1;
    }
}

static int inside_root(const api_static_t *st, const char *real) {
    if (strncmp(real, st->root, st->root_len) != 0) return 0;
    if (st->root_len == 1) /* root is "/" */
        return 1;
    return real[st->root_len] == '/' || real[st->root_len] == '\0';
}

/* Resolves rel (decoded, relative to the root, "" = the root) to the real
 * path of a file inside the root, written to out. Returns 0, or -1 when
 * refused (traversal, hidden, not inside, not a regular file, missing). */
static int api_static_resolve(const api_static_t *st, const char *rel,
                              char *out, size_t out_size) {
    char joined[PATH_MAX];
    char real[PATH_MAX];
    struct stat sb;
    int n;

    if (!rel_is_safe(rel)) return -1;
    n = snprintf(joined, sizeof(joined), "%s/%s", st->root, rel);
    if (n < 0 || (size_t)n >= sizeof(joined)) return -1;
    if (!realpath(joined, real) || !inside_root(st, real)) return -1;
    if (stat(real, &sb) != 0) return -1;
    if (S_ISDIR(sb.st_mode)) {
        n = snprintf(joined, sizeof(joined), "%s/index.html", real);
        if (n < 0 || (size_t)n >= sizeof(joined)) return -1;
        if (!realpath(joined, real) || !inside_root(st, real)) return -1;
        if (stat(real, &sb) != 0) return -1;
    }
    if (!S_ISREG(sb.st_mode)) return -1;
    n = snprintf(out, out_size, "%s", real);
    if (n < 0 || (size_t)n >= out_size) return -1;
    return 0;
}

void api_static_serve(const api_static_t *st, api_req_t *req, const char *rel) {
    char path[PATH_MAX];
    struct stat sb;
    struct MHD_Response *resp;
    const char *ctype;
    int fd = -1;

    if (!st || api_static_resolve(st, rel, path, sizeof(path)) != 0)
        goto notfound;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) goto notfound;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) goto notfound;
    resp = MHD_create_response_from_fd((size_t)sb.st_size, fd);
    if (!resp) goto notfound;
    fd = -1; /* owned by the response now */
    ctype = api_static_content_type(path);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
                            strncmp(ctype, "text/html", 9) == 0
                                ? "no-cache"
                                : "public, max-age=300");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    api_resp_set(req, MHD_HTTP_OK, resp);
    return;

notfound:
    if (fd >= 0) close(fd);
    api_resp_error(req, MHD_HTTP_NOT_FOUND, "file not found");
}
