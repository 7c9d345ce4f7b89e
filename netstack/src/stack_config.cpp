// Configuration (interfaces, addresses, routes, neighbours) and the timers.
#include <algorithm>

#include "src/stack_impl.hpp"
#include "wire/icmp.hpp"

namespace netstack {

// --- helpers ---------------------------------------------------------------------------------

link::Interface* Stack::Impl::find(InterfaceId id) {
    if (id == 0 || id > interfaces.size()) return nullptr;
    return interfaces[id - 1].get();
}

const link::Interface* Stack::Impl::find(InterfaceId id) const {
    return const_cast<Impl*>(this)->find(id);
}

link::Interface* Stack::Impl::interface_with_address(Ipv4Address a) {
    for (auto& iface : interfaces)
        if (iface && iface->has_address(a)) return iface.get();
    return nullptr;
}

link::Interface* Stack::Impl::up_loopback() {
    for (auto& iface : interfaces)
        if (iface && iface->loopback && iface->up) return iface.get();
    return nullptr;
}

bool Stack::Impl::is_local_address(Ipv4Address a) const {
    return std::ranges::any_of(interfaces, [&](const auto& i) { return i && i->has_address(a); });
}

void Stack::Impl::rebuild_own_macs() {
    own_macs.clear();
    for (auto& iface : interfaces)
        if (iface) own_macs.push_back(iface->mac);
}

std::optional<Route> Stack::Impl::lookup_route(Ipv4Address dst) const {
    return routes.lookup(dst, [&](InterfaceId id) {
        const auto* iface = find(id);
        return iface && iface->up;
    });
}

SocketId Stack::Impl::allocate_socket_id() {
    // Skips ids still in use after a wrap (ids are never 0).
    for (;;) {
        const SocketId id = next_socket++;
        if (id != 0 && !udp.find(id) && !ping.find(id) && !is_tcp_socket(id)) return id;
    }
}

// --- timers ----------------------------------------------------------------------------------

void Stack::Impl::poll(Instant now) {
    arp_requests.clear();
    neighbours.poll(now, arp_requests);
    for (const auto& request : arp_requests)
        if (auto* iface = find(request.iface))
            send_resolution(*iface, request.ip, request.unicast, now);
    if (!address_probes.empty()) poll_address_probes(now);
    poll_dad(now);
    poll_router_discovery(now);
    poll_router_advertisements(now);

    std::vector<std::vector<std::byte>> expired;
    reassembler.poll(now, expired);
    // RFC 792 / RFC 1122 3.3.2: time exceeded, code 1, only when fragment 0 arrived. Every
    // shard reassembles; shard 0 speaks for the stack.
    if (is_shard_zero())
        for (const auto& first : expired)
            icmp_send_error(first, std::uint8_t(wire::IcmpType::time_exceeded),
                            std::uint8_t(wire::TimeExceededCode::reassembly), 0, false, now);
    expired.clear();
    reassembler6.poll(now, expired);
    // RFC 8200 4.5: time exceeded, code 1, quoting fragment 0, when it came.
    if (is_shard_zero())
        for (const auto& first : expired)
            icmpv6_send_error(first, std::uint8_t(wire::Icmpv6Type::time_exceeded),
                              std::uint8_t(wire::Icmpv6TimeExceededCode::reassembly), 0, false,
                              now);
    tcp_poll(now);
}

std::optional<Instant> Stack::Impl::poll_at() const {
    std::optional<Instant> next;
    for (auto at :
         {neighbours.next_deadline(), reassembler.next_deadline(), reassembler6.next_deadline(),
          address_probes_next(), dad_next(), router_discovery_next(), tcp_poll_at()})
        if (at && (!next || *at < *next)) next = at;
    return next;
}

// --- interfaces ------------------------------------------------------------------------------

std::expected<InterfaceId, ConfigError> Stack::add_interface(const InterfaceConfig& cfg,
                                                             Device& device) {
    Impl& s = *impl_;
    if (cfg.name.empty()) return std::unexpected(ConfigError::invalid);
    if (find_interface(cfg.name)) return std::unexpected(ConfigError::duplicate_name);
    const std::size_t max_frame = device.max_frame();
    if (max_frame < wire::ethernet_header_len + 68) return std::unexpected(ConfigError::invalid);
    const std::size_t link_mtu = max_frame - wire::ethernet_header_len;
    // A link may carry more than an IPv4 datagram can hold (a native shmif bus: 64 KiB + 14);
    // the default MTU is capped at 65,535.
    const std::size_t mtu = cfg.mtu == 0 ? std::min(link_mtu, wire::ipv4_max_total_len) : cfg.mtu;
    // RFC 791: every host must take 68-byte datagrams unfragmented.
    if (mtu < 68 || mtu > link_mtu || mtu > wire::ipv4_max_total_len)
        return std::unexpected(ConfigError::invalid);
    auto iface = std::make_unique<link::Interface>();
    iface->id = static_cast<InterfaceId>(s.interfaces.size() + 1);
    iface->name = cfg.name;
    iface->mac = cfg.mac.is_zero() ? link::derive_mac(s.config.seed, cfg.name) : cfg.mac;
    if (iface->mac.is_multicast()) return std::unexpected(ConfigError::invalid);
    iface->mtu = mtu;
    iface->promiscuous = cfg.promiscuous;
    iface->loopback = cfg.loopback;
    iface->checksum_offload = cfg.loopback;
    iface->bypass = cfg.loopback;
    iface->vlan = cfg.vlan;
    iface->device = &device;
    const InterfaceId id = iface->id;
    s.interfaces.push_back(std::move(iface));
    s.rebuild_own_macs();
    // Its DAD starts at the first poll (Instant{} is always due).
    s.add_link_local(*s.interfaces.back(), Instant{});
    return id;
}

std::expected<void, ConfigError> Stack::remove_interface(InterfaceId id) {
    Impl& s = *impl_;
    if (!s.find(id)) return std::unexpected(ConfigError::no_such_interface);
    s.routes.remove_interface(id);
    s.routes6.remove_interface(id);
    s.neighbours.flush(id);
    s.forget_address(id, std::nullopt);
    s.interfaces[id - 1].reset();
    s.rebuild_own_macs();
    return {};
}

std::expected<void, ConfigError> Stack::set_up(InterfaceId id, bool up, Instant now) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    if (iface->up == up) return {};
    iface->up = up;
    if (!up) {
        s.neighbours.flush(id);  // what was learnt or queued on a downed link is stale
    } else if (s.is_shard_zero() && !iface->loopback) {
        for (const auto& a : iface->addresses)
            s.send_gratuitous_arp(*iface, a.address);
    }
    (void)now;
    s.flush_devices();
    return {};
}

