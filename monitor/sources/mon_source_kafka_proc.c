/* SPDX-License-Identifier: Apache-2.0 */
/* mon_source_kafka_proc: a Kafka source in a supervised child process
 * (see the header for why and how).
 *
 * The daemon side is a supervisor thread that owns the child: it starts
 * it, reads its frames and applies them to the store, and when the
 * channel ends (the child died, or sent a frame that does not parse) it
 * reaps the child, marks the cluster unavailable with the reason and
 * starts another after the backoff. The child side is
 * mon_source_kafka_child_main: the source over a mirror store, a forward
 * hook that sends every write the mirror took, and a loop that sends the
 * status when it changes and ends when the daemon closes the socket.
 *
 * Built on the assumption that the child is the only part that can die
 * by itself: nothing in the daemon waits on the child without a timeout,
 * and every fd the child must not hold (the HTTP listener, the data-dir
 * lock, librdkafka's in the parent if any) is closed before exec.
 */
#include "monitor/sources/mon_source_kafka_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"
#include "monitor/sources/mon_kframe.h"

#define CHILD_FD 3
#define HANDSHAKE_MS 20000 /* for READY: librdkafka starts in ms */
#define STATUS_EVERY_MS 200
#define REAP_MS 3000

/* ---- the CONFIG frame ----
 *
 * Fields, in order (mon_kframe.h types):
 *   str name, str servers, u8 offsets (mon_config_offsets_t), i64
 *   offset_refresh_ms, i64 topic_refresh_ms, u32 group count G and G
 *   str, nstr group_allowlist, nstr group_denylist, nstr topic_allowlist,
 *   nstr topic_denylist (patterns), u8 internal_topics, i64
 *   offsets_max_name, i64 offsets_max_members, i64 offsets_max_assigned,
 *   u32 property count K and K times {str key, str value}; the mirror
 *   store: nstr storage group_allowlist, nstr storage group_denylist, i64
 *   expire_group_ms, i64 intervals; the log: u8 level, u8 format.
 */

static const char *pattern(const mon_config_regex_t *rx) {
    return rx ? rx->pattern : NULL;
}

static void config_encode(mon_wbuf_t *b, const mon_config_cluster_t *c,
                          const mon_config_storage_t *sto) {
    mon_kframe_put_str(b, c->name);
    mon_kframe_put_str(b, c->servers);
    mon_wbuf_u8(b, (uint8_t)c->offsets);
    mon_kframe_put_i64(b, c->offset_refresh_ms);
    mon_kframe_put_i64(b, c->topic_refresh_ms);
    mon_wbuf_u32(b, (uint32_t)c->n_groups);
    for (size_t i = 0; i < c->n_groups; i++)
        mon_kframe_put_str(b, c->groups[i]);
    mon_kframe_put_nstr(b, pattern(c->group_allowlist));
    mon_kframe_put_nstr(b, pattern(c->group_denylist));
    mon_kframe_put_nstr(b, pattern(c->topic_allowlist));
    mon_kframe_put_nstr(b, pattern(c->topic_denylist));
    mon_wbuf_u8(b, c->internal_topics);
    mon_kframe_put_i64(b, (int64_t)c->offsets_max_name);
    mon_kframe_put_i64(b, (int64_t)c->offsets_max_members);
    mon_kframe_put_i64(b, (int64_t)c->offsets_max_assigned);
    mon_wbuf_u32(b, (uint32_t)c->n_kafka_props);
    for (size_t i = 0; i < c->n_kafka_props; i++) {
        mon_kframe_put_str(b, c->kafka_props[i].key);
        mon_kframe_put_str(b, c->kafka_props[i].value);
    }
    mon_kframe_put_nstr(b, sto ? pattern(sto->group_allowlist) : NULL);
    mon_kframe_put_nstr(b, sto ? pattern(sto->group_denylist) : NULL);
    mon_kframe_put_i64(b, sto ? sto->expire_group_ms : 604800000LL);
    mon_kframe_put_i64(b, sto ? sto->intervals : 10);
    mon_wbuf_u8(b, (uint8_t)mon_log_get_level());
    mon_wbuf_u8(b, (uint8_t)mon_log_get_format());
}

