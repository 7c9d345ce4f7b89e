// Socket addresses of both families (AF_INET, AF_INET6) as the C API takes and gives them:
// checked on the way in as Linux's inet and inet6 calls check them (man 7 ip, man 7 ipv6),
// carried as a family-tagged address the protocol can name, and copied out in the socket's
// own struct with the kernel's truncation rule.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <expected>
#include <string>

#include <nlohmann/json.hpp>

namespace shmifsock {

// An address and port of either family. An AF_INET6 socket's IPv4 peers are AF_INET6 here
// too, as ::ffff:a.b.c.d (the daemon maps them, daemon/PROTOCOL.md "IPv6 sockets").
struct InetAddress {
    sa_family_t family = AF_INET;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4, network order
    std::uint16_t port = 0;                // host order
    friend bool operator==(const InetAddress&, const InetAddress&) = default;
};

// What a call does with the address it is given: each checks it in its own way in Linux.
enum class AddressUse : std::uint8_t {
    bind,            // AF_UNSPEC counts as AF_INET on an inet socket
    connect_stream,  // TCP
    connect_dgram,   // UDP: an inet6 socket also takes a sockaddr_in (IPv4)
    send,            // UDP sendto: AF_UNSPEC counts as AF_INET on an inet socket; an inet6
                     // socket takes a sockaddr_in, refuses other families with EINVAL
};

// `addr` (of `len` bytes) for a socket of `domain` (AF_INET or AF_INET6): EFAULT when NULL,
// EINVAL when shorter than the family's sockaddr (24 bytes for sockaddr_in6: sin6_scope_id
// may be left out, as RFC 2133's struct had none), EAFNOSUPPORT for a family the socket
// cannot use. sin6_flowinfo and sin6_scope_id are ignored.
std::expected<InetAddress, int> inet_address(int domain, const sockaddr* addr, socklen_t len,
                                             AddressUse use);

// A socket's address before it has one: 0.0.0.0 or :: with port 0.
InetAddress any_address(int domain);

// Copies `from` into `out` as a sockaddr_in or sockaddr_in6 (sin6_scope_id 0): at most *len
// bytes, *len set to its full size, as getsockname(2) does. EFAULT when `len` is NULL;
// EINVAL when *len is negative.
int copy_out(const InetAddress& from, sockaddr* out, socklen_t* len);

// "10.0.0.2" or "::ffff:10.0.0.2", as the protocol writes addresses.
std::string address_text(const InetAddress& address);

// EP ({"addr": "10.0.0.2", "port": 80}) as a socket of `domain` shows it (an IPv4 address on
// an AF_INET6 socket v4-mapped); ENOTCONN when null (no address yet), EPROTO when malformed
// or an IPv6 address for an AF_INET socket.
std::expected<InetAddress, int> from_endpoint(const nlohmann::json& endpoint, int domain);

}  // namespace shmifsock
