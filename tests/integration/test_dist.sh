#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# make dist: a tarball of the committed tree with a VERSION file, and a
# build from it takes its version from that file (there is no git there).
set -u
. "$(dirname "$0")/../helpers/testlib.sh"
[ -e .git ] && command -v git >/dev/null || {
    echo "SKIP test_dist: not a git checkout"; exit 0; }

make -s dist >"$tmp/make.out" 2>&1
rc=$?
tarball=$(tail -n 1 "$tmp/make.out")
check "make dist exits 0 ($tarball)" "$([ "$rc" -eq 0 ] && [ -f "$tarball" ]
    echo $?)"
want=$(git describe --always)
tar -xzf "$tarball" -C "$tmp"
src="$tmp/warren-$want"
check "it unpacks into warren-$want/" "$([ -d "$src" ]; echo $?)"
check "  with VERSION = $want" \
    "$([ "$(cat "$src/VERSION" 2>/dev/null)" = "$want" ]; echo $?)"
check "  and the committed Makefile, sources and LICENSE" \
    "$([ -f "$src/Makefile" ] && [ -f "$src/monitor/base/mon_version.c" ] &&
      [ -f "$src/LICENSE" ] && [ ! -e "$src/.git" ]; echo $?)"
# The version header of a build from the tarball (one object, no git),
# a plain build whatever make the suite runs under (make SANITIZE=address
# test hands SANITIZE down through MAKEFLAGS and the environment).
echo "9.9.9-test" >"$src/VERSION"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE \
    make -s -C "$src" build/default/monitor/base/mon_version.o \
    >"$tmp/build.out" 2>&1
check "a build from it compiles the version" $?
check "  from the VERSION file" \
    "$(grep -qx '#define WARREN_VERSION "9.9.9-test"' \
        "$src/build/default/gen/warren_version.h"; echo $?)"
finish test_dist
