#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Retention risk and data loss, embedded and over the wire. One warren
# serve has the embedded cluster "local" (retention checked every
# second), its Kafka listener, and two source = kafka clusters pointed
# at that listener (offsets = admin and offsets-topic), which read log
# starts with ListOffsets earliest and the topic's retention configs
# with DescribeConfigs, both real over the wire. A confluent-kafka admin
# creates topic "shrink" with segment.bytes = 1024, retention.bytes =
# 4096 and retention.ms = 1 h; group "lost" commits offset 0 and stops;
# 400 records of 100 bytes are produced, one batch each, so retention
# deletes the segments past its commit; group "ahead" commits 5 records
# behind the end. In every cluster "lost" must turn ERR with rule
# data-loss and its sentence (a negative margin, no eta), "ahead" must
# show a positive margin and a retention eta (at most retention.ms, 1 h;
# from the log start's advance when the source saw two of its steps), /metrics the earliest offset, the margin (negative for "lost")
# and the eta, and a webhook receiver on loopback a data-loss incident
# of "lost" from each cluster. Waits on the API and the receiver,
# bounded.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
. "$(dirname "$0")/../helpers/wire_clusters.sh"
PY=/usr/bin/python3
KP=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The webhook receiver: each body one line of hooks.jsonl.
"$PY" "$(dirname "$0")/../helpers/hook_rcv.py" "$tmp" &
mpid=$! # testlib.sh stops it at exit
for _ in $(seq 200); do [ -s "$tmp/recv.port" ] && break; sleep 0.1; done
[ -s "$tmp/recv.port" ] || {
    echo "FAIL: the webhook receiver did not start"
    exit 1
}
{
    wire_clusters_ini "$KP" | sed '/^listen = /a retention-check-interval = 1s'
    printf '%s\n' "[evaluator]" "expire-cache = 0" "[notifier hook]" \
        "url-open = http://127.0.0.1:$(cat "$tmp/recv.port")/open" \
        "interval = 1s" "threshold = ERR"
} >"$tmp/w.ini"
start_serve "$tmp/w.ini" "$tmp/d"
HP=$port

"$PY" - "127.0.0.1:$KP" "http://127.0.0.1:$HP" >"$tmp/load.out" 2>"$tmp/load.err" <<'PY'
import sys, time, urllib.error, urllib.request
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
b, api = sys.argv[1], sys.argv[2]
end = time.time() + 30
a = AdminClient({"bootstrap.servers": b})
f = a.create_topics([NewTopic("shrink", 1, 1, config={
    "segment.bytes": "1024", "retention.bytes": "4096",
    "retention.ms": "3600000"})])
