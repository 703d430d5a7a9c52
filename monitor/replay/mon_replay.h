/* SPDX-License-Identifier: Apache-2.0 */
/* mon_replay: replays a lag trace (samples/README.md) through a store and the
 * evaluator, printing status changes and checking `expect` lines.
 *
 * The trace's own times are the clock, so a replay gives the same output
 * on every machine. Each file is an independent trace with its own store
 * (its config line, or the defaults). Built on the assumption that traces
 * are long (millions of lines) and that events come in instants: lines
 * sharing a `t` are one instant, as a monitor polling every few seconds
 * records them. So:
 *  - head and commit lines are applied to the store as a live source would
 *    (mon_store_head / mon_store_commit with the line's t);
 *  - a group touched by a stored commit is evaluated at t once every line
 *    of that instant has been applied (a head changes no group by itself;
 *    its effect shows at the group's next commit or tick);
 *  - every `tick_ms` of virtual time from the first line (ticks strictly
 *    before the next instant), every known group is evaluated, so a STOP
 *    or an expiry that develops without events still shows. A gap whose
 *    ticks would cost more than MON_REPLAY_TICK_WORK partition
 *    evaluations (ticks x partitions of the live groups) is not ticked
 *    through: each group is evaluated at the gap's first and last tick,
 *    and only a group whose status differs is searched (bisection over
 *    the ticks) for the tick where it changed, and so on to the end. That
 *    is exact on the assumption that, with no event, time moves a group
 *    one way (every time rule compares a silence that only lengthens:
 *    no status comes back within a gap); the work is bounded by the
 *    groups whose status changes, times log2 of the ticks;
 *  - the store is bounded: at most MON_REPLAY_MAX_CELLS ring slots
 *    (partitions x intervals over every topic and group topic), a head
 *    or commit that would need more is bad input;
 *  - an `expect` line is checked at its own t, after the lines before it;
 *  - the rule set is the config line's `rules` (warren by default) unless
 *    the options name one; `truth` lines are read and ignored.
 * A change of a group's status (NOTFOUND before its first evaluation) is
 * printed as one line; at the end every group's final status is printed.
 * A file is mapped, its lines parsed on worker threads (mon_trace_pipe)
 * and applied here in order; a stream (stdin, a pipe) the same way, in
 * blocks of whole lines (up to 16 MiB, or what has come when the writer
 * pauses); nothing is allocated per event.
 */
#ifndef MON_REPLAY_H
#define MON_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "evaluator/ev_status.h"

/* Partition evaluations a gap may spend on exact ticking. */
#define MON_REPLAY_TICK_WORK 4000000
/* Ring slots (partitions x intervals) a replay's store may hold: 16 M,
 * 256 MB of head samples or 384 MB of windows. */
#define MON_REPLAY_MAX_CELLS (1LL << 24)

typedef enum mon_replay_format_e {
    MON_REPLAY_TEXT = 0,
    MON_REPLAY_JSON
} mon_replay_format_t;

typedef struct mon_replay_opts_s {
    mon_replay_format_t format;
    int64_t tick_ms; /* 0 = no ticks; default 10000 */
    bool check;      /* verify expect lines */
    bool quiet;      /* print no timeline or summary (check results only) */
    bool rules_set;  /* evaluate with `rules`, whatever the trace says */
    ev_rules_t rules;
    FILE *out; /* timeline, summary, check totals (default stdout) */
    FILE *err; /* bad input and failed expectations (stderr) */
} mon_replay_opts_t;

typedef struct mon_replay_stats_s {
    unsigned long lines; /* non-blank lines applied */
    unsigned long heads;
    unsigned long commits;     /* commit lines */
    unsigned long dropped;     /* heads and commits the store dropped */
    unsigned long expects;     /* expect lines checked */
    unsigned long failed;      /* expect lines that did not hold */
    unsigned long mismatches;  /* group or partition statuses that differ */
    unsigned long changes;     /* status changes printed */
    unsigned long memberships; /* members lines */
    unsigned long rebalances;  /* rebalances printed */
    unsigned long groups;      /* groups seen */
    unsigned long long evals;  /* partition evaluations done for ticks */
} mon_replay_stats_t;

/* Fills *o with the defaults (text, tick 10000, no check, the trace's
 * rule set, stdout/err). */
void mon_replay_opts_default(mon_replay_opts_t *o);

/* Replays one trace file (path "-" reads stdin). Returns 0 when the file
 * applied cleanly (and, with check, had at least one expect line and all
 * held), 1 when an expectation failed or there was none to check, 2 for
 * bad input: unreadable or empty file, or a malformed line (one message
 * "FILE:LINE: field 'x': why" on o->err; nothing after it is applied; a
 * head or commit beyond MON_REPLAY_MAX_CELLS is such a line too).
 * *stats (may be NULL) is filled in every case. */
int mon_replay_file(const char *path, const mon_replay_opts_t *o,
                    mon_replay_stats_t *stats);

#endif
