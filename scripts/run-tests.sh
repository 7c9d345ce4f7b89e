#!/usr/bin/env bash
# Installs what is needed, builds every configuration and runs the whole test suite:
#   release            all tests (unit, integration, CLI, fuzz corpus replay)
#   asan               the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan               the same under ThreadSanitizer (the concurrent parts are the point)
#   fuzz               each libFuzzer target for FUZZ_SECONDS (default 60) with ASan+UBSan
# Usage: scripts/run-tests.sh [release|asan|tsan|fuzz ...]   (default: all four)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# ccache (CMakeLists.txt uses it when present): paths relative to the checkout and no
# working-directory hash, so a clone in another folder (CI) reuses what earlier runs built.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
# Tests started by ctest directly (not through GoogleTest) get the sanitizer settings here.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(release asan tsan fuzz)

scripts/install-deps.sh

total_passed=0
total_failed=0
summary=()

# Runs ctest for a preset, keeps its verdict line and adds its counts to the totals.
run_ctest() {
    local preset=$1 log
    log=$(mktemp)
    local rc=0
    ctest --preset "$preset" -j2 2>&1 | tee "$log" || rc=$?
    local line passed failed
    line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
    rm -f "$log"
    if [ -z "$line" ]; then
        summary+=("$preset: ctest did not report (exit $rc)")
        total_failed=$((total_failed + 1))
        return
    fi
    failed=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    passed=$(( $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line") - failed ))
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    summary+=("$preset: $passed passed, $failed failed")
}

build() {
    cmake --preset "$1" >/dev/null
    cmake --build --preset "$1" -j2
}

for stage in "${stages[@]}"; do
    echo "=== $stage"
    case $stage in
        release | asan | tsan)
            build "$stage"
            run_ctest "$stage"
            ;;
        fuzz)
            cmake --preset fuzz >/dev/null
            cmake --build --preset fuzz -j2 --target fuzzers
            for target in build/fuzz/tests/fuzz/fuzz_*; do
                [ -x "$target" ] || continue
                name=$(basename "$target")
                corpus=tests/fuzz/corpus/${name#fuzz_}
                work=$(mktemp -d)
                cp -r "$corpus"/. "$work"/ 2>/dev/null || true
                echo "--- $name for ${FUZZ_SECONDS}s"
                if "$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
                    -print_final_stats=1 "$work" 2>&1 | tail -15; then
                    total_passed=$((total_passed + 1))
                    summary+=("fuzz $name: ${FUZZ_SECONDS}s, no crash")
                else
                    total_failed=$((total_failed + 1))
                    summary+=("fuzz $name: CRASH (see output above)")
                fi
                rm -rf "$work"
            done
            ;;
        *)
            echo "unknown stage: $stage" >&2
            exit 2
            ;;
    esac
done

echo
echo "=== summary"
printf '  %s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
