/* SPDX-License-Identifier: Apache-2.0 */
/* slowloris: a slow-header attack on a local warren and probes beside it,
 * shared by the integration test (tests/integration/test_slowloris.c:
 * every probe answered, every attacking socket ended by the server) and
 * the benchmark (tests/bench/bench_slowloris.c: probe latency figures).
 * Header-only; loopback only.
 *
 * The attacker opens n sockets from its own loopback address (127.0.0.2,
 * so the per-client cap is what stops it), sends a request line and then
 * one header byte per socket every drip_ms, never finishing the headers.
 * Meanwhile a probe GET /healthz from 127.0.0.1 runs every probe_ms.
 */
#ifndef SLOWLORIS_H
#define SLOWLORIS_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct sl_result_s {
    int attackers;  /* sockets opened */
    int connected;  /* ... that connected */
    int ended;      /* ... that the server ended (EOF/reset) */
    int bytes_held; /* header bytes the open ones sent in all */
    int probes, probes_ok;
    double *lat_ms; /* probes_ok latencies, sorted (malloc'd) */
} sl_result_t;

static long sl_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static double sl_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static size_t sl_sink(char *p, size_t s, size_t n, void *a) {
    (void)p;
    (void)a;
    return s * n;
}

/* One probe; returns its latency in ms, or -1 when it got no 200. */
static double sl_probe(int port) {
    CURL *c = curl_easy_init();
    char url[64];
    long status = 0;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/healthz", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sl_sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    double t0 = sl_mono_us();
    CURLcode rc = curl_easy_perform(c);
    double ms = (sl_mono_us() - t0) / 1e3;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return rc == CURLE_OK && status == 200 ? ms : -1;
}

static int sl_cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of a sorted array. */
static double sl_pct(const double *v, int n, double p) {
    if (n <= 0) return 0;
    int i = (int)(p / 100.0 * (n - 1) + 0.5);
    return v[i];
}

/* Runs the attack with n sockets (0: probes only) for run_ms, then keeps
 * dripping until every attacking socket was ended or wait_end_ms more
 * passed. Returns 0, or -1 when sockets could not be made. */
static int sl_run(int port, int n, long run_ms, long wait_end_ms, long drip_ms,
                  long probe_ms, sl_result_t *out) {
    int *fd = calloc((size_t)(n ? n : 1), sizeof(int));
    int *open_ = calloc((size_t)(n ? n : 1), sizeof(int));
    int cap = 1024;
    memset(out, 0, sizeof(*out));
    out->lat_ms = malloc(sizeof(double) * (size_t)cap);
    out->attackers = n;
    struct sockaddr_in src = {0}, dst = {0};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
    dst.sin_family = AF_INET;
    dst.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    static const char line[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < n; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd[i] < 0 ||
            bind(fd[i], (struct sockaddr *)&src, sizeof(src)) != 0) {
            for (int k = 0; k <= i; k++)
                if (fd[k] >= 0) close(fd[k]);
            free(fd);
            free(open_);
            return -1;
        }
        if (connect(fd[i], (struct sockaddr *)&dst, sizeof(dst)) == 0) {
            out->connected++;
            open_[i] = 1;
            if (send(fd[i], line, sizeof(line) - 1, MSG_NOSIGNAL) < 0)
                open_[i] = 0, out->ended++;
            fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) | O_NONBLOCK);
        } else {
            out->ended++; /* refused at once */
        }
    }
    long t0 = sl_mono_ms(), next_drip = t0, next_probe = t0;
    for (;;) {
        long now = sl_mono_ms();
        int still = 0;
        for (int i = 0; i < n; i++)
            still += open_[i];
        if (now - t0 >= run_ms && (!still || now - t0 >= run_ms + wait_end_ms))
            break;
        if (now >= next_drip) {
            next_drip = now + drip_ms;
            for (int i = 0; i < n; i++) {
                if (!open_[i]) continue;
                char b;
                ssize_t r = recv(fd[i], &b, 1, MSG_DONTWAIT);
                if (r == 0 ||
                    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ||
                    send(fd[i], "X", 1, MSG_NOSIGNAL) < 0) {
                    open_[i] = 0;
                    out->ended++;
                } else {
                    out->bytes_held++;
                }
            }
        }
        if (now - t0 < run_ms && now >= next_probe) {
            next_probe = now + probe_ms;
            double ms = sl_probe(port);
            out->probes++;
            if (ms >= 0) {
                if (out->probes_ok == cap) {
                    cap *= 2;
                    out->lat_ms =
                        realloc(out->lat_ms, sizeof(double) * (size_t)cap);
                }
                out->lat_ms[out->probes_ok++] = ms;
            }
        }
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < n; i++)
        close(fd[i]);
    free(fd);
    free(open_);
    qsort(out->lat_ms, (size_t)out->probes_ok, sizeof(double), sl_cmp);
    return 0;
}

#endif
