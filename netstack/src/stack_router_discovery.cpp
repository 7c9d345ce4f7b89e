// Router discovery as a host (RFC 4861 6.3) and stateless address autoconfiguration (RFC
// 4862 5.5): Router Solicitations once the link-local address is usable, Router
// Advertisements turned into default routes, on-link prefixes, addresses formed from
// autonomous prefixes, the hop limit and the MTU; and the lifetimes that end them.
//
// Every shard reads every frame of the link, so every shard applies each advertisement the
// same way and their tables agree; shard 0 alone sends solicitations.
#include <algorithm>

#include "src/stack_impl.hpp"

namespace netstack {

using wire::NdpPrefixInfo;
using wire::NdpRepr;

namespace {

// RFC 4861 4.6.2 / RFC 4862 5.5.3: a lifetime in seconds from now; all ones is infinity.
std::optional<Instant> lifetime_end(std::uint32_t seconds, Instant now) {
    if (seconds == wire::ndp_infinite_lifetime) return std::nullopt;
    return now + std::chrono::seconds(seconds);
}

// RFC 4862 5.5.3 (e): the two hours below which a received valid lifetime may not shorten
// an address's remaining one (a spoofed advertisement cannot end it at once).
constexpr auto two_hours = std::chrono::hours(2);

// What advertisements may add to one interface: the bus is anyone's, and a flood of routers
// or prefixes must not grow the tables without end (Linux's max_addresses is 16 too).
constexpr std::size_t max_routers = 8;
constexpr std::size_t max_on_link_prefixes = 16;
constexpr std::size_t max_autoconf_addresses = 16;

// RFC 4291 2.5.1: a /64 prefix and the interface identifier the link-local address has.
Ipv6Address slaac_address(const Ipv6Address& prefix, MacAddress mac) {
    Ipv6Address a = Ipv6Address::link_local_from(mac);
    std::copy_n(prefix.bytes.begin(), 8, a.bytes.begin());
    return a;
}

}  // namespace

bool Stack::Impl::accepts_router_advertisements(const link::Interface& iface) const {
    return config.ipv6.enabled && config.ipv6.accept_ra && !config.forwarding &&
           !iface.advertiser && !iface.loopback;
}

void Stack::Impl::router_advertisement_input(link::Interface& iface, const Ipv6Address& router,
                                             const NdpRepr& ra, Instant now) {
    // RFC 4861 6.2.7: a router may note what others advertise; it configures nothing from it.
    if (!accepts_router_advertisements(iface)) {
        count_once(stats.ndp.ra_ignored);
        return;
    }
    iface.routers.next_solicitation.reset();  // 6.3.7: answered, no more solicitations
    if (ra.source_mac) learn_neighbour6(iface, router, *ra.source_mac, true, now);
    if (ra.cur_hop_limit != 0) iface.routers.hop_limit = ra.cur_hop_limit;
    // 6.3.4: an MTU below IPv6's minimum or above the link's own is ignored.
    if (ra.mtu && *ra.mtu >= wire::ipv6_min_mtu && *ra.mtu <= iface.mtu)
        iface.routers.mtu = *ra.mtu;
    // Reachable Time and Retrans Timer are left alone: the neighbour cache's timers are
    // ArpConfig's, one set for both families.
    default_router_update(iface, router, std::chrono::seconds(ra.router_lifetime), now);
    for (std::size_t i = 0; i < ra.prefix_count; ++i) {
        const NdpPrefixInfo& info = ra.prefixes[i];
        // 6.3.4 and RFC 4862 5.5.3 (b): the link-local prefix is never learnt.
        if (info.prefix.is_link_local() || info.prefix.is_multicast()) {
            count_once(stats.ndp.prefixes_ignored);
            continue;
        }
        if (info.on_link)
            on_link_prefix_update(iface, Ipv6Cidr{info.prefix, info.prefix_len},
                                  info.valid_lifetime, now);
        if (info.autonomous) autoconfigure(iface, info, now);
    }
    flush_devices();
}

void Stack::Impl::default_router_update(link::Interface& iface, const Ipv6Address& router,
                                        std::chrono::seconds lifetime, Instant now) {
    auto& list = iface.routers.routers;
    auto it = std::ranges::find_if(list, [&](const auto& r) { return r.address == router; });
    const Ipv6Route route{.destination = {Ipv6Address::any(), 0},
                          .gateway = router,
                          .interface = iface.id,
                          .metric = Stack::advertised_route_metric};
    if (lifetime.count() == 0) {  // 6.3.4: "no longer a default router"
        if (it == list.end()) return;
        (void)routes6.remove(route);
        list.erase(it);
        return;
    }
    if (it != list.end()) {
        it->expires = now + lifetime;
        return;
    }
    if (list.size() >= max_routers) {
        count_once(stats.ndp.ra_ignored);
        return;
    }
    list.push_back({.address = router, .expires = now + lifetime});
    (void)routes6.add(route);
}

void Stack::Impl::on_link_prefix_update(link::Interface& iface, const Ipv6Cidr& prefix,
                                        std::uint32_t valid_lifetime, Instant now) {
    if (prefix.prefix_len > 128) return;
    const Ipv6Cidr network{prefix.network(), prefix.prefix_len};
    auto& list = iface.routers.prefixes;
    auto it = std::ranges::find_if(list, [&](const auto& p) { return p.prefix == network; });
    const Ipv6Route route{
        .destination = network, .interface = iface.id, .metric = Stack::advertised_route_metric};
    if (valid_lifetime == 0) {  // 6.3.4: times out at once
        if (it == list.end()) return;
        (void)routes6.remove(route);
        list.erase(it);
        return;
    }
    if (it != list.end()) {
        it->expires = lifetime_end(valid_lifetime, now);
        return;
    }
    if (list.size() >= max_on_link_prefixes) {
        count_once(stats.ndp.prefixes_ignored);
        return;
    }
    list.push_back({.prefix = network, .expires = lifetime_end(valid_lifetime, now)});
    (void)routes6.add(route);
}

void Stack::Impl::autoconfigure(link::Interface& iface, const NdpPrefixInfo& info, Instant now) {
    // RFC 4862 5.5.3 (c): a preferred lifetime past the valid one is an error.
    if (info.preferred_lifetime > info.valid_lifetime) {
        count_once(stats.ndp.prefixes_ignored);
        return;
    }
    auto existing = std::ranges::find_if(iface.addresses6, [&](const Ipv6InterfaceAddress& x) {
        return x.automatic && !x.address.address.is_link_local() &&
               x.address.prefix_len == info.prefix_len &&
               Ipv6Cidr{info.prefix, info.prefix_len}.contains(x.address.address);
    });
    if (existing == iface.addresses6.end()) {
        if (info.valid_lifetime == 0) return;  // (d): nothing to form for a dead prefix
        // (d): the interface identifier is 64 bits (RFC 4291 2.5.1), so only a /64 forms one.
        const auto formed = std::ranges::count_if(iface.addresses6, [](const auto& x) {
            return x.automatic && !x.address.address.is_link_local();
        });
        if (info.prefix_len != 64 || std::size_t(formed) >= max_autoconf_addresses) {
            count_once(stats.ndp.prefixes_ignored);
            return;
        }
        Ipv6InterfaceAddress entry{
            .address = {slaac_address(info.prefix, iface.mac), 64},
            .automatic = true,
            .preferred_until = lifetime_end(info.preferred_lifetime, now),
            .valid_until = lifetime_end(info.valid_lifetime, now),
        };
        if (add_address6(iface, entry, now)) count_once(stats.ndp.slaac_addresses);
        return;
    }
    // (e): the preferred lifetime is taken as it comes; a deprecated address is preferred
    // again when the prefix is.
    existing->preferred_until = lifetime_end(info.preferred_lifetime, now);
    if (existing->state == Ipv6AddressState::deprecated && info.preferred_lifetime > 0)
        existing->state = Ipv6AddressState::preferred;
    const auto received = lifetime_end(info.valid_lifetime, now);
    const auto remaining = existing->valid_until;
    const bool received_longer = !received || (remaining && *received > *remaining);
    if (!received || *received > now + two_hours || received_longer)
        existing->valid_until = received;
    else if (remaining && *remaining <= now + two_hours)
        return;  // 5.5.3 (e) 2: left as it is
    else
        existing->valid_until = now + two_hours;
}

void Stack::Impl::router_lost(link::Interface& iface, const Ipv6Address& router) {
    default_router_update(iface, router, std::chrono::seconds(0), Instant{});
}

void Stack::Impl::send_router_solicitation(link::Interface& iface, const Ipv6Address& src) {
    // RFC 4861 6.3.7: to all routers, with our link-layer address (the source is not ::).
    const Ipv6Address dst = Ipv6Address::all_routers();
    ++stats.ndp.tx_router_solicitations;
    send_nd(iface, src, dst, dst.multicast_mac(),
            NdpRepr{.type = wire::Icmpv6Type::router_solicitation, .source_mac = iface.mac},
            Instant{});
}

void Stack::Impl::poll_router_discovery(Instant now) {
    for (auto& i : interfaces) {
        if (!i) continue;
        link::Interface& iface = *i;
        auto& rd = iface.routers;
        if (rd.next_solicitation && *rd.next_solicitation <= now) {
            const auto* source = iface.usable_link_local();
            if (rd.solicitations_sent < config.ipv6.router_solicitations && source &&
                accepts_router_advertisements(iface)) {
                if (iface.up && is_shard_zero())
                    send_router_solicitation(iface, source->address.address);
                ++rd.solicitations_sent;
                rd.next_solicitation = now + config.ipv6.router_solicitation_interval;
            } else {
                rd.next_solicitation.reset();
            }
        }
        std::erase_if(rd.routers, [&](const link::RouterDiscoveryHost::Router& r) {
            if (now < r.expires) return false;
            (void)routes6.remove(Ipv6Route{.destination = {Ipv6Address::any(), 0},
                                           .gateway = r.address,
                                           .interface = iface.id,
                                           .metric = Stack::advertised_route_metric});
            count_once(stats.ndp.routers_expired);
            return true;
        });
        std::erase_if(rd.prefixes, [&](const link::RouterDiscoveryHost::Prefix& p) {
            if (!p.expires || now < *p.expires) return false;
            (void)routes6.remove(Ipv6Route{.destination = p.prefix,
                                           .interface = iface.id,
                                           .metric = Stack::advertised_route_metric});
            count_once(stats.ndp.routers_expired);
            return true;
        });
        // RFC 4862 5.5.4: past its preferred lifetime an address is deprecated, past its
        // valid lifetime it is gone.
        std::vector<Ipv6Cidr> expired;
        for (auto& a : iface.addresses6) {
            if (a.valid_until && *a.valid_until <= now) {
                expired.push_back(a.address);
            } else if (a.preferred_until && *a.preferred_until <= now &&
                       a.state == Ipv6AddressState::preferred) {
                a.state = Ipv6AddressState::deprecated;
            }
        }
        for (const auto& cidr : expired) {
            remove_address6(iface, cidr);
            count_once(stats.ndp.addresses_expired);
        }
    }
}

std::optional<Instant> Stack::Impl::router_discovery_next() const {
    std::optional<Instant> next;
    const auto consider = [&](std::optional<Instant> at) {
        if (at && (!next || *at < *next)) next = at;
    };
    for (const auto& i : interfaces) {
        if (!i) continue;
        consider(i->routers.next_solicitation);
        for (const auto& r : i->routers.routers)
            consider(r.expires);
        for (const auto& p : i->routers.prefixes)
            consider(p.expires);
        for (const auto& a : i->addresses6) {
            consider(a.valid_until);
            if (a.state == Ipv6AddressState::preferred) consider(a.preferred_until);
        }
        if (i->advertiser) consider(i->advertiser->next);
    }
    return next;
}

}  // namespace netstack
