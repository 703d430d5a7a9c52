#!/bin/sh
# Installs what Warren builds and tests with: Debian packages through
# apt-get, and playwright-core from npm for the dashboard's browser test
# (it drives Debian's chromium; no browser is downloaded) and kafkajs for
# the wire-protocol test. A no-op when
# everything is there.
set -eu
cd "$(dirname "$0")/.."
PKGS="build-essential pkg-config libcriterion-dev libcjson-dev \
libmicrohttpd-dev libcurl4-openssl-dev librdkafka-dev libinih-dev libssl-dev \
curl python3 wrk chromium kcat python3-kafka python3-confluent-kafka clang libclang-rt-14-dev \
faketime openssl"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
        grep -q '^install ok installed' || missing="$missing $p"
done
# Node.js may come from Debian or elsewhere: ask for the commands.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
if [ ! -f tests/kafkajs/node_modules/kafkajs/package.json ]; then
    echo "deps: npm ci (tests/kafkajs)"
    npm ci --prefix tests/kafkajs --no-audit --no-fund --loglevel=error
fi
if [ ! -f tests/dashboard/node_modules/playwright-core/package.json ]; then
    echo "deps: npm ci (tests/dashboard)"
    npm ci --prefix tests/dashboard --no-audit --no-fund --loglevel=error
fi
