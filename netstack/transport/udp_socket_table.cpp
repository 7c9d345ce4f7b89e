#include "transport/udp_socket_table.hpp"

#include <algorithm>

namespace netstack::transport {

std::optional<bool> UdpSocket::push(const QueuedDatagram& header,
                                    std::span<const std::byte> payload) {
    if (queue.size() >= max_datagrams || queued_bytes + payload.size() > max_bytes) {
        ++dropped_queue_full;
        return std::nullopt;
    }
    const bool was_empty = queue.empty();
    queue.push_back({header.from, header.to, header.interface, {payload.begin(), payload.end()}});
    queued_bytes += payload.size();
    ++received;
    return was_empty;
}

UdpSocket* UdpSocketTable::find(SocketId id) {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

const UdpSocket* UdpSocketTable::find(SocketId id) const {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

void UdpSocketTable::erase(SocketId id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    if (it->second.bound) {
        auto& ids = by_port_[it->second.local.port];
        std::erase(ids, id);
        if (ids.empty()) by_port_.erase(it->second.local.port);
    }
    sockets_.erase(it);
}

bool UdpSocketTable::conflicts(Endpoint local, const UdpSocket& socket) const {
    auto it = by_port_.find(local.port);
    if (it == by_port_.end()) return false;
    return std::ranges::any_of(it->second, [&](SocketId other) {
        const UdpSocket& bound = sockets_.at(other);
        if (socket.reuse_address && bound.reuse_address) return false;
        return bindings_overlap({bound.local.address, bound.v6_only},
                                {local.address, socket.v6_only});
    });
}

std::optional<std::uint16_t> UdpSocketTable::pick_ephemeral() {
    const std::uint32_t count = std::max<std::uint32_t>(shard_.count, 1);
    const std::uint32_t range = ephemeral_last - ephemeral_first + 1;
    // The first port of the range this shard owns, then every count-th port.
    const std::uint32_t first =
        ephemeral_first + (shard_.index + count - ephemeral_first % count) % count;
    if (first > ephemeral_last) return std::nullopt;
    const std::uint32_t slots = (ephemeral_last - first) / count + 1;
    const std::uint32_t start = static_cast<std::uint32_t>(next_++ % slots);
    for (std::uint32_t i = 0; i < slots && i < range; ++i) {
        const auto port = static_cast<std::uint16_t>(first + ((start + i) % slots) * count);
        if (!by_port_.contains(port)) return port;
    }
    return std::nullopt;
}

std::expected<Endpoint, SocketError> UdpSocketTable::bind(SocketId id, Endpoint local) {
    UdpSocket* socket = find(id);
    if (!socket) return std::unexpected(SocketError::bad_socket);
    if (socket->bound) return std::unexpected(SocketError::invalid);
    if (local.port == 0) {
        auto port = pick_ephemeral();
        if (!port) return std::unexpected(SocketError::no_ports);
        local.port = *port;
    } else if (conflicts(local, *socket)) {
        return std::unexpected(SocketError::address_in_use);
    }
    socket->local = local;
    socket->bound = true;
    by_port_[local.port].push_back(id);
    return local;
}

std::optional<SocketId> UdpSocketTable::match(Endpoint to, Endpoint from, bool to_broadcast) const {
    auto it = by_port_.find(to.port);
    if (it == by_port_.end()) return std::nullopt;
    std::optional<SocketId> best;
    int best_score = 0;
    // by_port_ keeps binding order: >= lets the last bound win a tie.
    for (SocketId id : it->second) {
        const UdpSocket& s = sockets_.at(id);
        if (s.remote && *s.remote != from) continue;  // connected elsewhere
        int score = s.remote ? 4 : 0;
        if (s.local.address.is_any() && binding_accepts({s.local.address, s.v6_only}, to.address))
            score += 1;
        else if (!to_broadcast && s.local.address == to.address)
            score += 2;
        else
            continue;  // another of our addresses, or a broadcast to a specific bind
        if (score >= best_score) {
            best = id;
            best_score = score;
        }
    }
    return best;
}

}  // namespace netstack::transport
