// Sending frames onto a bus.
//
// Ownership of ring space is handed out by acquire/release, never as loose pointers: a
// SendBatch holds the bus lock from Writer::begin() until commit() or its destruction, and
// every slot it hands out becomes visible to readers at once, at commit, in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
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
    // NetBSD format only: a lock held this long is presumed abandoned and broken (NetBSD's
    // lock word records no owner, so nothing better is possible).
    std::chrono::milliseconds netbsd_steal_after{1000};
};

struct WriterStats {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    std::uint64_t batches = 0;
    std::uint64_t lock_contended = 0;   // lock was busy on the first try
    std::uint64_t lock_recoveries = 0;  // we took over from a dead holder
    std::uint64_t wakeups = 0;          // wake-up system calls made (futex or pwrite)
    std::uint64_t rejected = 0;         // frames refused (too large)
};

class Writer;

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
    std::size_t commit();

  private:
    friend class Writer;
    explicit SendBatch(Writer& writer) : writer_(&writer) {}
    void flush_staged();

    Writer* writer_;
    std::size_t frames_ = 0;
    std::uint64_t bytes_ = 0;
    std::uint64_t write_pos_ = 0;  // native: next record position
    std::uint64_t write_off_ = 0;  // native: its ring offset, kept without dividing
    std::uint64_t seq_ = 0;        // native: seq of the next frame
    std::uint64_t wraps_ = 0;
    std::uint64_t time_ns_ = 0;
    bool staged_ = false;          // netbsd: a frame waits in the staging buffer
    std::uint64_t last_span_ = 0;  // the last acquire(), for drop_last()
    std::size_t last_len_ = 0;     // 0: nothing to take back
};

class Writer {
  public:
    Writer(const Bus& bus, WriterOptions opts = {});

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
    Bus::Impl* bus_;
    WriterOptions opts_;
    WriterStats stats_;
    std::vector<std::byte> staging_;  // netbsd: the frame being filled
};

}  // namespace shmif
