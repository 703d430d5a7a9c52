/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_broker: `warren broker <sub>`, the command line of the embedded
 * broker core.
 *
 * Sub-subcommands live in one table (broker_cmds) so more can be added
 * by appending an entry and a cmd_<name>() function. Each parses its
 * options with mon_cli_parse, prints results on stdout and returns the
 * exit code: 0 done, 1 an operation failed at run time (I/O), 2 bad
 * input, with exactly one line on stderr saying where and why. Input is
 * validated before anything is written, so bad input never changes what
 * is stored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "broker-core/bc_batch.h"
#include "broker-core/bc_broker.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_murmur2.h"
#include "broker-core/bc_producer.h"
#include "broker-core/bc_topic.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_mem.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_broker_groups.h"
#include "monitor/cmd/mon_cli_opt.h"

typedef struct broker_cmd_s {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;   /* options, after "warren broker <name>" */
    const char *summary; /* one line for `warren broker --help` */
} broker_cmd_t;

static int cmd_produce(int argc, char **argv);
static int cmd_partition(int argc, char **argv);
static int cmd_topics(int argc, char **argv);
static int cmd_maintain(int argc, char **argv);
static int cmd_repair(int argc, char **argv);

#define PRODUCE_USAGE                                                          \
    "--data-dir D --topic T [--partitions N] "                                 \
    "[--partitioner sticky|roundrobin] [--acks 0|1|all] [--durable] "          \
    "[--config key=value]..."
#define PARTITION_USAGE "--partitions N KEY..."
#define TOPICS_USAGE "--data-dir D [--format text|json]"
#define MAINTAIN_USAGE "--data-dir D"
#define REPAIR_USAGE "--data-dir D [--format text|json]"

static const broker_cmd_t broker_cmds[] = {
    {"produce", cmd_produce, PRODUCE_USAGE,
     "append stdin lines (key<TAB>value or value) to a topic"},
    {"partition", cmd_partition, PARTITION_USAGE,
     "print the partition Kafka's key partitioner gives each key"},
    {"topics", cmd_topics, TOPICS_USAGE,
     "list topics: per partition log start/end, segments, bytes"},
    {"maintain", cmd_maintain, MAINTAIN_USAGE,
     "run retention and compaction once"},
    {"repair", cmd_repair, REPAIR_USAGE,
     "check every segment; cut corrupt logs at their last valid batch"},
    /* Consumer groups: monitor/cmd/mon_cli_broker_groups.c */
    {"consume", mon_cli_broker_consume,
     "--data-dir D --topic T --group G [--max N] "
     "[--reset earliest|latest|none] [--commit sync|async|auto|none]",
     "consume a topic in a group: partition<TAB>offset<TAB>key<TAB>value"},
    {"serve", mon_cli_broker_serve, MON_CLI_BROKER_SERVE_USAGE,
     "serve the data dir to Kafka clients (Kafka's wire protocol)"},
    {"groups", mon_cli_broker_groups,
     "--data-dir D [--group G] [--format text|json]",
     "per group and partition: committed, log end, lag, owner"},
};

#define NCMDS (sizeof(broker_cmds) / sizeof(broker_cmds[0]))

static const broker_cmd_t *find_cmd(const char *name) {
    for (size_t i = 0; i < NCMDS; i++)
        if (!strcmp(broker_cmds[i].name, name)) return &broker_cmds[i];
    return NULL;
}

static void broker_usage(FILE *out) {
    fprintf(out, "usage: warren broker <command> [options]\n\n"
                 "Use the embedded broker core.\n\ncommands:\n");
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(out, "  %-10s %s\n", broker_cmds[i].name,
                broker_cmds[i].summary);
}

static const mon_cli_cmd_t produce_cmd = {"broker produce", NULL, PRODUCE_USAGE,
                                          0};
static const mon_cli_cmd_t partition_cmd = {"broker partition", NULL,
                                            PARTITION_USAGE, 0};
static const mon_cli_cmd_t topics_cmd = {"broker topics", NULL, TOPICS_USAGE,
                                         0};
static const mon_cli_cmd_t maintain_cmd = {"broker maintain", NULL,
                                           MAINTAIN_USAGE, 0};

/* A run-time failure: one line on stderr, exit code 1. */
static int failed(const mon_cli_cmd_t *cmd, const char *what) {
    fprintf(stderr, "warren %s: %s\n", cmd->name, what);
    return 1;
}

