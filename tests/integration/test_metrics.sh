#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# GET /metrics of the real binary, scraped over a socket (curl):
# - promtool check metrics on the whole output: clean by default (the one
#   finding allowed is kafka_consumergroup_poll_time_ms, a name fixed by
#   kafka-lag-exporter, on clusters that poll), and exactly Burrow's
#   _total gauge and KMinion's two _sum gauges once they are switched on;
# - kafka-lag-exporter's families, types and labels against the list
#   written from its source (tests/data/metrics/kafka-lag-exporter.txt);
#   an unknown time lag or earliest offset is an absent series, never 0;
# - Warren's own families (build, evaluations, cluster health, notifier,
#   HTTP requests by route and code);
# - [metrics] burrow / kminion switch families on, partitions = non-ok /
#   none and the group and topic allow/deny lists change which series
#   there are, and check-config refuses bad values with FILE:LINE;
# - samples/prometheus/warren-rules.yml passes promtool check rules and
#   its unit tests, and every metric name the Grafana dashboard
#   (samples/grafana/warren.json) and the rules query is in a real scrape.
# The data is a replay of a trace written here (ok-group caught up,
# stuck-group stopped far behind, console-consumer-1 caught up; topics
# orders with 2 partitions, audit with 1) and the embedded demo.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
PT="python3 tests/helpers/prom_text.py"
REF=tests/data/metrics/kafka-lag-exporter.txt

if ! command -v promtool >/dev/null 2>&1; then
    echo "FAIL promtool not found: it is in Debian's prometheus package" \
        "(make deps installs it)"
    exit 1
fi

# ---- the trace: 30 heads 10 s apart ----
python3 - >"$tmp/trace.jsonl" <<'PY'
import json
t0 = 1700000000000
def out(**o):
    print(json.dumps(o))
for i in range(30):
    t = t0 + i * 10000
    for p in (0, 1):
        out(type="head", t=t, topic="orders", partition=p,
            offset=1000 + 100 * i, partitions=2)
    out(type="head", t=t, topic="audit", partition=0, offset=500 + 10 * i,
        partitions=1)
    for g in ("ok-group", "console-consumer-1"):
        for p in (0, 1):
            out(type="commit", t=t, group=g, topic="orders", partition=p,
                offset=1000 + 100 * i, owner="/10.0.0.1", client_id=g + "-c")
        if g == "ok-group":
            out(type="commit", t=t, group=g, topic="audit", partition=0,
                offset=500 + 10 * i, owner="/10.0.0.1", client_id=g + "-c")
    if i < 10:
        for p in (0, 1):
            out(type="commit", t=t, group="stuck-group", topic="orders",
                partition=p, offset=1000 + 100 * i - 50)
PY

# ini NAME [metrics lines...]: a config with Burrow's rules, no cache and
# a notifier whose URL refuses connections
ini() {
    local name=$1
    shift
    {
        printf '[evaluator]\nexpire-cache = 0\nrules = burrow\n'
        printf '[notifier ops]\nurl-open = http://127.0.0.1:9/hook\n'
        printf '[metrics]\n'
        printf '%s\n' "$@"
    } >"$tmp/$name.ini"
}

# serve NAME ARGS...: starts warren serve (ephemeral port, own data dir)
serve() {
    local name=$1
    shift
    "$WARREN_BIN" serve --listen 127.0.0.1:0 --data-dir "$tmp/$name.d" "$@" \
        2>"$tmp/$name.log" &
    pid=$!
    wait_port "$tmp/$name.log"
}

stop() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    pid=
}

scrape() { # file
    curl -s -o "$1" "http://127.0.0.1:$port/metrics"
}

