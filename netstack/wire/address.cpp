// Text forms of the address types in netstack/address.hpp.
#include "netstack/address.hpp"

#include <charconv>
#include <cstdio>

namespace netstack {

namespace {

// Parses a decimal number in [0, max] that fills `text` exactly.
std::optional<std::uint32_t> parse_decimal(std::string_view text, std::uint32_t max) {
    if (text.empty() || text.size() > 10) return std::nullopt;
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max) return std::nullopt;
    return value;
}

std::optional<std::uint8_t> hex_digit(char c) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    return std::nullopt;
}

// splitmix64: a well-mixed 64-bit function of the seed.
std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
    if (text.size() != 17) return std::nullopt;
    MacAddress mac;
    for (std::size_t i = 0; i < 6; ++i) {
        const std::size_t at = i * 3;
        if (i > 0 && text[at - 1] != ':' && text[at - 1] != '-') return std::nullopt;
        auto hi = hex_digit(text[at]);
        auto lo = hex_digit(text[at + 1]);
        if (!hi || !lo) return std::nullopt;
        mac.bytes[i] = static_cast<std::uint8_t>(*hi << 4 | *lo);
    }
    return mac;
}

std::string MacAddress::to_string() const {
    char out[18];
    std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
                  bytes[3], bytes[4], bytes[5]);
    return out;
}

MacAddress MacAddress::local_from(std::uint64_t seed) {
    const std::uint64_t h = mix(seed);
    MacAddress mac;
    mac.bytes[0] = 0x02;  // locally administered, unicast (IEEE 802 U/L and I/G bits)
    for (std::size_t i = 1; i < 6; ++i)
        mac.bytes[i] = static_cast<std::uint8_t>(h >> (8 * i));
    return mac;
}

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        const std::size_t dot = i < 3 ? text.find('.') : text.size();
        if (dot == std::string_view::npos) return std::nullopt;
        auto octet = parse_decimal(text.substr(0, dot), 255);
        if (!octet) return std::nullopt;
        value = value << 8 | *octet;
        text = i < 3 ? text.substr(dot + 1) : std::string_view{};
    }
    return Ipv4Address{value};
}

std::string Ipv4Address::to_string() const {
    char out[16];
    std::snprintf(out, sizeof out, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff,
                  (value >> 8) & 0xff, value & 0xff);
    return out;
}

std::optional<Ipv4Cidr> Ipv4Cidr::parse(std::string_view text) {
    const std::size_t slash = text.find('/');
    auto address = Ipv4Address::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    if (slash == std::string_view::npos) return Ipv4Cidr{*address, 32};
    auto len = parse_decimal(text.substr(slash + 1), 32);
    if (!len) return std::nullopt;
    return Ipv4Cidr{*address, static_cast<std::uint8_t>(*len)};
}

std::string Ipv4Cidr::to_string() const {
    return address.to_string() + "/" + std::to_string(prefix_len);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto address = Ipv4Address::parse(text.substr(0, colon));
    auto port = parse_decimal(text.substr(colon + 1), 65535);
    if (!address || !port) return std::nullopt;
    return Endpoint{*address, static_cast<std::uint16_t>(*port)};
}

std::string Endpoint::to_string() const {
    return address.to_string() + ":" + std::to_string(port);
}

}  // namespace netstack
