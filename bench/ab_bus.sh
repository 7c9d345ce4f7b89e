#!/usr/bin/env bash
# ab_bus.sh - the bus benchmark (shmif-bench) for an older commit and for this tree, in one
# run, interleaved, so that a change to the bus can be judged on a shared, noisy machine.
#
#   bench/ab_bus.sh BASE_REF [shmif-bench options...]
#   REPS=2 BATCHES="32 1" bench/ab_bus.sh 4972c6d --format native --only alone,tput,rtt --secs 2
#
# BASE_REF is checked out as a git worktree in $AB_DIR (default /tmp/shmif-ab-<ref>) and built
# there (preset release, target shmif-bench); this tree's build/release is built too. Each
# repetition runs BASE then this tree, once per batch size in BATCHES (default 32 1).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { sed -n '2,10p' "$0"; exit 2; }
base=$1
shift
reps=${REPS:-2}
batches=${BATCHES:-"32 1"}
ab_dir=${AB_DIR:-/tmp/shmif-ab-$base}
export CCACHE_BASEDIR CCACHE_NOHASHDIR=true

if [ ! -d "$ab_dir" ]; then
    git worktree add --detach "$ab_dir" "$base" >/dev/null
fi
for tree in "$ab_dir" "$PWD"; do
    (cd "$tree" && CCACHE_BASEDIR=$PWD cmake --preset release >/dev/null &&
        CCACHE_BASEDIR=$PWD cmake --build --preset release --target shmif-bench >/dev/null)
done

for rep in $(seq 1 "$reps"); do
    for side in base this; do
        bin=$PWD/build/release/bench/shmif-bench
        [ "$side" = base ] && bin=$ab_dir/build/release/bench/shmif-bench
        for batch in $batches; do
            echo "=== $side ($([ "$side" = base ] && echo "$base" || git rev-parse --short HEAD)) batch $batch, repetition $rep"
            "$bin" --batch "$batch" "$@"
        done
    done
done
