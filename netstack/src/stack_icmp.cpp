// ICMP (RFC 792) with the host requirements of RFC 1122 3.2.2.
#include <algorithm>

#include "src/stack_impl.hpp"
#include "wire/icmp.hpp"
#include "wire/udp.hpp"

namespace netstack {

using wire::Bytes;
using wire::IcmpRepr;
using wire::IcmpType;
using wire::Ipv4Repr;
using wire::Ipv4View;

namespace {
// How many bytes of the offending datagram an error quotes: its header and the first 64 bits
// of its data (RFC 792), which hold the UDP ports or the echo id.
constexpr std::size_t quoted_data_len = 8;
}  // namespace

void Stack::Impl::icmp_input(link::Interface&, Bytes datagram, const Ipv4Repr& repr,
                             bool to_broadcast, Instant now) {
    auto parsed = IcmpRepr::parse(Ipv4View(datagram).payload());
    if (!parsed) {
        ++(parsed.error() == wire::IcmpError::short_header ? stats.icmp.drop_short
                                                           : stats.icmp.drop_bad_checksum);
        return;
    }
    const IcmpRepr& icmp = *parsed;
    switch (IcmpType(icmp.type)) {
        case IcmpType::echo_request: {
            // Protocol counters count only in the shard that owns the packet, so a daemon's
            // sum over shards counts each packet once.
            if (!is_shard_zero()) {  // shard 0 answers pings for the stack
                ++stats.ipv4.drop_not_owner;
                return;
            }
            ++stats.icmp.rx_echo_requests;
            // RFC 1122 3.2.2.6 allows ignoring broadcast echo requests; Linux does by default
            // (smurf amplification).
            if (to_broadcast) {
                ++stats.icmp.drop_broadcast_echo;
                return;
            }
            if (repr.src.is_any()) {  // nobody to answer (RFC 1122 3.2.1.3)
                ++stats.ipv4.drop_bad_source;
                return;
            }
            if (!icmp_bucket.take(now)) {
                ++stats.icmp.rate_limited;
                return;
            }
            auto route =
                route_to(repr.src, repr.dst);  // RFC 1122 3.2.2.6: reply from the address asked
            if (!route) {
                ++stats.ipv4.drop_no_route;
                return;
            }
            const IcmpRepr reply{.type = std::uint8_t(IcmpType::echo_reply),
                                 .code = 0,
                                 .rest = icmp.rest,
                                 .data = icmp.data};
            Frame frame = make_frame(reply.buffer_len());
            reply.emit(wire::MutableBytes(frame).subspan(payload_offset));
            ++stats.icmp.tx_echo_replies;
            (void)ipv4_output(*route,
                              Ipv4Repr{.dst = repr.src,
                                       .protocol = std::uint8_t(wire::IpProtocol::icmp),
                                       .ttl = config.default_ttl,
                                       .payload_len = reply.buffer_len()},
                              std::move(frame), now);
            return;
        }
        case IcmpType::echo_reply:
            switch (echo_reply_input(repr.src, icmp.echo_id(), icmp.echo_seq(), icmp.data, repr.ttl,
                                     now)) {
                case EchoDelivery::not_owner:
                    ++stats.ipv4.drop_not_owner;
                    return;
                case EchoDelivery::no_socket:
                    ++stats.icmp.rx_echo_replies;
                    ++stats.icmp.drop_no_socket;
                    return;
                case EchoDelivery::queue_full:
                    ++stats.icmp.rx_echo_replies;
                    ++stats.icmp.drop_queue_full;
                    return;
                case EchoDelivery::delivered:
                    ++stats.icmp.rx_echo_replies;
                    return;
            }
            return;
        case IcmpType::destination_unreachable:
        case IcmpType::source_quench:
        case IcmpType::redirect:
        case IcmpType::time_exceeded:
        case IcmpType::parameter_problem:
            ++stats.icmp.rx_errors;
            return icmp_error_input(repr, icmp.type, icmp.code, icmp.rest, icmp.data, now);
    }
    ++stats.icmp.drop_unknown_type;
}

void Stack::Impl::icmp_error_input(const Ipv4Repr& repr, std::uint8_t type, std::uint8_t code,
                                   std::uint32_t rest, Bytes quoted, Instant now) {
    // The quoted datagram is one we sent: its source is us, its first 8 data bytes name the
    // socket (RFC 1122 3.2.2: errors are passed to the transport that sent it).
    Ipv4View original(quoted);
    if (!original.check_len() || original.version() != 4 || original.header_len() < 20 ||
        quoted.size() < original.header_len() + quoted_data_len) {
        ++stats.icmp.drop_short;
        return;
    }
    const Bytes data = quoted.subspan(original.header_len());
    const IcmpError error{.from = repr.src, .type = type, .code = code};
    QuotedSocket told = QuotedSocket::none;
    switch (wire::IpProtocol(original.protocol())) {
        case wire::IpProtocol::tcp: {
            // RFC 1122 4.2.3.9 / RFC 5461: only unreachables concern a connection.
            if (type != std::uint8_t(IcmpType::destination_unreachable)) return;
            TcpIcmpNews news;
            switch (wire::UnreachableCode(code)) {
                case wire::UnreachableCode::fragmentation_needed:
                    news.mtu = rest & 0xffff;
                    break;
                case wire::UnreachableCode::protocol:
                case wire::UnreachableCode::port:
                    news.error = SocketError::connection_refused;
                    news.hard = true;
                    break;
                default:
                    break;
            }
            return tcp_icmp_error(original.src(), original.dst(), data, news, now);
        }
        case wire::IpProtocol::udp:
            told = udp_quoted_error(original.src(), original.dst(), data, error);
            break;
        case wire::IpProtocol::icmp:
            if (wire::load8(data, 0) == std::uint8_t(IcmpType::echo_request))
                told = echo_quoted_error(data, error);
            break;
        default:
            break;
    }
    if (told == QuotedSocket::not_owner) ++stats.ipv4.drop_not_owner;
    if (told == QuotedSocket::none) ++stats.icmp.drop_no_socket;
}

Stack::Impl::QuotedSocket Stack::Impl::udp_quoted_error(const IpAddress& src, const IpAddress& dst,
                                                        Bytes data, const IcmpError& error) {
    const Endpoint local{src, wire::load16(data, 0)};
    const Endpoint remote{dst, wire::load16(data, 2)};
    if (!owns(local.port)) return QuotedSocket::not_owner;
    const auto socket = udp.match(local, remote, false);
    auto* s = socket ? udp.find(*socket) : nullptr;
    if (!s) return QuotedSocket::none;
    s->error = error;
    raise(*socket, socket_error);
    return QuotedSocket::told;
}

Stack::Impl::QuotedSocket Stack::Impl::echo_quoted_error(Bytes data, const IcmpError& error) {
    const std::uint16_t echo_id = wire::load16(data, 4);
    if (!owns(echo_id)) return QuotedSocket::not_owner;
    const auto socket = ping.find_by_echo_id(echo_id);
    auto* s = socket ? ping.find(*socket) : nullptr;
    if (!s) return QuotedSocket::none;
    s->error = error;
    raise(*socket, socket_error);
    return QuotedSocket::told;
}

void Stack::Impl::icmp_send_error(Bytes original, std::uint8_t type, std::uint8_t code,
                                  std::uint32_t rest, bool to_broadcast, Instant now) {
    // `original` may be only a header and 8 bytes (reassembly timeout): read it through the
    // view, not Ipv4Repr::parse, which insists on the whole datagram.
    Ipv4View view(original);
    if (to_broadcast || !view.check_len() || view.header_len() < wire::ipv4_min_header_len ||
        view.header_len() > original.size())
        return;
    const Ipv4Address src = view.src(), dst = view.dst();
    // RFC 1122 3.2.2: never about an ICMP error, a non-first fragment, a datagram to a
    // broadcast/multicast address (limited, or directed to any of our subnets), or one whose
    // source is not a single host (class E, 240/4, included). A 127/8 source is a host: such
    // a datagram came over a loopback link (elsewhere it is dropped as a martian on input).
    const bool directed_broadcast = std::ranges::any_of(
        interfaces, [&](const auto& i) { return i && i->is_directed_broadcast(dst); });
    if (view.frag_offset() != 0 || dst.is_broadcast() || dst.is_multicast() || directed_broadcast ||
        src.is_any() || src.is_broadcast() || src.is_multicast() || (src.value >> 28) == 0xf)
        return;
    const Bytes payload = original.subspan(view.header_len());
    if (view.protocol() == std::uint8_t(wire::IpProtocol::icmp) &&
        (payload.empty() || wire::is_icmp_error(wire::load8(payload, 0))))
        return;
    if (!icmp_bucket.take(now)) {
        ++stats.icmp.rate_limited;
        return;
    }
    // The source: the address the datagram was sent to when it is ours, else the address of
    // the interface the error leaves by (RFC 1812 4.3.2.4).
    const Ipv4Address bound = is_local_address(dst) ? dst : Ipv4Address::any();
    auto route = route_to(src, bound);
    if (!route) {
        ++stats.ipv4.drop_no_route;
        return;
    }
    const std::size_t quoted = view.header_len() + std::min(quoted_data_len, payload.size());
    const IcmpRepr error{.type = type, .code = code, .rest = rest, .data = original.first(quoted)};
    Frame frame = make_frame(error.buffer_len());
    error.emit(wire::MutableBytes(frame).subspan(payload_offset));
    ++stats.icmp.tx_errors;
    (void)ipv4_output(*route,
                      Ipv4Repr{.dst = src,
                               .protocol = std::uint8_t(wire::IpProtocol::icmp),
                               .ttl = config.default_ttl,
                               .payload_len = error.buffer_len()},
                      std::move(frame), now);
}

void Stack::Impl::send_port_unreachable(const InboundPacket& in, Instant now) {
    if (in.src.is_v6())
        return icmpv6_send_error(in.packet, std::uint8_t(wire::Icmpv6Type::destination_unreachable),
                                 std::uint8_t(wire::Icmpv6UnreachableCode::port), 0,
                                 in.to_broadcast, now);
    icmp_send_error(in.packet, std::uint8_t(wire::IcmpType::destination_unreachable),
                    std::uint8_t(wire::UnreachableCode::port), 0, in.to_broadcast, now);
}

}  // namespace netstack
