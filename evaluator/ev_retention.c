/* SPDX-License-Identifier: Apache-2.0 */
/* ev_retention: log start samples, the retention margin and eta of a
 * group partition, and the data-loss overlay (the contract is in
 * ev_retention.h). Pure arithmetic on a few numbers; no allocation.
 */
#include <string.h>

#include "evaluator/ev_retention.h"

void ev_logstart_init(ev_logstart_t *ls) {
    memset(ls, 0, sizeof(*ls));
    ls->offset = -1;
}

void ev_logstart_sample(ev_logstart_t *ls, int64_t offset, int64_t t_ms) {
    if (offset < 0) return;
    if (ls->offset >= 0 && offset > ls->offset) {
        ev_lstep_t *s;
        if (ls->count < EV_LOGSTART_STEPS) {
            s = &ls->steps[(ls->start + ls->count) % EV_LOGSTART_STEPS];
            ls->count++;
        } else {
            s = &ls->steps[ls->start];
            ls->start = (uint8_t)((ls->start + 1) % EV_LOGSTART_STEPS);
        }
        s->offset = offset;
        s->t_ms = t_ms;
    } else if (offset < ls->offset) {
        ls->start = ls->count = 0; /* went back: a new log */
    }
    ls->offset = offset;
    ls->t_ms = t_ms;
}

bool ev_logstart_rate(const ev_logstart_t *ls, int64_t now_ms, double *rate) {
    if (ls->count < 2) return false;
    const ev_lstep_t *old = &ls->steps[ls->start];
    int64_t dt = now_ms - old->t_ms;
    if (dt <= 0 || ls->offset <= old->offset) return false;
    *rate = (double)(ls->offset - old->offset) * 1000.0 / (double)dt;
    return true;
}

void ev_retention_eval(const ev_logstart_t *ls, int64_t committed,
                       int64_t current_lag, int64_t retention_ms,
                       bool time_lag_known, double time_lag_s, int64_t now_ms,
                       ev_retention_t *out) {
    memset(out, 0, sizeof(*out));
    out->log_start = ls ? ls->offset : -1;
    if (ls)
        out->advance_known = ev_logstart_rate(ls, now_ms, &out->advance_rate);
    if (out->log_start < 0 || committed < 0) return;
    out->known = true;
    out->margin = committed - out->log_start;
    out->data_loss = out->margin < 0;
    ev_retention_retime(out, current_lag, retention_ms, time_lag_known,
                        time_lag_s);
}

void ev_retention_retime(ev_retention_t *out, int64_t current_lag,
                         int64_t retention_ms, bool time_lag_known,
                         double time_lag_s) {
    out->eta_known = false;
    out->eta_s = 0.0;
    out->eta_from = EV_ETA_NONE;
    if (!out->known || out->data_loss || current_lag <= 0) return;
    if (out->advance_known && out->advance_rate > 0) {
        out->eta_s = (double)out->margin / out->advance_rate;
        out->eta_known = true;
        out->eta_from = EV_ETA_ADVANCE;
    }
    if (retention_ms > 0 && time_lag_known) {
        double left = (double)retention_ms / 1000.0 - time_lag_s;
        if (left < 0) left = 0;
        if (!out->eta_known || left < out->eta_s) {
            out->eta_s = left;
            out->eta_known = true;
            out->eta_from = EV_ETA_RETENTION_MS;
        }
    }
}

void ev_retention_overlay(ev_result_t *r, const ev_retention_t *ret) {
    if (!ret->known || !ret->data_loss) return;
    r->status = EV_ERR;
    r->rule = EV_RULE_DATA_LOSS;
    r->left = ret->log_start;
    r->right = ret->log_start + ret->margin;
    r->index = -1;
    r->eta_known = false;
    r->eta_s = 0.0;
    r->drain_rate = 0.0;
}

const char *ev_eta_from_name(ev_eta_from_t from) {
    switch (from) {
    case EV_ETA_ADVANCE:
        return "log-start-advance";
    case EV_ETA_RETENTION_MS:
        return "retention-ms";
    default:
        return NULL;
    }
}