static void print_msg(void *opaque, const char *msg) {
    fprintf(stderr, "warren %s: %s\n", (const char *)opaque, msg);
}

/* Opens the data dir with conf (recovery messages go to stderr); on
 * failure prints one line and returns NULL with *code set (2: bad,
 * unreadable or corrupt data dir, 1: other). */
static bc_broker_t *open_broker_conf(const mon_cli_cmd_t *cmd, const char *dir,
                                     bc_broker_conf_t *conf, int *code) {
    char err[MON_ERRSTR_SIZE];
    int e = 0;
    conf->msg_fn = print_msg;
    conf->msg_opaque = (void *)cmd->name;
    bc_broker_t *b =
        bc_broker_open(dir, conf, mon_clock_wall_ms(), &e, err, sizeof(err));
    if (!b) {
        /* A corrupt segment (the message names its .log): say how out. */
        int seg = e == BC_ERR_CORRUPT && strstr(err, ".log: ") &&
                  conf->on_corruption == BC_CORRUPTION_REFUSE;
        fprintf(stderr, "warren %s: %s%s%s%s\n", cmd->name, err,
                seg ? " ('warren broker repair --data-dir " : "",
                seg ? dir : "",
                seg ? "' cuts it at its last valid batch)" : "");
        *code = e == BC_ERR_LOCKED || e == BC_ERR_NOT_FOUND ||
                        e == BC_ERR_CORRUPT || e == BC_ERR_IO ||
                        e == BC_ERR_INVALID
                    ? 2
                    : 1;
    }
    return b;
}

/* open_broker_conf with the defaults (corruption refused). */
static bc_broker_t *open_broker(const mon_cli_cmd_t *cmd, const char *dir,
                                int create, int *code) {
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.create_if_missing = create;
    return open_broker_conf(cmd, dir, &conf, code);
}

/* ---- produce ---------------------------------------------------------- */

typedef struct produce_opts_s {
    const char *dir, *topic;
    int64_t partitions; /* 0: the topic's, or 1 for a new one */
    int partitioner, acks, durable;
    bc_log_config_t cfg;
    int have_config;
} produce_opts_t;

typedef struct line_s {
    char *key; /* NULL: no key */
    size_t key_len;
    char *value;
    size_t value_len;
} line_t;

typedef struct lines_s {
    line_t *v;
    size_t n, cap;
} lines_t;

static void lines_free(lines_t *ls) {
    for (size_t i = 0; i < ls->n; i++) {
        free(ls->v[i].key);
        free(ls->v[i].value);
    }
    free(ls->v);
    memset(ls, 0, sizeof(*ls));
}

/* --config key=value, repeatable: into the topic configuration. */
static int config_kv(const char *value, void *dst, char *why) {
    produce_opts_t *o = dst;
    char err[MON_CLI_WHY_SIZE - 40];
    if (bc_topic_config_set_kv(&o->cfg, value, err, sizeof(err)) < 0) {
        snprintf(why, MON_CLI_WHY_SIZE, "a topic setting key=value (%s)", err);
        return -1;
    }
    o->have_config = 1;
    return 0;
}

static const mon_cli_choice_t partitioners[] = {
    {"sticky", BC_PARTITIONER_STICKY},
    {"roundrobin", BC_PARTITIONER_ROUNDROBIN},
    {NULL, 0}};
static const mon_cli_choice_t acks_values[] = {{"0", BC_ACKS_NONE},
                                               {"1", BC_ACKS_LEADER},
                                               {"all", BC_ACKS_ALL},
                                               {"-1", BC_ACKS_ALL},
                                               {NULL, 0}};

