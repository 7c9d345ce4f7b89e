// IPv4 fragmentation on send (RFC 791 3.2 "Fragmentation", RFC 1122 3.3.2): splits a datagram
// into fragments of at most `mtu` bytes. Data per fragment is a multiple of 8 bytes (offsets
// count 8-byte units); the first fragment keeps every option, the others only those with the
// copied flag set (RFC 791 3.1 "Options"). Works on already-fragmented packets too (when
// forwarding): offsets are relative to the original and the last piece keeps its MF.
#pragma once

#include <cstddef>
#include <vector>

#include "wire/bytes.hpp"

namespace netstack::ip {

// `datagram` is a whole, valid IPv4 packet with DF clear. Each fragment is returned as a
// buffer of `headroom` spare bytes (for the link header) followed by the fragment. Empty
// when the MTU cannot carry the header plus 8 bytes of data.
std::vector<std::vector<std::byte>> fragment(wire::Bytes datagram, std::size_t mtu,
                                             std::size_t headroom);

// The options a non-first fragment carries: the copied ones, padded to 4 bytes with
// end-of-list. A malformed option ends the scan (what follows is not copied).
std::vector<std::byte> copied_options(wire::Bytes options);

}  // namespace netstack::ip
