// One network interface: a Device plus the configuration and addresses the stack keeps for
// it. Owned by the Stack (Impl::interfaces); the Device is borrowed and must outlive it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "netstack/address.hpp"
#include "netstack/device.hpp"
#include "netstack/stack.hpp"
#include "netstack/stats.hpp"

namespace netstack::link {

struct Interface {
    InterfaceId id = 0;
    std::string name;
    MacAddress mac;
    std::size_t mtu = 0;  // IP MTU
    bool up = true;
    bool promiscuous = false;
    bool loopback = false;  // InterfaceConfig::loopback
    VlanPolicy vlan = VlanPolicy::drop;
    Device* device = nullptr;
    std::vector<Ipv4Cidr> addresses;
    EthernetStats stats;
    bool tx_pending = false;  // frames handed to the device since its last flush()

    // One of ours: a configured address, or on a loopback interface any host address inside
    // its prefixes (all of 127/8 is loopback; Linux makes a loopback prefix local).
    bool has_address(Ipv4Address a) const;
    // The directed broadcast of one of our subnets (RFC 919/922), /31 and /32 having none.
    bool is_directed_broadcast(Ipv4Address a) const;
    // The address to send from toward `next_hop`: one whose subnet contains it, else the
    // first (primary) address. None without addresses.
    std::optional<Ipv4Address> source_for(Ipv4Address next_hop) const;
    InterfaceInfo info() const;
};

// A MAC derived from the stack's seed and the interface name, so restarts keep it.
MacAddress derive_mac(std::uint64_t seed, std::string_view name);

}  // namespace netstack::link
