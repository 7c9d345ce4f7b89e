// IPv6 fixed headers (RFC 8200 3). Extension headers are wire/ipv6_ext.hpp.
//
//   0 version (4 bits) | traffic class (8) | flow label (20)  4 payload length
//   6 next header  7 hop limit  8 source (16 bytes)  24 destination (16 bytes)
//   40 extension headers and upper-layer data (payload length bytes)
#pragma once

#include <cstdint>
#include <expected>

#include "netstack/address.hpp"
#include "wire/bytes.hpp"
#include "wire/ip_protocol.hpp"

namespace netstack::wire {

inline constexpr std::size_t ipv6_header_len = 40;
// RFC 8200 5: every link carries packets of this size; smaller PMTU reports are ignored.
inline constexpr std::size_t ipv6_min_mtu = 1280;

namespace ipv6_field {
inline constexpr std::size_t ver_tc_flow = 0, payload_len = 4, next_header = 6, hop_limit = 7,
                             src = 8, dst = 24;
inline constexpr std::uint32_t flow_label_mask = 0x000fffff;
}  // namespace ipv6_field

template <typename Buffer>
class Ipv6View {
  public:
    explicit Ipv6View(Buffer buffer) : buffer_(buffer) {}
    // Only the fixed header; payload() needs payload_len() checked too (Ipv6Repr::parse).
    bool check_len() const { return buffer_.size() >= ipv6_header_len; }
    std::uint8_t version() const { return load8(buffer_, ipv6_field::ver_tc_flow) >> 4; }
    std::uint8_t traffic_class() const { return static_cast<std::uint8_t>(word0() >> 20 & 0xff); }
    std::uint32_t flow_label() const { return word0() & ipv6_field::flow_label_mask; }
    std::uint16_t payload_len() const { return load16(buffer_, ipv6_field::payload_len); }
    std::uint8_t next_header() const { return load8(buffer_, ipv6_field::next_header); }
    std::uint8_t hop_limit() const { return load8(buffer_, ipv6_field::hop_limit); }
    Ipv6Address src() const { return load_ipv6(buffer_, ipv6_field::src); }
    Ipv6Address dst() const { return load_ipv6(buffer_, ipv6_field::dst); }
    Buffer header() const { return buffer_.first(ipv6_header_len); }
    // Extension headers and upper-layer data, without any link-layer padding.
    Buffer payload() const { return buffer_.subspan(ipv6_header_len, payload_len()); }

    void set_version_tc_flow(std::uint8_t traffic_class, std::uint32_t flow_label) {
        store32(buffer_, ipv6_field::ver_tc_flow,
                6u << 28 | std::uint32_t(traffic_class) << 20 |
                    (flow_label & ipv6_field::flow_label_mask));
    }
    void set_payload_len(std::uint16_t v) { store16(buffer_, ipv6_field::payload_len, v); }
    void set_next_header(std::uint8_t v) { store8(buffer_, ipv6_field::next_header, v); }
    void set_hop_limit(std::uint8_t v) { store8(buffer_, ipv6_field::hop_limit, v); }
    void set_src(const Ipv6Address& a) { store_ipv6(buffer_, ipv6_field::src, a); }
    void set_dst(const Ipv6Address& a) { store_ipv6(buffer_, ipv6_field::dst, a); }

  private:
    std::uint32_t word0() const { return load32(buffer_, ipv6_field::ver_tc_flow); }
    Buffer buffer_;
};

enum class Ipv6Error : std::uint8_t {
    short_header,     // fewer than 40 bytes
    bad_version,      // not 6
    bad_payload_len,  // past the buffer
};

struct Ipv6Repr {
    Ipv6Address src{};
    Ipv6Address dst{};
    std::uint8_t next_header = 0;  // an extension header or the upper-layer protocol
    std::uint8_t hop_limit = 64;
    std::size_t payload_len = 0;  // everything after the fixed header
    std::uint8_t traffic_class = 0;
    std::uint32_t flow_label = 0;  // 20 bits

    // Validates version and length. Bytes past payload_len (Ethernet padding) are allowed and
    // ignored. A payload length of 0 is an empty payload: jumbograms (RFC 2675) are not
    // supported, and their Hop-by-Hop option is refused by the extension walk.
    static std::expected<Ipv6Repr, Ipv6Error> parse(Bytes packet);
    // Writes the 40-byte header; payload_len must fit in 16 bits.
    void emit(MutableBytes packet) const;
    bool operator==(const Ipv6Repr&) const = default;
};

}  // namespace netstack::wire
