// One running forward as every thread sees it: its spec, its counters, and its live
// connections (for `fwd list`). The shards that run its listeners and splices report into
// it; the reconfiguration thread reads it. It outlives its deletion until its last
// connection has ended.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "forward_spec.hpp"
#include "netstack/address.hpp"
#include "sockets/socket_record.hpp"

namespace shmifd::forward {

// Connections of all forwards together, at most `limit`.
class ConnectionBudget {
  public:
    explicit ConnectionBudget(std::size_t limit) : limit_(limit) {}
    bool take();
    void give();
    std::size_t used() const { return used_.load(std::memory_order_relaxed); }
    std::size_t limit() const { return limit_; }

  private:
    const std::size_t limit_;
    std::atomic<std::size_t> used_{0};
};

struct ForwardCounters {
    std::atomic<std::uint64_t> connections{0};   // admitted, in total
    std::atomic<std::uint64_t> refused{0};       // over a limit, or the forward was stopping
    std::atomic<std::uint64_t> failed{0};        // ended in error (refused, reset, timed out)
    std::atomic<std::uint64_t> fd_exhausted{0};  // host accept/socket failed: EMFILE, ENFILE, ...
    std::atomic<std::uint64_t> bytes_to_virtual{0};  // of connections that ended
    std::atomic<std::uint64_t> bytes_to_host{0};
};

// A live connection: the splice's record (bytes, state, the stack's endpoints) and the
// host's endpoint.
struct ForwardConnection {
    std::shared_ptr<sockets::SockRecord> record;
    netstack::Endpoint host_peer{};  // inbound: the host's client; outbound: the host target
};

class ForwardState {
  public:
    ForwardState(std::uint64_t id_, ForwardSpec spec_, ConnectionBudget& budget)
        : id(id_), spec(std::move(spec_)), budget_(budget) {}

    const std::uint64_t id;
    const ForwardSpec spec;
    ForwardCounters counters;
    std::atomic<bool> stopping{false};  // deleted: no new connections

    // A new connection, if the forward runs and both limits allow it; counted either way.
    bool admit();
    // The connection (admitted before) runs: listed until `ended`.
    void started(ForwardConnection connection);
    // A connection admitted before has ended; its bytes go to the totals.
    void ended(std::uint64_t record_id, const std::string& last_error);
    // An admitted connection that never started (its socket could not be made).
    void abandoned();
    std::size_t live() const { return live_count_.load(std::memory_order_relaxed); }
    // A snapshot of the live connections.
    std::map<std::uint64_t, ForwardConnection> connections() const;

  private:
    ConnectionBudget& budget_;
    std::atomic<std::size_t> live_count_{0};  // admitted and not ended
    mutable std::mutex mutex_;
    std::map<std::uint64_t, ForwardConnection> live_;
};

}  // namespace shmifd::forward
