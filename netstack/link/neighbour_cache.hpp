// The neighbour cache of both IP versions: ARP's (RFC 826) and IPv6 Neighbor Discovery's
// (RFC 4861 7.3), with the neighbour unreachability detection (NUD) state machine of RFC 4861
// 7.3.2 that Linux applies to both. Entries are keyed by interface and IpAddress, so an IPv4
// and an IPv6 neighbour never share an entry (not even 10.0.0.1 and ::ffff:10.0.0.1).
//
// States (ArpConfig names the timers; Linux's sysctl in brackets):
//   incomplete  a broadcast request (IPv6: a multicast solicitation) is out; packets wait in a
//   bounded queue. max_retries
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
// Neighbor Discovery (RFC 4861) differs from ARP in two ways, both in advertised():
//   - a Neighbor Advertisement says whether it answers a solicitation (S, which is what
//     `confirmed` means for ARP) and whether it may replace a cached MAC (O, Override). With O
//     clear and a MAC other than the cached one, a reachable entry becomes stale and keeps its
//     MAC, and any other entry is left alone (7.2.5); an incomplete entry takes the MAC anyway.
//   - each entry carries IsRouter (7.3), set from an advertisement's R flag, or by update()'s
//     `is_router` (true for a Router Advertisement's source, 6.3.4). ARP never sets it.
// Solicitations, Router Advertisements and Redirects carrying a source link-layer address are
// update(confirmed = false, create = true) (7.2.3, 6.3.4, 8.3), like an ARP request to us.
//
// Pure bookkeeping: the cache never sends. Callers send the requests it asks for (enqueue()'s
// result, poll()'s requests: ARP requests or Neighbor Solicitations, multicast or unicast) and
// the frames update() and advertised() release. Counters go to ArpStats, whichever family.
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
    std::optional<MacAddress> lookup(InterfaceId iface, const IpAddress& ip, Instant now);

    enum class Enqueued : std::uint8_t {
        queued_new,  // a new (or failed, restarted) incomplete entry: send the first request now
        queued,      // waiting behind a request already sent
        dropped,     // queue full (counted in pending_dropped)
    };
    // Takes the frame (always consumes: queued, or dropped and counted).
    Enqueued enqueue(InterfaceId iface, const IpAddress& ip, PendingFrame&& frame, Instant now);

    // An ARP packet from `ip` with sender `mac` (or an NDP message with a source link-layer
    // address, see the top). `confirmed`: a reply unicast to us. RFC 826
    // merge rule: an existing entry is updated (see the top); without one, an entry is only
    // created when `create` (the packet was addressed to us). Frames that were waiting are
    // moved to `ready` for the caller to send to `mac`. Returns whether an entry existed.
    // `is_router`, when given, sets the entry's IsRouter flag (RFC 4861: true for a Router
    // Advertisement's source, false for a Router Solicitation's); ARP leaves it out.
    bool update(InterfaceId iface, const IpAddress& ip, MacAddress mac, bool confirmed, bool create,
                Instant now, std::vector<PendingFrame>& ready,
                std::optional<bool> is_router = std::nullopt);

    // The flags and target link-layer address of a Neighbor Advertisement (RFC 4861 4.4).
    struct Advertisement {
        std::optional<MacAddress> mac{};  // the Target Link-Layer Address option, if present
        bool router = false;              // R
        bool solicited = false;           // S: answers our solicitation (confirms reachability)
        bool override_mac = false;        // O: may replace a cached MAC
    };
    enum class Advertised : std::uint8_t {
        unknown,      // no entry for the target: discarded (7.2.5)
        ignored,      // incomplete without a MAC, or O clear with another MAC (a reachable
                      // entry went stale)
        accepted,     // the entry was updated (7.2.5)
        router_lost,  // accepted, and IsRouter went from true to false: the caller removes the
                      // neighbour from its default router list (7.2.5)
    };
    // A Neighbor Advertisement for `ip` (RFC 4861 7.2.5); frames that were waiting are moved
    // to `ready` as in update(). Never creates an entry.
    Advertised advertised(InterfaceId iface, const IpAddress& ip, const Advertisement& na,
                          Instant now, std::vector<PendingFrame>& ready);

    // Upper-layer confirmation (TCP's ACK of new data): an entry with a MAC becomes
    // reachable. False when there is none to confirm.
    bool confirm(InterfaceId iface, const IpAddress& ip, Instant now);

    struct Request {
        InterfaceId iface = 0;
        IpAddress ip;  // the family says which protocol asks: ARP or Neighbor Solicitation
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
        IpAddress ip;
        auto operator<=>(const Key&) const = default;
    };
    struct Entry {
        MacAddress mac;
        NeighbourState state = NeighbourState::incomplete;
        Instant expires{};                // the state's timer
        std::uint32_t requests_sent = 0;  // incomplete: broadcasts; probe: unicasts
        bool is_router = false;           // RFC 4861 IsRouter (IPv6 only)
        std::deque<PendingFrame> pending;
    };
    using Map = std::map<Key, Entry>;

    // Makes room for one more entry (evicting the least useful) and inserts it.
    Map::iterator insert(Key key, Instant now);
    void drop_pending(Entry& entry);
    void release_pending(Entry& e, Instant now, std::vector<PendingFrame>& ready);
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
