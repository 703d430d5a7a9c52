/* SPDX-License-Identifier: Apache-2.0 */
/* mon_delivery: the durable webhook queue and the thread that sends it.
 *
 * A delivery is one HTTP request (method, URL, body, kind open/close) for
 * one incident of one notifier, identified by the key
 * "<incident id>:<open|close>:<sequence>" that goes out as the
 * X-Warren-Delivery header. Every delivery is appended to a journal file
 * before anything is sent, so a crash never loses one; a restart resends
 * what was not recorded as finished, with the same key and body.
 *
 * Guarantee: at-least-once, with an idempotency key. A delivery is sent
 * only after its record is on disk (fdatasync), and it is forgotten only
 * after its "delivered" or "failed" record is on disk. A crash between a
 * receiver's 2xx and that fsync makes the restarted process send the same
 * request again (same X-Warren-Delivery value, same body); receivers that
 * must not act twice de-duplicate on the key. Nothing stronger is
 * possible over HTTP without the receiver's help. A resend uses the URL
 * and body rendered when the delivery was queued; headers and the secret
 * come from the current configuration and are never written to disk.
 *
 * Group commit: appends are plain write()s; the sender thread fdatasyncs
 * the journal once for everything appended since its last pass and only
 * then sends those deliveries, so 1000 deliveries queued at once cost one
 * fsync, not 1000. mon_delivery_sync() forces it from any thread.
 *
 * Sending: one thread drives a libcurl multi handle, so any number of
 * transfers are in flight at once (up to max_inflight per target): a slow
 * or dead receiver holds only its own slots and never delays another
 * notifier, and enqueueing never waits for the network. Deliveries of one
 * group to one target keep their order: the next starts only when the one
 * before it is delivered or failed, so a close never overtakes its open.
 * Each attempt has a connect and a total timeout of the target's timeout,
 * only http and https (redirects too, at most 3). 2xx is delivered;
 * connection errors, timeouts, 429 and 5xx are retried with exponential
 * backoff and jitter (base_delay_ms doubling up to max_delay_ms, each
 * delay drawn from [d/2, d]; a Retry-After of N seconds waits at least
 * N s, N capped at max_retry_after_ms however large) until 1 + max_retries
 * attempts were made, then failed; any other status fails at once with
 * the response's status line.
 *
 * Bounded while a receiver is down or hangs: a new open notification
 * replaces every open of the same incident to the same target that is
 * still waiting (not on the wire): the older ones are finished as
 * "merged" (a FAILED record naming the newer key), so at most one is on
 * the wire and one waits per incident and target. And each target holds
 * at most max_pending unfinished deliveries: beyond that its oldest
 * waiting open is finished as "dropped". Both are counted per target;
 * both apply again when a journal is recovered. Closes are never merged
 * or dropped.
 *
 * Locks: q->lock (mutex) guards the item list, the recent ring, the
 * counters and appends to the journal. q->sync_lock (mutex) serialises
 * fdatasync with the compaction that swaps the journal's fd; it is taken
 * before q->lock, never after. Callers may hold their own locks while
 * calling in (the notifier does); no callback runs with q->lock held.
 *
 * Journal file (little-endian): the state-file header of mon_codec.h
 * (magic "WRNDLVRY", version 2, body length 0: the records follow, each
 * checked by its own CRC), then the records:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      32   state-file header (mon_codec.h)
 *   32     ...  records, one after the other
 *
 * Version 1 journals (magic, u32 version 1, 4 reserved bytes, records
 * from byte 16) are read and appended to as they are; the next
 * compaction rewrites them as version 2.
 *
 *   record:
 *   0      4    L, length of the record body (1 .. 64 MiB)
 *   4      4    CRC-32C (Castagnoli) of the L body bytes
 *   8      L    body: u8 type, then the type's payload
 *
 *   type 1 QUEUED and type 2 NOTE (an incident change with nothing to
 *   send, e.g. a close without send-close; method, url, body empty):
 *     u64 seq, i64 created_ms, i64 start_ms, u32 incident sequence,
 *     u8 kind (1 open, 2 close), then nine strings, each u32 length +
 *     bytes: notifier, cluster, group, incident id, method, url,
 *     content type, body, group status name when queued ("WARN")
 *   type 3 ATTEMPT (failed, will retry), 4 DELIVERED, 5 FAILED:
 *     u64 seq, u32 attempts so far, i32 last HTTP status (0 = none),
 *     i64 wall time ms, u32 length + bytes of the error or status line
 *
 * The journal is locked (flock) while open: a second process opening it
 * fails with "in use by another process".
 *
 * Recovery reads records until the file ends or a record is short, too
 * long or fails its CRC; that torn tail is truncated (and logged). Seqs
 * increase through the file. Compaction rewrites the file with only the
 * unfinished deliveries (QUEUED + their last ATTEMPT) through path.tmp,
 * fsync, rename and an fsync of the directory.
 */
