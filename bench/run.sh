#!/usr/bin/env bash
# bench/run.sh - the whole benchmark in one command (see bench/README.md):
#   1. builds libshmif and shmif-bench (release preset's settings, in SHMIF_BUILD),
#   2. runs shmif-bench (our bus alone: formats, copy vs zero-copy, fan-out, spin policies),
#   3. runs ../shared/bench-peers/run.sh with bench/peers-plugin.sh, so that our bus goes
#      through the same sender/receiver/ping-pong programs as VDE, veth, Unix sockets and
#      (if installed) DPDK memif, in the same run,
#   4. prints the ratio of ours (native format) to each peer.
#
#   sudo bench/run.sh                # ~6 min
#   QUICK=1 sudo bench/run.sh        # ~2 min, rougher figures
#
# Knobs: SHMIF_BUILD (build dir, default build/release), OUT (where logs and CSVs stay,
# default a fresh /tmp/shmif-bench.XXXXXX), QUICK=1, SKIP_BUS=1, SKIP_PEERS=1,
# BUS_ARGS (extra shmif-bench arguments), PEERS_DIR, JOBS (build parallelism, 2),
# WAIT_QUIET=S (before each part, wait up to S seconds for the CPUs to be < 8 % busy).
# Passed through to the peers' run.sh: SECS, RTT_COUNT, DPDK, TRANSPORTS, ONLY, KEEP_WORK.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
export SHMIF_BUILD=${SHMIF_BUILD:-$ROOT/build/release}
PEERS_DIR=${PEERS_DIR:-$(cd "$ROOT/../shared/bench-peers" 2>/dev/null && pwd)}
OUT=${OUT:-$(mktemp -d /tmp/shmif-bench.XXXXXX)}
QUICK=${QUICK:-0}
mkdir -p "$OUT"
log() { echo "[bench/run.sh] $*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
busy_pct() { # busy share of all CPUs over 1 s, from /proc/stat
    local a b
    a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
    echo "$a" "$b" | awk '{ for (i=2;i<=11;i++) { t1+=$i; t2+=$(i+11) } i1=$5+$6; i2=$16+$17;
        printf "%.0f", 100*(1-(i2-i1)/(t2-t1)) }'
}
wait_quiet() { # two quiet seconds in a row, or give up after WAIT_QUIET seconds
    [ "${WAIT_QUIET:-0}" -gt 0 ] || return 0
    local end=$((SECONDS + WAIT_QUIET)) ok=0
    while [ $SECONDS -lt $end ]; do
        if [ "$(busy_pct)" -lt 8 ]; then ok=$((ok + 1)); [ $ok -ge 2 ] && return 0; else ok=0; fi
    done
    log "CPUs still busy after ${WAIT_QUIET} s: measuring anyway"
}

# ---------------------------------------------------------------- 1. build
[ "${SKIP_DEPS:-0}" = 1 ] || "$ROOT/scripts/install-deps.sh" --bench >&2 ||
    log "could not install the peers' packages: measuring the peers this machine has"
