// Time is passed in: the stack never reads a clock. Callers use steady_clock::now() in
// production and a ManualClock in tests.
#pragma once

#include <chrono>

namespace netstack {

using Duration = std::chrono::nanoseconds;
using Instant = std::chrono::steady_clock::time_point;

// A clock for deterministic tests: starts at an arbitrary non-zero instant, moves only when
// told to.
class ManualClock {
  public:
    Instant now() const { return now_; }
    void advance(Duration d) { now_ += d; }

  private:
    Instant now_ = Instant{std::chrono::seconds(1000)};
};

}  // namespace netstack
