#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Drives `warren broker produce|partition|topics|maintain` end to end:
# outputs, exit codes, one-line errors for bad input, and that bad input
# leaves stored data untouched.
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
checks=0

ok() { checks=$((checks + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); checks=$((checks + 1)); }

# expect_eq NAME WANT GOT
expect_eq() {
    if [ "$2" == "$3" ]; then ok; else fail "$1: want [$2] got [$3]"; fi
}

# bad_input NAME CMD...: exit 2 and exactly one line on stderr.
bad_input() {
    local name=$1
    shift
    "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$?
    local lines
    lines=$(wc -l <"$T/err")
    if [ "$rc" -ne 2 ]; then
        fail "$name: exit $rc, want 2 ($(cat "$T/err"))"
    elif [ "$lines" -ne 1 ]; then
        fail "$name: $lines stderr lines, want 1: $(cat "$T/err")"
    else
        ok
    fi
}

D="$T/data"

# --- produce: keyed lines land on murmur2 partitions -------------------
out=$(printf '21\ta\nfoobar\tb\nabc\tc\n' |
    "$W" broker produce --data-dir "$D" --topic orders --partitions 7)
expect_eq "produce rc" 0 $?
expect_eq "produce json" \
    '{"topic":"orders","records":3,"partitions":{"0":1,"1":0,"2":0,"3":1,"4":1,"5":0,"6":0}}' \
    "$out"

# --- produce: round-robin keyless, acks 0 -------------------------------
out=$(printf 'a\nb\nc\nd\ne\n' |
    "$W" broker produce --data-dir "$D" --topic rr --partitions 3 \
        --partitioner roundrobin --acks 0)
expect_eq "roundrobin json" \
    '{"topic":"rr","records":5,"partitions":{"0":2,"1":2,"2":1}}' "$out"

# --- produce: durable, acks all, existing topic keeps its partitions ----
out=$(printf 'x\n' | "$W" broker produce --data-dir "$D" --topic dur \
    --acks all --durable)
expect_eq "durable rc" 0 $?
case "$out" in
*'"records":1'*) ok ;;
*) fail "durable output: $out" ;;
esac

# --- partition: Kafka's vectors ------------------------------------------
out=$("$W" broker partition --partitions 10 foobar 21 abc)
expect_eq "partition" "$(printf 'foobar\t6\n21\t0\nabc\t7')" "$out"

# --- topics ---------------------------------------------------------------
out=$("$W" broker topics --data-dir "$D" --format json)
expect_eq "topics rc" 0 $?
case "$out" in
*'{"topic":"rr","cleanup.policy":"delete","partitions":[{"partition":0,"log_start_offset":0,"log_end_offset":2,'*) ok ;;
*) fail "topics json: $out" ;;
esac
n=$("$W" broker topics --data-dir "$D" | grep -c '^orders ')
expect_eq "topics text rows" 7 "$n"

# --- bad input: one line, exit 2 ----------------------------------------
bad_input "bad topic name" "$W" broker produce --data-dir "$D" --topic 'a b'
bad_input "dot topic" "$W" broker produce --data-dir "$D" --topic ..
long=$(printf 'x%.0s' $(seq 1 250))
bad_input "long topic" "$W" broker produce --data-dir "$D" --topic "$long"
bad_input "zero partitions" "$W" broker produce --data-dir "$D" --topic z \
    --partitions 0
bad_input "negative partitions" "$W" broker produce --data-dir "$D" \
    --topic z --partitions -4
bad_input "word partitions" "$W" broker partition --partitions ten k
bad_input "bad acks" "$W" broker produce --data-dir "$D" --topic z --acks 2
bad_input "bad partitioner" "$W" broker produce --data-dir "$D" --topic z \
    --partitioner random
bad_input "bad format" "$W" broker topics --data-dir "$D" --format xml
bad_input "no data dir" "$W" broker topics
bad_input "missing data dir" "$W" broker topics --data-dir "$T/nope"
bad_input "bad config" "$W" broker produce --data-dir "$D" --topic z \
    --config segment.bytes=lots
bad_input "partition change" "$W" broker produce --data-dir "$D" \
    --topic orders --partitions 2
touch "$T/file"
bad_input "data dir is a file" "$W" broker produce --data-dir "$T/file" \
    --topic z
