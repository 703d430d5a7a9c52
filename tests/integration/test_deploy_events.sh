#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Rebalance and deployment events through the real daemon: warren serve
# replays samples/deploy-rolling.jsonl and samples/deploy-blue-green.jsonl
# (membership lines) fast. The group history must list each rebalance
# with its change, members and sentence and classify the deployment; SSE
# must send "rebalance" events; /metrics must count them; after SIGTERM
# and a restart on the same data dir, the rebalances are still listed.
# Waits on the API, not on a clock.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
cat >"$tmp/w.ini" <<INI
[cluster roll]
source = replay
file = samples/deploy-rolling.jsonl
speed = 50
[cluster bg]
source = replay
file = samples/deploy-blue-green.jsonl
speed = 50
INI
start_serve "$tmp/w.ini"
curl -sN "http://127.0.0.1:$port/v3/events" >"$tmp/sse" 2>/dev/null &
sse=$!

# until CLUSTER GROUP DEPLOYMENT: the history lists a rebalance of that kind
until_deploy() {
    for _ in $(seq 1 600); do
        curl -sf "$api/$1/consumer/$2/history" >"$tmp/h.json" 2>/dev/null &&
            python3 - "$tmp/h.json" "$3" <<'PY' && return 0
import json, sys
h = json.load(open(sys.argv[1]))["history"]
sys.exit(0 if any(r["deployment"] == sys.argv[2] for r in h["rebalances"]) else 1)
PY
        sleep 0.1
    done
    return 1
}

until_deploy roll ledger rolling
check "rolling deployment recognised (history)" $?
until_deploy bg billing blue-green
check "blue-green deployment recognised (history)" $?
python3 - "$api" <<'PY'
import json, sys, urllib.request
api = sys.argv[1]
h = json.load(urllib.request.urlopen(api + "/roll/consumer/ledger/history"))["history"]
rb = h["rebalances"]
assert rb, "no rebalances"
first = rb[0]
assert first["change"] == "left" and first["members_before"] == 3 and first["members"] == 2, first
assert first["left"][0]["client_id"] == "ledger-app", first
assert first["generation_before"] == 1 and first["generation"] == 2, first
assert first["partitions_moved"] > 0, first
assert first["deployment"] is None, first
assert "1 member left" in first["sentence"], first
assert [r["t"] for r in rb] == sorted(r["t"] for r in rb), "oldest first"
roll = [r for r in rb if r["deployment"] == "rolling"]
assert roll[0]["sentence"].startswith("rolling deployment: "), roll[0]
bg = json.load(urllib.request.urlopen(api + "/bg/consumer/billing/history"))["history"]["rebalances"]
last = [r for r in bg if r["deployment"] == "blue-green"][0]
assert last["left_total"] == 3 and {m["client_id"] for m in last["left"]} == {"billing-blue"}, last
PY
check "rebalance fields: change, members, generations, sentence" $?

curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics"
grep -q '^warren_group_rebalances_total{cluster="roll",group="ledger"} [1-9]' "$tmp/metrics"
check "warren_group_rebalances_total counts the rebalances" $?
grep -q '^warren_group_deployments_total{cluster="bg",group="billing",deployment="blue-green"} [1-9]' "$tmp/metrics"
check "warren_group_deployments_total by kind" $?
grep -q '^warren_group_last_rebalance_timestamp_seconds{cluster="roll",group="ledger"} ' "$tmp/metrics"
check "warren_group_last_rebalance_timestamp_seconds" $?
if command -v promtool >/dev/null; then
    promtool check metrics <"$tmp/metrics" >"$tmp/promtool" 2>&1
    check "promtool check metrics" $?
fi

kill "$sse" 2>/dev/null
wait "$sse" 2>/dev/null
grep -q '^event: rebalance' "$tmp/sse" &&
    grep -A1 '^event: rebalance' "$tmp/sse" | grep -q '"deployment":"rolling"'
check "SSE sends rebalance events with the deployment" $?

n_before=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["history"]["rebalances"]))' "$tmp/h.json")
kill -TERM "$pid"
wait "$pid"
check "warren serve exits 0 on SIGTERM" $?
start_serve "$tmp/w.ini"
curl -sf "$api/bg/consumer/billing/history" >"$tmp/h2.json"
n_after=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["history"]["rebalances"]))' "$tmp/h2.json")
[ "$n_after" -ge "$n_before" ] && [ "$n_before" -gt 0 ]
check "rebalances survive a restart ($n_before before, $n_after after)" $?
kill -TERM "$pid"
wait "$pid"
finish test_deploy_events.sh
