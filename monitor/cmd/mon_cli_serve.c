/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_serve: `warren serve`, the daemon. Builds the service from the
 * configuration, puts the HTTP API in front of it, optionally runs the
 * demo workload, and shuts everything down in order on SIGTERM/SIGINT:
 * stop accepting and finish requests in flight, stop the demo, stop the
 * sources and the loop, write the final snapshot, close the broker. */
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker-core/bc_kserver.h"
#include "http/routes/api_admin.h"
#include "http/routes/api_metrics.h"
#include "http/routes/api_routes_config.h"
#include "http/routes/api_routes_events.h"
#include "http/routes/api_routes_kafka.h"
#include "http/routes/api_routes_notify.h"
#include "http/server/api_server.h"
#include "monitor/base/mon_clock.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_log.h"
#include "monitor/base/mon_version.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"
#include "monitor/config/mon_config.h"
#include "monitor/demo/mon_demo.h"
#include "monitor/notify/mon_notifier.h"
#include "monitor/notify/mon_silence.h"
#include "monitor/service/mon_query.h"
#include "monitor/service/mon_service.h"
#include "monitor/sources/mon_source_embedded.h"

/* Set by SIGINT/SIGTERM, which may be delivered to any of the process's
 * threads: a lock-free atomic, not a sig_atomic_t (whose guarantee covers
 * only the thread the handler interrupted). */
static atomic_int g_stop;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&g_stop, 1);
}

static void usage(FILE *out) {
    fprintf(out,
            "usage: warren serve [--config FILE] [--listen ADDR:PORT] "
            "[--data-dir DIR]\n"
            "                    [--demo [--demo-speed X]] "
            "[--replay FILE [--speed X]]\n"
            "                    [--log-format text|json]\n\n"
            "Runs the monitor and its HTTP API (Burrow v3 compatible, "
            "/metrics, /v3/events,\nthe dashboard at /).\n\n"
            "  --config FILE       INI configuration (see samples/warren.ini)\n"
            "  --listen ADDR:PORT  listen address (default 127.0.0.1:8000; "
            "port 0 = any)\n"
            "  --data-dir DIR      state and embedded broker data "
            "(default ./warren-data)\n"
            "  --demo              run producers and consumer groups on the "
            "embedded broker\n"
            "  --demo-speed X      run the demo's timeline X times faster "
            "(default 1)\n"
            "  --replay FILE       serve a recorded lag trace as cluster "
            "'local'\n"
            "  --speed X           replay speed factor (default 1)\n"
            "  --log-format FMT    text (default) or json log lines on "
            "stderr\n");
}

/* What the evaluation loop feeds: the notifier and the silences. */
typedef struct observer_s {
    mon_notifier_t *notifier;
    mon_silences_t *silences;
} observer_t;

/* Silences are operator times: they are asked with the wall clock, also
 * for a replayed cluster whose evaluations run on the trace's clock. */
static void observe(void *arg, const mon_group_eval_t *ev) {
    observer_t *o = arg;
    bool silenced = mon_silences_match(o->silences, ev->cluster, ev->group,
                                       mon_clock_wall_ms(), NULL);
    mon_notifier_observe_silenced(o->notifier, ev, ev->now_ms, silenced);
}

/* True when path is a directory holding the dashboard's index.html. */
static int is_dashboard(const char *path) {
    char idx[PATH_MAX];
    struct stat sb;
    int w = snprintf(idx, sizeof(idx), "%s/index.html", path);
    return w > 0 && (size_t)w < sizeof(idx) && stat(idx, &sb) == 0 &&
           S_ISREG(sb.st_mode);
}

/* Where the dashboard files are: $WARREN_DASHBOARD_DIR; dashboards/
 * beside the executable (a build tree); ../share/warren/dashboards from
 * it (an installed tree: /usr/bin/warren finds /usr/share/warren/
 * dashboards, PREFIX/bin finds PREFIX/share, wherever PREFIX is); else
 * dashboards/ in the working directory. NULL when none is there. */
static const char *dashboard_dir(char *buf, size_t size) {
    static const char *const beside[] = {"dashboards",
                                         "../share/warren/dashboards"};
    const char *env = getenv("WARREN_DASHBOARD_DIR");
    if (env && env[0]) return env;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
                char cand[PATH_MAX], real[PATH_MAX];
                int w = snprintf(cand, sizeof(cand), "%s/%s", exe, beside[i]);
                if (w <= 0 || (size_t)w >= sizeof(cand) || !is_dashboard(cand))
                    continue;
                /* /usr/share/warren/dashboards, not /usr/bin/../share/... */
                w = snprintf(buf, size, "%s",
                             realpath(cand, real) ? real : cand);
                if (w > 0 && (size_t)w < size) return buf;
            }
        }
    }
    if (is_dashboard("dashboards")) return "dashboards";
    return NULL;
}

