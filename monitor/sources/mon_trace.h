/* SPDX-License-Identifier: Apache-2.0 */
/* mon_trace: parser for lag traces (JSON Lines, see samples/README.md).
 *
 * A trace is read one line at a time: mon_trace_parse_line turns one line
 * into one event, or fails with a message naming the field and why. The
 * reader tracks the line number and the rule that times never decrease.
 * Strings in an event point into storage owned by the reader and stay valid
 * until the next call on the same reader.
 *
 * Accepted values (anything else is an error naming the field):
 *   t                  integer, 0 .. INT64_MAX, never below the previous t
 *   cluster            non-empty string, "local" when omitted
 *   topic, group       non-empty strings
 *   partition          integer, 0 .. INT32_MAX
 *   offset             integer, 0 .. INT64_MAX
 *   partitions (head)  integer, 1 .. INT32_MAX (optional)
 *   owner, client_id   strings (optional)
 *   status             expect: OK WARN ERR NOTFOUND; in partitions[]:
 *                      OK WARN STOP STALL REWIND
 *   intervals          integer, 1 .. 65535 (the window ring's limit)
 *   min_distance_ms, expire_group_ms, allowed_lag: integers, 0 .. INT64_MAX
 *   minimum_complete   number, 0 .. 1
 *   rules              config: "warren" (default) or "burrow"
 *   status (truth)     OK WARN ERR GRACE
 * Integers may be written as 1e3 or 2.0 when the value is integral; values
 * above 2^53 must be plain digits so they are read exactly. Unknown fields
 * are ignored; a known field given twice is an error. A config line must
 * come before any other non-blank line. Byte positions in messages are
 * 0-based offsets into the line.
 *
 * A `members` line (t, cluster, group, members; state, protocol and
 * generation optional) states a group's membership from t on, as its
 * coordinator would describe it:
 *   members            array (at most 10,000) of objects: member_id
 *                      (non-empty string, unique in the line), client_id
 *                      and host (strings, "" when omitted), assigned
 *                      (object: topic -> array of partitions; a
 *                      partition belongs to one member at most)
 *   state              string, "Stable" when omitted ("Empty" for no
 *                      members); mid-rebalance states are accepted and
 *                      skipped by the rebalance detection, as from a
 *                      source
 *   protocol           string, the assignor ("" when omitted)
 *   generation         integer, 0 .. INT32_MAX (unknown when omitted)
 * Replay gives it to the store as a source's description; each change of
 * the settled member set is a rebalance (evaluator/ev_deploy.h). An
 * expect line may carry `deployment`: "stop-the-world", "blue-green",
 * "rolling", "canary" or "none", what the group's newest rebalance must
 * have been classified as.
 *
 * A `truth` line (t, cluster, group, topic, partition, status) states
 * what a partition truly is from t on, as a simulator that made the trace
 * knows it: OK, WARN (falling behind), ERR (stalled or stopped with data
 * waiting) or GRACE (in transition: no verdict is right or wrong). Replay
 * ignores it; the verdict scorer (tests/verdict/) compares with it.
 */
#ifndef MON_TRACE_H
#define MON_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_deploy.h"
#include "evaluator/ev_status.h"
#include "monitor/store/mon_store_types.h"

typedef enum mon_trace_type_e {
    MON_TRACE_BLANK = 0, /* blank line: nothing to apply */
    MON_TRACE_CONFIG,
    MON_TRACE_HEAD,
    MON_TRACE_COMMIT,
    MON_TRACE_EXPECT,
    MON_TRACE_TRUTH,
    MON_TRACE_MEMBERS
} mon_trace_type_t;

/* The true state a truth line states. */
typedef enum mon_trace_truth_e {
    MON_TRUTH_OK = 0,
    MON_TRUTH_WARN,
    MON_TRUTH_ERR,
    MON_TRUTH_GRACE
} mon_trace_truth_t;

typedef struct mon_trace_config_s {
    int intervals;           /* default 10 */
    int64_t min_distance_ms; /* default 0 */
    int64_t expire_group_ms; /* default 604800000 */
    int64_t allowed_lag;     /* default 0 */
    double minimum_complete; /* default 0 */
    ev_rules_t rules;        /* default EV_RULES_WARREN */
} mon_trace_config_t;

/* One expected partition status of an expect line. */
typedef struct mon_trace_pexpect_s {
    const char *topic;
    int32_t partition;
    ev_status_t status;
} mon_trace_pexpect_t;

