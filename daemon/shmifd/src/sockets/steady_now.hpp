// The time the socket service hands the stack: the shards' own clock.
#pragma once

#include <chrono>

#include "netstack/time.hpp"

namespace shmifd::sockets {

inline netstack::Instant steady_now() {
    return std::chrono::steady_clock::now();
}

}  // namespace shmifd::sockets
