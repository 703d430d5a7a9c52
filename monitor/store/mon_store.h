/* SPDX-License-Identifier: Apache-2.0 */
/* mon_store: the offset store: head rings per topic partition and commit
 * windows per consumer group partition, per cluster (Burrow's storage).
 *
 * Built on the assumption that commits vastly outnumber everything else:
 * a commit is one lock, two cached-hash lookups and a 24-byte ring write.
 * A group's windows for one topic live in one contiguous array with the
 * ring slots inline (344 bytes per group partition at intervals = 10: 240
 * of ring slots, 72 of the warren rules' evidence beyond the window, 32 of
 * ring header, owner and client id (one interned pair) and the timestamp
 * of the record at the committed offset), so a store tracking a million
 * group partitions holds about 344 MB.
 *
 * Rules (Burrow's storage rules, exactly):
 *  - A head appends to its partition's head ring (no de-duplication). A
 *    topic's partition count = max(given count, highest partition seen + 1)
 *    and only grows.
 *  - A commit is dropped when its topic has no head yet, its partition is
 *    < 0 or >= the count, or that partition has no head yet. On a group's
 *    first commit to a topic the group gets an empty window for every
 *    partition of the topic; when the topic grows, so do the group's
 *    partitions (partitions that never commit evaluate OK, complete 0).
 *  - The lag stored with a commit is max(0, newest head - offset).
 *  - An appended commit goes through ev_warren_push: the commit falling
 *    off a full window is folded into the window's evidence (ev_warren.h),
 *    which snapshots keep, so a restart resumes the warren rules' long
 *    spans too.
 *  - min-distance: when the window is not empty and t - newest.t <
 *    min_distance_ms, the commit replaces the newest entry's offset and lag
 *    and keeps its timestamp; otherwise it is appended (oldest falls off).
 *  - A group whose last commit is more than expire_group_ms before now is
 *    expired: readers report it NOTFOUND and skip it in lists; it is freed
 *    by mon_store_expire() or by the next write to it (a commit to an
 *    expired group starts it afresh, exactly as if it had been removed).
 *    A source that sees a group alive without a new commit (Kafka's admin
 *    API lists it with its committed offsets, which have not changed)
 *    says so with mon_store_group_seen(); expiry then counts from the
 *    newer of that time and the last commit.
 *  - Group allow/deny lists are POSIX extended regexes matched unanchored;
 *    commits of a group that is denied or not allowed are dropped.
 *  - Beside each head ring, a topic partition keeps its log start (the
 *    earliest offset, mon_store_log_start) and its last EV_LOGSTART_STEPS
 *    advances, and a topic its retention.ms and retention.bytes
 *    (mon_store_topic_config); a group evaluation computes each
 *    partition's retention margin and eta from them and shows data loss
 *    (committed < log start) as ERR, rule data-loss (ev_retention.h).
 *    Neither is kept in snapshots: sources tell them every refresh (the
 *    advance rate starts again after a restart).
 *
 * Locks: st->clusters_lock (a mutex) guards the list of clusters, which
 * only grows; a mon_store_cluster_t handle stays valid until the store is
 * destroyed. Each cluster has one pthread_rwlock guarding everything in it
 * (topics, head rings, groups, windows, owners, memberships, the interned
 * strings and the writer's lookup cache): writers (head, commit, delete,
 * expire, load) take it exclusive, readers (every query below) take it shared
 * and copy out what they return, so no pointer into the store ever leaves a
 * call. Never held across a callback. The configuration is immutable.
 *
 * Snapshot file (mon_store_save / mon_store_load), little-endian: the
 * state-file header of mon_codec.h (magic "WRNSTORE", version 4, body
 * length, CRC-32C), then the body:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      32   state-file header (mon_codec.h)
 *   32     4    intervals of the store that wrote it
 *   36     4    number of clusters
 *   40     ...  the clusters, one after the other
 *
 * Version 1 files (magic, version 1, intervals, u64 body length, CRC-32
 * (IEEE) of the body, cluster count, then the same clusters from byte
 * 32), version 2 files (clusters without log places) and version 3
 * files (partitions without the windows' evidence, which starts empty)
 * are still read; the next save writes version 4.
 *
 *   cluster:  u16 name length N, N bytes name, u32 topic count, topics,
 *             u32 group count, groups, then (version 3 on) u32 count K of
 *             log places and K times {u32 log partition, i64 next offset
 *             to apply} (see mon_store_commit_at)
 *   topic:    u16 N, N bytes name, u32 partition count P, then P times:
 *             u16 head sample count H, H times {i64 offset, i64 t_ms}
 *             (oldest first)
 *   group:    u16 N, N bytes name, i64 last activity t_ms (the last
 *             commit, or the newer time a source saw the group alive:
 *             what expiry counts from; loaded as the last commit), u32
 *             topic count, group topics
 *   gtopic:   u16 N, N bytes topic name (a topic present above), u32
 *             partition count P, then P times: u16 owner length, owner,
 *             u16 client_id length, client_id, u16 entry count E, E times
 *             {i64 offset, i64 t_ms, i64 lag} (oldest first), then
 *             (version 4) the window's evidence: 3 marks (anchor,
 *             mid[0], mid[1]), each {i64 t_ms, i64 offset, u32 lag, u32
 *             var} (ev_mark_t, ev_window.h)
 *
 * Names are 1..65535 bytes; counts are bounded by the bytes left. Rings
 * longer than the loading store's intervals keep their newest entries.
 */