/* Options into *o; returns 0, or the exit code (0 after --help). */
static int produce_parse(int argc, char **argv, produce_opts_t *o,
                         int *exit_code) {
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &o->dir, 0, 0, NULL, NULL},
        {"topic", MON_CLI_STR, &o->topic, 0, 0, NULL, NULL},
        {"partitions", MON_CLI_INT, &o->partitions, 1, BC_TOPIC_MAX_PARTITIONS,
         NULL, NULL},
        {"partitioner", MON_CLI_CHOICE, &o->partitioner, 0, 0, partitioners,
         NULL},
        {"acks", MON_CLI_CHOICE, &o->acks, 0, 0, acks_values, NULL},
        {"durable", MON_CLI_FLAG, &o->durable, 0, 0, NULL, NULL},
        {"config", MON_CLI_FN, o, 0, 0, NULL, config_kv},
    };
    char err[MON_ERRSTR_SIZE];
    int rc = mon_cli_parse(&produce_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                           argc, argv, NULL, 0);
    if (rc < 0) {
        *exit_code = mon_cli_exit(rc);
        return -1;
    }
    if (!o->dir) {
        *exit_code = mon_cli_bad(&produce_cmd, "--data-dir is required");
        return -1;
    }
    if (!o->topic) {
        *exit_code = mon_cli_bad(&produce_cmd, "--topic is required");
        return -1;
    }
    if (bc_topic_name_valid(o->topic, err, sizeof(err)) < 0) {
        *exit_code = mon_cli_bad(&produce_cmd, "--topic: %s", err);
        return -1;
    }
    return 0;
}

/* Splits one stdin line (without its newline) into key and value. */
static line_t split_line(const char *buf, size_t len) {
    line_t l = {NULL, 0, NULL, 0};
    const char *tab = memchr(buf, '\t', len);
    const char *v = buf;
    if (tab) {
        l.key_len = (size_t)(tab - buf);
        l.key = mon_strndup(buf, l.key_len);
        v = tab + 1;
    }
    l.value_len = len - (size_t)(v - buf);
    l.value = mon_malloc(l.value_len + 1);
    memcpy(l.value, v, l.value_len);
    return l;
}

/* Reads and checks every line of stdin before anything is stored.
 * Returns 0, or 2 after one line naming stdin:LINE. */
static int read_lines(size_t max_bytes, lines_t *out) {
    char *buf = NULL;
    size_t bufcap = 0, lineno = 0;
    ssize_t len;
    int code = 0;
    while ((len = getline(&buf, &bufcap, stdin)) >= 0) {
        lineno++;
        if (len > 0 && buf[len - 1] == '\n') len--;
        line_t l = split_line(buf, (size_t)len);
        bc_record_in_t r = {l.key,   l.key ? (int32_t)l.key_len : -1,
                            l.value, (int32_t)l.value_len,
                            0,       NULL,
                            0};
        size_t sz = (size_t)len > INT32_MAX / 2
                        ? SIZE_MAX
                        : bc_batch_record_size(&r, 0, 0) + BC_BATCH_HEADER_SIZE;
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 256;
            out->v = mon_realloc(out->v, out->cap * sizeof(*out->v));
        }
        out->v[out->n++] = l;
        if (sz > max_bytes) {
            code = mon_cli_bad(&produce_cmd,
                               "stdin:%zu: record of %zd bytes exceeds "
                               "max.message.bytes %zu; nothing was stored",
                               lineno, len, max_bytes);
            break;
        }
    }
    if (!code && ferror(stdin))
        code = mon_cli_bad(&produce_cmd, "stdin:%zu: read error: %s",
                           lineno + 1, strerror(errno));
    free(buf);
    return code;
}

/* Creates the topic, or applies --config to the existing one. */
static int prepare_topic(bc_broker_t *b, const produce_opts_t *o, int exists,
                         int32_t nparts) {
    char err[MON_ERRSTR_SIZE];
    if (!exists) {
        int rc = bc_broker_create_topic(b, o->topic, nparts, &o->cfg,
                                        mon_clock_wall_ms(), err, sizeof(err));
        if (rc == BC_ERR_INVALID) return mon_cli_bad(&produce_cmd, "%s", err);
        return rc < 0 ? failed(&produce_cmd, err) : 0;
    }
    if (o->have_config &&
        bc_broker_alter_topic(b, o->topic, &o->cfg, err, sizeof(err)) < 0)
        return failed(&produce_cmd, err);
    return 0;
}

/* Sends every line and flushes; counts[p] gets the records of partition
 * p. Returns 0 or 1 (one line says what failed and what was stored). */
