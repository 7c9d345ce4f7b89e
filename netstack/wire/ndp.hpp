// Neighbor Discovery messages (RFC 4861 4) inside ICMPv6, their options (RFC 4861 4.6) and
// their validation (RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2). Offsets from the ICMPv6 header:
//
//   Router Solicitation     4 reserved  8 options
//   Router Advertisement    4 cur hop limit  5 M|O|reserved  6 router lifetime
//                           8 reachable time  12 retrans timer  16 options
//   Neighbor Solicitation   4 reserved  8 target  24 options
//   Neighbor Advertisement  4 R|S|O|reserved  8 target  24 options
//
// Options: 0 type 1 length (8-byte units, 0 invalid) 2 data:
//   source/target link-layer address (1, 2): the MAC (Ethernet: length 1, RFC 2464 6)
//   prefix information (3, length 4): 2 prefix length 3 L|A|reserved 4 valid lifetime
//       8 preferred lifetime 12 reserved 16 prefix
//   MTU (5, length 1): 2 reserved 4 MTU
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"
#include "wire/icmpv6.hpp"
#include "wire/ipv6.hpp"

namespace netstack::wire {

namespace ndp_option {
inline constexpr std::uint8_t source_link_addr = 1, target_link_addr = 2, prefix_info = 3,
                              redirected_header = 4, mtu = 5;
}

// RFC 4861 6.1.2, 7.1.1: Neighbor Discovery is only accepted from the link itself.
inline constexpr std::uint8_t ndp_hop_limit = 255;
// Prefix Information options kept from one Router Advertisement; further ones are ignored.
inline constexpr std::size_t ndp_max_prefixes = 4;
// RFC 4861 4.6.2: lifetimes of all ones mean infinity.
inline constexpr std::uint32_t ndp_infinite_lifetime = 0xffffffff;

struct NdpPrefixInfo {
    std::uint8_t prefix_len = 0;
    bool on_link = false;                  // L
    bool autonomous = false;               // A: usable for address autoconfiguration (RFC 4862)
    std::uint32_t valid_lifetime = 0;      // seconds
    std::uint32_t preferred_lifetime = 0;  // seconds
    Ipv6Address prefix{};
    bool operator==(const NdpPrefixInfo&) const = default;
};

enum class NdpError : std::uint8_t {
    not_ndp,            // an ICMPv6 type other than 133-136 (Redirect is not parsed)
    bad_code,           // code != 0
    short_message,      // shorter than the message's fixed part
    bad_option_length,  // an option of length 0 or running past the message
    bad_option,         // a known option of the wrong length (a non-Ethernet link-layer address)
    multicast_target,   // a Neighbor Solicitation or Advertisement about a multicast address
    // validate_nd() only:
    bad_hop_limit,    // not 255: from off-link
    bad_source,       // RA not from link-local; RS or NS from :: with a source link-layer address
    bad_destination,  // NS from :: not to a solicited-node group; solicited NA to multicast
};

// One Neighbor Discovery message. Which fields apply depends on `type`; the rest stay at
// their defaults (parse leaves them so, emit ignores them).
struct NdpRepr {
    Icmpv6Type type = Icmpv6Type::neighbor_solicitation;

    // Router Advertisement
    std::uint8_t cur_hop_limit = 0;     // 0: unspecified
    bool managed = false;               // M: addresses via DHCPv6
    bool other = false;                 // O: other configuration via DHCPv6
    std::uint16_t router_lifetime = 0;  // seconds; 0: not a default router
    std::uint32_t reachable_time = 0;   // milliseconds; 0: unspecified
    std::uint32_t retrans_timer = 0;    // milliseconds; 0: unspecified

    // Neighbor Solicitation and Advertisement
    Ipv6Address target{};
    // Neighbor Advertisement
    bool router = false;     // R
    bool solicited = false;  // S
    bool override = false;   // O

    // Options. Unknown ones are skipped; of a repeated link-layer or MTU option the first
    // counts. Parsed whatever the message type; the stack reads those that apply.
    std::optional<MacAddress> source_mac{};  // source link-layer address
    std::optional<MacAddress> target_mac{};  // target link-layer address
    std::optional<std::uint32_t> mtu{};
    std::array<NdpPrefixInfo, ndp_max_prefixes> prefixes{};
    std::uint8_t prefix_count = 0;

    // Checks what the message alone can tell (code, length, options, target); the ICMPv6
    // checksum was checked by Icmpv6Repr::parse. validate_nd() adds the IP header's rules.
    static std::expected<NdpRepr, NdpError> parse(const Icmpv6Repr& message);
    // The whole ICMPv6 message, header included.
    std::size_t buffer_len() const;
    // Writes buffer_len() bytes with the ICMPv6 checksum. Options go out in the order source
    // link-layer address, target link-layer address, MTU, prefixes.
    void emit(MutableBytes out, const Ipv6Address& src, const Ipv6Address& dst) const;
    bool operator==(const NdpRepr&) const = default;
};

// The rules of RFC 4861 6.1.1 (RS), 6.1.2 (RA), 7.1.1 (NS) and 7.1.2 (NA) that need the IP
// header: hop limit 255; RA source link-local; RS and NS from the unspecified address carry
// no source link-layer address, and such an NS goes to a solicited-node group; an NA to a
// multicast address is not solicited.
std::expected<void, NdpError> validate_nd(const Ipv6Repr& ip, const NdpRepr& nd);

}  // namespace netstack::wire
