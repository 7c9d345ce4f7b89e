// The native bus format. This header is the single owner of its ABI.
//
// File = one 4 KiB header page + the ring. Positions are 64-bit byte counts that only grow;
// the ring offset of a position is (pos % ring_size). Records are 8-byte aligned; frames never
// cross the end of the ring (a pad record fills the tail instead), pads may.
//
// Publication protocol (writer under the lock, readers lock-free, seqlock in spirit):
//   writer: first_pos; reserved (end of batch); fence(release);
//           write records in [committed + 16, reserved), then the next batch's gate;
//           committed (release)
//   reader: c = committed (acquire), without its fence bits; copy records below c;
//           fence(acquire); r = reserved (relaxed); a record at p is intact iff
//           r <= p + ring_size.
// So a frame is visible only once completely written, and a reader that was lapped finds
// out after the copy, before it uses anything it read. Until then a reader reads each header
// word once and bounds the copy by what it validated: a second read may see a lapping
// writer's bytes, and nothing but the record's own span keeps the copy inside the ring.
//
// Every batch opens with a 16-byte gate at `committed`: a pad record whose second word is
// the sequence number its first frame will carry. The writer that publishes a batch writes
// the next one's gate before it moves `committed`, so the gate at `committed` always tells a
// reader (starting, or resynchronising) and the next writer what comes next.
//
// Takeover (version 2): a writer that stops holding the lock (SIGSTOP, a debugger, a frozen
// cgroup) must not stop the bus, and must not be able to hurt it when it resumes.
//   - The lock is an owner word (epoch | tid). A waiter that sees the same holder for
//     longer than the stall bound while it is not running (or dead, or for far longer while
//     running) takes the word over with one compare-and-swap: the old holder is fenced.
//   - Every store a holder makes to the positions is a compare-and-swap from the value it
//     last saw. Positions only grow, and the thief moves each of them on takeover (committed
//     gets fence bits in its low three bits), so every store of a resumed holder fails.
//   - Its ring writes cannot be fenced, so they are confined: a holder writes only inside
//     its claim, [its batch's gate + 16, reserved). The gate was written by the previous
//     committer before it published; the stalled holder never writes it. The thief turns the
//     gate's first word into a pad over the whole claim (a hole), and
//     every later lap skips those ring offsets too (a pad at the gate's offset) for as long
//     as a hole entry names a stalled writer that has neither said it is done nor died.
//   - So readers never see the stalled writer's bytes: not in this lap (the hole is a pad),
//     not in later ones (nobody else writes there). Its frames are dropped and counted by
//     the stalled writer, whose commit fails with Errc::fenced.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shmif::native {

inline constexpr std::uint32_t kMagic = 0x424d4853;  // "SHMB" in the file
// 2: owner word instead of a robust mutex, gates, holes (see the top of this file).
inline constexpr std::uint16_t kVersionMajor = 2;
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

// The owner word: epoch in the high half (every acquisition and takeover bumps it), the
// holder's tid in the low half, 0 when free. A holder releases with a compare-and-swap from
// its own word, so one that was taken over learns it instead of freeing someone else's lock.
constexpr std::uint64_t owner_word(std::uint32_t epoch, std::uint32_t tid) {
    return std::uint64_t{epoch} << 32 | tid;
}
constexpr std::uint32_t owner_tid(std::uint64_t word) {
    return static_cast<std::uint32_t>(word);
}
constexpr std::uint32_t owner_epoch(std::uint64_t word) {
    return static_cast<std::uint32_t>(word >> 32);
}

struct alignas(64) LockLine {
    std::atomic<std::uint64_t> owner;
    std::atomic<std::uint64_t> held_since_ns;  // CLOCK_REALTIME the holder took it (info only)
    std::atomic<std::uint32_t> release_seq;    // futex word: bumped by a release with sleepers
    std::atomic<std::uint32_t> sleepers;       // waiters asleep on release_seq
};

// Low bits of `committed` a thief sets to fence the holder it took over (positions are
// multiples of 8, so they carry no position); readers mask them off.
inline constexpr std::uint64_t kFenceBits = 7;

