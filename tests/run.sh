#!/bin/sh
# Runs every test: Criterion unit and integration programs, integration
# scripts, and a --check replay of every sample trace.  Prints one closing
# line "N passed, N failed" and exits non-zero if anything failed.
set -u
BUILD=${BUILD:-build/default}
WARREN_BIN=${WARREN_BIN:-$BUILD/warren}
export WARREN_BIN BUILD
# Leaks inside third-party libraries we cannot fix (see the file).
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
pass=0
fail=0
failed=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

record() { # name rc tested passing
    if [ "$2" -eq 0 ]; then
        pass=$((pass + $4))
        fail=$((fail + $3 - $4))
    else
        failed="$failed $1"
        if [ "$3" -gt 0 ]; then
            pass=$((pass + $4)); fail=$((fail + $3 - $4))
            [ "$3" -eq "$4" ] && fail=$((fail + 1))
        else
            fail=$((fail + 1))
        fi
    fi
}

CRIT_BUILD=${CRIT_BUILD:-$BUILD}
# Debian's librdkafka crashes inside ThreadSanitizer's runtime (even a bare
# mock cluster does), so under TSan the Kafka tests run the plain build.
if [ "$BUILD" = build/thread ]; then
    export KAFKA_MOCK=build/default/helpers/kafka_mock
    KAFKA_WARREN=build/default/warren
else
    KAFKA_WARREN=$WARREN_BIN
fi
export WARREN_KAFKA_BIN=$KAFKA_WARREN
for t in "$CRIT_BUILD"/tests/test_* "$BUILD"/stress/stress_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    case "$t" in
    */stress/*) "$t" >"$log" 2>&1 ;;
    *) "$t" --jobs 2 >"$log" 2>&1 ;;
    esac
    rc=$?
    cat "$log"
    syn=$(grep 'Synthesis:' "$log" | tail -n 1)
    tested=$(echo "$syn" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
    passing=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    if [ -z "$tested" ]; then # not a Criterion program: one test
        tested=1; passing=$((rc == 0))
    fi
    record "$t" "$rc" "$tested" "$passing"
done

for s in tests/integration/*.sh; do
    [ -f "$s" ] || continue
    echo "== $s"
    case "$s" in
    *kafka*) WARREN_BIN=$KAFKA_WARREN bash "$s" ;;
    *) bash "$s" ;;
    esac
    rc=$?
    record "$s" "$rc" 1 $((rc == 0))
done

# The request decoder's fuzz target, briefly (make fuzz runs it long).
if [ -n "${FUZZ_BIN:-}" ] && [ -x "$FUZZ_BIN" ]; then
    echo "== $FUZZ_BIN (${FUZZ_QUICK_S:-5} s)"
    fdir=$(mktemp -d)
    "$FUZZ_BIN" -max_total_time="${FUZZ_QUICK_S:-5}" -rss_limit_mb=1024 \
        "$fdir" tests/fuzz/corpus_bc_kreq >"$log" 2>&1
    rc=$?
    tail -n 3 "$log"
    rm -rf "$fdir"
    record "$FUZZ_BIN" "$rc" 1 $((rc == 0))
fi

# A trace whose config line names its rule set is checked with it; any
# other trace's expectations hold for both rule sets and are checked twice.
for f in samples/*.jsonl; do
    [ -f "$f" ] || continue
    if head -n 1 "$f" | grep -q '"rules"'; then
        sets=trace
    else
        sets="burrow warren"
    fi
    for r in $sets; do
        if [ "$r" = trace ]; then
            echo "== replay --check $f"
            "$WARREN_BIN" replay --check "$f" >"$log" 2>&1
        else
            echo "== replay --check --rules $r $f"
            "$WARREN_BIN" replay --check --rules "$r" "$f" >"$log" 2>&1
        fi
        rc=$?
        tail -n 3 "$log"
        record "$f ($r)" "$rc" 1 $((rc == 0))
    done
done

[ -z "$failed" ] || echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$failed" ]
