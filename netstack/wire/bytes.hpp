// Big-endian (network order) loads and stores on byte spans. Callers check lengths first
// (every View's check_len()); these helpers do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "netstack/address.hpp"

namespace netstack::wire {

using Bytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

inline std::uint8_t load8(Bytes b, std::size_t at) {
    return std::to_integer<std::uint8_t>(b[at]);
}
inline std::uint16_t load16(Bytes b, std::size_t at) {
    return static_cast<std::uint16_t>(load8(b, at) << 8 | load8(b, at + 1));
}
inline std::uint32_t load32(Bytes b, std::size_t at) {
    return std::uint32_t(load16(b, at)) << 16 | load16(b, at + 2);
}
inline void store8(MutableBytes b, std::size_t at, std::uint8_t v) {
    b[at] = std::byte{v};
}
inline void store16(MutableBytes b, std::size_t at, std::uint16_t v) {
    b[at] = std::byte(v >> 8);
    b[at + 1] = std::byte(v & 0xff);
}
inline void store32(MutableBytes b, std::size_t at, std::uint32_t v) {
    store16(b, at, static_cast<std::uint16_t>(v >> 16));
    store16(b, at + 2, static_cast<std::uint16_t>(v & 0xffff));
}

// Any byte container as raw bytes (test helpers, payload building).
template <typename T>
Bytes as_bytes(const T& container) {
    return std::as_bytes(std::span(container));
}

inline MacAddress load_mac(Bytes b, std::size_t at) {
    MacAddress m;
    for (std::size_t i = 0; i < m.bytes.size(); ++i)
        m.bytes[i] = load8(b, at + i);
    return m;
}

inline void store_mac(MutableBytes b, std::size_t at, const MacAddress& m) {
    for (std::size_t i = 0; i < m.bytes.size(); ++i)
        store8(b, at + i, m.bytes[i]);
}

// Addresses are in network order on the wire and in Ipv6Address: one 16-byte copy (a byte
// loop here was a tenth of IPv6's header parsing).
inline Ipv6Address load_ipv6(Bytes b, std::size_t at) {
    Ipv6Address a;
    std::memcpy(a.bytes.data(), b.data() + at, a.bytes.size());
    return a;
}

inline void store_ipv6(MutableBytes b, std::size_t at, const Ipv6Address& a) {
    std::memcpy(b.data() + at, a.bytes.data(), a.bytes.size());
}

// `from` into `b` at `at` (which has room). std::ranges::copy from const to mutable bytes is a
// byte-by-byte loop in GCC 12's libstdc++ (its memmove test wants equal iterator types).
inline void store_bytes(MutableBytes b, std::size_t at, Bytes from) {
    if (!from.empty()) std::memmove(b.data() + at, from.data(), from.size());
}

}  // namespace netstack::wire
