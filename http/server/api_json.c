/* SPDX-License-Identifier: Apache-2.0 */
/* api_json: see api_json.h. Exact numbers are cJSON raw nodes holding the
 * printed text, so cJSON's own %g printing is never used for them.
 */
#include "http/server/api_json.h"

#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *api_json_envelope(int error, const char *message) {
    cJSON *obj = cJSON_CreateObject();
    if (!obj) abort();
    cJSON_AddItemToObject(obj, "error", cJSON_CreateBool(error));
    cJSON_AddItemToObject(obj, "message", cJSON_CreateString(message));
    return obj;
}

void api_json_add_request(cJSON *obj, const api_req_t *req) {
    cJSON *r;
    if (!obj || cJSON_HasObjectItem(obj, "request")) return;
    r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "url", cJSON_CreateString(req->path));
    cJSON_AddItemToObject(r, "host", cJSON_CreateString(req->host));
    cJSON_AddItemToObject(obj, "request", r);
}

int api_json_format_float(double d, char *buf, size_t size) {
    char e[40], digits[24], out[400];
    int prec, exp10, nd = 0, neg, n = 0;
    double ad;
    const char *p;

    if (size == 0) return 0;
    if (isnan(d) || isinf(d))
        return snprintf(buf, size, "null") >= (int)size ? (int)size - 1 : 4;
    neg = signbit(d) != 0;
    ad = fabs(d);
    if (ad == 0) {
        n = snprintf(buf, size, "%s0", neg ? "-" : "");
        return n >= (int)size ? (int)size - 1 : n;
    }
    /* shortest precision that reads back as the same double */
    for (prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, ad);
        if (strtod(e, NULL) == ad) break;
    }
    /* e is "D[.DDD]e[+-]XX": collect digits and the exponent */
    for (p = e; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    digits[nd] = '\0';
    exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';

    if (neg) out[n++] = '-';
    if (ad < 1e-6 || ad >= 1e21) {
        out[n++] = digits[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, digits + 1, (size_t)nd - 1);
            n += nd - 1;
        }
        n += snprintf(out + n, sizeof(out) - (size_t)n, "e%c%d",
                      exp10 < 0 ? '-' : '+', abs(exp10));
        /* Go prints at least two exponent digits for '+' ("e+21") and
         * strips the zero of "e-07"; both give %d here. */
        if (exp10 >= 0 && exp10 < 10) {
            out[n - 1] = '0';
            out[n++] = (char)('0' + exp10);
        }
    } else if (exp10 >= 0) {
        for (int i = 0; i <= exp10 || i < nd; i++) {
            if (i == exp10 + 1) out[n++] = '.';
            out[n++] = i < nd ? digits[i] : '0';
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -exp10 - 1; i++)
            out[n++] = '0';
        memcpy(out + n, digits, (size_t)nd);
        n += nd;
    }
    out[n] = '\0';
    n = snprintf(buf, size, "%s", out);
    return n >= (int)size ? (int)size - 1 : n;
}

cJSON *api_json_float(double d) {
    char buf[64];
    cJSON *node;
    api_json_format_float(d, buf, sizeof(buf));
    node = cJSON_CreateRaw(buf);
    if (!node) abort();
    return node;
}

cJSON *api_json_int64(int64_t v) {
    char buf[32];
    cJSON *node;
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    node = cJSON_CreateRaw(buf);
    if (!node) abort();
    return node;
}

cJSON *api_json_add_float(cJSON *obj, const char *name, double d) {
    cJSON *node = api_json_float(d);
    cJSON_AddItemToObject(obj, name, node);
    return node;
}

cJSON *api_json_add_int64(cJSON *obj, const char *name, int64_t v) {
    cJSON *node = api_json_int64(v);
    cJSON_AddItemToObject(obj, name, node);
    return node;
}

void api_resp_set(api_req_t *req, unsigned status, struct MHD_Response *resp) {
    if (req->resp) MHD_destroy_response(req->resp);
    req->resp = resp;
    req->status = resp ? status : MHD_HTTP_INTERNAL_SERVER_ERROR;
}

void api_resp_take(api_req_t *req, unsigned status, const char *content_type,
                   char *data, size_t len) {
    struct MHD_Response *resp;
    resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(data);
        api_resp_set(req, status, NULL);
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    api_resp_set(req, status, resp);
}

void api_resp_text(api_req_t *req, unsigned status, const char *content_type,
                   const char *text) {
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (!copy) abort();
    memcpy(copy, text, len + 1);
    api_resp_take(req, status, content_type, copy, len);
}

void api_resp_json(api_req_t *req, unsigned status, cJSON *body) {
    char *text;
    if (!body) {
        api_resp_set(req, status, NULL);
        return;
    }
    api_json_add_request(body, req);
    text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!text) {
        api_resp_set(req, status, NULL);
        return;
    }
    api_resp_take(req, status, "application/json", text, strlen(text));
}

void api_resp_error(api_req_t *req, unsigned status, const char *message) {
    api_resp_json(req, status, api_json_envelope(1, message));
}
