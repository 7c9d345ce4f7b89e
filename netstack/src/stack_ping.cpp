// The ICMP echo ("ping") socket half of the Stack API. Replies arrive in stack_icmp.cpp.
#include "src/stack_impl.hpp"
#include "wire/icmp.hpp"
#include "wire/udp.hpp"

namespace netstack {

Stack::Impl::EchoDelivery Stack::Impl::echo_reply_input(const IpAddress& from,
                                                        std::uint16_t echo_id, std::uint16_t seq,
                                                        wire::Bytes data, std::uint8_t ttl,
                                                        Instant now) {
    if (!owns(echo_id)) return EchoDelivery::not_owner;
    auto id = ping.find_by_echo_id(echo_id);
    auto* socket = id ? ping.find(*id) : nullptr;
    if (!socket) return EchoDelivery::no_socket;
    bool payload_ok = true;
    for (std::size_t i = 0; i < data.size() && payload_ok; ++i)
        payload_ok = data[i] == ping_pattern(seq, i);
    if (socket->replies.size() >= socket->max_replies) {
        ++socket->dropped_queue_full;
        return EchoDelivery::queue_full;
    }
    if (socket->replies.empty()) raise(*id, socket_readable);
    socket->replies.push_back(EchoReply{.from = from,
                                        .id = echo_id,
                                        .seq = seq,
                                        .payload_size = data.size(),
                                        .ttl = ttl,
                                        .received = now,
                                        .payload_ok = payload_ok});
    return EchoDelivery::delivered;
}

std::expected<SocketId, SocketError> Stack::ping_open() {
    Impl& s = *impl_;
    if (s.udp.size() + s.ping.size() >= max_sockets)
        return std::unexpected(SocketError::too_many_sockets);
    const SocketId id = s.allocate_socket_id();
    auto echo_id = s.ping.open(id, s.config.udp_rx_queue_datagrams);
    if (!echo_id) return std::unexpected(echo_id.error());
    return id;
}

std::expected<std::uint16_t, SocketError> Stack::ping_id(SocketId id) const {
    const auto* socket = impl_->ping.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    return socket->id;
}

std::expected<void, SocketError> Stack::ping_send(SocketId id, const IpAddress& to,
                                                  std::uint16_t seq, std::size_t payload_size,
                                                  Instant now) {
    Impl& s = *impl_;
    const auto* socket = s.ping.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (to.is_any()) return std::unexpected(SocketError::invalid);
    // The same bound as UDP: 65,535 minus the IP and ICMP headers.
    if (payload_size > wire::udp_max_payload) return std::unexpected(SocketError::message_too_big);
    auto route = s.route_to(to, IpAddress::any(to.family()));
    if (!route) return std::unexpected(route.error());

    std::vector<std::byte> payload(payload_size);
    for (std::size_t i = 0; i < payload_size; ++i)
        payload[i] = ping_pattern(seq, i);
    std::expected<void, SocketError> sent;
    if (to.is_v6()) {
        sent = s.icmpv6_send_echo(*route, to.v6(), socket->id, seq, payload, now);
    } else {
        const wire::IcmpRepr request{.type = std::uint8_t(wire::IcmpType::echo_request),
                                     .code = 0,
                                     .rest = wire::IcmpRepr::echo_rest(socket->id, seq),
                                     .data = payload};
        Frame frame = Impl::make_frame(request.buffer_len());
        request.emit(wire::MutableBytes(frame).subspan(Impl::payload_offset));
        ++s.stats.icmp.tx_echo_requests;
        sent = s.ipv4_output(*route,
                             wire::Ipv4Repr{.dst = to.v4(),
                                            .protocol = std::uint8_t(wire::IpProtocol::icmp),
                                            .ttl = s.config.default_ttl,
                                            .payload_len = request.buffer_len()},
                             std::move(frame), now);
    }
    s.flush_devices();
    return sent;
}

std::expected<EchoReply, SocketError> Stack::ping_receive(SocketId id) {
    auto* socket = impl_->ping.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (socket->replies.empty()) return std::unexpected(SocketError::would_block);
    EchoReply reply = socket->replies.front();
    socket->replies.pop_front();
    return reply;
}

}  // namespace netstack
