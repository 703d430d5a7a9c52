/* SPDX-License-Identifier: Apache-2.0 */
/* kafka_commit: produces and commits exactly what a test says, through
 * librdkafka, to any Kafka broker (Warren's embedded one over its wire
 * listener): the commits of groups that join nothing (Kafka's "simple"
 * consumer, generation -1), so a test knows every offset it committed
 * and when the broker acknowledged it.
 *
 * Usage: kafka_commit BOOTSTRAP
 * Commands on stdin, one per line; each answers one line on stdout,
 * "ok <command>" once done (acknowledged) or "error <command>: why":
 *   produce TOPIC PARTITION N          N messages, all delivered
 *   commit GROUP TOPIC PARTITION OFFSET  one offset, committed (sync)
 *   quit                               (end of input quits too)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define MAX_GROUPS 16

static const char *bootstrap;
static rd_kafka_t *producer;
static struct {
    char name[128];
    rd_kafka_t *rk;
} groups[MAX_GROUPS];

static rd_kafka_t *client(rd_kafka_type_t type, const char *group) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *props[][2] = {
        {"bootstrap.servers", bootstrap},
        {"enable.auto.commit", "false"},
        {"log_level", "2"},
        /* a test restarts the broker: come back at once */
        {"reconnect.backoff.ms", "20"},
        {"reconnect.backoff.max.ms", "200"},
        {"retry.backoff.ms", "20"},
        {group ? "group.id" : "linger.ms", group ? group : "0"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++)
        if (rd_kafka_conf_set(conf, props[i][0], props[i][1], err,
                              sizeof(err)) != RD_KAFKA_CONF_OK &&
            type == RD_KAFKA_CONSUMER) {
            fprintf(stderr, "kafka_commit: %s: %s\n", props[i][0], err);
            exit(1);
        }
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "kafka_commit: %s\n", err);
        exit(1);
    }
    return rk;
}

static rd_kafka_t *group_client(const char *name) {
    for (int i = 0; i < MAX_GROUPS; i++) {
        if (groups[i].rk && !strcmp(groups[i].name, name)) return groups[i].rk;
        if (!groups[i].rk) {
            snprintf(groups[i].name, sizeof(groups[i].name), "%s", name);
            groups[i].rk = client(RD_KAFKA_CONSUMER, name);
            return groups[i].rk;
        }
    }
    return NULL;
}

static void answer(const char *line, rd_kafka_resp_err_t err) {
    if (err)
        printf("error %s: %s\n", line, rd_kafka_err2str(err));
    else
        printf("ok %s\n", line);
    fflush(stdout);
}

int main(int argc, char **argv) {
    char line[512], g[128], t[128];
    int p, n;
    long long off;
    if (argc != 2) {
        fprintf(stderr, "usage: kafka_commit BOOTSTRAP\n");
        return 2;
    }
    bootstrap = argv[1];
    producer = client(RD_KAFKA_PRODUCER, NULL);
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = '\0';
        if (!strcmp(line, "quit")) break;
        if (sscanf(line, "produce %127s %d %d", t, &p, &n) == 3) {
            rd_kafka_resp_err_t err = 0;
            for (int i = 0; i < n && !err; i++)
                err = rd_kafka_producev(
                    producer, RD_KAFKA_V_TOPIC(t), RD_KAFKA_V_PARTITION(p),
                    RD_KAFKA_V_VALUE("m", 1),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (!err) err = rd_kafka_flush(producer, 30000);
            answer(line, err);
        } else if (sscanf(line, "commit %127s %127s %d %lld", g, t, &p, &off) ==
                   4) {
            rd_kafka_t *rk = group_client(g);
            rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, t, p)->offset = off;
            rd_kafka_resp_err_t err =
                rk ? rd_kafka_commit(rk, l, 0) : RD_KAFKA_RESP_ERR__FAIL;
            if (!err && l->elems[0].err) err = l->elems[0].err;
            rd_kafka_topic_partition_list_destroy(l);
            answer(line, err);
        } else if (line[0]) {
            printf("error %s: unknown command\n", line);
            fflush(stdout);
        }
    }
    for (int i = 0; i < MAX_GROUPS && groups[i].rk; i++) {
        rd_kafka_consumer_close(groups[i].rk);
        rd_kafka_destroy(groups[i].rk);
    }
    rd_kafka_destroy(producer);
    return 0;
}
