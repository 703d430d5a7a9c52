#!/bin/sh
# Installs the Debian packages Warren builds and tests with, and the npm
# package the dashboard test drives Chromium with. A no-op when all is there.
set -eu
PKGS="build-essential pkg-config libcriterion-dev libcjson-dev \
libmicrohttpd-dev libcurl4-openssl-dev librdkafka-dev libinih-dev libssl-dev \
curl python3 wrk"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' \
        || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
