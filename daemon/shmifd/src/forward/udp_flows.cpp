#include "udp_flows.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "host_socket.hpp"
#include "shard.hpp"
#include "shard_forwards.hpp"
#include "sockets/fd_reactor.hpp"

namespace shmifd::forward {

namespace {

constexpr std::size_t max_datagram = 65535;

netstack::Instant now() {
    return std::chrono::steady_clock::now();
}

}  // namespace

// --- UdpFlows -------------------------------------------------------------------------------

UdpFlows::UdpFlows(ShardForwards& owner, std::shared_ptr<ForwardState> state,
                   std::uint16_t port_index)
    : owner_(owner), state_(std::move(state)), port_index_(port_index), buffer_(max_datagram) {
    schedule_sweep();
}

UdpFlows::~UdpFlows() {
    if (sweep_timer_ != 0) owner_.shard().timers().cancel(sweep_timer_);
}

// A quarter of the timeout, so a flow ends at most 25 % late; bounded both ways.
void UdpFlows::schedule_sweep() {
    const auto timeout = std::chrono::milliseconds(state_->spec.udp_timeout_ms);
    const auto every = std::clamp<std::chrono::milliseconds>(
        timeout / 4, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
    sweep_timer_ = owner_.shard().timers().schedule_after(every, [this] {
        sweep_timer_ = 0;
        sweep();
        schedule_sweep();
    });
}

void UdpFlows::sweep() {
    const auto timeout = std::chrono::milliseconds(state_->spec.udp_timeout_ms);
    const auto at = std::chrono::steady_clock::now();
    std::vector<netstack::Endpoint> idle;
    for (const auto& [peer, flow] : flows_)
        if (at - flow.last >= timeout) idle.push_back(peer);
    for (const auto& peer : idle)
        end(peer, "");
}

UdpFlows::Flow* UdpFlows::flow_for(netstack::Endpoint peer) {
    if (auto it = flows_.find(peer); it != flows_.end()) return &it->second;
    if (!state_->admit()) return nullptr;
    auto record =
        std::make_shared<sockets::SockRecord>(owner_.new_record_id(), sockets::SockType::udp, 0, 0);
    Flow flow{.record = record,
              .peer = peer,
              .stack_socket = std::nullopt,
              .host_fd = -1,
              .last = std::chrono::steady_clock::now()};
    {
        std::lock_guard lock(record->mutex);
        record->state = "UDP";
        record->shard = owner_.shard().index();
    }
    if (!open_target(flow)) {
        state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
        state_->abandoned();
        return nullptr;
    }
    state_->started({record, peer});
    return &flows_.emplace(peer, std::move(flow)).first->second;
}

void UdpFlows::end(netstack::Endpoint peer, const std::string& why) {
    auto it = flows_.find(peer);
    if (it == flows_.end()) return;
    close_target(it->second);
    state_->ended(it->second.record->id, why);
    flows_.erase(it);
}

void UdpFlows::end_all() {
    while (!flows_.empty())
        end(flows_.begin()->first, "");
}

// --- InboundUdp -----------------------------------------------------------------------------

InboundUdp::InboundUdp(ShardForwards& owner, std::shared_ptr<ForwardState> state,
                       std::uint16_t port_index, int host_fd)
    : UdpFlows(owner, std::move(state), port_index), host_fd_(host_fd) {}

InboundUdp::~InboundUdp() {
    end_all();
    owner_.reactor().remove(host_fd_);
    ::close(host_fd_);
}

std::expected<void, std::string> InboundUdp::start() {
    if (!owner_.reactor().add(host_fd_, EPOLLIN, [this](std::uint32_t) { from_host(); }))
        return std::unexpected(std::string("cannot watch the host socket"));
    return {};
}

bool InboundUdp::open_target(Flow& flow) {
    auto& stack = owner_.shard().stack();
    auto opened = stack.udp_open();
    if (!opened) return false;
    const auto target = state_->spec.target(port_index_);
    if (!stack.udp_connect(*opened, target)) {  // binds an ephemeral port this shard owns
        (void)stack.close(*opened);
        return false;
    }
    flow.stack_socket = *opened;
    {
        std::lock_guard lock(flow.record->mutex);
        if (auto local = stack.udp_local(*opened)) flow.record->local = *local;
        flow.record->remote = target;
    }
    const auto peer = flow.peer;
    owner_.shard().watch(*opened, [this, peer] { from_virtual(peer); });
    return true;
}

void InboundUdp::close_target(Flow& flow) {
    if (!flow.stack_socket) return;
    owner_.shard().unwatch(*flow.stack_socket);
    (void)owner_.shard().stack().close(*flow.stack_socket);
}

// Edge-triggered: until EAGAIN (bounded by the socket's receive buffer).
void InboundUdp::from_host() {
    for (;;) {
        sockaddr_in from{};
        socklen_t length = sizeof from;
        const ssize_t n = ::recvfrom(host_fd_, buffer_.data(), buffer_.size(), MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // EAGAIN, or an error the socket reported: nothing more to read now
        }
        auto* flow = flow_for(from_sockaddr(from));
        if (flow == nullptr) continue;  // refused: counted
        const auto size = static_cast<std::size_t>(n);
        if (owner_.shard().stack().udp_send(*flow->stack_socket, {buffer_.data(), size}, now()))
            count_to_virtual(*flow, size);
        else
            state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
        touch(*flow);
    }
}

void InboundUdp::from_virtual(netstack::Endpoint peer) {
    auto it = flows_.find(peer);
    if (it == flows_.end()) return;
    auto& flow = it->second;
    const auto to = to_sockaddr(peer);
    for (;;) {
        auto got = owner_.shard().stack().udp_receive(*flow.stack_socket, buffer_);
        if (!got) return;
        if (::sendto(host_fd_, buffer_.data(), got->size, MSG_DONTWAIT,
                     reinterpret_cast<const sockaddr*>(&to), sizeof to) >= 0)
            count_to_host(flow, got->size);
        else
            state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
        touch(flow);
    }
}

// --- OutboundUdp ----------------------------------------------------------------------------

OutboundUdp::OutboundUdp(ShardForwards& owner, std::shared_ptr<ForwardState> state,
                         std::uint16_t port_index)
    : UdpFlows(owner, std::move(state), port_index) {}

OutboundUdp::~OutboundUdp() {
    end_all();
    if (!socket_) return;
    owner_.shard().unwatch(*socket_);
    (void)owner_.shard().stack().close(*socket_);
}

std::expected<void, std::string> OutboundUdp::start() {
    auto& stack = owner_.shard().stack();
    const auto at = state_->spec.listen(port_index_);
    auto opened = stack.udp_open();
    if (!opened) return std::unexpected(at.to_string() + ": " + netstack::describe(opened.error()));
    socket_ = *opened;
    if (auto bound = stack.udp_bind(*socket_, at); !bound)
        return std::unexpected(at.to_string() + ": " + netstack::describe(bound.error()));
    owner_.shard().watch(*socket_, [this] { from_virtual(); });
    return {};
}

bool OutboundUdp::open_target(Flow& flow) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE)
            state_->counters.fd_exhausted.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    const auto target = to_sockaddr(state_->spec.target(port_index_));
    const auto peer = flow.peer;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0 ||
        !owner_.reactor().add(fd, EPOLLIN, [this, peer](std::uint32_t) { from_host(peer); })) {
        ::close(fd);
        return false;
    }
    flow.host_fd = fd;
    std::lock_guard lock(flow.record->mutex);
    flow.record->local = state_->spec.listen(port_index_);
    flow.record->remote = peer;
    return true;
}

