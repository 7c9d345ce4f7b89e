#include "host_acceptor.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "host_socket.hpp"
#include "shard_forwards.hpp"
#include "sockets/errno_names.hpp"
#include "sockets/fd_reactor.hpp"

namespace shmifd::forward {

HostAcceptor::HostAcceptor(ShardForwards& owner, std::shared_ptr<ForwardState> state, int listener,
                           std::uint16_t port_index)
    : owner_(owner), state_(std::move(state)), listener_(listener), port_index_(port_index) {}

HostAcceptor::~HostAcceptor() {
    owner_.reactor().remove(listener_);
    ::close(listener_);
}

bool HostAcceptor::start() {
    return owner_.reactor().add(listener_, EPOLLIN, [this](std::uint32_t) { accept_all(); });
}

// Edge-triggered: until EAGAIN. Bounded by the listening socket's backlog.
void HostAcceptor::accept_all() {
    for (;;) {
        sockaddr_in peer{};
        socklen_t length = sizeof peer;
        const int fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN) return;
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: take the connection and reset it, or it would wake us
                // again at once. (accept fails so before it looks at the queue: there may be
                // nothing to take.)
                const int error = errno;
                if (!owner_.spare().shed(listener_)) return;
                state_->counters.fd_exhausted.fetch_add(1, std::memory_order_relaxed);
                state_->counters.refused.fetch_add(1, std::memory_order_relaxed);
                // Once a second at most: a flood must not flood the log too.
                const auto now = std::chrono::steady_clock::now();
                if (now - last_warning_ >= std::chrono::seconds(1)) {
                    last_warning_ = now;
                    spdlog::warn("{}: accept: {}; connections refused ({} so far)",
                                 state_->spec.name(), sockets::errno_name(error),
                                 state_->counters.fd_exhausted.load());
                }
                continue;
            }
            spdlog::error("{}: accept: {}", state_->spec.name(), sockets::errno_name(errno));
            return;
        }
        if (!state_->admit()) {
            reset_and_close(fd);
            continue;
        }
        owner_.dispatch_inbound(state_, fd, from_sockaddr(peer), state_->spec.target(port_index_));
    }
}

}  // namespace shmifd::forward
