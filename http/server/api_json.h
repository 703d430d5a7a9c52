/* SPDX-License-Identifier: Apache-2.0 */
/* api_json: the response side of every handler: Burrow's JSON envelope,
 * numbers rendered the way Go's encoding/json renders them, and the
 * api_resp_* helpers that turn a body into the request's response.
 *
 * Every JSON body carries "error", "message", the handler's fields, then
 * "request": {"url", "host"} (Burrow's serialisation order). A cJSON tree
 * handed to api_resp_json has exactly one owner from then on: the helper
 * frees it on every path, including failures. Numbers that Burrow sends
 * as int64 (offsets, timestamps, lags) go through api_json_int64 so that
 * values beyond 2^53 or 1e15 are printed exactly, never in exponent form.
 *
 * All functions are thread-safe (no shared state).
 */
#ifndef API_JSON_H
#define API_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "http/server/api_router.h"

/* New object {"error": error, "message": message}; add the body fields,
 * then hand it to api_resp_json which appends "request". Never NULL. */
cJSON *api_json_envelope(int error, const char *message);

/* Appends "request": {"url": req->path, "host": req->host} to obj unless
 * it already has one (for bodies where Burrow puts it earlier). */
void api_json_add_request(cJSON *obj, const api_req_t *req);

/* Renders d as Go's encoding/json does (shortest round-trip digits, 'f'
 * notation for 1e-6 <= |d| < 1e21, else 'e' with a minimal exponent:
 * 1.0 -> "1", 0.5 -> "0.5", 1e21 -> "1e+21", 1e-7 -> "1e-7"); NaN and
 * infinities render "null". Returns the length (truncated to size - 1). */
int api_json_format_float(double d, char *buf, size_t size);

/* A cJSON number node printed exactly as api_json_format_float /
 * as a decimal int64. Never NULL. */
cJSON *api_json_float(double d);
cJSON *api_json_int64(int64_t v);

/* Adds a number member (see above) to obj and returns it. */
cJSON *api_json_add_float(cJSON *obj, const char *name, double d);
cJSON *api_json_add_int64(cJSON *obj, const char *name, int64_t v);

/* Responds `status` with body as application/json after appending
 * "request" (api_json_add_request). Takes ownership of body, freed on
 * every path; a body that cannot be printed becomes a 500. */
void api_resp_json(api_req_t *req, unsigned status, cJSON *body);

/* Responds `status` with exactly
 * {"error":true,"message":message,"request":{"url":…,"host":…}}. */
void api_resp_error(api_req_t *req, unsigned status, const char *message);

/* Responds `status` with a copy of text and the given content type. */
void api_resp_text(api_req_t *req, unsigned status, const char *content_type,
                   const char *text);

/* Responds `status` with data[0..len), a malloc'd buffer whose ownership
 * passes to the response (freed on every path). */
void api_resp_take(api_req_t *req, unsigned status, const char *content_type,
                   char *data, size_t len);

/* Responds `status` with a prepared libmicrohttpd response; takes the
 * caller's reference (destroyed once queued). NULL becomes a 500. */
void api_resp_set(api_req_t *req, unsigned status, struct MHD_Response *resp);

#endif
