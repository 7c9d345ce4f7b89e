// One direction of shmiflink: frames read from one bus, through an impairment, written to
// the other. The cursor skips the sender id of the opposite direction's writer on the source
// bus (what shmiflink itself put there), so nothing a link forwards ever comes back.
//
// With settings that touch nothing (Settings::none() and nothing queued) the pump forwards
// straight from the source ring to the destination ring (Cursor::peek views copied into
// SendBatch slots: one copy, no engine). Otherwise every frame goes through
// impair::Impairment with steady_clock::now() and leaves, as one batch, when it is due.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "impair/counters.hpp"
#include "impair/impairment.hpp"
#include "impair/settings.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/frame.hpp"
#include "shmif/writer.hpp"

namespace shmiflink {

// The pump's own counters, X(name, what), in the order they are printed.
#define SHMIFLINK_PUMP_COUNTERS(X)                                                         \
    X(frames_read, "frames read from the source bus")                                      \
    X(frames_sent, "frames written to the destination bus")                                \
    X(send_failures, "frames lost because the destination refused a batch (lock, header)") \
    X(oversize, "frames longer than the destination's max_frame, dropped")                 \
    X(torn, "frames overwritten in the source ring while being copied, not sent")          \
    X(overruns, "times the source bus lapped the link's cursor")                           \
    X(lost_frames, "frames the source bus overwrote before the link read them")

struct PumpCounters {
#define SHMIFLINK_PUMP_FIELD(name, what) std::uint64_t name = 0;
    SHMIFLINK_PUMP_COUNTERS(SHMIFLINK_PUMP_FIELD)
#undef SHMIFLINK_PUMP_FIELD
};

struct DirectionStats {
    PumpCounters pump;
    shmif::impair::Counters impair;
    std::string settings;  // netem's words, "none" when untouched
};

struct DirectionOptions {
    std::string name;                  // "a-to-b", for messages
    shmif::impair::Settings settings;  // at start
    std::uint64_t seed = 1;            // unless the settings carry their own
    std::uint64_t sender = 0;          // our writer's id on the destination bus (0: random)
    std::uint64_t skip_sender = 0;     // the opposite direction's writer id on the source bus
    std::size_t batch = 64;            // frames per receive and per send
    std::chrono::nanoseconds spin{std::chrono::microseconds(50)};  // before sleeping
    std::chrono::nanoseconds stop_check{std::chrono::milliseconds(20)};
};

class Direction {
  public:
    // Both buses are borrowed and must outlive the direction.
    Direction(const shmif::Bus& from, const shmif::Bus& to, DirectionOptions options);

    // Pumps until `stop` is non-zero (checked at least every options.stop_check).
    void run(const std::atomic<int>& stop);

    // From any thread: the pump takes the settings between two batches; frames waiting keep
    // their times. `on_applied` (if set) is called on the pump's thread when it does.
    void configure(const shmif::impair::Settings& settings);
    using AppliedObserver =
        std::function<void(const shmif::impair::Settings&, std::uint64_t frames_read)>;
    void on_applied(AppliedObserver observer) { on_applied_ = std::move(observer); }

    // From any thread while run() runs: the pump's counters as of its next batch (waits up to
    // `timeout` for it; nullopt when it did not answer). After run() returned: stats().
    std::optional<DirectionStats> snapshot(std::chrono::milliseconds timeout);
    DirectionStats stats() const;

    const std::string& name() const { return options_.name; }
    std::uint64_t sender() const { return writer_.sender(); }

  private:
    void apply_pending();
    void publish_if_asked();
    bool forward_direct();  // fast path: true when frames moved
    bool wait_for_frames(std::chrono::nanoseconds timeout);
    void pump_engine(std::chrono::nanoseconds timeout);
    void release_due(shmif::impair::Instant now);

    DirectionOptions options_;
    shmif::Cursor cursor_;
    shmif::Writer writer_;
    shmif::impair::Impairment impairment_;
    std::uint32_t max_frame_;
    PumpCounters counters_;
    std::chrono::steady_clock::time_point last_frame_{};  // a frame not our own came

    std::vector<std::byte> storage_;
    std::vector<shmif::Frame> frames_;
    std::vector<shmif::FrameView> views_;

    std::mutex pending_mutex_;
    std::optional<shmif::impair::Settings> pending_;
    std::atomic<bool> has_pending_{false};
    AppliedObserver on_applied_;

    mutable std::mutex snapshot_mutex_;
    std::condition_variable snapshot_ready_;
    std::atomic<bool> snapshot_wanted_{false};
    std::uint64_t snapshot_generation_ = 0;
    DirectionStats snapshot_;
};

}  // namespace shmiflink