/* What the child builds from a CONFIG frame; everything owned here. */
typedef struct child_cfg_s {
    mon_config_cluster_t cc;
    char *store_allow, *store_deny;
    int64_t expire_group_ms;
    int64_t intervals; /* the daemon's window size */
    int log_level, log_format;
} child_cfg_t;

static mon_config_regex_t *regex_new(const char *p, char *errstr,
                                     size_t errstr_size) {
    if (!p) return NULL;
    mon_config_regex_t *rx = mon_calloc(1, sizeof(*rx));
    rx->pattern = mon_strdup(p);
    if (regcomp(&rx->re, p, REG_EXTENDED | REG_NOSUB) != 0) {
        mon_errstr_set(errstr, errstr_size, "regex '%s' does not compile", p);
        free(rx->pattern);
        free(rx);
        return NULL;
    }
    return rx;
}

static void regex_free(mon_config_regex_t *rx) {
    if (!rx) return;
    regfree(&rx->re);
    free(rx->pattern);
    free(rx);
}

static void child_cfg_free(child_cfg_t *c) {
    mon_config_cluster_t *cc = &c->cc;
    free(cc->name);
    free(cc->servers);
    for (size_t i = 0; i < cc->n_groups; i++)
        free(cc->groups[i]);
    free(cc->groups);
    regex_free(cc->group_allowlist);
    regex_free(cc->group_denylist);
    regex_free(cc->topic_allowlist);
    regex_free(cc->topic_denylist);
    for (size_t i = 0; i < cc->n_kafka_props; i++) {
        free(cc->kafka_props[i].key);
        free(cc->kafka_props[i].value);
    }
    free(cc->kafka_props);
    free(c->store_allow);
    free(c->store_deny);
    memset(c, 0, sizeof(*c));
}

static char *dup_or_null(const char *s) {
    return s ? mon_strdup(s) : NULL;
}

static int config_decode(const void *p, size_t len, child_cfg_t *out,
                         char *errstr, size_t errstr_size) {
    mon_rbuf_t r;
    const char *s, *rx[4], *v;
    uint8_t u8;
    uint32_t n;
    int64_t i64[5];
    size_t at;
    mon_config_cluster_t *cc = &out->cc;
    memset(out, 0, sizeof(*out));
    mon_rbuf_init(&r, p, len, "kafka client frame CONFIG", errstr, errstr_size);
    if (mon_kframe_get_str(&r, &s, "name")) goto bad;
    cc->name = mon_strdup(s);
    if (mon_kframe_get_str(&r, &s, "servers")) goto bad;
    cc->servers = mon_strdup(s);
    cc->source = MON_CONFIG_SOURCE_KAFKA;
    cc->kafka_client = MON_CONFIG_KAFKA_CLIENT_THREAD;
    if (mon_rbuf_u8(&r, &u8, "offsets") || u8 > MON_CONFIG_OFFSETS_TOPIC ||
        mon_rbuf_i64(&r, &cc->offset_refresh_ms, "offset-refresh") ||
        mon_rbuf_i64(&r, &cc->topic_refresh_ms, "topic-refresh") ||
        mon_rbuf_count(&r, &n, 3, UINT32_MAX, "group count"))
        goto bad;
    cc->offsets = (mon_config_offsets_t)u8;
    cc->groups = mon_calloc(n ? n : 1, sizeof(char *));
    for (uint32_t i = 0; i < n; i++) {
        if (mon_kframe_get_str(&r, &s, "group")) goto bad;
        cc->groups[cc->n_groups++] = mon_strdup(s);
    }
    for (int i = 0; i < 4; i++)
        if (mon_kframe_get_nstr(&r, &rx[i], "regex")) goto bad;
    if (mon_rbuf_u8(&r, &u8, "internal-topics") ||
        mon_rbuf_i64(&r, &i64[0], "offsets-max-name") ||
        mon_rbuf_i64(&r, &i64[1], "offsets-max-members") ||
        mon_rbuf_i64(&r, &i64[2], "offsets-max-assigned") ||
        mon_rbuf_count(&r, &n, 6, UINT32_MAX, "property count"))
        goto bad;
    cc->internal_topics = u8 != 0;
    cc->offsets_max_name = (size_t)i64[0];
    cc->offsets_max_members = (size_t)i64[1];
    cc->offsets_max_assigned = (size_t)i64[2];
    cc->kafka_props = mon_calloc(n ? n : 1, sizeof(*cc->kafka_props));
    for (uint32_t i = 0; i < n; i++) {
        if (mon_kframe_get_str(&r, &s, "property") ||
            mon_kframe_get_str(&r, &v, "value"))
            goto bad;
        cc->kafka_props[i].key = mon_strdup(s);
        cc->kafka_props[i].value = mon_strdup(v);
        cc->n_kafka_props++;
    }
    if (mon_kframe_get_nstr(&r, &s, "storage allowlist")) goto bad;
    out->store_allow = dup_or_null(s);
    if (mon_kframe_get_nstr(&r, &s, "storage denylist")) goto bad;
    out->store_deny = dup_or_null(s);
    if (mon_rbuf_i64(&r, &out->expire_group_ms, "expire-group")) goto bad;
    at = r.pos;
    if (mon_rbuf_i64(&r, &out->intervals, "intervals")) goto bad;
    if (out->intervals < 1 || out->intervals > 65535) {
        mon_rbuf_fail(&r, at, "intervals out of range");
        goto bad;
    }
    if (mon_rbuf_u8(&r, &u8, "log level")) goto bad;
    out->log_level = u8;
    if (mon_rbuf_u8(&r, &u8, "log format")) goto bad;
    out->log_format = u8;
    if (r.pos != r.len) {
        mon_rbuf_fail(&r, r.pos, "trailing bytes");
        goto bad;
    }
    mon_config_regex_t **slots[4] = {&cc->group_allowlist, &cc->group_denylist,
                                     &cc->topic_allowlist, &cc->topic_denylist};
    for (int i = 0; i < 4; i++) {
        if (!rx[i]) continue;
        *slots[i] = regex_new(rx[i], errstr, errstr_size);
        if (!*slots[i]) goto bad;
    }
    return 0;
bad:
    child_cfg_free(out);
    return -1;
}

