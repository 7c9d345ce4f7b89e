#include "transport/ping_socket_table.hpp"

#include <algorithm>

namespace netstack::transport {

std::expected<std::uint16_t, SocketError> PingSocketTable::open(SocketId id,
                                                                std::size_t max_replies) {
    const std::uint32_t count = std::max<std::uint32_t>(shard_.count, 1);
    const std::uint32_t slots = (65536 - shard_.index + count - 1) / count;  // ids this shard owns
    if (shard_.index >= 65536 || slots == 0) return std::unexpected(SocketError::no_ports);
    const std::uint32_t start = static_cast<std::uint32_t>(next_++ % slots);
    for (std::uint32_t i = 0; i < slots; ++i) {
        const auto echo_id =
            static_cast<std::uint16_t>(shard_.index + ((start + i) % slots) * count);
        if (by_echo_id_.contains(echo_id)) continue;
        by_echo_id_.emplace(echo_id, id);
        sockets_.emplace(id, PingSocket{.id = echo_id, .max_replies = max_replies});
        return echo_id;
    }
    return std::unexpected(SocketError::no_ports);
}

PingSocket* PingSocketTable::find(SocketId id) {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

const PingSocket* PingSocketTable::find(SocketId id) const {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : &it->second;
}

std::optional<SocketId> PingSocketTable::find_by_echo_id(std::uint16_t echo_id) const {
    auto it = by_echo_id_.find(echo_id);
    if (it == by_echo_id_.end()) return std::nullopt;
    return it->second;
}

void PingSocketTable::erase(SocketId id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    by_echo_id_.erase(it->second.id);
    sockets_.erase(it);
}

}  // namespace netstack::transport
