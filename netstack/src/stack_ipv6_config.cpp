// IPv6 configuration: addresses (with the automatic link-local one and RFC 4862's Duplicate
// Address Detection), routes, and the DAD timers.
#include <algorithm>

#include "src/stack_impl.hpp"

namespace netstack {

const char* ipv6_address_state_name(Ipv6AddressState state) {
    switch (state) {
        case Ipv6AddressState::tentative:
            return "tentative";
        case Ipv6AddressState::preferred:
            return "preferred";
        case Ipv6AddressState::duplicate:
            return "duplicate";
        case Ipv6AddressState::deprecated:
            return "deprecated";
    }
    return "?";
}

bool Stack::Impl::is_local_address6(const Ipv6Address& a) const {
    return std::ranges::any_of(interfaces, [&](const auto& i) { return i && i->has_address6(a); });
}

link::Interface* Stack::Impl::interface_with_address6(const Ipv6Address& a) {
    for (auto& i : interfaces)
        if (i && i->has_address6(a)) return i.get();
    return nullptr;
}

std::optional<Ipv6Route> Stack::Impl::lookup_route6(const Ipv6Address& dst) const {
    const Ipv6Route* route = best_route6(dst);
    if (!route) return std::nullopt;
    return *route;
}

const Ipv6Route* Stack::Impl::best_route6(const Ipv6Address& dst) const {
    return routes6.find_best(dst, [&](InterfaceId id) {
        const auto* iface = find(id);
        return iface && iface->up;
    });
}

std::expected<void, ConfigError> Stack::Impl::add_address6(link::Interface& iface,
                                                           Ipv6InterfaceAddress entry,
                                                           Instant now) {
    const Ipv6Address& a = entry.address.address;
    const bool loopback_only = a.is_loopback() && !iface.loopback;
    if (entry.address.prefix_len > 128 || a.is_any() || a.is_multicast() || a.is_v4_mapped() ||
        loopback_only)
        return std::unexpected(ConfigError::invalid);
    for (const auto& i : interfaces)
        if (i && i->find_address6(a)) return std::unexpected(ConfigError::exists);
    // RFC 4862 5.4: a loopback link has nobody to collide with.
    const bool probe = config.ipv6.dad_transmits > 0 && !iface.loopback;
    entry.state = probe ? Ipv6AddressState::tentative : Ipv6AddressState::preferred;
    iface.addresses6.push_back(entry);
    if (entry.address.prefix_len < 128)
        (void)routes6.add(Ipv6Route{.destination = entry.address, .interface = iface.id});
    if (probe) {
        // RFC 4862 5.4.2: the first solicitation goes out at the next poll (the random delay
        // of 5.4.2 is for many hosts booting on one link; a daemon adds addresses one by one).
        iface.dad.push_back({.address = a, .sent = 0, .next = now});
    } else if (!iface.loopback) {
        address_usable(iface, a, now);
    }
    flush_devices();
    return {};
}

void Stack::Impl::address_usable(link::Interface& iface, const Ipv6Address& address, Instant now) {
    if (iface.up && is_shard_zero()) send_unsolicited_na(iface, address);
    if (!address.is_link_local()) return;
    // RFC 4861 6.3.7: a host solicits routers once it has an address to ask from; 6.2.2: a
    // router advertises from its link-local address.
    if (accepts_router_advertisements(iface) && config.ipv6.router_solicitations > 0) {
        iface.routers.solicitations_sent = 0;
        iface.routers.next_solicitation = now;
    }
    if (iface.advertiser && !iface.advertiser->next) iface.advertiser->next = now;
}

void Stack::Impl::poll_dad(Instant now) {
    for (auto& i : interfaces) {
        if (!i) continue;
        link::Interface& iface = *i;
        std::erase_if(iface.dad, [&](link::Interface::Dad& d) {
            if (now < d.next) return false;
            auto* entry = iface.find_address6(d.address);
            if (!entry || entry->state != Ipv6AddressState::tentative) return true;
            if (d.sent < config.ipv6.dad_transmits) {
                // Every shard keeps the timer (each must learn when the address is usable);
                // shard 0 alone sends.
                if (iface.up && is_shard_zero()) send_dad_solicitation(iface, d.address);
                ++d.sent;
                d.next = now + config.ipv6.retrans_timer;
                return false;
            }
            entry->state = Ipv6AddressState::preferred;
            ++stats.ndp.dad_succeeded;
            address_usable(iface, d.address, now);
            return true;
        });
    }
}

std::optional<Instant> Stack::Impl::dad_next() const {
    std::optional<Instant> next;
    for (const auto& i : interfaces)
        if (i)
            for (const auto& d : i->dad)
                if (!next || d.next < *next) next = d.next;
    return next;
}

void Stack::Impl::dad_conflict(link::Interface& iface, const Ipv6Address& address) {
    auto* entry = iface.find_address6(address);
    if (!entry || entry->state != Ipv6AddressState::tentative) return;
    // RFC 4862 5.4.5: a duplicate is never used; the operator must step in.
    entry->state = Ipv6AddressState::duplicate;
    std::erase_if(iface.dad, [&](const link::Interface::Dad& d) { return d.address == address; });
    ++stats.ndp.dad_duplicates;
}

void Stack::Impl::add_link_local(link::Interface& iface, Instant now) {
    if (!config.ipv6.enabled || iface.loopback) return;
    (void)add_address6(
        iface, {.address = {Ipv6Address::link_local_from(iface.mac), 64}, .automatic = true}, now);
}

// --- the public API --------------------------------------------------------------------------

std::expected<void, ConfigError> Stack::add_address(InterfaceId id, Ipv6Cidr address, Instant now) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    auto added = s.add_address6(*iface, {.address = address}, now);
    if (added) s.poll_dad(now);
    s.flush_devices();
    return added;
}

