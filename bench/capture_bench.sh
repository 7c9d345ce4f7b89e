#!/usr/bin/env bash
# capture_bench.sh - how fast can a capture keep up? The highest offered rate at which
#   shmifdump BUS -w FILE            (io_uring writes, the default, and --plain-writes)
# captures 100 % of the frames to a file on tmpfs, beside
#   tcpdump -i VETH -w FILE
# capturing the same offered load on a veth pair between two network namespaces, for 64-byte
# and 1514-byte frames, in one run.
#
# The load comes from ../shared/bench-peers' own sender (bench.c tx --rate, paced in batches
# of 32), linked once with our tp_shmif.c (the bus) and once with the peers' tp_veth.c
# (AF_PACKET on the veth end), so both captures see the same sender. Rates rise by steps of
# about x1.6 until the first run with a loss; the table shows the last rate with none.
#
#   sudo bench/capture_bench.sh                  ~2-3 min
#   SECS=1 sudo bench/capture_bench.sh           quicker, rougher
#   SHMIF_BUILD=build/release (default) holds the built tree (this script builds shmifdump,
#   shmifbus and shmif there); OUT=dir keeps the logs.
#
# Needs root (namespaces), tcpdump, iproute2, gcc. The sender runs on CPU 0, the capture on
# CPU 1. The bus is native, 16 MiB ring (tp_shmif.c's default); tcpdump gets -B 65536 (64 MiB
# kernel buffer), as shmifdump has a 64 MiB queue (--queue-mb default).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench-peers}
BUILD=${SHMIF_BUILD:-$ROOT/build/release}
SECS=${SECS:-2}
SIZES=${SIZES:-"64 1514"}
OUT=${OUT:-$(mktemp -d /tmp/capture-bench.XXXXXX)}
TMPFS=${TMPFS:-/dev/shm}
NS_A=cbench-a.$$
NS_B=cbench-b.$$
mkdir -p "$OUT"

