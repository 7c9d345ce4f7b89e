// How an idle worker sleeps: on its doorbell and on everything its sources armed, at once.
// All futexes: one futex_waitv(2). Any fd among them: ppoll(2) over the fds and the
// doorbell's eventfd, with futexes re-checked at a short period (a bus in NetBSD format
// wakes through inotify, the only case that needs it).
#pragma once

#include <atomic>
#include <cstdint>

#include "shmifd/engine/source.hpp"

namespace shmifd::engine {

class Doorbell {
  public:
    Doorbell();
    ~Doorbell();
    Doorbell(const Doorbell&) = delete;
    Doorbell& operator=(const Doorbell&) = delete;

    // Any thread: make the worker look at its queues. Costs a system call only when the
    // worker sleeps.
    void ring();
    std::uint32_t seen() const { return seq_.load(std::memory_order_acquire); }

    // The worker: sleeps until rung (after `seen`), a source's futex or fd fires, or the
    // deadline. Returns false on timeout.
    bool sleep(const WaitSet& set, std::uint32_t seen);

  private:
    enum Mode : std::uint32_t { awake = 0, on_futex = 1, on_fd = 2 };
    std::atomic<std::uint32_t> seq_{0};
    std::atomic<std::uint32_t> mode_{awake};
    int eventfd_ = -1;

    bool sleep_futexes(const WaitSet& set, std::uint32_t seen);
    bool sleep_fds(const WaitSet& set);
};

}  // namespace shmifd::engine
