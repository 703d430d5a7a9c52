/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_broker_groups: `warren broker consume` and `warren broker groups`.
 *
 * consume runs one bc_consumer in a group against the data dir and stops
 * when it has printed --max records or has read every assigned partition
 * up to its log end: while this process holds the data dir nobody else
 * can append to it, so there is nothing more to wait for. Records are
 * printed (and flushed) before their offsets are committed, so a crash
 * never loses a committed-but-unprinted record (at-least-once).
 *
 * groups reads __consumer_offsets (never creating it) and prints, like
 * kafka-consumer-groups.sh --describe, per group and partition: the
 * committed offset, the log-end offset (= high watermark on one node),
 * lag = log_end - committed, and the owner (member id, client id, host)
 * if a live member of this process's coordinator owns it; members live
 * only in the process that runs them, so from the command line the owner
 * is "-" (JSON null).
 */
#include "monitor/cmd/mon_cli_broker_groups.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_consumer.h"
#include "broker-core/bc_coord.h"
#include "broker-core/bc_err.h"
#include "broker-core/bc_offsets.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_mem.h"
#include "monitor/cmd/mon_cli_opt.h"

/* Set by SIGINT/SIGTERM during consume, on whichever thread the signal
 * lands (the consumer has a background thread): a lock-free atomic. */
static atomic_int consume_stop;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&consume_stop, 1);
}

static void consume_usage(FILE *f) {
    fprintf(f,
            "usage: warren broker consume --data-dir D --topic T --group G\n"
            "           [--max N] [--reset earliest|latest|none]\n"
            "           [--commit sync|async|auto|none]\n"
            "\n"
            "Consumes T as a member of group G and prints one line per "
            "record:\n"
            "partition<TAB>offset<TAB>key<TAB>value (a null key or value is "
            "empty;\n"
            "tab, newline, CR and backslash are escaped as \\t \\n \\r \\\\).\n"
            "Stops after N records or at the end of every partition.\n"
            "\n"
            "  --reset R    where to start without a committed offset "
            "(latest)\n"
            "  --commit C   sync/async: after each batch; auto: every 5 s "
            "and on\n"
            "               exit (default); none: never\n"
            "\n"
            "Exit codes: 0 ok, 2 bad input (unknown topic, reset=none "
            "without a\n"
            "committed offset, unreadable data dir).\n");
}

static void groups_usage(FILE *f) {
    fprintf(f, "usage: warren broker groups --data-dir D [--group G] "
               "[--format text|json]\n"
               "\n"
               "Per consumer group and partition: committed offset, log-end "
               "offset,\n"
               "lag (log_end - committed) and owner (member/client/host of a "
               "live\n"
               "member, '-' if none). JSON fields: group, topic, partition,\n"
               "committed, log_end, lag, owner.\n");
}

static const mon_cli_cmd_t consume_cmd = {"broker consume", consume_usage, NULL,
                                          0};
static const mon_cli_cmd_t groups_cmd = {"broker groups", groups_usage, NULL,
                                         0};

/* Opens the broker of an existing data dir; on failure prints one line
 * and returns NULL. */
static bc_broker_t *open_dir(const mon_cli_cmd_t *cmd, const char *dir) {
    bc_broker_conf_t conf = bc_broker_conf_default();
    char err[MON_ERRSTR_SIZE];
    int code = 0;
    bc_broker_t *b = bc_broker_open(dir, &conf, mon_clock_wall_ms(), &code, err,
                                    sizeof(err));

    if (!b) mon_cli_bad(cmd, "%s", err); /* names the data dir already */
    return b;
}

static int32_t partitions_cb(void *opaque, const char *topic) {
    int32_t n = bc_broker_partitions(opaque, topic);

    return n < 0 ? -1 : n;
}

