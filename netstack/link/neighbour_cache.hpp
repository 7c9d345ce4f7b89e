// The ARP neighbour cache: RFC 826 resolution with Linux's neighbour unreachability detection
// (NUD, RFC 4861 7.3's state machine as Linux applies it to ARP).
//
// States (ArpConfig names the timers; Linux's sysctl in brackets):
//   incomplete  a broadcast request is out; packets wait in a bounded queue. max_retries
//               [mcast_probes] requests retry_interval [retrans_time] apart, then failed.
//   reachable   confirmed: a reply unicast to us, or upper-layer progress (confirm()). Used
//               as is for reachable_time [base_reachable_time], then stale.
//   stale       learnt without confirmation (a request, a gratuitous ARP, a changed MAC) or
//               confirmed too long ago. Still used; the first use makes it delay. Removed
//               when unused for stale_time [gc_stale_time].
//   delay       used while stale: packets still go to the cached MAC; a confirmation within
//               delay_first_probe [delay_first_probe_time] makes it reachable, else probe.
//   probe       ucast_probes [ucast_probes] unicast requests to the cached MAC, retry_interval
//               apart (packets still go there); no confirmed reply: failed.
//   failed      resolution or re-confirmation failed: queued packets dropped, nothing sent to
//               it. The next packet starts a broadcast resolution (incomplete) at once;
//               unused, it is removed after stale_time.
// Confirmation: an ARP reply unicast to us (update(confirmed = true)) makes any entry
// reachable, with the reply's MAC; any other ARP from the neighbour (a request, a broadcast
// or gratuitous reply) leaves an entry with the same MAC as it is, and moves one with a
// different MAC to stale with the new MAC, so an unsolicited claim is checked before it is
// trusted.
//
// Pure bookkeeping: the cache never sends. Callers send the requests it asks for (enqueue()'s
// result, poll()'s requests, broadcast or unicast) and the frames update() releases.
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

    // The MAC to send to, when there is one to use (reachable, stale, delay, probe). A use of
    // a stale entry moves it to delay.
    std::optional<MacAddress> lookup(InterfaceId iface, Ipv4Address ip, Instant now);

    enum class Enqueued : std::uint8_t {
        queued_new,  // a new (or failed, restarted) incomplete entry: send the first request now
        queued,      // waiting behind a request already sent
        dropped,     // queue full (counted in pending_dropped)
    };
    // Takes the frame (always consumes: queued, or dropped and counted).
    Enqueued enqueue(InterfaceId iface, Ipv4Address ip, PendingFrame&& frame, Instant now);

    // An ARP packet from `ip` with sender `mac`. `confirmed`: a reply unicast to us. RFC 826
    // merge rule: an existing entry is updated (see the top); without one, an entry is only
    // created when `create` (the packet was addressed to us). Frames that were waiting are
    // moved to `ready` for the caller to send to `mac`. Returns whether an entry existed.
    bool update(InterfaceId iface, Ipv4Address ip, MacAddress mac, bool confirmed, bool create,
                Instant now, std::vector<PendingFrame>& ready);

    // Upper-layer confirmation (TCP's ACK of new data): an entry with a MAC becomes
    // reachable. False when there is none to confirm.
    bool confirm(InterfaceId iface, Ipv4Address ip, Instant now);

    struct Request {
        InterfaceId iface = 0;
        Ipv4Address ip;
        std::optional<MacAddress> unicast{};  // a NUD probe to the cached MAC; none: broadcast
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
        Instant expires{};                // the state's timer
        std::uint32_t requests_sent = 0;  // incomplete: broadcasts; probe: unicasts
        std::deque<PendingFrame> pending;
    };
    using Map = std::map<Key, Entry>;

    // Makes room for one more entry (evicting the least useful) and inserts it.
    Map::iterator insert(Key key, Instant now);
    void drop_pending(Entry& entry);
    Map::iterator erase(Map::iterator it);
    void set_reachable(Entry& e, Instant now);
    void set_stale(Entry& e, Instant now);
    void set_failed(Entry& e, Instant now);

    const ArpConfig& config_;
    ArpStats& stats_;
    Map entries_;
    std::size_t pending_total_ = 0;
};

}  // namespace netstack::link
