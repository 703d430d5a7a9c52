/* SPDX-License-Identifier: Apache-2.0 */
/* mon_notifier: turns group evaluations into incidents and webhooks.
 *
 * For every [notifier NAME] and every group it lets through (allow/deny
 * lists, unanchored), the notifier keeps an incident state machine fed by
 * mon_notifier_observe(), Burrow's semantics plus flap control:
 *  - A group is evaluated for a notifier at most once per `interval`
 *    (mon_notifier_due says whether any notifier wants it now).
 *    NOTFOUND is ignored entirely: it never notifies and changes nothing.
 *  - `open-after` evaluations in a row at or above `threshold` (WARN or
 *    ERR) open an incident: a random UUID v4 id, start = that evaluation's
 *    now_ms, and an open notification is queued.
 *  - While open and at or above threshold, the open notification is
 *    repeated when `repeat-every` (4 h) has passed since the last one,
 *    or at once when the group got worse than it was in the last one
 *    sent (WARN to ERR); never with `send-once`. A status between OK and
 *    the threshold neither repeats nor counts toward closing.
 *  - `close-after` OK evaluations in a row (2 by default, so one noisy
 *    OK evaluation neither closes the incident nor opens a new one) close
 *    it; with `send-close` a close notification with the same id is
 *    queued.
 *  - Silences (mon_silence.h, through mon_notifier_observe_silenced):
 *    a silenced group's incidents open and close as above but send
 *    nothing, except the close of an incident whose open went out
 *    before; an open held back is sent when the silence ends, if the
 *    incident is still open then.
 * Every notification gets the key "<id>:<open|close>:<n>" (n counts the
 * incident's notifications from 1), sent as X-Warren-Delivery.
 *
 * Bodies are Mustache templates (template-open / template-close, or a
 * built-in JSON body: the template data below plus "event") rendered with
 * escaping chosen by the template's file name: .html/.htm HTML (sent as
 * text/html), .txt plain (text/plain), otherwise JSON string escaping
 * (application/json). URLs are templates too, rendered with URL escaping.
 * Template data: event, id, cluster, group, start (RFC 3339), time,
 * status, label, status_words, summary, group_short, group_mrkdwn,
 * cluster_mrkdwn, explanation, explanation_mrkdwn, is_ok, is_warn,
 * is_err, is_data_loss (a partition's committed offset is below its log
 * start: retention deleted records the group had not read; that
 * partition is ERR, rule data-loss), totallag, maxlag (a partition object, null
 * when none), partitions (every non-OK partition), partitions_worst (the 10
 * worst of them: ERR kinds first, then by lag), partitions_more (how many
 * non-OK ones partitions_worst leaves out), partition_counts {warn, stop,
 * stall, rewind, data_loss}, total_partitions, complete, dashboard_url (the
 * group's page; "" when none or over 2,000 characters), extras, notifier,
 * sequence. A partition object: topic, partition, status, status_words,
 * rule, current_lag, time_lag_s, owner, client_id, complete,
 * explanation, data_loss, log_start_offset, retention_margin,
 * retention_eta_s (the last three null when unknown), topic_mrkdwn,
 * owner_mrkdwn, client_id_mrkdwn.
 * Words: status_words is the status as an operator says it after the
 * group's name ("is falling behind", "has stalled", "has stopped
 * committing", "has rewound its offsets", "has lost data to retention",
 * "is keeping up"; an ERR group says what most of its ERR partitions do,
 * data loss first on a tie); summary is "<group_short>
 * <status_words>", or "<group_short> has recovered" for a close.
 * Sizes, for receivers' limits (Slack: 3,000 characters per text block,
 * 150 per header; PagerDuty: 1,024 per summary): group_short is the group
 * cut to 100 bytes, every *_mrkdwn field is at most 80 bytes
 * (explanation_mrkdwn 1,500), a cut ends in "\u2026".
 * Slack: names come from Kafka clients, so a group named "<!channel>"
 * would ping a channel and "<http://x|click>" would be a disguised link
 * in mrkdwn. The *_mrkdwn fields carry the name with & < > escaped as
 * &amp; &lt; &gt; (Slack's escaping); mrkdwn text in a template uses
 * them, plain_text uses the plain fields (samples/templates/slack-*).
 *
 * Durability: every notification (and every incident change that sends
 * nothing) is a record in the delivery journal (mon_delivery.h), so
 * incidents are rebuilt at start from the checkpoint file below plus the
 * journal records after its mark. The checkpoint (which also keeps the
 * open-after/close-after counters) is rewritten atomically (temp, fsync,
 * rename, fsync dir) when something changed and checkpoint_interval_ms
 * of observed time (the newest now_ms seen) passed or 4096 journal
 * records were added, before a journal compaction, and by
 * mon_notifier_flush / _destroy; the journal is synced first, so the file
 * never runs ahead of it. A crash may lose counter progress since the
 * last checkpoint (an incident then opens or closes a few evaluations
 * later), never an incident or a notification. Files in data_dir:
 * notifier.journal (mon_delivery.h) and notifier.incidents:
 *
 *   OFFSET SIZE DESCRIPTION (little-endian)
 *   0      32   state-file header (mon_codec.h): magic "WRNINCDT",
 *               version 3, body length, CRC-32C of the body
 *   32     4    number of entries N
 *   36     8    mark: highest journal seq reflected in the entries
 *   44     ...  N entries, each: notifier, cluster, group (u32 length +
 *               bytes each), u8 flags (1 open, 2 an open notification
 *               was queued, 4 evaluated), u8 id length L (0 or 36), L
 *               bytes id, i64 start_ms, i64 last_sent_ms, i64
 *               last_eval_ms, u32 notifications queued, u32 evaluations
 *               at/above threshold in a row, u32 OK evaluations in a row,
 *               u8 last status, u8 status of the last open notification
 *               queued
 *
 * Versions 1 and 2 (magic, version, u32 N, u64 mark, u64 body length,
 * CRC-32C, 4 reserved bytes, the same entries from byte 40, version 1
 * without their last byte) are still read; the next checkpoint writes
 * version 3.
 *
 * Locks: n->lock (a mutex) guards the incident table and the timelines;
 * observe holds it while it renders and queues (never over the network:
 * the delivery thread sends). The delivery queue has its own locks, taken
 * after n->lock. Every function may be called from any thread. The
 * configuration passed to _new must outlive the notifier.
 *
 * What the daemon calls: mon_notifier_new_from_config at start, then for
 * each group, when mon_notifier_due(), the group's evaluation goes to
 * mon_notifier_observe; mon_notifier_destroy at exit. The HTTP layer
 * reads copies (mon_notify_types.h) through mon_query: mon_notifier_view
 * (GET /v3/notifiers) and mon_notifier_group_view (a group's incidents
 * and timeline), and renders them itself.
 */
