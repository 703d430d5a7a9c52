#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Broker chaos: librdkafka's mock cluster (kafka_mock: 3 brokers, real
# consumer groups) has brokers go down and come back at random moments,
# one or all of them, while warren serve watches it twice, offsets =
# admin and offsets = offsets-topic, beside its embedded cluster. The
# Kafka clients run in child processes (kafka-client = process, the
# default); librdkafka 2.0 aborts a process when a coordinator dies under
# an in-flight group offsets request, which only a child may do. Wanted:
# no daemon death, the API answering throughout (every probe), each
# cluster unavailable while blind and available again once every broker
# is back, with its groups evaluated.
#
#   CHAOS_S=60    seconds of chaos (make chaos runs 600)
#   CHAOS_SEED=N  the random sequence (default: the time), printed
#   KAFKA_CLIENT=thread  the clients in the daemon's threads instead
#                 (to see the aborts: expect daemon deaths)
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
CHAOS_S=${CHAOS_S:-60}
CHAOS_SEED=${CHAOS_SEED:-$(date +%s)}
KAFKA_CLIENT=${KAFKA_CLIENT:-process}
RANDOM=$CHAOS_SEED
start_kafka_mock --stop-after 100000 --lifetime $((CHAOS_S + 300))

# This test is about staying up under outages, not about verdicts: a
# cluster counts as back once warren reads the mock's ok-group commits
# again (group_follows), which holds on a loaded machine too, where that
# consumer, starved of CPU, falls thousands of messages behind and pauses
# for seconds (seen: STOP at lag 8,000 under ASan).
cat >"$tmp/warren.ini" <<INI
[cluster local]
source = embedded
[cluster admin]
source = kafka
servers = $servers
offsets = admin
kafka-client = $KAFKA_CLIENT
offset-refresh = 1s
topic-refresh = 5s
groups = ok-group,slow-group,fixed-group
[cluster topic]
source = kafka
servers = $servers
offsets = offsets-topic
kafka-client = $KAFKA_CLIENT
offset-refresh = 1s
topic-refresh = 5s
INI
start_serve "$tmp/warren.ini"

alive() { # pid: running (a zombie is dead)
    [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"
}
state() { # cluster -> available | unavailable | ""
    curl -s -m 5 "$api/$1" | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'
}
wait_all() { # seconds: both clusters available, ok-group followed in both
    local end=$((SECONDS + $1))
    until [ "$(state admin)" = available ] && [ "$(state topic)" = available ]; do
        [ "$SECONDS" -ge "$end" ] && break
        sleep 0.25
    done
    local left=$((end - SECONDS > 1 ? end - SECONDS : 1))
    [ "$(state admin)" = available ] && [ "$(state topic)" = available ] &&
        group_follows "$api/admin/consumer/ok-group/status" "$left" 3 &&
        group_follows "$api/topic/consumer/ok-group/status" "$left" 3 &&
        return 0
    echo "after $1 s: admin $(state admin), topic $(state topic)"
    return 1
}
wait_all 240
check "both clusters available and ok-group followed before the chaos" $?

echo "chaos for $CHAOS_S s, seed $CHAOS_SEED, kafka-client = $KAFKA_CLIENT"
probes=0 answered=0 deaths=0 outages=0 blind_seen=0
end=$(($(date +%s) + CHAOS_S))
down=""
while [ "$(date +%s)" -lt "$end" ]; do
    # one broker, or now and then every broker, down for 0.2 .. 4 s
    if [ $((RANDOM % 5)) -eq 0 ]; then b=-1; else b=$((RANDOM % 3 + 1)); fi
    echo "down $b" >&3
    down=$b
    outages=$((outages + 1))
    hold=$((RANDOM % 20 + 1))
    for _ in $(seq "$hold"); do
        sleep 0.2
        probes=$((probes + 1))
        code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$api")
        [ "$code" = 200 ] && answered=$((answered + 1))
        if ! alive "$pid"; then deaths=$((deaths + 1)); break 2; fi
        [ "$b" = -1 ] && [ "$(state admin)" = unavailable ] &&
            blind_seen=$((blind_seen + 1))
    done
    echo "up $b" >&3
    down=""
    sleep 0.$((RANDOM % 10))
done
[ -n "$down" ] && echo "up $down" >&3
echo "up -1" >&3
[ "$deaths" -gt 0 ] || alive "$pid" || deaths=1
restarts=$(grep -c 'Kafka client \(killed by signal\|exited with status\)' \
    "$tmp/warren.log")
aborts=$(grep -c 'Kafka client killed by signal 6' "$tmp/warren.log")
echo "outages $outages, API probes $answered/$probes answered, daemon deaths $deaths, client restarts $restarts (aborts $aborts), blind states seen $blind_seen"
[ "$deaths" -eq 0 ]
check "no daemon death ($deaths)" $?
[ "$answered" -eq "$probes" ]
check "the API answered every probe ($answered/$probes)" $?
if [ "$deaths" -eq 0 ]; then
    wait_all 120
    check "both clusters available and ok-group followed after the chaos" $?
    curl -s "$api/local" | grep -q '"state":"available"'
    check "the embedded cluster is untouched" $?
    kill -TERM "$pid"
    wait "$pid"
    check "warren exits cleanly" $?
    pid=
fi
echo quit >&3
finish "kafka chaos"
