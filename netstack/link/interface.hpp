// One network interface: a Device plus the configuration and addresses the stack keeps for
// it. Owned by the Stack (Impl::interfaces); the Device is borrowed and must outlive it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "link/router_discovery.hpp"
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
    bool loopback = false;          // InterfaceConfig::loopback
    bool checksum_offload = false;  // loopback only: LoopbackShortcuts::checksum
    bool bypass = false;            // loopback only: LoopbackShortcuts::bypass
    VlanPolicy vlan = VlanPolicy::drop;
    Device* device = nullptr;
    std::vector<Ipv4Cidr> addresses;
    std::vector<Ipv6InterfaceAddress> addresses6;
    // RFC 4862 5.4: Duplicate Address Detection of each tentative address.
    struct Dad {
        Ipv6Address address{};
        std::uint32_t sent = 0;  // Neighbor Solicitations sent so far
        Instant next{};          // the next one, or the end of the wait after the last
    };
    std::vector<Dad> dad;
    RouterDiscoveryHost routers;                 // what Router Advertisements taught us
    std::optional<RouterAdvertiser> advertiser;  // set: we advertise as a router here
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

    // IPv6. An address of ours in `state` (preferred: usable; tentative ones are not ours
    // yet, RFC 4862 5.4).
    const Ipv6InterfaceAddress* find_address6(const Ipv6Address& a) const;
    Ipv6InterfaceAddress* find_address6(const Ipv6Address& a);
    // Preferred or deprecated (valid: it still receives), or ::1's prefix on loopback.
    bool has_address6(const Ipv6Address& a) const;
    // The Ethernet groups this interface listens to: all-nodes (and all-routers when it
    // advertises), and the solicited-node group of every address, tentative ones included
    // (RFC 4862 5.4.2). Other 33:33:... frames are someone else's multicast and are dropped
    // by the filter.
    bool listens_to(const MacAddress& group) const;
    // The IP side of the same: all-nodes or the solicited-node group of one of our addresses
    // (two groups can share a 33:33 MAC).
    bool joined(const Ipv6Address& group) const;
    // RFC 6724 source selection, cut to what a host with few addresses needs: to a
    // link-local or link-scope multicast destination, the link-local address; else a
    // preferred global address on the destination's prefix, else the first global one,
    // else the link-local one. Never a tentative or duplicate address; a deprecated one
    // only when no preferred one will do (rule 3).
    std::optional<Ipv6Address> source_for6(const Ipv6Address& dst) const;
    // The link MTU for IPv6: an advertised MTU option, else the interface's.
    std::size_t mtu6() const { return routers.mtu != 0 ? routers.mtu : mtu; }
    // The usable (preferred) link-local address: where Router Solicitations and
    // Advertisements come from (RFC 4861 4.1, 6.2.2).
    const Ipv6InterfaceAddress* usable_link_local() const;
    InterfaceInfo info() const;

  private:
    // Source selection among the addresses in one state.
    std::optional<Ipv6Address> source_for6(const Ipv6Address& dst, Ipv6AddressState among) const;
    // Whether `match` holds for one of the IPv6 groups the interface has joined.
    template <typename Match>
    bool any_joined_group(Match match) const;
};

// A MAC derived from the stack's seed and the interface name, so restarts keep it.
MacAddress derive_mac(std::uint64_t seed, std::string_view name);

}  // namespace netstack::link
