/* SPDX-License-Identifier: Apache-2.0 */
/* mon_group_members: copies, comparison and lookup of a group's
 * membership (mon_group_members_t, declared in mon_store_types.h).
 *
 * Built on the assumption that a membership is written once a refresh
 * and read by every evaluation: a copy is one allocation (the members,
 * their assignments, an index of every assignment sorted by topic and
 * partition, and the strings), so a reader finds a partition's member
 * by binary search and freeing is one call.
 */
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"
#include "monitor/store/mon_store_types.h"

typedef struct idx_s {
    const char *topic;
    int32_t partition;
    uint32_t member;
} idx_t;

static const char *nz(const char *s) {
    return s ? s : "";
}

static int cmp_member(const void *a, const void *b) {
    return strcmp(nz(((const mon_member_t *)a)->member_id),
                  nz(((const mon_member_t *)b)->member_id));
}

static int cmp_tp(const void *a, const void *b) {
    const mon_member_tp_t *x = a, *y = b;
    int c = strcmp(nz(x->topic), nz(y->topic));
    return c ? c
             : (x->partition > y->partition) - (x->partition < y->partition);
}

static int cmp_idx(const void *a, const void *b) {
    const idx_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c
             : (x->partition > y->partition) - (x->partition < y->partition);
}

#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

static char *put_str(char **sp, const char *s) {
    size_t n = strlen(nz(s));
    char *d = *sp;
    memcpy(d, nz(s), n + 1);
    *sp += n + 1;
    return d;
}

void mon_group_members_copy(mon_group_members_t *dst,
                            const mon_group_members_t *src) {
    size_t strbytes = 0, ntp = 0, i, j;
    strbytes += strlen(nz(src->state)) + strlen(nz(src->protocol_type)) +
                strlen(nz(src->protocol)) + 3;
    for (i = 0; i < src->count; i++) {
        const mon_member_t *m = &src->members[i];
        strbytes += strlen(nz(m->member_id)) + strlen(nz(m->instance_id)) +
                    strlen(nz(m->client_id)) + strlen(nz(m->host)) + 4;
        for (j = 0; j < m->n_assigned; j++)
            strbytes += strlen(nz(m->assigned[j].topic)) + 1;
        ntp += m->n_assigned;
    }
    size_t off_tp = ALIGN8(src->count * sizeof(mon_member_t));
    size_t off_idx = ALIGN8(off_tp + ntp * sizeof(mon_member_tp_t));
    size_t off_str = off_idx + ntp * sizeof(idx_t);
    char *buf = mon_malloc(off_str + strbytes + 1);
    mon_member_t *mv = (mon_member_t *)buf;
    mon_member_tp_t *tv = (mon_member_tp_t *)(buf + off_tp);
    idx_t *iv = (idx_t *)(buf + off_idx);
    char *sp = buf + off_str;
    mon_group_members_t out = {0};
    out.state = put_str(&sp, src->state);
    out.protocol_type = put_str(&sp, src->protocol_type);
    out.protocol = put_str(&sp, src->protocol);
    out.generation = src->generation;
    out.t_ms = src->t_ms;
    out.since_ms = src->since_ms;
    size_t k = 0;
    for (i = 0; i < src->count; i++) {
        const mon_member_t *m = &src->members[i];
        mon_member_t *d = &mv[i];
        d->member_id = put_str(&sp, m->member_id);
        d->instance_id = put_str(&sp, m->instance_id);
        d->client_id = put_str(&sp, m->client_id);
        d->host = put_str(&sp, m->host);
        d->assigned = &tv[k];
        d->n_assigned = m->n_assigned;
        for (j = 0; j < m->n_assigned; j++) {
            tv[k + j].topic = put_str(&sp, m->assigned[j].topic);
            tv[k + j].partition = m->assigned[j].partition;
        }
        if (m->n_assigned > 1)
            qsort(&tv[k], m->n_assigned, sizeof(*tv), cmp_tp);
        k += m->n_assigned;
    }
    if (src->count > 1) qsort(mv, src->count, sizeof(*mv), cmp_member);
    k = 0;
    for (i = 0; i < src->count; i++)
        for (j = 0; j < mv[i].n_assigned; j++)
            iv[k++] = (idx_t){mv[i].assigned[j].topic,
                              mv[i].assigned[j].partition, (uint32_t)i};
    if (k > 1) qsort(iv, k, sizeof(*iv), cmp_idx);
    out.members = mv;
    out.count = src->count;
    out.buf_ = buf;
    out.idx_ = iv;
    out.n_idx_ = k;
    mon_group_members_free(dst);
    *dst = out;
}

void mon_group_members_free(mon_group_members_t *m) {
    if (!m) return;
    free(m->buf_);
    memset(m, 0, sizeof(*m));
}

bool mon_group_members_same(const mon_group_members_t *a,
                            const mon_group_members_t *b) {
    if (a->count != b->count) return false;
    for (size_t i = 0; i < a->count; i++) {
        const mon_member_t *x = &a->members[i], *y = &b->members[i];
        if (strcmp(nz(x->member_id), nz(y->member_id)) ||
            x->n_assigned != y->n_assigned)
            return false;
        for (size_t j = 0; j < x->n_assigned; j++)
            if (cmp_tp(&x->assigned[j], &y->assigned[j])) return false;
    }
    return true;
}

const mon_member_t *mon_group_members_owner(const mon_group_members_t *m,
                                            const char *topic,
                                            int32_t partition) {
    if (m->idx_) {
        idx_t key = {topic, partition, 0};
        const idx_t *hit =
            bsearch(&key, m->idx_, m->n_idx_, sizeof(key), cmp_idx);
        return hit ? &m->members[hit->member] : NULL;
    }
    for (size_t i = 0; i < m->count; i++)
        for (size_t j = 0; j < m->members[i].n_assigned; j++)
            if (m->members[i].assigned[j].partition == partition &&
                !strcmp(nz(m->members[i].assigned[j].topic), topic))
                return &m->members[i];
    return NULL;
}

bool mon_group_members_settled(const mon_group_members_t *m) {
    const char *s = nz(m->state);
    return !*s || !strcmp(s, "Stable") || !strcmp(s, "Empty") ||
           !strcmp(s, "Dead");
}
