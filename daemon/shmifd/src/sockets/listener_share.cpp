#include "listener_share.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <utility>

#include "../shard.hpp"
#include "accept_handoff.hpp"
#include "shard_sockets.hpp"
#include "socket_pair.hpp"
#include "tcp_splice.hpp"

namespace shmifd::sockets {

namespace {
constexpr int max_accepts_per_event = 1024;

// Gives back a place taken in a listener's backlog once its connection is in the ready
// queue (or was refused).
struct PlaceTaken {
    SockRecord& listener;
    explicit PlaceTaken(SockRecord& l) : listener(l) {}
    PlaceTaken(const PlaceTaken&) = delete;
    PlaceTaken& operator=(const PlaceTaken&) = delete;
    ~PlaceTaken() {
        std::lock_guard lock(listener.mutex);
        --listener.accepting;
    }
};
}  // namespace

ListenerShare::ListenerShare(ShardSockets& owner, std::shared_ptr<SockRecord> record,
                             netstack::SocketId socket)
    : owner_(owner), record_(std::move(record)), socket_(socket) {}

ListenerShare::~ListenerShare() {
    stop();
}

void ListenerShare::start(bool watch_descriptor) {
    owner_.shard().watch(socket_, [this] { accept_ready(); });
    if (!watch_descriptor) return;
    std::lock_guard lock(record_->mutex);
    watched_fd_ = record_->daemon_end;
    const auto id = record_->id;
    const ServiceContext* context = &owner_.context();
    // Not EPOLLIN: a hand-off listener's acknowledgements are read by the shards that wait
    // for them (await_acknowledgements), not by a worker woken for each.
    owner_.reactor().add(watched_fd_, EPOLLRDHUP, [context, id](std::uint32_t happened) {
        if (!(happened & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))) return;
        // Every copy of the client's end is closed: the listener ends on every shard.
        for (std::size_t i = 0; i < context->shards.size(); ++i)
            context->post(i, [id](ShardSockets& s) { s.stop_listener(id); });
    });
}

// A hand-off listener that could not take or announce a connection for want of
// acknowledgements waits for them here, watching a copy of the descriptor in this shard's
// set for as long as it waits: no other worker is woken, and none at all while nobody waits.
// (The copy is a descriptor of its own, so it has its own place in an epoll set.)
void ListenerShare::await_acknowledgements() {
    if (ack_watch_ >= 0) return;
    int copy = -1;
    {
        std::lock_guard lock(record_->mutex);
        if (record_->daemon_end < 0) return;
        copy = ::fcntl(record_->daemon_end, F_DUPFD_CLOEXEC, 0);
    }
    // Adding reports what already waits: no acknowledgement is missed in between.
    auto came = [this](std::uint32_t events) {
        // The client's end is gone: shard 0 hears it too and stops every share; waiting on
        // would only be told again at once.
        if (events & (EPOLLHUP | EPOLLERR)) return stop_awaiting();
        acknowledgements_came();
    };
    if (copy < 0 || !owner_.reactor().add(copy, EPOLLIN, came)) {
        if (copy >= 0) ::close(copy);
        return;  // out of descriptors: the next accept or announcement reads them
    }
    ack_watch_ = copy;
}

void ListenerShare::stop_awaiting() {
    if (ack_watch_ < 0) return;
    owner_.reactor().remove(ack_watch_);  // the daemon's end stays open: epoll must be told
    ::close(ack_watch_);
    ack_watch_ = -1;
}

void ListenerShare::acknowledgements_came() {
    {
        std::lock_guard lock(record_->mutex);
        read_acknowledgements(*record_);
        announce_ready(*record_);
    }
    stop_awaiting();
    accept_ready();  // waits again if there is still no room
}

void ListenerShare::accept_ready() {
    if (stopped_) return;
    const bool no_room = !take_connections();
    bool waiting = false;
    {
        std::lock_guard lock(record_->mutex);
        waiting = record_->handoff && (no_room || record_->unannounced > 0);
    }
    if (waiting) await_acknowledgements();
}

bool ListenerShare::take_connections() {
    auto& stack = owner_.shard().stack();
    auto& table = owner_.context().table;
    const auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < max_accepts_per_event; ++i) {
        int listener_fd = -1;
        bool handoff = false;
        // An accepted socket has its listener's options (IPV6_V6ONLY too) and family, as in Linux.
        SockOptions inherited;
        {
            std::lock_guard lock(record_->mutex);
            if (!has_room(*record_)) return false;  // the stack queues more
            ++record_->accepting;  // the place is ours: the other shards accept at once
            listener_fd = record_->daemon_end;
            handoff = record_->handoff;
            inherited = record_->options;
        }
        const PlaceTaken place{*record_};
        auto accepted = stack.tcp_accept(socket_);
        if (!accepted) return true;
        auto info = stack.tcp_info(*accepted);
        auto record = table.add(SockType::tcp, record_->domain, record_->pid, record_->client);
        if (!record) {
            (void)stack.tcp_abort(*accepted, now);  // over the client's limit: refused
            continue;
        }
        auto pair =
            make_socket_pair(SockType::tcp, table.abstract_name((*record)->id, record_->domain));
        if (!pair) {
            (void)stack.tcp_abort(*accepted, now);
            table.remove((*record)->id, pair.error());
            continue;
        }
        {
            std::lock_guard lock((*record)->mutex);
            (*record)->state = "ESTABLISHED";
            (*record)->options = inherited;
            (*record)->shard = owner_.index();
            (*record)->placed = true;
            if (info) {
                (*record)->local = info->local;
                (*record)->remote = info->remote;
            }
        }
        owner_.adopt(*record, pair->daemon, *accepted);
        {
            std::lock_guard lock(record_->mutex);
            record_->ready.push_back(
                ReadyConnection{.sock = (*record)->id,
                                .client_end = control::OwnedFds(pair->client),
                                .local = info ? info->local : netstack::Endpoint{},
                                .remote = info ? info->remote : netstack::Endpoint{}});
            if (handoff) {
                ++record_->unannounced;
                announce_ready(*record_);
            }
        }
        if (handoff) continue;
        const char token = 'c';
        (void)::send(listener_fd, &token, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    return true;  // the bound per event: the rest on the next
}

bool ListenerShare::client_gone() const {
    std::lock_guard lock(record_->mutex);
    return sockets::client_gone(*record_);
}

bool ListenerShare::stop() {
    if (stopped_) return false;
    stopped_ = true;
    owner_.shard().unwatch(socket_);
    (void)owner_.shard().stack().tcp_close(socket_, std::chrono::steady_clock::now());
    if (watched_fd_ >= 0) owner_.reactor().remove(watched_fd_);
    stop_awaiting();
    std::deque<ReadyConnection> orphans;
    int fd = -1;
    {
        std::lock_guard lock(record_->mutex);
        if (record_->backlog_shares == 0 || --record_->backlog_shares > 0) return false;
        orphans.swap(record_->ready);
        fd = std::exchange(record_->daemon_end, -1);
        record_->closed = true;
        record_->state = "CLOSED";
    }
    // Unaccepted connections: closing their client ends makes their splices close them.
    orphans.clear();
    if (fd >= 0) ::close(fd);
    owner_.context().table.remove(record_->id, "");
    return true;
}

}  // namespace shmifd::sockets