#ifndef MON_NOTIFIER_H
#define MON_NOTIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "monitor/config/mon_config.h"
#include "monitor/notify/mon_delivery.h"
#include "monitor/store/mon_store_types.h"

#define MON_NOTIFIER_TIMELINE 16 /* events kept per group and notifier */

typedef struct mon_notifier_opts_s {
    mon_delivery_opts_t delivery;   /* backoff, in-flight cap, ... */
    int64_t checkpoint_interval_ms; /* of observed time, 10 s */
} mon_notifier_opts_t;

typedef struct mon_notifier_s mon_notifier_t;

/* Fills *opts with the production defaults. */
void mon_notifier_opts_default(mon_notifier_opts_t *opts);

/* Compiles every notifier's templates and URLs, loads the incidents and
 * the delivery journal from data_dir (created when missing) and starts
 * the sender (unless opts->delivery.start_sender is false). cfgs[0..n)
 * and the strings stay owned by the caller and must outlive the result;
 * dashboard_url may be NULL or "". opts NULL = defaults. Returns NULL
 * with one line in errstr: "FILE:LINE: why" for a template, "PATH: why"
 * for a data file. */
mon_notifier_t *mon_notifier_new(const mon_config_notifier_t *const *cfgs,
                                 size_t n, const char *data_dir,
                                 const char *dashboard_url,
                                 const mon_notifier_opts_t *opts, char *errstr,
                                 size_t errstr_size);

/* mon_notifier_new over every [notifier] of cfg, with its data-dir and
 * dashboard-url. Returns NULL with errstr on failure (cfg may have no
 * notifier: the result then queues nothing). */
mon_notifier_t *mon_notifier_new_from_config(const mon_config_t *cfg,
                                             const mon_notifier_opts_t *opts,
                                             char *errstr, size_t errstr_size);

/* Stops the sender promptly, syncs the journal, writes the checkpoint and
 * frees everything; unsent deliveries stay on disk. NULL is fine. */
void mon_notifier_destroy(mon_notifier_t *n);

