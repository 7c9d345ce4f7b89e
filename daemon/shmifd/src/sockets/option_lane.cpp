#include "option_lane.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "shmifsock/wire.h"

namespace shmifd::sockets {

std::optional<LaneChange> decode_lane_change(std::span<const std::byte> message) {
    shmifsock_lane_change wire{};
    if (message.size() != sizeof wire) return std::nullopt;
    std::memcpy(&wire, message.data(), sizeof wire);
    if (wire.sock == 0 || wire.option != SHMIFSOCK_LANE_TCP_NODELAY) return std::nullopt;
    if (wire.value != 0 && wire.value != 1) return std::nullopt;
    return LaneChange{.sock = wire.sock, .no_delay = wire.value == 1};
}

LaneState drain_lane(int fd, LaneCounters& counters,
                     const std::function<bool(const LaneChange&)>& apply) {
    // A message longer than a change is cut (MSG_TRUNC tells) and rejected.
    std::byte message[sizeof(shmifsock_lane_change) + 1];
    for (int i = 0; i < 256; ++i) {
        const ssize_t n = ::recv(fd, message, sizeof message, MSG_DONTWAIT | MSG_TRUNC);
        if (n == 0) return LaneState::gone;
        if (n < 0) return errno == EAGAIN || errno == EINTR ? LaneState::drained : LaneState::gone;
        const auto length = std::min(static_cast<std::size_t>(n), sizeof message);
        const auto change = decode_lane_change(std::span(message, length));
        if (change && apply(*change))
            counters.changes.fetch_add(1, std::memory_order_relaxed);
        else
            counters.rejected.fetch_add(1, std::memory_order_relaxed);
    }
    return LaneState::more;
}

}  // namespace shmifd::sockets
