// How an idle worker sleeps: on its doorbell and on everything its sources armed, at once.
// Where the kernel has io_uring with FUTEX_WAITV (Linux 6.7), one io_uring wait covers the
// futexes and the fds together (uring_wait.hpp), so an fd wakes the worker itself, with no
// thread in between. Else: all futexes, one futex_waitv(2); any fd among them, ppoll(2) over
// the fds and the doorbell's eventfd, with futexes re-checked at a short period.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "shmifd/engine/source.hpp"
#include "uring_wait.hpp"

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

    // The thread that sleeps, before its first sleep: waits on fds and futexes in one call
    // (io_uring) from now on, if the kernel allows. Returns joint_wait().
    bool open_joint_wait();
    // Fds and futexes are waited on in one call: an fd in the wait set costs no futex
    // re-checks and wakes the worker as soon as it is readable.
    bool joint_wait() const { return uring_ != nullptr; }

  private:
    enum Mode : std::uint32_t { awake = 0, on_futex = 1, on_fd = 2 };
    std::atomic<std::uint32_t> seq_{0};
    std::atomic<std::uint32_t> mode_{awake};
    int eventfd_ = -1;

    std::unique_ptr<UringWait> uring_;

    bool sleep_futexes(const WaitSet& set, std::uint32_t seen);
    bool sleep_fds(const WaitSet& set);
    bool sleep_uring(const WaitSet& set, std::uint32_t seen);
    // The doorbell (at `seen`) and the set's futexes, as futex_waitv(2) takes them.
    std::vector<futex_waitv> futex_waiters(const WaitSet& set, std::uint32_t seen);
};

}  // namespace shmifd::engine
