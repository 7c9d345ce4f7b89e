#include "forward_state.hpp"

namespace shmifd::forward {

bool ConnectionBudget::take() {
    auto used = used_.load(std::memory_order_relaxed);
    do {
        if (used >= limit_) return false;
    } while (!used_.compare_exchange_weak(used, used + 1, std::memory_order_relaxed));
    return true;
}

void ConnectionBudget::give() {
    used_.fetch_sub(1, std::memory_order_relaxed);
}

bool ForwardState::admit() {
    auto live = live_count_.load(std::memory_order_relaxed);
    do {
        if (stopping.load(std::memory_order_relaxed) || live >= spec.max_connections) {
            counters.refused.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
    } while (!live_count_.compare_exchange_weak(live, live + 1, std::memory_order_relaxed));
    if (!budget_.take()) {
        live_count_.fetch_sub(1, std::memory_order_relaxed);
        counters.refused.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    counters.connections.fetch_add(1, std::memory_order_relaxed);
    return true;
}

void ForwardState::started(ForwardConnection connection) {
    std::lock_guard lock(mutex_);
    const auto record_id = connection.record->id;
    live_.emplace(record_id, std::move(connection));
}

void ForwardState::ended(std::uint64_t record_id, const std::string& last_error) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = live_.find(record_id); it != live_.end()) {
            const auto& r = *it->second.record;
            counters.bytes_to_virtual += r.bytes_out.load(std::memory_order_relaxed);
            counters.bytes_to_host += r.bytes_in.load(std::memory_order_relaxed);
            live_.erase(it);
        }
    }
    if (!last_error.empty()) counters.failed.fetch_add(1, std::memory_order_relaxed);
    abandoned();
}

void ForwardState::abandoned() {
    live_count_.fetch_sub(1, std::memory_order_relaxed);
    budget_.give();
}

std::map<std::uint64_t, ForwardConnection> ForwardState::connections() const {
    std::lock_guard lock(mutex_);
    return live_;
}

}  // namespace shmifd::forward
