// IPv4 headers (RFC 791 3.1).
//
//   0 ver|ihl 1 tos 2 total length 4 identification 6 flags|fragment offset 8 ttl 9 protocol
//   10 header checksum 12 source 16 destination 20 options (ihl*4 - 20 bytes) | payload
#pragma once

#include <cstdint>
#include <expected>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"
#include "wire/checksum.hpp"
#include "wire/ip_protocol.hpp"

namespace netstack::wire {

inline constexpr std::size_t ipv4_min_header_len = 20;
inline constexpr std::size_t ipv4_max_total_len = 65535;

namespace ipv4_field {
inline constexpr std::size_t ver_ihl = 0, tos = 1, total_len = 2, ident = 4, flags_frag = 6,
                             ttl = 8, protocol = 9, checksum = 10, src = 12, dst = 16;
inline constexpr std::uint16_t flag_df = 0x4000, flag_mf = 0x2000, offset_mask = 0x1fff;
}  // namespace ipv4_field

template <typename Buffer>
class Ipv4View {
  public:
    explicit Ipv4View(Buffer buffer) : buffer_(buffer) {}
    // Only the fixed header; header_len()/total_len() are checked by Ipv4Repr::parse.
    bool check_len() const { return buffer_.size() >= ipv4_min_header_len; }
    std::uint8_t version() const { return load8(buffer_, ipv4_field::ver_ihl) >> 4; }
    std::size_t header_len() const {
        return std::size_t(load8(buffer_, ipv4_field::ver_ihl) & 0x0f) * 4;
    }
    std::uint8_t tos() const { return load8(buffer_, ipv4_field::tos); }
    std::uint16_t total_len() const { return load16(buffer_, ipv4_field::total_len); }
    std::uint16_t ident() const { return load16(buffer_, ipv4_field::ident); }
    bool dont_fragment() const { return flags_frag() & ipv4_field::flag_df; }
    bool more_fragments() const { return flags_frag() & ipv4_field::flag_mf; }
    // RFC 791: the offset field counts 8-byte units; this is in bytes.
    std::size_t frag_offset() const {
        return std::size_t(flags_frag() & ipv4_field::offset_mask) * 8;
    }
    std::uint8_t ttl() const { return load8(buffer_, ipv4_field::ttl); }
    std::uint8_t protocol() const { return load8(buffer_, ipv4_field::protocol); }
    std::uint16_t checksum() const { return load16(buffer_, ipv4_field::checksum); }
    Ipv4Address src() const { return {load32(buffer_, ipv4_field::src)}; }
    Ipv4Address dst() const { return {load32(buffer_, ipv4_field::dst)}; }
    Buffer header() const { return buffer_.first(header_len()); }
    Buffer options() const { return buffer_.subspan(20, header_len() - 20); }
    Buffer payload() const { return buffer_.subspan(header_len(), total_len() - header_len()); }

    void set_total_len(std::uint16_t v) { store16(buffer_, ipv4_field::total_len, v); }
    void set_flags_frag(bool df, bool mf, std::size_t offset_bytes) {
        store16(buffer_, ipv4_field::flags_frag,
                static_cast<std::uint16_t>((df ? ipv4_field::flag_df : 0) |
                                           (mf ? ipv4_field::flag_mf : 0) | (offset_bytes / 8)));
    }
    void set_ttl(std::uint8_t v) { store8(buffer_, ipv4_field::ttl, v); }
    void set_checksum(std::uint16_t v) { store16(buffer_, ipv4_field::checksum, v); }
    // Recomputes the header checksum over header_len() bytes.
    void fill_checksum() {
        set_checksum(0);
        set_checksum(wire::checksum(header()));
    }

  private:
    std::uint16_t flags_frag() const { return load16(buffer_, ipv4_field::flags_frag); }
    Buffer buffer_;
};

enum class Ipv4Error : std::uint8_t {
    short_header,    // fewer than 20 bytes
    bad_version,     // not 4
    bad_header_len,  // IHL < 5 or past the buffer
    bad_total_len,   // below the header length or past the buffer
    bad_checksum,
};

struct Ipv4Repr {
    Ipv4Address src{};
    Ipv4Address dst{};
    std::uint8_t protocol = 0;
    std::uint8_t ttl = 64;
    std::uint8_t tos = 0;
    std::uint16_t ident = 0;
    bool dont_fragment = false;
    bool more_fragments = false;
    std::size_t frag_offset = 0;  // bytes, a multiple of 8
    std::size_t payload_len = 0;

    bool is_fragment() const { return more_fragments || frag_offset != 0; }

    // Validates version, lengths and checksum. Bytes past total length (Ethernet padding) are
    // allowed and ignored; options are skipped (their length is in header_len()).
    static std::expected<Ipv4Repr, Ipv4Error> parse(Bytes packet);
    // Writes a header of 20 + options.size() bytes (options a multiple of 4) with checksum.
    void emit(MutableBytes packet, Bytes options = {}) const;
};

}  // namespace netstack::wire
