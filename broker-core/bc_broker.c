/* SPDX-License-Identifier: Apache-2.0 */
/* bc_broker: see bc_broker.h. Topics live in a growable array of stable
 * pointers (a topic_t never moves once created), so a log or topic found
 * under the read lock stays valid after it is released. */
#include "broker-core/bc_broker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker-core/bc_compact.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_fs.h"
#include "broker-core/bc_mem.h"
#include "broker-core/bc_topic.h"

typedef struct topic_s topic_t;

typedef struct part_s {
    bc_broker_t *b;
    topic_t *t;
    int32_t id;
    bc_log_t *log;         /* NULL while offline */
    char *offline;         /* why it is offline, NULL when online */
    bc_log_recovery_t rep; /* what opening the log did */
} part_t;

struct topic_s {
    char *name;
    bc_topic_config_t cfg;
    part_t *parts;
};

typedef struct listener_s {
    int id;
    bc_broker_listener_fn fn;
    void *opaque;
} listener_t;

struct bc_broker_s {
    char *dir;
    int lockfd;
    bc_broker_conf_t conf;
    pthread_rwlock_t topics_lock; /* guards topics/ntopics/cap */
    topic_t **topics;
    size_t ntopics;
    size_t cap;
    pthread_rwlock_t listeners_lock; /* guards ls/nls/next_id */
    listener_t *ls;
    size_t nls;
    int next_id;
    topic_t **deleted; /* deleted topics: logs kept open until close, so
                          bc_log_t pointers handed out stay valid;
                          guarded by topics_lock */
    size_t ndeleted;
    pthread_mutex_t tick_lock; /* guards the last_* times */
    int64_t last_retention_ms;
    int64_t last_clean_ms;
};

bc_broker_conf_t bc_broker_conf_default(void) {
    bc_broker_conf_t c;
    memset(&c, 0, sizeof(c));
    c.defaults = bc_log_config_default();
    c.retention_check_interval_ms = 300000;
    c.cleaner_backoff_ms = 15000;
    return c;
}