/* ---- the STATUS frame ---- */

static void status_encode(mon_wbuf_t *b, const mon_source_kafka_status_t *s) {
    mon_wbuf_u8(b, s->running);
    mon_wbuf_u8(b, s->available);
    mon_wbuf_u8(b, s->stale);
    mon_kframe_put_str(b, s->last_error);
    const int64_t v[] = {
        s->last_error_ms,
        s->last_refresh_ms,
        s->last_success_ms,
        s->unavailable_since_ms,
        s->last_refresh_duration_ms,
        s->last_metadata_duration_ms,
        s->last_heads_duration_ms,
        s->last_commits_duration_ms,
        (int64_t)s->refreshes,
        (int64_t)s->failed_refreshes,
        (int64_t)s->requests_sent,
        (int64_t)s->last_refresh_requests,
        s->brokers,
        s->topics,
        s->partitions,
        s->heads_last_refresh,
        s->groups,
        s->groups_listed,
        s->probes_pending,
        (int64_t)s->heads_recorded,
        (int64_t)s->commits_recorded,
        (int64_t)s->records_read,
        (int64_t)s->decode_warnings,
        (int64_t)s->decode_errors,
        (int64_t)s->records_skipped,
        s->last_stamps_duration_ms,
        s->stamps_last_refresh,
        s->last_describe_duration_ms,
        s->groups_described,
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        mon_kframe_put_i64(b, v[i]);
}

#define STATUS_I64S 29

static int status_decode(const void *p, size_t len,
                         mon_source_kafka_status_t *s, char *errstr,
                         size_t errstr_size) {
    mon_rbuf_t r;
    uint8_t f[3];
    const char *e;
    int64_t v[STATUS_I64S];
    mon_rbuf_init(&r, p, len, "kafka client frame STATUS", errstr, errstr_size);
    for (int i = 0; i < 3; i++)
        if (mon_rbuf_u8(&r, &f[i], "flag")) return -1;
    if (mon_kframe_get_str(&r, &e, "last error")) return -1;
    for (int i = 0; i < STATUS_I64S; i++)
        if (mon_rbuf_i64(&r, &v[i], "counter")) return -1;
    if (r.pos != r.len) return mon_rbuf_fail(&r, r.pos, "trailing bytes");
    memset(s, 0, sizeof(*s));
    s->running = f[0];
    s->available = f[1];
    s->stale = f[2];
    snprintf(s->last_error, sizeof(s->last_error), "%s", e);
    int k = 0;
    s->last_error_ms = v[k++];
    s->last_refresh_ms = v[k++];
    s->last_success_ms = v[k++];
    s->unavailable_since_ms = v[k++];
    s->last_refresh_duration_ms = v[k++];
    s->last_metadata_duration_ms = v[k++];
    s->last_heads_duration_ms = v[k++];
    s->last_commits_duration_ms = v[k++];
    s->refreshes = (uint64_t)v[k++];
    s->failed_refreshes = (uint64_t)v[k++];
    s->requests_sent = (uint64_t)v[k++];
    s->last_refresh_requests = (uint64_t)v[k++];
    s->brokers = (int32_t)v[k++];
    s->topics = (int32_t)v[k++];
    s->partitions = v[k++];
    s->heads_last_refresh = v[k++];
    s->groups = (int32_t)v[k++];
    s->groups_listed = v[k++] != 0;
    s->probes_pending = v[k++];
    s->heads_recorded = (uint64_t)v[k++];
    s->commits_recorded = (uint64_t)v[k++];
    s->records_read = (uint64_t)v[k++];
    s->decode_warnings = (uint64_t)v[k++];
    s->decode_errors = (uint64_t)v[k++];
    s->records_skipped = (uint64_t)v[k++];
    s->last_stamps_duration_ms = v[k++];
    s->stamps_last_refresh = v[k++];
    s->last_describe_duration_ms = v[k++];
    s->groups_described = v[k++];
    return 0;
}

/* ====================================================================== */
/* The daemon's side                                                      */

typedef struct kproc_s {
    mon_source_t base; /* first: the table the daemon sees */
    const mon_config_cluster_t *cfg;
    mon_store_t *st;
    mon_store_cluster_t *cl;
    mon_wbuf_t config; /* the CONFIG frame's payload */
    mon_worker_t *worker;
    pthread_mutex_t lock; /* guards status, events, spawns */
    mon_source_kafka_status_t status;
    uint64_t events_before; /* heads + commits of children gone */
    uint64_t spawns;
    /* supervisor-owned (and start, before the worker runs) */
    pid_t pid; /* -1: none */
    int fd;    /* -1: none */
    int devnull;
    mon_kframe_reader_t rd;
    int64_t started_ms; /* monotonic, of the child */
    int sent_level;
} kproc_t;

/* Closes every fd from `from` up, in the child between fork and exec
 * (async-signal-safe: close_range or close in a loop). */
static void close_from(int from) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (long fd = from; fd < max; fd++)
        close((int)fd);
}

