// RFC 5227 2.4 in the daemon: netstack's shard 0 defends a configured address that another
// MAC claims (one announcement per defend_interval) and reports the conflict; the ConflictLog
// of shard 0 turns the reports into warnings naming the address and the MAC, at most one per
// address per `interval` (10 s), saying how many it held back. The count is in the stats
// (stack.arp.address_conflicts, tx_defences).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "netstack/stack.hpp"

namespace shmifd {

class ConflictLog {
  public:
    using Sink = std::function<void(const std::string&)>;
    // The default sink is spdlog's warning level.
    explicit ConflictLog(std::chrono::steady_clock::duration interval = std::chrono::seconds(10),
                         Sink sink = {});

    // After the stack ran (shard 0): logs the conflicts it reported. One comparison when
    // there are none.
    // `name(id)`: the interface's name.
    template <class NameFn>
    void poll(netstack::Stack& stack, NameFn&& name) {
        const auto count = stack.stats().arp.address_conflicts;
        if (count == seen_) return;
        seen_ = count;
        stack.take_address_conflicts(scratch_);
        for (const auto& c : scratch_)
            report(c, name(c.interface));
    }
    // One conflict: a warning, unless this address had one less than `interval` ago.
    void report(const netstack::AddressConflict& conflict, const std::string& interface);

  private:
    struct Slot {
        netstack::Instant logged{};
        std::uint64_t held_back = 0;
    };
    std::chrono::steady_clock::duration interval_;
    Sink sink_;
    std::uint64_t seen_ = 0;
    std::map<std::pair<netstack::InterfaceId, netstack::Ipv4Address>, Slot> slots_;
    std::vector<netstack::AddressConflict> scratch_;
};

}  // namespace shmifd