typedef struct mon_trace_event_s {
    mon_trace_type_t type;
    int64_t t;               /* ms since the epoch (not for config) */
    const char *cluster;     /* "local" when omitted */
    const char *topic;       /* head, commit, truth */
    const char *group;       /* commit, expect, truth */
    int32_t partition;       /* head, commit, truth */
    int64_t offset;          /* head, commit */
    int32_t partitions;      /* head: topic partition count, 0 if not given */
    const char *owner;       /* commit, NULL if not given */
    const char *client_id;   /* commit, NULL if not given */
    ev_status_t status;      /* expect: group status */
    mon_trace_truth_t truth; /* truth */
    const mon_trace_pexpect_t *pexpect; /* expect: listed partitions */
    size_t pexpect_count;
    mon_trace_config_t config;   /* config */
    bool deployment_set;         /* expect: deployment given */
    ev_deploy_t deployment;      /* expect */
    mon_group_members_t members; /* members: a borrowed description
                                  * (t_ms = t) */
} mon_trace_event_t;

typedef struct mon_trace_reader_s mon_trace_reader_t;

/* New reader for a trace named `name` (used in messages). Never NULL. */
mon_trace_reader_t *mon_trace_reader_new(const char *name);

/* Makes rd parse every later line into its own arena (mon_json_arena):
 * about 1.5 times the speed of cJSON's malloc per node, for a program
 * that reads whole traces and prints little JSON (warren replay). */
void mon_trace_reader_use_arena(mon_trace_reader_t *rd);

/* Frees the reader and the strings of its last event; NULL is fine. */
void mon_trace_reader_destroy(mon_trace_reader_t *rd);

/* Parses the next line (`len` bytes, no trailing newline required) into
 * *ev. Returns 0, or -1 with errstr set to "NAME:LINE: field 'x': why"
 * (invalid JSON, invalid UTF-8, unknown type, missing or mistyped field,
 * number beyond int64, decreasing t, config not on the first line). */
int mon_trace_parse_line(mon_trace_reader_t *rd, const char *line, size_t len,
                         mon_trace_event_t *ev, char *errstr,
                         size_t errstr_size);

/* The 1-based number of the line last passed to parse_line. */
unsigned long mon_trace_line_number(const mon_trace_reader_t *rd);

/* Fills *cfg with the defaults listed above. */
void mon_trace_config_default(mon_trace_config_t *cfg);

/* Number of non-blank lines accepted so far by parse_line. */
unsigned long mon_trace_event_count(const mon_trace_reader_t *rd);

/* Call after the last line. Returns 0, or -1 with errstr set to
 * "NAME: empty trace (no events)" when no non-blank line was accepted
 * (an empty or all-blank file is bad input). */
int mon_trace_reader_finish(const mon_trace_reader_t *rd, char *errstr,
                            size_t errstr_size);

/* A batch: whole lines parsed away from a reader, on any thread, then
 * taken in order through the reader (mon_trace_pipe runs batches on
 * worker threads). Taking a batch's lines gives the same events, errors
 * and reader state as mon_trace_parse_line on each line: head, commit
 * and truth lines are parsed in the batch (their strings copied into
 * it); a blank line is one blank event; every other line, and a line
 * the batch could not parse, is parsed again by the reader when taken. */
typedef struct mon_trace_batch_s mon_trace_batch_t;

/* A new, empty batch. Never NULL. */
mon_trace_batch_t *mon_trace_batch_new(void);

/* Frees the batch; NULL is fine. */
void mon_trace_batch_destroy(mon_trace_batch_t *b);

/* Parses the lines of [p, p + n) into b, replacing what it held. Lines
 * end at '\n' (or at p + n); n == 0 is no line. p must stay mapped while
 * the batch's lines are taken. One thread at a time per batch. */
void mon_trace_batch_parse(mon_trace_batch_t *b, const char *p, size_t n);

/* Lines in the batch. */
size_t mon_trace_batch_lines(const mon_trace_batch_t *b);

/* Takes line i (0-based, in order) of b through rd into *ev: as
 * mon_trace_parse_line(rd, that line, ...). ev's strings point into b or
 * into rd, valid until b is parsed again or rd's next call. */
int mon_trace_batch_take(mon_trace_reader_t *rd, const mon_trace_batch_t *b,
                         size_t i, mon_trace_event_t *ev, char *errstr,
                         size_t errstr_size);

/* "blank", "config", "head", "commit", "expect", "truth" or "members";
 * never NULL. */
const char *mon_trace_type_name(mon_trace_type_t type);

#endif
