/* SPDX-License-Identifier: Apache-2.0 */
/* bc_err: see bc_err.h. */
#include "broker-core/bc_err.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

const char *bc_err_str(int err) {
    switch (err) {
    case BC_OK:
        return "success";
    case BC_ERR_IO:
        return "I/O error";
    case BC_ERR_CORRUPT:
        return "corrupt data";
    case BC_ERR_INVALID:
        return "invalid argument";
    case BC_ERR_OUT_OF_RANGE:
        return "offset out of range";
    case BC_ERR_NOT_FOUND:
        return "not found";
    case BC_ERR_EXISTS:
        return "already exists";
    case BC_ERR_TOO_LARGE:
        return "too large";
    case BC_ERR_LOCKED:
        return "locked by another user";
    case BC_ERR_OFFLINE:
        return "partition offline";
    default:
        return "unknown error";
    }
}

int bc_err_set(int err, char *errstr, size_t errstr_size, const char *fmt,
               ...) {
    if (errstr && errstr_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}
