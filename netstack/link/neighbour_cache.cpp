#include "link/neighbour_cache.hpp"

#include <algorithm>

namespace netstack::link {

namespace {

bool has_mac(NeighbourState s) {
    return s == NeighbourState::reachable || s == NeighbourState::stale ||
           s == NeighbourState::delay || s == NeighbourState::probe;
}

}  // namespace

void NeighbourCache::set_reachable(Entry& e, Instant now) {
    e.state = NeighbourState::reachable;
    e.expires = now + config_.reachable_time;
    e.requests_sent = 0;
}

void NeighbourCache::set_stale(Entry& e, Instant now) {
    e.state = NeighbourState::stale;
    e.expires = now + config_.stale_time;
    e.requests_sent = 0;
}

void NeighbourCache::set_failed(Entry& e, Instant now) {
    drop_pending(e);
    e.state = NeighbourState::failed;
    e.expires = now + config_.stale_time;  // forgotten when unused that long
    e.requests_sent = 0;
}

std::optional<MacAddress> NeighbourCache::lookup(InterfaceId iface, const IpAddress& ip,
                                                 Instant now) {
    auto it = entries_.find({iface, ip});
    if (it == entries_.end()) return std::nullopt;
    Entry& e = it->second;
    if (!has_mac(e.state)) return std::nullopt;
    if (e.state == NeighbourState::stale) {
        // Linux's NUD: give the upper layers delay_first_probe to confirm before probing.
        e.state = NeighbourState::delay;
        e.expires = now + config_.delay_first_probe;
    }
    return e.mac;
}

NeighbourCache::Enqueued NeighbourCache::enqueue(InterfaceId iface, const IpAddress& ip,
                                                 PendingFrame&& frame, Instant now) {
    auto it = entries_.find({iface, ip});
    bool is_new = false;
    if (it == entries_.end()) {
        it = insert({iface, ip}, now);
        is_new = true;
    } else if (it->second.state == NeighbourState::failed) {
        is_new = true;  // a failed neighbour is resolved again from scratch, by broadcast
    }
    Entry& e = it->second;
    if (is_new) {
        e.state = NeighbourState::incomplete;
        e.mac = MacAddress{};
        e.requests_sent = 1;  // the caller sends the first request now
        e.expires = now + config_.retry_interval;
    }
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

bool NeighbourCache::update(InterfaceId iface, const IpAddress& ip, MacAddress mac, bool confirmed,
                            bool create, Instant now, std::vector<PendingFrame>& ready,
                            std::optional<bool> is_router) {
    auto it = entries_.find({iface, ip});
    const bool existed = it != entries_.end();
    if (!existed) {
        if (!create) return false;
        it = insert({iface, ip}, now);
        it->second.state = NeighbourState::failed;  // no MAC yet: taken as new below
    }
    Entry& e = it->second;
    if (confirmed) {
        e.mac = mac;
        set_reachable(e, now);
    } else if (!has_mac(e.state) || e.mac != mac) {
        // Unsolicited: learnt, or a changed MAC taken, but not trusted until confirmed.
        e.mac = mac;
        set_stale(e, now);
    }
    // else: the same MAC, unconfirmed: nothing changes (Linux keeps the state).
    if (is_router) e.is_router = *is_router;
    release_pending(e, now, ready);
    return existed;
}

NeighbourCache::Advertised NeighbourCache::advertised(InterfaceId iface, const IpAddress& ip,
                                                      const Advertisement& na, Instant now,
                                                      std::vector<PendingFrame>& ready) {
    auto it = entries_.find({iface, ip});
    if (it == entries_.end()) return Advertised::unknown;
    Entry& e = it->second;
    if (!has_mac(e.state)) {
        // Incomplete (or failed): the advertised MAC is taken whatever O says; without one
        // there is nothing to learn.
        if (!na.mac) return Advertised::ignored;
        e.mac = *na.mac;
        if (na.solicited)
            set_reachable(e, now);
        else
            set_stale(e, now);
    } else {
        const bool other_mac = na.mac && *na.mac != e.mac;
        if (other_mac && !na.override_mac) {
            // 7.2.5 (a) and (b): not allowed to replace the MAC; a reachable entry is only
            // doubted, anything else is not touched at all.
            if (e.state == NeighbourState::reachable) set_stale(e, now);
            return Advertised::ignored;
        }
        if (other_mac) e.mac = *na.mac;
        if (na.solicited)
            set_reachable(e, now);
        else if (other_mac)
            set_stale(e, now);
        // else: unsolicited with the same (or no) MAC: the state stays.
    }
    const bool router_lost = e.is_router && !na.router;
    e.is_router = na.router;
    release_pending(e, now, ready);
    return router_lost ? Advertised::router_lost : Advertised::accepted;
}

void NeighbourCache::release_pending(Entry& e, Instant now, std::vector<PendingFrame>& ready) {
    if (e.pending.empty()) return;
    for (auto& frame : e.pending)
        ready.push_back(std::move(frame));
    pending_total_ -= e.pending.size();
    e.pending.clear();
    if (e.state == NeighbourState::stale) {
        // The waiting frames are a use of the entry.
        e.state = NeighbourState::delay;
        e.expires = now + config_.delay_first_probe;
    }
}

bool NeighbourCache::confirm(InterfaceId iface, const IpAddress& ip, Instant now) {
    auto it = entries_.find({iface, ip});
    if (it == entries_.end() || !has_mac(it->second.state)) return false;
    set_reachable(it->second, now);
    return true;
}

void NeighbourCache::poll(Instant now, std::vector<Request>& requests) {
    for (auto it = entries_.begin(); it != entries_.end();) {
        Entry& e = it->second;
        if (e.expires > now) {
            ++it;
            continue;
        }
        const auto& key = it->first;
        switch (e.state) {
            case NeighbourState::incomplete:
                if (e.requests_sent < config_.max_retries) {
                    ++e.requests_sent;
                    e.expires = now + config_.retry_interval;
                    requests.push_back({key.iface, key.ip});
                } else {
                    ++stats_.resolve_failed;
                    set_failed(e, now);
                }
                break;
            case NeighbourState::reachable:
                set_stale(e, now);
                break;
            case NeighbourState::delay:
                // No confirmation came: ask the cached MAC itself (RFC 4861 7.3.3).
                e.state = NeighbourState::probe;
                e.requests_sent = 0;
                [[fallthrough]];
            case NeighbourState::probe:
                if (e.requests_sent < config_.ucast_probes) {
                    ++e.requests_sent;
                    e.expires = now + config_.retry_interval;
                    requests.push_back({key.iface, key.ip, e.mac});
                } else {
                    ++stats_.nud_failed;
                    set_failed(e, now);
                }
                break;
            case NeighbourState::stale:
            case NeighbourState::failed:
                it = erase(it);
                continue;
        }
        ++it;
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
                       .pending = e.pending.size(),
                       .is_router = e.is_router});
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
        // Evict the least useful entry: failed, then stale, then in use (reachable, delay,
        // probe), then incomplete; the soonest to expire within a rank.
        auto rank = [](NeighbourState s) {
            switch (s) {
                case NeighbourState::failed:
                    return 0;
                case NeighbourState::stale:
                    return 1;
                case NeighbourState::reachable:
                case NeighbourState::delay:
                case NeighbourState::probe:
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
