#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The Debian package, end to end on this machine (run by .ci/run as root
# on Debian 12; systemd need not be running): make deb; the package holds
# what it should; dpkg -i creates the warren user and /var/lib/warren;
# the installed binary prints its version, accepts the packaged config,
# and serves its installed dashboard and API as the warren user with the
# packaged config (on a free port); the unit passes systemd-analyze
# verify; upgrading to a newer version keeps state and a changed
# conffile; dpkg -r keeps config and state; dpkg -P removes them and the
# user.
#
# It installs and removes a system package, so it runs only as root, and
# refuses to touch a warren package that it did not install (unless
# CI=true, where a leftover from an earlier run is purged first).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/helpers/testlib.sh
fail_now() { echo "FAIL $1"; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "SKIP test_deb: needs root (dpkg -i)"; exit 0; }
command -v dpkg-deb >/dev/null || fail_now "dpkg-deb is missing"
state=$(dpkg-query -W -f='${Status}' warren 2>/dev/null)
if [ -n "$state" ] && [ "$state" != "unknown ok not-installed" ]; then
    if [ "${CI:-}" = true ]; then
        dpkg -P warren >/dev/null
    else
        echo "SKIP test_deb: a warren package is installed ($state);" \
            "not touching it"
        exit 0
    fi
fi
installed=
cleanup_pkg() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    pid=
    [ -n "$installed" ] && dpkg -P warren >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup_pkg EXIT

make -s deb >"$tmp/make.out" 2>&1 || { cat "$tmp/make.out"; fail_now "make deb"; }
deb=$(find build -maxdepth 1 -name 'warren_*.deb' | sort | head -n 1)
check "make deb built $(basename "${deb:-nothing}")" "$([ -f "$deb" ]; echo $?)"
[ -f "$deb" ] || finish test_deb
want=$(build/default/warren --version)

dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$tmp/contents"
for f in ./usr/bin/warren ./usr/share/warren/dashboards/index.html \
    ./usr/share/warren/dashboards/app.js ./etc/warren/warren.ini \
    ./lib/systemd/system/warren.service ./usr/share/man/man1/warren.1.gz \
    ./usr/share/doc/warren/copyright ./usr/share/doc/warren/samples/warren.ini \
    ./usr/share/doc/warren/samples/templates/slack-open.json \
    ./usr/share/man/man5/warren.ini.5.gz; do
    check "the package holds $f" "$(grep -q " $f\$" "$tmp/contents"; echo $?)"
done
check "  every file is root's" \
    "$(! awk '{print $2}' "$tmp/contents" | grep -qv '^root/root$'; echo $?)"
check "  /usr/bin/warren is executable" \
    "$(grep -q '^-rwxr-xr-x root/root ./usr/bin/warren$' "$tmp/contents"; echo $?)"
dpkg-deb --info "$deb" >"$tmp/info"
check "the conffile is /etc/warren/warren.ini" \
    "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles |
      grep -qx /etc/warren/warren.ini; echo $?)"
check "Depends names the libraries (librdkafka, libmicrohttpd, adduser)" \
    "$(grep -q '^ Depends:.*librdkafka.*adduser' "$tmp/info" &&
      grep -q 'libmicrohttpd' "$tmp/info"; echo $?)"

DEBIAN_FRONTEND=noninteractive dpkg --force-confold -i "$deb" \
    >"$tmp/dpkg.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && installed=1
check "dpkg -i exits 0" "$rc"
[ "$rc" -eq 0 ] || { cat "$tmp/dpkg.out"; finish test_deb; }

check "warren --version is the build's ($want)" \
    "$([ "$(/usr/bin/warren --version)" = "$want" ]; echo $?)"
uid=$(id -u warren 2>/dev/null)
check "a warren system user exists (uid $uid)" \
    "$([ -n "$uid" ] && [ "$uid" -lt 1000 ]; echo $?)"
check "  whose home is /var/lib/warren and who cannot log in" \
    "$(getent passwd warren | grep -q ':/var/lib/warren:/usr/sbin/nologin$'
      echo $?)"
check "/var/lib/warren is warren's, mode 750" \
    "$([ "$(stat -c '%U:%G %a' /var/lib/warren)" = "warren:warren 750" ]
      echo $?)"
if man -w warren >/dev/null 2>&1; then
    check "man warren finds the page" 0
fi
check "zcat warren.1.gz is valid roff" \
    "$(zcat /usr/share/man/man1/warren.1.gz | groff -man -ww -z 2>&1 |
      grep -q . && echo 1 || echo 0)"

if /usr/bin/warren --help | grep -q '^  check-config '; then
    /usr/bin/warren check-config --config /etc/warren/warren.ini \
        >"$tmp/check.out" 2>&1
    rc=$?
    check "warren check-config --config /etc/warren/warren.ini exits 0 ($rc)" \
        "$rc"
else
    echo "SKIP warren check-config: the command is not in this build yet"
fi

if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /lib/systemd/system/warren.service \
        >"$tmp/verify.out" 2>&1
    rc=$?
    check "systemd-analyze verify warren.service ($rc)" \
        "$([ "$rc" -eq 0 ] && ! grep -q . "$tmp/verify.out"; echo $?)"
    [ "$rc" -eq 0 ] || cat "$tmp/verify.out"
