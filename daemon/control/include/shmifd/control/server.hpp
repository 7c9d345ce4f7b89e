// The control socket: a Unix-domain stream socket speaking daemon/PROTOCOL.md, served on an
// io_context the owner runs (the daemon's control thread). Requests are parsed and validated
// here; valid ones go to a CommandHandler, whose answers are sent back in request order.
#pragma once

#include <boost/asio/io_context.hpp>

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "shmifd/control/handler.hpp"

namespace shmifd::control {

struct ServerOptions {
    std::filesystem::path path{};
    // Permission bits of the socket file: 0600 by default, 0660 when `group` is set.
    std::optional<mode_t> mode{};
    // Group owning the socket (a name or a numeric gid); empty keeps the daemon's group.
    std::string group{};
    std::size_t max_line = 64 * 1024;  // bytes per request line, '\n' excluded
    std::size_t max_clients = 64;      // further ones get a `busy` line and are closed
    // Requests of one client waiting for their reply; reading from that client pauses
    // beyond it (pipelining is allowed, flooding is not).
    std::size_t max_pending_replies = 64;
    // Requests handed to the handler and not yet answered, over all clients together: beyond
    // it a request is answered `busy` at once. Bounds the work clients can leave running
    // (a long ping, then disconnect, then again), whatever the number of connections.
    std::size_t max_in_flight = 256;
    // Reply bytes queued for one client: reading from it pauses beyond it, and a client whose
    // queue does not drain within `write_timeout` is dropped.
    std::size_t max_queued_bytes = 4 * 1024 * 1024;
    std::chrono::milliseconds write_timeout{5000};
    // On stop(): how long requests already handed to the handler may still take (the drain
    // time); those still running then are answered `shutting_down`.
    std::chrono::milliseconds stop_grace{5000};
};

// Counters, readable from any thread.
struct ServerStats {
    std::uint64_t accepted = 0;
    std::uint64_t refused_clients = 0;  // over max_clients
    std::uint64_t requests = 0;         // lines received (valid or not)
    std::uint64_t protocol_errors = 0;  // lines answered without reaching the handler
    std::uint64_t too_large = 0;
    std::uint64_t handler_errors = 0;  // handlers that threw (answered `failed`/ArgumentError)
    std::uint64_t slow_clients_dropped = 0;
    std::uint64_t active_clients = 0;
    std::uint64_t refused_busy = 0;  // requests answered busy: over max_in_flight
    std::uint64_t in_flight = 0;     // requests the handler has not answered yet
};

// CommandHandler::handle() runs on the io_context's threads: with one thread running it (the
// daemon's control thread), calls never overlap. Connections are independent strands, so with
// several threads, handle() calls for different clients may run at the same time.
class ControlServer {
  public:
    // Does not touch the file system yet: see start().
    ControlServer(boost::asio::io_context& io, CommandHandler& handler, ServerOptions options);
    // Closes everything at once (no grace): call stop() first for a graceful end. Must not
    // run concurrently with the io_context's threads (stop or join them first), or must run
    // on one of them.
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Creates the socket file (parent directory 0755 if missing; a stale socket is replaced,
    // a live one — another daemon answering — is refused, as is any other kind of file),
    // applies mode and group, and starts accepting. Throws std::runtime_error with a one-line
    // reason on failure. Call once, before or while the io_context runs.
    void start();

    // Graceful stop, callable from any thread: stops accepting and removes the socket file,
    // answers `shutting_down` to new requests, lets requests in flight finish for up to
    // `stop_grace`, then answers those still unanswered `shutting_down` and closes each
    // connection once its replies are written (or after write_timeout). `on_stopped` runs on
    // the io_context once the last connection is closed. Later calls only add their
    // callback.
    void stop(std::function<void()> on_stopped = {});
    // After stop(): ends the grace period now (the daemon's second SIGTERM).
    void end_grace();

    const std::filesystem::path& path() const;
    ServerStats stats() const;

    struct State;  // shared with connections: outlives the server while they finish

  private:
    std::shared_ptr<State> state_;
};

}  // namespace shmifd::control
