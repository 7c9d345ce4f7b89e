#include "tcp/keyed_hash.hpp"

#include <bit>

namespace netstack::tcp {

namespace {

struct SipState {
    std::uint64_t v0, v1, v2, v3;
    void round() {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }
    void compress(std::uint64_t m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

}  // namespace

std::uint64_t siphash(SipKey key, std::uint64_t m0, std::uint64_t m1) {
    SipState s{key.k0 ^ 0x736f6d6570736575ull, key.k1 ^ 0x646f72616e646f6dull,
               key.k0 ^ 0x6c7967656e657261ull, key.k1 ^ 0x7465646279746573ull};
    s.compress(m0);
    s.compress(m1);
    s.compress(std::uint64_t{16} << 56);  // the length byte, no tail bytes
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i)
        s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

std::uint64_t hash_four_tuple(SipKey key, Endpoint local, Endpoint remote, std::uint64_t salt) {
    const std::uint64_t ports = (std::uint64_t{local.port} << 16 | remote.port) ^ (salt << 32);
    if (local.address.is_v4() && remote.address.is_v4()) {
        const std::uint64_t addresses =
            std::uint64_t{local.address.v4().value} << 32 | remote.address.v4().value;
        return siphash(key, addresses, ports);
    }
    // IPv6: all 32 address bytes go in, chained through the 16-byte function.
    std::uint64_t h = siphash(key, local.address.high64(), local.address.low64());
    h = siphash(key, h ^ remote.address.high64(), remote.address.low64());
    return siphash(key, h, ports);
}

}  // namespace netstack::tcp
