// IPv6 forwarding: what a router does with a packet sent to its MAC for someone else's address
// (RFC 8200 3 and 4.3, RFC 4443 3, RFC 4291 2.5, RFC 8201 for Packet Too Big), the IPv6 twin
// of ipv4_forward. Routers never fragment; redirects (RFC 4861 8) are not sent.
#include <algorithm>

#include "src/stack_impl.hpp"
#include "wire/icmpv6.hpp"
#include "wire/ipv6.hpp"
#include "wire/ipv6_ext.hpp"

namespace netstack {

using wire::Bytes;
using wire::Icmpv6Type;
using wire::Ipv6Repr;

void Stack::Impl::ipv6_forward(link::Interface& iface, Bytes packet, const Ipv6Repr& repr,
                               Instant now) {
    // Every shard reads the frame; the one the address pair hashes to routes it and speaks
    // for it (errors included), so each packet is handled once.
    if (!owns(forward_flow_hash(repr.src, repr.dst))) {
        ++stats.ipv6.drop_not_owner;
        return;
    }
    // RFC 4862 5.4: one of our addresses still under DAD on another link is not routed to.
    const bool tentative = std::ranges::any_of(interfaces, [&](const auto& i) {
        const auto* held = i ? i->find_address6(repr.dst) : nullptr;
        return held && held->state == Ipv6AddressState::tentative;
    });
    if (tentative) {
        ++stats.ipv6.drop_tentative;
        return;
    }
    // RFC 4291 2.5.2: :: is never a source of routed traffic; nor a destination, nor is a
    // v4-mapped address on a wire (2.5.5.2).
    if (repr.src.is_any()) {
        ++stats.ipv6.drop_bad_source;
        return;
    }
    if (repr.dst.is_any() || repr.src.is_v4_mapped() || repr.dst.is_v4_mapped()) {
        ++stats.ipv6.drop_unroutable;
        return;
    }
    const Ipv6Route* route = best_route6(repr.dst);
    link::Interface* out = route ? find(route->interface) : nullptr;
    if (out && out->loopback) out = nullptr;  // a loopback link leads nowhere but back to us
    // RFC 4291 2.5.6: nothing with a link-local source or destination leaves its link. When
    // the route would take it to another link, the sender hears why (RFC 4443 3.1 code 2);
    // a link-local destination that is not ours is a mistake on its own link, dropped.
    if (repr.src.is_link_local() || repr.dst.is_link_local()) {
        ++stats.ipv6.drop_scope;
        if (repr.src.is_link_local() && !repr.dst.is_link_local() && out && out != &iface)
            icmpv6_send_error(packet, std::uint8_t(Icmpv6Type::destination_unreachable),
                              std::uint8_t(wire::Icmpv6UnreachableCode::beyond_scope), 0, false,
                              now, &iface);
        return;
    }
    // RFC 8200 4.3: a router examines the Hop-by-Hop Options header, and only that one.
    if (auto fault =
            wire::check_ipv6_hop_by_hop(packet.subspan(wire::ipv6_header_len), repr.next_header))
        return ipv6_extension_fault(packet, repr, *fault, true, now);
    // RFC 8200 3: a packet that would leave with hop limit 0 is dropped, time exceeded sent.
    if (repr.hop_limit <= 1) {
        ++stats.ipv6.drop_hop_limit;
        icmpv6_send_error(packet, std::uint8_t(Icmpv6Type::time_exceeded),
                          std::uint8_t(wire::Icmpv6TimeExceededCode::hop_limit), 0, false, now);
        return;
    }
    if (!out) {
        ++stats.ipv6.drop_no_route;
        icmpv6_send_error(packet, std::uint8_t(Icmpv6Type::destination_unreachable),
                          std::uint8_t(wire::Icmpv6UnreachableCode::no_route), 0, false, now);
        return;
    }
    if (packet.size() > out->mtu6()) {
        // RFC 8200 5, RFC 4443 3.2: routers never fragment; the source learns the link's MTU.
        ++stats.ipv6.drop_too_big;
        icmpv6_send_error(packet, std::uint8_t(Icmpv6Type::packet_too_big), 0,
                          static_cast<std::uint32_t>(out->mtu6()), false, now);
        return;
    }
    Frame frame = copy_for_forwarding(packet);
    // No header checksum in IPv6: the hop limit is simply one less.
    wire::Ipv6View(wire::MutableBytes(frame).subspan(link_headroom))
        .set_hop_limit(static_cast<std::uint8_t>(repr.hop_limit - 1));
    ++stats.ipv6.forwarded;
    link_output(*out, route->gateway.value_or(repr.dst), std::nullopt, std::move(frame), now);
}

}  // namespace netstack
