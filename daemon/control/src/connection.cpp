#include "connection.hpp"

#include <fmt/format.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <vector>

#include "shmifd/control/pass_fds.hpp"
#include "shmifd/control/protocol.hpp"

namespace shmifd::control {

namespace asio = boost::asio;

namespace {

// One request's place in the server-wide max_in_flight budget, shared by the copies of its
// Done: given back when Done first runs, or when the last copy is destroyed unanswered (a
// job dropped at shutdown), so the budget never leaks.
class InFlightTicket {
  public:
    explicit InFlightTicket(std::shared_ptr<ControlServer::State> server)
        : server_(std::move(server)) {}
    ~InFlightTicket() { answer(); }
    InFlightTicket(const InFlightTicket&) = delete;
    InFlightTicket& operator=(const InFlightTicket&) = delete;

    // True the first time only: Done counts once.
    bool answer() {
        if (answered_.exchange(true)) return false;
        server_->counters.in_flight--;
        return true;
    }

  private:
    std::shared_ptr<ControlServer::State> server_;
    std::atomic<bool> answered_{false};
};

}  // namespace

Connection::Connection(std::shared_ptr<ControlServer::State> server, Socket socket)
    : server_(std::move(server)),
      socket_(std::move(socket)),
      write_timer_(socket_.get_executor()),
      framer_(server_->options.max_line) {
    // Who is asking, for the daemon's log of changes; the kernel vouches for it.
    ucred credentials{};
    socklen_t size = sizeof credentials;
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) == 0)
        peer_pid_ = credentials.pid;
    client_ = server_->next_client++;
}

void Connection::start() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->pump(); });
}

void Connection::shut_down() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        self->shutting_down_ = true;
        self->close_when_idle();
    });
}

void Connection::give_up() {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
        if (self->closed_) return;
        self->shutting_down_ = true;
        self->answer_unanswered(errc::shutting_down,
                                "the daemon stopped before this request finished (drain time "
                                "over)");
        self->flush_ready();
        self->close_when_idle();
    });
}

void Connection::answer_unanswered(std::string_view code, std::string_view message) {
    for (auto& slot : slots_)
        if (!slot.line) slot.line = error_line(slot.id, code, message);
    in_flight_ = 0;  // the handler's late answers find their slots filled and are dropped
}

bool Connection::may_take_more() const {
    // Flow control: a client stops being read while it has too many requests unanswered or
    // too many reply bytes it has not read yet.
    return !closed_ && slots_.size() < server_->options.max_pending_replies &&
           queued_bytes() < server_->options.max_queued_bytes;
}

// Works through buffered input as far as flow control allows, then reads more.
void Connection::pump() {
    while (may_take_more() && read_begin_ < read_end_) {
        const std::string_view input(read_buffer_.data() + read_begin_, read_end_ - read_begin_);
        const auto event = framer_.next(input);
        read_begin_ += event.consumed;
        if (event.kind == LineFramer::Kind::line) {
            on_line(event.line);
        } else if (event.kind == LineFramer::Kind::too_large) {
            server_->counters.requests++;
            server_->counters.too_large++;
            answer_now(error_line(nullptr, errc::too_large,
                                  fmt::format("request line longer than {} bytes; skipped",
                                              server_->options.max_line)));
        }
    }
    if (read_begin_ == read_end_) read_begin_ = read_end_ = 0;
    if (read_end_ == 0 && !reading_ && !peer_done_ && may_take_more()) read_more();
    close_when_idle();
}

void Connection::read_more() {
    reading_ = true;
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
            self->reading_ = false;
            if (self->closed_) return;
            if (error == asio::error::eof || error == asio::error::connection_reset) {
                // A line cut short by the peer closing is not a request.
                self->peer_done_ = true;
            } else if (error) {
                self->close();
                return;
            }
            self->read_end_ = n;
            self->read_begin_ = 0;
            self->pump();
        });
}

void Connection::on_line(std::string_view line) {
    auto& counters = server_->counters;
    counters.requests++;
    auto parsed = parse_request(line);
    if (!parsed) {
        counters.protocol_errors++;
        answer_now(reply_line(parsed.error().id, std::unexpected(parsed.error().error)));
        return;
    }
    Request& request = *parsed;
    if (shutting_down_ || server_->stopping) {
        counters.protocol_errors++;
        answer_now(error_line(request.id, errc::shutting_down, "the daemon is shutting down"));
        return;
    }
    if (!is_known_command(request.cmd)) {
        counters.protocol_errors++;
        answer_now(error_line(request.id, errc::unknown_command,
                              fmt::format("unknown command {:?}", request.cmd)));
        return;
    }

    if (counters.in_flight.fetch_add(1) >= server_->options.max_in_flight) {
        counters.in_flight--;
        counters.refused_busy++;
        answer_now(error_line(request.id, errc::busy,
                              fmt::format("the daemon has {} requests in flight; retry later",
                                          server_->options.max_in_flight)));
        return;
    }
    auto ticket = std::make_shared<InFlightTicket>(server_);

    request.peer_pid = peer_pid_;
    request.client = client_;
    const std::uint64_t seq = first_seq_ + slots_.size();
    slots_.push_back(Slot{.line = std::nullopt, .id = request.id});
    in_flight_++;
    // done() may run on any thread, at most once counts: the reply is posted to our strand.
    Done done{[weak = weak_from_this(), executor = socket_.get_executor(), seq, id = request.id,
               ticket = std::move(ticket)](Result result, OwnedFds fds) {
        if (!ticket->answer()) return;
        // A shared_ptr: the posted handler must be copyable for Asio, OwnedFds is not.
        auto owned = std::make_shared<OwnedFds>(std::move(fds));
        asio::post(executor, [weak, seq, id, result = std::move(result), owned]() mutable {
            if (auto self = weak.lock())
                self->complete(seq, id, std::move(result), std::move(*owned));
        });
    }};
    try {
        server_->handler.handle(std::move(request), done);
    } catch (const ArgumentError& error) {
        counters.handler_errors++;
        done(std::unexpected(CommandError{error.code, error.what()}));
    } catch (const std::exception& error) {
        counters.handler_errors++;
        done(std::unexpected(CommandError{errc::failed, error.what()}));
    } catch (...) {
        counters.handler_errors++;
        done(std::unexpected(CommandError{errc::failed, "the command failed"}));
    }
}

