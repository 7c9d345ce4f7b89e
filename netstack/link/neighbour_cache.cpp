#include "link/neighbour_cache.hpp"

#include <algorithm>

namespace netstack::link {

NeighbourCache::Lookup NeighbourCache::lookup(InterfaceId iface, Ipv4Address ip, Instant) {
    auto it = entries_.find({iface, ip});
    if (it == entries_.end()) return {};
    Entry& e = it->second;
    switch (e.state) {
        case NeighbourState::reachable:
            return {.mac = e.mac};
        case NeighbourState::stale: {
            const bool probe = !e.probed;
            e.probed = true;
            return {.mac = e.mac, .probe = probe};
        }
        case NeighbourState::incomplete:
        case NeighbourState::failed:
            break;
    }
    return {};
}

NeighbourCache::Enqueued NeighbourCache::enqueue(InterfaceId iface, Ipv4Address ip,
                                                 PendingFrame&& frame, Instant now) {
    auto it = entries_.find({iface, ip});
    bool is_new = false;
    if (it == entries_.end()) {
        it = insert({iface, ip}, now);
        it->second.requests_sent = 1;  // the caller sends the first request now
        it->second.expires = now + config_.retry_interval;
        is_new = true;
    }
    Entry& e = it->second;
    if (e.state != NeighbourState::incomplete ||
        e.pending.size() >= config_.max_pending_per_entry ||
        pending_total_ >= config_.max_pending_total) {
        ++stats_.pending_dropped;
        return is_new ? Enqueued::queued_new : Enqueued::dropped;
    }
    e.pending.push_back(std::move(frame));
    ++pending_total_;
    return is_new ? Enqueued::queued_new : Enqueued::queued;
}

bool NeighbourCache::update(InterfaceId iface, Ipv4Address ip, MacAddress mac, bool create,
                            Instant now, std::vector<PendingFrame>& ready) {
    auto it = entries_.find({iface, ip});
    const bool existed = it != entries_.end();
    if (!existed) {
        if (!create) return false;
        it = insert({iface, ip}, now);
    }
    Entry& e = it->second;
    e.mac = mac;
    e.state = NeighbourState::reachable;
    e.expires = now + config_.reachable_time;
    e.requests_sent = 0;
    e.probed = false;
    for (auto& frame : e.pending)
        ready.push_back(std::move(frame));
    pending_total_ -= e.pending.size();
    e.pending.clear();
    return existed;
}

void NeighbourCache::poll(Instant now, std::vector<Request>& requests) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (e.expires > now) {
            ++it;
            continue;
        }
        switch (e.state) {
            case NeighbourState::incomplete:
                if (e.requests_sent < config_.max_retries) {
                    ++e.requests_sent;
                    e.expires = now + config_.retry_interval;
                    requests.push_back({it->first.iface, it->first.ip});
                } else {
                    ++stats_.resolve_failed;
                    drop_pending(e);
                    e.state = NeighbourState::failed;
                    e.expires = now + config_.retry_interval;  // hold-down
                }
                ++it;
                break;
            case NeighbourState::reachable:
                e.state = NeighbourState::stale;
                e.probed = false;
                e.expires = now + config_.stale_time;
                ++it;
                break;
            case NeighbourState::stale:
            case NeighbourState::failed:
                it = erase(it);
                break;
        }
    }
}

std::optional<Instant> NeighbourCache::next_deadline() const {
    std::optional<Instant> next;
    for (const auto& [key, e] : entries_)
        if (!next || e.expires < *next) next = e.expires;
    return next;
}

std::vector<NeighbourEntry> NeighbourCache::entries() const {
    std::vector<NeighbourEntry> out;
    out.reserve(entries_.size());
    for (const auto& [key, e] : entries_)
        out.push_back({.interface = key.iface,
                       .address = key.ip,
                       .mac = e.mac,
                       .state = e.state,
                       .expires = e.expires,
                       .pending = e.pending.size()});
    return out;
}

void NeighbourCache::flush(std::optional<InterfaceId> iface) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (!iface || it->first.iface == *iface)
            it = erase(it);
        else
            ++it;
    }
}

NeighbourCache::Map::iterator NeighbourCache::insert(Key key, Instant now) {
    if (entries_.size() >= config_.max_entries && !entries_.empty()) {
        // Evict the least useful entry: failed, then stale, then reachable, then incomplete;
        // the soonest to expire within a state.
        auto rank = [](NeighbourState s) {
            switch (s) {
                case NeighbourState::failed:
                    return 0;
                case NeighbourState::stale:
                    return 1;
                case NeighbourState::reachable:
                    return 2;
                case NeighbourState::incomplete:
                    return 3;
            }
            return 3;
        };
        auto victim = std::ranges::min_element(entries_, [&](const auto& a, const auto& b) {
            return std::pair(rank(a.second.state), a.second.expires) <
                   std::pair(rank(b.second.state), b.second.expires);
        });
        ++stats_.cache_full;
        erase(victim);
    }
    Entry fresh;
    fresh.expires = now;
    return entries_.insert_or_assign(key, std::move(fresh)).first;
}

void NeighbourCache::drop_pending(Entry& entry) {
    stats_.pending_dropped += entry.pending.size();
    pending_total_ -= entry.pending.size();
    entry.pending.clear();
}

NeighbourCache::Map::iterator NeighbourCache::erase(Map::iterator it) {
    drop_pending(it->second);
    return entries_.erase(it);
}

}  // namespace netstack::link
