/* SPDX-License-Identifier: Apache-2.0 */
/* bc_kserver: the listener's event loop (see bc_kserver.h).
 *
 * Level-triggered epoll over the listening socket, an eventfd (appends
 * and stop) and the connections. Each iteration reads what sockets have,
 * runs every complete frame of connections that are not parked, retries
 * parked Fetches when something was appended or a deadline passed, ticks
 * the group coordinator and flushes output (sendfile for spliced file
 * ranges). Connections closed during an iteration are freed at its end,
 * so a group callback never sees a freed connection. */
#include "broker-core/bc_kserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_clock.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_kserver_int.h"
#include "broker-core/bc_mem.h"

bc_kserver_conf_t bc_kserver_conf_default(void) {
    bc_kserver_conf_t c = {0};
    c.listen = "127.0.0.1:9092";
    c.socket_request_max_bytes = 104857600;
    c.message_max_bytes = 1048588;
    c.max_connections = 1000;
    c.idle_timeout_ms = 600000;
    c.auto_create_topics = 1;
    c.num_partitions = 1;
    c.initial_rebalance_delay_ms = 100;
    return c;
}

void bc_kserver_logf(bc_kserver_t *srv, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (srv->conf.log_fn)
        srv->conf.log_fn(srv->conf.log_opaque, line);
    else
        fprintf(stderr, "%s\n", line);
}

/* ---- responses --------------------------------------------------- */

bc_kresp_t *bc_kresp_begin(const bc_kreq_t *req) {
    bc_kresp_t *r = bc_calloc(1, sizeof(*r));
    bc_wire_wr_init(&r->w, 512);
    bc_wire_wr_i32(&r->w, 0); /* size, patched by finish */
    bc_wire_wr_i32(&r->w, req->correlation_id);
    /* Response header v1 (tagged fields) for flexible versions, except
     * ApiVersions, whose header stays v0 so any client can read it. */
    if (req->status == BC_KREQ_OK && req->api_key != BC_API_API_VERSIONS &&
        bc_kreq_flexible(req->api_key, req->api_version)) {
        r->w.flex = 1;
        bc_wire_wr_tags(&r->w);
    }
    return r;
}

void bc_kresp_splice(bc_kresp_t *r, int fd, int64_t pos, size_t len) {
    if (r->nspl == r->capspl) {
        r->capspl = r->capspl ? r->capspl * 2 : 8;
        r->spl = bc_realloc(r->spl, r->capspl * sizeof(*r->spl));
    }
    r->spl[r->nspl++] =
        (bc_ksplice_t){.at = r->w.len, .fd = fd, .pos = pos, .len = len};
    r->total += len;
}

void bc_kresp_finish(bc_kresp_t *r) {
    r->total += r->w.len;
    bc_wire_wr_patch_i32(&r->w, 0, (int32_t)(r->total - 4));
}

void bc_kresp_free(bc_kresp_t *r) {
    if (!r) return;
    for (size_t i = r->si; i < r->nspl; i++)
        if (r->spl[i].fd >= 0) close(r->spl[i].fd);
    free(r->spl);
    bc_wire_wr_free(&r->w);
    free(r);
}

void bc_kserver_queue(bc_kserver_t *srv, bc_kconn_t *c, bc_kresp_t *r) {
    (void)srv;
    if (c->dead) {
        bc_kresp_free(r);
        return;
    }
    if (c->out_tail)
        c->out_tail->next = r;
    else
        c->out_head = r;
    c->out_tail = r;
    c->out_bytes += r->total;
}

/* ---- connections ------------------------------------------------- */

void bc_kconn_unpark(bc_kconn_t *c) {
    if (!c->park) return;
    bc_kreq_free(&c->park_req);
    free(c->park_frame);
    c->park_frame = NULL;
    c->park = PARK_NONE;
}

static void conn_close(bc_kserver_t *srv, bc_kconn_t *c) {
    if (c->dead) return;
    if (c->park == PARK_JOIN || c->park == PARK_SYNC)
        bc_kgroup_cancel(srv->kg, c);
    bc_kconn_unpark(c);
    epoll_ctl(srv->efd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->dead = 1;
}

static void conn_free(bc_kconn_t *c) {
    while (c->out_head) {
        bc_kresp_t *n = c->out_head->next;
        bc_kresp_free(c->out_head);
        c->out_head = n;
    }
    free(c->in);
    free(c);
}

static void set_epoll_out(bc_kserver_t *srv, bc_kconn_t *c, int on) {
    if (c->epoll_out == on || c->dead) return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
                             .data.ptr = c};
    epoll_ctl(srv->efd, EPOLL_CTL_MOD, c->fd, &ev);
    c->epoll_out = on;
}

