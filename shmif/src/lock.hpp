// The bus locks. Native: a process-shared robust mutex, so the kernel tells the next locker
// when the holder died. NetBSD: the format's compare-and-swap word, which records no owner.
#pragma once

#include <chrono>
#include <cstdint>

#include "bus_impl.hpp"

namespace shmif {

enum class LockOutcome : std::uint8_t {
    acquired,
    recovered,  // the previous holder died holding it; the caller must repair, then proceed
    timeout,
    unusable,  // the mutex is beyond repair (ENOTRECOVERABLE); the bus must be recreated
};

struct LockAttempt {
    LockOutcome outcome;
    bool contended;
};

void native_mutex_init(native::BusHeader& h);
// Does the mutex still carry the type native_mutex_init gave it? A mutex overwritten with
// other bytes must not be locked: glibc may refuse it, or wait on it for the whole timeout.
bool native_mutex_intact(const native::BusHeader& h);
LockAttempt native_lock(native::BusHeader& h, std::chrono::milliseconds timeout);
void native_mark_consistent(native::BusHeader& h);
void native_unlock(native::BusHeader& h);
// Reads the owner out of the mutex word without taking it (for `shmifbus info`).
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
