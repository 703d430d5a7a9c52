#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A partition's leader moves (a leader election, a broker's rolling
# restart) while Warren watches the cluster, so the old leader answers
# ListOffsets with NOT_LEADER_OR_FOLLOWER: Warren reads the metadata again
# at its next refresh and goes on, rather than staying unavailable until
# the next topic refresh (here 10 minutes).
set -u
. "$(dirname "$0")/../helpers/testlib.sh"

# shellcheck disable=SC2119 # kafka_mock with its default options
start_kafka_mock
cat >"$tmp/warren.ini" <<INI
[broker]
listen = none
[cluster mock]
source = kafka
servers = $servers
offset-refresh = 1s
topic-refresh = 10m
groups = ok-group
INI
start_serve "$tmp/warren.ini"

# the head offset of orders/0 the API shows, or nothing
head0() {
    curl -s "$api/mock/topic/orders" | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["offsets"][0])' 2>/dev/null
}
available() { curl -s "$api/mock" | grep -q '"state":"available"'; }
# Waits, 30 s at most (far below the topic refresh), until the cluster is
# available and the head of orders/0 is above $1.
wait_head_above() {
    for _ in $(seq 120); do
        h=$(head0)
        if available && [ -n "$h" ] && [ "$h" -gt "$1" ]; then return 0; fi
        sleep 0.25
    done
    return 1
}
wait_head_above -1
check "available with the heads of orders" $?
before=$(head0)

echo "leader orders 0 3" >&3
for _ in $(seq 50); do
    grep -q "ok leader orders 0 3" "$tmp/mock.out" && break
    sleep 0.1
done
grep -q "ok leader orders 0 3" "$tmp/mock.out"
check "the mock moved the leader of orders/0 to broker 3" $?

wait_head_above "${before:-0}"
r=$?
check "orders/0 is read from its new leader, long before a topic refresh" $r
[ $r -eq 0 ] || { echo "head $(head0), was $before"; curl -s "$api/mock/topic/orders"; echo; tail -n 5 "$tmp/warren.log"; tail -n 5 "$tmp/mock.out"; }
finish test_kafka_leader_move