static void say(bc_broker_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(bc_broker_t *b, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    if (!b->conf.msg_fn) return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    b->conf.msg_fn(b->conf.msg_opaque, buf);
}

static void hook(void *opaque, bc_log_t *log, int64_t leo, int64_t now_ms) {
    part_t *p = opaque;
    bc_broker_t *b = p->b;
    (void)log;
    pthread_rwlock_rdlock(&b->listeners_lock);
    for (size_t i = 0; i < b->nls; i++)
        b->ls[i].fn(b->ls[i].opaque, p->t->name, p->id, leo, now_ms);
    pthread_rwlock_unlock(&b->listeners_lock);
}

static void topic_free(topic_t *t, int close_logs, int *rc) {
    if (!t) return;
    for (int32_t i = 0; t->parts && i < t->cfg.partitions; i++) {
        free(t->parts[i].offline);
        if (!t->parts[i].log) continue;
        if (close_logs) {
            int r = bc_log_close(t->parts[i].log);
            if (r < 0 && rc && *rc == 0) *rc = r;
        } else {
            bc_log_abandon(t->parts[i].log);
        }
    }
    free(t->parts);
    free(t->name);
    free(t);
}

/* Opens (creating when `create`) every partition log of t. */
static int open_partitions(bc_broker_t *b, topic_t *t, int create,
                           int64_t now_ms, char *errstr, size_t errstr_size) {
    char pdir[4096];
    t->parts = bc_calloc((size_t)t->cfg.partitions, sizeof(part_t));
    for (int32_t i = 0; i < t->cfg.partitions; i++) {
        part_t *p = &t->parts[i];
        bc_log_recovery_t rep;
        int err = 0;
        struct stat st;
        p->b = b;
        p->t = t;
        p->id = i;
        snprintf(pdir, sizeof(pdir), "%s/%s-%d", b->dir, t->name, (int)i);
        int missing = stat(pdir, &st) < 0;
        if (missing && !create)
            say(b, "%s: partition directory missing, recreating it empty",
                pdir);
        /* the data-dir lock (b->lockfd) covers every partition's log */
        int flags = BC_LOG_OPEN_CREATE | BC_LOG_OPEN_UNLOCKED |
                    (b->conf.on_corruption == BC_CORRUPTION_TRUNCATE
                         ? BC_LOG_OPEN_REPAIR
                         : 0) |
                    (b->conf.verify ? BC_LOG_OPEN_VERIFY : 0);
        char why[512];
        p->log = bc_log_open(pdir, &t->cfg.log, flags, now_ms, &rep, &err, why,
                             sizeof(why));
        if (!p->log && !create &&
            b->conf.on_corruption == BC_CORRUPTION_OFFLINE &&
            (err == BC_ERR_CORRUPT || err == BC_ERR_IO)) {
            p->offline = bc_strdup(why); /* told by bc_broker_offline */
            continue;
        }
        if (!p->log) {
            bc_err_set(err, errstr, errstr_size, "%s", why);
            return err ? err : BC_ERR_IO;
        }
        p->rep = rep;
        if (missing) {
            int rc = bc_topic_write_partition_metadata(pdir, t->cfg.topic_id,
                                                       errstr, errstr_size);
            if (rc < 0) return rc;
        }
        if (rep.bytes_truncated > 0) say(b, "%s", rep.message);
        if (!rep.clean_shutdown && rep.segments_recovered > 0 &&
            rep.bytes_truncated == 0)
            say(b, "%s: recovered %d segment(s) after an unclean shutdown",
                pdir, rep.segments_recovered);
        if (rep.segments_deleted > 0)
            say(b,
                "%s: repair deleted %d segment(s) (%lld bytes) after the "
                "cut",
                pdir, rep.segments_deleted, (long long)rep.bytes_deleted);
        bc_log_set_hook(p->log, hook, p);
    }
    return 0;
}

static void add_topic(bc_broker_t *b, topic_t *t) {
    if (b->ntopics == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->topics = bc_realloc(b->topics, b->cap * sizeof(*b->topics));
    }
    b->topics[b->ntopics++] = t;
}

/* Removes a partition directory of a deleted topic (files only). */
static void remove_flat_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *de;
    char f[4096];
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
        unlink(f);
    }
    closedir(d);
    rmdir(path);
}

static topic_t *find_topic(bc_broker_t *b, const char *name) {
    for (size_t i = 0; i < b->ntopics; i++)
        if (!strcmp(b->topics[i]->name, name)) return b->topics[i];
    return NULL;
}

