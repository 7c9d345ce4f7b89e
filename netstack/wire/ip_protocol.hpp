// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"): IPv4's protocol field and
// IPv6's next header field share one number space, so one enum serves both. The IPv6
// extension headers are RFC 8200 4; ICMPv6 is RFC 4443.
#pragma once

#include <cstdint>

namespace netstack::wire {

enum class IpProtocol : std::uint8_t {
    hop_by_hop = 0,  // IPv6 Hop-by-Hop Options header (RFC 8200 4.3)
    icmp = 1,
    tcp = 6,
    udp = 17,
    ipv6_route = 43,  // Routing header (RFC 8200 4.4)
    ipv6_frag = 44,   // Fragment header (RFC 8200 4.5)
    icmpv6 = 58,
    ipv6_no_next = 59,    // nothing follows (RFC 8200 4.7)
    ipv6_dest_opts = 60,  // Destination Options header (RFC 8200 4.6)
};

}  // namespace netstack::wire
