#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `make deps` is split: `make run` (and building) installs only the
# compiler and libraries; the browser, Node.js and Criterion are for
# `make test` alone.
set -u
. "$(dirname "$0")/../helpers/testlib.sh"

sh tests/deps.sh list build >"$tmp/build"
sh tests/deps.sh list test >"$tmp/test"
for p in build-essential pkg-config librdkafka-dev libmicrohttpd-dev \
    libcurl4-openssl-dev libcjson-dev libinih-dev libssl-dev; do
    check "building needs $p" "$(grep -qx "$p" "$tmp/build"; echo $?)"
done
for p in chromium libcriterion-dev node npm wrk prometheus; do
    check "building does not need $p" "$(! grep -qx "$p" "$tmp/build"; echo $?)"
    check "  testing does" "$(grep -qx "$p" "$tmp/test"; echo $?)"
done
check "every build package is a test package too" \
    "$(! grep -qvxFf "$tmp/test" "$tmp/build"; echo $?)"
make -n run >"$tmp/run" 2>&1
check "make run installs the build set only" \
    "$(grep -q 'tests/deps.sh build' "$tmp/run" &&
      ! grep -q 'tests/deps.sh test' "$tmp/run"; echo $?)"
make -n test 2>/dev/null | head -n 5 >"$tmp/test-run"
check "make test installs the test set" \
    "$(grep -q 'tests/deps.sh test' "$tmp/test-run"; echo $?)"
sh tests/deps.sh nonsense 2>"$tmp/err"
check "a bad set is refused with exit 2" "$([ $? -eq 2 ]; echo $?)"
finish test_deps
