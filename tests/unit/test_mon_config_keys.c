/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for the configuration key table (mon_config_keys, mon_config_doc):
 * the table is well formed, every default in it is what a config holds,
 * every key refuses a bad value with FILE:LINE: [section] key, durations
 * are kept exact or refused, samples/warren.ini documents every key with
 * the table's default, the effective configuration masks secrets and
 * loads back to the same values, and the man page section lists exactly
 * the table's keys. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor/base/mon_codec.h"
#include "monitor/config/mon_config.h"

static char err[512];

static mon_config_t *load(const char *text) {
    err[0] = '\0';
    return mon_config_load_string(text, "t.ini", err, sizeof(err));
}

static mon_config_t *load_ok(const char *text) {
    mon_config_t *cfg = load(text);
    cr_assert_not_null(cfg, "unexpected error: %s\n%s", err, text);
    return cfg;
}

static char *read_all(const char *path) {
    size_t len;
    char *text = mon_file_read_max(path, 1 << 20, &len, err, sizeof(err));
    cr_assert_not_null(text, "%s", err);
    return text;
}

/* The effective configuration of cfg (caller frees). */
static char *effective(const mon_config_t *cfg) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_eq(mon_config_write_effective(cfg, f), 0);
    fclose(f);
    return text;
}

static char *man_text(void) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_eq(mon_config_write_man(f), 0);
    fclose(f);
    return text;
}

/* The section header a key of row's section is tested under, with what
 * that section needs to load (a kafka cluster: every cluster key but
 * embedded/replay ones applies). */
static const char *head_for(const mon_config_key_t *k) {
    switch (k->sect) {
    case MON_CONFIG_SECT_CLUSTER:
        if (k->sources == (1u << MON_CONFIG_SOURCE_EMBEDDED))
            return "[cluster c]\nsource = embedded\n";
        if (k->sources == (1u << MON_CONFIG_SOURCE_REPLAY))
            return "[cluster c]\nsource = replay\nfile = f\n";
        return "[cluster c]\nsource = kafka\nservers = h:1\n";
    case MON_CONFIG_SECT_NOTIFIER:
        return "[notifier n]\nurl-open = http://h/\n";
    default:
        return NULL;
    }
}

/* A config with key set to value in its section (and only what the
 * section needs besides, without the key itself); value NULL leaves the
 * key out. */
static void text_with(const mon_config_key_t *k, const char *value, char *buf,
                      size_t size) {
    const char *head = head_for(k);
    size_t o = 0;
    if (!head) {
        o += (size_t)snprintf(buf, size, "[%s]\n",
                              mon_config_sect_name(k->sect));
    } else {
        for (const char *line = head; *line;) {
            const char *nl = strchr(line, '\n');
            size_t len = (size_t)(nl - line) + 1;
            size_t kl = strlen(k->name);
            bool same = !strncmp(line, k->name, kl) && line[kl] == ' ';
            if (!same)
                o +=
                    (size_t)snprintf(buf + o, size - o, "%.*s", (int)len, line);
            line += len;
        }
    }
    if (value)
        snprintf(buf + o, size - o, "%s%s = %s\n", k->name,
                 k->flags & MON_CONFIG_F_PREFIX ? "x" : "", value);
}

/* ------------------------------------------------------------------ */
/* The table itself                                                     */
/* ------------------------------------------------------------------ */

Test(mon_config_keys, every_row_is_unique_documented_and_consistent) {
    size_t n;
    const mon_config_key_t *keys = mon_config_keys(&n);
    cr_assert_gt(n, 50);
    for (size_t i = 0; i < n; i++) {
        const mon_config_key_t *k = &keys[i];
        cr_expect(k->doc && k->doc[0], "%s has no doc", k->name);
        cr_expect(strlen(k->doc) < 200, "%s: doc is one line", k->name);
        cr_expect_null(strchr(k->doc, '\n'), "%s", k->name);
        cr_expect(!(k->def && (k->flags & MON_CONFIG_F_REQUIRED)),
                  "%s: required with a default", k->name);
        cr_expect(!(k->def && k->def_doc), "%s: two defaults", k->name);
        if (k->type == MON_CONFIG_T_ENUM || k->type == MON_CONFIG_T_CHOICE)
            cr_expect_not_null(k->values, "%s has no values", k->name);
        if (k->sources)
            cr_expect_eq(k->sect, MON_CONFIG_SECT_CLUSTER, "%s", k->name);
        cr_expect_eq(mon_config_key_find(k->sect, k->name), k, "%s is shadowed",
                     k->name);
        for (size_t j = i + 1; j < n; j++) {
            cr_expect(k->sect != keys[j].sect ||
                          strcmp(k->name, keys[j].name) != 0,
                      "[%s] %s twice", mon_config_sect_name(k->sect), k->name);
            cr_expect(!k->burrow || !keys[j].burrow ||
                          strcmp(k->burrow, keys[j].burrow) != 0,
                      "Burrow name %s twice", k->burrow);
        }
    }
    cr_expect_null(mon_config_key_find(MON_CONFIG_SECT_HTTP, "nosuch"));
    cr_expect_not_null(
        mon_config_key_find(MON_CONFIG_SECT_CLUSTER, "kafka.client.id"));
}

