/* SPDX-License-Identifier: Apache-2.0 */
/* mon_service: the daemon's core: store, sources, the evaluation loop,
 * history and snapshots, wired from a configuration.
 *
 * The evaluation loop wakes every `eval_interval_ms` (the evaluator's
 * expire-cache, at least 1 s), evaluates every live group of every cluster
 * on that cluster's clock (a replay cluster runs on its trace's virtual
 * time), appends each result to the history, logs status transitions and
 * reports them (mon_query_events_t: plain structs, which the outputs
 * render), hands every evaluation to the observer (the notifier), and
 * reports one tick with every group's status and lag. Each pass
 * first frees the groups expired on their cluster's clock (expire-group:
 * each is reported NOTFOUND once and its history forgotten), and once a
 * minute the history drops what its tiers no longer keep, so memory
 * follows the groups alive, not every group ever seen. A snapshot of the
 * store and the history is written to the data dir every
 * snapshot-interval and at stop (expired groups are freed first, so none
 * is saved), and loaded at start, so a restart keeps windows and
 * history.
 *
 * The data dir belongs to one service at a time: _new takes an exclusive
 * flock on <data-dir>/warren.lock (holding our pid) before it reads or
 * writes anything else there, and keeps it until _destroy. A service that
 * never started (_start did not succeed) never writes a snapshot.
 *
 * Threads: each source has its own; the loop has one; everything the HTTP
 * layer reads (store, history, clocks, source status) is safe from any
 * thread. _new/_start/_stop/_destroy are for the owning thread only.
 */
#ifndef MON_SERVICE_H
#define MON_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_rules.h"
#include "monitor/config/mon_config.h"
#include "monitor/service/mon_query.h"
#include "monitor/sources/mon_source.h"
#include "monitor/store/mon_history.h"
#include "monitor/store/mon_store.h"

/* Receives every evaluation made by the loop (for the notifier). Runs on
 * the loop thread; `ev` is valid during the call only. */
typedef void (*mon_observe_fn)(void *arg, const mon_group_eval_t *ev);

typedef struct mon_service_s mon_service_t;

/* Builds the service for cfg (borrowed; must outlive it): creates and
 * locks the data dir, the store (loading its snapshot if present) and
 * every source (opening an embedded broker, checking a replay trace).
 * Returns NULL with errstr set naming what failed; "data dir D is in use
 * by another warren (pid N) ..." when another process holds the lock. */
mon_service_t *mon_service_new(const mon_config_t *cfg, char *errstr,
                               size_t errstr_size);

/* Where status changes and pass summaries go (copied; NULL: nowhere), and
 * where every evaluation goes; set before _start. */
void mon_service_set_events(mon_service_t *svc,
                            const mon_query_events_t *events);
void mon_service_set_observer(mon_service_t *svc, mon_observe_fn fn, void *arg);

/* Starts the sources and the loop. Returns 0 or -1 with errstr set. */
int mon_service_start(mon_service_t *svc, char *errstr, size_t errstr_size);

/* Stops the loop and the sources, then writes the final snapshot (only
 * when _start had succeeded). Idempotent. */
void mon_service_stop(mon_service_t *svc);

/* Stops if needed and frees everything; NULL is fine. */
void mon_service_destroy(mon_service_t *svc);

/* Read interface for the outputs (any thread). */
mon_store_t *mon_service_store(mon_service_t *svc);
mon_history_t *mon_service_history(mon_service_t *svc);
const ev_params_t *mon_service_params(mon_service_t *svc);

/* The evaluation clock of `cluster` at wall_ms (virtual for a replay
 * cluster, else wall_ms). */
int64_t mon_service_now(mon_service_t *svc, const char *cluster,
                        int64_t wall_ms);

/* The source feeding `cluster`, or NULL (e.g. a cluster only named by a
 * loaded snapshot). Owned by the service. */
mon_source_t *mon_service_source(mon_service_t *svc, const char *cluster);

/* Evaluates a group at now_ms as every output should see it: the store's
 * evaluation, with the source's exact time lag where it has one (the
 * embedded broker). Takes no lock across the source call. Returns 0 or
 * MON_ERR_NOTFOUND (then out->status is EV_NOTFOUND). */
int mon_service_group_eval(mon_service_t *svc, const char *cluster,
                           const char *group, int64_t now_ms,
                           mon_group_eval_t *out);

/* Runs one evaluation pass now (tests and the loop). */
void mon_service_eval_pass(mon_service_t *svc, int64_t wall_ms);

/* Copies the evaluation loop's counters since _new into *out (atomics:
 * any thread). */
void mon_service_counters(mon_service_t *svc, mon_query_counters_t *out);

/* Writes the snapshot now, freeing expired groups first (tests and the
 * loop; the owning thread, while the loop is not running). Returns 0, or
 * -1 when the store or the history could not be written (logged). */
int mon_service_snapshot(mon_service_t *svc);

#endif
