// The bytes accepted by tcp_send and not yet acknowledged: sent-but-unacknowledged (the
// retransmission queue) followed by not-yet-sent, contiguous so any range can be sent as
// one segment. Bounded by `capacity`. A splice fills it in place: reserve, then commit
// what a read(2) put there.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>

#include "tcp/byte_queue.hpp"

namespace netstack::tcp {

class SendBuffer {
  public:
    explicit SendBuffer(std::size_t capacity) : capacity_(capacity) {}

    // Room for up to min(n, free()) more bytes, not yet held: fill a prefix and commit it.
    // Valid until the next call that changes the buffer.
    std::span<std::byte> reserve(std::size_t n) { return bytes_.reserve(std::min(n, free())); }
    void commit(std::size_t n) { bytes_.commit(n); }
    // Drops the first n bytes (acknowledged).
    void consume(std::size_t n) { bytes_.consume(n); }
    // Bytes [offset, offset + len) clipped to what is held.
    std::span<const std::byte> peek(std::size_t offset, std::size_t len) const {
        return bytes_.view(offset, len);
    }
    std::size_t size() const { return bytes_.size(); }
    std::size_t capacity() const { return capacity_; }
    std::size_t allocated() const { return bytes_.allocated(); }
    std::size_t free() const { return capacity_ > size() ? capacity_ - size() : 0; }
    void set_capacity(std::size_t capacity) { capacity_ = capacity; }
    // Gives the storage back if nothing is held.
    void release_if_empty() { bytes_.release_if_empty(); }

  private:
    ByteQueue bytes_;
    std::size_t capacity_;
};

}  // namespace netstack::tcp
