/* SPDX-License-Identifier: Apache-2.0 */
/* mon_silence: see mon_silence.h for the rules and the file.
 *
 * Built on the assumption that silences change rarely (an operator's
 * action) and are read often (every group at every evaluation): the list
 * is an immutable array of entries, swapped whole under `lock` by the
 * writer after the file holding the new list is on disk, so a change
 * costs a file write and a read costs a scan.
 */
#include "monitor/notify/mon_silence.h"

#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_regex.h"
#include "monitor/base/mon_worker.h"
#include "monitor/notify/mon_sign.h"

#define FILE_NAME "silences.json"
#define FILE_MAX (8u << 20)
#define KEEP_ENDED_MS (24LL * 3600 * 1000) /* ended ones listed a day */
#define MAX_AHEAD_MS (366LL * 24 * 3600 * 1000)

typedef struct entry_s {
    char id[MON_SILENCE_ID_LEN];
    char *group, *cluster; /* patterns as given; NULL = any */
    regex_t group_re, cluster_re;
    int64_t until_ms, created_ms;
    char *comment, *created_by;
} entry_t;

typedef struct list_s {
    entry_t **v;
    size_t n;
} list_t;

enum { JOB_ADD, JOB_DELETE };

typedef struct job_s {
    struct job_s *next;
    int kind;
    entry_t *add;                /* JOB_ADD: owned by the job until used */
    char id[MON_SILENCE_ID_LEN]; /* JOB_DELETE */
    int64_t now_ms;
    mon_silence_rc_t rc;
    char err[MON_ERRSTR_SIZE];
    bool done, abandoned;
} job_t;

struct mon_silences_s {
    char *path;
    char *dir;
    pthread_mutex_t lock; /* list */
    list_t list;
    pthread_mutex_t jlock; /* jobs, and each job's rc/err/done/abandoned */
    pthread_cond_t jdone;
    job_t *head, *tail;
    mon_worker_t *writer;
};

static void entry_free(entry_t *e) {
    if (!e) return;
    if (e->group) regfree(&e->group_re);
    if (e->cluster) regfree(&e->cluster_re);
    free(e->group);
    free(e->cluster);
    free(e->comment);
    free(e->created_by);
    free(e);
}

/* ---------------------------------------------------------------------- */
/* Parsing a silence (the request body and the file's entries)           */

static bool has_ctl(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return true;
    return false;
}

/* Compiles pattern anchored into re. Returns 0 or -1 with why. */
static int compile(const char *field, const char *pattern, regex_t *re,
                   char *why, size_t why_size) {
    char b[MON_REGEX_WHY_SIZE];
    if (!pattern[0]) {
        snprintf(why, why_size,
                 "%s: empty pattern (leave it out to match "
                 "any)",
                 field);
        return -1;
    }
    if (strlen(pattern) > MON_SILENCE_PATTERN_MAX) {
        snprintf(why, why_size, "%s: pattern longer than %d bytes", field,
                 MON_SILENCE_PATTERN_MAX);
        return -1;
    }
    if (has_ctl(pattern)) {
        snprintf(why, why_size, "%s: control character in the pattern", field);
        return -1;
    }
    if (mon_regex_bound(pattern, b, sizeof(b)) != 0) {
        snprintf(why, why_size, "%s: regex '%s' refused: %s", field, pattern,
                 b);
        return -1;
    }
    char anchored[MON_SILENCE_PATTERN_MAX + 8];
    snprintf(anchored, sizeof(anchored), "^(%s)$", pattern);
    int rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof(msg));
        regfree(re);
        snprintf(why, why_size, "%s: bad regex '%s': %s", field, pattern, msg);
        return -1;
    }
    return 0;
}

/* A string member: NULL when absent or null; "" (and why set) when it is
 * not a string. */
