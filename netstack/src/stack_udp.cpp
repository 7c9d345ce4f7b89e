// UDP (RFC 768): input, and the UDP socket half of the Stack API.
#include <algorithm>

#include "src/stack_impl.hpp"
#include "wire/icmp.hpp"
#include "wire/udp.hpp"

namespace netstack {

using wire::Bytes;
using wire::Ipv4Repr;
using wire::Ipv4View;
using wire::UdpRepr;

void Stack::Impl::udp_input(link::Interface& iface, const InboundPacket& in, Instant now) {
    auto parsed = UdpRepr::parse(in.payload, in.src, in.dst);
    if (!parsed) {
        switch (parsed.error()) {
            case wire::UdpError::short_header:
                ++stats.udp.drop_short;
                break;
            case wire::UdpError::bad_length:
                ++stats.udp.drop_bad_length;
                break;
            case wire::UdpError::bad_checksum:
                ++stats.udp.drop_bad_checksum;
                break;
        }
        return;
    }
    const UdpRepr& udp_repr = *parsed;
    if (!owns(udp_repr.dst_port)) {  // the shard of the local port takes it (stack.hpp)
        ++stats.ipv4.drop_not_owner;
        return;
    }
    ++stats.udp.rx_datagrams;
    const Endpoint from{in.src, udp_repr.src_port};
    const Endpoint to{in.dst, udp_repr.dst_port};
    const bool ip_broadcast =
        in.dst.is_v4() && (in.dst.v4().is_broadcast() || iface.is_directed_broadcast(in.dst.v4()));
    auto id = udp.match(to, from, ip_broadcast || in.dst.is_multicast());
    transport::UdpSocket* socket = id ? udp.find(*id) : nullptr;
    if (!socket) {
        ++stats.udp.drop_no_socket;
        send_port_unreachable(in, now);
        return;
    }
    auto edge = socket->push({.from = from, .to = to, .interface = iface.id}, udp_repr.payload);
    if (!edge) {
        ++stats.udp.drop_queue_full;
        return;
    }
    if (*edge) raise(*id, socket_readable);
}

std::expected<void, SocketError> Stack::Impl::udp_output(transport::UdpSocket& socket,
                                                         std::span<const std::byte> payload,
                                                         Endpoint to, Instant now) {
    if (to.port == 0 || to.address.is_any()) return std::unexpected(SocketError::invalid);
    if (payload.size() > wire::udp_max_payload)
        return std::unexpected(SocketError::message_too_big);
    auto route = route_to(to.address, socket.local.address);
    if (!route) return std::unexpected(route.error());
    const UdpRepr udp_repr{.src_port = socket.local.port, .dst_port = to.port, .payload = payload};
    Frame frame = make_frame_for(to.family(), udp_repr.buffer_len());
    udp_repr.emit(wire::MutableBytes(frame).subspan(payload_offset_for(to.family())), route->src,
                  to.address);
    auto sent = ip_output(*route, to.address, wire::IpProtocol::udp, udp_repr.buffer_len(),
                          std::move(frame), now);
    if (!sent) return sent;
    ++socket.sent;
    ++stats.udp.tx_datagrams;
    return {};
}

// --- the public UDP socket API ---------------------------------------------------------------

std::expected<SocketId, SocketError> Stack::udp_open() {
    Impl& s = *impl_;
    if (s.udp.size() + s.ping.size() >= max_sockets)
        return std::unexpected(SocketError::too_many_sockets);
    const SocketId id = s.allocate_socket_id();
    s.udp.insert(id, transport::UdpSocket{.max_datagrams = s.config.udp_rx_queue_datagrams,
                                          .max_bytes = s.config.udp_rx_queue_bytes});
    return id;
}

std::expected<Endpoint, SocketError> Stack::udp_bind(SocketId id, Endpoint local) {
    Impl& s = *impl_;
    const auto* socket = s.udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    // Only our own addresses (or the wildcard) can be bound.
    if (!local.address.is_any() && !s.is_local_address(local.address))
        return std::unexpected(SocketError::invalid);
    if (socket->v6_only && local.address.is_v4()) return std::unexpected(SocketError::invalid);
    return s.udp.bind(id, local);
}

std::expected<void, SocketError> Stack::udp_connect(SocketId id, Endpoint remote) {
    Impl& s = *impl_;
    auto* socket = s.udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (remote.port == 0 || remote.address.is_any()) return std::unexpected(SocketError::invalid);
    if (socket->v6_only && remote.address.is_v4()) return std::unexpected(SocketError::no_route);
    if (!socket->bound) {  // the wildcard of the peer's family, as an implicit bind picks
        auto bound = s.udp.bind(id, {IpAddress::any(remote.family()), 0});
        if (!bound) return std::unexpected(bound.error());
    }
    socket->remote = remote;
    return {};
}

std::expected<void, SocketError> Stack::udp_disconnect(SocketId id) {
    auto* socket = impl_->udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    socket->remote.reset();
    socket->error.reset();  // an ICMP error was about the old peer
    return {};
}

std::expected<void, SocketError> Stack::udp_send_to(SocketId id, std::span<const std::byte> payload,
                                                    Endpoint to, Instant now) {
    Impl& s = *impl_;
    auto* socket = s.udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (socket->v6_only && to.address.is_v4()) return std::unexpected(SocketError::no_route);
    if (!socket->bound) {
        auto bound = s.udp.bind(id, {IpAddress::any(to.family()), 0});
        if (!bound) return std::unexpected(bound.error());
    }
    auto sent = s.udp_output(*socket, payload, to, now);
    s.flush_devices();
    return sent;
}

std::expected<void, SocketError> Stack::udp_send(SocketId id, std::span<const std::byte> payload,
                                                 Instant now) {
    Impl& s = *impl_;
    auto* socket = s.udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (!socket->remote) return std::unexpected(SocketError::not_connected);
    auto sent = s.udp_output(*socket, payload, *socket->remote, now);
    s.flush_devices();
    return sent;
}

std::expected<Datagram, SocketError> Stack::udp_receive(SocketId id, std::span<std::byte> buffer) {
    auto* socket = impl_->udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (socket->queue.empty()) return std::unexpected(SocketError::would_block);
    transport::QueuedDatagram& d = socket->queue.front();
    const std::size_t n = std::min(buffer.size(), d.payload.size());
    std::copy_n(d.payload.begin(), n, buffer.begin());
    Datagram out{.size = n,
                 .full_size = d.payload.size(),
                 .from = d.from,
                 .to = d.to,
                 .interface = d.interface};
    socket->queued_bytes -= d.payload.size();
    socket->queue.pop_front();
    return out;
}

std::expected<Endpoint, SocketError> Stack::udp_local(SocketId id) const {
    const auto* socket = impl_->udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (!socket->bound) return std::unexpected(SocketError::not_bound);
    return socket->local;
}

std::expected<Stack::UdpSocketInfo, SocketError> Stack::udp_info(SocketId id) const {
    const auto* socket = impl_->udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    return UdpSocketInfo{.local = socket->local,
                         .remote = socket->remote,
                         .queued_datagrams = socket->queue.size(),
                         .queued_bytes = socket->queued_bytes,
                         .received = socket->received,
                         .sent = socket->sent,
                         .dropped_queue_full = socket->dropped_queue_full};
}

void Stack::udp_set_reuse_address(SocketId id, bool reuse) {
    if (auto* socket = impl_->udp.find(id)) socket->reuse_address = reuse;
}

std::expected<void, SocketError> Stack::udp_set_v6_only(SocketId id, bool v6_only) {
    auto* socket = impl_->udp.find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (socket->bound) return std::unexpected(SocketError::invalid);
    socket->v6_only = v6_only;
    return {};
}

void Stack::udp_set_queue_limits(SocketId id, std::size_t datagrams, std::size_t bytes) {
    if (auto* socket = impl_->udp.find(id)) {
        socket->max_datagrams = datagrams;
        socket->max_bytes = bytes;
    }
}

}  // namespace netstack
