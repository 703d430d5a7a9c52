/* SPDX-License-Identifier: Apache-2.0 */
/* mon_history: bounded in-memory status and lag history per group.
 *
 * Every evaluation of a group appends one sample {t, status, totallag,
 * maxlag, max time lag}. The fine tier keeps every sample for `fine_ms`
 * (24 h by default) at the evaluation interval; samples that age out of it
 * are folded into a coarse tier of one sample per `coarse_step_ms` (the
 * worst status and the largest lags of the step), kept for `coarse_ms`.
 * Consecutive identical samples are merged (only the newest time moves), so
 * an idle group costs almost nothing. Memory per group is bounded.
 *
 * Each group also keeps its last MON_HISTORY_REBALANCES rebalances
 * (evaluator/ev_deploy.h: members joined and left, partitions moved, the
 * change and the deployment it was classified as), oldest first.
 *
 * Saved to and restored from a file (mon_history_save/load) so a restart
 * keeps the charts and the rebalances. File format, little-endian: the
 * state-file header of mon_codec.h (magic "WRNHIST\0", version 3, body
 * length, CRC-32C), then the body:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      32   state-file header (mon_codec.h)
 *   32     4    number of groups G
 *   36     ...  G groups: u16 length + cluster name, u16 length + group
 *               name, u32 fine count, samples, u32 coarse count, samples,
 *               u32 rebalance count R (at most 64), R rebalances
 *
 *   sample (44 bytes): i64 t, i64 t_last, i64 totallag, i64 maxlag,
 *               f64 max_time_lag_s (IEEE 754 bits), u32 status
 *   rebalance:  i64 t, i32 generation before, i32 generation (-1
 *               unknown), str state before, str state, u32 members
 *               before, u32 members, u32 joined total, u32 left total,
 *               u32 partitions moved, u8 canary shape (0/1), u8 change
 *               (ev_change_t), u8 deployment (ev_deploy_t), u32 joined
 *               listed J (at most 256), J members, u32 left listed L (at
 *               most 256), L members; a member is str member id, str
 *               client id, str host; str = u16 length + bytes
 *
 * Version 2 files (the same without the rebalance count and
 * rebalances) and version 1 files (magic, version 1, u64 body length,
 * CRC-32 (IEEE), group count, then version 2's groups from byte 28) are
 * still read.
 *
 * Locking: one mutex per history handle guards everything in it; every
 * function may be called from any thread.
 */
#ifndef MON_HISTORY_H
#define MON_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_status.h"
#include "monitor/store/mon_store_types.h"

typedef struct mon_history_s mon_history_t;

/* New history store keeping fine samples for fine_ms and coarse ones of
 * coarse_step_ms for coarse_ms. Never NULL. */
mon_history_t *mon_history_new(int64_t fine_ms, int64_t coarse_step_ms,
                               int64_t coarse_ms);

/* Frees everything; NULL is fine. */
void mon_history_destroy(mon_history_t *h);

/* Records one evaluation of cluster/group at s->t. Samples older than the
 * group's newest are ignored (time never goes back). */
void mon_history_add(mon_history_t *h, const char *cluster, const char *group,
                     const mon_hsample_t *s);

/* Copies the samples of cluster/group with t_last >= since_ms, oldest
 * first, into a malloc'd array the caller frees; *n is its length. Returns
 * 0, or -1 when the group has no history (*out NULL). */
int mon_history_get(mon_history_t *h, const char *cluster, const char *group,
                    int64_t since_ms, mon_hsample_t **out, size_t *n);

/* The time the group entered its current status (t of the first sample of
 * the newest run of equal statuses), or -1 if unknown. */
int64_t mon_history_status_since(mon_history_t *h, const char *cluster,
                                 const char *group);

/* Rebalances kept per group, and members listed per side of one. */
#define MON_HISTORY_REBALANCES 64
#define MON_HISTORY_REBALANCE_MEMBERS 256

/* Appends a copy of r to cluster/group's rebalances (members beyond
 * MON_HISTORY_REBALANCE_MEMBERS per side are not listed, the totals stay),
 * dropping the oldest beyond MON_HISTORY_REBALANCES. */
void mon_history_add_rebalance(mon_history_t *h, const char *cluster,
                               const char *group, const ev_rebalance_t *r);

/* Copies cluster/group's rebalances with t >= since_ms, oldest first,
 * into *out (free with mon_hrebalances_free). Returns 0, or -1 when the
 * group has no history (*out empty). */
int mon_history_rebalances(mon_history_t *h, const char *cluster,
                           const char *group, int64_t since_ms,
                           mon_hrebalances_t *out);

/* cluster/group's rebalance counters since the history was made or
 * loaded (a loaded file counts the rebalances it holds; zero for a group
 * with samples only). Returns 0, or -1 when the group has no history
 * (*out zeroed). */
int mon_history_rebalance_stats(mon_history_t *h, const char *cluster,
                                const char *group, mon_hrebalance_stats_t *out);

/* A copy of r in one allocation (members capped as above); free(). */
ev_rebalance_t *mon_rebalance_dup(const ev_rebalance_t *r);

/* Forgets cluster/group (group deleted or expired). */
void mon_history_forget(mon_history_t *h, const char *cluster,
                        const char *group);

/* Drops the samples of `cluster`'s groups older than the tiers keep at
 * now_ms (the cluster's own clock), and forgets groups left with none.
 * Returns the number of groups forgotten. */
size_t mon_history_prune(mon_history_t *h, const char *cluster, int64_t now_ms);

/* Writes every group's history to `path` (temp file, fsync, rename).
 * Returns 0 or -1 with errstr naming the file and why. */
int mon_history_save(mon_history_t *h, const char *path, char *errstr,
                     size_t errstr_size);

/* Replaces the history with the file's. The whole file is checked first;
 * on error the history is unchanged and errstr names the path, the byte
 * offset and why. Returns 0 or -1. */
int mon_history_load(mon_history_t *h, const char *path, char *errstr,
                     size_t errstr_size);

/* Bytes held, for metrics. */
size_t mon_history_bytes(mon_history_t *h);

#endif