Test(mon_config_keys, secrets_are_flagged_in_the_table) {
    static const struct {
        mon_config_sect_t sect;
        const char *name;
    } secret[] = {{MON_CONFIG_SECT_HTTP, "admin-token"},
                  {MON_CONFIG_SECT_NOTIFIER, "secret"},
                  {MON_CONFIG_SECT_NOTIFIER, "headers"}};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
        const mon_config_key_t *k =
            mon_config_key_find(secret[i].sect, secret[i].name);
        cr_assert_not_null(k);
        cr_expect(k->flags & MON_CONFIG_F_SECRET, "%s", k->name);
    }
    cr_expect(mon_config_kafka_prop_secret("sasl.password"));
    cr_expect(mon_config_kafka_prop_secret("ssl.key.password"));
    cr_expect(mon_config_kafka_prop_secret("ssl.key.pem"));
    cr_expect(mon_config_kafka_prop_secret("sasl.oauthbearer.client.secret"));
    cr_expect_not(mon_config_kafka_prop_secret("sasl.username"));
    cr_expect_not(mon_config_kafka_prop_secret("security.protocol"));
}

/* ------------------------------------------------------------------ */
/* Defaults come from the table                                          */
/* ------------------------------------------------------------------ */

Test(mon_config_keys, every_default_is_what_a_config_without_the_key_holds) {
    size_t n;
    const mon_config_key_t *keys = mon_config_keys(&n);
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        const mon_config_key_t *k = &keys[i];
        if (!k->def) continue;
        char without[512], with[512], a[512], b[512];
        text_with(k, NULL, without, sizeof(without));
        text_with(k, k->def[0] ? k->def : "", with, sizeof(with));
        mon_config_t *c1 = load_ok(without);
        mon_config_t *c2 = load_ok(with);
        mon_config_format(c1, k, 0, a, sizeof(a));
        mon_config_format(c2, k, 0, b, sizeof(b));
        cr_expect_str_eq(a, b, "[%s] %s: default '%s' vs written '%s'",
                         mon_config_sect_name(k->sect), k->name, a, b);
        mon_config_destroy(c1);
        mon_config_destroy(c2);
        checked++;
    }
    cr_expect_gt(checked, 30);
}

