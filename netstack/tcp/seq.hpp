// Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): a < b when b is less than 2^31
// ahead of a.
#pragma once

#include <cstdint>

namespace netstack::tcp {

inline bool seq_lt(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b) < 0;
}
inline bool seq_le(std::uint32_t a, std::uint32_t b) {
    return static_cast<std::int32_t>(a - b) <= 0;
}
inline bool seq_gt(std::uint32_t a, std::uint32_t b) {
    return seq_lt(b, a);
}
inline bool seq_ge(std::uint32_t a, std::uint32_t b) {
    return seq_le(b, a);
}
inline std::uint32_t seq_max(std::uint32_t a, std::uint32_t b) {
    return seq_lt(a, b) ? b : a;
}
// a <= x < b, the window test of RFC 9293 3.10.7.4.
inline bool seq_in(std::uint32_t x, std::uint32_t a, std::uint32_t b) {
    return seq_le(a, x) && seq_lt(x, b);
}

}  // namespace netstack::tcp
