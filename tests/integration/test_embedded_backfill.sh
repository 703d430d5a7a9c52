#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Embedded backfill (Burrow's backfill-earliest): groups that committed to
# the embedded broker before `warren serve` ever ran on its data dir are
# there from serve's first evaluation. A real Kafka client (kafka_commit,
# librdkafka) produces and commits through `warren broker serve`; the
# broker stops; `warren serve` starts on the same data dir and must show
# every group with its whole window (each commit, oldest first, with its
# time), its lag and a status, the first status line of each group must
# already carry its lag, and one log line must count the records, commits,
# those dropped (a group the denylist refuses) and groups read. A restart
# reads only what came after its snapshot: a group that committed while
# serve was stopped appears, the others' windows are unchanged and nothing
# is applied twice.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
BUILD=${BUILD:-build/default}
COMMIT=${KAFKA_COMMIT:-$BUILD/helpers/kafka_commit}
[ -x "$COMMIT" ] || COMMIT=build/default/helpers/kafka_commit
data="$tmp/data"
bpid=
trap '[ -n "$bpid" ] && kill "$bpid" 2>/dev/null; _testlib_cleanup' EXIT
kport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# broker alone, then one kafka_commit session: commands in, "ok ..." out
through_broker() { # commands...
    "$WARREN_BIN" broker serve --data-dir "$data/broker" \
        --listen "127.0.0.1:$kport" --num-partitions 2 >>"$tmp/broker.log" 2>&1 &
    bpid=$!
    printf '%s\n' "$@" | "$COMMIT" "127.0.0.1:$kport" >"$tmp/commit.out" \
        2>"$tmp/commit.err"
    local ok=0
    for c in "$@"; do grep -qxF "ok $c" "$tmp/commit.out" || ok=1; done
    kill "$bpid"
    wait "$bpid" 2>/dev/null
    bpid=
    [ "$ok" -eq 0 ] || { cat "$tmp/commit.out" "$tmp/commit.err"; }
    return $ok
}

cat >"$tmp/warren.ini" <<INI
[broker]
listen = none
[storage]
group-denylist = ^quick-
INI
serve() {
    started=$(date +%s%3N)
    : >"$tmp/warren.log"
    start_serve "$tmp/warren.ini" "$data"
    api="$api/local"
}
stop() {
    [ -n "${KEEP:-}" ] && cp "$tmp/warren.log" "$KEEP.log" &&
        curl -s "$api/consumer/audit" >"$KEEP.json"
    kill "$pid"
    wait "$pid" 2>/dev/null
    pid=
}
# the "committed offsets read" line's field k
field() { # key
    sed -n "s/.*committed offsets read .*[ ]$1=\(\"[^\"]*\"\|[^ ]*\).*/\1/p" \
        "$tmp/warren.log" | head -n 1
}
# offsets of a group's window on topic orders, partition p, oldest first,
# then "before" when every commit time is ordered and older than serve
window() { # group partition
    curl -s -m 5 "$api/consumer/$1" | python3 -c '
import json, sys
b = json.load(sys.stdin)
p = int(sys.argv[1])
ps = b.get("topics", {}).get("orders", [])
e = [x for x in ps[p]["offsets"] if x] if p < len(ps) else []
ts = [x["timestamp"] for x in e]
ok = ts == sorted(ts) and ts and ts[-1] < int(sys.argv[2])
print(",".join(str(x["offset"]) for x in e), "before" if ok else "not")
' "$2" "$started" 2>/dev/null
}

through_broker "produce orders 0 1000" "produce orders 1 500" \
    "commit audit orders 0 100" "commit audit orders 0 200" \
    "commit audit orders 0 300" "commit audit orders 1 50" \
    "commit billing orders 0 1000" "commit quick-tmp orders 0 5"
check "a Kafka client produced and committed through warren broker serve" $?

serve
first_status() { # group: its first status line's totallag
    sed -n "s/.* status NOTFOUND -> .* group=$1 .*totallag=\([0-9]*\).*/\1/p" \
        "$tmp/warren.log" | head -n 1
}
for _ in $(seq 100); do
    [ -n "$(first_status billing)" ] && [ -n "$(first_status audit)" ] && break
    sleep 0.1
done
check "the first evaluation of audit has its lag (700 + 450)" \
    "$([ "$(first_status audit)" = 1150 ]; echo $?)"
check "the first evaluation of billing has its lag (0)" \
    "$([ "$(first_status billing)" = 0 ]; echo $?)"
check "one line tells what was read: from the log start, 6 commits, the denied one dropped, 2 groups" \
    "$([ "$(field from)" = '"log start"' ] && [ "$(field commits)" = 6 ] &&
        [ "$(field dropped)" = 1 ] && [ "$(field groups)" = 2 ] &&
        [ -n "$(field ms)" ]; echo $?)"
list=$(curl -s -m 5 "$api/consumer")
check "the group list has audit and billing" \
    "$(echo "$list" | grep -q '"consumers":\["audit","billing"\]'; echo $?)"
w=$(window audit 0)
check "audit's window on orders/0 holds every commit, in order ($w)" \
    "$([ "$w" = "100,200,300 before" ]; echo $?)"
check "audit's window on orders/1 holds its commit" \
    "$([ "$(window audit 1)" = "50 before" ]; echo $?)"
lag=$(curl -s -m 5 "$api/consumer/audit/lag")
check "audit has a status and its lag in /lag" \
    "$(echo "$lag" | python3 -c '
import json, sys
s = json.load(sys.stdin)["status"]
ok = s["status"] in ("OK", "WARN", "ERR") and s["totallag"] == 1150
sys.exit(0 if ok else 1)'; echo $?)"
stop

# while serve is stopped, another group commits; the restart reads it
through_broker "commit late orders 1 400"
check "a group committed while serve was stopped" $?
serve
for _ in $(seq 100); do [ -n "$(first_status late)" ] && break; sleep 0.1; done
check "after a restart: only the one new record is read, from the snapshot" \
    "$([ "$(field from)" = snapshot ] && [ "$(field records)" = 1 ] &&
        [ "$(field groups)" = 3 ]; echo $?)"
check "the late group is there with its lag (100)" \
    "$([ "$(first_status late)" = 100 ]; echo $?)"
w=$(window audit 0)
check "audit's window is unchanged, nothing applied twice ($w)" \
    "$([ "$w" = "100,200,300 before" ]; echo $?)"
stop
finish "embedded backfill"
