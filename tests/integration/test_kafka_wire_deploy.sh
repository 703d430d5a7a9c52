#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Deployments recognised from real consumers over the wire. One warren
# serve has the embedded cluster "local", its Kafka listener, and two
# source = kafka clusters pointed at that listener ("wadmin": ListGroups
# and DescribeGroups; "wtopic": the group metadata records of
# __consumer_offsets). confluent-kafka consumers deploy four groups, one
# way each, on a 6-partition topic:
#   rolling         3 app-v1 replaced by app-v2 one at a time (one
#                   closes, its successor joins)
#   blue-green      3 app-green join beside 3 app-blue, then the blue
#                   close at once
#   canary          one app-v2 joins beside 3 app-v1
#   stop-the-world  3 app close until the group is Empty, then 3 start
# Each step waits until every cluster shows the settled member set, so
# warren sees each. Wanted in every cluster: the group's history names
# the deployment on the rebalance that shows it (rolling on the last
# replacement, blue-green when the blue leave, canary on the join,
# stop-the-world on the refill), no rebalance of the group names another
# kind (but canary, which the first new member of a rolling or
# blue-green deployment looks like), the counts of the rebalance match
# the step, and warren_group_deployments_total counts it. Waits on the
# API, not on a clock.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
. "$(dirname "$0")/../helpers/wire_clusters.sh"
PY=/usr/bin/python3
wire_clusters_serve

"$PY" -u - "127.0.0.1:$KP" "http://127.0.0.1:$port" \
    >"$tmp/out" 2>"$tmp/err" <<'PY'
import json, re, sys, threading, time, urllib.error, urllib.request
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

B, API = sys.argv[1], sys.argv[2]
CLUSTERS = ("local", "wadmin", "wtopic")
N = 6
fails = 0


def check(name, cond, detail=""):
    global fails
    print(("ok   " if cond else "FAIL ") + name +
          ("" if cond or not detail else ": " + str(detail)[:800]))
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


running = []  # every open consumer, of every group


def pump(seconds=0.2):
    for c in list(running):
        c.poll(seconds / max(1, len(running)))


def until(fn, timeout=90.0):
    """Polls fn (pumping the consumers) until it returns a true value or
    the time is up; returns the last value."""
    end = time.time() + timeout
    v = None
    while time.time() < end:
        v = fn()
        if v:
            return v
        pump()
    return v


def membership(cl, g):
    d = get("/v3/kafka/%s/consumer/%s" % (cl, g))
    return d and d.get("membership")


def settled(g, client_ids):
    """True once every cluster shows g settled with members of these
    client ids (Empty when none) and every partition assigned once."""
    for cl in CLUSTERS:
        m = membership(cl, g)
        want = "Stable" if client_ids else "Empty"
        if not m or m["state"] != want or \
                m["member_count"] != len(client_ids):
            return False
        if sorted(mb["client_id"] for mb in m["members"]) != \
                sorted(client_ids):
            return False
        got = sorted(p for mb in m["members"]
                     for p in mb["assignment"].get("orders", []))
        if client_ids and got != list(range(N)):
            return False
    return True


def start(g, client_id, n=1):
    made = []
    for _ in range(n):
        c = Consumer({"bootstrap.servers": B, "group.id": g,
                      "client.id": client_id,
                      "auto.offset.reset": "earliest",
                      "auto.commit.interval.ms": 200})
        c.subscribe(["orders"])
        made.append(c)
    running.extend(made)
    return made


def close(cs):
    """Closes the consumers at once, each on a thread of its own, while
    the others go on polling."""
    for c in cs:
        running.remove(c)
    ts = [threading.Thread(target=c.close) for c in cs]
    for t in ts:
        t.start()
    while any(t.is_alive() for t in ts):
        pump(0.05)
    for t in ts:
        t.join()


def step(g, what, client_ids):
    ok = until(lambda: settled(g, client_ids))
    if not ok:
        check("%s: %s settles in every cluster" % (g, what), False,
              {cl: membership(cl, g) for cl in CLUSTERS})
    return ok


def rebalances(cl, g):
    h = get("/v3/kafka/%s/consumer/%s/history" % (cl, g))
    return ((h or {}).get("history") or {}).get("rebalances") or []


