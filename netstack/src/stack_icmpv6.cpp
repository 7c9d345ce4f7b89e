// ICMPv6 (RFC 4443): echo, errors sent (rate limited, never about an error or to a group,
// 2.4 (e)) and received (passed to the UDP, TCP or ping socket that sent the quoted packet);
// Neighbor Discovery's messages go on to stack_ndp.cpp.
#include <algorithm>

#include "src/stack_impl.hpp"
#include "wire/icmpv6.hpp"
#include "wire/ip_protocol.hpp"
#include "wire/ipv6.hpp"
#include "wire/ipv6_ext.hpp"

namespace netstack {

using wire::Bytes;
using wire::Icmpv6Repr;
using wire::Icmpv6Type;

namespace {
// RFC 4443 2.4 (c): an error quotes as much of the offending packet as fits in the minimum
// MTU with the error's own IPv6 and ICMPv6 headers.
constexpr std::size_t max_quoted =
    wire::ipv6_min_mtu - wire::ipv6_header_len - wire::icmpv6_header_len;
// An error about our packet must quote the transport's first 8 bytes: its ports (and TCP's
// sequence number, RFC 5927), or the echo's identifier.
constexpr std::size_t quoted_transport_len = 8;
}  // namespace

Frame Stack::Impl::make_frame6(std::size_t payload_len) {
    return Frame(link_headroom + wire::ipv6_header_len + payload_len);
}

std::expected<void, SocketError> Stack::Impl::icmpv6_output(const OutRoute& route,
                                                            const Ipv6Address& dst,
                                                            const Icmpv6Repr& message,
                                                            std::uint8_t hop_limit, Instant now) {
    Frame frame = make_frame6(message.buffer_len());
    message.emit(wire::MutableBytes(frame).subspan(payload_offset6), route.src.v6(), dst);
    return ipv6_output(route,
                       wire::Ipv6Repr{.dst = dst,
                                      .next_header = std::uint8_t(wire::IpProtocol::icmpv6),
                                      .hop_limit = hop_limit,
                                      .payload_len = message.buffer_len()},
                       std::move(frame), now);
}

std::expected<void, SocketError> Stack::Impl::icmpv6_send_echo(const OutRoute& route,
                                                               const Ipv6Address& to,
                                                               std::uint16_t id, std::uint16_t seq,
                                                               Bytes payload, Instant now) {
    ++stats.icmpv6.tx_echo_requests;
    return icmpv6_output(route, to,
                         Icmpv6Repr{.type = std::uint8_t(Icmpv6Type::echo_request),
                                    .rest = Icmpv6Repr::echo_rest(id, seq),
                                    .data = payload},
                         hop_limit6(*route.iface), now);
}

void Stack::Impl::icmpv6_input(link::Interface& iface, const InboundPacket& in,
                               std::uint8_t hop_limit, Instant now) {
    auto parsed = Icmpv6Repr::parse(in.payload, in.src.v6(), in.dst.v6());
    if (!parsed) {
        ++stats.icmpv6.drop_malformed;
        return;
    }
    const Icmpv6Repr& icmp = *parsed;
    switch (Icmpv6Type(icmp.type)) {
        case Icmpv6Type::echo_request: {
            if (!is_shard_zero()) {  // shard 0 answers pings for the stack, as for IPv4
                ++stats.ipv6.drop_not_owner;
                return;
            }
            ++stats.icmpv6.rx_echo_requests;
            if (in.src.is_any()) {  // nobody to answer
                ++stats.ipv6.drop_bad_source;
                return;
            }
            if (!icmp_bucket.take(now)) {
                ++stats.icmpv6.drop_rate_limited;
                return;
            }
            // RFC 4443 4.2: from the address asked, or for a group, one of ours on the link.
            const IpAddress bound = in.dst.is_multicast() ? IpAddress(Ipv6Address::any()) : in.dst;
            auto route = route_to(in.src, bound);
            if (!route) {
                ++stats.ipv6.drop_no_route;
                return;
            }
            ++stats.icmpv6.tx_echo_replies;
            (void)icmpv6_output(*route, in.src.v6(),
                                Icmpv6Repr{.type = std::uint8_t(Icmpv6Type::echo_reply),
                                           .rest = icmp.rest,
                                           .data = icmp.data},
                                hop_limit6(*route->iface), now);
            return;
        }
        case Icmpv6Type::echo_reply:
            switch (echo_reply_input(in.src, icmp.echo_id(), icmp.echo_seq(), icmp.data, hop_limit,
                                     now)) {
                case EchoDelivery::not_owner:
                    ++stats.ipv6.drop_not_owner;
                    return;
                case EchoDelivery::no_socket:
                case EchoDelivery::queue_full:
                case EchoDelivery::delivered:
                    ++stats.icmpv6.rx_echo_replies;
                    return;
            }
            return;
        case Icmpv6Type::neighbor_solicitation:
        case Icmpv6Type::neighbor_advertisement:
        case Icmpv6Type::router_solicitation:
        case Icmpv6Type::router_advertisement:
        case Icmpv6Type::redirect:
            return ndp_input(iface, in, hop_limit, icmp, now);
        default:
            break;
    }
    if (icmp.is_error()) {
        ++stats.icmpv6.rx_errors;
        return icmpv6_error_input(in.src.v6(), icmp.type, icmp.code, icmp.rest, icmp.data, now);
    }
    ++stats.icmpv6.drop_unknown_type;  // RFC 4443 2.4 (b): unknown informational: dropped
}

void Stack::Impl::icmpv6_error_input(const Ipv6Address& from, std::uint8_t type, std::uint8_t code,
                                     std::uint32_t rest, Bytes quoted, Instant now) {
    // The quoted packet is one we sent (RFC 4443 2.4 (d)): its source is us, and the first 8
    // bytes after its extension headers name the socket. The quote is cut at 1280 bytes, so
    // its payload length is not checked; a first fragment carries the ports too.
    const wire::Ipv6View original(quoted);
    if (!original.check_len() || original.version() != 6) {
        ++stats.icmpv6.drop_malformed;
        return;
    }
    auto chain =
        wire::walk_ipv6_extensions(quoted.subspan(wire::ipv6_header_len), original.next_header());
    if (chain && chain->fragment) {
        if (chain->fragment->header.offset != 0) return;  // no transport header quoted
        chain = wire::walk_ipv6_extensions(chain->payload, chain->protocol, chain->payload_at,
                                           chain->protocol_at);
    }
    if (!chain || chain->fragment || chain->payload.size() < quoted_transport_len) {
        ++stats.icmpv6.drop_malformed;
        return;
    }
    const Bytes data = chain->payload;
    const IpAddress src(original.src()), dst(original.dst());
    const IcmpError error{.from = IpAddress(from), .type = type, .code = code};
    QuotedSocket told = QuotedSocket::none;
    switch (wire::IpProtocol(chain->protocol)) {
        case wire::IpProtocol::tcp: {
            // RFC 5461, with Linux's icmpv6_err_convert for which unreachable is hard.
            TcpIcmpNews news;
            switch (Icmpv6Type(type)) {
                case Icmpv6Type::packet_too_big:
                    news.mtu = rest;
                    break;
                case Icmpv6Type::destination_unreachable:
                    news.hard = code == std::uint8_t(wire::Icmpv6UnreachableCode::port);
                    if (news.hard) news.error = SocketError::connection_refused;
                    break;
                case Icmpv6Type::time_exceeded:
                    break;  // soft: the path may come back
                default:
                    return;  // a parameter problem: nothing a connection can act on
            }
            return tcp_icmp_error(src, dst, data, news, now);
        }
        case wire::IpProtocol::udp:
            told = udp_quoted_error(src, dst, data, error);
            break;
        case wire::IpProtocol::icmpv6:
            if (wire::load8(data, 0) == std::uint8_t(Icmpv6Type::echo_request))
                told = echo_quoted_error(data, error);
            break;
        default:
            break;
    }
    if (told == QuotedSocket::not_owner) ++stats.ipv6.drop_not_owner;
}

void Stack::Impl::icmpv6_send_error(Bytes original, std::uint8_t type, std::uint8_t code,
                                    std::uint32_t rest, bool to_group, Instant now,
                                    link::Interface* arrived_on) {
    auto parsed = wire::Ipv6Repr::parse(original);
    if (!parsed) return;
    const wire::Ipv6Repr& repr = *parsed;
    // RFC 4443 2.4 (e): never about an error message (e.1), to a group, IP or link layer
    // (e.2, e.3; packet too big and unrecognized options excepted), or from a source that
    // is not a unicast address of someone (e.4 to e.6).
    const bool excepted = type == std::uint8_t(Icmpv6Type::packet_too_big) ||
                          (type == std::uint8_t(Icmpv6Type::parameter_problem) &&
                           code == std::uint8_t(wire::Icmpv6ParamProblemCode::option));
    if ((to_group || repr.dst.is_multicast()) && !excepted) return;
    if (repr.src.is_any() || repr.src.is_multicast()) return;
    const Bytes payload = original.subspan(wire::ipv6_header_len);
    if (repr.next_header == std::uint8_t(wire::IpProtocol::icmpv6) && !payload.empty() &&
        wire::is_icmpv6_error(wire::load8(payload, 0)))
        return;
    if (!icmp_bucket.take(now)) {
        ++stats.icmpv6.drop_rate_limited;
        return;
    }
    // From the address the packet was sent to when it is ours, else by source selection.
    const IpAddress bound =
        is_local_address6(repr.dst) ? IpAddress(repr.dst) : IpAddress(Ipv6Address::any());
    const auto back_on_its_link = [&]() -> std::expected<OutRoute, SocketError> {
        const auto src = arrived_on->source_for6(repr.src);
        if (!src) return std::unexpected(SocketError::no_route);
        return OutRoute{.iface = arrived_on, .next_hop = repr.src, .src = *src};
    };
    auto route =
        arrived_on && repr.src.is_link_local() ? back_on_its_link() : route_to(repr.src, bound);
    if (!route) {
        ++stats.ipv6.drop_no_route;
        return;
    }
    ++stats.icmpv6.tx_errors;
    (void)icmpv6_output(*route, repr.src,
                        Icmpv6Repr{.type = type,
                                   .code = code,
                                   .rest = rest,
                                   .data = original.first(std::min(original.size(), max_quoted))},
                        hop_limit6(*route->iface), now);
}

}  // namespace netstack
