// What the files of the summary line share (summary.cpp: Ethernet, ARP, IPv4;
// summary_transport.cpp: UDP and TCP over either IP; summary_ipv6.cpp: IPv6 and its
// extension headers; summary_icmp6.cpp: ICMPv6 and NDP): a bounds-checked reader over the
// captured bytes and the start of an IP packet's line. Private to the summary.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace shmifdump::summary_detail {

// The ICMPv6 next-header value (RFC 4443), which both the IPv6 walk and the ICMPv6 checksum
// (its pseudo-header) name.
inline constexpr std::uint8_t kIcmp6 = 58;

// Reads over the captured bytes; callers check has() first, so a short frame is said to be
// short instead of being read past its end.
class Bytes {
  public:
    explicit Bytes(std::span<const std::byte> d) : d_(d) {}
    std::size_t size() const { return d_.size(); }
    bool has(std::size_t off, std::size_t n) const {
        return off <= d_.size() && n <= d_.size() - off;
    }
    std::uint8_t u8(std::size_t off) const { return std::to_integer<std::uint8_t>(d_[off]); }
    std::uint16_t u16(std::size_t off) const {
        return static_cast<std::uint16_t>(u8(off) << 8 | u8(off + 1));
    }
    std::uint32_t u32(std::size_t off) const {
        return static_cast<std::uint32_t>(u16(off)) << 16 | u16(off + 2);
    }
    std::string mac(std::size_t off) const {
        return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", u8(off), u8(off + 1),
                           u8(off + 2), u8(off + 3), u8(off + 4), u8(off + 5));
    }
    std::string ip4(std::size_t off) const {
        return fmt::format("{}.{}.{}.{}", u8(off), u8(off + 1), u8(off + 2), u8(off + 3));
    }
    // RFC 5952 text (inet_ntop's).
    std::string ip6(std::size_t off) const;

  private:
    std::span<const std::byte> d_;
};

// The start of an IP packet's line: the family, the addresses, and what the IP layer says
// before its payload (IPv6 extension headers: "hop-by-hop, frag (...), "; empty for IPv4).
struct IpLine {
    std::string_view family;  // "IPv4" or "IPv6"
    std::string src;
    std::string dst;
    std::string notes;

    // "IPv4 10.0.0.1 > 10.0.0.2: "
    std::string head() const { return fmt::format("{} {} > {}: {}", family, src, dst, notes); }
    // "IPv4 10.0.0.1.5353 > 10.0.0.2.53: "
    std::string head(std::uint16_t sport, std::uint16_t dport) const {
        return fmt::format("{} {}.{} > {}.{}: {}", family, src, sport, dst, dport, notes);
    }
};

// UDP (RFC 768) and TCP (RFC 9293) headers at `off`, as both IP versions print them.
std::string udp(const Bytes& b, std::size_t off, const IpLine& ip);
std::string tcp(const Bytes& b, std::size_t off, const IpLine& ip);

// The IPv6 packet at `off` (RFC 8200); `frame_len` is the frame's length on the wire, which
// the payload length must fit in.
std::string ipv6(const Bytes& b, std::size_t off, std::size_t frame_len);

// Where the ICMPv6 checksum's pseudo-header (RFC 8200 8.1) takes its addresses: offsets of
// the source and of the final destination. No destination: the checksum is not checked
// (a fragment, or a routing header whose final destination this does not know).
struct PseudoHeader {
    std::size_t src = 0;
    std::optional<std::size_t> dst;
};

// The ICMPv6 message (RFC 4443, NDP RFC 4861) at `off`, `len` bytes long by the IPv6
// header (maybe not all captured).
std::string icmp6(const Bytes& b, std::size_t off, std::size_t len, const PseudoHeader& ph);

}  // namespace shmifdump::summary_detail