def verify(g, kind, decisive, allowed=("canary",)):
    """In every cluster: the rebalance that decisive(r) picks (the
    newest such) names kind, none names a kind outside kind and allowed,
    and /metrics counts kind for g."""
    def shown(cl):  # the history once its newest decisive one is kind
        rs = rebalances(cl, g)
        picked = [r for r in rs if decisive(r)]
        return rs if picked and picked[-1]["deployment"] == kind else None

    for cl in CLUSTERS:  # the rebalance is taken after the membership
        until(lambda: shown(cl), timeout=30)
    with urllib.request.urlopen(API + "/metrics") as r:
        text = r.read().decode()
    for cl in CLUSTERS:
        rs = rebalances(cl, g)
        picked = [r for r in rs if decisive(r)]
        r = picked[-1] if picked else None
        check("%s/%s: the %s rebalance is recognised (%s)" %
              (cl, g, kind, r and r["sentence"]),
              r is not None and r["deployment"] == kind,
              [(x["change"], x["deployment"], x["members_before"],
                x["members"]) for x in rs])
        odd = [x for x in rs
               if x["deployment"] not in (None, kind) + tuple(allowed)]
        check("%s/%s: no other deployment kind" % (cl, g), not odd, odd)
        n = 0
        for line in text.splitlines():
            if line.startswith("warren_group_deployments_total{") and \
                    'cluster="%s"' % cl in line and \
                    'group="%s"' % g in line and \
                    'deployment="%s"' % kind in line:
                n = float(line.rsplit(" ", 1)[1])
        check("%s/%s: warren_group_deployments_total{deployment=\"%s\"} "
              "counts it (%g)" % (cl, g, kind, n), n >= 1)


admin = AdminClient({"bootstrap.servers": B})
admin.create_topics([NewTopic("orders", N, 1)])["orders"].result()
p = Producer({"bootstrap.servers": B})
for i in range(600):
    p.produce("orders", value=b"x", partition=i % N)
p.flush(30)

# rolling: app-v1 replaced one at a time
g = "d-rolling"
v1 = start(g, "app-v1", 3)
if step(g, "the first three", ["app-v1"] * 3):
    ids = ["app-v1"] * 3
    for i in range(3):
        close([v1[i]])
        ids.remove("app-v1")
        if not step(g, "replacement %d: the leave" % (i + 1), ids):
            break
        start(g, "app-v2")
        ids.append("app-v2")
        if not step(g, "replacement %d: the join" % (i + 1), ids):
            break
    else:
        verify(g, "rolling", lambda r: r["joined_total"] == 1 and
               r["members"] == 3)

# blue-green: green joins beside blue, blue closes at once
g = "d-blue-green"
blue = start(g, "app-blue", 3)
if step(g, "blue", ["app-blue"] * 3):
    start(g, "app-green", 3)
    if step(g, "green beside blue", ["app-blue"] * 3 + ["app-green"] * 3):
        close(blue)
        if step(g, "green alone", ["app-green"] * 3):
            verify(g, "blue-green", lambda r: r["left_total"] >= 2)

# canary: one app-v2 beside three app-v1
g = "d-canary"
start(g, "app-v1", 3)
if step(g, "app-v1", ["app-v1"] * 3):
    start(g, "app-v2")
    if step(g, "the canary", ["app-v1"] * 3 + ["app-v2"]):
        verify(g, "canary", lambda r: r["joined_total"] == 1 and
               r["members"] == 4, allowed=())
        for cl in CLUSTERS:
            r = rebalances(cl, g)[-1]
            check("%s/%s: the canary joined, app-v2, 3 -> 4 members, "
                  "partitions moved" % (cl, g),
                  [m["client_id"] for m in r["joined"]] == ["app-v2"] and
                  (r["members_before"], r["members"]) == (3, 4) and
                  r["partitions_moved"] > 0 and not r["left"], r)

# stop-the-world: all close until Empty, then three start
g = "d-stop"
old = start(g, "app", 3)
if step(g, "the first three", ["app"] * 3):
    close(old)
    if step(g, "Empty", []):
        start(g, "app", 3)
        if step(g, "the restart", ["app"] * 3):
            verify(g, "stop-the-world",
                   lambda r: r["change"] == "filled", allowed=())
            for cl in CLUSTERS:
                rs = rebalances(cl, g)
                em = [r for r in rs if r["change"] == "emptied"]
                check("%s/%s: the emptying is recorded, state Empty" %
                      (cl, g), bool(em) and em[-1]["state"] == "Empty" and
                      em[-1]["members"] == 0, rs)

for c in running:
    c.close()
sys.exit(1 if fails else 0)
PY
rc=$?
cat "$tmp/out"
fails=$(grep -c '^FAIL' "$tmp/out")
[ "$rc" -ne 0 ] && [ "$fails" -eq 0 ] && {
    tail -n 20 "$tmp/err"
    fails=1
}
[ "$fails" -gt 0 ] && grep -i rebalance "$tmp/warren.log" | tail -n 40
finish "wire deployments"
