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
