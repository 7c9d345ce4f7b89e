// UDP (RFC 768) and TCP (RFC 9293) in the summary line, one printer each for IPv4 and IPv6:
// the ports after the addresses, then the UDP payload's length or the TCP flags.
#include "summary_detail.hpp"

namespace shmifdump::summary_detail {
namespace {

std::string tcp_flags(std::uint8_t f) {
    // tcpdump's letters: S F R P U E W and '.' for ACK.
    std::string s;
    if (f & 0x02) s += 'S';
    if (f & 0x01) s += 'F';
    if (f & 0x04) s += 'R';
    if (f & 0x08) s += 'P';
    if (f & 0x20) s += 'U';
    if (f & 0x40) s += 'E';
    if (f & 0x80) s += 'W';
    if (f & 0x10) s += '.';
    return s.empty() ? "none" : s;
}

}  // namespace

std::string tcp(const Bytes& b, std::size_t off, const IpLine& ip) {
    if (!b.has(off, 14)) return ip.head() + "TCP, truncated";
    return fmt::format("{}TCP [{}]", ip.head(b.u16(off), b.u16(off + 2)),
                       tcp_flags(b.u8(off + 13)));
}

std::string udp(const Bytes& b, std::size_t off, const IpLine& ip) {
    if (!b.has(off, 8)) return ip.head() + "UDP, truncated";
    // As tcpdump: the payload's length, the UDP length field less its 8-byte header.
    const unsigned udp_length = b.u16(off + 4);
    const std::string ends = ip.head(b.u16(off), b.u16(off + 2)) + "UDP, ";
    if (udp_length < 8) return ends + fmt::format("bad length {}", udp_length);
    return ends + fmt::format("length {}", udp_length - 8);
}

}  // namespace shmifdump::summary_detail
