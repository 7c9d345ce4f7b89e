#!/usr/bin/env bash
# Installs what is needed, builds every configuration and runs the whole test suite:
#   demo               the README's first command, scripts/demo.sh (preset demo: a unity build)
#   release            all tests (unit, integration, CLI, fuzz corpus replay)
#   asan               the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   tsan               the same under ThreadSanitizer (the concurrent parts are the point)
#   fuzz               each libFuzzer target for FUZZ_SECONDS (default 45) with ASan+UBSan
#   package            the Debian packages: built (lintian clean), installed with apt-get, used,
#                      purged (tests/package/package_test.sh; needs root, else skipped)
# Usage: scripts/run-tests.sh [demo|release|asan|tsan|fuzz|package ...]   (default: all six)
set -euo pipefail
cd "$(dirname "$0")/.."

# Ten targets, two at a time: 45 s each is four minutes of CI's budget.
FUZZ_SECONDS=${FUZZ_SECONDS:-45}
# ccache (CMakeLists.txt uses it when present): paths relative to the checkout and no
# working-directory hash, so a clone in another folder (CI) reuses what earlier runs built.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
# Six builds (release, asan, tsan, demo, fuzz, package) fill ccache's default 5 GB: one run
# would evict what the next needs. An explicit setting of the user's is kept.
[ -n "${CCACHE_MAXSIZE:-}" ] || ! command -v ccache >/dev/null ||
    [ "$(ccache --get-config max_size)" != "5.0G" ] || export CCACHE_MAXSIZE=12G
# Tests started by ctest directly (not through GoogleTest) get the sanitizer settings here.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1"
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(demo release asan tsan fuzz package)

scripts/install-deps.sh
# The fuzzers (clang 19) symbolize their crash reports with LLVM 19's symbolizer.
[ -x /usr/lib/llvm-19/bin/llvm-symbolizer ] &&
    export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-19/bin/llvm-symbolizer

total_passed=0
total_failed=0
summary=()
# What each failure printed, shown at the end beside the summary: CI keeps only the end.
digest=$(mktemp)
trap 'rm -f "$digest"' EXIT

# Appends the output of each test that failed in the last ctest run of a preset to the
# digest, then runs those tests once more to say whether the failure repeats.
digest_failed_tests() {
    local preset=$1 log=build/$1/Testing/Temporary/LastTest.log name
    local failed_list=build/$1/Testing/Temporary/LastTestsFailed.log
    [ -s "$failed_list" ] || return 0
    while IFS=: read -r _ name; do
        local out
        out=$(mktemp)
        awk -v n="$name" '
            $0 ~ "^[0-9]+/[0-9]+ Test: " && substr($0, index($0, ": ") + 2) == n { on = 1; next }
            on && /^<end of output>/ { exit }
            on { print }' "$log" >"$out"
        # CI shows only so much: each test's failed checks first (a few lines each, long
        # lines cut), then the end of its output, so one verbose test cannot hide another.
        {
            echo "--- $preset: $name failed; its failed checks:"
            grep -E -A4 ': Failure$|^==[0-9]+==ERROR|runtime error|ThreadSanitizer|Segmentation|Aborted' \
                "$out" | cut -c1-240 | head -30
            echo "--- $preset: $name: the end of its output:"
            grep -v -E '^\[ +(RUN|OK) +\]' "$out" | tail -12 | cut -c1-240
        } >>"$digest"
        rm -f "$out"
    done <"$failed_list"
    {
        echo "--- $preset: the failed tests run once more, alone:"
        ctest --preset "$preset" --rerun-failed -j1 2>&1 | grep -E 'Passed|Failed|Timeout|tests passed' || true
    } >>"$digest"
}

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
    [ "$failed" -eq 0 ] || digest_failed_tests "$preset"
}

