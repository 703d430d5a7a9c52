# SPDX-License-Identifier: Apache-2.0
# Sourced by the integration scripts: a scratch dir ($tmp, removed at
# exit, after stopping $pid if a script set it), check() to count
# results, and finish() for the closing line and exit status.
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

finish() { # script name
    [ "$fails" -eq 0 ] && echo "$1: all passed"
    exit $((fails > 0))
}