static const char *str_member(const cJSON *o, const char *name, bool *bad,
                              char *why, size_t why_size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!v || cJSON_IsNull(v)) return NULL;
    if (!cJSON_IsString(v)) {
        snprintf(why, why_size, "%s: not a string", name);
        *bad = true;
        return "";
    }
    return v->valuestring;
}

/* A time member: RFC 3339 text or ms since the epoch. */
static int time_member(const cJSON *o, const char *name, int64_t *ms, char *why,
                       size_t why_size) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    if (cJSON_IsString(v) && mon_clock_parse_rfc3339(v->valuestring, ms) == 0)
        return 0;
    if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9.2e15) {
        *ms = (int64_t)v->valuedouble;
        return 0;
    }
    snprintf(why, why_size, "%s: %s", name,
             v ? "not an RFC 3339 time (2024-05-14T09:00:00Z) nor ms since "
                 "the epoch"
               : "missing (when the silence ends, RFC 3339)");
    return -1;
}

/* Text member that must be there: 1..max bytes, no control characters. */
static char *text_member(const cJSON *o, const char *name, size_t max,
                         char *why, size_t why_size) {
    bool bad = false;
    const char *s = str_member(o, name, &bad, why, why_size);
    if (bad) return NULL;
    if (!s || !s[0]) {
        snprintf(why, why_size, "%s: missing or empty", name);
        return NULL;
    }
    if (strlen(s) > max) {
        snprintf(why, why_size, "%s: longer than %zu bytes", name, max);
        return NULL;
    }
    if (has_ctl(s) && strcmp(name, "comment") != 0) {
        snprintf(why, why_size, "%s: control character", name);
        return NULL;
    }
    return mon_strdup(s);
}

/* An entry from a JSON object: the request (from_file false: only the
 * request's fields, `until` ahead of now_ms by at most a year) or a file
 * entry (id and created too, any until). NULL with why. */
static entry_t *entry_parse(const cJSON *o, bool from_file, int64_t now_ms,
                            char *why, size_t why_size) {
    static const char *const req_fields[] = {"group",   "cluster",    "until",
                                             "comment", "created_by", NULL};
    static const char *const file_fields[] = {
        "id",      "group",   "cluster",    "until",
        "created", "comment", "created_by", NULL};
    const char *const *fields = from_file ? file_fields : req_fields;
    if (!cJSON_IsObject(o)) {
        snprintf(why, why_size, "not a JSON object");
        return NULL;
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, o) {
        size_t k = 0;
        while (fields[k] && strcmp(fields[k], m->string))
            k++;
        if (!fields[k]) {
            snprintf(why, why_size,
                     "unknown field '%.64s' (fields: group, "
                     "cluster, until, comment, created_by)",
                     m->string);
            return NULL;
        }
    }
    entry_t *e = mon_calloc(1, sizeof(*e));
    bool bad = false;
    const char *g = str_member(o, "group", &bad, why, why_size);
    const char *c = bad ? NULL : str_member(o, "cluster", &bad, why, why_size);
    if (bad) goto err;
    if (!g && !c) {
        snprintf(why, why_size,
                 "group or cluster: give a pattern for one "
                 "of them at least");
        goto err;
    }
    if (g) {
        if (compile("group", g, &e->group_re, why, why_size) != 0) goto err;
        e->group = mon_strdup(g);
    }
    if (c) {
        if (compile("cluster", c, &e->cluster_re, why, why_size) != 0) goto err;
        e->cluster = mon_strdup(c);
    }
    if (time_member(o, "until", &e->until_ms, why, why_size) != 0) goto err;
    if (!(e->comment = text_member(o, "comment", MON_SILENCE_COMMENT_MAX, why,
                                   why_size)) ||
        !(e->created_by = text_member(o, "created_by", MON_SILENCE_AUTHOR_MAX,
                                      why, why_size)))
        goto err;
    if (from_file) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (!cJSON_IsString(id) ||
            strlen(id->valuestring) != MON_SILENCE_ID_LEN - 1) {
            snprintf(why, why_size, "id: not a UUID");
            goto err;
        }
        memcpy(e->id, id->valuestring, MON_SILENCE_ID_LEN);
        if (time_member(o, "created", &e->created_ms, why, why_size) != 0)
            goto err;
    } else {
        if (e->until_ms <= now_ms) {
            snprintf(why, why_size,
                     "until: in the past (a silence must "
                     "end after now)");
            goto err;
        }
        if (e->until_ms - now_ms > MAX_AHEAD_MS) {
            snprintf(why, why_size, "until: more than 366 days ahead");
            goto err;
        }
        if (mon_sign_uuid4(e->id) != 0) {
            snprintf(why, why_size, "no randomness for an id");
            goto err;
        }
        e->created_ms = now_ms;
    }
    return e;
