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
    void open(control::Args&, const control::Request&, control::Done&);
    void bind(control::Args&, control::Done&);
    void listen(control::Args&, control::Done&);
    void connect(control::Args&, control::Done&);
    void accept(control::Args&, control::Done&);
    void name(control::Args&, control::Done&);
    void setopt(control::Args&, control::Done&);
    void getopt(control::Args&, control::Done&);
    void list(control::Args&, control::Done&);

    std::shared_ptr<SockRecord> record(control::Args& args);
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
    // Last: its thread calls into the lobby and the table.
    FdWaker waker_;
    std::size_t lobby_slot_ = 0;
};

}  // namespace shmifd::sockets
