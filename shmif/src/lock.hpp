// The bus locks. Native: an owner word naming the holder's thread, so that a waiter can tell a
// dead or stalled holder and take the lock over (layout_native.hpp says why that is safe).
// NetBSD: the format's compare-and-swap word, which records no owner.
#pragma once

#include <chrono>
#include <cstdint>

#include "bus_impl.hpp"

namespace shmif {

enum class LockOutcome : std::uint8_t {
    acquired,
    recovered,  // NetBSD: the word was held past steal_after and was broken
    timeout,
};

struct LockAttempt {
    LockOutcome outcome;
    bool contended;
};

// ---- native: the owner word (layout_native.hpp) ----

// Takes the lock if it is free; our owner word, or 0.
std::uint64_t native_try_lock(native::BusHeader& h);
// Releases it and wakes sleeping waiters; false when we no longer held it (taken over).
bool native_release(native::BusHeader& h, std::uint64_t mine);
// Takes the lock over from the holder whose word is `holder`; our word, or 0 when the word
// changed meanwhile (the holder released it, or someone else took it).
std::uint64_t native_take_over(native::BusHeader& h, std::uint64_t holder);
// Is the lock still ours? One load: cheap enough for every acquire().
inline bool native_still_held(const native::BusHeader& h, std::uint64_t mine) {
    return h.lock.owner.load(std::memory_order_relaxed) == mine;
}

// A thread's state as /proc shows it. Tids are the caller's pid namespace's: a bus shared
// across pid namespaces is outside what takeovers can judge (they see every holder as dead).
enum class ThreadState : std::uint8_t { running, stopped, dead };
struct ThreadProbe {
    ThreadState state;
    char letter;  // /proc state letter: R, S, D, T, t, ... (0 when dead)
};
ThreadProbe probe_thread(std::uint32_t tid);
// The process a thread belongs to (its thread group), 0 when it is gone.
std::uint32_t thread_pid(std::uint32_t tid);

struct NativeLockPolicy {
    std::chrono::milliseconds timeout;      // give up with lock_timeout
    std::chrono::milliseconds stall_bound;  // take over a holder not running for this long
    std::chrono::milliseconds busy_bound;   // take over even a running holder after this
};

// Waiting for the native lock: spin, then sleep on release_seq in steps of at most 1 ms,
// watching the holder. next() returns when the lock is ours, when the holder may be taken
// over (dead; or seen holding it for stall_bound while not running, or for busy_bound), or
// at the timeout. The takeover itself is the caller's (it must prepare a hole first).
class NativeLockWait {
  public:
    enum class Step : std::uint8_t { acquired, take_over, timeout };
    NativeLockWait(native::BusHeader& h, NativeLockPolicy policy);
    Step next();
    // After take_over failed for want of room: do not offer this holder again for a while.
    void defer();
    std::uint64_t mine() const { return mine_; }      // after acquired
    std::uint64_t holder() const { return holder_; }  // after take_over
    ThreadState holder_state() const { return probe_.state; }
    bool contended() const { return contended_; }

  private:
    native::BusHeader& h_;
    NativeLockPolicy policy_;
    std::uint64_t start_ns_ = 0;  // when the spin ended
    std::uint64_t mine_ = 0;
    std::uint64_t holder_ = 0;        // the holder being watched
    std::uint64_t holder_since_ = 0;  // when we first saw it
    std::uint64_t probed_at_ = 0;
    std::uint64_t deferred_until_ = 0;
    ThreadProbe probe_{ThreadState::running, 'R'};
    int spins_ = 0;
    bool contended_ = false;
};

// Reads the holder out of the owner word without taking it (for `shmifbus info`).
struct LockState {
    bool locked;
    std::uint32_t owner_tid;
    bool owner_dead;
};
LockState native_lock_state(const native::BusHeader& h);

// NetBSD: spins, then sleeps in short steps. A word seen locked on every probe for
// steal_after is presumed abandoned and taken over (outcome recovered).
LockAttempt netbsd_lock(netbsd::BusHeader& h, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds steal_after);
void netbsd_unlock(netbsd::BusHeader& h);

}  // namespace shmif
