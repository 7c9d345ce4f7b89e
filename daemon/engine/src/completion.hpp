// A countdown that a stop's caller waits on, collecting the first non-zero result or error
// of the works it counts (Linux's cpu_stop_done).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "shmifd/engine/stop.hpp"

namespace shmifd::engine {

class Completion {
  public:
    explicit Completion(int todo) : todo_(todo) {}

    void finish(const StopResult& r);
    // Wakes wait_until() without finishing (a cancelled stop).
    void poke();
    // Blocks until every work finished or `give_up()` is true; true if all finished. Spins
    // `spins` times first: worth it only when the caller has a CPU no worker needs.
    template <class GiveUp>
    bool wait_until(GiveUp&& give_up, std::chrono::steady_clock::duration check_every, int spins);
    bool finished() const { return todo_.load(std::memory_order_acquire) == 0; }
    StopResult result();
    // Merges a result obtained elsewhere (a worker that ran its part inline).
    void merge(const StopResult& r);

  private:
    std::atomic<int> todo_;
    std::mutex mutex_;
    std::condition_variable cv_;
    int ret_ = 0;
    std::optional<StopError> error_;
};

template <class GiveUp>
bool Completion::wait_until(GiveUp&& give_up, std::chrono::steady_clock::duration check_every,
                            int spins) {
    // A stop of busy workers completes in microseconds, far below what a sleep and a wake-up
    // cost on this kind of machine: spin first, if spinning takes no CPU from a worker.
    for (int i = 0; i < spins; ++i) {
        if (finished()) return true;
        __builtin_ia32_pause();
    }
    std::unique_lock lock(mutex_);
    for (;;) {
        if (finished()) return true;
        if (give_up()) return false;
        cv_.wait_for(lock, check_every);
    }
}

}  // namespace shmifd::engine