#ifndef MON_STORE_H
#define MON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_group.h"
#include "evaluator/ev_rules.h"
#include "evaluator/ev_window.h"
#include "monitor/base/mon_err.h"
#include "monitor/store/mon_store_types.h"

/* Partition counts above this are refused (memory safety for bad input). */
#define MON_STORE_MAX_PARTITIONS (1 << 20)

/* Errors (negative) returned by the functions below, from mon_err.h:
 * MON_ERR_NOTFOUND (unknown cluster, topic or group), MON_ERR_INVALID
 * (bad argument or file contents), MON_ERR_IO (file error, message in
 * errstr). */

typedef struct mon_store_config_s {
    int intervals;               /* window and head ring size, 1..65535 */
    int64_t min_distance_ms;     /* Burrow's min-distance, 0 = off */
    int64_t expire_group_ms;     /* Burrow's expire-group */
    const char *group_allowlist; /* regex, NULL or "" = allow all */
    const char *group_denylist;  /* regex, NULL or "" = deny none */
    int64_t max_cells; /* bound on ring slots held (head slots + window
                        * slots: partitions x intervals summed over
                        * topics and group topics); 0 = no bound */
} mon_store_config_t;

/* What happened to one head or commit (>= 0), for sources and tests. */
typedef enum mon_store_outcome_e {
    MON_STORE_STORED = 0,     /* appended */
    MON_STORE_MERGED,         /* commit replaced the newest (min-distance) */
    MON_STORE_DROP_NO_TOPIC,  /* commit: the topic has no head yet */
    MON_STORE_DROP_PARTITION, /* partition < 0 or >= the count */
    MON_STORE_DROP_NO_HEAD,   /* commit: that partition has no head yet */
    MON_STORE_DROP_FILTERED,  /* commit: group denied / not allowed */
    MON_STORE_DROP_BOUND,     /* growing the rings would pass max_cells */
    MON_STORE_DROP_REPLAYED,  /* _at: that place in the log is applied */
    MON_STORE_DROP_UNCHANGED  /* _at if_changed: the newest entry of a full
                               * window holds it */
} mon_store_outcome_t;

/* A place in the log a source reads (a partition of __consumer_offsets
 * and a record's offset in it): where a write comes from. */
typedef struct mon_store_pos_s {
    int32_t part;   /* 0 .. MON_STORE_MAX_LOG_PARTS - 1 */
    int64_t offset; /* >= 0 */
} mon_store_pos_t;

#define MON_STORE_MAX_LOG_PARTS 65536

typedef struct mon_store_s mon_store_t;
typedef struct mon_store_cluster_s mon_store_cluster_t;

/* Called by mon_store_foreach_eval for every live group, with no lock
 * held; `ev` is valid only during the call. Return non-zero to stop. */
typedef int (*mon_store_eval_cb)(const mon_group_eval_t *ev, void *arg);

/* ---- lifecycle ---- */

/* Fills *cfg with Burrow's defaults: intervals 10, min-distance 0,
 * expire-group 7 days, no allow/deny list. */
void mon_store_config_default(mon_store_config_t *cfg);

/* New empty store. Returns NULL with errstr set when intervals is out of
 * range or a regex does not compile. The config strings are copied. */
mon_store_t *mon_store_new(const mon_store_config_t *cfg, char *errstr,
                           size_t errstr_size);

/* Frees the store and every cluster handle; NULL is fine. No other thread
 * may use the store or its handles any more. */
void mon_store_destroy(mon_store_t *st);

/* The store's intervals (window capacity). */
int mon_store_intervals(const mon_store_t *st);

/* Ring slots the store holds now (what max_cells bounds). Lock-free. */
int64_t mon_store_cells(const mon_store_t *st);

