// One direction of one impaired link: frames go in with the time they arrived and come out
// when netem would have sent them, or never. Pure logic: time and the seed are passed in,
// nothing reads a clock or sleeps, so a seeded run is repeatable frame for frame.
//
// The order of decisions per frame is netem's (net/sched/sch_netem.c): duplicate, lose,
// corrupt, the queue limit, then reorder or delay (and the rate). Frames wait in time order;
// a reordered frame leaves before every frame still waiting.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <vector>

#include "impair/counters.hpp"
#include "impair/settings.hpp"

namespace shmif::impair {

using Clock = std::chrono::steady_clock;
using Instant = Clock::time_point;

class Random;
class LossModel;
class CorrelatedChance;
class DelaySampler;

class Impairment {
  public:
    // `seed` is used unless the settings carry their own.
    explicit Impairment(const Settings& settings, std::uint64_t seed = 1);
    ~Impairment();
    Impairment(Impairment&&) noexcept;
    Impairment& operator=(Impairment&&) noexcept;

    // New settings take effect on the next frame; frames already waiting keep their times.
    // A new seed in the settings restarts the random sequence; otherwise it continues.
    void configure(const Settings& settings);
    const Settings& settings() const { return settings_; }

    // Takes a copy of `frame` (or none, or two) as it arrived at `now`.
    // Returns how many copies will come out.
    unsigned offer(std::span<const std::byte> frame, Instant now);

    // Hands every frame due at or before `now` to `emit`, in departure order, and returns
    // how many. `emit` may call offer() (a loop back), which is not re-entered here.
    std::size_t release(Instant now, const std::function<void(std::span<const std::byte>)>& emit);

    // When the first waiting frame is due; nullopt when nothing waits.
    std::optional<Instant> next_due() const;
    std::size_t queued() const { return waiting_.size() + immediate_.size(); }

    // Counters, `queued` included.
    Counters counters() const;

  private:
    struct Waiting {
        Instant due;
        std::uint64_t order;  // arrival order breaks ties: equal times leave FIFO
        std::size_t slot;
        bool operator>(const Waiting& o) const {
            return due != o.due ? due > o.due : order > o.order;
        }
    };

    void reseed(std::uint64_t seed);
    bool is_lost();
    std::size_t store(std::span<const std::byte> frame, bool corrupt);
    void enqueue_one(std::span<const std::byte> frame, bool corrupt, Instant now);

    Settings settings_;
    std::unique_ptr<Random> random_;
    std::unique_ptr<LossModel> loss_;
    std::unique_ptr<CorrelatedChance> duplicate_, corrupt_, reorder_;
    std::unique_ptr<DelaySampler> delay_;
    std::uint32_t gap_counter_ = 0;

    std::vector<std::vector<std::byte>> slots_;  // frame copies, reused
    std::vector<std::size_t> free_slots_;
    std::vector<std::size_t> due_scratch_;  // release()'s list, kept to avoid an allocation
    std::priority_queue<Waiting, std::vector<Waiting>, std::greater<>> waiting_;
    std::deque<std::size_t> immediate_;  // reordered frames: out first, in arrival order
    std::uint64_t next_order_ = 0;
    Instant last_due_{};  // the rate's reference: when the last queued frame leaves
    Counters counters_;
};

}  // namespace shmif::impair
