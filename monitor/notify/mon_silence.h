/* SPDX-License-Identifier: Apache-2.0 */
/* mon_silence: operator silences of notifications, kept in the data dir.
 *
 * A silence names a group pattern and/or a cluster pattern (POSIX ERE,
 * anchored as Alertmanager's matchers are: "billing" silences the group
 * billing only, "billing.*" every group whose name starts with billing),
 * an end time `until`, a comment and who made it. While a silence matches
 * a group no notifier sends anything for it (mon_notifier.h says what
 * happens to its incidents); at `until` it ends by itself. Silences are
 * few (at most MON_SILENCE_MAX) and checked once per group and
 * evaluation, so a linear scan is the design.
 *
 * Bad input never gets in: a body that is not one JSON object, an unknown
 * field, a pattern over MON_SILENCE_PATTERN_MAX bytes or one mon_regex
 * refuses (stacked quantifiers), an end in the past or more than a year
 * ahead, an empty comment or author: each is refused with one line
 * naming the field and why.
 *
 * File (data dir, "silences.json"), rewritten whole on every change
 * (temp file, fsync, rename, fsync of the directory: mon_codec):
 *
 *   {"version": 1, "silences": [{"id": UUID v4, "group": pattern or
 *    null, "cluster": pattern or null, "until": RFC 3339, "created":
 *    RFC 3339, "comment": text, "created_by": text}, ...]}
 *
 * It is read at start (missing = no silences; anything else that does
 * not parse stops the daemon with "PATH: why"). Silences that ended more
 * than a day ago are dropped at the next change.
 *
 * Threads: a change (create, delete) is written by the silences' own
 * writer thread, never by the caller (an HTTP handler): the caller waits
 * for it, up to MON_SILENCE_WAIT_MS, and learns whether it is on disk. A
 * change is in effect only once it is on disk, so a restart never loses
 * an acknowledged silence nor revives a deleted one. `lock` guards the
 * list (readers: match, json; the writer swaps in a new list under it);
 * `jlock` guards the writer's queue. Every function may be called from
 * any thread.
 */
#ifndef MON_SILENCE_H
#define MON_SILENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/notify/mon_notify_types.h"

#define MON_SILENCE_MAX 1000         /* silences kept, ended ones too */
#define MON_SILENCE_PATTERN_MAX 256  /* bytes of a pattern */
#define MON_SILENCE_COMMENT_MAX 1024 /* bytes */
#define MON_SILENCE_AUTHOR_MAX 128   /* bytes of created_by */
#define MON_SILENCE_WAIT_MS 10000    /* a change waits this for the disk */

typedef struct mon_silences_s mon_silences_t;

/* Reads DIR/silences.json (missing: none) and starts the writer. Returns
 * NULL with errstr "PATH: why" for a file that does not read or parse,
 * or a thread that does not start. The caller owns the result. */
mon_silences_t *mon_silences_new(const char *data_dir, char *errstr,
                                 size_t errstr_size);

/* Stops the writer and frees everything. No call may be in progress.
 * NULL is fine. */
void mon_silences_destroy(mon_silences_t *sil);

/* Creates a silence from a JSON request body (len bytes) at wall time
 * now_ms: {"group": pattern, "cluster": pattern (one of the two at
 * least), "until": RFC 3339 or ms since the epoch, "comment": text,
 * "created_by": text}. On MON_SILENCE_OK *out (when out is not NULL) gets
 * a copy of the new silence (free with mon_silence_list_free(*out, 1));
 * otherwise errstr says why in one line. Waits for the disk (see
 * above). */
mon_silence_rc_t mon_silences_create(mon_silences_t *sil, const char *body,
                                     size_t len, int64_t now_ms,
                                     mon_silence_info_t **out, char *errstr,
                                     size_t errstr_size);

/* Deletes silence id. Returns MON_SILENCE_OK, _NOT_FOUND, _IO or _SLOW
 * (errstr set). Waits for the disk. */
mon_silence_rc_t mon_silences_delete(mon_silences_t *sil, const char *id,
                                     int64_t now_ms, char *errstr,
                                     size_t errstr_size);

/* True when a silence in effect at now_ms (created <= now < until)
 * matches (cluster, group); the first one's id goes to id when id is not
 * NULL. Takes `lock`. */
bool mon_silences_match(mon_silences_t *sil, const char *cluster,
                        const char *group, int64_t now_ms,
                        char id[MON_SILENCE_ID_LEN]);

/* Copies the silences, newest first, into *out (*n of them; free with
 * mon_silence_list_free), each with active = in effect at now_ms. With
 * cluster and group (both non-NULL) only those in effect that match that
 * group. Returns 0. Takes `lock`. */
int mon_silences_list(mon_silences_t *sil, int64_t now_ms, const char *cluster,
                      const char *group, mon_silence_info_t **out, size_t *n);

/* Number of silences in effect at now_ms. */
size_t mon_silences_active(mon_silences_t *sil, int64_t now_ms);

#endif
