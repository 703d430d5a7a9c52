#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kafka-python 2.0.2 and confluent-kafka (librdkafka 2.0.2), Debian's
# packages, against `warren broker serve`: murmur2 key partitioning,
# rebalances on join and on a SIGKILLed member, commitSync/commitAsync/
# auto commit, auto.offset.reset earliest/latest/none, seek, wakeup of a
# blocked poll then close, admin
# groups/offsets-by-time/configs/create/delete, Fetch long polls
# (max.wait.ms, min.bytes) and max.bytes by hand-made requests,
# MESSAGE_TOO_LARGE, topic validation, compressed batches refused
# with UNSUPPORTED_COMPRESSION_TYPE, an idempotent producer whose lost ack
# makes it resend a batch (stored once), the same producer going on
# through two kill -9 restarts of the broker (nothing lost or stored
# twice), and kill -9 of the broker under
# an acks=all producer (kafka_wire_clients.py has the checks); then that
# its brokers die with it when the script is SIGKILLed.
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-pyclients-XXXXXX")
trap 'rm -rf "$T"' EXIT
# Debian's interpreter: the client packages live in its dist-packages.
PY=/usr/bin/python3
if ! "$PY" -c 'import kafka, confluent_kafka' 2>/dev/null; then
    echo "python3-kafka / python3-confluent-kafka missing (make deps)"
    exit 1
fi
"$PY" "$(dirname "$0")/kafka_wire_clients.py" "$W" "$T" 2>"$T/clients.err"
rc=$?
grep -v '^%[0-9]|' "$T/clients.err" | tail -n 20
[ $rc -eq 0 ] || tail -n 20 "$T"/broker-*.log

# The brokers die with the script: SIGKILL it while one runs, then the
# broker must go too (PR_SET_PDEATHSIG), not live on holding its port.
alive() { # pid: running, not a zombie
    [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"
}
"$PY" "$(dirname "$0")/kafka_wire_clients.py" "$W" "$T" hold \
    >"$T/hold.out" 2>>"$T/clients.err" &
spid=$!
i=0
while [ ! -s "$T/hold.out" ] && [ $i -lt 400 ] && kill -0 $spid 2>/dev/null; do
    sleep 0.05
    i=$((i + 1))
done
bpid=$(head -n 1 "$T/hold.out")
if [ -z "$bpid" ]; then
    echo "FAIL: the hold run printed no broker pid"
    kill -9 $spid 2>/dev/null
    exit 1
fi
{ kill -9 $spid; wait $spid; } 2>/dev/null # no "Killed" line
i=0
while alive "$bpid" && [ $i -lt 400 ]; do
    sleep 0.05
    i=$((i + 1))
done
if alive "$bpid"; then
    echo "FAIL: broker $bpid outlived its SIGKILLed test script"
    kill -9 "$bpid"
    exit 1
fi
echo "ok: a broker dies with its SIGKILLed test script"
exit $rc
