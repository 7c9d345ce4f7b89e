// The IPv4 routing table: longest-prefix match, then the lowest metric (RFC 1812 5.2.4.3).
// Destinations are stored normalised (host bits cleared), so 10.0.0.1/24 and 10.0.0.0/24 name
// the same route.
#pragma once

#include <expected>
#include <optional>
#include <vector>

#include "netstack/stack.hpp"

namespace netstack::ip {

class RoutingTable {
  public:
    std::expected<void, ConfigError> add(Route route);     // exists when an equal route is present
    std::expected<void, ConfigError> remove(Route route);  // not_found when absent
    void remove_interface(InterfaceId iface);
    const std::vector<Route>& routes() const { return routes_; }

    // The best route to `dst` among those whose interface `usable(id)` accepts (up ones).
    template <typename Usable>
    std::optional<Route> lookup(Ipv4Address dst, Usable&& usable) const {
        const Route* best = nullptr;
        for (const Route& r : routes_) {
            if (!r.destination.contains(dst) || !usable(r.interface)) continue;
            if (!best || r.destination.prefix_len > best->destination.prefix_len ||
                (r.destination.prefix_len == best->destination.prefix_len &&
                 r.metric < best->metric))
                best = &r;
        }
        if (!best) return std::nullopt;
        return *best;
    }

    static Route normalised(Route route);

  private:
    std::vector<Route> routes_;
};

}  // namespace netstack::ip