# A fuzzer's crash report and the input that caused it (base64, to replay with the target).
fuzz_digest() {
    local name=$1 work=$2 input
    {
        echo "--- fuzz $name: the report"
        grep -n -E -A40 '^==[0-9]+==|^ALARM|deadly signal|runtime error|out-of-memory|leak' \
            "$work/log" | head -80
        for input in "$work"/artifacts/*; do
            [ -f "$input" ] || continue
            echo "--- fuzz $name: $(basename "$input") ($(stat -c %s "$input") bytes, base64)"
            head -c 4096 "$input" | base64
        done
    } >>"$digest"
}

# Starts one libFuzzer target on a copy of its corpus, as a job of this shell; its work
# directory keeps its name, log, exit status and crash inputs for finish_fuzzer.
start_fuzzer() {
    local target=$1 work=$2 name
    name=$(basename "$target")
    mkdir "$work/corpus" "$work/artifacts"
    echo "$name" >"$work/name"
    cp -r "tests/fuzz/corpus/${name#fuzz_}"/. "$work/corpus"/ 2>/dev/null || true
    (
        rc=0
        "$target" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$work/corpus" \
            >"$work/log" 2>&1 || rc=$?
        echo "$rc" >"$work/rc"
    ) </dev/null &
}

# Reports a fuzzer started by start_fuzzer (after it ended) and removes its work directory.
finish_fuzzer() {
    local work=$1 name
    name=$(cat "$work/name")
    echo "--- $name for ${FUZZ_SECONDS}s"
    tail -15 "$work/log"
    if [ "$(cat "$work/rc" 2>/dev/null)" = 0 ]; then
        total_passed=$((total_passed + 1))
        summary+=("fuzz $name: ${FUZZ_SECONDS}s, no crash")
    else
        total_failed=$((total_failed + 1))
        summary+=("fuzz $name: CRASH (report and input in the digest)")
        fuzz_digest "$name" "$work"
    fi
    rm -rf "$work"
}

# A stage that is one script: its output shown as it runs, one summary line, its end in the
# digest when it fails. Exit status 77 is a skip (the script's last line says why).
script_stage() {
    local name=$1 ok_text=$2 started=$SECONDS log rc=0
    shift 2
    log=$(mktemp)
    "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
    local took="$(((SECONDS - started) / 60)) min"
    if [ "$rc" -eq 0 ]; then
        total_passed=$((total_passed + 1))
        summary+=("$name: $ok_text ($took)")
    elif [ "$rc" -eq 77 ]; then
        summary+=("$name: skipped ($(tail -1 "$log"))")
    else
        total_failed=$((total_failed + 1))
        summary+=("$name: FAILED ($took; its last lines in the digest)")
        { echo "--- $name: the end of its output"; tail -40 "$log"; } >>"$digest"
    fi
    rm -f "$log"
}

build() {
    cmake --preset "$1" >/dev/null
    cmake --build --preset "$1" -j2
}

for stage in "${stages[@]}"; do
    echo "=== $stage"
    case $stage in
        release | asan | tsan)
            started=$SECONDS
            build "$stage"
            built=$SECONDS
            run_ctest "$stage"
            # CI's budget is time: say where it went (a cold ccache shows in the build).
            summary[-1]+=" (build $(((built - started) / 60)) min, tests $(((SECONDS - built) / 60)) min)"
            ;;
        fuzz)
            cmake --preset fuzz >/dev/null
            cmake --build --preset fuzz -j2 --target fuzzers
            # Two fuzzers at a time, one per core: each still gets FUZZ_SECONDS.
            fuzz_dirs=()
            for target in build/fuzz/tests/fuzz/fuzz_*; do
                [ -x "$target" ] || continue
                work=$(mktemp -d)
                fuzz_dirs+=("$work")
                start_fuzzer "$target" "$work"
                if [ $((${#fuzz_dirs[@]} % 2)) -eq 0 ]; then wait; fi
            done
            wait
            for work in "${fuzz_dirs[@]}"; do finish_fuzzer "$work"; done
            ;;
        demo) script_stage demo "all steps OK" scripts/demo.sh --no-deps ;;
        package) script_stage package "built, installed, used and purged" tests/package/package_test.sh ;;
        *)
            echo "unknown stage: $stage" >&2
            exit 2
            ;;
    esac
done

if [ -s "$digest" ]; then
    echo
    echo "=== what the failures printed"
    cat "$digest"
fi
echo
echo "=== summary"
printf '  %s\n' "${summary[@]}"
echo "$total_passed passed, $total_failed failed, in $((SECONDS / 60)) min"
[ "$total_failed" -eq 0 ]