log() { echo "[capture-bench] $*" >&2; }
die() { log "$*"; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
command -v tcpdump > /dev/null || die "tcpdump not installed (scripts/install-deps.sh)"

cleanup() {
    ip netns del "$NS_A" 2> /dev/null
    ip netns del "$NS_B" 2> /dev/null
    rm -f "$TMPFS"/cbench.$$.*
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" > "$OUT/cmake.log" 2>&1 ||
        die "configure failed: $OUT/cmake.log"
fi
cmake --build "$BUILD" -j2 --target shmifdump shmifbus shmif > "$OUT/build.log" 2>&1 ||
    die "build failed: $OUT/build.log"
DUMP=$BUILD/tools/shmifdump/shmifdump
SHMIFBUS=$BUILD/tools/shmifbus/shmifbus
gcc -O2 -I"$PEERS" -I"$ROOT/shmif/include" -o "$OUT/tx_shmif" "$PEERS/bench.c" "$HERE/tp_shmif.c" \
    "$BUILD/shmif/libshmif.a" -lstdc++ -lpthread || die "build of the bus sender failed"
gcc -O2 -I"$PEERS" -o "$OUT/tx_veth" "$PEERS/bench.c" "$PEERS/tp_veth.c" ||
    die "build of the veth sender failed"

# ---------------------------------------------------------------- veth pair (as the peers' run.sh)
ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create namespaces"
ip link add cbva netns "$NS_A" address 02:00:00:00:00:0a type veth \
    peer name cbvb netns "$NS_B" address 02:00:00:00:00:0b || die "cannot create veth"
for n in "$NS_A" "$NS_B"; do
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_A" link set cbva up
ip -n "$NS_B" link set cbvb up

# ---------------------------------------------------------------- one run
# run_point TOOL SIZE RATE -> prints "sent captured achieved_pps"
run_point() {
    local tool=$1 size=$2 rate=$3 tag="$1.$2.$3"
    local file="$TMPFS/cbench.$$.$tool.pcap" err="$OUT/$tag.err" txo="$OUT/$tag.tx" pid
    rm -f "$file"
    case $tool in
    shmifdump | shmifdump-uring)
        local bus="$TMPFS/cbench.$$.bus" extra=""
        [ "$tool" = shmifdump ] && extra=--plain-writes
        rm -f "$bus"
        "$SHMIFBUS" create "$bus" --size 16M > /dev/null || die "bus create failed"
        taskset -c 1 "$DUMP" "$bus" -w "$file" $extra 2> "$err" &
        pid=$!
        for _ in $(seq 200); do grep -q "listening on" "$err" 2> /dev/null && break; sleep 0.01; done
        taskset -c 0 "$OUT/tx_shmif" tx "$bus" --size "$size" --secs "$SECS" --rate "$rate" > "$txo" 2>&1
        sleep 0.3
        kill -INT "$pid"
        wait "$pid"
        local sent captured
        sent=$(sed -n 's/.*tx_frames=\([0-9]*\).*/\1/p' "$txo")
        captured=$(sed -n 's/.*: \([0-9]*\) frames captured,.*/\1/p' "$err" | tail -1)
        rm -f "$bus"
        ;;
    tcpdump)
        ip netns exec "$NS_B" taskset -c 1 tcpdump -i cbvb -n -B 65536 -w "$file" 2> "$err" &
        pid=$!
        for _ in $(seq 300); do grep -q "listening on" "$err" 2> /dev/null && break; sleep 0.01; done
        ip netns exec "$NS_A" taskset -c 0 "$OUT/tx_veth" tx cbva --size "$size" --secs "$SECS" --rate "$rate" > "$txo" 2>&1
        # tcpdump's TPACKET_V3 ring hands over a partly filled block only when its 1 s timeout
        # retires it, and what is still in the ring at SIGINT is not written: wait it out.
        sleep 1.3
        kill -INT "$pid"
        wait "$pid"
        sent=$(sed -n 's/.*tx_frames=\([0-9]*\).*/\1/p' "$txo")
        captured=$(sed -n 's/^\([0-9]*\) packets captured/\1/p' "$err")
        ;;
    esac
    local achieved
    achieved=$(sed -n 's/.*tx_pps=\([0-9]*\).*/\1/p' "$txo")
    rm -f "$file"
    echo "${sent:-0} ${captured:-0} ${achieved:-0}"
}

# Highest zero-loss rate of TOOL for SIZE: rates rise until a loss (or the sender cannot
# reach the offered rate any more, then the last achieved rate is the answer).
RATES_64=${RATES_64:-"100000 160000 250000 400000 630000 1000000 1600000 2500000 4000000 6300000 10000000"}
RATES_1514=${RATES_1514:-"50000 80000 125000 200000 315000 500000 800000 1250000"}
sweep() {
    local tool=$1 size=$2 best=0 best_ach=0 rates r line sent cap ach note=""
    if [ "$size" -le 128 ]; then rates=$RATES_64; else rates=$RATES_1514; fi
    for r in $rates; do
        line=$(run_point "$tool" "$size" "$r")
        read -r sent cap ach <<< "$line"
        echo "$tool size=$size offered=$r sent=$sent captured=$cap achieved_pps=$ach" >> "$OUT/points.txt"
        if [ "$sent" -gt 0 ] && [ "$cap" -ge "$sent" ]; then
            best=$r
            best_ach=$ach
            # the sender fell short of the offered rate: nothing higher can be offered
            if [ "$ach" -lt $((r * 9 / 10)) ]; then note="sender-limited"; break; fi
        else
            note="loss at $r: $cap/$sent"
            break
        fi
    done
    echo "$best $best_ach $note"
}

log "work dir $OUT; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$OUT/points.txt"
declare -A RES
for size in $SIZES; do
    for tool in shmifdump shmifdump-uring tcpdump; do
        log "sweeping $tool, $size-byte frames"
        RES[$tool.$size]=$(sweep "$tool" "$size")
    done
done

