#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `warren check-config`: every sample config passes (exit 0) and prints
# its effective configuration, secrets masked; broken files, unwritable
# data dirs, unreadable trace files and a busy listen address exit 2 with
# FILE:LINE: [section] key: why. `warren config-keys --man` lists exactly
# the keys `warren config-keys` lists.
# check takes a status as one word: $(...; echo $?) never splits.
# shellcheck disable=SC2046
set -u
WARREN_BIN=${WARREN_BIN:-build/default/warren}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null' EXIT
fails=0

check() { # description, command status (0 = pass)
    if [ "$2" -eq 0 ]; then
        echo "ok   $1"
    else
        echo "FAIL $1"
        fails=$((fails + 1))
    fi
}

# Runs warren check-config with the arguments; sets out, err, rc.
run() {
    "$WARREN_BIN" check-config "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    out=$(cat "$tmp/out")
    err=$(cat "$tmp/err")
}

# ---- every sample passes ------------------------------------------------
# (on a free port and a fresh data dir: the samples' 8000 may be in use)
n=0
for f in samples/*.ini; do
    n=$((n + 1))
    run --config "$f" --listen 127.0.0.1:0 --data-dir "$tmp/data"
    check "${f##*/} passes (rc $rc${err:+: $err})" $((rc != 0))
    check "${f##*/}: effective config on stdout" \
        $(printf '%s' "$out" | grep -q '^\[general\]' && \
          printf '%s' "$out" | grep -q '^\[cluster '; echo $?)
    check "${f##*/}: nothing created" $([ ! -e "$tmp/data" ]; echo $?)
    # the printout is itself a valid configuration
    printf '%s\n' "$out" >"$tmp/effective.ini"
    run --config "$tmp/effective.ini" --listen 127.0.0.1:0
    check "${f##*/}: its effective config passes too (rc $rc${err:+: $err})" \
        $((rc != 0))
done
check "at least 3 sample configs ($n)" $((n < 3))

run
check "no --config: the built-in configuration (rc $rc)" \
    $([ $rc -ne 2 ] && printf '%s' "$out" | grep -q '^source = embedded'; \
      echo $?)

# ---- secrets are resolved and masked -------------------------------------
cat >"$tmp/secrets.ini" <<'EOF'
[http]
admin-token = ${WARREN_TEST_TOKEN}
[cluster prod]
source = kafka
servers = 127.0.0.1:1
kafka.sasl.username = warren
kafka.sasl.password = ${WARREN_TEST_PASSWORD}
[notifier ops]
url-open = https://hooks.example.com/services/T0/B0/XXXX
headers = Authorization: Bearer ${WARREN_TEST_TOKEN}
secret = ${WARREN_TEST_PASSWORD}
EOF
WARREN_TEST_TOKEN=tok3nVALUE WARREN_TEST_PASSWORD=hunter2pw \
    run --config "$tmp/secrets.ini" --listen 127.0.0.1:0 --data-dir "$tmp/d"
check "secrets config passes (rc $rc${err:+: $err})" $((rc != 0))
check "no secret in the output" \
    $(! printf '%s' "$out" | grep -qE 'tok3nVALUE|hunter2pw|services'; \
      echo $?)
check "masked values are shown as masked" \
    $(printf '%s' "$out" | grep -q '^kafka.sasl.password = \*\*\*\*\*\*\*\*' \
      && printf '%s' "$out" | grep -q '^admin-token = \*\*\*\*\*\*\*\*' \
      && printf '%s' "$out" | grep -q '^kafka.sasl.username = warren'; \
      echo $?)
env -u WARREN_TEST_TOKEN WARREN_TEST_PASSWORD=x \
    "$WARREN_BIN" check-config --config "$tmp/secrets.ini" >"$tmp/out" \
    2>"$tmp/err"
rc=$?
check "an unset \${ENV} is exit 2 with file:line (rc $rc)" \
    $([ $rc -eq 2 ] && grep -qF "$tmp/secrets.ini:2: [http] admin-token: environment variable WARREN_TEST_TOKEN is not set" "$tmp/err"; echo $?)

