/* SPDX-License-Identifier: Apache-2.0 */
/* mon_version: the version this binary was built from, one string for
 * every place that shows it (`warren --version`, GET /v3/info, the
 * warren_build_info metric, the User-Agent of webhooks).
 *
 * The string is fixed at build time: `git describe --always --dirty` of
 * the source tree, or the VERSION file of a release tarball (Makefile,
 * build/<build>/gen/warren_version.h). Nothing reads it at run time.
 */
#ifndef MON_VERSION_H
#define MON_VERSION_H

/* The version, e.g. "v1.2.0-3-g1a2b3c4-dirty" or "1a2b3c4"; "unknown"
 * when the tree was neither a git checkout nor a tarball. Static storage,
 * never NULL; any thread. */
const char *mon_version(void);

/* "Warren/<version>", the User-Agent Warren sends. Static storage, never
 * NULL; any thread. */
const char *mon_version_user_agent(void);

#endif
