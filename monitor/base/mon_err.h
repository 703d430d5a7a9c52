/* SPDX-License-Identifier: Apache-2.0 */
/* mon_err: the monitor's one error-code space and its one message size.
 *
 * Every function of monitor/ and http/ that can fail returns 0 (or a
 * count) on success and -1 or one of the negative codes below on
 * failure; those with a message take char *errstr, size_t errstr_size
 * and write "where: why" there only on failure. A caller's buffer is
 * MON_ERRSTR_SIZE bytes: enough for a path, a line number and a reason.
 * broker-core has its own space (bc_err.h), the evaluator needs none.
 */
#ifndef MON_ERR_H
#define MON_ERR_H

#define MON_ERRSTR_SIZE 1024

#define MON_ERR_FAIL (-1)      /* failed; errstr says why */
#define MON_ERR_NOTFOUND (-2)  /* unknown cluster, topic or group */
#define MON_ERR_INVALID (-3)   /* bad argument or malformed input */
#define MON_ERR_IO (-4)        /* a file could not be read or written */
#define MON_ERR_VERSION (-5)   /* a record of a version not understood */
#define MON_ERR_MALFORMED (-6) /* truncated or bad lengths */
#define MON_ERR_LIMIT (-7)     /* well formed, but beyond a bound */

#endif
