#include "tcp/byte_queue.hpp"

#include <algorithm>
#include <cstring>

namespace netstack::tcp {

std::span<std::byte> ByteQueue::reserve(std::size_t n) {
    if (n == 0) return {};
    if (tail_ + n > allocated_) {
        const std::size_t held = size();
        if (head_ >= held && held + n <= allocated_) {
            // Reclaim the consumed front: it is at least as long as what moves.
            std::memmove(storage_.get(), storage_.get() + head_, held);
        } else {
            const std::size_t grown = std::max(held + n, 2 * allocated_);
            std::unique_ptr<std::byte[]> bigger(new std::byte[grown]);  // uninitialized
            if (held > 0) std::memcpy(bigger.get(), storage_.get() + head_, held);
            storage_ = std::move(bigger);
            allocated_ = grown;
        }
        head_ = 0;
        tail_ = held;
    }
    return {storage_.get() + tail_, n};
}

void ByteQueue::commit(std::size_t n) {
    tail_ += std::min(n, allocated_ - tail_);
}

void ByteQueue::append(std::span<const std::byte> data) {
    const auto room = reserve(data.size());
    if (!room.empty()) std::memcpy(room.data(), data.data(), room.size());
    commit(room.size());
}

std::span<const std::byte> ByteQueue::view(std::size_t offset, std::size_t len) const {
    if (offset >= size()) return {};
    return {storage_.get() + head_ + offset, std::min(len, size() - offset)};
}

void ByteQueue::release_if_empty() {
    if (!empty()) return;
    storage_.reset();
    allocated_ = 0;
    clear();
}

void ByteQueue::consume(std::size_t n) {
    head_ += std::min(n, size());
    if (head_ == tail_) clear();
}

}  // namespace netstack::tcp