bc_broker_t *bc_broker_open(const char *data_dir, const bc_broker_conf_t *conf,
                            int64_t now_ms, int *err, char *errstr,
                            size_t errstr_size) {
    bc_broker_t *b = bc_calloc(1, sizeof(*b));
    char path[4096];
    struct stat st;
    DIR *d = NULL;
    int rc = 0;

    b->dir = bc_strdup(data_dir);
    b->lockfd = -1;
    b->conf = conf ? *conf : bc_broker_conf_default();
    pthread_rwlock_init(&b->topics_lock, NULL);
    pthread_rwlock_init(&b->listeners_lock, NULL);
    pthread_mutex_init(&b->tick_lock, NULL);
    b->last_retention_ms = now_ms;
    b->last_clean_ms = now_ms;

    if (b->conf.create_if_missing &&
        (rc = bc_fs_mkdirs(data_dir, errstr, errstr_size)) < 0)
        goto err;
    if (stat(data_dir, &st) < 0) {
        rc = bc_err_set(errno == ENOENT ? BC_ERR_NOT_FOUND : BC_ERR_IO, errstr,
                        errstr_size, "data dir '%s': %s", data_dir,
                        strerror(errno));
        goto err;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size,
                        "data dir '%s' is not a directory", data_dir);
        goto err;
    }
    snprintf(path, sizeof(path), "%s/.lock", data_dir);
    b->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (b->lockfd < 0) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "data dir '%s': %s",
                        data_dir, strerror(errno));
        goto err;
    }
    if (flock(b->lockfd, LOCK_EX | LOCK_NB) < 0) {
        rc = bc_err_set(BC_ERR_LOCKED, errstr, errstr_size,
                        "data dir '%s' is in use by another process", data_dir);
        goto err;
    }
    /* Partitions of topics deleted before a crash. */
    d = opendir(data_dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t l = strlen(de->d_name);
            if (l <= 7 || strcmp(de->d_name + l - 7, "-delete") != 0) continue;
            snprintf(path, sizeof(path), "%s/%s", data_dir, de->d_name);
            remove_flat_dir(path);
        }
        closedir(d);
        d = NULL;
    }
    snprintf(path, sizeof(path), "%s/topics", data_dir);
    if ((rc = bc_fs_mkdirs(path, errstr, errstr_size)) < 0) goto err;
    d = opendir(path);
    if (!d) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", path,
                        strerror(errno));
        goto err;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        size_t l = strlen(de->d_name);
        if (l > 4 && !strcmp(de->d_name + l - 4, ".tmp")) continue;
        if (bc_topic_name_valid(de->d_name, NULL, 0) < 0) {
            say(b, "%s/%s: not a topic name, ignored", path, de->d_name);
            continue;
        }
        topic_t *t = bc_calloc(1, sizeof(*t));
        t->name = bc_strdup(de->d_name);
        rc = bc_topic_load(data_dir, t->name, &t->cfg, errstr, errstr_size);
        if (rc == 0) {
            add_topic(b, t);
            rc = open_partitions(b, t, 0, now_ms, errstr, errstr_size);
        } else {
            topic_free(t, 0, NULL);
        }
        if (rc < 0) goto err;
    }
    closedir(d);
    d = NULL;
    return b;
err:
    if (d) closedir(d);
    if (err) *err = rc ? rc : BC_ERR_IO;
    for (size_t i = 0; i < b->ntopics; i++)
        topic_free(b->topics[i], 1, NULL);
    b->ntopics = 0;
    bc_broker_close(b);
    return NULL;
}

/* Closing a log is fsync-bound (data, index, checkpoint, marker), and
 * fsyncs of different files proceed in parallel on any disk, so the logs
 * are closed by a few threads, each taking the next log from a shared
 * cursor. */
#define CLOSE_THREADS 8

typedef struct close_job_s {
    bc_log_t **logs;
    size_t n;
    size_t next; /* guarded by lock */
    int rc;      /* first error; guarded by lock */
    pthread_mutex_t lock;
} close_job_t;

static void *close_worker(void *arg) {
    close_job_t *job = arg;
    for (;;) {
        pthread_mutex_lock(&job->lock);
        size_t i = job->next++;
        pthread_mutex_unlock(&job->lock);
        if (i >= job->n) return NULL;
        int r = bc_log_close(job->logs[i]);
        if (r < 0) {
            pthread_mutex_lock(&job->lock);
            if (job->rc == 0) job->rc = r;
            pthread_mutex_unlock(&job->lock);
        }
    }
}

static int close_logs(bc_broker_t *b) {
    close_job_t job = {.logs = NULL, .n = 0, .next = 0, .rc = 0};
    for (size_t i = 0; i < b->ntopics; i++)
        job.n += (size_t)b->topics[i]->cfg.partitions;
    job.logs = bc_calloc(job.n ? job.n : 1, sizeof(*job.logs));
    job.n = 0;
    for (size_t i = 0; i < b->ntopics; i++) {
        topic_t *t = b->topics[i];
        for (int32_t p = 0; t->parts && p < t->cfg.partitions; p++) {
            if (t->parts[p].log) job.logs[job.n++] = t->parts[p].log;
            t->parts[p].log = NULL;
        }
    }
    pthread_mutex_init(&job.lock, NULL);
    pthread_t th[CLOSE_THREADS];
    int started = 0;
    for (; started < CLOSE_THREADS && (size_t)started < job.n; started++)
        if (pthread_create(&th[started], NULL, close_worker, &job) != 0) break;
    close_worker(&job); /* this thread helps, and finishes alone if none
                           could start */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&job.lock);
    free(job.logs);
    return job.rc;
}