if [ ! -f "$SHMIF_BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$SHMIF_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG" -DSHMIFD_BENCH=ON > "$OUT/configure.log" 2>&1 ||
        { log "configure failed, see $OUT/configure.log"; exit 1; }
fi
cmake --build "$SHMIF_BUILD" -j "${JOBS:-2}" --target shmif shmif-bench > "$OUT/build.log" 2>&1 ||
    { log "build failed, see $OUT/build.log"; exit 1; }

# ---------------------------------------------------------------- 2. our bus alone
if [ "${SKIP_BUS:-0}" != 1 ]; then
    wait_quiet
    log "shmif-bench (load average $(load))"
    bus_args=()
    [ "$QUICK" = 1 ] && bus_args+=(--quick)
    # shellcheck disable=SC2206
    bus_args+=(${BUS_ARGS:-})
    echo "# load average before shmif-bench: $(load)" > "$OUT/bus.txt"
    timeout -k 5 300 "$SHMIF_BUILD/bench/shmif-bench" "${bus_args[@]}" --csv "$OUT/bus.csv" | tee -a "$OUT/bus.txt"
fi

# ---------------------------------------------------------------- 3. peers, same run
if [ "${SKIP_PEERS:-0}" != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        log "the peers' run.sh needs root (namespaces, AF_PACKET): skipped"
    elif [ -z "$PEERS_DIR" ] || [ ! -x "$PEERS_DIR/run.sh" ]; then
        log "no ../shared/bench-peers/run.sh: peers skipped"
    else
        # only the peers this machine can build and run
        t=""
        if command -v vde_switch > /dev/null && [ -e /usr/include/libvdeplug.h ]; then t="$t vde"; else log "vde2/libvdeplug-dev missing: no VDE"; fi
        command -v ip > /dev/null && t="$t veth"
        t="$t unix"
        export TRANSPORTS=${TRANSPORTS:-${t# }}
        command -v dpdk-testpmd > /dev/null || { export DPDK=0; log "dpdk-testpmd missing: no DPDK memif in this run (RESULTS.md figures shown instead)"; }
        if [ -z "${ONLY:-}" ]; then
            if command -v iperf3 > /dev/null; then export ONLY=frames,kernel,dpdk; else export ONLY=frames,dpdk; log "iperf3 missing: no kernel TCP/IP rows"; fi
        fi
        if [ "$QUICK" = 1 ]; then export SECS=${SECS:-1} RTT_COUNT=${RTT_COUNT:-3000}; fi
        busdir=$(mktemp -d /dev/shm/shmif-peers.XXXXXX)
        trap 'rm -rf "$busdir"' EXIT
        wait_quiet
        log "peers' run.sh with $TRANSPORTS + our plugin (load average $(load))"
        echo "# load average before the peers' run: $(load)" > "$OUT/peers.txt"
        PLUGINS="$HERE/peers-plugin.sh" SHMIF_BUS_DIR="$busdir" CSV="$OUT/peers.csv" \
            "$PEERS_DIR/run.sh" | tee -a "$OUT/peers.txt"
    fi
fi

# ---------------------------------------------------------------- 4. ratios
# peers.csv: transport,test,size,mpps,gbps,loss_pct,rtt_med_us,rtt_p99_us,note
# bus.csv:   format,test,size,receive,mpps,gbps,loss_pct,rtt_med_us,rtt_p99_us,note
awk -F, -v peers="$OUT/peers.csv" -v bus="$OUT/bus.csv" '
function fmt(v, d) { return v == "" ? "-" : sprintf("%." d "f", v) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
BEGIN {
    while ((getline line < peers) > 0) {
        split(line, c, ",")
        t = c[1]; test = c[2]
        if (test == "tput max" && c[3] == 64) mpps[t] = c[4]
        if (test == "tput max" && c[3] == 1514) { gbps[t] = c[5]; loss1514[t] = c[6] }
        if (test == "tput max" && c[3] == 64) loss64[t] = c[6]
        if (test == "pingpong cross-core") rtt[t] = c[7]
        if (test == "pingpong same-core") rtts[t] = c[7]
        if (t == "dpdk-memif" && c[3] == 64) mpps[t] = c[4]
        if (t == "dpdk-memif" && c[3] == 1514) gbps[t] = c[5]
        if (t == "kernel-tcpip(veth)" && test ~ /UDP/) mpps[t] = c[4]
        if (t == "kernel-tcpip(veth)" && test ~ /TCP/) gbps[t] = c[5]
        if (t == "kernel-tcpip(veth)" && test ~ /ICMP/) rtt[t] = c[7]
        if (!(t in seen) && t != "transport") { seen[t] = 1; order[++n] = t }
    }
    while ((getline line < bus) > 0) {
        split(line, c, ",")
        if (c[1] != "native") continue
        if (c[2] == "1 writer -> 1 reader" && c[3] == 64 && c[4] == "copy") b64 = c[5]
        if (c[2] == "1 writer -> 1 reader" && c[3] == 64 && c[4] == "peek") b64p = c[5]
        if (c[2] == "1 writer -> 1 reader" && c[3] == 1514 && c[4] == "copy") b1514 = c[6]
        if (c[2] == "1 writer -> 1 reader" && c[3] == 1514 && c[4] == "peek") b1514p = c[6]
        if (c[2] ~ /cross-core busy/) bbusy = c[8]
        if (c[2] ~ /cross-core sleep/) bsleep = c[8]
        if (c[2] ~ /cross-core adaptive/) badapt = c[8]
    }
    if (!("dpdk-memif" in mpps) || mpps["dpdk-memif"] == "") { mpps["dpdk-memif"] = 17.453; gbps["dpdk-memif"] = 45.680; ref["dpdk-memif"] = 1 }
    if (!("dpdk-memif" in seen)) { seen["dpdk-memif"] = 1; order[++n] = "dpdk-memif" }
    o = "shmif"; os = "shmifsleep"
    print ""
    print "== Ours (native format) against each peer, same run. Ratio = how many times better ours is:"
    print "   throughput ours/peer, round trip peer/ours. Ours = the shmif rows of the peers run"
    print "   (same sender, receiver and ping-pong programs); RTT ours = adaptive spin (shmif) and"
    print "   sleeping readers (shmifsleep)."
    printf "%-20s | %9s %7s | %9s %7s | %9s %8s %8s\n", "peer", "64B Mpps", "ratio", "1514 Gb/s", "ratio", "xRTT us", "r(adapt)", "r(sleep)"
    printf "%-20s | %9s %7s | %9s %7s | %9s %8s %8s\n", "ours: shmif", fmt(mpps[o], 3), "", fmt(gbps[o], 2), "", fmt(rtt[o], 2), "", ""
    printf "%-20s | %9s %7s | %9s %7s | %9s %8s %8s\n", "ours: shmifsleep", fmt(mpps[os], 3), "", fmt(gbps[os], 2), "", fmt(rtt[os], 2), "", ""
    for (i = 1; i <= n; i++) {
        t = order[i]
        if (t ~ /^shmif/) continue
        name = t (ref[t] ? " (*)" : "")
        printf "%-20s | %9s %7s | %9s %7s | %9s %8s %8s\n", name, fmt(mpps[t], 3), ratio(mpps[o], mpps[t]),
            fmt(gbps[t], 2), ratio(gbps[o], gbps[t]), fmt(rtt[t], 2), ratio(rtt[t], rtt[o]), ratio(rtt[t], rtt[os])
    }
    if (ref["dpdk-memif"]) print "(*) not in this run: the medians of RESULTS.md (both cores busy-polling)"
    if ("shmifbsd" in mpps) printf "NetBSD format through the same programs: %s Mpps at 64 B, %s Gbit/s at 1514 B, cross-core RTT %s us\n", fmt(mpps["shmifbsd"], 3), fmt(gbps["shmifbsd"], 2), fmt(rtt["shmifbsd"], 2)
    print ""
    print "== Targets (native format)"
    printf "64 B   >= 10 Mpps      shmif-bench copy %s, peek %s; peers programs %s (loss %s%%)\n", fmt(b64, 2), fmt(b64p, 2), fmt(mpps[o], 2), loss64[o]
    printf "1514 B >= 30 Gbit/s    shmif-bench copy %s, peek %s; peers programs %s (loss %s%%)\n", fmt(b1514, 1), fmt(b1514p, 1), fmt(gbps[o], 1), loss1514[o]
    printf "busy RTT < 2 us        shmif-bench busy %s us (adaptive %s us)\n", fmt(bbusy, 2), fmt(badapt, 2)
    kmin = ""
    for (i = 1; i <= n; i++) { t = order[i]; if (t ~ /^(veth|unix|vde)$/ && rtt[t] != "" && (kmin == "" || rtt[t] + 0 < kmin + 0)) kmin = rtt[t] }
    printf "sleeping RTT <= kernel peers cross-core (best %s us)   shmif-bench sleep %s us; peers programs shmifsleep %s us\n", fmt(kmin, 2), fmt(bsleep, 2), fmt(rtt[os], 2)
}' /dev/null | tee "$OUT/summary.txt"
echo "# library: $(git -C "$ROOT" log -1 --format='%h %ci' 2>/dev/null)$(git -C "$ROOT" diff --quiet -- shmif 2>/dev/null || echo ' + uncommitted changes in shmif/')"
echo "# logs and CSVs in $OUT; load average now $(load)"
