// ICMPv6 (RFC 4443): the common header and the checksum over the IPv6 pseudo-header. The
// Neighbor Discovery messages inside it are wire/ndp.hpp.
//
//   0 type 1 code 2 checksum 4 message body: 4 type-specific bytes (echo: id, seq; packet too
//   big: MTU; parameter problem: pointer) 8 data (echo: payload; errors: as much of the
//   invoking packet as fits in the minimum MTU)
#pragma once

#include <cstdint>
#include <expected>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"
#include "wire/ipv6.hpp"

namespace netstack::wire {

inline constexpr std::size_t icmpv6_header_len = 8;

enum class Icmpv6Type : std::uint8_t {
    destination_unreachable = 1,
    packet_too_big = 2,
    time_exceeded = 3,
    parameter_problem = 4,
    echo_request = 128,
    echo_reply = 129,
    // Neighbor Discovery (RFC 4861 4)
    router_solicitation = 133,
    router_advertisement = 134,
    neighbor_solicitation = 135,
    neighbor_advertisement = 136,
    redirect = 137,
};

// RFC 4443 3.1.
enum class Icmpv6UnreachableCode : std::uint8_t {
    no_route = 0,
    admin_prohibited = 1,
    beyond_scope = 2,
    address = 3,
    port = 4,
    source_policy = 5,
    reject_route = 6,
};

// RFC 4443 3.3.
enum class Icmpv6TimeExceededCode : std::uint8_t { hop_limit = 0, reassembly = 1 };

// RFC 4443 3.4.
enum class Icmpv6ParamProblemCode : std::uint8_t {
    header_field = 0,  // erroneous header field
    next_header = 1,   // unrecognized next header type
    option = 2,        // unrecognized IPv6 option
    // RFC 7112 5: a first fragment without the whole header chain.
    incomplete_chain = 3,
};

// RFC 4443 2.4 (c): an error message quotes as much of the invoking packet as fits in the
// minimum MTU.
inline constexpr std::size_t icmpv6_error_max_quote =
    ipv6_min_mtu - ipv6_header_len - icmpv6_header_len;

// RFC 4443 2.1: types 0-127 are errors, 128-255 informational.
constexpr bool is_icmpv6_error(std::uint8_t type) {
    return type < 128;
}

enum class Icmpv6Error : std::uint8_t { short_header, bad_checksum };

struct Icmpv6Repr {
    std::uint8_t type = 0;
    std::uint8_t code = 0;
    std::uint32_t rest = 0;  // the 4 type-specific bytes after the checksum
    Bytes data{};            // borrowed from the parsed buffer (or the caller, for emit)

    bool is_error() const { return is_icmpv6_error(type); }
    std::uint16_t echo_id() const { return static_cast<std::uint16_t>(rest >> 16); }
    std::uint16_t echo_seq() const { return static_cast<std::uint16_t>(rest & 0xffff); }
    static std::uint32_t echo_rest(std::uint16_t id, std::uint16_t seq) {
        return std::uint32_t(id) << 16 | seq;
    }
    std::uint32_t mtu() const { return rest; }      // packet too big
    std::uint32_t pointer() const { return rest; }  // parameter problem

    // `message` is the upper-layer payload of the IPv6 packet; the checksum covers the IPv6
    // pseudo-header with the final destination (RFC 4443 2.3, RFC 8200 8.1).
    static std::expected<Icmpv6Repr, Icmpv6Error> parse(Bytes message, const Ipv6Address& src,
                                                        const Ipv6Address& dst);
    std::size_t buffer_len() const { return icmpv6_header_len + data.size(); }
    // Writes buffer_len() bytes with the checksum. `out` must not overlap `data`.
    void emit(MutableBytes out, const Ipv6Address& src, const Ipv6Address& dst) const;
};

// Computes and stores the checksum of a whole ICMPv6 message already in place (for messages
// built field by field, such as Neighbor Discovery's).
void fill_icmpv6_checksum(MutableBytes message, const Ipv6Address& src, const Ipv6Address& dst);

}  // namespace netstack::wire
