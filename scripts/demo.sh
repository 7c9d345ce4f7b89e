#!/usr/bin/env bash
# The main job: installs what it needs, builds the programs it runs, then runs two shmifd
# daemons on one bus, pings each from the other (a small and a fragmenting ping, then over
# IPv6 once Duplicate Address Detection is over), sends a UDP datagram across, shows the
# statistics and neighbours, captures the bus to a pcap with shmifdump (read back with
# tcpdump), and stops everything cleanly.
#
#   scripts/demo.sh [--no-deps] [--no-build]
#
# Works from any directory. The capture is kept in build/demo/bus.pcap. Exit status 0 only if
# every step worked.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

deps=1 build=1
for arg in "$@"; do
    case $arg in
        --no-deps) deps=0 ;;
        --no-build) build=0 ;;
        -h | --help)
            sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "demo.sh: unknown option $arg (see --help)" >&2
            exit 2
            ;;
    esac
done

step() { printf '\n==> %s\n' "$*"; }

if [ "$deps" = 1 ]; then
    step "dependencies to build (scripts/install-deps.sh --demo; the tests need more: run-tests.sh)"
    scripts/install-deps.sh --demo
fi
if [ "$build" = 1 ]; then
    # Only what the demo runs, built for speed of building (preset demo: one compiler run per
    # few files, -O1, no debug info); the test suite and the optimised programs are
    # scripts/run-tests.sh's (preset release).
    step "configure and build (cmake --preset demo && cmake --build --preset demo --target ...)"
    cmake --preset demo
    cmake --build --preset demo --target shmifd shmifctl shmifbus shmifdump
fi

bin=build/demo
shmifd=$bin/daemon/shmifd/shmifd
shmifctl=$bin/tools/shmifctl/shmifctl
shmifbus=$bin/tools/shmifbus/shmifbus
shmifdump=$bin/tools/shmifdump/shmifdump
for tool in "$shmifd" "$shmifctl" "$shmifbus" "$shmifdump"; do
    [ -x "$tool" ] || { echo "demo.sh: $tool is missing: build first (drop --no-build)" >&2; exit 1; }
done

# The bus lives in /dev/shm (memory) when it is usable; sockets and logs beside it.
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
run=$(mktemp -d "$base/shmifd-demo.XXXXXX")
out=build/demo
mkdir -p "$out"
bus=$run/lab.bus
pcap=$out/bus.pcap
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$run"
}
trap cleanup EXIT

status=0
check() { # check DESCRIPTION COMMAND...: runs it, remembers a failure
    if ! "${@:2}"; then
        echo "demo.sh: FAILED: $1" >&2
        status=1
    fi
}
ctl_a() { "$shmifctl" -s "$run/a.sock" "$@"; }
ctl_b() { "$shmifctl" -s "$run/b.sock" "$@"; }

step "a bus: $shmifbus create $bus"
"$shmifbus" create "$bus"

step "capture everything on it: $shmifdump $bus -w $pcap"
"$shmifdump" "$bus" -w "$pcap" -q 2>"$run/dump.log" &
dump_pid=$!
pids+=("$dump_pid")

step "two daemons on the bus: 10.0.0.1 and 2001:db8::1 (2 workers), 10.0.0.2 and 2001:db8::2 (1 worker)"
"$shmifd" --bus "$bus" --addr 10.0.0.1/24 --addr 2001:db8::1/64 --socket "$run/a.sock" \
    --workers 2 2>"$run/a.log" &
a_pid=$!
pids+=("$a_pid")
"$shmifd" --bus "$bus" --addr 10.0.0.2/24 --addr 2001:db8::2/64 --socket "$run/b.sock" \
    --workers 1 2>"$run/b.log" &
b_pid=$!
pids+=("$b_pid")
for _ in $(seq 50); do # up to 5 s for both control sockets to answer
    ctl_a version >/dev/null 2>&1 && ctl_b version >/dev/null 2>&1 && break
    sleep 0.1
done
check "daemon A answers" ctl_a version
check "daemon B answers" ctl_b version
ctl_a if list

step "shmifctl -s a.sock ping -c 5 -i 0.2 10.0.0.2"
check "ping A -> B" ctl_a ping -c 5 -i 0.2 10.0.0.2
step "shmifctl -s b.sock ping -c 3 -i 0.2 -s 4000 10.0.0.1   (4,000 bytes: fragments at MTU 1500)"
check "ping B -> A, fragmented" ctl_b ping -c 3 -i 0.2 -s 4000 10.0.0.1

step "IPv6: shmifctl -s a.sock ping -c 3 -i 0.2 2001:db8::2   (after Duplicate Address Detection, ~1 s)"
for _ in $(seq 30); do # up to 3 s for both daemons' IPv6 addresses to leave "tentative"
    ctl_a addr list | grep -q tentative || ctl_b addr list | grep -q tentative || break
    sleep 0.1
done
check "ping6 A -> B" ctl_a ping -c 3 -i 0.2 2001:db8::2
ctl_b addr list

step "UDP: shmifctl -s b.sock udp recv 7777 & shmifctl -s a.sock udp send 10.0.0.2:7777 'hello'"
ctl_b udp recv 7777 --timeout 3000 >"$run/udp.out" 2>&1 &
recv_pid=$!
sleep 0.3 # let the receiver bind before the datagram leaves
check "UDP send A -> B" ctl_a udp send 10.0.0.2:7777 "hello from 10.0.0.1"
check "UDP received by B" wait "$recv_pid"
cat "$run/udp.out"

step "neighbours and statistics of daemon A (shmifctl neigh list; shmifctl stats)"
ctl_a neigh list
ctl_a stats

step "stop: SIGTERM to both daemons, SIGINT to the capture"
kill -TERM "$a_pid" "$b_pid"
check "daemon A exits 0" wait "$a_pid"
check "daemon B exits 0" wait "$b_pid"
check "control sockets removed" test ! -e "$run/a.sock" -a ! -e "$run/b.sock"
sleep 0.2 # the capture drains what is left on the bus
kill -INT "$dump_pid"
check "capture exits 0" wait "$dump_pid"
pids=()
cat "$run/dump.log"

step "the capture, read by tcpdump: tcpdump -n -e -r $pcap"
if command -v tcpdump >/dev/null; then
    check "tcpdump reads the capture" tcpdump -n -e -r "$pcap" -w /dev/null 2>/dev/null
    tcpdump -n -e -r "$pcap" 2>/dev/null | head -n 12 || true
    echo "($(tcpdump -n -r "$pcap" 2>/dev/null | wc -l) frames in $pcap)"
fi

echo
if [ "$status" = 0 ]; then
    echo "demo.sh: all steps OK"
else
    echo "demo.sh: a step FAILED (see above)" >&2
fi
exit "$status"