#ifndef MON_DELIVERY_H
#define MON_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_notify_types.h"

#define MON_DELIVERY_RING 200 /* finished deliveries remembered */

/* What one attempt's outcome means (mon_delivery_classify). */
typedef enum mon_delivery_verdict_e {
    MON_DELIVERY_VERDICT_OK = 0, /* 2xx */
    MON_DELIVERY_VERDICT_RETRY,  /* transport error, timeout, 429, 5xx */
    MON_DELIVERY_VERDICT_FAIL    /* anything else: give up now */
} mon_delivery_verdict_t;

/* Where and how one notifier's requests go. Strings are copied. */
typedef struct mon_delivery_target_s {
    const char *name;               /* the notifier's name */
    const char *secret;             /* NULL or "" = unsigned */
    const mon_config_kv_t *headers; /* extra request headers */
    size_t n_headers;
    int64_t timeout_ms; /* connect and whole request */
    int max_retries;    /* attempts = 1 + max_retries */
} mon_delivery_target_t;

/* Tunables; mon_delivery_opts_default() gives the production values. */
typedef struct mon_delivery_opts_s {
    int64_t base_delay_ms;      /* first retry delay, 1000 */
    int64_t max_delay_ms;       /* backoff cap, 60000 */
    int64_t max_retry_after_ms; /* cap on a receiver's Retry-After, 1 h */
    int max_inflight;           /* concurrent requests per target, 64 */
    size_t max_pending;         /* unfinished deliveries per target, 10000 */
    int64_t compact_min_bytes;  /* journal size worth compacting, 4 MiB */
    bool start_sender;          /* false: queue only (tests, tools) */
} mon_delivery_opts_t;

/* One queued delivery or note, as given to enqueue and to the replay
 * callback. Strings are borrowed for the duration of the call. */
typedef struct mon_delivery_entry_s {
    uint64_t seq;   /* assigned by enqueue */
    bool note_only; /* a NOTE record: nothing is sent */
    mon_delivery_kind_t kind;
    const char *notifier;
    const char *cluster;
    const char *group;
    const char *incident_id;
    uint32_t iseq;      /* sequence of this notification in the
                         * incident, part of the key */
    int64_t start_ms;   /* incident start */
    int64_t created_ms; /* the evaluation time that queued it */
    const char *method; /* "POST", ... (not for notes) */
    const char *url;
    const char *content_type;
    const char *body;
    size_t body_len;
    const char *status; /* group status name ("WARN"), may be NULL */
} mon_delivery_entry_t;

/* Called by mon_delivery_new for every QUEUED and NOTE record with
 * seq > replay_after, in journal order, before the sender starts. */
typedef void (*mon_delivery_replay_cb)(const mon_delivery_entry_t *e,
                                       void *arg);

typedef struct mon_delivery_s mon_delivery_t;

/* Fills *opts with the production defaults listed in the type. */
void mon_delivery_opts_default(mon_delivery_opts_t *opts);

/* Opens (creating when missing) the journal at path, recovers it (torn
 * tail truncated), calls replay for entries after replay_after, fails
 * unfinished deliveries of targets no longer configured, and starts the
 * sender thread when opts->start_sender. Sequence numbers continue after
 * max(highest in the file, min_seq). opts NULL = defaults. Returns NULL
 * with "PATH: why" (unreadable, bad magic, byte offset) in errstr. */
