#include "socket_table.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace shmifd::sockets {

SocketTable::SocketTable(SocketLimits limits) : limits_(limits) {
    std::random_device random;
    const std::uint64_t value = (std::uint64_t{random()} << 32) | random();
    tag_ = fmt::format("{:016x}", value);
}

std::string SocketTable::abstract_name(std::uint64_t id) const {
    return fmt::format("shmifd/{}/{}", tag_, id);
}

std::expected<std::shared_ptr<SockRecord>, std::string> SocketTable::add(SockType type,
                                                                         std::int64_t pid,
                                                                         std::uint64_t client) {
    std::lock_guard lock(mutex_);
    if (records_.size() >= limits_.total) return std::unexpected("ENOBUFS");
    auto& count = per_client_[client];
    if (count >= limits_.per_client) return std::unexpected("EMFILE");
    ++count;
    const auto id = next_id_++;
    auto record = std::make_shared<SockRecord>(id, type, pid, client);
    records_.emplace(id, record);
    return record;
}

std::shared_ptr<SockRecord> SocketTable::find(std::uint64_t id) const {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    return it == records_.end() ? nullptr : it->second;
}

void SocketTable::remove(std::uint64_t id, std::string last_error) {
    std::lock_guard lock(mutex_);
    auto it = records_.find(id);
    if (it == records_.end()) return;
    if (auto count = per_client_.find(it->second->client); count != per_client_.end())
        if (--count->second == 0) per_client_.erase(count);
    records_.erase(it);
    tombstones_.emplace_back(id, std::move(last_error));
    while (tombstones_.size() > limits_.tombstones)
        tombstones_.pop_front();
}

std::optional<std::string> SocketTable::take_tombstone(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(tombstones_.begin(), tombstones_.end(),
                           [&](const auto& t) { return t.first == id; });
    if (it == tombstones_.end()) return std::nullopt;
    return std::exchange(it->second, std::string());
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
