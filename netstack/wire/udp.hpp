// UDP headers (RFC 768).
//
//   0 source port 2 destination port 4 length (header + data) 6 checksum 8 data
#pragma once

#include <cstdint>
#include <expected>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"

namespace netstack::wire {

inline constexpr std::size_t udp_header_len = 8;
// 65,535 minus the minimal IPv4 and UDP headers.
inline constexpr std::size_t udp_max_payload = 65507;

enum class UdpError : std::uint8_t {
    short_header,  // fewer than 8 bytes
    bad_length,    // length field below 8 or past the IP payload
    bad_checksum,
};

struct UdpRepr {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    Bytes payload{};  // borrowed

    // `segment` is the IP payload; bytes past the UDP length are ignored. The pseudo-header is
    // IPv4's or IPv6's by the addresses' family. A zero checksum means the sender computed
    // none (RFC 768) and is accepted over IPv4; over IPv6 it is bad_checksum (RFC 8200 8.1).
    static std::expected<UdpRepr, UdpError> parse(Bytes segment, const IpAddress& src,
                                                  const IpAddress& dst);
    std::size_t buffer_len() const { return udp_header_len + payload.size(); }
    // Writes buffer_len() bytes; the checksum is always computed, and a computed zero is sent
    // as 0xffff (RFC 768, RFC 8200 8.1). `out` must not overlap `payload`.
    void emit(MutableBytes out, const IpAddress& src, const IpAddress& dst) const;
};

}  // namespace netstack::wire
