#!/usr/bin/env bash
# libshmif as a product: installed from a build tree (component "shmif" only), it is usable by a
# C program through pkg-config and through find_package, shared and static, and that program
# sends and receives frames on a bus (bus_roundtrip.c). Registered by CMakeLists.txt beside it:
#   install_test.sh install BUILD_DIR PREFIX   cmake --install BUILD_DIR --component shmif
#                                               into PREFIX (made afresh), and its file list
#   install_test.sh pkgconfig-shared PREFIX    cc $(pkg-config --cflags --libs shmif)
#   install_test.sh pkgconfig-static PREFIX    the same against libshmif.a, pkg-config --static
#   install_test.sh cmake-shared PREFIX        a C project: find_package(shmif), shmif::shmif
#   install_test.sh cmake-static PREFIX        the same with shmif::shmif_static
#   install_test.sh cxx-pkgconfig PREFIX       a C++ program (bus_roundtrip.cpp, the C++ API)
#                                               with pkg-config --static, against libshmif.a
#   install_test.sh cxx-cmake PREFIX           the same through find_package(shmif),
#                                               shmif::shmif_static
#   install_test.sh install-lab BUILD_DIR PREFIX   cmake --install BUILD_DIR (everything) into
#                                               PREFIX: the testing component, shmiflab, shmifd
#   install_test.sh testing-cmake PREFIX       a GoogleTest project: find_package(shmif
#                                               COMPONENTS testing), shmif::testing; its lab
#                                               test runs the installed shmiflab and shmifd
#   install_test.sh clean PREFIX               removes PREFIX
# Environment (set by CMakeLists.txt): CC, CXX, CMAKE, CMAKE_GENERATOR, PKG_CONFIG, SHMIF_LIBDIR
# (relative to PREFIX), SHMIF_VERSION, SHMIF_SONAME, SHMIF_REALNAME (libshmif.so.0,
# libshmif.so.0.1.0) and SHMIF_SANITIZE: the build's sanitizers; the installed library is
# instrumented with them, so the test programs are compiled and linked with them too.
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-cc}
CXX=${CXX:-c++}
CMAKE=${CMAKE:-cmake}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
libdir=${SHMIF_LIBDIR:-lib}
version=${SHMIF_VERSION:-0.1.0}
soname=${SHMIF_SONAME:-libshmif.so.0}
realname=${SHMIF_REALNAME:-libshmif.so.$version}
sanitize=()
[ -z "${SHMIF_SANITIZE:-}" ] || sanitize=("-fsanitize=$SHMIF_SANITIZE" -fno-omit-frame-pointer)

die() {
    echo "install_test: $*" >&2
    exit 1
}

