/* SPDX-License-Identifier: Apache-2.0 */
/* bench_kafka_refresh: full refreshes of mon_source_kafka against
 * librdkafka's mock cluster (3 brokers) holding 10,000 partitions (100
 * topics x 100) and 1,000 groups, each with committed offsets on every
 * partition of one topic (100,000 group partitions).
 *
 * The mock cannot list groups, so the source runs the way it does for
 * such brokers: groups from the configuration, partitions named from
 * metadata; the first refresh probes partition 0 of every topic for every
 * group (100,000 probes) to find where each group commits. Every
 * partition holds N_RECORDS records and every group committed offset 0,
 * so every group partition has data waiting and wants the timestamp of
 * its record for the exact time lag: each refresh reads as many as its
 * budget allows (1000 partitions; the 10 groups of a topic share each
 * answer through the cache). Prints one table: the first refresh, then
 * the median and worst of the steady refreshes that follow (wall time,
 * requests sent, and the phases).
 *
 * The mock cannot describe groups either, so a second table runs the same
 * 10,000 partitions and 1,000 groups on the embedded broker's Kafka
 * listener (broker-core, in process; 4,000 partitions where the fd limit
 * is below WIRE_FDS), which lists and describes groups over
 * the wire: there the source lists the groups (ListGroups), fetches their
 * offsets, describes every one (DescribeGroups, batched per refresh) and
 * reads the records at their committed offsets for the time lag (each
 * partition holds N_RECORDS records, every group committed 0) in every
 * refresh; the describe and time-lag phases are shown on their own.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "broker-core/bc_broker.h"
#include "broker-core/bc_kserver.h"
#include "broker-core/bc_offsets.h"

#include "monitor/base/mon_log.h"
#include "monitor/config/mon_config.h"
#include "monitor/sources/mon_source_kafka.h"
#include "monitor/store/mon_store.h"

#define N_TOPICS 100
#define N_PARTS 100
#define N_GROUPS 1000
#define N_STEADY 5
#define N_RECORDS 5
/* Each partition of the embedded broker holds one file open (its active
 * segment's log; the indexes are mapped without a descriptor): 10,000
 * need an fd limit over WIRE_FDS. The bench raises its soft limit to its
 * hard one; below WIRE_FDS it runs WIRE_PARTS_FEW partitions per topic
 * and says so. */
#define WIRE_FDS (N_TOPICS * N_PARTS + 4096)
#define WIRE_PARTS_FEW 40

static int64_t wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Creating a mock topic sometimes waits a second for the mock thread to
 * wake up, so topics are created from several threads at once. */
typedef struct creator_s {
    rd_kafka_mock_cluster_t *mc;
    int first;
} creator_t;

static void *create_topics(void *arg) {
    creator_t *c = arg;
    for (int t = c->first; t < N_TOPICS; t += 20) {
        char topic[32];
        snprintf(topic, sizeof(topic), "topic-%03d", t);
        rd_kafka_mock_topic_create(c->mc, topic, N_PARTS, 1);
    }
    return NULL;
}

/* Writes N_RECORDS records into every partition. Returns 0 or -1. */
static int seed_records(const char *bootstraps) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err));
    rd_kafka_conf_set(conf, "linger.ms", "50", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    for (int t = 0; t < N_TOPICS; t++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "topic-%03d", t);
        for (int p = 0; p < N_PARTS; p++)
            for (int i = 0; i < N_RECORDS; i++)
                while (rd_kafka_producev(
                           rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p),
                           RD_KAFKA_V_VALUE("r", 1),
                           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(rk, 10);
    }
    int rc = rd_kafka_flush(rk, 60000) == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
    if (rc) fprintf(stderr, "bench: records left unsent\n");
    rd_kafka_destroy(rk);
    return rc;
}

/* Commits offset 0 on every partition of topic-(g % N_TOPICS) for every
 * group, through AlterConsumerGroupOffsets. Returns 0 or -1. */
