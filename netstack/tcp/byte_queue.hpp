// Bytes appended at the back and consumed at the front, held contiguously (a segment is
// one span of it), in raw storage: room reserved for a read(2) to fill is not zeroed first.
// The consumed front is reclaimed only when the back runs out of room, and the storage grows
// geometrically, so each byte is moved at most a bounded number of times.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace netstack::tcp {

class ByteQueue {
  public:
    std::size_t size() const { return tail_ - head_; }
    std::size_t allocated() const { return allocated_; }  // storage held, in bytes
    bool empty() const { return tail_ == head_; }
    // n bytes of room after what is held, not yet held: the caller fills a prefix and
    // commits it. Valid until the next call that changes the queue.
    std::span<std::byte> reserve(std::size_t n);
    void commit(std::size_t n);
    void append(std::span<const std::byte> data);
    // Held bytes [offset, offset + len), clipped to what is held.
    std::span<const std::byte> view(std::size_t offset, std::size_t len) const;
    std::byte at(std::size_t offset) const { return storage_[head_ + offset]; }
    void consume(std::size_t n);
    void clear() { head_ = tail_ = 0; }
    // Gives the storage back if nothing is held (the next reserve allocates anew).
    void release_if_empty();

  private:
    std::unique_ptr<std::byte[]> storage_;
    std::size_t allocated_ = 0;
    std::size_t head_ = 0;  // storage_[head_, tail_) is held
    std::size_t tail_ = 0;
};

}  // namespace netstack::tcp
