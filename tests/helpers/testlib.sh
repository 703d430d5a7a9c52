# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the integration scripts: a scratch dir ($tmp, removed at
# exit, after stopping $pid if a script set it), check() to count
# results, wait_port() for a started warren serve, and finish() for the
# closing line and exit status, start_serve() and start_kafka_mock() to
# start the daemon and the mock cluster, group_follows() to wait until
# warren reads a group's new commits.
WARREN_BIN=${WARREN_BIN:-build/default/warren}
tmp=$(mktemp -d)
pid=
mpid=
fails=0
_testlib_cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [ -n "$mpid" ] && kill "$mpid" 2>/dev/null && wait "$mpid" 2>/dev/null
    rm -rf "$tmp"
}
trap _testlib_cleanup EXIT

check() { # description, status (0 = pass)
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        fails=$((fails + 1))
    fi
}

# Waits (up to 20 s, or while $pid lives) for the "listening on ADDR:PORT"
# line of a serve log, text or JSON; sets port (empty if none came).
wait_port() { # log file
    port=
    for _ in $(seq 200); do
        port=$(sed -n 's/.*listening on [^ "]*:\([0-9]*\)\("\|$\).*/\1/p' \
            "$1" | head -n 1)
        [ -n "$port" ] && return 0
        [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null && return 1
        sleep 0.1
    done
    return 1
}

# Starts warren serve with config $1 on a free port, its data in $2
# (default $tmp/data) and its output in $tmp/warren.log; sets pid, port
# and api (the /v3/kafka URL). Exits the script when it does not start.
start_serve() { # config [data dir]
    "$WARREN_BIN" serve --config "$1" --listen 127.0.0.1:0 \
        --data-dir "${2:-$tmp/data}" >"$tmp/warren.log" 2>&1 &
    pid=$!
    if ! wait_port "$tmp/warren.log"; then
        echo "warren did not start"
        cat "$tmp/warren.log"
        exit 1
    fi
    # shellcheck disable=SC2034 # used by the scripts that source this
    api="http://127.0.0.1:$port/v3/kafka"
}

# Waits up to $2 s until the consumer status at URL $1 lists at least $3
# partitions and the sum of their committed ("end") offsets has moved
# past what its first such read showed: warren is reading the group's
# commits, whatever the verdict (which a consumer starved of CPU on a
# loaded machine changes: it falls behind or pauses). Prints the last
# status seen when it never moves.
group_follows() { # status URL, seconds, partitions
    local first="" last="" n s
    for _ in $(seq $(($2 * 4))); do
        last=$(curl -s -m 5 "$1")
        read -r n s <<<"$(echo "$last" | grep -o '"end":{"offset":[0-9]*' |
            sed 's/.*://' | awk '{s += $1; n++} END {print n + 0, s + 0}')"
        if [ "$n" -ge "$3" ]; then
            [ -z "$first" ] && first=$s
            [ "$s" -gt "$first" ] && return 0
        fi
        sleep 0.25
    done
    echo "$1: no commit followed in $2 s; last status: $last" | cut -c1-2000
    return 1
}

finish() { # script name
    [ "$fails" -eq 0 ] && echo "$1: all passed"
    exit $((fails > 0))
}

# Starts the kafka_mock helper ($KAFKA_MOCK or the default build's) with
# the given options, its commands read from fd 3 (echo "down 1" >&3);
# sets mpid and servers and waits (up to 60 s) for its groups to be ready.
# Exits the script when it does not start.
start_kafka_mock() { # kafka_mock options...
    mkfifo "$tmp/mock.cmd"
    "${KAFKA_MOCK:-${BUILD:-build/default}/helpers/kafka_mock}" "$@" <"$tmp/mock.cmd" \
        >"$tmp/mock.out" 2>"$tmp/mock.err" &
    mpid=$!
    exec 3>"$tmp/mock.cmd"
    for _ in $(seq 100); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
    servers=$(head -n 1 "$tmp/mock.out")
    if [ -z "$servers" ]; then
        echo "kafka_mock did not start"
        cat "$tmp/mock.err"
        exit 1
    fi
    for _ in $(seq 600); do
        grep -q '^ready' "$tmp/mock.out" && return 0
        sleep 0.1
    done
}
