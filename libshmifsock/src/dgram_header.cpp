#include "dgram_header.hpp"

#include <netinet/in.h>

#include <algorithm>

#include "inet_address.hpp"

namespace shmifsock {

std::expected<shmifsock_dgram, int> header_for_destination(int domain, const sockaddr* dest,
                                                           socklen_t len) {
    shmifsock_dgram header{};
    if (dest == nullptr) return header;  // family 0: the connected peer
    // An inet6 socket's AF_UNSPEC destination is none (udpv6_sendmsg); an inet socket's is
    // AF_INET (inet_address).
    if (domain == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sa_family_t)) &&
        dest->sa_family == AF_UNSPEC)
        return header;
    const auto address = inet_address(domain, dest, len, AddressUse::send);
    if (!address) return std::unexpected(address.error());
    header.family = address->family;
    header.port = htons(address->port);
    std::ranges::copy(address->bytes, std::begin(header.addr));
    return header;
}

std::optional<InetAddress> header_address(const shmifsock_dgram& header) {
    if (header.family != AF_INET && header.family != AF_INET6) return std::nullopt;
    InetAddress address;
    address.family = header.family;
    address.port = ntohs(header.port);
    std::copy(std::begin(header.addr), std::end(header.addr), address.bytes.begin());
    return address;
}

void source_from_header(const shmifsock_dgram& header, sockaddr* src, socklen_t* len) {
    if (len == nullptr) return;
    const auto address = header_address(header);
    if (!address) {
        *len = 0;
        return;
    }
    copy_out(*address, src, len);
}

}  // namespace shmifsock
