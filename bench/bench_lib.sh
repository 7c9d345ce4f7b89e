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