# until FILE NAME VALUE [L=V ...]: scrapes into FILE until NAME{L=V...}
# has VALUE (up to 60 s, or until warren dies); 0 when it did
until_value() {
    local f=$1 name=$2 want=$3
    shift 3
    for _ in $(seq 300); do
        scrape "$f"
        [ "$($PT value "$f" "$name" "$@")" = "$want" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# replay NAME [metrics lines...]: serves the trace with those settings
# until it is played to its end (stuck-group's max lag is the last head
# minus its last commit, 3900 - 1850) and stuck-group is ERR; the last
# scrape is in NAME.txt
replay() {
    local name=$1
    shift
    ini "$name" "$@"
    serve "$name" --config "$tmp/$name.ini" --replay "$tmp/trace.jsonl" \
        --speed 1000
    check "$name: serve started" "$([ -n "$port" ]; echo $?)"
    [ -n "$port" ] || return 1
    until_value "$tmp/$name.txt" kafka_consumergroup_group_max_lag 2050 \
        group=stuck-group &&
        until_value "$tmp/$name.txt" warren_group_status 3 group=stuck-group
    check "$name: the trace is played and evaluated (stuck-group ERR)" $?
}

lint() { # file: promtool's findings, one a line, sorted
    promtool check metrics <"$1" 2>&1 | sort
}

count() { $PT count "$@"; }
value() { $PT value "$@"; }

# ---- defaults ----
replay default
M=$tmp/default.txt
curl -s -o /dev/null "http://127.0.0.1:$port/nosuch"
until_value "$M" warren_http_requests_total 1 route=unmatched code=404
check "default: the 404 is counted under route unmatched" $?
check "  and /metrics under its route with code 200" \
    "$([ "$(count "$M" warren_http_requests_total method=GET route=/metrics \
        code=200)" -eq 1 ]; echo $?)"
for _ in $(seq 100); do
    scrape "$M"
    [ "$(value "$M" warren_evaluations_total)" != 0 ] && break
    sleep 0.2
done
check "default: warren_evaluations_total counts the loop's evaluations" \
    "$([ "$(value "$M" warren_evaluations_total)" -gt 0 ]; echo $?)"
promtool check metrics <"$M" >"$tmp/lint" 2>&1
rc=$?
check "default: promtool check metrics is clean" \
    "$([ $rc -eq 0 ] && [ ! -s "$tmp/lint" ]; echo $?)"
[ -s "$tmp/lint" ] && cat "$tmp/lint"
$PT compare "$M" "$REF" kafka_consumergroup_group_lag \
    kafka_consumergroup_group_lag_seconds kafka_consumergroup_group_offset \
    kafka_consumergroup_group_max_lag kafka_consumergroup_group_max_lag_seconds \
    kafka_consumergroup_group_sum_lag kafka_consumergroup_group_topic_sum_lag \
    kafka_partition_latest_offset
check "default: kafka-lag-exporter's names, types and labels" $?
check "  a replay knows no earliest offset: no series (never 0)" \
    "$([ "$(count "$M" kafka_partition_earliest_offset)" -eq 0 ] &&
        grep -qx '# TYPE kafka_partition_earliest_offset gauge' "$M"
      echo $?)"
check "  nor a retention margin or eta (absent, never 0)" \
    "$([ "$(count "$M" warren_partition_retention_margin)" -eq 0 ] &&
        [ "$(count "$M" warren_partition_retention_eta_seconds)" -eq 0 ]
      echo $?)"
check "  stuck-group's lag on orders-0 is head - committed (3900 - 1850)" \
    "$([ "$(value "$M" kafka_consumergroup_group_lag group=stuck-group \
        topic=orders partition=0)" = 2050 ]; echo $?)"
check "  its unknown time lag is absent, not 0 (per partition)" \
    "$([ "$(count "$M" kafka_consumergroup_group_lag_seconds \
        group=stuck-group)" -eq 0 ]; echo $?)"
check "  and per group" \
    "$([ "$(count "$M" kafka_consumergroup_group_max_lag_seconds \
        group=stuck-group)" -eq 0 ]; echo $?)"
check "  ok-group is caught up: time lag 0 on each of its 3 partitions" \
    "$([ "$(count "$M" kafka_consumergroup_group_lag_seconds group=ok-group)" \
        -eq 3 ] && [ "$(value "$M" kafka_consumergroup_group_max_lag_seconds \
        group=ok-group)" = 0 ]; echo $?)"
check "  sum and per-topic sum of stuck-group" \
    "$([ "$(value "$M" kafka_consumergroup_group_sum_lag group=stuck-group)" \
        = 4100 ] && [ "$(value "$M" kafka_consumergroup_group_topic_sum_lag \
        group=stuck-group topic=orders)" = 4100 ]; echo $?)"
check "  member_host and client_id come from the commits" \
    "$([ "$(count "$M" kafka_consumergroup_group_lag group=ok-group \
        member_host=/10.0.0.1 client_id=ok-group-c consumer_id=)" -eq 3 ]
      echo $?)"
