// Byte-level helpers shared by the hand-written packet builders (packets.cpp,
// packets_ipv6.cpp): big-endian appends, stores and loads on plain byte vectors. Independent
// of netstack's wire/bytes.hpp on purpose (see packets.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "netstack/address.hpp"

namespace nstest {

using Bytes = std::vector<std::byte>;  // as in packets.hpp

namespace detail {

inline std::byte b(unsigned v) {
    return static_cast<std::byte>(v & 0xff);
}

inline void put8(Bytes& out, unsigned v) {
    out.push_back(b(v));
}
inline void put16(Bytes& out, unsigned v) {
    out.push_back(b(v >> 8));
    out.push_back(b(v));
}
inline void put32(Bytes& out, std::uint32_t v) {
    put16(out, v >> 16);
    put16(out, v & 0xffff);
}
inline void put_mac(Bytes& out, const netstack::MacAddress& m) {
    for (auto octet : m.bytes)
        put8(out, octet);
}
inline void append(Bytes& out, std::span<const std::byte> data) {
    out.insert(out.end(), data.begin(), data.end());
}
inline void set16(Bytes& out, std::size_t at, unsigned v) {
    out[at] = b(v >> 8);
    out[at + 1] = b(v);
}

inline unsigned get8(std::span<const std::byte> d, std::size_t at) {
    return std::to_integer<unsigned>(d[at]);
}
inline std::uint16_t get16(std::span<const std::byte> d, std::size_t at) {
    return static_cast<std::uint16_t>(get8(d, at) << 8 | get8(d, at + 1));
}
inline std::uint32_t get32(std::span<const std::byte> d, std::size_t at) {
    return std::uint32_t{get16(d, at)} << 16 | get16(d, at + 2);
}
inline netstack::MacAddress get_mac(std::span<const std::byte> d, std::size_t at) {
    netstack::MacAddress m;
    for (std::size_t i = 0; i < 6; ++i)
        m.bytes[i] = static_cast<std::uint8_t>(get8(d, at + i));
    return m;
}

}  // namespace detail
}  // namespace nstest
