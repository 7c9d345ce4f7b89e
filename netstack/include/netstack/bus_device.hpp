// The stack on a shmif bus: BusDevice transmits through a shmif::Writer, BusPort reads a
// shmif::Cursor into Stack::receive(). Target netstack_shmif (links libshmif).
//
// The sender rule: a bus delivers every frame to every cursor, the writer's own included. A
// stack must not read back what it sent (it would count drop_own_source for every frame it
// ever sent, and ARP would see its own requests), so the cursor feeding an interface must be
// made with CursorOptions::skip_sender = that interface's BusDevice::sender(). BusPort does
// this itself; anyone building their own loop must do the same.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "netstack/device.hpp"
#include "netstack/stack.hpp"
#include "netstack/time.hpp"
#include "shmif/bus.hpp"
#include "shmif/cursor.hpp"
#include "shmif/error.hpp"
#include "shmif/frame.hpp"
#include "shmif/writer.hpp"

namespace netstack {

struct BusDeviceStats {
    std::uint64_t queued = 0;              // frames accepted into a batch
    std::uint64_t batches = 0;             // send_batch() calls made
    std::uint64_t sent = 0;                // frames the writer put on the bus
    std::uint64_t dropped_batch_full = 0;  // unused: a full batch is flushed, not dropped
    std::uint64_t dropped_too_large = 0;   // longer than the bus's max_frame()
    std::uint64_t dropped_send_error = 0;  // lost with a failed batch (lock timeout, ...)
    shmif::Errc last_error{};              // of the last failed batch (0: none yet)
};

// A Device on a shmif bus. transmit() copies the frame into a batch; flush() puts the whole
// batch on the bus under one lock and one wake-up (Writer::send_batch). The stack calls
// flush() at the end of every receive() (of a Stack::ReceiveBatch, when one is open) and
// poll(); callers that send from outside those (udp_send, ping_send) flush themselves when
// they want the frames out at once. The Bus is borrowed and must outlive the device. One
// thread at a time, like the Stack that uses it.
class BusDevice : public Device {
  public:
    static constexpr std::size_t default_batch_frames = 64;

    explicit BusDevice(const shmif::Bus& bus, shmif::WriterOptions options = {},
                       std::size_t batch_frames = default_batch_frames);

    // Refused (TxStatus::dropped, counted) when the frame is longer than the bus carries. A
    // batch that already holds batch_frames frames is flushed first.
    TxStatus transmit(std::span<const std::byte> frame) override;
    void flush() override;
    std::size_t max_frame() const override { return max_frame_; }

    // Told when sending starts failing with a new error (the error) and when it works again
    // (nullopt): a place to report a broken bus once, not once per frame. Runs on the
    // device's thread, inside flush().
    using HealthObserver = std::function<void(std::optional<shmif::Error>)>;
    void on_health_change(HealthObserver observer) { observer_ = std::move(observer); }

    // Told just before a batch goes on the bus, with its payload bytes and frame count: the
    // place where a reader of the same bus takes in what it has not read yet, so that this
    // batch cannot overwrite it (the daemon's read-ahead). Runs inside flush().
    using BeforeWrite = std::function<void(std::size_t bytes, std::size_t frames)>;
    void before_write(BeforeWrite hook) { before_write_ = std::move(hook); }

    // The writer's sender id: what the matching cursor skips.
    std::uint64_t sender() const { return writer_.sender(); }
    const shmif::WriterStats& writer_stats() const { return writer_.stats(); }
    const BusDeviceStats& stats() const { return stats_; }
    std::size_t pending() const { return spans_.size(); }

  private:
    shmif::Writer writer_;
    std::size_t max_frame_;
    std::size_t batch_frames_;
    std::vector<std::byte> arena_;                            // queued frames, back to back
    std::vector<std::pair<std::size_t, std::size_t>> spans_;  // (offset, length) in arena_
    std::vector<shmif::FrameBytes> batch_;                    // built at flush(), reused
    BusDeviceStats stats_;
    std::optional<shmif::Errc> failing_;  // the error of the last flush, while they fail
    HealthObserver observer_;
    BeforeWrite before_write_;
};

struct BusPortStats {
    std::uint64_t frames = 0;     // handed to the stack
    std::uint64_t truncated = 0;  // longer than the port's buffers: dropped, not half-handled
    std::uint64_t polls = 0;      // pump calls that found frames
};

// Feeds one stack interface from a bus: receive a batch from the cursor, Stack::receive()
// each frame, then flush the device so replies leave in one batch. Used by tools (shmifhost)
// and tests. Borrows bus, stack and device; they must outlive the port.
class BusPort {
  public:
    static constexpr std::size_t default_batch = 16;

    // The cursor skips `device.sender()` (see the sender rule above) and starts at `start`.
    BusPort(const shmif::Bus& bus, Stack& stack, InterfaceId interface, BusDevice& device,
            shmif::StartAt start = shmif::StartAt::next, std::size_t batch = default_batch);

    // Handles what the bus holds right now, up to `max_batches` batches. Never blocks.
    // Returns the frames handed to the stack.
    std::size_t pump(Instant now, std::size_t max_batches = 16);
    // Waits up to `timeout` for the first frame, then as pump(). The stack is given
    // steady_clock::now() taken after the wait (this is an edge adapter; the stack itself
    // still reads no clock). timed_out when nothing came.
    std::expected<std::size_t, shmif::Error> pump_wait(std::chrono::nanoseconds timeout);

    shmif::Cursor& cursor() { return cursor_; }
    const BusPortStats& stats() const { return stats_; }

  private:
    std::size_t handle(std::size_t count, Instant now);

    Stack& stack_;
    InterfaceId interface_;
    BusDevice& device_;
    shmif::Cursor cursor_;
    std::vector<std::byte> storage_;
    std::vector<shmif::Frame> frames_;
    BusPortStats stats_;
};

// The loop body BusPort runs, for callers with their own cursor and buffers (the cursor must
// skip the device's sender): Stack::receive() for each of `frames` that arrived whole, as
// one Stack::ReceiveBatch, then device.flush(). Returns the frames handed on; truncated ones
// are skipped.
std::size_t feed_stack(std::span<const shmif::Frame> frames, Stack& stack, InterfaceId interface,
                       Device& device, Instant now);

}  // namespace netstack
