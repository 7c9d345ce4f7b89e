// Test frames: whole Ethernet frames of the kinds shmifdump summarises, each carrying a
// 32-bit sequence number at a fixed place in its payload (seq_of reads it back).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shmifdump::test {

using Bytes = std::vector<std::byte>;

Bytes udp_frame(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                std::size_t payload = 16);
Bytes tcp_frame(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, std::uint32_t seq);
Bytes arp_frame(bool request, std::uint32_t seq);
Bytes icmp_echo_frame(bool request, std::uint16_t id, std::uint16_t sequence);
Bytes vlan_udp_frame(std::uint16_t vid, std::uint16_t dport, std::uint32_t seq);
// Ethertype 0x88b5 (local experimental), `len` bytes in all, seq at byte 14.
Bytes raw_frame(std::size_t len, std::uint32_t seq);

// The sequence number a frame of the functions above carries (raw: at 14; IPv4: at the
// end of the UDP/TCP header; ARP: in the target hardware address).
std::uint32_t seq_of(std::span<const std::byte> frame);

}  // namespace shmifdump::test
