#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make install PREFIX=... DESTDIR=...: the binary, dashboard, samples and
# both man pages land under DESTDIR/PREFIX; the installed binary, run from
# a directory without dashboards/, serves PREFIX/share/warren/dashboards;
# make uninstall takes it all away again.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
BUILD=${BUILD:-build/default}
san=${BUILD#build/}
[ "$san" = default ] && san=
root="$tmp/root"
prefix=/opt/warren-test

make -s install SANITIZE="$san" DESTDIR="$root" PREFIX="$prefix" \
    >"$tmp/make.out" 2>&1
rc=$?
check "make install exits 0" "$rc"
[ "$rc" -eq 0 ] || cat "$tmp/make.out"
p="$root$prefix"
for f in bin/warren share/warren/dashboards/index.html \
    share/warren/dashboards/app.js share/doc/warren/samples/warren.ini \
    share/doc/warren/samples/templates/slack-open.json \
    share/doc/warren/README.md share/doc/warren/LICENSE \
    share/man/man1/warren.1 share/man/man5/warren.ini.5; do
    check "installed $f" "$([ -f "$p/$f" ]; echo $?)"
done
check "  the binary is executable" "$([ -x "$p/bin/warren" ]; echo $?)"
check "  the dashboard's README is not installed" \
    "$([ ! -e "$p/share/warren/dashboards/README.md" ]; echo $?)"

(cd / && exec env -u WARREN_DASHBOARD_DIR "$p/bin/warren" serve \
    --listen 127.0.0.1:0 --data-dir "$tmp/data" 2>"$tmp/serve.log") &
pid=$!
wait_port "$tmp/serve.log"
check "the installed binary serves (port ${port:-none})" \
    "$([ -n "$port" ]; echo $?)"
check "  the installed dashboard" \
    "$(grep -q "serving the dashboard dir=$p/share/warren/dashboards\$" \
        "$tmp/serve.log"; echo $?)"
if [ -n "$port" ]; then
    curl -s -o "$tmp/index.html" "http://127.0.0.1:$port/"
    check "  GET / is its index.html" \
        "$(cmp -s "$tmp/index.html" "$p/share/warren/dashboards/index.html"
          echo $?)"
fi
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
pid=

make -s uninstall SANITIZE="$san" DESTDIR="$root" PREFIX="$prefix" \
    >"$tmp/make.out" 2>&1
check "make uninstall exits 0" $?
check "  and leaves no file behind" \
    "$([ -z "$(find "$root" -type f)" ]; echo $?)"
finish test_install
