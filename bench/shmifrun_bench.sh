#!/usr/bin/env bash
# bench/shmifrun_bench.sh - unmodified programs under shmifrun between two shmifd daemons,
# beside the same programs on the kernel over a veth pair, in the same run (root).
#
#   STREAM     iperf3, one TCP stream of BYTES, client to server (the receiver's Gbit/s)
#   RR 1B      tcp-rr-bench rr: netperf's TCP_RR, a 1-byte request and its echo, one in
#              flight (transactions/s; netperf is not in Debian)
#   CRR        tcp-rr-bench crr: netperf's TCP_CRR, connect, 1 byte, echo, close (conn/s)
#   lat us     sockperf ping-pong --tcp: the median one-way latency it reports (us)
#
# Columns:
#   ours-M       two daemons on one bus file in /dev/shm (interface mtu M, WORKERS workers
#                each), the servers under `shmifrun -s B.sock`, the clients under
#                `shmifrun -s A.sock`; M = 1500 and 65000 (MTUS)
#   kernel-veth  two namespaces joined by a veth pair (mtu 1500, TSO/GRO on), the same
#                programs, no shmifrun
# and the ratios ours / kernel-veth. Each cell is the median of REPS runs (default 3), each
# bounded by timeout; every process, namespace and file is removed on exit.
#
#   sudo bench/shmifrun_bench.sh
#   SECS=2 BYTES=500M WORKERS=2 REPS=5 sudo -E bench/shmifrun_bench.sh
#
# Knobs: SHMIF_BUILD (default build/release; the targets are built when missing), SECS (per
# RR/CRR/sockperf run, default 3), BYTES (per iperf3 run, default 1G), REPS, WORKERS (1),
# MTUS ("1500 65000"), SHMIFD (another daemon binary, to compare two builds). Without root
# the kernel column says n/a.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHMIF_BUILD=${SHMIF_BUILD:-$ROOT/build/release}
case $SHMIF_BUILD in /*) ;; *) SHMIF_BUILD=$ROOT/$SHMIF_BUILD ;; esac
SECS=${SECS:-3}
BYTES=${BYTES:-1G}
REPS=${REPS:-3}
WORKERS=${WORKERS:-1}
MTUS=${MTUS:-1500 65000}
log() { echo "[shmifrun_bench.sh] $*" >&2; }

SHMIFD=${SHMIFD:-$SHMIF_BUILD/daemon/shmifd/shmifd}
CTL=$SHMIF_BUILD/tools/shmifctl/shmifctl
BUSTOOL=$SHMIF_BUILD/tools/shmifbus/shmifbus
RUN=$SHMIF_BUILD/libshmifsock/bin/shmifrun
RRB=$SHMIF_BUILD/bench/tcp-rr-bench
missing=0
for b in "$SHMIFD" "$CTL" "$BUSTOOL" "$RUN" "$RRB"; do [ -x "$b" ] || missing=1; done
if [ $missing = 1 ]; then
    [ -f "$SHMIF_BUILD/CMakeCache.txt" ] ||
        cmake -S "$ROOT" -B "$SHMIF_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >&2
    cmake --build "$SHMIF_BUILD" -j "${JOBS:-2}" \
        --target shmifd shmifctl shmifbus shmifrun shmifrun_shim tcp-rr-bench >&2
fi
for p in iperf3 sockperf; do
    command -v $p > /dev/null || { log "$p is missing: scripts/install-deps.sh installs it"; exit 1; }
done
ROOTOK=1
[ "$(id -u)" = 0 ] || { ROOTOK=0; log "not root: the kernel-veth column is skipped"; }

TAG=srb-$$
WORK=$(mktemp -d /tmp/shmifrun-bench.XXXXXX)
BUS=/dev/shm/$TAG.bus
# shellcheck source=bench_lib.sh
. "$HERE/bench_lib.sh"
cleanup_on_exit a b

TX_TMO=$(awk -v s="$SECS" 'BEGIN { print int(s) + 20 }')
declare -A R # R[row,column]

# iperf3's receiver Gbit/s as "gbit/s G" (for cell); the command prefix runs it.
iperf_gbits() {
    "$@" iperf3 -c "$ADDR" -n "$BYTES" -f g | awk '/receiver/ {
        for (i = 1; i < NF; i++) if ($(i + 1) == "Gbits/sec") print "gbit/s", $i }'
}
# sockperf's median one-way latency as "lat_us L".
sockperf_lat() {
    "$@" sockperf ping-pong --tcp -i "$ADDR" -p 11111 -t "$SECS" 2>&1 |
        sed 's/\x1b\[[0-9;]*m//g' | awk '/percentile 50.000 =/ { print "lat_us", $NF }'
}
# timeout runs programs, not functions: these two run in a `bash -c` that inherits them.
export -f iperf_gbits sockperf_lat
export BYTES SECS
# The four rows for one column: servers started by the caller at ADDR, clients run with the
# command prefix given.
measure() { # column prefix...
    local col=$1
    shift
    R[stream,$col]=$(cell gbit/s 180 bash -c 'iperf_gbits "$@"' _ "$@")
    R[rr1,$col]=$(cell per_second "$TX_TMO" "$@" "$RRB" rr "$ADDR:7" 1 "$SECS")
    R[crr,$col]=$(cell per_second "$TX_TMO" "$@" "$RRB" crr "$ADDR:7" "$SECS")
    R[lat,$col]=$(cell lat_us "$TX_TMO" bash -c 'sockperf_lat "$@"' _ "$@")
}
# The servers of the four rows at ADDR, each run with the command prefix given.
start_servers() {
    "$@" iperf3 -s -B "$ADDR" > /dev/null 2>&1 &
    PIDS+=($!)
    "$@" "$RRB" server 7 > /dev/null 2>&1 &
    PIDS+=($!)
    "$@" sockperf server --tcp -i "$ADDR" -p 11111 > /dev/null 2>&1 &
    PIDS+=($!)
    sleep 1
}
# Waits (bounded) until CMD... succeeds.
wait_for() {
    for _ in $(seq 100); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done
    log "not ready: $*"
    return 1
}

start_daemon() { # name mtu workers address
    cat > "$WORK/$1.toml" <<EOF
[daemon]
socket = "$WORK/$1.sock"
workers = $3
log_level = "warn"

[[interface]]
name = "eth0"
bus = "$BUS"
mtu = $2
addresses = ["$4/24"]
EOF
    "$SHMIFD" --config "$WORK/$1.toml" > "$WORK/$1.log" 2>&1 &
    PIDS+=($!)
    wait_for "$CTL" -s "$WORK/$1.sock" version || { log "$(tail -3 "$WORK/$1.log")"; return 1; }
}

log "load average $(cut -d' ' -f1-3 /proc/loadavg)"
for m in $MTUS; do
    log "ours, mtu $m, $WORKERS worker(s) per daemon"
    rm -f "$BUS" && "$BUSTOOL" create "$BUS" --size 32M > /dev/null
    start_daemon a "$m" "$WORKERS" 10.82.0.1 && start_daemon b "$m" "$WORKERS" 10.82.0.2 ||
        { stop_all; continue; }
    export ADDR=10.82.0.2
    wait_for "$CTL" -s "$WORK/a.sock" ping "$ADDR" -c 1
    start_servers "$RUN" -s "$WORK/b.sock" --
    measure "$m" "$RUN" -s "$WORK/a.sock" --
    stop_all
done

if [ $ROOTOK = 1 ]; then
    log "kernel-veth"
    veth_pair "$TAG" 10.82.1
    export ADDR=10.82.1.2
    start_servers ip netns exec "$TAG-b"
    measure kernel ip netns exec "$TAG-a"
    stop_all
fi

# --- the table
get() { local v=${R[$1]:-}; echo "${v:-n/a}"; }
echo
echo "shmifrun between two daemons ($WORKERS worker(s) each) vs the kernel over veth: median of"
echo "$REPS runs; iperf3 $BYTES; RR/CRR/sockperf $SECS s; ratio = ours / kernel (for lat us,"
echo "kernel / ours: above 1 is better either way); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-16s" "row"
for m in $MTUS; do printf " %11s" "ours-$m"; done
printf " %11s" "kernel-veth"
for m in $MTUS; do printf " %8s" "x$m"; done
echo
names=(stream "STREAM Gbit/s" rr1 "RR 1B tr/s" crr "CRR conn/s" lat "lat us (p50)")
for ((i = 0; i < ${#names[@]}; i += 2)); do
    k=${names[i]}
    kern=$(get "$k,kernel")
    printf "%-16s" "${names[i + 1]}"
    for m in $MTUS; do printf " %11s" "$(get "$k,$m")"; done
    printf " %11s" "$kern"
    for m in $MTUS; do
        if [ "$k" = lat ]; then
            printf " %8s" "$(ratio "$kern" "$(get "$k,$m")")"
        else
            printf " %8s" "$(ratio "$(get "$k,$m")" "$kern")"
        fi
    done
    echo
done
if [ -s "$WORK/errors.log" ]; then
    echo
    echo "stderr of the runs (last 15 lines):"
    tail -15 "$WORK/errors.log"
fi