bad_input "data dir is a file (topics)" "$W" broker topics --data-dir "$T/file"
bad_input "repair: bad format" "$W" broker repair --data-dir "$D" --format xml
bad_input "repair: no data dir" "$W" broker repair
bad_input "repair: unknown option" "$W" broker repair --data-dir "$D" --fix
bad_input "repair: stray argument" "$W" broker repair --data-dir "$D" extra
# the hidden Kafka client child takes no options or arguments
bad_input "__kafka-client: unknown option" "$W" __kafka-client --x
bad_input "__kafka-client: argument" "$W" __kafka-client extra

# A record over max.message.bytes: refused, nothing stored.
before=$("$W" broker topics --data-dir "$D" --format json)
{ echo small; head -c 1100000 /dev/zero | tr '\0' 'x'; echo; } \
    >"$T/big.txt"
"$W" broker produce --data-dir "$D" --topic orders <"$T/big.txt" \
    >"$T/out" 2>"$T/err"
rc=$?
expect_eq "oversized rc" 2 "$rc"
expect_eq "oversized lines" 1 "$(wc -l <"$T/err")"
grep -q 'stdin:2:' "$T/err" && ok || fail "oversized names line: $(cat "$T/err")"
after=$("$W" broker topics --data-dir "$D" --format json)
expect_eq "oversized stored nothing" "$before" "$after"

# A corrupt segment header: refused, file untouched.
P="$D/orders-3/00000000000000000000.log"
printf 'k\tv2\n' | "$W" broker produce --data-dir "$D" --topic orders \
    --partitions 7 >/dev/null
printf '21\tv3\n' | "$W" broker produce --data-dir "$D" --topic orders \
    >/dev/null
cp "$P" "$T/seg.bak"
printf '\x07' | dd of="$P" bs=1 seek=16 conv=notrunc 2>/dev/null
cp "$P" "$T/seg.corrupt"
bad_input "corrupt segment" "$W" broker topics --data-dir "$D"
grep -q '00000000000000000000.log' "$T/err" && ok ||
    fail "corrupt segment message: $(cat "$T/err")"
cmp -s "$P" "$T/seg.corrupt" && ok || fail "corrupt segment was modified"
bad_input "corrupt segment (produce)" "$W" broker produce --data-dir "$D" \
    --topic orders
cp "$T/seg.bak" "$P"
"$W" broker topics --data-dir "$D" >/dev/null 2>&1
expect_eq "restored segment opens" 0 $?

# --- maintain: retention on a short-lived topic -------------------------
for i in $(seq 1 60); do echo "value-$i-padding-padding-padding"; done |
    "$W" broker produce --data-dir "$D" --topic short --acks 1 \
        --config segment.bytes=400 --config retention.ms=1 >/dev/null
sleep 0.1
out=$("$W" broker maintain --data-dir "$D")
expect_eq "maintain rc" 0 $?
case "$out" in
*'"segments_deleted":0,'*) fail "maintain deleted nothing: $out" ;;
*'"segments_deleted":'*) ok ;;
*) fail "maintain output: $out" ;;
esac
row=$("$W" broker topics --data-dir "$D" | awk '$1 == "short"')
# shellcheck disable=SC2086 # the row's fields
set -- $row
[ "$3" -gt 0 ] && ok || fail "log start did not move: $row"
expect_eq "log end kept" 60 "$4"
expect_eq "only the active segment left" 1 "$5"

# --- maintain: compaction keeps the latest value per key ---------------
for i in $(seq 1 200); do printf 'key%d\tvalue-%d\n' $((i % 5)) "$i"; done |
    "$W" broker produce --data-dir "$D" --topic compacted --acks 1 \
        --config cleanup.policy=compact --config segment.bytes=1000 \
        >/dev/null
out=$("$W" broker maintain --data-dir "$D")
case "$out" in
*'"partitions_compacted":0,'*) fail "nothing compacted: $out" ;;
*'"partitions_compacted":'*) ok ;;
*) fail "maintain output: $out" ;;
esac

# --- help ------------------------------------------------------------------
"$W" broker --help >"$T/out" 2>&1
expect_eq "help rc" 0 $?
grep -q produce "$T/out" && ok || fail "help lists produce"
"$W" broker produce --help >/dev/null
expect_eq "produce help rc" 0 $?

echo "test_broker_cli: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
