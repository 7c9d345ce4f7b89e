// The two pumps of shmiftap: TAP -> bus and bus -> TAP. Each runs in its own thread and owns
// its half of the counters; run() starts both and returns when asked to stop or when one
// direction fails for good (the TAP went away).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "tap_device.hpp"
#include "tap_io.hpp"

namespace shmiftap {

struct TapToBusStats {
    std::uint64_t frames = 0;  // put on the bus
    std::uint64_t bytes = 0;
    std::uint64_t drop_oversize = 0;   // larger than the bus's max_frame
    std::uint64_t drop_bus_error = 0;  // the bus refused a batch (lock timeout)
    std::uint64_t batches = 0;
};

struct BusToTapStats {
    std::uint64_t frames = 0;  // the TAP took them
    std::uint64_t bytes = 0;
    std::uint64_t drop_tap_write = 0;  // write(2) refused (down, no carrier, too large)
    int last_write_error = 0;
    std::uint64_t batches = 0;
    shmif::CursorStats cursor;  // overruns and lost frames: the bridge fell behind the bus
};

struct BridgeOptions {
    std::uint64_t sender = 0;  // ours on the bus; the cursor skips it (no echo loops)
    IoMode io = IoMode::plain;
    std::size_t batch = 64;                     // frames per system call batch / bus lock
    std::chrono::milliseconds stop_check{100};  // every wait is at most this long
};

struct BridgeResult {
    TapToBusStats tap_to_bus;
    BusToTapStats bus_to_tap;
    std::optional<std::string> error;  // why it stopped, when it was not asked to
};

class Bridge {
  public:
    // Borrows both; they must outlive the bridge.
    Bridge(const shmif::Bus& bus, TapDevice& tap, BridgeOptions options);

    // Runs both directions until `*stop` turns non-zero or a direction fails. io_uring
    // setup failures are reported before any frame moves.
    BridgeResult run(const std::atomic<int>* stop);

  private:
    std::optional<std::string> pump_tap_to_bus(TapReader& reader, TapToBusStats& stats);
    std::optional<std::string> pump_bus_to_tap(TapWriter& writer, BusToTapStats& stats);
    bool stopping() const;

    const shmif::Bus& bus_;
    TapDevice& tap_;
    BridgeOptions options_;
    const std::atomic<int>* stop_ = nullptr;
    std::atomic<bool> failed_{false};
};

// The exit summary: one line, every counter.
std::string summary_line(const BridgeResult& result);

}  // namespace shmiftap