Test(mon_config_keys, format_writes_each_type_back_in_file_syntax) {
    mon_config_t *cfg = load_ok("[general]\nsnapshot-interval = 90\n"
                                "history-retention = 36h\n"
                                "[storage]\nmin-distance = 1500ms\n"
                                "[evaluator]\nminimum-complete = 0.25\n"
                                "[cluster k]\nsource = kafka\n"
                                "servers = a:1, b:2\ngroups = x, y\n"
                                "group-allowlist = ^app-\n"
                                "[notifier n]\nurl-open = http://h:9/p?q\n"
                                "threshold = 3\nmethod-open = put\n");
    static const struct {
        mon_config_sect_t sect;
        const char *key;
        const char *want;
    } cases[] = {
        {MON_CONFIG_SECT_GENERAL, "snapshot-interval", "90s"},
        {MON_CONFIG_SECT_GENERAL, "history-retention", "36h"},
        {MON_CONFIG_SECT_GENERAL, "log-level", "info"},
        {MON_CONFIG_SECT_HTTP, "timeout", "30s"},
        {MON_CONFIG_SECT_HTTP, "max-body", "65536"},
        {MON_CONFIG_SECT_STORAGE, "min-distance", "1500ms"},
        {MON_CONFIG_SECT_STORAGE, "expire-group", "7d"},
        {MON_CONFIG_SECT_STORAGE, "group-allowlist", ""},
        {MON_CONFIG_SECT_EVALUATOR, "minimum-complete", "0.25"},
        {MON_CONFIG_SECT_EVALUATOR, "expire-cache", "10s"},
        {MON_CONFIG_SECT_CLUSTER, "servers", "a:1,b:2"},
        {MON_CONFIG_SECT_CLUSTER, "groups", "x,y"},
        {MON_CONFIG_SECT_CLUSTER, "group-allowlist", "^app-"},
        {MON_CONFIG_SECT_CLUSTER, "internal-topics", "false"},
        {MON_CONFIG_SECT_NOTIFIER, "url-open", "http://h:9/\xe2\x80\xa6"},
        {MON_CONFIG_SECT_NOTIFIER, "threshold", "ERR"},
        {MON_CONFIG_SECT_NOTIFIER, "method-open", "PUT"},
        {MON_CONFIG_SECT_NOTIFIER, "repeat-every", "4h"},
        {MON_CONFIG_SECT_NOTIFIER, "close-after", "2"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[256];
        const mon_config_key_t *k =
            mon_config_key_find(cases[i].sect, cases[i].key);
        cr_assert_not_null(k, "%s", cases[i].key);
        cr_expect_str_eq(mon_config_format(cfg, k, 0, buf, sizeof(buf)),
                         cases[i].want, "%s", cases[i].key);
    }
    mon_config_value_t v;
    const mon_config_key_t *thr =
        mon_config_key_find(MON_CONFIG_SECT_NOTIFIER, "threshold");
    cr_assert_eq(mon_config_get(cfg, thr, 0, &v), 0);
    cr_expect_eq(v.i, 3, "Burrow's number for ERR");
    cr_expect_eq(mon_config_get(cfg, thr, 1, &v), -1, "no second notifier");
    mon_config_destroy(cfg);
}

/* ------------------------------------------------------------------ */
/* Validation from the table                                            */
/* ------------------------------------------------------------------ */

/* A value each type refuses (NULL: every string is valid). */
static const char *bad_value(const mon_config_key_t *k) {
    if (!strcmp(k->name, "name") || !strcmp(k->name, "admin-token") ||
        !strcmp(k->name, "access-control-allow-origin"))
        return "a\x01z";
    if (!strcmp(k->name, "kafka.")) return "${UNTERMINATED";
    if (!strcmp(k->name, "extras.")) return "${1BAD}";
    if (!strcmp(k->name, "secret")) return "${WARREN_TEST_SURELY_UNSET}";
    switch (k->type) {
    case MON_CONFIG_T_FILE:
        return "/nonexistent/warren/file";
    case MON_CONFIG_T_URL:
        return "ftp://h/";
    case MON_CONFIG_T_LISTEN:
        return "localhost:80";
    case MON_CONFIG_T_SERVERS:
        return "broker";
    case MON_CONFIG_T_LIST:
        return "a,,b";
    case MON_CONFIG_T_HEADERS:
        return "NoColon";
    case MON_CONFIG_T_BOOL:
        return "maybe";
    case MON_CONFIG_T_INT:
    case MON_CONFIG_T_INT64:
    case MON_CONFIG_T_SIZE:
        return "12x";
    case MON_CONFIG_T_DOUBLE:
        return "fast";
    case MON_CONFIG_T_DURATION:
        return "10 parsecs";
    case MON_CONFIG_T_ENUM:
    case MON_CONFIG_T_CHOICE:
        return "nosuch";
    case MON_CONFIG_T_REGEX:
        return "(unclosed";
    default:
        return NULL; /* STRING, PATH: any text */
    }
}

Test(mon_config_keys, every_key_refuses_a_bad_value_naming_file_line_key) {
    size_t n;
    const mon_config_key_t *keys = mon_config_keys(&n);
    int checked = 0;
    unsetenv("WARREN_TEST_SURELY_UNSET");
    for (size_t i = 0; i < n; i++) {
        const mon_config_key_t *k = &keys[i];
        const char *bad = bad_value(k);
        if (!bad) continue;
        char text[512], want[200], title[64];
        text_with(k, bad, text, sizeof(text));
        int line = 0;
        for (const char *c = text; *c; c++)
            line += *c == '\n';
        const char *head = head_for(k);
        if (head)
            snprintf(title, sizeof(title), "%s",
                     k->sect == MON_CONFIG_SECT_CLUSTER ? "cluster c"
                                                        : "notifier n");
        else
            snprintf(title, sizeof(title), "%s", mon_config_sect_name(k->sect));
        snprintf(want, sizeof(want), "t.ini:%d: [%s] %s%s: ", line, title,
                 k->name, k->flags & MON_CONFIG_F_PREFIX ? "x" : "");
        mon_config_t *cfg = load(text);
        cr_expect_null(cfg, "accepted: %s", text);
        mon_config_destroy(cfg);
        cr_expect(!strncmp(err, want, strlen(want)),
                  "'%s' does not start "
                  "with '%s'",
                  err, want);
        cr_expect_gt(strlen(err), strlen(want) + 5, "no reason: %s", err);
        checked++;
    }
    cr_expect_gt(checked, 50);
}

Test(mon_config_keys, http_timeout_refuses_what_it_would_round) {
    /* libmicrohttpd counts whole seconds: 500ms used to become 0, which
     * the server took for its 60 s default */
    static const char *const bad[] = {"500ms", "1500ms", "999ms"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[64], want[200];
        snprintf(text, sizeof(text), "[http]\ntimeout = %s\n", bad[i]);
        cr_expect_null(load(text));
        snprintf(want, sizeof(want),
                 "t.ini:2: [http] timeout: '%s' is not a multiple of 1s "
                 "(the HTTP server counts whole seconds)",
                 bad[i]);
        cr_expect_str_eq(err, want);
    }
    mon_config_t *cfg = load_ok("[http]\ntimeout = 2000ms\n");
    cr_expect_eq(mon_config_http(cfg)->timeout_ms, 2000);
    mon_config_destroy(cfg);
}

Test(mon_config_keys, sub_second_durations_are_kept_exact) {
    mon_config_t *cfg = load_ok("[general]\nsnapshot-interval = 1500ms\n"
                                "[storage]\nmin-distance = 250ms\n"
                                "[evaluator]\nexpire-cache = 500ms\n"
                                "[notifier n]\nurl-open = http://h/\n"
                                "timeout = 500ms\ninterval = 750ms\n"
                                "repeat-every = 1ms\n");
    cr_expect_eq(mon_config_general(cfg)->snapshot_interval_ms, 1500);
    cr_expect_eq(mon_config_storage(cfg)->min_distance_ms, 250);
    cr_expect_eq(mon_config_evaluator(cfg)->expire_cache_ms, 500);
    const mon_config_notifier_t *nt = mon_config_notifier_at(cfg, 0);
    cr_expect_eq(nt->timeout_ms, 500);
    cr_expect_eq(nt->interval_ms, 750);
    cr_expect_eq(nt->repeat_every_ms, 1);
    mon_config_destroy(cfg);
}

/* ------------------------------------------------------------------ */
/* samples/warren.ini documents the table                               */
/* ------------------------------------------------------------------ */

/* The section kind of a "[...]" or ";[...]" line, or -1. */
static int section_of(const char *line) {
    while (*line == ';' || *line == ' ')
        line++;
    if (*line != '[') return -1;
    line++;
    for (int s = 0; s < MON_CONFIG_SECT__COUNT; s++) {
        const char *name = mon_config_sect_name((mon_config_sect_t)s);
        size_t len = strlen(name);
        if (!strncmp(line, name, len) && (line[len] == ']' || line[len] == ' '))
            return s;
    }
    return -1;
}

Test(mon_config_keys, sample_documents_every_table_key_with_its_default) {
    char *text = read_all("samples/warren.ini");
    size_t n;
    const mon_config_key_t *keys = mon_config_keys(&n);
    bool *found = calloc(n, sizeof(bool));
    bool *with_default = calloc(n, sizeof(bool));
    int sect = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int s = section_of(line);
        if (s >= 0) {
            sect = s;
            continue;
        }
        /* "key = value", "; key = value", ";key = value" or the indented
         * ";   key = value   ; comment" examples */
        const char *q = line;
        while (*q == ';' || *q == ' ')
            q++;
        const char *eq = strstr(q, " =");
        if (sect < 0 || !eq) continue;
        char key[80];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - q), q);
        const mon_config_key_t *k =
            mon_config_key_find((mon_config_sect_t)sect, key);
        if (!k) continue;
        size_t i = (size_t)(k - keys);
        found[i] = true;
        char value[200];
        const char *v = eq + 2;
        while (*v == ' ')
            v++;
        snprintf(value, sizeof(value), "%s", v);
        char *c = strstr(value, " ;");
        if (c) *c = '\0';
        for (size_t e = strlen(value); e > 0 && value[e - 1] == ' '; e--)
            value[e - 1] = '\0';
        if (k->def && !strcmp(value, k->def)) with_default[i] = true;
    }
    for (size_t i = 0; i < n; i++) {
        cr_expect(found[i], "samples/warren.ini does not document [%s] %s",
                  mon_config_sect_name(keys[i].sect), keys[i].name);
        if (keys[i].def)
            cr_expect(with_default[i],
                      "samples/warren.ini: [%s] %s is not shown with its "
                      "default '%s'",
                      mon_config_sect_name(keys[i].sect), keys[i].name,
                      keys[i].def);
    }
    free(found);
    free(with_default);
    free(text);
}

