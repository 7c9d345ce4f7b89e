// Hand-written byte builders and parsers (see packets.hpp). Field offsets follow the RFC
// diagrams: RFC 894 (Ethernet), IEEE 802.1Q, RFC 826 (ARP), RFC 791 (IPv4), RFC 792 (ICMP),
// RFC 768 (UDP).
#include "packets.hpp"

#include <algorithm>
#include <map>

#include "packet_bytes.hpp"

namespace nstest {
namespace {

using namespace detail;

void put_ip(Bytes& out, Ipv4Address a) {
    put32(out, a.value);
}
Ipv4Address get_ip(std::span<const std::byte> d, std::size_t at) {
    return {get32(d, at)};
}

// The UDP pseudo-header sum (RFC 768): source, destination, zero + protocol, UDP length.
std::uint32_t pseudo_sum(Ipv4Address src, Ipv4Address dst, std::uint8_t protocol, std::size_t len) {
    return (src.value >> 16) + (src.value & 0xffff) + (dst.value >> 16) + (dst.value & 0xffff) +
           protocol + static_cast<std::uint32_t>(len);
}

}  // namespace

std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial) {
    std::uint64_t sum = initial;
    for (std::size_t i = 0; i + 1 < data.size(); i += 2)
        sum += get16(data, i);
    if (data.size() % 2 != 0) sum += get8(data, data.size() - 1) << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

Bytes text(std::string_view s) {
    Bytes out;
    for (char c : s)
        out.push_back(static_cast<std::byte>(c));
    return out;
}

Bytes pattern(std::size_t n, std::uint8_t start) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = b(static_cast<unsigned>((start + i) & 0xff));
    return out;
}

Bytes ethernet(const EthernetSpec& spec, std::span<const std::byte> payload) {
    Bytes out;
    put_mac(out, spec.dst);
    put_mac(out, spec.src);
    if (spec.vlan_id) {
        put16(out, ethertype::vlan);
        put16(out, *spec.vlan_id & 0x0fff);  // PCP 0, DEI 0, VID
    }
    put16(out, spec.type);
    append(out, payload);
    return out;
}

Bytes arp(const ArpSpec& s) {
    Bytes out;
    put16(out, s.htype);
    put16(out, s.ptype);
    put8(out, s.hlen);
    put8(out, s.plen);
    put16(out, s.op);
    put_mac(out, s.sender_mac);
    put_ip(out, s.sender_ip);
    put_mac(out, s.target_mac);
    put_ip(out, s.target_ip);
    return out;
}

Bytes ipv4(const Ipv4Spec& s, std::span<const std::byte> payload) {
    const std::size_t header_len = std::size_t{s.ihl} * 4;
    Bytes out;
    put8(out, static_cast<unsigned>(s.version) << 4 | (s.ihl & 0xf));
    put8(out, 0);  // TOS
    put16(out, s.total_length
                   ? *s.total_length
                   : static_cast<unsigned>(std::max<std::size_t>(header_len, 20) + payload.size()));
    put16(out, s.id);
    put16(out, (s.df ? 0x4000u : 0u) | (s.mf ? 0x2000u : 0u) | (s.offset / 8u));
    put8(out, s.ttl);
    put8(out, s.protocol);
    put16(out, 0);
    put_ip(out, s.src);
    put_ip(out, s.dst);
    while (out.size() < header_len)
        put8(out, 1);  // NOP options (RFC 791)
    const std::size_t checksummed = std::min(out.size(), std::max<std::size_t>(header_len, 20));
    std::uint16_t sum = internet_checksum(std::span(out).first(checksummed));
    if (s.bad_checksum) sum = static_cast<std::uint16_t>(sum ^ 0x5555);
    set16(out, 10, sum);
    append(out, payload);
    return out;
}

Bytes udp(const UdpSpec& s, Ipv4Address src, Ipv4Address dst, std::span<const std::byte> payload) {
    Bytes out;
    const std::size_t length = 8 + payload.size();
    put16(out, s.src_port);
    put16(out, s.dst_port);
    put16(out, s.length ? *s.length : static_cast<unsigned>(length));
    put16(out, 0);
    append(out, payload);
    if (s.checksum) {
        std::uint16_t sum = internet_checksum(out, pseudo_sum(src, dst, proto::udp, length));
        if (sum == 0) sum = 0xffff;  // RFC 768: a computed zero is sent as all ones
        if (s.bad_checksum) sum = static_cast<std::uint16_t>(sum ^ 0x5555);
        set16(out, 6, sum);
    }
    return out;
}

Bytes icmp(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
           std::span<const std::byte> payload, bool bad_checksum) {
    Bytes out;
    put8(out, type);
    put8(out, code);
    put16(out, 0);
    put32(out, rest);
    append(out, payload);
    std::uint16_t sum = internet_checksum(out);
    if (bad_checksum) sum = static_cast<std::uint16_t>(sum ^ 0x5555);
    set16(out, 2, sum);
    return out;
}

Bytes icmp_echo(bool request, std::uint16_t id, std::uint16_t seq,
                std::span<const std::byte> payload) {
    return icmp(request ? 8 : 0, 0, std::uint32_t{id} << 16 | seq, payload);
}

Bytes udp_frame(const Bytes& payload, const UdpSpec& udp_spec, const Ipv4Spec& ip_spec,
                const EthernetSpec& eth) {
    return ethernet(eth, ipv4(ip_spec, udp(udp_spec, ip_spec.src, ip_spec.dst, payload)));
}

Bytes echo_request_frame(std::uint16_t id, std::uint16_t seq, const Bytes& payload,
                         Ipv4Spec ip_spec, const EthernetSpec& eth) {
    ip_spec.protocol = proto::icmp;
    return ethernet(eth, ipv4(ip_spec, icmp_echo(true, id, seq, payload)));
}

