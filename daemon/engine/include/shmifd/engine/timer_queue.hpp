// Timers of one worker: functions due at a time, run by the worker that owns the queue, in
// deadline order. Not thread-safe by design: schedule from the owning worker (a source's
// poll, a command, a stop function run on it); other threads post a command that schedules.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "shmifd/engine/source.hpp"

namespace shmifd::engine {

class TimerQueue final : public Source {
  public:
    using Clock = std::chrono::steady_clock;
    using TimerId = std::uint64_t;

    TimerId schedule_at(Clock::time_point when, std::function<void()> fn);
    TimerId schedule_after(Clock::duration delay, std::function<void()> fn) {
        return schedule_at(Clock::now() + delay, std::move(fn));
    }
    // false when the timer already ran or was cancelled.
    bool cancel(TimerId id);
    std::size_t pending() const { return live_; }

    std::size_t poll(std::size_t budget) override;
    bool arm(WaitSet& set) override;
    std::string_view name() const override { return "timers"; }

  private:
    struct Entry {
        Clock::time_point when;
        TimerId id;
        bool operator>(const Entry& o) const { return when != o.when ? when > o.when : id > o.id; }
    };
    std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
    std::vector<std::pair<TimerId, std::function<void()>>> fns_;  // sorted by id
    TimerId next_id_ = 1;
    std::size_t live_ = 0;

    std::function<void()>* find(TimerId id);
};

}  // namespace shmifd::engine