static int send_lines(bc_broker_t *b, const produce_opts_t *o,
                      const lines_t *ls, int64_t *counts, size_t *sent) {
    char err[MON_ERRSTR_SIZE];
    char why[MON_ERRSTR_SIZE + 64];
    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = o->acks;
    pc.partitioner = o->partitioner;
    pc.durable = o->durable;
    bc_producer_t *p = bc_producer_new(b, &pc, err, sizeof(err));
    if (!p) {
        snprintf(why, sizeof(why), "%s; nothing was stored", err);
        return failed(&produce_cmd, why);
    }
    int code = 0;
    for (size_t i = 0; i < ls->n; i++) {
        const line_t *l = &ls->v[i];
        bc_record_in_t r = {l->key,   l->key ? (int32_t)l->key_len : -1,
                            l->value, (int32_t)l->value_len,
                            -1,       NULL,
                            0};
        int32_t part;
        if (bc_producer_send(p, o->topic, -1, &r, mon_clock_wall_ms(), &part,
                             NULL, err, sizeof(err)) < 0) {
            snprintf(why, sizeof(why),
                     "stdin:%zu: %s (%zu earlier records stored)", i + 1, err,
                     *sent);
            code = failed(&produce_cmd, why);
            break;
        }
        counts[part]++;
        (*sent)++;
    }
    if (bc_producer_flush(p, mon_clock_wall_ms(), err, sizeof(err)) < 0 &&
        code == 0)
        code = failed(&produce_cmd, err);
    bc_producer_destroy(p);
    return code;
}

static void print_produced(const char *topic, size_t sent,
                           const int64_t *counts, int32_t nparts) {
    printf("{\"topic\":\"%s\",\"records\":%zu,\"partitions\":{", topic, sent);
    for (int32_t i = 0; i < nparts; i++)
        printf("%s\"%d\":%lld", i ? "," : "", (int)i, (long long)counts[i]);
    printf("}}\n");
}

static int cmd_produce(int argc, char **argv) {
    produce_opts_t o = {NULL,
                        NULL,
                        0,
                        BC_PARTITIONER_STICKY,
                        BC_ACKS_ALL,
                        0,
                        bc_log_config_default(),
                        0};
    lines_t lines = {NULL, 0, 0};
    int code = 0;
    if (produce_parse(argc, argv, &o, &code) != 0) return code;

    bc_broker_t *b = open_broker(&produce_cmd, o.dir, 1, &code);
    if (!b) return code;
    int32_t have_parts = bc_broker_partitions(b, o.topic);
    int exists = have_parts > 0;
    if (exists && o.partitions && o.partitions != have_parts) {
        code = mon_cli_bad(&produce_cmd,
                           "--partitions %lld: topic '%s' already has %d "
                           "partitions",
                           (long long)o.partitions, o.topic, (int)have_parts);
    } else {
        if (exists && !o.have_config)
            bc_broker_topic_config(b, o.topic, &o.cfg, NULL);
        int32_t nparts = exists         ? have_parts
                         : o.partitions ? (int32_t)o.partitions
                                        : 1;
        code = read_lines((size_t)o.cfg.max_message_bytes, &lines);
        if (code == 0) code = prepare_topic(b, &o, exists, nparts);
        if (code == 0) {
            int64_t *counts = mon_calloc((size_t)nparts, sizeof(*counts));
            size_t sent = 0;
            code = send_lines(b, &o, &lines, counts, &sent);
            if (code == 0) print_produced(o.topic, sent, counts, nparts);
            free(counts);
        }
        lines_free(&lines);
    }
    if (bc_broker_close(b) < 0 && code == 0)
        code = failed(&produce_cmd, "closing the data dir failed");
    return code;
}

/* ---- partition -------------------------------------------------------- */

static int cmd_partition(int argc, char **argv) {
    int64_t n = 0;
    const mon_cli_opt_t opts[] = {
        {"partitions", MON_CLI_INT, &n, 1, BC_TOPIC_MAX_PARTITIONS, NULL, NULL},
    };
    const char **keys = mon_calloc((size_t)argc, sizeof(*keys));
    int nkeys = mon_cli_parse(&partition_cmd, opts, 1, argc, argv, keys, argc);
    int code = 0;
    if (nkeys < 0)
        code = mon_cli_exit(nkeys);
    else if (n == 0)
        code = mon_cli_bad(&partition_cmd, "--partitions is required");
    else if (nkeys == 0)
        code = mon_cli_bad(&partition_cmd, "no KEY given");
    for (int i = 0; code == 0 && i < nkeys; i++)
        printf("%s\t%d\n", keys[i],
               (int)bc_murmur2_partition(keys[i], strlen(keys[i]), (int32_t)n));
    free(keys);
    return code;
}

/* ---- topics ----------------------------------------------------------- */

static const mon_cli_choice_t formats[] = {{"text", 0}, {"json", 1}, {NULL, 0}};

