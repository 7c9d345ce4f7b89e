#include "lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace shmif {

namespace {
// Spinning covers the common case, a holder that is copying a frame on another core for
// well under a microsecond; past that the holder is likely descheduled and sleeping is kinder.
constexpr int kSpinTries = 256;
}  // namespace

std::uint64_t native_try_lock(native::BusHeader& h) {
    std::uint64_t word = h.lock.owner.load(std::memory_order_relaxed);
    if (native::owner_tid(word) != 0) return 0;
    const std::uint64_t mine =
        native::owner_word(native::owner_epoch(word) + 1, host::current_tid());
    // acquire pairs with the release in native_release: the last holder's writes are visible.
    if (!h.lock.owner.compare_exchange_strong(word, mine, std::memory_order_acquire,
                                              std::memory_order_relaxed))
        return 0;
    return mine;
}

bool native_release(native::BusHeader& h, std::uint64_t mine) {
    std::uint64_t expected = mine;
    const std::uint64_t free_word = native::owner_word(native::owner_epoch(mine), 0);
    if (!h.lock.owner.compare_exchange_strong(expected, free_word, std::memory_order_seq_cst,
                                              std::memory_order_relaxed))
        return false;
    // Dekker with NativeLockWait: we freed the word, then look for sleepers; a sleeper counts
    // itself, then looks at the word. Both are sequentially consistent: one sees the other.
    if (h.lock.sleepers.load(std::memory_order_seq_cst) != 0) {
        h.lock.release_seq.fetch_add(1, std::memory_order_release);
        host::futex_wake_all(h.lock.release_seq);
    }
    return true;
}

std::uint64_t native_take_over(native::BusHeader& h, std::uint64_t holder) {
    const std::uint64_t mine =
        native::owner_word(native::owner_epoch(holder) + 1, host::current_tid());
    std::uint64_t expected = holder;
    if (!h.lock.owner.compare_exchange_strong(expected, mine, std::memory_order_seq_cst,
                                              std::memory_order_relaxed))
        return 0;
    return mine;
}

ThreadProbe probe_thread(std::uint32_t tid) {
    if (tid == 0) return {ThreadState::dead, 0};
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%u/stat", tid);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return {errno == ENOENT ? ThreadState::dead : ThreadState::running, 0};
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return {ThreadState::dead, 0};
    buf[n] = '\0';
    // "tid (comm) S ppid ...": comm may hold anything, ')' included; the last ')' ends it.
    const char* close_paren = std::strrchr(buf, ')');
    if (close_paren == nullptr || close_paren[1] != ' ') return {ThreadState::running, '?'};
    const char letter = close_paren[2];
    switch (letter) {
        case 'R':
            return {ThreadState::running, letter};
        case 'Z':
        case 'X':
        case 'x':
            return {ThreadState::dead, letter};
        default:  // S, D, T, t, I, P, W, K: not running, whatever it waits for
            return {ThreadState::stopped, letter};
    }
}

std::uint32_t thread_pid(std::uint32_t tid) {
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%u/status", tid);
    std::FILE* f = std::fopen(path, "re");
    if (f == nullptr) return 0;
    char line[256];
    std::uint32_t pid = 0;
    while (std::fgets(line, sizeof line, f) != nullptr)
        if (std::sscanf(line, "Tgid: %u", &pid) == 1) break;
    std::fclose(f);
    return pid;
}

namespace {
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t ns(std::chrono::milliseconds d) {
    return static_cast<std::uint64_t>(d.count()) * kMs;
}
}  // namespace

NativeLockWait::NativeLockWait(native::BusHeader& h, NativeLockPolicy policy)
    : h_(h), policy_(policy) {}

void NativeLockWait::defer() {
    deferred_until_ = host::now_monotonic_ns() + kMs;
}

