// The 24-byte header in front of each datagram on a UDP descriptor (shmifsock/wire.h): built
// from the destination a sender names, read back into the source a receiver is given.
#pragma once

#include <sys/socket.h>

#include <expected>
#include <optional>

#include "inet_address.hpp"

#include "shmifsock/wire.h"

namespace shmifsock {

// The header for a datagram to `dest` (NULL: the connected peer) from a socket of `domain`
// (AF_INET, AF_INET6); errno as Linux's UDP sendto would give for a bad address.
std::expected<shmifsock_dgram, int> header_for_destination(int domain, const sockaddr* dest,
                                                           socklen_t len);

// The address a header names (family 2 or 10; none for any other).
std::optional<InetAddress> header_address(const shmifsock_dgram& header);

// The source a header names (family 2 or 10), copied into `src` as recvfrom(2) does (*len 0
// when the header names none). Nothing happens when `len` is NULL.
void source_from_header(const shmifsock_dgram& header, sockaddr* src, socklen_t* len);

}  // namespace shmifsock
