/* SPDX-License-Identifier: Apache-2.0 */
/* bc_err: the error codes every broker-core function returns.
 *
 * Functions that can fail return 0 on success or one of these negative
 * codes; those that can say more also fill a caller-supplied errstr.
 * Codes are stable so callers (the monitor, the CLI, part-2 modules) can
 * branch on them; the text of errstr is for humans only.
 */
#ifndef BC_ERR_H
#define BC_ERR_H

#include <stddef.h>

#define BC_OK 0
#define BC_ERR_IO (-1)           /* a system call failed (errno in text) */
#define BC_ERR_CORRUPT (-2)      /* on-disk data failed a check */
#define BC_ERR_INVALID (-3)      /* bad argument or malformed input */
#define BC_ERR_OUT_OF_RANGE (-4) /* offset outside [log start, log end] */
#define BC_ERR_NOT_FOUND (-5)    /* unknown topic, partition or file */
#define BC_ERR_EXISTS (-6)       /* topic already exists */
#define BC_ERR_TOO_LARGE (-7)    /* record or batch over max.message.bytes */
#define BC_ERR_LOCKED (-8)       /* data dir or partition held elsewhere */
#define BC_ERR_OFFLINE (-9)      /* partition left offline (corrupt log) */

/* A static, human-readable name for a code ("corrupt data", ...); never
 * NULL. Thread-safe. */
const char *bc_err_str(int err);

/* Fills errstr (if errstr_size > 0) with printf-style text; returns err so
 * call sites can write `return bc_err_set(...)`. Thread-safe. */
int bc_err_set(int err, char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
