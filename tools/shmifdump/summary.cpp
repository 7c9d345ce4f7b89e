// The summary line (summary.hpp): Ethernet, 802.1Q tags, ARP and IPv4, handing IPv6 to
// summary_ipv6.cpp and UDP and TCP to summary_transport.cpp; the time stamp and sender.
#include "summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "summary_detail.hpp"

namespace shmifdump {
namespace {

using summary_detail::Bytes;
using summary_detail::IpLine;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;

std::string arp(const Bytes& b, std::size_t off) {
    // RFC 826, Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4.
    if (!b.has(off, 28)) return "ARP, truncated";
    if (b.u16(off) != 1 || b.u16(off + 2) != kEtherIpv4 || b.u8(off + 4) != 6 || b.u8(off + 5) != 4)
        return fmt::format("ARP, htype {} ptype 0x{:04x}", b.u16(off), b.u16(off + 2));
    const std::uint16_t op = b.u16(off + 6);
    if (op == 1) return fmt::format("ARP who-has {} tell {}", b.ip4(off + 24), b.ip4(off + 14));
    if (op == 2) return fmt::format("ARP {} is-at {}", b.ip4(off + 14), b.mac(off + 8));
    return fmt::format("ARP op {}", op);
}

std::string ipv4(const Bytes& b, std::size_t off) {
    if (!b.has(off, 20)) return "IPv4, truncated";
    const std::uint8_t vihl = b.u8(off);
    const std::size_t ihl = static_cast<std::size_t>(vihl & 0x0f) * 4;
    if (vihl >> 4 != 4 || ihl < 20) return "IPv4, bad header";
    const IpLine ip{.family = "IPv4", .src = b.ip4(off + 12), .dst = b.ip4(off + 16), .notes = {}};
    const std::uint8_t proto = b.u8(off + 9);
    const std::uint16_t frag = b.u16(off + 6);
    const std::size_t l4 = off + ihl;
    if ((frag & 0x1fff) != 0)  // not the first fragment: no transport header here
        return fmt::format("{}fragment, proto {}", ip.head(), proto);
    switch (proto) {
        case 1: {  // ICMP (RFC 792)
            if (!b.has(l4, 8)) return ip.head() + "ICMP, truncated";
            const std::uint8_t type = b.u8(l4);
            if (type == 8 || type == 0)
                return fmt::format("{}ICMP echo {}, id {}, seq {}", ip.head(),
                                   type == 8 ? "request" : "reply", b.u16(l4 + 4), b.u16(l4 + 6));
            return fmt::format("{}ICMP type {} code {}", ip.head(), type, b.u8(l4 + 1));
        }
        case 6:
            return summary_detail::tcp(b, l4, ip);
        case 17:
            return summary_detail::udp(b, l4, ip);
        default:
            return fmt::format("{}proto {}", ip.head(), proto);
    }
}

}  // namespace

std::string summarize(std::span<const std::byte> data, std::size_t wire_len) {
    const Bytes b(data);
    if (!b.has(0, 14)) return fmt::format("truncated Ethernet frame, length {}", wire_len);
    std::string out = fmt::format("{} > {}, ", b.mac(6), b.mac(0));
    std::size_t off = 12;
    std::uint16_t type = b.u16(off);
    // 802.1Q (and stacked tags): PCP, DEI, VID, then the inner ethertype.
    for (int tags = 0; type == kEtherVlan && tags < 4; ++tags) {
        if (!b.has(off, 6)) {
            out += "802.1Q, truncated";
            return fmt::format("{}, length {}", out, wire_len);
        }
        const std::uint16_t tci = b.u16(off + 2);
        out += fmt::format("802.1Q vlan {}, p {}, ", tci & 0x0fff, tci >> 13);
        off += 4;
        type = b.u16(off);
    }
    const std::size_t l3 = off + 2;
    if (type == kEtherArp) {
        out += arp(b, l3);
    } else if (type == kEtherIpv4) {
        out += ipv4(b, l3);
    } else if (type == kEtherIpv6) {
        out += summary_detail::ipv6(b, l3, std::max(wire_len, data.size()));
    } else if (type < 0x0600) {
        out += fmt::format("802.3, length field {}", type);
    } else {
        out += fmt::format("ethertype 0x{:04x}", type);
    }
    return fmt::format("{}, length {}", out, wire_len);
}

std::string format_time(std::uint64_t time_ns, bool nano) {
    const auto secs = static_cast<std::time_t>(time_ns / 1'000'000'000U);
    const std::uint64_t frac = time_ns % 1'000'000'000U;
    std::tm tm{};
    ::localtime_r(&secs, &tm);
    if (nano) return fmt::format("{:02}:{:02}:{:02}.{:09}", tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return fmt::format("{:02}:{:02}:{:02}.{:06}", tm.tm_hour, tm.tm_min, tm.tm_sec, frac / 1000U);
}

std::string frame_line(std::uint64_t time_ns, std::uint64_t sender, std::span<const std::byte> data,
                       std::size_t wire_len, bool nano) {
    return fmt::format("{} {:016x} {}", format_time(time_ns, nano), sender,
                       summarize(data, wire_len));
}

}  // namespace shmifdump
