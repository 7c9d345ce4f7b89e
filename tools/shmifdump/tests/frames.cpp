#include "frames.hpp"

namespace shmifdump::test {
namespace {

void put8(Bytes& b, std::size_t at, unsigned v) {
    b[at] = static_cast<std::byte>(v & 0xffU);
}
void put16(Bytes& b, std::size_t at, unsigned v) {
    put8(b, at, v >> 8);
    put8(b, at + 1, v);
}
void put32(Bytes& b, std::size_t at, std::uint32_t v) {
    put16(b, at, v >> 16);
    put16(b, at + 2, v & 0xffffU);
}
std::uint32_t get32(std::span<const std::byte> b, std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i)
        v = v << 8 | std::to_integer<std::uint32_t>(b[at + i]);
    return v;
}

Bytes ethernet(std::size_t len, unsigned type, bool broadcast = false) {
    Bytes b(len);
    for (std::size_t i = 0; i < 6; ++i)
        put8(b, i, broadcast ? 0xffU : (i == 0 ? 0x02U : i == 5 ? 0x02U : 0U));
    const unsigned src[6] = {0x02, 0, 0, 0, 0, 0x01};
    for (std::size_t i = 0; i < 6; ++i)
        put8(b, 6 + i, src[i]);
    put16(b, 12, type);
    return b;
}

// IPv4 header at `at`, 20 bytes, 10.0.0.1 > 10.0.0.2.
void ipv4(Bytes& b, std::size_t at, unsigned proto) {
    put8(b, at, 0x45);
    put16(b, at + 2, static_cast<unsigned>(b.size() - at));
    put8(b, at + 8, 64);
    put8(b, at + 9, proto);
    put32(b, at + 12, 0x0a000001);
    put32(b, at + 16, 0x0a000002);
}

}  // namespace

Bytes udp_frame(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::size_t payload) {
    Bytes b = ethernet(14 + 20 + 8 + 4 + payload, 0x0800);
    ipv4(b, 14, 17);
    put16(b, 34, sport);
    put16(b, 36, dport);
    put16(b, 38, static_cast<unsigned>(8 + 4 + payload));
    put32(b, 42, seq);
    return b;
}

Bytes tcp_frame(std::uint16_t sport, std::uint16_t dport, std::uint8_t flags, std::uint32_t seq) {
    Bytes b = ethernet(14 + 20 + 20 + 4, 0x0800);
    ipv4(b, 14, 6);
    put16(b, 34, sport);
    put16(b, 36, dport);
    put8(b, 46, 5U << 4);
    put8(b, 47, flags);
    put32(b, 54, seq);
    return b;
}

Bytes arp_frame(bool request, std::uint32_t seq) {
    Bytes b = ethernet(14 + 28, 0x0806, request);
    put16(b, 14, 1);
    put16(b, 16, 0x0800);
    put8(b, 18, 6);
    put8(b, 19, 4);
    put16(b, 20, request ? 1 : 2);
    const unsigned mac[6] = {0x02, 0, 0, 0, 0, 0x01};
    for (std::size_t i = 0; i < 6; ++i)
        put8(b, 22 + i, mac[i]);
    put32(b, 28, request ? 0x0a000001 : 0x0a000002);
    put32(b, 34, seq);  // the target hardware address carries the sequence number
    put32(b, 38, request ? 0x0a000002 : 0x0a000001);
    return b;
}

Bytes icmp_echo_frame(bool request, std::uint16_t id, std::uint16_t sequence) {
    Bytes b = ethernet(14 + 20 + 8 + 4, 0x0800);
    ipv4(b, 14, 1);
    put8(b, 34, request ? 8 : 0);
    put16(b, 38, id);
    put16(b, 40, sequence);
    put32(b, 42, sequence);
    return b;
}

Bytes vlan_udp_frame(std::uint16_t vid, std::uint16_t dport, std::uint32_t seq) {
    Bytes inner = udp_frame(1000, dport, seq);
    Bytes b(inner.size() + 4);
    std::copy(inner.begin(), inner.begin() + 12, b.begin());
    put16(b, 12, 0x8100);
    put16(b, 14, (3U << 13) | vid);
    std::copy(inner.begin() + 12, inner.end(), b.begin() + 16);
    return b;
}

Bytes raw_frame(std::size_t len, std::uint32_t seq) {
    Bytes b = ethernet(len, 0x88b5);
    put32(b, 14, seq);
    for (std::size_t i = 18; i < len; ++i)
        put8(b, i, static_cast<unsigned>(i * 7 + seq));
    return b;
}

std::uint32_t seq_of(std::span<const std::byte> f) {
    const unsigned type = std::to_integer<unsigned>(f[12]) << 8 | std::to_integer<unsigned>(f[13]);
    if (type == 0x0806) return get32(f, 32 + 2);
    if (type == 0x8100) return get32(f, 46);
    if (type == 0x0800) {
        const unsigned proto = std::to_integer<unsigned>(f[23]);
        if (proto == 6) return get32(f, 54);
        return get32(f, 42);
    }
    return get32(f, 14);
}

}  // namespace shmifdump::test
