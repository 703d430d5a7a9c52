#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds warren_<version>_<arch>.deb with dpkg-deb from a tree that
# `make install DESTDIR=... PREFIX=/usr` filled, adding what only the
# package has: /etc/warren/warren.ini (a conffile), the systemd unit, the
# maintainer scripts (the warren user, /var/lib/warren, purge), the
# copyright file, and Depends computed by dpkg-shlibdeps from the binary.
#
#   sh samples/packaging/mkdeb.sh STAGE OUTDIR VERSION
#
# STAGE must be named .../debian/warren (dpkg-shlibdeps looks for the
# package's files there). VERSION is Warren's (git describe or VERSION);
# it becomes a Debian version: v1.2.0-3-gabc1234 -> 1.2.0+3.gabc1234, a
# bare commit abc1234 -> 0.0~gitN.abc1234 (N = commits, so newer builds
# sort higher).
set -eu
stage=$1
out=$2
version=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
maintainer=${DEB_MAINTAINER:-Warren maintainers <warren@localhost>}

case "$stage" in
*/debian/warren) ;;
*) echo "mkdeb: STAGE must end in debian/warren, not $stage" >&2; exit 2 ;;
esac
[ -x "$stage/usr/bin/warren" ] || {
    echo "mkdeb: $stage/usr/bin/warren is missing (make install first)" >&2
    exit 2
}

case "$version" in
v[0-9]* | [0-9]*.*)
    debver=$(printf '%s' "${version#v}" | sed 's/-/+/; s/-/./g') ;;
*)
    n=$(git -C "$top" rev-list --count HEAD 2>/dev/null || echo 0)
    debver="0.0~git$n.$(printf '%s' "$version" | tr -- '-' '.')" ;;
esac
arch=$(dpkg --print-architecture)

install -d -m 0755 "$stage/etc/warren" "$stage/lib/systemd/system" \
    "$stage/usr/share/doc/warren" "$stage/DEBIAN"
install -m 0644 "$here/warren.ini" "$stage/etc/warren/warren.ini"
install -m 0644 "$here/warren.service" \
    "$stage/lib/systemd/system/warren.service"
{
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: warren"
    echo
    echo "Files: *"
    echo "License: Apache-2.0"
    echo " On Debian systems, the full text of the Apache License 2.0 is in"
    echo " /usr/share/common-licenses/Apache-2.0 (and LICENSE beside this"
    echo " file)."
} >"$stage/usr/share/doc/warren/copyright"
install -m 0644 "$top/LICENSE" "$stage/usr/share/doc/warren/LICENSE"
# Debian compresses manual pages.
for m in "$stage"/usr/share/man/man*/*.[0-9]; do
    [ -f "$m" ] && gzip -9nf "$m"
done
for s in postinst prerm postrm conffiles; do
    install -m 0755 "$here/debian/$s" "$stage/DEBIAN/$s"
done
chmod 0644 "$stage/DEBIAN/conffiles"

# Depends from the libraries the binary links, as Debian names them.
work=$(cd "$stage/../.." && pwd)
mkdir -p "$work/debian"
printf 'Source: warren\n\nPackage: warren\nArchitecture: any\n' \
    >"$work/debian/control"
# (its warning that the binary is not "in its package's directory" is
# about debhelper's layout, which this is not)
deps=$(cd "$work" && dpkg-shlibdeps -O -e debian/warren/usr/bin/warren \
    2>"$work/shlibdeps.err" | sed -n 's/^shlibs:Depends=//p')
grep -v "installed in their package's directory" "$work/shlibdeps.err" >&2 ||
    true
[ -n "$deps" ] || { echo "mkdeb: dpkg-shlibdeps found no libraries" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$debver|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" \
    -e "s|@DEPENDS@|$deps|" -e "s|@MAINTAINER@|$maintainer|" \
    "$here/debian/control.in" >"$stage/DEBIAN/control"

mkdir -p "$out"
deb="$out/warren_${debver}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
