// The ARP neighbour cache (RFC 826, with RFC 1122 2.3.2.1/2.3.2.2 timeouts and queueing).
//
// States: incomplete (a request is out; packets wait in a bounded queue) -> reachable (confirmed
// by a reply or a packet from the neighbour) -> stale after reachable_time (still used; the
// first use sends one unicast request to re-confirm) -> removed after stale_time. An incomplete
// entry whose max_retries requests went unanswered becomes failed: its queue is dropped and
// packets to it are dropped for a hold-down of retry_interval, then the entry is removed and
// the next packet starts over.
//
// Pure bookkeeping: the cache never sends. Callers send the requests it asks for (enqueue()'s
// result, poll()'s retries, lookup()'s probe) and the frames update() releases.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "netstack/address.hpp"
#include "netstack/stack.hpp"
#include "netstack/stats.hpp"
#include "netstack/time.hpp"

namespace netstack::link {

// A whole Ethernet frame whose header is filled in once the neighbour's MAC is known.
using PendingFrame = std::vector<std::byte>;

class NeighbourCache {
  public:
    NeighbourCache(const ArpConfig& config, ArpStats& stats) : config_(config), stats_(stats) {}

    struct Lookup {
        std::optional<MacAddress> mac;  // set when reachable or stale
        bool probe = false;  // a stale entry's first use: send a unicast request to `mac`
    };
    Lookup lookup(InterfaceId iface, Ipv4Address ip, Instant now);

    enum class Enqueued : std::uint8_t {
        queued_new,  // a new incomplete entry: the caller sends the first request now
        queued,      // waiting behind a request already sent
        dropped,     // queue full or neighbour failed (counted in pending_dropped)
    };
    // Takes the frame (always consumes: queued, or dropped and counted).
    Enqueued enqueue(InterfaceId iface, Ipv4Address ip, PendingFrame&& frame, Instant now);

    // RFC 826 merge rule: an existing entry for `ip` gets `mac` and becomes reachable (returns
    // true); without one, an entry is only created when `create` (the packet was addressed to
    // us). Frames that were waiting are moved to `ready` for the caller to send to `mac`.
    bool update(InterfaceId iface, Ipv4Address ip, MacAddress mac, bool create, Instant now,
                std::vector<PendingFrame>& ready);

    struct Request {
        InterfaceId iface = 0;
        Ipv4Address ip;
    };
    // Runs expiries and retries due at `now`; appends the requests to send to `requests`.
    void poll(Instant now, std::vector<Request>& requests);
    std::optional<Instant> next_deadline() const;

    std::vector<NeighbourEntry> entries() const;
    // Removes entries (of one interface, or all), dropping their queued frames.
    void flush(std::optional<InterfaceId> iface = std::nullopt);
    std::size_t size() const { return entries_.size(); }
    std::size_t pending_total() const { return pending_total_; }

  private:
    struct Key {
        InterfaceId iface;
        Ipv4Address ip;
        auto operator<=>(const Key&) const = default;
    };
    struct Entry {
        MacAddress mac;
        NeighbourState state = NeighbourState::incomplete;
        Instant expires{};
        std::uint32_t requests_sent = 0;
        bool probed = false;  // stale: the re-confirming request is out
        std::deque<PendingFrame> pending;
    };
    using Map = std::map<Key, Entry>;

    // Makes room for one more entry (evicting the least useful) and inserts it.
    Map::iterator insert(Key key, Instant now);
    void drop_pending(Entry& entry);
    Map::iterator erase(Map::iterator it);

    const ArpConfig& config_;
    ArpStats& stats_;
    Map entries_;
    std::size_t pending_total_ = 0;
};

}  // namespace netstack::link
