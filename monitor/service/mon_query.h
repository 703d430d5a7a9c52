/* SPDX-License-Identifier: Apache-2.0 */
/* mon_query: the one read interface of the daemon's outputs.
 *
 * http/routes reads everything it shows through here: the clusters (each
 * with its configuration and its source's state), topics and their head
 * offsets, groups, a group's windows, its evaluation and its history. It
 * also carries the notifiers' state and a group's incidents, and the two
 * writes Burrow's API allows (deleting a group or one of its topics).
 * Every answer is a copy the caller owns (the plain types of
 * mon_store_types.h and mon_notify_types.h, mon_source_status_t), so no
 * reader ever holds a store or notifier lock or a pointer into them after
 * a call returns; the store, the history, the sources and the notifier
 * take their own locks inside each call.
 *
 * The service's events reach the outputs the same way, as plain structs:
 * mon_query_events_t is what the evaluation loop calls with every status
 * change and, once per pass, with every group's status and lag (the
 * outputs render them; the service renders nothing).
 *
 * A query is built over the daemon's service (groups evaluated exactly as
 * the loop evaluates them: on the cluster's clock, with the source's
 * exact time lag) or, for tests and benchmarks, over a bare store and
 * history with a clock of the caller's. It is immutable once built;
 * every function may be called from any thread.
 */
#ifndef MON_QUERY_H
#define MON_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_rules.h"
#include "evaluator/ev_status.h"
#include "monitor/base/mon_err.h" /* MON_ERR_*, MON_ERRSTR_SIZE */
#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_notify_types.h"
#include "monitor/sources/mon_source.h"
#include "monitor/store/mon_store_types.h"

struct mon_service_s;
struct mon_store_s;
struct mon_history_s;
struct mon_notifier_s;
struct mon_silences_s;

/* The evaluation time of `cluster` given the wall clock (a replay
 * cluster runs on its trace's clock). Called on any thread. */
typedef int64_t (*mon_query_clock_fn)(void *arg, const char *cluster,
                                      int64_t wall_ms);

/* What a query reads; every pointer is borrowed and must outlive it. */
typedef struct mon_query_src_s {
    struct mon_service_s *service; /* the daemon's; NULL: the fields below */
    struct mon_store_s *store;     /* without a service: required */
    struct mon_history_s *history; /* without a service: NULL = none */
    ev_params_t params;            /* without a service; intervals 0: the
                                    * store's */
    mon_query_clock_fn clock;      /* without a service; NULL: wall clock */
    void *clock_arg;
    const mon_config_t *config;      /* NULL: clusters known from the store */
    struct mon_notifier_s *notifier; /* NULL: no notifier state */
    struct mon_silences_s *silences; /* NULL: no silences */
} mon_query_src_t;

typedef struct mon_query_s mon_query_t;

/* New query over src (copied). Never NULL. */
mon_query_t *mon_query_new(const mon_query_src_t *src);

/* Frees it; NULL is fine. Only once no thread uses it. */
void mon_query_destroy(mon_query_t *q);

/* The configuration (immutable while the daemon runs), or NULL. */
const mon_config_t *mon_query_config(const mon_query_t *q);

/* The window size (intervals) of the store. */
int mon_query_intervals(const mon_query_t *q);

/* The evaluation clock of `cluster` at wall_ms. Every function below that
 * takes now_ms wants this clock, not the wall's. */
int64_t mon_query_now(const mon_query_t *q, const char *cluster,
                      int64_t wall_ms);

/* ---- clusters and topics ---- */

/* One cluster as GET /v3/kafka/:cluster shows it. */
typedef struct mon_query_cluster_s {
    const mon_config_cluster_t *config; /* NULL: known only to the store
                                         * (e.g. from a loaded snapshot) */
    bool has_source;                    /* a source feeds it */
    mon_source_status_t source;         /* its state, when has_source */
} mon_query_cluster_t;

/* Every cluster name, sorted. Returns 0. */
int mon_query_clusters(const mon_query_t *q, mon_store_names_t *out);

/* Fills *out for `cluster`. Returns 0, or MON_ERR_NOTFOUND when
 * neither the configuration nor the store knows it. */
int mon_query_cluster(const mon_query_t *q, const char *cluster,
                      mon_query_cluster_t *out);

/* The state of the source feeding `cluster`. Returns 0, or
 * MON_ERR_NOTFOUND when no source feeds it. */
