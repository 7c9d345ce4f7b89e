// Devices that live in memory, for tests, simulations and benchmarks: a MemoryDevice records
// what a stack transmits, a MemoryHub joins several stacks like one shared Ethernet segment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "netstack/device.hpp"
#include "netstack/stack.hpp"
#include "netstack/time.hpp"

namespace netstack {

using FrameBuffer = std::vector<std::byte>;

// A device whose "wire" is a queue of copies. Frames stay queued, oldest first, until the
// owner pops them (a test inspecting output, or a MemoryHub carrying them on).
class MemoryDevice : public Device {
  public:
    static constexpr std::size_t ethernet_max_frame = 1514;

    explicit MemoryDevice(std::size_t max_frame = ethernet_max_frame) : max_frame_(max_frame) {}

    // Copies the frame into the queue, or refuses it (counted in refused()) when refusing is
    // switched on or the frame is larger than max_frame(), as a real link would.
    TxStatus transmit(std::span<const std::byte> frame) override;
    void flush() override { ++flushes_; }
    std::size_t max_frame() const override { return max_frame_; }

    void set_max_frame(std::size_t max_frame) { max_frame_ = max_frame; }
    // While on, every transmit() returns TxStatus::dropped (to test the stack's tx_dropped).
    void set_refuse(bool refuse) { refuse_ = refuse; }

    const std::deque<FrameBuffer>& frames() const { return frames_; }
    bool empty() const { return frames_.empty(); }
    std::size_t size() const { return frames_.size(); }
    // The oldest queued frame, removed from the queue.
    std::optional<FrameBuffer> pop();
    // Every queued frame, oldest first; the queue is left empty.
    std::vector<FrameBuffer> take_all();
    void clear() { frames_.clear(); }

    std::uint64_t transmitted() const { return transmitted_; }  // frames accepted, ever
    std::uint64_t refused() const { return refused_; }
    std::uint64_t flushes() const { return flushes_; }

  private:
    std::size_t max_frame_;
    bool refuse_ = false;
    std::deque<FrameBuffer> frames_;
    std::uint64_t transmitted_ = 0;
    std::uint64_t refused_ = 0;
    std::uint64_t flushes_ = 0;
};

// A hub of MemoryDevices: every frame one member transmits reaches every other member's
// stack (never its sender's), as on a shared Ethernet segment or a shmif bus. Nothing moves
// until deliver() is called, so a test decides when the wire runs. The hub borrows the
// stacks and devices: they must outlive it.
class MemoryHub {
  public:
    struct Member {
        Stack* stack;
        InterfaceId interface;
        MemoryDevice* device;  // the bottom of whatever the stack transmits through
    };

    // `device` is the MemoryDevice at the bottom of the interface's Device (it may be wrapped
    // in middleware); the hub drains it.
    void attach(Stack& stack, InterfaceId interface, MemoryDevice& device);
    const std::vector<Member>& members() const { return members_; }

    // Carries every queued frame to the other members (Stack::receive at `now`), then again
    // for what those frames made the stacks send, until the wire is quiet or `max_rounds`
    // rounds have run (a forwarding loop would otherwise never end). Returns the number of
    // deliveries (one frame reaching two members counts two).
    std::size_t deliver(Instant now, std::size_t max_rounds = 64);
    // Frames still queued on members' devices (non-zero after deliver() hit its bound).
    std::size_t queued() const;

  private:
    std::vector<Member> members_;
};

}  // namespace netstack
