/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the HTTP router (api_router: path splitting, percent
 * decoding, matching, query parameters) on arbitrary request lines, over
 * the API's own route shapes (literals, parameters, a tail). Input: one
 * byte choosing the method, then the raw target, path and query split at
 * the first '?'. A path must parse or be refused; a match must name a
 * route whose parameters are the path's decoded segments, and the
 * parameters and query values must read back (no read past the input, no
 * leak, no abort). Seeds in tests/fuzz/corpus_api_router/ are API
 * requests with escapes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/server/api_router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static api_router_t *rt;
static int ids[32];

static void handler(api_req_t *req, void *opaque) {
    (void)req;
    (void)opaque;
}

static api_router_t *router_new(void) {
    static const char *const routes[][2] = {
        {"GET", "/v3/kafka"},
        {"GET", "/v3/kafka/:cluster"},
        {"GET", "/v3/kafka/:cluster/topic"},
        {"GET", "/v3/kafka/:cluster/topic/:topic"},
        {"GET", "/v3/kafka/:cluster/topic/:topic/consumers"},
        {"GET", "/v3/kafka/:cluster/consumer"},
        {"GET", "/v3/kafka/:cluster/consumer/:group"},
        {"GET", "/v3/kafka/:cluster/consumer/:group/status"},
        {"GET", "/v3/kafka/:cluster/consumer/:group/lag"},
        {"DELETE", "/v3/kafka/:cluster/consumer/:group"},
        {"DELETE", "/v3/kafka/:cluster/consumer/:group/topic/:topic"},
        {"POST", "/v3/admin/loglevel"},
        {"GET", "/v3/notifiers"},
        {"GET", "/metrics"},
        {"GET", "/*path"},
    };
    api_router_t *r = api_router_new();
    char err[256];
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        ids[i] = (int)i;
        if (api_router_add(r, routes[i][0], routes[i][1], handler, &ids[i], err,
                           sizeof(err)) != 0)
            abort();
    }
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const methods[] = {"GET", "HEAD",  "POST",   "DELETE",
                                          "PUT", "PATCH", "OPTIONS"};
    api_path_t path;
    api_route_hit_t hit;
    char buf[64];

    if (size < 1) return 0;
    if (!rt) rt = router_new();
    const char *method = methods[data[0] % 7];
    /* exact-size copy of the target: a read past it is caught */
    size_t len = size - 1;
    char *target = malloc(len + 1);
    memcpy(target, data + 1, len);
    target[len] = '\0';
    char *q = memchr(target, '?', len);
    size_t plen = q ? (size_t)(q - target) : len;
    memset(&path, 0, sizeof(path));
    if (api_path_parse(&path, target, plen) == 0) {
        api_match_t m = api_router_match(rt, method, &path, &hit);
        if (m == API_MATCH_OK) {
            if (hit.nparams < 0 || hit.nparams > API_MAX_PARAMS) abort();
            for (int i = 0; i < hit.nparams; i++)
                if (!hit.param_name[i] || !hit.param_value[i] ||
                    strlen(hit.param_value[i]) > len)
                    abort();
        } else if (m == API_MATCH_BAD_METHOD && !hit.allow[0]) {
            abort();
        }
        if (strlen(path.joined) > len + 1) abort();
    }
    api_path_free(&path);
    api_req_t req;
    memset(&req, 0, sizeof(req));
    req.query = q ? q + 1 : "";
    static const char *const names[] = {"since", "level", "a", ""};
    for (size_t i = 0; i < 4; i++)
        if (api_req_query(&req, names[i], buf, sizeof(buf)) >= 0 &&
            strlen(buf) >= sizeof(buf))
            abort();
    char *dec = malloc(len + 1);
    long n = api_url_decode(dec, target, len, 1);
    if (n > (long)len) abort();
    free(dec);
    free(target);
    return 0;
}
