/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: Mustache templates (mon_mustache) compiled from
 * arbitrary text and rendered over a fixed tree shaped like the
 * notifier's (strings with characters every escaping changes, numbers,
 * booleans, a list of partitions), with one of the escapings. Input: the
 * template, then optionally a NUL and the text every {{>partial}} names.
 * A template must compile or fail with "NAME:LINE: why"; a render must
 * finish (within the renderer's output and work bounds) or fail with a
 * message; no abort, no leak. Seeds in tests/fuzz/corpus_mon_mustache/
 * are the bundled templates and the specification's constructs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "monitor/notify/mon_mustache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cJSON *tree;

typedef struct part_s {
    const char *text;
    size_t len;
} part_t;

static const char *lookup(void *opaque, const char *name, size_t *lenp) {
    const part_t *p = opaque;
    (void)name;
    *lenp = p->len;
    return p->text;
}

static cJSON *tree_new(void) {
    const char *json =
        "{\"cluster\":\"local\",\"group\":\"<!channel> & \\\"g\\\"/ é\","
        "\"status\":\"ERR\",\"totallag\":48210,\"ratio\":0.1,\"ok\":true,"
        "\"none\":null,\"empty\":[],\"zero\":0,\"nested\":{\"a\":{\"b\":"
        "\"deep\"}},\"partitions\":[{\"topic\":\"orders\",\"partition\":0,"
        "\"status\":\"STOP\",\"lag\":10},{\"topic\":\"audit\",\"partition\":"
        "1,\"status\":\"OK\",\"lag\":0}],\"list\":[1,\"two\",false]}";
    return cJSON_Parse(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const mon_esc_t escs[] = {MON_ESC_NONE, MON_ESC_HTML, MON_ESC_JSON,
                                     MON_ESC_URL};
    const char *text = (const char *)data;
    const char *nul = memchr(data, '\0', size);
    size_t tlen = nul ? (size_t)(nul - text) : size;
    part_t part = {nul ? nul + 1 : NULL, nul ? size - tlen - 1 : 0};
    mon_mustache_partials_t partials = {lookup, &part};
    char err[256] = "";
    mon_mustache_t *tpl;

    if (!tree) tree = tree_new();
    tpl = mon_mustache_compile(text, tlen, "fuzz.mustache", err, sizeof(err));
    if (!tpl) {
        if (strncmp(err, "fuzz.mustache", 13) != 0) abort();
        return 0;
    }
    /* one escaping per input (by its length): a render may take up to
     * the renderer's step budget */
    err[0] = '\0';
    char *out = mon_mustache_render(tpl, tree, escs[size % 4],
                                    nul ? &partials : NULL, err, sizeof(err));
    if (!out && !err[0]) abort(); /* a failure must say why */
    free(out);
    mon_mustache_destroy(tpl);
    return 0;
}
