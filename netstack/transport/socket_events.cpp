#include "transport/socket_events.hpp"

#include <algorithm>

namespace netstack::transport {

void SocketEvents::raise(SocketId socket, std::uint8_t bits) {
    auto [it, inserted] = index_.try_emplace(socket, pending_.size());
    if (inserted)
        pending_.push_back({socket, bits});
    else
        pending_[it->second].bits |= bits;
}

void SocketEvents::forget(SocketId socket) {
    auto it = index_.find(socket);
    if (it == index_.end()) return;
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(it->second));
    index_.erase(it);
    for (std::size_t i = 0; i < pending_.size(); ++i)
        index_[pending_[i].socket] = i;
}

void SocketEvents::take(std::vector<SocketEvent>& out) {
    out.clear();
    out.swap(pending_);
    index_.clear();
}

}  // namespace netstack::transport
