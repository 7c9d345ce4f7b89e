// Hand-written IPv6 builders and parsers (see packets_ipv6.hpp). Field offsets follow the
// RFC diagrams: RFC 8200 3 (header), 4.3-4.6 (extension headers), 8.1 (pseudo-header);
// RFC 4443 2.1 (ICMPv6); RFC 4861 4 (Neighbor Discovery); RFC 2464 7 (multicast MACs).
#include "packets_ipv6.hpp"

#include "packet_bytes.hpp"

namespace nstest {
namespace {

using namespace detail;

void put_ip6(Bytes& out, const Ipv6Address& a) {
    for (auto octet : a.bytes)
        put8(out, octet);
}
Ipv6Address get_ip6(std::span<const std::byte> d, std::size_t at) {
    Ipv6Address a;
    for (std::size_t i = 0; i < 16; ++i)
        a.bytes[i] = static_cast<std::uint8_t>(get8(d, at + i));
    return a;
}

// ICMPv6 header + `body`, checksummed.
Bytes icmpv6_message(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t type,
                     std::uint8_t code, std::uint32_t rest, std::span<const std::byte> body,
                     bool bad_checksum) {
    Bytes out;
    put8(out, type);
    put8(out, code);
    put16(out, 0);
    put32(out, rest);
    append(out, body);
    std::uint16_t sum = internet_checksum(out, pseudo_sum6(src, dst, proto::icmpv6, out.size()));
    if (bad_checksum) sum = static_cast<std::uint16_t>(sum ^ 0x5555);
    set16(out, 2, sum);
    return out;
}

}  // namespace

std::uint32_t pseudo_sum6(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t next_header,
                          std::size_t length) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i < 16; i += 2) {
        sum += static_cast<std::uint32_t>(src.bytes[i] << 8 | src.bytes[i + 1]);
        sum += static_cast<std::uint32_t>(dst.bytes[i] << 8 | dst.bytes[i + 1]);
    }
    const auto len = static_cast<std::uint32_t>(length);
    return sum + (len >> 16) + (len & 0xffff) + next_header;
}

Bytes ipv6(const Ipv6Spec& s, std::span<const std::byte> payload) {
    Bytes out;
    put32(out, std::uint32_t{s.version} << 28 | std::uint32_t{s.traffic_class} << 20 |
                   (s.flow_label & 0xfffff));
    put16(out, s.payload_length ? *s.payload_length : static_cast<unsigned>(payload.size()));
    put8(out, s.next_header);
    put8(out, s.hop_limit);
    put_ip6(out, s.src);
    put_ip6(out, s.dst);
    append(out, payload);
    return out;
}

Bytes ipv6_option(std::uint8_t type, std::span<const std::byte> data) {
    Bytes out;
    put8(out, type);
    put8(out, static_cast<unsigned>(data.size()));
    append(out, data);
    return out;
}

Bytes ipv6_options_header(std::uint8_t next_header, std::span<const std::byte> options,
                          std::span<const std::byte> rest) {
    Bytes out;
    put8(out, next_header);
    put8(out, 0);  // length, set below
    append(out, options);
    const std::size_t pad = (8 - out.size() % 8) % 8;
    if (pad == 1) {
        put8(out, 0);  // Pad1
    } else if (pad > 1) {
        put8(out, 1);  // PadN
        put8(out, static_cast<unsigned>(pad - 2));
        for (std::size_t i = 2; i < pad; ++i)
            put8(out, 0);
    }
    out[1] = b(static_cast<unsigned>(out.size() / 8 - 1));
    append(out, rest);
    return out;
}

Bytes routing_header(std::uint8_t next_header, std::uint8_t type, std::uint8_t segments_left,
                     std::span<const std::byte> rest, std::size_t addresses) {
    Bytes out;
    put8(out, next_header);
    put8(out, static_cast<unsigned>(addresses * 2));  // (8 + 16n) / 8 - 1
    put8(out, type);
    put8(out, segments_left);
    put32(out, 0);
    for (std::size_t i = 0; i < addresses; ++i)
        put_ip6(out, ip6(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, static_cast<std::uint16_t>(i + 1)));
    append(out, rest);
    return out;
}

Bytes fragment_header(std::uint8_t next_header, std::size_t offset, bool more, std::uint32_t ident,
                      std::span<const std::byte> rest) {
    Bytes out;
    put8(out, next_header);
    put8(out, 0);
    put16(out, static_cast<unsigned>(offset / 8) << 3 | (more ? 1u : 0u));
    put32(out, ident);
    append(out, rest);
    return out;
}

Bytes icmpv6(const Ipv6Address& src, const Ipv6Address& dst, std::uint8_t type, std::uint8_t code,
             std::uint32_t rest, std::span<const std::byte> body, bool bad_checksum) {
    return icmpv6_message(src, dst, type, code, rest, body, bad_checksum);
}

Bytes icmpv6_echo(const Ipv6Address& src, const Ipv6Address& dst, bool request, std::uint16_t id,
                  std::uint16_t seq, std::span<const std::byte> payload) {
    return icmpv6(src, dst, request ? icmpv6_type::echo_request : icmpv6_type::echo_reply, 0,
                  std::uint32_t{id} << 16 | seq, payload);
}

Bytes nd_link_option(std::uint8_t type, const MacAddress& mac) {
    Bytes out;
    put8(out, type);
    put8(out, 1);
    put_mac(out, mac);
    return out;
}

Bytes nd_mtu_option(std::uint32_t mtu) {
    Bytes out;
    put8(out, 5);
    put8(out, 1);
    put16(out, 0);
    put32(out, mtu);
    return out;
}