static int cmd_topics(int argc, char **argv) {
    const char *dir = NULL;
    int json = 0, code = 0;
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &dir, 0, 0, NULL, NULL},
        {"format", MON_CLI_CHOICE, &json, 0, 0, formats, NULL},
    };
    int rc = mon_cli_parse(&topics_cmd, opts, 2, argc, argv, NULL, 0);
    if (rc < 0) return mon_cli_exit(rc);
    if (!dir) return mon_cli_bad(&topics_cmd, "--data-dir is required");
    bc_broker_t *b = open_broker(&topics_cmd, dir, 0, &code);
    if (!b) return code;
    char **names;
    size_t n;
    bc_broker_list_topics(b, &names, &n);
    if (json)
        printf("{\"topics\":[");
    else
        printf("%-24s %9s %12s %12s %8s %12s\n", "TOPIC", "PARTITION",
               "LOG-START", "LOG-END", "SEGMENTS", "BYTES");
    for (size_t i = 0; i < n; i++) {
        bc_log_config_t cfg;
        int32_t parts = 0;
        bc_broker_topic_config(b, names[i], &cfg, &parts);
        if (json)
            printf("%s{\"topic\":\"%s\",\"cleanup.policy\":\"%s\","
                   "\"partitions\":[",
                   i ? "," : "", names[i],
                   cfg.cleanup_policy == BC_CLEANUP_COMPACT ? "compact"
                   : cfg.cleanup_policy == BC_CLEANUP_DELETE
                       ? "delete"
                       : "compact,delete");
        for (int32_t p = 0; p < parts; p++) {
            bc_log_stats_t st;
            bc_log_stats(bc_broker_log(b, names[i], p), &st);
            if (json)
                printf("%s{\"partition\":%d,\"log_start_offset\":%lld,"
                       "\"log_end_offset\":%lld,\"segments\":%lld,"
                       "\"bytes\":%lld}",
                       p ? "," : "", (int)p, (long long)st.log_start_offset,
                       (long long)st.log_end_offset, (long long)st.segments,
                       (long long)st.bytes);
            else
                printf("%-24s %9d %12lld %12lld %8lld %12lld\n", names[i],
                       (int)p, (long long)st.log_start_offset,
                       (long long)st.log_end_offset, (long long)st.segments,
                       (long long)st.bytes);
        }
        if (json) printf("]}");
    }
    if (json) printf("]}\n");
    bc_broker_free_topics(names, n);
    bc_broker_close(b);
    return 0;
}

/* ---- maintain --------------------------------------------------------- */

static int cmd_maintain(int argc, char **argv) {
    const char *dir = NULL;
    int code = 0;
    char err[MON_ERRSTR_SIZE];
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &dir, 0, 0, NULL, NULL},
    };
    int rc = mon_cli_parse(&maintain_cmd, opts, 1, argc, argv, NULL, 0);
    if (rc < 0) return mon_cli_exit(rc);
    if (!dir) return mon_cli_bad(&maintain_cmd, "--data-dir is required");
    bc_broker_t *b = open_broker(&maintain_cmd, dir, 0, &code);
    if (!b) return code;
    bc_maint_stats_t st;
    if (bc_broker_maintain(b, mon_clock_wall_ms(), &st, err, sizeof(err)) < 0) {
        code = failed(&maintain_cmd, err);
    }
    printf("{\"partitions\":%d,\"segments_deleted\":%d,\"bytes_deleted\":%lld,"
           "\"partitions_compacted\":%d,\"records_removed\":%lld,"
           "\"tombstones_removed\":%lld,\"bytes_reclaimed\":%lld}\n",
           st.partitions, st.segments_deleted, (long long)st.bytes_deleted,
           st.partitions_compacted, (long long)st.records_removed,
           (long long)st.tombstones_removed, (long long)st.bytes_reclaimed);
    if (bc_broker_close(b) < 0 && code == 0) code = 1;
    return code;
}

/* ---- repair ----------------------------------------------------------- */

/* One line of what repair cut from a partition. */
static void print_cut(const char *topic, int32_t p,
                      const bc_log_recovery_t *r) {
    printf("%s-%d: cut at byte %lld of %020lld.log, the log now ends at "
           "offset %lld: %lld bytes truncated, %d later segment(s) (%lld "
           "bytes) deleted: %s\n",
           topic, (int)p, (long long)r->cut_byte, (long long)r->cut_segment,
           (long long)r->truncated_at, (long long)r->bytes_truncated,
           r->segments_deleted, (long long)r->bytes_deleted, r->reason);
}