err:
    entry_free(e);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* JSON views and the file                                                */

/* A file entry: {id, group, cluster (null when unset), until, created
 * (RFC 3339), comment, created_by}. */
static cJSON *entry_json(const entry_t *e) {
    char t[MON_CLOCK_RFC3339_SIZE];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", e->id);
    if (e->group)
        cJSON_AddStringToObject(o, "group", e->group);
    else
        cJSON_AddNullToObject(o, "group");
    if (e->cluster)
        cJSON_AddStringToObject(o, "cluster", e->cluster);
    else
        cJSON_AddNullToObject(o, "cluster");
    cJSON_AddStringToObject(o, "until",
                            mon_clock_rfc3339(e->until_ms, t, sizeof(t)));
    cJSON_AddStringToObject(o, "created",
                            mon_clock_rfc3339(e->created_ms, t, sizeof(t)));
    cJSON_AddStringToObject(o, "comment", e->comment);
    cJSON_AddStringToObject(o, "created_by", e->created_by);
    return o;
}

static bool entry_active(const entry_t *e, int64_t now_ms) {
    return now_ms < e->until_ms && now_ms >= e->created_ms;
}

static void entry_copy(const entry_t *e, int64_t now_ms,
                       mon_silence_info_t *out) {
    memcpy(out->id, e->id, MON_SILENCE_ID_LEN);
    out->group = e->group ? mon_strdup(e->group) : NULL;
    out->cluster = e->cluster ? mon_strdup(e->cluster) : NULL;
    out->until_ms = e->until_ms;
    out->created_ms = e->created_ms;
    out->comment = mon_strdup(e->comment);
    out->created_by = mon_strdup(e->created_by);
    out->active = entry_active(e, now_ms);
}

void mon_silence_list_free(mon_silence_info_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].group);
        free(v[i].cluster);
        free(v[i].comment);
        free(v[i].created_by);
    }
    free(v);
}

static int write_file(mon_silences_t *sil, const list_t *l, char *errstr,
                      size_t errstr_size) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON *arr = cJSON_AddArrayToObject(root, "silences");
    for (size_t i = 0; i < l->n; i++)
        cJSON_AddItemToArray(arr, entry_json(l->v[i]));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    size_t len = strlen(text);
    text[len++] = '\n'; /* replaces the NUL: written by length */
    int rc = mon_file_write_atomic(sil->path, text, len, NULL, 0, errstr,
                                   errstr_size);
    free(text);
    return rc;
}

