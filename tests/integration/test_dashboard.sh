#!/bin/bash
# The dashboard end to end in headless Chromium: starts `warren serve
# --demo` on an ephemeral port with a temporary data dir, runs
# tests/dashboard/dashboard.test.mjs (playwright-core) against it, stops
# warren with SIGTERM and fails if any check failed or warren did not exit
# cleanly. Screenshots land in build/screenshots/. Needs node, the npm
# packages of tests/dashboard (npm ci --prefix tests/dashboard) and
# /usr/bin/chromium (Debian package chromium).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
WARREN_BIN=${WARREN_BIN:-build/default/warren}
case "$WARREN_BIN" in /*) ;; *) WARREN_BIN="$ROOT/$WARREN_BIN" ;; esac
export WARREN_DASHBOARD_DIR="$ROOT/dashboards"
SHOTS=${SCREENSHOT_DIR:-$ROOT/build/screenshots}

fail() {
    echo "FAIL $*"
    exit 1
}
[ -x "$WARREN_BIN" ] || fail "no warren binary at $WARREN_BIN"
command -v node >/dev/null || fail "node is not installed"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    fail "no Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt package chromium)"
[ -f tests/dashboard/node_modules/playwright-core/package.json ] ||
    fail "playwright-core missing: run npm ci --prefix tests/dashboard"

tmp=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

"$WARREN_BIN" serve --demo --listen 127.0.0.1:0 --data-dir "$tmp/data" \
    >"$tmp/warren.out" 2>"$tmp/warren.log" &
pid=$!

# The daemon logs "listening on ADDR:PORT" once the socket is bound.
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
        "$tmp/warren.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$port" ]; then
    cat "$tmp/warren.log"
    fail "warren did not start listening"
fi
url="http://127.0.0.1:$port"
for _ in $(seq 1 50); do
    curl -sf "$url/healthz" >/dev/null && break
    sleep 0.1
done

node tests/dashboard/dashboard.test.mjs --url "$url" --warren "$WARREN_BIN" \
    --out "$SHOTS"
rc=$?

kill -TERM "$pid"
wrc=""
for _ in $(seq 1 80); do
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        wrc=$?
        break
    fi
    sleep 0.1
done
pid_done=$pid
pid=""
if [ -z "$wrc" ]; then
    echo "FAIL warren did not exit within 8 s of SIGTERM"
    kill -KILL "$pid_done" 2>/dev/null
    rc=1
elif [ "$wrc" -ne 0 ]; then
    echo "FAIL warren exited with $wrc after SIGTERM"
    rc=1
else
    echo "ok   warren exited 0 on SIGTERM"
fi
if [ "$rc" -ne 0 ]; then
    echo "--- warren log (tail)"
    tail -n 30 "$tmp/warren.log"
fi
exit "$rc"
