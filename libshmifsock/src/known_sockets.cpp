#include "known_sockets.hpp"

#include "mutex_lock.hpp"

namespace shmifsock {

KnownSockets::Facts& KnownSockets::entry(std::uint64_t tag, std::uint64_t sock) {
    if (facts_.size() >= kMaxEntries && !facts_.contains(sock)) facts_.clear();
    auto& facts = facts_[sock];
    if (facts.tag != tag) {  // another daemon run's socket
        facts = Facts{};
        facts.tag = tag;
    }
    return facts;
}

void KnownSockets::remember_local(std::uint64_t tag, std::uint64_t sock, const InetAddress& local) {
    MutexLock lock(mutex_);
    entry(tag, sock).local = local;
}

std::optional<InetAddress> KnownSockets::local(std::uint64_t tag, std::uint64_t sock) {
    const auto facts = find(tag, sock);
    return facts ? facts->local : std::nullopt;
}

void KnownSockets::remember_peer(std::uint64_t tag, std::uint64_t sock, const InetAddress& peer) {
    MutexLock lock(mutex_);
    entry(tag, sock).peer = peer;
}

std::optional<InetAddress> KnownSockets::peer(std::uint64_t tag, std::uint64_t sock) {
    const auto facts = find(tag, sock);
    return facts ? facts->peer : std::nullopt;
}

void KnownSockets::remember_listening(std::uint64_t tag, std::uint64_t sock) {
    MutexLock lock(mutex_);
    entry(tag, sock).listening = true;
}

bool KnownSockets::listening(std::uint64_t tag, std::uint64_t sock) {
    const auto facts = find(tag, sock);
    return facts && facts->listening;
}

void KnownSockets::remember_no_delay(std::uint64_t tag, std::uint64_t sock, bool on) {
    MutexLock lock(mutex_);
    entry(tag, sock).no_delay = on;
}

std::optional<bool> KnownSockets::no_delay(std::uint64_t tag, std::uint64_t sock) {
    const auto facts = find(tag, sock);
    return facts ? facts->no_delay : std::nullopt;
}

std::optional<KnownSockets::Facts> KnownSockets::find(std::uint64_t tag, std::uint64_t sock) {
    MutexLock lock(mutex_);
    const auto it = facts_.find(sock);
    if (it == facts_.end() || it->second.tag != tag) return std::nullopt;
    return it->second;
}

}  // namespace shmifsock
