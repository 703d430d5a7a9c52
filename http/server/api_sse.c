/* SPDX-License-Identifier: Apache-2.0 */
/* api_sse: see api_sse.h. Messages are formatted once and shared by
 * reference count (guarded by hub->lock); a client queue is a ring of
 * message pointers plus the offset already written of the oldest one, so
 * an event is never cut in half when older events are dropped.
 */
#include "http/server/api_sse.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/server/api_json.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_mem.h"
#include "monitor/base/mon_worker.h"

typedef struct sse_msg_s {
    int refs; /* guarded by hub->lock */
    size_t len;
    char data[];
} sse_msg_t;

typedef struct sse_client_s {
    api_sse_hub_t *hub;
    struct MHD_Connection *conn;
    struct sse_client_s *next; /* hub->clients list */
    sse_msg_t **q;             /* ring of queue_max */
    size_t head, count;
    size_t off;       /* bytes of q[head] already written */
    uint64_t dropped; /* not yet reported */
    char notice[96];
    size_t notice_len, notice_off;
    int suspended;
    atomic_int gone; /* set by the response-free callback */
} sse_client_t;

struct api_sse_hub_s {
    pthread_mutex_t lock; /* guards everything below but the atomics */
    sse_client_t *clients;
    int closed;
    uint64_t next_id;
    size_t queue_max;
    size_t max_clients;
    size_t listed; /* clients on the list, gone or not */
    int64_t heartbeat_ms;
    mon_worker_t *heartbeat; /* owned by the hub's creator thread */
    atomic_size_t live;      /* streams not yet released */
    atomic_uint_least64_t dropped_total;
};

static sse_msg_t *msg_new(const char *text, size_t len) {
    sse_msg_t *m = mon_malloc(sizeof(*m) + len + 1);
    m->refs = 0;
    m->len = len;
    memcpy(m->data, text, len);
    m->data[len] = '\0';
    return m;
}

static void msg_unref(sse_msg_t *m) {
    if (m && --m->refs == 0) free(m);
}

static void client_free(sse_client_t *c) {
    while (c->count > 0) {
        msg_unref(c->q[c->head]);
        c->head = (c->head + 1) % c->hub->queue_max;
        c->count--;
    }
    free(c->q);
    free(c);
}

/* Frees clients libmicrohttpd has released. hub->lock held. */
static void reap(api_sse_hub_t *hub) {
    sse_client_t **pp = &hub->clients;
    while (*pp) {
        sse_client_t *c = *pp;
        if (atomic_load(&c->gone)) {
            *pp = c->next;
            hub->listed--;
            client_free(c);
        } else {
            pp = &c->next;
        }
    }
}

/* Queues m for c, dropping the oldest unstarted event when full, and
 * resumes a suspended stream. hub->lock held. */
static void client_push(api_sse_hub_t *hub, sse_client_t *c, sse_msg_t *m) {
    size_t qm = hub->queue_max;
    if (c->count == qm) {
        /* keep a partially written head; drop the next oldest */
        size_t victim = c->off > 0 ? (c->head + 1) % qm : c->head;
        if (c->off > 0 && qm == 1) {
            /* the only slot is half written: drop the new event */
            c->dropped++;
            atomic_fetch_add(&hub->dropped_total, 1);
            return;
        }
        msg_unref(c->q[victim]);
        if (victim == c->head) {
            c->head = (c->head + 1) % qm;
            c->off = 0;
        } else {
            /* close the gap: shift the entries after victim down by one */
            size_t i = victim;
            for (size_t k = 2; k < c->count; k++) {
                size_t nx = (i + 1) % qm;
                c->q[i] = c->q[nx];
                i = nx;
            }
        }
        c->count--;
        c->dropped++;
        atomic_fetch_add(&hub->dropped_total, 1);
    }
    m->refs++;
    c->q[(c->head + c->count) % qm] = m;
    c->count++;
    if (c->suspended) {
        c->suspended = 0;
        MHD_resume_connection(c->conn);
    }
}

/* Queues m for every live client; frees m when nobody took it. Returns
 * the number of clients. hub->lock held. */
static int broadcast(api_sse_hub_t *hub, sse_msg_t *m) {
    int n = 0;
    reap(hub);
    m->refs++; /* hold it while pushing */
    for (sse_client_t *c = hub->clients; c; c = c->next) {
        if (atomic_load(&c->gone)) continue;
        client_push(hub, c, m);
        n++;
    }
    msg_unref(m);
    return n;
}

static void heartbeat_main(mon_worker_t *w, void *arg) {
    api_sse_hub_t *hub = arg;
    static const char beat[] = ": heartbeat\n\n";

    while (!mon_worker_sleep(w, hub->heartbeat_ms)) {
        pthread_mutex_lock(&hub->lock);
        if (!hub->closed) broadcast(hub, msg_new(beat, sizeof(beat) - 1));
        pthread_mutex_unlock(&hub->lock);
    }
}

api_sse_hub_t *api_sse_hub_new(size_t queue_max, size_t max_clients,
                               int64_t heartbeat_ms, char *errstr,
                               size_t errstr_size) {
    api_sse_hub_t *hub = mon_calloc(1, sizeof(*hub));

    hub->queue_max = queue_max ? queue_max : 256;
    hub->max_clients = max_clients ? max_clients : 64;
    hub->heartbeat_ms = heartbeat_ms > 0 ? heartbeat_ms : 15000;
    hub->next_id = 1;
    atomic_init(&hub->live, 0);
    atomic_init(&hub->dropped_total, 0);
    pthread_mutex_init(&hub->lock, NULL);
    if (mon_worker_start(&hub->heartbeat, "sse heartbeat", heartbeat_main, hub,
                         errstr, errstr_size) != 0) {
        pthread_mutex_destroy(&hub->lock);
        free(hub);
        return NULL;
    }
    return hub;
}

