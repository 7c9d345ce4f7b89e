// ICMP for IPv4 (RFC 792).
//
//   0 type 1 code 2 checksum 4 rest of header (echo: id, seq; frag-needed: 0, next-hop MTU)
//   8 data (echo: payload; errors: the offending IP header + at least 8 bytes of its data)
#pragma once

#include <cstdint>
#include <expected>

#include "wire/bytes.hpp"

namespace netstack::wire {

inline constexpr std::size_t icmp_header_len = 8;

enum class IcmpType : std::uint8_t {
    echo_reply = 0,
    destination_unreachable = 3,
    source_quench = 4,
    redirect = 5,
    echo_request = 8,
    time_exceeded = 11,
    parameter_problem = 12,
};

// Destination unreachable codes (RFC 792; 4 is RFC 1191's "fragmentation needed and DF set").
enum class UnreachableCode : std::uint8_t {
    net = 0,
    host = 1,
    protocol = 2,
    port = 3,
    fragmentation_needed = 4,
};

enum class TimeExceededCode : std::uint8_t { ttl = 0, reassembly = 1 };

// RFC 1122 3.2.2: the error messages, which must never cause another error.
constexpr bool is_icmp_error(std::uint8_t type) {
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

enum class IcmpError : std::uint8_t { short_header, bad_checksum };

struct IcmpRepr {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t rest = 0;  // the 4 type-specific header bytes
    Bytes data{};            // borrowed from the parsed buffer (or the caller, for emit)

    std::uint16_t echo_id() const { return static_cast<std::uint16_t>(rest >> 16); }
    std::uint16_t echo_seq() const { return static_cast<std::uint16_t>(rest & 0xffff); }
    static std::uint32_t echo_rest(std::uint16_t id, std::uint16_t seq) {
        return std::uint32_t(id) << 16 | seq;
    }

    // Verifies the checksum over the whole message (RFC 792).
    static std::expected<IcmpRepr, IcmpError> parse(Bytes message);
    std::size_t buffer_len() const { return icmp_header_len + data.size(); }
    // Writes buffer_len() bytes with the checksum filled in. `out` must not overlap `data`.
    void emit(MutableBytes out) const;
};

}  // namespace netstack::wire
