// Link and network addresses as value types: MAC, IPv4, IPv4 prefix, UDP endpoint.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netstack {

struct MacAddress {
    std::array<std::uint8_t, 6> bytes{};

    static constexpr MacAddress broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
    bool is_broadcast() const { return *this == broadcast(); }
    bool is_multicast() const { return (bytes[0] & 0x01) != 0; }  // broadcast included
    bool is_zero() const { return *this == MacAddress{}; }
    // "02:00:00:00:00:01"; parse accepts ':' or '-' separators, any case.
    static std::optional<MacAddress> parse(std::string_view text);
    std::string to_string() const;
    // A locally administered unicast address (02:xx:...) derived from a 64-bit seed.
    static MacAddress local_from(std::uint64_t seed);
    auto operator<=>(const MacAddress&) const = default;
};

// An IPv4 address, held in host byte order so comparisons and masks read naturally.
struct Ipv4Address {
    std::uint32_t value = 0;

    static constexpr Ipv4Address any() { return {0}; }
    static constexpr Ipv4Address broadcast() { return {0xffffffffu}; }
    constexpr static Ipv4Address from_octets(std::uint8_t a, std::uint8_t b, std::uint8_t c,
                                             std::uint8_t d) {
        return {std::uint32_t(a) << 24 | std::uint32_t(b) << 16 | std::uint32_t(c) << 8 | d};
    }
    bool is_any() const { return value == 0; }
    bool is_broadcast() const { return value == 0xffffffffu; }
    bool is_multicast() const { return (value >> 28) == 0xe; }
    bool is_loopback() const { return (value >> 24) == 127; }
    static std::optional<Ipv4Address> parse(std::string_view text);  // dotted quad only
    std::string to_string() const;
    auto operator<=>(const Ipv4Address&) const = default;
};

// An address with its prefix length: 10.0.0.1/24 (an interface address) or 10.0.0.0/24 (a
// route's destination).
struct Ipv4Cidr {
    Ipv4Address address{};
    std::uint8_t prefix_len = 32;

    std::uint32_t mask() const { return prefix_len == 0 ? 0 : ~0u << (32 - prefix_len); }
    Ipv4Address network() const { return {address.value & mask()}; }
    Ipv4Address directed_broadcast() const { return {address.value | ~mask()}; }
    // RFC 3021: a /31 (point-to-point) or /32 has no broadcast address; every address in it
    // is a host.
    bool has_broadcast() const { return prefix_len < 31; }
    bool contains(Ipv4Address a) const { return (a.value & mask()) == network().value; }
    static std::optional<Ipv4Cidr> parse(std::string_view text);  // "a.b.c.d/n" or "a.b.c.d"
    std::string to_string() const;
    auto operator<=>(const Ipv4Cidr&) const = default;
};

struct Endpoint {
    Ipv4Address address{};
    std::uint16_t port = 0;

    static std::optional<Endpoint> parse(std::string_view text);  // "a.b.c.d:port"
    std::string to_string() const;
    auto operator<=>(const Endpoint&) const = default;
};

}  // namespace netstack