static void set_down(kproc_t *kp, const char *why) {
    int64_t now = mon_clock_wall_ms();
    pthread_mutex_lock(&kp->lock);
    mon_source_kafka_status_t *s = &kp->status;
    bool was = s->available;
    kp->events_before += s->heads_recorded + s->commits_recorded;
    s->heads_recorded = s->commits_recorded = 0;
    s->available = false;
    s->running = false;
    snprintf(s->last_error, sizeof(s->last_error), "%s", why);
    s->last_error_ms = now;
    if (s->unavailable_since_ms == 0) s->unavailable_since_ms = now;
    pthread_mutex_unlock(&kp->lock);
    mon_log_kv(MON_LOG_WARN,
               MON_LOG_FIELDS(MON_LF_STR("cluster", kp->cfg->name),
                              MON_LF_STR("error", why)),
               "%s", was ? "cluster unavailable" : "Kafka client down");
}

/* Forks and executes the child; sends CONFIG. Returns 0 or -1. */
static int spawn(kproc_t *kp, char *errstr, size_t errstr_size) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        mon_errstr_set(errstr, errstr_size, "socketpair: %s", strerror(errno));
        return -1;
    }
    char *const argv[] = {"warren", MON_SOURCE_KAFKA_CHILD_CMD, NULL};
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        mon_errstr_set(errstr, errstr_size, "fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) { /* only async-signal-safe calls until exec */
        sigset_t all;
        if (sv[1] == CHILD_FD)
            fcntl(CHILD_FD, F_SETFD, 0);
        else if (dup2(sv[1], CHILD_FD) < 0)
            _exit(127);
        if (kp->devnull >= 0) dup2(kp->devnull, 0);
        close_from(CHILD_FD + 1);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1); /* the daemon is gone already */
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    close(sv[1]);
    kp->pid = pid;
    kp->fd = sv[0];
    kp->started_ms = mon_clock_mono_ms();
    mon_kframe_reader_free(&kp->rd);
    pthread_mutex_lock(&kp->lock);
    kp->spawns++;
    pthread_mutex_unlock(&kp->lock);
    kp->sent_level = (int)mon_log_get_level();
    return mon_kframe_send(kp->fd, MON_KFRAME_CONFIG, kp->config.p,
                           kp->config.len, errstr, errstr_size);
}

