/* SPDX-License-Identifier: Apache-2.0 */
/* api_static: serves the files of the dashboards/ folder.
 *
 * Nothing outside the folder is ever served. A request path is refused
 * (404) when any segment is "..", "." or empty, starts with '.' (hidden
 * files), or contains a backslash; encoded forms ("%2e%2e", "%2f") are
 * decoded by the router first and then refused the same way. The
 * surviving path is resolved with realpath() and must lie inside the
 * folder's own real path, so a symlink pointing outside is a 404 too; only
 * regular files are served, opened with O_NOFOLLOW. A directory serves its
 * index.html. HTML is sent with "Cache-Control: no-cache" (the dashboard
 * changes with the binary), other assets with a short max-age.
 *
 * The handle is immutable after _new, so serving takes no lock.
 */
#ifndef API_STATIC_H
#define API_STATIC_H

#include <stddef.h>

#include "http/server/api_router.h"

typedef struct api_static_s api_static_t;

/* New server for directory `root`. Returns NULL with errstr set when root
 * does not exist or is not a directory. */
api_static_t *api_static_new(const char *root, char *errstr,
                             size_t errstr_size);

/* Frees the handle; NULL is fine. */
void api_static_destroy(api_static_t *st);

/* Responds to req with the file rel (inside the root; traversal, hidden
 * files, symlinks out and non-regular files are refused), or a 404
 * JSON error. Any pool thread; no lock. */
void api_static_serve(const api_static_t *st, api_req_t *req, const char *rel);

#endif
