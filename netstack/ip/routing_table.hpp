// The routing tables of both IP versions: longest-prefix match, then the lowest metric
// (RFC 1812 5.2.4.3; the same rule for IPv6, RFC 4191's preferences aside). Destinations are
// stored normalised (host bits cleared), so 10.0.0.1/24 and 10.0.0.0/24 name the same route.
#pragma once

#include <algorithm>
#include <expected>
#include <optional>
#include <vector>

#include "netstack/stack.hpp"

namespace netstack::ip {

// RouteT is Route (IPv4) or Ipv6Route: a `destination` prefix, an `interface`, a `metric`.
template <typename RouteT>
class BasicRoutingTable {
  public:
    using Address = decltype(RouteT{}.destination.address);

    // exists when an equal route is present
    std::expected<void, ConfigError> add(RouteT route) {
        route = normalised(route);
        if (std::ranges::find(routes_, route) != routes_.end())
            return std::unexpected(ConfigError::exists);
        routes_.push_back(route);
        return {};
    }
    // not_found when absent
    std::expected<void, ConfigError> remove(const RouteT& route) {
        auto it = std::ranges::find(routes_, normalised(route));
        if (it == routes_.end()) return std::unexpected(ConfigError::not_found);
        routes_.erase(it);
        return {};
    }
    void remove_interface(InterfaceId iface) {
        std::erase_if(routes_, [&](const RouteT& r) { return r.interface == iface; });
    }
    const std::vector<RouteT>& routes() const { return routes_; }

    // The best route to `dst` among those whose interface `usable(id)` accepts (up ones).
    template <typename Usable>
    std::optional<RouteT> lookup(const Address& dst, Usable&& usable) const {
        const RouteT* route = find_best(dst, usable);
        if (!route) return std::nullopt;
        return *route;
    }
    // The same without the copy (valid until the table changes), for the per-packet paths.
    template <typename Usable>
    const RouteT* find_best(const Address& dst, Usable&& usable) const {
        const RouteT* best = nullptr;
        for (const RouteT& r : routes_) {
            if (!r.destination.contains(dst) || !usable(r.interface)) continue;
            if (!best || r.destination.prefix_len > best->destination.prefix_len ||
                (r.destination.prefix_len == best->destination.prefix_len &&
                 r.metric < best->metric))
                best = &r;
        }
        return best;
    }

    static RouteT normalised(RouteT route) {
        route.destination.address = route.destination.network();
        return route;
    }

  private:
    std::vector<RouteT> routes_;
};

using RoutingTable = BasicRoutingTable<Route>;
using Ipv6RoutingTable = BasicRoutingTable<Ipv6Route>;

}  // namespace netstack::ip
