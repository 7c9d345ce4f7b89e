# bench/bench_lib.sh - what the shell benchmarks share (sourced): processes they started and
# stop, and cells that are the median of REPS bounded runs. The sourcing script sets WORK (a
# scratch folder) and REPS before calling cell.

PIDS=()
# Stops every process in PIDS: TERM, up to 5 s, then KILL; reaps them.
stop_all() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    PIDS=()
}

# The value after KEY in the lines on stdin.
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'; }
# Median of the numbers on stdin ("-" when none).
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }
# cell KEY TIMEOUT CMD...: REPS runs, each bounded; the median of KEY's value. What a run
# printed on stderr, and why it failed, goes to $WORK/errors.log.
cell() {
    local key=$1 tmo=$2 r
    shift 2
    for r in $(seq "$REPS"); do
        timeout -k 2 "$tmo" "$@" > "$WORK/run.out" 2>> "$WORK/errors.log" ||
            echo "exit $?: $*" >> "$WORK/errors.log"
        field "$key" < "$WORK/run.out"
    done | median
}
# ratio OURS KERNEL: ours / kernel with two decimals, "-" when either is missing.
ratio() { awk -v o="$1" -v k="$2" 'BEGIN { if (o + 0 > 0 && k + 0 > 0) printf "%.2f", o / k; else print "-" }'; }

# veth_pair TAG PREFIX: namespaces TAG-a (PREFIX.1, the client) and TAG-b (PREFIX.2, the
# server) joined by a veth pair (mtu 1500, the kernel's TSO/GRO on), the client's set up for
# TCP_CRR. The caller deletes both namespaces.
veth_pair() {
    local tag=$1 prefix=$2 ns
    ip netns add "$tag-a"
    ip netns add "$tag-b"
    ip link add veth-a netns "$tag-a" type veth peer name veth-b netns "$tag-b"
    ip -n "$tag-a" addr add "$prefix.1/24" dev veth-a
    ip -n "$tag-b" addr add "$prefix.2/24" dev veth-b
    for ns in a b; do
        ip -n "$tag-$ns" link set lo up
        ip -n "$tag-$ns" link set "veth-$ns" up
    done
    kernel_client_sysctls "$tag-a"
}

# A kernel client's namespace for TCP_CRR: TIME-WAIT ports reused, every port usable.
kernel_client_sysctls() { # namespace
    ip netns exec "$1" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" \
        net.ipv4.tcp_tw_reuse=1 > /dev/null
}

# On exit (and on INT/TERM), removes what the benchmark made: the processes in PIDS, the
# namespaces TAG-NS for each NS given (when ROOTOK is 1), the bus file BUS and the folder WORK.
cleanup_on_exit() {
    CLEANUP_NAMESPACES=("$@")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}
bench_cleanup() {
    local ns
    stop_all
    if [ "${ROOTOK:-0}" = 1 ]; then
        for ns in "${CLEANUP_NAMESPACES[@]}"; do ip netns del "$TAG-$ns" 2>/dev/null || true; done
    fi
    rm -f "$BUS"
    rm -rf "$WORK"
}