/* One line naming a failure of serve: "warren serve: [what: ]err" on
 * stderr, or an error event when the log is JSON, so that a JSON log
 * stream never holds a plain line. */
static void fail(const char *what, const char *err) {
    if (mon_log_get_format() == MON_LOG_JSON)
        mon_log_kv_always(
            MON_LOG_ERROR,
            MON_LOG_FIELDS(MON_LF_STR("error", err), MON_LF_STR("stage", what)),
            "warren serve failed");
    else
        fprintf(stderr, "warren serve: %s%s%s\n", what ? what : "",
                what ? ": " : "", err);
}

static void kafka_log(void *opaque, const char *line) {
    (void)opaque;
    mon_log(MON_LOG_INFO, "%s", line);
}

/* Starts the Kafka protocol listener of [broker] on its embedded cluster
 * (the one named by `cluster`, else the first embedded one). A listener
 * that cannot start (the port is taken by a real Kafka, say) is one
 * warning: the daemon runs on without it. Returns NULL then, or when
 * listen = none or no cluster is embedded. */
static bc_kserver_t *start_kafka_listener(const mon_config_t *cfg,
                                          mon_service_t *svc,
                                          mon_source_t **srcp) {
    const mon_config_broker_t *bc = mon_config_broker(cfg);
    const mon_config_cluster_t *cc = NULL;
    *srcp = NULL;
    if (!strcmp(bc->listen, "none")) return NULL;
    if (bc->cluster) {
        cc = mon_config_cluster_find(cfg, bc->cluster);
    } else {
        for (size_t i = 0; i < mon_config_cluster_count(cfg) && !cc; i++)
            if (mon_config_cluster_at(cfg, i)->source ==
                MON_CONFIG_SOURCE_EMBEDDED)
                cc = mon_config_cluster_at(cfg, i);
    }
    if (!cc || cc->source != MON_CONFIG_SOURCE_EMBEDDED) {
        if (bc->cluster)
            mon_log(MON_LOG_WARN,
                    "[broker] cluster %s is not an embedded "
                    "cluster: no Kafka listener",
                    bc->cluster);
        return NULL;
    }
    mon_source_t *src = mon_service_source(svc, cc->name);
    if (!src) return NULL;
    bc_kserver_conf_t kc = bc_kserver_conf_default();
    char err[MON_ERRSTR_SIZE];
    kc.listen = bc->listen;
    kc.advertised = bc->advertised;
    kc.num_partitions = bc->num_partitions;
    kc.auto_create_topics = bc->auto_create;
    kc.broker = mon_source_embedded_broker(src);
    kc.offsets = mon_source_embedded_offsets(src);
    kc.log_fn = kafka_log;
    bc_kserver_t *ks = bc_kserver_start(&kc, err, sizeof(err));
    if (!ks) {
        mon_log(MON_LOG_WARN,
                "kafka listener not started: %s; running "
                "without it",
                err);
        return NULL;
    }
    mon_source_embedded_set_wire_groups(src, bc_kserver_groups(ks));
    *srcp = src;
    mon_log(MON_LOG_INFO, "kafka listener on %s (cluster %s)",
            bc_kserver_address(ks), cc->name);
    return ks;
}

/* --speed X: a number above 0. */
static int parse_speed(const char *value, void *dst, char *why) {
    char *end;
    double v = strtod(value, &end);
    if (*end || end == value || !(v > 0)) {
        snprintf(why, MON_CLI_WHY_SIZE, "not a number above 0");
        return -1;
    }
    *(double *)dst = v;
    return 0;
}

/* --demo-speed X: a number in [MON_DEMO_SPEED_MIN, MON_DEMO_SPEED_MAX];
 * a bad one is one line (no usage: the option itself was right). */
