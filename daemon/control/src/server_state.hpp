// What the server and its connections share. Connections hold it by shared_ptr, so it lives
// until the last of them is gone even when the ControlServer object is destroyed first.
#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <unordered_map>

#include "shmifd/control/server.hpp"
#include "socket_file.hpp"

namespace shmifd::control {

class Connection;

struct ServerCounters {
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> refused_clients{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> protocol_errors{0};
    std::atomic<std::uint64_t> too_large{0};
    std::atomic<std::uint64_t> handler_errors{0};
    std::atomic<std::uint64_t> slow_clients_dropped{0};
    std::atomic<std::uint64_t> active_clients{0};
    std::atomic<std::uint64_t> refused_busy{0};
    // Not a counter: requests handed to the handler and not answered yet (max_in_flight).
    std::atomic<std::uint64_t> in_flight{0};
};

struct ControlServer::State : std::enable_shared_from_this<ControlServer::State> {
    using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

    State(boost::asio::io_context& io_context, CommandHandler& command_handler,
          ServerOptions server_options)
        : io(io_context),
          handler(command_handler),
          options(std::move(server_options)),
          strand(boost::asio::make_strand(io_context)),
          acceptor(strand),
          grace_timer(strand),
          accept_retry(strand) {}

    boost::asio::io_context& io;
    CommandHandler& handler;
    const ServerOptions options;
    ServerCounters counters;
    std::atomic<bool> stopping{false};          // read by connections on their own strands
    std::atomic<std::uint64_t> next_client{1};  // Request::client of each new connection

    // Everything below: on `strand` only.
    Strand strand;
    boost::asio::local::stream_protocol::acceptor acceptor;
    boost::asio::steady_timer grace_timer;
    boost::asio::steady_timer accept_retry;  // after accept errors such as EMFILE
    std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
    std::vector<std::function<void()>> on_stopped;
    SocketFile file;
    bool listening = false;
    bool stopped = false;  // on_stopped callbacks ran

    void accept_next();
    void begin_stop();
    void end_grace();
    void forget(Connection* connection);
    void finish_stop_if_idle();
    void close_everything_now();
};

}  // namespace shmifd::control