void Connection::answer_now(std::string line) {
    slots_.push_back(Slot{.line = std::move(line), .id = nullptr});
    flush_ready();
}

void Connection::complete(std::uint64_t seq, const nlohmann::json& id, Result result,
                          OwnedFds fds) {
    if (closed_ || seq < first_seq_ || seq - first_seq_ >= slots_.size()) return;
    if (slots_[seq - first_seq_].line) return;  // answered shutting_down by give_up()
    in_flight_--;
    slots_[seq - first_seq_].line = reply_line(id, result);
    slots_[seq - first_seq_].fds = std::move(fds);
    flush_ready();
    pump();  // a slot or queue bound may have been what paused reading
}

std::size_t Connection::queued_bytes() const {
    return queued_size_ + writing_.bytes.size();
}

// Moves the replies that are next in request order to the output: lines without descriptors
// join the last chunk, a line with descriptors starts its own.
void Connection::flush_ready() {
    while (!slots_.empty() && slots_.front().line) {
        Slot& slot = slots_.front();
        queued_size_ += slot.line->size();
        if (queued_.empty() || !slot.fds.empty())
            queued_.push_back(Chunk{.bytes = std::move(*slot.line), .fds = std::move(slot.fds)});
        else
            queued_.back().bytes += *slot.line;
        slots_.pop_front();
        first_seq_++;
    }
    write_more();
}

void Connection::write_more() {
    if (closed_ || !writing_.bytes.empty() || queued_.empty()) return;
    writing_ = std::move(queued_.front());
    queued_.pop_front();
    queued_size_ -= writing_.bytes.size();
    // A client that does not read its replies is dropped instead of holding memory.
    write_timer_.expires_after(server_->options.write_timeout);
    write_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
        if (error || self->closed_ || self->writing_.bytes.empty()) return;
        self->server_->counters.slow_clients_dropped++;
        self->close();
    });
    if (!writing_.fds.empty()) {
        write_with_fds();
        return;
    }
    asio::async_write(socket_, asio::buffer(writing_.bytes),
                      [self = shared_from_this()](const boost::system::error_code& error,
                                                  std::size_t) { self->wrote(error); });
}

// SCM_RIGHTS needs sendmsg: the descriptors go with the first bytes the socket takes, the
// rest of the line follows as an ordinary write.
void Connection::write_with_fds() {
    const ssize_t sent =
        send_with_fds(socket_.native_handle(), writing_.bytes.data(), writing_.bytes.size(),
                      writing_.fds.fds(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        socket_.async_wait(Socket::wait_write,
                           [self = shared_from_this()](const boost::system::error_code& error) {
                               if (self->closed_) return;
                               if (error) {
                                   self->wrote(error);
                                   return;
                               }
                               self->write_with_fds();
                           });
        return;
    }
    if (sent < 0) {
        wrote(boost::system::error_code(errno, boost::system::system_category()));
        return;
    }
    writing_.fds = OwnedFds{};  // the client has them now: our copies are closed
    writing_.bytes.erase(0, static_cast<std::size_t>(sent));
    if (writing_.bytes.empty()) {
        wrote({});
        return;
    }
    asio::async_write(socket_, asio::buffer(writing_.bytes),
                      [self = shared_from_this()](const boost::system::error_code& error,
                                                  std::size_t) { self->wrote(error); });
}

void Connection::wrote(const boost::system::error_code& error) {
    if (closed_) return;
    write_timer_.cancel();
    if (error) {
        close();
        return;
    }
    writing_ = Chunk{};
    write_more();
    pump();
}

void Connection::close_when_idle() {
    if (closed_) return;
    const bool nothing_owed = slots_.empty() && queued_.empty() && writing_.bytes.empty();
    if (nothing_owed && (peer_done_ || (shutting_down_ && in_flight_ == 0))) close();
}

void Connection::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    write_timer_.cancel();
    slots_.clear();
    asio::post(server_->strand,
               [server = server_, self = shared_from_this()] { server->forget(self.get()); });
}

void Connection::close_now() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    write_timer_.cancel();
    slots_.clear();
}

}  // namespace shmifd::control
