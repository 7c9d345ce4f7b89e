#include "socket_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "sockets/socket_family.hpp"

namespace shmifd::sockets {

namespace {

// The tombstone of `id` in `list` (const or not), or null.
template <class List>
auto* find_tombstone(List& list, std::uint64_t id) {
    auto it = std::find_if(list.begin(), list.end(), [&](const auto& t) { return t.id == id; });
    return it == list.end() ? nullptr : &*it;
}

}  // namespace

SocketTable::SocketTable(SocketLimits limits) : limits_(limits) {
    std::random_device random;
    const std::uint64_t value = (std::uint64_t{random()} << 32) | random();
    tag_ = fmt::format("{:016x}", value);
}

std::string SocketTable::abstract_name(std::uint64_t id, SockDomain domain) const {
    return fmt::format("shmifd/{}/{}{}", tag_, id, domain == SockDomain::inet6 ? "/6" : "");
}

std::expected<std::shared_ptr<SockRecord>, std::string> SocketTable::add(SockType type,
                                                                         SockDomain domain,
                                                                         std::int64_t pid,
                                                                         std::uint64_t client) {
    std::lock_guard lock(mutex_);
    if (records_.size() >= limits_.total) return std::unexpected("ENOBUFS");
    auto& count = per_client_[client];
    if (count >= limits_.per_client) return std::unexpected("EMFILE");
    ++count;
    const auto id = next_id_++;
    auto record = std::make_shared<SockRecord>(id, type, pid, client, domain);
    records_.emplace(id, record);
    return record;
}

std::shared_ptr<SockRecord> SocketTable::find(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    return it == records_.end() ? nullptr : it->second;
}

void SocketTable::remove(std::uint64_t id, std::string last_error) {
    std::shared_ptr<SockRecord> record;
    {
        std::lock_guard lock(mutex_);
        auto it = records_.find(id);
        if (it == records_.end()) return;
        record = it->second;
        if (auto count = per_client_.find(record->client); count != per_client_.end())
            if (--count->second == 0) per_client_.erase(count);
        records_.erase(it);
    }
    // The record's lock is never taken under the table's (the other order exists).
    std::optional<netstack::Endpoint> local;
    {
        std::lock_guard lock(record->mutex);
        if (record->local) local = to_client(record->domain, *record->local);
    }
    std::lock_guard lock(mutex_);
    tombstones_.push_back({.id = id, .last_error = std::move(last_error), .local = local});
    while (tombstones_.size() > limits_.tombstones)
        tombstones_.pop_front();
}

std::optional<std::string> SocketTable::take_tombstone(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto* t = find_tombstone(tombstones_, id);
    if (t == nullptr) return std::nullopt;
    return std::exchange(t->last_error, std::string());
}

std::optional<netstack::Endpoint> SocketTable::closed_local(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    const auto* t = find_tombstone(tombstones_, id);
    return t != nullptr ? t->local : std::nullopt;
}

bool SocketTable::closed(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    return find_tombstone(tombstones_, id) != nullptr;
}

std::vector<std::shared_ptr<SockRecord>> SocketTable::all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<SockRecord>> out;
    out.reserve(records_.size());
    for (const auto& [id, record] : records_)
        out.push_back(record);
    return out;
}

std::size_t SocketTable::size() const {
    std::lock_guard lock(mutex_);
    return records_.size();
}

}  // namespace shmifd::sockets
