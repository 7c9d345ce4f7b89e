// netstack::Stack: construction, the data-path entry points, sockets common to both kinds,
// events and statistics. The layers live in the other stack_*.cpp files (see stack_impl.hpp).
#include "netstack/stack.hpp"

#include <utility>

#include "src/stack_impl.hpp"

namespace netstack {

Stack::Impl::Impl(StackConfig cfg)
    : config(cfg),
      neighbours(config.arp, stats.arp),
      reassembler(config.reassembly, stats.ipv4),
      reassembler6(config.reassembly, stats.ipv6),
      icmp_bucket(config.icmp.per_second, config.icmp.burst),
      udp(config.shard, config.seed),
      ping(config.shard, config.seed * 0x9e3779b97f4a7c15ull),
      next_ident(static_cast<std::uint32_t>(config.seed * 2654435761u)) {}

Stack::Stack(StackConfig config) : impl_(std::make_unique<Impl>(config)) {}
Stack::~Stack() = default;

const StackConfig& Stack::config() const {
    return impl_->config;
}

void Stack::receive(InterfaceId id, std::span<const std::byte> frame, Instant now) {
    Impl& s = *impl_;
    if (auto* iface = s.find(id)) s.ethernet_input(*iface, frame, now);
    if (s.receive_batches == 0) s.flush_devices();
}

Stack::ReceiveBatch::ReceiveBatch(Stack& stack, Instant now) : stack_(stack), now_(now) {
    ++stack_.impl_->receive_batches;
}

Stack::ReceiveBatch::~ReceiveBatch() {
    Impl& s = *stack_.impl_;
    if (--s.receive_batches != 0) return;
    s.tcp_send_held_acks(now_);
    s.flush_devices();
}

void Stack::poll(Instant now) {
    impl_->poll(now);
    impl_->flush_devices();
}

std::optional<Instant> Stack::poll_at() const {
    return impl_->poll_at();
}

std::expected<void, SocketError> Stack::close(SocketId id) {
    Impl& s = *impl_;
    if (s.udp.find(id))
        s.udp.erase(id);
    else if (s.ping.find(id))
        s.ping.erase(id);
    else
        return std::unexpected(SocketError::bad_socket);
    s.events.forget(id);
    return {};
}

std::optional<IcmpError> Stack::take_error(SocketId id) {
    Impl& s = *impl_;
    std::optional<IcmpError>* slot = nullptr;
    if (auto* u = s.udp.find(id)) slot = &u->error;
    if (auto* p = s.ping.find(id)) slot = &p->error;
    if (!slot) return std::nullopt;
    return std::exchange(*slot, std::nullopt);
}

void Stack::take_events(std::vector<SocketEvent>& out) {
    impl_->events.take(out);
}

const StackStats& Stack::stats() const {
    return impl_->stats;
}

}  // namespace netstack
