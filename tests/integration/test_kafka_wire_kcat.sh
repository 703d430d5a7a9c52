#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `warren broker serve` against kcat (librdkafka 2.0.2) over real sockets:
# metadata, 100k lines produced and consumed back in order per partition
# with keys landing where Warren's murmur2 says, group consumption whose
# commits `warren broker groups` reads after a restart, a gzip batch
# refused with UNSUPPORTED_COMPRESSION_TYPE, and malformed or oversized
# frames closing only their own connection with one log line.
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-kcat-XXXXXX")
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fails=0
checks=0
ok() { checks=$((checks + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); checks=$((checks + 1)); }
expect_eq() {
    if [ "$2" == "$3" ]; then ok; else fail "$1: want [$2] got [$3]"; fi
}

if ! command -v kcat >/dev/null; then
    echo "kcat missing (make deps)"
    exit 1
fi

start() { # data dir, extra args
    local d=$1
    shift
    "$W" broker serve --data-dir "$d" --listen 127.0.0.1:0 "$@" \
        >"$T/serve.out" 2>>"$T/serve.err" &
    pid=$!
    for _ in $(seq 1 1200); do
        grep -q '^listening on' "$T/serve.out" 2>/dev/null && break
        sleep 0.05
    done
    PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$T/serve.out")
    B=127.0.0.1:$PORT
}
stop() {
    kill "$pid"
    wait "$pid"
    local rc=$?
    pid=""
    return $rc
}

D=$T/data
start "$D" --num-partitions 4
[ -n "$PORT" ] || { echo "FAIL: broker did not start: $(cat "$T/serve.err")"; exit 1; }

# Metadata: the broker, and a topic auto-created by a metadata request.
kcat -b "$B" -L -t auto1 >"$T/md" 2>&1
grep -q "broker 0 at 127.0.0.1:$PORT" "$T/md" && ok || fail "-L broker: $(cat "$T/md")"
grep -q 'topic "auto1" with 4 partitions' "$T/md" && ok || fail "-L auto-create: $(cat "$T/md")"

# 100k keyed lines; every one comes back once, in order per partition, on
# the partition Warren's murmur2 partitioner gives its key.
seq 1 100000 | awk '{print "k" $1 "\t" $1}' >"$T/lines"
kcat -b "$B" -P -t big -K '\t' -X topic.partitioner=murmur2_random \
    -X linger.ms=5 <"$T/lines" 2>"$T/prod.err"
expect_eq "produce 100k exit" 0 $?
kcat -b "$B" -C -t big -e -q -f '%p\t%o\t%k\t%s\n' >"$T/got" 2>"$T/cons.err"
expect_eq "consumed count" 100000 "$(wc -l <"$T/got")"
expect_eq "every line once" "$(cut -f2 "$T/lines" | sort -n | md5sum)" \
    "$(cut -f4 "$T/got" | sort -n | md5sum)"
bad_order=$(awk -F'\t' '{ if (($1 in last) && ($4 + 0 <= last[$1] || $2 + 0 != off[$1] + 1)) n++; last[$1] = $4 + 0; off[$1] = $2 + 0 } END { print n + 0 }' "$T/got")
expect_eq "in order per partition, offsets dense" 0 "$bad_order"
head -n 500 "$T/got" | cut -f3 >"$T/keys"
mapfile -t keys <"$T/keys"
"$W" broker partition --partitions 4 "${keys[@]}" >"$T/want_parts"
expect_eq "key partitions match murmur2" "$(cut -f2 "$T/want_parts")" \
    "$(head -n 500 "$T/got" | cut -f1)"

# Group consumption with commits: consume all 1000 records in group g1.
seq 1 1000 | kcat -b "$B" -P -t gt -p 0
kcat -b "$B" -G g1 gt -X auto.offset.reset=earliest -q -e -f '%s\n' \
    >"$T/g1" 2>"$T/g1.err"
expect_eq "group consumed" 1000 "$(wc -l <"$T/g1")"
# A second run of the group resumes at the committed offsets: nothing.
kcat -b "$B" -G g1 gt -X auto.offset.reset=earliest -q -e -f '%s\n' \
    >"$T/g1b" 2>&1
expect_eq "group resumes after commits" 0 "$(wc -l <"$T/g1b")"

# A compressed batch (librdkafka itself falls back to uncompressed from
# the versions advertised, so the frame is built by hand): Kafka's
# UNSUPPORTED_COMPRESSION_TYPE (76), nothing appended, no crash.
python3 - "$PORT" <<'EOF' >"$T/gz.out" 2>&1
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
batch = bytearray(70)
struct.pack_into(">qiib", batch, 0, 0, len(batch) - 12, -1, 2)
struct.pack_into(">h", batch, 21, 1)  # attributes: gzip
body = (struct.pack(">hhih", 0, 3, 9, -1) + struct.pack(">hhi", -1, 1, 1000)
        + struct.pack(">ih", 1, 2) + b"gz" + struct.pack(">ii", 1, 0)
        + struct.pack(">i", len(batch)) + bytes(batch))
s.sendall(struct.pack(">i", len(body)) + body)
resp = b""
while len(resp) < 4 or len(resp) < 4 + struct.unpack(">i", resp[:4])[0]:
    resp += s.recv(4096)
print(struct.unpack(">h", resp[4 + 4 + 4 + 4 + 4 + 4:][:2])[0])
EOF
expect_eq "compressed batch refused" 76 "$(cat "$T/gz.out")"
kcat -b "$B" -C -t gz -e -q -f '%s\n' >"$T/gz.got" 2>&1
expect_eq "nothing appended" "" "$(cat "$T/gz.got")"

# Malformed frames: a Metadata v1 request cut inside its topic array, and
# a size prefix over socket.request.max.bytes. Each closes its own
# connection with one log line; the broker serves on.
python3 - "$PORT" <<'EOF' >"$T/bad.out" 2>&1
import socket, struct, sys
port = int(sys.argv[1])
def send(frame):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(frame)
    s.settimeout(5)
    try:
        data = s.recv(100)
    except ConnectionResetError:
        data = b""
    print("closed" if data == b"" else "answered")
body = struct.pack(">hhih", 3, 1, 7, 1) + b"x" + struct.pack(">i", 5) + b"\x00\x03ab"
send(struct.pack(">i", len(body)) + body)
send(struct.pack(">i", 200 * 1024 * 1024) + b"\x00" * 16)
EOF
expect_eq "malformed frames close" "closed
closed" "$(cat "$T/bad.out")"
grep -q "closing 127.0.0.1:[0-9]*: malformed Metadata v1 request (api key 3): array count larger than the frame at byte 11" \
    "$T/serve.err" && ok || fail "malformed log line: $(cat "$T/serve.err")"
grep -q "request size 209715200 over socket.request.max.bytes" "$T/serve.err" \
    && ok || fail "oversize log line: $(cat "$T/serve.err")"
kcat -b "$B" -L -t big >"$T/md2" 2>&1
grep -q 'topic "big" with 4 partitions' "$T/md2" && ok || fail "serves on after bad frames"

# Restart: the records and the group's commits are there.
stop || fail "serve exit status"
"$W" broker groups --data-dir "$D" --group g1 --format json >"$T/groups.json"
expect_eq "committed lag after restart" 0 "$(python3 -c 'import json,sys
print(sum(r["lag"] for r in json.load(open(sys.argv[1]))))' "$T/groups.json")"
expect_eq "committed offset after restart" 1000 "$(python3 -c 'import json,sys
print(sum(r["committed"] for r in json.load(open(sys.argv[1]))))' "$T/groups.json")"
start "$D"
kcat -b "$B" -C -t big -e -q -f '%s\n' | wc -l >"$T/n2"
expect_eq "records after restart" 100000 "$(cat "$T/n2")"

# max.connections and connections.max.idle.ms: a request gets its
# answer, a third connection is closed at once (one log line), an idle
# one after the timeout. The timeout is long enough that the first two
# stay open until the third has been refused on a loaded machine.
stop || fail "serve exit status (2)"
start "$D" --max-connections 2 --idle-timeout-ms 4000
python3 - "$PORT" <<'EOF' >"$T/limits.out" 2>&1
import socket, struct, sys, time
port = int(sys.argv[1])
def closed(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True
a = socket.create_connection(("127.0.0.1", port))
body = struct.pack(">hhih", 18, 0, 1, -1)  # ApiVersions v0
a.sendall(struct.pack(">i", len(body)) + body)
a.settimeout(5)
print("answered" if len(a.recv(4)) == 4 else "no answer")
b = socket.create_connection(("127.0.0.1", port))
time.sleep(0.1)
c = socket.create_connection(("127.0.0.1", port))
print("third closed" if closed(c, 3) else "third open")
print("idle closed" if closed(b, 15) else "idle open")
EOF
expect_eq "connection limits" "answered
third closed
idle closed" "$(cat "$T/limits.out")"
grep -q "refusing a connection: max.connections 2 reached" "$T/serve.err" &&
    ok || fail "max.connections log line: $(tail -n 3 "$T/serve.err")"

# A taken port: one line, exit 2.
"$W" broker serve --data-dir "$T/other" --listen "127.0.0.1:$PORT" \
    >/dev/null 2>"$T/taken.err"
expect_eq "taken port exit" 2 $?
expect_eq "taken port one line" 1 "$(wc -l <"$T/taken.err")"
grep -q "Address already in use" "$T/taken.err" && ok || fail "taken port: $(cat "$T/taken.err")"

echo "$((checks - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