static int demo_speed_of(const char *value, double *out) {
    char *end;
    double v = strtod(value, &end);
    if (*end || end == value ||
        !(v >= MON_DEMO_SPEED_MIN && v <= MON_DEMO_SPEED_MAX)) {
        fprintf(stderr,
                "warren serve: --demo-speed: '%s' is not a number in "
                "[%g, %g]\n",
                value, MON_DEMO_SPEED_MIN, MON_DEMO_SPEED_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

static const mon_cli_cmd_t serve_cmd = {"serve", usage, NULL, 1};

int mon_cli_serve(int argc, char **argv) {
    static const mon_cli_choice_t log_formats[] = {
        {"text", MON_LOG_TEXT}, {"json", MON_LOG_JSON}, {NULL, 0}};
    const char *config = NULL, *listen = NULL, *data_dir = NULL;
    const char *replay = NULL, *demo_speed_arg = NULL;
    double speed = 1.0, demo_speed = 1.0;
    int demo = 0, log_format = -1;
    const mon_cli_opt_t opts[] = {
        {"config", MON_CLI_STR, &config, 0, 0, NULL, NULL},
        {"listen", MON_CLI_STR, &listen, 0, 0, NULL, NULL},
        {"data-dir", MON_CLI_STR, &data_dir, 0, 0, NULL, NULL},
        {"demo", MON_CLI_FLAG, &demo, 0, 0, NULL, NULL},
        {"demo-speed", MON_CLI_STR, &demo_speed_arg, 0, 0, NULL, NULL},
        {"replay", MON_CLI_STR, &replay, 0, 0, NULL, NULL},
        {"speed", MON_CLI_FN, &speed, 0, 0, NULL, parse_speed},
        {"log-format", MON_CLI_CHOICE, &log_format, 0, 0, log_formats, NULL},
    };
    int parsed = mon_cli_parse(&serve_cmd, opts, sizeof(opts) / sizeof(opts[0]),
                               argc, argv, NULL, 0);
    if (parsed < 0) return mon_cli_exit(parsed);
    if (demo_speed_arg && demo_speed_of(demo_speed_arg, &demo_speed) != 0)
        return 2;
    /* A JSON log from the first line on, config errors included. */
    if (log_format >= 0) mon_log_set_format((mon_log_format_t)log_format);

    char err[MON_ERRSTR_SIZE] = "";
    int rc = 2;
    mon_config_t *cfg = config ? mon_config_load_file(config, err, sizeof(err))
                               : mon_config_new_default();
    mon_service_t *svc = NULL;
    api_server_t *srv = NULL;
    api_routes_kafka_t *routes = NULL;
    api_metrics_t *metrics = NULL;
    mon_demo_t *dm = NULL;
    bc_kserver_t *kafka = NULL;
    mon_source_t *kafka_src = NULL;
    mon_notifier_t *notifier = NULL;
    mon_silences_t *silences = NULL;
    observer_t obs = {0};
    mon_query_t *query = NULL;
    if (!cfg) {
        fail(NULL, err);
        return 2;
    }
    if (mon_config_override(cfg, listen, data_dir, err, sizeof(err)) != 0 ||
        (replay &&
         mon_config_use_replay(cfg, replay, speed, err, sizeof(err)) != 0)) {
        fail(NULL, err);
        goto out;
    }
    const mon_config_general_t *gen = mon_config_general(cfg);
    mon_log_set_level(gen->log_level);
    if (log_format < 0) mon_log_set_format(gen->log_format);
    if (demo) {
        const mon_config_cluster_t *cc = mon_config_cluster_find(cfg, "local");
        if (!cc || cc->source != MON_CONFIG_SOURCE_EMBEDDED) {
            fail(NULL, "--demo needs the embedded cluster 'local'");
            goto out;
        }
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The service locks the data dir first: a refusal is one line. It
     * starts no thread until mon_service_start. */
    svc = mon_service_new(cfg, err, sizeof(err));
    if (!svc) {
        fail(NULL, err);
        goto out;
    }
    mon_log_kv(MON_LOG_INFO,
               MON_LOG_FIELDS(MON_LF_STR("version", mon_version()),
                              MON_LF_STR("config", mon_config_path(cfg)
                                                       ? mon_config_path(cfg)
                                                       : "built-in"),
                              MON_LF_STR("data_dir", gen->data_dir)),
               "warren starting");

    /* Bind before any thread starts: the port (chosen by the kernel for
     * port 0) goes into the config's dashboard URL while only this thread
     * reads the config, and the notifier is built with it before any
     * route that shows it is registered. Connections wait in the backlog
     * until the pool starts below. */
    const mon_config_http_t *hc = mon_config_http(cfg);
    char dbuf[PATH_MAX];
    api_config_t ac;
    api_config_default(&ac);
    ac.listen = hc->listen;
    ac.admin_token = hc->admin_token;
    ac.max_url = hc->max_url;
    ac.max_header = hc->max_header;
    ac.max_body = hc->max_body;
    ac.threads = (unsigned)hc->threads;
    ac.timeout_ms = hc->timeout_ms;
    ac.open_writes = hc->open_writes;
    ac.allowed_hosts = (const char *const *)hc->allowed_hosts;
    ac.n_allowed_hosts = hc->n_allowed_hosts;
    ac.tls_cert = hc->tls_cert;
    ac.tls_key = hc->tls_key;
    ac.max_connections = (unsigned)hc->max_connections;
    ac.max_per_client = (unsigned)hc->max_per_client;
    ac.allow_origin = gen->access_control_allow_origin;
    ac.hostname = gen->name;
    ac.dashboard_dir = dashboard_dir(dbuf, sizeof(dbuf));
    if (ac.dashboard_dir)
        mon_log_kv(MON_LOG_INFO,
                   MON_LOG_FIELDS(MON_LF_STR("dir", ac.dashboard_dir)),
                   "serving the dashboard");
    else
        mon_log(MON_LOG_WARN, "no dashboard files found: / is not served "
                              "(set WARREN_DASHBOARD_DIR)");
    srv = api_server_new(&ac, err, sizeof(err));
    if (!srv || api_server_listen(srv, err, sizeof(err)) != 0) {
        fail(NULL, err);
        goto out;
    }
    int port = api_server_port(srv);
    mon_config_set_bound_port(cfg, port);

    notifier = mon_notifier_new_from_config(cfg, NULL, err, sizeof(err));
    if (notifier) silences = mon_silences_new(gen->data_dir, err, sizeof(err));
    if (!notifier || !silences) {
        fail(NULL, err);
        goto out;
    }
    query = mon_query_new(&(mon_query_src_t){.service = svc,
                                             .config = cfg,
                                             .notifier = notifier,
                                             .silences = silences});
    routes =
        api_routes_kafka_new(query, mon_config_evaluator(cfg)->expire_cache_ms);
    metrics = api_metrics_new(query);
    if (api_admin_register(srv, query, err, sizeof(err)) != 0 ||
        api_routes_kafka_register(routes, srv, err, sizeof(err)) != 0 ||
        api_metrics_register(metrics, srv, err, sizeof(err)) != 0 ||
        api_routes_notify_register(srv, query, err, sizeof(err)) != 0 ||
        api_routes_silences_register(srv, query, err, sizeof(err)) != 0 ||
        api_routes_config_register(srv, query, err, sizeof(err)) != 0) {
        fail(NULL, err);
        goto out;
    }
    mon_query_events_t events = api_routes_events(api_server_events(srv));
    mon_service_set_events(svc, &events);
    obs.notifier = notifier;
    obs.silences = silences;
    mon_service_set_observer(svc, observe, &obs);
    if (api_server_start(srv, err, sizeof(err)) != 0) {
        fail(NULL, err);
        goto out;
    }
    /* Scripts and tests wait for this line: logged once the pool serves
     * (and has logged its connection limit). */
    mon_log(MON_LOG_INFO, "listening on %s:%d", hc->listen_host, port);
    if (mon_service_start(svc, err, sizeof(err)) != 0) {
        fail(NULL, err);
        goto out;
    }
    kafka = start_kafka_listener(cfg, svc, &kafka_src);
    if (demo) {
        dm = mon_demo_start(mon_service_source(svc, "local"), demo_speed, err,
                            sizeof(err));
        if (!dm) {
            fail("demo", err);
            goto out;
        }
    }
    api_server_set_ready(srv, 1);
    const char *shown =
        strcmp(hc->listen_host, "0.0.0.0") ? hc->listen_host : "127.0.0.1";
    int v6 = hc->listen_family == AF_INET6;
    char hbuf[300];
    snprintf(hbuf, sizeof(hbuf), "%s%s%s", v6 ? "[" : "", shown, v6 ? "]" : "");
    const char *sch = hc->tls_cert ? "https" : "http";
    char u_dash[340], u_api[340], u_met[340];
    snprintf(u_dash, sizeof(u_dash), "%s://%s:%d/", sch, hbuf, port);
    snprintf(u_api, sizeof(u_api), "%s://%s:%d/v3/kafka", sch, hbuf, port);
    snprintf(u_met, sizeof(u_met), "%s://%s:%d/metrics", sch, hbuf, port);
    if (mon_log_get_format() == MON_LOG_JSON)
        mon_log_kv_always(MON_LOG_INFO,
                          MON_LOG_FIELDS(MON_LF_STR("dashboard", u_dash),
                                         MON_LF_STR("api", u_api),
                                         MON_LF_STR("metrics", u_met)),
                          "Warren is running");
    else
        fprintf(stderr,
                "Warren is running.\n  dashboard: %s\n"
                "  API:       %s\n  metrics:   %s\n",
                u_dash, u_api, u_met);

    while (!atomic_load(&g_stop))
        mon_clock_sleep_ms(100);
    mon_log(MON_LOG_INFO, "shutting down");
    api_server_set_ready(srv, 0);
    api_server_stop(srv, 2000);
    rc = 0;
out:
    mon_demo_stop(dm);
    if (kafka_src) mon_source_embedded_set_wire_groups(kafka_src, NULL);
    bc_kserver_stop(kafka);
    if (svc) mon_service_stop(svc);
    api_server_destroy(srv);
    mon_notifier_destroy(notifier);
    mon_silences_destroy(silences);
    api_routes_kafka_destroy(routes);
    api_metrics_destroy(metrics);
    mon_query_destroy(query);
    mon_service_destroy(svc);
    mon_config_destroy(cfg);
    if (rc == 0) mon_log(MON_LOG_INFO, "stopped");
    return rc;
}