/* Describes how the child ended into buf. */
static void exit_reason(int status, char *buf, size_t size) {
    if (WIFSIGNALED(status))
        snprintf(buf, size, "Kafka client killed by signal %d (%s)",
                 WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, size, "Kafka client exited with status %d",
                 WEXITSTATUS(status));
    else
        snprintf(buf, size, "Kafka client ended");
}

/* Closes the channel and reaps the child (TERM, then KILL after a
 * while). Fills why with how it ended (may be NULL). */
static void reap(kproc_t *kp, bool kill_it, char *why, size_t why_size) {
    int status = 0;
    if (kp->fd >= 0) close(kp->fd);
    kp->fd = -1;
    if (kp->pid <= 0) return;
    if (kill_it) kill(kp->pid, SIGTERM);
    int64_t end = mon_clock_mono_ms() + REAP_MS;
    pid_t r;
    while ((r = waitpid(kp->pid, &status, WNOHANG)) == 0) {
        if (mon_clock_mono_ms() > end) {
            kill(kp->pid, SIGKILL);
            r = waitpid(kp->pid, &status, 0);
            break;
        }
        mon_clock_sleep_ms(10);
    }
    if (why) {
        if (r == kp->pid)
            exit_reason(status, why, why_size);
        else
            snprintf(why, why_size, "Kafka client lost");
    }
    kp->pid = -1;
}

/* Applies one frame. Returns 0, or -1 with errstr (the channel is bad). */
static int on_frame(kproc_t *kp, int type, const unsigned char *p, size_t n,
                    char *errstr, size_t errstr_size) {
    mon_kframe_op_t op;
    mon_source_kafka_status_t s;
    switch (type) {
    case MON_KFRAME_STATUS:
        if (status_decode(p, n, &s, errstr, errstr_size) < 0) return -1;
        pthread_mutex_lock(&kp->lock);
        kp->status = s;
        pthread_mutex_unlock(&kp->lock);
        return 0;
    case MON_KFRAME_READY:
    case MON_KFRAME_FATAL:
        mon_errstr_set(errstr, errstr_size, "kafka client sent %s again",
                       mon_kframe_type_name(type));
        return -1;
    default:
        if (mon_kframe_op_decode(type, p, n, &op, errstr, errstr_size) < 0) {
            mon_kframe_op_clear(&op);
            return -1;
        }
        mon_kframe_op_apply(kp->st, kp->cl, &op);
        mon_kframe_op_clear(&op);
        return 0;
    }
}

/* Waits for READY (0) or FATAL (-1, errstr its message, *fatal set). */
static int handshake(kproc_t *kp, bool *fatal, char *errstr,
                     size_t errstr_size) {
    int64_t end = mon_clock_mono_ms() + HANDSHAKE_MS;
    *fatal = false;
    for (;;) {
        int type;
        const unsigned char *p;
        size_t n;
        int64_t left = end - mon_clock_mono_ms();
        if (left <= 0) {
            mon_errstr_set(errstr, errstr_size, "Kafka client did not start");
            return -1;
        }
        int rc = mon_kframe_recv(&kp->rd, kp->fd, (int)left, &type, &p, &n,
                                 errstr, errstr_size);
        if (rc < 0) {
            char why[MON_ERRSTR_SIZE];
            reap(kp, false, why, sizeof(why));
            mon_errstr_set(errstr, errstr_size, "%s before it was ready", why);
            return -1;
        }
        if (rc == 0) continue;
        if (type == MON_KFRAME_READY) return 0;
        if (type == MON_KFRAME_FATAL) {
            mon_rbuf_t r;
            const char *msg = "?";
            char dummy[8];
            mon_rbuf_init(&r, p, n, "FATAL", dummy, sizeof(dummy));
            mon_kframe_get_str(&r, &msg, "message");
            mon_errstr_set(errstr, errstr_size, "%s", msg);
            *fatal = true;
            return -1;
        }
        mon_errstr_set(errstr, errstr_size, "kafka client sent %s before READY",
                       mon_kframe_type_name(type));
        return -1;
    }
}