static cJSON *cut_json(const char *dir, const char *topic, int32_t p,
                       const bc_log_recovery_t *r) {
    char file[4096];
    cJSON *o = cJSON_CreateObject();
    snprintf(file, sizeof(file), "%s/%s-%d/%020lld.log", dir, topic, (int)p,
             (long long)r->cut_segment);
    cJSON_AddStringToObject(o, "topic", topic);
    cJSON_AddNumberToObject(o, "partition", p);
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddNumberToObject(o, "byte", (double)r->cut_byte);
    cJSON_AddNumberToObject(o, "log_end_offset", (double)r->truncated_at);
    cJSON_AddNumberToObject(o, "bytes_truncated", (double)r->bytes_truncated);
    cJSON_AddNumberToObject(o, "segments_deleted", r->segments_deleted);
    cJSON_AddNumberToObject(o, "bytes_deleted", (double)r->bytes_deleted);
    cJSON_AddStringToObject(o, "reason", r->reason);
    return o;
}

static void repair_usage(FILE *out) {
    fprintf(out,
            "usage: warren broker repair " REPAIR_USAGE "\n\n"
            "Re-validates every batch of every segment (length, magic, "
            "CRC-32C,\noffsets) and, as Kafka's recovery does, truncates a "
            "corrupt log at its\nlast valid batch and deletes the segments "
            "after it. Prints what was\ncut per partition (nothing when "
            "every log is sound). Not while a\nwarren serve has the data "
            "dir open.\n");
}

static const mon_cli_cmd_t repair_cmd = {"broker repair", repair_usage, NULL,
                                         0};

static int cmd_repair(int argc, char **argv) {
    const char *dir = NULL;
    int json = 0, code = 0;
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &dir, 0, 0, NULL, NULL},
        {"format", MON_CLI_CHOICE, &json, 0, 0, formats, NULL},
    };
    int rc = mon_cli_parse(&repair_cmd, opts, 2, argc, argv, NULL, 0);
    if (rc < 0) return mon_cli_exit(rc);
    if (!dir) return mon_cli_bad(&repair_cmd, "--data-dir is required");
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.on_corruption = BC_CORRUPTION_TRUNCATE;
    conf.verify = 1;
    bc_broker_t *b = open_broker_conf(&repair_cmd, dir, &conf, &code);
    if (!b) return code;
    char **names;
    size_t n;
    int checked = 0, cut = 0;
    int64_t bytes = 0;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    bc_broker_list_topics(b, &names, &n);
    for (size_t i = 0; i < n; i++) {
        int32_t parts = bc_broker_partitions(b, names[i]);
        for (int32_t p = 0; p < parts; p++) {
            bc_partition_state_t st;
            checked++;
            if (bc_broker_partition_state(b, names[i], p, &st) < 0) continue;
            const bc_log_recovery_t *r = &st.recovery;
            if (r->cut_segment < 0) continue;
            cut++;
            bytes += r->bytes_truncated + r->bytes_deleted;
            if (json)
                cJSON_AddItemToArray(arr, cut_json(dir, names[i], p, r));
            else
                print_cut(names[i], p, r);
        }
    }
    bc_broker_free_topics(names, n);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "partitions", checked);
        cJSON_AddNumberToObject(o, "bytes_cut", (double)bytes);
        cJSON_AddItemToObject(o, "repaired", arr);
        char *text = cJSON_PrintUnformatted(o);
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (cut) {
        printf("repaired %d of %d partition(s): %lld bytes cut\n", cut, checked,
               (long long)bytes);
    } else {
        printf("nothing to repair: %d partition(s) checked\n", checked);
    }
    if (bc_broker_close(b) < 0) {
        code = failed(&repair_cmd, "closing the data dir failed");
    }
    return code;
}

int mon_cli_broker(int argc, char **argv) {
    if (argc < 2) {
        broker_usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        broker_usage(stdout);
        return 0;
    }
    const broker_cmd_t *c = find_cmd(argv[1]);
    if (!c) {
        fprintf(stderr, "warren broker: unknown command '%s'\n", argv[1]);
        broker_usage(stderr);
        return 2;
    }
    return c->run(argc - 1, argv + 1);
}
