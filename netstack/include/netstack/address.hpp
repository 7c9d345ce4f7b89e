// Link and network addresses as value types: MAC, IPv4 and IPv6 addresses and prefixes, an
// address of either family (IpAddress) and a transport endpoint (address and port).
#pragma once

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
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

// An IPv6 address (RFC 4291), held in network byte order.
struct Ipv6Address {
    std::array<std::uint8_t, 16> bytes{};

    static constexpr Ipv6Address any() { return {}; }
    static constexpr Ipv6Address loopback() {
        return {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    }
    // ff02::1 and ff02::2: every node and every router on the link (RFC 4291 2.7.1).
    static constexpr Ipv6Address all_nodes() {
        return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
    }
    static constexpr Ipv6Address all_routers() {
        return {{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
    }
    // ::ffff:a.b.c.d (RFC 4291 2.5.5.2), how a dual-stack socket names an IPv4 peer.
    static constexpr Ipv6Address v4_mapped(Ipv4Address a) {
        return {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, static_cast<std::uint8_t>(a.value >> 24),
                 static_cast<std::uint8_t>(a.value >> 16), static_cast<std::uint8_t>(a.value >> 8),
                 static_cast<std::uint8_t>(a.value)}};
    }
    // ff02::1:ffXX:XXXX, the group a Neighbor Solicitation for this address goes to
    // (RFC 4291 2.7.1).
    Ipv6Address solicited_node() const;
    // fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 2.5.1,
    // appendix A; RFC 4862 5.3).
    static Ipv6Address link_local_from(MacAddress mac);
    // 33:33 and the low 32 bits: the Ethernet group of a multicast address (RFC 2464 7).
    MacAddress multicast_mac() const;

    bool is_any() const { return *this == any(); }
    bool is_loopback() const { return *this == loopback(); }
    bool is_multicast() const { return bytes[0] == 0xff; }
    bool is_link_local() const { return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80; }
    bool is_v4_mapped() const;
    Ipv4Address embedded_v4() const;  // the low 32 bits
    // RFC 4291 2.2 (hex groups, one "::", a trailing dotted quad); no zone index.
    static std::optional<Ipv6Address> parse(std::string_view text);
    std::string to_string() const;  // RFC 5952: lower case, longest zero run as "::"

    // Byte order (memcmp's), compared as two 64-bit words: the neighbour cache, routes and
    // sockets compare addresses on every packet, and a call to memcmp costs more than that.
    bool operator==(const Ipv6Address& o) const {
        return ((word(0) ^ o.word(0)) | (word(1) ^ o.word(1))) == 0;
    }
    std::strong_ordering operator<=>(const Ipv6Address& o) const {
        if (auto c = big_endian_word(0) <=> o.big_endian_word(0); c != 0) return c;
        return big_endian_word(1) <=> o.big_endian_word(1);
    }

  private:
    std::uint64_t word(std::size_t i) const {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + 8 * i, sizeof w);
        return w;
    }
    std::uint64_t big_endian_word(std::size_t i) const {
        if constexpr (std::endian::native == std::endian::little) return std::byteswap(word(i));
        return word(i);
    }
};

struct Ipv6Cidr {
    Ipv6Address address{};
    std::uint8_t prefix_len = 128;

    Ipv6Address network() const;
    bool contains(const Ipv6Address& a) const;
    static std::optional<Ipv6Cidr> parse(std::string_view text);  // "2001:db8::1/64" or "::1"
    std::string to_string() const;
    auto operator<=>(const Ipv6Cidr&) const = default;
};

enum class IpFamily : std::uint8_t { v4 = 4, v6 = 6 };

// An address of either family: what sockets, endpoints and the neighbour cache hold, so
// that code above IP is written once for both. An IPv4 address is held as its v4-mapped
// IPv6 form with family v4 (so the two never compare equal: ::ffff:10.0.0.1 of family v6 is
// a different address from 10.0.0.1). The default is IPv4's 0.0.0.0.
class IpAddress {
  public:
    constexpr IpAddress() : IpAddress(Ipv4Address::any()) {}
    constexpr IpAddress(Ipv4Address a) : bytes_(Ipv6Address::v4_mapped(a)), family_(IpFamily::v4) {}
    constexpr IpAddress(const Ipv6Address& a) : bytes_(a), family_(IpFamily::v6) {}
    static IpAddress any(IpFamily family) {
        return family == IpFamily::v4 ? IpAddress(Ipv4Address::any())
                                      : IpAddress(Ipv6Address::any());
    }

