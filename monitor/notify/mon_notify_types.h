/* SPDX-License-Identifier: Apache-2.0 */
/* mon_notify_types: the values notify/ copies out to its readers: a
 * delivery's state and a target's counters (mon_delivery.h), each
 * notifier's settings and counters, and a group's incidents and timeline
 * (mon_notifier.h). Plain data that owns its strings, except the notifier
 * names, which point into the configuration (immutable while the daemon
 * runs). No handle, no lock, no URL, header or secret: the HTTP routes
 * render these (through mon_query) without seeing the notifier.
 */
#ifndef MON_NOTIFY_TYPES_H
#define MON_NOTIFY_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evaluator/ev_status.h"

typedef enum mon_delivery_kind_e {
    MON_DELIVERY_OPEN = 1,
    MON_DELIVERY_CLOSE = 2
} mon_delivery_kind_t;

typedef enum mon_delivery_state_e {
    MON_DELIVERY_PENDING = 0, /* queued, in flight or waiting to retry */
    MON_DELIVERY_DELIVERED,
    MON_DELIVERY_FAILED,
    MON_DELIVERY_MERGED, /* replaced by a newer open, never sent */
    MON_DELIVERY_DROPPED /* over the target's max_pending, not sent */
} mon_delivery_state_t;

/* A copy of one delivery's state (mon_delivery_list). */
typedef struct mon_delivery_info_s {
    uint64_t seq;
    char *key; /* X-Warren-Delivery value */
    char *incident_id;
    char *notifier;
    char *cluster;
    char *group;
    mon_delivery_kind_t kind;
    mon_delivery_state_t state;
    uint32_t attempts;
    int http_status;    /* last HTTP status, 0 = none */
    char *error;        /* last error or status line, "" = none */
    int64_t created_ms; /* evaluation time that queued it */
    int64_t time_ms;    /* wall time of the last attempt, else 0 */
} mon_delivery_info_t;

/* Per-target counters since the queue was opened. */
typedef struct mon_delivery_stats_s {
    uint64_t queued;
    uint64_t delivered;
    uint64_t failed;
    uint64_t retries; /* attempts that will be retried */
    uint64_t merged;  /* opens replaced by a newer one of the incident */
    uint64_t dropped; /* opens dropped over max_pending */
    size_t pending;   /* not finished now */
    size_t in_flight; /* requests on the wire now */
} mon_delivery_stats_t;

/* Frees the strings of *info and zeroes it; NULL is fine. */
void mon_delivery_info_clear(mon_delivery_info_t *info);

/* Frees an array from mon_delivery_list; NULL is fine. */
void mon_delivery_list_free(mon_delivery_info_t *infos, size_t count);

#define MON_NOTIFY_ID_SIZE 37 /* an incident id (UUID v4) with its NUL */

/* One notifier as GET /v3/notifiers shows it: settings and counters. */
typedef struct mon_notifier_info_s {
    const char *name; /* the configuration's */
    ev_status_t threshold;
    int64_t interval_ms;
    int64_t repeat_every_ms;
    bool send_close;
    bool send_once;
    int open_after;
    int close_after;
    int max_retries;
    bool is_signed; /* a secret is set (never the secret) */
    size_t open_incidents;
    mon_delivery_stats_t stats;
} mon_notifier_info_t;

/* Every notifier, then the unfinished and recent deliveries (see
 * mon_delivery_list). Free with mon_notifier_view_free. */
typedef struct mon_notifier_view_s {
    mon_notifier_info_t *notifiers;
    size_t n_notifiers;
    mon_delivery_info_t *deliveries;
    size_t n_deliveries;
} mon_notifier_view_t;

/* One notifier's incident state for a group. */
typedef struct mon_notifier_incident_s {
    const char *notifier; /* the configuration's */
    bool open;
    char id[MON_NOTIFY_ID_SIZE]; /* when open */
    int64_t start_ms;            /* when open */
    bool sent;                   /* an open notification was queued */
    int64_t last_sent_ms;        /* when sent */
    uint32_t notifications;      /* queued for the incident */
    ev_status_t status;          /* the last status evaluated */
} mon_notifier_incident_t;

typedef enum mon_notifier_event_kind_e {
    MON_NOTIFIER_OPENED = 0,
    MON_NOTIFIER_REPEATED,
    MON_NOTIFIER_CLOSED,
    MON_NOTIFIER_SILENCED /* opened under a silence: nothing sent */
} mon_notifier_event_kind_t;

/* One event of a group's incident timeline. */
typedef struct mon_notifier_event_s {
    int64_t t_ms;
    const char *notifier; /* the configuration's */
    mon_notifier_event_kind_t event;
    char id[MON_NOTIFY_ID_SIZE];
    ev_status_t status;
    bool has_delivery;            /* its delivery is still known */
    mon_delivery_info_t delivery; /* when has_delivery */
} mon_notifier_event_t;

/* A group's incidents (one per notifier that evaluated it) and their
 * timeline, oldest event first. Free with mon_notifier_group_free. */
typedef struct mon_notifier_group_s {
    mon_notifier_incident_t *incidents;
    size_t n_incidents;
    mon_notifier_event_t *timeline;
    size_t n_timeline;
} mon_notifier_group_t;

/* Free the copies and zero them; NULL is fine. */
void mon_notifier_view_free(mon_notifier_view_t *v);
void mon_notifier_group_free(mon_notifier_group_t *g);

/* ---- silences (mon_silence.h) ---- */

#define MON_SILENCE_ID_LEN 37 /* a UUID in text plus its NUL */

/* What a change of the silences can end with (HTTP status in the
 * comments). */
typedef enum mon_silence_rc_e {
    MON_SILENCE_OK = 0,
    MON_SILENCE_BAD = -1,       /* the request is wrong (400) */
    MON_SILENCE_NOT_FOUND = -2, /* no silence with that id (404) */
    MON_SILENCE_FULL = -3,      /* MON_SILENCE_MAX kept already (409) */
    MON_SILENCE_IO = -4,        /* the file could not be written (500) */
    MON_SILENCE_SLOW = -5,      /* the disk did not answer in time (503);
                                 * the change is in effect if it lands */
    MON_SILENCE_NONE = -6       /* no silences here at all (404) */
} mon_silence_rc_t;

/* A copy of one silence. */
typedef struct mon_silence_info_s {
    char id[MON_SILENCE_ID_LEN];
    char *group;      /* pattern; NULL = any group */
    char *cluster;    /* pattern; NULL = any cluster */
    int64_t until_ms; /* wall clock, ms since the epoch */
    int64_t created_ms;
    char *comment;
    char *created_by;
    bool active; /* in effect at the time it was asked */
} mon_silence_info_t;

/* Frees v[0..n) and v; NULL is fine. */
void mon_silence_list_free(mon_silence_info_t *v, size_t n);

#endif
