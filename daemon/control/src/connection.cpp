#include "connection.hpp"

#include <fmt/format.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <exception>

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
           queued_.size() + writing_.size() < server_->options.max_queued_bytes;
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
    const std::uint64_t seq = first_seq_ + slots_.size();
    slots_.push_back(Slot{.line = std::nullopt, .id = request.id});
    in_flight_++;
    // done() may run on any thread, at most once counts: the reply is posted to our strand.
    Done done = [weak = weak_from_this(), executor = socket_.get_executor(), seq, id = request.id,
                 ticket = std::move(ticket)](Result result) {
        if (!ticket->answer()) return;
        asio::post(executor, [weak, seq, id, result = std::move(result)]() mutable {
            if (auto self = weak.lock()) self->complete(seq, id, std::move(result));
        });
    };
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

void Connection::complete(std::uint64_t seq, const nlohmann::json& id, Result result) {
    if (closed_ || seq < first_seq_ || seq - first_seq_ >= slots_.size()) return;
    if (slots_[seq - first_seq_].line) return;  // answered shutting_down by give_up()
    in_flight_--;
    slots_[seq - first_seq_].line = reply_line(id, result);
    flush_ready();
    pump();  // a slot or queue bound may have been what paused reading
}

// Moves the replies that are next in request order to the output.
void Connection::flush_ready() {
    while (!slots_.empty() && slots_.front().line) {
        queued_ += *slots_.front().line;
        slots_.pop_front();
        first_seq_++;
    }
    write_more();
}

void Connection::write_more() {
    if (closed_ || !writing_.empty() || queued_.empty()) return;
    writing_.swap(queued_);
    // A client that does not read its replies is dropped instead of holding memory.
    write_timer_.expires_after(server_->options.write_timeout);
    write_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
        if (error || self->closed_ || self->writing_.empty()) return;
        self->server_->counters.slow_clients_dropped++;
        self->close();
    });
    asio::async_write(
        socket_, asio::buffer(writing_),
        [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
            if (self->closed_) return;
            self->write_timer_.cancel();
            if (error) {
                self->close();
                return;
            }
            self->writing_.clear();
            self->write_more();
            self->pump();
        });
}

void Connection::close_when_idle() {
    if (closed_) return;
    const bool nothing_owed = slots_.empty() && queued_.empty() && writing_.empty();
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
