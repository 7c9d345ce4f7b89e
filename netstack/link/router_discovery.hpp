// The per-interface state of router discovery (RFC 4861 6): as a host, the solicitations we
// send and what advertisements taught us (RFC 4861 5.1's default router and prefix lists);
// as a router, the advertisements we send. The stack keeps one of each in every Interface.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "netstack/address.hpp"
#include "netstack/stack.hpp"

namespace netstack::link {

struct RouterDiscoveryHost {
    // RFC 4861 6.3.7: solicitations left to send and when the next is due (none: not
    // soliciting). Armed when the link-local address becomes usable.
    std::uint32_t solicitations_sent = 0;
    std::optional<Instant> next_solicitation{};

    // A default router (RFC 4861 6.3.4: "Router Lifetime"): its route ::/0 is in the table
    // while it lives.
    struct Router {
        Ipv6Address address{};
        Instant expires{};
    };
    std::vector<Router> routers;
    // An on-link prefix (the L flag): its route is in the table while it lives (none:
    // infinite).
    struct Prefix {
        Ipv6Cidr prefix{};
        std::optional<Instant> expires{};
    };
    std::vector<Prefix> prefixes;

    std::uint8_t hop_limit = 0;  // Cur Hop Limit of the last advertisement; 0: ours
    std::size_t mtu = 0;         // the MTU option, within 1280..link MTU; 0: the link's
};

struct RouterAdvertiser {
    RouterAdvertConfig config{};
    std::uint32_t sent = 0;              // unsolicited advertisements so far
    std::optional<Instant> next{};       // the next one (none: waiting for the link-local)
    std::optional<Instant> last_sent{};  // RFC 4861 6.2.6 MIN_DELAY_BETWEEN_RAS
};

}  // namespace netstack::link