NativeLockWait::Step NativeLockWait::next() {
    for (;;) {
        if ((mine_ = native_try_lock(h_)) != 0) return Step::acquired;
        contended_ = true;
        const std::uint64_t word = h_.lock.owner.load(std::memory_order_acquire);
        if (native::owner_tid(word) == 0) continue;  // freed meanwhile: try again
        if (spins_ < kSpinTries) {
            ++spins_;
            host::cpu_relax();
            continue;
        }
        // The clock only once the spin is over: the uncontended path reads no clock at all
        // (it costs as much as the rest of a send on a virtual machine).
        const std::uint64_t now = host::now_monotonic_ns();
        if (start_ns_ == 0) start_ns_ = now;
        if (word != holder_) {
            holder_ = word;  // a new holder: its time starts now
            holder_since_ = now;
            probed_at_ = 0;
            probe_ = {ThreadState::running, 'R'};
        }
        const std::uint64_t held = now - holder_since_;
        // Probing reads /proc (microseconds): only for a holder that has kept it a while (a
        // millisecond, or the stall bound if that is shorter), then once a millisecond.
        const std::uint64_t probe_after = std::min(kMs, ns(policy_.stall_bound));
        if (held >= probe_after && (probed_at_ == 0 || now - probed_at_ >= kMs)) {
            probe_ = probe_thread(native::owner_tid(word));
            probed_at_ = now;
        }
        const bool takeable =
            probe_.state == ThreadState::dead ||
            (probe_.state == ThreadState::stopped && held >= ns(policy_.stall_bound)) ||
            held >= ns(policy_.busy_bound);
        if (takeable && now >= deferred_until_) return Step::take_over;
        const std::uint64_t waited = now - start_ns_;
        if (waited >= ns(policy_.timeout)) return Step::timeout;
        // Sleep until a release, at most 1 ms (to watch the holder) and never past the timeout.
        const std::uint32_t seq = h_.lock.release_seq.load(std::memory_order_acquire);
        h_.lock.sleepers.fetch_add(1, std::memory_order_seq_cst);
        if (h_.lock.owner.load(std::memory_order_seq_cst) == word)
            host::futex_wait(
                h_.lock.release_seq, seq,
                static_cast<std::int64_t>(std::min(kMs, ns(policy_.timeout) - waited)));
        h_.lock.sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
}

LockState native_lock_state(const native::BusHeader& h) {
    const std::uint64_t word = h.lock.owner.load(std::memory_order_relaxed);
    const std::uint32_t tid = native::owner_tid(word);
    return {tid != 0, tid, tid != 0 && !host::tid_alive(tid)};
}

LockAttempt netbsd_lock(netbsd::BusHeader& h, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds steal_after) {
    using clock = std::chrono::steady_clock;
    std::uint32_t expected = netbsd::kUnlocked;
    // acquire pairs with the release in netbsd_unlock: the previous holder's ring writes are
    // visible once we own the word.
    if (h.lock.compare_exchange_strong(expected, netbsd::kLocked, std::memory_order_acquire))
        return {LockOutcome::acquired, false};
    const auto start = clock::now();
    auto locked_since = start;  // last time we saw the word free
    for (int i = 0;; ++i) {
        expected = netbsd::kUnlocked;
        if (h.lock.compare_exchange_weak(expected, netbsd::kLocked, std::memory_order_acquire))
            return {LockOutcome::acquired, true};
        if (i < kSpinTries) {
            host::cpu_relax();
            continue;
        }
        auto now = clock::now();
        if (expected == netbsd::kUnlocked) locked_since = now;
        if (now - locked_since >= steal_after) {
            // Break it: whoever holds it has not let go for steal_after, far beyond any frame
            // copy. If it was alive after all, the ring may now hold a torn frame, which the
            // readers' validation catches; NetBSD's format cannot do better.
            h.lock.exchange(netbsd::kLocked, std::memory_order_acquire);
            return {LockOutcome::recovered, true};
        }
        if (now - start >= timeout) return {LockOutcome::timeout, true};
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

void netbsd_unlock(netbsd::BusHeader& h) {
    h.lock.store(netbsd::kUnlocked, std::memory_order_release);
}

}  // namespace shmif