/* "<dir>/<topic>-<p>.<topic id>-delete", where a deleted partition goes. */
static void deleted_path(char *buf, size_t size, const bc_broker_t *b,
                         const topic_t *t, int32_t p) {
    snprintf(buf, size, "%s/%s-%d.%s-delete", b->dir, t->name, (int)p,
             t->cfg.topic_id);
}

int bc_broker_delete_topic(bc_broker_t *b, const char *topic, char *errstr,
                           size_t errstr_size) {
    int rc = 0;
    char path[4096], to[4096];
    pthread_rwlock_wrlock(&b->topics_lock);
    topic_t *t = find_topic(b, topic);
    if (!t) {
        rc = bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                        "unknown topic '%s'", topic);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/topics/%s", b->dir, topic);
    if (unlink(path) != 0 && errno != ENOENT) {
        rc = bc_err_set(BC_ERR_IO, errstr, errstr_size, "%s: %s", path,
                        strerror(errno));
        goto out;
    }
    snprintf(path, sizeof(path), "%s/topics", b->dir);
    bc_fs_fsync_dir(path);
    for (int32_t p = 0; p < t->cfg.partitions; p++) {
        snprintf(path, sizeof(path), "%s/%s-%d", b->dir, t->name, (int)p);
        deleted_path(to, sizeof(to), b, t, p);
        if (rename(path, to) != 0)
            say(b, "%s: cannot rename for deletion: %s", path, strerror(errno));
    }
    bc_fs_fsync_dir(b->dir);
    for (size_t i = 0; i < b->ntopics; i++) {
        if (b->topics[i] != t) continue;
        memmove(&b->topics[i], &b->topics[i + 1],
                (b->ntopics - i - 1) * sizeof(*b->topics));
        b->ntopics--;
        break;
    }
    b->deleted = bc_realloc(b->deleted, (b->ndeleted + 1) * sizeof(topic_t *));
    b->deleted[b->ndeleted++] = t;
out:
    pthread_rwlock_unlock(&b->topics_lock);
    return rc;
}

int bc_broker_close(bc_broker_t *b) {
    if (!b) return 0;
    for (size_t i = 0; i < b->ndeleted; i++) {
        topic_t *t = b->deleted[i];
        char path[4096];
        for (int32_t p = 0; t->parts && p < t->cfg.partitions; p++) {
            bc_log_abandon(t->parts[p].log);
            t->parts[p].log = NULL;
            deleted_path(path, sizeof(path), b, t, p);
            remove_flat_dir(path);
        }
        topic_free(t, 0, NULL);
    }
    free(b->deleted);
    int rc = close_logs(b);
    for (size_t i = 0; i < b->ntopics; i++)
        topic_free(b->topics[i], 1, &rc);
    free(b->topics);
    free(b->ls);
    if (b->lockfd >= 0) close(b->lockfd);
    pthread_rwlock_destroy(&b->topics_lock);
    pthread_rwlock_destroy(&b->listeners_lock);
    pthread_mutex_destroy(&b->tick_lock);
    free(b->dir);
    free(b);
    return rc;
}

const char *bc_broker_data_dir(const bc_broker_t *b) {
    return b->dir;
}

