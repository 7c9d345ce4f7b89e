#!/usr/bin/env bash
# bench/shmiflink_bench.sh - frames/s through shmiflink beside the kernel's netem on a veth
# pair, same frame sizes, same run (root for the kernel part).
#
#   shmiflink: shmiflink-bench --shmiflink (see shmiflink_bench.cpp): 64- and 1514-byte
#              frames from bus A to bus B with no impairment and with IMPAIR (default
#              'delay 1ms rate 10gbit'), then the latency it adds with no impairment.
#   kernel:    the same driver with AF_PACKET sockets over a veth pair in a namespace this
#              script creates and deletes: plain veth, veth + netem with nothing set, veth +
#              netem IMPAIR. netem rows need sch_netem (modprobe); without it they are
#              reported unavailable and the run goes on.
# Prints one table and the shmiflink/netem ratios (target: >= 5x).
#
#   sudo bench/shmiflink_bench.sh
#   SECS=5 IMPAIR='delay 1ms rate 10gbit' sudo bench/shmiflink_bench.sh
#
# Knobs: SHMIF_BUILD (build dir, default build/release; configured and the two targets built
# when missing), SECS (per row, default 2), IMPAIR, JOBS.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHMIF_BUILD=${SHMIF_BUILD:-$ROOT/build/release}
SECS=${SECS:-2}
IMPAIR=${IMPAIR:-delay 1ms rate 10gbit}
log() { echo "[shmiflink_bench.sh] $*" >&2; }

LINK=$SHMIF_BUILD/tools/shmiflink/shmiflink
BENCH=$SHMIF_BUILD/bench/shmiflink-bench
if [ ! -x "$LINK" ] || [ ! -x "$BENCH" ]; then
    if [ ! -f "$SHMIF_BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$SHMIF_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG" >&2
    fi
    cmake --build "$SHMIF_BUILD" -j "${JOBS:-2}" --target shmiflink shmiflink-bench >&2
fi

TAG=slb-$$
OUT=$(mktemp /tmp/shmiflink-bench.XXXXXX)
cleanup() {
    ip netns del "$TAG" 2>/dev/null || true
    rm -f "$OUT"
}
trap cleanup EXIT INT TERM

log "load average $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "| path      | impairment             | frame |     frames/s | note |"
echo "|-----------|------------------------|-------|--------------|------|"
"$BENCH" --shmiflink "$LINK" --secs "$SECS" --netem "$IMPAIR" | tee "$OUT" | grep '^|' || true
LATENCY=$(grep -v '^|' "$OUT" || true)

if [ "$(id -u)" != 0 ]; then
    echo "kernel: skipped (needs root for a namespace and a veth pair)"
elif ! ip netns add "$TAG" 2>/dev/null; then
    echo "kernel: skipped (ip netns add refused)"
else
    ip -n "$TAG" link add v0 type veth peer name v1
    ip -n "$TAG" link set v0 up
    ip -n "$TAG" link set v1 up
    ip netns exec "$TAG" "$BENCH" --packet v0 v1 --label "veth, no qdisc" --secs "$SECS" |
        tee -a "$OUT"
    modprobe sch_netem 2>/dev/null || true
    if ip netns exec "$TAG" tc qdisc add dev v0 root netem 2>/dev/null; then
        ip netns exec "$TAG" "$BENCH" --packet v0 v1 --label "none" --secs "$SECS" |
            sed 's/| kernel    |/| netem     |/' | tee -a "$OUT"
        # shellcheck disable=SC2086
        ip netns exec "$TAG" tc qdisc change dev v0 root netem $IMPAIR
        ip netns exec "$TAG" "$BENCH" --packet v0 v1 --label "$IMPAIR" --secs "$SECS" |
            sed 's/| kernel    |/| netem     |/' | tee -a "$OUT"
    else
        echo "netem: unavailable (no sch_netem in this kernel)"
    fi
fi
echo
echo "$LATENCY"
echo
# Ratios shmiflink / netem per (impairment, frame size), when netem ran.
awk -F'|' '
    { for (i = 2; i <= 5; i++) gsub(/^ +| +$/, "", $i) }
    $2 == "shmiflink" { link[$3 "|" $4] = $5 }
    $2 == "netem"     { netem[$3 "|" $4] = $5 }
    END {
        n = 0
        for (k in netem) if (k in link && netem[k] > 0) {
            split(k, p, "|")
            printf "ratio shmiflink/netem, %s, %s bytes: %.1fx\n", p[1], p[2], link[k] / netem[k]
            n++
        }
        if (n == 0) print "ratio shmiflink/netem: no netem rows in this run"
    }' "$OUT"
