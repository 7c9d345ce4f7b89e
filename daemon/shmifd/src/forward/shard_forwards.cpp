#include "shard_forwards.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "expose_share.hpp"
#include "forward_context.hpp"
#include "host_acceptor.hpp"
#include "shard.hpp"
#include "sockets/tcp_splice.hpp"
#include "udp_flows.hpp"

namespace shmifd::forward {

bool ForwardContext::post(std::size_t shard, std::function<void(ShardForwards&)> fn) const {
    if (shard >= posters.size()) return false;
    ShardForwards* target = shards[shard];
    return posters[shard].post([target, fn = std::move(fn)] { fn(*target); });
}

ShardForwards::ShardForwards(Shard& shard, sockets::FdReactor& reactor)
    : shard_(shard), reactor_(reactor) {}

ShardForwards::~ShardForwards() {
    close_all();
}

std::size_t ShardForwards::poll() {
    const std::size_t ended = retired_.size();
    retired_.clear();
    return ended;
}

void ShardForwards::close_all() {
    acceptors_.clear();
    shares_.clear();
    udp_.clear();
    reset_connections([](const ForwardState&) { return true; });
    running_.clear();
    running_count_.store(0, std::memory_order_relaxed);
    retired_.clear();
}

void ShardForwards::watch_host_listener(std::shared_ptr<ForwardState> state, int listener,
                                        std::uint16_t port_index) {
    auto acceptor = std::make_unique<HostAcceptor>(*this, std::move(state), listener, port_index);
    if (acceptor->start()) acceptors_.push_back(std::move(acceptor));
}

std::expected<void, std::string> ShardForwards::listen(std::shared_ptr<ForwardState> state) {
    std::vector<std::unique_ptr<ExposeShare>> started;
    for (std::uint16_t i = 0; i < state->spec.count; ++i) {
        auto share = std::make_unique<ExposeShare>(*this, state, i);
        if (auto ok = share->start(); !ok) return ok;  // those started close with `started`
        started.push_back(std::move(share));
    }
    std::move(started.begin(), started.end(), std::back_inserter(shares_));
    return {};
}

std::expected<void, std::string> ShardForwards::watch_udp_host(std::shared_ptr<ForwardState> state,
                                                               int fd, std::uint16_t port_index) {
    auto flows = std::make_unique<InboundUdp>(*this, std::move(state), port_index, fd);
    if (auto ok = flows->start(); !ok) return ok;
    udp_.push_back(std::move(flows));
    return {};
}

std::expected<void, std::string> ShardForwards::listen_udp(std::shared_ptr<ForwardState> state) {
    std::vector<std::unique_ptr<UdpFlows>> started;
    for (std::uint16_t i = 0; i < state->spec.count; ++i) {
        if (state->spec.listen(i).port % context_->shards.size() != shard_.index()) continue;
        auto flows = std::make_unique<OutboundUdp>(*this, state, i);
        if (auto ok = flows->start(); !ok) return ok;  // those started close with `started`
        started.push_back(std::move(flows));
    }
    std::move(started.begin(), started.end(), std::back_inserter(udp_));
    return {};
}

std::uint64_t ShardForwards::new_record_id() {
    return next_id_++ * context_->shards.size() + shard_.index();
}

void ShardForwards::stop(std::uint64_t forward, bool kill) {
    std::erase_if(acceptors_, [&](const auto& a) { return a->forward() == forward; });
    std::erase_if(shares_, [&](const auto& s) { return s->forward() == forward; });
    std::erase_if(udp_, [&](const auto& u) { return u->forward() == forward; });
    if (kill) reset_connections([&](const ForwardState& state) { return state.id == forward; });
}

void ShardForwards::reset_connections(const std::function<bool(const ForwardState&)>& which) {
    std::vector<sockets::TcpSplice*> victims;
    for (auto& [id, r] : running_)
        if (which(*r.state)) victims.push_back(r.splice.get());
    for (auto* splice : victims)
        splice->abort();  // retires it (running_ changes: hence the list)
}

// Where an accepted connection runs: here, where it was accepted (no hand-off between
// threads: a client that connects again and again keeps one worker busy rather than waking
// two in turn), unless another shard carries `spread` fewer connections, so that many at
// once share the workers out. The counts are read racily: a placement off by one is fine.
std::size_t ShardForwards::placement() const {
    constexpr std::size_t spread = 4;
    std::size_t best = shard_.index();
    std::size_t least = carried();
    for (std::size_t i = 0; i < context_->shards.size(); ++i) {
        const std::size_t load = context_->shards[i]->carried();
        if (load + spread <= least) {
            best = i;
            least = load + spread;  // from here on, the least loaded of those wins
        }
    }
    return best;
}

void ShardForwards::dispatch_inbound(const std::shared_ptr<ForwardState>& state, int host_fd,
                                     netstack::Endpoint host_peer, netstack::Endpoint target) {
    const auto index = placement();
    context_->shards[index]->on_the_way_.fetch_add(1, std::memory_order_relaxed);
    if (index == shard_.index()) {  // here: no queue, no wake-up
        open_inbound(state, host_fd, host_peer, target);
        return;
    }
    const bool posted =
        context_->post(index, [state, host_fd, host_peer, target](ShardForwards& s) {
            s.open_inbound(state, host_fd, host_peer, target);
        });
    if (!posted) {  // that shard is gone: the daemon is stopping
        context_->shards[index]->on_the_way_.fetch_sub(1, std::memory_order_relaxed);
        reset_and_close(host_fd);
        state->abandoned();
    }
}

void ShardForwards::open_inbound(const std::shared_ptr<ForwardState>& state, int host_fd,
                                 netstack::Endpoint host_peer, netstack::Endpoint target) {
    on_the_way_.fetch_sub(1, std::memory_order_relaxed);
    if (state->stopping.load()) {  // deleted (maybe with --kill) while it was on its way here
        reset_and_close(host_fd);
        state->abandoned();
        return;
    }
    auto& stack = shard_.stack();
    const auto now = std::chrono::steady_clock::now();
    auto opened = stack.tcp_open();
    std::expected<void, netstack::SocketError> started =
        opened ? std::expected<void, netstack::SocketError>{} : std::unexpected(opened.error());
    if (opened) {
        netstack::TcpSocketOptions options;
        options.no_delay = true;
        (void)stack.tcp_set_options(*opened, options);
        started = stack.tcp_connect(*opened, target, now);
    }
    if (!started) {
        if (opened) (void)stack.tcp_close(*opened, now);
        reset_and_close(host_fd);
        state->counters.failed.fetch_add(1, std::memory_order_relaxed);
        state->abandoned();
        return;
    }
    splice(state, host_fd, *opened, host_peer, /*connected=*/false);
}

void ShardForwards::splice(const std::shared_ptr<ForwardState>& state, int host_fd,
                           netstack::SocketId socket, netstack::Endpoint host_peer,
                           bool connected) {
    const auto id = new_record_id();
    auto record = std::make_shared<sockets::SockRecord>(id, sockets::SockType::tcp, 0, 0);
    {
        std::lock_guard lock(record->mutex);
        record->placed = true;
        record->shard = shard_.index();
        record->state = connected ? "ESTABLISHED" : "SYN-SENT";
        if (auto info = shard_.stack().tcp_info(socket)) {
            record->local = info->local;
            record->remote = info->remote;
        }
    }
    auto splice = std::make_unique<sockets::TcpSplice>(shard_, *this, record, host_fd, socket,
                                                       connected, sockets::SpliceEnd::host_tcp);
    auto* raw = splice.get();
    running_.emplace(id, Running{std::move(splice), state});
    running_count_.store(running_.size(), std::memory_order_relaxed);
    state->started({record, host_peer});
    raw->start();
}

void ShardForwards::retire_tcp(std::uint64_t id, const std::string& last_error) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    it->second.state->ended(id, last_error);
    retired_.push_back(std::move(it->second.splice));
    running_.erase(it);
    running_count_.store(running_.size(), std::memory_order_relaxed);
}

}  // namespace shmifd::forward
