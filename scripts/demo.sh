#!/usr/bin/env bash
# First contact: installs the dependencies, builds the release preset, and runs shmif-demo on
# both bus formats (three processes exchanging Ethernet frames over one bus file), then shows
# `shmifbus info` of the bus the native run kept.
#
#   scripts/demo.sh [--no-deps] [--no-build] [shmif-demo options, e.g. --procs 4 --frames 5000]
#
# Works from any directory. Exit status 0 only if every demo run said OK.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

deps=1 build=1
demo_args=()
for arg in "$@"; do
    case $arg in
        --no-deps) deps=0 ;;
        --no-build) build=0 ;;
        -h | --help)
            sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) demo_args+=("$arg") ;;
    esac
done

step() { printf '\n==> %s\n' "$*"; }

if [ "$deps" = 1 ]; then
    step "dependencies (scripts/install-deps.sh)"
    scripts/install-deps.sh
fi
if [ "$build" = 1 ]; then
    step "configure and build (cmake --preset release && cmake --build --preset release)"
    cmake --preset release
    cmake --build --preset release
fi

demo=build/release/tools/demo/shmif-demo
shmifbus=build/release/tools/shmifbus/shmifbus
for tool in "$demo" "$shmifbus"; do
    [ -x "$tool" ] || { echo "demo.sh: $tool is missing: build first (drop --no-build)" >&2; exit 1; }
done

# Bus files live in /dev/shm (memory) when it is usable, else in $TMPDIR.
dir=/dev/shm
[ -d "$dir" ] && [ -w "$dir" ] || dir=${TMPDIR:-/tmp}
native_bus=$dir/shmif-demo-native.$$.bus
netbsd_bus=$dir/shmif-demo-netbsd.$$.bus
trap 'rm -f "$native_bus" "$netbsd_bus"' EXIT

extra=${demo_args[*]:+ ${demo_args[*]}}  # for the step titles
status=0
step "shmif-demo, native format: $demo --bus $native_bus --keep$extra"
"$demo" --bus "$native_bus" --keep "${demo_args[@]}" || status=1

step "shmif-demo, NetBSD rump format (SHMIF_VERSION 3): $demo --format netbsd$extra"
"$demo" --format netbsd --bus "$netbsd_bus" "${demo_args[@]}" || status=1

step "what the native bus holds afterwards: $shmifbus info $native_bus"
"$shmifbus" info "$native_bus" || status=1

echo
if [ "$status" = 0 ]; then
    echo "demo.sh: all runs OK"
else
    echo "demo.sh: a run FAILED (see above)" >&2
fi
exit "$status"