/* Writes bytes with \t \n \r \\ escaped; len -1 (null) writes nothing. */
static void put_escaped(FILE *f, const uint8_t *p, int32_t len) {
    for (int32_t i = 0; i < len; i++) {
        switch (p[i]) {
        case '\t':
            fputs("\\t", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        default:
            fputc(p[i], f);
        }
    }
}

typedef struct consume_opts_s {
    const char *dir, *topic, *group;
    int64_t max;
    bc_consumer_reset_t reset;
    int commit; /* 0 none, 1 sync, 2 async, 3 auto */
} consume_opts_t;

static void async_done(bc_consumer_t *c, int err, const bc_consumer_offset_t *o,
                       size_t n, void *opaque) {
    (void)c;
    (void)opaque;
    if (err)
        fprintf(stderr,
                "warren broker consume: async commit of %zu offsets "
                "(first %s-%d at %lld) failed: %s\n",
                n, n ? o[0].topic : "-", n ? (int)o[0].partition : -1,
                n ? (long long)o[0].offset : -1LL, bc_consumer_err2str(err));
}

/* All assigned partitions read up to their log end? */
static int caught_up(bc_consumer_t *c, bc_broker_t *b) {
    size_t n;
    bc_group_tp_t *tps = bc_consumer_assignment(c, &n);
    int done = n > 0;

    for (size_t i = 0; i < n && done; i++) {
        bc_log_t *log = bc_broker_log(b, tps[i].topic, tps[i].partition);
        int64_t pos;

        if (!log ||
            bc_consumer_position(c, tps[i].topic, tps[i].partition, &pos) ||
            pos < bc_log_end_offset(log))
            done = 0;
    }
    free(tps);
    return done;
}

static int run_consume(const consume_opts_t *o) {
    bc_broker_t *b = NULL;
    bc_coord_t *coord = NULL;
    bc_offsets_t *off = NULL;
    bc_consumer_t *c = NULL;
    bc_coord_conf_t cconf = {0};
    bc_consumer_conf_t conf = bc_consumer_conf_default();
    const char *topics[1];
    char err[MON_ERRSTR_SIZE];
    int64_t printed = 0;
    int rc = 0, idle = 0;

    b = open_dir(&consume_cmd, o->dir);
    if (!b) return 2;
    if (bc_broker_partitions(b, o->topic) < 0) {
        rc = mon_cli_bad(&consume_cmd, "unknown topic '%s' in data dir '%s'",
                         o->topic, o->dir);
        goto out;
    }
    cconf.partitions_cb = partitions_cb;
    cconf.opaque = b;
    coord = bc_coord_new(&cconf, err, sizeof(err));
    off = coord ? bc_offsets_open(b, NULL, mon_clock_wall_ms(), NULL, err,
                                  sizeof(err))
                : NULL;
    if (!off) {
        rc = mon_cli_bad(&consume_cmd, "data dir '%s': %s", o->dir, err);
        goto out;
    }
    conf.group_id = o->group;
    conf.auto_offset_reset = o->reset;
    conf.enable_auto_commit = o->commit == 3;
    conf.commit_cb = async_done;
    c = bc_consumer_new(&conf, b, coord, off, err, sizeof(err));
    topics[0] = o->topic;
    if (!c || bc_consumer_subscribe(c, topics, 1, err, sizeof(err))) {
        rc = mon_cli_bad(&consume_cmd, "group '%s': %s", o->group, err);
        goto out;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!atomic_load(&consume_stop) && (!o->max || printed < o->max)) {
        bc_consumer_records_t *r = NULL;
        bc_consumer_offset_t *last = NULL;
        size_t nlast = 0;
        int prc = bc_consumer_poll(c, 100, &r, err, sizeof(err));

        if (prc) {
            rc = mon_cli_bad(&consume_cmd, "%s", err);
            break;
        }
        if (!r) {
            /* Two empty polls at the end of every partition: done. */
            if (caught_up(c, b) && ++idle >= 2) break;
            continue;
        }
        idle = 0;
        last = mon_calloc(r->cnt, sizeof(*last));
        for (size_t i = 0; i < r->cnt; i++) {
            const bc_consumer_record_t *rec = &r->recs[i];
            size_t k;

            if (o->max && printed >= o->max) {
                /* Not printed: move the position back to the first such
                 * record so no commit (auto or on close) passes it. */
                int64_t pos;

                if (bc_consumer_position(c, rec->topic, rec->partition, &pos) ==
                        0 &&
                    pos > rec->offset)
                    bc_consumer_seek(c, rec->topic, rec->partition,
                                     rec->offset);
                continue;
            }
            printf("%d\t%lld\t", (int)rec->partition, (long long)rec->offset);
            put_escaped(stdout, rec->key, rec->key_len);
            fputc('\t', stdout);
            put_escaped(stdout, rec->value, rec->value_len);
            fputc('\n', stdout);
            printed++;
            /* The next offset to commit, per partition. */
            for (k = 0; k < nlast; k++)
                if (last[k].partition == rec->partition) break;
            if (k == nlast) nlast++;
            last[k].topic = rec->topic;
            last[k].partition = rec->partition;
            last[k].offset = rec->offset + 1;
        }
        fflush(stdout);
        if (o->commit == 1 && nlast &&
            bc_consumer_commit_sync(c, last, nlast, err, sizeof(err))) {
            free(last);
            bc_consumer_records_free(r);
            rc = mon_cli_bad(&consume_cmd, "commit failed: %s", err);
            break;
        }
        if (o->commit == 2 && nlast)
            (void)bc_consumer_commit_async(c, last, nlast, NULL, NULL);
        free(last);
        bc_consumer_records_free(r);
    }
out:
    if (c) {
        char cerr[MON_ERRSTR_SIZE];

        /* close() commits the positions when auto-commit is on. */
        if (bc_consumer_close(c, cerr, sizeof(cerr)) && !rc)
            rc = mon_cli_bad(&consume_cmd, "final commit failed: %s", cerr);
        bc_consumer_destroy(c);
    }
    bc_offsets_close(off);
    bc_coord_destroy(coord);
    if (b && bc_broker_close(b) != 0 && !rc)
        rc = mon_cli_bad(&consume_cmd, "data dir '%s': closing failed", o->dir);
    return rc;
}

static const mon_cli_choice_t resets[] = {
    {"earliest", BC_CONSUMER_RESET_EARLIEST},
    {"latest", BC_CONSUMER_RESET_LATEST},
    {"none", BC_CONSUMER_RESET_NONE},
    {NULL, 0}};
static const mon_cli_choice_t commits[] = {
    {"sync", 1}, {"async", 2}, {"auto", 3}, {"none", 0}, {NULL, 0}};

int mon_cli_broker_consume(int argc, char **argv) {
    consume_opts_t o = {NULL, NULL, NULL, 0, BC_CONSUMER_RESET_LATEST, 3};
    int reset = (int)o.reset;
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &o.dir, 0, 0, NULL, NULL},
        {"topic", MON_CLI_STR, &o.topic, 0, 0, NULL, NULL},
        {"group", MON_CLI_STR, &o.group, 0, 0, NULL, NULL},
        {"max", MON_CLI_INT, &o.max, 1, INT64_MAX, NULL, NULL},
        {"reset", MON_CLI_CHOICE, &reset, 0, 0, resets, NULL},
        {"commit", MON_CLI_CHOICE, &o.commit, 0, 0, commits, NULL},
    };
    int rc = mon_cli_parse(&consume_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                           argc, argv, NULL, 0);
    if (rc < 0) return mon_cli_exit(rc);
    o.reset = (bc_consumer_reset_t)reset;
    if (!o.dir || !o.topic || !o.group)
        return mon_cli_bad(&consume_cmd,
                           "--data-dir, --topic and --group are required");
    if (!o.group[0] || strlen(o.group) > BC_COORD_NAME_MAX)
        return mon_cli_bad(&consume_cmd, "--group must be 1..%d bytes",
                           BC_COORD_NAME_MAX);
    return run_consume(&o);
}

