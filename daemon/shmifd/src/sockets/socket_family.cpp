#include "sockets/socket_family.hpp"

namespace shmifd::sockets {

std::expected<netstack::Endpoint, const char*> to_stack(SockDomain domain, bool v6_only,
                                                        const netstack::Endpoint& endpoint,
                                                        AddressUse use) {
    const auto& address = endpoint.address;
    if (domain == SockDomain::inet) {
        if (address.is_v6()) return std::unexpected("EAFNOSUPPORT");
        return endpoint;
    }
    if (address.is_v4()) {
        // A sockaddr_in on an inet6 socket: Linux takes it for UDP connect and send (as IPv4),
        // never for bind (libshmifsock refuses the rest before asking).
        if (use == AddressUse::bind) return std::unexpected("EAFNOSUPPORT");
        if (v6_only)
            return std::unexpected(use == AddressUse::send ? "ENETUNREACH" : "EAFNOSUPPORT");
        return endpoint;
    }
    if (address.v6().is_v4_mapped()) {
        if (v6_only) return std::unexpected(use == AddressUse::bind ? "EINVAL" : "ENETUNREACH");
        return netstack::Endpoint{address.v6().embedded_v4(), endpoint.port};
    }
    // Native IPv6. A bind to :: is the stack's dual-stack wildcard (netstack::binding_accepts),
    // or IPv6 only when the stack's socket is told IPV6_V6ONLY (udp_set_v6_only,
    // TcpSocketOptions::v6_only).
    return endpoint;
}

netstack::Endpoint to_client(SockDomain domain, const netstack::Endpoint& endpoint) {
    if (domain == SockDomain::inet || endpoint.address.is_v6()) return endpoint;
    if (endpoint.address.is_any()) return {netstack::Ipv6Address::any(), endpoint.port};
    return {netstack::Ipv6Address::v4_mapped(endpoint.address.v4()), endpoint.port};
}

}  // namespace shmifd::sockets
