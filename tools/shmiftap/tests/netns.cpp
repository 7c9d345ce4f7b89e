#include "netns.hpp"

#include <unistd.h>

#include <atomic>

namespace shmifd::test {
namespace {

std::atomic<int> ns_count{0};

bool executable(const char* path) {
    return ::access(path, X_OK) == 0;
}

}  // namespace

std::string kernel_tests_unavailable() {
    if (::geteuid() != 0) return "needs root (network namespaces and TAP devices)";
    if (::access("/dev/net/tun", R_OK | W_OK) != 0) return "no /dev/net/tun";
    if (!executable("/usr/sbin/ip") && !executable("/sbin/ip") && !executable("/usr/bin/ip") &&
        !executable("/bin/ip"))
        return "no ip(8) (iproute2)";
    shmif::test::TempDir dir;
    NetNs probe(dir, "shmifd-probe");
    if (!probe.ok()) return "`ip netns add` failed (no network namespaces here?)";
    if (probe.run_inside({"true"}, std::chrono::seconds(10)).exit_code != 0)
        return "cannot enter a network namespace with nsenter (util-linux)";
    return {};
}

NetNs::NetNs(const shmif::test::TempDir& dir, const std::string& prefix)
    : dir_(dir),
      name_(prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(++ns_count)) {
    ok_ = run(dir_, {"ip", "netns", "add", name_}, std::chrono::seconds(10)).exit_code == 0;
    // Bring lo up: ping to the namespace's own addresses and local sockets need it.
    if (ok_) ip({"link", "set", "lo", "up"});
}

NetNs::~NetNs() {
    if (ok_) run(dir_, {"ip", "netns", "del", name_}, std::chrono::seconds(10));
}

// nsenter switches the network namespace only. `ip netns exec` (and `ip -n`) also remount
// /sys in a private mount namespace, which fails where / is not a mount point (a chroot, as
// in a freshly bootstrapped build root); nothing run here needs the namespace's /sys.
std::vector<std::string> NetNs::exec(std::vector<std::string> argv) const {
    std::vector<std::string> full{"nsenter", "--net=/run/netns/" + name_};
    full.reserve(full.size() + argv.size());
    for (auto& a : argv)
        full.push_back(std::move(a));
    return full;
}

bool NetNs::ip(std::vector<std::string> args, std::string* output) const {
    args.insert(args.begin(), "ip");
    const Outcome r = run_inside(std::move(args), std::chrono::seconds(10));
    if (output != nullptr) *output = r.out + r.err;
    return r.exit_code == 0;
}

Outcome NetNs::run_inside(std::vector<std::string> argv, std::chrono::milliseconds timeout) const {
    return run(dir_, exec(std::move(argv)), timeout);
}

bool NetNs::wait_listening(int port, std::chrono::milliseconds timeout) const {
    const std::string local = ":" + std::to_string(port) + " ";
    return wait_until(
        [&] {
            return run_inside({"ss", "-ltn"}).out.find(local) != std::string::npos;
        },
        timeout);
}

}  // namespace shmifd::test