int bc_broker_create_topic(bc_broker_t *b, const char *topic,
                           int32_t partitions, const bc_log_config_t *cfg,
                           int64_t now_ms, char *errstr, size_t errstr_size) {
    int rc = bc_topic_name_valid(topic, errstr, errstr_size);
    if (rc < 0) return rc;
    if (partitions < 1 || partitions > BC_TOPIC_MAX_PARTITIONS)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "partitions must be in [1, %d], not %d",
                          BC_TOPIC_MAX_PARTITIONS, (int)partitions);
    pthread_rwlock_wrlock(&b->topics_lock);
    if (find_topic(b, topic)) {
        rc = bc_err_set(BC_ERR_EXISTS, errstr, errstr_size,
                        "topic '%s' already exists", topic);
        goto out;
    }
    topic_t *t = bc_calloc(1, sizeof(*t));
    t->name = bc_strdup(topic);
    t->cfg.partitions = partitions;
    t->cfg.log = cfg ? *cfg : b->conf.defaults;
    bc_topic_new_id(t->cfg.topic_id);
    rc = open_partitions(b, t, 1, now_ms, errstr, errstr_size);
    if (rc == 0)
        rc = bc_topic_save(b->dir, topic, &t->cfg, errstr, errstr_size);
    if (rc < 0) {
        topic_free(t, 1, NULL);
        goto out;
    }
    add_topic(b, t);
out:
    pthread_rwlock_unlock(&b->topics_lock);
    return rc;
}

int bc_broker_alter_topic(bc_broker_t *b, const char *topic,
                          const bc_log_config_t *cfg, char *errstr,
                          size_t errstr_size) {
    int rc = 0;
    pthread_rwlock_wrlock(&b->topics_lock);
    topic_t *t = find_topic(b, topic);
    if (!t) {
        rc = bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                        "unknown topic '%s'", topic);
        goto out;
    }
    bc_topic_config_t tc = t->cfg;
    tc.log = *cfg;
    rc = bc_topic_save(b->dir, topic, &tc, errstr, errstr_size);
    if (rc < 0) goto out;
    t->cfg = tc;
    for (int32_t i = 0; i < t->cfg.partitions; i++)
        if (t->parts[i].log) bc_log_set_config(t->parts[i].log, cfg);
out:
    pthread_rwlock_unlock(&b->topics_lock);
    return rc;
}

int bc_broker_topic_config(bc_broker_t *b, const char *topic,
                           bc_log_config_t *cfg, int32_t *partitions) {
    pthread_rwlock_rdlock(&b->topics_lock);
    topic_t *t = find_topic(b, topic);
    if (t) {
        if (cfg) *cfg = t->cfg.log;
        if (partitions) *partitions = t->cfg.partitions;
    }
    pthread_rwlock_unlock(&b->topics_lock);
    return t ? 0 : BC_ERR_NOT_FOUND;
}

