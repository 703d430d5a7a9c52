/* SPDX-License-Identifier: Apache-2.0 */
/* bc_assign: range and round-robin assignors, Kafka's algorithms. See
 * bc_assign.h.
 *
 * Groups are small (tens of members, thousands of partitions at most), so
 * "is member m subscribed to topic t" is a linear scan of m's topics; the
 * cost is O(partitions x members x topics-per-member) in the worst case,
 * which is far below a rebalance's other costs.
 */
#include "broker-core/bc_assign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker-core/bc_mem.h"

/* Kafka's MemberInfo order: static members (with an instance id) first,
 * by instance id; then dynamic ones by member id. */
static int member_cmp(const bc_assign_member_t *x,
                      const bc_assign_member_t *y) {
    int c;

    if (x->group_instance_id && y->group_instance_id) {
        c = bc_group_java_cmp(x->group_instance_id, y->group_instance_id);
        if (c) return c;
    } else if (x->group_instance_id) {
        return -1;
    } else if (y->group_instance_id) {
        return 1;
    }
    return bc_group_java_cmp(x->member_id, y->member_id);
}

/* Insertion sort of member indexes (qsort has no context argument in C11
 * and member counts are small). */
static void sort_members(const bc_assign_member_t *members, size_t *idx,
                         size_t n) {
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], j = i;

        while (j > 0 && member_cmp(&members[idx[j - 1]], &members[v]) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
}

static int subscribed(const bc_assign_member_t *m, const char *topic) {
    for (size_t i = 0; i < m->topic_cnt; i++)
        if (m->topics[i] && !strcmp(m->topics[i], topic)) return 1;
    return 0;
}

static void list_add(bc_assign_list_t *l, size_t *cap, const char *topic,
                     int32_t partition) {
    if (l->cnt == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        l->tps = bc_realloc(l->tps, *cap * sizeof(*l->tps));
    }
    l->tps[l->cnt].topic = topic;
    l->tps[l->cnt].partition = partition;
    l->cnt++;
}

/* RangeAssignor: per topic, sorted subscribers get contiguous ranges. */
static void assign_range(const bc_assign_member_t *members,
                         const size_t *sorted, size_t member_cnt,
                         const bc_assign_topic_t *topics, size_t topic_cnt,
                         bc_assign_list_t *out, size_t *caps) {
    size_t *subs = bc_calloc(member_cnt ? member_cnt : 1, sizeof(*subs));

    for (size_t t = 0; t < topic_cnt; t++) {
        size_t c = 0;
        int32_t n = topics[t].partitions, per, extra;

        for (size_t i = 0; i < member_cnt; i++)
            if (subscribed(&members[sorted[i]], topics[t].topic))
                subs[c++] = sorted[i];
        if (!c) continue;
        per = n / (int32_t)c;
        extra = n % (int32_t)c;
        for (size_t i = 0; i < c; i++) {
            int32_t ii = (int32_t)i;
            int32_t start = per * ii + (ii < extra ? ii : extra);
            int32_t len = per + (ii + 1 > extra ? 0 : 1);

            for (int32_t p = start; p < start + len; p++)
                list_add(&out[subs[i]], &caps[subs[i]], topics[t].topic, p);
        }
    }
    free(subs);
}

static int topic_idx_cmp_ctx(const bc_assign_topic_t *topics, size_t a,
                             size_t b) {
    return bc_group_java_cmp(topics[a].topic, topics[b].topic);
}

/* RoundRobinAssignor: sorted partitions of every subscribed topic dealt to
 * the sorted members in a circle, skipping non-subscribers. */
