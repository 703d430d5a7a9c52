/* SPDX-License-Identifier: Apache-2.0 */
/* mon_version: see mon_version.h. The only file that includes the
 * generated header, so a new version recompiles one file. */
#include "monitor/base/mon_version.h"

#include "warren_version.h"

const char *mon_version(void) {
    return WARREN_VERSION;
}

const char *mon_version_user_agent(void) {
    return "Warren/" WARREN_VERSION;
}