f["shrink"].result(30)
def commit(g, off):
    c = Consumer({"bootstrap.servers": b, "group.id": g,
                  "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition("shrink", 0, off)], asynchronous=False)
    c.close()
# the topic has a head in every cluster's store before the commit (a
# commit to a topic without one is dropped, Burrow's storage rule)
while True:
    seen = 0
    for cl in ("local", "wadmin", "wtopic"):
        try:
            urllib.request.urlopen(api + "/v3/kafka/%s/topic/shrink" % cl)
            seen += 1
        except urllib.error.HTTPError:
            pass
    if seen == 3 or time.time() > end:
        break
    time.sleep(0.1)
commit("lost", 0)
p = Producer({"bootstrap.servers": b, "linger.ms": 0})
N = 400
for i in range(N):
    p.produce("shrink", value=b"r" * 100, partition=0)
    p.flush(10)
commit("ahead", N - 5)
print(N)
PY
rc=$?
check "topic with retention.bytes 4096 created, 400 records, two groups" $rc
[ $rc -eq 0 ] || {
    tail -n 5 "$tmp/load.err"
    exit 1
}

# Waits (up to 60 s) until the group's partition 0 of "shrink" satisfies
# the condition (a Python expression over the partition p and status s
# of GET /lag), then prints the last answer as JSON.
wait_lag() { # cluster group condition
    "$PY" - "http://127.0.0.1:$HP/v3/kafka/$1/consumer/$2/lag" "$3" <<'PY'
import json, sys, time, urllib.error, urllib.request
url, cond = sys.argv[1], sys.argv[2]
end = time.time() + 60
s, p = {}, {}
while time.time() < end:
    try:
        with urllib.request.urlopen(url) as r:
            s = json.load(r)["status"]
    except urllib.error.HTTPError as e:  # 404 until the source saw it
        if e.code != 404:
            raise
        s = {}
    ps = [q for q in s.get("partitions") or [] if q["topic"] == "shrink"]
    p = ps[0] if ps else {}
    if p and eval(cond):
        break
    time.sleep(0.2)
print(json.dumps({"s": s, "p": p}))
PY
}

# Checks that the jq filter holds on $out; prints $out when it does not.
expect() { # description, jq filter
    jq -e "$2" <<<"$out" >/dev/null
    local rc=$?
    check "$1" $rc
    [ $rc -eq 0 ] || jq -c '.p' <<<"$out"
}

for cl in local wadmin wtopic; do
    out=$(wait_lag "$cl" lost 'p.get("data_loss")')
    expect "$cl lost: ERR, rule data-loss (partition and group)" '.p.data_loss == true and .p.status == "ERR" and
        .p.rule == "data-loss" and .s.status == "ERR" and
        .s.rule == "data-loss"'
    expect "$cl lost: margin is minus the log start, no eta" '.p.log_start_offset > 0 and
        .p.retention_margin == -.p.log_start_offset and
        .p.retention_eta_s == null'
    expect "$cl lost: the data-loss sentence" '(.p.explanation | test("below the log start [0-9]+: retention deleted [0-9]+ records the group had not read \\(data loss\\)")) and
        .s.explanation == .p.explanation'

    out=$(wait_lag "$cl" ahead \
        'p.get("retention_eta_s") is not None and p.get("retention_margin", 0) > 0')
    expect "$cl ahead: positive margin, no data loss" '.p.data_loss == false and .p.retention_margin > 0 and
        .p.retention_margin < 400 and .p.rule != "data-loss"'
    expect "$cl ahead: a retention eta, at most retention.ms (1 h)" '.p.retention_eta_s > 0 and .p.retention_eta_s <= 3600 and
        (.p.retention_eta_from == "retention-ms" or .p.retention_eta_from == "log-start-advance") and
        .s.min_retention_eta_s == .p.retention_eta_s'
    expect "$cl ahead: retention.ms and retention.bytes read" '.p.retention_ms == 3600000 and .p.retention_bytes == 4096'
done

# The earliest offset in kafka-lag-exporter's metric, every cluster.
curl -s "http://127.0.0.1:$HP/metrics" >"$tmp/metrics"
for cl in local wadmin wtopic; do
    v=$(sed -n "s/^kafka_partition_earliest_offset{cluster_name=\"$cl\",topic=\"shrink\",partition=\"0\"} \([0-9]*\)$/\1/p" "$tmp/metrics")
    [ -n "$v" ] && [ "$v" -gt 0 ]
    check "$cl: kafka_partition_earliest_offset of shrink/0 is $v" $?
done

# Warren's retention series: a negative margin is the data loss.
for cl in local wadmin wtopic; do
    m=$(sed -n "s/^warren_partition_retention_margin{cluster=\"$cl\",group=\"lost\",topic=\"shrink\",partition=\"0\"} \(-*[0-9]*\)$/\1/p" "$tmp/metrics")
    st=$(sed -n "s/^warren_partition_status{cluster=\"$cl\",group=\"lost\",topic=\"shrink\",partition=\"0\"} \([0-9]*\)$/\1/p" "$tmp/metrics")
    [ -n "$m" ] && [ "$m" -lt 0 ] && [ "$st" = 3 ]
    check "$cl lost: warren_partition_retention_margin $m, status $st (ERR)" $?
    e=$(sed -n "s/^warren_partition_retention_eta_seconds{cluster=\"$cl\",group=\"ahead\",topic=\"shrink\",partition=\"0\"} \([0-9.e+]*\)$/\1/p" "$tmp/metrics")
    [ -n "$e" ]
    check "$cl ahead: warren_partition_retention_eta_seconds $e" $?
done
promtool check metrics <"$tmp/metrics" 2>&1 |
    grep -v 'kafka_consumergroup_poll_time_ms' | grep -q .
check "promtool check metrics: no finding but the _ms name" $((1 - $?))

# The notifier: a data-loss incident of "lost" from every cluster.
"$PY" - "$tmp/hooks.jsonl" <<'PY'
import json, sys, time
end = time.time() + 60
want = {"local", "wadmin", "wtopic"}
seen = {}
while time.time() < end and set(seen) != want:
    try:
        lines = open(sys.argv[1]).read().splitlines()
    except FileNotFoundError:
        lines = []
    for l in lines:
        d = json.loads(l)
        if d.get("group") == "lost" and d.get("is_data_loss"):
            seen[d["cluster"]] = d
    time.sleep(0.2)
ok = set(seen) == want
for c, d in sorted(seen.items()):
    p = d["partitions"][0]
    good = (d["status"] == "ERR" and
            d["status_words"] == "has lost data to retention" and
            d["partition_counts"]["data_loss"] == 1 and
            p["rule"] == "data-loss" and p["data_loss"] is True and
            p["retention_margin"] < 0 and p["log_start_offset"] > 0 and
            "data loss" in d["explanation"])
    if not good:
        print(json.dumps(d)[:2000])
    ok = ok and good
print("missing: %s" % sorted(want - set(seen)) if set(seen) != want else "")
sys.exit(0 if ok else 1)
PY
check "webhook: a data-loss incident of lost from each cluster" $?

[ "$fails" -gt 0 ] && tail -n 20 "$tmp/warren.log"
finish "retention"
