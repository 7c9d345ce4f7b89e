#include "sleep.hpp"

#include <linux/futex.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <vector>

namespace shmifd::engine {

namespace {

timespec to_timespec(std::chrono::nanoseconds ns) {
    return {static_cast<time_t>(ns.count() / 1'000'000'000),
            static_cast<long>(ns.count() % 1'000'000'000)};
}

// Re-check period for futexes while sleeping in ppoll (only when fds are mixed in).
constexpr auto kMixedRecheck = std::chrono::milliseconds(1);

}  // namespace

Doorbell::Doorbell() : eventfd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

bool Doorbell::open_joint_wait() {
    if (!uring_) uring_ = UringWait::open();
    return joint_wait();
}

Doorbell::~Doorbell() {
    if (eventfd_ >= 0) ::close(eventfd_);
}

void Doorbell::ring() {
    // Dekker pairing with sleep(): we bump seq then read mode; the sleeper sets mode then
    // re-reads seq. seq_cst on both sides: at least one sees the other.
    seq_.fetch_add(1, std::memory_order_seq_cst);
    switch (mode_.load(std::memory_order_seq_cst)) {
        case on_futex:
            ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&seq_), FUTEX_WAKE_PRIVATE, 1,
                      nullptr, nullptr, 0);
            break;
        case on_fd: {
            std::uint64_t one = 1;
            [[maybe_unused]] auto n = ::write(eventfd_, &one, sizeof one);
            break;
        }
        default:
            break;
    }
}

bool Doorbell::sleep(const WaitSet& set, std::uint32_t seen) {
    // io_uring waits on seq_ as a futex too.
    const bool fds = !set.fds().empty() && !uring_;
    mode_.store(fds ? on_fd : on_futex, std::memory_order_seq_cst);
    bool woken = true;
    if (seq_.load(std::memory_order_seq_cst) == seen)
        woken = uring_ ? sleep_uring(set, seen) : fds ? sleep_fds(set) : sleep_futexes(set, seen);
    mode_.store(awake, std::memory_order_relaxed);
    return woken;
}

std::vector<futex_waitv> Doorbell::futex_waiters(const WaitSet& set, std::uint32_t seen) {
    std::vector<futex_waitv> waiters;
    waiters.reserve(1 + set.futexes().size());
    waiters.push_back(
        {seen, reinterpret_cast<std::uintptr_t>(&seq_), FUTEX_32 | FUTEX_PRIVATE_FLAG, 0});
    for (const auto& f : set.futexes()) {
        if (waiters.size() == FUTEX_WAITV_MAX) break;  // more would need a wider mechanism
        waiters.push_back({f.expected, reinterpret_cast<std::uintptr_t>(f.word),
                           FUTEX_32 | (f.shared ? 0U : FUTEX_PRIVATE_FLAG), 0});
    }
    return waiters;
}

bool Doorbell::sleep_uring(const WaitSet& set, std::uint32_t seen) {
    return uring_->wait(futex_waiters(set, seen), set.fds(), set.deadline());
}

bool Doorbell::sleep_futexes(const WaitSet& set, std::uint32_t seen) {
    auto waiters = futex_waiters(set, seen);
    timespec abs{};
    timespec* timeout = nullptr;
    if (set.deadline() != WaitSet::Clock::time_point::max()) {
        // steady_clock is CLOCK_MONOTONIC; futex_waitv takes an absolute time on it.
        abs = to_timespec(set.deadline().time_since_epoch());
        timeout = &abs;
    }
    long rc =
        ::syscall(SYS_futex_waitv, waiters.data(), waiters.size(), 0, timeout, CLOCK_MONOTONIC);
    if (rc < 0 && errno == ENOSYS) {
        // Kernels before 5.16: wait on the doorbell alone, re-checking the rest often.
        auto until = std::min(set.deadline(), WaitSet::Clock::now() + kMixedRecheck);
        timespec rel = to_timespec(std::max(until - WaitSet::Clock::now(), {}));
        rc = ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&seq_), FUTEX_WAIT_PRIVATE, seen,
                       &rel, nullptr, 0);
    }
    return !(rc < 0 && errno == ETIMEDOUT);
}

bool Doorbell::sleep_fds(const WaitSet& set) {
    std::vector<pollfd> fds;
    fds.reserve(1 + set.fds().size());
    fds.push_back({eventfd_, POLLIN, 0});
    for (int fd : set.fds())
        fds.push_back({fd, POLLIN, 0});
    auto until = set.deadline();
    if (!set.futexes().empty()) until = std::min(until, WaitSet::Clock::now() + kMixedRecheck);
    timespec rel{};
    timespec* timeout = nullptr;
    if (until != WaitSet::Clock::time_point::max()) {
        rel = to_timespec(std::max(until - WaitSet::Clock::now(), std::chrono::nanoseconds{}));
        timeout = &rel;
    }
    int rc = ::ppoll(fds.data(), fds.size(), timeout, nullptr);
    if (fds[0].revents & POLLIN) {
        std::uint64_t drained = 0;
        [[maybe_unused]] auto n = ::read(eventfd_, &drained, sizeof drained);
    }
    return rc > 0;
}

}  // namespace shmifd::engine