static int seed_commits(const char *bootstraps) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int rc = 0, sent = 0, done = 0;
    while (done < N_GROUPS && rc == 0) {
        while (sent < N_GROUPS && sent - done < 64) {
            char group[32], topic[32];
            snprintf(group, sizeof(group), "group-%04d", sent);
            snprintf(topic, sizeof(topic), "topic-%03d", sent % N_TOPICS);
            rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new(N_PARTS);
            for (int p = 0; p < N_PARTS; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset = 0;
            rd_kafka_AlterConsumerGroupOffsets_t *alter =
                rd_kafka_AlterConsumerGroupOffsets_new(group, parts);
            rd_kafka_AlterConsumerGroupOffsets(rk, &alter, 1, NULL, q);
            rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
            rd_kafka_topic_partition_list_destroy(parts);
            sent++;
        }
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
        if (!ev || rd_kafka_event_error(ev)) {
            fprintf(stderr, "bench: seeding commits: %s\n",
                    ev ? rd_kafka_event_error_string(ev) : "timed out");
            rc = -1;
        }
        if (ev) rd_kafka_event_destroy(ev);
        done++;
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}

/* Runs an admin-mode source on `servers` (with groups named, or listed
 * when n_groups is 0) until N_STEADY steady refreshes and prints the
 * table (title first). Returns 0 or 1. */
static int measure(const char *title, const char *servers, char **groups,
                   size_t n_groups) {
    char err[512];
    mon_config_kv_t props[] = {{"log_level", "2"}};
    mon_config_cluster_t ccs, *cc = &ccs;
    memset(cc, 0, sizeof(*cc));
    cc->name = "bench";
    cc->source = MON_CONFIG_SOURCE_KAFKA;
    cc->servers = (char *)servers;
    cc->offset_refresh_ms = 2500;
    cc->topic_refresh_ms = 600000;
    cc->offsets = MON_CONFIG_OFFSETS_ADMIN;
    cc->groups = groups;
    cc->n_groups = n_groups;
    cc->kafka_props = props;
    cc->n_kafka_props = 1;
    mon_store_config_t sc;
    mon_store_config_default(&sc);
    mon_store_t *st = mon_store_new(&sc, err, sizeof(err));
    mon_source_kafka_t *src = mon_source_kafka_new(cc, st, err, sizeof(err));
    if (!src || mon_source_kafka_start(src, err, sizeof(err))) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }

    mon_source_kafka_status_t s, first;
    int64_t dur[N_STEADY], req[N_STEADY], heads[N_STEADY], commits[N_STEADY];
    int64_t desc[N_STEADY], stamps_ms[N_STEADY], stamps[N_STEADY];
    uint64_t seen = 0;
    int n = -1;
    int64_t deadline = wall_ms() + 120000;
    memset(&first, 0, sizeof(first));
    while (n < N_STEADY && wall_ms() < deadline) {
        sleep_ms(20);
        mon_source_kafka_status(src, wall_ms(), &s);
        if (s.refreshes == seen) continue;
        seen = s.refreshes;
        if (n < 0)
            first = s;
        else {
            dur[n] = s.last_refresh_duration_ms;
            req[n] = (int64_t)s.last_refresh_requests;
            heads[n] = s.last_heads_duration_ms;
            commits[n] = s.last_commits_duration_ms;
            desc[n] = s.last_describe_duration_ms;
            stamps_ms[n] = s.last_stamps_duration_ms;
            stamps[n] = s.stamps_last_refresh;
        }
        n++;
    }
    if (n < N_STEADY) {
        fprintf(stderr, "bench: only %d refreshes in 120 s\n", n);
        return 1;
    }
    int64_t worst = 0;
    for (int i = 0; i < N_STEADY; i++)
        worst = dur[i] > worst ? dur[i] : worst;
    qsort(dur, N_STEADY, sizeof(int64_t), cmp_i64);
    qsort(req, N_STEADY, sizeof(int64_t), cmp_i64);
    qsort(heads, N_STEADY, sizeof(int64_t), cmp_i64);
    qsort(commits, N_STEADY, sizeof(int64_t), cmp_i64);
    qsort(desc, N_STEADY, sizeof(int64_t), cmp_i64);
    qsort(stamps_ms, N_STEADY, sizeof(int64_t), cmp_i64);
    qsort(stamps, N_STEADY, sizeof(int64_t), cmp_i64);
    mon_source_kafka_status(src, wall_ms(), &s);
    mon_store_names_t names = {0};
    mon_store_groups(st, "bench", wall_ms(), &names);
    size_t live_groups = names.count, described = 0;
    for (size_t i = 0; i < names.count; i++) {
        mon_group_members_t m = {0};
        if (mon_store_group_members(st, "bench", names.names[i], &m) == 0)
            described++;
        mon_group_members_free(&m);
    }
    mon_store_names_free(&names);

    printf("%s\n", title);
    printf("%-48s %14s %10s\n", "figure", "measured", "target");
    printf("%-48s %11lld ms %10s\n", "first refresh (metadata, probes, fetch)",
           (long long)first.last_refresh_duration_ms, "<= 2000 ms");
    printf("%-48s %14llu %10s\n", "first refresh: requests sent",
           (unsigned long long)first.last_refresh_requests, "-");
    printf("%-48s %11lld ms %10s\n", "steady refresh, median of 5",
           (long long)dur[N_STEADY / 2], "<= 2000 ms");
    printf("%-48s %11lld ms %10s\n", "steady refresh, worst of 5",
           (long long)worst, "<= 2000 ms");
    printf("%-48s %11lld ms %10s\n", "  heads (ListOffsets, 10k partitions)",
           (long long)heads[N_STEADY / 2], "-");
    printf("%-48s %11lld ms %10s\n", "  commits (1k groups, with describe)",
           (long long)commits[N_STEADY / 2], "-");
    printf("%-48s %11lld ms %10s\n", "    describe (DescribeGroups, 1k groups)",
           (long long)desc[N_STEADY / 2], "-");
    printf("%-48s %11lld ms %10s\n", "  time lag: records read (1000 at most)",
           (long long)stamps_ms[N_STEADY / 2], "-");
    printf("%-48s %14lld %10s\n", "  time lag: group partitions told (median)",
           (long long)stamps[N_STEADY / 2], "-");
    printf("%-48s %14lld %10s\n", "steady refresh: requests sent (median)",
           (long long)req[N_STEADY / 2], "-");
    printf("%-48s %14d %10s\n", "brokers", s.brokers, "-");
    printf("%-48s %14lld %10s\n", "partitions watched", (long long)s.partitions,
           "-");
    printf("%-48s %14zu %10s\n", "groups in the store", live_groups, "1000");
    printf("%-48s %14zu %10s\n", "groups with state and members", described,
           "-");
    printf("%-48s %14llu %10s\n", "commits recorded (group partitions)",
           (unsigned long long)s.commits_recorded, "-");
    printf("%-48s %14lld %10s\n", "probes still pending (topics x groups)",
           (long long)s.probes_pending, "-");
    printf("%-48s %14s %10s\n\n", "cluster available",
           s.available ? "yes" : "no", "yes");
    mon_source_kafka_destroy(src);
    mon_store_destroy(st);
    return 0;
}

