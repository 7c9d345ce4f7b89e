#!/usr/bin/env bash
# Every program answers --version (and -V) with "NAME VERSION" on stdout, nothing on stderr,
# exit 0, and lists --version in its --help.
#
#   tests/cli/version_cli_test.sh VERSION PATH/TO/PROGRAM...
#
# NAME is the program's file name; VERSION is project()'s (CMakeLists.txt).
set -u

version=${1:?usage: $0 VERSION PATH/TO/PROGRAM...}
shift
[ $# -gt 0 ] || { echo "usage: $0 VERSION PATH/TO/PROGRAM..."; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/version-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1: $2"; }

for program in "$@"; do
    name=$(basename "$program")
    for flag in --version -V; do
        timeout 10 "$program" "$flag" >"$dir/out" 2>"$dir/err"
        rc=$?
        out=$(cat "$dir/out")
        if [ "$rc" -ne 0 ]; then
            fail "$name $flag" "exit $rc, want 0 (stderr: $(cat "$dir/err"))"
        elif [ "$out" != "$name $version" ]; then
            fail "$name $flag" "printed '$out', want '$name $version'"
        elif [ -s "$dir/err" ]; then
            fail "$name $flag" "wrote to stderr: $(cat "$dir/err")"
        else
            pass "$name $flag"
        fi
    done
    timeout 10 "$program" --help >"$dir/out" 2>"$dir/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name --help" "exit $rc, want 0"
    elif ! grep -Eq -- '(^|[ ,])--version( |$)' "$dir/out"; then
        fail "$name --help" "does not list --version"
    else
        pass "$name --help lists --version"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