/* ---- groups ------------------------------------------------------------ */

typedef struct row_s {
    const bc_offsets_entry_t *e;
    int64_t log_end; /* -1 unknown */
    char owner[3 * BC_COORD_MEMBER_ID_SIZE];
} row_t;

static void print_text(const row_t *rows, size_t n) {
    printf("group\ttopic\tpartition\tcommitted\tlog_end\tlag\towner\n");
    for (size_t i = 0; i < n; i++) {
        const bc_offsets_entry_t *e = rows[i].e;

        printf("%s\t%s\t%d\t%lld\t", e->group, e->topic, (int)e->partition,
               (long long)e->offset);
        if (rows[i].log_end >= 0)
            printf("%lld\t%lld\t", (long long)rows[i].log_end,
                   (long long)(rows[i].log_end - e->offset));
        else
            printf("-\t-\t");
        printf("%s\n", rows[i].owner[0] ? rows[i].owner : "-");
    }
}

static int print_json(const row_t *rows, size_t n) {
    cJSON *arr = cJSON_CreateArray();
    char *s;

    for (size_t i = 0; i < n; i++) {
        const bc_offsets_entry_t *e = rows[i].e;
        cJSON *o = cJSON_CreateObject();

        cJSON_AddStringToObject(o, "group", e->group);
        cJSON_AddStringToObject(o, "topic", e->topic);
        cJSON_AddNumberToObject(o, "partition", e->partition);
        cJSON_AddNumberToObject(o, "committed", (double)e->offset);
        if (rows[i].log_end >= 0) {
            cJSON_AddNumberToObject(o, "log_end", (double)rows[i].log_end);
            cJSON_AddNumberToObject(o, "lag",
                                    (double)(rows[i].log_end - e->offset));
        } else {
            cJSON_AddNullToObject(o, "log_end");
            cJSON_AddNullToObject(o, "lag");
        }
        if (rows[i].owner[0])
            cJSON_AddStringToObject(o, "owner", rows[i].owner);
        else
            cJSON_AddNullToObject(o, "owner");
        cJSON_AddItemToArray(arr, o);
    }
    s = cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    if (!s) return -1;
    printf("%s\n", s);
    cJSON_free(s);
    return 0;
}

