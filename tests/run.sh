#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every test: Criterion unit and integration programs, stress
# programs, integration scripts, every fuzz target briefly
# and a --check replay of every sample trace. Prints each program's output
# as it finishes, then one closing line "N passed, N failed", and exits
# non-zero if anything failed.
#
#   sh tests/run.sh            everything (make test)
#   sh tests/run.sh --quick    all but the slow wall-clock programs
#                              (make check)
#
# Programs run concurrently: the slow wall-clock ones (SLOW below, but the
# fuzz targets: they mostly wait on real time, a mock Kafka cluster or a
# browser) all start first, and the others (scripts first, the fuzz
# targets, CPU-bound, among the last) run JOBS at a time beside them
# (default: twice the CPUs: most of them wait on sockets and disks part
# of the time). Each program's output is kept apart and printed whole.
set -u
BUILD=${BUILD:-build/default}
WARREN_BIN=${WARREN_BIN:-$BUILD/warren}
export WARREN_BIN BUILD
# Leaks inside third-party libraries we cannot fix (see the file).
LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export LSAN_OPTIONS
quick=0
[ "${1:-}" = --quick ] && quick=1
JOBS=${JOBS:-$((2 * $(nproc 2>/dev/null || echo 1)))}

# The slow wall-clock programs, by file name (shell patterns).
SLOW="test_clock_step test_kafka_source test_dashboard.sh test_serve_kafka.sh
test_kafka_wire_*.sh test_kafka_chaos.sh test_kafka_crafted.sh
test_kafka_kill9.sh test_kafka_leader_move.sh fuzz_*"

CRIT_BUILD=${CRIT_BUILD:-$BUILD}
# Debian's librdkafka crashes inside ThreadSanitizer's runtime (even a bare
# mock cluster does), so under TSan the Kafka tests run the plain build.
if [ "$BUILD" = build/thread ]; then
    export KAFKA_MOCK=build/default/helpers/kafka_mock
    KAFKA_WARREN=build/default/warren
else
    KAFKA_WARREN=$WARREN_BIN
fi
export WARREN_KAFKA_BIN="$KAFKA_WARREN"

pass=0
fail=0
failed=""
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { # name rc tested passing
    if [ "$2" -eq 0 ]; then
        pass=$((pass + $4))
        fail=$((fail + $3 - $4))
    else
        failed="$failed $1"
        if [ "$3" -gt 0 ]; then
            pass=$((pass + $4))
            fail=$((fail + $3 - $4))
            [ "$3" -eq "$4" ] && fail=$((fail + 1))
        else
            fail=$((fail + 1))
        fi
    fi
}

is_slow() { # path
    b=${1##*/}
    for s in $SLOW; do
        # shellcheck disable=SC2254 # $s is a pattern
        case "$b" in $s) return 0 ;; esac
    done
    return 1
}

# ---- what to run: one line per job, "kind<TAB>name[<TAB>rules]" ----
list="$work/list"
: >"$list"
tab=$(printf '\t')
add() { # kind name [rules]
    if [ "$quick" -eq 1 ] && is_slow "$2"; then return; fi
    printf '%s\t%s\t%s\n' "$1" "$2" "${3:-}" >>"$list"
}
for s in tests/integration/*.sh; do
    [ -f "$s" ] && add script "$s"
done
for t in "$CRIT_BUILD"/tests/test_*; do
    [ -x "$t" ] && add crit "$t"
done
for t in "$BUILD"/stress/stress_*; do
    [ -x "$t" ] && add stress "$t"
done
for f in ${FUZZ_BINS:-}; do
    [ -x "$f" ] && add fuzz "$f"
done
# A trace whose config line names its rule set is checked with it; any
# other trace's expectations hold for both rule sets and are checked twice.
for f in samples/*.jsonl; do
    [ -f "$f" ] || continue
    if head -n 1 "$f" | grep -q '"rules"'; then
        add replay "$f" trace
    else
        add replay "$f" burrow
        add replay "$f" warren
    fi
done
# The waiting ones first, without a slot: they set the length of the run.
is_waiter() { # kind name
    [ "$1" != fuzz ] && is_slow "$2"
}
sorted="$work/sorted"
: >"$sorted"
while IFS="$tab" read -r kind name rules; do
    is_waiter "$kind" "$name" && printf '%s\t%s\t%s\n' "$kind" "$name" "$rules"
done <"$list" >>"$sorted"
while IFS="$tab" read -r kind name rules; do
    is_waiter "$kind" "$name" || printf '%s\t%s\t%s\n' "$kind" "$name" "$rules"
done <"$list" >>"$sorted"

# Runs one job in the foreground (inside its own background subshell);
# `out` is a scratch file of the job's own.
run_job() { # kind name rules out
    case "$1" in
    crit) "$2" --jobs 2 ;;
    stress) "$2" ;;
    script)
        case "$2" in
        *kafka*) WARREN_BIN=$KAFKA_WARREN bash "$2" ;;
        *) bash "$2" ;;
        esac
        ;;
    fuzz)
        fdir=$(mktemp -d)
        "$2" -max_total_time="${FUZZ_QUICK_S:-3}" -rss_limit_mb=2048 \
            -timeout=60 -artifact_prefix="$fdir/" \
            "$fdir" "tests/fuzz/corpus_${2##*/fuzz_}" >"$4" 2>&1
        rc=$?
        tail -n 3 "$4"
        rm -rf "$fdir"
        return "$rc"
        ;;
    replay)
        if [ "$3" = trace ]; then
            "$WARREN_BIN" replay --check "$2" >"$4" 2>&1
        else
            "$WARREN_BIN" replay --check --rules "$3" "$2" >"$4" 2>&1
        fi
        rc=$?
        tail -n 3 "$4"
        return "$rc"
        ;;
    esac
}

