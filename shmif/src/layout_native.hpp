// The native bus format. This header is the single owner of its ABI.
//
// File = one 4 KiB header page + the ring. Positions are 64-bit byte counts that only grow;
// the ring offset of a position is (pos % ring_size). Records are 8-byte aligned and never
// cross the end of the ring (a pad record fills the tail instead).
//
// Publication protocol (writer under the lock, readers lock-free, seqlock in spirit):
//   writer: first_pos.store; reserved.store(end of batch); fence(release);
//           write records in [committed, reserved); committed.store(reserved, release)
//   reader: c = committed.load(acquire); copy records below c; fence(acquire);
//           r = reserved.load(relaxed); a record at p is intact iff r <= p + ring_size.
// So a frame is visible only once completely written, and a reader that was lapped finds
// out after the copy, before it uses anything it read. Until then a reader reads each header
// word once and bounds the copy by what it validated: a second read may see a lapping
// writer's bytes, and nothing but the record's own span keeps the copy inside the ring.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmif::native {

inline constexpr std::uint32_t kMagic = 0x424d4853;  // "SHMB" in the file
inline constexpr std::uint16_t kVersionMajor = 1;
inline constexpr std::uint16_t kVersionMinor = 0;
inline constexpr std::uint32_t kHeaderSize = 4096;
inline constexpr std::uint64_t kMinRing = 64 * 1024;
inline constexpr std::uint64_t kMaxRing = 4ULL * 1024 * 1024 * 1024;
inline constexpr std::uint32_t kDefaultMaxFrame = 65535 + 18;  // 64 KiB payload + VLAN header
inline constexpr std::uint64_t kDefaultRing = 2 * 1024 * 1024;
inline constexpr std::uint32_t kAlign = 8;

// Feature flags: bits a reader must understand to read the ring safely.
inline constexpr std::uint32_t kFeaturesKnown = 0;

struct alignas(64) Identity {  // written once at creation, before the file is published
    std::uint32_t magic;
    std::uint16_t version_major;
    std::uint16_t version_minor;
    std::uint32_t header_size;
    std::uint32_t features;
    std::uint64_t ring_size;
    std::uint32_t max_frame;
    std::uint32_t reserved0;
    std::uint64_t created_ns;  // CLOCK_REALTIME
};

struct alignas(64) LockLine {
    pthread_mutex_t mutex;  // process-shared, robust: a dead owner is reported to the next locker
};

struct alignas(64) Positions {             // written by the lock holder, read by everyone
    std::atomic<std::uint64_t> committed;  // every record below is complete
    std::atomic<std::uint64_t> reserved;   // the writer may be writing anywhere below this
    std::atomic<std::uint64_t> first_pos;  // oldest record not yet overwritten
    std::atomic<std::uint64_t> next_seq;   // sequence number of the frame at `committed`
    // Odd while the writer updates (committed, next_seq) together: lets a reader take a
    // consistent pair (when it starts or resynchronises) without the lock.
    std::atomic<std::uint64_t> commit_ver;
};

struct alignas(64) WakeLine {                  // written by sleepers, read by writers
    std::atomic<std::uint32_t> wake_seq;       // futex word, bumped on every wake-up
    std::atomic<std::uint32_t> futex_waiters;  // readers inside a futex wait (statistics)
    std::atomic<std::uint32_t> poll_waiters;   // readers waiting on the inotify fd (statistics)
    std::uint32_t poll_word;                   // rewritten by pwrite() to wake inotify fds
    // Set by a reader about to sleep, taken (exchanged to 0) by the writer that wakes it:
    // one wake-up system call per sleep, not one per commit until the sleeper runs.
    std::atomic<std::uint32_t> need_futex_wake;
    std::atomic<std::uint32_t> need_poll_wake;
};

struct alignas(64) WriterStats {  // under the lock
    std::uint64_t frames;
    std::uint64_t bytes;
    std::uint64_t wraps;
    std::uint64_t lock_recoveries;  // dead lock owners recovered from
    std::uint64_t corrupt_repairs;  // inconsistent positions or records the writer repaired
};

struct BusHeader {
    Identity id;
    LockLine lock;
    Positions pos;
    WakeLine wake;
    WriterStats stats;
};
static_assert(sizeof(BusHeader) <= kHeaderSize);
static_assert(offsetof(BusHeader, lock) == 64);
static_assert(offsetof(BusHeader, pos) % 64 == 0 && offsetof(BusHeader, wake) % 64 == 0);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// A record in the ring. Pads carry only the first word.
struct RecordHeader {
    std::uint32_t span;  // bytes to the next record; kPadFlag marks a pad
    std::uint32_t len;   // frame bytes that follow the header
    std::uint64_t seq;
    std::uint64_t sender;
    std::uint64_t time_ns;  // CLOCK_REALTIME when the batch was sent
};
static_assert(sizeof(RecordHeader) == 32);
inline constexpr std::uint32_t kPadFlag = 0x80000000U;
inline constexpr std::uint32_t kSpanMask = ~kPadFlag;

constexpr std::uint64_t record_span(std::uint64_t frame_len) {
    return (sizeof(RecordHeader) + frame_len + kAlign - 1) & ~std::uint64_t{kAlign - 1};
}

}  // namespace shmif::native
