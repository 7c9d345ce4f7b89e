#include "conflict_log.hpp"

#include <spdlog/spdlog.h>

namespace shmifd {

ConflictLog::ConflictLog(std::chrono::steady_clock::duration interval, Sink sink)
    : interval_(interval), sink_(std::move(sink)) {
    if (!sink_) sink_ = [](const std::string& line) { spdlog::warn("{}", line); };
}

void ConflictLog::report(const netstack::AddressConflict& c, const std::string& interface) {
    auto [it, fresh] = slots_.try_emplace({c.interface, c.address});
    Slot& slot = it->second;
    if (!fresh && c.when - slot.logged < interval_) {
        ++slot.held_back;
        return;
    }
    std::string line = "address conflict: " + c.address.to_string() + " on " + interface +
                       " is claimed by " + c.mac.to_string() +
                       (c.defended ? "; defended with an announcement (RFC 5227)"
                                   : "; not defended again so soon (RFC 5227 2.4)");
    if (slot.held_back > 0)
        line += "; " + std::to_string(slot.held_back) + " more conflict(s) since the last warning";
    sink_(line);
    slot.logged = c.when;
    slot.held_back = 0;
}

}  // namespace shmifd