Bytes nd_prefix_option(const PrefixSpec& s) {
    Bytes out;
    put8(out, 3);
    put8(out, 4);
    put8(out, s.prefix_len);
    put8(out, (s.on_link ? 0x80u : 0u) | (s.autonomous ? 0x40u : 0u));
    put32(out, s.valid);
    put32(out, s.preferred);
    put32(out, 0);
    put_ip6(out, s.prefix);
    return out;
}

Bytes router_solicitation(const Ipv6Address& src, const Ipv6Address& dst,
                          std::span<const std::byte> options) {
    return icmpv6(src, dst, icmpv6_type::router_solicitation, 0, 0, options);
}

Bytes router_advertisement(const Ipv6Address& src, const Ipv6Address& dst, const RaSpec& s,
                           std::span<const std::byte> options) {
    Bytes body;
    put32(body, s.reachable_time);
    put32(body, s.retrans_timer);
    append(body, options);
    const std::uint32_t rest = std::uint32_t{s.cur_hop_limit} << 24 |
                               (s.managed ? 0x80u << 16 : 0u) | (s.other ? 0x40u << 16 : 0u) |
                               s.router_lifetime;
    return icmpv6(src, dst, icmpv6_type::router_advertisement, 0, rest, body);
}

Bytes neighbor_solicitation(const Ipv6Address& src, const Ipv6Address& dst,
                            const Ipv6Address& target, std::span<const std::byte> options) {
    Bytes body;
    put_ip6(body, target);
    append(body, options);
    return icmpv6(src, dst, icmpv6_type::neighbor_solicitation, 0, 0, body);
}

Bytes neighbor_advertisement(const Ipv6Address& src, const Ipv6Address& dst,
                             const Ipv6Address& target, NaFlags flags,
                             std::span<const std::byte> options) {
    Bytes body;
    put_ip6(body, target);
    append(body, options);
    const std::uint32_t rest = (flags.router ? 0x8000'0000u : 0u) |
                               (flags.solicited ? 0x4000'0000u : 0u) |
                               (flags.override ? 0x2000'0000u : 0u);
    return icmpv6(src, dst, icmpv6_type::neighbor_advertisement, 0, rest, body);
}

Bytes udp6(const UdpSpec& s, const Ipv6Address& src, const Ipv6Address& dst,
           std::span<const std::byte> payload) {
    Bytes out;
    const std::size_t length = 8 + payload.size();
    put16(out, s.src_port);
    put16(out, s.dst_port);
    put16(out, s.length ? *s.length : static_cast<unsigned>(length));
    put16(out, 0);
    append(out, payload);
    if (s.checksum) {
        std::uint16_t sum = internet_checksum(out, pseudo_sum6(src, dst, proto::udp, length));
        if (sum == 0) sum = 0xffff;  // RFC 8200 8.1: a computed zero is sent as all ones
        if (s.bad_checksum) sum = static_cast<std::uint16_t>(sum ^ 0x5555);
        set16(out, 6, sum);
    }
    return out;
}

Bytes ipv6_frame(const Ipv6Spec& spec, std::span<const std::byte> l4,
                 std::optional<EthernetSpec> eth) {
    EthernetSpec e = eth.value_or(EthernetSpec{});
    if (!eth && spec.dst.bytes[0] == 0xff)
        e.dst = MacAddress{{0x33, 0x33, spec.dst.bytes[12], spec.dst.bytes[13], spec.dst.bytes[14],
                            spec.dst.bytes[15]}};
    e.type = ethertype::ipv6;
    return ethernet(e, ipv6(spec, l4));
}

std::optional<ParsedIpv6> parse_ipv6(std::span<const std::byte> d) {
    if (d.size() < 40 || get8(d, 0) >> 4 != 6) return std::nullopt;
    ParsedIpv6 p;
    const std::uint32_t word0 = get32(d, 0);
    p.traffic_class = static_cast<std::uint8_t>(word0 >> 20 & 0xff);
    p.flow_label = word0 & 0xfffff;
    p.payload_length = get16(d, 4);
    if (std::size_t{p.payload_length} > d.size() - 40) return std::nullopt;
    p.next_header = static_cast<std::uint8_t>(get8(d, 6));
    p.hop_limit = static_cast<std::uint8_t>(get8(d, 7));
    p.src = get_ip6(d, 8);
    p.dst = get_ip6(d, 24);
    const auto payload = d.subspan(40, p.payload_length);
    p.payload.assign(payload.begin(), payload.end());
    return p;
}

std::optional<ParsedIcmpv6> parse_icmpv6(std::span<const std::byte> m, const Ipv6Address& src,
                                         const Ipv6Address& dst) {
    if (m.size() < 8) return std::nullopt;
    ParsedIcmpv6 p;
    p.type = static_cast<std::uint8_t>(get8(m, 0));
    p.code = static_cast<std::uint8_t>(get8(m, 1));
    p.rest = get32(m, 4);
    p.checksum_ok = internet_checksum(m, pseudo_sum6(src, dst, proto::icmpv6, m.size())) == 0;
    p.body.assign(m.begin() + 8, m.end());
    return p;
}

std::optional<ParsedIpv6Frame> parse_ipv6_frame(std::span<const std::byte> frame) {
    if (frame.size() < 14 || get16(frame, 12) != ethertype::ipv6) return std::nullopt;
    auto ip = parse_ipv6(frame.subspan(14));
    if (!ip) return std::nullopt;
    ParsedIpv6Frame f{.dst = get_mac(frame, 0), .src = get_mac(frame, 6), .ip = *ip, .icmp = {}};
    if (ip->next_header == proto::icmpv6) f.icmp = parse_icmpv6(ip->payload, ip->src, ip->dst);
    return f;
}

}  // namespace nstest
