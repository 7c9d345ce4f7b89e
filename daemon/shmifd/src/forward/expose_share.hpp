// One shard's share of an outbound forward, for one port of its range: a listener in this
// shard's stack (SYNs reach the shard their 4-tuple hashes to, so every shard listens). Each
// connection it accepts is admitted (or reset, over a limit), connected to the host's target
// and spliced to it here.
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "forward_state.hpp"
#include "netstack/stack.hpp"

namespace shmifd::forward {

class ShardForwards;

class ExposeShare {
  public:
    ExposeShare(ShardForwards& owner, std::shared_ptr<ForwardState> state,
                std::uint16_t port_index);
    ~ExposeShare();  // closes the listener: new connections are refused
    ExposeShare(const ExposeShare&) = delete;
    ExposeShare& operator=(const ExposeShare&) = delete;

    // Listens on the port; the error says why not ("10.0.0.1:5432: address in use").
    std::expected<void, std::string> start();
    std::uint64_t forward() const { return state_->id; }

  private:
    void accept_ready();

    ShardForwards& owner_;
    std::shared_ptr<ForwardState> state_;
    std::uint16_t port_index_;
    std::optional<netstack::SocketId> socket_;
};

}  // namespace shmifd::forward
