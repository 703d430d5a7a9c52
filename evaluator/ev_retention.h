/* SPDX-License-Identifier: Apache-2.0 */
/* ev_retention: how close retention is to the records a group has not
 * read, per partition.
 *
 * Built on the assumption that the log start (ListOffsets earliest) only
 * moves forward, in steps (retention deletes whole segments), and that
 * the record at the committed offset is the first unread one, so it is
 * the first retention takes. Pure: the caller passes the partition's log
 * start samples, the topic's retention.ms, the committed offset, the
 * current lag and the time lag; nothing here reads a clock.
 *
 *   margin   = committed - log start (records; < 0: data loss, that many
 *              records were deleted before the group read them)
 *   data loss: committed < log start. Both rule sets show it as an
 *              overlay (ev_retention_overlay): the partition turns ERR
 *              with rule "data-loss", whatever the rules said, since the
 *              group will skip the deleted records (or reset), and no
 *              window shape explains that away. A partition whose log
 *              start is unknown is never touched, so the burrow rules
 *              stay Burrow's wherever a source tells no log start.
 *   eta_s    = while data waits (current lag > 0) and no data is lost,
 *              the headroom: seconds until retention could reach the
 *              committed offset if the group read no further (a group
 *              that keeps reading gets more), the smaller of
 *              - advance: margin / the log start's advance rate, measured
 *                from the oldest step held (EV_LOGSTART_STEPS steps back)
 *                to now, so a log start that stopped moving slows the
 *                rate down instead of keeping an old one; needs two
 *                steps seen (the first sample is not a step: it says
 *                nothing of when the log start got there). It covers
 *                retention.bytes (deletion paced by production), which
 *                no config alone can turn into seconds without record
 *                sizes, and DeleteRecords;
 *              - retention-ms: retention.ms - the committed record's age
 *                (its time lag), at least 0: the time-based bound, known
 *                from the first refresh, before any segment was ever
 *                deleted. A lower bound: Kafka deletes a segment once
 *                its newest record is older than retention.ms.
 *              eta_known false when neither is known (never 0 for
 *              unknown; 0 means retention may take it now).
 */
#ifndef EV_RETENTION_H
#define EV_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "evaluator/ev_rules.h"

/* Log start steps kept per partition. */
#define EV_LOGSTART_STEPS 8

/* retention.ms / retention.bytes not known (not read yet). */
#define EV_RETENTION_UNKNOWN INT64_MIN

/* One observed advance of the log start: its new offset, when seen. */
typedef struct ev_lstep_s {
    int64_t offset;
    int64_t t_ms;
} ev_lstep_t;

/* A topic partition's log start as a source samples it. Initialise with
 * ev_logstart_init; 168 bytes. */
typedef struct ev_logstart_s {
    int64_t offset;                      /* newest log start, -1 unknown */
    int64_t t_ms;                        /* when it was last sampled */
    ev_lstep_t steps[EV_LOGSTART_STEPS]; /* ring of advances */
    uint8_t start, count;
} ev_logstart_t;

/* What limits a partition's retention eta. */
typedef enum ev_eta_from_e {
    EV_ETA_NONE = 0,     /* not known */
    EV_ETA_ADVANCE,      /* "log-start-advance" */
    EV_ETA_RETENTION_MS, /* "retention-ms" */
} ev_eta_from_t;

typedef struct ev_retention_s {
    bool known;          /* log start and committed offset known */
    int64_t log_start;   /* -1 unknown */
    int64_t margin;      /* committed - log start, when known */
    bool data_loss;      /* committed < log start */
    double advance_rate; /* log start records/s (0 unless known) */
    bool advance_known;
    bool eta_known;
    double eta_s; /* >= 0 when known */
    ev_eta_from_t eta_from;
} ev_retention_t;

/* Empty: log start unknown, no steps. */
void ev_logstart_init(ev_logstart_t *ls);

/* Records a sample of the log start at t_ms: an advance is a step; a
 * log start that went back (the topic was recreated) forgets the steps.
 * Negative offsets are ignored. */
void ev_logstart_sample(ev_logstart_t *ls, int64_t offset, int64_t t_ms);

/* The advance rate in records per second at now_ms (oldest step held to
 * now). Returns true and sets *rate when two steps are held. */
bool ev_logstart_rate(const ev_logstart_t *ls, int64_t now_ms, double *rate);

/* Computes *out for one partition at now_ms. `ls` may be NULL (log start
 * unknown); committed < 0 is no commit; retention_ms -1 is unlimited,
 * EV_RETENTION_UNKNOWN not read; time lag as ev_result_t has it. Fills
 * *out completely; never fails. */
void ev_retention_eval(const ev_logstart_t *ls, int64_t committed,
                       int64_t current_lag, int64_t retention_ms,
                       bool time_lag_known, double time_lag_s, int64_t now_ms,
                       ev_retention_t *out);

/* Recomputes the eta of *out (filled by ev_retention_eval) with a time
 * lag learnt after it (a source's exact one). */
void ev_retention_retime(ev_retention_t *out, int64_t current_lag,
                         int64_t retention_ms, bool time_lag_known,
                         double time_lag_s);

/* The data-loss overlay: when ret says data loss, *r becomes ERR, rule
 * data-loss, left = log start, right = committed offset, no ETA (the
 * rules' numbers are lost: data loss outranks any of them). Otherwise
 * *r is unchanged. */
void ev_retention_overlay(ev_result_t *r, const ev_retention_t *ret);

/* "log-start-advance", "retention-ms", or NULL for EV_ETA_NONE. */
const char *ev_eta_from_name(ev_eta_from_t from);

#endif
