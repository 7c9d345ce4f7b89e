// IPv6 test packets: byte builders for the fixed header, extension headers, ICMPv6, Neighbor
// Discovery and UDP over IPv6, and parsers for what a stack sends. Like packets.hpp, written
// by hand from the RFCs (RFC 8200, RFC 4443, RFC 4861, RFC 2464) and sharing no code with
// netstack's wire/ layer.
//
// Defaults describe one exchange on 2001:db8::/64: the peer (2001:db8::2, 02:00:00:00:00:02)
// sends to us (2001:db8::1, 02:00:00:00:00:01).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "packets.hpp"

namespace nstest {

using netstack::Ipv6Address;

inline constexpr Ipv6Address ip6(std::uint16_t g0, std::uint16_t g1, std::uint16_t g2,
                                 std::uint16_t g3, std::uint16_t g4, std::uint16_t g5,
                                 std::uint16_t g6, std::uint16_t g7) {
    Ipv6Address a;
    const std::uint16_t groups[8] = {g0, g1, g2, g3, g4, g5, g6, g7};
    for (std::size_t i = 0; i < 8; ++i) {
        a.bytes[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
        a.bytes[2 * i + 1] = static_cast<std::uint8_t>(groups[i] & 0xff);
    }
    return a;
}

inline constexpr Ipv6Address our_ip6 = ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
inline constexpr Ipv6Address peer_ip6 = ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
// The link-local addresses of our_mac and peer_mac (modified EUI-64: the U/L bit flipped,
// ff:fe in the middle; RFC 4291 appendix A).
inline constexpr Ipv6Address our_ll6 = ip6(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 1);
inline constexpr Ipv6Address peer_ll6 = ip6(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 2);
inline constexpr Ipv6Address all_nodes6 = ip6(0xff02, 0, 0, 0, 0, 0, 0, 1);
inline constexpr Ipv6Address all_routers6 = ip6(0xff02, 0, 0, 0, 0, 0, 0, 2);
// ff02::1:ffXX:XXXX with the low 24 bits of `a` (RFC 4291 2.7.1).
inline constexpr Ipv6Address solicited_node6(const Ipv6Address& a) {
    Ipv6Address s = ip6(0xff02, 0, 0, 0, 0, 1, 0xff00, 0);
    for (std::size_t i = 13; i < 16; ++i)
        s.bytes[i] = a.bytes[i];
    return s;
}

namespace ethertype {
inline constexpr std::uint16_t ipv6 = 0x86dd;
}
namespace proto {
inline constexpr std::uint8_t hop_by_hop = 0, tcp = 6, routing = 43, fragment = 44, icmpv6 = 58,
                              no_next = 59, dest_opts = 60;
}
namespace icmpv6_type {
inline constexpr std::uint8_t unreachable = 1, too_big = 2, time_exceeded = 3, param_problem = 4,
                              echo_request = 128, echo_reply = 129, router_solicitation = 133,
                              router_advertisement = 134, neighbor_solicitation = 135,
                              neighbor_advertisement = 136;
}

// RFC 1071 sum over the IPv6 pseudo-header (RFC 8200 8.1), to pass to internet_checksum.
std::uint32_t pseudo_sum6(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t next_header,
                          std::size_t length);

struct Ipv6Spec {
    Ipv6Address src = peer_ip6;
    Ipv6Address dst = our_ip6;
    std::uint8_t next_header = proto::udp;
    std::uint8_t hop_limit = 64;
    std::uint8_t traffic_class = 0;
    std::uint32_t flow_label = 0;
    std::uint8_t version = 6;
    std::optional<std::uint16_t> payload_length{};  // override (default: the real length)
};
Bytes ipv6(const Ipv6Spec& spec, std::span<const std::byte> payload);

// Extension headers (RFC 8200 4). Each returns the header followed by `rest`, so they nest:
// ipv6_options_header(proto::udp, {}, udp6(...)).
//
// One option (RFC 8200 4.2): type, data length, data.
Bytes ipv6_option(std::uint8_t type, std::span<const std::byte> data);
// A Hop-by-Hop or Destination Options header (same format): `options` then padding to a
// multiple of 8 bytes (Pad1 for one byte, PadN otherwise).
Bytes ipv6_options_header(std::uint8_t next_header, std::span<const std::byte> options,
                          std::span<const std::byte> rest);
// A Routing header with `addresses` 16-byte addresses after the 4 reserved bytes (the type 0
// layout, RFC 2460 4.4).
Bytes routing_header(std::uint8_t next_header, std::uint8_t type, std::uint8_t segments_left,
                     std::span<const std::byte> rest, std::size_t addresses = 1);
// A Fragment header; `offset` in bytes, a multiple of 8.
Bytes fragment_header(std::uint8_t next_header, std::size_t offset, bool more, std::uint32_t ident,
                      std::span<const std::byte> rest);

// ICMPv6 (RFC 4443 2.1) with its checksum over the pseudo-header.
Bytes icmpv6(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t type, std::uint8_t code,
             std::uint32_t rest, std::span<const std::byte> body, bool bad_checksum = false);
Bytes icmpv6_echo(const Ipv6Address& src, const Ipv6Address& dst, bool request, std::uint16_t id,
                  std::uint16_t seq, std::span<const std::byte> payload);

// Neighbor Discovery options (RFC 4861 4.6).
Bytes nd_link_option(std::uint8_t type, const MacAddress& mac);  // 1 source, 2 target
Bytes nd_mtu_option(std::uint32_t mtu);
struct PrefixSpec {
    std::uint8_t prefix_len = 64;
    bool on_link = true;
    bool autonomous = true;
    std::uint32_t valid = 86400;
    std::uint32_t preferred = 14400;
    Ipv6Address prefix = ip6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0);
};
Bytes nd_prefix_option(const PrefixSpec& spec);

// Neighbor Discovery messages (RFC 4861 4.1-4.4); `options` already built.
Bytes router_solicitation(const Ipv6Address& src, const Ipv6Address& dst,
                          std::span<const std::byte> options = {});
struct RaSpec {
    std::uint8_t cur_hop_limit = 64;
    bool managed = false;
    bool other = false;
    std::uint16_t router_lifetime = 1800;
    std::uint32_t reachable_time = 30000;
    std::uint32_t retrans_timer = 1000;
};
Bytes router_advertisement(const Ipv6Address& src, const Ipv6Address& dst, const RaSpec& spec,
                           std::span<const std::byte> options = {});
Bytes neighbor_solicitation(const Ipv6Address& src, const Ipv6Address& dst,
                            const Ipv6Address& target, std::span<const std::byte> options = {});
struct NaFlags {
    bool router = false;
    bool solicited = true;
    bool override = true;
};
Bytes neighbor_advertisement(const Ipv6Address& src, const Ipv6Address& dst,
                             const Ipv6Address& target, NaFlags flags,
                             std::span<const std::byte> options = {});

// UDP over IPv6: the checksum is mandatory (RFC 8200 8.1); `spec.checksum = false` sends 0.
Bytes udp6(const UdpSpec& spec, const Ipv6Address& src, const Ipv6Address& dst,
           std::span<const std::byte> payload);

// A whole frame: Ethernet (type 0x86dd) + IPv6 + `l4`. The Ethernet destination defaults to
// our_mac, or the group of a multicast IPv6 destination (33:33 + its low 32 bits, RFC 2464 7).
Bytes ipv6_frame(const Ipv6Spec& spec, std::span<const std::byte> l4,
                 std::optional<EthernetSpec> eth = std::nullopt);

// --- parsing what the stack sent ----------------------------------------------------------
struct ParsedIpv6 {
    Ipv6Address src, dst;
    std::uint8_t next_header = 0, hop_limit = 0, traffic_class = 0;
    std::uint32_t flow_label = 0;
    std::uint16_t payload_length = 0;
    Bytes payload;  // payload_length bytes after the fixed header
};
// nullopt unless version 6 and the payload fits.
std::optional<ParsedIpv6> parse_ipv6(std::span<const std::byte> packet);
struct ParsedIcmpv6 {
    std::uint8_t type = 0, code = 0;
    std::uint32_t rest = 0;
    bool checksum_ok = false;
    Bytes body;  // after the 8-byte header (NS/NA: target, then options)
};
std::optional<ParsedIcmpv6> parse_icmpv6(std::span<const std::byte> message, const Ipv6Address& src,
                                         const Ipv6Address& dst);

// An IPv6 frame a stack sent: its Ethernet addresses, the packet, and the ICMPv6 message when
// one follows the fixed header.
struct ParsedIpv6Frame {
    MacAddress dst, src;
    ParsedIpv6 ip;
    std::optional<ParsedIcmpv6> icmp;
};
// nullopt unless an untagged Ethernet frame of type 0x86dd with a well-formed IPv6 packet.
std::optional<ParsedIpv6Frame> parse_ipv6_frame(std::span<const std::byte> frame);

}  // namespace nstest
