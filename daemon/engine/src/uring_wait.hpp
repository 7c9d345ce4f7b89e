// One wait on futexes and fds together, through io_uring: FUTEX_WAITV (Linux 6.7) for the
// futexes and a POLL_ADD per fd. Without it a worker that must wake for both either
// re-checks its futexes on a timer or leaves the fds to another thread that rings it, one
// more sleeping thread on every wake-up.
//
// Every wait arms its requests afresh (what is still armed from the last one is cancelled
// first): the kernel ties a request to what an address or a number named when it was made,
// and between two waits a source may close its descriptor and another take the number, or
// unmap a bus and map another at the same address; a request kept from before would wait on
// the old file.
#pragma once

#include <linux/futex.h>

#include <liburing.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace shmifd::engine {

class UringWait {
  public:
    using Clock = std::chrono::steady_clock;

    // nullptr when the kernel lacks (or forbids) io_uring, FUTEX_WAITV or what else we use.
    // Only the thread that opens it may wait on it.
    static std::unique_ptr<UringWait> open();
    ~UringWait();
    UringWait(const UringWait&) = delete;
    UringWait& operator=(const UringWait&) = delete;

    // Until one of `futexes` is woken (or is not at its expected value when first armed),
    // one of `fds` is readable, or `deadline`. False on timeout.
    bool wait(std::span<const futex_waitv> futexes, std::span<const int> fds,
              Clock::time_point deadline);

  private:
    UringWait() = default;
    io_uring_sqe* next_sqe();
    // Takes every completion; true if one says a futex woke (or had moved) or an fd turned
    // readable.
    bool reap();
    void arm_futexes(std::span<const futex_waitv> futexes);
    void remove_polls();  // those still armed
    void add_polls(std::span<const int> fds);

    io_uring ring_{};
    bool open_ = false;  // ring_ was set up
    std::uint64_t next_tag_ = 0;
    std::optional<std::uint64_t> futex_wait_;  // the armed FUTEX_WAITV's tag
    std::vector<futex_waitv> armed_;           // its futexes, kept while the kernel may read them
    std::vector<std::uint64_t> polls_;         // the armed polls' tags
};

}  // namespace shmifd::engine
