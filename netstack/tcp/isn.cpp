#include "tcp/isn.hpp"

#include <chrono>

namespace netstack::tcp {

IsnGenerator::IsnGenerator(std::uint64_t secret)
    : key_{secret, (secret ^ 0x9e3779b97f4a7c15ull) * 0xbf58476d1ce4e5b9ull} {}

std::uint32_t IsnGenerator::isn(Endpoint local, Endpoint remote, Instant now) const {
    const auto ticks =
        std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() / 4;
    return static_cast<std::uint32_t>(static_cast<std::uint64_t>(ticks) +
                                      hash_four_tuple(key_, local, remote, 0));
}

std::uint32_t IsnGenerator::timestamp_offset(Endpoint local, Endpoint remote) const {
    return static_cast<std::uint32_t>(hash_four_tuple(key_, local, remote, 1));
}

}  // namespace netstack::tcp
