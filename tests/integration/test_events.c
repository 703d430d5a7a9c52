/* SPDX-License-Identifier: Apache-2.0 */
/* The events `warren serve` streams on GET /v3/events, byte for byte: a
 * real service over its embedded cluster (not started, so nothing but the
 * test writes into the store), evaluated one pass at a time at fixed
 * times, its events rendered by api_routes_events and captured as the SSE
 * hub would receive them.
 * Pins the "status" event of a transition (non-OK partitions only), of a
 * group that disappeared (no explanation, no partitions) and the "tick"
 * with every group's status and lag.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "evaluator/ev_status.h"
#include "http/routes/api_routes_events.h"
#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/service/mon_service.h"
#include "tests/integration/json_keys.h"

#define T0 1700000000000LL

typedef struct captured_s {
    char *event[16];
    char *json[16];
    size_t n;
} captured_t;

static captured_t cap;
static char dir[64];
static mon_config_t *cfg;
static mon_service_t *svc;

static void capture(captured_t *c, const char *event, char *json) {
    cr_assert_lt(c->n, 16, "too many events");
    cr_assert_not_null(json);
    c->event[c->n] = strdup(event);
    c->json[c->n] = strdup(json);
    c->n++;
    cJSON_free(json);
}

/* What api_routes_events publishes, captured instead of sent. */
static void on_change(void *arg, const mon_query_change_t *c) {
    capture(arg, "status", api_routes_events_change_json(c));
}

static void on_tick(void *arg, const mon_query_tick_t *t) {
    capture(arg, "tick", api_routes_events_tick_json(t));
}

static void clear(void) {
    for (size_t i = 0; i < cap.n; i++) {
        free(cap.event[i]);
        free(cap.json[i]);
    }
    cap.n = 0;
}

