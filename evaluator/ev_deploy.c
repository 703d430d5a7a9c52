/* SPDX-License-Identifier: Apache-2.0 */
/* ev_deploy: see ev_deploy.h. Runs are short (a deployment is a handful
 * of rebalances), so member ids are matched by scanning. */
#include "evaluator/ev_deploy.h"

#include <stdio.h>
#include <string.h>

ev_change_t ev_deploy_change(int32_t members_before, int32_t members,
                             int32_t joined, int32_t left) {
    if (members_before == 0 && members > 0) return EV_CHANGE_FILLED;
    if (members == 0 && members_before > 0) return EV_CHANGE_EMPTIED;
    if (joined > 0 && left > 0) return EV_CHANGE_REPLACED;
    if (joined > 0) return EV_CHANGE_JOINED;
    if (left > 0) return EV_CHANGE_LEFT;
    return EV_CHANGE_REASSIGNED;
}

bool ev_deploy_canary_shape(const char *const *client_ids, const bool *joined,
                            size_t n) {
    if (n < 2) return false;
    if (n == 2) /* two client ids: the one that joined beside the other */
        return strcmp(client_ids[0], client_ids[1]) && joined[0] != joined[1];
    size_t odd = n, i, j;
    for (i = 0; i < n; i++) {
        size_t same = 0;
        for (j = 0; j < n; j++)
            if (j != i && !strcmp(client_ids[i], client_ids[j])) same++;
        if (same == 0) {
            if (odd != n) return false; /* two members run ids of their own */
            odd = i;
        }
    }
    if (odd == n || !joined[odd]) return false;
    /* the others share one client id */
    const char *rest = client_ids[odd == 0 ? 1 : 0];
    for (i = 0; i < n; i++)
        if (i != odd && strcmp(client_ids[i], rest)) return false;
    return true;
}

/* Whether id is among the first n members of list. */
static bool listed(const ev_member_ref_t *list, size_t n, const char *id) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i].member_id, id)) return true;
    return false;
}

/* Whether member id joined in seq[from..to) and did not leave after. */
static bool joined_in(const ev_rebalance_t *seq, size_t from, size_t to,
                      const char *id) {
    bool in = false;
    for (size_t k = from; k < to; k++) {
        if (listed(seq[k].left, seq[k].n_left, id)) in = false;
        if (listed(seq[k].joined, seq[k].n_joined, id)) in = true;
    }
    return in;
}

static bool complete(const ev_rebalance_t *r) {
    return r->n_joined == (size_t)r->joined_total &&
           r->n_left == (size_t)r->left_total;
}

/* Blue-green: two or more left at once and every member now present
 * joined during the run seq[s..n). */
static bool blue_green(const ev_rebalance_t *seq, size_t s, size_t n) {
    const ev_rebalance_t *r = &seq[n - 1];
    if (r->left_total < 2 || r->members <= 0) return false;
    if (r->left_total == r->members_before && r->joined_total == r->members)
        return true; /* every member replaced in this generation */
    for (size_t k = s; k < n; k++)
        if (!complete(&seq[k])) return false;
    /* members present now that joined in the run */
    int32_t fresh = 0;
    for (size_t k = s; k < n; k++)
        for (size_t i = 0; i < seq[k].n_joined; i++) {
            const char *id = seq[k].joined[i].member_id;
            bool first = true; /* count each id once: its last join */
            for (size_t k2 = k + 1; k2 < n && first; k2++)
                if (listed(seq[k2].joined, seq[k2].n_joined, id)) first = false;
            if (first && joined_in(seq, k, n, id)) fresh++;
        }
    return fresh == r->members;
}

/* Rolling: single-member steps from the run's first departure on, two
 * or more members gone that were there before it, someone joined. Joins
 * before the first departure (the group forming, a scale-out) are not
 * part of the deployment. */
static bool rolling(const ev_rebalance_t *seq, size_t s, size_t n) {
    const ev_rebalance_t *r = &seq[n - 1];
    if (r->joined_total + r->left_total == 0) return false;
    while (s < n && seq[s].left_total == 0)
        s++;
    int32_t gone = 0, joins = 0;
    for (size_t k = s; k < n; k++) {
        const ev_rebalance_t *e = &seq[k];
        if (e->left_total > 1 || e->joined_total > 1 ||
            e->change == EV_CHANGE_EMPTIED || e->change == EV_CHANGE_FILLED ||
            !complete(e))
            return false;
        joins += e->joined_total;
        for (size_t i = 0; i < e->n_left; i++)
            if (!joined_in(seq, s, k, e->left[i].member_id)) gone++;
    }
    return gone >= 2 && joins >= 1;
}

