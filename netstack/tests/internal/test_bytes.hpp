// Helpers for the white-box tests: byte literals and buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "netstack/address.hpp"

namespace netstack::test {

inline std::vector<std::byte> bytes(std::initializer_list<std::uint8_t> list) {
    std::vector<std::byte> out;
    out.reserve(list.size());
    for (auto b : list)
        out.push_back(std::byte{b});
    return out;
}

inline Ipv4Address ip(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return Ipv4Address::from_octets(a, b, c, d);
}

}  // namespace netstack::test