static void setup(void) {
    char err[512] = "";
    mon_log_set_level(MON_LOG_ERROR);
    snprintf(dir, sizeof(dir), "/tmp/warren-events-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    cfg = mon_config_new_default();
    cr_assert_eq(mon_config_override(cfg, NULL, dir, err, sizeof(err)), 0, "%s",
                 err);
    svc = mon_service_new(cfg, err, sizeof(err));
    cr_assert_not_null(svc, "%s", err);
    mon_query_events_t events = {
        .change = on_change, .tick = on_tick, .arg = &cap};
    mon_service_set_events(svc, &events);
}

static void teardown(void) {
    char cmd[128];
    clear();
    mon_service_destroy(svc);
    mon_config_destroy(cfg);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(events, .init = setup, .fini = teardown, .timeout = 30);

/* Group g on topic t (2 partitions): both caught up at T0. */
static void caught_up(mon_store_cluster_t *cl) {
    for (int p = 0; p < 2; p++) {
        cr_assert_eq(mon_store_head(cl, "t", p, 2, 1000, T0), 0);
        cr_assert_eq(mon_store_commit(cl, "g", "t", p, 1000, T0, NULL, NULL),
                     0);
    }
}

static void expect(size_t i, const char *event, const char *json) {
    cr_assert_gt(cap.n, i, "event %zu missing", i);
    cr_assert_str_eq(cap.event[i], event);
    cr_assert_str_eq(cap.json[i], json);
}

Test(events, a_new_group_is_a_transition_from_notfound_then_a_tick) {
    mon_store_cluster_t *cl =
        mon_store_cluster(mon_service_store(svc), "local");
    char want[1024];
    caught_up(cl);
    mon_service_eval_pass(svc, T0 + 1000);
    cr_assert_eq(cap.n, 2, "one status event and one tick");
    snprintf(want, sizeof(want),
             "{\"t\":%lld,\"cluster\":\"local\",\"group\":\"g\","
             "\"status\":\"OK\",\"previous\":\"NOTFOUND\",\"label\":\"%s\","
             "\"rules\":\"warren\",\"explanation\":\"\",\"totallag\":0,"
             "\"partitions\":[]}",
             T0 + 1000, ev_status_label(EV_OK));
    expect(0, "status", want);
    snprintf(want, sizeof(want),
             "{\"t\":%lld,\"groups\":[{\"cluster\":\"local\",\"group\":\"g\","
             "\"status\":\"OK\",\"totallag\":0,\"maxlag\":0,"
             "\"max_time_lag_s\":0}]}",
             T0 + 1000);
    expect(1, "tick", want);

    clear();
    mon_service_eval_pass(svc, T0 + 2000);
    cr_assert_eq(cap.n, 1, "no transition: only the tick");
    cr_assert_str_eq(cap.event[0], "tick");
}

Test(events, a_transition_lists_only_the_non_ok_partitions) {
    mon_store_cluster_t *cl =
        mon_store_cluster(mon_service_store(svc), "local");
    caught_up(cl);
    mon_service_eval_pass(svc, T0 + 1000);
    /* Partition 1 keeps committing; partition 0 keeps up for 40 s (five
     * commits: evidence of its cadence) and then stops while its head
     * moves on, silent for far longer than that cadence allows. */
    for (int i = 1; i <= 12; i++) {
        if (i <= 4)
            cr_assert_eq(mon_store_commit(cl, "g", "t", 0, 1000 + i * 100,
                                          T0 + i * 10000, NULL, NULL),
                         0);
        cr_assert_eq(
            mon_store_head(cl, "t", 0, 2, 1000 + i * 100, T0 + i * 10000), 0);
        cr_assert_eq(
            mon_store_head(cl, "t", 1, 2, 1000 + i * 100, T0 + i * 10000), 0);
        cr_assert_eq(mon_store_commit(cl, "g", "t", 1, 1000 + i * 100,
                                      T0 + i * 10000, NULL, NULL),
                     0);
    }
    clear();
    mon_service_eval_pass(svc, T0 + 600000);
    cr_assert_eq(cap.n, 2, "%s", cap.n ? cap.json[0] : "");
    cr_assert_str_eq(cap.event[0], "status");
    cJSON *j = cJSON_Parse(cap.json[0]);
    cr_assert_not_null(j);
    char keys[256];
    keys_of(j, keys, sizeof(keys));
    cr_assert_str_eq(keys, "t,cluster,group,status,previous,label,rules,"
                           "explanation,totallag,partitions");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "ERR");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "previous")->valuestring, "OK");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "label")->valuestring,
                     ev_status_label(EV_ERR));
    cr_assert_neq(cJSON_GetObjectItem(j, "explanation")->valuestring[0], '\0',
                  "the partition that decided it is explained");
    cr_assert_eq(cJSON_GetObjectItem(j, "totallag")->valuedouble, 800);
    cJSON *parts = cJSON_GetObjectItem(j, "partitions");
    cr_assert_eq(cJSON_GetArraySize(parts), 1, "%s", cap.json[0]);
    cJSON *p = cJSON_GetArrayItem(parts, 0);
    keys_of(p, keys, sizeof(keys));
    cr_assert_str_eq(keys, "topic,partition,status,rule,current_lag");
    cr_assert_str_eq(cJSON_GetObjectItem(p, "topic")->valuestring, "t");
    cr_assert_eq(cJSON_GetObjectItem(p, "partition")->valueint, 0);
    cr_assert_eq(cJSON_GetObjectItem(p, "current_lag")->valuedouble, 800);
    cJSON_Delete(j);
}

Test(events, a_deleted_group_turns_notfound_once) {
    mon_store_t *st = mon_service_store(svc);
    char want[1024];
    caught_up(mon_store_cluster(st, "local"));
    mon_service_eval_pass(svc, T0 + 1000);
    cr_assert_eq(mon_store_delete_group(st, "local", "g"), 0);
    clear();
    mon_service_eval_pass(svc, T0 + 2000);
    cr_assert_eq(cap.n, 2);
    snprintf(want, sizeof(want),
             "{\"t\":%lld,\"cluster\":\"local\",\"group\":\"g\","
             "\"status\":\"NOTFOUND\",\"previous\":\"OK\",\"label\":\"%s\","
             "\"totallag\":0,\"partitions\":[]}",
             T0 + 2000, ev_status_label(EV_NOTFOUND));
    expect(0, "status", want);
    snprintf(want, sizeof(want), "{\"t\":%lld,\"groups\":[]}", T0 + 2000);
    expect(1, "tick", want);
    clear();
    mon_service_eval_pass(svc, T0 + 3000);
    cr_assert_eq(cap.n, 1, "reported once");
}
