#include "link/interface.hpp"

#include <algorithm>
#include <utility>

namespace netstack::link {

bool Interface::has_address(Ipv4Address a) const {
    return std::ranges::any_of(addresses, [&](const Ipv4Cidr& c) {
        if (c.address == a) return true;
        // The network and broadcast addresses of the prefix are not hosts.
        return loopback && c.contains(a) && a != c.network() &&
               !(c.has_broadcast() && a == c.directed_broadcast());
    });
}

bool Interface::is_directed_broadcast(Ipv4Address a) const {
    return std::ranges::any_of(addresses, [&](const Ipv4Cidr& c) {
        return c.has_broadcast() && c.directed_broadcast() == a;
    });
}

std::optional<Ipv4Address> Interface::source_for(Ipv4Address next_hop) const {
    if (addresses.empty()) return std::nullopt;
    for (const auto& c : addresses)
        if (c.contains(next_hop)) return c.address;
    return addresses.front().address;
}

const Ipv6InterfaceAddress* Interface::find_address6(const Ipv6Address& a) const {
    auto it = std::ranges::find_if(
        addresses6, [&](const Ipv6InterfaceAddress& x) { return x.address.address == a; });
    return it == addresses6.end() ? nullptr : &*it;
}

Ipv6InterfaceAddress* Interface::find_address6(const Ipv6Address& a) {
    return const_cast<Ipv6InterfaceAddress*>(std::as_const(*this).find_address6(a));
}

bool Interface::has_address6(const Ipv6Address& a) const {
    if (loopback && a.is_loopback()) return true;
    const auto* found = find_address6(a);
    return found && (found->state == Ipv6AddressState::preferred ||
                     found->state == Ipv6AddressState::deprecated);
}

const Ipv6InterfaceAddress* Interface::usable_link_local() const {
    auto it = std::ranges::find_if(addresses6, [](const Ipv6InterfaceAddress& x) {
        return x.address.address.is_link_local() && x.state == Ipv6AddressState::preferred;
    });
    return it == addresses6.end() ? nullptr : &*it;
}

template <typename Match>
bool Interface::any_joined_group(Match match) const {
    if (match(Ipv6Address::all_nodes())) return true;
    if (advertiser && match(Ipv6Address::all_routers())) return true;
    return std::ranges::any_of(addresses6, [&](const Ipv6InterfaceAddress& x) {
        return match(x.address.address.solicited_node());
    });
}

bool Interface::listens_to(const MacAddress& group) const {
    return any_joined_group([&](const Ipv6Address& g) { return g.multicast_mac() == group; });
}

bool Interface::joined(const Ipv6Address& group) const {
    return any_joined_group([&](const Ipv6Address& g) { return g == group; });
}

std::optional<Ipv6Address> Interface::source_for6(const Ipv6Address& dst) const {
    if (auto preferred = source_for6(dst, Ipv6AddressState::preferred)) return preferred;
    return source_for6(dst, Ipv6AddressState::deprecated);  // rule 3: the last resort
}

std::optional<Ipv6Address> Interface::source_for6(const Ipv6Address& dst,
                                                  Ipv6AddressState among) const {
    const Ipv6InterfaceAddress* link_local = nullptr;
    const Ipv6InterfaceAddress* global = nullptr;
    for (const auto& x : addresses6) {
        if (x.state != among) continue;
        if (x.address.address.is_link_local()) {
            if (!link_local) link_local = &x;
        } else if (x.address.contains(dst)) {
            global = &x;  // rule 8, longest matching prefix, cut to "on its prefix"
            break;
        } else if (!global) {
            global = &x;
        }
    }
    // Rule 2 (appropriate scope): link-local destinations and link-scope groups (ff02::/16)
    // get the link-local source.
    const bool link_scope =
        dst.is_link_local() || (dst.is_multicast() && (dst.bytes[1] & 0x0f) <= 2);
    const Ipv6InterfaceAddress* pick =
        link_scope ? (link_local ? link_local : global) : (global ? global : link_local);
    if (!pick) return std::nullopt;
    return pick->address.address;
}

InterfaceInfo Interface::info() const {
    return InterfaceInfo{.id = id,
                         .name = name,
                         .mac = mac,
                         .mtu = mtu,
                         .up = up,
                         .promiscuous = promiscuous,
                         .loopback = loopback,
                         .addresses = addresses,
                         .addresses6 = addresses6,
                         .stats = stats};
}

MacAddress derive_mac(std::uint64_t seed, std::string_view name) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the name
    for (char c : name)
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return MacAddress::local_from(seed ^ h);
}

}  // namespace netstack::link
