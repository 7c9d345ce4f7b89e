#!/usr/bin/env bash
# Rewrites libshmif.symbols from a built libshmif.so, for a change of the C API that is meant
# (new functions). Usage: shmif/abi/update-symbols.sh BUILD_DIR   (e.g. build/release)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
"$here/check-symbols.sh" --print "$1/shmif/libshmif.so" >"$here/libshmif.symbols"
git -C "$here" diff --stat -- libshmif.symbols || true
