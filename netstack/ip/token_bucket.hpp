// A token bucket (RFC 1812 4.3.2.8 suggests one for ICMP): `burst` tokens at most, refilled
// at `per_second`; each send takes one. per_second == 0 means unlimited. Time is passed in.
#pragma once

#include <cstdint>

#include "netstack/time.hpp"

namespace netstack::ip {

class TokenBucket {
  public:
    TokenBucket(std::uint32_t per_second, std::uint32_t burst);
    // Takes a token if one is available at `now`.
    bool take(Instant now);

  private:
    static constexpr std::uint64_t scale = 1'000'000'000;  // token fractions per token
    std::uint64_t per_second_;
    std::uint64_t capacity_;  // burst * scale
    std::uint64_t level_;     // in token fractions
    Instant last_{};
    bool started_ = false;
};

}  // namespace netstack::ip
