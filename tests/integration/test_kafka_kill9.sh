#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kill -9 loses nothing the log can give back: warren serve watches the
# embedded broker (commits through its Kafka listener, by kafka_commit)
# and librdkafka's mock cluster with offsets = offsets-topic (commits
# written into its __consumer_offsets by kafka_mock). Each round commits a
# burst of offsets to topics whose heads stand still (so every commit's
# lag is known), waits until the API shows them, takes the group's body
# (GET /v3/kafka/C/consumer/G: every window entry with offset, time and
# lag, owners, current lag), then, at a random moment within the snapshot
# interval, kill -9 and a restart: the body must be the same byte for
# byte. A last round kills in the middle of a burst: every acknowledged
# commit must be there after the restart. Before, a restart lost the
# commits since the last snapshot (and the offsets-topic source appended
# the whole topic again to the windows).
#
#   KILL9_ROUNDS=4  rounds per cluster
#   KILL9_SEED=N    the random sequence (default: the time), printed
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
BUILD=${BUILD:-build/default}
COMMIT=${KAFKA_COMMIT:-$BUILD/helpers/kafka_commit}
[ -x "$COMMIT" ] || COMMIT=build/default/helpers/kafka_commit
ROUNDS=${KILL9_ROUNDS:-4}
SEED=${KILL9_SEED:-$(date +%s)}
RANDOM=$SEED
cpid=

start_kafka_mock --quiet
kport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/warren.ini" <<INI
[general]
snapshot-interval = 2s
[broker]
listen = 127.0.0.1:$kport
num-partitions = 2
[cluster local]
source = embedded
[cluster mock]
source = kafka
servers = $servers
offsets = offsets-topic
offset-refresh = 1s
topic-refresh = 5s
INI

# kafka_commit on a fifo, for the embedded broker
mkfifo "$tmp/commit.cmd"
exec 4<>"$tmp/commit.cmd"
start() {
    "$WARREN_BIN" serve --config "$tmp/warren.ini" --listen 127.0.0.1:0 \
        --data-dir "$tmp/data" >>"$tmp/warren.log" 2>&1 &
    pid=$!
    : >"$tmp/port.log"
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on [^ "]*:\([0-9]*\)\("\|$\).*/\1/p' \
            "$tmp/warren.log" | tail -n 1)
        # the newest line is this run's once the pid wrote it
        [ -n "$port" ] && curl -s -o /dev/null "http://127.0.0.1:$port/v3/kafka" &&
            [ "$(cat "$tmp/data/warren.lock" 2>/dev/null)" = "$pid" ] && break
        sleep 0.1
    done
    api="http://127.0.0.1:$port/v3/kafka"
}
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$mpid" ] && kill "$mpid" 2>/dev/null; [ -n "$cpid" ] && kill "$cpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

start
"$COMMIT" "127.0.0.1:$kport" <&4 >"$tmp/commit.out" 2>"$tmp/commit.err" &
cpid=$!
acked() { # file command: waits for "ok command" in file
    for _ in $(seq 300); do
        grep -qxF "ok $2" "$1" && return 0
        grep -qF "error $2" "$1" && { grep -F "error $2" "$1"; return 1; }
        sleep 0.1
    done
    echo "no answer to '$2' in $1"; return 1
}
commit() { # cluster group topic partition offset
    if [ "$1" = local ]; then
        echo "commit $2 $3 $4 $5" >&4
        acked "$tmp/commit.out" "commit $2 $3 $4 $5"
    else
        echo "commit $2 $3 $4 $5" >&3
        acked "$tmp/mock.out" "commit $2 $3 $4 $5"
    fi
}
echo "produce still 0 100" >&4
echo "produce still 1 100" >&4
acked "$tmp/commit.out" "produce still 1 100" || exit 1

body() { curl -s -m 5 "$api/$1/consumer/$2"; }
# the newest window entry of topic still, partition p, in a body
newest() { # body-file partition
    python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))
ps = b.get("topics", {}).get("still", [])
p = int(sys.argv[2])
e = [x for x in ps[p]["offsets"] if x] if p < len(ps) else []
print(e[-1]["offset"] if e else -1)' "$1" "$2" 2>/dev/null
}
shows() { # cluster group partition offset seconds: the API shows it newest
    for _ in $(seq $(($5 * 10))); do
        body "$1" "$2" >"$tmp/b.json"
        [ "$(newest "$tmp/b.json" "$3")" = "$4" ] && return 0
        sleep 0.1
    done
    return 1
}

echo "seed $SEED, $ROUNDS rounds per cluster"
declare -A next
for cl in local mock; do
    g=kill9-$cl
    next[$cl:0]=1
    next[$cl:1]=1
    for r in $(seq "$ROUNDS"); do
        n=$((RANDOM % 6 + 1))
        for _ in $(seq "$n"); do
            p=$((RANDOM % 2))
            o=${next[$cl:$p]}
            next[$cl:$p]=$((o + RANDOM % 5 + 1))
            commit "$cl" "$g" still "$p" "$o" || exit 1
            last_p=$p last_o=$o
            sleep 0.0$((RANDOM % 10))
        done
        shows "$cl" "$g" "$last_p" "$last_o" 30
        check "$cl round $r: the API shows the burst of $n" $?
        cp "$tmp/b.json" "$tmp/before.json"
        sleep "$((RANDOM % 3)).$((RANDOM % 10))" # anywhere in the 2 s interval
        kill -9 "$pid"
        wait "$pid" 2>/dev/null
        start
        same=1
        for _ in $(seq 300); do # the offsets-topic source reads again
            body "$cl" "$g" >"$tmp/after.json"
            cmp -s "$tmp/before.json" "$tmp/after.json" && { same=0; break; }
            sleep 0.1
        done
        check "$cl round $r: the same body after kill -9 and a restart ($SECONDS s)" $same
        [ "$same" -eq 0 ] || diff <(python3 -m json.tool "$tmp/before.json") \
            <(python3 -m json.tool "$tmp/after.json") | head -20
    done
    # kill in the middle of a burst: every acknowledged commit stays
    declare -A want
    want[0]=-1
    want[1]=-1
    for _ in $(seq 6); do
        p=$((RANDOM % 2))
        o=${next[$cl:$p]}
        next[$cl:$p]=$((o + 1))
        commit "$cl" "$g" still "$p" "$o" || exit 1
        want[$p]=$o
    done
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    start
    ok=0
    for p in 0 1; do
        [ "${want[$p]}" -lt 0 ] && continue
        shows "$cl" "$g" "$p" "${want[$p]}" 30 || ok=1
    done
    check "$cl: a kill -9 in a burst loses no acknowledged commit" $ok
done
grep -q 'Kafka client killed by signal' "$tmp/warren.log"
check "no Kafka client died" $((!$?))
echo quit >&4
echo quit >&3
finish "kafka kill -9"
