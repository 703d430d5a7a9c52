#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `warren template render`: every sample template renders to valid JSON
# over the example data, escape modes and their defaults, and bad files
# give one line naming the file (and line / byte offset) with exit 2.
set -u
WARREN_BIN=${WARREN_BIN:-build/default/warren}
T=samples/templates
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # description, command status (0 = pass)
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        fails=$((fails + 1))
    fi
}

# Runs warren template with the rest of the arguments; sets out, err, rc.
run() {
    "$WARREN_BIN" template "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

n=0
for f in "$T"/*.json; do
    case "$f" in *example-data.json) continue ;; esac
    n=$((n + 1))
    run render "$f" "$T/example-data.json"
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out" \
        2>/dev/null
    valid=$?
    check "${f##*/} renders valid JSON (rc $rc)" $(( rc != 0 || valid != 0 ))
done
check "at least 6 sample templates ($n)" $(( n < 6 ))

run render "$T/pagerduty-trigger.json" "$T/example-data.json"
dedup=$(printf '%s' "$out" | python3 -c \
    'import json,sys; print(json.load(sys.stdin)["dedup_key"])' 2>/dev/null)
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
    "$T/example-data.json")
check "pagerduty dedup_key is the incident id" "$([ "$dedup" = "$id" ]; echo $?)"

printf 'v={{v}}' >"$tmp/t.txt"
cp "$tmp/t.txt" "$tmp/t.html"
cp "$tmp/t.txt" "$tmp/t.json"
printf '{"v":"<a&\\"b\\">"}' >"$tmp/d.json"
run render "$tmp/t.txt" "$tmp/d.json"
check "no escaping by default for .txt" "$([ "$out" = 'v=<a&"b">' ]; echo $?)"
run render "$tmp/t.html" "$tmp/d.json"
check "html escaping by default for .html" \
    "$([ "$out" = 'v=&lt;a&amp;&quot;b&quot;&gt;' ]; echo $?)"
run render "$tmp/t.json" "$tmp/d.json"
check "json escaping by default for .json" \
    "$([ "$out" = 'v=<a&\"b\">' ]; echo $?)"
run render "$tmp/t.json" "$tmp/d.json" --escape none
check "--escape none overrides the default" \
    "$([ "$out" = 'v=<a&"b">' ]; echo $?)"
run render --escape=html "$tmp/t.txt" "$tmp/d.json"
check "--escape=html before the files" \
    "$([ "$out" = 'v=&lt;a&amp;&quot;b&quot;&gt;' ]; echo $?)"

printf '{\n  "a": "{{#x}}"\n}\n' >"$tmp/bad.json"
run render "$tmp/bad.json" "$tmp/d.json"
check "template error names file:line, exit 2" \
    "$([ $rc -eq 2 ] && [ "$err" = "$tmp/bad.json:2: unclosed section '{{#x}}'" ]
      echo $?)"
printf '{\n "a": 1,\n "b": }\n' >"$tmp/bad-data.json"
run render "$tmp/t.txt" "$tmp/bad-data.json"
check "data error names file and byte offset, exit 2" \
    "$([ $rc -eq 2 ] &&
      [ "$err" = "$tmp/bad-data.json: invalid JSON at byte 17 (line 3)" ]
      echo $?)"
run render "$tmp/t.txt" "$tmp/missing.json"
check "missing data file is one line, exit 2" \
    "$([ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
      [ "$err" = "$tmp/missing.json: No such file or directory" ]; echo $?)"
run render "$tmp/t.txt" "$tmp/d.json" --escape xml
check "bad --escape value, exit 2" "$([ $rc -eq 2 ]; echo $?)"
run render "$tmp/t.txt"
check "missing DATA argument, exit 2" "$([ $rc -eq 2 ]; echo $?)"
run render --help
check "--help on stdout, exit 0" \
    "$([ $rc -eq 0 ] && grep -q 'default: json if TEMPLATE ends in .json' \
      "$tmp/out"; echo $?)"

echo "template cli: $fails failed"
[ "$fails" -eq 0 ]
