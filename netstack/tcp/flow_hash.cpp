// tcp_flow_hash (tcp.hpp): which shard owns a 4-tuple. Fixed, unkeyed and cheap: every shard
// and every test must compute the same owner; the ISN (isn.cpp) is where secrecy matters.
#include "netstack/tcp.hpp"

namespace netstack {

std::uint32_t tcp_flow_hash(Endpoint local, Endpoint remote) {
    std::uint64_t h = std::uint64_t{local.address.fold32()} << 32 | remote.address.fold32();
    h ^= (std::uint64_t{local.port} << 16 | remote.port) * 0x9e3779b97f4a7c15ull;
    // The SplitMix64 finalizer: every input bit reaches every output bit.
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
    h ^= h >> 31;
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

}  // namespace netstack
