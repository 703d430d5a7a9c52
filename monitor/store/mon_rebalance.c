/* SPDX-License-Identifier: Apache-2.0 */
/* mon_rebalance: see mon_rebalance.h. Members of a copy are sorted by
 * member id, so joined and left come from one merge walk. */
#include "monitor/store/mon_rebalance.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"

static ev_member_ref_t ref_of(const mon_member_t *m) {
    return (ev_member_ref_t){m->member_id, m->client_id, m->host};
}

static bool same_owner(const mon_member_t *a, const mon_member_t *b) {
    return a && b && !strcmp(a->member_id, b->member_id);
}

/* Partitions assigned in `from` whose member in `to` differs (or none
 * is); with count_unowned false, only those `to` assigns nobody. */
static int32_t moved(const mon_group_members_t *from,
                     const mon_group_members_t *to, bool count_unowned) {
    int32_t n = 0;
    for (size_t i = 0; i < from->count; i++)
        for (size_t j = 0; j < from->members[i].n_assigned; j++) {
            const mon_member_tp_t *tp = &from->members[i].assigned[j];
            const mon_member_t *o =
                mon_group_members_owner(to, tp->topic, tp->partition);
            if (count_unowned ? !same_owner(o, &from->members[i]) : !o) n++;
        }
    return n;
}

void mon_rebalance_diff(const mon_group_members_t *before,
                        const mon_group_members_t *after, ev_rebalance_t *out,
                        ev_member_ref_t **refs) {
    memset(out, 0, sizeof(*out));
    ev_member_ref_t *v =
        mon_malloc((before->count + after->count + 1) * sizeof(*v));
    size_t nj = 0, nl = 0, i = 0, j = 0;
    bool *joined = mon_calloc(after->count + 1, sizeof(bool));
    /* joined from the front of v, left from the back */
    size_t back = before->count + after->count;
    while (i < before->count || j < after->count) {
        int c = i == before->count  ? 1
                : j == after->count ? -1
                                    : strcmp(before->members[i].member_id,
                                             after->members[j].member_id);
        if (c < 0) {
            v[--back] = ref_of(&before->members[i++]);
            nl++;
        } else if (c > 0) {
            joined[j] = true;
            v[nj++] = ref_of(&after->members[j++]);
        } else {
            i++;
            j++;
        }
    }
    const char **cids = mon_calloc(after->count + 1, sizeof(*cids));
    for (j = 0; j < after->count; j++)
        cids[j] = after->members[j].client_id;
    out->canary_shape = ev_deploy_canary_shape(cids, joined, after->count);
    free(cids);
    free(joined);
    out->t_ms = after->t_ms;
    out->generation_before = before->generation;
    out->generation = after->generation;
    out->state_before = before->state ? before->state : "";
    out->state = after->state ? after->state : "";
    out->members_before = (int32_t)before->count;
    out->members = (int32_t)after->count;
    out->joined_total = (int32_t)nj;
    out->left_total = (int32_t)nl;
    out->joined = v;
    out->n_joined = nj;
    out->left = v + back;
    out->n_left = nl;
    /* every partition that changed hands, was given out or taken back */
    out->partitions_moved =
        moved(before, after, true) + moved(after, before, false);
    out->change = ev_deploy_change(out->members_before, out->members,
                                   out->joined_total, out->left_total);
    out->deployment = EV_DEPLOY_NONE;
    *refs = v;
}

size_t mon_rebalance_collect(mon_store_t *st, mon_history_t *h,
                             const char *cluster, const char *group,
                             mon_rebalance_fn fn, void *arg) {
    mon_member_change_t *ch = NULL;
    size_t n = 0;
    if (mon_store_take_member_changes(st, cluster, group, &ch, &n) != 0 || !n)
        return 0;
    mon_hrebalances_t past = {0};
    mon_history_rebalances(h, cluster, group, 0, &past);
    /* the sequence: earlier rebalances, then each new one in turn */
    ev_rebalance_t *seq = mon_malloc((past.n + n) * sizeof(*seq));
    ev_member_ref_t **refs = mon_calloc(n, sizeof(*refs));
    for (size_t i = 0; i < past.n; i++)
        seq[i] = *past.v[i];
    for (size_t k = 0; k < n; k++) {
        ev_rebalance_t *r = &seq[past.n + k];
        mon_rebalance_diff(&ch[k].before, &ch[k].after, r, &refs[k]);
        r->deployment = ev_deploy_classify(seq, past.n + k + 1);
        mon_history_add_rebalance(h, cluster, group, r);
        if (fn) fn(arg, cluster, group, r);
    }
    for (size_t k = 0; k < n; k++) {
        free(refs[k]);
        mon_member_change_free(&ch[k]);
    }
    free(refs);
    free(ch);
    free(seq);
    mon_hrebalances_free(&past);
    return n;
}