fmt_rate() { awk -v r="$1" 'BEGIN { if (r >= 1e6) printf "%.2f Mpps", r/1e6; else printf "%.0f kpps", r/1e3 }'; }
echo
echo "Highest rate captured with zero loss (frames/s the sender reached at that point), ${SECS} s per point, file on $TMPFS:"
printf "%-6s | %-22s | %-22s | %-22s | %s\n" "frame" "shmifdump --plain-writes" "shmifdump (io_uring)" "tcpdump on veth" "shmifdump / tcpdump"
for size in $SIZES; do
    read -r b1 a1 n1 <<< "${RES[shmifdump.$size]}"
    read -r b2 a2 n2 <<< "${RES[shmifdump-uring.$size]}"
    read -r b3 a3 n3 <<< "${RES[tcpdump.$size]}"
    # the rate the sender reached at the best point; ">=" when the sender was the limit
    c1="$(fmt_rate "$a1")"; [[ "$n1" == sender* ]] && c1=">= $c1"
    c2="$(fmt_rate "$a2")"; [[ "$n2" == sender* ]] && c2=">= $c2"
    c3="$(fmt_rate "$a3")"; [[ "$n3" == sender* ]] && c3=">= $c3"
    [ -z "$n1" ] && c1=">= $c1"
    [ -z "$n2" ] && c2=">= $c2"
    [ -z "$n3" ] && c3=">= $c3"
    ratio=$(awk -v a="$a1" -v b="$a3" 'BEGIN { if (b > 0) printf "%.2fx", a/b; else print "-" }')
    printf "%-6s | %-22s | %-22s | %-22s | %s\n" "${size}B" "$c1" "$c2" "$c3" "$ratio"
done
echo
echo "What stopped each sweep (first loss, or the sender could not go faster):"
for size in $SIZES; do
    for tool in shmifdump shmifdump-uring tcpdump; do
        read -r b a n <<< "${RES[$tool.$size]}"
        echo "  $tool ${size}B: ${n:-reached the highest rate tried} (achieved $(fmt_rate "${a:-0}") at the best point)"
    done
done

# ---------------------------------------------------------------- the write path alone
# --snapshot of a full ring (the reader is a memcpy): how fast each write mode empties
# 512 MiB of 1514-byte frames into a file, on tmpfs and on the disk ($DISKDIR).
DISKDIR=${DISKDIR:-/var/tmp}
bus="$TMPFS/cbench.$$.big"
"$SHMIFBUS" create "$bus" --size 513M > /dev/null
taskset -c 0 "$OUT/tx_shmif" tx "$bus" --size 1514 --secs 1.5 > /dev/null 2>&1
echo
echo "Write path alone: shmifdump --snapshot of a full 512 MiB ring (1514-byte frames):"
printf "%-10s | %-8s | %-10s | %s\n" "target" "mode" "seconds" "MB/s"
for dir in "$TMPFS" "$DISKDIR"; do
    for mode in plain uring; do
        extra=""
        [ $mode = plain ] && extra=--plain-writes
        best=""
        for _ in 1 2 3; do
            f="$dir/cbench.$$.snap.pcap"
            t0=$(date +%s.%N)
            taskset -c 1 "$DUMP" -q --snapshot "$bus" -w "$f" $extra 2>> "$OUT/snap.err"
            t1=$(date +%s.%N)
            bytes=$(stat -c %s "$f")
            rm -f "$f"
            s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
            if [ -z "$best" ] || awk -v x="$s" -v y="$best" 'BEGIN { exit !(x < y) }'; then best=$s; fi
        done
        printf "%-10s | %-8s | %-10s | %.0f\n" "$dir" "$mode" "$best" "$(awk -v b="$bytes" -v s="$best" 'BEGIN { print b / s / 1e6 }')"
    done
done
rm -f "$bus"
echo "(best of 3; the disk figures include the page cache, not the device: nothing is fsync'd)"
echo "Every point: $OUT/points.txt"
