// IPv6 fragmentation at the source (RFC 8200 4.5): only the node that originates a packet
// fragments it. Our packets carry no extension headers, so the unfragmentable part is the
// fixed header; each fragment is that header (payload length and next header rewritten), a
// Fragment header, and a piece of the original payload, a multiple of 8 bytes but the last.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "wire/bytes.hpp"

namespace netstack::ip {

// `packet` is a whole IPv6 packet (40-byte header without extension headers, then the
// payload) larger than `mtu`. Each fragment is returned as a buffer of `headroom` spare bytes
// (for the link header) followed by the fragment, at most `mtu` bytes. Empty when the MTU
// cannot carry the headers plus 8 bytes of data (an IPv6 link carries at least 1280).
std::vector<std::vector<std::byte>> fragment_ipv6(wire::Bytes packet, std::size_t mtu,
                                                  std::size_t headroom, std::uint32_t ident);

}  // namespace netstack::ip