static int load_file(mon_silences_t *sil, char *errstr, size_t errstr_size) {
    size_t len = 0;
    char why[300];
    errno = 0;
    FILE *probe = fopen(sil->path, "r");
    if (!probe) {
        if (errno == ENOENT) return 0;
        snprintf(errstr, errstr_size, "%s: %s", sil->path, strerror(errno));
        return -1;
    }
    fclose(probe);
    char *text =
        mon_file_read_max(sil->path, FILE_MAX, &len, errstr, errstr_size);
    if (!text) return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 1);
    int rc = -1;
    if (!root) {
        snprintf(errstr, errstr_size, "%s: invalid JSON at byte %zu", sil->path,
                 end ? (size_t)(end - text) : 0);
        goto out;
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "silences");
    if (!cJSON_IsNumber(ver) || ver->valueint != 1 || !cJSON_IsArray(arr)) {
        snprintf(errstr, errstr_size,
                 "%s: not a version 1 silences file "
                 "(\"version\": 1, \"silences\": [...])",
                 sil->path);
        goto out;
    }
    size_t n = (size_t)cJSON_GetArraySize(arr);
    if (n > MON_SILENCE_MAX) {
        snprintf(errstr, errstr_size, "%s: %zu silences, more than %d",
                 sil->path, n, MON_SILENCE_MAX);
        goto out;
    }
    sil->list.v = mon_calloc(n ? n : 1, sizeof(*sil->list.v));
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
        entry_t *e = entry_parse(o, true, 0, why, sizeof(why));
        if (!e) {
            snprintf(errstr, errstr_size, "%s: silence %zu: %s", sil->path,
                     sil->list.n + 1, why);
            goto out;
        }
        sil->list.v[sil->list.n++] = e;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    free(text);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* The writer                                                             */

/* Runs one job: the new list on disk, then in effect. */
static void run_job(mon_silences_t *sil, job_t *j) {
    list_t cur, next = {0};
    pthread_mutex_lock(&sil->lock);
    cur = sil->list; /* only the writer replaces it */
    pthread_mutex_unlock(&sil->lock);
    next.v = mon_calloc(cur.n + 1, sizeof(*next.v));
    bool found = false;
    for (size_t i = 0; i < cur.n; i++) {
        entry_t *e = cur.v[i];
        if (j->kind == JOB_DELETE && !strcmp(e->id, j->id)) {
            found = true;
            continue;
        }
        if (e->until_ms + KEEP_ENDED_MS < j->now_ms)
            continue; /* ended more than a day ago */
        next.v[next.n++] = e;
    }
    if (j->kind == JOB_DELETE && !found) {
        j->rc = MON_SILENCE_NOT_FOUND;
        snprintf(j->err, sizeof(j->err), "no silence with id '%s'", j->id);
        free(next.v);
        return;
    }
    if (j->kind == JOB_ADD) {
        if (next.n >= MON_SILENCE_MAX) {
            j->rc = MON_SILENCE_FULL;
            snprintf(j->err, sizeof(j->err),
                     "%d silences are kept already: "
                     "delete some first",
                     MON_SILENCE_MAX);
            free(next.v);
            return;
        }
        next.v[next.n++] = j->add;
    }
    if (write_file(sil, &next, j->err, sizeof(j->err)) != 0) {
        j->rc = MON_SILENCE_IO;
        free(next.v);
        return;
    }
    j->add = NULL; /* now in the list */
    pthread_mutex_lock(&sil->lock);
    sil->list = next;
    pthread_mutex_unlock(&sil->lock);
    /* no reader sees cur any more: free what the new list dropped */
    for (size_t i = 0; i < cur.n; i++) {
        bool kept = false;
        for (size_t k = 0; k < next.n && !kept; k++)
            kept = next.v[k] == cur.v[i];
        if (!kept) entry_free(cur.v[i]);
    }
    free(cur.v);
    j->rc = MON_SILENCE_OK;
}

static void job_free(job_t *j) {
    entry_free(j->add);
    free(j);
}

static void writer_main(mon_worker_t *w, void *arg) {
    mon_silences_t *sil = arg;
    while (!mon_worker_stopping(w)) {
        pthread_mutex_lock(&sil->jlock);
        job_t *j = sil->head;
        if (j) {
            sil->head = j->next;
            if (!sil->head) sil->tail = NULL;
        }
        pthread_mutex_unlock(&sil->jlock);
        if (!j) {
            mon_worker_sleep(w, 60000);
            continue;
        }
        run_job(sil, j);
        pthread_mutex_lock(&sil->jlock);
        j->done = true;
        bool abandoned = j->abandoned;
        pthread_cond_broadcast(&sil->jdone);
        pthread_mutex_unlock(&sil->jlock);
        if (abandoned) job_free(j);
    }
}