static void assign_roundrobin(const bc_assign_member_t *members,
                              const size_t *sorted, size_t member_cnt,
                              const bc_assign_topic_t *topics, size_t topic_cnt,
                              bc_assign_list_t *out, size_t *caps) {
    size_t *tidx = bc_calloc(topic_cnt ? topic_cnt : 1, sizeof(*tidx));
    size_t tn = 0, cur = 0;

    if (!member_cnt) goto out;
    /* Topics subscribed by anyone, in Java string order. */
    for (size_t t = 0; t < topic_cnt; t++) {
        for (size_t i = 0; i < member_cnt; i++) {
            if (subscribed(&members[i], topics[t].topic)) {
                tidx[tn++] = t;
                break;
            }
        }
    }
    for (size_t i = 1; i < tn; i++) {
        size_t v = tidx[i], j = i;

        while (j > 0 && topic_idx_cmp_ctx(topics, tidx[j - 1], v) > 0) {
            tidx[j] = tidx[j - 1];
            j--;
        }
        tidx[j] = v;
    }
    for (size_t k = 0; k < tn; k++) {
        const bc_assign_topic_t *tp = &topics[tidx[k]];

        for (int32_t p = 0; p < tp->partitions; p++) {
            /* Some member is subscribed, so this loop ends. */
            while (!subscribed(&members[sorted[cur]], tp->topic))
                cur = (cur + 1) % member_cnt;
            list_add(&out[sorted[cur]], &caps[sorted[cur]], tp->topic, p);
            cur = (cur + 1) % member_cnt;
        }
    }
out:
    free(tidx);
}

int bc_assign_compute(bc_assign_strategy_t strategy,
                      const bc_assign_member_t *members, size_t member_cnt,
                      const bc_assign_topic_t *topics, size_t topic_cnt,
                      bc_assign_list_t *out, char *errstr, size_t errstr_size) {
    size_t *sorted = NULL, *caps = NULL;

    for (size_t i = 0; i < member_cnt; i++) {
        out[i].tps = NULL;
        out[i].cnt = 0;
    }
    for (size_t i = 0; i < member_cnt; i++) {
        if (!members[i].member_id) {
            snprintf(errstr, errstr_size, "member %zu has no member id", i);
            return -1;
        }
        for (size_t j = i + 1; j < member_cnt; j++) {
            if (members[j].member_id &&
                !strcmp(members[i].member_id, members[j].member_id)) {
                snprintf(errstr, errstr_size, "duplicate member id '%s'",
                         members[i].member_id);
                return -1;
            }
        }
    }
    for (size_t i = 0; i < topic_cnt; i++) {
        if (topics[i].partitions < 0) {
            snprintf(errstr, errstr_size,
                     "topic '%s' has a negative partition count %d",
                     topics[i].topic, (int)topics[i].partitions);
            return -1;
        }
        for (size_t j = i + 1; j < topic_cnt; j++) {
            if (!strcmp(topics[i].topic, topics[j].topic)) {
                snprintf(errstr, errstr_size, "duplicate topic '%s'",
                         topics[i].topic);
                return -1;
            }
        }
    }
    if (strategy != BC_ASSIGN_RANGE && strategy != BC_ASSIGN_ROUNDROBIN) {
        snprintf(errstr, errstr_size, "unknown assignment strategy %d",
                 (int)strategy);
        return -1;
    }

    sorted = bc_calloc(member_cnt ? member_cnt : 1, sizeof(*sorted));
    caps = bc_calloc(member_cnt ? member_cnt : 1, sizeof(*caps));
    for (size_t i = 0; i < member_cnt; i++)
        sorted[i] = i;
    sort_members(members, sorted, member_cnt);

    if (strategy == BC_ASSIGN_RANGE)
        assign_range(members, sorted, member_cnt, topics, topic_cnt, out, caps);
    else
        assign_roundrobin(members, sorted, member_cnt, topics, topic_cnt, out,
                          caps);

    for (size_t i = 0; i < member_cnt; i++)
        if (out[i].cnt > 1)
            qsort(out[i].tps, out[i].cnt, sizeof(*out[i].tps), bc_group_tp_cmp);
    free(sorted);
    free(caps);
    return 0;
}

void bc_assign_lists_free(bc_assign_list_t *out, size_t member_cnt) {
    if (!out) return;
    for (size_t i = 0; i < member_cnt; i++) {
        free(out[i].tps);
        out[i].tps = NULL;
        out[i].cnt = 0;
    }
}

const char *bc_assign_strategy_name(bc_assign_strategy_t strategy) {
    return strategy == BC_ASSIGN_ROUNDROBIN ? "roundrobin" : "range";
}

int bc_assign_strategy_parse(const char *name, bc_assign_strategy_t *strategy) {
    if (!name) return -1;
    if (!strcmp(name, "range")) {
        *strategy = BC_ASSIGN_RANGE;
        return 0;
    }
    if (!strcmp(name, "roundrobin")) {
        *strategy = BC_ASSIGN_ROUNDROBIN;
        return 0;
    }
    return -1;
}
