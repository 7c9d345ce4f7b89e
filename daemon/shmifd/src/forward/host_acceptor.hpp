// An inbound forward's listening socket on the host, for one port of its range, watched by
// one shard: each connection it accepts is admitted (or reset, over a limit) and connected
// into the stack here or on a shard that carries fewer (ShardForwards::dispatch_inbound).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "forward_state.hpp"

namespace shmifd::forward {

class ShardForwards;
class SpareDescriptor;

class HostAcceptor {
  public:
    HostAcceptor(ShardForwards& owner, std::shared_ptr<ForwardState> state, int listener,
                 std::uint16_t port_index);
    ~HostAcceptor();  // closes the listening socket: the host refuses new connections
    HostAcceptor(const HostAcceptor&) = delete;
    HostAcceptor& operator=(const HostAcceptor&) = delete;

    bool start();
    std::uint64_t forward() const { return state_->id; }

  private:
    void accept_all();

    ShardForwards& owner_;
    std::shared_ptr<ForwardState> state_;
    int listener_;
    std::uint16_t port_index_;
    std::chrono::steady_clock::time_point last_warning_{};
};

}  // namespace shmifd::forward
