#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Group state and members over the wire. One warren serve has the
# embedded cluster "local", its Kafka listener, and two source = kafka
# clusters pointed at that listener (offsets = admin: ListGroups and
# DescribeGroups, a real protocol peer; offsets = offsets-topic: the group
# metadata records of __consumer_offsets). Real clients rebalance a group:
# two confluent-kafka consumers (client.id app-v1), then a kafka-python
# one (client_id app-v2) joins, then all leave. In every cluster the
# group detail must show the state, protocol, members (member id, client
# id, host, assignment covering every partition once) and, where the
# source has one, a generation that grows with each rebalance; /lag and
# /status give each partition the owner, client id and consumer id of the
# member assigned it; /metrics carries the same labels, with
# kafka-lag-exporter's label set (tests/data/metrics). The group ends
# Empty with no members. Waits on the API, not on a clock.
#
# librdkafka's mock cluster cannot list or describe groups, so the
# members of a group watched there are unknown: test_serve_kafka.sh
# checks its membership is null.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
. "$(dirname "$0")/../helpers/wire_clusters.sh"
PY=/usr/bin/python3
wire_clusters_serve

"$PY" -u - "127.0.0.1:$KP" "http://127.0.0.1:$port" \
    "$(dirname "$0")/../data/metrics/kafka-lag-exporter.txt" \
    >"$tmp/out" 2>"$tmp/err" <<'PY'
import json, re, sys, threading, time, urllib.error, urllib.request
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
import kafka

B, API, KLE = sys.argv[1], sys.argv[2], sys.argv[3]
CLUSTERS = ("local", "wadmin", "wtopic")
N = 4
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond or not detail else ": " + str(detail)[:600]))
    if not cond:
        fails += 1


def get(path):
    try:
        with urllib.request.urlopen(API + path) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


consumers = []


def pump(seconds=0.05):
    for c in consumers:
        c.poll(seconds / max(1, len(consumers)))


def until(fn, timeout=60.0):
    """Polls fn (pumping the consumers) until it returns a true value or
    the time is up; returns the last value."""
    end = time.time() + timeout
    v = None
    while time.time() < end:
        v = fn()
        if v:
            return v
        pump(0.2)
    return v


def membership(cl):
    d = get("/v3/kafka/%s/consumer/gm" % cl)
    return d and d.get("membership")


def covered(m):
    got = sorted(p for mb in m["members"]
                 for p in mb["assignment"].get("orders", []))
    return got == list(range(N))


def settled(cl, count, client_ids):
    m = membership(cl)
    if not m or m["state"] != "Stable" or m["member_count"] != count:
        return None
    if sorted(mb["client_id"] for mb in m["members"]) != sorted(client_ids):
        return None
    return m if covered(m) else None


def lag_matches(cl, m):
    """Every partition of /lag has the owner, client id and consumer id
    of the member assigned it."""
    lag = get("/v3/kafka/%s/consumer/gm/lag" % cl)
    if not lag:
        return False
    owner = {}
    for mb in m["members"]:
        for p in mb["assignment"].get("orders", []):
            owner[p] = mb
    parts = [p for p in lag["status"]["partitions"] if p["topic"] == "orders"]
    if len(parts) != N:
        return False
    for p in parts:
        mb = owner.get(p["partition"])
        if not mb or (p["owner"], p["client_id"], p["consumer_id"]) != (
                mb["host"], mb["client_id"], mb["member_id"]):
            return False
    return True


admin = AdminClient({"bootstrap.servers": B})
admin.create_topics([NewTopic("orders", N, 1)])["orders"].result()
p = Producer({"bootstrap.servers": B})
for i in range(200):
    p.produce("orders", value=b"x", partition=i % N)
p.flush(30)

for _ in range(2):
    c = Consumer({"bootstrap.servers": B, "group.id": "gm",
                  "client.id": "app-v1", "auto.offset.reset": "earliest",
                  "auto.commit.interval.ms": 200})
    c.subscribe(["orders"])
    consumers.append(c)

