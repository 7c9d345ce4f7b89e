// IPv6 in the summary line (RFC 8200): the fixed header, its payload length checked against
// the frame, the extension header chain walked with bounds (hop-by-hop, routing, destination
// options, fragment, no next header), then the upper layer: UDP and TCP as over IPv4,
// ICMPv6 in summary_icmp6.cpp. Only the first fragment's upper layer is decoded.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>

#include "summary_detail.hpp"

namespace shmifdump::summary_detail {
namespace {

constexpr std::size_t kHeaderLen = 40;

// Next Header values (IANA "Assigned Internet Protocol Numbers").
constexpr std::uint8_t kHopByHop = 0;
constexpr std::uint8_t kTcp = 6;
constexpr std::uint8_t kUdp = 17;
constexpr std::uint8_t kRouting = 43;
constexpr std::uint8_t kFragment = 44;
constexpr std::uint8_t kNoNext = 59;
constexpr std::uint8_t kDstOpts = 60;

// With Segments Left > 0 the IPv6 destination is not the final one (RFC 8200 8.1): it is
// the last address of a type 0 header (RFC 2460, deprecated), the home address of type 2
// (RFC 6275), Segment List[0] of type 4 (RFC 8754). Any other type: unknown.
std::optional<std::size_t> final_destination(const Bytes& b, std::size_t at, std::size_t len) {
    const std::uint8_t type = b.u8(at + 2);
    std::size_t addr = 0;
    if (type == 0 && len >= 24)
        addr = at + 8 + (len - 8) / 16 * 16 - 16;
    else if (type == 2 || type == 4)
        addr = at + 8;
    else
        return std::nullopt;
    if (addr + 16 > at + len || !b.has(addr, 16)) return std::nullopt;
    return addr;
}

}  // namespace

std::string Bytes::ip6(std::size_t off) const {
    std::array<unsigned char, 16> raw{};
    for (std::size_t i = 0; i < raw.size(); ++i)
        raw[i] = u8(off + i);
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, raw.data(), text, sizeof text);
    return text;
}

std::string ipv6(const Bytes& b, std::size_t off, std::size_t frame_len) {
    if (!b.has(off, kHeaderLen)) return "IPv6, truncated";
    if (b.u8(off) >> 4 != 6) return "IPv6, bad header";
    IpLine ip{.family = "IPv6", .src = b.ip6(off + 8), .dst = b.ip6(off + 24), .notes = {}};
    const std::size_t payload_len = b.u16(off + 4);
    // The packet must fit in the frame (it may be followed by Ethernet padding); what the
    // snap length cut is decoded as far as it goes.
    if (off + kHeaderLen + payload_len > frame_len)
        return fmt::format("{}bad length {}", ip.head(), payload_len);
    const std::size_t end = off + kHeaderLen + payload_len;
    PseudoHeader pseudo{.src = off + 8, .dst = off + 24};
    std::uint8_t next = b.u8(off + 6);
    std::size_t at = off + kHeaderLen;
    // Each extension header takes at least 8 bytes of the payload: the walk ends.
    for (;;) {
        switch (next) {
            case kHopByHop:
            case kRouting:
            case kDstOpts: {
                // Next Header, Hdr Ext Len in 8-octet units not counting the first 8.
                if (at + 8 > end) return ip.head() + "malformed extension header";
                if (!b.has(at, 2)) return ip.head() + "truncated";
                const std::size_t len = (std::size_t{b.u8(at + 1)} + 1) * 8;
                if (at + len > end) return ip.head() + "malformed extension header";
                if (next == kRouting) {
                    if (!b.has(at, 4)) return ip.head() + "truncated";
                    const std::uint8_t segments_left = b.u8(at + 3);
                    ip.notes +=
                        fmt::format("routing (type {}, segleft {}), ", b.u8(at + 2), segments_left);
                    if (segments_left > 0) pseudo.dst = final_destination(b, at, len);
                } else {
                    ip.notes += next == kHopByHop ? "hop-by-hop, " : "dst-options, ";
                }
                next = b.u8(at);
                at += len;
                break;
            }
            case kFragment: {
                // RFC 8200 4.5: Next Header, reserved, offset (13 bits, 8-octet units) and
                // M flag, Identification.
                if (at + 8 > end) return ip.head() + "malformed extension header";
                if (!b.has(at, 8)) return ip.head() + "truncated";
                const std::uint16_t offset_flags = b.u16(at + 2);
                const unsigned offset = offset_flags & 0xfff8U;
                ip.notes += fmt::format("frag (off {}, id 0x{:08x}{}), ", offset, b.u32(at + 4),
                                        (offset_flags & 1U) != 0 ? ", more" : "");
                next = b.u8(at);
                at += 8;
                pseudo.dst.reset();  // a part of the message: its checksum cannot be checked
                if (offset != 0) return fmt::format("{}proto {}", ip.head(), next);
                break;
            }
            case kNoNext:
                return ip.head() + "no next header";
            case kIcmp6:
                return ip.head() + icmp6(b, at, end - at, pseudo);
            case kTcp:
                return tcp(b, at, ip);
            case kUdp:
                return udp(b, at, ip);
            default:
                return fmt::format("{}proto {}", ip.head(), next);
        }
    }
}

}  // namespace shmifdump::summary_detail