std::expected<void, ConfigError> Stack::remove_address(InterfaceId id, Ipv6Cidr address) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    auto it = std::ranges::find_if(
        iface->addresses6, [&](const Ipv6InterfaceAddress& x) { return x.address == address; });
    if (it == iface->addresses6.end()) return std::unexpected(ConfigError::not_found);
    s.remove_address6(*iface, address);
    return {};
}

void Stack::Impl::remove_address6(link::Interface& iface, const Ipv6Cidr& address) {
    std::erase_if(iface.addresses6,
                  [&](const Ipv6InterfaceAddress& x) { return x.address == address; });
    std::erase_if(iface.dad,
                  [&](const link::Interface::Dad& d) { return d.address == address.address; });
    const bool prefix_left = std::ranges::any_of(iface.addresses6, [&](const auto& x) {
        return x.address.prefix_len == address.prefix_len &&
               x.address.network() == address.network();
    });
    if (!prefix_left && address.prefix_len < 128)
        (void)routes6.remove(Ipv6Route{.destination = address, .interface = iface.id});
}

std::expected<void, ConfigError> Stack::add_address(InterfaceId id, const IpCidr& address,
                                                    Instant now) {
    return address.is_v4() ? add_address(id, address.v4(), now)
                           : add_address(id, address.v6(), now);
}

std::expected<void, ConfigError> Stack::remove_address(InterfaceId id, const IpCidr& address) {
    return address.is_v4() ? remove_address(id, address.v4()) : remove_address(id, address.v6());
}

std::expected<void, ConfigError> Stack::add_route(const Ipv6Route& route) {
    Impl& s = *impl_;
    const auto* iface = s.find(route.interface);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    if (route.destination.prefix_len > 128 || route.destination.address.is_multicast())
        return std::unexpected(ConfigError::invalid);
    if (route.gateway) {
        // RFC 4861 8: routers are named by their link-local addresses; a global gateway must
        // be on one of the interface's prefixes.
        const Ipv6Address& gw = *route.gateway;
        const bool on_link =
            gw.is_link_local() || std::ranges::any_of(iface->addresses6, [&](const auto& x) {
                return x.address.prefix_len < 128 && x.address.contains(gw);
            });
        if (!on_link || gw.is_any() || gw.is_multicast() || gw.is_v4_mapped())
            return std::unexpected(ConfigError::invalid);
    }
    return s.routes6.add(route);
}

std::expected<void, ConfigError> Stack::remove_route(const Ipv6Route& route) {
    return impl_->routes6.remove(route);
}

std::vector<Ipv6Route> Stack::routes6() const {
    return impl_->routes6.routes();
}

std::optional<Ipv6Route> Stack::lookup_route(const Ipv6Address& dst) const {
    return impl_->lookup_route6(dst);
}

}  // namespace netstack
