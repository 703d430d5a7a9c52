#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# warren serve with its Kafka listener ([broker] listen): kcat produces and
# consumes in a group over the wire and the API shows that group's lag
# going to 0; a confluent-kafka consumer that stays shows as the owner
# with its client id; a second serve whose port is taken says so in one
# line and runs on without the listener; listen = none turns it off.
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-kserve-XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
checks=0
ok() { checks=$((checks + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); checks=$((checks + 1)); }
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# serve NAME INI: starts warren serve, sets HP (HTTP port).
serve() {
    "$W" serve --config "$2" --listen 127.0.0.1:0 --data-dir "$T/$1" \
        >"$T/$1.log" 2>&1 &
    pids="$pids $!"
    HP=
    for _ in $(seq 1200); do
        HP=$(sed -n 's/.*INFO listening on [^ ]*:\([0-9]*\)$/\1/p' "$T/$1.log")
        [ -n "$HP" ] && grep -q "Warren is running" "$T/$1.log" && break
        sleep 0.05
    done
}
# lag API FIELD-EXPR: evaluates a Python expression over the status.
lag() {
    curl -s "http://127.0.0.1:$1/v3/kafka/local/consumer/$2/lag" |
        python3 -c "import json, sys
s = json.load(sys.stdin).get('status') or {}
print($3)" 2>/dev/null
}

KP=$(free_port)
cat >"$T/a.ini" <<INI
[broker]
listen = 127.0.0.1:$KP
[evaluator]
expire-cache = 1s
[cluster local]
source = embedded
offset-refresh = 1s
INI
serve a "$T/a.ini"
A=$HP
grep -q "kafka listener on 127.0.0.1:$KP (cluster local)" "$T/a.log" && ok ||
    fail "listener line: $(cat "$T/a.log")"

seq 1 500 | kcat -b "127.0.0.1:$KP" -P -t orders
kcat -b "127.0.0.1:$KP" -G audit orders -X auto.offset.reset=earliest -q -e \
    >"$T/consumed" 2>&1
[ "$(wc -l <"$T/consumed")" = 500 ] && ok || fail "kcat group consumed $(wc -l <"$T/consumed")"
got=""
for _ in $(seq 100); do
    got=$(lag "$A" audit "s.get('totallag'), len(s.get('partitions', []))")
    [ "$got" = "0 1" ] && break
    sleep 0.1
done
[ "$got" = "0 1" ] && ok || fail "audit lag via the API: [$got]"

# A member that stays is the partition's owner, with its client id.
/usr/bin/python3 - "127.0.0.1:$KP" >"$T/stay.out" 2>&1 <<'PY' &
import sys, time
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "stay",
              "client.id": "stayer", "auto.offset.reset": "earliest",
              "auto.commit.interval.ms": 200})
c.subscribe(["orders"])
while True:
    c.poll(0.1)
PY
pids="$pids $!"
got=""
for _ in $(seq 200); do
    got=$(lag "$A" stay "s['partitions'][0]['owner'], s['partitions'][0]['client_id'], s['totallag']")
    [ "$got" = "/127.0.0.1 stayer 0" ] && break
    sleep 0.1
done
[ "$got" = "/127.0.0.1 stayer 0" ] && ok || fail "owner of stay: [$got]"

# The same Kafka port again: one warning line, and serve runs on.
sed "s/^listen = .*/listen = 127.0.0.1:$KP/" "$T/a.ini" >"$T/b.ini"
serve b "$T/b.ini"
n=$(grep -c "kafka listener not started: listen 127.0.0.1:$KP: Address already in use; running without it" "$T/b.log")
[ "$n" = 1 ] && ok || fail "taken port line: $(cat "$T/b.log")"
curl -sf "http://127.0.0.1:$HP/v3/kafka" >/dev/null && ok || fail "serve b API"

# listen = none: no listener at all.
printf '[broker]\nlisten = none\n[cluster local]\nsource = embedded\n' >"$T/c.ini"
serve c "$T/c.ini"
grep -q "kafka listener" "$T/c.log" && fail "listen = none: $(cat "$T/c.log")" || ok
printf '[broker]\nlisten = nowhere\n' >"$T/d.ini"
"$W" serve --config "$T/d.ini" --listen 127.0.0.1:0 --data-dir "$T/d" \
    >"$T/d.out" 2>&1
rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$T/d.out")" = 1 ] && grep -q "d.ini:2: \[broker\] listen" "$T/d.out" &&
    ok || fail "bad [broker] listen: rc $rc $(cat "$T/d.out")"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
