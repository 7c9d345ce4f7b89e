// One readable line per frame, tcpdump-like: what shmifdump prints when it does not write a
// file. Decodes only what a test failure usually needs: Ethernet, 802.1Q, ARP, IPv4 with
// ICMP echo, IPv6 (RFC 8200) with its extension headers and fragments, ICMPv6 (RFC 4443:
// echo and errors, checksum checked) and Neighbor Discovery (RFC 4861), UDP and TCP ports
// and flags; anything else is named by its ethertype or protocol number. Short or malformed
// frames are said to be so, never read past their end. The pieces are in summary*.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace shmifdump {

// "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff, ARP who-has 10.0.0.2 tell 10.0.0.1, length 42".
// `data` is what was captured (maybe cut by the snap length); `wire_len` the frame's length.
std::string summarize(std::span<const std::byte> data, std::size_t wire_len);

// "12:34:56.123456" (or 9 digits with nano) in local time, as tcpdump prints it.
std::string format_time(std::uint64_t time_ns, bool nano);

// The whole line: time, sender id, then summarize().
std::string frame_line(std::uint64_t time_ns, std::uint64_t sender, std::span<const std::byte> data,
                       std::size_t wire_len, bool nano);

}  // namespace shmifdump
