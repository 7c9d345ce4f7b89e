// What a worker polls: bus cursors, command queues, timers. A Source belongs to exactly one
// worker and is only ever touched by that worker's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace shmifd::engine {

// What a sleeping worker waits on; sources add to it when they are armed.
class WaitSet {
  public:
    using Clock = std::chrono::steady_clock;

    // A futex word whose value is `expected` now; a change (and a FUTEX_WAKE) wakes us.
    // shared: the word lives in a MAP_SHARED mapping (a bus), not in our private memory.
    void add_futex(std::atomic<std::uint32_t>* word, std::uint32_t expected, bool shared);
    // An fd that turns readable when there is work.
    void add_fd(int fd);
    // Wake by this time at the latest (timers).
    void wake_at(Clock::time_point when);
    // Whether the worker waits on fds and futexes in one call (io_uring): then an fd wakes
    // it directly and costs nothing extra, where otherwise futexes are re-checked on a
    // timer while an fd is in the set. Set by the worker; clear() keeps it.
    bool joint() const { return joint_; }
    void set_joint(bool joint) { joint_ = joint; }

    struct Futex {
        std::atomic<std::uint32_t>* word;
        std::uint32_t expected;
        bool shared;
    };
    const std::vector<Futex>& futexes() const { return futexes_; }
    const std::vector<int>& fds() const { return fds_; }
    Clock::time_point deadline() const { return deadline_; }
    void clear();

  private:
    std::vector<Futex> futexes_;
    std::vector<int> fds_;
    Clock::time_point deadline_ = Clock::time_point::max();
    bool joint_ = false;
};

class Source {
  public:
    virtual ~Source() = default;
    // Does at most `budget` units of work (frames, commands, timers); returns how many.
    // What it read but had nothing to do with (a frame for another worker) is not work:
    // work keeps the worker spinning instead of sleeping.
    virtual std::size_t poll(std::size_t budget) = 0;
    // The worker is about to sleep: add what wakes this source to `set`, or return false if
    // work is already pending (then the worker does not sleep). Followed by disarm().
    virtual bool arm(WaitSet& set) = 0;
    virtual void disarm() {}
    virtual std::string_view name() const = 0;
};

}  // namespace shmifd::engine