/* Reads frames until the channel ends or stop. Returns true on stop. */
static bool pump(kproc_t *kp, mon_worker_t *w, char *why, size_t why_size) {
    char err[MON_ERRSTR_SIZE];
    while (!mon_worker_stopping(w)) {
        int type;
        const unsigned char *p;
        size_t n;
        int level = (int)mon_log_get_level();
        if (level != kp->sent_level) {
            unsigned char b = (unsigned char)level;
            if (mon_kframe_send(kp->fd, MON_KFRAME_LOGLEVEL, &b, 1, err,
                                sizeof(err)) < 0)
                break;
            kp->sent_level = level;
        }
        int rc = mon_kframe_recv(&kp->rd, kp->fd, 100, &type, &p, &n, err,
                                 sizeof(err));
        if (rc == 0) continue;
        if (rc < 0) {
            /* closed: the child's exit says why; a bad frame: we do */
            reap(kp, strcmp(err, "closed") != 0, why, why_size);
            if (strcmp(err, "closed") != 0)
                mon_errstr_set(why, why_size, "Kafka client channel: %s", err);
            return false;
        }
        if (on_frame(kp, type, p, n, err, sizeof(err)) < 0) {
            reap(kp, true, NULL, 0);
            mon_errstr_set(why, why_size, "Kafka client channel: %s", err);
            return false;
        }
    }
    if (mon_worker_stopping(w)) return true;
    reap(kp, true, why, why_size);
    return false;
}

static void supervise(mon_worker_t *w, void *arg) {
    kproc_t *kp = arg;
    int64_t backoff = 1000;
    char why[MON_ERRSTR_SIZE], err[MON_ERRSTR_SIZE];
    while (!mon_worker_stopping(w)) {
        if (kp->fd < 0) {
            bool fatal = false;
            if (spawn(kp, err, sizeof(err)) < 0 ||
                handshake(kp, &fatal, err, sizeof(err)) < 0) {
                reap(kp, true, NULL, 0);
                set_down(kp, err);
                if (mon_worker_sleep(w, backoff)) break;
                backoff = backoff * 2 > MON_SOURCE_KAFKA_PROC_MAX_BACKOFF_MS
                              ? MON_SOURCE_KAFKA_PROC_MAX_BACKOFF_MS
                              : backoff * 2;
                continue;
            }
            mon_log_kv(MON_LOG_INFO,
                       MON_LOG_FIELDS(MON_LF_STR("cluster", kp->cfg->name),
                                      MON_LF_INT("pid", kp->pid)),
                       "Kafka client started");
        }
        if (pump(kp, w, why, sizeof(why))) break;
        set_down(kp, why);
        if (mon_clock_mono_ms() - kp->started_ms >=
            MON_SOURCE_KAFKA_PROC_STABLE_MS)
            backoff = 1000;
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", kp->cfg->name),
                                  MON_LF_INT("backoff_ms", backoff)),
                   "Kafka client restarts after a backoff");
        if (mon_worker_sleep(w, backoff)) break;
        backoff = backoff * 2 > MON_SOURCE_KAFKA_PROC_MAX_BACKOFF_MS
                      ? MON_SOURCE_KAFKA_PROC_MAX_BACKOFF_MS
                      : backoff * 2;
    }
    reap(kp, true, NULL, 0);
}

static int kp_start(mon_source_t *base, char *errstr, size_t errstr_size) {
    kproc_t *kp = (kproc_t *)base;
    char name[64], err[MON_ERRSTR_SIZE];
    bool fatal = false;
    if (kp->worker) {
        mon_errstr_set(errstr, errstr_size, "cluster %s: already started",
                       kp->cfg->name);
        return -1;
    }
    /* the first child at once: a client librdkafka refuses stops start */
    if (spawn(kp, err, sizeof(err)) < 0 ||
        handshake(kp, &fatal, err, sizeof(err)) < 0) {
        reap(kp, true, NULL, 0);
        if (fatal) {
            mon_errstr_set(errstr, errstr_size, "%s", err);
            return -1;
        }
        set_down(kp, err); /* not ready: the supervisor tries again */
    } else {
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("cluster", kp->cfg->name),
                                  MON_LF_INT("pid", kp->pid)),
                   "Kafka client started");
    }
    snprintf(name, sizeof(name), "cluster %s", kp->cfg->name);
    if (mon_worker_start(&kp->worker, name, supervise, kp, errstr,
                         errstr_size) != 0) {
        reap(kp, true, NULL, 0);
        return -1;
    }
    return 0;
}

