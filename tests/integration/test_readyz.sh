#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# GET /readyz against the real binary: 503 with a JSON reason while no
# source has completed a refresh, 200 once one has; /healthz answers 200
# all along (liveness). A Kafka cluster whose only broker is a closed port
# stays not ready, the reason naming the cluster and its last error, over
# several failed refreshes; a replay and the embedded broker become ready;
# with both an embedded cluster and the unreachable one the daemon is
# ready and the list says which cluster is not.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

serve() { # log, then serve's options
    local log=$1
    shift
    "$WARREN_BIN" serve --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
    pid=$!
    wait_port "$log" || { cat "$log"; exit 1; }
    base="http://127.0.0.1:$port"
    # started (sources up, the server told so) once this line is out
    for _ in $(seq 200); do
        grep -q 'Warren is running' "$log" && return 0
        sleep 0.1
    done
    cat "$log"
    exit 1
}
stop() {
    kill "$pid"
    wait "$pid" 2>/dev/null
    pid=
}
readyz() { # writes the body to $tmp/r.json, prints the code
    curl -s -m 5 -o "$tmp/r.json" -w '%{http_code}' "$base/readyz"
}
jq_() { # python expression over the body b
    python3 -c "import json,sys; b=json.load(open(sys.argv[1])); print($1)" \
        "$tmp/r.json" 2>/dev/null
}
# the cluster's last_error_time from GET /v3/kafka/C
err_time() { # cluster
    curl -s -m 5 "$base/v3/kafka/$1" | python3 -c '
import json, sys
print(json.load(sys.stdin)["module"]["status"]["last_error_time"])' 2>/dev/null
}

# ---- a Kafka cluster that cannot be reached ----
cat >"$tmp/down.ini" <<INI
[broker]
listen = none
[cluster prod]
source = kafka
servers = 127.0.0.1:$closed
offset-refresh = 1s
INI
serve "$tmp/down.log" --config "$tmp/down.ini" --data-dir "$tmp/d1"
# wait for the first refresh to fail: the reason then carries its error
t0=
for _ in $(seq 300); do
    t0=$(err_time prod)
    [ -n "$t0" ] && [ "$t0" != 0 ] && break
    sleep 0.1
done
code=$(readyz)
check "unreachable Kafka cluster: /readyz is 503 ($code)" \
    "$([ "$code" = 503 ]; echo $?)"
check "the body says not ready" \
    "$([ "$(jq_ 'b["ready"], b["status"]')" = "False not ready" ]; echo $?)"
reason=$(jq_ 'b["reason"]')
check "the reason names the cluster and its error ($reason)" \
    "$(echo "$reason" | grep -q '^no cluster has been read yet: prod (kafka): ..*' &&
        ! echo "$reason" | grep -q 'no refresh completed yet'; echo $?)"
check "the list has prod, not ready, unavailable, with its last error" \
    "$([ "$(jq_ '[(c["cluster"], c["ready"], c["state"], bool(c["last_error"])) for c in b["clusters"]]')" = \
        "[('prod', False, 'unavailable', True)]" ]; echo $?)"
# two more failed refreshes later it is still not ready
t1=$t0
for _ in $(seq 300); do
    t1=$(err_time prod)
    [ -n "$t1" ] && [ "$t1" -gt "$t0" ] && break
    sleep 0.1
done
check "a later refresh failed too" "$([ "$t1" -gt "$t0" ]; echo $?)"
code=$(readyz)
check "still 503 after it ($code)" "$([ "$code" = 503 ]; echo $?)"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/healthz")
check "/healthz is 200 meanwhile (liveness)" "$([ "$code" = 200 ]; echo $?)"
stop

# ---- a replay ----
serve "$tmp/replay.log" --replay samples/stalled.jsonl --data-dir "$tmp/d2"
code=$(readyz)
check "replay: /readyz is 200 ($code)" "$([ "$code" = 200 ]; echo $?)"
check "replay: ready, no reason, its cluster ready" \
    "$([ "$(jq_ 'b["ready"], b["reason"], [c["ready"] for c in b["clusters"]]')" = \
        "True None [True]" ]; echo $?)"
stop

# ---- the embedded broker, beside the unreachable cluster ----
{ cat "$tmp/down.ini"; printf '[cluster local]\nsource = embedded\n'; } \
    >"$tmp/both.ini"
serve "$tmp/both.log" --config "$tmp/both.ini" --data-dir "$tmp/d3"
code=$(readyz)
check "embedded + unreachable: /readyz is 200 ($code)" \
    "$([ "$code" = 200 ]; echo $?)"
check "the list says local is ready and prod is not" \
    "$([ "$(jq_ '[(c["cluster"], c["ready"]) for c in b["clusters"]]')" = \
        "[('local', True), ('prod', False)]" ]; echo $?)"
stop
finish "readyz"