/* Sends as much queued output as the socket takes. -1 on a dead peer. */
static int conn_flush(bc_kserver_t *srv, bc_kconn_t *c) {
    while (c->out_head && !c->dead) {
        bc_kresp_t *r = c->out_head;
        size_t stop = r->si < r->nspl ? r->spl[r->si].at : r->w.len;
        if (r->off < stop) {
            int more = r->off + (stop - r->off) < r->w.len || r->si < r->nspl ||
                       r->next;
            ssize_t n = send(c->fd, r->w.buf + r->off, stop - r->off,
                             MSG_NOSIGNAL | (more ? MSG_MORE : 0));
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) break;
                return -1;
            }
            r->off += (size_t)n;
            c->out_bytes -= (size_t)n;
            continue;
        }
        if (r->si < r->nspl) {
            bc_ksplice_t *s = &r->spl[r->si];
            if (r->sdone < s->len) {
                off_t pos = (off_t)(s->pos + (int64_t)r->sdone);
                ssize_t n = sendfile(c->fd, s->fd, &pos, s->len - r->sdone);
                if (n < 0) {
                    if (errno == EAGAIN || errno == EINTR) break;
                    return -1;
                }
                if (n == 0) return -1; /* file shrank under us */
                r->sdone += (size_t)n;
                c->out_bytes -= (size_t)n;
                continue;
            }
            close(s->fd);
            s->fd = -1;
            r->si++;
            r->sdone = 0;
            continue;
        }
        c->out_head = r->next;
        if (!c->out_head) c->out_tail = NULL;
        bc_kresp_free(r);
    }
    set_epoll_out(srv, c, c->out_head != NULL);
    return 0;
}

/* Runs complete frames while the connection is not parked and its
 * output is small. */
static void conn_process(bc_kserver_t *srv, bc_kconn_t *c) {
    size_t off = 0;
    while (!c->dead && !c->park && !c->closing && c->out_bytes < (4u << 20)) {
        if (c->in_len - off < 4) break;
        int32_t size = (int32_t)bc_get_be32(c->in + off);
        if (size < 0 || size > srv->conf.socket_request_max_bytes) {
            bc_kserver_logf(srv,
                            "kafka: closing %s: request size %d over "
                            "socket.request.max.bytes %lld",
                            c->addr, (int)size,
                            (long long)srv->conf.socket_request_max_bytes);
            conn_close(srv, c);
            return;
        }
        if (c->in_len - off - 4 < (size_t)size) break;
        /* A Produce never parks, so it is decoded and answered in the
         * read buffer itself (its batches are stamped there): one copy
         * less of every byte produced. Others get a frame of their own,
         * which a parked request keeps. */
        uint8_t *frame = c->in + off + 4;
        int in_place = size >= 2 && bc_get_be16(frame) == BC_API_PRODUCE;
        if (!in_place) {
            frame = bc_malloc(size ? (size_t)size : 1);
            memcpy(frame, c->in + off + 4, (size_t)size);
        }
        off += 4 + (size_t)size;
        bc_kreq_t req;
        char err[256];
        int rc =
            bc_kreq_decode(frame, (size_t)size, &req, NULL, err, sizeof(err));
        if (rc != 0) {
            bc_kserver_logf(srv,
                            "kafka: closing %s: malformed %s v%d request "
                            "(api key %d): %s",
                            c->addr, bc_kreq_api_name(req.api_key),
                            (int)req.api_version, (int)req.api_key, err);
            bc_kreq_free(&req);
            if (!in_place) free(frame);
            conn_close(srv, c);
            return;
        }
        c->last_active_ms = srv->mono_ms;
        rc = bc_khandle(srv, c, &req, frame);
        if (rc == 1) { /* parked: frame and req now the park's */
            BC_ASSERT(!in_place);
            continue;
        }
        bc_kreq_free(&req);
        if (!in_place) free(frame);
        if (rc < 0) {
            c->closing = 1;
            break;
        }
    }
    if (off && !c->dead) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
}