/* ------------------------------------------------------------------ */
/* The effective configuration                                          */
/* ------------------------------------------------------------------ */

/* text without comments (everything from " ;" or a leading ";"). */
static char *strip_comments(const char *text) {
    char *out = calloc(1, strlen(text) + 1), *o = out;
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) : strlen(text);
        if (text[0] != ';') {
            const char *c = text;
            const char *end = text + len;
            const char *cut = end;
            for (; c + 1 < end; c++)
                if (c[0] == ' ' && c[1] == ';') {
                    cut = c;
                    break;
                }
            while (cut > text && cut[-1] == ' ')
                cut--;
            memcpy(o, text, (size_t)(cut - text));
            o += cut - text;
            *o++ = '\n';
        }
        text += len + (nl ? 1 : 0);
    }
    return out;
}

static const char rich[] =
    "[general]\nname = eu-1\nsnapshot-interval = 1500ms\n"
    "[http]\nlisten = 127.0.0.1:0\nadmin-token = T0KEN-xyz\n"
    "[storage]\nintervals = 12\ngroup-denylist = ^console-\n"
    "[cluster prod]\nsource = kafka\nservers = k1:9092, k2:9092\n"
    "offsets = offsets-topic\ngroups = a,b\n"
    "kafka.security.protocol = SASL_SSL\n"
    "kafka.sasl.username = warren\n"
    "kafka.sasl.password = hunter2pw\n"
    "[cluster trace]\nsource = replay\nfile = samples/stalled.jsonl\n"
    "speed = 2.5\nloop = yes\n"
    "[cluster local]\nsource = embedded\n"
    "[notifier ops]\n"
    "url-open = https://hooks.example.com/services/T000/B000/XXXX\n"
    "url-close = https://hooks.example.com/close\nsend-close = true\n"
    "headers = Authorization: Bearer hdrVALUE;X-Team: data\n"
    "secret = whsecSECRET\nthreshold = ERR\nextras.team = data\n";

