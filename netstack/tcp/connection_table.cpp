#include "tcp/connection_table.hpp"

#include <vector>

namespace netstack::tcp {

std::size_t FourTupleHash::operator()(const FourTuple& t) const noexcept {
    std::uint64_t h = (std::uint64_t{t.local.address.fold32()} << 32 | t.remote.address.fold32()) *
                      0x9e3779b97f4a7c15ull;
    h ^= (std::uint64_t{t.local.port} << 16 | t.remote.port) * 0xbf58476d1ce4e5b9ull;
    return static_cast<std::size_t>(h ^ (h >> 31));
}

Connection& ConnectionTable::create(ConnectionHost& host, const TcpSocketOptions& options) {
    auto c = std::make_unique<Connection>(host, options);
    c->serial = next_serial_++;
    Connection& ref = *c;
    all_.emplace(ref.serial, std::move(c));
    return ref;
}

Connection* ConnectionTable::find_serial(std::uint64_t serial) const {
    auto it = all_.find(serial);
    return it == all_.end() ? nullptr : it->second.get();
}

Connection* ConnectionTable::find_socket(SocketId id) const {
    auto it = sockets_.find(id);
    return it == sockets_.end() ? nullptr : it->second;
}

void ConnectionTable::attach_socket(SocketId id, Connection& c) {
    c.socket = id;
    sockets_[id] = &c;
}

Connection* ConnectionTable::find(const FourTuple& tuple) const {
    auto it = tuples_.find(tuple);
    return it == tuples_.end() ? nullptr : it->second;
}

void ConnectionTable::index(Connection& c) {
    tuples_[c.tuple()] = &c;
}

void ConnectionTable::unindex(Connection& c) {
    auto it = tuples_.find(c.tuple());
    if (it != tuples_.end() && it->second == &c) tuples_.erase(it);
}

void ConnectionTable::add_listener(Connection& c) {
    listeners_.emplace(c.bound->port, &c);
}

void ConnectionTable::remove_listener(Connection& c) {
    if (!c.bound) return;
    auto [first, last] = listeners_.equal_range(c.bound->port);
    for (auto it = first; it != last; ++it)
        if (it->second == &c) {
            listeners_.erase(it);
            return;
        }
}

Connection* ConnectionTable::find_listener(Endpoint local) const {
    Connection* wildcard = nullptr;
    auto [first, last] = listeners_.equal_range(local.port);
    for (auto it = first; it != last; ++it) {
        if (it->second->bound->address == local.address) return it->second;
        if (it->second->bound->address.is_any() &&
            binding_accepts(it->second->binding(), local.address))
            wildcard = it->second;
    }
    return wildcard;
}

bool ConnectionTable::bind_conflicts(Endpoint local, bool v6_only, const Connection* except) const {
    for (const auto& [id, c] : sockets_) {
        if (c == except || !c->bound || c->bound->port != local.port) continue;
        const TcpState state = c->state();
        if (state != TcpState::closed && state != TcpState::listen) continue;
        if (bindings_overlap(c->binding(), {local.address, v6_only})) return true;
    }
    return false;
}

void ConnectionTable::unschedule(Connection& c) {
    if (!c.scheduled) return;
    auto [first, last] = timers_.equal_range(*c.scheduled);
    for (auto it = first; it != last; ++it)
        if (it->second == &c) {
            timers_.erase(it);
            break;
        }
    c.scheduled.reset();
}

void ConnectionTable::schedule(Connection& c) {
    const auto deadline = c.deadline();
    if (deadline == c.scheduled) return;
    unschedule(c);
    if (!deadline) return;
    timers_.emplace(*deadline, &c);
    c.scheduled = deadline;
}

std::optional<Instant> ConnectionTable::next_deadline() const {
    if (timers_.empty()) return std::nullopt;
    return timers_.begin()->first;
}

void ConnectionTable::due(Instant now, std::vector<Connection*>& out) const {
    out.clear();
    for (auto it = timers_.begin(); it != timers_.end() && it->first <= now; ++it)
        out.push_back(it->second);
}

void ConnectionTable::detach_socket(SocketId id) {
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return;
    it->second->socket = 0;
    mark(*it->second);
    sockets_.erase(it);
}

void ConnectionTable::reap() {
    std::vector<std::uint64_t> candidates;
    candidates.swap(candidates_);
    for (auto serial : candidates) {
        auto it = all_.find(serial);
        if (it == all_.end()) continue;
        Connection& c = *it->second;
        if (c.state() != TcpState::closed || c.socket != 0) continue;
        unschedule(c);
        unindex(c);
        all_.erase(it);
    }
}

}  // namespace netstack::tcp
