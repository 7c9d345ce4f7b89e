// The wire layer's one error: the bytes are malformed or use something we do not support.
// Callers map it onto a named drop counter; the reason is theirs to know (smoltcp's
// wire::Error is the same idea).
#pragma once

#include <expected>

namespace netstack::wire {

struct Malformed {};

template <typename T>
using Parsed = std::expected<T, Malformed>;

inline std::unexpected<Malformed> malformed() {
    return std::unexpected(Malformed{});
}

}  // namespace netstack::wire
