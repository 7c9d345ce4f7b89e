#include "shard_sockets.hpp"

#include <unistd.h>

#include <chrono>

#include "../shard.hpp"
#include "../tcp_json.hpp"
#include "endpoint_json.hpp"
#include "errno_names.hpp"
#include "fd_waker.hpp"
#include "listener_share.hpp"
#include "steady_now.hpp"
#include "tcp_splice.hpp"
#include "udp_splice.hpp"

namespace shmifd::sockets {

namespace {

control::CommandError socket_error(netstack::SocketError error) {
    return {"failed", netstack::describe(error), errno_name(error)};
}

control::CommandError gone() {
    return {"not_found", "the socket is closed", "EBADF"};
}

}  // namespace

bool ServiceContext::post(std::size_t shard, std::function<void(ShardSockets&)> fn) const {
    if (shard >= posters.size()) return false;
    ShardSockets* target = shards[shard];
    return posters[shard].post([target, fn = std::move(fn)] { fn(*target); });
}

ShardSockets::ShardSockets(Shard& shard, std::size_t index) : shard_(shard), index_(index) {}

ShardSockets::~ShardSockets() {
    close_all();
}

void ShardSockets::attach(const ServiceContext* context, FdWaker* waker, std::size_t waker_slot) {
    context_ = context;
    waker_ = waker;
    waker_slot_ = waker_slot;
}

std::size_t ShardSockets::poll() {
    const std::size_t work = reactor_.poll();
    retired_tcp_.clear();
    retired_udp_.clear();
    return work;
}

void ShardSockets::arm() {
    if (waker_ != nullptr && !reactor_.empty()) waker_->arm(waker_slot_);
}

void ShardSockets::close_all() {
    while (!lanes_.empty())
        close_lane(*lanes_.begin());
    for (auto& [id, listener] : listeners_)
        listener->stop();
    listeners_.clear();
    // abort() retires each splice: move them out first.
    auto tcp = std::move(tcp_);
    for (auto& [id, splice] : tcp)
        splice->abort();
    auto udp = std::move(udp_);
    udp.clear();
    retired_tcp_.clear();
    retired_udp_.clear();
}

void ShardSockets::connect(std::shared_ptr<SockRecord> record, netstack::Endpoint remote, bool wait,
                           control::Done done) {
    auto& stack = shard_.stack();
    std::optional<netstack::Endpoint> bound;
    {
        std::lock_guard lock(record->mutex);
        bound = record->local;
    }
    // A bound port fixes the 4-tuple, and so the shard that must own the connection.
    if (bound && bound->port != 0 && context_->shards.size() > 1)
        if (auto source = stack.source_address(remote.address, bound->address)) {
            const auto owner =
                netstack::tcp_flow_hash({*source, bound->port}, remote) % context_->shards.size();
            if (owner != index_) {
                context_->post(owner, [record, remote, wait, done](ShardSockets& s) mutable {
                    s.connect(record, remote, wait, std::move(done));
                });
                return;
            }
        }
    auto opened = stack.tcp_open();
    if (!opened) {
        done(std::unexpected(socket_error(opened.error())));
        return;
    }
    const auto id = *opened;
    auto refuse = [&](netstack::SocketError error) {
        (void)stack.tcp_close(id, steady_now());
        done(std::unexpected(socket_error(error)));
    };
    std::optional<netstack::Endpoint> local;
    netstack::TcpSocketOptions options;
    int fd = -1;
    {
        std::lock_guard lock(record->mutex);
        local = record->local;
        options = record->options.stack_tcp();
        fd = record->daemon_end;
    }
    if (auto set = stack.tcp_set_options(id, options); !set) return refuse(set.error());
    if (local)
        if (auto ok = stack.tcp_bind(id, *local); !ok) return refuse(ok.error());
    if (auto started = stack.tcp_connect(id, remote, steady_now()); !started)
        return refuse(started.error());
    {
        std::lock_guard lock(record->mutex);
        record->daemon_end = -1;
        record->placed = true;
        record->shard = index_;
        record->remote = remote;
        record->state = "SYN-SENT";
        if (auto info = stack.tcp_info(id)) record->local = info->local;
        if (wait) record->connect_waiter = done;
    }
    auto splice = std::make_unique<TcpSplice>(shard_, *this, record, fd, id, false);
    auto* raw = splice.get();
    tcp_.emplace(record->id, std::move(splice));
    raw->start();
    if (!wait) done(nlohmann::json{{"in_progress", true}});
}

void ShardSockets::listen(std::shared_ptr<SockRecord> record, control::Done done) {
    stop_closed_listeners();
    auto& stack = shard_.stack();
    auto opened = stack.tcp_open();
    if (!opened) {
        done(std::unexpected(socket_error(opened.error())));
        return;
    }
    netstack::Endpoint local;
    std::size_t backlog = 0;
    netstack::TcpSocketOptions options;
    {
        std::lock_guard lock(record->mutex);
        local = record->local.value_or(netstack::Endpoint{});
        backlog = record->backlog;
        options = record->options.stack_tcp();
    }
    (void)stack.tcp_set_options(*opened, options);
    auto bound = stack.tcp_bind(*opened, local);
    auto listening =
        bound ? stack.tcp_listen(*opened, backlog)
              : std::expected<void, netstack::SocketError>(std::unexpected(bound.error()));
    if (!listening) {
        (void)stack.tcp_close(*opened, steady_now());
        done(std::unexpected(socket_error(listening.error())));
        return;
    }
    {
        std::lock_guard lock(record->mutex);
        record->local = *bound;  // with port 0, the port shard 0 picked: the others take it
    }
    auto share = std::make_unique<ListenerShare>(*this, record, *opened);
    auto* raw = share.get();
    listeners_.emplace(record->id, std::move(share));
    raw->start(index_ == 0);
    raw->accept_ready();
    done(nlohmann::json{{"local", endpoint_json(record->domain, *bound)}});
}

void ShardSockets::stop_closed_listeners() {
    std::vector<std::uint64_t> closed;
    for (const auto& [id, share] : listeners_)
        if (share->client_gone()) closed.push_back(id);
    for (const auto id : closed) {
        stop_listener(id);
        // What shard 0 does when it sees the hang-up, which it may not have yet.
        for (std::size_t i = 0; i < context_->shards.size(); ++i)
            if (i != index_) context_->post(i, [id](ShardSockets& s) { s.stop_listener(id); });
    }
}

void ShardSockets::stop_listener(std::uint64_t id) {
    auto it = listeners_.find(id);
    if (it == listeners_.end()) return;
    it->second->stop();
    listeners_.erase(it);
}

void ShardSockets::accept_more(std::uint64_t id) {
    if (auto it = listeners_.find(id); it != listeners_.end()) it->second->accept_ready();
}

void ShardSockets::place_udp(std::shared_ptr<SockRecord> record,
                             std::optional<netstack::Endpoint> local, control::Done done) {
    int fd = -1;
    {
        std::lock_guard lock(record->mutex);
        fd = std::exchange(record->daemon_end, -1);
        record->placed = true;
        record->shard = index_;
    }
    auto splice = std::make_unique<UdpSplice>(shard_, *this, record, fd);
    auto* raw = splice.get();
    udp_.emplace(record->id, std::move(splice));
    raw->start();
    if (!local) {
        done(nlohmann::json::object());
        return;
    }
    auto bound = raw->bind(*local);
    if (!bound) {
        done(std::unexpected(socket_error(bound.error())));
        return;
    }
    done(endpoint_json(record->domain, *bound));
}

void ShardSockets::udp_connect(std::uint64_t id, std::optional<netstack::Endpoint> remote,
                               control::Done done) {
    auto it = udp_.find(id);
    if (it == udp_.end()) return done(std::unexpected(gone()));
    auto local = it->second->connect(remote);
    if (!local) return done(std::unexpected(socket_error(local.error())));
    done(nlohmann::json{{"local", endpoint_json(it->second->record().domain, *local)}});
}

void ShardSockets::detach_udp(std::uint64_t id, std::function<void(int fd)> then) {
    auto it = udp_.find(id);
    if (it == udp_.end()) return then(-1);
    const int fd = it->second->release();
    retired_udp_.push_back(std::move(it->second));
    udp_.erase(it);
    then(fd);
}

std::expected<void, netstack::SocketError> ShardSockets::apply_options(std::uint64_t id) {
    auto it = tcp_.find(id);
    if (it == tcp_.end()) return {};
    netstack::TcpSocketOptions options;
    {
        std::lock_guard lock(it->second->record().mutex);
        options = it->second->record().options.stack_tcp();
    }
    return shard_.stack().tcp_set_options(it->second->socket(), options);
}

void ShardSockets::set_options(std::uint64_t id, control::Done done) {
    if (auto set = apply_options(id); !set) return done(std::unexpected(socket_error(set.error())));
    done(nlohmann::json::object());
}

void ShardSockets::add_lane(int fd) {
    if (!reactor_.add(fd, EPOLLIN, [this, fd](std::uint32_t) { read_lane(fd); })) {
        ::close(fd);
        context_->lanes.open.fetch_sub(1, std::memory_order_relaxed);
        return;
    }
    lanes_.insert(fd);
    context_->lanes.by_worker[index_].fetch_add(1, std::memory_order_relaxed);
}

void ShardSockets::close_lane(int fd) {
    reactor_.forget(fd);  // ours alone: the close takes it out of the set
    ::close(fd);
    lanes_.erase(fd);
    context_->lanes.open.fetch_sub(1, std::memory_order_relaxed);
    context_->lanes.by_worker[index_].fetch_sub(1, std::memory_order_relaxed);
}

void ShardSockets::read_lane(int fd) {
    const auto state = drain_lane(fd, context_->lanes, [this](const LaneChange& change) {
        return apply_lane_change(change);
    });
    if (state == LaneState::more) {
        // Edge-triggered: no new edge for what is left, so come back after the others had
        // their turn.
        context_->post(index_, [fd](ShardSockets& s) {
            if (s.lanes_.contains(fd)) s.read_lane(fd);
        });
    } else if (state == LaneState::gone) {
        close_lane(fd);
    }
}

bool ShardSockets::apply_lane_change(const LaneChange& change) {
    auto record = context_->table.find(change.sock);
    if (!record) return false;
    std::optional<std::size_t> shard;
    {
        std::lock_guard lock(record->mutex);
        if (record->type != SockType::tcp) return false;
        record->options.tcp.no_delay = change.no_delay;
        if (record->placed && record->state != "listening") shard = record->shard;
    }
    // Not placed yet: the options go with it when it is. A listener's pass to what it accepts.
    if (!shard) return true;
    const auto id = change.sock;
    if (*shard == index_)
        (void)apply_options(id);
    else
        context_->post(*shard, [id](ShardSockets& s) { (void)s.apply_options(id); });
    return true;
}

void ShardSockets::take_error(std::uint64_t id, control::Done done) {
    std::string error;
    if (auto it = tcp_.find(id); it != tcp_.end()) {
        if (auto e = shard_.stack().tcp_take_error(it->second->socket())) error = errno_name(*e);
    }
    done(nlohmann::json{{"value", error}});
}

void ShardSockets::tcp_info(std::uint64_t id, control::Done done) {
    auto it = tcp_.find(id);
    if (it == tcp_.end()) return done(std::unexpected(gone()));
    auto info = shard_.stack().tcp_info(it->second->socket());
    if (!info) return done(std::unexpected(socket_error(info.error())));
    done(nlohmann::json{{"info", shmifd::to_json(*info)}});
}

void ShardSockets::retire_tcp(std::uint64_t id, const std::string& last_error) {
    if (auto it = tcp_.find(id); it != tcp_.end()) {
        retired_tcp_.push_back(std::move(it->second));
        tcp_.erase(it);
    }
    context_->table.remove(id, last_error);
}

void ShardSockets::retire_udp(std::uint64_t id, const std::string& last_error) {
    if (auto it = udp_.find(id); it != udp_.end()) {
        retired_udp_.push_back(std::move(it->second));
        udp_.erase(it);
    }
    context_->table.remove(id, last_error);
}

TcpSplice* ShardSockets::adopt(std::shared_ptr<SockRecord> record, int fd,
                               netstack::SocketId socket) {
    const auto id = record->id;
    auto splice = std::make_unique<TcpSplice>(shard_, *this, std::move(record), fd, socket, true);
    auto* raw = splice.get();
    tcp_.emplace(id, std::move(splice));
    raw->start();
    return raw;
}

}  // namespace shmifd::sockets
