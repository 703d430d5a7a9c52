/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for mon_json_arena: trees parsed into the arena read as cJSON's
 * own do, errors stop at the same byte, a document larger than a block
 * grows the arena once, and cJSON outside the arena (this thread after a
 * parse, another thread during many) still uses malloc and free. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_json_arena.h"

static cJSON *parse(mon_json_arena_t *a, const char *s, const char **end) {
    return mon_json_arena_parse(a, s, strlen(s), end);
}

Test(mon_json_arena, trees_read_as_cjsons_own_and_memory_is_reused) {
    mon_json_arena_t *a = mon_json_arena_new();
    char doc[128];

    for (int i = 0; i < 100000; i++) {
        snprintf(doc, sizeof(doc),
                 "{\"type\":\"commit\",\"t\":%d,\"group\":\"g-%d\","
                 "\"ok\":true,\"x\":null,\"l\":[1,2.5,\"s\"]}",
                 i, i % 7);
        cJSON *j = parse(a, doc, NULL);

        cr_assert_not_null(j, "%s", doc);
        cr_assert_eq(cJSON_GetObjectItem(j, "t")->valuedouble, (double)i);
        char want[16];
        snprintf(want, sizeof(want), "g-%d", i % 7);
        cr_assert_str_eq(cJSON_GetObjectItem(j, "group")->valuestring, want);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "x")));
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "l")), 3);
    }
    cr_assert_eq(mon_json_arena_size(a), 64u * 1024u,
                 "small documents grew the arena to %zu",
                 mon_json_arena_size(a));
    mon_json_arena_destroy(a);
}

Test(mon_json_arena, invalid_json_stops_where_cjson_stops) {
    mon_json_arena_t *a = mon_json_arena_new();
    const char *bad[] = {"{\"a\":",    "{\"a\" 1}", "[1,2,,3]",
                         "{\"s\":\"x", "",          "nul"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *e1 = NULL, *e2 = NULL;
        cJSON *own = cJSON_ParseWithLengthOpts(bad[i], strlen(bad[i]), &e1, 0);

        cr_assert_null(own);
        cr_assert_null(parse(a, bad[i], &e2), "%s parsed", bad[i]);
        cr_assert_eq(e1 - bad[i], e2 - bad[i], "%s: byte %td, cJSON %td",
                     bad[i], e2 - bad[i], e1 - bad[i]);
    }
    /* and the arena still parses after failures */
    cr_assert_not_null(parse(a, "{\"ok\":1}", NULL));
    mon_json_arena_destroy(a);
}

Test(mon_json_arena, a_document_larger_than_a_block_grows_it_once) {
    mon_json_arena_t *a = mon_json_arena_new();
    size_t n = 20000, len = 0;
    char *doc = malloc(n * 8 + 16);

    cr_assert_not_null(doc);
    doc[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(doc + len, "%s%zu", i ? "," : "", i);
    doc[len++] = ']';
    doc[len] = '\0';
    cJSON *j = parse(a, doc, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(cJSON_GetArraySize(j), (int)n);
    cr_assert_eq(cJSON_GetArrayItem(j, (int)n - 1)->valueint, (int)n - 1);
    size_t grown = mon_json_arena_size(a);
    cr_assert_gt(grown, 64u * 1024u);
    for (int k = 0; k < 3; k++) {
        j = parse(a, doc, NULL);
        cr_assert_eq(cJSON_GetArraySize(j), (int)n);
        cr_assert_eq(mon_json_arena_size(a), grown, "grew again: %zu",
                     mon_json_arena_size(a));
    }
    free(doc);
    mon_json_arena_destroy(a);
}

/* cJSON trees built, printed and deleted with malloc and free: under ASan
 * a free of arena memory, or arena memory given out here, would show. */
static void *outside(void *arg) {
    int rounds = *(int *)arg;

    for (int i = 0; i < rounds; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "i", i);
        cJSON_AddStringToObject(o, "s", "outside the arena");
        char *text = cJSON_PrintUnformatted(o);
        cJSON *back = cJSON_Parse(text);

        cr_assert_eq(cJSON_GetObjectItem(back, "i")->valueint, i);
        cJSON_Delete(back);
        free(text);
        cJSON_Delete(o);
    }
    return NULL;
}

Test(mon_json_arena, cjson_outside_the_arena_uses_malloc) {
    mon_json_arena_t *a = mon_json_arena_new();
    int rounds = 20000;
    pthread_t th;

    cr_assert_not_null(parse(a, "{\"a\":[1,2,3]}", NULL));
    outside(&(int){100}); /* this thread, between parses */
    cr_assert_eq(pthread_create(&th, NULL, outside, &rounds), 0);
    for (int i = 0; i < 20000; i++)
        cr_assert_not_null(
            parse(a, "{\"b\":{\"c\":\"d\"},\"e\":[true]}", NULL));
    pthread_join(th, NULL);
    mon_json_arena_destroy(a);
}
