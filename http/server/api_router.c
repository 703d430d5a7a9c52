/* SPDX-License-Identifier: Apache-2.0 */
/* api_router: see api_router.h. Patterns are pre-split at registration
 * so matching compares segment pointers and never allocates.
 */
#include "http/server/api_router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_mem.h"

#define API_MAX_SEGS 32

typedef enum seg_kind_e { SEG_LIT = 0, SEG_PARAM = 1, SEG_TAIL = 2 } seg_kind_t;

typedef struct route_s {
    char *method;
    char *pattern;
    api_handler_fn fn;
    void *opaque;
    size_t nsegs;
    char *segs[API_MAX_SEGS]; /* literal text or parameter name */
    seg_kind_t kind[API_MAX_SEGS];
} route_t;

struct api_router_s {
    route_t *routes;
    size_t count;
    size_t cap;
};

api_router_t *api_router_new(void) {
    return mon_calloc(1, sizeof(api_router_t));
}

static void route_free(route_t *r) {
    free(r->method);
    free(r->pattern);
    for (size_t i = 0; i < r->nsegs; i++)
        free(r->segs[i]);
}

void api_router_destroy(api_router_t *rt) {
    if (!rt) return;
    for (size_t i = 0; i < rt->count; i++)
        route_free(&rt->routes[i]);
    free(rt->routes);
    free(rt);
}

static int fail(char *errstr, size_t errstr_size, const char *pattern,
                const char *why) {
    if (errstr && errstr_size)
        snprintf(errstr, errstr_size, "route %s: %s", pattern, why);
    return -1;
}

int api_router_add(api_router_t *rt, const char *method, const char *pattern,
                   api_handler_fn fn, void *opaque, char *errstr,
                   size_t errstr_size) {
    route_t r;
    const char *p;
    int nparams = 0;

    memset(&r, 0, sizeof(r));
    if (!method || !*method || !fn)
        return fail(errstr, errstr_size, pattern ? pattern : "(null)",
                    "method and handler are required");
    if (!pattern || pattern[0] != '/')
        return fail(errstr, errstr_size, pattern ? pattern : "(null)",
                    "pattern must start with '/'");
    p = pattern + 1;
    /* "/" alone has no segments; otherwise every '/' starts one. */
    while (pattern[1] != '\0') {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        seg_kind_t kind = SEG_LIT;
        if (r.nsegs == API_MAX_SEGS) {
            route_free(&r);
            return fail(errstr, errstr_size, pattern, "too many segments");
        }
        if (len > 0 && (p[0] == ':' || p[0] == '*')) {
            kind = p[0] == ':' ? SEG_PARAM : SEG_TAIL;
            p++;
            len--;
            if (len == 0) {
                route_free(&r);
                return fail(errstr, errstr_size, pattern,
                            "empty parameter name");
            }
            if (kind == SEG_TAIL && end) {
                route_free(&r);
                return fail(errstr, errstr_size, pattern,
                            "a tail parameter must be last");
            }
            for (size_t i = 0; i < r.nsegs; i++) {
                if (r.kind[i] != SEG_LIT && strlen(r.segs[i]) == len &&
                    memcmp(r.segs[i], p, len) == 0) {
                    route_free(&r);
                    return fail(errstr, errstr_size, pattern,
                                "duplicate parameter name");
                }
            }
            if (++nparams > API_MAX_PARAMS) {
                route_free(&r);
                return fail(errstr, errstr_size, pattern,
                            "too many parameters");
            }
        }
        r.segs[r.nsegs] = mon_strndup(p, len);
        r.kind[r.nsegs] = kind;
        r.nsegs++;
        if (!end) break;
        p = end + 1;
    }
    for (size_t i = 0; i < rt->count; i++) {
        if (strcmp(rt->routes[i].method, method) == 0 &&
            strcmp(rt->routes[i].pattern, pattern) == 0) {
            route_free(&r);
            return fail(errstr, errstr_size, pattern, "already registered");
        }
    }
    r.method = mon_strdup(method);
    r.pattern = mon_strdup(pattern);
    r.fn = fn;
    r.opaque = opaque;
    if (rt->count == rt->cap) {
        rt->cap = rt->cap ? rt->cap * 2 : 16;
        rt->routes = mon_realloc(rt->routes, rt->cap * sizeof(route_t));
    }
    rt->routes[rt->count++] = r;
    return 0;
}

/* Does route r match path? On a match fills the parameter values. */
static int route_matches(const route_t *r, const api_path_t *path,
                         api_route_hit_t *hit) {
    size_t i;
    int np = 0;
    for (i = 0; i < r->nsegs; i++) {
        if (r->kind[i] == SEG_TAIL) {
            hit->param_name[np] = r->segs[i];
            hit->param_value[np] =
                i < path->nsegs ? path->joined + path->seg_off[i] : "";
            np++;
            hit->nparams = np;
            return 1;
        }
        if (i >= path->nsegs) return 0;
        if (r->kind[i] == SEG_LIT) {
            if (strcmp(r->segs[i], path->segs[i]) != 0) return 0;
        } else {
            if (path->segs[i][0] == '\0') return 0;
            hit->param_name[np] = r->segs[i];
            hit->param_value[np] = path->segs[i];
            np++;
        }
    }
    if (i != path->nsegs) return 0;
    hit->nparams = np;
    return 1;
}

/* Negative when a is more specific than b, positive when less. */
static int specificity_cmp(const route_t *a, const route_t *b) {
    size_t n = a->nsegs < b->nsegs ? a->nsegs : b->nsegs;
    for (size_t i = 0; i < n; i++) {
        if (a->kind[i] != b->kind[i]) return (int)a->kind[i] - (int)b->kind[i];
    }
    /* Both matched the same path, so the longer one ends in a tail that
     * matched nothing: the exact, shorter route is more specific. */
    return (int)a->nsegs - (int)b->nsegs;
}

