#include "tcp_splice.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>

#include "../shard.hpp"
#include "endpoint_json.hpp"
#include "errno_names.hpp"
#include "fd_reactor.hpp"
#include "reset_close.hpp"
#include "socket_pair.hpp"
#include "steady_now.hpp"

namespace shmifd::sockets {

namespace {

// The most one read(2) of the descriptor puts into the send buffer.
constexpr std::size_t max_read = 256 * 1024;

}  // namespace

TcpSplice::TcpSplice(Shard& shard, SpliceOwner& owner, std::shared_ptr<SockRecord> record, int fd,
                     netstack::SocketId socket, bool connected, SpliceEnd end)
    : shard_(shard),
      owner_(owner),
      record_(std::move(record)),
      fd_(fd),
      socket_(socket),
      connected_(connected),
      end_(end),
      reader_(fd) {
    std::lock_guard lock(record_->mutex);
    filler_left_ = connected ? 0 : record_->junk;
}

TcpSplice::~TcpSplice() {
    if (fd_ >= 0) {
        owner_.reactor().forget(fd_);
        ::close(fd_);
    }
}

bool TcpSplice::start() {
    shard_.watch(socket_, [this] { on_stack(); });
    return owner_.reactor().add(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI,
                                [this](std::uint32_t events) { on_fd(events); });
}

void TcpSplice::abort() {
    if (finished_) return;
    (void)shard_.stack().tcp_abort(socket_, steady_now());
    finish("ECONNRESET");
}

void TcpSplice::on_fd(std::uint32_t events) {
    reader_.on_events(events);
    if (events & EPOLLOUT) fd_writable_ = true;
    if (events & (EPOLLHUP | EPOLLERR)) client_gone_ = true;
    pump();
}

void TcpSplice::on_stack() {
    if (finished_) return;
    if (!connected_) {
        if (auto error = shard_.stack().tcp_take_error(socket_)) {
            fail(*error);
            return;
        }
        auto info = shard_.stack().tcp_info(socket_);
        if (!info || info->state == netstack::TcpState::syn_sent ||
            info->state == netstack::TcpState::closed) {
            pump();  // still connecting; the client may have given up
            return;
        }
        connected();
    }
    pump();
}

void TcpSplice::connected() {
    connected_ = true;
    std::optional<control::Done> waiter;
    netstack::Endpoint local{};
    {
        auto info = shard_.stack().tcp_info(socket_);
        std::lock_guard lock(record_->mutex);
        if (info) {
            record_->local = info->local;
            record_->remote = info->remote;
            local = info->local;
        }
        record_->state = "ESTABLISHED";
        waiter = std::exchange(record_->connect_waiter, std::nullopt);
    }
    // The filler goes first, so the client's descriptor is writable when it hears back.
    drain_filler();
    if (waiter) (*waiter)(nlohmann::json{{"local", endpoint_json(record_->domain, local)}});
}

void TcpSplice::pump() {
    if (finished_) return;
    if (!connected_) {
        if (client_gone_) {
            (void)shard_.stack().tcp_abort(socket_, steady_now());
            finish("");
        }
        return;
    }
    if (!drain_filler()) return;
    // Each direction until it is blocked; a few rounds, since one direction's progress (a
    // window update sent, an ACK) can unblock the other.
    for (int round = 0; round < 4; ++round) {
        const bool a = to_client();
        if (finished_) return;
        const bool b = to_network();
        if (finished_) return;
        if (!a && !b) break;
    }
    if (client_gone_ && client_eof_) {
        // Every copy of the client's descriptor is closed and all it wrote is queued: close
        // as the kernel does — a FIN after the data, or a RST if received data went unread.
        if (inline_to_client_)
            (void)shard_.stack().tcp_abort(socket_, steady_now());
        else
            (void)shard_.stack().tcp_close(socket_, steady_now());
        finish("");
    }
}

bool TcpSplice::drain_filler() {
    filler_left_ = discard_filler(fd_, filler_left_);
    return filler_left_ == 0;
}

// Stack → client, written to the descriptor straight from the receive buffer. True if
// anything moved.
bool TcpSplice::to_client() {
    bool moved = false;
    while (!peer_eof_) {
        const bool inline_byte = inline_to_client_.has_value();
        if (!inline_byte && !urgent_to_client()) break;
        std::span<const std::byte> pending;
        if (inline_to_client_) {
            pending = {&*inline_to_client_, 1};
        } else {
            auto held = shard_.stack().tcp_receive_view(socket_);
            if (!held) {
                if (held.error() == netstack::SocketError::would_block) break;
                fail(held.error());
                return moved;
            }
            if (held->empty()) {
                peer_eof_ = true;
                break;
            }
            pending = *held;
        }
        if (!fd_writable_) break;
        const ssize_t n = ::send(fd_, pending.data(), pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n == 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
            fd_writable_ = false;
            break;
        }
        if (n < 0 && end_ == SpliceEnd::host_tcp) {
            host_failed(errno);
            return moved;
        }
        // n < 0: the client shut down reading or is gone, and what the peer sends is dropped.
        const std::size_t taken = n > 0 ? static_cast<std::size_t>(n) : pending.size();
        if (inline_byte)
            inline_to_client_.reset();
        else
            (void)shard_.stack().tcp_receive_commit(socket_, taken, steady_now());
        if (n < 0) {
            client_gone_ = true;
            break;
        }
        record_->bytes_in += taken;
        moved = true;
    }
    if (peer_eof_ && !eof_delivered_) {
        ::shutdown(fd_, SHUT_WR);
        eof_delivered_ = true;
        std::lock_guard lock(record_->mutex);
        record_->state = fin_sent_ ? "CLOSING" : "CLOSE-WAIT";
    }
    return moved;
}

bool TcpSplice::urgent_to_client() {
    // Before every read: one that started at the mark would skip the byte.
    if (!oob_to_client_) {
        const auto urgent = shard_.stack().tcp_urgent(socket_);
        if (urgent && urgent->at_mark && urgent->byte_ready) {
            if (auto byte = shard_.stack().tcp_receive_urgent(socket_)) oob_to_client_ = *byte;
        }
    }
    if (!oob_to_client_) return true;
    if (!fd_writable_) return false;
    const ssize_t n = ::send(fd_, &*oob_to_client_, 1, MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        fd_writable_ = false;
        return false;
    }
    if (n < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) {
        // A kernel without AF_UNIX MSG_OOB: the byte goes inline rather than nowhere.
        inline_to_client_ = *oob_to_client_;
    } else if (n > 0) {
        record_->bytes_in += 1;
    }
    // Any other error is the descriptor's, and the next write meets it.
    oob_to_client_.reset();
    return true;
}

// Client → stack, read from the descriptor straight into the send buffer. True if anything
// moved.
bool TcpSplice::to_network() {
    bool moved = false;
    while (!client_eof_ && reader_.readable()) {
        auto room = shard_.stack().tcp_send_space(socket_, max_read);
        std::array<std::byte, 16 * 1024> dropped;
        if (!room) {
            if (room.error() == netstack::SocketError::would_block) break;
            if (room.error() != netstack::SocketError::shut_down) {
                fail(room.error());
                return moved;
            }
            // Nothing more can be sent: what the client writes is read and dropped.
        }
        const auto got = reader_.read(room ? *room : std::span<std::byte>(dropped));
        if (got.n > 0) {
            if (room) {
                const auto n = static_cast<std::size_t>(got.n);
                (void)shard_.stack().tcp_send_commit(socket_, n, steady_now(), got.urgent);
                record_->bytes_out += n;
            }
            moved = true;
        } else if (got.n == 0) {
            client_eof_ = true;
        } else if (got.error == EAGAIN || got.error == EINTR) {
            // Nothing more until the next edge.
        } else if (end_ == SpliceEnd::host_tcp) {
            host_failed(got.error);
            return moved;
        } else {
            client_eof_ = true;
            client_gone_ = true;
        }
    }
    if (client_eof_ && !fin_sent_ && !client_gone_) {
        (void)shard_.stack().tcp_shutdown(socket_, netstack::ShutdownHow::write, steady_now());
        fin_sent_ = true;
        std::lock_guard lock(record_->mutex);
        record_->state = eof_delivered_ ? "LAST-ACK" : "FIN-WAIT-1";
    }
    return moved;
}

void TcpSplice::fail(netstack::SocketError error) {
    const std::string name = errno_name(error);
    std::optional<control::Done> waiter;
    {
        std::lock_guard lock(record_->mutex);
        record_->pending_error = name;
        record_->state = "CLOSED";
        waiter = std::exchange(record_->connect_waiter, std::nullopt);
    }
    // A client's failed attempt hangs up before its descriptor turns writable: writable
    // without a hang-up means connected, and libshmifsock's blocking connect asks nothing
    // more. (A host socket is reset in finish() instead: a shutdown would send a FIN.)
    if (!connected_ && end_ == SpliceEnd::client_pair) ::shutdown(fd_, SHUT_RDWR);
    drain_filler();  // so that a non-blocking connect sees POLLOUT (with POLLHUP)
    if (waiter)
        (*waiter)(
            std::unexpected(control::CommandError{"failed", netstack::describe(error), name}));
    (void)shard_.stack().tcp_close(socket_, steady_now());
    finish(name);
}

void TcpSplice::host_failed(int error) {
    // The host's end was reset or never connected: so is the connection in the stack.
    (void)shard_.stack().tcp_abort(socket_, steady_now());
    {
        std::lock_guard lock(record_->mutex);
        record_->state = "CLOSED";
    }
    finish(errno_name(error));
}

void TcpSplice::finish(const std::string& last_error) {
    if (finished_) return;
    finished_ = true;
    shard_.unwatch(socket_);
    // Why the connection ended is in place before the client can see its end-of-file: the
    // shim asks for SO_ERROR at that end-of-file (libshmifsock/shim/interpose_data.c).
    std::string error = last_error;
    {
        std::lock_guard lock(record_->mutex);
        record_->closed = true;
        if (error.empty())
            error = record_->pending_error;
        else
            record_->pending_error = error;
    }
    // Closing our end: the client reads ECONNRESET if we left its data unread, else EOF. A
    // host connection is reset when the connection in the stack ended in error.
    owner_.reactor().forget(fd_);
    if (end_ == SpliceEnd::host_tcp && !error.empty())
        reset_and_close(fd_);
    else
        ::close(fd_);
    fd_ = -1;
    // The tombstone keeps the error only if nobody took it in the meantime (once, as SO_ERROR).
    {
        std::lock_guard lock(record_->mutex);
        error = record_->pending_error;
    }
    owner_.retire_tcp(record_->id, error);
}

}  // namespace shmifd::sockets
