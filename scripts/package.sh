#!/usr/bin/env bash
# Builds the Debian packages of this tree with dpkg-buildpackage and debhelper (debian/), then
# checks them with lintian. Output in build/package/: shmifd, libshmif0, libshmif-dev,
# libshmifsock0, libshmifsock-dev and shmifrun .deb files (with -dbgsym packages), the
# .changes and .buildinfo files, and lintian.txt.
#
#   scripts/package.sh [--no-deps] [--no-lintian]
#
# The version is the one of project() in CMakeLists.txt: debian/changelog is written from it
# into a copy of the tree (build/package/src), so no second place holds it. Install with
#   apt-get install ./build/package/*.deb
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

deps=1 lintian=1
for arg in "$@"; do
    case $arg in
        --no-deps) deps=0 ;;
        --no-lintian) lintian=0 ;;
        -h | --help)
            sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "package.sh: unknown option $arg (see --help)" >&2
            exit 2
            ;;
    esac
done

[ "$deps" = 0 ] || scripts/install-deps.sh --package

version=$(sed -n -E 's/^project\(shmifd VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "package.sh: no version in CMakeLists.txt's project()" >&2; exit 1; }
out=$PWD/build/package
src=$out/src/shmifd-$version
rm -rf "$out"
mkdir -p "$src"

# The tree as it is (uncommitted changes included), without build output or git metadata.
tar --exclude=./build --exclude=./.git --exclude='./build-*' -cf - . | tar -xf - -C "$src"

# A native package (the project packages itself): the version has no Debian revision. The
# date is the last commit's, so the same commit gives the same changelog.
when=$(git log -1 --format=%aD 2>/dev/null || date -R)
cat >"$src/debian/changelog" <<EOF
shmifd ($version) unstable; urgency=medium

  * Release $version, packaged from the source tree.

 -- shmifd maintainers <maintainers@users.noreply.h-seed-110e005f.example>  $when
EOF

# libshmif0's symbols file, from the ABI the library promises (shmif/abi/libshmif.symbols,
# checked against the built library by ctest): dpkg-shlibdeps then knows which version of
# libshmif0 a program needs.
{
    echo "libshmif.so.0 libshmif0 #MINVER#"
    echo "* Build-Depends-Package: libshmif-dev"
    awk -v v="$version" '$1 == "A" { print " " $2 "@" $2 " " v; next }
                         { sub(/@@/, "@", $2); print " " $2 " " v }' shmif/abi/libshmif.symbols
} >"$src/debian/libshmif0.symbols"

# ccache: debhelper gives the build a temporary HOME; keep the user's cache, keyed on paths
# relative to the copy, so a second packaging of the same tree compiles nothing.
if command -v ccache >/dev/null; then
    CCACHE_DIR=$(ccache --get-config cache_dir)
    export CCACHE_DIR CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=true
fi

jobs=$(nproc)
(cd "$src" && dpkg-buildpackage -b -us -uc -j"$jobs")

if [ "$lintian" = 1 ]; then
    changes=$(ls "$out"/src/shmifd_"$version"_*.changes)
    # Errors fail the packaging; warnings and notes are kept in lintian.txt.
    lintian --fail-on error --info "$changes" | tee "$out/lintian.txt"
fi
mv "$out"/src/*.deb "$out"/src/*.ddeb "$out"/src/*.changes "$out"/src/*.buildinfo "$out"/ 2>/dev/null || true
echo "package.sh: built $(ls "$out"/*.deb | wc -l) packages of shmifd $version in $out:"
ls -1 "$out"/*.deb
