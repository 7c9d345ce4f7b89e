// shmiftap run inside a test's namespace: creates the TAP there, brings it up, bridges it to
// a bus file. Ready once the TAP exists and the tool has printed its start-up line.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "netns.hpp"
#include "process.hpp"

namespace shmifd::test {

struct TapBridgeOptions {
    std::string bus;
    std::string tap = "tap0";
    std::uint64_t sender = 0x7a9;
    std::string kernel_cidr;         // e.g. "10.77.1.1/24": added to the TAP when set
    std::vector<std::string> extra;  // more shmiftap options (--io plain, --mtu ...)
    // IPv6 on the TAP (the kernel's link-local address, DAD, router solicitations); off by
    // default, so that captures hold only what a test sends.
    bool ipv6 = false;
};

class TapBridge {
  public:
    TapBridge(const shmif::test::TempDir& dir, const NetNs& ns, TapBridgeOptions options);
    // Waits (bounded) for the TAP and the start-up line, then adds the address. false and a
    // reason in `why` when it did not come up.
    bool ready(std::string& why);
    Process& process() { return *process_; }
    const TapBridgeOptions& options() const { return options_; }

  private:
    const NetNs& ns_;
    TapBridgeOptions options_;
    std::unique_ptr<Process> process_;
};

}  // namespace shmifd::test