check "  group offset and latest offset" \
    "$([ "$(value "$M" kafka_consumergroup_group_offset group=stuck-group \
        topic=orders partition=1)" = 1850 ] &&
        [ "$(value "$M" kafka_partition_latest_offset topic=audit \
        partition=0)" = 790 ]; echo $?)"
check "  Burrow's and KMinion's families are off by default" \
    "$(! $PT names "$M" | grep -q '^burrow_\|^kminion_'; echo $?)"
check "  ok-group is OK" \
    "$([ "$(value "$M" warren_group_status group=ok-group)" = 1 ]; echo $?)"
check "  warren_cluster_up, _stale and build info" \
    "$([ "$(value "$M" warren_cluster_up cluster=local)" = 1 ] &&
        [ "$(count "$M" warren_cluster_stale cluster=local)" -eq 1 ] &&
        [ "$(count "$M" warren_build_info)" -eq 1 ]; echo $?)"
check "  partition status per partition, group status per group" \
    "$([ "$(count "$M" warren_partition_status)" -eq 7 ] &&
        [ "$(count "$M" warren_group_status)" -eq 3 ] &&
        [ "$(value "$M" warren_partition_status group=stuck-group \
        partition=0)" = 4 ]; echo $?)"
check "  the notifier's queue depth and deliveries by outcome" \
    "$([ "$(count "$M" warren_notifier_queue_depth notifier=ops)" -eq 1 ] &&
        [ "$(count "$M" warren_notifier_deliveries_total notifier=ops)" -eq 4 ]
      echo $?)"
check "  every counter is named _total, no gauge is" \
    "$(grep '^# TYPE' "$M" | awk '($4 == "counter") != ($3 ~ /_total$/)' |
        grep -q . && echo 1 || echo 0)"

# The names a replay exposes (the dashboard and rules are checked
# against them and the embedded demo's, below).
$PT names "$M" >"$tmp/names"
stop

# ---- Burrow's and KMinion's families ----
replay peers "burrow = true" "kminion = true"
M=$tmp/peers.txt
for f in burrow_kafka_consumer_status burrow_kafka_consumer_lag_total \
    burrow_kafka_consumer_partition_lag burrow_kafka_consumer_current_offset \
    burrow_kafka_topic_partition_status burrow_kafka_topic_partition_offset \
    kminion_kafka_consumer_group_topic_partition_lag \
    kminion_kafka_consumer_group_topic_lag \
    kminion_kafka_consumer_group_topic_offset_sum \
    kminion_kafka_topic_partition_high_water_mark \
    kminion_kafka_topic_high_water_mark_sum; do
    check "peers: $f has series" "$([ "$(count "$M" "$f")" -gt 0 ]; echo $?)"
done
check "  Burrow's labels (cluster, consumer_group, topic, partition)" \
    "$([ "$(value "$M" burrow_kafka_consumer_partition_lag cluster=local \
        consumer_group=stuck-group topic=orders partition=0)" = 2050 ]
      echo $?)"
check "  KMinion's labels (group_id, topic_name, partition_id)" \
    "$([ "$(value "$M" kminion_kafka_consumer_group_topic_partition_lag \
        group_id=stuck-group topic_name=orders partition_id=1)" = 2050 ] &&
        [ "$(value "$M" kminion_kafka_consumer_group_topic_lag \
        group_id=stuck-group topic_name=orders)" = 4100 ]; echo $?)"
check "  no low water mark where the earliest offset is unknown" \
    "$([ "$(count "$M" kminion_kafka_topic_partition_low_water_mark)" -eq 0 ]
      echo $?)"
lint "$M" >"$tmp/lint"
cat >"$tmp/lint-want" <<'EOF'
burrow_kafka_consumer_lag_total non-counter metrics should not have "_total" suffix
kminion_kafka_consumer_group_topic_offset_sum non-histogram and non-summary metrics should not have "_sum" suffix
kminion_kafka_topic_high_water_mark_sum non-histogram and non-summary metrics should not have "_sum" suffix
EOF
check "  promtool flags exactly the peers' fixed names (_total, _sum)" \
    "$(diff "$tmp/lint-want" "$tmp/lint" >/dev/null; echo $?)"
stop

