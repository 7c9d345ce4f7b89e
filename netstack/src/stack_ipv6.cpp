// IPv6 (RFC 8200) beside IPv4: input (validation, extension headers, reassembly, local
// delivery), routing and source selection for what we originate, and output (fragmentation
// at the source, RFC 8200 4.5). Packets not addressed to us are dropped, or with
// StackConfig::forwarding routed on (stack_ipv6_forward.cpp).
#include <algorithm>

#include "ip/ipv6_fragmenter.hpp"
#include "src/stack_impl.hpp"
#include "wire/icmpv6.hpp"
#include "wire/ipv6.hpp"
#include "wire/ipv6_ext.hpp"

namespace netstack {

using wire::Bytes;
using wire::Ipv6Repr;

// --- input -----------------------------------------------------------------------------------

void Stack::Impl::ipv6_input(link::Interface& iface, const link::AcceptedFrame& frame,
                             Instant now) {
    ++stats.ipv6.rx_packets;
    auto parsed = Ipv6Repr::parse(frame.payload);
    if (!parsed) {
        ++stats.ipv6.drop_malformed;
        return;
    }
    const Ipv6Repr& repr = *parsed;
    // Ethernet may pad short packets: the payload length is the truth.
    const Bytes packet = frame.payload.first(wire::ipv6_header_len + repr.payload_len);
    // RFC 4291 2.7: a multicast source never; ::1 never from a wire (RFC 4291 2.5.3).
    if (repr.src.is_multicast() ||
        (!iface.loopback && (repr.src.is_loopback() || repr.dst.is_loopback()))) {
        ++stats.ipv6.drop_bad_source;
        return;
    }
    const bool multicast = repr.dst.is_multicast();
    if (multicast) {
        // The link-layer filter let in only groups we listen to; the IP group must be one too.
        if (!iface.joined(repr.dst)) {
            ++stats.ipv6.drop_not_for_us;
            return;
        }
    } else {
        // Weak host model (as for IPv4) for global addresses; a link-local address is ours
        // only on its own link (RFC 4291 2.5.6).
        const bool ours =
            repr.dst.is_link_local() ? iface.has_address6(repr.dst) : is_local_address6(repr.dst);
        if (!ours) {
            // RFC 4862 5.4: a tentative address receives nothing but DAD's messages, which
            // go to its solicited-node group.
            if (iface.find_address6(repr.dst)) {
                ++stats.ipv6.drop_tentative;
                return;
            }
            // As IPv4 (RFC 1812 5.3.4): only what was sent to our MAC, never what promiscuous
            // mode caught, nothing off a loopback link; groups are never routed (above).
            if (config.forwarding && frame.unicast_to_us && !iface.loopback)
                return ipv6_forward(iface, packet, repr, now);
            ++stats.ipv6.drop_not_for_us;
            return;
        }
    }
    const bool to_group = multicast || frame.header.dst.is_multicast();
    auto chain =
        wire::walk_ipv6_extensions(packet.subspan(wire::ipv6_header_len), repr.next_header);
    if (!chain) return ipv6_extension_fault(packet, repr, chain.error(), is_shard_zero(), now);
    if (chain->fragment && !chain->fragment->header.is_atomic())
        return ipv6_reassemble(iface, packet, repr, *chain, to_group, now);
    if (chain->fragment) {
        // RFC 6946: an atomic fragment is processed as a whole packet.
        chain = wire::walk_ipv6_extensions(chain->payload, chain->protocol, chain->payload_at,
                                           chain->protocol_at);
        if (!chain) return ipv6_extension_fault(packet, repr, chain.error(), is_shard_zero(), now);
    }
    ipv6_deliver(iface, packet, repr, *chain, to_group, now);
}

void Stack::Impl::ipv6_extension_fault(Bytes packet, const Ipv6Repr& repr,
                                       const wire::Ipv6ExtFault& fault, bool answer, Instant now) {
    ++stats.ipv6.drop_bad_extension;
    const auto code = fault.parameter_problem_code(repr.dst.is_multicast());
    if (code && answer)
        icmpv6_send_error(packet, std::uint8_t(wire::Icmpv6Type::parameter_problem), *code,
                          static_cast<std::uint32_t>(fault.pointer), false, now);
}

void Stack::Impl::ipv6_deliver(link::Interface& iface, Bytes packet, const Ipv6Repr& repr,
                               const wire::Ipv6Chain& chain, bool to_group, Instant now) {
    const InboundPacket in{.packet = packet,
                           .payload = chain.payload,
                           .src = repr.src,
                           .dst = repr.dst,
                           .to_broadcast = to_group};
    switch (wire::IpProtocol(chain.protocol)) {
        case wire::IpProtocol::icmpv6:
            ++stats.ipv6.rx_delivered;
            return icmpv6_input(iface, in, repr.hop_limit, now);
        case wire::IpProtocol::udp:
            ++stats.ipv6.rx_delivered;
            return udp_input(iface, in, now);
        case wire::IpProtocol::tcp:
            ++stats.ipv6.rx_delivered;
            return tcp_input(iface, in, now);
        case wire::IpProtocol::ipv6_no_next:  // RFC 8200 4.7: nothing to deliver
            ++stats.ipv6.rx_delivered;
            return;
        default:
            ++stats.ipv6.drop_unknown_protocol;
            // RFC 8200 4: parameter problem, code 1, pointing at the next header byte. Every
            // shard sees the packet; shard 0 speaks for the stack.
            if (is_shard_zero())
                icmpv6_send_error(packet, std::uint8_t(wire::Icmpv6Type::parameter_problem),
                                  std::uint8_t(wire::Icmpv6ParamProblemCode::next_header),
                                  static_cast<std::uint32_t>(chain.protocol_at), to_group, now);
            return;
    }
}

void Stack::Impl::ipv6_reassemble(link::Interface& iface, Bytes packet, const Ipv6Repr& repr,
                                  const wire::Ipv6Chain& chain, bool to_group, Instant now) {
    const wire::Ipv6FragmentAt& at = *chain.fragment;
    auto result = reassembler6.add({.src = repr.src,
                                    .dst = repr.dst,
                                    .ident = at.header.ident,
                                    .offset = at.header.offset,
                                    .more = at.header.more_fragments,
                                    .next_header = at.header.next_header,
                                    .unfragmentable = packet.first(at.header_at),
                                    .next_header_at = at.next_header_at,
                                    .data = chain.payload},
                                   now, to_group);
    if (!result) {
        // RFC 8200 4.5: parameter problem, code 0, at the payload length (a fragment that is
        // not a multiple of 8 bytes) or at the fragment offset (past 65,535 bytes).
        const std::size_t pointer =
            result.error() == ip::Ipv6Reassembler::Error::bad_length ? 4 : at.header_at + 2;
        if (is_shard_zero())
            icmpv6_send_error(packet, std::uint8_t(wire::Icmpv6Type::parameter_problem),
                              std::uint8_t(wire::Icmpv6ParamProblemCode::header_field),
                              static_cast<std::uint32_t>(pointer), to_group, now);
        return;
    }
    if (!*result) return;  // held, or dropped and counted
    const std::vector<std::byte>& whole = **result;
    auto parsed = Ipv6Repr::parse(whole);
    if (!parsed) return;  // cannot happen: the reassembler emits a valid header
    auto inner = wire::walk_ipv6_extensions(Bytes(whole).subspan(wire::ipv6_header_len),
                                            parsed->next_header);
    if (!inner) return ipv6_extension_fault(whole, *parsed, inner.error(), is_shard_zero(), now);
    if (inner->fragment) {  // a Fragment header inside a fragmented packet: nonsense
        ++stats.ipv6.drop_bad_extension;
        return;
    }
    ipv6_deliver(iface, whole, *parsed, *inner, to_group, now);
}

// --- routing and source selection ------------------------------------------------------------

std::expected<OutRoute, SocketError> Stack::Impl::route_to(const IpAddress& dst,
                                                           const IpAddress& bound) {
    // A wildcard of either family lets the route choose (a dual-stack socket bound to ::
    // sends IPv4 too); a specific address must be of the destination's family.
    if (!bound.is_any() && dst.family() != bound.family())
        return std::unexpected(SocketError::invalid);
    if (dst.is_v4()) return route_to(dst.v4(), bound.is_any() ? Ipv4Address::any() : bound.v4());
    return route_to6(dst.v6(), bound.is_any() ? Ipv6Address::any() : bound.v6());
}

std::expected<OutRoute, SocketError> Stack::Impl::route_to6(const Ipv6Address& dst,
                                                            const Ipv6Address& bound) {
    // Runs for every packet we originate or answer. One object on every path, so that it is
    // built in the caller's place: copying a freshly written OutRoute (17-byte addresses,
    // written piecewise, read back as 16-byte words) stalls on store forwarding.
    std::expected<OutRoute, SocketError> out{std::in_place};
    if (auto filled = fill_route6(*out, dst, bound); !filled) out = std::unexpected(filled.error());
    return out;
}

std::expected<void, SocketError> Stack::Impl::fill_route6(OutRoute& out, const Ipv6Address& dst,
                                                          const Ipv6Address& bound) {
    // One walk of the interfaces per address and the route by pointer: no optional copies.
    const bool any_source = bound.is_any();
    if (!any_source && !is_local_address6(bound))
        return std::unexpected(SocketError::address_not_available);
    link::Interface* owner = dst.is_loopback() ? nullptr : interface_with_address6(dst);
    if (owner || dst.is_loopback()) {
        if (dst.is_loopback()) owner = up_loopback();
        if (!owner || !owner->up) return std::unexpected(SocketError::no_route);
        const Ipv6Address& src = any_source ? dst : bound;
        // As for IPv4: through the loopback link when there is one, so that the shard that
        // owns the flow gets it; else straight into this stack.
        if (link::Interface* lo = up_loopback())
            out = OutRoute{.iface = lo, .next_hop = dst, .src = src, .link_dst = lo->mac};
        else
            out = OutRoute{.iface = owner, .next_hop = dst, .src = src, .local = true};
        return {};
    }
    link::Interface* iface = nullptr;
    const Ipv6Address* next_hop = &dst;
    if (dst.is_multicast()) {
        // No multicast routing: a group leaves by the bound address's link, else the first
        // link with IPv6.
        if (!any_source) iface = interface_with_address6(bound);
        for (auto& i : interfaces)
            if (!iface && i && i->up && !i->loopback && !i->addresses6.empty()) iface = i.get();
    } else if (const Ipv6Route* route = best_route6(dst)) {
        iface = find(route->interface);
        if (route->gateway) next_hop = &*route->gateway;
    }
    if (!iface || !iface->up || iface->loopback) return std::unexpected(SocketError::no_route);
    out.iface = iface;
    out.next_hop = *next_hop;
    if (dst.is_multicast()) out.link_dst = dst.multicast_mac();
    if (!any_source) {
        out.src = bound;
    } else {
        auto src = iface->source_for6(dst);
        if (!src) return std::unexpected(SocketError::address_not_available);
        out.src = *src;
    }
    return {};
}

// --- output ----------------------------------------------------------------------------------

Frame Stack::Impl::make_frame_for(IpFamily family, std::size_t payload_len) {
    return family == IpFamily::v4 ? make_frame(payload_len) : make_frame6(payload_len);
}

std::size_t Stack::Impl::payload_offset_for(IpFamily family) {
    return family == IpFamily::v4 ? payload_offset : payload_offset6;
}

std::expected<void, SocketError> Stack::Impl::ip_output(const OutRoute& route, const IpAddress& dst,
                                                        wire::IpProtocol protocol,
                                                        std::size_t payload_len, Frame&& frame,
                                                        Instant now, bool dont_fragment) {
    if (dst.is_v4())
        return ipv4_output(route,
                           wire::Ipv4Repr{.dst = dst.v4(),
                                          .protocol = std::uint8_t(protocol),
                                          .ttl = config.default_ttl,
                                          .dont_fragment = dont_fragment,
                                          .payload_len = payload_len},
                           std::move(frame), now);
    // IPv6 has no DF: only the source fragments, and TCP sizes its segments to the MTU.
    if (dont_fragment && payload_len + wire::ipv6_header_len > route.iface->mtu6() && !route.local)
        return std::unexpected(SocketError::message_too_big);
    return ipv6_output(route,
                       wire::Ipv6Repr{.dst = dst.v6(),
                                      .next_header = std::uint8_t(protocol),
                                      .hop_limit = hop_limit6(*route.iface),
                                      .payload_len = payload_len},
                       std::move(frame), now);
}

std::expected<void, SocketError> Stack::Impl::ipv6_output(const OutRoute& route, Ipv6Repr repr,
                                                          Frame&& frame, Instant now) {
    repr.src = route.src.v6();
    auto ip = wire::MutableBytes(frame).subspan(link_headroom);
    repr.emit(ip);
    if (route.local) {
        ++stats.ipv6.tx_packets;
        ++stats.ipv6.rx_packets;
        auto chain =
            wire::walk_ipv6_extensions(Bytes(ip).subspan(wire::ipv6_header_len), repr.next_header);
        if (chain) ipv6_deliver(*route.iface, ip, repr, *chain, false, now);
        return {};
    }
    ++stats.ipv6.tx_packets;
    if (ip.size() <= route.iface->mtu6()) {
        link_output(*route.iface, route.next_hop, route.link_dst, std::move(frame), now);
        return {};
    }
    return ipv6_fragment_output(route, std::move(frame), now);
}

std::expected<void, SocketError> Stack::Impl::ipv6_fragment_output(const OutRoute& route,
                                                                   Frame&& frame, Instant now) {
    auto fragments = ip::fragment_ipv6(Bytes(frame).subspan(link_headroom), route.iface->mtu6(),
                                       link_headroom, allocate_ident6());
    if (fragments.empty()) return std::unexpected(SocketError::message_too_big);
    for (Frame& f : fragments) {
        ++stats.ipv6.fragments_sent;
        link_output(*route.iface, route.next_hop, route.link_dst, std::move(f), now);
    }
    return {};
}

std::uint32_t Stack::Impl::allocate_ident6() {
    // As allocate_ident: shards never reuse each other's identifications.
    const std::uint32_t count = std::max<std::uint32_t>(config.shard.count, 1);
    return next_ident6++ * count + config.shard.index;
}

}  // namespace netstack
