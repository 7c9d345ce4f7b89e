#include "lock.hpp"

#include <linux/futex.h>
#include <time.h>

#include <cerrno>
#include <thread>

namespace shmif {

namespace {
// Spinning covers the common case, a holder that is copying a frame on another core for
// well under a microsecond; past that the holder is likely descheduled and sleeping is kinder.
constexpr int kSpinTries = 256;
}  // namespace

void native_mutex_init(native::BusHeader& h) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&h.lock.mutex, &attr);
    pthread_mutexattr_destroy(&attr);
}

bool native_mutex_intact(const native::BusHeader& h) {
    // glibc keeps the mutex type (robust, process-shared) in __kind; learn the value once
    // from a mutex made the same way.
    static const int expected_kind = [] {
        native::BusHeader fresh{};
        native_mutex_init(fresh);
        return fresh.lock.mutex.__data.__kind;
    }();
    return __atomic_load_n(&h.lock.mutex.__data.__kind, __ATOMIC_RELAXED) == expected_kind;
}

static LockAttempt from_rc(int rc, bool contended) {
    switch (rc) {
        case 0:
            return {LockOutcome::acquired, contended};
        case EOWNERDEAD:
            return {LockOutcome::recovered, contended};
        case ETIMEDOUT:
            return {LockOutcome::timeout, contended};
        default:
            return {LockOutcome::unusable, contended};
    }
}

LockAttempt native_lock(native::BusHeader& h, std::chrono::milliseconds timeout) {
    int rc = pthread_mutex_trylock(&h.lock.mutex);
    if (rc != EBUSY) return from_rc(rc, false);
    for (int i = 0; i < kSpinTries; ++i) {
        host::cpu_relax();
        rc = pthread_mutex_trylock(&h.lock.mutex);
        if (rc != EBUSY) return from_rc(rc, true);
    }
    timespec deadline{};
    clock_gettime(CLOCK_REALTIME, &deadline);
    auto ms = timeout.count();
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1'000'000;
    if (deadline.tv_nsec >= 1'000'000'000) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1'000'000'000;
    }
    return from_rc(pthread_mutex_timedlock(&h.lock.mutex, &deadline), true);
}

void native_mark_consistent(native::BusHeader& h) {
    pthread_mutex_consistent(&h.lock.mutex);
}

void native_unlock(native::BusHeader& h) {
    pthread_mutex_unlock(&h.lock.mutex);
}

LockState native_lock_state(const native::BusHeader& h) {
    // glibc keeps the owner's TID in the futex word of a robust mutex, with the kernel's
    // FUTEX_OWNER_DIED bit set when the owner exited holding it.
    auto word = __atomic_load_n(&h.lock.mutex.__data.__lock, __ATOMIC_RELAXED);
    auto bits = static_cast<std::uint32_t>(word);
    std::uint32_t tid = bits & FUTEX_TID_MASK;
    const bool dead = (bits & FUTEX_OWNER_DIED) != 0;
    // The kernel clears the TID when it marks the owner dead: still held until recovered.
    return {tid != 0 || dead, tid, dead};
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
