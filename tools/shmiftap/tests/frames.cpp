#include "frames.hpp"

namespace shmifd::test {
namespace {

std::uint8_t at(std::span<const std::byte> f, std::size_t i) {
    return std::to_integer<std::uint8_t>(f[i]);
}

template <std::size_t N>
std::array<std::uint8_t, N> bytes_at(std::span<const std::byte> f, std::size_t offset) {
    std::array<std::uint8_t, N> out{};
    for (std::size_t i = 0; i < N; ++i)
        out[i] = at(f, offset + i);
    return out;
}

void put(Bytes& out, std::span<const std::uint8_t> bytes) {
    for (const auto b : bytes)
        out.push_back(std::byte{b});
}

void put16(Bytes& out, std::uint16_t v) {
    out.push_back(std::byte{static_cast<std::uint8_t>(v >> 8)});
    out.push_back(std::byte{static_cast<std::uint8_t>(v & 0xff)});
}

}  // namespace

std::uint16_t ether_type(std::span<const std::byte> frame) {
    if (frame.size() < 14) return 0;
    return static_cast<std::uint16_t>(at(frame, 12) << 8 | at(frame, 13));
}

Mac source_mac(std::span<const std::byte> frame) {
    return frame.size() < 12 ? Mac{} : bytes_at<6>(frame, 6);
}

Bytes arp_request(const Mac& sender_mac, const Ip4& sender_ip, const Ip4& target_ip) {
    Bytes f;
    f.reserve(60);
    put(f, Mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    put(f, sender_mac);
    put16(f, kEtherTypeArp);
    put16(f, 1);       // hardware type: Ethernet
    put16(f, 0x0800);  // protocol type: IPv4
    f.push_back(std::byte{6});
    f.push_back(std::byte{4});
    put16(f, 1);  // request
    put(f, sender_mac);
    put(f, sender_ip);
    put(f, Mac{});
    put(f, target_ip);
    f.resize(60, std::byte{0});  // minimum Ethernet payload
    return f;
}

std::optional<Arp> parse_arp(std::span<const std::byte> frame) {
    if (frame.size() < 42 || ether_type(frame) != kEtherTypeArp) return std::nullopt;
    Arp a;
    a.op = static_cast<std::uint16_t>(at(frame, 20) << 8 | at(frame, 21));
    a.sender_mac = bytes_at<6>(frame, 22);
    a.sender_ip = bytes_at<4>(frame, 28);
    a.target_mac = bytes_at<6>(frame, 32);
    a.target_ip = bytes_at<4>(frame, 38);
    return a;
}

std::optional<std::uint8_t> ipv4_protocol(std::span<const std::byte> frame) {
    if (frame.size() < 34 || ether_type(frame) != kEtherTypeIpv4) return std::nullopt;
    return at(frame, 23);
}

}  // namespace shmifd::test
