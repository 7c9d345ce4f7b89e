#!/usr/bin/env bash
# The man pages against the programs, as `cmake --install` would install them (read from the
# cmake_install.cmake files of the build tree, so nothing needs installing):
#   - every installed program has exactly one page, in section 1 or 8, and every page of
#     those sections is an installed program's (a new program without a page fails here);
#   - every installed page exists, is ASCII, renders without a warning, any of groff's
#     (groff -man -ww at man's 80 columns: what `man -l PAGE` runs, minus the encoding
#     step an ASCII page does not need) and has a NAME line whatis can read (lexgrog).
#
#   man/check-pages.sh BUILD_DIR
set -u

build=${1:?usage: $0 BUILD_DIR}
for tool in groff lexgrog; do
    command -v "$tool" >/dev/null || { echo "$tool is required (groff-base, man-db)"; exit 1; }
done
export LC_ALL=C.UTF-8

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1: $2"; }

# The quoted paths after FILES of the file(INSTALL ...) lines that match $1.
installed() {
    find "$build" -name cmake_install.cmake -print0 |
        xargs -0 grep -h "file(INSTALL DESTINATION " |
        grep -E "$1" | sed -E 's/.* FILES //' | grep -oE '"[^"]+"' | tr -d '"'
}

mapfile -t programs < <(installed 'TYPE EXECUTABLE' | xargs -rn1 basename | sort -u)
mapfile -t pages < <(installed '/man[0-9]" TYPE FILE' | sort -u)
[ ${#programs[@]} -gt 0 ] || { echo "no installed programs found under $build"; exit 1; }
[ ${#pages[@]} -gt 0 ] || { echo "no installed man pages found under $build"; exit 1; }

for program in "${programs[@]}"; do
    n=0
    for page in "${pages[@]}"; do
        case $(basename "$page") in "$program.1" | "$program.8") n=$((n + 1)) ;; esac
    done
    if [ "$n" -eq 1 ]; then pass "$program has a page"; else fail "$program" "$n pages in sections 1 and 8"; fi
done

for page in "${pages[@]}"; do
    name=$(basename "$page")
    section=${name##*.}
    if [ "$section" = 1 ] || [ "$section" = 8 ]; then
        printf '%s\n' "${programs[@]}" | grep -qxF "${name%.*}" ||
            fail "$name" "no installed program ${name%.*}"
    fi
    if [ ! -s "$page" ]; then
        fail "$name" "$page is missing or empty (not built?)"
        continue
    fi
    if LC_ALL=C grep -nq '[^[:print:][:space:]]' "$page"; then
        fail "$name" "not ASCII: $(LC_ALL=C grep -n '[^[:print:][:space:]]' "$page" | head -3)"
        continue
    fi
    warnings=$(groff -man -ww -z -Tutf8 -rLL=78n "$page" 2>&1)
    if [ -n "$warnings" ]; then
        fail "$name" "groff -ww: $warnings"
    elif ! lexgrog "$page" >/dev/null 2>&1; then
        fail "$name" "lexgrog cannot read its NAME section"
    else
        pass "$name renders"
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