/* The same cluster on the embedded broker's Kafka listener: topics made
 * in process, every group's offsets committed through bc_offsets (each
 * group Empty, listed and described over the wire). Returns 0 or 1. */
static int wire_scenario(void) {
    char dir[] = "/tmp/warren-bench-refresh-XXXXXX", err[512];
    /* every partition holds a file open: the hard limit */
    struct rlimit rl = {0, 0};
    int parts = N_PARTS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)WIRE_FDS) {
        parts = WIRE_PARTS_FEW;
        printf("(fd limit %llu: %d partitions per topic, not %d)\n",
               (unsigned long long)rl.rlim_cur, parts, N_PARTS);
    }
    if (!mkdtemp(dir)) return 1;
    bc_broker_conf_t bconf = bc_broker_conf_default();
    bc_broker_t *b =
        bc_broker_open(dir, &bconf, wall_ms(), NULL, err, sizeof(err));
    bc_offsets_t *off =
        b ? bc_offsets_open(b, NULL, wall_ms(), NULL, err, sizeof(err)) : NULL;
    if (!off) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    for (int t = 0; t < N_TOPICS; t++) {
        char topic[32];
        snprintf(topic, sizeof(topic), "topic-%03d", t);
        if (bc_broker_create_topic(b, topic, parts, NULL, wall_ms(), err,
                                   sizeof(err))) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
        /* records a minute old: every group partition waits on them */
        bc_record_in_t recs[N_RECORDS];
        for (int i = 0; i < N_RECORDS; i++)
            recs[i] = (bc_record_in_t){
                NULL, -1, "order", 5, wall_ms() - 60000 + i, NULL, 0};
        for (int p = 0; p < parts; p++)
            if (bc_broker_append(b, topic, p, recs, N_RECORDS, 0, wall_ms(),
                                 NULL, err, sizeof(err))) {
                fprintf(stderr, "bench: %s\n", err);
                return 1;
            }
    }
    static bc_offsets_commit_t commits[N_PARTS];
    for (int g = 0; g < N_GROUPS; g++) {
        char group[32], topic[32];
        snprintf(group, sizeof(group), "group-%04d", g);
        snprintf(topic, sizeof(topic), "topic-%03d", g % N_TOPICS);
        for (int p = 0; p < parts; p++)
            commits[p] = (bc_offsets_commit_t){topic, p, 0, -1, NULL};
        if (bc_offsets_commit(off, group, commits, parts, wall_ms(), err,
                              sizeof(err))) {
            fprintf(stderr, "bench: %s\n", err);
            return 1;
        }
    }
    bc_kserver_conf_t kc = bc_kserver_conf_default();
    kc.listen = "127.0.0.1:0";
    kc.broker = b;
    kc.offsets = off;
    bc_kserver_t *ks = bc_kserver_start(&kc, err, sizeof(err));
    if (!ks) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    char addr[300];
    snprintf(addr, sizeof(addr), "%s", bc_kserver_address(ks));
    char title[200];
    snprintf(title, sizeof(title),
             "embedded broker's Kafka listener, %d partitions (ListGroups, "
             "DescribeGroups of every group, time-lag records)",
             N_TOPICS * parts);
    int rc = measure(title, addr, NULL, 0);
    bc_kserver_stop(ks);
    bc_offsets_close(off);
    bc_broker_close(b);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "bench: cannot remove %s\n", dir);
    return rc;
}

