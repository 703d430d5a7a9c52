/* SPDX-License-Identifier: Apache-2.0 */
/* mon_trace_int: the trace reader's state, shared by mon_trace.c (one
 * line at a time) and mon_trace_batch.c (lines parsed ahead, taken in
 * order). Not for other modules. */
#ifndef MON_TRACE_INT_H
#define MON_TRACE_INT_H

#include <cjson/cJSON.h>

#include "monitor/base/mon_json_arena.h"
#include "monitor/sources/mon_trace.h"

struct mon_trace_reader_s {
    char *name;
    unsigned long line;   /* number of the line last passed in */
    unsigned long events; /* non-blank lines accepted */
    int have_t;           /* a line with t was accepted */
    int64_t last_t;       /* its t */
    unsigned long last_t_line;
    cJSON *tree;              /* tree of the last line; event strings */
    mon_json_arena_t *arena;  /* where tree lives, or NULL: cJSON's own */
    mon_trace_pexpect_t *pex; /* reused for expect lines */
    size_t pex_cap;
    mon_member_t *mem; /* reused for members lines */
    size_t mem_cap;
    mon_member_tp_t *tps;
    size_t tps_cap;
};

#endif
