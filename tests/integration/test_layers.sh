#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The layers hold: the monitor library needs nothing from the HTTP code
# (no api_ symbol undefined in libmon.a), so the Makefile links the
# libraries in dependency order without --start-group; http/server uses
# only itself and monitor/base; http/routes reads the daemon only through
# mon_query (never the store's, the history's, the service's or the
# notifier's headers). Fast: nm and grep over the built libraries and the
# sources.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build/default}
fails=0

check() { # description, command status (0 = pass)
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        fails=$((fails + 1))
    fi
}

if [ ! -f "$BUILD/libmon.a" ]; then
    echo "FAIL no $BUILD/libmon.a (build first)"
    exit 1
fi
api=$(nm -u "$BUILD/libmon.a" | awk '$NF ~ /^api_/ {print $NF}' | sort -u)
[ -z "$api" ]
check "libmon.a needs no api_ symbol${api:+: $(echo "$api" | tr '\n' ' ')}" $?

! grep -q -- '--start-group' Makefile
check "the Makefile links without --start-group" $?

bad=$(grep -HnE '^#include "' http/server/*.[ch] |
      grep -vE '#include "(http/server|monitor/base)/')
[ -z "$bad" ]
check "http/server includes only http/server and monitor/base${bad:+:
$bad}" $?

bad=$(grep -HnE '^#include "monitor/(store|service|notify|sources)/' \
          http/routes/*.[ch] | grep -v 'monitor/service/mon_query.h')
[ -z "$bad" ]
check "http/routes reads the monitor only through mon_query${bad:+:
$bad}" $?

[ "$fails" -eq 0 ]
