/* SPDX-License-Identifier: Apache-2.0 */
/* ev_status: the status and rule vocabulary shared by every output.
 *
 * Status numbers are Burrow's StatusConstant values, so that the Prometheus
 * gauge burrow_kafka_consumer_status and any client switching on numbers
 * sees what Burrow would send. Rule ids are stable strings: the API, the
 * dashboard and webhook templates key on them, so never rename one.
 * Each rule belongs to one rule set (no-commits to both, and data-loss,
 * an overlay both rule sets show: ev_retention.h).
 */
#ifndef EV_STATUS_H
#define EV_STATUS_H

typedef enum ev_status_e {
    EV_NOTFOUND = 0,
    EV_OK = 1,
    EV_WARN = 2,
    EV_ERR = 3,
    EV_STOP = 4,
    EV_STALL = 5,
    EV_REWIND = 6
} ev_status_t;

typedef enum ev_rule_e {
    EV_RULE_NO_COMMITS = 0,      /* "no-commits" */
    EV_RULE_INCOMPLETE,          /* "incomplete" */
    EV_RULE_CURRENT_LAG_ALLOWED, /* "current-lag-allowed" */
    EV_RULE_STOP,                /* "stop" */
    EV_RULE_REWIND,              /* "rewind" */
    EV_RULE_STALL,               /* "stall" */
    EV_RULE_LAG_NOT_DECREASING,  /* "lag-not-decreasing" */
    EV_RULE_LAG_DECREASING,      /* "lag-decreasing-or-zero" */
    /* the warren rule set's (ev_warren.h) */
    EV_RULE_WARMING_UP,     /* "warming-up" */
    EV_RULE_CAUGHT_UP,      /* "caught-up" */
    EV_RULE_KEEPING_UP,     /* "keeping-up" */
    EV_RULE_DRAINING,       /* "draining" */
    EV_RULE_FALLING_BEHIND, /* "falling-behind" */
    EV_RULE_STOPPED,        /* "stopped" */
    EV_RULE_STALLED,        /* "stalled" */
    EV_RULE_REWOUND,        /* "rewound" */
    /* both rule sets' overlay (ev_retention.h) */
    EV_RULE_DATA_LOSS, /* "data-loss": committed below the log start */
    EV_RULE__COUNT
} ev_rule_t;

/* Which rule set decides: `warren` (threshold-free, measured against
 * ground truth; the default, so a zeroed ev_params_t selects it) or
 * `burrow` (Burrow's rules, bit-exact, for compatibility). */
typedef enum ev_rules_e {
    EV_RULES_WARREN = 0, /* "warren" */
    EV_RULES_BURROW = 1, /* "burrow" */
    EV_RULES__COUNT
} ev_rules_t;

/* Burrow's name of a status ("OK", "WARN", "ERR", "STOP", ...); never NULL. */
const char *ev_status_name(ev_status_t st);

/* Human label: "OK", "falling behind", "error", "stopped", "stalled",
 * "rewound", "not found". Never NULL. */
const char *ev_status_label(ev_status_t st);

/* Parses a Burrow status name (case-sensitive). Returns 0 and sets *st, or
 * -1 when the name is unknown. */
int ev_status_parse(const char *name, ev_status_t *st);

/* Stable id of a rule ("stop", "lag-not-decreasing", ...); never NULL. */
const char *ev_rule_name(ev_rule_t rule);

/* Name of a rule set, "warren" or "burrow" ("unknown" when out of range);
 * never NULL. */
const char *ev_rules_name(ev_rules_t rules);

/* Parses "warren" or "burrow" (case-sensitive). Returns 0 and sets *rules,
 * or -1 when the name is NULL or unknown (*rules untouched). */
int ev_rules_parse(const char *name, ev_rules_t *rules);

#endif
