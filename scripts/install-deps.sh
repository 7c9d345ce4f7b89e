#!/usr/bin/env bash
# Installs the dependencies of shmifd from Debian's packages. Idempotent; for a fresh Debian 12
# as root (or with sudo available).
#   scripts/install-deps.sh           build and test everything (scripts/run-tests.sh)
#   scripts/install-deps.sh --demo    build the demo's programs (scripts/demo.sh, preset demo)
#   scripts/install-deps.sh --package build the Debian packages (scripts/package.sh)
#   scripts/install-deps.sh --bench   everything, and the peer systems of the benchmarks
set -euo pipefail

# What building the programs needs, and what the demo runs: enough for scripts/demo.sh,
# which installs only these (--demo).
demo_packages=(
    # toolchain
    build-essential cmake ninja-build pkg-config
    ccache # kept between CI runs on one machine: rebuilds of unchanged files cost nothing
    libcli11-dev nlohmann-json3-dev libfmt-dev
    libpcap-dev liburing-dev libwiretap-dev libwsutil-dev libglib2.0-dev # shmifdump: pcap, io_uring, pcapng (libwiretap)
    # the daemon: Boost.Asio (header-only), logging, configuration, systemd notification
    libboost-dev libspdlog-dev libtomlplusplus-dev libsystemd-dev
    procps tcpdump # the demo stops processes and reads its capture back
)
# What configuring and building the release preset adds: it configures the tests and the
# benchmarks, and makes the man pages.
build_packages=(
    "${demo_packages[@]}"
    libgtest-dev libgmock-dev googletest libbenchmark-dev
    help2man # the programs' man pages (man/), part of the default build when it is installed
)
# What the whole test suite adds: the sanitizer and fuzz builds, and the real programs the
# tests drive.
test_packages=(
    git clang-format
    clang-19 libclang-rt-19-dev # libFuzzer; clang 14 cannot compile libstdc++ 12's <expected>
    llvm-19 # llvm-symbolizer: fuzzer crash reports with file and line
    # tools the tests and benchmarks drive
    util-linux jq gawk tshark systemd graphviz
    groff-base man-db # man_pages: the pages render without warnings (groff), whatis reads them (lexgrog)
    # the kernel peers of the interoperability tests (TAP + netns)
    iproute2 iputils-ping socat python3-scapy kmod
    curl netcat-openbsd # TCP peers of the interoperability tests
    wget openssl iperf3 sockperf # unmodified programs the shmifrun tests run on the virtual network
    liblwip-dev # lwIP, the stack of examples/lwip (lwip-bus) and its interop test with shmifd
)
# --package: what scripts/package.sh adds to building (dpkg-buildpackage, debhelper, lintian)
# (libgtest-dev: libshmif-testing-dev's GoogleTest fixture is built against it)
package_packages=(dpkg-dev debhelper fakeroot lintian help2man libgtest-dev)
# --bench: the peer systems bench/run.sh measures beside the bus (../shared/bench-peers)
bench_packages=(vde2 libvdeplug-dev iproute2 iputils-ping dpdk-dev librte-net-memif23 librte-mempool-ring23 passt slirp4netns apache2-utils)

case "${1:-}" in
    --demo) packages=("${demo_packages[@]}") ;;
    --package) packages=("${demo_packages[@]}" "${package_packages[@]}") ;;
    --bench) packages=("${build_packages[@]}" "${test_packages[@]}" "${bench_packages[@]}") ;;
    "") packages=("${build_packages[@]}" "${test_packages[@]}") ;;
    *)
        echo "install-deps.sh: unknown option $1 (--demo, --package, --bench or nothing)" >&2
        exit 2
        ;;
esac

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages already installed"
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: answer no, unasked.
echo "wireshark-common wireshark-common/install-setuid boolean false" | as_root debconf-set-selections
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
