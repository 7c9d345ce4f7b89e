// Ethernet/ARP frames as byte vectors, for tests that talk to the kernel through a bus.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace shmifd::test {

using Bytes = std::vector<std::byte>;
using Mac = std::array<std::uint8_t, 6>;
using Ip4 = std::array<std::uint8_t, 4>;

constexpr std::uint16_t kEtherTypeArp = 0x0806;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;

std::uint16_t ether_type(std::span<const std::byte> frame);  // 0 when too short
Mac source_mac(std::span<const std::byte> frame);

// RFC 826: an ARP request from (mac, ip) asking for `target`, broadcast.
Bytes arp_request(const Mac& sender_mac, const Ip4& sender_ip, const Ip4& target_ip);

struct Arp {
    std::uint16_t op = 0;  // 1 request, 2 reply
    Mac sender_mac{};
    Ip4 sender_ip{};
    Mac target_mac{};
    Ip4 target_ip{};
};
std::optional<Arp> parse_arp(std::span<const std::byte> frame);

// IPv4 protocol number of an IPv4 frame (1 ICMP, 17 UDP), or nothing.
std::optional<std::uint8_t> ipv4_protocol(std::span<const std::byte> frame);

}  // namespace shmifd::test
