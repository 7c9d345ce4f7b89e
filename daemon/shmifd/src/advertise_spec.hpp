// [interface.advertise] and --advertise: an interface that advertises itself as an IPv6
// router (RFC 4861 6.2) with prefixes, so that hosts on the bus, the kernel behind shmiftap
// included, form addresses in them (SLAAC, RFC 4862).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netstack/address.hpp"
#include "netstack/stack.hpp"

namespace shmifd {

// Times in seconds, as radvd's.
struct AdvertiseSpec {
    std::vector<netstack::Ipv6Cidr> prefixes;
    // How long hosts may use us as a default router; unset: 1800 when the daemon forwards,
    // else 0 (prefixes only: a default route through a daemon that does not forward would
    // lose what hosts send off the link).
    std::optional<std::uint32_t> router_lifetime;
    std::uint32_t min_interval = 200;
    std::uint32_t max_interval = 600;
    std::uint32_t valid_lifetime = 2592000;
    std::uint32_t preferred_lifetime = 604800;
    bool mtu = true;  // the interface's MTU in an MTU option
    bool operator==(const AdvertiseSpec&) const = default;
};

// A prefix to advertise: an IPv6 network of at most 64 bits ("2001:db8:1::/64"), not
// link-local or multicast; else why not.
std::optional<netstack::Ipv6Cidr> parse_advertised_prefix(std::string_view text, std::string& why);
// RFC 4861 6.2.1's bounds (and the stack's limit of prefixes): empty when `spec` keeps them,
// else what is wrong.
std::string check_advertise(const AdvertiseSpec& spec);
// What the stack advertises for `spec` on a daemon that does (not) forward.
netstack::RouterAdvertConfig router_advert_config(const AdvertiseSpec& spec, bool forwarding);

}  // namespace shmifd
