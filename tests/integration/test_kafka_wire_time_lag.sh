#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exact time lag over the wire. One warren serve has the embedded cluster
# "local", its Kafka listener, and two source = kafka clusters pointed at
# that listener (offsets = admin, offsets = offsets-topic). A
# confluent-kafka producer writes 1,000,000 records stamped an hour ago,
# one millisecond apart, and two groups commit without consuming: g1m at
# offset 0 (1 M records behind, below every head sample, where the head
# ring cannot tell a time lag at all) and g10k 10,000 records from the
# end. In every cluster each group's time lag must come within 1 s of the
# truth (now minus the timestamp of the record at its committed offset)
# and neither gets an ETA (nothing is draining). A third group, gmove,
# moves within the head samples: a producer keeps writing "timemove" at
# about 500 records/s, stamped an hour ago, and gmove commits 300 records
# behind the end every 1.5 s. The head ring would date its offset a
# second ago; its time lag must be the hour, read from the record
# ("time_lag_source": "record"). The same warren watches librdkafka's
# mock cluster too (kafka_mock --quiet, cluster "mock"; it cannot list
# groups, so they are named): 1,000,000 records stamped an hour ago
# after the 100 of partition 1 of its topic "still", g1m committed at
# the first of them and g10k 10,000 from the end, judged the same way.
# Waits on the API, not on a clock: the Kafka sources read each record
# once they see the commit.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
. "$(dirname "$0")/../helpers/wire_clusters.sh"
PY=/usr/bin/python3
start_kafka_mock --quiet
wire_clusters_serve "[cluster mock]" "source = kafka" "servers = $servers" \
    "offset-refresh = 1s" "topic-refresh = 2s" "groups = g1m,g10k"
HP=$port

# Writes the records and commits the groups; prints the first record's
# timestamp (ms). Records go to partition 0 of TOPIC, or 1 of "still" on
# the mock (after its 100), compressed there: the mock keeps 5 MiB of a
# partition.
load() { # bootstrap topic partition first_offset [compression]
    "$PY" - "$@" <<'PY'
import sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
b, topic, part, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
conf = {"bootstrap.servers": b, "linger.ms": 20,
        "batch.num.messages": 10000,
        "queue.buffering.max.messages": 2000000}
if len(sys.argv) > 5:
    conf["compression.type"] = sys.argv[5]
p = Producer(conf)
N = 1000000
base = int(time.time() * 1000) - 3600000
for i in range(N):
    while True:
        try:
            p.produce(topic, value=b"x", partition=part, timestamp=base + i)
            break
        except BufferError:
            p.poll(0.05)
if p.flush(60) != 0:
    sys.exit("records left unsent")
for g, off in (("g1m", first), ("g10k", first + N - 10000)):
    c = Consumer({"bootstrap.servers": b, "group.id": g,
                  "enable.auto.commit": False})
    c.commit(offsets=[TopicPartition(topic, part, off)], asynchronous=False)
    c.close()
print(base)
PY
}
load "127.0.0.1:$KP" timelag 0 0 >"$tmp/base" 2>"$tmp/load.err"
rc=$?
check "1,000,000 stamped records written, two groups committed" $rc
[ $rc -eq 0 ] || { tail -n 3 "$tmp/load.err"; exit 1; }
base=$(cat "$tmp/base")
load "$servers" still 1 100 zstd >"$tmp/mbase" 2>"$tmp/mload.err"
rc=$?
check "mock: 1,000,000 stamped records written, two groups committed" $rc
[ $rc -eq 0 ] || { tail -n 3 "$tmp/mload.err"; exit 1; }
# the record at offset o of the mock's still/1 is stamped mockbase + o
mockbase=$(($(cat "$tmp/mbase") - 100))

# gmove's producer and committer, until the script ends; record i of
# timemove is stamped mbase + 2i ms (mbase: an hour before it started)
mbase=$(($(date +%s%3N) - 3600000))
"$PY" - "127.0.0.1:$KP" "$mbase" >"$tmp/move.out" 2>"$tmp/move.err" <<'PY' &
import sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
b, mbase = sys.argv[1], int(sys.argv[2])
p = Producer({"bootstrap.servers": b, "linger.ms": 5})
c = Consumer({"bootstrap.servers": b, "group.id": "gmove",
              "enable.auto.commit": False})
i, t0, last_commit = 0, time.time(), 0.0
while True:
    while i < (time.time() - t0) * 500:
        p.produce("timemove", value=b"m", partition=0, timestamp=mbase + 2 * i)
        i += 1
    p.poll(0)
    if time.time() - last_commit >= 1.5 and i > 300:
        p.flush(10)
        c.commit(offsets=[TopicPartition("timemove", 0, i - 300)],
                 asynchronous=False)
        last_commit = time.time()
        print(i - 300, flush=True)
    time.sleep(0.05)
PY
mpid=$! # stopped at exit (the mock cluster quits when fd 3 closes)