int main(void) {
    char err[512];
    mon_log_set_level(MON_LOG_ERROR);

    rd_kafka_conf_t *mconf = rd_kafka_conf_new();
    rd_kafka_conf_set(mconf, "log_level", "2", err, sizeof(err));
    rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, err, sizeof(err));
    rd_kafka_mock_cluster_t *mc =
        mrk ? rd_kafka_mock_cluster_new(mrk, 3) : NULL;
    if (!mc) {
        fprintf(stderr, "bench: cannot start the mock cluster\n");
        return 1;
    }
    char bootstraps[512];
    snprintf(bootstraps, sizeof(bootstraps), "%s",
             rd_kafka_mock_cluster_bootstraps(mc));
    pthread_t creators[20];
    creator_t cargs[20];
    for (int i = 0; i < 20; i++) {
        cargs[i].mc = mc;
        cargs[i].first = i;
        pthread_create(&creators[i], NULL, create_topics, &cargs[i]);
    }
    for (int i = 0; i < 20; i++)
        pthread_join(creators[i], NULL);
    if (seed_records(bootstraps) || seed_commits(bootstraps)) return 1;

    /* The cluster section as mon_config would build it; written here
     * because `groups =` with 1,000 names exceeds an INI line. */
    static char *groups[N_GROUPS];
    for (int g = 0; g < N_GROUPS; g++) {
        groups[g] = malloc(16);
        snprintf(groups[g], 16, "group-%04d", g);
    }

    if (measure("librdkafka's mock cluster (cannot list or describe groups: "
                "groups named, no DescribeGroups)",
                bootstraps, groups, N_GROUPS))
        return 1;
    for (int g = 0; g < N_GROUPS; g++)
        free(groups[g]);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mrk);
    return wire_scenario();
}
