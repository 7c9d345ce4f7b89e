// TCP headers (RFC 9293 3.1) and the options this stack speaks: MSS (RFC 9293 3.2), window
// scale and timestamps (RFC 7323), SACK-permitted and SACK blocks (RFC 2018).
//
//   0 source port  2 destination port  4 sequence number  8 acknowledgment number
//   12 data offset (4 bits, in 32-bit words) + 4 reserved bits  13 flags  14 window
//   16 checksum  18 urgent pointer  20 options (data offset * 4 - 20 bytes)  then data
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <optional>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"

namespace netstack::wire {

inline constexpr std::size_t tcp_header_len = 20;
inline constexpr std::size_t tcp_max_header_len = 60;

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10,
                              urg = 0x20, ece = 0x40, cwr = 0x80;
}

namespace tcp_option {
inline constexpr std::uint8_t eol = 0, nop = 1, mss = 2, window_scale = 3, sack_permitted = 4,
                              sack = 5, timestamps = 8;
}

enum class TcpError : std::uint8_t {
    short_header,  // fewer than 20 bytes, or fewer than the data offset says
    bad_offset,    // data offset below 5 words
    bad_option,    // an option's length runs past the header or is wrong for its kind
    bad_checksum,
};

// How a segment's checksum is made and checked. `full` everywhere a segment crosses a link.
// `loopback`: on a loopback interface, whose frames never leave this host and are made by
// this stack alone, nothing is summed (Linux's lo: CHECKSUM_PARTIAL out, CHECKSUM_UNNECESSARY
// in); the field holds the pseudo-header's folded sum, as Linux leaves it for a device to
// finish, and is not checked on arrival.
enum class TcpChecksum : std::uint8_t { full, loopback };

struct TcpTimestamps {
    std::uint32_t value = 0;  // TSval
    std::uint32_t echo = 0;   // TSecr
    bool operator==(const TcpTimestamps&) const = default;
};

struct TcpSackBlock {
    std::uint32_t left = 0;   // first sequence number of the block
    std::uint32_t right = 0;  // the one after its last
    bool operator==(const TcpSackBlock&) const = default;
};

// What timestamps add to every segment once both ends use them: NOP NOP TS (RFC 7323 3).
inline constexpr std::size_t tcp_timestamps_option_len = 12;

// At most 4 blocks fit in 40 option bytes, 3 beside timestamps (RFC 2018 3).
inline constexpr std::size_t tcp_max_sack_blocks = 4;

struct TcpRepr {
    std::uint16_t src_port = 0;
    std::uint16_t dst_port = 0;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint8_t flags = 0;
    std::uint16_t window = 0;  // as on the wire (unscaled)
    std::uint16_t urgent = 0;
    std::optional<std::uint16_t> mss{};
    std::optional<std::uint8_t> window_scale{};
    bool sack_permitted = false;
    std::optional<TcpTimestamps> timestamps{};
    std::array<TcpSackBlock, tcp_max_sack_blocks> sack{};
    std::uint8_t sack_count = 0;
    Bytes payload{};  // borrowed

    bool has(std::uint8_t flag) const { return (flags & flag) != 0; }
    // Sequence space the segment occupies: data, plus one each for SYN and FIN.
    std::uint32_t seq_len() const {
        return static_cast<std::uint32_t>(payload.size()) + (has(tcp_flag::syn) ? 1 : 0) +
               (has(tcp_flag::fin) ? 1 : 0);
    }

    // `segment` is the whole IP payload. Unknown options are skipped by their length;
    // options after EOL are ignored (RFC 9293 3.2). The checksum covers the pseudo-header,
    // IPv4's or IPv6's by the addresses' family.
    static std::expected<TcpRepr, TcpError> parse(Bytes segment, const IpAddress& src,
                                                  const IpAddress& dst,
                                                  TcpChecksum checksum = TcpChecksum::full);
    std::size_t options_len() const;  // padded to a multiple of 4
    std::size_t header_len() const { return tcp_header_len + options_len(); }
    std::size_t buffer_len() const { return header_len() + payload.size(); }
    // Writes buffer_len() bytes with the checksum. Options go out in Linux's order (MSS,
    // SACK-permitted, timestamps, window scale, SACK blocks), NOP-padded to 4-byte words.
    // `out` must not overlap `payload`.
    void emit(MutableBytes out, const IpAddress& src, const IpAddress& dst,
              TcpChecksum checksum = TcpChecksum::full) const;
    // Writes the header only (for a payload already in place after it) and the checksum
    // over header and `payload_in_place`.
    void emit_header(MutableBytes out, const IpAddress& src, const IpAddress& dst,
                     Bytes payload_in_place, TcpChecksum checksum = TcpChecksum::full) const;
};

}  // namespace netstack::wire
