#!/usr/bin/env bash
# Command-line tests of shmifbus (and, when its path is given, shmif-demo).
#
#   tests/cli/shmifbus_cli_test.sh PATH/TO/shmifbus [PATH/TO/shmif-demo]
#
# Runs every case, prints "N passed, M failed (K skipped)" and exits non-zero if any failed.
# Every wait is bounded; all files live in a temporary directory removed at exit.
set -u

shmifbus=${1:?usage: $0 PATH/TO/shmifbus [PATH/TO/shmif-demo]}
demo=${2:-}
command -v jq >/dev/null || { echo "jq is required (scripts/install-deps.sh installs it)"; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/shmifbus-cli.XXXXXX")
bg_pids=()
cleanup() {
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1${2:+: $2}"; }
skip() { skipped=$((skipped + 1)); echo "SKIP  $1${2:+: $2}"; }

# run NAME: runs the rest of the line, keeping stdout in $out, stderr in $err, status in $rc.
run() {
    "$@" >"$dir/out" 2>"$dir/err"
    rc=$?
    out=$(cat "$dir/out")
    err=$(cat "$dir/err")
}

# expect NAME WANT_RC [STDERR_SUBSTRING]: checks the last run.
expect() {
    local name=$1 want=$2 text=${3:-}
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit $rc, want $want (stderr: $err)"
    elif [ -n "$text" ] && [[ "$err" != *"$text"* ]]; then
        fail "$name" "stderr '$err' lacks '$text'"
    elif [ -n "$text" ] && [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
        fail "$name" "stderr is not one line: '$err'"
    else
        pass "$name"
    fi
}

# check NAME ACTUAL WANT
check() {
    if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# verify NAME SHOWN_ON_FAILURE COMMAND...: passes when the command succeeds.
verify() {
    local name=$1 shown=$2
    shift 2
    if "$@"; then pass "$name"; else fail "$name" "$shown"; fi
}
contains() { [[ "$1" == *"$2"* ]]; }
starts_with() { [[ "$1" == "$2"* ]]; }
matches() { grep -Eq "$2" <<<"$1"; }

# --- usage -----------------------------------------------------------------------------
run "$shmifbus" --help
expect "--help exits 0" 0
verify "--help shows examples" "$out" contains "$out" "Example"
run "$shmifbus"
expect "no subcommand is a usage error" 2 "shmifbus: missing command; valid commands: create, info"
run "$shmifbus" info
expect "info without BUS is a usage error" 2 "BUS"
run "$shmifbus" frobnicate x
expect "unknown subcommand is a usage error" 2 "shmifbus: unknown command 'frobnicate'; valid commands: create, info"

# --- create ----------------------------------------------------------------------------
bus=$dir/native.bus
run "$shmifbus" create "$bus"
expect "create native" 0
verify "create reports what it made" "$out" starts_with "$out" "created native bus $bus: 2101248 bytes"
check "native default file size" "$(stat -c %s "$bus")" 2101248
check "default mode 0660" "$(stat -c %a "$bus")" 660

run "$shmifbus" create "$bus"
expect "create on an existing bus attaches" 0
verify "attach is reported" "$out" starts_with "$out" "attached to existing native bus"
run "$shmifbus" create "$bus" --exclusive
expect "create --exclusive on an existing bus fails" 1 "already exists"

run "$shmifbus" create "$dir/big.bus" --size 8M --mode 0600 --max-frame 9K
expect "create --size 8M --mode 0600 --max-frame 9K" 0
check "--size 8M is 8 MiB" "$(stat -c %s "$dir/big.bus")" 8388608
check "--mode 0600 applied" "$(stat -c %a "$dir/big.bus")" 600

run "$shmifbus" create "$dir/kib.bus" --size 4100KiB
expect "create --size 4100KiB" 0
check "--size 4100KiB is 4198400 bytes" "$(stat -c %s "$dir/kib.bus")" 4198400

run "$shmifbus" create "$dir/x.bus" --size 12Q
expect "bad size suffix is a usage error" 2 "invalid size '12Q'"
run "$shmifbus" create "$dir/x.bus" --size lots
expect "non-numeric size is a usage error" 2 "invalid size"
run "$shmifbus" create "$dir/x.bus" --size 100
expect "too small a size is a usage error" 2 "out of range"
run "$shmifbus" create "$dir/x.bus" --mode 0999
expect "non-octal mode is a usage error" 2 "invalid mode"
run "$shmifbus" create "$dir/x.bus" --format vax
expect "unknown format is a usage error" 2
verify "failed creates leave no file" "$dir/x.bus exists" test ! -e "$dir/x.bus"
run "$shmifbus" create "$dir/no/such/dir/a.bus"
expect "create in a missing directory names it" 1 \
    "shmifbus: $dir/no/such/dir/a.bus: directory $dir/no/such/dir does not exist"
verify "create makes no directories" "$dir/no was made" test ! -e "$dir/no"
touch "$dir/plain"
run "$shmifbus" create "$dir/plain/a.bus"
expect "create under a plain file says so" 1 "shmifbus: $dir/plain/a.bus: $dir/plain is not a directory"

nbus=$dir/netbsd.bus
run "$shmifbus" create "$nbus" --format netbsd
expect "create netbsd" 0
check "netbsd bus is 1 MiB" "$(stat -c %s "$nbus")" 1048576
run "$shmifbus" create "$dir/x.bus" --format netbsd --size 2M
expect "netbsd with another size is a usage error" 2 "1 MiB"
run "$shmifbus" create "$dir/x.bus" --format netbsd --max-frame 2000
expect "netbsd with --max-frame is a usage error" 2 "native"

# --- info ------------------------------------------------------------------------------
run "$shmifbus" info "$bus" --json
expect "info --json" 0
check "json: format" "$(jq -r .format <<<"$out")" native
check "json: version" "$(jq -r .version <<<"$out")" 2.0
check "json: file_size" "$(jq .file_size <<<"$out")" 2101248
check "json: ring_size" "$(jq .ring_size <<<"$out")" 2097152
check "json: max_frame" "$(jq .max_frame <<<"$out")" 65553
check "json: empty bus holds no frames" "$(jq .frames_held <<<"$out")" 0
check "json: bytes_held" "$(jq .bytes_held <<<"$out")" 0
check "json: unlocked" "$(jq .locked <<<"$out")" false
check "json: frames_written" "$(jq .frames_written <<<"$out")" 0
check "json: key set" "$(jq -c 'keys_unsorted' <<<"$out")" \
    '["path","format","version","file_size","ring_size","max_frame","generation","first","last","frames_held","bytes_held","locked","lock_owner_tid","lock_owner_dead","lock_owner_pid","lock_owner_state","lock_held_ms","frames_written","bytes_written","lock_recoveries","stalled_takeovers","corrupt_repairs","sleeping_readers","holes"]'

run "$shmifbus" info "$dir/big.bus" --json
check "json: --max-frame 9K stored" "$(jq .max_frame <<<"$out")" 9216

run "$shmifbus" info "$nbus" --json
check "json: netbsd format" "$(jq -r .format <<<"$out")" netbsd
check "json: netbsd version" "$(jq -r .version <<<"$out")" 3
check "json: netbsd ring" "$(jq .ring_size <<<"$out")" 1048544
check "json: native-only keys are null on netbsd" "$(jq -c '[.frames_written,.lock_owner_tid]' <<<"$out")" '[null,null]'

run "$shmifbus" info "$bus"
expect "info (text)" 0
verify "text: format line" "$out" matches "$out" '^format +native$'
verify "text: ring size line" "$out" matches "$out" '^ring size +2097152 \(2 MiB\)$'
verify "text: lock line" "$out" matches "$out" '^lock +free$'

# --- errors ----------------------------------------------------------------------------
run "$shmifbus" info "$dir/missing.bus"
expect "missing file" 1 "$dir/missing.bus: no such bus"
head -c 8192 /dev/zero | tr '\0' 'x' >"$dir/junk"
run "$shmifbus" info "$dir/junk"
expect "not a bus" 1 "$dir/junk: not a bus"
cp "$bus" "$dir/future.bus"
printf '\x09\x00' | dd of="$dir/future.bus" bs=1 seek=4 conv=notrunc status=none  # version_major 9
run "$shmifbus" info "$dir/future.bus"
expect "unsupported version" 1 "unsupported bus version"
cp "$bus" "$dir/locked.bus"
chmod 000 "$dir/locked.bus"
if [ "$(id -u)" -ne 0 ]; then
    run "$shmifbus" info "$dir/locked.bus"
    expect "permission denied" 1 "permission denied"
elif command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups "$shmifbus" --help >/dev/null 2>&1; then
    # Root reads any file: ask as nobody (who may enter the directory, not read the file).
    chmod 755 "$dir"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$shmifbus" info "$dir/locked.bus"
    expect "permission denied (as nobody)" 1 "permission denied"
    chmod 700 "$dir"
else
    skip "permission denied" "root, and nobody cannot run $shmifbus"
fi
run "$shmifbus" stat "$dir/missing.bus" --count 1
expect "stat on a missing file" 1 "no such bus"

# --- stat ------------------------------------------------------------------------------
run timeout 10 "$shmifbus" stat "$bus" --count 1 --interval 0.2
expect "stat --count 1" 0
check "stat prints a header and one line" "$(wc -l <<<"$out")" 3
run timeout 10 "$shmifbus" stat "$bus" --count 2 --interval 0.1 --json
expect "stat --json --count 2" 0
check "stat --json: two JSON lines" "$(jq -s length <<<"$out")" 2
check "stat --json: idle bus, no frames" "$(jq -s 'map(.frames) | add' <<<"$out")" 0
run "$shmifbus" stat "$bus" --interval 0
expect "stat --interval 0 is a usage error" 2

# --- check / repair --------------------------------------------------------------------
cbus=$dir/check.bus
"$shmifbus" create "$cbus" --size 512K >/dev/null
run "$shmifbus" check "$cbus"
expect "check on a fresh bus" 0
verify "check says clean" "$out" contains "$out" "native bus, clean"
head -c 4096 /dev/urandom | dd of="$cbus" conv=notrunc status=none  # random header page
run "$shmifbus" check "$cbus"
expect "check on a random header exits 1" 1
verify "check names the magic" "$out" contains "$out" "expected 0x424d4853"
run "$shmifbus" check "$cbus" --json
check "check --json: not clean" "$(jq .clean <<<"$out")" false
check "check --json: the format is still told by the size" "$(jq -r .format <<<"$out")" native
verify "check --json: findings listed" "$out" test "$(jq '.findings | length' <<<"$out")" -ge 3
run "$shmifbus" info "$cbus"
expect "info refuses the damaged bus and points to check" 1 "shmifbus check $cbus says what is wrong"
run "$shmifbus" repair "$cbus"
expect "repair" 0
verify "repair says what it rebuilt" "$out" contains "$out" "rebuilt the native header"
run "$shmifbus" check "$cbus" --json
expect "check after repair" 0
check "check after repair: clean" "$(jq .clean <<<"$out")" true
run "$shmifbus" info "$cbus" --json
check "repair kept the file size" "$(jq .file_size <<<"$out")" 524288

nb=$dir/check-netbsd.bus
"$shmifbus" create "$nb" --format netbsd >/dev/null
head -c 4096 /dev/urandom | dd of="$nb" conv=notrunc status=none
run "$shmifbus" check "$nb"
expect "check: a garbled 1 MiB file" 1
verify "check asks for the format" "$out" contains "$out" "give the format"
run "$shmifbus" repair "$nb"
expect "repair without a format refuses" 1 "--format"
run "$shmifbus" repair "$nb" --format netbsd --force --json
expect "repair --format netbsd" 0
check "repair --json: format" "$(jq -r .format <<<"$out")" netbsd
run "$shmifbus" check "$nb"
expect "netbsd check after repair" 0
run "$shmifbus" check
expect "check without BUS is a usage error" 2 "BUS"
run "$shmifbus" repair "$nb" --format vax
expect "repair --format vax is a usage error" 2

# --- the demo, and stat counting its frames --------------------------------------------
if [ -z "$demo" ]; then
    skip "shmif-demo" "no path given"
else
    for format in native netbsd; do
        run timeout 60 "$demo" --format "$format" --bus "$dir/demo-$format.bus" --keep
        expect "shmif-demo --format $format" 0
        verify "shmif-demo $format verdict" "$out" \
            contains "$out" "every process saw every other process's 1000 frames: OK"
        run "$shmifbus" info "$dir/demo-$format.bus" --json
        check "demo $format: the bus holds 3000 frames" "$(jq .frames_held <<<"$out")" 3000
    done

    # stat follows from the moment it starts: wait for its first report, then make traffic,
    # then stop it; its reports must add up to exactly the frames sent.
    "$shmifbus" stat "$bus" --interval 0.1 --json >"$dir/stat.jsonl" 2>"$dir/stat.err" &
    stat_pid=$!
    bg_pids+=("$stat_pid")
    for _ in $(seq 100); do [ -s "$dir/stat.jsonl" ] && break; sleep 0.05; done
    run timeout 60 "$demo" --bus "$bus" --frames 500
    expect "shmif-demo on an existing bus" 0
    kill -INT "$stat_pid"
    for _ in $(seq 100); do kill -0 "$stat_pid" 2>/dev/null || break; sleep 0.05; done
    wait "$stat_pid"
    check "stat exits 0 on SIGINT" "$?" 0
    check "stat counted every frame (3 x 500)" "$(jq -s 'map(.frames) | add' "$dir/stat.jsonl")" 1500
    check "stat saw no overruns" "$(jq -s 'map(.overruns) | add' "$dir/stat.jsonl")" 0
    check "stat's last report is the partial one" "$(jq -s 'last | .partial' "$dir/stat.jsonl")" true
fi

echo
echo "$passed passed, $failed failed ($skipped skipped)"
[ "$failed" -eq 0 ]
