// Sending frames onto a bus.
//
// Ownership of ring space is handed out by acquire/release, never as loose pointers: a
// SendBatch holds the bus lock from Writer::begin() until commit() or its destruction, and
// every slot it hands out becomes visible to readers at once, at commit, in order (a batch
// that outgrows a quarter of the ring publishes what it has so far, then goes on).
//
// Native format: a writer that stops holding the lock (SIGSTOP, a debugger breakpoint in the
// code that fills a slot, a frozen cgroup) holds the others up for stall_bound, then they take
// the lock over. When it resumes, nothing it writes reaches a reader: its batch is dropped,
// and acquire() or commit() say so with Errc::fenced (stats().fenced_batches counts them).
//
// A Writer (and its SendBatch) is used by one thread at a time; give each thread its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "shmif/bus.hpp"
#include "shmif/frame.hpp"

namespace shmif {

struct WriterOptions {
    std::uint64_t sender = 0;  // 0 = a random id
    // How long to wait for a live lock holder before giving up with lock_timeout. A dead
    // holder is detected and recovered from at once (native) or after netbsd_steal_after.
    std::chrono::milliseconds lock_timeout{1000};
    // Native format: a holder seen holding the lock this long while not running (stopped,
    // traced, frozen, asleep) is taken over; a dead one at once.
    std::chrono::milliseconds stall_bound{10};
    // Native format: a holder that keeps the lock this long is taken over even while running.
    std::chrono::milliseconds busy_bound{500};
    // NetBSD format only: a lock held this long is presumed abandoned and broken (NetBSD's
    // lock word records no owner, so nothing better is possible).
    std::chrono::milliseconds netbsd_steal_after{1000};
};

struct WriterStats {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t batches = 0;
    std::uint64_t lock_contended = 0;     // lock was busy on the first try
    std::uint64_t lock_recoveries = 0;    // we took over from a dead (or stalled) holder
    std::uint64_t stalled_takeovers = 0;  // of these, from holders that were alive
    std::uint64_t fenced_batches = 0;     // our batches dropped because we were taken over
    std::uint64_t fenced_frames = 0;      // the frames in them
    std::uint64_t wakeups = 0;            // wake-up system calls made (futex or pwrite)
    std::uint64_t rejected = 0;           // frames refused (too large)
};

class Writer;
struct WriterNative;

class SendBatch {
  public:
    SendBatch(SendBatch&& other) noexcept;
    SendBatch& operator=(SendBatch&&) = delete;
    SendBatch(const SendBatch&) = delete;
    ~SendBatch();  // commits what was acquired

    // A slot of `len` bytes for the next frame, to be filled in place before the next
    // acquire() or commit(). Zero copy on the native format; the NetBSD ring may split a frame
    // across its end, so there the slot is a staging buffer copied in at the next call.
    std::expected<std::span<std::byte>, Error> acquire(std::size_t len);
    // Takes back the frame of the last acquire(), which is then never sent: for a copy that
    // turned out torn (a peeked view that Cursor::still_valid() no longer vouches for). On
    // the native format its space stays in the ring as padding, which readers skip, and the
    // sequence numbers stay contiguous. Does nothing when there is nothing to take back.
    void drop_last();
    // Publishes every acquired frame, releases the lock, wakes sleeping readers. Idempotent.
    // Returns the frames published; fewer than acquired when the batch was taken over while
    // it stalled (native format), and then failure() says why.
    std::size_t commit();
    // Errc::fenced once this batch was taken over; nothing after that reaches a reader.
    std::optional<Error> failure() const { return failure_; }

  private:
    friend class Writer;
    struct WriterNative;
    explicit SendBatch(Writer& writer) : writer_(&writer) {}
    void flush_staged();
    // Native format:
    bool fence_check();      // still ours? else records why and lets go
    void fail(Errc code);    // the batch is dropped from here on
    bool skip_obstacle();    // past the ring's end or a hole
    bool close_claim();      // gate at write_pos_ and publish
    bool publish_so_far();   // a batch past a quarter ring publishes early
    void count_published();  // header statistics, still under the lock

    Writer* writer_;
    std::size_t frames_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t write_pos_ = 0;  // native: next record position
    std::uint64_t write_off_ = 0;  // native: its ring offset, kept without dividing
    std::uint64_t seq_ = 0;        // native: seq of the next frame
    std::uint64_t wraps_ = 0;
    std::uint64_t time_ns_ = 0;
    std::uint64_t gate_ = 0;  // native: the gate this batch opened at
    std::uint64_t limit_off_ =
        0;  // native: the next obstacle (ring end or hole) at/after write_off_
    std::uint64_t published_ = 0;  // native: frames already out (publish_so_far)
    std::uint64_t published_bytes_ = 0;
    std::optional<Error> failure_;
    bool staged_ = false;          // netbsd: a frame waits in the staging buffer
    std::uint64_t last_span_ = 0;  // the last acquire(), for drop_last()
    std::size_t last_len_ = 0;     // 0: nothing to take back
};

class Writer {
  public:
    Writer(const Bus& bus, WriterOptions opts = {});
    ~Writer();
    Writer(Writer&&) noexcept;
    Writer& operator=(Writer&&) noexcept;

    std::uint64_t sender() const { return opts_.sender; }
    const WriterStats& stats() const { return stats_; }

    // Takes the bus lock (spinning first) and opens a batch.
    std::expected<SendBatch, Error> begin();
    std::expected<void, Error> send(FrameBytes frame);
    // All frames under one lock and one wake-up. Frames larger than the bus allows are
    // skipped and counted in stats().rejected; the result is the number sent.
    std::expected<std::size_t, Error> send_batch(std::span<const FrameBytes> frames);

  private:
    friend class SendBatch;
    std::expected<void, Error> lock_native(SendBatch& batch);

    Bus::Impl* bus_;
    WriterOptions opts_;
    std::unique_ptr<WriterNative> native_;  // what a native lock holder knows
    WriterStats stats_;
    std::vector<std::byte> staging_;  // netbsd: the frame being filled
};

}  // namespace shmif