static void conn_read(bc_kserver_t *srv, bc_kconn_t *c) {
    for (;;) {
        if (c->in_cap - c->in_len < 65536) {
            /* Grow to hold the frame being read (bounded by the size
             * check in conn_process, which runs before we grow past
             * 64 KiB beyond one frame). */
            size_t need = c->in_len + 65536;
            if (c->in_len >= 4) {
                size_t fs = 4 + (size_t)bc_get_be32(c->in);
                if ((int64_t)fs - 4 <= srv->conf.socket_request_max_bytes &&
                    fs > need)
                    need = fs;
            }
            size_t cap = c->in_cap ? c->in_cap : 65536;
            while (cap < need)
                cap *= 2;
            if (cap != c->in_cap) {
                c->in = bc_realloc(c->in, cap);
                c->in_cap = cap;
            }
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
        if (n > 0) {
            c->in_len += (size_t)n;
            c->last_active_ms = srv->mono_ms;
            if (c->in_len > (8u << 20) && (c->park || c->out_bytes)) break;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            conn_close(srv, c);
            return;
        }
        break;
    }
    conn_process(srv, c);
}

static void do_accept(bc_kserver_t *srv) {
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        size_t live = 0;
        for (size_t i = 0; i < srv->nconn; i++)
            live += !srv->conns[i]->dead;
        if ((int)live >= srv->conf.max_connections) {
            bc_kserver_logf(srv,
                            "kafka: refusing a connection: "
                            "max.connections %d reached",
                            srv->conf.max_connections);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        bc_kconn_t *c = bc_calloc(1, sizeof(*c));
        c->fd = fd;
        char ip[INET6_ADDRSTRLEN] = "?";
        int port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
        }
        snprintf(c->addr, sizeof(c->addr), "%s:%d", ip, port);
        snprintf(c->host, sizeof(c->host), "/%s", ip);
        c->last_active_ms = srv->mono_ms;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(srv->efd, EPOLL_CTL_ADD, fd, &ev);
        if (srv->nconn == srv->capconn) {
            srv->capconn = srv->capconn ? srv->capconn * 2 : 16;
            srv->conns =
                bc_realloc(srv->conns, srv->capconn * sizeof(*srv->conns));
        }
        srv->conns[srv->nconn++] = c;
    }
}

/* The server whose loop runs on this thread (NULL elsewhere). */
static _Thread_local bc_kserver_t *loop_of_thread;

static void on_append(void *opaque, const char *topic, int32_t partition,
                      int64_t leo, int64_t now_ms) {
    (void)topic;
    (void)partition;
    (void)leo;
    (void)now_ms;
    bc_kserver_t *srv = opaque;
    /* An append made by the loop itself (a Produce) needs no wakeup: the
     * loop looks at the flag before it sleeps again. */
    if (loop_of_thread == srv) {
        atomic_store(&srv->appended, 1);
        return;
    }
    if (atomic_exchange(&srv->appended, 1) == 0) {
        uint64_t one = 1;
        ssize_t n = write(srv->wfd, &one, sizeof(one));
        (void)n;
    }
}

static void *loop(void *arg) {
    bc_kserver_t *srv = arg;
    struct epoll_event evs[64];
    int64_t last_tick = 0;
    loop_of_thread = srv;
    while (!atomic_load(&srv->stop)) {
        srv->mono_ms = bc_clock_mono_ms();
        int timeout = 100;
        for (size_t i = 0; i < srv->nconn; i++) {
            bc_kconn_t *c = srv->conns[i];
            if (c->park != PARK_FETCH) continue;
            int64_t left = c->park_deadline_ms - srv->mono_ms;
            if (left < timeout) timeout = left < 0 ? 0 : (int)left;
        }
        int64_t due = bc_kgroup_next_due_ms(srv->kg); /* a held join */
        if (due != INT64_MAX) {
            int64_t left = due - bc_clock_wall_ms();
            if (left < timeout) timeout = left < 0 ? 0 : (int)left;
        }
        if (atomic_load(&srv->appended)) timeout = 0;
        int n = epoll_wait(srv->efd, evs, 64, timeout);
        srv->mono_ms = bc_clock_mono_ms();
        srv->wall_ms = bc_clock_wall_ms();
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &srv->lfd) {
                do_accept(srv);
            } else if (p == &srv->wfd) {
                uint64_t v;
                ssize_t r = read(srv->wfd, &v, sizeof(v));
                (void)r;
            } else {
                bc_kconn_t *c = p;
                if (c->dead) continue;
                if (evs[i].events & (EPOLLERR | EPOLLHUP) &&
                    !(evs[i].events & EPOLLIN)) {
                    conn_close(srv, c);
                    continue;
                }
                if (evs[i].events & EPOLLOUT && conn_flush(srv, c) < 0)
                    conn_close(srv, c);
                if (!c->dead && evs[i].events & EPOLLIN) conn_read(srv, c);
            }
        }
        int appended = atomic_exchange(&srv->appended, 0);
        if (srv->mono_ms - last_tick >= 100 || srv->wall_ms >= due) {
            bc_kgroup_tick(srv->kg, srv->wall_ms);
            last_tick = srv->mono_ms;
        }
        /* Parked fetches, then connections that can run more frames (an
         * unpark, drained output), then output. */
        for (size_t i = 0; i < srv->nconn; i++) {
            bc_kconn_t *c = srv->conns[i];
            if (c->dead || c->park != PARK_FETCH) continue;
            if (appended || srv->mono_ms >= c->park_deadline_ms)
                bc_khandle_fetch_retry(srv, c);
        }
        for (size_t i = 0; i < srv->nconn; i++) {
            bc_kconn_t *c = srv->conns[i];
            if (c->dead) continue;
            if (!c->park && c->in_len >= 4) conn_process(srv, c);
            if (!c->dead && c->out_head && conn_flush(srv, c) < 0)
                conn_close(srv, c);
            if (!c->dead && c->closing && !c->out_head) conn_close(srv, c);
            if (!c->dead && !c->park && !c->out_head &&
                srv->conf.idle_timeout_ms > 0 &&
                srv->mono_ms - c->last_active_ms > srv->conf.idle_timeout_ms)
                conn_close(srv, c);
        }
        size_t k = 0;
        for (size_t i = 0; i < srv->nconn; i++) {
            if (srv->conns[i]->dead)
                conn_free(srv->conns[i]);
            else
                srv->conns[k++] = srv->conns[i];
        }
        srv->nconn = k;
    }
    return NULL;
}