struct alignas(64) Positions {             // written by the lock holder, read by everyone
    std::atomic<std::uint64_t> committed;  // every record below is complete (see kFenceBits)
    std::atomic<std::uint64_t> reserved;   // the writer may be writing anywhere below this
    std::atomic<std::uint64_t> first_pos;  // oldest record not yet overwritten
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

// Written by the lock holder, read by anyone (info). Atomics because a holder that was taken
// over may still be adding while its thief does; relaxed, since they are counts, not protocol.
struct alignas(64) WriterStats {
    std::atomic<std::uint64_t> frames;
    std::atomic<std::uint64_t> bytes;
    std::atomic<std::uint64_t> wraps;
    std::atomic<std::uint64_t> lock_recoveries;    // takeovers: from dead holders and stalled ones
    std::atomic<std::uint64_t> corrupt_repairs;    // inconsistent positions or records repaired
    std::atomic<std::uint64_t> stalled_takeovers;  // of these recoveries, holders that were alive
};

// Adds to a statistic as the holder: a plain load and store, no locked instruction. Only a
// holder taken over in between can make its add go missing.
inline void add_stat(std::atomic<std::uint64_t>& stat, std::uint64_t n) {
    stat.store(stat.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// Holes: ring regions a stalled writer may still write to. The tags share one line so that a
// writer sees at a glance whether any hole exists; each body is written only by the holder
// that created it, while its tag says "writing" and names that holder.
inline constexpr int kMaxHoles = 8;
inline constexpr int kMaxVictims = 4;
enum class HoleState : std::uint32_t { free = 0, writing = 1, active = 2 };
// tag = generation << 24 | creator tid (22 bits) << 2 | state
constexpr std::uint64_t hole_tag(std::uint64_t gen, std::uint32_t creator, HoleState state) {
    return gen << 24 | std::uint64_t{creator & 0x3fffffU} << 2 | static_cast<std::uint64_t>(state);
}
constexpr HoleState hole_state(std::uint64_t tag) {
    return static_cast<HoleState>(tag & 3U);
}
constexpr std::uint32_t hole_creator(std::uint64_t tag) {
    return static_cast<std::uint32_t>(tag >> 2) & 0x3fffffU;
}
constexpr std::uint64_t hole_gen(std::uint64_t tag) {
    return tag >> 24;
}

struct alignas(64) HoleTags {
    std::atomic<std::uint64_t> tag[kMaxHoles];
};

struct alignas(64) HoleBody {
    std::uint64_t start;     // position of the gate where it begins, in the lap it was made
    std::uint64_t len;       // bytes from the gate on (the gate included)
    std::uint64_t since_ns;  // CLOCK_REALTIME of the takeover
    std::uint32_t victims[kMaxVictims];  // tids of the stalled writers it absorbs (0: none)
    std::atomic<std::uint32_t> done;     // bit i: victims[i] learnt it was fenced and stopped
};

struct BusHeader {
    Identity id;
    LockLine lock;
    Positions pos;
    WakeLine wake;
    WriterStats stats;
    HoleTags hole_tags;
    HoleBody holes[kMaxHoles];
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

// The gate: a 16-byte pad at the start of every batch (see the top of this file). Its first
// word is the pad's, its second the sequence number of the batch's first frame.
inline constexpr std::uint64_t kGate = 16;

// A record's first word (span, then len) read as one little-endian 64-bit value.
constexpr std::uint64_t pad_word(std::uint64_t len) {
    return (len & kSpanMask) | kPadFlag;
}
// A gate's first word: a pad of kGate bytes whose (unused) len holds its position, so that
// no two gates near in time are equal (a stalled thief compares it before it replaces it).
constexpr std::uint64_t gate_word(std::uint64_t pos) {
    return pad_word(kGate) | ((pos >> 3) & 0xffffffffULL) << 32;
}

constexpr std::uint64_t record_span(std::uint64_t frame_len) {
    return (sizeof(RecordHeader) + frame_len + kAlign - 1) & ~std::uint64_t{kAlign - 1};
}

}  // namespace shmif::native