/* ---- writers (take the cluster's write lock) ---- */

/* The handle of cluster `name`, created empty when unknown (NULL for an
 * empty name). Valid until mon_store_destroy; takes clusters_lock. */
mon_store_cluster_t *mon_store_cluster(mon_store_t *st, const char *name);

/* The handle of an existing cluster, or NULL. Takes clusters_lock. */
mon_store_cluster_t *mon_store_cluster_find(mon_store_t *st, const char *name);

/* The cluster's name (owned by the handle). */
const char *mon_store_cluster_name(const mon_store_cluster_t *cl);

/* Records head `offset` of topic/partition seen at t_ms; `partitions` is
 * the topic's partition count when known, else 0. Returns
 * MON_STORE_STORED, MON_STORE_DROP_PARTITION (partition < 0 or beyond
 * MON_STORE_MAX_PARTITIONS), MON_STORE_DROP_BOUND (the topic would grow
 * past max_cells; nothing changed) or MON_ERR_INVALID (NULL/empty
 * topic). */
int mon_store_head(mon_store_cluster_t *cl, const char *topic,
                   int32_t partition, int32_t partitions, int64_t offset,
                   int64_t t_ms);

/* Records the log start (earliest offset) of topic/partition sampled at
 * t_ms. Returns MON_STORE_STORED, MON_STORE_DROP_NO_TOPIC (no head yet),
 * MON_STORE_DROP_PARTITION (beyond the topic's count) or MON_ERR_INVALID
 * (NULL/empty topic, negative offset). */
int mon_store_log_start(mon_store_cluster_t *cl, const char *topic,
                        int32_t partition, int64_t offset, int64_t t_ms);

/* Records a topic's retention.ms and retention.bytes (-1 unlimited, also
 * for a topic whose cleanup.policy has no delete). Returns 0,
 * MON_ERR_NOTFOUND (no head yet) or MON_ERR_INVALID. */
int mon_store_topic_config(mon_store_cluster_t *cl, const char *topic,
                           int64_t retention_ms, int64_t retention_bytes);

/* Records a commit of `offset` by group for topic/partition at t_ms, with
 * optional owner and client_id (NULL keeps the current ones). Returns a
 * mon_store_outcome_t (stored, merged or why it was dropped: the group's
 * first commit to a topic gives it a window per partition, which
 * max_cells may refuse, MON_STORE_DROP_BOUND) or
 * MON_ERR_INVALID (NULL/empty names). Strings are copied. */
int mon_store_commit(mon_store_cluster_t *cl, const char *group,
                     const char *topic, int32_t partition, int64_t offset,
                     int64_t t_ms, const char *owner, const char *client_id);

/* The source's place in its log. Each cluster keeps, per log partition,
 * the offset after the last record applied from it; a write "at" a record
 * below that is not applied again (MON_STORE_DROP_REPLAYED), and one at
 * or above it is applied (whatever its outcome) and moves the place past
 * it, within one hold of the cluster's lock, so a snapshot holds either
 * both or neither. A source that re-reads its log (after a restart, from
 * its beginning) thus applies each record once: kill -9 loses no record
 * the log still has, and none is applied twice.
 *
 * mon_store_commit from the record at pos (NULL: as mon_store_commit).
 * With if_changed, a commit of the offset the window's newest entry holds
 * is dropped (MON_STORE_DROP_UNCHANGED) once the window is full: a source
 * that sees offsets, not commits, fills a window with what it sees (an
 * offset that never moves is judged after one window, as a stall or as
 * caught up) and then records a change only, so that silence keeps its
 * meaning (the time since the offset last moved). Returns as mon_store_commit,
 * or MON_STORE_DROP_REPLAYED, MON_STORE_DROP_UNCHANGED, MON_ERR_INVALID (a
 * place out of range). */
int mon_store_commit_at(mon_store_cluster_t *cl, const char *group,
                        const char *topic, int32_t partition, int64_t offset,
                        int64_t t_ms, const char *owner, const char *client_id,
                        const mon_store_pos_t *pos, bool if_changed);

/* Records that the record at `offset` of topic/partition, where group
 * is committed, was written at ts_ms (the record's timestamp, as a fetch
 * of it told): while the group's newest commit is that offset and data
 * waits, its time lag is now - ts_ms, exact, instead of the interpolation
 * over the head ring (which cannot tell it for a group behind every head
 * sample). Ignored while the group's newest commit there is another
 * offset, and forgotten when a commit moves it. Not kept in snapshots: a
 * source tells it again. Returns 0, MON_ERR_NOTFOUND (no such group
 * partition) or MON_ERR_INVALID. */
