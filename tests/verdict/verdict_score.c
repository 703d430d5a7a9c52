/* SPDX-License-Identifier: Apache-2.0 */
/* verdict_score: replays a labelled corpus through the real store and
 * evaluator with both rule sets and scores the verdicts against the truth.
 *
 * Every trace of DIR (written by verdict_sim) is read with the monitor's
 * trace parser and applied to a mon_store exactly as `warren replay`
 * does; every second of virtual time each partition is evaluated with
 * the burrow and the warren rules (after every line of that instant) and
 * its verdict (OK, WARN, or ERR for STOP, STALL and REWIND) is compared
 * with the truth line in force. Samples whose truth is GRACE count
 * nowhere. Per scenario kind and in total it prints:
 *   false alarm  share of truly-OK samples judged WARN or ERR
 *   false ERR    share of truly-OK samples judged ERR (a page)
 *   missed WARN  share of truly-WARN samples judged OK
 *   missed ERR   share of truly-ERR samples not judged ERR
 *   ERR delay    median over stall/stop episodes of the time from the
 *                event to the first ERR, in windows (intervals x the
 *                commit interval); an ERR during the GRACE between the
 *                event and the truth's ERR onset counts (the partition
 *                is truly stalled or stopped then: the grace only keeps
 *                those verdicts out of the miss counts), so the delay is
 *                not floored at the truth's own onset, W > 1 window
 *   WARN delay   median over falling-behind episodes of the time from
 *                the truth's WARN onset to the first WARN or ERR, s (0
 *                when it came during the GRACE before the onset)
 * The first minute after start is scored like any other.
 *
 * usage: verdict_score [--assert] [--label TEXT] [-v] [--misses] DIR
 * -v prints each trace's counts, --misses each false alarm and missed
 * WARN of the warren rules with the rule and its numbers.
 * With --assert the exit code is 1 unless the warren rules meet issue
 * 13's targets in total (false alarm <= 0.1%, false ERR <= 0.02%, missed
 * WARN <= 5%, missed ERR <= 1%, median ERR delay <= 1 window).
 */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evaluator/ev_rules.h"
#include "monitor/sources/mon_trace.h"
#include "monitor/store/mon_store.h"

#define MAXP 64
#define TICK_MS 1000
#define NKIND 16
#define MAXDELAYS 4096

typedef struct counts_s {
    long ok, ok_alarm, ok_err, warn, warn_missed, err, err_missed;
} counts_t;

typedef struct delays_s {
    double v[MAXDELAYS];
    int n;
} delays_t;

typedef struct kind_s {
    char name[32];
    int scenarios;
    counts_t c[2];
    delays_t err_delay[2];  /* windows */
    delays_t warn_delay[2]; /* seconds */
} kind_t;

/* Per-partition episode tracking for one rule set. */
typedef struct ep_s {
    int64_t event_t; /* start of the GRACE before ERR/WARN, or -1 */
    int64_t onset_t; /* when the truth became ERR or WARN */
    int detected;
    /* during the GRACE that follows an event (an OK partition starts
     * to stall, stop or fall behind): the first ERR and the first WARN
     * or ERR verdict, -1 until seen */
    int64_t first_err_t, first_alarm_t;
} ep_t;

static kind_t kinds[NKIND];
static const char *cur_path;
static int64_t t_first; /* the current trace's first time */
static int nkinds;
static const ev_rules_t rule_sets[2] = {EV_RULES_BURROW, EV_RULES_WARREN};

static kind_t *kind_of(const char *name) {
    int i;

    for (i = 0; i < nkinds; i++)
        if (!strcmp(kinds[i].name, name)) return &kinds[i];
    if (nkinds == NKIND) return &kinds[NKIND - 1];
    snprintf(kinds[nkinds].name, sizeof(kinds[nkinds].name), "%s", name);
    return &kinds[nkinds++];
}

