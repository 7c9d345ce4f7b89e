#include "tcp_splice.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

constexpr std::size_t buffer_size = 64 * 1024;

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
    towards_client_.bytes.resize(buffer_size);
    towards_network_.bytes.resize(buffer_size);
    std::lock_guard lock(record_->mutex);
    filler_left_ = connected ? 0 : record_->junk;
}

TcpSplice::~TcpSplice() {
    if (fd_ >= 0) {
        owner_.reactor().remove(fd_);
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
    if (client_gone_ && client_eof_ && towards_network_.empty()) {
        // Every copy of the client's descriptor is closed and all it wrote is queued: close
        // as the kernel does — a FIN after the data, or a RST if received data went unread.
        const bool unread = !towards_client_.empty();
        if (unread)
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

// Stack → client. True if anything moved.
bool TcpSplice::to_client() {
    bool moved = false;
    auto& b = towards_client_;
    for (;;) {
        if (b.empty() && !peer_eof_ && !urgent_to_client()) break;
        if (b.empty() && !peer_eof_) {
            auto got = shard_.stack().tcp_receive(socket_, b.bytes, steady_now());
            if (got && *got > 0) {
                b.begin = 0;
                b.end = *got;
            } else if (got) {
                peer_eof_ = true;
            } else if (got.error() == netstack::SocketError::would_block) {
                break;
            } else {
                fail(got.error());
                return moved;
            }
        }
        if (b.empty()) break;
        if (!fd_writable_) break;
        const ssize_t n =
            ::send(fd_, b.bytes.data() + b.begin, b.end - b.begin, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            b.begin += static_cast<std::size_t>(n);
            record_->bytes_in += static_cast<std::uint64_t>(n);
            moved = true;
            if (b.empty()) b.begin = b.end = 0;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            fd_writable_ = false;
            break;
        }
        if (end_ == SpliceEnd::host_tcp) {
            host_failed(errno);
            return moved;
        }
        // The client shut down reading or is gone: what the peer sends is dropped.
        b.begin = b.end = 0;
        client_gone_ = true;
        break;
    }
    if (peer_eof_ && b.empty() && !eof_delivered_) {
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
        towards_client_.bytes[0] = *oob_to_client_;
        towards_client_.begin = 0;
        towards_client_.end = 1;
    } else if (n > 0) {
        record_->bytes_in += 1;
    }
    // Any other error is the descriptor's, and the next write meets it.
    oob_to_client_.reset();
    return true;
}

// Client → stack. True if anything moved.
bool TcpSplice::to_network() {
    bool moved = false;
    auto& b = towards_network_;
    for (;;) {
        if (b.empty() && !client_eof_ && reader_.readable()) {
            const auto got = reader_.read(b.bytes);
            if (got.n > 0) {
                b.begin = 0;
                b.end = static_cast<std::size_t>(got.n);
                b.urgent = got.urgent;
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
        if (b.empty()) break;
        const std::span<const std::byte> pending{b.bytes.data() + b.begin, b.end - b.begin};
        auto sent = b.urgent ? shard_.stack().tcp_send_urgent(socket_, pending, steady_now())
                             : shard_.stack().tcp_send(socket_, pending, steady_now());
        if (sent) {
            b.begin += *sent;
            record_->bytes_out += *sent;
            moved = true;
            if (b.empty()) b.begin = b.end = 0;
            continue;
        }
        if (sent.error() == netstack::SocketError::would_block) break;
        if (sent.error() == netstack::SocketError::shut_down) {
            b.begin = b.end = 0;  // nothing more can be sent: drop what the client wrote
            continue;
        }
        fail(sent.error());
        return moved;
    }
    if (client_eof_ && b.empty() && !fin_sent_ && !client_gone_) {
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
    owner_.reactor().remove(fd_);
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
