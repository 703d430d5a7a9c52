#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# KafkaJS (npm, tests/kafkajs) against `warren broker serve`: producer,
# two-member consumer group, admin fetchOffsets/listGroups/describeGroups/
# createTopics/deleteTopics (tests/kafkajs/kafkajs.test.js).
set -u
W=${WARREN_BIN:-build/default/warren}
T=$(mktemp -d "${TMPDIR:-/tmp}/warren-kafkajs-XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"; rm -rf "$T"' EXIT
D=$(dirname "$0")/../kafkajs
if [ ! -f "$D/node_modules/kafkajs/package.json" ]; then
    echo "kafkajs missing (make deps)"
    exit 1
fi
"$W" broker serve --data-dir "$T/data" --listen 127.0.0.1:0 \
    >"$T/serve.out" 2>"$T/serve.err" &
pid=$!
for _ in $(seq 1 1200); do
    grep -q '^listening on' "$T/serve.out" 2>/dev/null && break
    sleep 0.05
done
addr=$(sed -n 's/^listening on //p' "$T/serve.out")
node "$D/kafkajs.test.js" "$addr"
rc=$?
[ $rc -eq 0 ] || tail -n 20 "$T/serve.err"
exit $rc