mon_delivery_t *mon_delivery_new(
    const char *path, const mon_delivery_target_t *targets, size_t n_targets,
    const mon_delivery_opts_t *opts, uint64_t min_seq, uint64_t replay_after,
    mon_delivery_replay_cb replay, void *arg, char *errstr, size_t errstr_size);

/* Stops the sender (waking it; in-flight requests are abandoned, which
 * is safe: they are still queued on disk), syncs the journal and frees
 * everything. Unfinished deliveries stay in the journal. NULL is fine. */
void mon_delivery_destroy(mon_delivery_t *q);

/* Appends entry e (seq ignored) and, unless it is a note, queues it for
 * the target named e->notifier; the sender sends it once the journal is
 * synced. Never blocks on the network. Returns 0 and sets *seq (may be
 * NULL), or -1 with errstr (unknown notifier, journal write failed: the
 * journal is then cut back, nothing is queued). Takes q->lock. */
int mon_delivery_enqueue(mon_delivery_t *q, const mon_delivery_entry_t *e,
                         uint64_t *seq, char *errstr, size_t errstr_size);

/* fdatasyncs everything appended so far. Returns 0 or -1 with errstr.
 * Takes q->sync_lock, then q->lock briefly. */
int mon_delivery_sync(mon_delivery_t *q, char *errstr, size_t errstr_size);

/* Highest seq appended so far (0 when none). Takes q->lock. */
uint64_t mon_delivery_last_seq(mon_delivery_t *q);

/* True when the journal is large and mostly finished deliveries. */
bool mon_delivery_should_compact(mon_delivery_t *q);

/* Rewrites the journal with only unfinished deliveries (see the header
 * comment). The caller must have made every NOTE and finished QUEUED
 * record redundant first (the notifier checkpoints its incidents).
 * Returns 0 or -1 with errstr (the old journal is then kept). */
int mon_delivery_compact(mon_delivery_t *q, char *errstr, size_t errstr_size);

/* Waits until delivery seq (0: every delivery queued so far) is
 * finished, or timeout_ms passes. Returns 0 when finished, -1 on
 * timeout. Takes q->lock; call from any thread but the sender. */
int mon_delivery_wait(mon_delivery_t *q, uint64_t seq, int64_t timeout_ms);

/* Copies the unfinished deliveries (oldest first) followed by the last
 * MON_DELIVERY_RING finished ones (newest first) into a malloc'd array;
 * the caller frees it with mon_delivery_list_free. Returns 0. */
int mon_delivery_list(mon_delivery_t *q, mon_delivery_info_t **out,
                      size_t *count);

/* Copies one delivery's state by seq into *info. Returns 0, or -1 when
 * it is neither unfinished nor in the recent ring. Release the copy with
 * mon_delivery_info_clear. */
int mon_delivery_get(mon_delivery_t *q, uint64_t seq,
                     mon_delivery_info_t *info);

/* Counters of target i (index into the targets given to _new). Returns
 * 0, or -1 when i is out of range. */
int mon_delivery_stats(mon_delivery_t *q, size_t i, mon_delivery_stats_t *out);

/* Pure: what an attempt that ended with libcurl code curl_code (a
 * CURLcode) and HTTP status http_status means. */
mon_delivery_verdict_t mon_delivery_classify(int curl_code, long http_status);

/* Pure: parses a Retry-After header value into *ms: delay-seconds, any
 * number of digits (a value too large for int64 saturates; the backoff
 * caps it). Returns 0, or -1 for anything else (an HTTP-date: the backoff
 * decides). */
int mon_delivery_parse_retry_after(const char *value, int64_t *ms);

/* Pure: the delay before attempt number `attempt` + 1, after `attempt`
 * (>= 1) attempts failed: min(max_delay, base * 2^(attempt-1)) drawn
 * into [d/2, d] by rnd, then at least retry_after_ms (capped by
 * max_retry_after_ms) when the receiver sent Retry-After (> 0). */
int64_t mon_delivery_backoff_ms(const mon_delivery_opts_t *opts,
                                uint32_t attempt, int64_t retry_after_ms,
                                uint32_t rnd);

#endif
