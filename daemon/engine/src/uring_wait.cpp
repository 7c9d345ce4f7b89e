#include "uring_wait.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>

namespace shmifd::engine {

namespace {

// IORING_OP_FUTEX_WAITV (Linux 6.7): Debian 12's linux/io_uring.h (6.1) and liburing 2.3
// predate it. The request takes the futex_waitv array as addr and its length as len, as
// futex_waitv(2) does, and no flags.
constexpr int kOpFutexWaitv = 53;

// user_data: what a completion is for in the low byte, a tag unique to its request above.
enum Kind : std::uint8_t { kFutexes = 1, kPoll = 2, kControl = 3 };

constexpr std::uint64_t user_data(Kind kind, std::uint64_t tag) {
    return tag << 8 | kind;
}

}  // namespace

std::unique_ptr<UringWait> UringWait::open() {
    std::unique_ptr<UringWait> wait(new UringWait());
    // Completions are posted when the waiting thread asks for them (DEFER_TASKRUN, Linux
    // 6.1): a wake-up goes straight to it, and what turned ready and back while it was busy
    // posts nothing. That needs the ring used by one thread only (SINGLE_ISSUER).
    if (io_uring_queue_init(16, &wait->ring_,
                            IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) < 0)
        return nullptr;
    wait->open_ = true;
    // Relative timeouts on the wait itself (Linux 5.11), FUTEX_WAITV, and the polls and
    // cancellations each wait arms.
    io_uring_probe* probe = io_uring_get_probe_ring(&wait->ring_);
    const bool usable = probe != nullptr && (wait->ring_.features & IORING_FEAT_EXT_ARG) &&
                        io_uring_opcode_supported(probe, kOpFutexWaitv) &&
                        io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) &&
                        io_uring_opcode_supported(probe, IORING_OP_POLL_REMOVE) &&
                        io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
    if (probe != nullptr) io_uring_free_probe(probe);
    if (!usable) return nullptr;  // the destructor closes the ring
    return wait;
}

UringWait::~UringWait() {
    if (open_) io_uring_queue_exit(&ring_);
}

io_uring_sqe* UringWait::next_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {  // full: hand what is queued to the kernel first
        io_uring_submit(&ring_);
        sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
}

bool UringWait::reap() {
    bool woke = false;
    unsigned head = 0;
    unsigned count = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
        ++count;
        const std::uint64_t tag = cqe->user_data >> 8;
        switch (cqe->user_data & 0xff) {
            case kFutexes:
                if (futex_wait_ == tag) futex_wait_.reset();
                if (cqe->res != -ECANCELED) woke = true;  // woken, or a value had moved
                break;
            case kPoll: {
                auto it = std::ranges::find(polls_, tag);
                if (it == polls_.end()) break;  // removed
                if (cqe->res > 0) woke = true;
                polls_.erase(it);
                break;
            }
            default:
                break;  // cancellations and removals
        }
    }
    io_uring_cq_advance(&ring_, count);
    return woke;
}

void UringWait::arm_futexes(std::span<const futex_waitv> futexes) {
    if (futex_wait_) {
        io_uring_sqe* cancel = next_sqe();
        if (cancel == nullptr) return;
        io_uring_prep_cancel64(cancel, user_data(kFutexes, *futex_wait_), 0);
        cancel->user_data = user_data(kControl, 0);
        futex_wait_.reset();
    }
    if (futexes.empty()) return;
    io_uring_sqe* sqe = next_sqe();
    if (sqe == nullptr) return;
    armed_.assign(futexes.begin(), futexes.end());
    *sqe = {};
    io_uring_prep_rw(kOpFutexWaitv, sqe, 0, armed_.data(), static_cast<unsigned>(armed_.size()), 0);
    futex_wait_ = ++next_tag_;
    sqe->user_data = user_data(kFutexes, *futex_wait_);
}

void UringWait::remove_polls() {
    for (const std::uint64_t tag : polls_) {
        io_uring_sqe* remove = next_sqe();
        if (remove == nullptr) break;
        io_uring_prep_poll_remove(remove, user_data(kPoll, tag));
        remove->user_data = user_data(kControl, 0);
    }
    polls_.clear();  // what they still complete is ignored
}

void UringWait::add_polls(std::span<const int> fds) {
    for (int fd : fds) {
        io_uring_sqe* sqe = next_sqe();
        if (sqe == nullptr) return;
        io_uring_prep_poll_add(sqe, fd, POLLIN);
        const std::uint64_t tag = ++next_tag_;
        sqe->user_data = user_data(kPoll, tag);
        polls_.push_back(tag);
    }
}

bool UringWait::wait(std::span<const futex_waitv> futexes, std::span<const int> fds,
                     Clock::time_point deadline) {
    // What completed since the last wait is what the caller has handled since (it polled its
    // sources after): a futex is re-armed with the values the caller saw, and completes at
    // once if one has moved; an fd is polled afresh, and completes at once if readable.
    (void)reap();
    remove_polls();
    arm_futexes(futexes);
    add_polls(fds);
    // Each round takes at least one completion or ends at the deadline.
    for (;;) {
        __kernel_timespec relative{};
        __kernel_timespec* timeout = nullptr;
        if (deadline != Clock::time_point::max()) {
            const auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
            const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
            relative = {ns / 1'000'000'000, ns % 1'000'000'000};
            timeout = &relative;
        }
        io_uring_cqe* cqe = nullptr;
        const int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout, nullptr);
        if (reap()) return true;
        if (rc == -ETIME || (timeout != nullptr && Clock::now() >= deadline)) return false;
        // Anything but a signal or a completion we ignore: let the worker look and sleep again.
        if (rc < 0 && rc != -EINTR) return true;
    }
}

}  // namespace shmifd::engine
