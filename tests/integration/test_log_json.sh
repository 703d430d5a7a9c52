#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# --log-format json: every line warren serve writes on stderr is one JSON
# object (parsed strictly, line by line: no duplicate keys, no control
# characters, nothing else on the line) with ts, level and msg, and the
# structured fields the events carry. The run covers the banner, the
# demo, status changes, librdkafka's lines for a cluster that cannot be
# reached, a log level change through /v3/admin/loglevel and shutdown;
# a config error with --log-format json is a JSON line too.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"

# Checks every line of a log file; prints the first bad one. With
# "want K=V ..." arguments, also requires a line whose fields match.
cat >"$tmp/check.py" <<'PY'
import json, re, sys

def no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key in %r" % keys)
    return dict(pairs)

path, wants = sys.argv[1], sys.argv[2:]
objs = []
with open(path, "rb") as f:
    for n, raw in enumerate(f, 1):
        try:
            text = raw.decode("utf-8")
            if not text.endswith("\n"):
                raise ValueError("no newline at the end")
            o = json.loads(text, object_pairs_hook=no_dups, strict=True)
            if not isinstance(o, dict):
                raise ValueError("not an object")
            if list(o)[:3] != ["ts", "level", "msg"]:
                raise ValueError("does not start with ts, level, msg")
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
                                o["ts"]):
                raise ValueError("ts %r" % o["ts"])
            if o["level"] not in ("debug", "info", "warn", "error", "fatal"):
                raise ValueError("level %r" % o["level"])
            if not isinstance(o["msg"], str) or not o["msg"]:
                raise ValueError("msg")
        except ValueError as e:
            print("line %d: %s: %r" % (n, e, raw[:300]))
            sys.exit(1)
        objs.append(o)
for want in wants:
    kv = dict(w.split("=", 1) for w in want.split(","))
    if not any(all(str(o.get(k)) == v for k, v in kv.items()) for o in objs):
        print("no line with %s" % want)
        sys.exit(1)
print("%d lines" % len(objs))
PY

# A config error is one JSON line too.
printf '[general]\nsnapshot-interval = soon\n' >"$tmp/bad.ini"
"$WARREN_BIN" serve --config "$tmp/bad.ini" --log-format json \
    --listen 127.0.0.1:0 --data-dir "$tmp/bad" 2>"$tmp/bad.log"
rc=$?
check "a bad config exits 2 ($rc)" "$([ "$rc" -eq 2 ]; echo $?)"
check "  its error is a JSON line naming file:line" \
    "$(python3 "$tmp/check.py" "$tmp/bad.log" "level=error" >"$tmp/out" &&
      grep -q 'bad.ini:2' "$tmp/bad.log"; echo $?)"

cat >"$tmp/warren.ini" <<'INI'
[http]
admin-token = log-test-token
; a fresh evaluation every second, so a status change shows soon
[evaluator]
expire-cache = 0
[cluster local]
source = embedded
[cluster gone]
source = kafka
; nothing listens on port 1: librdkafka logs its connection failures
servers = 127.0.0.1:1
offset-refresh = 1s
INI
"$WARREN_BIN" serve --demo --demo-speed 10 --config "$tmp/warren.ini" \
    --log-format json \
    --listen 127.0.0.1:0 --data-dir "$tmp/data" 2>"$tmp/log" &
pid=$!

# Bounded wait for a pattern in the log.
wait_log() { # regex seconds
    for _ in $(seq $(($2 * 10))); do
        grep -q "$1" "$tmp/log" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
wait_port "$tmp/log"
check "serve started (port $port)" "$([ -n "$port" ]; echo $?)"
wait_log '"msg":"Warren is running"' 20
check "the banner is a log event" $?
wait_log '"msg":"status [A-Z]* -> [A-Z]*"' 60
check "a status change was logged" $?
wait_log '"msg":"librdkafka: ' 30
check "librdkafka's lines go through the log" $?
wait_log '"msg":"cluster unavailable"' 30
check "the unreachable cluster was logged" $?
curl -s -X POST -H 'Authorization: Bearer log-test-token' \
    -H 'Content-Type: application/json' \
    -d '{"level":"debug"}' \
    "http://127.0.0.1:$port/v3/admin/loglevel" >/dev/null
wait_log '"msg":"log level changed"' 10
check "the level change was logged" $?
kill "$pid"
wait "$pid"
rc=$?
pid=
check "serve exits 0 on SIGTERM ($rc)" "$([ "$rc" -eq 0 ]; echo $?)"
python3 "$tmp/check.py" "$tmp/log" \
    "msg=warren starting,config=$tmp/warren.ini" \
    "msg=Warren is running" \
    "msg=source up,cluster=local,source=embedded" \
    "msg=demo producing,topic=orders" \
    "msg=cluster unavailable,cluster=gone" \
    "cluster=gone,facility=FAIL" \
    "msg=log level changed,from=info,to=debug" \
    "msg=stopped" >"$tmp/out"
rc=$?
check "every line is a strict JSON object with the fields: $(cat "$tmp/out")" \
    "$rc"
grep '"msg":"status ' "$tmp/log" | head -n 1 >"$tmp/status.log"
check "  a status line carries cluster, group, from, to, totallag" \
    "$(python3 - "$tmp/status.log" <<'PY'
import json, sys
o = json.loads(open(sys.argv[1]).readline())
ok = all(k in o for k in ("cluster", "group", "from", "to", "totallag"))
ok = ok and isinstance(o["totallag"], int)
sys.exit(0 if ok else 1)
PY
    echo $?)"
[ "$fails" -eq 0 ] || { echo "--- log"; head -c 6000 "$tmp/log"; }
[ -n "${KEEP_LOG:-}" ] && cp "$tmp/log" "$KEEP_LOG"
finish test_log_json
