/* SPDX-License-Identifier: Apache-2.0 */
/* webhook_rcv: a real webhook receiver for integration tests:
 * libmicrohttpd on a loopback port, in the test process, that records
 * every request (method, path, X-Warren-Delivery, X-Warren-Signature,
 * Content-Type, User-Agent, body, arrival on the monotonic clock) and
 * answers per a script: 200, fail N times (with Retry-After) then 200,
 * hang the first N until released, or always one status. Header-only
 * (static functions); Criterion asserts on setup failures.
 */
#ifndef WEBHOOK_RCV_H
#define WEBHOOK_RCV_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <microhttpd.h>

static inline int64_t rcv_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void rcv_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct req_s {
    char method[12];
    char path[512];
    char delivery[160];
    char signature[160];
    char ctype[80];
    char ua[120];
    char body[8192];
    int64_t t_ms;
} req_t;

#define MAX_REQS 64

typedef struct rcv_s {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    req_t reqs[MAX_REQS];
    int n;
    /* script */
    int fail_first; /* answer fail_status to the first N */
    int fail_status;
    int retry_after; /* on failures, seconds; 0 = no header */
    int status;      /* afterwards; 0 = 200 */
    int hang_first;  /* hang the first N until released */
    atomic_bool release;
    atomic_int hanging; /* handlers hanging now */
} rcv_t;

typedef struct conn_s {
    char buf[8192];
    size_t len;
} conn_t;

static inline enum MHD_Result rcv_handler(void *cls, struct MHD_Connection *c,
                                          const char *url, const char *method,
                                          const char *version,
                                          const char *upload,
                                          size_t *upload_size, void **con_cls) {
    rcv_t *r = cls;
    conn_t *cc = *con_cls;
    (void)version;
    if (!cc) {
        cc = calloc(1, sizeof(*cc));
        *con_cls = cc;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t room = sizeof(cc->buf) - 1 - cc->len;
        size_t k = *upload_size < room ? *upload_size : room;
        memcpy(cc->buf + cc->len, upload, k);
        cc->len += k;
        *upload_size = 0;
        return MHD_YES;
    }
    const char *h;
    pthread_mutex_lock(&r->lock);
    int idx = r->n;
    if (r->n < MAX_REQS) {
        req_t *q = &r->reqs[r->n++];
        memset(q, 0, sizeof(*q));
        snprintf(q->method, sizeof(q->method), "%s", method);
        snprintf(q->path, sizeof(q->path), "%s", url);
        h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                        "X-Warren-Delivery");
        snprintf(q->delivery, sizeof(q->delivery), "%s", h ? h : "");
        h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                        "X-Warren-Signature");
        snprintf(q->signature, sizeof(q->signature), "%s", h ? h : "");
        h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        snprintf(q->ctype, sizeof(q->ctype), "%s", h ? h : "");
        h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
        snprintf(q->ua, sizeof(q->ua), "%s", h ? h : "");
        memcpy(q->body, cc->buf, cc->len);
        q->body[cc->len] = '\0';
        q->t_ms = rcv_mono_ms();
    }
    pthread_mutex_unlock(&r->lock);

    if (idx < r->hang_first) {
        atomic_fetch_add(&r->hanging, 1);
        for (int i = 0; i < 3000 && !atomic_load(&r->release); i++)
            rcv_sleep_ms(10);
        atomic_fetch_sub(&r->hanging, 1);
    }
    int status =
        idx < r->fail_first ? r->fail_status : (r->status ? r->status : 200);
    static const char ok[] = "{\"ok\":true}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
    if (idx < r->fail_first && r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static inline void rcv_completed(void *cls, struct MHD_Connection *c,
                                 void **con_cls,
                                 enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)c;
    (void)code;
    free(*con_cls);
    *con_cls = NULL;
}

/* Starts r on 127.0.0.1:port (0 = any free port). */
static inline void rcv_start(rcv_t *r, int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!r->d) pthread_mutex_init(&r->lock, NULL);
    r->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
        (uint16_t)port, NULL, NULL, rcv_handler, r, MHD_OPTION_SOCK_ADDR, &sa,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_NOTIFY_COMPLETED,
        rcv_completed, r, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    cr_assert_not_null(r->d, "receiver did not start on port %d", port);
    r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static inline void rcv_stop(rcv_t *r) {
    if (!r->d) return;
    atomic_store(&r->release, true);
    MHD_stop_daemon(r->d);
    r->d = NULL;
}

static inline int rcv_count(rcv_t *r) {
    pthread_mutex_lock(&r->lock);
    int n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* Waits up to 20 s for at least n requests; returns the count. */
static inline int rcv_wait(rcv_t *r, int n) {
    for (int i = 0; i < 2000 && rcv_count(r) < n; i++)
        rcv_sleep_ms(10);
    return rcv_count(r);
}

/* Waits up to 20 s until n handlers hang; returns how many do. */
static inline int rcv_wait_hanging(rcv_t *r, int n) {
    for (int i = 0; i < 4000 && atomic_load(&r->hanging) < n; i++)
        rcv_sleep_ms(5);
    return atomic_load(&r->hanging);
}

/* A port nothing listens on (bound and closed again). */
static inline int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

#endif
