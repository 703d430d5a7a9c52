# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Sourced by the integration scripts that watch the embedded broker over
# its own Kafka listener.

# Prints a config for one warren serve that watches its own embedded
# broker over the wire: the embedded cluster "local" with its Kafka
# listener on 127.0.0.1:PORT, and source = kafka clusters "wadmin"
# (offsets = admin) and "wtopic" (offsets = offsets-topic) pointed at it,
# refreshed every second.
wire_clusters_ini() { # kafka port
    cat <<INI
[broker]
listen = 127.0.0.1:$1
[cluster local]
source = embedded
offset-refresh = 1s
[cluster wadmin]
source = kafka
servers = 127.0.0.1:$1
offsets = admin
offset-refresh = 1s
topic-refresh = 2s
[cluster wtopic]
source = kafka
servers = 127.0.0.1:$1
offsets = offsets-topic
offset-refresh = 1s
topic-refresh = 2s
INI
}

# Starts one warren serve (testlib.sh's start_serve: $pid, $port, $api,
# its log in $tmp/warren.log) on wire_clusters_ini with a free Kafka port
# (set in KP) and the evaluator's cache off, so every answer is fresh;
# its arguments are further config lines (another cluster, say). Needs
# testlib.sh sourced first.
# shellcheck disable=SC2154,SC2120 # tmp: testlib.sh's; arguments optional
wire_clusters_serve() {
    KP=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    {
        wire_clusters_ini "$KP"
        printf '%s\n' "[evaluator]" "expire-cache = 0" "$@"
    } >"$tmp/w.ini"
    start_serve "$tmp/w.ini" "$tmp/d"
}
