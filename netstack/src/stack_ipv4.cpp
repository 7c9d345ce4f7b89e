// IPv4 (RFC 791, host rules of RFC 1122 3.2.1/3.3, forwarding rules of RFC 1812 5).
#include <algorithm>

#include "ip/fragmenter.hpp"
#include "src/stack_impl.hpp"
#include "wire/checksum.hpp"
#include "wire/icmp.hpp"

namespace netstack {

using wire::Bytes;
using wire::Ipv4Error;
using wire::Ipv4Repr;
using wire::Ipv4View;

namespace {

// RFC 1112 6.4: the Ethernet group address of an IPv4 multicast address.
MacAddress multicast_mac(Ipv4Address a) {
    return {{0x01, 0x00, 0x5e, static_cast<std::uint8_t>((a.value >> 16) & 0x7f),
             static_cast<std::uint8_t>(a.value >> 8), static_cast<std::uint8_t>(a.value)}};
}

InboundPacket inbound(Bytes datagram, const Ipv4Repr& repr, bool to_broadcast) {
    return {.packet = datagram,
            .payload = Ipv4View(datagram).payload(),
            .src = repr.src,
            .dst = repr.dst,
            .to_broadcast = to_broadcast};
}

}  // namespace

void Stack::Impl::ipv4_input(link::Interface& iface, const link::AcceptedFrame& frame,
                             Instant now) {
    ++stats.ipv4.rx_packets;
    auto parsed = Ipv4Repr::parse(frame.payload);
    if (!parsed) {
        switch (parsed.error()) {
            case Ipv4Error::short_header:
                ++stats.ipv4.drop_short;
                break;
            case Ipv4Error::bad_version:
                ++stats.ipv4.drop_bad_version;
                break;
            case Ipv4Error::bad_header_len:
                ++stats.ipv4.drop_bad_header_len;
                break;
            case Ipv4Error::bad_total_len:
                ++stats.ipv4.drop_bad_total_len;
                break;
            case Ipv4Error::bad_checksum:
                ++stats.ipv4.drop_bad_checksum;
                break;
        }
        return;
    }
    const Ipv4Repr& repr = *parsed;
    // Ethernet may pad short packets: the IP total length is the truth (RFC 894).
    const Bytes packet =
        frame.payload.first(Ipv4View(frame.payload).header_len() + repr.payload_len);
    // RFC 1122 3.2.1.3: a source must be a host address.
    if (repr.src.is_broadcast() || repr.src.is_multicast() ||
        iface.is_directed_broadcast(repr.src)) {
        ++stats.ipv4.drop_bad_source;
        return;
    }
    // RFC 1122 3.2.1.3 (g): 127/8 "MUST NOT appear outside a host"; from a wire it is a
    // martian (an attempt to reach our loopback-only services from outside).
    if (!iface.loopback && (repr.src.is_loopback() || repr.dst.is_loopback())) {
        ++stats.ipv4.drop_martian;
        return;
    }
    const bool broadcast = repr.dst.is_broadcast() || iface.is_directed_broadcast(repr.dst);
    // Weak host model (RFC 1122 3.3.4.2): any of our addresses on any interface.
    const bool local = is_local_address(repr.dst);
    const bool link_group = frame.header.dst.is_multicast();
    // Promiscuous mode hands us frames for any MAC; IP keeps those addressed to us.
    if (local || broadcast) {
        // RFC 1122 3.2.2: nothing sent to a broadcast, IP or link-layer, draws an ICMP error.
        const bool no_errors = broadcast || link_group;
        if (!repr.is_fragment()) return ipv4_deliver(iface, packet, repr, no_errors, now);
        auto datagram = reassembler.add(packet, repr, now, no_errors);
        if (!datagram) return;
        auto whole = Ipv4Repr::parse(*datagram);
        if (!whole) return;  // cannot happen: the reassembler emits a valid header
        return ipv4_deliver(iface, *datagram, *whole, no_errors, now);
    }
    // RFC 1812 5.3.4: only packets sent to our MAC are forwarded, never link broadcasts or
    // what promiscuous mode caught; no multicast routing; nothing off a loopback link.
    if (config.forwarding && frame.unicast_to_us && !iface.loopback && !repr.dst.is_multicast() &&
        !broadcast && !repr.dst.is_any())
        return ipv4_forward(packet, repr, now);
    ++stats.ipv4.drop_not_for_us;
}

void Stack::Impl::ipv4_deliver(link::Interface& iface, Bytes datagram, const Ipv4Repr& repr,
                               bool to_broadcast, Instant now) {
    switch (wire::IpProtocol(repr.protocol)) {
        case wire::IpProtocol::icmp:
            ++stats.ipv4.rx_delivered;
            return icmp_input(iface, datagram, repr, to_broadcast, now);
        case wire::IpProtocol::udp:
            ++stats.ipv4.rx_delivered;
            return udp_input(iface, inbound(datagram, repr, to_broadcast), now);
        case wire::IpProtocol::tcp:
            ++stats.ipv4.rx_delivered;
            return tcp_input(iface, inbound(datagram, repr, to_broadcast), now);
        default:
            ++stats.ipv4.drop_unknown_protocol;
            // RFC 1122 3.2.2.1: protocol unreachable. Every shard sees the packet; shard 0
            // speaks for the stack.
            if (is_shard_zero())
                icmp_send_error(datagram, std::uint8_t(wire::IcmpType::destination_unreachable),
                                std::uint8_t(wire::UnreachableCode::protocol), 0, to_broadcast,
                                now);
            return;
    }
}

void Stack::Impl::ipv4_forward(Bytes packet, const Ipv4Repr& repr, Instant now) {
    using wire::IcmpType;
    if (!owns(forward_flow_hash(repr.src, repr.dst))) {
        ++stats.ipv4.drop_not_owner;
        return;
    }
    // RFC 1812 5.3.1: a packet that would leave with TTL 0 is dropped with time exceeded.
    if (repr.ttl <= 1) {
        ++stats.ipv4.drop_ttl_exceeded;
        icmp_send_error(packet, std::uint8_t(IcmpType::time_exceeded),
                        std::uint8_t(wire::TimeExceededCode::ttl), 0, false, now);
        return;
    }
    auto route = lookup_route(repr.dst);
    link::Interface* out = route ? find(route->interface) : nullptr;
    if (!out || out->loopback) {  // a loopback link leads nowhere but back to us
        ++stats.ipv4.drop_no_route;
        icmp_send_error(packet, std::uint8_t(IcmpType::destination_unreachable),
                        std::uint8_t(wire::UnreachableCode::net), 0, false, now);
        return;
    }
    if (out->is_directed_broadcast(repr.dst)) {  // RFC 2644: no directed broadcast forwarding
        ++stats.ipv4.drop_not_for_us;
        return;
    }
    if (packet.size() > out->mtu && repr.dont_fragment) {
        // RFC 1191 4: fragmentation needed, with the next-hop MTU in the low 16 bits.
        ++stats.ipv4.drop_df_too_big;
        icmp_send_error(packet, std::uint8_t(IcmpType::destination_unreachable),
                        std::uint8_t(wire::UnreachableCode::fragmentation_needed),
                        static_cast<std::uint32_t>(std::min<std::size_t>(out->mtu, 0xffff)), false,
                        now);
        return;
    }
    Frame frame = copy_for_forwarding(packet);
    auto ip = wire::MutableBytes(frame).subspan(link_headroom);
    // Decrement TTL and patch the checksum incrementally (RFC 1624); the TTL shares its
    // 16-bit word with the protocol.
    const auto old_word = static_cast<std::uint16_t>(repr.ttl << 8 | repr.protocol);
    const auto new_word = static_cast<std::uint16_t>((repr.ttl - 1) << 8 | repr.protocol);
    Ipv4View view(ip);
    view.set_ttl(static_cast<std::uint8_t>(repr.ttl - 1));
    view.set_checksum(wire::checksum_update(view.checksum(), old_word, new_word));

    const Ipv4Address next_hop = route->gateway.value_or(repr.dst);
    ++stats.ipv4.forwarded;
    ipv4_transmit(*out, next_hop, std::nullopt, std::move(frame), now);
}

std::expected<OutRoute, SocketError> Stack::Impl::route_to(Ipv4Address dst, Ipv4Address bound) {
    if (is_local_address(dst) || dst.is_loopback()) {
        link::Interface* owner = interface_with_address(dst);
        // 127/8 lives only on a loopback interface that is up (Linux: ENETUNREACH when down).
        if (!owner || (owner->loopback && !owner->up))
            return std::unexpected(SocketError::no_route);
        const Ipv4Address src = bound.is_any() ? dst : bound;
        // Through the loopback link when there is one: every shard reads it, so the shard
        // that owns the flow gets it; else straight into this stack.
        if (link::Interface* lo = up_loopback())
            return OutRoute{.iface = lo, .next_hop = dst, .src = src, .link_dst = lo->mac};
        return OutRoute{.iface = owner, .next_hop = dst, .src = src, .local = true};
    }
    // The route picks the interface (even when the source is an address of another one:
    // weak host model, RFC 1122 3.3.4.2); the limited broadcast needs no route and leaves by
    // the interface of the bound address, else the first interface with an address.
    const auto route = dst.is_broadcast() ? std::nullopt : lookup_route(dst);
    link::Interface* iface = route ? find(route->interface) : nullptr;
    if (dst.is_broadcast()) {
        if (!bound.is_any()) iface = interface_with_address(bound);
        for (auto& i : interfaces)
            if (!iface && i && i->up && !i->loopback && !i->addresses.empty()) iface = i.get();
    }
    // A loopback link carries only what is ours (handled above) and broadcasts from its
    // own addresses.
    if (!iface || !iface->up || (iface->loopback && !dst.is_broadcast()))
        return std::unexpected(SocketError::no_route);
    // Linux refuses a loopback source off a loopback link (EINVAL): nobody could answer it.
    if (bound.is_loopback() && !iface->loopback) return std::unexpected(SocketError::invalid);
    OutRoute out{.iface = iface, .next_hop = route ? route->gateway.value_or(dst) : dst};
    if (dst.is_broadcast() || iface->is_directed_broadcast(dst))
        out.link_dst = MacAddress::broadcast();
    else if (dst.is_multicast())
        out.link_dst = multicast_mac(dst);
    if (!bound.is_any()) {
        out.src = bound;
    } else {
        auto src = iface->source_for(out.next_hop.v4());
        if (!src) return std::unexpected(SocketError::no_route);
        out.src = *src;
    }
    return out;
}

std::uint16_t Stack::Impl::allocate_ident() {
    // Identifiers step by the shard count, so shards sharing addresses never reuse each
    // other's (RFC 791: unique per source, destination and protocol while in flight).
    const std::uint32_t count = std::max<std::uint32_t>(config.shard.count, 1);
    return static_cast<std::uint16_t>(next_ident++ * count + config.shard.index);
}

std::expected<void, SocketError> Stack::Impl::ipv4_output(const OutRoute& route, Ipv4Repr repr,
                                                          Frame&& frame, Instant now) {
    repr.src = route.src.v4();
    repr.ident = allocate_ident();
    auto ip = wire::MutableBytes(frame).subspan(link_headroom);
    repr.emit(ip);
    if (route.local) {
        // To ourselves: no link involved (RFC 1122 3.3.4.2 weak host; loopback semantics).
        ++stats.ipv4.tx_packets;
        ++stats.ipv4.rx_packets;
        ipv4_deliver(*route.iface, ip, repr, false, now);
        return {};
    }
    if (ip.size() > route.iface->mtu && repr.dont_fragment)
        return std::unexpected(SocketError::message_too_big);
    ++stats.ipv4.tx_packets;
    ipv4_transmit(*route.iface, route.next_hop.v4(), route.link_dst, std::move(frame), now);
    return {};
}

bool Stack::Impl::ipv4_transmit(link::Interface& iface, Ipv4Address next_hop,
                                std::optional<MacAddress> link_dst, Frame&& frame, Instant now) {
    const Bytes ip = Bytes(frame).subspan(link_headroom);
    if (ip.size() <= iface.mtu) {
        link_output(iface, next_hop, link_dst, std::move(frame), now);
        return true;
    }
    if (Ipv4View(ip).dont_fragment()) return false;
    auto fragments = ip::fragment(ip, iface.mtu, link_headroom);
    for (Frame& f : fragments) {
        ++stats.ipv4.fragments_sent;
        link_output(iface, next_hop, link_dst, std::move(f), now);
    }
    return true;
}

}  // namespace netstack
