// The daemon's loopback interface, lo: 127.0.0.1/8 on a native shmif bus that only this
// process maps. Every worker is attached to it like to any bus, so a packet one worker sends
// to 127.0.0.1 (or to any of our addresses) reaches the worker that owns its flow; unlike on
// a shared bus, a worker also reads the frames it sent itself (the flow may be its own).
#pragma once

#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "netstack/address.hpp"
#include "shard_link.hpp"
#include "shmif/bus.hpp"

namespace shmifd {

inline constexpr const char* loopback_name = "lo";
// What if.list and bus.stats show as lo's bus: it has no path anyone could open.
inline constexpr const char* loopback_bus_label = "(private)";

netstack::Ipv4Cidr loopback_address();   // 127.0.0.1/8
netstack::Ipv6Cidr loopback_address6();  // ::1/128

// A fresh native bus nobody else can attach to: created (mode 0600) under a unique name in
// /dev/shm, else in the temporary directory, and unlinked at once; the mapping keeps it
// alive until the daemon goes. The error says why it could not be made.
std::expected<shmif::Bus, std::string> create_private_bus();

// One worker's link on the loopback bus: it receives its own frames too.
std::unique_ptr<ShardLink> make_loopback_link(const shmif::Bus& bus, std::uint64_t sender,
                                              std::shared_ptr<BusAlarm> alarm);

}  // namespace shmifd
