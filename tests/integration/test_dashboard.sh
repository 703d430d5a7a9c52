#!/bin/bash
# The dashboard end to end in headless Chromium: starts a webhook
# receiver (answers 200, or 503 under /fail) and `warren serve --demo` on
# ephemeral ports with a temporary data dir and two notifiers posting to
# the receiver (one delivers, one fails), runs
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
pid=""
rpid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
    fi
    [ -n "$rpid" ] && kill -TERM "$rpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

# Webhook receiver on an ephemeral port, written to recv.port.
python3 -c '
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(503 if self.path.startswith("/fail") else 200)
        self.end_headers()
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
' "$tmp/recv.port" &
rpid=$!
for _ in $(seq 1 50); do
    [ -s "$tmp/recv.port" ] && break
    sleep 0.1
done
[ -s "$tmp/recv.port" ] || fail "the webhook receiver did not start"
hook="http://127.0.0.1:$(cat "$tmp/recv.port")"
printf '%s\n' "[notifier ops]" "url-open = $hook/open" \
    "url-close = $hook/close" "interval = 5" "threshold = WARN" \
    "send-close = true" "" "[notifier pager]" "url-open = $hook/fail" \
    "interval = 5" "threshold = ERR" "max-retries = 1" >"$tmp/warren.ini"

"$WARREN_BIN" serve --demo --config "$tmp/warren.ini" \
    --listen 127.0.0.1:0 --data-dir "$tmp/data" \
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