int32_t bc_broker_partitions(bc_broker_t *b, const char *topic) {
    int32_t n = 0;
    return bc_broker_topic_config(b, topic, NULL, &n) < 0 ? BC_ERR_NOT_FOUND
                                                          : n;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int bc_broker_list_topics(bc_broker_t *b, char ***names, size_t *count) {
    pthread_rwlock_rdlock(&b->topics_lock);
    char **v = bc_calloc(b->ntopics + 1, sizeof(*v));
    for (size_t i = 0; i < b->ntopics; i++)
        v[i] = bc_strdup(b->topics[i]->name);
    *count = b->ntopics;
    pthread_rwlock_unlock(&b->topics_lock);
    qsort(v, *count, sizeof(*v), cmp_str);
    *names = v;
    return 0;
}

void bc_broker_free_topics(char **names, size_t count) {
    if (!names) return;
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

bc_log_t *bc_broker_log(bc_broker_t *b, const char *topic, int32_t partition) {
    bc_log_t *log = NULL;
    pthread_rwlock_rdlock(&b->topics_lock);
    topic_t *t = find_topic(b, topic);
    if (t && partition >= 0 && partition < t->cfg.partitions)
        log = t->parts[partition].log;
    pthread_rwlock_unlock(&b->topics_lock);
    return log;
}

int bc_broker_partition_state(bc_broker_t *b, const char *topic,
                              int32_t partition, bc_partition_state_t *st) {
    int rc = BC_ERR_NOT_FOUND;
    memset(st, 0, sizeof(*st));
    pthread_rwlock_rdlock(&b->topics_lock);
    topic_t *t = find_topic(b, topic);
    if (t && partition >= 0 && partition < t->cfg.partitions) {
        const part_t *p = &t->parts[partition];
        st->offline = p->offline != NULL;
        if (p->offline)
            snprintf(st->error, sizeof(st->error), "%s", p->offline);
        st->recovery = p->rep;
        rc = 0;
    }
    pthread_rwlock_unlock(&b->topics_lock);
    return rc;
}

static int cmp_offline(const void *a, const void *b) {
    const bc_offline_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c
             : (x->partition > y->partition) - (x->partition < y->partition);
}

size_t bc_broker_offline(bc_broker_t *b, bc_offline_t **v) {
    size_t n = 0, cap = 0;
    *v = NULL;
    pthread_rwlock_rdlock(&b->topics_lock);
    for (size_t i = 0; i < b->ntopics; i++) {
        topic_t *t = b->topics[i];
        for (int32_t p = 0; p < t->cfg.partitions; p++) {
            if (!t->parts[p].offline) continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                *v = bc_realloc(*v, cap * sizeof(**v));
            }
            (*v)[n].topic = bc_strdup(t->name);
            (*v)[n].partition = p;
            (*v)[n].error = bc_strdup(t->parts[p].offline);
            n++;
        }
    }
    pthread_rwlock_unlock(&b->topics_lock);
    if (n) qsort(*v, n, sizeof(**v), cmp_offline);
    return n;
}

void bc_broker_free_offline(bc_offline_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(v[i].topic);
        free(v[i].error);
    }
    free(v);
}

int bc_broker_append(bc_broker_t *b, const char *topic, int32_t partition,
                     const bc_record_in_t *recs, size_t n, int flags,
                     int64_t now_ms, bc_append_info_t *info, char *errstr,
                     size_t errstr_size) {
    bc_log_t *log = bc_broker_log(b, topic, partition);
    if (!log) {
        bc_partition_state_t st;
        if (bc_broker_partition_state(b, topic, partition, &st) == 0 &&
            st.offline)
            return bc_err_set(BC_ERR_OFFLINE, errstr, errstr_size,
                              "%s-%d is offline: %s", topic, (int)partition,
                              st.error);
        return bc_err_set(BC_ERR_NOT_FOUND, errstr, errstr_size,
                          "unknown topic partition %s-%d", topic,
                          (int)partition);
    }
    return bc_log_append_records(log, recs, n, flags, now_ms, info, errstr,
                                 errstr_size);
}

int bc_broker_add_listener(bc_broker_t *b, bc_broker_listener_fn fn,
                           void *opaque) {
    pthread_rwlock_wrlock(&b->listeners_lock);
    b->ls = bc_realloc(b->ls, (b->nls + 1) * sizeof(*b->ls));
    int id = b->next_id++;
    b->ls[b->nls].id = id;
    b->ls[b->nls].fn = fn;
    b->ls[b->nls].opaque = opaque;
    b->nls++;
    pthread_rwlock_unlock(&b->listeners_lock);
    return id;
}

int bc_broker_remove_listener(bc_broker_t *b, int id) {
    int rc = BC_ERR_NOT_FOUND;
    pthread_rwlock_wrlock(&b->listeners_lock);
    for (size_t i = 0; i < b->nls; i++) {
        if (b->ls[i].id != id) continue;
        memmove(&b->ls[i], &b->ls[i + 1], (b->nls - i - 1) * sizeof(*b->ls));
        b->nls--;
        rc = 0;
        break;
    }
    pthread_rwlock_unlock(&b->listeners_lock);
    return rc;
}

