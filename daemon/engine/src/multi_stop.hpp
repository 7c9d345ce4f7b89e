// The multi-worker stop state machine: every participant steps through
// prepare -> quiesce -> run -> exit; the last to acknowledge a state moves everyone to the
// next. While any participant has not arrived past the watchdog bound, any participant (or
// the caller) may cancel the stop before `run`: nobody runs fn, and the laggard is reported.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "shmifd/engine/stop.hpp"

namespace shmifd::engine {

enum class StopState : int { none = 0, prepare, quiesce, run, exit, cancelled };

class MultiStop {
  public:
    MultiStop(StopFn fn, std::vector<WorkerId> participants, std::vector<WorkerId> active,
              std::chrono::nanoseconds watchdog);

    // Runs the state machine on participant `id`; returns its fn result (0 if inactive).
    StopResult participate(WorkerId id);
    // Cancels if the stop has not reached `run`; true if it is (now) cancelled.
    bool try_cancel();
    // A participant's work can never run (its worker was removed): cancel, and remember why.
    void abort(WorkerId gone);
    std::optional<WorkerId> aborted_by() const;
    bool cancelled() const {
        return state_.load(std::memory_order_acquire) == int(StopState::cancelled);
    }
    // The first participant that never acknowledged `prepare`, for the watchdog report.
    WorkerId laggard() const;
    const std::vector<WorkerId>& participants() const { return participants_; }
    std::uint64_t requested_ns() const { return requested_ns_; }
    std::uint64_t quiesced_ns() const { return quiesced_ns_.load(std::memory_order_acquire); }

  private:
    void ack(int state);
    void advance(int from);
    std::size_t index_of(WorkerId id) const;

    StopFn fn_;
    std::vector<WorkerId> participants_;           // ascending
    std::vector<bool> active_;                     // by participant index
    std::unique_ptr<std::atomic<int>[]> arrived_;  // highest state each acknowledged
    std::atomic<int> state_{int(StopState::prepare)};
    std::atomic<int> pending_acks_;
    std::uint64_t requested_ns_;
    std::atomic<std::uint64_t> quiesced_ns_{0};
    std::chrono::nanoseconds watchdog_;
    std::atomic<std::int64_t> aborted_by_{-1};
};

std::uint64_t monotonic_ns();

}  // namespace shmifd::engine
