#include "link/interface.hpp"

#include <algorithm>

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

InterfaceInfo Interface::info() const {
    return InterfaceInfo{.id = id,
                         .name = name,
                         .mac = mac,
                         .mtu = mtu,
                         .up = up,
                         .promiscuous = promiscuous,
                         .loopback = loopback,
                         .addresses = addresses,
                         .stats = stats};
}

MacAddress derive_mac(std::uint64_t seed, std::string_view name) {
    std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a over the name
    for (char c : name)
        h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return MacAddress::local_from(seed ^ h);
}

}  // namespace netstack::link
