#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every benchmark program; each prints its own table of figures.
set -u
BUILD=${BUILD:-build/default}
WARREN_BIN=${WARREN_BIN:-$BUILD/warren}
export WARREN_BIN BUILD
rc=0
for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b" || rc=1
done
for s in tests/bench/*.sh; do
    [ -f "$s" ] || continue
    echo "== $(basename "$s")"
    bash "$s" || rc=1
done
exit $rc
