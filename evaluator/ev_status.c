/* SPDX-License-Identifier: Apache-2.0 */
/* ev_status: names, labels and parsing of statuses and rule ids.
 *
 * Plain lookup tables indexed by the enum values, which are Burrow's
 * StatusConstant numbers; anything out of range maps to a fixed fallback
 * string so callers never see NULL.
 */
#include <string.h>

#include "evaluator/ev_status.h"

static const char *const status_names[] = {
    [EV_NOTFOUND] = "NOTFOUND", [EV_OK] = "OK",     [EV_WARN] = "WARN",
    [EV_ERR] = "ERR",           [EV_STOP] = "STOP", [EV_STALL] = "STALL",
    [EV_REWIND] = "REWIND",
};

static const char *const status_labels[] = {
    [EV_NOTFOUND] = "not found",  [EV_OK] = "OK",
    [EV_WARN] = "falling behind", [EV_ERR] = "error",
    [EV_STOP] = "stopped",        [EV_STALL] = "stalled",
    [EV_REWIND] = "rewound",
};

static const char *const rule_names[EV_RULE__COUNT] = {
    [EV_RULE_NO_COMMITS] = "no-commits",
    [EV_RULE_INCOMPLETE] = "incomplete",
    [EV_RULE_CURRENT_LAG_ALLOWED] = "current-lag-allowed",
    [EV_RULE_STOP] = "stop",
    [EV_RULE_REWIND] = "rewind",
    [EV_RULE_STALL] = "stall",
    [EV_RULE_LAG_NOT_DECREASING] = "lag-not-decreasing",
    [EV_RULE_LAG_DECREASING] = "lag-decreasing-or-zero",
    [EV_RULE_WARMING_UP] = "warming-up",
    [EV_RULE_CAUGHT_UP] = "caught-up",
    [EV_RULE_KEEPING_UP] = "keeping-up",
    [EV_RULE_DRAINING] = "draining",
    [EV_RULE_FALLING_BEHIND] = "falling-behind",
    [EV_RULE_STOPPED] = "stopped",
    [EV_RULE_STALLED] = "stalled",
    [EV_RULE_REWOUND] = "rewound",
    [EV_RULE_DATA_LOSS] = "data-loss",
};

static const char *const rules_names[EV_RULES__COUNT] = {
    [EV_RULES_WARREN] = "warren",
    [EV_RULES_BURROW] = "burrow",
};

#define N_STATUS ((int)(sizeof(status_names) / sizeof(status_names[0])))

const char *ev_status_name(ev_status_t st) {
    if ((int)st < 0 || (int)st >= N_STATUS) return "UNKNOWN";
    return status_names[st];
}

const char *ev_status_label(ev_status_t st) {
    if ((int)st < 0 || (int)st >= N_STATUS) return "unknown";
    return status_labels[st];
}

int ev_status_parse(const char *name, ev_status_t *st) {
    int i;

    if (name == NULL) return -1;
    for (i = 0; i < N_STATUS; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *st = (ev_status_t)i;
            return 0;
        }
    }
    return -1;
}

const char *ev_rule_name(ev_rule_t rule) {
    if ((int)rule < 0 || (int)rule >= EV_RULE__COUNT) return "unknown";
    return rule_names[rule];
}

const char *ev_rules_name(ev_rules_t rules) {
    if ((int)rules < 0 || (int)rules >= EV_RULES__COUNT) return "unknown";
    return rules_names[rules];
}

int ev_rules_parse(const char *name, ev_rules_t *rules) {
    int i;

    if (name == NULL) return -1;
    for (i = 0; i < EV_RULES__COUNT; i++) {
        if (strcmp(name, rules_names[i]) == 0) {
            *rules = (ev_rules_t)i;
            return 0;
        }
    }
    return -1;
}
