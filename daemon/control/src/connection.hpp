// One client of the control socket: reads request lines, hands them to the CommandHandler,
// writes replies in request order, with every buffer bounded (ServerOptions).
#pragma once

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "line_framer.hpp"
#include "server_state.hpp"

namespace shmifd::control {

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    using Socket = boost::asio::local::stream_protocol::socket;
    Connection(std::shared_ptr<ControlServer::State> server, Socket socket);

    // All but close_now() may be called from any thread (they post to the connection's strand);
    // close_now() runs in the caller (see ~ControlServer).
    void start();
    void shut_down();  // answer shutting_down from now on; close once nothing is in flight
    // The drain time is over: every request still unanswered is answered shutting_down,
    // then the connection closes once its replies are written (write_timeout bounds that).
    void give_up();
    void close_now();

  private:
    // A reply slot per request line, in arrival order; filled when its reply is ready.
    struct Slot {
        std::optional<std::string> line;
        nlohmann::json id{};  // the request's, for a reply made here instead of the handler's
        OwnedFds fds{};       // passed on the reply line's first byte
    };
    // Reply bytes on their way out; descriptors ride on the first byte of `bytes`.
    struct Chunk {
        std::string bytes;
        OwnedFds fds{};
    };

    void pump();
    void read_more();
    void on_line(std::string_view line);
    void answer_now(std::string line);
    void complete(std::uint64_t seq, const nlohmann::json& id, Result result, OwnedFds fds);
    void flush_ready();
    void write_more();
    void write_with_fds();
    void wrote(const boost::system::error_code& error);
    std::size_t queued_bytes() const;
    void close_when_idle();
    void answer_unanswered(std::string_view code, std::string_view message);
    void close();
    bool may_take_more() const;

    std::shared_ptr<ControlServer::State> server_;
    Socket socket_;
    std::int64_t peer_pid_ = 0;  // SO_PEERCRED at accept; 0 unknown
    std::uint64_t client_ = 0;   // Request::client
    boost::asio::steady_timer write_timer_;
    LineFramer framer_;

    std::array<char, 16 * 1024> read_buffer_{};
    std::size_t read_begin_ = 0;
    std::size_t read_end_ = 0;
    bool reading_ = false;
    bool peer_done_ = false;  // EOF: answer what was asked, then close

    std::deque<Slot> slots_;
    std::uint64_t first_seq_ = 0;  // seq of slots_.front()
    std::uint64_t in_flight_ = 0;  // slots waiting for a handler

    std::deque<Chunk> queued_;  // replies ready, not yet handed to the socket
    std::size_t queued_size_ = 0;
    Chunk writing_;  // the write in progress (its descriptors already sent)
    bool shutting_down_ = false;
    bool closed_ = false;
};

}  // namespace shmifd::control
