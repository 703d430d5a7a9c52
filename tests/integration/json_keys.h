/* SPDX-License-Identifier: Apache-2.0 */
/* json_keys: the member names of a JSON object in order, for tests that
 * pin a response's field order (Burrow's clients and the dashboard rely
 * on shapes, and Burrow serialises in a fixed order). Header-only. */
#ifndef JSON_KEYS_H
#define JSON_KEYS_H

#include <stdio.h>

#include <cjson/cJSON.h>

/* Writes the keys of object o (none for NULL) into buf, joined by ','. */
static inline void keys_of(const cJSON *o, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (const cJSON *c = o ? o->child : NULL; c && n < size; c = c->next)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "",
                              c->string);
}

#endif
