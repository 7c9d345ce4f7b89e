#!/usr/bin/env bash
# bench/forward_bench.sh - port forwarding, inbound: a client on the host's 127.0.0.1 → the
# forwarder → a server inside the forwarded-to network; shmifd --forward beside pasta,
# slirp4netns and the kernel's loopback, same run (root).
#
#   STREAM up    iperf3 -c 127.0.0.1 -p PORT -t SECS --json, one stream, client to server
#                (the receiver's Gbit/s)
#   STREAM down  the same with -R: server to client
#   CRR ab       connect, GET /bytes/SIZE, response, close: `ab -c 1 -n CONNS` (HTTP/1.0, no
#                keep-alive), requests/s = connections/s; a run with a failed or non-2xx
#                request counts as failed. Two rows: the server is a tiny python3 HTTP
#                responder (one connection at a time, written to WORK) in every column; and
#                in ours' column shmifd's built-in --serve http instead (peers: the responder)
#   CRR 1 B      tcp-rr-bench crr: netperf's TCP_CRR, connect, 1 byte, its echo, close (conn/s)
#   RR p50 us    tcp-rr-bench rr: one connection, 1-byte request and echo, one in flight;
#                the median round trip (us). Two rows: tcp-rr-bench server everywhere; and in
#                ours' column shmifd's built-in --serve echo instead (the forward without
#                shmifrun; peers: tcp-rr-bench server)
#   CPU %        the forwarder's CPU time over the STREAM up runs (utime + stime from
#                /proc/PID/stat, % of one CPU): shmifd (the forward and the stack's side of
#                the server's socket), pasta, slirp4netns
#
# Columns (each forwarder listens on 127.0.0.1 only; the servers are the same programs
# everywhere: iperf3 -s, the python responder, tcp-rr-bench server):
#   ours         shmifd --bus /dev/shm/TAG.bus --addr 10.83.0.1/24 -w WORKERS --serve http
#                --serve echo --forward tcp:PORT..=10.83.0.1:..., the servers under
#                `shmifrun -s` on the same daemon (the forward reaches them over the daemon's
#                internal loopback). Every forwarded connection leaves one TIME-WAIT in the
#                daemon's stack (both ends are in it) for 60 s; the stack takes a 4-tuple
#                over from TIME-WAIT after a second (before d5fdaa6 the sustained rate was
#                capped at ~470 conn/s there). The table's footer shows the forward's FAILED
#                counter (connections that ended in a reset: iperf3's runs end so) and the
#                TIME-WAITs in the stack after the last CRR row
#   pasta        a namespace (ip netns add), `pasta --runas 0:0 --netns NS --config-net -t
#                127.0.0.1/PORT:INNER,...`, the servers in the namespace (pasta splices
#                host-loopback connections to the namespace's loopback); --runas 0:0 because
#                as root pasta otherwise drops to nobody and cannot enter the namespace
#   slirp4netns  a namespace, `slirp4netns --configure --mtu SLIRP_MTU --api-socket S
#                --netns-type=path`, add_hostfwd (host_addr 127.0.0.1) per port through the
#                API socket, the servers in the namespace
#   loopback     the ceiling: client and servers on the kernel's loopback directly (in a
#                namespace of their own, so that no host port opens on other addresses)
# and the ratios ours / peer (for RR p50 us, peer / ours: above 1 is ours better everywhere).
# All four set-ups are up at once and each row is measured across the columns before the
# next row, so that drift on a noisy machine spreads over the columns alike. Each cell is
# the median of REPS runs (default 3), each bounded by timeout; every process, namespace and
# file is removed on exit. Prints one markdown table on stdout; progress on stderr.
#
#   sudo bench/forward_bench.sh                    # ~3 min on 2 vCPUs
#   REPS=5 SECS=5 WORKERS=1 sudo -E bench/forward_bench.sh
#
# Knobs: SHMIF_BUILD (default build/release; the targets are built when missing), REPS (3),
# SECS (per iperf3 and rr/crr run, default 3), CONNS (connections per ab run, 2000), SIZE
# (response body bytes for ab, 64), WORKERS (shmifd's workers, 2), SLIRP_MTU (65520, what
# podman and rootlesskit use; slirp4netns's own default is 1500), PORT (first host port,
# 28080: ours uses PORT..PORT+4, pasta PORT+10.., slirp4netns PORT+20..), PYTHON (python3).
# Needs root, iperf3, jq, ab (apache2-utils), pasta (passt), slirp4netns, socat
# (scripts/install-deps.sh --bench). On a 2-vCPU machine the forwarder, the client and the
# server share two CPUs: the figures are noisy (see the load average the table prints).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHMIF_BUILD=${SHMIF_BUILD:-$ROOT/build/release}
case $SHMIF_BUILD in /*) ;; *) SHMIF_BUILD=$ROOT/$SHMIF_BUILD ;; esac
REPS=${REPS:-3}
SECS=${SECS:-3}
CONNS=${CONNS:-2000}
SIZE=${SIZE:-64}
WORKERS=${WORKERS:-2}
SLIRP_MTU=${SLIRP_MTU:-65520}
PORT=${PORT:-28080}
PYTHON=${PYTHON:-python3}
log() { echo "[forward_bench.sh] $*" >&2; }

SHMIFD=${SHMIFD:-$SHMIF_BUILD/daemon/shmifd/shmifd}
CTL=$SHMIF_BUILD/tools/shmifctl/shmifctl
RUN=$SHMIF_BUILD/libshmifsock/bin/shmifrun
RRB=$SHMIF_BUILD/bench/tcp-rr-bench
missing=0
for b in "$SHMIFD" "$CTL" "$RUN" "$RRB"; do [ -x "$b" ] || missing=1; done
if [ $missing = 1 ]; then
    [ -f "$SHMIF_BUILD/CMakeCache.txt" ] ||
        cmake -S "$ROOT" -B "$SHMIF_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" >&2
    cmake --build "$SHMIF_BUILD" -j "${JOBS:-2}" \
        --target shmifd shmifctl shmifrun shmifrun_shim tcp-rr-bench >&2
fi
[ "$(id -u)" = 0 ] || { log "needs root (namespaces)"; exit 1; }
# shellcheck disable=SC2034 # read by bench_cleanup (bench_lib.sh): deletes the namespaces
ROOTOK=1
for p in iperf3 jq ab pasta slirp4netns socat ss "$PYTHON"; do
    command -v "$p" > /dev/null ||
        { log "$p is missing: scripts/install-deps.sh --bench installs it"; exit 1; }
done
for p in $(seq "$PORT" $((PORT + 24))); do
    [ -z "$(ss -Hltn "sport = :$p")" ] || { log "port $p is taken: set PORT"; exit 1; }
done

TAG=fwb-$$
WORK=$(mktemp -d /tmp/forward-bench.XXXXXX)
BUS=/dev/shm/$TAG.bus
# shellcheck source=bench_lib.sh
. "$HERE/bench_lib.sh"
cleanup_on_exit pasta slirp lo

TX_TMO=$(awk -v s="$SECS" 'BEGIN { print int(s) + 20 }')
AB_TMO=$((CONNS / 20 + 30)) # 20 conn/s would be far below any column
declare -A R                # R[row,column]
declare -A FWD              # FWD[column]: the forwarder's pid (CPU row)
COLS=(ours pasta slirp lo)

# The HTTP responder: GET /bytes/N answers N bytes (the pattern of shmifd's --serve http),
# HTTP/1.0, then closes; one connection at a time. python3 httpd.py ADDR PORT
cat > "$WORK/httpd.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(128)
bodies = {}
while True:
    c, _ = s.accept()
    try:
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                break
            buf += d
        parts = buf.split(b" ", 2)
        path = parts[1] if len(parts) > 2 else b"/"
        n = int(path[7:]) if path.startswith(b"/bytes/") and path[7:].isdigit() else 0
        if n not in bodies:
            bodies[n] = bytes((i + i // 251) % 256 for i in range(n))
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % n + bodies[n])
    except OSError:
        pass
    finally:
        c.close()
EOF

# iperf3's receiver Gbit/s as "gbit/s G". iperf_gbits PORT up|down PREFIX...
iperf_gbits() {
    local port=$1 dir=$2
    shift 2
    local rev=()
    [ "$dir" = down ] && rev=(-R)
    "$@" iperf3 -c 127.0.0.1 -p "$port" -t "$SECS" --json "${rev[@]}" |
        jq -r 'if .error then error(.error) else
            "gbit/s \((.end.sum_received.bits_per_second / 1e7 | round) / 100)" end'
}
# ab's requests/s as "per_second R"; nothing (a failed run) if a request failed.
# ab_rate URL PREFIX...
ab_rate() {
    local url=$1
    shift
    "$@" ab -q -c 1 -n "$CONNS" -s 10 "$url" 2>&1 | awk '
        /^Failed requests:/ { failed = $3 }
        /^Non-2xx responses:/ { non2xx = $3 }
        /^Requests per second:/ { rate = $4 }
        END {
            if (rate == "" || failed + non2xx > 0) {
                print "ab: failed " failed ", non-2xx " non2xx ", rate " rate > "/dev/stderr"
                exit 1
            }
            print "per_second", rate
        }'
}
# timeout runs programs, not functions: these run in a `bash -c` that inherits them.
export -f iperf_gbits ab_rate
export SECS CONNS

# Waits (bounded) until CMD... succeeds.
wait_for() {
    for _ in $(seq 100); do "$@" > /dev/null 2>&1 && return 0; sleep 0.1; done
    log "not ready: $*"
    return 1
}
listening() { [ -n "$(ss -Hltn "sport = :$1")" ]; } # PORT (in the caller's namespace)
# utime + stime of PID, in clock ticks.
ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)

# The three servers: iperf3 on P, the HTTP responder on P+1, tcp-rr-bench's echo on P+2,
# each run with the command prefix given. start_servers ADDR P PREFIX...
start_servers() {
    local addr=$1 p=$2
    shift 2
    "$@" iperf3 -s -B "$addr" -p "$p" > /dev/null 2>&1 &
    PIDS+=($!)
    "$@" "$PYTHON" "$WORK/httpd.py" "$addr" $((p + 1)) > /dev/null 2>> "$WORK/errors.log" &
    PIDS+=($!)
    "$@" "$RRB" server $((p + 2)) > /dev/null 2>> "$WORK/errors.log" &
    PIDS+=($!)
}

log "load average $(cut -d' ' -f1-3 /proc/loadavg)"

# --- ours: host PORT..PORT+2 → the servers on 10.83.0.1:5201/5202/5203 under shmifrun,
# PORT+3 → the built-in http on port 80, PORT+4 → the built-in echo on port 7
log "ours: shmifd, $WORKERS worker(s)"
"$SHMIFD" --bus "$BUS" --addr 10.83.0.1/24 --socket "$WORK/d.sock" -w "$WORKERS" -l warn \
    --serve http --forward "tcp:$PORT-$((PORT + 2))=10.83.0.1:5201-5203" \
    --forward "tcp:$((PORT + 3))=10.83.0.1:80" --serve echo --forward "tcp:$((PORT + 4))=10.83.0.1:7" \
    > "$WORK/shmifd.log" 2>&1 &
PIDS+=($!)
FWD[ours]=$!
wait_for "$CTL" -s "$WORK/d.sock" version || { log "$(tail -3 "$WORK/shmifd.log")"; exit 1; }
start_servers 10.83.0.1 5201 "$RUN" -s "$WORK/d.sock" --

# --- pasta: host PORT+10.. → the namespace's 5201.. (spliced to its loopback)
log "pasta"
ip netns add "$TAG-pasta"
ip -n "$TAG-pasta" link set lo up
start_servers 0.0.0.0 5201 ip netns exec "$TAG-pasta"
pasta --runas 0:0 --netns "$TAG-pasta" --config-net -f -q -4 -u none -T none -U none \
    -t "127.0.0.1/$((PORT + 10)):5201,$((PORT + 11)):5202,$((PORT + 12)):5203" \
    > "$WORK/pasta.log" 2>&1 &
PIDS+=($!)
FWD[pasta]=$!
wait_for listening $((PORT + 12)) || log "pasta: $(grep -v syslog "$WORK/pasta.log" | tail -3)"

# --- slirp4netns: host PORT+20.. → 10.0.2.100:5201.. in its namespace
log "slirp4netns, mtu $SLIRP_MTU"
ip netns add "$TAG-slirp"
slirp4netns --configure --mtu="$SLIRP_MTU" --disable-host-loopback \
    --api-socket "$WORK/slirp.sock" --netns-type=path "/run/netns/$TAG-slirp" tap0 \
    > "$WORK/slirp.log" 2>&1 &
PIDS+=($!)
FWD[slirp]=$!
wait_for test -S "$WORK/slirp.sock"
start_servers 0.0.0.0 5201 ip netns exec "$TAG-slirp"
for i in 0 1 2; do
    reply=$(printf '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": %d, "guest_port": %d}}' \
        $((PORT + 20 + i)) $((5201 + i)) | timeout 5 socat - "UNIX-CONNECT:$WORK/slirp.sock" || true)
    case $reply in *'"return"'*) ;; *) log "slirp4netns add_hostfwd: $reply" ;; esac
done

# --- loopback: servers and clients on one namespace's lo, ports PORT+30..
log "loopback"
ip netns add "$TAG-lo"
ip -n "$TAG-lo" link set lo up
kernel_client_sysctls "$TAG-lo"
start_servers 127.0.0.1 $((PORT + 30)) ip netns exec "$TAG-lo"

sleep 1 # the servers under shmifrun and in the namespaces listen

# port COLUMN: the first host port of the column; prefix: how its clients run.
port() { case $1 in ours) echo "$PORT" ;; pasta) echo $((PORT + 10)) ;; slirp) echo $((PORT + 20)) ;; lo) echo $((PORT + 30)) ;; esac; }
prefix() { [ "$1" = lo ] && echo "ip netns exec $TAG-lo"; true; }

for c in "${COLS[@]}"; do
    p=$(port "$c")
    # shellcheck disable=SC2046
    R[up,$c]=$(
        t0=$(ticks "${FWD[$c]:-0}") w0=$(date +%s.%N)
        v=$(cell gbit/s "$TX_TMO" bash -c 'iperf_gbits "$@"' _ "$p" up $(prefix "$c"))
        t1=$(ticks "${FWD[$c]:-0}") w1=$(date +%s.%N)
        echo "$v $(awk -v t=$((t1 - t0)) -v hz="$HZ" -v w0="$w0" -v w1="$w1" \
            'BEGIN { printf "%.0f", 100 * t / hz / (w1 - w0) }')"
    )
    R[cpu,$c]=${R[up,$c]#* }
    R[up,$c]=${R[up,$c]% *}
    log "STREAM up $c: ${R[up,$c]} Gbit/s, forwarder CPU ${R[cpu,$c]} %"
done
for c in "${COLS[@]}"; do
    # shellcheck disable=SC2046
    R[down,$c]=$(cell gbit/s "$TX_TMO" bash -c 'iperf_gbits "$@"' _ "$(port "$c")" down $(prefix "$c"))
    log "STREAM down $c: ${R[down,$c]} Gbit/s"
done
R[abin,ours]=$(cell per_second "$AB_TMO" bash -c 'ab_rate "$@"' _ "http://127.0.0.1:$((PORT + 3))/bytes/$SIZE")
log "CRR ab built-in http ours: ${R[abin,ours]}/s"
for c in "${COLS[@]}"; do
    # shellcheck disable=SC2046
    R[ab,$c]=$(cell per_second "$AB_TMO" bash -c 'ab_rate "$@"' _ "http://127.0.0.1:$(($(port "$c") + 1))/bytes/$SIZE" $(prefix "$c"))
    [ "$c" = ours ] || R[abin,$c]=${R[ab,$c]}
    log "CRR ab responder $c: ${R[ab,$c]}/s"
done
for c in "${COLS[@]}"; do
    # shellcheck disable=SC2046
    R[crr,$c]=$(cell per_second "$TX_TMO" $(prefix "$c") "$RRB" crr "127.0.0.1:$(($(port "$c") + 2))" "$SECS")
    log "CRR 1 B $c: ${R[crr,$c]}/s"
    [ "$c" = ours ] || continue
    # Every forwarded connection left a TIME-WAIT in the daemon's stack for 60 s.
    TIME_WAITS=$("$CTL" -s "$WORK/d.sock" --json tcp list 2>/dev/null |
        jq '[.connections[]? | select(.state == "TIME-WAIT")] | length' 2>/dev/null || echo '?')
done
for c in "${COLS[@]}"; do
    # shellcheck disable=SC2046
    R[lat,$c]=$(cell p50_us "$TX_TMO" $(prefix "$c") "$RRB" rr "127.0.0.1:$(($(port "$c") + 2))" 1 "$SECS")
    log "RR 1 B $c: p50 ${R[lat,$c]} us"
    [ "$c" = ours ] || R[latin,$c]=${R[lat,$c]}
done
R[latin,ours]=$(cell p50_us "$TX_TMO" "$RRB" rr "127.0.0.1:$((PORT + 4))" 1 "$SECS")
log "RR 1 B built-in echo ours: p50 ${R[latin,ours]} us"
R[cpu,lo]=""

# --- the table
get() { local v=${R[$1]:-}; echo "${v:--}"; }
echo
echo "Port forwarding, inbound (client on 127.0.0.1 → forwarder → server inside), median of"
echo "$REPS runs; iperf3 -t $SECS; ab -c 1 -n $CONNS GET /bytes/$SIZE; tcp-rr-bench $SECS s;"
echo "shmifd -w $WORKERS, slirp4netns mtu $SLIRP_MTU; $(nproc) vCPUs, load average $(cut -d' ' -f1-3 /proc/loadavg);"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| row | ours | pasta | slirp4netns | loopback | ours/pasta | ours/slirp4netns | ours/loopback |"
echo "|---|---|---|---|---|---|---|---|"
names=(up "STREAM up Gbit/s (iperf3; ours: iperf3 -s under shmifrun)"
    down "STREAM down Gbit/s (iperf3 -R)"
    abin "CRR conn/s, ab (ours: built-in --serve http; others: python responder)"
    ab "CRR conn/s, ab (python responder everywhere; ours: under shmifrun)"
    crr "CRR conn/s, tcp-rr-bench crr 1 B (ours: server under shmifrun)"
    lat "RR 1 B p50 us, tcp-rr-bench rr (ours: server under shmifrun; ratio = peer / ours)"
    latin "RR 1 B p50 us, tcp-rr-bench rr (ours: built-in --serve echo; others: as above)"
    cpu "forwarder CPU % during STREAM up (100 = one vCPU)")
for ((i = 0; i < ${#names[@]}; i += 2)); do
    k=${names[i]}
    o=$(get "$k,ours")
    line="| ${names[i + 1]} | $o | $(get "$k,pasta") | $(get "$k,slirp") | $(get "$k,lo") |"
    for c in pasta slirp lo; do
        if [ "$k" = cpu ]; then
            line+=" |"
        elif [ "$k" = lat ] || [ "$k" = latin ]; then
            line+=" $(ratio "$(get "$k,$c")" "$o") |"
        else
            line+=" $(ratio "$o" "$(get "$k,$c")") |"
        fi
    done
    echo "$line"
done
echo
echo "shmifctl fwd list at the end:"
{ "$CTL" -s "$WORK/d.sock" fwd list 2>&1 || true; } | awk '{ print "    " $0 }'
echo "TIME-WAIT connections in ours' stack right after its tcp-rr-bench crr runs: $TIME_WAITS"
if [ -s "$WORK/errors.log" ]; then
    echo
    echo "stderr of the runs (last 15 lines):"
    tail -15 "$WORK/errors.log"
fi
