// SipHash-2-4 (Aumasson and Bernstein, 2012): the keyed pseudo-random function behind
// initial sequence numbers (RFC 6528) and timestamp offsets, so that an off-path attacker
// who does not know the key cannot predict them.
#pragma once

#include <cstdint>

#include "netstack/address.hpp"

namespace netstack::tcp {

struct SipKey {
    std::uint64_t k0 = 0;
    std::uint64_t k1 = 0;
};

// SipHash-2-4 of two 64-bit words (a 16-byte message).
std::uint64_t siphash(SipKey key, std::uint64_t m0, std::uint64_t m1);

// The 4-tuple as hash input, with a `salt` to derive independent values from one key.
std::uint64_t hash_four_tuple(SipKey key, Endpoint local, Endpoint remote, std::uint64_t salt);

}  // namespace netstack::tcp
