// One shard's part of the socket service: the descriptors it watches, the TCP connections
// and UDP sockets whose data path runs here, and its share of every listener. Everything is
// touched only on the shard's thread (the SocketService posts its requests here).
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fd_reactor.hpp"
#include "netstack/stack.hpp"
#include "option_lane.hpp"
#include "service_context.hpp"
#include "shmifd/control/handler.hpp"
#include "socket_record.hpp"
#include "splice_owner.hpp"

namespace shmifd {
class Shard;
namespace engine {
class WaitSet;
}
}  // namespace shmifd

namespace shmifd::sockets {

class FdWaker;
class TcpSplice;
class UdpSplice;
class ListenerShare;

class ShardSockets final : public SpliceOwner {
  public:
    ShardSockets(Shard& shard, std::size_t index);
    ~ShardSockets();

    // Once, after every shard exists (the context lists them all).
    void attach(const ServiceContext* context, FdWaker* waker, std::size_t waker_slot);
    FdReactor& reactor() override { return reactor_; }
    const ServiceContext& context() const { return *context_; }
    std::size_t index() const { return index_; }

    // --- from the shard's loop -----------------------------------------------------------
    std::size_t poll();
    // Before the worker sleeps, when it cannot wait on reactor().fd() itself: ask the waker
    // to ring us when a descriptor turns ready.
    void arm();
    // The daemon stops: every connection is reset, every socket closed.
    void close_all();

    // --- requests (posted by SocketService) -------------------------------------------------
    // Opens the connection here and starts the handshake; `done` answers now (in progress,
    // or an error) or, with `wait`, when the handshake ends.
    void connect(std::shared_ptr<SockRecord> record, netstack::Endpoint remote, bool wait,
                 control::Done done);
    // This shard's share of a listener; `done` gets {} or the error.
    void listen(std::shared_ptr<SockRecord> record, control::Done done);
    // Stops the shares of listeners whose client closed every descriptor a moment ago (the
    // hang-up not yet seen): a new listener on their port would find it taken, where the
    // kernel's close() had freed it.
    void stop_closed_listeners();
    // A listener ended (its descriptor hung up): drop this shard's share.
    void stop_listener(std::uint64_t id);
    // sock.accept made room in a listener's ready queue: take more from the stack.
    void accept_more(std::uint64_t id);
    // A UDP socket's data path moves here, bound to `local` (port 0: implicit bind on the
    // first datagram, or now if `bind_now`).
    void place_udp(std::shared_ptr<SockRecord> record, std::optional<netstack::Endpoint> local,
                   control::Done done);
    // `remote` none: connect(AF_UNSPEC), the peer is forgotten.
    void udp_connect(std::uint64_t id, std::optional<netstack::Endpoint> remote,
                     control::Done done);
    // A UDP socket moves to another shard (a bind to a port that shard owns): its data path
    // here ends without closing the descriptor, which `then` receives.
    void detach_udp(std::uint64_t id, std::function<void(int fd)> then);
    // Applies options to a socket whose data path is here.
    void set_options(std::uint64_t id, control::Done done);
    // SO_ERROR and TCP_INFO of a socket whose data path is here.
    void take_error(std::uint64_t id, control::Done done);
    void tcp_info(std::uint64_t id, control::Done done);
    // A client's lane (option_lane.hpp): read here until its client end closes.
    void add_lane(int fd);

    // --- from the data path -----------------------------------------------------------------
    void retire_tcp(std::uint64_t id, const std::string& last_error) override;
    void retire_udp(std::uint64_t id, const std::string& last_error);
    // A listener share accepted a connection: it becomes a splice here.
    TcpSplice* adopt(std::shared_ptr<SockRecord> record, int fd, netstack::SocketId socket);
    Shard& shard() { return shard_; }

  private:
    void read_lane(int fd);
    void close_lane(int fd);
    // Records the change and applies it where the socket's data path runs; false when no
    // TCP socket has that id.
    bool apply_lane_change(const LaneChange& change);
    // Applies a socket's recorded options to its connection, if its data path is here.
    std::expected<void, netstack::SocketError> apply_options(std::uint64_t id);

    Shard& shard_;
    std::size_t index_;
    FdReactor reactor_;
    const ServiceContext* context_ = nullptr;
    FdWaker* waker_ = nullptr;
    std::size_t waker_slot_ = 0;
    std::map<std::uint64_t, std::unique_ptr<TcpSplice>> tcp_;
    std::map<std::uint64_t, std::unique_ptr<UdpSplice>> udp_;
    std::map<std::uint64_t, std::unique_ptr<ListenerShare>> listeners_;
    std::set<int> lanes_;  // our ends of the lanes read here
    // Ended data paths, destroyed after the handler that ended them has returned.
    std::vector<std::unique_ptr<TcpSplice>> retired_tcp_;
    std::vector<std::unique_ptr<UdpSplice>> retired_udp_;
};

}  // namespace shmifd::sockets