int mon_store_stamp(mon_store_cluster_t *cl, const char *group,
                    const char *topic, int32_t partition, int64_t offset,
                    int64_t ts_ms);

/* Deletes a group (topic NULL) or one topic of it, as the record at pos
 * says (NULL: no place). Returns 0, MON_ERR_NOTFOUND,
 * MON_STORE_DROP_REPLAYED or MON_ERR_INVALID. */
int mon_store_delete_group_at(mon_store_cluster_t *cl, const char *group,
                              const char *topic, const mon_store_pos_t *pos);

/* Moves the place past the record at pos, for records that write
 * nothing. Returns 0 or MON_ERR_INVALID. */
int mon_store_advance(mon_store_cluster_t *cl, const mon_store_pos_t *pos);

/* The next offset of log partition part to apply (-1: none applied), and
 * how many partitions have a place. Take the cluster's read lock. */
int64_t mon_store_position(mon_store_cluster_t *cl, int32_t part);
int32_t mon_store_position_count(mon_store_cluster_t *cl);

/* Marks an existing group alive at t_ms without a commit, so it does not
 * expire (the group is listed by its cluster with committed offsets that
 * did not change). Creates nothing. Returns 0, MON_ERR_NOTFOUND (no
 * such group) or MON_ERR_INVALID (NULL/empty name). */
int mon_store_group_seen(mon_store_cluster_t *cl, const char *group,
                         int64_t t_ms);

/* Records group's state and membership as its source describes it at
 * m->t_ms (a copy is kept; m may borrow everything). Every partition of
 * the group's windows, and each one a later commit adds, gets the host
 * and client id of the member assigned it ("" when none is), so a
 * source that learns owners from assignments (admin mode) need not pass
 * them with commits. Readers get the member id per partition
 * (mon_part_eval_t.member_id) and the whole copy (mon_store_group_members).
 * Not kept in snapshots: sources describe groups again every refresh.
 * A membership no source described within expire-group is dropped by
 * mon_store_expire; deleting the group deletes it. Returns 1 when the
 * member set (ids and assignments) or a known generation changed, or
 * the group had none (since_ms is then m->t_ms), 0 when the same, or
 * MON_ERR_INVALID. */
int mon_store_members(mon_store_cluster_t *cl, const char *group,
                      const mon_group_members_t *m);

/* Changes of a group's settled member set kept until taken. */
#define MON_STORE_PENDING_CHANGES 32

/* One change of a group's member set between two settled memberships
 * (mon_group_members_settled: Stable, Empty, Dead or a state the source
 * cannot tell; the ones seen mid-rebalance are skipped): other member
 * ids or assignments, or a new generation where both are known. The
 * first membership of a group (since it was created or the daemon
 * started) is no change. Copies; free with mon_member_change_free. */
typedef struct mon_member_change_s {
    mon_group_members_t before, after;
} mon_member_change_t;

/* Moves group's changes not taken yet (at most MON_STORE_PENDING_CHANGES,
 * the newest; a re-read log's are never queued, see mon_store_members_at)
 * into *out, oldest first, a malloc'd array of *n the caller frees, each
 * with mon_member_change_free. Cheap when no group of the cluster has
 * any. Returns 0 (*n may be 0) or MON_ERR_NOTFOUND (unknown cluster). */
int mon_store_take_member_changes(mon_store_t *st, const char *cluster,
                                  const char *group, mon_member_change_t **out,
                                  size_t *n);

void mon_member_change_free(mon_member_change_t *c);

/* mon_store_members from the record at pos (NULL: as mon_store_members;
 * see mon_store_commit_at): a record below the place is applied too
 * (memberships are not snapshotted, so a restart re-reads them) but
 * never reported as a change (returns 0), so a re-read log tells each
 * generation change once. Returns as mon_store_members. */
int mon_store_members_at(mon_store_cluster_t *cl, const char *group,
                         const mon_group_members_t *m,
                         const mon_store_pos_t *pos);

/* Removes a topic from the cluster and from every group. Returns 0 or
 * MON_ERR_NOTFOUND. */
int mon_store_delete_topic(mon_store_t *st, const char *cluster,
                           const char *topic);

/* Removes a group (Burrow's DELETE .../consumer/{group}). Returns 0 or
 * MON_ERR_NOTFOUND. */
int mon_store_delete_group(mon_store_t *st, const char *cluster,
                           const char *group);

/* Removes one topic from a group (DELETE .../consumer/{g}/topic/{t}).
 * Returns 0 or MON_ERR_NOTFOUND. */
