// The bytes accepted by tcp_send and not yet acknowledged: sent-but-unacknowledged (the
// retransmission queue) followed by not-yet-sent, contiguous so any range can be sent as
// one segment. Bounded by `capacity`.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace netstack::tcp {

class SendBuffer {
  public:
    explicit SendBuffer(std::size_t capacity) : capacity_(capacity) {}
    // Copies what fits; returns how much.
    std::size_t write(std::span<const std::byte> data);
    // Drops the first n bytes (acknowledged).
    void consume(std::size_t n);
    // Bytes [offset, offset + len) clipped to what is held.
    std::span<const std::byte> peek(std::size_t offset, std::size_t len) const;
    std::size_t size() const { return data_.size() - head_; }
    std::size_t capacity() const { return capacity_; }
    std::size_t free() const { return capacity_ > size() ? capacity_ - size() : 0; }
    void set_capacity(std::size_t capacity) { capacity_ = capacity; }

  private:
    std::vector<std::byte> data_;
    std::size_t head_ = 0;  // data_[head_, end) is held
    std::size_t capacity_;
};

}  // namespace netstack::tcp