static void kp_stop(mon_source_t *base) {
    kproc_t *kp = (kproc_t *)base;
    if (kp->worker) mon_worker_stop(&kp->worker);
    reap(kp, true, NULL, 0);
}

static void kp_destroy(mon_source_t *base) {
    kproc_t *kp = (kproc_t *)base;
    kp_stop(base);
    mon_kframe_reader_free(&kp->rd);
    mon_wbuf_free(&kp->config);
    if (kp->devnull >= 0) close(kp->devnull);
    pthread_mutex_destroy(&kp->lock);
    free(kp);
}

void mon_source_kafka_proc_status(mon_source_t *base, int64_t now_ms,
                                  mon_source_kafka_status_t *out) {
    kproc_t *kp = (kproc_t *)base;
    pthread_mutex_lock(&kp->lock);
    *out = kp->status;
    pthread_mutex_unlock(&kp->lock);
    out->stale = mon_source_kafka_stale(kp->cfg, out, now_ms);
}

uint64_t mon_source_kafka_proc_spawns(mon_source_t *base) {
    kproc_t *kp = (kproc_t *)base;
    pthread_mutex_lock(&kp->lock);
    uint64_t n = kp->spawns;
    pthread_mutex_unlock(&kp->lock);
    return n;
}

static void kp_status(mon_source_t *base, mon_source_status_t *out) {
    kproc_t *kp = (kproc_t *)base;
    mon_source_kafka_status_t s;
    mon_source_kafka_proc_status(base, mon_clock_wall_ms(), &s);
    mon_source_kafka_status_view(&s, out);
    out->cannot_list_groups = mon_source_kafka_cannot_list(kp->cfg, &s);
    pthread_mutex_lock(&kp->lock);
    out->events += (int64_t)kp->events_before;
    pthread_mutex_unlock(&kp->lock);
}

static int64_t kp_now(mon_source_t *base, int64_t wall) {
    mon_source_kafka_status_t s;
    mon_source_kafka_proc_status(base, wall, &s);
    return mon_source_kafka_clock(&s, wall);
}

mon_source_t *mon_source_kafka_proc_new(const mon_config_cluster_t *cfg,
                                        const mon_config_storage_t *sto,
                                        mon_store_t *st, char *errstr,
                                        size_t errstr_size) {
    if (!st || mon_source_kafka_check(cfg, errstr, errstr_size) < 0)
        return NULL;
    kproc_t *kp = mon_calloc(1, sizeof(*kp));
    kp->cfg = cfg;
    kp->st = st;
    kp->cl = mon_store_cluster(st, cfg->name);
    kp->pid = -1;
    kp->fd = -1;
    kp->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_mutex_init(&kp->lock, NULL);
    config_encode(&kp->config, cfg, sto);
    kp->status.stale = true;
    snprintf(kp->status.last_error, sizeof(kp->status.last_error),
             "Kafka client not started");
    kp->base.start = kp_start;
    kp->base.stop = kp_stop;
    kp->base.destroy = kp_destroy;
    kp->base.now = kp_now;
    kp->base.status = kp_status;
    kp->base.time_lag = NULL;
    if (!kp->cl) {
        mon_errstr_set(errstr, errstr_size, "cluster %s: bad name", cfg->name);
        kp_destroy(&kp->base);
        return NULL;
    }
    return &kp->base;
}

/* ====================================================================== */
/* The child's side                                                       */

typedef struct chan_s {
    int fd;
    pthread_mutex_t lock; /* one writer at a time: source and main thread */
    mon_wbuf_t buf;       /* under lock */
    volatile int failed;  /* a write failed: the daemon is gone */
} chan_t;

static void chan_send(chan_t *ch, int type, const mon_wbuf_t *payload) {
    char err[MON_ERRSTR_SIZE];
    if (ch->failed) return;
    if (mon_kframe_send(ch->fd, type, payload ? payload->p : NULL,
                        payload ? payload->len : 0, err, sizeof(err)) < 0)
        ch->failed = 1;
}

