# SPDX-License-Identifier: Apache-2.0
# Sourced by the integration scripts: a scratch dir ($tmp, removed at
# exit, after stopping $pid if a script set it), check() to count
# results, wait_port() for a started warren serve, and finish() for the
# closing line and exit status.
WARREN_BIN=${WARREN_BIN:-build/default/warren}
tmp=$(mktemp -d)
pid=
fails=0
_testlib_cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
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

finish() { # script name
    [ "$fails" -eq 0 ] && echo "$1: all passed"
    exit $((fails > 0))
}
