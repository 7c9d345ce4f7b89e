// shmifd's socket service (daemon/PROTOCOL.md, "The socket service"): the sock.* requests.
// Runs on the control thread; what touches a stack is posted to the shard that runs the
// socket's data path (ShardSockets), which answers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "fd_waker.hpp"
#include "lobby.hpp"
#include "service_context.hpp"
#include "shmifd/control/handler.hpp"
#include "socket_table.hpp"

namespace shmifd {
class Dataplane;
}

namespace shmifd::sockets {

struct SockRequest;

class SocketService {
  public:
    explicit SocketService(SocketLimits limits = {});
    // Stops the waker first: nothing runs on its thread once this is gone.
    ~SocketService();
    SocketService(const SocketService&) = delete;
    SocketService& operator=(const SocketService&) = delete;

    // Once the workers run: every shard learns the context and the waker.
    void start(Dataplane& dataplane);

    // One sock.* request (cmd without the "sock." prefix).
    void handle(std::string_view cmd, control::Args& args, const control::Request& request,
                control::Done& done);
    SocketTable& table() { return table_; }

  private:
    void open(const SockRequest&, const control::Request&, control::Done&);
    void bind(const SockRequest&, control::Done&);
    void listen(const SockRequest&, control::Done&);
    void connect(const SockRequest&, control::Done&);
    void accept(const SockRequest&, control::Done&);
    void name(const SockRequest&, control::Done&);
    void setopt(const SockRequest&, control::Done&);
    void getopt(const SockRequest&, control::Done&);
    void list(control::Done&);
    void lane(const SockRequest&, control::Done&);
    std::size_t lane_shard(std::uint64_t sock);

    // The socket `id` names; throws control::ArgumentError (not_found) when there is none.
    std::shared_ptr<SockRecord> record(std::uint64_t id);
    // Takes a fresh TCP socket out of the lobby for a shard to run; false if it is placed
    // already (or being placed).
    bool take_from_lobby(SockRecord& record);
    void return_to_lobby(const std::shared_ptr<SockRecord>& record);
    void listen_everywhere(std::shared_ptr<SockRecord> record, control::Done done);
    std::size_t any_shard();

    SocketTable table_;
    Lobby lobby_;
    std::unique_ptr<ServiceContext> context_;
    std::atomic<std::uint32_t> next_shard_{0};
    std::atomic<std::uint64_t> next_lane_{1};
    // Last: its thread calls into the lobby and the table.
    FdWaker waker_;
    std::size_t lobby_slot_ = 0;
};

}  // namespace shmifd::sockets
