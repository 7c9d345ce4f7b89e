// Frames a worker took off the bus before its stack could take them. A worker that is about
// to write a burst reads first what its cursor has not reached yet, if the burst could
// overwrite it (ShardLink's read-ahead): otherwise a busy worker laps its own cursor and
// loses what others sent it, the very ACKs and window updates that clock its sending. The
// stack then takes the frames from here, oldest first, before anything newer.
//
// Bounded: a push that does not fit keeps what fits, and the rest stays on the bus, to be
// overrun and counted there. Memory is taken at the first push, never before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "shmif/frame.hpp"

namespace shmifd {

class FrameBacklog {
  public:
    explicit FrameBacklog(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

    // Copies the frames in, in order, as long as they fit; returns how many were kept.
    // Views handed out by pop() stay valid: the copy never moves what is already held.
    std::size_t push(std::span<const shmif::Frame> frames);
    // Removes up to `n` of the oldest frames and returns views of them, valid until the next
    // pop() (push() may come in between).
    std::span<const shmif::Frame> pop(std::size_t n);

    bool empty() const { return held_.empty(); }
    std::size_t frames() const { return held_.size(); }
    // Bytes a push can still take (frames are held back to back, reused once popped).
    std::size_t room() const { return capacity_ - end_; }

  private:
    struct Held {
        std::size_t offset;  // in arena_
        shmif::Frame meta;   // data/capacity unset: built by pop()
    };
    std::size_t capacity_;
    // capacity_ bytes from the first push on, never moved; not zeroed, so pages are touched
    // only as frames fill them.
    std::unique_ptr<std::byte[]> arena_;
    std::size_t begin_ = 0;  // bytes before this were popped
    std::size_t end_ = 0;    // the next push writes here
    std::deque<Held> held_;
    std::vector<shmif::Frame> views_;
};

}  // namespace shmifd