# Waits (up to 60 s) until the group's partition (the one it committed
# to) has a time lag within 1 s of the truth (now minus the stamp of the
# record at the committed offset, taken around each request: until the
# source has read that record a Kafka cluster's is interpolated over the
# head samples, here wrong by most of an hour since the records were
# stamped in the past),
# then prints "error_ms eta status source" (error of the last answer,
# "none" when there was no time lag at all; where it came from). A
# committed offset of -1: the one the answer shows, whose record was
# stamped base + 2 * offset (gmove).
measure() { # cluster group committed_offset [base]
    "$PY" - "http://127.0.0.1:$HP/v3/kafka/$1/consumer/$2/lag" "${4:-$base}" "$3" <<'PY'
import json, sys, time, urllib.error, urllib.request
url, base, off = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
stamp = base + off  # record i was stamped base + i ms
end = time.time() + 60
s, tl, err, eta = {}, None, None, None
while time.time() < end:
    t0 = time.time()
    try:
        with urllib.request.urlopen(url) as r:
            s = json.load(r)["status"]
    except urllib.error.HTTPError as e:  # 404 until the source saw it
        if e.code != 404:
            raise
        s = {"status": "unknown-group"}
    t1 = time.time()
    # the partition the group committed to (the mock's still/0 has none)
    parts = [p for p in s.get("partitions") or [] if p.get("end")]
    tl = parts[0].get("time_lag_s") if parts else None
    if off < 0 and parts and parts[0].get("end"):
        stamp = base + 2 * parts[0]["end"]["offset"]
    if tl is not None:
        lo, hi = t0 * 1000 - stamp, t1 * 1000 - stamp
        ms = tl * 1000
        err = 0 if lo <= ms <= hi else int(min(abs(ms - lo), abs(ms - hi)))
        eta = parts[0].get("eta_s")
        src = parts[0].get("time_lag_source")
        if err <= 1000:
            break
    time.sleep(0.2)
print("none" if err is None else err, eta, s.get("status"),
      src if tl is not None else None)
PY
}

for cl in local wadmin wtopic mock; do
    for g in "g1m 0" "g10k 990000"; do
        read -r grp off <<<"$g"
        b=$base
        [ "$cl" = mock ] && { off=$((off + 100)) && b=$mockbase; }
        read -r err eta st _ <<<"$(measure "$cl" "$grp" "$off" "$b")"
        [ "$err" != none ] && [ "$err" -le 1000 ]
        check "$cl $grp: time lag within 1 s of the truth (off by $err ms, $st)" $?
        [ "$eta" = None ]
        check "$cl $grp: no ETA (nothing drains; eta $eta)" $?
    done
done

# gmove, once the head samples span well past its commits (8 commits,
# 12 s, in): over 6 s of answers, the share whose time lag is the
# record's, within 1 s of the truth. The record is read at the refresh
# that sees each new commit; until then (offsets-topic mode sees commits
# as they come) the head samples date it, a second ago.
for _ in $(seq 300); do
    [ "$(wc -l <"$tmp/move.out")" -ge 8 ] && break
    sleep 0.1
done
[ "$(wc -l <"$tmp/move.out")" -ge 8 ]
check "gmove committed 8 times as its producer wrote" $?
[ "$fails" -gt 0 ] && tail -n 3 "$tmp/move.err"
share() { # cluster: "exact answers"
    "$PY" - "http://127.0.0.1:$HP/v3/kafka/$1/consumer/gmove/lag" "$mbase" <<'PY'
import json, sys, time, urllib.request
url, mbase = sys.argv[1], int(sys.argv[2])
good = n = 0
end = time.time() + 6
while time.time() < end:
    t0 = time.time()
    with urllib.request.urlopen(url) as r:
        part = json.load(r)["status"]["partitions"][0]
    t1 = time.time()
    n += 1
    tl, e = part.get("time_lag_s"), part.get("end")
    if tl is not None and e and part.get("time_lag_source") == "record":
        stamp = mbase + 2 * e["offset"]
        if t0 * 1000 - stamp - 1000 <= tl * 1000 <= t1 * 1000 - stamp + 1000:
            good += 1
    time.sleep(0.2)
print(good, n)
PY
}
for cl in local wadmin wtopic; do
    read -r good n <<<"$(share "$cl")"
    [ "${good:-0}" -ge $((${n:-1} / 3)) ] && [ "${good:-0}" -gt 0 ]
    check "$cl gmove, moving within the head samples: the record's time lag in $good of $n answers (an hour, not a second)" $?
done

# the mock refuses ListGroups at every topic refresh (2 s): told once
n=$(grep -c 'brokers cannot list groups' "$tmp/warren.log")
[ "$n" -eq 1 ]
check "mock: 'cannot list groups' logged once, not at each of its topic refreshes ($n)" $?

[ "$fails" -gt 0 ] && tail -n 20 "$tmp/warren.log"
finish "time lag"