Test(mon_config_keys, effective_config_masks_every_secret) {
    mon_config_t *cfg = load_ok(rich);
    char *text = effective(cfg);
    static const char *const secrets[] = {
        "T0KEN-xyz", "hunter2pw", "hdrVALUE", "whsecSECRET",
        "services",  "T000",      "data\n;"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        cr_expect_null(strstr(text, secrets[i]), "shows '%s':\n%s", secrets[i],
                       text);
    cr_expect_not_null(strstr(text, "admin-token = ********"), "%s", text);
    cr_expect_not_null(strstr(text, "kafka.sasl.password = ********"));
    cr_expect_not_null(strstr(text, "kafka.sasl.username = warren"));
    cr_expect_not_null(
        strstr(text, "headers = Authorization: ********; X-Team: ********"));
    cr_expect_not_null(strstr(text, "secret = ********"));
    cr_expect_not_null(
        strstr(text, "url-open = https://hooks.example.com/\xe2\x80\xa6"));
    /* where each value came from */
    cr_expect_not_null(strstr(text, "intervals = 12"));
    cr_expect_not_null(strstr(text, "; line 9\n"), "%s", text);
    cr_expect_not_null(strstr(text, "snapshot-interval = 1500ms"));
    cr_expect_not_null(strstr(text, "log-level = info"));
    /* keys of another source are not listed for a cluster */
    const char *trace = strstr(text, "[cluster trace]");
    const char *local = strstr(text, "[cluster local]");
    cr_assert(trace && local && trace < local);
    char section[4096];
    snprintf(section, sizeof(section), "%.*s", (int)(local - trace), trace);
    cr_expect_null(strstr(section, "servers"), "%s", section);
    cr_expect_not_null(strstr(section, "speed = 2.5"), "%s", section);
    free(text);
    mon_config_destroy(cfg);
}

Test(mon_config_keys, effective_config_loads_back_to_the_same_values) {
    static const char *const files[] = {"samples/warren.ini",
                                        "samples/warren-replay.ini",
                                        "samples/kafka-cluster.ini", NULL};
    for (int i = 0; i <= 3; i++) {
        mon_config_t *cfg =
            files[i] ? mon_config_load_file(files[i], err, sizeof(err))
                     : load_ok(rich);
        cr_assert_not_null(cfg, "%s", err);
        char *first = effective(cfg);
        mon_config_t *again = load(first);
        cr_assert_not_null(again, "%s: %s\n%s", files[i] ? files[i] : "rich",
                           err, first);
        char *second = effective(again);
        char *a = strip_comments(first), *b = strip_comments(second);
        cr_expect_str_eq(a, b, "%s", files[i] ? files[i] : "rich");
        free(a);
        free(b);
        free(first);
        free(second);
        mon_config_destroy(again);
        mon_config_destroy(cfg);
    }
}

/* ------------------------------------------------------------------ */
/* The man page section                                                 */
/* ------------------------------------------------------------------ */

/* Undoes the roff escapes the writer uses. */
static void unroff(const char *s, char *buf, size_t size) {
    size_t o = 0;
    for (; *s && o + 1 < size; s++) {
        if (s[0] == '\\' && s[1] == '-') {
            buf[o++] = '-';
            s++;
        } else if (s[0] == '\\' && s[1] == 'f' && s[2]) {
            s += 2;
        } else {
            buf[o++] = *s;
        }
    }
    buf[o] = '\0';
}

Test(mon_config_keys, man_page_lists_exactly_the_table_keys) {
    char *text = man_text();
    size_t n;
    const mon_config_key_t *keys = mon_config_keys(&n);
    int *seen = calloc(n, sizeof(int));
    int sect = -1, entries = 0;
    bool after_tp = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, ".SS ", 4)) {
            sect = section_of(line + 4);
            cr_expect_geq(sect, 0, "unknown heading %s", line);
        } else if (!strcmp(line, ".TP")) {
            after_tp = true;
            continue;
        } else if (after_tp) {
            char name[128];
            cr_assert(!strncmp(line, ".B ", 3), "%s", line);
            unroff(line + 3, name, sizeof(name));
            char *tail = strstr(name, "NAME");
            if (tail) *tail = '\0';
            const mon_config_key_t *k =
                mon_config_key_find((mon_config_sect_t)sect, name);
            cr_expect(k && !strcmp(k->name, name),
                      "man page lists [%s] %s, not in the table",
                      mon_config_sect_name((mon_config_sect_t)sect), name);
            if (k) seen[k - keys]++;
            entries++;
        }
        after_tp = false;
    }
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(seen[i], 1, "man page lists [%s] %s %d times",
                     mon_config_sect_name(keys[i].sect), keys[i].name, seen[i]);
    cr_expect_eq(entries, (int)n);
    free(seen);
    free(text);
}

