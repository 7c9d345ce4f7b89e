#include "dgram_header.hpp"

#include <algorithm>

namespace shmifd::sockets {

namespace {
constexpr std::uint16_t family_inet = 2, family_inet6 = 10;  // Linux's AF_INET, AF_INET6

std::uint16_t swap_bytes(std::uint16_t v) {
    return static_cast<std::uint16_t>((v >> 8) | ((v & 0xff) << 8));
}
}  // namespace

netstack::Endpoint endpoint_of(const shmifsock_dgram& h) {
    netstack::Endpoint e;
    e.port = swap_bytes(h.port);
    if (h.family == family_inet6) {
        netstack::Ipv6Address a;
        std::copy(std::begin(h.addr), std::end(h.addr), a.bytes.begin());
        e.address = a;
    } else {
        e.address = netstack::Ipv4Address::from_octets(h.addr[0], h.addr[1], h.addr[2], h.addr[3]);
    }
    return e;
}

shmifsock_dgram header_of(const netstack::Endpoint& e, bool truncated) {
    shmifsock_dgram h{};
    h.port = swap_bytes(e.port);
    h.flags = truncated ? SHMIFSOCK_DGRAM_TRUNCATED : 0;
    if (e.address.is_v6()) {
        h.family = family_inet6;
        std::ranges::copy(e.address.v6().bytes, std::begin(h.addr));
    } else {
        h.family = family_inet;
        const std::uint32_t v = e.address.v4().value;
        for (int i = 0; i < 4; ++i)
            h.addr[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
    }
    return h;
}

}  // namespace shmifd::sockets
