// Edge-style readiness notifications (Stack::take_events): at most one pending SocketEvent per
// socket, bits OR-ed together until the owner takes them.
#pragma once

#include <unordered_map>
#include <vector>

#include "netstack/stack.hpp"

namespace netstack::transport {

class SocketEvents {
  public:
    void raise(SocketId socket, std::uint8_t bits);
    // A closed socket's pending events vanish with it.
    void forget(SocketId socket);
    // Moves the pending events into `out` (cleared first), in the order first raised.
    void take(std::vector<SocketEvent>& out);
    bool empty() const { return pending_.empty(); }

  private:
    std::vector<SocketEvent> pending_;
    std::unordered_map<SocketId, std::size_t> index_;  // socket -> position in pending_
};

}  // namespace netstack::transport