# ---- partitions = non-ok ----
replay nonok "partitions = non-ok"
M=$tmp/nonok.txt
check "non-ok: partition series only for the group that is not OK" \
    "$([ "$($PT labels "$M" kafka_consumergroup_group_lag group)" = \
        stuck-group ] && [ "$(count "$M" warren_partition_status)" -eq 2 ]
      echo $?)"
check "  topic partitions only those it shows (orders, not audit)" \
    "$([ "$($PT labels "$M" kafka_partition_latest_offset topic)" = orders ] &&
        [ "$(count "$M" kafka_partition_latest_offset)" -eq 2 ]; echo $?)"
check "  group series for every group" \
    "$([ "$(count "$M" kafka_consumergroup_group_sum_lag)" -eq 3 ] &&
        [ "$(count "$M" warren_group_status)" -eq 3 ]; echo $?)"
stop

# ---- partitions = none ----
replay none "partitions = none"
M=$tmp/none.txt
n=0
for f in kafka_consumergroup_group_lag kafka_consumergroup_group_lag_seconds \
    kafka_consumergroup_group_offset kafka_partition_latest_offset \
    warren_partition_status; do
    n=$((n + $(count "$M" "$f")))
done
check "none: no per-partition series" "$([ "$n" -eq 0 ]; echo $?)"
check "  group and group-topic series stay" \
    "$([ "$(count "$M" kafka_consumergroup_group_sum_lag)" -eq 3 ] &&
        [ "$(count "$M" kafka_consumergroup_group_topic_sum_lag)" -eq 4 ] &&
        [ "$(value "$M" kafka_consumergroup_group_max_lag \
        group=stuck-group)" = 2050 ]; echo $?)"
stop

# ---- group and topic allow/deny ----
replay deny "group-denylist = ^console-" "topic-denylist = ^audit$"
M=$tmp/deny.txt
check "deny: the denied group has no series" \
    "$([ "$($PT labels "$M" kafka_consumergroup_group_sum_lag group |
        tr '\n' ' ')" = "ok-group stuck-group " ] &&
        [ "$(count "$M" kafka_consumergroup_group_lag \
        group=console-consumer-1)" -eq 0 ]; echo $?)"
check "  the denied topic has none either, in any family" \
    "$(! grep -q 'topic="audit"' "$M"; echo $?)"
check "  and the group's sums leave it out" \
    "$([ "$(count "$M" kafka_consumergroup_group_topic_sum_lag \
        group=ok-group)" -eq 1 ]; echo $?)"
stop
replay allow "group-allowlist = ^stuck-" "topic-allowlist = ^ord"
M=$tmp/allow.txt
check "allow: only the allowed group and topic" \
    "$([ "$($PT labels "$M" warren_group_status group)" = stuck-group ] &&
        [ "$($PT labels "$M" kafka_partition_latest_offset topic)" = orders ]
      echo $?)"
stop

# ---- the embedded demo: a source that polls and knows earliest offsets ----
serve demo --demo --demo-speed 10
check "demo: serve started" "$([ -n "$port" ]; echo $?)"
M=$tmp/demo.txt
for _ in $(seq 300); do
    scrape "$M"
    [ "$(count "$M" kafka_partition_earliest_offset)" -gt 0 ] &&
        [ "$(count "$M" warren_partition_retention_margin)" -gt 0 ] &&
        [ "$(count "$M" kafka_consumergroup_poll_time_ms)" -gt 0 ] &&
        [ "$(count "$M" kafka_consumergroup_group_lag)" -gt 0 ] && break
    sleep 0.2
done
$PT compare "$M" "$REF" kafka_partition_earliest_offset \
    kafka_consumergroup_poll_time_ms kafka_consumergroup_group_lag \
    kafka_partition_latest_offset
check "demo: earliest offsets and poll time, with their labels" $?
check "  refresh duration, count and age of the embedded cluster" \
    "$([ "$(count "$M" warren_cluster_refresh_duration_seconds)" -eq 1 ] &&
        [ "$(count "$M" warren_cluster_refreshes_total)" -eq 1 ] &&
        [ "$(count "$M" warren_cluster_last_refresh_age_seconds)" -eq 1 ]
      echo $?)"
lint "$M" >"$tmp/lint"
echo 'kafka_consumergroup_poll_time_ms metric names should not contain' \
    'abbreviated units' >"$tmp/lint-want"
