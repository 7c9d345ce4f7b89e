// One interface as one worker sees it: its own cursor on the bus (every worker reads every
// frame) and its own BusDevice (every worker sends on its own), sharing the interface's
// sender id so each cursor skips what any worker of this interface sent. A loopback link
// (loopback_link.hpp) reads everything instead: there, what a worker sent is for the workers,
// itself included.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "frame_backlog.hpp"
#include "impaired_device.hpp"
#include "ingress_impairment.hpp"
#include "netstack/bus_device.hpp"
#include "netstack/stack.hpp"
#include "shmif/cursor.hpp"

namespace shmifd {

// Shared by the links of one interface (one per worker): whether the bus's broken header
// has been logged, so that it is logged once per breakage, not once per worker or frame.
struct BusAlarm {
    std::atomic<bool> raised{false};
};

class ShardLink {
  public:
    // Built on the control thread, then handed to the worker inside a stop. The bus must
    // outlive the link.
    enum class OwnFrames : std::uint8_t { skip, receive };
    ShardLink(std::string name, const shmif::Bus& bus, std::uint64_t sender,
              std::shared_ptr<BusAlarm> alarm = std::make_shared<BusAlarm>(),
              OwnFrames own = OwnFrames::skip);

    const std::string& name() const { return name_; }
    netstack::BusDevice& device() { return device_; }
    const netstack::BusDevice& device() const { return device_; }
    // What the stack sends through: the bus device behind the egress impairment.
    ImpairedDevice& stack_device() { return egress_; }
    ImpairSlot& impairment(ImpairDirection d) {
        return d == ImpairDirection::egress ? egress_.slot() : ingress_.slot();
    }
    const ImpairSlot& impairment(ImpairDirection d) const {
        return d == ImpairDirection::egress ? egress_.slot() : ingress_.slot();
    }
    // When the next held frame (either direction) is due.
    std::optional<shmif::impair::Instant> next_due() const;
    const shmif::Cursor& cursor() const { return cursor_; }
    netstack::InterfaceId id = 0;  // in this worker's stack, set when attached

    // Reads up to `budget` frames into the link's buffers, those read ahead first; returns
    // those for the stack (after the ingress impairment, if any: then also frames read
    // earlier that are due now). On a native bus, frames `stack` calls another shard's
    // (Stack::owned_elsewhere) are passed by in the ring, never copied.
    std::span<const shmif::Frame> receive(std::size_t budget, shmif::impair::Instant now,
                                          const netstack::Stack& stack);
    // Sleep support: see engine::Source::arm.
    bool arm(shmif::Cursor::WaitSpec& spec);
    void disarm();
    // Frames not handed to the stack yet: read ahead, or on the bus past the cursor (cheap).
    bool pending() const { return !backlog_.empty() || cursor_.poll(); }
    // Frames the cursor has passed, its own sender's (skipped) included.
    std::uint64_t frames_seen() const {
        return cursor_.stats().frames + cursor_.stats().skipped_own;
    }
    // Frames read ahead of the stack so that our own sends would not overwrite them.
    std::uint64_t read_ahead() const { return read_ahead_; }
    // Frames passed by uncopied as another shard's.
    std::uint64_t passed() const { return passed_; }

  private:
    // BusDevice's before_write: takes in what the cursor has not read yet when a batch of
    // `bytes` in `frames` could reach it (see frame_backlog.hpp).
    void read_ahead(std::size_t bytes, std::size_t frames);
    // Peeks at up to `count` frames in the ring and copies out those `stack` may own.
    std::size_t receive_steered(std::size_t count, const netstack::Stack& stack);
    // The device's health observer: logs a corrupt header at error level when sending starts
    // failing because of it, and at info level when sending works again.
    void report_health(const std::optional<shmif::Error>& error);

    std::string name_;
    const shmif::Bus* bus_;
    std::shared_ptr<BusAlarm> alarm_;
    shmif::Cursor cursor_;
    netstack::BusDevice device_;
    ImpairedDevice egress_{device_};
    IngressImpairment ingress_;
    std::vector<std::byte> storage_;
    std::vector<shmif::Frame> frames_;
    // Native buses only: there a peeked frame is read in place (NetBSD's peek copies anyway).
    bool steer_ = false;
    std::vector<shmif::FrameView> views_;
    std::uint64_t passed_ = 0;
    FrameBacklog backlog_;
    // Read-ahead's own buffers (frames_ may be in use), made at its first use, not zeroed.
    std::unique_ptr<std::byte[]> ahead_storage_;
    std::vector<shmif::Frame> ahead_frames_;
    std::uint64_t read_ahead_ = 0;
    bool armed_ = false;
};

}  // namespace shmifd