int mon_query_source(const mon_query_t *q, const char *cluster,
                     mon_source_status_t *out);

/* The evaluation loop's counters since the service was built. */
typedef struct mon_query_counters_s {
    uint64_t evaluations; /* group evaluations made by passes */
    uint64_t passes;      /* evaluation passes done */
    int64_t last_pass_us; /* how long the last pass took; 0: none yet */
} mon_query_counters_t;

/* Copies them into *out. Returns 0, or MON_ERR_NOTFOUND without a
 * service (*out zeroed). */
int mon_query_counters(const mon_query_t *q, mon_query_counters_t *out);

/* Topics of a cluster. Returns 0 or MON_ERR_NOTFOUND (no cluster). */
int mon_query_topics(const mon_query_t *q, const char *cluster,
                     mon_store_names_t *out);

/* Newest head offset of each partition of a topic (-1: none yet) into a
 * malloc'd array the caller frees. Returns 0 or MON_ERR_NOTFOUND. */
int mon_query_topic_offsets(const mon_query_t *q, const char *cluster,
                            const char *topic, int64_t **offsets,
                            size_t *count);

/* The same for each partition's earliest offset (log start; -1 where
 * the source has not told it: a replay never does). */
int mon_query_topic_log_starts(const mon_query_t *q, const char *cluster,
                               const char *topic, int64_t **offsets,
                               size_t *count);

/* Live groups with windows on a topic at now_ms. Returns 0 or
 * MON_ERR_NOTFOUND (no cluster; an unknown topic has none). */
int mon_query_topic_consumers(const mon_query_t *q, const char *cluster,
                              const char *topic, int64_t now_ms,
                              mon_store_names_t *out);

/* ---- groups ---- */

/* Live groups of a cluster at now_ms, sorted. Returns 0 or
 * MON_ERR_NOTFOUND (no cluster). */
int mon_query_groups(const mon_query_t *q, const char *cluster, int64_t now_ms,
                     mon_store_names_t *out);

/* A group's windows and head rings at now_ms (see mon_group_detail_t:
 * zeroed or reused, freed with mon_group_detail_free). Returns 0 or
 * MON_ERR_NOTFOUND (unknown cluster, unknown or expired group). */
int mon_query_group_detail(const mon_query_t *q, const char *cluster,
                           const char *group, int64_t now_ms,
                           mon_group_detail_t *out);

/* A group's state and membership as its source last described it
 * (mon_group_members_t: zeroed or a previous copy, freed with
 * mon_group_members_free). Returns 0 or MON_ERR_NOTFOUND (no source
 * described it: a replay, brokers that cannot describe groups). */
int mon_query_group_members(const mon_query_t *q, const char *cluster,
                            const char *group, mon_group_members_t *out);

/* Evaluates a group at now_ms as the daemon does (mon_group_eval_t:
 * zeroed or reused, freed with mon_group_eval_free). Returns 0, or
 * MON_ERR_NOTFOUND (out->status is then EV_NOTFOUND). */
int mon_query_group_eval(const mon_query_t *q, const char *cluster,
                         const char *group, int64_t now_ms,
                         mon_group_eval_t *out);

/* True when the query has a history to read. */
bool mon_query_has_history(const mon_query_t *q);

/* The time the group entered its current status, or -1 if unknown. */
int64_t mon_query_status_since(const mon_query_t *q, const char *cluster,
                               const char *group);

/* The group's history samples with t_last >= since_ms, oldest first, in
 * a malloc'd array the caller frees. Returns 0, or MON_ERR_NOTFOUND
 * when it has none (*out NULL, *n 0). */
int mon_query_history(const mon_query_t *q, const char *cluster,
                      const char *group, int64_t since_ms, mon_hsample_t **out,
                      size_t *n);

/* The group's rebalances with t >= since_ms, oldest first (free with
 * mon_hrebalances_free). Returns 0, or MON_ERR_NOTFOUND when it has no
 * history (*out empty). */
int mon_query_rebalances(const mon_query_t *q, const char *cluster,
                         const char *group, int64_t since_ms,
                         mon_hrebalances_t *out);

/* The group's rebalance counters (zero when it has had none). Returns
 * 0, or MON_ERR_NOTFOUND when it has no history (*out zeroed). */
int mon_query_rebalance_stats(const mon_query_t *q, const char *cluster,
                              const char *group, mon_hrebalance_stats_t *out);

/* ---- the notifier ---- */

/* True when the query has a notifier to read. */
bool mon_query_has_notifier(const mon_query_t *q);

