// The 24-byte header of shmifsock/wire.h (struct shmifsock_dgram) and the endpoints it
// names: in front of each UDP datagram, and as the record of a handed-off connection.
#pragma once

#include "netstack/address.hpp"
#include "shmifsock/wire.h"

namespace shmifd::sockets {

// The endpoint a header names (family 10: IPv6; anything else: IPv4 in addr[0..3]).
netstack::Endpoint endpoint_of(const shmifsock_dgram& header);

// A header naming `endpoint` as it is (callers convert with to_client first).
shmifsock_dgram header_of(const netstack::Endpoint& endpoint, bool truncated = false);

}  // namespace shmifd::sockets
