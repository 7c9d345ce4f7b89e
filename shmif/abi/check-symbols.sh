#!/usr/bin/env bash
# The dynamic symbols libshmif.so defines, with their versions, must be the committed list
# (libshmif.symbols beside this script): a symbol gone or changed breaks programs linked
# against soname 0, one added must be meant.
#   check-symbols.sh LIBSHMIF_SO           compare (the ctest shmif_abi_symbols)
#   check-symbols.sh --print LIBSHMIF_SO   print the list (update-symbols.sh writes it)
# NM names the nm to use (default nm).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
print=0
if [ "${1:-}" = --print ]; then
    print=1
    shift
fi
[ $# -eq 1 ] || { echo "usage: $0 [--print] LIBSHMIF_SO" >&2; exit 2; }
lib=$1
[ -f "$lib" ] || { echo "check-symbols: no $lib (build the target shmif_shared)" >&2; exit 2; }

# "TYPE NAME@@VERSION", one a line, sorted by name.
symbols() {
    "${NM:-nm}" -D --defined-only "$lib" | awk '{ print $(NF-1), $NF }' | LC_ALL=C sort -k2
}

if [ $print -eq 1 ]; then
    symbols
    exit 0
fi
if diff -u --label "committed: shmif/abi/libshmif.symbols" --label "built: $lib" \
    "$here/libshmif.symbols" <(symbols); then
    echo "ok: $(wc -l <"$here/libshmif.symbols") symbols as committed"
    exit 0
fi
echo "libshmif.so's exported symbols differ from shmif/abi/libshmif.symbols (- committed, + built)." >&2
echo "If the change is meant (functions added to shmif.h), accept it: shmif/abi/update-symbols.sh BUILD_DIR; never remove or change one of soname 0." >&2
exit 1
