#!/usr/bin/env bash
# The Debian packages as a user meets them, on this machine's root (scripts/run-tests.sh
# package; CI runs it on a fresh root):
#   1. builds them (scripts/package.sh: dpkg-buildpackage, then lintian, which must report no
#      error), unless a directory of built .deb files is given;
#   2. installs them with apt-get install ./*.deb, which pulls their dependencies;
#   3. shmifd --version; a bus and two daemons from the installed binaries, ping between them
#      and a TCP exchange of two programs under the installed shmifrun; man -w finds every
#      page; systemd-analyze verify accepts the unit; a C and a C++ program build against the
#      installed libraries, through pkg-config and through find_package, and run; a
#      GoogleTest lab test built against shmif::testing passes with the installed daemons;
#   4. purges them: every file they installed is gone and dpkg remembers none of them.
#
#   tests/package/package_test.sh [DEB_DIR]
#
# Needs root (it installs packages); without it, says so and exits 77 (skipped). Refuses to
# run when one of the packages is installed already: it would purge what someone installed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
packages=(shmifd libshmif0 libshmif-dev libshmif-testing-dev libshmifsock0 libshmifsock-dev shmifrun)

die() {
    echo "package_test: FAILED: $*" >&2
    exit 1
}
step() { printf '\n==> package_test: %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "package_test: skipped: installing packages needs root"
    exit 77
fi
for p in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv "not-installed"; then
        die "$p is installed already (dpkg-query -W $p); purge it first, this test purges"
    fi
done

version=$(sed -n -E 's/^project\(shmifd VERSION ([0-9.]+).*/\1/p' "$repo/CMakeLists.txt")
debs=${1:-}
if [ -z "$debs" ]; then
    step "build the packages: scripts/package.sh"
    "$repo/scripts/package.sh"
    debs=$repo/build/package
fi
debs=$(cd "$debs" && pwd)
files=()
for p in "${packages[@]}"; do
    f=$(ls "$debs/${p}_${version}_"*.deb 2>/dev/null | head -1)
    [ -n "$f" ] || die "no ${p}_${version}_*.deb in $debs"
    files+=("$f")
done

work=$(mktemp -d /dev/shm/shmifd-package-test.XXXXXX 2>/dev/null || mktemp -d)
pids=()
installed=0
purge() {
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >"$work/purge.log" 2>&1 ||
        { cat "$work/purge.log"; return 1; }
}
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$installed" = 0 ] || purge || true
    rm -rf "$work"
}
trap cleanup EXIT

step "apt-get install ${files[*]##*/}"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${files[@]}" \
    >"$work/install.log" 2>&1 || { cat "$work/install.log"; die "apt-get install failed"; }
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" | grep -q "install ok installed" || die "$p not installed"
    dpkg -L "$p" >"$work/$p.files"
done

step "the installed programs"
got=$(/usr/bin/shmifd --version)
[[ $got == *"$version"* ]] || die "shmifd --version says '$got', not $version"
echo "$got"
for tool in shmifctl shmifbus shmifdump shmifinject shmiftap shmifhost shmiflink shmiflab shmifrun; do
    [ -x "/usr/bin/$tool" ] || die "/usr/bin/$tool is missing"
    "/usr/bin/$tool" --version >/dev/null || die "$tool --version failed"
done

step "two daemons on a bus, ping between them"
bus=$work/lab.bus
/usr/bin/shmifbus create "$bus"
/usr/bin/shmifd --bus "$bus" --addr 10.0.0.1/24 --socket "$work/a.sock" 2>"$work/a.log" &
pids+=($!)
/usr/bin/shmifd --bus "$bus" --addr 10.0.0.2/24 --socket "$work/b.sock" 2>"$work/b.log" &
pids+=($!)
for _ in $(seq 100); do # up to 10 s for both control sockets
    /usr/bin/shmifctl -s "$work/a.sock" version >/dev/null 2>&1 &&
        /usr/bin/shmifctl -s "$work/b.sock" version >/dev/null 2>&1 && break
    sleep 0.1
done
/usr/bin/shmifctl -s "$work/a.sock" ping -c 3 -i 0.2 10.0.0.2 ||
    { cat "$work/a.log" "$work/b.log"; die "ping 10.0.0.1 -> 10.0.0.2"; }
/usr/bin/shmifctl -s "$work/b.sock" ping -c 3 -i 0.2 10.0.0.1 || die "ping 10.0.0.2 -> 10.0.0.1"

step "TCP between two programs under shmifrun (the shim from its private directory)"
server='import socket,sys
s=socket.create_server(("10.0.0.2",7000)); s.settimeout(20)
c,_=s.accept(); c.settimeout(20); data=b""
while True:
    b=c.recv(65536)
    if not b: break
    data+=b