std::expected<void, ConfigError> Stack::set_promiscuous(InterfaceId id, bool on) {
    auto* iface = impl_->find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    iface->promiscuous = on;
    return {};
}

std::expected<void, ConfigError> Stack::set_mtu(InterfaceId id, std::size_t mtu) {
    auto* iface = impl_->find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    const std::size_t link_mtu = iface->device->max_frame() - wire::ethernet_header_len;
    if (mtu < 68 || mtu > link_mtu || mtu > wire::ipv4_max_total_len)
        return std::unexpected(ConfigError::invalid);
    iface->mtu = mtu;
    return {};
}

std::expected<void, ConfigError> Stack::set_loopback_shortcuts(InterfaceId id,
                                                               LoopbackShortcuts shortcuts) {
    auto* iface = impl_->find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    if (!iface->loopback) return std::unexpected(ConfigError::invalid);
    iface->checksum_offload = shortcuts.checksum;
    iface->bypass = shortcuts.bypass;
    return {};
}

void Stack::set_forwarding(bool on) {
    impl_->config.forwarding = on;
}

std::optional<InterfaceId> Stack::find_interface(std::string_view name) const {
    for (const auto& iface : impl_->interfaces)
        if (iface && iface->name == name) return iface->id;
    return std::nullopt;
}