int mon_store_delete_group_topic(mon_store_t *st, const char *cluster,
                                 const char *group, const char *topic);

/* Frees every group of `cluster` expired at now_ms (the cluster's own
 * clock: clusters may run on different ones). Takes the cluster's write
 * lock. Returns the number of groups removed (0 for an unknown cluster). */
size_t mon_store_expire(mon_store_t *st, const char *cluster, int64_t now_ms);

/* ---- readers (take the cluster's read lock; results are copies) ---- */

/* Every cluster name. Returns 0. */
int mon_store_clusters(mon_store_t *st, mon_store_names_t *out);

/* Topics of a cluster. Returns 0 or MON_ERR_NOTFOUND (no cluster). */
int mon_store_topics(mon_store_t *st, const char *cluster,
                     mon_store_names_t *out);

/* Newest head offset of each partition of a topic (-1 where a partition
 * has no head yet) into a malloc'd array the caller frees. Returns 0 or
 * MON_ERR_NOTFOUND (no cluster or topic). */
int mon_store_topic_offsets(mon_store_t *st, const char *cluster,
                            const char *topic, int64_t **offsets,
                            size_t *count);

/* The same for the oldest head sample each partition's ring holds: a
 * committed offset below it is one the ring cannot date. */
int mon_store_topic_oldest_heads(mon_store_t *st, const char *cluster,
                                 const char *topic, int64_t **offsets,
                                 size_t *count);

/* The same for each partition's log start (-1: not told). */
int mon_store_topic_log_starts(mon_store_t *st, const char *cluster,
                               const char *topic, int64_t **offsets,
                               size_t *count);

/* Live groups (not expired at now_ms) with windows on a topic. Returns 0
 * or MON_ERR_NOTFOUND (no cluster; an unknown topic gives none). */
int mon_store_topic_consumers(mon_store_t *st, const char *cluster,
                              const char *topic, int64_t now_ms,
                              mon_store_names_t *out);

/* Live groups (not expired at now_ms) of a cluster. Returns 0 or
 * MON_ERR_NOTFOUND (no cluster). */
int mon_store_groups(mon_store_t *st, const char *cluster, int64_t now_ms,
                     mon_store_names_t *out);

/* Copies a group's windows and head rings into *out (see the type).
 * Returns 0, or MON_ERR_NOTFOUND for an unknown cluster or an unknown
 * or expired group (*out then has count 0). */
int mon_store_group_detail(mon_store_t *st, const char *cluster,
                           const char *group, int64_t now_ms,
                           mon_group_detail_t *out);

/* Copies a group's membership (mon_store_members) into *out (zeroed or
 * a previous copy; free with mon_group_members_free). Returns 0 or
 * MON_ERR_NOTFOUND (unknown cluster, no membership known). */
int mon_store_group_members(mon_store_t *st, const char *cluster,
                            const char *group, mon_group_members_t *out);

/* Evaluates every partition of a group at now_ms with `p` (NULL: the
 * defaults, with the store's intervals) and rolls them up into *out.
 * Returns 0, or MON_ERR_NOTFOUND for an unknown cluster or an unknown
 * or expired group (*out then has status EV_NOTFOUND, count 0). */
int mon_store_group_eval(mon_store_t *st, const char *cluster,
                         const char *group, int64_t now_ms,
                         const ev_params_t *p, mon_group_eval_t *out);

/* Evaluates every live group of every cluster at now_ms and calls cb for
 * each (clusters and groups in name order), with no lock held between
 * groups. Returns 0, or the first non-zero value cb returned. */
int mon_store_foreach_eval(mon_store_t *st, int64_t now_ms,
                           const ev_params_t *p, mon_store_eval_cb cb,
                           void *arg);

/* ---- snapshot ---- */

/* Writes every cluster to `path` (format above) through path.tmp, fsync,
 * rename and an fsync of the directory. The file is built in memory under
 * each cluster's read lock in turn (writers of that cluster wait for the
 * copy, not for the disk); never call it from an HTTP handler. Returns 0
 * or MON_ERR_IO with errstr naming the path and why. */
int mon_store_save(mon_store_t *st, const char *path, char *errstr,
                   size_t errstr_size);

/* Replaces the contents of every cluster named in `path` with the file's
 * (clusters not in the file are kept). The whole file is checked first:
 * on any error the store is unchanged and errstr names the path, the byte
 * offset and why. Returns 0, MON_ERR_IO (unreadable) or
 * MON_ERR_INVALID (corrupt). Takes each cluster's write lock in turn. */
int mon_store_load(mon_store_t *st, const char *path, char *errstr,
                   size_t errstr_size);

#endif
