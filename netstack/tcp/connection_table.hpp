// Every TCP connection of one stack: the owning store, and indexes by socket id, by 4-tuple
// (hash map) and listeners by local port; the timer index (one entry per connection, at its
// earliest deadline); and the bound-port check. Closed connections nobody refers to are
// freed by reap(), at the end of each entry point, never while one is running.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "tcp/connection.hpp"

namespace netstack::tcp {

struct FourTupleHash {
    std::size_t operator()(const FourTuple& t) const noexcept;
};

class ConnectionTable {
  public:
    Connection& create(ConnectionHost& host, const TcpSocketOptions& options);
    std::size_t size() const { return all_.size(); }

    Connection* find_socket(SocketId id) const;
    Connection* find_serial(std::uint64_t serial) const;
    void attach_socket(SocketId id, Connection& c);

    Connection* find(const FourTuple& tuple) const;
    void index(Connection& c);  // by its 4-tuple
    void unindex(Connection& c);

    void add_listener(Connection& c);
    void remove_listener(Connection& c);
    // The listener for a SYN to `local`: one bound to that address, else a wildcard one.
    Connection* find_listener(Endpoint local) const;
    // tcp_bind's rule (as Linux with SO_REUSEADDR, which servers set): a port conflicts with
    // another bound or listening socket whose binding overlaps; connections do not count.
    bool bind_conflicts(Endpoint local, bool v6_only, const Connection* except) const;
    // A 4-tuple an active open could use: no connection holds it.
    bool tuple_free(const FourTuple& tuple) const { return find(tuple) == nullptr; }

    // Moves the connection's timer entry to its deadline() (or removes it).
    void schedule(Connection& c);
    std::optional<Instant> next_deadline() const;
    // Connections whose deadline is at or before `now`.
    void due(Instant now, std::vector<Connection*>& out) const;

    // Frees, of the connections marked since the last reap, those closed with no socket.
    void mark(Connection& c) { candidates_.push_back(c.serial); }
    void reap();
    void detach_socket(SocketId id);

    template <class Fn>
    void for_each(Fn&& fn) const {
        for (const auto& [serial, c] : all_)
            fn(*c);
    }

  private:
    void unschedule(Connection& c);

    std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> all_;
    std::uint64_t next_serial_ = 1;
    std::unordered_map<SocketId, Connection*> sockets_;
    std::unordered_map<FourTuple, Connection*, FourTupleHash> tuples_;
    std::unordered_multimap<std::uint16_t, Connection*> listeners_;
    std::multimap<Instant, Connection*> timers_;
    std::vector<std::uint64_t> candidates_;
};

}  // namespace netstack::tcp