static void forward(void *opaque, const mon_kframe_op_t *op) {
    chan_t *ch = opaque;
    pthread_mutex_lock(&ch->lock);
    ch->buf.len = 0;
    mon_kframe_op_encode(&ch->buf, op);
    chan_send(ch, (int)op->type, &ch->buf);
    pthread_mutex_unlock(&ch->lock);
}

static void send_fatal(chan_t *ch, const char *why) {
    pthread_mutex_lock(&ch->lock);
    ch->buf.len = 0;
    mon_kframe_put_str(&ch->buf, why);
    chan_send(ch, MON_KFRAME_FATAL, &ch->buf);
    pthread_mutex_unlock(&ch->lock);
}

int mon_source_kafka_child_main(int fd) {
    mon_kframe_reader_t rd = {0};
    chan_t ch = {.fd = fd};
    child_cfg_t cfg;
    mon_store_t *mirror = NULL;
    mon_source_kafka_t *src = NULL;
    char err[MON_ERRSTR_SIZE];
    int type, rc = 1;
    const unsigned char *p;
    size_t n;

    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&ch.lock, NULL);
    if (mon_kframe_recv(&rd, fd, HANDSHAKE_MS, &type, &p, &n, err,
                        sizeof(err)) != 1 ||
        type != MON_KFRAME_CONFIG) {
        fprintf(stderr, "warren %s: no configuration on fd %d\n",
                MON_SOURCE_KAFKA_CHILD_CMD, fd);
        goto out_chan;
    }
    if (config_decode(p, n, &cfg, err, sizeof(err)) < 0) {
        send_fatal(&ch, err);
        rc = 2;
        goto out_chan;
    }
    mon_log_set_level((mon_log_level_t)cfg.log_level);
    mon_log_set_format((mon_log_format_t)cfg.log_format);
    mon_store_config_t sc;
    mon_store_config_default(&sc);
    /* Outcomes only: one slot gives the same ones, except in admin mode,
     * where an unchanged offset is taken until the window is full
     * (mon_store_commit_at): there the mirror's windows are the daemon's
     * size. */
    sc.intervals =
        cfg.cc.offsets == MON_CONFIG_OFFSETS_ADMIN ? (int)cfg.intervals : 1;
    sc.expire_group_ms = cfg.expire_group_ms;
    sc.group_allowlist = cfg.store_allow;
    sc.group_denylist = cfg.store_deny;
    mirror = mon_store_new(&sc, err, sizeof(err));
    if (mirror) src = mon_source_kafka_new(&cfg.cc, mirror, err, sizeof(err));
    if (!src) {
        send_fatal(&ch, err);
        rc = 2;
        goto out;
    }
    mon_source_kafka_set_forward(src, forward, &ch);
    chan_send(&ch, MON_KFRAME_READY, NULL);
    if (mon_source_kafka_start(src, err, sizeof(err)) != 0) {
        fprintf(stderr, "warren %s: %s\n", MON_SOURCE_KAFKA_CHILD_CMD, err);
        goto out;
    }
    mon_source_kafka_status_t last, now;
    memset(&last, 0, sizeof(last));
    mon_wbuf_t sb = {0};
    for (;;) {
        int r = mon_kframe_recv(&rd, fd, STATUS_EVERY_MS, &type, &p, &n, err,
                                sizeof(err));
        if (r < 0 || ch.failed) break; /* the daemon closed the socket */
        if (r == 1 && type == MON_KFRAME_LOGLEVEL && n == 1)
            mon_log_set_level((mon_log_level_t)p[0]);
        mon_source_kafka_status(src, mon_clock_wall_ms(), &now);
        if (memcmp(&now, &last, sizeof(now)) != 0) {
            sb.len = 0;
            status_encode(&sb, &now);
            pthread_mutex_lock(&ch.lock);
            chan_send(&ch, MON_KFRAME_STATUS, &sb);
            pthread_mutex_unlock(&ch.lock);
            last = now;
        }
    }
    mon_wbuf_free(&sb);
    rc = 0;
out:
    mon_source_kafka_destroy(src);
    mon_store_destroy(mirror);
    child_cfg_free(&cfg);
out_chan:
    mon_kframe_reader_free(&rd);
    mon_wbuf_free(&ch.buf);
    pthread_mutex_destroy(&ch.lock);
    close(fd);
    return rc;
}
