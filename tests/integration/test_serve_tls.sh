#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# warren serve over HTTPS ([http] tls-cert, tls-key, libmicrohttpd's
# GnuTLS): a throwaway self-signed certificate made here with openssl,
# checked by curl --cacert; plain HTTP on the same port gets nothing; a
# key that is not the certificate's, or a missing half, is one clear line
# and exit 2.
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-tls-XXXXXX")
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/log" ] && tail -5 "$T/log"; exit 1; }

mkcert() { # dir
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" \
        -out "$1/cert.pem" -days 1 -subj "/CN=127.0.0.1" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null ||
        fail "openssl could not make a certificate"
}
mkdir -p "$T/a" "$T/b"
mkcert "$T/a"
mkcert "$T/b"
printf '[http]\ntls-cert = %s\ntls-key = %s\n' "$T/a/cert.pem" \
    "$T/a/key.pem" >"$T/tls.ini"

"$W" serve --config "$T/tls.ini" --listen 127.0.0.1:0 --data-dir "$T/d" \
    --replay samples/stalled.jsonl >"$T/log" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 100); do
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$T/log")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || fail "no port"
body=""
for _ in $(seq 1 50); do
    body=$(curl -s --cacert "$T/a/cert.pem" "https://127.0.0.1:$port/healthz")
    [ -n "$body" ] && break
    sleep 0.1
done
echo "$body" | grep -q '"status":"ok"' || fail "healthz over https: $body"
for _ in $(seq 1 50); do
    grep -q "dashboard: https://" "$T/log" && break
    sleep 0.1
done
grep -q "dashboard: https://" "$T/log" || fail "banner does not say https"
curl -s --cacert "$T/b/cert.pem" "https://127.0.0.1:$port/healthz" \
    >/dev/null && fail "a certificate we do not trust was accepted"
out=$(curl -s -m 5 "http://127.0.0.1:$port/healthz")
[ -z "$out" ] || fail "plain HTTP answered: $out"
kill "$pid"
wait "$pid"
rc=$?
pid=""
[ "$rc" -eq 0 ] || fail "exit $rc after SIGTERM"

# the key of another certificate
printf '[http]\ntls-cert = %s\ntls-key = %s\n' "$T/a/cert.pem" \
    "$T/b/key.pem" >"$T/bad.ini"
out=$("$W" serve --config "$T/bad.ini" --listen 127.0.0.1:0 \
    --data-dir "$T/d2" --replay samples/stalled.jsonl 2>&1)
rc=$?
out=$(echo "$out" | grep "warren serve:")
[ "$rc" -eq 2 ] || fail "mismatched key exited $rc"
echo "$out" | grep -q "HTTPS" || fail "mismatched key: '$out'"
# one half only
printf '[http]\ntls-cert = %s\n' "$T/a/cert.pem" >"$T/half.ini"
out=$("$W" serve --config "$T/half.ini" --data-dir "$T/d3" 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "tls-cert alone exited $rc"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "not one line: $out"
echo "$out" | grep -q "tls-key" || fail "message: $out"
echo "ok: https served, untrusted and plain refused, bad key pairs refused"