static int run_groups(const char *dir, const char *group, int json) {
    bc_broker_t *b = open_dir(&groups_cmd, dir);
    bc_coord_t *coord = NULL;
    bc_offsets_t *off = NULL;
    bc_offsets_entry_t *e = NULL;
    bc_coord_conf_t cconf = {0};
    row_t *rows = NULL;
    size_t n = 0;
    char err[MON_ERRSTR_SIZE];
    int rc = 0;

    if (!b) return 2;
    cconf.partitions_cb = partitions_cb;
    cconf.opaque = b;
    coord = bc_coord_new(&cconf, err, sizeof(err));
    /* A data dir that never saw a commit has no __consumer_offsets; a
     * listing must not create it. */
    if (bc_broker_partitions(b, BC_OFFSETS_TOPIC) > 0) {
        off = bc_offsets_open(b, NULL, mon_clock_wall_ms(), NULL, err,
                              sizeof(err));
        if (!off) {
            rc = mon_cli_bad(&groups_cmd, "data dir '%s': %s", dir, err);
            goto out;
        }
        e = bc_offsets_entries(off, group, &n);
    }
    if (group && !n) {
        rc = mon_cli_bad(&groups_cmd,
                         "unknown group '%s' (no committed offsets in "
                         "'%s')",
                         group, dir);
        goto out;
    }
    rows = mon_calloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        bc_log_t *log = bc_broker_log(b, e[i].topic, e[i].partition);
        bc_coord_desc_t *d =
            bc_coord_describe(coord, e[i].group, mon_clock_wall_ms());
        const bc_coord_member_t *m =
            bc_coord_desc_owner(d, e[i].topic, e[i].partition);

        rows[i].e = &e[i];
        rows[i].log_end = log ? bc_log_end_offset(log) : -1;
        if (m)
            snprintf(rows[i].owner, sizeof(rows[i].owner), "%s/%s/%s",
                     m->member_id, m->client_id, m->host);
        bc_coord_desc_free(d);
    }
    if (json) {
        if (print_json(rows, n))
            rc = mon_cli_bad(&groups_cmd, "out of memory rendering JSON");
    } else {
        print_text(rows, n);
    }
out:
    free(rows);
    bc_offsets_entries_free(e, n);
    bc_offsets_close(off);
    bc_coord_destroy(coord);
    bc_broker_close(b);
    return rc;
}

int mon_cli_broker_groups(int argc, char **argv) {
    static const mon_cli_choice_t formats[] = {
        {"text", 0}, {"json", 1}, {NULL, 0}};
    const char *dir = NULL, *group = NULL;
    int json = 0;
    const mon_cli_opt_t opts[] = {
        {"data-dir", MON_CLI_STR, &dir, 0, 0, NULL, NULL},
        {"group", MON_CLI_STR, &group, 0, 0, NULL, NULL},
        {"format", MON_CLI_CHOICE, &json, 0, 0, formats, NULL},
    };
    int rc = mon_cli_parse(&groups_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                           argc, argv, NULL, 0);
    if (rc < 0) return mon_cli_exit(rc);
    if (!dir) return mon_cli_bad(&groups_cmd, "--data-dir is required");
    return run_groups(dir, group, json);
}
