#include "tap_bridge.hpp"

#include <fmt/format.h>

#include <chrono>

namespace shmifd::test {

TapBridge::TapBridge(const shmif::test::TempDir& dir, const NetNs& ns, TapBridgeOptions options)
    : ns_(ns), options_(std::move(options)) {
    std::vector<std::string> argv{
        SHMIFTAP_BIN,   "--bus",      options_.bus,
        "--tap",        options_.tap, "--up",
        "--create-bus", "--sender",   fmt::format("{:#x}", options_.sender)};
    for (const auto& e : options_.extra)
        argv.push_back(e);
    process_ = std::make_unique<Process>(dir, ns_.exec(std::move(argv)));
}

bool TapBridge::ready(std::string& why) {
    using namespace std::chrono_literals;
    const bool up = wait_until(
        [&] {
            return !process_->running() ||
                   process_->err_so_far().find("bridging") != std::string::npos;
        },
        10s);
    if (!up || !process_->running()) {
        why = "shmiftap did not start: " + process_->err_so_far();
        return false;
    }
    // IPv6 would add router solicitations and MLD reports to every capture: off unless asked.
    if (!options_.ipv6)
        ns_.run_inside({"sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"}, 5s);
    if (!options_.kernel_cidr.empty() &&
        !ns_.ip({"addr", "add", options_.kernel_cidr, "dev", options_.tap}, &why))
        return false;
    return true;
}

}  // namespace shmifd::test
