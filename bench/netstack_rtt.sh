#!/usr/bin/env bash
# bench/netstack_rtt.sh - ping round trips: two of our stacks over a shmif bus beside the
# Linux kernel's ping over a veth pair between two namespaces, in the same run (root).
#
#   ours:   shmifhost --ping (10.78.0.3) against shmifhost serving 10.78.0.2, one bus file in
#           /dev/shm; each stack is one process, reading the bus with a cursor that spins
#           50 us, then sleeps on the bus's futex.
#   kernel: ping from namespace A (10.78.1.1) to namespace B (10.78.1.2) over veth, both
#           created and deleted by this script.
#
# N pings each (default 200, the first left out) at an interval (default 0.01 s), same payload size; per-reply
# times are taken from the ping lines; prints median, p99, min, max and the ratios.
#
#   sudo bench/netstack_rtt.sh
#   N=1000 INTERVAL=0.002 SIZE=1000 sudo bench/netstack_rtt.sh
#
# Knobs: SHMIF_BUILD (build dir with shmifhost, default build/release; configured and built
# if shmifhost is missing), N, INTERVAL, SIZE (ICMP payload bytes, default 56), JOBS.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHMIF_BUILD=${SHMIF_BUILD:-$ROOT/build/release}
N=${N:-200}
INTERVAL=${INTERVAL:-0.01}
SIZE=${SIZE:-56}
log() { echo "[netstack_rtt.sh] $*" >&2; }

[ "$(id -u)" = 0 ] || { log "needs root (network namespaces)"; exit 77; }
HOST=$SHMIF_BUILD/tools/shmifhost/shmifhost
if [ ! -x "$HOST" ]; then
    if [ ! -f "$SHMIF_BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$SHMIF_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG" >&2
    fi
    cmake --build "$SHMIF_BUILD" -j "${JOBS:-2}" --target shmifhost >&2
fi

TAG=nsrtt-$$
WORK=$(mktemp -d /tmp/netstack-rtt.XXXXXX)
BUS=/dev/shm/$TAG.bus
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    ip netns del "$TAG-a" 2>/dev/null || true
    ip netns del "$TAG-b" 2>/dev/null || true
    rm -f "$BUS"
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Per-reply times ("time=0.123 ms") of ping output -> sorted file of numbers. The first
# reply (icmp_seq=1) is left out: for a fresh stack it includes the ARP exchange.
times_of() { grep -v 'icmp_seq=1 ' "$1" | grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -g; }
# Percentile P (0-100) of a sorted file of numbers, nearest rank.
pct() { awk -v p="$2" '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    r = int((p / 100) * NR + 0.999999); if (r < 1) r = 1; if (r > NR) r = NR; print v[r] }' "$1"; }

log "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- ours: two stacks on one bus
"$HOST" --bus "$BUS" --create-bus --addr 10.78.0.2/24 -q > "$WORK/server.out" 2>&1 &
SERVER=$!
for _ in $(seq 50); do [ -e "$BUS" ] && break; sleep 0.1; done
# A fresh process resolves the server's MAC during its first ping: times_of drops seq 1.
"$HOST" --bus "$BUS" --addr 10.78.0.3/24 --ping 10.78.0.2 -c "$N" -i "$INTERVAL" -s "$SIZE" \
    -W 2 > "$WORK/ours.txt" 2> /dev/null || log "our ping reported losses"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=

# ---- the kernel: veth between two namespaces
ip netns add "$TAG-a"
ip netns add "$TAG-b"
ip link add veth-a netns "$TAG-a" type veth peer name veth-b netns "$TAG-b"
ip -n "$TAG-a" addr add 10.78.1.1/24 dev veth-a
ip -n "$TAG-b" addr add 10.78.1.2/24 dev veth-b
ip -n "$TAG-a" link set veth-a up
ip -n "$TAG-b" link set veth-b up
ip netns exec "$TAG-a" ping -c 1 -W 2 10.78.1.2 > /dev/null  # warm-up, ARP
ip netns exec "$TAG-a" ping -c "$N" -i "$INTERVAL" -s "$SIZE" -W 2 10.78.1.2 \
    > "$WORK/kernel.txt" || log "kernel ping reported losses"

times_of "$WORK/ours.txt" > "$WORK/ours.t"
times_of "$WORK/kernel.txt" > "$WORK/kernel.t"
row() { # name file
    printf "%-28s %6d %10s %10s %10s %10s\n" "$1" "$(wc -l < "$2")" "$(pct "$2" 50)" \
        "$(pct "$2" 99)" "$(head -1 "$2")" "$(tail -1 "$2")"
}
echo
echo "ping RTT, $N pings, interval $INTERVAL s, $SIZE payload bytes (ms)"
printf "%-28s %6s %10s %10s %10s %10s\n" "path" "replies" "median" "p99" "min" "max"
row "shmifhost <-> shmifhost (bus)" "$WORK/ours.t"
row "kernel <-> kernel (veth)" "$WORK/kernel.t"
awk -v om="$(pct "$WORK/ours.t" 50)" -v km="$(pct "$WORK/kernel.t" 50)" \
    -v o9="$(pct "$WORK/ours.t" 99)" -v k9="$(pct "$WORK/kernel.t" 99)" \
    'BEGIN { if (km > 0 && k9 > 0) printf "ours / kernel: median x%.2f, p99 x%.2f\n", om / km, o9 / k9 }'
