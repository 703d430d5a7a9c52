#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# One version everywhere: `warren --version` and `warren version` print
# "warren <version>" (git describe of the tree, or the VERSION file of a
# tarball), and a running daemon shows the same string in GET /v3/info,
# the warren_build_info metric and the User-Agent it sends (the webhook
# side of that is in test_notifier.c).
set -u
. "$(dirname "$0")/../helpers/testlib.sh"

line=$("$WARREN_BIN" --version)
check "--version exits 0" $?
ver=${line#warren }
check "--version prints 'warren <version>' ($line)" \
    "$([[ "$line" =~ ^warren\ [A-Za-z0-9._+~-]+$ ]]; echo $?)"
check "version prints the same line" \
    "$([ "$("$WARREN_BIN" version)" = "$line" ]; echo $?)"
"$WARREN_BIN" version extra >/dev/null 2>"$tmp/err"
check "version with an argument exits 2" "$([ $? -eq 2 ]; echo $?)"
check "  and names the argument" "$(grep -q "'extra'" "$tmp/err"; echo $?)"
check "the command list shows version" \
    "$("$WARREN_BIN" --help | grep -q '^  version '; echo $?)"
if [ ! -f VERSION ] && [ -e .git ] &&
    command -v git >/dev/null; then
    want=$(git describe --always)
    check "the version is git describe of the tree ($want)" \
        "$([ "${ver%-dirty}" = "$want" ]; echo $?)"
fi

"$WARREN_BIN" serve --listen 127.0.0.1:0 --data-dir "$tmp/data" \
    2>"$tmp/log" &
pid=$!
wait_port "$tmp/log"
check "serve started" "$([ -n "$port" ]; echo $?)"
if [ -n "$port" ]; then
    curl -s "http://127.0.0.1:$port/v3/info" >"$tmp/info"
    check "GET /v3/info shows the version" "$(python3 - "$tmp/info" "$ver" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
i = d["info"]
ok = (d["error"] is False and d["message"] == "build info returned"
      and i["name"] == "warren" and i["version"] == sys.argv[2]
      and i["user-agent"] == "Warren/" + sys.argv[2]
      and d["request"]["url"] == "/v3/info")
sys.exit(0 if ok else 1)
PY
    echo $?)"
    curl -s "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
    check "warren_build_info{version=...} 1 in /metrics" \
        "$(grep -qxF "warren_build_info{version=\"$ver\"} 1" "$tmp/metrics"
          echo $?)"
    check "  with its TYPE line" \
        "$(grep -qx '# TYPE warren_build_info gauge' "$tmp/metrics"; echo $?)"
fi

finish test_version