static int method_is(const char *m, const char *want) {
    return strcmp(m, want) == 0;
}

size_t api_router_count(const api_router_t *rt) {
    return rt->count;
}

const char *api_router_pattern(const api_router_t *rt, size_t i,
                               const char **method) {
    if (i >= rt->count) return NULL;
    if (method) *method = rt->routes[i].method;
    return rt->routes[i].pattern;
}

api_match_t api_router_match(const api_router_t *rt, const char *method,
                             const api_path_t *path, api_route_hit_t *hit) {
    const route_t *best = NULL;
    api_route_hit_t tmp;
    int is_head = method_is(method, "HEAD");
    int other = 0;

    memset(hit, 0, sizeof(*hit));
    for (size_t i = 0; i < rt->count; i++) {
        const route_t *r = &rt->routes[i];
        memset(&tmp, 0, sizeof(tmp));
        if (!route_matches(r, path, &tmp)) continue;
        if (method_is(r->method, method) ||
            (is_head && method_is(r->method, "GET"))) {
            if (!best || specificity_cmp(r, best) < 0) {
                best = r;
                tmp.fn = r->fn;
                tmp.opaque = r->opaque;
                tmp.route = (int)i;
                *hit = tmp;
            }
        } else {
            other = 1;
        }
    }
    if (best) return API_MATCH_OK;
    if (!other) return API_MATCH_NOT_FOUND;
    /* Build the Allow list from every route matching the path. */
    hit->allow[0] = '\0';
    for (size_t i = 0; i < rt->count; i++) {
        const route_t *r = &rt->routes[i];
        size_t used = strlen(hit->allow);
        memset(&tmp, 0, sizeof(tmp));
        if (!route_matches(r, path, &tmp)) continue;
        /* skip duplicates */
        {
            const char *s = hit->allow;
            size_t ml = strlen(r->method);
            int dup = 0;
            while (*s) {
                if (strncmp(s, r->method, ml) == 0 &&
                    (s[ml] == ',' || s[ml] == '\0'))
                    dup = 1;
                s = strchr(s, ',');
                if (!s) break;
                s += 2;
            }
            if (dup) continue;
        }
        snprintf(hit->allow + used, sizeof(hit->allow) - used, "%s%s",
                 used ? ", " : "", r->method);
        if (method_is(r->method, "GET")) {
            used = strlen(hit->allow);
            snprintf(hit->allow + used, sizeof(hit->allow) - used, ", HEAD");
        }
    }
    return API_MATCH_BAD_METHOD;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

long api_url_decode(char *dst, const char *src, size_t len, int plus_space) {
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '\0') return -1;
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len) return -1;
            hi = hexval(src[i + 1]);
            lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = (char)(hi * 16 + lo);
            if (c == '\0') return -1;
            i += 2;
        } else if (plus_space && c == '+') {
            c = ' ';
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    return (long)o;
}

void api_path_free(api_path_t *p) {
    if (!p) return;
    free(p->segs);
    free(p->seg_off);
    free(p->joined);
    free(p->buf_);
    memset(p, 0, sizeof(*p));
}

int api_path_parse(api_path_t *p, const char *raw, size_t len) {
    size_t n = 0, i, start, o = 0, jo = 0;

    memset(p, 0, sizeof(*p));
    if (len == 0 || raw[0] != '/') return -1;
    /* count segments: every '/' starts one, except a lone "/" */
    for (i = 0; i < len; i++)
        if (raw[i] == '/') n++;
    if (len == 1) n = 0;
    p->segs = mon_calloc(n ? n : 1, sizeof(char *));
    p->seg_off = mon_calloc(n ? n : 1, sizeof(size_t));
    p->buf_ = mon_malloc(len + n + 1);
    p->joined = mon_malloc(len + 2);
    p->joined[0] = '\0';
    if (n == 0) {
        p->joined[0] = '/';
        p->joined[1] = '\0';
        return 0;
    }
    start = 1;
    for (size_t s = 0; s < n; s++) {
        size_t end = start;
        long dl;
        while (end < len && raw[end] != '/')
            end++;
        dl = api_url_decode(p->buf_ + o, raw + start, end - start, 0);
        if (dl < 0) {
            api_path_free(p);
            return -1;
        }
        p->segs[s] = p->buf_ + o;
        p->joined[jo++] = '/';
        p->seg_off[s] = jo;
        memcpy(p->joined + jo, p->buf_ + o, (size_t)dl);
        jo += (size_t)dl;
        o += (size_t)dl + 1;
        start = end + 1;
    }
    p->joined[jo] = '\0';
    p->nsegs = n;
    return 0;
}

long api_req_query(const api_req_t *req, const char *name, char *buf,
                   size_t size) {
    const char *q = req->query;
    size_t nlen = strlen(name);
    char key[256];

    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t plen = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', plen);
        size_t klen = eq ? (size_t)(eq - q) : plen;
        if (klen < sizeof(key)) {
            long kl = api_url_decode(key, q, klen, 1);
            if (kl >= 0 && (size_t)kl == nlen && memcmp(key, name, nlen) == 0) {
                size_t vlen = eq ? plen - klen - 1 : 0;
                long vl;
                if (vlen + 1 > size) return -2;
                vl = api_url_decode(buf, eq ? eq + 1 : "", vlen, 1);
                return vl < 0 ? -2 : vl;
            }
        }
        if (!amp) break;
        q = amp + 1;
    }
    return -1;
}

const char *api_req_param(const api_req_t *req, const char *name) {
    for (int i = 0; i < req->nparams; i++)
        if (strcmp(req->param_name[i], name) == 0) return req->param_value[i];
    return NULL;
}