Bytes arp_frame(const ArpSpec& spec, std::optional<EthernetSpec> eth) {
    EthernetSpec e = eth.value_or(EthernetSpec{
        .dst = spec.op == 1 ? MacAddress::broadcast() : spec.target_mac,
        .src = spec.sender_mac,
        .type = ethertype::arp,
    });
    return ethernet(e, arp(spec));
}

std::vector<Bytes> fragment_frames(const Ipv4Spec& ip_spec, const Bytes& l4, std::size_t piece,
                                   const EthernetSpec& eth) {
    std::vector<Bytes> out;
    for (std::size_t at = 0; at < l4.size(); at += piece) {
        const std::size_t len = std::min(piece, l4.size() - at);
        Ipv4Spec s = ip_spec;
        s.offset = static_cast<std::uint16_t>(ip_spec.offset + at);
        s.mf = ip_spec.mf || at + len < l4.size();
        out.push_back(ethernet(eth, ipv4(s, std::span(l4).subspan(at, len))));
    }
    return out;
}

std::optional<ParsedIpv4> parse_ipv4(std::span<const std::byte> d, bool allow_truncated) {
    if (d.size() < 20 || get8(d, 0) >> 4 != 4) return std::nullopt;
    ParsedIpv4 p;
    p.ihl = static_cast<std::uint8_t>(get8(d, 0) & 0xf);
    const std::size_t header_len = std::size_t{p.ihl} * 4;
    p.total_length = get16(d, 2);
    if (header_len < 20 || header_len > d.size() || p.total_length < header_len)
        return std::nullopt;
    if (p.total_length > d.size() && !allow_truncated) return std::nullopt;
    p.id = get16(d, 4);
    const std::uint16_t flags = get16(d, 6);
    p.df = (flags & 0x4000) != 0;
    p.mf = (flags & 0x2000) != 0;
    p.offset = static_cast<std::uint16_t>((flags & 0x1fff) * 8);
    p.ttl = static_cast<std::uint8_t>(get8(d, 8));
    p.protocol = static_cast<std::uint8_t>(get8(d, 9));
    p.src = get_ip(d, 12);
    p.dst = get_ip(d, 16);
    p.checksum_ok = internet_checksum(d.first(header_len)) == 0;
    const std::size_t end = std::min<std::size_t>(p.total_length, d.size());
    p.payload.assign(d.begin() + static_cast<std::ptrdiff_t>(header_len),
                     d.begin() + static_cast<std::ptrdiff_t>(end));
    return p;
}

std::optional<Parsed> parse(std::span<const std::byte> frame) {
    if (frame.size() < 14) return std::nullopt;
    Parsed p;
    p.dst = get_mac(frame, 0);
    p.src = get_mac(frame, 6);
    std::size_t at = 12;
    p.type = get16(frame, at);
    if (p.type == ethertype::vlan) {
        if (frame.size() < 18) return std::nullopt;
        p.vlan_id = static_cast<std::uint16_t>(get16(frame, 14) & 0x0fff);
        at = 16;
        p.type = get16(frame, at);
    }
    const auto body = frame.subspan(at + 2);
    if (p.type == ethertype::arp) {
        if (body.size() < 28 || get16(body, 0) != 1 || get16(body, 2) != ethertype::ipv4 ||
            get8(body, 4) != 6 || get8(body, 5) != 4)
            return std::nullopt;
        p.arp = ParsedArp{get16(body, 6), get_mac(body, 8), get_mac(body, 18), get_ip(body, 14),
                          get_ip(body, 24)};
        return p;
    }
    if (p.type != ethertype::ipv4) return p;
    p.ip = parse_ipv4(body, false);
    if (!p.ip) return std::nullopt;
    if (p.ip->is_fragment()) return p;
    const std::span<const std::byte> l4 = p.ip->payload;
    if (p.ip->protocol == proto::icmp) {
        if (l4.size() < 8) return std::nullopt;
        ParsedIcmp icmp;
        icmp.type = static_cast<std::uint8_t>(get8(l4, 0));
        icmp.code = static_cast<std::uint8_t>(get8(l4, 1));
        icmp.rest = get32(l4, 4);
        icmp.checksum_ok = internet_checksum(l4) == 0;
        icmp.payload.assign(l4.begin() + 8, l4.end());
        p.icmp = std::move(icmp);
    } else if (p.ip->protocol == proto::udp) {
        if (l4.size() < 8) return std::nullopt;
        ParsedUdp u;
        u.src_port = get16(l4, 0);
        u.dst_port = get16(l4, 2);
        u.length = get16(l4, 4);
        if (u.length < 8 || u.length > l4.size()) return std::nullopt;
        const auto datagram = l4.first(u.length);
        u.checksum_ok = get16(l4, 6) == 0 ||
                        internet_checksum(
                            datagram, pseudo_sum(p.ip->src, p.ip->dst, proto::udp, u.length)) == 0;
        u.payload.assign(datagram.begin() + 8, datagram.end());
        p.udp = std::move(u);
    }
    return p;
}

std::optional<Bytes> reassemble(const std::vector<ParsedIpv4>& fragments) {
    std::map<std::size_t, const ParsedIpv4*> by_offset;
    std::optional<std::size_t> total;
    for (const auto& f : fragments) {
        by_offset[f.offset] = &f;
        if (!f.mf) total = f.offset + f.payload.size();
    }
    if (!total) return std::nullopt;
    Bytes out;
    for (const auto& [offset, f] : by_offset) {
        if (offset != out.size()) return std::nullopt;
        out.insert(out.end(), f->payload.begin(), f->payload.end());
    }
    if (out.size() != *total) return std::nullopt;
    return out;
}

}  // namespace nstest
