#include "listener_share.hpp"

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
    // A hand-off listener's client writes acknowledgements: each frees room for another.
    const std::uint32_t events = EPOLLRDHUP | (record_->handoff ? EPOLLIN : 0u);
    owner_.reactor().add(watched_fd_, events,
                         [context, id, record = record_, fd = watched_fd_](std::uint32_t happened) {
                             if (happened & EPOLLIN) {
                                 const auto bytes = drain_acknowledgements(fd);
                                 bool held_back = false;
                                 {
                                     std::lock_guard held(record->mutex);
                                     acknowledged(*record, bytes);
                                     announce_ready(*record);
                                     held_back = std::exchange(record->held_back, false);
                                 }
                                 // Only shards that found no room wait for this: waking every
                                 // shard at every acknowledgement cost a post per connection.
                                 if (held_back)
                                     for (std::size_t i = 0; i < context->shards.size(); ++i)
                                         context->post(
                                             i, [id](ShardSockets& s) { s.accept_more(id); });
                             }
                             if (!(happened & (EPOLLHUP | EPOLLRDHUP | EPOLLERR))) return;
                             // Every copy of the client's end is closed: the listener ends on every
                             // shard.
                             for (std::size_t i = 0; i < context->shards.size(); ++i)
                                 context->post(i, [id](ShardSockets& s) { s.stop_listener(id); });
                         });
}

void ListenerShare::accept_ready() {
    if (stopped_) return;
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
            if (!has_room(*record_)) return;  // the stack queues more
            ++record_->accepting;             // the place is ours: the other shards accept at once
            listener_fd = record_->daemon_end;
            handoff = record_->handoff;
            inherited = record_->options;
        }
        const PlaceTaken place{*record_};
        auto accepted = stack.tcp_accept(socket_);
        if (!accepted) return;
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
