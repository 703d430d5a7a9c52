/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kserver_int: what the loop (bc_kserver.c) and the API handlers
 * (bc_khandle.c) share: the server and connection structs and the
 * response builder. Loop thread only, unless said otherwise.
 */
#ifndef BC_KSERVER_INT_H
#define BC_KSERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_kpid.h"
#include "broker-core/bc_kreq.h"
#include "broker-core/bc_kserver.h"
#include "broker-core/bc_wire.h"

/* A file range spliced into a response at byte `at` of its buffer. */
typedef struct bc_ksplice_s {
    size_t at;
    int fd; /* owned */
    int64_t pos;
    size_t len;
} bc_ksplice_t;

/* One response being built or sent: buf holds the size prefix and every
 * byte except the spliced file ranges. */
typedef struct bc_kresp_s {
    struct bc_kresp_s *next;
    bc_wire_wr_t w;
    bc_ksplice_t *spl;
    size_t nspl, capspl;
    size_t total; /* buffer bytes + spliced bytes */
    size_t off;   /* next buffer byte to send */
    size_t si;    /* next splice */
    size_t sdone; /* bytes of splice si sent */
} bc_kresp_t;

enum { PARK_NONE = 0, PARK_FETCH, PARK_JOIN, PARK_SYNC };

typedef struct bc_kconn_s {
    int fd;
    char addr[64]; /* "ip:port" for logs */
    char host[64]; /* "/ip", Kafka's client host */
    uint8_t *in;   /* read buffer */
    size_t in_len, in_cap;
    bc_kresp_t *out_head, *out_tail;
    size_t out_bytes;
    int64_t last_active_ms;
    int closing; /* close once the output is flushed */
    int dead;    /* closed; freed at the end of the loop iteration */
    /* The request in progress when parked. */
    int park;
    int64_t park_deadline_ms;
    uint8_t *park_frame;
    bc_kreq_t park_req;
    int epoll_out; /* EPOLLOUT registered */
} bc_kconn_t;

struct bc_kserver_s {
    bc_kserver_conf_t conf;
    char *listen_s, *adv_s;
    char adv_host[256];
    int32_t adv_port;
    char address[300];
    int lfd, efd, wfd; /* listener, epoll, eventfd */
    int listener_id;   /* broker append listener */
    atomic_int appended;
    atomic_int stop;
    pthread_t thread;
    int started;
    bc_kgroup_t *kg;
    bc_kconn_t **conns;
    size_t nconn, capconn;
    bc_kpid_t *pids;          /* idempotent producers' sequences and ids */
    int64_t mono_ms, wall_ms; /* clocks of the current iteration */
};

/* Starts a response to `req` (size prefix + correlation id). */
bc_kresp_t *bc_kresp_begin(const bc_kreq_t *req);
/* Splices [pos, pos+len) of fd (ownership passes) at the current end. */
void bc_kresp_splice(bc_kresp_t *r, int fd, int64_t pos, size_t len);
/* Patches the size prefix. */
void bc_kresp_finish(bc_kresp_t *r);
void bc_kresp_free(bc_kresp_t *r);

/* Queues a finished response on the connection. */
void bc_kserver_queue(bc_kserver_t *srv, bc_kconn_t *c, bc_kresp_t *r);

/* Writes a line to the server's log (printf style). */
void bc_kserver_logf(bc_kserver_t *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Handles one decoded request of connection c (frame is its buffer,
 * mutable, owned by the caller unless the request parks). Returns 0
 * (answered, or no answer for acks=0), 1 when it parked the connection
 * (c->park set; the handler took ownership of frame and req), or -1 to
 * close the connection (logged by the handler). */
int bc_khandle(bc_kserver_t *srv, bc_kconn_t *c, bc_kreq_t *req,
               uint8_t *frame);

/* Re-runs a parked Fetch (data arrived or its deadline passed): answers
 * and unparks when min.bytes is met or the deadline passed. */
void bc_khandle_fetch_retry(bc_kserver_t *srv, bc_kconn_t *c);

/* kgroup callbacks (waiter = the parked connection). */
void bc_khandle_join_done(void *opaque, void *waiter,
                          const bc_kgroup_join_result_t *res);
void bc_khandle_sync_done(void *opaque, void *waiter, int16_t error,
                          const uint8_t *assignment, int32_t len);

/* Ends a park: frees the parked request and frame. */
void bc_kconn_unpark(bc_kconn_t *c);

#endif
