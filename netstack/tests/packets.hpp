// Test helpers that speak packets: byte builders with defaults for Ethernet, 802.1Q, ARP,
// IPv4, ICMP and UDP, and a parser for what a stack transmits. Written by hand from the RFCs,
// sharing no code with netstack's own wire/ layer, so a test checks the stack against an
// independent reading of the formats.
//
// Defaults describe one exchange on 10.0.0.0/24: the peer (10.0.0.2, 02:00:00:00:00:02)
// sends to us (10.0.0.1, 02:00:00:00:00:01).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "netstack/address.hpp"

namespace nstest {

using Bytes = std::vector<std::byte>;
using netstack::Ipv4Address;
using netstack::MacAddress;

inline constexpr MacAddress our_mac{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr MacAddress peer_mac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr Ipv4Address our_ip = Ipv4Address::from_octets(10, 0, 0, 1);
inline constexpr Ipv4Address peer_ip = Ipv4Address::from_octets(10, 0, 0, 2);
inline constexpr Ipv4Address ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4Address::from_octets(a, b, c, d);
}
inline constexpr MacAddress mac(std::uint8_t last) {
    return {{0x02, 0, 0, 0, 0, last}};
}

namespace ethertype {
inline constexpr std::uint16_t ipv4 = 0x0800;
inline constexpr std::uint16_t arp = 0x0806;
inline constexpr std::uint16_t vlan = 0x8100;
}  // namespace ethertype
namespace proto {
inline constexpr std::uint8_t icmp = 1;
inline constexpr std::uint8_t udp = 17;
}  // namespace proto

// RFC 1071 ones' complement sum, folded and complemented; `initial` carries a pseudo-header.
std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial = 0);

Bytes text(std::string_view s);
// n bytes counting up from `start`: payloads whose every byte position is distinguishable.
Bytes pattern(std::size_t n, std::uint8_t start = 0);

struct EthernetSpec {
    MacAddress dst = our_mac;
    MacAddress src = peer_mac;
    std::uint16_t type = ethertype::ipv4;
    std::optional<std::uint16_t> vlan_id{};  // adds an 802.1Q tag
};
Bytes ethernet(const EthernetSpec& spec, std::span<const std::byte> payload);

struct ArpSpec {
    std::uint16_t op = 1;  // 1 request, 2 reply
    MacAddress sender_mac = peer_mac;
    Ipv4Address sender_ip = peer_ip;
    MacAddress target_mac{};
    Ipv4Address target_ip = our_ip;
    std::uint16_t htype = 1;
    std::uint16_t ptype = ethertype::ipv4;
    std::uint8_t hlen = 6;
    std::uint8_t plen = 4;
};
Bytes arp(const ArpSpec& spec);

struct Ipv4Spec {
    Ipv4Address src = peer_ip;
    Ipv4Address dst = our_ip;
    std::uint8_t protocol = proto::udp;
    std::uint8_t ttl = 64;
    std::uint16_t id = 0x1234;
    bool df = false;
    bool mf = false;
    std::uint16_t offset = 0;  // in bytes, a multiple of 8
    std::uint8_t version = 4;
    std::uint8_t ihl = 5;                         // > 5 adds NOP options
    std::optional<std::uint16_t> total_length{};  // override (default: the real length)
    bool bad_checksum = false;
};
Bytes ipv4(const Ipv4Spec& spec, std::span<const std::byte> payload);

struct UdpSpec {
    std::uint16_t src_port = 40000;
    std::uint16_t dst_port = 5000;
    bool checksum = true;  // false: 0, "no checksum" (RFC 768)
    bool bad_checksum = false;
    std::optional<std::uint16_t> length{};  // override
};
Bytes udp(const UdpSpec& spec, Ipv4Address src, Ipv4Address dst,
          std::span<const std::byte> payload);

Bytes icmp(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
           std::span<const std::byte> payload, bool bad_checksum = false);
Bytes icmp_echo(bool request, std::uint16_t id, std::uint16_t seq,
                std::span<const std::byte> payload);

// Whole frames, defaults filled in.
Bytes udp_frame(const Bytes& payload = text("hello"), const UdpSpec& udp_spec = {},
                const Ipv4Spec& ip_spec = {}, const EthernetSpec& eth = {});
Bytes echo_request_frame(std::uint16_t id, std::uint16_t seq, const Bytes& payload = pattern(32),
                         Ipv4Spec ip_spec = {}, const EthernetSpec& eth = {});
// Ethernet destination defaults to broadcast for requests.
Bytes arp_frame(const ArpSpec& spec = {}, std::optional<EthernetSpec> eth = std::nullopt);
// An IPv4 frame carrying `l4` (already built) fragmented by hand into pieces of
// `piece` payload bytes (a multiple of 8), in order; the caller reorders as it likes.
std::vector<Bytes> fragment_frames(const Ipv4Spec& ip_spec, const Bytes& l4, std::size_t piece,
                                   const EthernetSpec& eth = {});

// --- parsing what the stack sent ----------------------------------------------------------
struct ParsedArp {
    std::uint16_t op = 0;
    MacAddress sender_mac, target_mac;
    Ipv4Address sender_ip, target_ip;
};
struct ParsedIpv4 {
    Ipv4Address src, dst;
    std::uint8_t protocol = 0, ttl = 0, ihl = 0;
    std::uint16_t id = 0, total_length = 0, offset = 0;  // offset in bytes
    bool df = false, mf = false, checksum_ok = false;
    Bytes payload;
    bool is_fragment() const { return mf || offset != 0; }
};
struct ParsedIcmp {
    std::uint8_t type = 0, code = 0;
    std::uint32_t rest = 0;  // the 4 bytes after the checksum
    std::uint16_t id() const { return static_cast<std::uint16_t>(rest >> 16); }
    std::uint16_t seq() const { return static_cast<std::uint16_t>(rest & 0xffff); }
    bool checksum_ok = false;
    Bytes payload;  // after the 8-byte header (for errors: the offending header + 8 bytes)
};
struct ParsedUdp {
    std::uint16_t src_port = 0, dst_port = 0, length = 0;
    bool checksum_ok = false;  // also true for checksum 0 ("none")
    Bytes payload;
};
struct Parsed {
    MacAddress dst, src;
    std::uint16_t type = 0;
    std::optional<std::uint16_t> vlan_id;
    std::optional<ParsedArp> arp;
    std::optional<ParsedIpv4> ip;
    std::optional<ParsedIcmp> icmp;  // unfragmented packets only
    std::optional<ParsedUdp> udp;    // unfragmented packets only
};
// nullopt if the frame is malformed at any layer it claims to carry.
std::optional<Parsed> parse(std::span<const std::byte> frame);
// Parses the IPv4 packet inside an ICMP error's payload (header + at least 8 bytes).
std::optional<ParsedIpv4> parse_ipv4(std::span<const std::byte> packet, bool allow_truncated);
// Puts fragments (any order) back together: the transport payload, or nullopt with holes.
std::optional<Bytes> reassemble(const std::vector<ParsedIpv4>& fragments);

}  // namespace nstest
