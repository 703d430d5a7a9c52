/* SPDX-License-Identifier: Apache-2.0 */
/* warren_proc: test helpers that run the real warren binary and talk to it
 * over real sockets with libcurl. Header-only (static functions) so each
 * integration test program includes what it uses.
 *
 * wp_start() runs `$WARREN_BIN serve --listen 127.0.0.1:0 ARGS...` with
 * stderr captured to a file, and reads the bound port from its
 * "listening on ADDR:PORT" log line.
 */
#ifndef WARREN_PROC_H
#define WARREN_PROC_H

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct wp_s {
    pid_t pid;
    int port;
    char log[300];
    char dir[256];
} wp_t;

typedef struct wp_resp_s {
    long status;
    char *body;
    size_t len;
    char ctype[128];
} wp_resp_t;

static const char *wp_bin(void) {
    const char *b = getenv("WARREN_BIN");
    return b && b[0] ? b : "build/default/warren";
}

/* For a test whose warren watches a Kafka cluster: runs
 * $WARREN_KAFKA_BIN when set (tests/run.sh sets it to the plain build
 * under ThreadSanitizer, where Debian's librdkafka crashes inside TSan's
 * runtime). Criterion runs each test in its own process, so this changes
 * only the calling test. */
static inline void wp_use_kafka_bin(void) {
    const char *k = getenv("WARREN_KAFKA_BIN");
    if (k && k[0]) setenv("WARREN_BIN", k, 1);
}

static void wp_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long wp_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* A fresh temporary directory for the test. */
static void wp_tmpdir(char *buf, size_t size) {
    snprintf(buf, size, "/tmp/warren-test-XXXXXX");
    if (!mkdtemp(buf)) buf[0] = '\0';
}

static char *wp_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *s = malloc(cap);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            s = realloc(s, cap);
        }
    }
    fclose(f);
    s[n] = '\0';
    if (len) *len = n;
    return s;
}

/* Runs warren with argv (NULL-terminated, without the binary), stderr and
 * stdout to `log`, without waiting. The daemon is killed when the test
 * process dies, so a failed assertion (which ends the test's process
 * before wp_stop) leaves no daemon behind. */
static pid_t wp_spawn(char *const *args, const char *log) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127); /* the test already ended */
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char *argv[64];
        int n = 0;
        argv[n++] = (char *)wp_bin();
        for (int i = 0; args[i] && n < 63; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Runs warren to completion; returns its exit code and its output in
 * *out (malloc'd, may be NULL). */
static inline int wp_run(char *const *args, char **out) {
    char log[] = "/tmp/warren-run-XXXXXX";
    int fd = mkstemp(log);
    if (fd >= 0) close(fd);
    pid_t pid = wp_spawn(args, log);
    int st = 0;
    waitpid(pid, &st, 0);
    if (out) *out = wp_read_file(log, NULL);
    unlink(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Starts `warren serve --listen 127.0.0.1:0 --data-dir DIR extra...` and
 * waits (up to 20 s) for its port. Returns 0 or -1. */
static int wp_start(wp_t *w, const char *data_dir, char *const *extra) {
    memset(w, 0, sizeof(*w));
    if (data_dir)
        snprintf(w->dir, sizeof(w->dir), "%s", data_dir);
    else
        wp_tmpdir(w->dir, sizeof(w->dir));
    snprintf(w->log, sizeof(w->log), "%s.log", w->dir);
    FILE *lf = fopen(w->log, "w"); /* no stale port from an earlier run */
    if (lf) fclose(lf);
    char *args[64];
    int n = 0;
    args[n++] = "serve";
    args[n++] = "--listen";
    args[n++] = "127.0.0.1:0";
    args[n++] = "--data-dir";
    args[n++] = w->dir;
    for (int i = 0; extra && extra[i] && n < 62; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    w->pid = wp_spawn(args, w->log);
    long deadline = wp_mono_ms() + 20000;
    while (wp_mono_ms() < deadline) {
        char *s = wp_read_file(w->log, NULL);
        const char *p = s ? strstr(s, "listening on ") : NULL;
        if (p) {
            const char *colon = strrchr(p, ':');
            w->port = colon ? atoi(colon + 1) : 0;
            /* the last ':' of the line is before the port */
            const char *nl = strchr(p, '\n');
            for (const char *q = p; nl && q < nl; q++)
                if (*q == ':') w->port = atoi(q + 1);
        }
        free(s);
        if (w->port > 0) return 0;
        int st;
        if (waitpid(w->pid, &st, WNOHANG) == w->pid) {
            w->pid = 0;
            return -1;
        }
        wp_sleep_ms(50);
    }
    return -1;
}

/* SIGTERM and wait; returns the exit code (or 128+signal), and the time
 * taken in *ms (may be NULL). Kills with SIGKILL after 10 s. */
static int wp_stop(wp_t *w, long *ms) {
    if (w->pid <= 0) return -1;
    long t0 = wp_mono_ms();
    kill(w->pid, SIGTERM);
    int st = 0;
    for (;;) {
        pid_t r = waitpid(w->pid, &st, WNOHANG);
        if (r == w->pid) break;
        if (wp_mono_ms() - t0 > 10000) {
            kill(w->pid, SIGKILL);
            waitpid(w->pid, &st, 0);
            break;
        }
        wp_sleep_ms(20);
    }
    if (ms) *ms = wp_mono_ms() - t0;
    w->pid = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static size_t wp_collect(char *data, size_t size, size_t n, void *arg) {
    wp_resp_t *r = arg;
    size_t add = size * n;
    r->body = realloc(r->body, r->len + add + 1);
    memcpy(r->body + r->len, data, add);
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

/* One request; body may be NULL. Extra header lines may be NULL. */
static int wp_http(const wp_t *w, const char *method, const char *path,
                   const char *body, const char *header, wp_resp_t *r) {
    memset(r, 0, sizeof(*r));
    r->body = calloc(1, 1);
    CURL *c = curl_easy_init();
    char url[4096];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", w->port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, wp_collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    struct curl_slist *hl = NULL;
    if (header) hl = curl_slist_append(hl, header);
    /* a body is JSON unless the header says otherwise (warren answers
     * 415 to anything else) */
    if (body && !(header && !strncasecmp(header, "Content-Type:", 13)))
        hl = curl_slist_append(hl, "Content-Type: application/json");
    if (hl) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ct) snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

static void wp_resp_free(wp_resp_t *r) {
    free(r->body);
    r->body = NULL;
}

#endif
