#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The dashboard end to end in headless Chromium: starts a webhook
# receiver (answers 200, or 503 under /fail), writes a config with two
# notifiers posting to it (one delivers, one fails) and no evaluation
# cache, and runs tests/dashboard/dashboard.test.mjs (playwright-core),
# which starts `warren serve --demo` (twice real time) on an ephemeral
# port with a temporary data dir once the browser is up (and a replay, a
# Kafka cluster on a closed port and one on kafka_mock beside it), checks the pages
# and stops warren with SIGTERM. Fails if any check failed or warren did
# not exit cleanly. Screenshots land in build/screenshots/. Needs node,
# the npm packages of tests/dashboard (npm ci --prefix tests/dashboard)
# and /usr/bin/chromium (Debian package chromium).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
WARREN_BIN=${WARREN_BIN:-build/default/warren}
case "$WARREN_BIN" in /*) ;; *) WARREN_BIN="$ROOT/$WARREN_BIN" ;; esac
export WARREN_DASHBOARD_DIR="${WARREN_DASHBOARD_DIR:-$ROOT/dashboards}"
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
rpid=""
cleanup() {
    [ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# Webhook receiver on an ephemeral port, written to recv.port.
python3 tests/helpers/hook_rcv.py "$tmp" &
rpid=$!
for _ in $(seq 1 200); do # up to 20 s: python3 starts slowly under load
    [ -s "$tmp/recv.port" ] && break
    sleep 0.1
done
[ -s "$tmp/recv.port" ] || fail "the webhook receiver did not start"
hook="http://127.0.0.1:$(cat "$tmp/recv.port")"
printf '%s\n' "[notifier ops]" "url-open = $hook/open" \
    "url-close = $hook/close" "interval = 5" "threshold = WARN" \
    "send-close = true" "" "[notifier pager]" "url-open = $hook/fail" \
    "interval = 5" "threshold = ERR" "max-retries = 1" "" "[evaluator]" \
    "expire-cache = 0" "" "[http]" "admin-token = dash-token" \
    >"$tmp/warren.ini"

# dashboard.test.mjs starts `warren serve --demo` with this config once
# the browser is up, and stops it at the end.
node tests/dashboard/dashboard.test.mjs --config "$tmp/warren.ini" \
    --data "$tmp/data" --token dash-token --warren "$WARREN_BIN" \
    --out "$SHOTS"
rc=$?
exit "$rc"