check "  promtool's one finding is kafka-lag-exporter's fixed _ms name" \
    "$(diff "$tmp/lint-want" "$tmp/lint" >/dev/null; echo $?)"
check "  retention margin per partition (the log start is known), no NaN" \
    "$([ "$(count "$M" warren_partition_retention_margin)" -gt 0 ] &&
        ! grep -q '^warren_partition_retention.* NaN$' "$M"; echo $?)"

# The shipped dashboard and rules query only what a real Warren exposes
# (a replay, which knows no log start, or the embedded demo, which does).
$PT names "$M" >>"$tmp/names"
$PT promql samples/grafana/warren.json >"$tmp/dash-names"
missing=$(grep -vxFf "$tmp/names" "$tmp/dash-names")
check "grafana: every metric the dashboard queries is in /metrics" \
    "$([ -z "$missing" ] && [ -s "$tmp/dash-names" ]; echo $?)"
[ -n "$missing" ] && echo "  missing: $missing"
$PT promql samples/prometheus/warren-rules.yml >"$tmp/rule-names"
missing=$(grep -vxFf "$tmp/names" "$tmp/rule-names")
check "rules: every metric the alert rules query is in /metrics" \
    "$([ -z "$missing" ] && [ -s "$tmp/rule-names" ]; echo $?)"
[ -n "$missing" ] && echo "  missing: $missing"
stop

# ---- a Kafka cluster on a closed port: down, stale, refresh errors ----
closed=$(python3 -c 'import socket; s=socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '[broker]\nlisten = none\n[cluster prod]\nsource = kafka\n' \
    >"$tmp/down.ini"
printf 'servers = 127.0.0.1:%s\noffset-refresh = 1s\n' "$closed" \
    >>"$tmp/down.ini"
serve down --config "$tmp/down.ini"
check "down: serve started" "$([ -n "$port" ]; echo $?)"
M=$tmp/down.txt
for _ in $(seq 300); do
    scrape "$M"
    [ "$(value "$M" warren_cluster_refresh_errors_total cluster=prod)" \
        -ge 2 ] 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
check "down: failed refreshes are counted (errors = refreshes >= 2)" \
    "$([ "$(value "$M" warren_cluster_refresh_errors_total cluster=prod)" \
        -ge 2 ] && [ "$(value "$M" warren_cluster_refreshes_total \
        cluster=prod)" = "$(value "$M" warren_cluster_refresh_errors_total \
        cluster=prod)" ]; echo $?)"
check "  warren_cluster_up 0 and warren_cluster_stale 1" \
    "$([ "$(value "$M" warren_cluster_up cluster=prod)" = 0 ] &&
        [ "$(value "$M" warren_cluster_stale cluster=prod)" = 1 ]; echo $?)"
check "  no refresh age before a good refresh (absent, not 0)" \
    "$([ "$(count "$M" warren_cluster_last_refresh_age_seconds)" -eq 0 ]
      echo $?)"
stop

# ---- check-config refuses bad [metrics] values with FILE:LINE ----
bad() { # line  expected-text
    printf '[general]\nname = x\n[metrics]\n%s\n' "$1" >"$tmp/bad.ini"
    "$WARREN_BIN" check-config --config "$tmp/bad.ini" >/dev/null \
        2>"$tmp/bad.err"
    local rc=$?
    check "check-config refuses '$1' (exit 2)" "$([ $rc -eq 2 ]; echo $?)"
    check "  with FILE:4: [metrics] $2" \
        "$(grep -qF "bad.ini:4: [metrics] $2" "$tmp/bad.err"; echo $?)"
}
bad "partitions = some" "partitions: 'some' is not all, non-ok or none"
bad "burrow = maybe" "burrow: 'maybe' is not a boolean"
bad "topic-allowlist = (" "topic-allowlist: bad regex '('"
bad "nosuch = 1" "nosuch"

# ---- the shipped alert rules ----
promtool check rules samples/prometheus/warren-rules.yml >"$tmp/rules" 2>&1
check "promtool check rules samples/prometheus/warren-rules.yml" $?
(cd samples/prometheus && promtool test rules warren-rules.test.yml) \
    >"$tmp/rules-test" 2>&1
check "promtool test rules samples/prometheus/warren-rules.test.yml" $?
grep -q FAIL "$tmp/rules-test" && cat "$tmp/rules-test"

finish test_metrics
