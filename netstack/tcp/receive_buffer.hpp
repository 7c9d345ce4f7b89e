// What the peer sent, in order and not yet read, plus segments that arrived ahead of a hole
// (the out-of-order queue, at most `max_segments` of them). All of it stays within
// `capacity` bytes, the window we offer, so a peer cannot make it hold more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tcp/byte_queue.hpp"

namespace netstack::tcp {

class ReceiveBuffer {
  public:
    ReceiveBuffer(std::size_t capacity, std::size_t max_segments)
        : capacity_(capacity), max_segments_(max_segments) {}

    struct Added {
        std::size_t in_order = 0;  // bytes now readable that were not before (rcv_nxt moves)
        bool queued = false;       // held out of order
        bool queue_full = false;   // out of order, but the queue was full: dropped
    };
    // Data starting `offset` bytes past the next expected byte (already trimmed to the
    // window by the caller).
    Added add(std::size_t offset, std::span<const std::byte> data);
    // The first min(max, readable()) readable bytes in place, for a reader that moves them
    // itself and then drops what it took; valid until the next call that changes the buffer.
    std::span<const std::byte> front(std::size_t max) const;
    void drop(std::size_t n);
    // The readable byte `offset` bytes ahead of the reader (offset < readable()).
    std::byte at(std::size_t offset) const { return data_.at(offset); }
    void discard_all();
    // Gives the storage back if nothing is held, in order or out of it.
    void release_if_empty();

    std::size_t readable() const { return data_.size(); }
    // Room for new data: the window (out-of-order bytes are inside it, not extra).
    std::size_t free() const { return capacity_ > readable() ? capacity_ - readable() : 0; }
    std::size_t capacity() const { return capacity_; }
    void set_capacity(std::size_t capacity) { capacity_ = std::max(capacity, capacity_); }
    std::size_t out_of_order_segments() const { return ooo_.size(); }
    // Storage held, in bytes: the in-order queue's and the out-of-order segments'.
    std::size_t allocated() const;
    // Blocks held out of order as offsets past the next expected byte, for SACK.
    struct Block {
        std::size_t offset;
        std::size_t len;
    };
    std::vector<Block> out_of_order_blocks() const;

  private:
    struct Segment {
        std::size_t offset;  // from the next expected byte
        std::vector<std::byte> bytes;
    };

    ByteQueue data_;            // in order, readable
    std::vector<Segment> ooo_;  // sorted by offset, not overlapping
    std::size_t capacity_;
    std::size_t max_segments_;
};

}  // namespace netstack::tcp