/* ------------------------------------------------------------------ */
/* Paths the table names                                                */
/* ------------------------------------------------------------------ */

static void collect(void *arg, const char *line) {
    char *buf = arg;
    size_t n = strlen(buf);
    snprintf(buf + n, 2048 - n, "%s\n", line);
}

Test(mon_config_keys, check_paths_finds_unusable_dirs_and_files_only) {
    char dir[] = "/tmp/warren-paths-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char text[1024], out[2048] = "";
    /* a missing data dir under a writable one is fine: serve creates it */
    snprintf(text, sizeof(text),
             "[general]\ndata-dir = %s/new/deeper\n"
             "[cluster r]\nsource = replay\nfile = samples/stalled.jsonl\n",
             dir);
    mon_config_t *cfg = load_ok(text);
    cr_expect_eq(mon_config_check_paths(cfg, collect, out), 0, "%s", out);
    mon_config_destroy(cfg);
    /* a file where a directory must be; a trace that is not there */
    snprintf(text, sizeof(text),
             "[general]\ndata-dir = samples/warren.ini\n"
             "[cluster r]\nsource = replay\nfile = %s/none.jsonl\n",
             dir);
    cfg = load_ok(text);
    cr_expect_eq(mon_config_check_paths(cfg, collect, out), 2, "%s", out);
    char want[1024];
    snprintf(want, sizeof(want),
             "t.ini:2: [general] data-dir: 'samples/warren.ini' is not a "
             "directory\n"
             "t.ini:5: [cluster r] file: cannot read '%s/none.jsonl': No "
             "such file or directory\n",
             dir);
    cr_expect_str_eq(out, want);
    mon_config_destroy(cfg);
    rmdir(dir);
}