now_ms() {
    date +%s%N | cut -c1-13
}

# Prints a finished job's output and records its result (its own
# variables: the caller is in the middle of reading the job list).
finish() { # id
    IFS="$tab" read -r f_kind f_name f_rules <"$work/$1.job"
    rc=$(cat "$work/$1.rc")
    t0=$(cat "$work/$1.t0")
    t1=$(cat "$work/$1.t1")
    secs=$(((t1 - t0) / 1000)).$((((t1 - t0) % 1000) / 100))
    case "$f_kind" in
    fuzz) label="$f_name (${FUZZ_QUICK_S:-3} s)" ;;
    replay)
        if [ "$f_rules" = trace ]; then label="replay --check $f_name"
        else label="replay --check --rules $f_rules $f_name"; fi
        ;;
    *) label=$f_name ;;
    esac
    echo "== $label ($secs s)"
    cat "$work/$1.log"
    tested=""
    passing=""
    if [ "$f_kind" = crit ]; then
        syn=$(grep 'Synthesis:' "$work/$1.log" | tail -n 1)
        tested=$(echo "$syn" | sed -n 's/.*Tested: \([0-9]*\).*/\1/p')
        passing=$(echo "$syn" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    fi
    if [ -z "$tested" ]; then # not a Criterion program: one test
        tested=1
        passing=$((rc == 0))
    fi
    case "$f_kind" in
    replay) record "$f_name ($f_rules)" "$rc" "$tested" "$passing" ;;
    *) record "$f_name" "$rc" "$tested" "$passing" ;;
    esac
}

# ---- run ----
n=0
running="" # ids of jobs not yet finished
fast_running=0
reap() { # waits until at least one running job has finished
    while :; do
        still=""
        done_any=0
        for id in $running; do
            if [ -f "$work/$id.rc" ]; then
                finish "$id"
                done_any=1
                is_waiter "$(cut -f1 "$work/$id.job")" \
                    "$(cut -f2 "$work/$id.job")" ||
                    fast_running=$((fast_running - 1))
            else
                still="$still $id"
            fi
        done
        running=$still
        [ "$done_any" -eq 1 ] && return
        [ -z "$running" ] && return
        sleep 0.1
    done
}
while IFS="$tab" read -r kind name rules; do
    slow=0
    is_waiter "$kind" "$name" && slow=1
    while [ "$slow" -eq 0 ] && [ "$fast_running" -ge "$JOBS" ]; do
        reap
    done
    n=$((n + 1))
    printf '%s\t%s\t%s\n' "$kind" "$name" "$rules" >"$work/$n.job"
    (
        now_ms >"$work/$n.t0"
        run_job "$kind" "$name" "$rules" "$work/$n.out" >"$work/$n.log" \
            2>&1 </dev/null
        rc=$?
        now_ms >"$work/$n.t1"
        echo "$rc" >"$work/$n.rc.tmp" && mv "$work/$n.rc.tmp" "$work/$n.rc"
    ) &
    pids="$pids $!"
    running="$running $n"
    [ "$slow" -eq 0 ] && fast_running=$((fast_running + 1))
done <"$sorted"
while [ -n "$running" ]; do
    reap
done
wait

[ -z "$failed" ] || echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "$failed" ]