static void add_delay(delays_t *d, double v) {
    if (d->n < MAXDELAYS) d->v[d->n++] = v;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(delays_t *d) {
    if (d->n == 0) return -1;
    qsort(d->v, (size_t)d->n, sizeof(double), cmp_d);
    return d->n % 2 ? d->v[d->n / 2]
                    : (d->v[d->n / 2 - 1] + d->v[d->n / 2]) / 2;
}

typedef struct file_s {
    mon_store_t *st;
    mon_store_cluster_t *cl;
    kind_t *kind;
    int64_t window_ms;
    int truth[MAXP];
    int64_t grace_since[MAXP];
    int pre_grace[MAXP]; /* in the GRACE that began from OK */
    ep_t ep[2][MAXP];
    mon_group_eval_t ev;
    ev_params_t params[2];
} file_t;

static int show_misses;

/* --misses: one line per false alarm or missed WARN of the warren rules,
 * with the rule and the numbers it compared. */
static void print_miss(const char *what, int p, int64_t t,
                       const ev_result_t *x) {
    printf("%s: %s at t+%llds p%d: %s %s, z %.2f over %.1f s, lag %lld -> "
           "%lld, consumer %.3f producers %.3f msg/s\n",
           cur_path, what, (long long)(t - t_first) / 1000, p,
           ev_status_name(x->status), ev_rule_name(x->rule), x->z, x->span_s,
           (long long)x->left, (long long)x->right, x->rate_consumer,
           x->rate_producer);
}

static int verdict_of(ev_status_t st) {
    return st == EV_OK     ? MON_TRUTH_OK
           : st == EV_WARN ? MON_TRUTH_WARN
                           : MON_TRUTH_ERR;
}

static void sample(file_t *fs, int64_t t) {
    int r;
    size_t i;

    for (r = 0; r < 2; r++) {
        counts_t *c = &fs->kind->c[r];

        if (mon_store_group_eval(fs->st, "local", "g", t, &fs->params[r],
                                 &fs->ev) != 0)
            continue;
        for (i = 0; i < fs->ev.count && i < MAXP; i++) {
            int p = fs->ev.parts[i].partition;
            int v = verdict_of(fs->ev.parts[i].result.status);
            ep_t *ep = &fs->ep[r][p];

            switch (fs->truth[p]) {
            case MON_TRUTH_OK:
                if (show_misses && r == 1 && v != MON_TRUTH_OK)
                    print_miss("false alarm", p, t, &fs->ev.parts[i].result);
                c->ok++;
                c->ok_alarm += v != MON_TRUTH_OK;
                c->ok_err += v == MON_TRUTH_ERR;
                break;
            case MON_TRUTH_WARN:
                if (show_misses && r == 1 && v == MON_TRUTH_OK)
                    print_miss("missed WARN", p, t, &fs->ev.parts[i].result);
                c->warn++;
                c->warn_missed += v == MON_TRUTH_OK;
                if (!ep->detected && v != MON_TRUTH_OK) {
                    ep->detected = 1;
                    add_delay(&fs->kind->warn_delay[r],
                              (double)(t - ep->onset_t) / 1000.0);
                }
                break;
            case MON_TRUTH_ERR:
                c->err++;
                c->err_missed += v != MON_TRUTH_ERR;
                if (!ep->detected && v == MON_TRUTH_ERR) {
                    ep->detected = 1;
                    add_delay(&fs->kind->err_delay[r],
                              (double)(t - ep->event_t) /
                                  (double)fs->window_ms);
                }
                break;
            case MON_TRUTH_GRACE:
                if (fs->pre_grace[p]) {
                    if (v == MON_TRUTH_ERR && ep->first_err_t < 0)
                        ep->first_err_t = t;
                    if (v != MON_TRUTH_OK && ep->first_alarm_t < 0)
                        ep->first_alarm_t = t;
                }
                break;
            default:
                break;
            }
        }
    }
}

/* A detection during the GRACE before the truth's onset counts: the
 * partition is truly stalled, stopped or behind from the event on; the
 * grace only keeps the verdicts of that time out of the miss counts. So
 * the ERR delay is measured from the event to the first ERR, wherever it
 * falls (the truth's ERR onset itself is a window and more after the
 * event), and the WARN delay is 0 when the WARN came before the onset. */
static void truth_change(file_t *fs, int p, int st, int64_t t) {
    int r;

    if (p < 0 || p >= MAXP) return;
    if (st == MON_TRUTH_GRACE && fs->truth[p] != MON_TRUTH_GRACE) {
        fs->grace_since[p] = t;
        fs->pre_grace[p] = fs->truth[p] == MON_TRUTH_OK;
        for (r = 0; r < 2; r++)
            fs->ep[r][p].first_err_t = fs->ep[r][p].first_alarm_t = -1;
    }
    if (st == MON_TRUTH_ERR || st == MON_TRUTH_WARN) {
        for (r = 0; r < 2; r++) {
            ep_t *ep = &fs->ep[r][p];
            int pre = fs->truth[p] == MON_TRUTH_GRACE && fs->pre_grace[p];

            ep->event_t =
                fs->truth[p] == MON_TRUTH_GRACE ? fs->grace_since[p] : t;
            ep->onset_t = t;
            ep->detected = 0;
            if (pre && st == MON_TRUTH_ERR && ep->first_err_t >= 0) {
                ep->detected = 1;
                add_delay(&fs->kind->err_delay[r],
                          (double)(ep->first_err_t - ep->event_t) /
                              (double)fs->window_ms);
            } else if (pre && st == MON_TRUTH_WARN && ep->first_alarm_t >= 0) {
                ep->detected = 1;
                add_delay(&fs->kind->warn_delay[r], 0.0);
            }
        }
    }
    if (st != MON_TRUTH_GRACE) fs->pre_grace[p] = 0;
    fs->truth[p] = st;
}

/* Reads the scenario fields the parser ignores from the config line. */
static void read_meta(const char *line, file_t *fs) {
    cJSON *o = cJSON_Parse(line);
    const cJSON *k, *w;

    fs->window_ms = 100000;
    k = o ? cJSON_GetObjectItemCaseSensitive(o, "scenario") : NULL;
    w = o ? cJSON_GetObjectItemCaseSensitive(o, "commit_ms") : NULL;
    fs->kind = kind_of(cJSON_IsString(k) ? k->valuestring : "unknown");
    if (cJSON_IsNumber(w))
        fs->window_ms = (int64_t)w->valuedouble * 10; /* intervals 10 */
    cJSON_Delete(o);
}

static int verbose;

static int score_file(const char *path) {
    FILE *f = fopen(path, "r");
    mon_trace_reader_t *rd;
    mon_trace_event_t te;
    mon_store_config_t sc;
    file_t fs;
    char *line = NULL, err[512];
    size_t cap = 0;
    ssize_t n;
    int64_t next_sample = -1, last_t = 0;
    int r, first = 1, rc = 0;

    if (!f) {
        perror(path);
        return -1;
    }
    memset(&fs, 0, sizeof(fs));
    cur_path = path;
    rd = mon_trace_reader_new(path);
    while ((n = getline(&line, &cap, f)) >= 0) {
        if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
        if (first) {
            read_meta(line, &fs);
            fs.kind->scenarios++;
        }
        if (mon_trace_parse_line(rd, line, (size_t)n, &te, err, sizeof(err)) <
            0) {
            fprintf(stderr, "%s\n", err);
            rc = -1;
            break;
        }
        if (first || (!fs.st && te.type != MON_TRACE_BLANK)) {
            mon_store_config_default(&sc);
            if (te.type == MON_TRACE_CONFIG) {
                sc.intervals = te.config.intervals;
                sc.min_distance_ms = te.config.min_distance_ms;
                sc.expire_group_ms = te.config.expire_group_ms;
            }
            fs.st = mon_store_new(&sc, err, sizeof(err));
            if (!fs.st) {
                fprintf(stderr, "%s: %s\n", path, err);
                rc = -1;
                break;
            }
            fs.cl = mon_store_cluster(fs.st, "local");
            for (r = 0; r < 2; r++) {
                ev_params_default(&fs.params[r]);
                fs.params[r].intervals = sc.intervals;
                fs.params[r].rules = rule_sets[r];
            }
        }
        first = 0;
        if (te.type == MON_TRACE_BLANK || te.type == MON_TRACE_CONFIG) continue;
        if (next_sample < 0) next_sample = t_first = te.t;
        while (next_sample < te.t) { /* every line of that instant is in */
            sample(&fs, next_sample);
            next_sample += TICK_MS;
        }
        last_t = te.t;
        switch (te.type) {
        case MON_TRACE_HEAD:
            mon_store_head(fs.cl, te.topic, te.partition, te.partitions,
                           te.offset, te.t);
            break;
        case MON_TRACE_COMMIT:
            mon_store_commit(fs.cl, te.group, te.topic, te.partition, te.offset,
                             te.t, te.owner, te.client_id);
            break;
        case MON_TRACE_TRUTH:
            truth_change(&fs, te.partition, (int)te.truth, te.t);
            break;
        default:
            break;
        }
    }
    if (rc == 0 && next_sample >= 0 && next_sample <= last_t)
        sample(&fs, next_sample);
    if (verbose && fs.kind) {
        counts_t *c = &fs.kind->c[1];
        static counts_t prev[NKIND];
        counts_t *pv = &prev[fs.kind - kinds];

        printf("%s: warren ok %ld alarms %ld err %ld | warn %ld missed %ld | "
               "err %ld missed %ld\n",
               path, c->ok - pv->ok, c->ok_alarm - pv->ok_alarm,
               c->ok_err - pv->ok_err, c->warn - pv->warn,
               c->warn_missed - pv->warn_missed, c->err - pv->err,
               c->err_missed - pv->err_missed);
        *pv = *c;
    }
    free(line);
    fclose(f);
    mon_trace_reader_destroy(rd);
    mon_group_eval_free(&fs.ev);
    mon_store_destroy(fs.st);
    return rc;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static double pct(long a, long b) {
    return b ? 100.0 * a / b : 0.0;
}

static void print_row(const char *name, const char *rules, const counts_t *c,
                      delays_t *ed, delays_t *wd) {
    double e = median(ed), w = median(wd);
    char es[16], ws[16];

    if (e < 0)
        snprintf(es, sizeof(es), "-");
    else
        snprintf(es, sizeof(es), "%.2f", e);
    if (w < 0)
        snprintf(ws, sizeof(ws), "-");
    else
        snprintf(ws, sizeof(ws), "%.0f", w);
    printf("%-15s %-7s %9ld %8.3f%% %8.3f%% %9ld %8.2f%% %9ld %8.2f%% "
           "%7s %7s\n",
           name, rules, c->ok, pct(c->ok_alarm, c->ok), pct(c->ok_err, c->ok),
           c->warn, pct(c->warn_missed, c->warn), c->err,
           pct(c->err_missed, c->err), es, ws);
}

int main(int argc, char **argv) {
    const char *dir = NULL, *label = NULL;
    char **names = NULL;
    size_t nn = 0, cn = 0, i;
    struct dirent *de;
    DIR *d;
    int a, r, k, do_assert = 0, files = 0;
    static kind_t total;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--assert"))
            do_assert = 1;
        else if (!strcmp(argv[a], "-v"))
            verbose = 1;
        else if (!strcmp(argv[a], "--misses"))
            show_misses = 1;
        else if (!strcmp(argv[a], "--label") && a + 1 < argc)
            label = argv[++a];
        else
            dir = argv[a];
    }
    if (!dir) {
        fprintf(stderr, "usage: verdict_score [--assert] [--label TEXT] [-v] "
                        "[--misses] DIR\n");
        return 2;
    }
    d = opendir(dir);
    if (!d) {
        perror(dir);
        return 2;
    }
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);

        if (l < 7 || strcmp(de->d_name + l - 6, ".jsonl")) continue;
        if (nn == cn) {
            cn = cn ? cn * 2 : 256;
            names = realloc(names, cn * sizeof(*names));
        }
        names[nn] = malloc(strlen(dir) + l + 2);
        sprintf(names[nn], "%s/%s", dir, de->d_name);
        nn++;
    }
    closedir(d);
    qsort(names, nn, sizeof(*names), cmp_str);
    for (i = 0; i < nn; i++) {
        if (score_file(names[i]) < 0) return 2;
        files++;
        free(names[i]);
    }
    free(names);

    printf("%s: %d traces, verdicts every %d ms per partition\n",
           label ? label : dir, files, TICK_MS);
    printf("%-15s %-7s %9s %9s %9s %9s %9s %9s %9s %7s %7s\n", "scenario",
           "rules", "OK smpl", "false al", "false ERR", "WARN smpl", "missed W",
           "ERR smpl", "missed E", "ERR dly", "WARN dl");
    for (k = 0; k < nkinds; k++) {
        for (r = 0; r < 2; r++) {
            kind_t *kd = &kinds[k];
            counts_t *t = &total.c[r];

            t->ok += kd->c[r].ok;
            t->ok_alarm += kd->c[r].ok_alarm;
            t->ok_err += kd->c[r].ok_err;
            t->warn += kd->c[r].warn;
            t->warn_missed += kd->c[r].warn_missed;
            t->err += kd->c[r].err;
            t->err_missed += kd->c[r].err_missed;
            for (i = 0; i < (size_t)kd->err_delay[r].n; i++)
                add_delay(&total.err_delay[r], kd->err_delay[r].v[i]);
            for (i = 0; i < (size_t)kd->warn_delay[r].n; i++)
                add_delay(&total.warn_delay[r], kd->warn_delay[r].v[i]);
            print_row(r == 0 ? kd->name : "", ev_rules_name(rule_sets[r]),
                      &kd->c[r], &kd->err_delay[r], &kd->warn_delay[r]);
        }
    }
    for (r = 0; r < 2; r++)
        print_row(r == 0 ? "TOTAL" : "", ev_rules_name(rule_sets[r]),
                  &total.c[r], &total.err_delay[r], &total.warn_delay[r]);
    printf("%-15s %-7s %9s %8s  %8s  %9s %8s  %9s %8s  %7s\n", "target", "", "",
           "<=0.1%", "<=0.02%", "", "<=5%", "", "<=1%", "<=1");
    printf("(ERR delay: median windows from the stall or stop to the first "
           "ERR; WARN delay: median s from the truth's WARN onset)\n");
    if (do_assert) {
        counts_t *w = &total.c[1];
        double ed = median(&total.err_delay[1]);
        int ok = pct(w->ok_alarm, w->ok) <= 0.1 &&
                 pct(w->ok_err, w->ok) <= 0.02 &&
                 pct(w->warn_missed, w->warn) <= 5.0 &&
                 pct(w->err_missed, w->err) <= 1.0 && ed >= 0 && ed <= 1.0;

        printf("warren rules %s issue 13's targets\n", ok ? "meet" : "MISS");
        return ok ? 0 : 1;
    }
    return 0;
}