c.sendall(data[::-1]); c.close()'
client='import socket,sys
c=socket.create_connection(("10.0.0.2",7000),timeout=20)
c.sendall(b"packaged shmifd\n"*1000); c.shutdown(socket.SHUT_WR); data=b""
while True:
    b=c.recv(65536)
    if not b: break
    data+=b
sys.exit(0 if data==(b"packaged shmifd\n"*1000)[::-1] else 1)'
timeout 30 /usr/bin/shmifrun -s "$work/b.sock" -- python3 -c "$server" &
server_pid=$!
for _ in $(seq 50); do # up to 5 s for the listener
    /usr/bin/shmifctl -s "$work/b.sock" sock list 2>/dev/null | grep -q ':7000' && break
    sleep 0.1
done
timeout 30 /usr/bin/shmifrun -s "$work/a.sock" -- python3 -c "$client" ||
    die "the TCP client under shmifrun did not get its 16000 bytes back reversed"
wait "$server_pid" || die "the TCP server under shmifrun failed"
echo "16000 bytes there and back over the virtual network"

step "man pages"
for page in shmifd.8 shmifd.toml.5 shmifctl.1 shmifbus.1 shmifdump.1 shmifinject.1 \
    shmiftap.1 shmifhost.1 shmiflink.1 shmiflab.1 shmif-demo.1 shmifrun.1; do
    found=$(man -w "${page##*.}" "${page%.*}" 2>/dev/null) || die "man -w finds no $page"
    echo "$page: $found"
done

step "systemd-analyze verify shmifd@lab.service"
if command -v systemd-analyze >/dev/null; then
    # An instance of the template, as systemctl would load it.
    cp /lib/systemd/system/shmifd@.service "$work/shmifd@lab.service"
    systemd-analyze verify "$work/shmifd@lab.service" >"$work/verify.log" 2>&1 ||
        { cat "$work/verify.log"; die "systemd-analyze verify failed"; }
    ! grep -q . "$work/verify.log" || { cat "$work/verify.log"; die "systemd-analyze verify complained"; }
    echo "no complaint"
else
    echo "package_test: systemd-analyze not installed: unit not verified"
fi

step "programs built against the installed libraries"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
for mode in pkgconfig-shared pkgconfig-static cmake-shared cmake-static cxx-pkgconfig cxx-cmake \
    testing-cmake; do
    SHMIF_LIBDIR=lib/$multiarch SHMIF_VERSION=$version \
        "$repo/tests/install/install_test.sh" "$mode" /usr || die "consumer $mode"
done
found=$(pkg-config --modversion shmifsock) || die "pkg-config does not find shmifsock"
[ "$found" = "$version" ] || die "pkg-config finds shmifsock $found, not $version"
cat >"$work/sock_user.c" <<'EOF'
#include <shmifsock.h>
#include <stdio.h>
#include <sys/socket.h>
/* A UDP socket in the daemon's stack, through its control socket (argv[1]). */
int main(int argc, char** argv) {
    shmifsock_session* s = shmifsock_connect(argc > 1 ? argv[1] : NULL);
    if (s == NULL) return perror("shmifsock_connect"), 1;
    int fd = shmifsock_socket(s, AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return perror("shmifsock_socket"), 1;
    shmifsock_close_session(s);
    puts("ok");
    return 0;
}
EOF
# shellcheck disable=SC2046 # flags are words
cc -std=c11 -Wall -Werror "$work/sock_user.c" $(pkg-config --cflags --libs shmifsock) \
    -o "$work/sock_user" || die "a C program does not build against libshmifsock"
[ "$(timeout 20 "$work/sock_user" "$work/a.sock")" = ok ] ||
    die "a C program linked with libshmifsock gets no socket from the daemon"
echo "libshmifsock: pkg-config $found, a C program gets a socket from the daemon"

step "apt-get purge ${packages[*]}"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait "${pids[@]}" 2>/dev/null || true
pids=()
purge || die "apt-get purge failed"
installed=0
for p in "${packages[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -qv "not-installed"; then
        die "dpkg still knows $p after purge: $(dpkg-query -W -f='${Status}' "$p")"
    fi
done
left=()
while read -r path; do
    # Directories: the system's stay (/usr/bin), our own (every one has shmif in its name:
    # /etc/shmifd, /usr/include/shmif, /usr/share/doc/libshmif0...) must go, as the files.
    if [ -d "$path" ]; then
        [[ $path != *shmif* ]] || left+=("$path/")
        continue
    fi
    [ -e "$path" ] || [ -L "$path" ] && left+=("$path")
done < <(cat "$work"/*.files)
[ ${#left[@]} -eq 0 ] || die "left behind after purge: ${left[*]}"
[ ! -e /etc/shmifd ] || die "/etc/shmifd is left behind after purge"
echo "package_test: all packages installed, used and purged; nothing left behind"
