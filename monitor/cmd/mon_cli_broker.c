/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_broker: `warren broker <sub>`, the command line of the embedded
 * broker core.
 *
 * Sub-subcommands live in one table (broker_cmds) so more can be added
 * by appending an entry and a cmd_<name>() function. Each parses its own
 * options, prints results on stdout and returns the exit code: 0 done,
 * 1 an operation failed at run time (I/O), 2 bad input, with exactly one
 * line on stderr saying where and why. Input is validated before anything
 * is written, so bad input never changes what is stored.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "broker-core/bc_batch.h"
#include "broker-core/bc_broker.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_murmur2.h"
#include "broker-core/bc_producer.h"
#include "broker-core/bc_topic.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_mem.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_broker_groups.h"

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

static const broker_cmd_t broker_cmds[] = {
    {"produce", cmd_produce,
     "--data-dir D --topic T [--partitions N] "
     "[--partitioner sticky|roundrobin] [--acks 0|1|all] [--durable] "
     "[--config key=value]...",
     "append stdin lines (key<TAB>value or value) to a topic"},
    {"partition", cmd_partition, "--partitions N KEY...",
     "print the partition Kafka's key partitioner gives each key"},
    {"topics", cmd_topics, "--data-dir D [--format text|json]",
     "list topics: per partition log start/end, segments, bytes"},
    {"maintain", cmd_maintain, "--data-dir D",
     "run retention and compaction once"},
    {"repair", cmd_repair, "--data-dir D [--format text|json]",
     "check every segment; cut corrupt logs at their last valid batch"},
    /* Consumer groups: monitor/mon_cli_broker_groups.c */
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

static void cmd_usage(const char *name, FILE *out) {
    const broker_cmd_t *c = find_cmd(name);
    fprintf(out, "usage: warren broker %s %s\n", name, c ? c->usage : "");
}

/* One line on stderr, exit code 2. */
static int bad_input(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad_input(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "warren broker %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

/* Unknown option or missing argument: the line, then usage. */
static int bad_option(const char *cmd, const char *arg) {
    fprintf(stderr, "warren broker %s: bad option '%s'\n", cmd,
            arg ? arg : "?");
    cmd_usage(cmd, stderr);
    return 2;
}

static int parse_int(const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static void print_msg(void *opaque, const char *msg) {
    fprintf(stderr, "warren broker %s: %s\n", (const char *)opaque, msg);
}

/* Opens the data dir with `conf` (recovery messages go to stderr); on
 * failure prints one line and returns NULL with *code set (2: bad,
 * unreadable or corrupt data dir, 1: other). */
static bc_broker_t *open_broker_conf(const char *cmd, const char *dir,
                                     bc_broker_conf_t *conf, int *code) {
    char err[1024];
    int e = 0;
    conf->msg_fn = print_msg;
    conf->msg_opaque = (void *)cmd;
    bc_broker_t *b =
        bc_broker_open(dir, conf, mon_clock_wall_ms(), &e, err, sizeof(err));
    if (!b) {
        /* A corrupt segment (the message names its .log): say how out. */
        int seg = e == BC_ERR_CORRUPT && strstr(err, ".log: ") &&
                  conf->on_corruption == BC_CORRUPTION_REFUSE;
        fprintf(stderr, "warren broker %s: %s%s%s%s\n", cmd, err,
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
static bc_broker_t *open_broker(const char *cmd, const char *dir, int create,
                                int *code) {
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.create_if_missing = create;
    return open_broker_conf(cmd, dir, &conf, code);
}

/* ---- produce ---------------------------------------------------------- */

typedef struct line_s {
    char *key; /* NULL: no key */
    size_t key_len;
    char *value;
    size_t value_len;
} line_t;

static int cmd_produce(int argc, char **argv) {
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"topic", required_argument, NULL, 't'},
        {"partitions", required_argument, NULL, 'n'},
        {"partitioner", required_argument, NULL, 'p'},
        {"acks", required_argument, NULL, 'a'},
        {"durable", no_argument, NULL, 'D'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "produce", *dir = NULL, *topic = NULL;
    long partitions = 0;
    int partitioner = BC_PARTITIONER_STICKY, acks = BC_ACKS_ALL;
    int durable = 0, code = 0, opt;
    bc_log_config_t cfg = bc_log_config_default();
    int have_config = 0;
    char err[1024];

    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'n':
            if (parse_int(optarg, 1, BC_TOPIC_MAX_PARTITIONS, &partitions) < 0)
                return bad_input(cmd,
                                 "--partitions '%s': must be an integer in "
                                 "[1, %d]",
                                 optarg, BC_TOPIC_MAX_PARTITIONS);
            break;
        case 'p':
            if (!strcmp(optarg, "sticky"))
                partitioner = BC_PARTITIONER_STICKY;
            else if (!strcmp(optarg, "roundrobin"))
                partitioner = BC_PARTITIONER_ROUNDROBIN;
            else
                return bad_input(cmd,
                                 "--partitioner '%s': must be sticky or "
                                 "roundrobin",
                                 optarg);
            break;
        case 'a':
            if (!strcmp(optarg, "0"))
                acks = BC_ACKS_NONE;
            else if (!strcmp(optarg, "1"))
                acks = BC_ACKS_LEADER;
            else if (!strcmp(optarg, "all") || !strcmp(optarg, "-1"))
                acks = BC_ACKS_ALL;
            else
                return bad_input(cmd, "--acks '%s': must be 0, 1 or all",
                                 optarg);
            break;
        case 'D':
            durable = 1;
            break;
        case 'c':
            if (bc_topic_config_set_kv(&cfg, optarg, err, sizeof(err)) < 0)
                return bad_input(cmd, "--config: %s", err);
            have_config = 1;
            break;
        case 'h':
            cmd_usage(cmd, stdout);
            return 0;
        default:
            return bad_option(cmd, argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_option(cmd, argv[optind]);
    if (!dir) return bad_input(cmd, "--data-dir is required");
    if (!topic) return bad_input(cmd, "--topic is required");
    if (bc_topic_name_valid(topic, err, sizeof(err)) < 0)
        return bad_input(cmd, "--topic: %s", err);

    bc_broker_t *b = open_broker(cmd, dir, 1, &code);
    if (!b) return code;
    int32_t have_parts = bc_broker_partitions(b, topic);
    int exists = have_parts > 0;
    if (exists && partitions && partitions != have_parts) {
        code = bad_input(cmd,
                         "--partitions %ld: topic '%s' already has %d "
                         "partitions",
                         partitions, topic, (int)have_parts);
        goto out_broker;
    }
    if (exists && !have_config) bc_broker_topic_config(b, topic, &cfg, NULL);
    int32_t nparts =
        exists ? have_parts : (partitions ? (int32_t)partitions : 1);

    /* Read and check every line before storing anything. */
    line_t *lines = NULL;
    size_t nlines = 0, cap = 0, lineno = 0;
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t len;
    while ((len = getline(&buf, &bufcap, stdin)) >= 0) {
        lineno++;
        if (len > 0 && buf[len - 1] == '\n') len--;
        line_t l;
        memset(&l, 0, sizeof(l));
        char *tab = memchr(buf, '\t', (size_t)len);
        if (tab) {
            l.key_len = (size_t)(tab - buf);
            l.key = mon_strndup(buf, l.key_len);
            l.value_len = (size_t)(len - (ssize_t)l.key_len - 1);
            l.value = mon_malloc(l.value_len + 1);
            memcpy(l.value, tab + 1, l.value_len);
        } else {
            l.value_len = (size_t)len;
            l.value = mon_malloc(l.value_len + 1);
            memcpy(l.value, buf, l.value_len);
        }
        bc_record_in_t r = {l.key,   l.key ? (int32_t)l.key_len : -1,
                            l.value, (int32_t)l.value_len,
                            0,       NULL,
                            0};
        size_t sz = (size_t)len > INT32_MAX / 2
                        ? SIZE_MAX
                        : bc_batch_record_size(&r, 0, 0) + BC_BATCH_HEADER_SIZE;
        if (sz > (size_t)cfg.max_message_bytes) {
            code = bad_input(cmd,
                             "stdin:%zu: record of %zd bytes exceeds "
                             "max.message.bytes %d; nothing was stored",
                             lineno, len, (int)cfg.max_message_bytes);
            free(l.key);
            free(l.value);
            goto out_lines;
        }
        if (nlines == cap) {
            cap = cap ? cap * 2 : 256;
            lines = mon_realloc(lines, cap * sizeof(*lines));
        }
        lines[nlines++] = l;
    }
    if (ferror(stdin)) {
        code = bad_input(cmd, "stdin:%zu: read error: %s", lineno + 1,
                         strerror(errno));
        goto out_lines;
    }

    if (!exists) {
        int rc = bc_broker_create_topic(b, topic, nparts, &cfg,
                                        mon_clock_wall_ms(), err, sizeof(err));
        if (rc < 0) {
            code = rc == BC_ERR_INVALID ? bad_input(cmd, "%s", err) : 1;
            if (code == 1) fprintf(stderr, "warren broker %s: %s\n", cmd, err);
            goto out_lines;
        }
    } else if (have_config) {
        if (bc_broker_alter_topic(b, topic, &cfg, err, sizeof(err)) < 0) {
            fprintf(stderr, "warren broker %s: %s\n", cmd, err);
            code = 1;
            goto out_lines;
        }
    }

    bc_producer_conf_t pc = bc_producer_conf_default();
    pc.acks = acks;
    pc.partitioner = partitioner;
    pc.durable = durable;
    bc_producer_t *p = bc_producer_new(b, &pc, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "warren broker %s: %s; nothing was stored\n", cmd, err);
        code = 1;
    }
    int64_t *counts = mon_calloc((size_t)nparts, sizeof(*counts));
    size_t sent = 0;
    for (size_t i = 0; i < nlines && p; i++) {
        bc_record_in_t r = {lines[i].key,
                            lines[i].key ? (int32_t)lines[i].key_len : -1,
                            lines[i].value,
                            (int32_t)lines[i].value_len,
                            -1,
                            NULL,
                            0};
        int32_t part;
        if (bc_producer_send(p, topic, -1, &r, mon_clock_wall_ms(), &part, NULL,
                             err, sizeof(err)) < 0) {
            fprintf(stderr,
                    "warren broker %s: stdin:%zu: %s (%zu earlier records "
                    "stored)\n",
                    cmd, i + 1, err, sent);
            code = 1;
            break;
        }
        counts[part]++;
        sent++;
    }
    if (p && bc_producer_flush(p, mon_clock_wall_ms(), err, sizeof(err)) < 0 &&
        code == 0) {
        fprintf(stderr, "warren broker %s: %s\n", cmd, err);
        code = 1;
    }
    bc_producer_destroy(p);
    if (code == 0) {
        printf("{\"topic\":\"%s\",\"records\":%zu,\"partitions\":{", topic,
               sent);
        for (int32_t i = 0; i < nparts; i++)
            printf("%s\"%d\":%lld", i ? "," : "", (int)i, (long long)counts[i]);
        printf("}}\n");
    }
    free(counts);
out_lines:
    for (size_t i = 0; i < nlines; i++) {
        free(lines[i].key);
        free(lines[i].value);
    }
    free(lines);
    free(buf);
out_broker:
    if (bc_broker_close(b) < 0 && code == 0) {
        fprintf(stderr, "warren broker %s: closing the data dir failed\n", cmd);
        code = 1;
    }
    return code;
}

/* ---- partition -------------------------------------------------------- */

static int cmd_partition(int argc, char **argv) {
    static const struct option opts[] = {
        {"partitions", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "partition";
    long n = 0;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_int(optarg, 1, BC_TOPIC_MAX_PARTITIONS, &n) < 0)
                return bad_input(cmd,
                                 "--partitions '%s': must be an integer in "
                                 "[1, %d]",
                                 optarg, BC_TOPIC_MAX_PARTITIONS);
            break;
        case 'h':
            cmd_usage(cmd, stdout);
            return 0;
        default:
            return bad_option(cmd, argv[optind - 1]);
        }
    }
    if (n == 0) return bad_input(cmd, "--partitions is required");
    if (optind >= argc) return bad_input(cmd, "no KEY given");
    for (int i = optind; i < argc; i++)
        printf("%s\t%d\n", argv[i],
               (int)bc_murmur2_partition(argv[i], strlen(argv[i]), (int32_t)n));
    return 0;
}

/* ---- topics ----------------------------------------------------------- */

/* The options of a command that reads a data dir and prints text or
 * JSON: --data-dir D (required) [--format text|json] [--help, which
 * prints the usage and `help`]. Returns -1 to go on, or the exit code. */
static int parse_dir_format(const char *cmd, int argc, char **argv,
                            const char **dir, int *json, const char *help) {
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    *dir = NULL;
    *json = 0;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            *dir = optarg;
            break;
        case 'f':
            if (!strcmp(optarg, "json"))
                *json = 1;
            else if (!strcmp(optarg, "text"))
                *json = 0;
            else
                return bad_input(cmd, "--format '%s': must be text or json",
                                 optarg);
            break;
        case 'h':
            cmd_usage(cmd, stdout);
            if (help) printf("\n%s", help);
            return 0;
        default:
            return bad_option(cmd, argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_option(cmd, argv[optind]);
    if (!*dir) return bad_input(cmd, "--data-dir is required");
    return -1;
}

static int cmd_topics(int argc, char **argv) {
    const char *cmd = "topics", *dir = NULL;
    int json = 0, code = parse_dir_format(cmd, argc, argv, &dir, &json, NULL);
    if (code >= 0) return code;
    code = 0;
    bc_broker_t *b = open_broker(cmd, dir, 0, &code);
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
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *cmd = "maintain", *dir = NULL;
    int opt, code = 0;
    char err[1024];
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'h':
            cmd_usage(cmd, stdout);
            return 0;
        default:
            return bad_option(cmd, argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_option(cmd, argv[optind]);
    if (!dir) return bad_input(cmd, "--data-dir is required");
    bc_broker_t *b = open_broker(cmd, dir, 0, &code);
    if (!b) return code;
    bc_maint_stats_t st;
    if (bc_broker_maintain(b, mon_clock_wall_ms(), &st, err, sizeof(err)) < 0) {
        fprintf(stderr, "warren broker %s: %s\n", cmd, err);
        code = 1;
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

static int cmd_repair(int argc, char **argv) {
    const char *cmd = "repair", *dir = NULL;
    int json = 0,
        code = parse_dir_format(
            cmd, argc, argv, &dir, &json,
            "Re-validates every batch of every segment (length, magic, "
            "CRC-32C,\noffsets) and, as Kafka's recovery does, truncates a "
            "corrupt log at its\nlast valid batch and deletes the segments "
            "after it. Prints what was\ncut per partition (nothing when "
            "every log is sound). Not while a\nwarren serve has the data "
            "dir open.\n");
    if (code >= 0) return code;
    code = 0;
    bc_broker_conf_t conf = bc_broker_conf_default();
    conf.on_corruption = BC_CORRUPTION_TRUNCATE;
    conf.verify = 1;
    bc_broker_t *b = open_broker_conf(cmd, dir, &conf, &code);
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
        fprintf(stderr, "warren broker %s: closing the data dir failed\n", cmd);
        code = 1;
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
