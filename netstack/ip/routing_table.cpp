#include "ip/routing_table.hpp"

#include <algorithm>

namespace netstack::ip {

Route RoutingTable::normalised(Route route) {
    route.destination.address = route.destination.network();
    return route;
}

std::expected<void, ConfigError> RoutingTable::add(Route route) {
    route = normalised(route);
    if (std::ranges::find(routes_, route) != routes_.end())
        return std::unexpected(ConfigError::exists);
    routes_.push_back(route);
    return {};
}

std::expected<void, ConfigError> RoutingTable::remove(Route route) {
    auto it = std::ranges::find(routes_, normalised(route));
    if (it == routes_.end()) return std::unexpected(ConfigError::not_found);
    routes_.erase(it);
    return {};
}

void RoutingTable::remove_interface(InterfaceId iface) {
    std::erase_if(routes_, [&](const Route& r) { return r.interface == iface; });
}

}  // namespace netstack::ip