ev_deploy_t ev_deploy_classify(const ev_rebalance_t *seq, size_t n) {
    if (n == 0) return EV_DEPLOY_NONE;
    const ev_rebalance_t *r = &seq[n - 1];
    size_t s = n - 1;
    while (s > 0 && seq[s].t_ms - seq[s - 1].t_ms <= EV_DEPLOY_RUN_GAP_MS)
        s--;
    if (r->change == EV_CHANGE_FILLED && n >= 2 &&
        seq[n - 2].change == EV_CHANGE_EMPTIED)
        return EV_DEPLOY_STOP_THE_WORLD;
    if (blue_green(seq, s, n)) return EV_DEPLOY_BLUE_GREEN;
    if (r->canary_shape) return EV_DEPLOY_CANARY;
    if (rolling(seq, s, n)) return EV_DEPLOY_ROLLING;
    return EV_DEPLOY_NONE;
}

static const char *const CHANGE_NAMES[] = {"reassigned", "joined",  "left",
                                           "replaced",   "emptied", "filled"};
static const char *const DEPLOY_NAMES[] = {NULL, "stop-the-world", "blue-green",
                                           "rolling", "canary"};

const char *ev_change_name(ev_change_t c) {
    return (unsigned)c < sizeof(CHANGE_NAMES) / sizeof(*CHANGE_NAMES)
               ? CHANGE_NAMES[c]
               : "reassigned";
}

const char *ev_deploy_name(ev_deploy_t d) {
    return (unsigned)d < sizeof(DEPLOY_NAMES) / sizeof(*DEPLOY_NAMES)
               ? DEPLOY_NAMES[d]
               : NULL;
}

int ev_deploy_parse(const char *s, ev_deploy_t *out) {
    if (!s) return -1;
    if (!strcmp(s, "none")) {
        *out = EV_DEPLOY_NONE;
        return 0;
    }
    for (size_t i = 1; i < sizeof(DEPLOY_NAMES) / sizeof(*DEPLOY_NAMES); i++)
        if (!strcmp(s, DEPLOY_NAMES[i])) {
            *out = (ev_deploy_t)i;
            return 0;
        }
    return -1;
}

/* Appends to buf at *len (snprintf's way: *len may pass size). */
#define APPEND(...)                                                            \
    do {                                                                       \
        int w_ = snprintf(buf + (*len < size ? *len : size),                   \
                          *len < size ? size - *len : 0, __VA_ARGS__);         \
        if (w_ > 0) *len += (size_t)w_;                                        \
    } while (0)

/* " (a, b, ...)": the distinct client ids of list, at most three. */
static void clients(char *buf, size_t size, size_t *len,
                    const ev_member_ref_t *list, size_t n) {
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c =
            list[i].client_id[0] ? list[i].client_id : "no client id";
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(c, list[j].client_id[0] ? list[j].client_id
                                                   : "no client id");
        if (seen) continue;
        if (shown == 3) {
            APPEND(", ...");
            break;
        }
        APPEND("%s%s", shown ? ", " : " (", c);
        shown++;
    }
    if (shown) APPEND(")");
}

static const char *plural(int32_t n) {
    return n == 1 ? "" : "s";
}

int ev_deploy_explain(const ev_rebalance_t *r, char *buf, size_t size) {
    size_t n = 0, *len = &n;
    if (size) buf[0] = '\0';
    const char *d = ev_deploy_name(r->deployment);
    if (d)
        APPEND("%s deployment: ", d);
    else
        APPEND("rebalance: ");
    switch (r->change) {
    case EV_CHANGE_FILLED:
        if (r->deployment == EV_DEPLOY_STOP_THE_WORLD)
            APPEND("the group was emptied, then ");
        APPEND("%d member%s joined the empty group", r->joined_total,
               plural(r->joined_total));
        clients(buf, size, len, r->joined, r->n_joined);
        break;
    case EV_CHANGE_EMPTIED:
        APPEND("all %d member%s", r->left_total, plural(r->left_total));
        clients(buf, size, len, r->left, r->n_left);
        APPEND(" left, the group is empty");
        break;
    case EV_CHANGE_JOINED:
        APPEND("%d member%s joined", r->joined_total, plural(r->joined_total));
        clients(buf, size, len, r->joined, r->n_joined);
        break;
    case EV_CHANGE_LEFT:
        APPEND("%d member%s left", r->left_total, plural(r->left_total));
        clients(buf, size, len, r->left, r->n_left);
        break;
    case EV_CHANGE_REPLACED:
        APPEND("%d member%s left", r->left_total, plural(r->left_total));
        clients(buf, size, len, r->left, r->n_left);
        APPEND(" and %d joined", r->joined_total);
        clients(buf, size, len, r->joined, r->n_joined);
        break;
    case EV_CHANGE_REASSIGNED:
        APPEND("the same members");
        break;
    }
    if (r->change != EV_CHANGE_REASSIGNED)
        APPEND(", %d -> %d member%s", r->members_before, r->members,
               plural(r->members));
    if (r->generation_before >= 0 && r->generation >= 0)
        APPEND(", generation %d -> %d", r->generation_before, r->generation);
    APPEND(", %d partition%s moved", r->partitions_moved,
           plural(r->partitions_moved));
    return (int)n;
}