/* Queues j and waits for it. Returns its rc; j is freed either way. */
static mon_silence_rc_t submit(mon_silences_t *sil, job_t *j, char *errstr,
                               size_t errstr_size) {
    pthread_mutex_lock(&sil->jlock);
    if (sil->tail)
        sil->tail->next = j;
    else
        sil->head = j;
    sil->tail = j;
    pthread_mutex_unlock(&sil->jlock);
    mon_worker_wake(sil->writer);
    int64_t deadline = mon_clock_mono_ms() + MON_SILENCE_WAIT_MS;
    pthread_mutex_lock(&sil->jlock);
    while (!j->done) {
        int64_t left = deadline - mon_clock_mono_ms();
        if (left <= 0) break;
        mon_clock_cond_wait_ms(&sil->jdone, &sil->jlock, left);
    }
    mon_silence_rc_t rc;
    if (j->done) {
        rc = j->rc;
        if (rc != MON_SILENCE_OK) snprintf(errstr, errstr_size, "%s", j->err);
        pthread_mutex_unlock(&sil->jlock);
        job_free(j);
    } else {
        j->abandoned = true; /* the writer frees it */
        pthread_mutex_unlock(&sil->jlock);
        rc = MON_SILENCE_SLOW;
        snprintf(errstr, errstr_size,
                 "%s: not written within %d s (the "
                 "change takes effect if the write completes)",
                 sil->path, MON_SILENCE_WAIT_MS / 1000);
    }
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Public                                                                 */

mon_silences_t *mon_silences_new(const char *data_dir, char *errstr,
                                 size_t errstr_size) {
    mon_silences_t *sil = mon_calloc(1, sizeof(*sil));
    pthread_mutex_init(&sil->lock, NULL);
    pthread_mutex_init(&sil->jlock, NULL);
    mon_clock_cond_init(&sil->jdone);
    if (!data_dir || !data_dir[0]) data_dir = ".";
    sil->dir = mon_strdup(data_dir);
    size_t pl = strlen(data_dir) + sizeof(FILE_NAME) + 2;
    sil->path = mon_malloc(pl);
    snprintf(sil->path, pl, "%s/%s", data_dir, FILE_NAME);
    if (load_file(sil, errstr, errstr_size) != 0 ||
        mon_worker_start(&sil->writer, "silences", writer_main, sil, errstr,
                         errstr_size) != 0) {
        mon_silences_destroy(sil);
        return NULL;
    }
    return sil;
}

void mon_silences_destroy(mon_silences_t *sil) {
    if (!sil) return;
    mon_worker_stop(&sil->writer);
    for (job_t *j = sil->head, *nx; j; j = nx) {
        nx = j->next;
        job_free(j);
    }
    for (size_t i = 0; i < sil->list.n; i++)
        entry_free(sil->list.v[i]);
    free(sil->list.v);
    pthread_cond_destroy(&sil->jdone);
    pthread_mutex_destroy(&sil->jlock);
    pthread_mutex_destroy(&sil->lock);
    free(sil->path);
    free(sil->dir);
    free(sil);
}

mon_silence_rc_t mon_silences_create(mon_silences_t *sil, const char *body,
                                     size_t len, int64_t now_ms,
                                     mon_silence_info_t **out, char *errstr,
                                     size_t errstr_size) {
    const char *end = NULL;
    cJSON *req =
        body && len ? cJSON_ParseWithLengthOpts(body, len, &end, 0) : NULL;
    if (!req) {
        snprintf(errstr, errstr_size,
                 "body: not JSON (a silence is "
                 "{\"group\": \"...\", \"until\": \"...\", \"comment\": "
                 "\"...\", \"created_by\": \"...\"})");
        return MON_SILENCE_BAD;
    }
    if (end && (size_t)(end - body) < len) {
        const char *p = end;
        while ((size_t)(p - body) < len &&
               (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
            p++;
        if ((size_t)(p - body) < len) {
            cJSON_Delete(req);
            snprintf(errstr, errstr_size,
                     "body: trailing bytes after the "
                     "JSON object at byte %zu",
                     (size_t)(p - body));
            return MON_SILENCE_BAD;
        }
    }
    entry_t *e = entry_parse(req, false, now_ms, errstr, errstr_size);
    cJSON_Delete(req);
    if (!e) return MON_SILENCE_BAD;
    mon_silence_info_t *view = mon_calloc(1, sizeof(*view));
    entry_copy(e, now_ms, view);
    job_t *j = mon_calloc(1, sizeof(*j));
    j->kind = JOB_ADD;
    j->add = e;
    j->now_ms = now_ms;
    mon_silence_rc_t rc = submit(sil, j, errstr, errstr_size);
    if (rc == MON_SILENCE_OK && out)
        *out = view;
    else
        mon_silence_list_free(view, 1);
    return rc;
}

mon_silence_rc_t mon_silences_delete(mon_silences_t *sil, const char *id,
                                     int64_t now_ms, char *errstr,
                                     size_t errstr_size) {
    if (!id || strlen(id) != MON_SILENCE_ID_LEN - 1) {
        snprintf(errstr, errstr_size, "no silence with id '%.64s'",
                 id ? id : "");
        return MON_SILENCE_NOT_FOUND;
    }
    job_t *j = mon_calloc(1, sizeof(*j));
    j->kind = JOB_DELETE;
    memcpy(j->id, id, MON_SILENCE_ID_LEN);
    j->now_ms = now_ms;
    return submit(sil, j, errstr, errstr_size);
}

static bool entry_matches(const entry_t *e, const char *cluster,
                          const char *group, int64_t now_ms) {
    return entry_active(e, now_ms) &&
           (!e->cluster || regexec(&e->cluster_re, cluster, 0, NULL, 0) == 0) &&
           (!e->group || regexec(&e->group_re, group, 0, NULL, 0) == 0);
}

bool mon_silences_match(mon_silences_t *sil, const char *cluster,
                        const char *group, int64_t now_ms,
                        char id[MON_SILENCE_ID_LEN]) {
    bool hit = false;
    pthread_mutex_lock(&sil->lock);
    for (size_t i = 0; i < sil->list.n && !hit; i++) {
        const entry_t *e = sil->list.v[i];
        if (entry_matches(e, cluster, group, now_ms)) {
            hit = true;
            if (id) memcpy(id, e->id, MON_SILENCE_ID_LEN);
        }
    }
    pthread_mutex_unlock(&sil->lock);
    return hit;
}

int mon_silences_list(mon_silences_t *sil, int64_t now_ms, const char *cluster,
                      const char *group, mon_silence_info_t **out, size_t *n) {
    pthread_mutex_lock(&sil->lock);
    mon_silence_info_t *v =
        mon_calloc(sil->list.n ? sil->list.n : 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = sil->list.n; i-- > 0;) {
        const entry_t *e = sil->list.v[i];
        if (cluster && group && !entry_matches(e, cluster, group, now_ms))
            continue;
        entry_copy(e, now_ms, &v[k++]);
    }
    pthread_mutex_unlock(&sil->lock);
    *out = v;
    *n = k;
    return 0;
}

size_t mon_silences_active(mon_silences_t *sil, int64_t now_ms) {
    size_t n = 0;
    pthread_mutex_lock(&sil->lock);
    for (size_t i = 0; i < sil->list.n; i++)
        n += entry_active(sil->list.v[i], now_ms);
    pthread_mutex_unlock(&sil->lock);
    return n;
}