/* Snapshot of the topic pointers (stable: topics are never freed while
 * the broker is open). */
static topic_t **snapshot(bc_broker_t *b, size_t *n) {
    pthread_rwlock_rdlock(&b->topics_lock);
    topic_t **v = bc_malloc((b->ntopics + 1) * sizeof(*v));
    memcpy(v, b->topics, b->ntopics * sizeof(*v));
    *n = b->ntopics;
    pthread_rwlock_unlock(&b->topics_lock);
    return v;
}

static int run_maintenance(bc_broker_t *b, int64_t now_ms, int retention,
                           int compaction, bc_maint_stats_t *st, char *errstr,
                           size_t errstr_size) {
    bc_maint_stats_t dummy;
    size_t n;
    int rc = 0;
    char err[512];
    if (!st) st = &dummy;
    memset(st, 0, sizeof(*st));
    topic_t **v = snapshot(b, &n);
    for (size_t i = 0; i < n; i++) {
        topic_t *t = v[i];
        for (int32_t p = 0; p < t->cfg.partitions; p++) {
            bc_log_t *log = t->parts[p].log;
            bc_log_config_t cfg;
            if (!log) continue; /* offline */
            bc_log_get_config(log, &cfg);
            st->partitions++;
            if (retention) {
                bc_retention_t res;
                int r = bc_log_retention(log, now_ms, &res, err, sizeof(err));
                st->segments_deleted += res.segments_deleted;
                st->bytes_deleted += res.bytes_deleted;
                if (r < 0 && rc == 0)
                    rc = bc_err_set(r, errstr, errstr_size, "%s", err);
            }
            if (compaction && (cfg.cleanup_policy & BC_CLEANUP_COMPACT)) {
                bc_compact_stats_t cs;
                int r = bc_compact_log(log, now_ms, 0, &cs, err, sizeof(err));
                if (cs.cleaned) {
                    st->partitions_compacted++;
                    st->records_removed += cs.records_removed;
                    st->tombstones_removed += cs.tombstones_removed;
                    st->bytes_reclaimed += cs.bytes_before - cs.bytes_after;
                }
                if (r < 0 && rc == 0)
                    rc = bc_err_set(r, errstr, errstr_size, "%s", err);
            }
        }
    }
    free(v);
    return rc;
}

int bc_broker_maintain(bc_broker_t *b, int64_t now_ms, bc_maint_stats_t *st,
                       char *errstr, size_t errstr_size) {
    return run_maintenance(b, now_ms, 1, 1, st, errstr, errstr_size);
}

int bc_broker_tick(bc_broker_t *b, int64_t now_ms, char *errstr,
                   size_t errstr_size) {
    size_t n;
    int rc = 0;
    char err[512];
    topic_t **v = snapshot(b, &n);
    for (size_t i = 0; i < n; i++)
        for (int32_t p = 0; p < v[i]->cfg.partitions; p++) {
            if (!v[i]->parts[p].log) continue; /* offline */
            int r = bc_log_tick(v[i]->parts[p].log, now_ms, err, sizeof(err));
            if (r < 0 && rc == 0)
                rc = bc_err_set(r, errstr, errstr_size, "%s", err);
        }
    free(v);
    pthread_mutex_lock(&b->tick_lock);
    int retention =
        now_ms - b->last_retention_ms >= b->conf.retention_check_interval_ms;
    int compaction = now_ms - b->last_clean_ms >= b->conf.cleaner_backoff_ms;
    if (retention) b->last_retention_ms = now_ms;
    if (compaction) b->last_clean_ms = now_ms;
    pthread_mutex_unlock(&b->tick_lock);
    if (retention || compaction) {
        int r = run_maintenance(b, now_ms, retention, compaction, NULL, err,
                                sizeof(err));
        if (r < 0 && rc == 0)
            rc = bc_err_set(r, errstr, errstr_size, "%s", err);
    }
    return rc;
}
