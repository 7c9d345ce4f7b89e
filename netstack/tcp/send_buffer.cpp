#include "tcp/send_buffer.hpp"

#include <algorithm>

namespace netstack::tcp {

std::size_t SendBuffer::write(std::span<const std::byte> data) {
    const std::size_t n = std::min(data.size(), free());
    if (n == 0) return 0;
    // Reclaim the consumed front before growing (amortized: it is at least what is held).
    if (head_ > 0 && head_ >= size()) {
        data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    data_.insert(data_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    return n;
}

void SendBuffer::consume(std::size_t n) {
    head_ += std::min(n, size());
    if (head_ == data_.size()) {
        data_.clear();
        head_ = 0;
    }
}

std::span<const std::byte> SendBuffer::peek(std::size_t offset, std::size_t len) const {
    if (offset >= size()) return {};
    return std::span(data_).subspan(head_ + offset, std::min(len, size() - offset));
}

}  // namespace netstack::tcp