void api_sse_hub_close(api_sse_hub_t *hub) {
    if (!hub) return;
    pthread_mutex_lock(&hub->lock);
    hub->closed = 1;
    for (sse_client_t *c = hub->clients; c; c = c->next) {
        if (c->suspended && !atomic_load(&c->gone)) {
            c->suspended = 0;
            MHD_resume_connection(c->conn);
        }
    }
    pthread_mutex_unlock(&hub->lock);
    mon_worker_request_stop(hub->heartbeat);
}

size_t api_sse_hub_clients(api_sse_hub_t *hub) {
    return hub ? atomic_load(&hub->live) : 0;
}

void api_sse_hub_destroy(api_sse_hub_t *hub) {
    if (!hub) return;
    api_sse_hub_close(hub);
    mon_worker_stop(&hub->heartbeat);
    pthread_mutex_lock(&hub->lock);
    while (hub->clients) {
        sse_client_t *c = hub->clients;
        hub->clients = c->next;
        client_free(c);
    }
    pthread_mutex_unlock(&hub->lock);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

uint64_t api_sse_dropped_total(api_sse_hub_t *hub) {
    return hub ? atomic_load(&hub->dropped_total) : 0;
}

int api_sse_publish(api_sse_hub_t *hub, const char *event, const char *json) {
    size_t cap, n = 0;
    char *text;
    int clients;

    if (!hub || !event || !*event || strpbrk(event, "\r\n") || !json) return -1;
    /* worst case every byte of json is a newline: "data: " per line */
    cap = 64 + strlen(event) + strlen(json) * 7 + 16;
    text = mon_malloc(cap);
    pthread_mutex_lock(&hub->lock);
    if (hub->closed) {
        pthread_mutex_unlock(&hub->lock);
        free(text);
        return -1;
    }
    n = (size_t)snprintf(text, cap, "id: %llu\nevent: %s\n",
                         (unsigned long long)hub->next_id++, event);
    for (const char *p = json;;) {
        const char *nl = p + strcspn(p, "\r\n");
        memcpy(text + n, "data: ", 6);
        n += 6;
        memcpy(text + n, p, (size_t)(nl - p));
        n += (size_t)(nl - p);
        text[n++] = '\n';
        if (*nl == '\0') break;
        p = nl + 1;
        if (nl[0] == '\r' && nl[1] == '\n') p++;
    }
    text[n++] = '\n';
    clients = broadcast(hub, msg_new(text, n));
    pthread_mutex_unlock(&hub->lock);
    free(text);
    return clients;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    sse_client_t *c = cls;
    api_sse_hub_t *hub = c->hub;
    size_t n = 0;

    (void)pos;
    pthread_mutex_lock(&hub->lock);
    if (hub->closed) {
        pthread_mutex_unlock(&hub->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    while (n < max) {
        if (c->notice_off < c->notice_len) {
            size_t k = c->notice_len - c->notice_off;
            if (k > max - n) k = max - n;
            memcpy(buf + n, c->notice + c->notice_off, k);
            c->notice_off += k;
            n += k;
            continue;
        }
        if (c->dropped > 0 && c->off == 0) {
            int l = snprintf(c->notice, sizeof(c->notice),
                             "event: dropped\ndata: {\"dropped\":%llu}\n\n",
                             (unsigned long long)c->dropped);
            c->notice_len = l > 0 ? (size_t)l : 0;
            c->notice_off = 0;
            c->dropped = 0;
            continue;
        }
        if (c->count == 0) break;
        {
            sse_msg_t *m = c->q[c->head];
            size_t k = m->len - c->off;
            if (k > max - n) k = max - n;
            memcpy(buf + n, m->data + c->off, k);
            c->off += k;
            n += k;
            if (c->off == m->len) {
                msg_unref(m);
                c->head = (c->head + 1) % hub->queue_max;
                c->count--;
                c->off = 0;
            }
        }
    }
    if (n == 0) {
        c->suspended = 1;
        MHD_suspend_connection(c->conn);
    }
    pthread_mutex_unlock(&hub->lock);
    return (ssize_t)n;
}

/* libmicrohttpd released the response: no lock (see api_sse.h). */
static void stream_free(void *cls) {
    sse_client_t *c = cls;
    api_sse_hub_t *hub = c->hub;
    atomic_store(&c->gone, 1);
    atomic_fetch_sub(&hub->live, 1);
}

void api_sse_serve(api_sse_hub_t *hub, api_req_t *req) {
    static const char hello[] = "retry: 3000\n: connected\n\n";
    struct MHD_Response *resp;
    sse_client_t *c;

    pthread_mutex_lock(&hub->lock);
    reap(hub);
    if (hub->closed || atomic_load(&hub->live) >= hub->max_clients) {
        int closed = hub->closed;
        pthread_mutex_unlock(&hub->lock);
        api_resp_error(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                       closed ? "server is shutting down"
                              : "too many event streams");
        return;
    }
    c = mon_calloc(1, sizeof(*c));
    c->hub = hub;
    c->conn = req->conn;
    c->q = mon_calloc(hub->queue_max, sizeof(sse_msg_t *));
    atomic_init(&c->gone, 0);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
                                             stream_read, c, stream_free);
    if (!resp) {
        pthread_mutex_unlock(&hub->lock);
        client_free(c);
        api_resp_set(req, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL);
        return;
    }
    client_push(hub, c, msg_new(hello, sizeof(hello) - 1));
    c->next = hub->clients;
    hub->clients = c;
    hub->listed++;
    atomic_fetch_add(&hub->live, 1);
    pthread_mutex_unlock(&hub->lock);

    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/event-stream");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    api_resp_set(req, MHD_HTTP_OK, resp);
}