gen, since = {}, {}
for cl in CLUSTERS:
    m = until(lambda: settled(cl, 2, ["app-v1", "app-v1"]))
    check("%s: Stable with two app-v1 members covering every partition" % cl,
          bool(m), membership(cl))
    if not m:
        continue
    check("%s: protocol consumer/range" % cl,
          (m["protocol_type"], m["protocol"]) == ("consumer", "range"), m)
    hosts_ok = all(mb["host"] and mb["member_id"].startswith("app-v1")
                   for mb in m["members"])
    check("%s: members have ids and hosts" % cl, hosts_ok, m["members"])
    if cl == "wadmin":
        check("wadmin: no generation (DescribeGroups has none)",
              m["generation"] is None, m)
    else:
        check("%s: a generation" % cl, isinstance(m["generation"], int), m)
    gen[cl] = m["generation"]
    since[cl] = m["since"]
    check("%s: /lag gives each partition its member" % cl,
          bool(until(lambda: lag_matches(cl, membership(cl) or m))),
          get("/v3/kafka/%s/consumer/gm/lag" % cl))

# a third member joins: a rebalance, a new client id. kafka-python's
# poll blocks in JoinGroup until the others rejoin, which they do in
# their own polls, so it polls on a thread of its own.
stop_k = threading.Event()


def run_k():
    k = kafka.KafkaConsumer("orders", bootstrap_servers=B, group_id="gm",
                            client_id="app-v2", auto_offset_reset="earliest",
                            api_version=(2, 0, 0))
    while not stop_k.is_set():
        k.poll(timeout_ms=100)
    k.close()


kt = threading.Thread(target=run_k)
kt.start()
for cl in CLUSTERS:
    m = until(lambda: settled(cl, 3, ["app-v1", "app-v1", "app-v2"]))
    check("%s: three members after the join" % cl, bool(m), membership(cl))
    if not m:
        continue
    if gen.get(cl) is not None:
        check("%s: the generation grew (%s -> %s)" %
              (cl, gen[cl], m["generation"]),
              m["generation"] > gen[cl], m)
    check("%s: the member set is dated from the join" % cl,
          cl in since and m["since"] > since[cl], m)
    check("%s: /lag follows the rebalance" % cl,
          bool(until(lambda: lag_matches(cl, membership(cl) or m))),
          get("/v3/kafka/%s/consumer/gm/lag" % cl))

# /metrics: kafka-lag-exporter's labels, filled from the members
want = {}
for line in open(KLE):
    if line.strip() and not line.startswith("#"):
        name, _, labels = line.split()
        want[name] = labels.split(",")


def metrics_ok():
    with urllib.request.urlopen(API + "/metrics") as r:
        text = r.read().decode()
    rows = {}
    for cl in CLUSTERS:
        m = membership(cl)
        if not m:
            return None
        ids = {mb["member_id"]: mb for mb in m["members"]}
        for line in text.splitlines():
            mt = re.match(r'kafka_consumergroup_group_lag\{(.*)\} ', line)
            if not mt:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', mt.group(1)))
            if labels.get("group") != "gm" or labels["cluster_name"] != cl:
                continue
            mb = ids.get(labels["consumer_id"])
            if not mb or (labels["member_host"], labels["client_id"]) != (
                    mb["host"], mb["client_id"]):
                return None
            rows[(cl, labels["partition"])] = list(labels)
    return rows if len(rows) == N * len(CLUSTERS) else None


rows = until(metrics_ok)
check("/metrics: kafka_consumergroup_group_lag has member_host, "
      "consumer_id, client_id of each partition's member", bool(rows))
if rows:
    check("/metrics: the label set is kafka-lag-exporter's",
          all(l == want["kafka_consumergroup_group_lag"]
              for l in rows.values()), rows)

# everyone leaves: Empty, no members
stop_k.set()
kt.join()
for c in consumers:
    c.close()
consumers = []
for cl in CLUSTERS:
    m = until(lambda: (lambda m: m if m and m["state"] == "Empty"
                       and m["member_count"] == 0 else None)(membership(cl)))
    check("%s: Empty with no members after they left" % cl, bool(m),
          membership(cl))
    st = get("/v3/kafka/%s/consumer/gm/status" % cl)
    check("%s: /status carries the state" % cl,
          st and st["status"]["membership"]["state"] == "Empty", st)
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$tmp/out"
fails=$(grep -c '^FAIL' "$tmp/out")
[ "$rc" -ne 0 ] && [ "$fails" -eq 0 ] && {
    tail -n 20 "$tmp/err"
    fails=1
}
[ "$fails" -gt 0 ] && tail -n 20 "$tmp/warren.log"
finish "wire groups"
