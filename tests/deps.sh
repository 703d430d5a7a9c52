#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what Warren needs, in two sets (a no-op when they are there):
#
#   sh tests/deps.sh build   building, `make run`, `make install`/`make deb`:
#                            the compiler, pkg-config and the libraries'
#                            development packages, python3 (man page)
#   sh tests/deps.sh [test]  the above and what `make test` needs: Criterion,
#                            curl, wrk, Chromium, kcat and the Python Kafka
#                            clients, clang with its runtime (fuzzing),
#                            faketime, openssl (test certificates),
#                            groff (the man page test), prometheus
#                            (promtool: the /metrics lint and the sample
#                            alert rules' checks and unit tests; the
#                            package also installs a Prometheus server
#                            service, which `systemctl disable --now
#                            prometheus` turns off),
#                            clang-format and shellcheck (make
#                            format-check, make shellcheck),
#                            Node.js with npm, and from npm
#                            playwright-core for the dashboard's browser
#                            test (it drives Debian's chromium; no browser
#                            is downloaded) and kafkajs for the
#                            wire-protocol test
#
# Debian packages come through apt-get, npm packages through package.json
# in tests/. `sh tests/deps.sh list build|test` prints a set's Debian
# packages and commands (node, npm), one a line, and installs nothing.
set -eu
cd "$(dirname "$0")/.."
list=
if [ "${1:-}" = list ]; then
    list=1
    shift
fi
mode=${1:-test}
case "$mode" in build | test) ;; *)
    echo "usage: sh tests/deps.sh [list] [build|test]" >&2; exit 2 ;;
esac
BUILD_PKGS="build-essential pkg-config libcjson-dev libmicrohttpd-dev \
libcurl4-openssl-dev librdkafka-dev libinih-dev libssl-dev python3 adduser"
TEST_PKGS="libcriterion-dev curl wrk chromium kcat python3-kafka \
python3-confluent-kafka clang libclang-rt-14-dev faketime openssl groff-base \
clang-format shellcheck prometheus"
PKGS=$BUILD_PKGS
[ "$mode" = build ] || PKGS="$PKGS $TEST_PKGS"
if [ -n "$list" ]; then
    # shellcheck disable=SC2086 # one package a line
    printf '%s\n' $PKGS
    [ "$mode" = build ] || printf '%s\n' node npm
    exit 0
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
        grep -q '^install ok installed' || missing="$missing $p"
done
if [ "$mode" = test ]; then
    # Node.js may come from Debian or elsewhere: ask for the commands.
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086 # one argument per package
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
[ "$mode" = test ] || exit 0
if [ ! -f tests/kafkajs/node_modules/kafkajs/package.json ]; then
    echo "deps: npm ci (tests/kafkajs)"
    npm ci --prefix tests/kafkajs --no-audit --no-fund --loglevel=error
fi
if [ ! -f tests/dashboard/node_modules/playwright-core/package.json ]; then
    echo "deps: npm ci (tests/dashboard)"
    npm ci --prefix tests/dashboard --no-audit --no-fund --loglevel=error
fi
