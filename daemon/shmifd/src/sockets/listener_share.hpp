// One shard's share of a listening socket: a listener in this shard's stack (SYNs reach the
// shard their 4-tuple hashes to, so every shard listens). Each connection it accepts becomes
// a TcpSplice here and waits in the listener's ready queue, announced to the client by one
// byte on the listener's descriptor, or handed to it there (accept_handoff.hpp,
// daemon/PROTOCOL.md).
#pragma once

#include <cstdint>
#include <memory>

#include "netstack/stack.hpp"
#include "socket_record.hpp"

namespace shmifd::sockets {

class ShardSockets;

class ListenerShare {
  public:
    ListenerShare(ShardSockets& owner, std::shared_ptr<SockRecord> record,
                  netstack::SocketId socket);
    ~ListenerShare();
    ListenerShare(const ListenerShare&) = delete;
    ListenerShare& operator=(const ListenerShare&) = delete;

    // Shard 0 also watches the listener's descriptor: when it hangs up, every share stops.
    void start(bool watch_descriptor);
    // Takes established connections from the stack while the ready queue has room.
    void accept_ready();
    // Drops this share; the last share to go closes the descriptor and the connections
    // still waiting in the ready queue. True when it was the last.
    bool stop();
    // Whether the client closed every copy of the listener's descriptor.
    bool client_gone() const;

  private:
    // False when it stopped for want of room in the listener's backlog.
    bool take_connections();
    void await_acknowledgements();
    void stop_awaiting();
    void acknowledgements_came();

    ShardSockets& owner_;
    std::shared_ptr<SockRecord> record_;
    netstack::SocketId socket_;
    int watched_fd_ = -1;
    int ack_watch_ = -1;  // a copy of the descriptor, watched while acknowledgements are awaited
    bool stopped_ = false;
};

}  // namespace shmifd::sockets
