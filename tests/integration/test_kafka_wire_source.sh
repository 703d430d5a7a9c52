#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Warren's own Kafka source watching the embedded broker over the wire:
# one warren serve has the embedded cluster "local", its Kafka listener,
# and two source = kafka clusters pointed at that listener (offsets =
# admin and offsets = offsets-topic). Real confluent-kafka groups run on
# it, one keeping up and one falling behind. The embedded and the admin
# source must come to the same statuses (OK, WARN); offsets-topic sees the
# same groups and lag (its status of the lagging group can differ: it
# prices each commit with the last head it polled, up to a refresh old).
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-ksource-XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
PY=/usr/bin/python3
KP=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
. "$(dirname "$0")/../helpers/wire_clusters.sh"
{
    wire_clusters_ini "$KP"
    printf '%s\n' "[evaluator]" "expire-cache = 1s"
} >"$T/w.ini"
"$W" serve --config "$T/w.ini" --listen 127.0.0.1:0 --data-dir "$T/d" \
    >"$T/serve.log" 2>&1 &
pids="$pids $!"
HP=
for _ in $(seq 1200); do
    HP=$(sed -n 's/.*INFO listening on [^ ]*:\([0-9]*\)$/\1/p' "$T/serve.log")
    [ -n "$HP" ] && grep -q "Warren is running" "$T/serve.log" && break
    sleep 0.05
done
[ -n "$HP" ] || { echo "FAIL: serve did not start"; cat "$T/serve.log"; exit 1; }

# Producer ~20 records/s; "keeps-up" reads everything and commits twice a
# second; "behind" reads 4 records/s and commits what it read.
"$PY" - "127.0.0.1:$KP" >"$T/load.out" 2>&1 <<'PY' &
import sys, threading, time
from confluent_kafka import Consumer, Producer
b = sys.argv[1]
p = Producer({"bootstrap.servers": b, "linger.ms": 1})
def member(group, per_s):
    c = Consumer({"bootstrap.servers": b, "group.id": group,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    c.subscribe(["orders"])
    last = 0
    while True:
        m = c.poll(0.05)
        if per_s:
            time.sleep(1.0 / per_s)
        if time.time() - last > 0.5:
            try:
                c.commit(asynchronous=False)
            except Exception:
                pass
            last = time.time()
for g, r in (("keeps-up", 0), ("behind", 4)):
    threading.Thread(target=member, args=(g, r), daemon=True).start()
while True:
    p.produce("orders", b"x")
    p.poll(0)
    time.sleep(0.05)
PY
pids="$pids $!"

# Polls the three clusters' statuses (bounded) until they settle as
# wanted; prints one line per check.
"$PY" - "$HP" <<'PY'
import json, sys, time, urllib.request
hp = sys.argv[1]
def status(cluster, group):
    url = "http://127.0.0.1:%s/v3/kafka/%s/consumer/%s/lag" % (hp, cluster, group)
    try:
        return json.load(urllib.request.urlopen(url, timeout=5))["status"]
    except Exception:
        return {"status": "?", "totallag": 0}
checks = [
    ("keeps-up OK in all three", lambda s: all(s[c]["keeps-up"]["status"] == "OK"
                                                for c in s)),
    ("behind WARN in the embedded and admin sources",
     lambda s: s["local"]["behind"]["status"] == "WARN" and
               s["wadmin"]["behind"]["status"] == "WARN"),
    ("behind's lag seen through __consumer_offsets",
     lambda s: s["wtopic"]["behind"]["totallag"] > 100),
]
ok = [False] * len(checks)
end = time.time() + 120
last = None
while time.time() < end and not all(ok):
    last = {c: {g: status(c, g) for g in ("keeps-up", "behind")}
            for c in ("local", "wadmin", "wtopic")}
    for i, (_, f) in enumerate(checks):
        ok[i] = ok[i] or f(last)
    time.sleep(0.5)
failed = 0
for (name, _), good in zip(checks, ok):
    if not good:
        failed += 1
        print("FAIL: %s: %s" % (name, {c: {g: (v["status"], v["totallag"])
              for g, v in gs.items()} for c, gs in (last or {}).items()}))
print("%d passed, %d failed" % (len(checks) - failed, failed))
sys.exit(1 if failed else 0)
PY
rc=$?
[ $rc -eq 0 ] || tail -n 20 "$T/serve.log"
exit $rc
