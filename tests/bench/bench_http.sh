#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HTTP benchmarks of the real daemon (issue figures in brackets):
#  - wrk against /consumer/{group}/status of a 100-partition group
#    [>= 30k req/s, p99 <= 5 ms]
#  - /metrics render time with 100k partition series [<= 200 ms]
#  - daemon RSS at idle and with 1k groups x 100 partitions
# Medians of several runs. Prints a table.
set -u
BIN=${WARREN_BIN:-build/default/warren}
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

start() { # trace -> sets pid and port
    "$BIN" serve --listen 127.0.0.1:0 --data-dir "$tmp/data-$RANDOM" \
        --replay "$1" --speed 1 >"$tmp/log" 2>&1 &
    pid=$!
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on [^ ]*:\([0-9]*\)$/\1/p' "$tmp/log")
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "warren did not start"; cat "$tmp/log"; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" 2>/dev/null; pid=; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

python3 tests/bench/gen_trace.py 1 100 10 "$tmp/one.jsonl"
python3 tests/bench/gen_trace.py 1000 100 1 "$tmp/big.jsonl"

# 1. status endpoint under wrk
start "$tmp/one.jsonl"
url="http://127.0.0.1:$port/v3/kafka/local/consumer/group-0000/status"
for _ in $(seq 50); do
    curl -sf "$url" | grep -q '"partition_count":100' && break; sleep 0.1
done
idle_rss=$(rss_kb "$pid")
rps=(); p99=()
if command -v wrk >/dev/null; then
    for _ in 1 2 3; do
        out=$(wrk -t2 -c32 -d5s --latency "$url" 2>&1)
        rps+=("$(echo "$out" | awk '/Requests\/sec/ {print $2}')")
        v=$(echo "$out" | awk '$1=="99%" {print $2}')
        case "$v" in
            *us) v=$(echo "${v%us}" | awk '{print $1/1000}') ;;
            *ms) v=${v%ms} ;;
            *s) v=$(echo "${v%s}" | awk '{print $1*1000}') ;;
        esac
        p99+=("$v")
    done
fi
stop

# 2. /metrics with 1k groups x 100 partitions (100k partition series)
start "$tmp/big.jsonl"
murl="http://127.0.0.1:$port/metrics"
for _ in $(seq 600); do
    n=$(curl -s "$murl" | grep -c '^kafka_consumergroup_group_lag{')
    [ "$n" -ge 100000 ] && break; sleep 0.2
done
series=$(curl -s "$murl" | grep -c '^kafka_consumergroup_group_lag{')
mt=()
for _ in 1 2 3 4 5; do
    mt+=("$(curl -s -o /dev/null -w '%{time_total}' "$murl" | awk '{print $1*1000}')")
done
big_rss=$(rss_kb "$pid")
stop

printf '\n%-52s %14s %14s\n' "figure" "measured" "target"
if [ ${#rps[@]} -gt 0 ]; then
    printf '%-52s %14s %14s\n' "status of 100-partition group, req/s (median)" \
        "$(printf '%s\n' "${rps[@]}" | median)" ">= 30000"
    printf '%-52s %14s %14s\n' "status of 100-partition group, p99 ms (median)" \
        "$(printf '%s\n' "${p99[@]}" | median)" "<= 5"
else
    echo "wrk not installed: run make deps"
fi
printf '%-52s %14s %14s\n' "/metrics render, ms (median of 5; $series series)" \
    "$(printf '%s\n' "${mt[@]}" | median)" "<= 200"
printf '%-52s %14s %14s\n' "RSS idle (1 group x 100 partitions), MiB" \
    "$(awk -v k="$idle_rss" 'BEGIN{printf "%.1f", k/1024}')" "-"
printf '%-52s %14s %14s\n' "RSS with 1k groups x 100 partitions, MiB" \
    "$(awk -v k="$big_rss" 'BEGIN{printf "%.1f", k/1024}')" "-"