/* Splits "host:port" ("[v6]:port" too); host "" means any. */
static int split_addr(const char *s, char *host, size_t hsz, int *port) {
    const char *colon = strrchr(s, ':');
    if (!colon) return -1;
    const char *h = s;
    size_t hl = (size_t)(colon - s);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= hsz) return -1;
    memcpy(host, h, hl);
    host[hl] = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || end == colon + 1) return -1;
    *port = (int)p;
    return 0;
}

/* Rebuilds the idempotent producers' state from the tail of every
 * partition's log and the persisted producer id block (bc_kpid.h), so
 * retries that reach a restarted broker are still recognised and no
 * producer id is handed out twice. Ids also start above the wall clock
 * in ms << 8 (the scheme of earlier versions, which kept no block). */
static void load_producers(bc_kserver_t *srv) {
    bc_broker_t *b = srv->conf.broker;
    char err[256];
    char **names = NULL;
    size_t nt = 0, batches = 0;
    if (bc_kpid_ids_open(srv->pids, bc_broker_data_dir(b),
                         bc_clock_wall_ms() << 8, err, sizeof(err)) != 0)
        bc_kserver_logf(srv, "kafka: producer ids: %s", err);
    if (bc_broker_list_topics(b, &names, &nt) != 0) return;
    for (size_t i = 0; i < nt; i++) {
        int32_t np = bc_broker_partitions(b, names[i]);
        for (int32_t p = 0; p < np; p++) {
            bc_log_t *log = bc_broker_log(b, names[i], p);
            if (log && bc_kpid_load(srv->pids, names[i], p, log, &batches) != 0)
                bc_kserver_logf(srv,
                                "kafka: producer state of %s-%d only partly "
                                "rebuilt (unreadable batch header)",
                                names[i], (int)p);
        }
    }
    bc_broker_free_topics(names, nt);
    if (batches)
        bc_kserver_logf(srv,
                        "kafka: rebuilt idempotent producer state from %zu "
                        "batches (%zu producer partitions)",
                        batches, bc_kpid_count(srv->pids));
}