void OutboundUdp::close_target(Flow& flow) {
    if (flow.host_fd < 0) return;
    owner_.reactor().remove(flow.host_fd);
    ::close(flow.host_fd);
}

void OutboundUdp::from_virtual() {
    for (;;) {
        auto got = owner_.shard().stack().udp_receive(*socket_, buffer_);
        if (!got) return;
        auto* flow = flow_for(got->from);
        if (flow == nullptr) continue;  // refused: counted
        if (::send(flow->host_fd, buffer_.data(), got->size, MSG_DONTWAIT) >= 0)
            count_to_host(*flow, got->size);
        else
            state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
        touch(*flow);
    }
}

// Edge-triggered: until EAGAIN. ECONNREFUSED (nothing listens on the host's port just now)
// is counted; the flow stays until it is idle.
void OutboundUdp::from_host(netstack::Endpoint peer) {
    auto it = flows_.find(peer);
    if (it == flows_.end()) return;
    auto& flow = it->second;
    for (;;) {
        const ssize_t n = ::recv(flow.host_fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) return;
            state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
            continue;  // the error is consumed by reading it
        }
        const auto size = static_cast<std::size_t>(n);
        if (owner_.shard().stack().udp_send_to(*socket_, {buffer_.data(), size}, peer, now()))
            count_to_virtual(flow, size);
        else
            state_->counters.failed.fetch_add(1, std::memory_order_relaxed);
        touch(flow);
    }
}

}  // namespace shmifd::forward
