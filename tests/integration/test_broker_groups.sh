#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Drives `warren broker consume|groups` end to end: output format, reset
# modes, commit modes, exit codes and one-line errors for bad input, and a
# consumer SIGKILLed mid-stream whose restart resumes at the last commit.
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-groups-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0
checks=0

ok() { checks=$((checks + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); checks=$((checks + 1)); }
expect_eq() {
    if [ "$2" == "$3" ]; then ok; else fail "$1: want [$2] got [$3]"; fi
}
# jsum DIR GROUP FIELD: sum of FIELD over `groups --format json` rows
# (GROUP "" = all groups).
jsum() {
    "$W" broker groups --data-dir "$1" ${2:+--group "$2"} --format json |
        python3 -c 'import json, sys
print(sum(r[sys.argv[1]] for r in json.load(sys.stdin)))' "$3"
}
# bad_input NAME CMD...: exit 2 and exactly one line on stderr.
bad_input() {
    local name=$1
    shift
    "$@" >"$T/out" 2>"$T/err" </dev/null
    local rc=$? lines
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
printf 'k1\tv1\nk2\tv2\nplain\nk3\tback\\slash\n' |
    "$W" broker produce --data-dir "$D" --topic orders --partitions 2 \
        >/dev/null || fail "produce"

# --- consume: every record once, partition<TAB>offset<TAB>key<TAB>value --
out=$("$W" broker consume --data-dir "$D" --topic orders --group g1 \
    --reset earliest --commit sync)
expect_eq "consume exit" 0 $?
expect_eq "consume lines" 4 "$(echo "$out" | wc -l)"
expect_eq "keyless record has an empty key" "plain" \
    "$(echo "$out" | awk -F'\t' '$3 == "" {print $4}')"
expect_eq "backslash escaped" 'back\\slash' \
    "$(echo "$out" | awk -F'\t' '$3 == "k3" {print $4}')"
expect_eq "offsets per partition start at 0" "0 0" \
    "$(echo "$out" | awk -F'\t' '!seen[$1]++ {print $2}' | sort | xargs)"

# --- groups: committed = log end, lag 0 ----------------------------------
out=$("$W" broker groups --data-dir "$D")
expect_eq "groups exit" 0 $?
hdr=$(printf 'group\ttopic\tpartition\tcommitted\tlog_end\tlag\towner')
expect_eq "groups header" "$hdr" "$(echo "$out" | head -1)"
expect_eq "groups rows" 2 "$(echo "$out" | tail -n +2 | wc -l)"
expect_eq "lag 0 everywhere" "0 0" \
    "$(echo "$out" | tail -n +2 | awk -F'\t' '{print $6}' | xargs)"
json=$("$W" broker groups --data-dir "$D" --format json)
expect_eq "json fields" "committed,group,lag,log_end,owner,partition,topic" \
    "$(echo "$json" | python3 -c 'import json, sys
print(",".join(sorted(json.load(sys.stdin)[0])))')"

# --- a new record: lag 1, then consumed from the committed offset -------
printf 'k9\tv9\n' |
    "$W" broker produce --data-dir "$D" --topic orders >/dev/null
expect_eq "lag after a produce" 1 "$(jsum "$D" "" lag)"
out=$("$W" broker consume --data-dir "$D" --topic orders --group g1 \
    --reset none)
expect_eq "resume from commit (reset=none)" "k9	v9" "$(echo "$out" | cut -f3-)"

# --- latest: nothing old; auto commit on exit ----------------------------
out=$("$W" broker consume --data-dir "$D" --topic orders --group g-latest)
expect_eq "latest reads nothing" "" "$out"
expect_eq "latest committed the log end" 5 \
    "$(jsum "$D" g-latest committed)"

# --- --max with auto commit commits exactly what was printed -------------
out=$("$W" broker consume --data-dir "$D" --topic orders --group g-max \
    --reset earliest --max 2)
expect_eq "--max 2 prints 2" 2 "$(echo "$out" | wc -l)"
expect_eq "--max: total lag is the rest" 3 "$(jsum "$D" g-max lag)"
out=$("$W" broker consume --data-dir "$D" --topic orders --group g-max \
    --reset none)
expect_eq "--max: the rest comes next" 3 "$(echo "$out" | wc -l)"

# --- commit none leaves no trace ------------------------------------------
"$W" broker consume --data-dir "$D" --topic orders --group g-none \
    --reset earliest --commit none >/dev/null
bad_input "commit none stores nothing" \
    "$W" broker groups --data-dir "$D" --group g-none

# --- bad input: one line, exit 2 -------------------------------------------
bad_input "reset none without commit" \
    "$W" broker consume --data-dir "$D" --topic orders --group fresh \
    --reset none
bad_input "unknown topic" \
    "$W" broker consume --data-dir "$D" --topic nope --group g1
bad_input "unknown group" "$W" broker groups --data-dir "$D" --group nope
bad_input "unreadable data dir (consume)" \
    "$W" broker consume --data-dir "$T/missing" --topic orders --group g1
bad_input "unreadable data dir (groups)" \
    "$W" broker groups --data-dir "$T/missing"
bad_input "bad --reset" \
    "$W" broker consume --data-dir "$D" --topic orders --group g1 \
    --reset maybe
bad_input "bad --commit" \
    "$W" broker consume --data-dir "$D" --topic orders --group g1 --commit x
bad_input "bad --max" \
    "$W" broker consume --data-dir "$D" --topic orders --group g1 --max 0
bad_input "missing --group" "$W" broker consume --data-dir "$D" --topic orders
bad_input "bad --format" "$W" broker groups --data-dir "$D" --format xml
# ...and nothing stored was lost.
expect_eq "commits intact after bad input" 5 "$(jsum "$D" g1 committed)"
"$W" broker consume --help >/dev/null
expect_eq "consume --help exits 0" 0 $?

# --- SIGKILL mid-stream, restart resumes at the last commit ---------------
# Enough records that the kill lands mid-stream even on a loaded machine:
# the consumer prints about a million a second.
K="$T/kill"
N=1000000
python3 -c '
import sys
for i in range('$N'):
    sys.stdout.write("k%d\tvalue-%d\n" % (i, i))
' | "$W" broker produce --data-dir "$K" --topic big --partitions 2 >/dev/null
"$W" broker consume --data-dir "$K" --topic big --group crash \
    --reset earliest --commit sync >"$T/first" 2>/dev/null &
pid=$!
for _ in $(seq 1 2000); do
    [ "$(wc -l <"$T/first")" -ge 20000 ] && break
    sleep 0.01
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
first=$(wc -l <"$T/first")
if [ "$first" -ge "$N" ]; then
    fail "consumer finished before the kill"
else
    ok
fi
"$W" broker groups --data-dir "$K" --format json >"$T/committed"
expect_eq "groups after the crash" 0 $?
"$W" broker consume --data-dir "$K" --topic big --group crash --reset none \
    >"$T/second"
expect_eq "restart exit" 0 $?
if python3 - "$T/first" "$T/second" "$T/committed" "$N" <<'EOF'
import json, sys
first = [l.split("\t") for l in open(sys.argv[1]) if l.endswith("\n")]
second = [l.split("\t") for l in open(sys.argv[2])]
committed = {r["partition"]: r["committed"]
             for r in json.load(open(sys.argv[3]))}
ok = True
for p in ("0", "1"):
    done = [int(r[1]) for r in first if r[0] == p]
    again = [int(r[1]) for r in second if r[0] == p]
    c = committed.get(int(p), 0)
    # printed before committed: the commit never passes what was printed
    if done and c > max(done) + 1:
        print("partition %s: committed %d past printed %d"
              % (p, c, max(done)))
        ok = False
    if again and again[0] != c:
        print("partition %s: resumed at %d, committed %d" % (p, again[0], c))
        ok = False
    seen = set(done) | set(again)
    if again and seen != set(range(max(seen) + 1)):
        print("partition %s: records lost" % p)
        ok = False
if len(set((r[0], r[1]) for r in first + second)) != int(sys.argv[4]):
    print("not every record consumed")
    ok = False
sys.exit(0 if ok else 1)
EOF
then ok; else fail "resume after SIGKILL"; fi

echo "test_broker_groups: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
