// Text forms of the address types in netstack/address.hpp.
#include "netstack/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>

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

Ipv6Address Ipv6Address::solicited_node() const {
    Ipv6Address group{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0}};
    std::copy(bytes.begin() + 13, bytes.end(), group.bytes.begin() + 13);
    return group;
}

Ipv6Address Ipv6Address::link_local_from(MacAddress mac) {
    const auto& m = mac.bytes;
    return {{0xfe, 0x80, 0, 0, 0, 0, 0, 0, static_cast<std::uint8_t>(m[0] ^ 0x02), m[1], m[2], 0xff,
             0xfe, m[3], m[4], m[5]}};
}

MacAddress Ipv6Address::multicast_mac() const {
    return {{0x33, 0x33, bytes[12], bytes[13], bytes[14], bytes[15]}};
}

bool Ipv6Address::is_v4_mapped() const {
    static constexpr std::array<std::uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

Ipv4Address Ipv6Address::embedded_v4() const {
    return Ipv4Address::from_octets(bytes[12], bytes[13], bytes[14], bytes[15]);
}

// inet_pton and inet_ntop are pure functions of their arguments, strict about RFC 4291's
// forms and RFC 5952's output: the stack has no reason to write its own.
std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
    if (text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    char buffer[INET6_ADDRSTRLEN + 1];
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    Ipv6Address a;
    if (inet_pton(AF_INET6, buffer, a.bytes.data()) != 1) return std::nullopt;
    return a;
}

std::string Ipv6Address::to_string() const {
    char out[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, bytes.data(), out, sizeof out);
    return out;
}

Ipv6Address Ipv6Cidr::network() const {
    Ipv6Address n{};
    const std::size_t whole = std::min<std::size_t>(prefix_len / 8, 16);
    std::copy_n(address.bytes.begin(), whole, n.bytes.begin());
    if (whole < 16 && prefix_len % 8 != 0)
        n.bytes[whole] =
            static_cast<std::uint8_t>(address.bytes[whole] & (0xff00 >> (prefix_len % 8)));
    return n;
}

namespace {
// Bytes 8*i to 8*i+7 of an address as they lie in memory (network order).
std::uint64_t raw_word(const Ipv6Address& a, std::size_t i) {
    std::uint64_t w;
    std::memcpy(&w, a.bytes.data() + 8 * i, sizeof w);
    return w;
}
// The bits of a prefix of `prefix_len` that fall in word i, laid out as raw_word's.
std::uint64_t raw_prefix_mask(std::uint8_t prefix_len, std::size_t i) {
    const int bits = std::clamp(int(prefix_len) - 64 * int(i), 0, 64);
    const std::uint64_t mask = bits == 0 ? 0 : ~std::uint64_t{0} << (64 - bits);
    if constexpr (std::endian::native == std::endian::little) return std::byteswap(mask);
    return mask;
}
}  // namespace

// On every routing decision and source selection: two masked 64-bit words.
bool Ipv6Cidr::contains(const Ipv6Address& a) const {
    return (((raw_word(a, 0) ^ raw_word(address, 0)) & raw_prefix_mask(prefix_len, 0)) |
            ((raw_word(a, 1) ^ raw_word(address, 1)) & raw_prefix_mask(prefix_len, 1))) == 0;
}

std::optional<Ipv6Cidr> Ipv6Cidr::parse(std::string_view text) {
    const std::size_t slash = text.find('/');
    auto address = Ipv6Address::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    if (slash == std::string_view::npos) return Ipv6Cidr{*address, 128};
    auto len = parse_decimal(text.substr(slash + 1), 128);
    if (!len) return std::nullopt;
    return Ipv6Cidr{*address, static_cast<std::uint8_t>(*len)};
}

std::string Ipv6Cidr::to_string() const {
    return address.to_string() + "/" + std::to_string(prefix_len);
}

std::uint64_t IpAddress::high64() const {
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < 8; ++i)
        w = w << 8 | bytes_.bytes[i];
    return w;
}

std::uint64_t IpAddress::low64() const {
    std::uint64_t w = 0;
    for (std::size_t i = 8; i < 16; ++i)
        w = w << 8 | bytes_.bytes[i];
    return w;
}

std::uint32_t IpAddress::fold32() const {
    if (is_v4()) return v4().value;
    std::uint64_t h = high64() * 0x9e3779b97f4a7c15ull ^ low64();
    h ^= h >> 29;
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (auto v4 = Ipv4Address::parse(text)) return IpAddress(*v4);
    if (auto v6 = Ipv6Address::parse(text)) return IpAddress(*v6);
    return std::nullopt;
}

std::string IpAddress::to_string() const {
    return is_v4() ? v4().to_string() : bytes_.to_string();
}

bool binding_accepts(const Binding& bound, const IpAddress& dst) {
    if (!bound.address.is_any()) return bound.address == dst;
    if (bound.address.is_v4()) return dst.is_v4();
    return dst.is_v6() || !bound.v6_only;
}

IpAddress IpCidr::network() const {
    return is_v4() ? IpAddress(v4().network()) : IpAddress(v6().network());
}

bool IpCidr::contains(const IpAddress& a) const {
    if (a.family() != family()) return false;
    return is_v4() ? v4().contains(a.v4()) : v6().contains(a.v6());
}

std::optional<IpCidr> IpCidr::parse(std::string_view text) {
    if (auto v4 = Ipv4Cidr::parse(text)) return IpCidr(*v4);
    if (auto v6 = Ipv6Cidr::parse(text)) return IpCidr(*v6);
    return std::nullopt;
}

std::string IpCidr::to_string() const {
    return is_v4() ? v4().to_string() : v6().to_string();
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host = text.substr(0, colon);
    std::optional<IpAddress> address;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        if (auto v6 = Ipv6Address::parse(host.substr(1, host.size() - 2))) address = *v6;
    } else if (auto v4 = Ipv4Address::parse(host)) {
        address = *v4;
    }
    auto port = parse_decimal(text.substr(colon + 1), 65535);
    if (!address || !port) return std::nullopt;
    return Endpoint{*address, static_cast<std::uint16_t>(*port)};
}

std::string Endpoint::to_string() const {
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive) on
    // "[" + std::string.
    const bool v6 = !address.is_v4();
    std::string text = v6 ? "[" : "";
    text += address.to_string();
    text += v6 ? "]:" : ":";
    text += std::to_string(port);
    return text;
}

}  // namespace netstack
