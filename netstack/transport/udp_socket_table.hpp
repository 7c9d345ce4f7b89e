// UDP sockets (RFC 768) and the port space they share: binding, ephemeral ports, and the
// lookup that picks the socket a received datagram belongs to.
//
// Binding rule (Linux's): two sockets may share a port when both are bound to different
// specific addresses, or when both set SO_REUSEADDR (reuse_address); otherwise a wildcard
// bind conflicts with every bind of the port it would take datagrams of (bindings_overlap:
// a v6-only :: leaves IPv4 to others). A datagram goes to the best match as Linux
// scores it: a socket connected to the sender over an unconnected one, a specific address
// over the wildcard, and among equals the one bound last. (iperf3's UDP server relies on it:
// it connects its socket to the first client and binds a fresh one to the same port for the
// next.)
#pragma once

#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "netstack/stack.hpp"

namespace netstack::transport {

inline constexpr std::uint16_t ephemeral_first = 49152;  // RFC 6335 6: the dynamic range
inline constexpr std::uint16_t ephemeral_last = 65535;

struct QueuedDatagram {
    Endpoint from{};
    Endpoint to{};
    InterfaceId interface = 0;
    std::vector<std::byte> payload{};
};

struct UdpSocket {
    Endpoint local{};
    bool bound = false;
    bool reuse_address = false;  // SO_REUSEADDR, read when binding
    bool v6_only = false;        // IPV6_V6ONLY: a bind to :: takes IPv6 only
    std::optional<Endpoint> remote{};
    std::deque<QueuedDatagram> queue{};
    std::size_t queued_bytes = 0;
    std::size_t max_datagrams = 0;
    std::size_t max_bytes = 0;
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t dropped_queue_full = 0;
    std::optional<IcmpError> error{};

    // Queues a copy of `payload` if the limits allow. Returns whether the queue went from
    // empty to not empty (a readable edge); nullopt when full (counted here).
    std::optional<bool> push(const QueuedDatagram& header, std::span<const std::byte> payload);
};

class UdpSocketTable {
  public:
    UdpSocketTable(Shard shard, std::uint64_t seed) : shard_(shard), next_(seed) {}

    UdpSocket* find(SocketId id);
    const UdpSocket* find(SocketId id) const;
    void insert(SocketId id, UdpSocket socket) { sockets_.emplace(id, std::move(socket)); }
    void erase(SocketId id);
    std::size_t size() const { return sockets_.size(); }

    // Binds an unbound socket. Port 0 picks an ephemeral port p with p % shard.count ==
    // shard.index, so this shard receives its replies.
    std::expected<Endpoint, SocketError> bind(SocketId id, Endpoint local);

    // The socket a datagram from `from` to `to` belongs to. `to_broadcast`: only wildcard-
    // bound sockets take broadcasts (as in Linux).
    std::optional<SocketId> match(Endpoint to, Endpoint from, bool to_broadcast) const;

  private:
    // Whether `socket` may not bind `local`: another socket of the port overlaps it.
    bool conflicts(Endpoint local, const UdpSocket& socket) const;
    std::optional<std::uint16_t> pick_ephemeral();

    Shard shard_;
    std::uint64_t next_;  // rotates the ephemeral search start
    std::unordered_map<SocketId, UdpSocket> sockets_;
    std::unordered_map<std::uint16_t, std::vector<SocketId>> by_port_;
};

}  // namespace netstack::transport
