#!/usr/bin/env bash
# bench/tcp_bench.sh - netperf's shapes for our TCP beside the kernel's, same run (root).
#
#   STREAM fetch  one connection, BYTES from the server to the client (Gbit/s)
#   STREAM send   one connection, BYTES from the client to the server (Gbit/s)
#   RR 1, RR 64   TCP_RR: one connection, 1- or 64-byte request and its echo, one in flight
#                 (transactions/s)
#   CRR           TCP_CRR: connect, 1-byte request, echo, close, repeated (connections/s)
#
# Columns:
#   ours-bus-M    shmifd --serve echo/http/discard (WORKERS workers, interface mtu M) and
#                 shmifhost --mtu M as the client (--tcp-fetch --http and --tcp-send to discard,
#                 both --no-sha256: hashing costs more than the TCP; --tcp-rr, --tcp-crr), one
#                 bus file of BUS_SIZE in /dev/shm, M = 1500, 9000, 65000 (the bus's max_frame,
#                 65,553 by default, carries 65,000 + 14)
#   ours-tap      the same shmifd (mtu 1500) on a bus bridged by shmiftap to a TAP in a
#                 namespace; the kernel's client there (tcp-rr-bench rr/crr/fetch/send)
#   kernel-veth   two namespaces joined by a veth pair (mtu 1500, the kernel's TSO/GRO on):
#                 iperf3 for the streams (-R for fetch), tcp-rr-bench server/rr/crr
# and the ratios ours / kernel-veth. Every cell is the median of REPS runs (default 3), each
# bounded by timeout. Our rows are repeated per worker count (w1, w2). The kernel clients'
# namespaces get ip_local_port_range 1024-65535 and tcp_tw_reuse for CRR's TIME-WAITs.
#
#   sudo bench/tcp_bench.sh
#   SHMIF_BUILD=build-tcpbench SECS=2 BYTES=200000000 WORKERS=1 sudo -E bench/tcp_bench.sh
#
# Knobs: SHMIF_BUILD (default build/release; configured and the targets built when missing),
# SECS (per RR/CRR run, default 3), BYTES (per stream run, default 400000000), REPS (3),
# WORKERS (default "1 2"), MTUS (default "1500 9000 65000"), BUS_SIZE (default 32M), JOBS.
# Without root, or without iperf3, the rows that need them say so ("n/a") and the rest run.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHMIF_BUILD=${SHMIF_BUILD:-$ROOT/build/release}
case $SHMIF_BUILD in /*) ;; *) SHMIF_BUILD=$ROOT/$SHMIF_BUILD ;; esac
SECS=${SECS:-3}
BYTES=${BYTES:-400000000}
REPS=${REPS:-3}
WORKERS=${WORKERS:-1 2}
MTUS=${MTUS:-1500 9000 65000}
BUS_SIZE=${BUS_SIZE:-32M}
log() { echo "[tcp_bench.sh] $*" >&2; }

SHMIFD=$SHMIF_BUILD/daemon/shmifd/shmifd
HOST=$SHMIF_BUILD/tools/shmifhost/shmifhost
TAP=$SHMIF_BUILD/tools/shmiftap/shmiftap
CTL=$SHMIF_BUILD/tools/shmifctl/shmifctl
BUSTOOL=$SHMIF_BUILD/tools/shmifbus/shmifbus
RRB=$SHMIF_BUILD/bench/tcp-rr-bench
missing=0
for b in "$SHMIFD" "$HOST" "$TAP" "$CTL" "$BUSTOOL" "$RRB"; do [ -x "$b" ] || missing=1; done
if [ $missing = 1 ]; then
    if [ ! -f "$SHMIF_BUILD/CMakeCache.txt" ]; then
        cmake -S "$ROOT" -B "$SHMIF_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG" >&2
    fi
    cmake --build "$SHMIF_BUILD" -j "${JOBS:-2}" \
        --target shmifd shmifhost shmiftap shmifctl shmifbus tcp-rr-bench >&2
fi

ROOTOK=1
[ "$(id -u)" = 0 ] || { ROOTOK=0; log "not root: the ours-tap and kernel-veth columns are skipped"; }
IPERF=1
command -v iperf3 > /dev/null || { IPERF=0; log "no iperf3 (scripts/install-deps.sh): kernel streams skipped"; }

TAG=tcpb-$$
WORK=$(mktemp -d /tmp/tcp-bench.XXXXXX)
BUS=/dev/shm/$TAG.bus
# shellcheck source=bench_lib.sh
. "$HERE/bench_lib.sh"
cleanup_on_exit tap a b

TX_TMO=$(awk -v s="$SECS" 'BEGIN { print int(s) + 20 }')
ST_TMO=120
declare -A R # R[row,column]

# --- ours: shmifd on BUS with MTU and workers; the client is CMD...
start_shmifd() { # mtu workers address
    cat > "$WORK/d.toml" <<EOF
[daemon]
socket = "$WORK/d.sock"
workers = $2
log_level = "warn"

[[interface]]
name = "eth0"
bus = "$BUS"
mtu = $1
addresses = ["$3/24"]
EOF
    "$SHMIFD" --config "$WORK/d.toml" --serve echo --serve http --serve discard \
        > "$WORK/shmifd.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do
        "$CTL" -s "$WORK/d.sock" version > /dev/null 2>&1 && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
    done
    log "shmifd did not start: $(tail -3 "$WORK/shmifd.log")"
    return 1
}
new_bus() { rm -f "$BUS" && "$BUSTOOL" create "$BUS" --size "$BUS_SIZE" > /dev/null; }

log "load average $(cut -d' ' -f1-3 /proc/loadavg)"
for w in $WORKERS; do
    for m in $MTUS; do
        col=bus-$m
        log "ours, $col, $w worker(s)"
        new_bus
        start_shmifd "$m" "$w" 10.79.0.2 || { stop_all; continue; }
        H=("$HOST" --bus "$BUS" --addr 10.79.0.3/24 --mtu "$m" -q)
        # Ready when the address answers (probing done): one ping, bounded.
        for _ in $(seq 20); do
            timeout 5 "${H[@]}" --ping 10.79.0.2 -c 1 -W 1 > /dev/null 2>&1 && break
        done
        R[fetch-w$w,$col]=$(cell gbit/s $ST_TMO "${H[@]}" --tcp-timeout 100 --no-sha256 --tcp-fetch 10.79.0.2:80 --http --bytes "$BYTES")
        R[send-w$w,$col]=$(cell gbit/s $ST_TMO "${H[@]}" --tcp-timeout 100 --no-sha256 --tcp-send 10.79.0.2:9 --bytes "$BYTES")
        R[rr1-w$w,$col]=$(cell per_second "$TX_TMO" "${H[@]}" --tcp-timeout 10 --tcp-rr 10.79.0.2:7 --seconds "$SECS")
        R[rr64-w$w,$col]=$(cell per_second "$TX_TMO" "${H[@]}" --tcp-timeout 10 --tcp-rr 10.79.0.2:7 --size 64 --seconds "$SECS")
        R[crr-w$w,$col]=$(cell per_second "$TX_TMO" "${H[@]}" --tcp-timeout 10 --tcp-crr 10.79.0.2:7 --seconds "$SECS")
        stop_all
    done
done

if [ $ROOTOK = 1 ]; then
    # --- ours to the kernel: shmiftap bridges BUS to tap0 in a namespace (10.79.1.1)
    ip netns add "$TAG-tap"
    ip -n "$TAG-tap" link set lo up
    kernel_client_sysctls "$TAG-tap"
    for w in $WORKERS; do
        log "ours-tap, $w worker(s)"
        new_bus
        ip netns exec "$TAG-tap" "$TAP" --bus "$BUS" --tap tap0 --up > "$WORK/tap.log" 2>&1 &
        PIDS+=($!)
        for _ in $(seq 50); do ip -n "$TAG-tap" link show tap0 > /dev/null 2>&1 && break; sleep 0.1; done
        ip -n "$TAG-tap" addr add 10.79.1.1/24 dev tap0 2>/dev/null || true
        start_shmifd 1500 "$w" 10.79.1.2 || { stop_all; continue; }
        for _ in $(seq 20); do
            ip netns exec "$TAG-tap" ping -c 1 -W 1 10.79.1.2 > /dev/null 2>&1 && break
        done
        K=(ip netns exec "$TAG-tap" "$RRB")
        R[fetch-w$w,tap]=$(cell gbit/s $ST_TMO "${K[@]}" fetch 10.79.1.2:80 "$BYTES" http)
        R[send-w$w,tap]=$(cell gbit/s $ST_TMO "${K[@]}" send 10.79.1.2:9 "$BYTES")
        R[rr1-w$w,tap]=$(cell per_second "$TX_TMO" "${K[@]}" rr 10.79.1.2:7 1 "$SECS")
        R[rr64-w$w,tap]=$(cell per_second "$TX_TMO" "${K[@]}" rr 10.79.1.2:7 64 "$SECS")
        R[crr-w$w,tap]=$(cell per_second "$TX_TMO" "${K[@]}" crr 10.79.1.2:7 "$SECS")
        stop_all
        ip -n "$TAG-tap" link del tap0 2>/dev/null || true
    done

    # --- the kernel: veth between namespaces a (client, 10.79.2.1) and b (server, .2)
    log "kernel-veth"
    veth_pair "$TAG" 10.79.2
    ip netns exec "$TAG-a" ping -c 1 -W 2 10.79.2.2 > /dev/null || log "veth: no ping reply"
    ip netns exec "$TAG-b" "$RRB" server 7 > /dev/null 2>&1 &
    PIDS+=($!)
    if [ $IPERF = 1 ]; then
        ip netns exec "$TAG-b" iperf3 -s -B 10.79.2.2 > /dev/null 2>&1 &
        PIDS+=($!)
    fi
    sleep 0.5
    K=(ip netns exec "$TAG-a")
    if [ $IPERF = 1 ]; then
        # iperf3's own Gbit/s of the receiver, as "gbit/s G" for cell.
        IPERF_CMD='ip netns exec "$0" iperf3 -c 10.79.2.2 -n "$1" -f g $2 | awk '"'"'/receiver/ {
            for (i = 1; i < NF; i++) if ($(i + 1) == "Gbits/sec") print "gbit/s", $i }'"'"
        R[fetch,kernel]=$(cell gbit/s $ST_TMO bash -c "$IPERF_CMD" "$TAG-a" "$BYTES" -R)
        R[send,kernel]=$(cell gbit/s $ST_TMO bash -c "$IPERF_CMD" "$TAG-a" "$BYTES" "")
    fi
    R[rr1,kernel]=$(cell per_second "$TX_TMO" "${K[@]}" "$RRB" rr 10.79.2.2:7 1 "$SECS")
    R[rr64,kernel]=$(cell per_second "$TX_TMO" "${K[@]}" "$RRB" rr 10.79.2.2:7 64 "$SECS")
    R[crr,kernel]=$(cell per_second "$TX_TMO" "${K[@]}" "$RRB" crr 10.79.2.2:7 "$SECS")
    stop_all
fi

# --- the table
get() { local v=${R[$1]:-}; echo "${v:-n/a}"; }
cols=()
for m in $MTUS; do cols+=("bus-$m"); done
cols+=(tap)
echo
echo "TCP, netperf's shapes: median of $REPS runs; STREAM $BYTES bytes (Gbit/s), RR/CRR $SECS s"
echo "(transactions or connections per second); ratio = ours / kernel-veth; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-22s" "row"
for c in "${cols[@]}"; do printf " %10s" "ours-$c"; done
printf " %11s" "kernel-veth"
for c in "${cols[@]}"; do printf " %7s" "x$c"; done
echo
names=(fetch "STREAM fetch Gb/s" send "STREAM send Gb/s" rr1 "RR 1B tr/s" rr64 "RR 64B tr/s"
    crr "CRR conn/s")
for w in $WORKERS; do
    for ((i = 0; i < ${#names[@]}; i += 2)); do
        k=${names[i]}
        kern=$(get "$k,kernel")
        printf "%-22s" "${names[i + 1]} w$w"
        for c in "${cols[@]}"; do printf " %10s" "$(get "$k-w$w,$c")"; done
        printf " %11s" "$kern"
        for c in "${cols[@]}"; do printf " %7s" "$(ratio "$(get "$k-w$w,$c")" "$kern")"; done
        echo
    done
done
if [ -s "$WORK/errors.log" ]; then
    echo
    echo "stderr of the runs (last 15 lines):"
    tail -15 "$WORK/errors.log"
fi