/* Every notifier's settings and counters and the recent deliveries
 * (mon_notifier_view_t: free with mon_notifier_view_free). Returns 0, or
 * MON_ERR_NOTFOUND without a notifier (*out then empty). */
int mon_query_notifiers(const mon_query_t *q, mon_notifier_view_t *out);

/* A group's incidents and timeline (mon_notifier_group_t: free with
 * mon_notifier_group_free); none for a group no notifier evaluated.
 * Returns 0, or MON_ERR_NOTFOUND without a notifier. */
int mon_query_incidents(const mon_query_t *q, const char *cluster,
                        const char *group, mon_notifier_group_t *out);

/* ---- silences (mon_silence.h) ---- */

/* True when the query has silences to read and change. */
bool mon_query_has_silences(const mon_query_t *q);

/* Copies the silences, newest first (free with mon_silence_list_free);
 * with cluster and group both given, only those in effect at now_ms that
 * match that group. Returns 0, or MON_ERR_NOTFOUND without silences. */
int mon_query_silences(const mon_query_t *q, int64_t now_ms,
                       const char *cluster, const char *group,
                       mon_silence_info_t **out, size_t *n);

/* Creates a silence from a JSON request body at wall time now_ms; *out
 * gets a copy of it (free with mon_silence_list_free(*out, 1)). Waits
 * until it is on disk. Returns MON_SILENCE_OK or an error (errstr: one
 * line naming the field and why), MON_SILENCE_NONE without silences. */
mon_silence_rc_t mon_query_silence_create(const mon_query_t *q,
                                          const char *body, size_t len,
                                          int64_t now_ms,
                                          mon_silence_info_t **out,
                                          char *errstr, size_t errstr_size);

/* Deletes silence id. Returns MON_SILENCE_OK, _NOT_FOUND, _IO, _SLOW or
 * _NONE (errstr set). */
mon_silence_rc_t mon_query_silence_delete(const mon_query_t *q, const char *id,
                                          int64_t now_ms, char *errstr,
                                          size_t errstr_size);

/* ---- events: what the evaluation loop reports, for the outputs ---- */

/* A group's status changed (or the group is gone: expired or deleted). */
typedef struct mon_query_change_s {
    int64_t t_ms; /* the evaluation's time on the cluster's clock;
                   * the pass's wall time for a group that is gone */
    const char *cluster;
    const char *group;
    ev_status_t status; /* EV_NOTFOUND for a group that is gone */
    ev_status_t previous;
    const char *explanation;    /* of the first non-OK partition, "" */
    const mon_group_eval_t *ev; /* the evaluation; NULL when gone */
} mon_query_change_t;

/* One group in a pass's summary. */
typedef struct mon_query_tick_group_s {
    const char *cluster;
    const char *group;
    ev_status_t status;
    int64_t totallag;
    int64_t maxlag;
    bool time_lag_known; /* some partition's time lag is known */
    double max_time_lag_s;
} mon_query_tick_group_t;

/* The end of an evaluation pass: every group evaluated in it. */
typedef struct mon_query_tick_s {
    int64_t t_ms; /* the pass's wall time */
    const mon_query_tick_group_t *groups;
    size_t count;
} mon_query_tick_t;

/* Where the evaluation loop sends its events; NULL members are skipped.
 * Called on the loop thread; what the pointers point to is valid during
 * the call only. In one pass: the changes of evaluated groups in order,
 * (each preceded by its rebalances), then those of groups that are gone,
 * then the tick. */
typedef struct mon_query_events_s {
    void (*change)(void *arg, const mon_query_change_t *c);
    void (*tick)(void *arg, const mon_query_tick_t *t);
    /* a group rebalanced (a change of its settled member set), classified
     * (evaluator/ev_deploy.h); before the group's evaluation in the pass */
    void (*rebalance)(void *arg, const char *cluster, const char *group,
                      const ev_rebalance_t *r);
    void *arg;
} mon_query_events_t;

/* ---- the writes Burrow's API allows ---- */

/* Removes a group and its history. Returns 0 or MON_ERR_NOTFOUND. */
int mon_query_delete_group(const mon_query_t *q, const char *cluster,
                           const char *group);

/* Removes one topic from a group. Returns 0 or MON_ERR_NOTFOUND. */
int mon_query_delete_group_topic(const mon_query_t *q, const char *cluster,
                                 const char *group, const char *topic);

#endif
