/* SPDX-License-Identifier: Apache-2.0 */
/* ev_deploy: what a consumer group's rebalances say about a deployment.
 *
 * Built on the assumption that a group's coordinator is seen settled
 * (Stable or Empty) between rebalances, and that each settled member set
 * that differs from the previous one (other member ids or assignments,
 * or a new generation) is one rebalance: an ev_rebalance_t, the members
 * that joined and left, the partitions whose member changed. Pure: the
 * caller passes the group's recent rebalances, oldest first; nothing
 * here reads a clock or keeps state.
 *
 * Each rebalance has a change, from the counts alone:
 *   filled      the group was empty (members_before 0) and now has members
 *   emptied     every member left (members 0)
 *   joined      members joined, none left (scale-out)
 *   left        members left, none joined (scale-in)
 *   replaced    members left and others joined in the same generation
 *   reassigned  the same members, partitions moved or a new generation
 *
 * and, where the sequence fits one, the deployment it belongs to. A run
 * is the newest rebalances each at most EV_DEPLOY_RUN_GAP_MS after the
 * previous one; a deployment is recognised on the rebalance that shows
 * it (earlier rebalances of the run keep what they were given):
 *   stop-the-world  a group refilled (filled) right after it emptied
 *                   (emptied) in the same run: the whole application was
 *                   stopped, then started
 *   blue-green      two or more members left at once, and every member
 *                   still present joined during the run: the new set
 *                   (green) took over from the old (blue) in one
 *                   generation, either replacing it directly or after
 *                   joining beside it
 *   canary          after this rebalance exactly one member runs a client
 *                   id that none of the others (at least one) runs, and
 *                   it joined in this rebalance: one member of a new
 *                   version beside the rest. A canary that goes on is
 *                   the first step of a rolling deployment: the next
 *                   rebalance says so
 *   rolling         from the run's first departure on, every rebalance
 *                   changed at most one member on each side and none
 *                   emptied or filled the group; at least two members
 *                   present before that departure are gone and at least
 *                   one member joined since: members replaced one at a
 *                   time. Joins before the first departure (the group
 *                   forming, a scale-out) do not count against it
 * in that order of precedence; EV_DEPLOY_NONE otherwise.
 */
#ifndef EV_DEPLOY_H
#define EV_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rebalances further apart than this belong to different runs. */
#define EV_DEPLOY_RUN_GAP_MS (10 * 60 * 1000)

typedef enum ev_change_e {
    EV_CHANGE_REASSIGNED = 0,
    EV_CHANGE_JOINED,
    EV_CHANGE_LEFT,
    EV_CHANGE_REPLACED,
    EV_CHANGE_EMPTIED,
    EV_CHANGE_FILLED
} ev_change_t;

typedef enum ev_deploy_e {
    EV_DEPLOY_NONE = 0,
    EV_DEPLOY_STOP_THE_WORLD,
    EV_DEPLOY_BLUE_GREEN,
    EV_DEPLOY_ROLLING,
    EV_DEPLOY_CANARY
} ev_deploy_t;

/* A member as a rebalance names it. Strings never NULL. */
typedef struct ev_member_ref_s {
    const char *member_id;
    const char *client_id;
    const char *host;
} ev_member_ref_t;

/* One rebalance. joined/left list the members (n_joined/n_left of them;
 * a caller may list fewer than joined_total/left_total, the real counts,
 * when a generation changes very many members). */
typedef struct ev_rebalance_s {
    int64_t t_ms;              /* when the new member set was first seen */
    int32_t generation_before; /* -1 when the source cannot tell */
    int32_t generation;
    const char *state_before; /* "Stable", "Empty", ... ("" unknown) */
    const char *state;
    int32_t members_before, members;
    int32_t joined_total, left_total;
    const ev_member_ref_t *joined;
    size_t n_joined;
    const ev_member_ref_t *left;
    size_t n_left;
    int32_t partitions_moved; /* partitions whose member changed */
    bool canary_shape;        /* ev_deploy_canary_shape of the new member set */
    ev_change_t change;       /* ev_deploy_change */
    ev_deploy_t deployment;   /* ev_deploy_classify */
} ev_rebalance_t;

/* The change of a rebalance from its counts. */
ev_change_t ev_deploy_change(int32_t members_before, int32_t members,
                             int32_t joined, int32_t left);

/* Whether, among the n client ids of a group's members after a
 * rebalance, exactly one member's client id is run by no other member
 * while the others (at least one) share one client id, and that member
 * is one of those that joined in the rebalance (joined[i] true). For two
 * members of different client ids, the one that joined is the odd one
 * when the other did not. */
bool ev_deploy_canary_shape(const char *const *client_ids, const bool *joined,
                            size_t n);

/* The deployment the newest of seq[0..n) (oldest first, each with its
 * change set) shows, by the rules above. */
ev_deploy_t ev_deploy_classify(const ev_rebalance_t *seq, size_t n);

/* "filled", "emptied", "joined", "left", "replaced", "reassigned". */
const char *ev_change_name(ev_change_t c);

/* "stop-the-world", "blue-green", "rolling", "canary"; NULL for none. */
const char *ev_deploy_name(ev_deploy_t d);

/* Parses a name of ev_deploy_name ("none" gives EV_DEPLOY_NONE).
 * Returns 0 or -1. */
int ev_deploy_parse(const char *s, ev_deploy_t *out);

/* One sentence for an operator: what changed and, for a deployment,
 * which kind; e.g. "rolling deployment: 1 member replaced (app-1 left,
 * app-1 joined), 3 -> 3 members, 2 partitions moved". Returns the
 * length snprintf would. */
int ev_deploy_explain(const ev_rebalance_t *r, char *buf, size_t size);

#endif