    IpFamily family() const { return family_; }
    bool is_v4() const { return family_ == IpFamily::v4; }
    bool is_v6() const { return family_ == IpFamily::v6; }
    // The address in its own family's type; v4() of an IPv6 address is 0.0.0.0 and v6() of an
    // IPv4 address is its v4-mapped form.
    Ipv4Address v4() const { return is_v4() ? bytes_.embedded_v4() : Ipv4Address::any(); }
    const Ipv6Address& v6() const { return bytes_; }

    bool is_any() const { return is_v4() ? v4().is_any() : bytes_.is_any(); }
    bool is_loopback() const { return is_v4() ? v4().is_loopback() : bytes_.is_loopback(); }
    bool is_multicast() const { return is_v4() ? v4().is_multicast() : bytes_.is_multicast(); }
    // 32 bits for unkeyed hashes (flow ownership, hash tables): an IPv4 address's own value,
    // so IPv4 flows hash as they always did; an IPv6 address's four words folded.
    std::uint32_t fold32() const;
    // The 16 bytes as two big-endian words, for keyed hashes that take the whole address.
    std::uint64_t high64() const;
    std::uint64_t low64() const;

    // Either family's text form: "10.0.0.1" or "2001:db8::1".
    static std::optional<IpAddress> parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const IpAddress&) const = default;

  private:
    Ipv6Address bytes_;
    IpFamily family_;
};

// The binding rules UDP and TCP share. A socket bound to `address` takes what is addressed
// to `dst`: the same address, or for a wildcard, 0.0.0.0 every IPv4 address and :: every
// address of both families (a dual-stack socket, as Linux's default net.ipv6.bindv6only=0),
// or with v6_only (IPV6_V6ONLY) every IPv6 address only.
struct Binding {
    IpAddress address{};
    bool v6_only = false;
};
bool binding_accepts(const Binding& bound, const IpAddress& dst);
// Two bindings of one port that would take the same datagrams (EADDRINUSE). A v6-only ::
// and 0.0.0.0 share a port; a dual-stack :: holds 0.0.0.0 too.
inline bool bindings_overlap(const Binding& a, const Binding& b) {
    return binding_accepts(a, b.address) || binding_accepts(b, a.address);
}

// A prefix of either family, for configuration that takes both ("10.0.0.1/24",
// "2001:db8::1/64"): interface addresses and route destinations in the daemon and tools.
struct IpCidr {
    IpAddress address{};
    std::uint8_t prefix_len = 32;

    constexpr IpCidr() = default;
    constexpr IpCidr(Ipv4Cidr c) : address(c.address), prefix_len(c.prefix_len) {}
    constexpr IpCidr(const Ipv6Cidr& c) : address(c.address), prefix_len(c.prefix_len) {}
    IpFamily family() const { return address.family(); }
    bool is_v4() const { return address.is_v4(); }
    bool is_v6() const { return address.is_v6(); }
    Ipv4Cidr v4() const { return {address.v4(), prefix_len}; }
    Ipv6Cidr v6() const { return {address.v6(), prefix_len}; }
    IpAddress network() const;
    // False for an address of the other family.
    bool contains(const IpAddress& a) const;
    // Either family's form; without "/n" the whole address (/32 or /128).
    static std::optional<IpCidr> parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const IpCidr&) const = default;
};

// A transport endpoint: "10.0.0.1:80" or "[2001:db8::1]:80".
struct Endpoint {
    IpAddress address{};
    std::uint16_t port = 0;

    IpFamily family() const { return address.family(); }
    static std::optional<Endpoint> parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const Endpoint&) const = default;
};

}  // namespace netstack