/* True when some notifier would evaluate (cluster, group) at now_ms: it
 * passes that notifier's lists and `interval` has passed since its last
 * evaluation (or there was none). Takes n->lock. */
bool mon_notifier_due(mon_notifier_t *n, const char *cluster, const char *group,
                      int64_t now_ms);

/* The smallest `interval` of all notifiers (ms; 0 when none), for the
 * daemon's evaluation loop. */
int64_t mon_notifier_min_interval(const mon_notifier_t *n);

/* Feeds one evaluation of a group (ev->cluster, ev->group) made at now_ms
 * to every notifier whose interval allows it now. Renders and queues the
 * notifications that follow; never waits for the network (it may wait
 * for the disk when a checkpoint is due). Returns the number of
 * notifications queued; problems (a render or journal error) are logged
 * and the notification is tried again at the next evaluation. ev is only
 * read during the call. Takes n->lock. */
int mon_notifier_observe(mon_notifier_t *n, const mon_group_eval_t *ev,
                         int64_t now_ms);

/* mon_notifier_observe for a group an operator silence matches now
 * (mon_silence.h; the caller asks it, with the wall clock) when silenced
 * is true: its incidents still open and close as evaluations say, but
 * nothing is queued for them, except the close of an incident whose open
 * was sent before the silence (a receiver's incident is never left
 * open). An incident opened during the silence is on the timeline as
 * "silenced", and its open is sent at the first evaluation after the
 * silence ends if it is still open; repeats wait for the end too. */
int mon_notifier_observe_silenced(mon_notifier_t *n, const mon_group_eval_t *ev,
                                  int64_t now_ms, bool silenced);

/* Makes everything queued so far durable and writes the checkpoint.
 * Returns 0 or -1 with errstr. Takes n->lock. */
int mon_notifier_flush(mon_notifier_t *n, char *errstr, size_t errstr_size);

/* Waits until every delivery queued so far is delivered or failed, or
 * timeout_ms passes. Returns 0, or -1 on timeout. For tools and tests. */
int mon_notifier_wait_idle(mon_notifier_t *n, int64_t timeout_ms);

/* Renders and queues one notification of `kind` for notifier `name` over
 * ev, for a fresh incident id started at now_ms, without touching any
 * incident (warren notify test). Sets *seq for mon_notifier_delivery.
 * Returns 0, or -1 with errstr (unknown notifier, journal error). */
int mon_notifier_send_test(mon_notifier_t *n, const char *name,
                           mon_delivery_kind_t kind, const mon_group_eval_t *ev,
                           int64_t now_ms, uint64_t *seq, char *errstr,
                           size_t errstr_size);

/* Copies the state of delivery seq (see mon_delivery_get). Returns 0 or
 * -1 when unknown. Release with mon_delivery_info_clear(info). */
int mon_notifier_delivery(mon_notifier_t *n, uint64_t seq,
                          mon_delivery_info_t *info);

/* Copies unfinished then recent deliveries (mon_delivery_list). */
int mon_notifier_deliveries(mon_notifier_t *n, mon_delivery_info_t **out,
                            size_t *count);

/* Copies every notifier's settings and counters (never a URL, header or
 * secret) and the deliveries above into *out (GET /v3/notifiers). Free
 * with mon_notifier_view_free. Returns 0. Takes n->lock, then the
 * queue's. */
int mon_notifier_view(mon_notifier_t *n, mon_notifier_view_t *out);

/* Copies a group's incidents (one per notifier that evaluated it) and
 * their timeline, oldest event first, each event with its delivery's
 * state while that is still known (GET .../incidents). Free with
 * mon_notifier_group_free. Returns 0. Takes n->lock, then the queue's. */
int mon_notifier_group_view(mon_notifier_t *n, const char *cluster,
                            const char *group, mon_notifier_group_t *out);

/* Number of open incidents of notifier i (all notifiers when i is
 * SIZE_MAX). Takes n->lock. */
size_t mon_notifier_open_count(mon_notifier_t *n, size_t i);

/* Builds the template data (see the header comment) for ev as event kind
 * ("open"/"close") of incident id started at start_ms; dashboard_url may
 * be NULL. Pure; the caller owns the result. */
cJSON *mon_notifier_template_data(const mon_group_eval_t *ev, const char *kind,
                                  const char *id, int64_t start_ms,
                                  int64_t now_ms, const char *dashboard_url,
                                  const mon_config_kv_t *extras,
                                  size_t n_extras);

#endif