# ---- broken files: exit 2, FILE:LINE: [section] key: why ----------------
broken() { # description, file text, expected stderr text
    printf '%b' "$2" >"$tmp/broken.ini"
    run --config "$tmp/broken.ini" --listen 127.0.0.1:0
    local want="warren check-config: $tmp/broken.ini:$3"
    # the first problem is the one asked about; a data dir's broker dir
    # (derived from it) may follow
    check "$1 (rc $rc: $err)" \
        $([ $rc -eq 2 ] && [ "$(head -n 1 "$tmp/err")" = "$want" ] && \
          [ -z "$out" ]; echo $?)
}
broken "unknown key" '[general]\nbogus = 1\n' \
    '2: [general] bogus: unknown key'
broken "sub-second HTTP timeout is refused, not rounded" \
    '[http]\ntimeout = 500ms\n' \
    "2: [http] timeout: '500ms' is not a multiple of 1s (the HTTP server counts whole seconds)"
broken "bad duration" '[storage]\n\nexpire-group = 7 days\n' \
    "3: [storage] expire-group: bad duration '7 days' (an integer of seconds, or with ms, s, m, h or d; at most 3650d)"
broken "missing required key" '[cluster k]\nsource = kafka\n' \
    "1: [cluster k]: missing required key 'servers' (source = kafka)"
broken "data dir under a file" "[general]\ndata-dir = $tmp/broken.ini/sub\n" \
    "2: [general] data-dir: '$tmp/broken.ini/sub': Not a directory"
: >"$tmp/plain-file"
broken "data dir that is a file" "[general]\ndata-dir = $tmp/plain-file\n" \
    "2: [general] data-dir: '$tmp/plain-file' is not a directory"
broken "embedded broker dir that is a file" \
    "[cluster e]\nsource = embedded\ndata-dir = $tmp/plain-file\n" \
    "3: [cluster e] data-dir: '$tmp/plain-file' is not a directory"
broken "replay trace that does not exist" \
    "[cluster r]\nsource = replay\nfile = $tmp/no-such.jsonl\n" \
    "3: [cluster r] file: cannot read '$tmp/no-such.jsonl': No such file or directory"

run --config "$tmp/no-such.ini"
check "a missing file is exit 2 naming it (rc $rc)" \
    $([ $rc -eq 2 ] && [ "$err" = "warren check-config: $tmp/no-such.ini: cannot open: No such file or directory" ]; echo $?)

# ---- a busy listen address ------------------------------------------------
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$tmp/port" &
holder=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")
printf '[http]\nlisten = 127.0.0.1:%s\n' "$port" >"$tmp/busy.ini"
run --config "$tmp/busy.ini" --data-dir "$tmp/d"
check "a listen address in use is exit 2 with file:line (rc $rc: $err)" \
    $([ $rc -eq 2 ] && [ "$err" = "warren check-config: $tmp/busy.ini:2: [http] listen: cannot listen on 127.0.0.1:$port: Address already in use" ]; echo $?)
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=

# ---- config-keys and the man page ----------------------------------------
"$WARREN_BIN" config-keys >"$tmp/keys"
rc1=$?
"$WARREN_BIN" config-keys --man >"$tmp/man"
rc2=$?
check "config-keys and --man exit 0" $((rc1 != 0 || rc2 != 0))
awk '{print $1, $2}' "$tmp/keys" | sort >"$tmp/keys.list"
awk '/^\.SS /{s=$2; if (s !~ /\]$/) s = s "]"} /^\.TP$/{getline; sub(/^\.B /, ""); gsub(/\\-/, "-"); gsub(/\\fINAME\\fR/, ""); print s, $0}' \
    "$tmp/man" | sort >"$tmp/man.list"
check "the man page lists exactly the table's keys ($(wc -l <"$tmp/keys.list") keys)" \
    $(cmp -s "$tmp/keys.list" "$tmp/man.list" && [ -s "$tmp/keys.list" ]; echo $?)
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$tmp/man" 2>"$tmp/groff"
    check "groff reads the man page without warnings" \
        $([ ! -s "$tmp/groff" ]; echo $?)
fi

echo "test_check_config: $fails failed"
[ "$fails" -eq 0 ]