work=
cleanup() { [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT
new_work() { work=$(mktemp -d "${TMPDIR:-/tmp}/shmif-install-test.XXXXXX"); }

# Runs the built program: it must print "ok" and exit 0.
run() {
    local out
    out=$(timeout 60 "$@") || die "$* failed (exit $?): $out"
    [ "$out" = ok ] || die "$* printed '$out', not 'ok'"
    echo "$*: ok"
}

# The program is linked with the installed libshmif.so.0 (shared) or not at all (static).
check_linked() {
    local prog=$1 kind=$2 needed
    needed=$(readelf -d "$prog" | grep -F '(NEEDED)' || true)
    if [ "$kind" = shared ]; then
        grep -qF "[$soname]" <<<"$needed" || die "$prog does not need $soname: $needed"
        local resolved
        resolved=$(ldd "$prog" | awk -v n="$soname" '$1 == n { print $3 }')
        if [ -z "$resolved" ] ||
            [ "$(realpath "$resolved")" != "$(realpath "$prefix/$libdir/$realname")" ]; then
            die "$prog resolves $soname to '$resolved', not the installed one"
        fi
    else
        ! grep -qF libshmif <<<"$needed" || die "$prog needs a shared libshmif: $needed"
    fi
}

pkgconfig() {
    local kind=$1 flags
    new_work
    export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
    local found
    found=$("$PKG_CONFIG" --modversion shmif) || die "pkg-config does not find shmif"
    [ "$found" = "$version" ] || die "pkg-config finds shmif $found, not $version"
    if [ "$kind" = shared ]; then
        flags=$("$PKG_CONFIG" --cflags --libs shmif)
        flags+=" -Wl,-rpath,$("$PKG_CONFIG" --variable=libdir shmif)"
    else
        # -lshmif would take libshmif.so, installed beside the archive: ask for the archive.
        flags=$("$PKG_CONFIG" --static --cflags --libs shmif | sed 's/-lshmif\b/-l:libshmif.a/')
        grep -q -- -lstdc++ <<<"$flags" || die "pkg-config --static gives no -lstdc++: $flags"
    fi
    echo "$CC ... $flags"
    # shmif.h is plain C11: strict, every warning an error.
    # shellcheck disable=SC2086 # flags are words
    "$CC" -std=c11 -Wall -Wextra -Wpedantic -Werror "${sanitize[@]}" "$src/bus_roundtrip.c" \
        $flags -o "$work/bus_roundtrip"
    check_linked "$work/bus_roundtrip" "$kind"
    run "$work/bus_roundtrip"
}

# The C++ API through pkg-config: the archive, C++23, every warning an error.
cxx_pkgconfig() {
    new_work
    export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
    local flags
    flags=$("$PKG_CONFIG" --static --cflags --libs shmif | sed 's/-lshmif\b/-l:libshmif.a/')
    echo "$CXX -std=c++23 ... $flags"
    # shellcheck disable=SC2086 # flags are words
    "$CXX" -std=c++23 -Wall -Wextra -Wpedantic -Werror "${sanitize[@]}" "$src/bus_roundtrip.cpp" \
        $flags -o "$work/bus_roundtrip"
    check_linked "$work/bus_roundtrip" static
    run "$work/bus_roundtrip"
}

cmake_project() {
    local target=$1 kind=$2 cxx=${3:-OFF}
    new_work
    local gen=()
    [ -z "${CMAKE_GENERATOR:-}" ] || gen=(-G "$CMAKE_GENERATOR")
    "$CMAKE" -S "$src/cmake_project" -B "$work/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" -DSHMIF_TARGET="$target" \
        -DSHMIF_CXX="$cxx" -DCMAKE_C_FLAGS="${sanitize[*]}" -DCMAKE_CXX_FLAGS="${sanitize[*]}" \
        -DCMAKE_EXE_LINKER_FLAGS="${sanitize[*]}" >"$work/log" 2>&1 ||
        { cat "$work/log"; die "configuring the C project failed ($target)"; }
    "$CMAKE" --build "$work/build" >>"$work/log" 2>&1 ||
        { cat "$work/log"; die "building the C project failed ($target)"; }
    check_linked "$work/build/bus_roundtrip" "$kind"
    run "$work/build/bus_roundtrip"
}

# The fixture as a user's project gets it: built against the installed package, its test
# brings up a lab of the installed shmifd daemons (shmiflab found in PATH) and passes, keeping
# nothing.
testing_cmake() {
    new_work
    local gen=()
    [ -z "${CMAKE_GENERATOR:-}" ] || gen=(-G "$CMAKE_GENERATOR")
    "$CMAKE" -S "$src/testing_project" -B "$work/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
        -DCMAKE_CXX_COMPILER="$CXX" -DCMAKE_CXX_FLAGS="${sanitize[*]}" \
        -DCMAKE_EXE_LINKER_FLAGS="${sanitize[*]}" >"$work/log" 2>&1 ||
        { cat "$work/log"; die "configuring the shmif::testing project failed"; }
    "$CMAKE" --build "$work/build" >>"$work/log" 2>&1 ||
        { cat "$work/log"; die "building the shmif::testing project failed"; }
    local out
    out=$(cd "$work" && env -u SHMIFLAB -u SHMIFLAB_SHMIFD PATH="$prefix/bin:$PATH" \
        SHMIF_LAB_ARTIFACTS="$work/artifacts" timeout 120 "$work/build/lab_user" 2>&1) ||
        die "the lab test failed (exit $?): $out"
    grep -qF '[  PASSED  ] 1 test' <<<"$out" || die "the lab test did not pass: $out"
    [ ! -e "$work/artifacts" ] || die "a passing lab test kept files: $(ls -R "$work/artifacts")"
    echo "shmif::testing: a lab test built against $prefix passed"
}

[ $# -ge 2 ] || die "usage: $0 install BUILD_DIR PREFIX | pkgconfig-shared|pkgconfig-static|cmake-shared|cmake-static|cxx-pkgconfig|cxx-cmake|testing-cmake|clean PREFIX | install-lab BUILD_DIR PREFIX"
mode=$1
shift
case $mode in
    install)
        [ $# -eq 2 ] || die "usage: $0 install BUILD_DIR PREFIX"
        build=$1 prefix=$2
        rm -rf "$prefix"
        "$CMAKE" --install "$build" --prefix "$prefix" --component shmif
        # Exactly the library's files: nothing of the daemon or the tools.
        expected=$(cat <<EOF
include/shmif/bus.hpp
include/shmif/check.hpp
include/shmif/cursor.hpp
include/shmif/error.hpp
include/shmif/frame.hpp
include/shmif/seqlock_read.hpp
include/shmif/shmif.h
include/shmif/writer.hpp
$libdir/cmake/shmif/shmifConfig.cmake
$libdir/cmake/shmif/shmifConfigVersion.cmake
$libdir/cmake/shmif/shmifTargets-CONFIG.cmake
$libdir/cmake/shmif/shmifTargets.cmake
$libdir/libshmif.a
$libdir/libshmif.so
$libdir/$soname
$libdir/$realname
$libdir/pkgconfig/shmif.pc
EOF
        )
        # (shmifTargets-release.cmake, -relwithdebinfo, -noconfig: named after the build type)
        got=$(cd "$prefix" && find . \( -type f -o -type l \) |
            sed -e 's|^\./||' -e 's|/shmifTargets-[a-z]*\.cmake$|/shmifTargets-CONFIG.cmake|' |
            LC_ALL=C sort)
        [ "$got" = "$(LC_ALL=C sort <<<"$expected")" ] ||
            die "installed files differ (- expected, + installed):
$(diff <(LC_ALL=C sort <<<"$expected") <(echo "$got") || true)"
        echo "installed $(wc -l <<<"$got") files into $prefix"
        ;;
    install-lab)
        [ $# -eq 2 ] || die "usage: $0 install-lab BUILD_DIR PREFIX"
        build=$1 prefix=$2
        rm -rf "$prefix"
        "$CMAKE" --install "$build" --prefix "$prefix" >/dev/null
        for f in bin/shmiflab bin/shmifd include/shmif/testing/lab.hpp \
            "$libdir/libshmif_testing.a" "$libdir/cmake/shmif/shmifTestingTargets.cmake"; do
            [ -e "$prefix/$f" ] || die "$f is not installed"
        done
        echo "installed everything into $prefix"
        ;;
    pkgconfig-shared | pkgconfig-static)
        prefix=$1
        pkgconfig "${mode#pkgconfig-}"
        ;;
    cmake-shared) prefix=$1 && cmake_project shmif::shmif shared ;;
    cmake-static) prefix=$1 && cmake_project shmif::shmif_static static ;;
    cxx-pkgconfig) prefix=$1 && cxx_pkgconfig ;;
    cxx-cmake) prefix=$1 && cmake_project shmif::shmif_static static ON ;;
    testing-cmake) prefix=$1 && testing_cmake ;;
    clean) rm -rf "$1" ;;
    *) die "unknown mode $mode" ;;
esac
