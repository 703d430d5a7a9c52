/* SPDX-License-Identifier: Apache-2.0 */
/* sse_stream: a test's reader of a warren daemon's GET /v3/events, on its
 * own thread, into one growing buffer (header-only, for the integration
 * tests that follow the SSE stream: test_clock_step, test_demo).
 *
 *     sse_stream_t s;
 *     sse_stream_start(&s, w.port);
 *     ... sse_stream_copy(&s, from) ... (a NUL-terminated copy to free)
 *     sse_stream_stop(&s);
 */
#ifndef SSE_STREAM_H
#define SSE_STREAM_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "tests/integration/warren_proc.h"

typedef struct sse_stream_s {
    int port;
    pthread_mutex_t lock; /* guards buf and stop */
    wp_resp_t buf;
    int stop;
    pthread_t thread;
} sse_stream_t;

static size_t sse_stream_sink(char *data, size_t size, size_t n, void *arg) {
    sse_stream_t *s = arg;
    pthread_mutex_lock(&s->lock);
    wp_collect(data, size, n, &s->buf);
    int stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop ? 0 : size * n;
}

static int sse_stream_progress(void *arg, curl_off_t a, curl_off_t b,
                               curl_off_t c, curl_off_t d) {
    sse_stream_t *s = arg;
    (void)a, (void)b, (void)c, (void)d;
    pthread_mutex_lock(&s->lock);
    int stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void *sse_stream_main(void *p) {
    sse_stream_t *s = p;
    CURL *c = curl_easy_init();
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v3/events", s->port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sse_stream_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, sse_stream_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 240000L);
    curl_easy_perform(c);
    curl_easy_cleanup(c);
    return NULL;
}

/* Connects to the daemon on port and reads its stream until _stop. */
static inline void sse_stream_start(sse_stream_t *s, int port) {
    memset(s, 0, sizeof(*s));
    s->port = port;
    pthread_mutex_init(&s->lock, NULL);
    s->buf.body = calloc(1, 1);
    pthread_create(&s->thread, NULL, sse_stream_main, s);
}

/* Bytes read so far. */
static inline size_t sse_stream_len(sse_stream_t *s) {
    pthread_mutex_lock(&s->lock);
    size_t n = s->buf.len;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* A NUL-terminated copy of what was read from byte `from` on (free it). */
static inline char *sse_stream_copy(sse_stream_t *s, size_t from) {
    pthread_mutex_lock(&s->lock);
    char *copy = strdup(s->buf.body + (from < s->buf.len ? from : s->buf.len));
    pthread_mutex_unlock(&s->lock);
    return copy;
}

/* Ends the read (within curl's progress interval) and frees the buffer. */
static inline void sse_stream_stop(sse_stream_t *s) {
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    wp_resp_free(&s->buf);
    pthread_mutex_destroy(&s->lock);
}

#endif
