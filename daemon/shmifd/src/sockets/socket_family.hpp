// Where an AF_INET6 socket of the socket service meets the stack (daemon/PROTOCOL.md, "IPv6
// sockets"): as Linux's dual-stack sockets (RFC 4291 2.5.5.2, RFC 3493 3.7 and 5.3, man 7
// ipv6), an inet6 socket names its IPv4 peers ::ffff:a.b.c.d and reaches them over IPv4
// unless IPV6_V6ONLY is set. Records hold endpoints as the stack knows them; these two
// functions convert at the protocol's edges (requests and datagram headers in, replies and
// headers out).
#pragma once

#include <expected>

#include "netstack/address.hpp"
#include "sockets/socket_record.hpp"

namespace shmifd::sockets {

enum class AddressUse : std::uint8_t { bind, connect, send };

// The endpoint a client named for `use`, as the stack takes it; or the errno name Linux
// gives: EAFNOSUPPORT for a family the socket cannot use, and on a v6-only socket EINVAL
// (bind) or ENETUNREACH (connect, send) for a v4-mapped address.
std::expected<netstack::Endpoint, const char*> to_stack(SockDomain domain, bool v6_only,
                                                        const netstack::Endpoint& endpoint,
                                                        AddressUse use);

// An endpoint of the stack as the client sees it: unchanged for inet sockets; for inet6 ones
// IPv4 is v4-mapped, and IPv4's any (what a dual-stack bind to :: holds) is ::.
netstack::Endpoint to_client(SockDomain domain, const netstack::Endpoint& endpoint);

}  // namespace shmifd::sockets