std::vector<InterfaceInfo> Stack::interfaces() const {
    std::vector<InterfaceInfo> out;
    for (const auto& iface : impl_->interfaces)
        if (iface) out.push_back(iface->info());
    return out;
}

// --- addresses -------------------------------------------------------------------------------

std::expected<void, ConfigError> Stack::add_address(InterfaceId id, Ipv4Cidr address, Instant now) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    const Ipv4Address a = address.address;
    // RFC 1122 3.2.1.3 (g): 127/8 never appears outside a host, so only on loopback.
    const bool martian = a.is_loopback() && !iface->loopback;
    if (address.prefix_len > 32 || a.is_any() || a.is_broadcast() || a.is_multicast() || martian)
        return std::unexpected(ConfigError::invalid);
    if (s.is_local_address(a)) return std::unexpected(ConfigError::exists);
    iface->addresses.push_back(address);
    s.forget_address(id, a);  // its probe (RFC 5227) is over
    (void)s.routes.add(Route{.destination = address, .interface = id});  // the on-link route
    if (iface->up && s.is_shard_zero() && !iface->loopback) s.send_gratuitous_arp(*iface, a);
    (void)now;
    s.flush_devices();
    return {};
}

std::expected<void, ConfigError> Stack::remove_address(InterfaceId id, Ipv4Cidr address) {
    Impl& s = *impl_;
    auto* iface = s.find(id);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    auto it = std::ranges::find(iface->addresses, address);
    if (it == iface->addresses.end()) return std::unexpected(ConfigError::not_found);
    iface->addresses.erase(it);
    s.forget_address(id, address.address);
    // The on-link route goes with the last address of its subnet.
    const bool subnet_left = std::ranges::any_of(iface->addresses, [&](const Ipv4Cidr& c) {
        return c.prefix_len == address.prefix_len && c.network() == address.network();
    });
    if (!subnet_left) (void)s.routes.remove(Route{.destination = address, .interface = id});
    return {};
}

// --- routes ----------------------------------------------------------------------------------

std::expected<void, ConfigError> Stack::add_route(const Route& route) {
    Impl& s = *impl_;
    const auto* iface = s.find(route.interface);
    if (!iface) return std::unexpected(ConfigError::no_such_interface);
    if (route.destination.prefix_len > 32) return std::unexpected(ConfigError::invalid);
    if (route.gateway) {
        // The gateway must be a neighbour: inside one of the interface's subnets.
        const bool on_link = std::ranges::any_of(
            iface->addresses, [&](const Ipv4Cidr& c) { return c.contains(*route.gateway); });
        if (!on_link || route.gateway->is_any() || route.gateway->is_broadcast() ||
            route.gateway->is_multicast())
            return std::unexpected(ConfigError::invalid);
    }
    return s.routes.add(route);
}

std::expected<void, ConfigError> Stack::remove_route(const Route& route) {
    return impl_->routes.remove(route);
}

std::vector<Route> Stack::routes() const {
    return impl_->routes.routes();
}

std::optional<Route> Stack::lookup_route(Ipv4Address dst) const {
    return impl_->lookup_route(dst);
}

std::optional<IpAddress> Stack::source_address(const IpAddress& dst, const IpAddress& bound) const {
    // route_to only reads; it is not const because it hands out the interface to send on.
    auto route = const_cast<Impl&>(*impl_).route_to(dst, bound);
    if (!route) return std::nullopt;
    return IpAddress(route->src);
}

// --- neighbours ------------------------------------------------------------------------------

std::vector<NeighbourEntry> Stack::neighbours() const {
    return impl_->neighbours.entries();
}

void Stack::flush_neighbours(std::optional<InterfaceId> id) {
    impl_->neighbours.flush(id);
}

}  // namespace netstack
