// Who is told about which socket's readiness: the SocketWatcher that the daemon's shards and
// shmifhost's loop both keep, and the delivery of a stack's events to it.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "netstack/stack.hpp"
#include "services/service_host.hpp"

namespace services {

class WatchTable final : public SocketWatcher {
  public:
    void watch(netstack::SocketId socket, std::function<void()> on_event) override;
    void unwatch(netstack::SocketId socket) override;
    // Takes the stack's events and runs the callbacks of the sockets they name. Callbacks
    // raise events of their own (a send, an accept, a close): a few passes deliver those now
    // rather than after the next frame or timer.
    void deliver(netstack::Stack& stack);

  private:
    std::map<netstack::SocketId, std::function<void()>> watchers_;
    std::vector<netstack::SocketEvent> events_;
};

}  // namespace services
