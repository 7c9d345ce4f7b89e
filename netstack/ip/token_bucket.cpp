#include "ip/token_bucket.hpp"

#include <algorithm>

namespace netstack::ip {

TokenBucket::TokenBucket(std::uint32_t per_second, std::uint32_t burst)
    : per_second_(per_second), capacity_(std::uint64_t(burst) * scale), level_(capacity_) {}

bool TokenBucket::take(Instant now) {
    if (per_second_ == 0) return true;
    if (!started_) {
        started_ = true;
        last_ = now;
    }
    if (now > last_) {
        // Refill: elapsed nanoseconds * per_second token fractions, capped before multiplying
        // so a long idle period cannot overflow.
        const auto elapsed = static_cast<std::uint64_t>((now - last_).count());
        const std::uint64_t to_full = (capacity_ - level_) / per_second_ + 1;
        level_ = std::min(capacity_, level_ + std::min(elapsed, to_full) * per_second_);
        last_ = now;
    }
    if (level_ < scale) return false;
    level_ -= scale;
    return true;
}

}  // namespace netstack::ip