bc_kserver_t *bc_kserver_start(const bc_kserver_conf_t *conf, char *errstr,
                               size_t errstr_size) {
    char host[256];
    int port;
    struct addrinfo *ai = NULL;
    if (!conf->broker || !conf->offsets || !conf->listen) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "kafka listener needs a broker, offsets and an address");
        return NULL;
    }
    if (split_addr(conf->listen, host, sizeof(host), &port) != 0) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                   "listen %s: expected host:port", conf->listen);
        return NULL;
    }
    bc_kserver_t *srv = bc_calloc(1, sizeof(*srv));
    srv->conf = *conf;
    srv->lfd = srv->efd = srv->wfd = -1;
    srv->listener_id = -1;
    srv->listen_s = bc_strdup(conf->listen);
    srv->conf.listen = srv->listen_s;
    if (conf->advertised) {
        srv->adv_s = bc_strdup(conf->advertised);
        srv->conf.advertised = srv->adv_s;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    int gai = getaddrinfo(host[0] ? host : NULL, ps, &hints, &ai);
    if (gai != 0) {
        bc_err_set(BC_ERR_INVALID, errstr, errstr_size, "listen %s: %s",
                   conf->listen, gai_strerror(gai));
        goto err;
    }
    srv->lfd =
        socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (srv->lfd >= 0)
        setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (srv->lfd < 0 || bind(srv->lfd, ai->ai_addr, ai->ai_addrlen) != 0 ||
        listen(srv->lfd, 512) != 0) {
        bc_err_set(BC_ERR_IO, errstr, errstr_size, "listen %s: %s",
                   conf->listen, strerror(errno));
        goto err;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(srv->lfd, (struct sockaddr *)&ss, &sl);
    int bound = ss.ss_family == AF_INET6
                    ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                    : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    snprintf(srv->address, sizeof(srv->address), "%s:%d",
             host[0] ? host : "0.0.0.0", bound);
    if (conf->advertised) {
        if (split_addr(conf->advertised, srv->adv_host, sizeof(srv->adv_host),
                       &port) != 0 ||
            !srv->adv_host[0]) {
            bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                       "advertised %s: expected host:port", conf->advertised);
            goto err;
        }
        srv->adv_port = port;
    } else {
        int any =
            !host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
        snprintf(srv->adv_host, sizeof(srv->adv_host), "%s",
                 any ? "127.0.0.1" : host);
        srv->adv_port = bound;
    }
    srv->efd = epoll_create1(EPOLL_CLOEXEC);
    srv->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (srv->efd < 0 || srv->wfd < 0) {
        bc_err_set(BC_ERR_IO, errstr, errstr_size, "epoll/eventfd: %s",
                   strerror(errno));
        goto err;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &srv->lfd};
    epoll_ctl(srv->efd, EPOLL_CTL_ADD, srv->lfd, &ev);
    ev.data.ptr = &srv->wfd;
    epoll_ctl(srv->efd, EPOLL_CTL_ADD, srv->wfd, &ev);
    bc_kgroup_conf_t kc = {.broker = conf->broker,
                           .offsets = conf->offsets,
                           .initial_rebalance_delay_ms =
                               conf->initial_rebalance_delay_ms,
                           .join_done = bc_khandle_join_done,
                           .sync_done = bc_khandle_sync_done,
                           .opaque = srv};
    srv->kg = bc_kgroup_new(&kc);
    {
        size_t ng = 0, bad = 0;
        char lerr[256];
        if (bc_kgroup_load(srv->kg, bc_clock_wall_ms(), &ng, &bad, lerr,
                           sizeof(lerr)) != 0)
            bc_kserver_logf(srv,
                            "kafka: group metadata not reloaded (members "
                            "rejoin): %s",
                            lerr);
        if (bad)
            bc_kserver_logf(srv,
                            "kafka: %zu malformed group metadata records in "
                            "%s left out",
                            bad, BC_OFFSETS_TOPIC);
        if (ng) bc_kserver_logf(srv, "kafka: reloaded %zu groups", ng);
    }
    srv->pids = bc_kpid_new(0);
    load_producers(srv);
    srv->mono_ms = bc_clock_mono_ms();
    srv->wall_ms = bc_clock_wall_ms();
    srv->listener_id = bc_broker_add_listener(conf->broker, on_append, srv);
    if (pthread_create(&srv->thread, NULL, loop, srv) != 0) {
        bc_err_set(BC_ERR_IO, errstr, errstr_size, "cannot start thread");
        goto err;
    }
    srv->started = 1;
    freeaddrinfo(ai);
    return srv;
err:
    if (ai) freeaddrinfo(ai);
    bc_kserver_stop(srv);
    return NULL;
}

void bc_kserver_stop(bc_kserver_t *srv) {
    if (!srv) return;
    if (srv->started) {
        atomic_store(&srv->stop, 1);
        uint64_t one = 1;
        ssize_t n = write(srv->wfd, &one, sizeof(one));
        (void)n;
        pthread_join(srv->thread, NULL);
    }
    if (srv->listener_id >= 0)
        bc_broker_remove_listener(srv->conf.broker, srv->listener_id);
    for (size_t i = 0; i < srv->nconn; i++) {
        conn_close(srv, srv->conns[i]);
        conn_free(srv->conns[i]);
    }
    free(srv->conns);
    bc_kgroup_destroy(srv->kg);
    bc_kpid_destroy(srv->pids);
    if (srv->lfd >= 0) close(srv->lfd);
    if (srv->efd >= 0) close(srv->efd);
    if (srv->wfd >= 0) close(srv->wfd);
    free(srv->listen_s);
    free(srv->adv_s);
    free(srv);
}

const char *bc_kserver_address(const bc_kserver_t *srv) {
    return srv->address;
}

bc_kgroup_t *bc_kserver_groups(bc_kserver_t *srv) {
    return srv->kg;
}