else
    echo "SKIP systemd-analyze verify: systemd-analyze is not installed"
fi
check "the unit is hardened" "$(for k in ProtectSystem=strict \
    ReadWritePaths=/var/lib/warren NoNewPrivileges=true \
    Restart=on-failure User=warren Type=simple; do
        grep -qx "$k" /lib/systemd/system/warren.service || exit 1
    done; echo 0)"

# The installed binary, from a directory without dashboards/, as the
# service would run it: its user, the packaged config and data dir.
here=$(pwd)
cd / || exit 1
setpriv --reuid=warren --regid=warren --clear-groups -- \
    env -u WARREN_DASHBOARD_DIR /usr/bin/warren serve \
    --config /etc/warren/warren.ini --listen 127.0.0.1:0 2>"$tmp/serve.log" &
pid=$!
wait_port "$tmp/serve.log"
check "the installed warren serves as user warren (port ${port:-none})" \
    "$([ -n "$port" ]; echo $?)"
if [ -n "$port" ]; then
    check "  its dashboard is /usr/share/warren/dashboards" \
        "$(grep -q 'serving the dashboard dir=/usr/share/warren/dashboards$' \
            "$tmp/serve.log"; echo $?)"
    code=$(curl -s -o "$tmp/index.html" -w '%{http_code}' \
        "http://127.0.0.1:$port/")
    check "  GET / is the dashboard (HTTP $code)" \
        "$([ "$code" = 200 ] && cmp -s "$tmp/index.html" \
            /usr/share/warren/dashboards/index.html; echo $?)"
    curl -s "http://127.0.0.1:$port/v3/kafka" >"$tmp/kafka.json"
    check "  GET /v3/kafka lists cluster local" \
        "$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["clusters"] == ["local"] and not d["error"] else 1)' \
            "$tmp/kafka.json"; echo $?)"
fi
kill "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=
check "  and stops with exit 0 on SIGTERM ($rc)" "$([ "$rc" -eq 0 ]; echo $?)"
cd "$here" || exit 1
ls /var/lib/warren >"$tmp/state"
check "state was written into /var/lib/warren ($(tr '\n' ' ' <"$tmp/state"))" \
    "$(grep -q snapshot "$tmp/state"; echo $?)"
check "  owned by warren" \
    "$([ -z "$(find /var/lib/warren ! -user warren)" ]; echo $?)"
[ "$fails" -eq 0 ] || cat "$tmp/serve.log"

# Upgrade: the same tree packaged as a newer version (mkdeb.sh on the
# staged files), installed over it; then the same package again. State
# and a changed conffile are kept both times.
echo "; changed by the operator" >>/etc/warren/warren.ini
sh samples/packaging/mkdeb.sh build/default/deb/debian/warren "$tmp/up" v99.0.0 \
    >"$tmp/mkdeb.out" 2>&1
newer=$(tail -n 1 "$tmp/mkdeb.out")
check "a newer package builds ($(basename "$newer"))" \
    "$([ -f "$newer" ]; echo $?)"
for step in upgrade reinstall; do
    DEBIAN_FRONTEND=noninteractive dpkg --force-confold -i "$newer" \
        >"$tmp/dpkg.out" 2>&1
    check "$step: dpkg -i exits 0" $?
    check "  the installed version is 99.0.0" \
        "$([ "$(dpkg-query -W -f='${Version}' warren)" = 99.0.0 ]; echo $?)"
    check "  keeps the operator's change to warren.ini" \
        "$(grep -q '^; changed by the operator$' /etc/warren/warren.ini
          echo $?)"
    check "  keeps the state" \
        "$([ "$(ls /var/lib/warren)" = "$(cat "$tmp/state")" ]; echo $?)"
done
check "  the binary still runs" \
    "$([ "$(/usr/bin/warren --version)" = "$want" ]; echo $?)"

dpkg -r warren >"$tmp/dpkg.out" 2>&1
check "dpkg -r exits 0" $?
check "  removes /usr/bin/warren and the dashboard" \
    "$([ ! -e /usr/bin/warren ] && [ ! -e /usr/share/warren ]; echo $?)"
check "  keeps /etc/warren/warren.ini, /var/lib/warren and the user" \
    "$([ -f /etc/warren/warren.ini ] && [ -d /var/lib/warren ] &&
      id warren >/dev/null 2>&1; echo $?)"
dpkg -P warren >"$tmp/dpkg.out" 2>&1
rc=$?
check "dpkg -P exits 0" "$rc"
[ "$rc" -eq 0 ] && installed=
check "  removes /etc/warren, /var/lib/warren and the warren user" \
    "$([ ! -e /etc/warren ] && [ ! -e /var/lib/warren ] &&
      ! getent passwd warren >/dev/null && ! getent group warren >/dev/null
      echo $?)"
check "  and the package is gone" \
    "$(dpkg-query -W -f='${Status}' warren 2>/dev/null | grep -q installed &&
      echo 1 || echo 0)"
finish test_deb
