/* SPDX-License-Identifier: Apache-2.0 */
/* mon_trace_pipe: a trace in memory (a mapped file) parsed on worker
 * threads, its events taken in file order on the caller's thread.
 *
 * The bytes are cut into chunks of about `chunk` bytes, each ending at a
 * line's end; workers parse chunks into batches (mon_trace_batch) ahead
 * of the caller, a few chunks at most, and the caller takes each line
 * through its own reader: the events, their order, the errors and the
 * reader's state are those of mon_trace_parse_line on every line in
 * turn. Parsing a trace line costs about twice what applying it to a
 * store does, so parsing on other cores is what lets a replay run at the
 * speed of its store and evaluator.
 *
 * Threads: start, next and stop on one thread (the caller's).
 */
#ifndef MON_TRACE_PIPE_H
#define MON_TRACE_PIPE_H

#include <stddef.h>

#include "monitor/sources/mon_trace.h"

/* Default chunk: about 7,000 lines of a typical trace. */
#define MON_TRACE_PIPE_CHUNK ((size_t)1 << 20)
/* Most worker threads a pipe starts. */
#define MON_TRACE_PIPE_MAX_THREADS 4

typedef struct mon_trace_pipe_s mon_trace_pipe_t;

/* Starts parsing [p, p + n) on `threads` workers (<= 0: one per online
 * CPU, at most MON_TRACE_PIPE_MAX_THREADS) in chunks of about `chunk`
 * bytes (0: MON_TRACE_PIPE_CHUNK). p must stay mapped until stop.
 * Returns 0, or -1 with *pp NULL and errstr set (a thread that cannot
 * start). */
int mon_trace_pipe_start(mon_trace_pipe_t **pp, const char *p, size_t n,
                         int threads, size_t chunk, char *errstr,
                         size_t errstr_size);

/* The next line's event, through rd (as mon_trace_parse_line). Returns
 * 1 and *ev, 0 after the last line, or -1 with errstr set (the line's
 * error: stop reading). ev's strings are valid until the next call. */
int mon_trace_pipe_next(mon_trace_pipe_t *pp, mon_trace_reader_t *rd,
                        mon_trace_event_t *ev, char *errstr,
                        size_t errstr_size);

/* Stops the workers (at once, whatever is left) and frees the pipe;
 * *pp NULL is fine. Sets *pp to NULL. */
void mon_trace_pipe_stop(mon_trace_pipe_t **pp);

#endif
