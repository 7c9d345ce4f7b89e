// One shard's part of port forwarding: the host listening sockets it watches (inbound), its
// share of every outbound forward's listener in the stack, and the connections whose splice
// runs here (a host TCP socket on one side, a connection in this shard's stack on the
// other). Everything is touched only on the shard's thread; ForwardService posts here.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "forward_state.hpp"
#include "host_socket.hpp"
#include "netstack/stack.hpp"
#include "sockets/splice_owner.hpp"

namespace shmifd {
class Shard;
namespace sockets {
class FdReactor;
class TcpSplice;
}  // namespace sockets
}  // namespace shmifd

namespace shmifd::forward {

struct ForwardContext;
class HostAcceptor;
class ExposeShare;
class UdpFlows;

class ShardForwards final : public sockets::SpliceOwner {
  public:
    // `reactor`: the shard's descriptor reactor (the socket service's), polled and armed
    // with the shard's loop.
    ShardForwards(Shard& shard, sockets::FdReactor& reactor);
    ~ShardForwards();
    ShardForwards(const ShardForwards&) = delete;
    ShardForwards& operator=(const ShardForwards&) = delete;

    void attach(const ForwardContext* context) { context_ = context; }
    Shard& shard() { return shard_; }
    SpareDescriptor& spare() { return spare_; }

    // --- from the shard's loop -----------------------------------------------------------
    // Destroys the splices that ended; returns how many.
    std::size_t poll();
    // The daemon stops: every connection is reset, every listener closed.
    void close_all();

    // --- requests (posted by ForwardService) ----------------------------------------------
    // Watches an inbound forward's host listening socket (owned from now on).
    void watch_host_listener(std::shared_ptr<ForwardState> state, int listener,
                             std::uint16_t port_index);
    // This shard's share of an outbound forward's listeners (every port of its range).
    std::expected<void, std::string> listen(std::shared_ptr<ForwardState> state);
    // UDP: an inbound forward's bound host socket (owned from now on), for one port.
    std::expected<void, std::string> watch_udp_host(std::shared_ptr<ForwardState> state, int fd,
                                                    std::uint16_t port_index);
    // UDP: the ports of an outbound forward that this shard owns (port % shards).
    std::expected<void, std::string> listen_udp(std::shared_ptr<ForwardState> state);
    // The forward was deleted: its listeners here close; with `kill` its connections here
    // are reset (both sides), else they run to their end. UDP flows end at once.
    void stop(std::uint64_t forward, bool kill);

    // --- from the acceptors and listener shares -------------------------------------------
    // Runs an admitted host connection here, or on a shard that carries clearly fewer.
    void dispatch_inbound(const std::shared_ptr<ForwardState>& state, int host_fd,
                          netstack::Endpoint host_peer, netstack::Endpoint target);
    // Connects an admitted host connection into the stack, here (dispatched here before).
    void open_inbound(const std::shared_ptr<ForwardState>& state, int host_fd,
                      netstack::Endpoint host_peer, netstack::Endpoint target);
    // Splices a host socket and a connection of this shard's stack.
    void splice(const std::shared_ptr<ForwardState>& state, int host_fd, netstack::SocketId socket,
                netstack::Endpoint host_peer, bool connected);

    // Connections running here or on their way here: what placement compares (any thread).
    std::size_t carried() const {
        return running_count_.load(std::memory_order_relaxed) +
               on_the_way_.load(std::memory_order_relaxed);
    }

    // --- sockets::SpliceOwner ---------------------------------------------------------------
    sockets::FdReactor& reactor() override { return reactor_; }
    // Names a connection or flow here and in its forward's list; unique across shards.
    std::uint64_t new_record_id();
    void retire_tcp(std::uint64_t id, const std::string& last_error) override;

  private:
    struct Running {
        std::unique_ptr<sockets::TcpSplice> splice;
        std::shared_ptr<ForwardState> state;
    };

    void reset_connections(const std::function<bool(const ForwardState&)>& which);
    std::size_t placement() const;

    Shard& shard_;
    sockets::FdReactor& reactor_;
    const ForwardContext* context_ = nullptr;
    SpareDescriptor spare_;
    std::uint64_t next_id_ = 0;
    std::vector<std::unique_ptr<HostAcceptor>> acceptors_;
    std::vector<std::unique_ptr<ExposeShare>> shares_;
    std::vector<std::unique_ptr<UdpFlows>> udp_;
    std::map<std::uint64_t, Running> running_;
    std::atomic<std::size_t> running_count_{0};  // running_.size(), for other shards to read
    std::atomic<std::size_t> on_the_way_{0};     // dispatched here, not yet opened
    std::vector<std::unique_ptr<sockets::TcpSplice>> retired_;
};

}  // namespace shmifd::forward
