// ICMP echo ("ping") sockets: each owns one echo identifier and queues the replies to it.
// Identifiers obey the sharding rule (id % shard.count == shard.index).
#pragma once

#include <deque>
#include <optional>
#include <unordered_map>

#include "netstack/stack.hpp"

namespace netstack::transport {

struct PingSocket {
    std::uint16_t id = 0;
    std::deque<EchoReply> replies{};
    std::size_t max_replies = 0;
    std::optional<IcmpError> error{};
    std::uint64_t dropped_queue_full = 0;
};

class PingSocketTable {
  public:
    PingSocketTable(Shard shard, std::uint64_t seed) : shard_(shard), next_(seed) {}

    // Creates a socket with a free identifier this shard owns.
    std::expected<std::uint16_t, SocketError> open(SocketId id, std::size_t max_replies);
    PingSocket* find(SocketId id);
    const PingSocket* find(SocketId id) const;
    std::optional<SocketId> find_by_echo_id(std::uint16_t echo_id) const;
    void erase(SocketId id);
    std::size_t size() const { return sockets_.size(); }

  private:
    Shard shard_;
    std::uint64_t next_;
    std::unordered_map<SocketId, PingSocket> sockets_;
    std::unordered_map<std::uint16_t, SocketId> by_echo_id_;
};

}  // namespace netstack::transport
