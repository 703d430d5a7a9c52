#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crafted __consumer_offsets records (offsets = offsets-topic) against
# librdkafka's mock cluster: a 13 KB group metadata record whose member is
# assigned 1000 topics at partition 1048575, and offset commits of 50
# groups for partition 1048575 of a 3-partition topic, as any client that
# can join a group or commit can have a coordinator write. Nothing may be
# sized from them: the records are logged and skipped, the daemon's peak
# resident memory stays within 64 MB of what it held before (it grew
# arrays to 2^20 entries per topic and group before: gigabytes, then an
# abort), the API keeps answering, and the same holds after a restart,
# which reads the records again. A watchdog kills warren past the bound,
# so a regression fails instead of eating the machine.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
BUILD=${BUILD:-build/default}
GROWTH_KB=$((64 * 1024))
# shellcheck disable=SC2119 # kafka_mock with its default options
start_kafka_mock

# This test is about staying up and bounded under hostile records, not
# about verdicts: it checks that warren keeps reading the mock's
# ok-group commits (group_follows), which holds on a loaded machine too,
# where that consumer, starved of CPU, falls thousands of messages behind
# and pauses for seconds (seen: STOP at lag 17,000 under ASan).
cat >"$tmp/warren.ini" <<INI
[cluster mock]
source = kafka
servers = $servers
offsets = offsets-topic
offset-refresh = 1s
topic-refresh = 5s
INI

kb() { # field of /proc/PID/status, in kB (0 once gone; a zombie has none)
    v=$(sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" \
        2>/dev/null)
    echo "${v:-0}"
}

start() { # log file
    "$WARREN_BIN" serve --config "$tmp/warren.ini" --listen 127.0.0.1:0 \
        --data-dir "$tmp/data" >"$1" 2>&1 &
    pid=$!
    wait_port "$1" || { echo "warren did not start"; cat "$1"; exit 1; }
    api="http://127.0.0.1:$port/v3/kafka/mock"
}

# Kills warren once it holds more than limit kB (a regression would take
# gigabytes); leaves a mark so the test can tell.
watchdog() { # pid limit_kb
    while kill -0 "$1" 2>/dev/null; do
        rss=$(kb "$1" VmRSS)
        if [ "$rss" -gt "$2" ]; then
            echo "killed: $rss kB resident, over the $2 kB bound" \
                >"$tmp/overgrown"
            kill -9 "$1"
            return
        fi
        sleep 0.05
    done
}

stop() { # description: TERM warren, check its exit code, end the watchdog
    kill -TERM "$pid"
    wait "$pid"
    check "$1" $?
    pid=
    kill "$wd" 2>/dev/null
    wait "$wd" 2>/dev/null
}

skipped_in() { # log file: waits up to 20 s for the skip line
    for _ in $(seq 200); do
        grep -q 'offsets record skipped: over a bound' "$1" && return 0
        sleep 0.1
    done
    return 1
}

follows() { # seconds: warren reads ok-group's new commits
    group_follows "$api/consumer/ok-group/status" "$1" 3
}

start "$tmp/warren1.log"
follows 180
check "ok-group's commits followed before the crafted records" $?
base=$(kb "$pid" VmRSS)
limit=$((base + GROWTH_KB))
watchdog "$pid" "$limit" &
wd=$!
echo "crafted 50" >&3
for _ in $(seq 200); do grep -q '^ok crafted' "$tmp/mock.out" && break; sleep 0.1; done
skipped_in "$tmp/warren1.log"
check "a record over a bound is logged" $?
grep 'over a bound' "$tmp/warren1.log" | grep -q 'partition=[0-9]* offset=[0-9]*'
check "the log line names the record's partition and offset" $?
sentinels() { curl -s "$api/consumer" | grep -o 'sentinel-[0-9]*' | wc -l; }
for _ in $(seq 200); do [ "$(sentinels)" -ge 4 ] && break; sleep 0.1; done
[ "$(sentinels)" -ge 4 ]
check "the reader got past every crafted record" $?
follows 60
check "ok-group's commits still followed after the crafted records" $?
curl -s "$api/consumer" | grep -q 'crafted'
check "no crafted group is tracked" $((!$?))
hwm=$(kb "$pid" VmHWM)
echo "resident before ${base} kB, peak after ${hwm} kB (bound +${GROWTH_KB} kB)"
[ -e "$tmp/overgrown" ] && cat "$tmp/overgrown"
[ ! -e "$tmp/overgrown" ] && [ "$hwm" -le "$limit" ]
check "peak resident memory within 64 MB of the start" $?
stop "warren exits cleanly"

# A restart reads __consumer_offsets from the beginning, the crafted
# records with it.
start "$tmp/warren2.log"
watchdog "$pid" "$limit" &
wd=$!
follows 180
check "ok-group's commits followed after the restart" $?
skipped_in "$tmp/warren2.log"
check "the restart skips the record again" $?
hwm=$(kb "$pid" VmHWM)
echo "after the restart: peak ${hwm} kB"
[ ! -e "$tmp/overgrown" ] && [ "$hwm" -le "$limit" ] && kill -0 "$pid"
check "no abort and the same bound after the restart" $?
stop "warren exits cleanly after the restart"
echo quit >&3
finish "kafka crafted records"
